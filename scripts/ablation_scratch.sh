#!/usr/bin/env bash
# The from-scratch ablation table of docs/ablations.md (the pretrained one is scripts/ablation.sh): ARNet Basic vs Full (MSTR) vs a triplet-loss
# baseline, and dual vs single views, on generated data, each trained from scratch with the
# same small ViT, seed and number of epochs. Prints a Markdown table (test split, held out).
#
#   bash scripts/ablation_scratch.sh      # uses target/debug/arnet (built if missing)
#   ARNET=path/to/arnet EPOCHS=15 bash scripts/ablation_scratch.sh
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

ROW='
import json, sys
report = json.load(open(sys.argv[1]))
t, u = report["test"], report["untrained_test"]
cells = [sys.argv[2], "`" + sys.argv[3] + "`"] + [f"{v:.1f}" for v in (t["acc1"], t["acc5"], t["acc10"], u["acc1"])]
print("| " + " | ".join(cells) + " |")
'
echo "| run | extra flags | test Acc@1 | Acc@5 | Acc@10 | untrained Acc@1 |"
echo "|---|---|---|---|---|---|"
for name in "${ORDER[@]}"; do
  flags=${FLAGS[$name]}
  [ -n "$flags" ] || flags="none"
  python3 -c "$ROW" "$WORK/$name/best.json" "$name" "$flags"
done
