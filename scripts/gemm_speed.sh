#!/usr/bin/env bash
# The gemm crate's f32 GFLOP/s at ViT-B/16's shapes, built with and without debug assertions
# (what `[profile.dev.package."*"]` decides for the test profile), beside NumPy's OpenBLAS, in
# one run on this machine (docs/speed.md). Threads: BENCH_THREADS (default 2).
#   bash scripts/gemm_speed.sh            # NumPy from $PYTHON (default python3), if it has it
set -euo pipefail
cd "$(dirname "$0")/gemm_speed"
threads=${BENCH_THREADS:-2}
target=${GEMM_SPEED_TARGET:-${TMPDIR:-/tmp}/arnet-gemm-speed}
for assertions in false true; do
  CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=$assertions \
    cargo build --release --quiet --target-dir "$target/assertions-$assertions"
  RAYON_NUM_THREADS=$threads "$target/assertions-$assertions/release/gemm-speed"
done
PYTHON=${PYTHON:-python3}
if "$PYTHON" -c 'import numpy' 2>/dev/null; then
  "$PYTHON" - "$threads" <<'PY'
import json, os, sys, time
threads = sys.argv[1]
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = threads
import numpy as np
for m, k, n in [(197, 768, 2304), (197, 768, 768), (197, 768, 3072), (197, 3072, 768),
                (3152, 768, 2304), (3152, 3072, 768)]:
    a = np.full((m, k), 0.5, np.float32)
    copies = [np.full((k, n), 0.25 + c, np.float32) for c in range(12)]
    a @ copies[0]
    best, call = 1e9, 0
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(10):
            a @ copies[call % 12]
            call += 1
        best = min(best, (time.perf_counter() - start) / 10)
    print(json.dumps({"impl": f"numpy {np.__version__} (OpenBLAS)", "m": m, "k": k, "n": n,
                      "gflops": round(2 * m * k * n / best / 1e9, 1)}))
PY
else
  echo "($PYTHON has no numpy: pip install numpy for the OpenBLAS column)" >&2
fi
