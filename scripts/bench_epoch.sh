#!/usr/bin/env bash
# One whole epoch of `arnet train` against a plain PyTorch + timm ARNet-Basic trainer
# (scripts/bench_epoch_torch.py) on the same folder from the same timm backbone: ViT-Ti/16 at
# 224 px, batch 8, 60 synthetic garments x 2 sketches, 10 % held out for validation. Both are
# timed as whole processes (decoding, augmentation, the steps, validation, the checkpoint), and
# the ratio of seconds per training pair is printed (below 1: arnet is faster). Called by
# scripts/bench_train.sh; alone: PYTHON=/path/to/venv/bin/python bash scripts/bench_epoch.sh
# (the venv needs torch, torchvision, timm, safetensors; scripts/convert_pretrained.sh makes one).
# RUNS (default 2) alternates the two, Burn first, and prints every pair's ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
ARNET=${ARNET:-${CARGO_TARGET_DIR:-target}/debug/arnet}
[ -x "$ARNET" ] || cargo build --workspace --all-targets
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$ARNET" synth --out "$WORK/data" --photos 60 --sketches-per-photo 2 --seed 0 --test-fraction 0 2>/dev/null
"$PYTHON" - "$WORK/vit_ti.safetensors" <<'PY'
import sys, timm, torch, safetensors.torch
torch.manual_seed(0)
model = timm.create_model("vit_tiny_patch16_224", pretrained=False)
safetensors.torch.save_file({k: v.contiguous() for k, v in model.state_dict().items()}, sys.argv[1])
PY
now() { date +%s.%N; }
echo "| run | arnet s / pair | PyTorch s / pair | ratio |"
echo "|---|---|---|---|"
for run in $(seq 1 "${RUNS:-2}"); do
  rm -rf "$WORK/burn" "$WORK/torch"
  start=$(now)
  "$ARNET" train --data "$WORK/data" --out "$WORK/burn" --device cpu --preset vit-ti \
    --init-backbone "$WORK/vit_ti.safetensors" --epochs 1 --batch-size 8 --lr 1e-4 \
    --val-fraction 0.1 2>/dev/null
  burn_s=$("$PYTHON" -c "print($(now) - $start)")
  burn_pairs=$(tail -1 "$WORK/burn/metrics.csv" | awk -F, '{printf "%.0f", $11 * $12}')
  torch_line=$("$PYTHON" scripts/bench_epoch_torch.py "$WORK/data" "$WORK/torch" \
    --init "$WORK/vit_ti.safetensors" --batch-size 8)
  "$PYTHON" - "$burn_s" "$burn_pairs" "$torch_line" "$run" <<'PY'
import json, sys
burn_s, burn_pairs, torch_line, run = float(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
b = burn_s / burn_pairs
t = torch_line["s_per_pair"]
print(f"| {run} | {b:.3f} ({burn_pairs} pairs, {burn_s:.1f} s) | {t:.3f} ({torch_line['pairs']} pairs, {torch_line['seconds']:.1f} s) | {b / t:.2f} |")
PY
done
