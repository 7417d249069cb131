#!/usr/bin/env bash
# Runs the Burn and timm ViT-B/16 embedding benchmarks in one go, on the same machine, and
# prints a Markdown table with the ratio (Burn time / timm time; below 1 means Burn is faster).
# Needs: Python with torch + timm (pip install torch timm), e.g. PYTHON=/path/to/venv/bin/python.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
out="$(mktemp)"
# Build with the same command and profile as the tests (deps at opt-level 3), so the bench
# reuses the test build instead of compiling Burn a second time, then run the bench binary.
bench="$(cargo build --workspace --all-targets --message-format=json 2>/dev/null | "$PYTHON" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "embed_speed" and m.get("executable"):
        print(m["executable"])
')"
"$bench" --bench | grep '^{' >>"$out"
"$PYTHON" scripts/bench_timm.py >>"$out"
"$PYTHON" - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
timm = {r["case"]: r for r in rows if r["impl"] == "timm"}
print("| case | batch | implementation | s / image | ratio vs timm |")
print("|---|---|---|---|---|")
for r in rows:
    base = timm[r["case"]]["median_s_per_image"]
    print(f"| {r['case']} | {r['batch']} | {r['impl']} {r['backend']} | "
          f"{r['median_s_per_image']:.3f} | {r['median_s_per_image'] / base:.2f} |")
PY
