#!/usr/bin/env bash
# Gallery search at scale (model/benches/gallery_scale.rs): exact scan against the HNSW store,
# f32 and f16, up to a million photos; prints the JSON lines and a Markdown table.
# GALLERY_SIZES=10000,50000 for a quick run. Needs about 8 GB of memory at a million.
set -euo pipefail
cd "$(dirname "$0")/.."
# The test build's profile and feature set, so nothing is compiled twice.
source scripts/bench_binary.sh
bench="$(PYTHON=python3 bench_binary gallery_scale)"
out="$(mktemp)"
"$bench" --bench | tee "$out"
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
exact = {r["size"]: r for r in rows if r["case"] == "exact"}
half = {r["size"]: r for r in rows if r["case"] == "f16_vs_f32_exact"}
print("| photos | storage | exact top-10 ms | search width | HNSW top-10 ms (p95) | recall@10 | build s | memory MB | file MB | re-open s |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    if r["case"] != "hnsw":
        continue
    e = exact[r["size"]]
    print(f"| {r['size']:,} | {r['storage']} | {e['median_ms']:.1f} | {r['expansion_search']} | {r['median_ms']:.2f} ({r['p95_ms']:.2f}) | "
          f"{r['recall_at_10']:.3f} | {r['build_s']:.0f} | {r['memory_mb']:.0f} | {r['file_mb']:.0f} | {r['reopen_s']:.2f} |")
print()
for size, r in half.items():
    print(f"f16 against f32 storage, exact search, {size:,} photos: top-10 kept {r['top10_kept']:.3f}, "
          f"same first result {r['same_first']:.3f}")
PY
