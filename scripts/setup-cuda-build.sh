#!/usr/bin/env bash
# Makes `cargo build --release --features cuda --bin arnet` work without reaching GitHub.
#
# Burn's CUDA backend (burn-cuda -> cubecl-cuda -> cubecl-llvm) links LLVM 23 statically, and
# cubecl-llvm's build dependency `tracel-llvm-bundler` downloads that LLVM from GitHub at build
# time. The bundler skips the download when its install folder already holds the marker file
# `.tracel-llvm-installed`; this script fills that folder with the LLVM 23.1.1 static SDK that
# PyPI ships as two wheels (`mlc-llvm-static` for X86 + NVPTX's base, `-extra-targets` for the
# rest), checks it, and writes the marker last. Idempotent: a complete install is checked and
# left alone. Needs python3 (its `llvm-config` is a Python script, run at build time too) and
# access to PyPI; about 400 MB on disk. docs/cuda.md says why and what was verified.
#
#   bash scripts/setup-cuda-build.sh            # install (or check) the LLVM for the cuda build
#   bash scripts/setup-cuda-build.sh --runtime DIR
#                                               # also unpack libdevice from PyPI into DIR, for a
#                                               # GPU machine with a driver but no CUDA toolkit
set -euo pipefail

# The bundler version cubecl-llvm 0.11.3 pins, and the folder it looks in (dirs::data_local_dir).
BUNDLE=tracel-llvm-23.1.0-4
DEST=${XDG_DATA_HOME:-$HOME/.local/share}/tracel/$BUNDLE
LLVM_WHEELS=(
  "mlc-llvm-static==23.1.1.post0 dcfec888abfaa418be77d41af585805f31463584cf9c90582992c00f392c1ac5"
  "mlc-llvm-static-extra-targets==23.1.1.post0 c36e834d9a4e9cf9759f27fece65711ece7a2fc2b5a96dbb15d66f5e9e787929"
)
# libdevice.10.bc, the bitcode of CUDA's math functions that cubecl's LLVM backend links into
# every kernel calling exp, erf, ... (NVRTC is not needed: it serves only cubecl's C++ backend).
RUNTIME_WHEELS=("nvidia-cuda-nvcc-cu12==12.9.86 5d6a0d32fdc7ea39917c20065614ae93add6f577d840233237ff08e9a38f58f0")
PYTHON=${PYTHON:-python3}

runtime_dir=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --runtime) runtime_dir=${2:?--runtime needs a folder}; shift 2 ;;
    -h | --help) sed -n 2,16p "$0"; exit 0 ;;
    *) echo "setup-cuda-build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
if ! grep -q "name = \"tracel-llvm-bundler\"" "$root/Cargo.lock" ||
  ! grep -A1 "name = \"tracel-llvm-bundler\"" "$root/Cargo.lock" | grep -q "version = \"${BUNDLE#tracel-llvm-}\""; then
  echo "setup-cuda-build.sh: Cargo.lock no longer pins tracel-llvm-bundler ${BUNDLE#tracel-llvm-};" \
    "update BUNDLE and the wheels in this script" >&2
  exit 1
fi
command -v "$PYTHON" >/dev/null || { echo "setup-cuda-build.sh: needs python3 (llvm-config is a Python script)" >&2; exit 1; }
command -v c++ >/dev/null || { echo "setup-cuda-build.sh: needs a C++ compiler (Debian: apt-get install g++)" >&2; exit 1; }

# Downloads pinned wheels (no dependencies) into $1 and checks their SHA-256 when one is given.
download() {
  local into=$1; shift
  local spec
  for spec in "$@"; do
    read -r requirement sha <<<"$spec"
    "$PYTHON" -m pip download --disable-pip-version-check --quiet --no-deps \
      --only-binary=:all: --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
      -d "$into" "$requirement"
    if [[ -n ${sha:-} ]]; then
      local name=${requirement%%==*}
      local file
      file=$(ls "$into"/"${name//-/_}"-*.whl)
      echo "$sha  $file" | sha256sum --check --quiet || {
        echo "setup-cuda-build.sh: $file does not have the pinned SHA-256" >&2
        exit 1
      }
    fi
  done
}

