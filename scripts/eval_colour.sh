#!/usr/bin/env bash
# The colour swatch on the bundled demo (docs/colour.md): Acc@1 / Acc@10 of the demo's sketches
# without a colour, with their garment's colour and with a wrong one, per weight. One JSON line
# per sketch set and weight (training/benches/colour_demo.rs). Builds with README's test build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
source scripts/bench_binary.sh
"$(bench_binary colour_demo)"
