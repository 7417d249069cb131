#!/usr/bin/env bash
# The paper's ablation from an ImageNet-pretrained start (docs/ablations.md): ARNet Full (MSTR),
# Basic, the triplet baseline and Basic with a single view, on the same training data (synthetic
# garments and real Fashion-MNIST *train* photos with traced sketches), 3 seeds each, the same
# budget per run. Every run is evaluated on the held-out demo gallery (generated sketches and
# app-drawn stroke lists) and on held-out real photos (the Fashion-MNIST *test* sample of
# scripts/eval_real_photos.sh, sketched by two hands the model never trains on).
#
#   bash scripts/ablation.sh                    # the whole study (about two hours on 2 cores)
#   SEEDS="0" VARIANTS="full basic" bash scripts/ablation.sh
#   BACKBONE=dinov2-s14 SEEDS=0 VARIANTS="full basic" EPOCHS=2 bash scripts/ablation.sh
#                                               # the same on DINOv2 ViT-S/14 at 112 px
#                                               # (results in docs/ablation/runs-dinov2-s14)
#
# Resumable: the data is made once, a finished run is not trained again and an interrupted one
# continues (`arnet train --resume`), so the same command continues a study. Each finished run's
# metrics and evaluations are copied to docs/ablation/runs/VARIANT-sSEED/ (committed), and
# scripts/ablation_table.py turns them into the table and the curves of docs/ablations.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ARNET=${ARNET:-${CARGO_TARGET_DIR:-target}/debug/arnet}
if [ ! -x "$ARNET" ]; then
  cargo build --workspace --all-targets
fi
WORK=${WORK:-work/ablation}
SEEDS=${SEEDS:-"0 1 2"}
VARIANTS=${VARIANTS:-"full basic triplet basic-single"}
# The budget of every run: 4 epochs of ~430 pairs at 128 px, batch 32 (see docs/ablations.md).
EPOCHS=${EPOCHS:-4}
BACKBONE=${BACKBONE:-efficientnet-lite0}
case "$BACKBONE" in
  efficientnet-lite0)
    SIZE=${SIZE:-128}
    LR=${LR:-1e-4}
    START=pretrained/efficientnet_lite0.safetensors
    RESULTS=${RESULTS:-docs/ablation/runs}
    [ -f "$START" ] || bash scripts/convert_pretrained.sh --out pretrained --only efficientnet-lite0
    ;;
  dinov2-s14)
    SIZE=${SIZE:-112}
    LR=${LR:-5e-5}
    START=pretrained/dinov2-$SIZE/dinov2_vits14.safetensors
    RESULTS=${RESULTS:-docs/ablation/runs-dinov2-s14}
    [ -f "$START" ] || bash scripts/convert_pretrained.sh --out "pretrained/dinov2-$SIZE" \
      --only dinov2-s14 --dinov2-image-size "$SIZE"
    ;;
  *) echo "BACKBONE must be efficientnet-lite0 or dinov2-s14" >&2; exit 2 ;;
esac
RUNS="$WORK/runs"
[ "$BACKBONE" = efficientnet-lite0 ] || RUNS="$WORK/runs-$BACKBONE"
mkdir -p "$WORK" "$RESULTS"

# The training data, made once: 120 synthetic garments (2 varied sketches each) and 120 real
# train-split photos (2 traced sketches each), in one folder.
if [ ! -f "$WORK/data/.done" ]; then
  rm -rf "$WORK/synth" "$WORK/fmnist" "$WORK/data"
  "$ARNET" synth --out "$WORK/synth" --photos 120 --sketches-per-photo 2 --seed 303 \
    --test-fraction 0 --style varied
  "$ARNET" data fashion-mnist --split train --limit 120 --seed 1 --out "$WORK/fmnist"
  "$ARNET" pseudo-sketch --method traced --photos "$WORK/fmnist/trainB" \
    --out "$WORK/fmnist/trainA" --per-photo 2 --seed 0
  mkdir -p "$WORK/data/trainA" "$WORK/data/trainB"
  for part in synth fmnist; do
    for side in trainA trainB; do
      for file in "$WORK/$part/$side"/*.png; do
        ln -sfn "$(realpath "$file")" "$WORK/data/$side/$(basename "$file")"
      done
    done
  done
  touch "$WORK/data/.done"
fi

# The held-out evaluation sets: the demo gallery with its sketches and stroke lists, and the
# real-photo sample (made by scripts/eval_real_photos.sh when missing).
DEMO="$WORK/demo"
if [ ! -d "$DEMO/testB" ]; then
  mkdir -p "$DEMO"
  ln -sfn "$(realpath assets/demo/sketches)" "$DEMO/testA"
  ln -sfn "$(realpath assets/demo/gallery)" "$DEMO/testB"
  ln -sfn "$(realpath assets/demo/strokes)" "$DEMO/testA-strokes"
fi
REAL=work/real-eval
if [ ! -d "$REAL/quick/testA" ]; then
  WORK=$REAL bash scripts/eval_real_photos.sh
fi

flags_of() {
  case "$1" in
    full) echo "--mstr" ;;
    basic) echo "" ;;
    triplet) echo "--objective triplet" ;;
    basic-single) echo "--views single" ;;
    *) echo "unknown variant $1" >&2; exit 2 ;;
  esac
}

for seed in $SEEDS; do
  for variant in $VARIANTS; do
    name="$variant-s$seed"
    out="$RUNS/$name"
    if [ -f "$RESULTS/$name/eval.json" ]; then
      echo "== $name: done" >&2
      continue
    fi
    resume=()
    [ -f "$out/state.json" ] && resume=(--resume)
    echo "== $name" >&2
    # shellcheck disable=SC2046
    "$ARNET" train --data "$WORK/data" --out "$out" --device cpu \
      --backbone "$BACKBONE" --init-backbone "$START" --image-size "$SIZE" \
      --epochs "$EPOCHS" --batch-size 32 --lr "$LR" --seed "$seed" \
      $(flags_of "$variant") "${resume[@]}"
    weights="$out/best.safetensors"
    demo=$("$ARNET" eval --data "$DEMO" --weights "$weights" --json 2>/dev/null)
    strokes=$("$ARNET" eval --data "$DEMO" --weights "$weights" --on-the-fly --json 2>/dev/null)
    careful=$("$ARNET" eval --data "$REAL/careful" --weights "$weights" \
      --labels "$REAL/photos/labels.json" --json 2>/dev/null)
    quick=$("$ARNET" eval --data "$REAL/quick" --weights "$weights" \
      --labels "$REAL/photos/labels.json" --json 2>/dev/null)
    mkdir -p "$RESULTS/$name"
    cp "$out/metrics.csv" "$out/recipe.json" "$out/best.json" "$RESULTS/$name/"
    echo "{\"variant\": \"$variant\", \"seed\": $seed, \"demo_sketches\": $demo, \
\"demo_strokes\": $strokes, \"real_careful\": $careful, \"real_quick\": $quick}" \
      > "$RESULTS/$name/eval.json"
  done
done
echo "results in $RESULTS; table: python3 scripts/ablation_table.py $RESULTS" >&2
