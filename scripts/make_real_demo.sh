#!/usr/bin/env bash
# The bundled model for both worlds: the synthetic demo model trained on, in one run, synthetic
# garments with their sketches *and* real product photos (Fashion-MNIST train split only) with
# traced sketches of them in several hands (docs/real-photos.md).
#
#   bash scripts/make_real_demo.sh            # train (resumable: run it again to continue)
#   INSTALL=1 bash scripts/make_real_demo.sh  # ... and install the result as the demo model
#
# Needs Debian's dataset-fashion-mnist. WORK (default work/real-demo) keeps the data and the
# run; an interrupted run continues where it stopped (`arnet train --resume`).
set -euo pipefail
cd "$(dirname "$0")/.."
ARNET=${ARNET:-${CARGO_TARGET_DIR:-target}/debug/arnet}
if [ ! -x "$ARNET" ]; then
  cargo build --workspace --all-targets
fi
WORK=${WORK:-work/real-demo}
EPOCHS=${EPOCHS:-3}
REAL_PHOTOS=${REAL_PHOTOS:-1200}      # Fashion-MNIST train photos (garments only)
REAL_SKETCHES=${REAL_SKETCHES:-2}     # traced sketches per real photo
SYNTH_PHOTOS=${SYNTH_PHOTOS:-500}     # synthetic garments replayed (seed 101: make_demo.sh's)
START=${START:-assets/demo/model.safetensors}
mkdir -p "$WORK"

if [ ! -d "$WORK/synth/trainB" ]; then
  "$ARNET" synth --out "$WORK/synth" --photos "$SYNTH_PHOTOS" --sketches-per-photo 1 --seed 101 \
    --test-fraction 0 --style varied
fi
if [ ! -d "$WORK/real/trainB" ]; then
  "$ARNET" data fashion-mnist --split train --out "$WORK/real" --limit "$REAL_PHOTOS" --seed 1
fi
if [ ! -d "$WORK/real/trainA" ]; then
  "$ARNET" pseudo-sketch --method traced --photos "$WORK/real/trainB" --out "$WORK/real/trainA" \
    --per-photo "$REAL_SKETCHES" --seed 1
fi
# The synthetic demo gallery (seed 202, make_demo.sh's) is the test split the run reports.
if [ ! -d "$WORK/gallery/trainB" ]; then
  "$ARNET" synth --out "$WORK/gallery" --photos 200 --sketches-per-photo 1 --seed 202 \
    --test-fraction 0
fi
DATA="$WORK/data"
if [ ! -d "$DATA" ]; then
  mkdir -p "$DATA/trainA" "$DATA/trainB"
  for part in synth real; do
    for f in "$WORK/$part/trainA/"*.png; do ln -sfn "$(realpath "$f")" "$DATA/trainA/"; done
    for f in "$WORK/$part/trainB/"*.png; do ln -sfn "$(realpath "$f")" "$DATA/trainB/"; done
  done
  ln -sfn "$(realpath "$WORK/gallery/trainA")" "$DATA/testA"
  ln -sfn "$(realpath "$WORK/gallery/trainB")" "$DATA/testB"
fi

RESUME=()
[ -f "$WORK/run/checkpoint/state.json" ] && RESUME=(--resume)
"$ARNET" train --data "$DATA" --out "$WORK/run" --device cpu --init "$START" \
  --epochs "$EPOCHS" --batch-size 32 --lr "${LR:-5e-5}" --seed 0 \
  --average-from "${AVERAGE_FROM:-2}" --pseudo-sketches off "${RESUME[@]}"

if [ "${INSTALL:-0}" = 1 ]; then
  cp "$WORK/run/best.safetensors" assets/demo/model.safetensors
  cp "$WORK/run/best.json" "$WORK/run/metrics.csv" "$WORK/run/curves.png" "$WORK/run/recipe.json" \
    assets/demo/training/
  echo "installed $WORK/run/best.safetensors as assets/demo/model.safetensors"
fi
