#!/usr/bin/env bash
# README's run command: checks what the machine needs, builds, and starts the app (or the CLI)
# from the same build as README's test command (`cargo test --workspace`): same profile, same
# package selection, same target dir (`./target`, cargo's default; .ci/run links it to a
# machine-wide cache), hence the same compiled dependencies.
#
#   bash scripts/run.sh                 # the app (arnet-app) on the bundled demo
#   bash scripts/run.sh app [ARGS...]   # the app
#   bash scripts/run.sh arnet ARGS...   # the CLI, e.g. bash scripts/run.sh arnet search --help
#   bash scripts/run.sh check           # only check (and install) what the machine needs
#
# System packages come from scripts/requirements.sh (one list, shared with CI): missing ones are
# installed with apt-get when this runs as root or with sudo, otherwise the command to run is
# printed. Why not `cargo run --release -p arnet-app`: the release profile and a one-package
# selection each compile Burn, cubecl, wgpu and eframe again (docs/build.md). The dev profile
# builds every dependency at opt-level 3 ([profile.dev.package."*"] in Cargo.toml), so the model
# runs at release speed; only the workspace's own crates are at opt-level 1.
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-app}
[ $# -gt 0 ] && shift
case "$which" in
  app) bin=arnet-app ;;
  arnet) bin=arnet ;;
  check) bin="" ;;
  *) echo "usage: bash scripts/run.sh [app|arnet|check] [ARGS...]" >&2; exit 2 ;;
esac

source scripts/requirements.sh
groups=(build gpu)
[ "$which" != arnet ] && groups+=(window)
# shellcheck disable=SC2046
install_packages $(missing_packages "${groups[@]}")
ensure_rust_toolchain
[ -z "$bin" ] && { echo "everything ARNet Sketch needs is here" >&2; exit 0; }

target=${CARGO_TARGET_DIR:-target}
# --workspace --bins: only the two programs, with the same package selection (hence the same
# features and compiled dependencies) as `cargo test --workspace`; neither order rebuilds what
# the other built (docs/build.md). Cargo's progress stays visible.
if [ ! -x "$target/debug/$bin" ]; then
  echo "== building ARNet Sketch: the first build takes about 20 minutes on 2 cores (Burn, wgpu," >&2
  echo "   eframe), later ones seconds; cargo shows its progress below" >&2
fi
cargo build --workspace --bins >&2
exec "$target/debug/$bin" "$@"