# Everything the bundler and cubecl-llvm's build script ask llvm-config for, checked for real.
check_llvm() {
  local prefix=$1 config=$1/bin/llvm-config version targets lib libnames libdir missing=0
  version=$("$config" --version) || return 1
  [[ $version == 23.1.* ]] || { echo "llvm-config says LLVM $version, expected 23.1.x" >&2; return 1; }
  targets=$("$config" --targets-built)
  for t in X86 NVPTX; do
    [[ " $targets " == *" $t "* ]] || { echo "LLVM in $prefix lacks the $t target" >&2; return 1; }
  done
  [[ -f $("$config" --includedir)/llvm-c/Core.h ]] || { echo "LLVM headers missing in $prefix" >&2; return 1; }
  # llvm-config itself fails when an archive it lists is missing: its status counts too.
  libnames=$("$config" --link-static --libnames) || return 1
  libdir=$("$config" --libdir) || return 1
  [[ -n $libnames ]] || { echo "llvm-config lists no static libraries" >&2; return 1; }
  for lib in $libnames; do
    [[ -f $libdir/$lib ]] || { echo "missing $lib" >&2; missing=1; }
  done
  [[ $missing == 0 ]] || return 1
  "$config" --link-static --system-libs >/dev/null || return 1
  "$config" --cxxflags >/dev/null || return 1
  echo "LLVM $version in $prefix: targets $targets; $(wc -w <<<"$libnames") static libraries, all present"
}

if [[ -f $DEST/.tracel-llvm-installed ]] && check_llvm "$DEST"; then
  echo "already installed: $DEST"
else
  work=$(mktemp -d "$(dirname "$DEST")/.setup-XXXXXX" 2>/dev/null || { mkdir -p "$(dirname "$DEST")"; mktemp -d "$(dirname "$DEST")/.setup-XXXXXX"; })
  trap 'rm -rf "$work"' EXIT
  echo "downloading the LLVM 23.1.1 static SDK from PyPI (92 MB)"
  download "$work/wheels" "${LLVM_WHEELS[@]}"
  mkdir -p "$work/unpacked"
  for wheel in "$work"/wheels/*.whl; do
    "$PYTHON" -m zipfile -e "$wheel" "$work/unpacked"
  done
  mv "$work/unpacked/mlc_llvm_static/static" "$work/$BUNDLE"
  chmod +x "$work/$BUNDLE/bin/llvm-config"
  check_llvm "$work/$BUNDLE"
  # A half-installed folder from an earlier try (or the bundler's own) goes; the new one
  # appears whole, and the marker is written only once it is in place.
  rm -rf "$DEST"
  mv "$work/$BUNDLE" "$DEST"
  touch "$DEST/.tracel-llvm-installed"
  echo "installed: $DEST"
fi

if [[ -n $runtime_dir ]]; then
  mkdir -p "$runtime_dir"
  runtime_dir=$(cd "$runtime_dir" && pwd)
  tmp=$(mktemp -d)
  echo "downloading libdevice from PyPI (nvidia-cuda-nvcc-cu12, 41 MB) into $runtime_dir"
  download "$tmp" "${RUNTIME_WHEELS[@]}"
  "$PYTHON" -m zipfile -e "$tmp"/*.whl "$tmp/unpacked"
  mkdir -p "$runtime_dir/nvvm/libdevice"
  cp "$tmp/unpacked/nvidia/cuda_nvcc/nvvm/libdevice/libdevice.10.bc" "$runtime_dir/nvvm/libdevice/"
  rm -rf "$tmp"
  head -c 4 "$runtime_dir/nvvm/libdevice/libdevice.10.bc" | od -An -tx1 | grep -q "42 43 c0 de" || {
    echo "setup-cuda-build.sh: $runtime_dir/nvvm/libdevice/libdevice.10.bc is not LLVM bitcode" >&2
    exit 1
  }
  echo "libdevice ready; before running the cuda binary: export CUDA_PATH=$runtime_dir"
fi

echo "now: cargo build --release --features cuda --bin arnet   (target/release/arnet)"
