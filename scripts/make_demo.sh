#!/usr/bin/env bash
# Regenerates assets/demo: a held-out gallery of synthetic garment photos, its sketches (images
# and app-style stroke lists), and the demo model trained on a *separate* synthetic set.
# Deterministic from the seeds below. About an hour on a 2-core CPU (see README).
#
#   bash scripts/make_demo.sh            # uses target/debug/arnet (built if missing)
#   ARNET=path/to/arnet EPOCHS=20 bash scripts/make_demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# The test profile's build (dependencies at opt-level 3, shared with `cargo test --workspace`);
# building with --workspace keeps the features, hence the compiled dependencies, the same.
ARNET=${ARNET:-${CARGO_TARGET_DIR:-target}/debug/arnet}
if [ ! -x "$ARNET" ]; then
  cargo build --workspace --all-targets
fi
EPOCHS=${EPOCHS:-20}
WORK=${WORK:-$(mktemp -d)}
echo "working in $WORK"

# Training garments (seed 101) and gallery garments (seed 202) are drawn independently.
"$ARNET" synth --out "$WORK/train" --photos 500 --sketches-per-photo 3 --seed 101 --test-fraction 0
"$ARNET" synth --out "$WORK/gallery" --photos 200 --sketches-per-photo 1 --seed 202 \
  --test-fraction 0 --stroke-lists

# The training folder: train split from the training set, test split = the demo gallery.
mkdir -p "$WORK/data"
ln -sfn "$WORK/train/trainA" "$WORK/data/trainA"
ln -sfn "$WORK/train/trainB" "$WORK/data/trainB"
ln -sfn "$WORK/gallery/trainA" "$WORK/data/testA"
ln -sfn "$WORK/gallery/trainB" "$WORK/data/testB"

"$ARNET" train --data "$WORK/data" --out "$WORK/run" --device cpu --preset demo \
  --epochs "$EPOCHS" --batch-size 32 --lr 3e-4 --seed 0

rm -rf assets/demo
mkdir -p assets/demo/gallery assets/demo/sketches assets/demo/strokes assets/demo/training
cp "$WORK/run/best.safetensors" assets/demo/model.safetensors
cp "$WORK/gallery/trainB/"*.png assets/demo/gallery/
cp "$WORK/gallery/trainA/"*.png assets/demo/sketches/
cp "$WORK/gallery/trainA-strokes/"*.json assets/demo/strokes/
cp "$WORK/run/best.json" "$WORK/run/metrics.csv" "$WORK/run/curves.png" "$WORK/run/recipe.json" \
  assets/demo/training/
echo "assets/demo updated:"
du -sh assets/demo/*
