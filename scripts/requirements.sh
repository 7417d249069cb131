# What ARNet Sketch needs from the system, in one place: sourced by scripts/run.sh (README's
# run command) and .ci/run (CI), so the two never disagree. Bash; defines functions only.
#
#   missing_packages GROUP...   the Debian packages of these groups this machine lacks
#   install_packages PKG...     installs them with apt-get (as root, or with sudo), or prints
#                               the one command to run and fails
#   ensure_rust_toolchain       the toolchain rust-toolchain.toml pins, or a clear error
#
# Groups:
#   build   a C and a C++ compiler (usearch and cxx build C++), pkg-config
#   gpu     the Vulkan loader and Mesa's Vulkan drivers (lavapipe runs wgpu without a GPU)
#   window  what winit and eframe load when the window opens (X11 or Wayland, EGL)
#   test    Python with venv (scripts/pgvector_server.sh installs the test database from PyPI)

# Debian package names, each with what shows it is there: `cmd:NAME` a command on PATH,
# anything else a package dpkg knows as installed.
_arnet_group() {
  case $1 in
    build) echo "gcc=cmd:cc g++=cmd:c++ pkg-config=cmd:pkg-config" ;;
    gpu) echo "libvulkan1 mesa-vulkan-drivers" ;;
    window) echo "libxkbcommon-x11-0 libxcursor1 libxi6 libxrandr2 libx11-xcb1 libegl1 libwayland-client0" ;;
    test) echo "python3=cmd:python3 python3-venv=py:venv" ;;
    *) echo "requirements.sh: unknown group $1" >&2; return 2 ;;
  esac
}

_arnet_has() {
  local package=${1%%=*} check=${1#*=}
  [ "$check" = "$1" ] && check=""
  case $check in
    cmd:*) command -v "${check#cmd:}" >/dev/null 2>&1 ;;
    py:*) python3 -c "import ensurepip, ${check#py:}" >/dev/null 2>&1 ;;
    *)
      if command -v dpkg-query >/dev/null 2>&1; then
        dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed
      else
        # Not Debian: trust the machine (the build or the window will name what is missing).
        true
      fi
      ;;
  esac
}

missing_packages() {
  local group item need=()
  for group in "$@"; do
    for item in $(_arnet_group "$group"); do
      _arnet_has "$item" || need+=("${item%%=*}")
    done
  done
  echo "${need[@]}"
}

install_packages() {
  [ $# -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo)
    else
      echo "ARNet Sketch needs these system packages: $*" >&2
      echo "install them with:  sudo apt-get install $*" >&2
      return 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ARNet Sketch needs (Debian names): $*; install their equivalents and run again" >&2
    return 1
  fi
  echo "== installing system packages: $*" >&2
  "${sudo[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >&2
}

# The toolchain rust-toolchain.toml pins. rustup installs it when it can reach the Rust
# servers; where it cannot (these machines reach only package registries) but the installed
# stable toolchain is that very release, the stable one is named after it (a link under
# RUSTUP_HOME), which is what rustup would have installed.
ensure_rust_toolchain() {
  local root channel
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$root/rust-toolchain.toml")
  if ! command -v rustup >/dev/null 2>&1; then
    if command -v cargo >/dev/null 2>&1 && cargo --version | grep -q " $channel "; then
      return 0
    fi
    echo "ARNet Sketch needs Rust $channel: install rustup (https://rustup.rs), then run again" >&2
    return 1
  fi
  if (cd "$root" && rustc --version >/dev/null 2>&1); then
    return 0
  fi
  local stable host
  stable=$(rustc +stable --version 2>/dev/null || true)
  host=$(rustc +stable -vV 2>/dev/null | sed -n 's/^host: //p')
  if [ -n "$host" ] && echo "$stable" | grep -q "^rustc $channel "; then
    local toolchains="${RUSTUP_HOME:-$HOME/.rustup}/toolchains"
    echo "== Rust $channel is the installed stable toolchain: naming it $channel-$host" >&2
    ln -sfn "$toolchains/stable-$host" "$toolchains/$channel-$host"
    return 0
  fi
  echo "== installing Rust $channel with rustup" >&2
  (cd "$root" && rustup toolchain install "$channel" --profile minimal -c rustfmt -c clippy)
}
