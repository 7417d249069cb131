#!/usr/bin/env bash
# The ablation table of README ("Ablations"): ARNet Basic vs Full (MSTR) vs a triplet-loss
# baseline, and dual vs single views, on generated data, each trained from scratch with the
# same small ViT, seed and number of epochs. Prints a Markdown table (test split, held out).
#
#   bash scripts/ablation.sh              # uses target/debug/arnet (built if missing)
#   ARNET=path/to/arnet EPOCHS=15 bash scripts/ablation.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# The test profile's build (dependencies at opt-level 3, shared with `cargo test --workspace`);
# building with --workspace keeps the features, hence the compiled dependencies, the same.
ARNET=${ARNET:-${CARGO_TARGET_DIR:-target}/debug/arnet}
if [ ! -x "$ARNET" ]; then
  cargo build --workspace --all-targets
fi
EPOCHS=${EPOCHS:-15}
WORK=${WORK:-$(mktemp -d)}
echo "working in $WORK" >&2

"$ARNET" synth --out "$WORK/data" --photos 160 --sketches-per-photo 2 --seed 5 >&2
SMALL=(--device cpu --preset vit-ti --image-size 64 --patch-size 8 --embed-dim 48 --depth 2
       --heads 3 --batch-size 16 --lr 1e-3 --seed 3 --val-fraction 0.2 --epochs "$EPOCHS")

declare -A FLAGS=(
  [basic]=""
  [full]="--mstr"
  [triplet]="--objective triplet"
  [basic-single]="--views single"
  [full-single]="--mstr --views single"
  [basic-no-patch-norm]="--patch-norm false"
)
ORDER=(basic full triplet basic-single full-single basic-no-patch-norm)
for name in "${ORDER[@]}"; do
  # shellcheck disable=SC2086
  "$ARNET" train --data "$WORK/data" --out "$WORK/$name" "${SMALL[@]}" ${FLAGS[$name]} >&2
done

echo "| run | extra flags | test Acc@1 | Acc@5 | Acc@10 | untrained Acc@1 |"
echo "|---|---|---|---|---|---|"
for name in "${ORDER[@]}"; do
  python3 - "$WORK/$name/best.json" "$name" "${FLAGS[$name]:-(none)}" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
t, u = report["test"], report["untrained_test"]
print(f"| {sys.argv[2]} | `{sys.argv[3]}` | {t['acc1']:.1f} | {t['acc5']:.1f} | {t['acc10']:.1f} | {u['acc1']:.1f} |")
PY
done
