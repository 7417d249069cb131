#!/usr/bin/env bash
# Measures models on real product photos (docs/real-photos.md): 200 photos of the Fashion-MNIST
# *test* split (`arnet data fashion-mnist --split test --limit 200 --seed 0`, the sample the
# project's outside checks use), searched with sketches by two hands the model never trains on
# (scripts/eval_hands.py: careful, quick) and with Canny edge maps (a style it does train on).
#
#   bash scripts/eval_real_photos.sh WEIGHTS [WEIGHTS...]
#
# Also searches the same photos with free-hand drawings of each kind of garment, drawn from the
# idea of the kind and not from any photo (scripts/eval_freehand.py, 30 per kind, never trained
# on): category P@10, the first result's kind, per kind.
#
# Prints Acc@1/5/10, category P@10 and the kind figures per model and sketch kind, as JSON
# lines. Needs Debian's dataset-fashion-mnist, and python3 with numpy and
# opencv-python-headless (installed into WORK/venv from PyPI the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
ARNET=${ARNET:-${CARGO_TARGET_DIR:-target}/debug/arnet}
WORK=${WORK:-work/real-eval}
mkdir -p "$WORK"
if [ ! -x "$WORK/venv/bin/python" ]; then
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install -q numpy opencv-python-headless
fi
if [ ! -d "$WORK/photos/testB" ]; then
  "$ARNET" data fashion-mnist --split test --limit 200 --seed 0 --out "$WORK/photos"
fi
for hand in careful quick; do
  if [ ! -d "$WORK/$hand/testA" ]; then
    mkdir -p "$WORK/$hand"
    ln -sfn "$(realpath "$WORK/photos/testB")" "$WORK/$hand/testB"
    "$WORK/venv/bin/python" scripts/eval_hands.py "$WORK/photos/testB" "$WORK/$hand/testA" --hand "$hand"
  fi
done
if [ ! -d "$WORK/canny/testA" ]; then
  mkdir -p "$WORK/canny"
  ln -sfn "$(realpath "$WORK/photos/testB")" "$WORK/canny/testB"
  "$ARNET" pseudo-sketch --method canny --photos "$WORK/photos/testB" --out "$WORK/canny/testA"
fi
if [ ! -f "$WORK/freehand/labels.json" ]; then
  mkdir -p "$WORK/freehand"
  ln -sfn "$(realpath "$WORK/photos/testB")" "$WORK/freehand/testB"
  "$WORK/venv/bin/python" scripts/eval_freehand.py "$WORK/freehand/testA" --per-kind 30 --seed 7
  # One labels file for both: the photos' classes and the drawings' kinds.
  "$WORK/venv/bin/python" - "$WORK/photos/labels.json" "$WORK/freehand/testA/labels.json" \
    "$WORK/freehand/labels.json" <<'EOF'
import json, sys
merged = json.load(open(sys.argv[1]))
merged.update(json.load(open(sys.argv[2])))
json.dump(merged, open(sys.argv[3], "w"), indent=1, sort_keys=True)
EOF
fi
for weights in "$@"; do
  result=$("$ARNET" eval --data "$WORK/freehand" --weights "$weights" \
    --labels "$WORK/freehand/labels.json" --json 2>/dev/null)
  echo "{\"weights\": \"$weights\", \"sketches_by\": \"freehand\", \"result\": $result}"
  for kind in careful quick canny; do
    result=$("$ARNET" eval --data "$WORK/$kind" --weights "$weights" \
      --labels "$WORK/photos/labels.json" --json 2>/dev/null)
    echo "{\"weights\": \"$weights\", \"sketches_by\": \"$kind\", \"result\": $result}"
  done
done
