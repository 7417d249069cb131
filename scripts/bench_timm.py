#!/usr/bin/env python3
"""Times timm's models (+ a Linear(features -> 512) head, L2-normalised) the way
`model/benches/embed_speed.rs` times ours: random init, fp32, eval, no_grad, images in [0, 1]
normalised as each model expects, median of runs after one warm-up. Prints one JSON line per
case. Threads: $BENCH_THREADS (default: all cores). Models: $BENCH_MODELS (comma-separated).
"""
import json
import os
import statistics
import time

import timm
import torch
import torch.nn.functional as F

threads = int(os.environ.get("BENCH_THREADS", os.cpu_count()))
torch.set_num_threads(threads)
runs = int(os.environ.get("BENCH_RUNS", "21"))

MODELS = {
    # model: (timm name, overrides, image size, input mean, input std)
    "vit_b16_224": ("vit_base_patch16_224", {}, 224, None, None),
    "efficientnet_lite0_160": ("tf_efficientnet_lite0", {}, 160,
                               (127 / 255,) * 3, (128 / 255,) * 3),
    "dinov2_s14_224": ("vit_small_patch14_dinov2", {"img_size": 224}, 224,
                       (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}


def build(model):
    name, overrides, size, mean, std = MODELS[model]
    net = timm.create_model(name, pretrained=False, num_classes=0, **overrides).eval()
    head = torch.nn.Linear(net.num_features, 512).eval()
    is_vit = hasattr(net, "cls_token")
    mean = torch.tensor(mean).view(1, 3, 1, 1) if mean else None
    std = torch.tensor(std).view(1, 3, 1, 1) if std else None

    def embed(x):
        if mean is not None:
            x = (x - mean) / std
        feature = net.forward_features(x)[:, 0] if is_vit else net(x)
        return F.normalize(head(feature), dim=1)

    return embed, size


for model in os.environ.get("BENCH_MODELS", ",".join(MODELS)).split(","):
    if not model:
        continue
    embed, size = build(model)
    for case, batch, n in (("sketch_embedding", 1, runs),
                           ("photo_embedding", 16, max(3, (runs + 1) // 2))):
        x = torch.rand(batch, 3, size, size)
        with torch.no_grad():
            embed(x)
            times = []
            for _ in range(n):
                start = time.perf_counter()
                embed(x)
                times.append(time.perf_counter() - start)
        t = statistics.median(times)
        print(json.dumps({"impl": "timm", "backend": f"timm-{timm.__version__}-torch-{torch.__version__}-{threads}threads",
                          "model": model, "case": case, "batch": batch, "runs": n,
                          "median_s_per_batch": t, "median_s_per_image": t / batch}), flush=True)
