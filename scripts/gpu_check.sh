#!/usr/bin/env bash
# The checks docs/cuda.md reports for a real GPU, in one call of at most about 8 minutes:
#   1. each GPU backend against the CPU backend on the parity-a fixture (embeddings);
#   2. ViT-B/16 training, f32 and --precision bf16, pairs/s (2 epochs; the second is steady);
#   3. the same ARNet-like ViT-B/16 step in PyTorch + timm, fp32 and bf16 autocast, pairs/s;
#   4. the demo recipe's epoch time (EfficientNet-Lite0, 160 px, batch 32, 1,500 pairs).
# Everything it prints also goes to $OUT/gpu_check.log, and the figures to $OUT/gpu_check.json.
#
#   bash scripts/gpu_check.sh                   # in the repository, with ARNET=path/to/arnet
#   bash gpu-check/gpu_check.sh                 # in the folder scripts/pack_gpu_check.sh
#                                               # writes: unpacks its arnet.xz first
#   DRY_RUN=1 ARNET=target/debug/arnet BACKENDS=none bash scripts/gpu_check.sh
#                                               # the CPU parts, small, on a machine without GPU
#
# GPU backends tried: cuda (the binary must be built with --features cuda; needs the NVIDIA
# driver and libdevice: CUDA_PATH, docs/cuda.md) and wgpu (a Vulkan driver). A backend the
# binary or the machine lacks is reported and skipped; BACKENDS="cuda" limits the list.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$(mktemp -d)}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$OUT" "$WORK"
exec > >(tee "$OUT/gpu_check.log") 2>&1
DRY=${DRY_RUN:-0}

if [ -f "$HERE/arnet.xz" ]; then
  xz -dc "$HERE/arnet.xz" > "$WORK/arnet" && chmod +x "$WORK/arnet"
  A=${ARNET:-$WORK/arnet}
  P=$HERE/fixtures/parity-a
else
  A=${ARNET:-$HERE/../target/release/arnet}
  P=$HERE/../tests/fixtures/parity-a
fi
[ -x "$A" ] || { echo "no arnet binary at $A (set ARNET)"; exit 1; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null
if [ -z "${CUDA_PATH:-}" ] && command -v nvcc >/dev/null; then
  # libdevice sits under the toolkit's nvvm/ folder.
  export CUDA_PATH=$(dirname "$(dirname "$(command -v nvcc)")")
fi
echo "arnet: $A; CUDA_PATH=${CUDA_PATH:-unset}; OUT=$OUT"
RESULTS="$OUT/gpu_check.jsonl"
: > "$RESULTS"
record() { echo "$1" >> "$RESULTS"; }
seconds_now() { date +%s.%N; }

# 1. Embeddings of every GPU backend against the CPU backend.
embed() {
  "$A" embed --device "$1" --heads 4 --weights "$P/checkpoint.pth" "$P/input_sketch.png" \
    "$P/input_colour.png" > "$WORK/embed_$1.jsonl"
}
embed cpu || exit 1
gpus=()
for d in ${BACKENDS:-cuda wgpu}; do
  [ "$d" = none ] && continue
  if embed "$d" 2> "$WORK/embed_$d.err"; then
    gpus+=("$d")
    diff=$(python3 - "$WORK" "$d" <<'PY'
import json, sys
w, d = sys.argv[1:]
a = [json.loads(l)["embedding"] for l in open(w + "/embed_cpu.jsonl")]
b = [json.loads(l)["embedding"] for l in open(w + f"/embed_{d}.jsonl")]
print(max(abs(x - y) for u, v in zip(a, b) for x, y in zip(u, v)))
PY
)
    echo "== $d vs cpu, parity-a embeddings: max abs diff $diff"
    record "{\"check\": \"parity\", \"device\": \"$d\", \"max_abs_diff\": $diff}"
  else
    echo "== $d skipped: $(tail -1 "$WORK/embed_$d.err")"
    record "{\"check\": \"parity\", \"device\": \"$d\", \"skipped\": \"$(tail -1 "$WORK/embed_$d.err" | tr -d '"\\')\"}"
  fi
done

# 2. Training throughput: ViT-B/16 f32 and bf16 on each GPU backend (the demo preset on the
# CPU in a dry run). The second epoch's pairs/s is the steady state (the first compiles kernels).
if [ "$DRY" = 1 ]; then photos=24; presets="demo"; else photos=300; presets="vit-b"; fi
"$A" synth --out "$WORK/s" --photos $photos --sketches-per-photo 1 --seed 1 --test-fraction 0.1 >/dev/null
configs=()
for d in "${gpus[@]}"; do for p in $presets; do configs+=("$d $p f32" "$d $p bf16"); done; done
[ "$DRY" = 1 ] && configs+=("cpu demo f32")
for cfg in "${configs[@]}"; do
  set -- $cfg
  echo "== train --device $1 --preset $2 --precision $3"
  "$A" train --data "$WORK/s" --out "$WORK/r-$1-$2-$3" --device "$1" --preset "$2" \
    --precision "$3" --epochs 2 --batch-size 16 --lr 1e-4 --events json \
    > "$WORK/events-$1-$2-$3.jsonl" 2> "$WORK/train-$1-$2-$3.err"
  grep -E "^epoch [0-9]+/[0-9]+:|error" "$WORK/train-$1-$2-$3.err" | tr '\r' '\n'
  rate=$(tail -1 "$WORK/r-$1-$2-$3/metrics.csv" 2>/dev/null | cut -d, -f12)
  record "{\"check\": \"train\", \"device\": \"$1\", \"preset\": \"$2\", \"precision\": \"$3\", \"pairs_per_s\": ${rate:-null}}"
done

# 3. PyTorch + timm on the same GPU: the ARNet-like ViT-B/16 step (two encoders, four views of
# batch 16, three InfoNCE terms, Adam), fp32 and bf16 autocast.
if [ "$DRY" != 1 ] && python3 -c "import torch, timm; assert torch.cuda.is_available()" 2>/dev/null; then
  python3 - "$RESULTS" <<'PY'
import json, sys, time
import timm, torch
def nce(a, b, t=0.07):
    z = torch.nn.functional.normalize(torch.cat([a, b]), dim=1)
    n = a.shape[0]
    s = z @ z.T / t
    s.fill_diagonal_(-1e9)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).cuda()
    return torch.nn.functional.cross_entropy(s, target)
