#!/usr/bin/env bash
# The checks README's "What ran where" reports for a real GPU: each GPU backend against the CPU
# backend on the parity-a fixture, training throughput (ViT-B/16 and the demo preset, f32 and
# bf16), and a PyTorch/timm baseline of an ARNet-like training step on the same GPU (needs
# python3 with torch + timm and CUDA).
#
#   ARNET=path/to/arnet bash scripts/gpu_check.sh
#
# GPU backends tried: wgpu (needs a Vulkan loader and the vendor's Vulkan driver) and, when the
# binary was built with `--features cuda` (scripts/setup-cuda-build.sh), cuda (needs the NVIDIA
# driver and libdevice: CUDA_PATH, see README "CUDA"). A backend the binary or the machine
# lacks is reported and skipped. BACKENDS="cuda" limits the list. First runs compile kernels
# (a minute or more for ViT-B); the second epoch's pairs/s is the steady-state figure.
set -uo pipefail
cd "$(dirname "$0")/.."
A=${ARNET:-target/release/arnet}
WORK=${WORK:-$(mktemp -d)}
P=tests/fixtures/parity-a
nvidia-smi --query-gpu=name,driver_version --format=csv 2>/dev/null

embed() {
  "$A" embed --device "$1" --heads 4 --weights $P/checkpoint.pth $P/input_sketch.png \
    $P/input_colour.png > "$WORK/embed_$1.jsonl"
}
embed cpu || exit 1
gpus=()
for d in ${BACKENDS:-wgpu cuda}; do
  if embed "$d" 2> "$WORK/embed_$d.err"; then
    gpus+=("$d")
    python3 - "$WORK" "$d" <<'PY'
import json, sys
w, d = sys.argv[1:]
a = [json.loads(l)["embedding"] for l in open(w + "/embed_cpu.jsonl")]
b = [json.loads(l)["embedding"] for l in open(w + f"/embed_{d}.jsonl")]
print(f"{d} vs cpu, parity-a: max abs diff", max(abs(x - y) for u, v in zip(a, b) for x, y in zip(u, v)))
PY
  else
    echo "== $d skipped: $(tail -1 "$WORK/embed_$d.err")"
  fi
done

"$A" synth --out "$WORK/s" --photos 300 --sketches-per-photo 1 --seed 1 --test-fraction 0.1 >/dev/null
configs=()
for d in "${gpus[@]}"; do configs+=("$d vit-b f32" "$d vit-b bf16" "$d demo f32" "$d demo bf16"); done
configs+=("cpu demo f32")
for cfg in "${configs[@]}"; do
  set -- $cfg
  echo "== train --device $1 --preset $2 --precision $3"
  "$A" train --data "$WORK/s" --out "$WORK/r-$1-$2-$3" --device $1 --preset $2 --precision $3 \
    --epochs 2 --batch-size 16 --lr 1e-4 2>&1 | tr '\r' '\n' | grep -E "^epoch [0-9]+/[0-9]+:|error"
done

python3 - <<'PY'
import time
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
        x = [torch.randn(16, 3, 224, 224, device="cuda") for _ in range(4)]
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
    print(f"torch {torch.__version__}: ViT-B ARNet-like step, batch 16, 4 views,",
          "bf16 autocast" if amp else "fp32", f"{160 / (time.time() - t):.1f} pairs/s")
PY
