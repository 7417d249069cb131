#!/usr/bin/env bash
# Runs the app or the CLI from the same build as README's test command (`cargo test
# --workspace`): same profile, same package selection, hence the same compiled dependencies.
# After the tests have been built, this compiles at most the workspace's own crates.
#
#   bash scripts/run.sh                 # the app (arnet-app) on the bundled demo
#   bash scripts/run.sh app [ARGS...]   # the app
#   bash scripts/run.sh arnet ARGS...   # the CLI, e.g. bash scripts/run.sh arnet search --help
#
# Why not `cargo run --release -p arnet-app`: the release profile and a one-package selection
# each compile Burn, cubecl, wgpu and eframe again (docs/build.md). The dev profile here builds
# every dependency at opt-level 3 ([profile.dev.package."*"] in Cargo.toml), so the model runs
# at release speed; only the workspace's own crates are at opt-level 1.
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-app}
[ $# -gt 0 ] && shift
case "$which" in
  app) bin=arnet-app ;;
  arnet) bin=arnet ;;
  *) echo "usage: bash scripts/run.sh [app|arnet] [ARGS...]" >&2; exit 2 ;;
esac
# --all-targets with --workspace is the selection `cargo test --workspace` compiles. Cargo's
# progress stays visible: a first build on a fresh machine takes 40-50 minutes on 2 cores.
if [ ! -x "${CARGO_TARGET_DIR:-target}/debug/$bin" ]; then
  echo "building ARNet Sketch (the first build takes 40-50 minutes on 2 cores; later ones seconds)" >&2
fi
cargo build --workspace --all-targets >&2
exec "${CARGO_TARGET_DIR:-target}/debug/$bin" "$@"