m1 = timm.create_model("vit_base_patch16_224", num_classes=512).cuda()
m2 = timm.create_model("vit_base_patch16_224", num_classes=512).cuda()
opt = torch.optim.Adam(list(m1.parameters()) + list(m2.parameters()), lr=1e-4, weight_decay=1e-4)
for amp in (False, True):
    def step():
        x = [torch.rand(16, 3, 224, 224, device="cuda") for _ in range(4)]
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            e = [m1(x[0]), m1(x[1]), m2(x[2]), m2(x[3])]
        e = [v.float() for v in e]
        loss = nce(e[0], e[2]) + nce(e[0], e[1]) + nce(e[2], e[3])
        opt.zero_grad()
        loss.backward()
        opt.step()
    for _ in range(3):
        step()
    torch.cuda.synchronize()
    t = time.time()
    for _ in range(10):
        step()
    torch.cuda.synchronize()
    rate = 160 / (time.time() - t)
    name = "bf16" if amp else "fp32"
    print(f"== torch {torch.__version__} ViT-B/16 ARNet-like step, batch 16, {name}: {rate:.1f} pairs/s")
    with open(sys.argv[1], "a") as f:
        f.write(json.dumps({"check": "torch", "precision": name, "pairs_per_s": rate}) + "\n")
PY
else
  echo "== PyTorch baseline skipped (dry run, or no CUDA torch)"
fi

# 4. The demo recipe's epoch: EfficientNet-Lite0 at 160 px, batch 32, on 500 garments x 3
# sketches (the bundled model's data size; random start weights cost the same per epoch).
demo_device=${gpus[0]:-cpu}
if [ "$DRY" = 1 ]; then dphotos=16; dsketches=2; else dphotos=500; dsketches=3; fi
"$A" synth --out "$WORK/demo" --photos $dphotos --sketches-per-photo $dsketches --seed 101 \
  --test-fraction 0 --style varied >/dev/null
start=$(seconds_now)
"$A" train --data "$WORK/demo" --out "$WORK/demo-run" --device "$demo_device" \
  --backbone efficientnet-lite0 --image-size 160 --batch-size 32 --lr 1e-4 --epochs 1 \
  --events json > "$WORK/demo-events.jsonl" 2> "$WORK/demo-train.err"
end=$(seconds_now)
grep -E "^epoch [0-9]+/[0-9]+:|error" "$WORK/demo-train.err" | tr '\r' '\n'
epoch_s=$(tail -1 "$WORK/demo-run/metrics.csv" 2>/dev/null | cut -d, -f11)
echo "== demo recipe on $demo_device: epoch ${epoch_s:-?} s, whole command $(python3 -c "print(round($end - $start, 1))") s"
record "{\"check\": \"demo_epoch\", \"device\": \"$demo_device\", \"epoch_s\": ${epoch_s:-null}, \"command_s\": $(python3 -c "print(round($end - $start, 1))")}"

python3 - "$RESULTS" "$OUT/gpu_check.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
json.dump(rows, open(sys.argv[2], "w"), indent=1)
train = {(r["device"], r["precision"]): r["pairs_per_s"] for r in rows if r["check"] == "train"}
torch = {r["precision"]: r["pairs_per_s"] for r in rows if r["check"] == "torch"}
for device in sorted({d for d, _ in train}):
    f32, bf16 = train.get((device, "f32")), train.get((device, "bf16"))
    if f32 and torch.get("fp32"):
        print(f"{device} f32 / torch fp32: {f32 / torch['fp32']:.2f} (target >= 1)")
    if f32 and bf16:
        print(f"{device} bf16 / {device} f32: {bf16 / f32:.2f} (target >= 1.5)")
PY
echo "results: $OUT/gpu_check.json"
