#!/usr/bin/env bash
# Times `arnet train`'s training step (training/benches/train_speed.rs) and the same ARNet-Basic
# step in PyTorch + timm (scripts/bench_train_torch.py) in one go, case by case (Burn, then
# PyTorch, on the same shapes), and prints a Markdown table with the ratio (Burn time / PyTorch
# time per step; below 1 means Burn is faster), then one whole epoch of each
# (scripts/bench_epoch.sh).
# Needs: Python with torch + timm, e.g. PYTHON=/path/to/venv/bin/python; BENCH_THREADS=2 to
# give PyTorch the same two cores Burn uses here. BENCH_CASES, BENCH_STEPS as in the bench.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
CASES="${BENCH_CASES:-vit_ti_224,efficientnet_lite0_160,dinov2_s14_112}"
out="$(mktemp)"
# The test build (deps at opt-level 3), as README's run command uses: no second Burn build.
source scripts/bench_binary.sh
bench="$(bench_binary train_speed)"
run_side_by_side "$bench" BENCH_CASES "$CASES" scripts/bench_train_torch.py "$out"
"$PYTHON" - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
torch_rows = {r["case"]: r for r in rows if r["impl"] == "torch"}
print("| case | batch | implementation | s / step | pairs / s | ratio vs PyTorch |")
print("|---|---|---|---|---|---|")
for r in rows:
    base = torch_rows[r["case"]]["median_s_per_step"]
    print(f"| {r['case']} | {r['batch']} | {r['impl']} {r['backend']} | "
          f"{r['median_s_per_step']:.2f} | {r['pairs_per_s']:.2f} | "
          f"{r['median_s_per_step'] / base:.2f} |")
PY

# The whole epoch (data, augmentation, steps, validation, checkpoint), Burn and PyTorch in one
# run: BENCH_EPOCH=0 to skip it.
if [ "${BENCH_EPOCH:-1}" = 1 ]; then
  echo
  PYTHON="$PYTHON" bash scripts/bench_epoch.sh
fi
