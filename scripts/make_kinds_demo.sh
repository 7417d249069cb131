#!/usr/bin/env bash
# The bundled model that knows kinds of garment (docs/real-photos.md, "Kinds"): the previous
# bundled model trained further on 10,000 Fashion-MNIST *train* photos with traced sketches (the
# instance term) and the category term (`--class-weight`: each photo pulled towards free-hand
# drawings and sketches of its kind), replaying the synthetic garments it learnt from.
#
#   bash scripts/make_kinds_demo.sh             # train (resumable: run it again to continue)
#   INSTALL=1 bash scripts/make_kinds_demo.sh   # ... and install the result as the demo model
#
# Resumable across sessions: the 10,000 photos are cut into ROUNDS chunks, and each round is
# one `arnet train` epoch over one chunk plus the synthetic replay, starting from the previous
# round's weights. A finished round is never run again; an interrupted one continues from its
# last checkpoint (`--resume`), so at most one round's work is lost with a session. PASSES
# goes over the chunks again (PASS_FROM=1 START=FILE: a pass from other weights, e.g. with
# another CLASS_WEIGHT). Each round's metrics, recipe and best.json are copied to
# docs/kinds-training/ as soon as it ends.
#
# Needs Debian's dataset-fashion-mnist. WORK (default work/kinds-demo) keeps data and runs.
set -euo pipefail
cd "$(dirname "$0")/.."
ARNET=${ARNET:-${CARGO_TARGET_DIR:-target}/debug/arnet}
if [ ! -x "$ARNET" ]; then
  cargo build --workspace --all-targets
fi
WORK=${WORK:-work/kinds-demo}
ROUNDS=${ROUNDS:-4}                   # chunks of the real photos
PER_ROUND=${PER_ROUND:-2500}          # real photos per chunk: ROUNDS x PER_ROUND in all
PASSES=${PASSES:-1}                   # times over all chunks
PASS_FROM=${PASS_FROM:-0}             # first pass to run (with START: continue from other weights)
SYNTH_PHOTOS=${SYNTH_PHOTOS:-500}     # synthetic garments replayed in every round (seed 101)
CLASS_WEIGHT=${CLASS_WEIGHT:-1.0}
PHOTO_CLASS_WEIGHT=${PHOTO_CLASS_WEIGHT:-0}   # the category term between photos (0: off)
FREEHAND=${FREEHAND:-8}               # free-hand drawings per step
LR=${LR:-5e-5}
SYNTH_KINDS=${SYNTH_KINDS:-1}         # 0: the synthetic garments take no part in the category term
START=${START:-assets/demo/model.safetensors}
RECORD=${RECORD:-docs/kinds-training}
mkdir -p "$WORK" "$RECORD"

REAL_PHOTOS=$((ROUNDS * PER_ROUND))
if [ ! -d "$WORK/real/trainB" ]; then
  "$ARNET" data fashion-mnist --split train --out "$WORK/real" --limit "$REAL_PHOTOS" --seed 1
fi
if [ ! -d "$WORK/real/trainA" ]; then
  "$ARNET" pseudo-sketch --method traced --photos "$WORK/real/trainB" --out "$WORK/real/trainA" \
    --per-photo 1 --seed 1
fi
if [ ! -d "$WORK/synth/trainB" ]; then
  "$ARNET" synth --out "$WORK/synth" --photos "$SYNTH_PHOTOS" --sketches-per-photo 1 --seed 101 \
    --test-fraction 0 --style varied
fi
# The synthetic demo gallery (seed 202, make_demo.sh's) is the test split every round reports.
if [ ! -d "$WORK/gallery/trainB" ]; then
  "$ARNET" synth --out "$WORK/gallery" --photos 200 --sketches-per-photo 1 --seed 202 \
    --test-fraction 0
fi

# One data folder per chunk: the synthetic replay and chunk R of the real photos (in file
# order), with both labels files merged into DATA/labels.json (only the real photos' with
# SYNTH_KINDS=0; a folder already made keeps its labels: delete DATA/labels.json to remake it).
data_for_round() {
  local round=$1 data="$WORK/data-$1"
  if [ -f "$data/labels.json" ]; then
    echo "$data"
    return
  fi
  rm -rf "$data"
  mkdir -p "$data/trainA" "$data/trainB"
  for f in "$WORK/synth/trainA/"*.png; do ln -sfn "$(realpath "$f")" "$data/trainA/"; done
  for f in "$WORK/synth/trainB/"*.png; do ln -sfn "$(realpath "$f")" "$data/trainB/"; done
  find "$WORK/real/trainB" -name '*.png' | sort | sed -n "$((round * PER_ROUND + 1)),$(((round + 1) * PER_ROUND))p" |
    while read -r photo; do
      stem=$(basename "$photo" .png)
      ln -sfn "$(realpath "$photo")" "$data/trainB/"
      for sketch in "$WORK/real/trainA/${stem}"_*.png; do
        ln -sfn "$(realpath "$sketch")" "$data/trainA/"
      done
    done
  ln -sfn "$(realpath "$WORK/gallery/trainA")" "$data/testA"
  ln -sfn "$(realpath "$WORK/gallery/trainB")" "$data/testB"
  local synth_labels="$WORK/synth/labels.json"
  [ "$SYNTH_KINDS" = 0 ] && synth_labels=/dev/null
  python3 - "$synth_labels" "$WORK/real/labels.json" "$data/labels.json.tmp" <<'EOF'
import json, sys
merged = {}
for path in sys.argv[1:3]:
    text = open(path).read()
    merged.update(json.loads(text) if text.strip() else {})
json.dump(merged, open(sys.argv[3], "w"), indent=1, sort_keys=True)
EOF
  mv "$data/labels.json.tmp" "$data/labels.json"
  echo "$data"
}

previous=$START
for pass in $(seq "$PASS_FROM" $((PASSES - 1))); do
  for round in $(seq 0 $((ROUNDS - 1))); do
    name="pass$pass-round$round"
    run="$WORK/$name"
    if [ -f "$run/done" ]; then
      previous="$run/best.safetensors"
      continue
    fi
    data=$(data_for_round "$round")
    resume=()
    [ -f "$run/checkpoint/state.json" ] && resume=(--resume)
    echo "== $name: from $previous" >&2
    "$ARNET" train --data "$data" --out "$run" --device cpu --init "$previous" \
      --epochs 1 --batch-size 32 --lr "$LR" --seed $((pass * 100 + round)) \
      --class-weight "$CLASS_WEIGHT" --freehand-per-batch "$FREEHAND" \
      --photo-class-weight "$PHOTO_CLASS_WEIGHT" \
      --pseudo-sketches off "${resume[@]}"
    mkdir -p "$RECORD/$name"
    cp "$run/best.json" "$run/metrics.csv" "$run/recipe.json" "$RECORD/$name/"
    touch "$run/done"
    previous="$run/best.safetensors"
  done
done
echo "last round's weights: $previous"

if [ "${INSTALL:-0}" = 1 ]; then
  cp "$previous" assets/demo/model.safetensors
  echo "installed $previous as assets/demo/model.safetensors"
fi
