#!/usr/bin/env bash
# Runs the Burn and timm embedding benchmarks in one go, model by model (Burn, then timm, on
# the same shapes), on the same machine, and prints a Markdown table with the ratio (Burn time /
# timm time; below 1 means Burn is faster).
# Needs: Python with torch + timm (pip install torch timm), e.g. PYTHON=/path/to/venv/bin/python;
# BENCH_THREADS=2 gives PyTorch the two cores Burn uses here. BENCH_MODELS, BENCH_RUNS as in
# model/benches/embed_speed.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
MODELS="${BENCH_MODELS:-vit_b16_224,efficientnet_lite0_160,dinov2_s14_224}"
out="$(mktemp)"
# Build with the same command and profile as the tests (deps at opt-level 3), so the bench
# reuses the test build instead of compiling Burn a second time, then run the bench binary.
source scripts/bench_binary.sh
bench="$(bench_binary embed_speed)"
run_side_by_side "$bench" BENCH_MODELS "$MODELS" scripts/bench_timm.py "$out"
"$PYTHON" - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
timm = {(r["model"], r["case"]): r for r in rows if r["impl"] == "timm"}
print("| model | case | batch | implementation | s / image | ratio vs timm |")
print("|---|---|---|---|---|---|")
for r in rows:
    base = timm[(r["model"], r["case"])]["median_s_per_image"]
    print(f"| {r['model']} | {r['case']} | {r['batch']} | {r['impl']} {r['backend']} | "
          f"{r['median_s_per_image']:.4f} | {r['median_s_per_image'] / base:.2f} |")
PY
