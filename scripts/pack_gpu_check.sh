#!/usr/bin/env bash
# Packs what scripts/gpu_check.sh needs on a GPU machine that fetches nothing (no registries)
# and takes at most 64 MiB of files per call: the release `arnet` built with --features cuda,
# stripped and xz-compressed, the script, and the parity-a files it compares backends on.
#
#   bash scripts/pack_gpu_check.sh [DIR]        # default work/gpu-check; builds the binary
#                                               # first when target/release/arnet is missing
#   ARNET=path/to/arnet bash scripts/pack_gpu_check.sh
#
# Then, on the GPU machine, from the folder's parent: `OUT=... bash DIR/gpu_check.sh`.
# Fails when the folder exceeds LIMIT_MIB (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
PACK=${1:-work/gpu-check}
LIMIT_MIB=${LIMIT_MIB:-60}
ARNET=${ARNET:-${CARGO_TARGET_DIR:-target}/release/arnet}
if [ ! -x "$ARNET" ]; then
  bash scripts/setup-cuda-build.sh
  cargo build --release --features cuda --bin arnet
fi
rm -rf "$PACK"
mkdir -p "$PACK/fixtures/parity-a"
strip -o "$PACK/arnet.stripped" "$ARNET"
echo "binary: $(du -m "$ARNET" | cut -f1) MiB, stripped $(du -m "$PACK/arnet.stripped" | cut -f1) MiB" >&2
xz -9e -T0 -c "$PACK/arnet.stripped" > "$PACK/arnet.xz"
rm "$PACK/arnet.stripped"
cp scripts/gpu_check.sh "$PACK/"
cp tests/fixtures/parity-a/{checkpoint.pth,input_sketch.png,input_colour.png} "$PACK/fixtures/parity-a/"
size=$(du -sb "$PACK" | cut -f1)
mib=$(python3 -c "print(f'{$size / 2**20:.1f}')")
echo "packed $PACK: $mib MiB ($(du -b "$PACK/arnet.xz" | cut -f1) bytes of arnet.xz)" >&2
python3 -c "import sys; sys.exit(0 if $size <= $LIMIT_MIB * 2**20 else 1)" || {
  echo "$PACK is over $LIMIT_MIB MiB" >&2
  exit 1
}
