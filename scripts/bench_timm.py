#!/usr/bin/env python3
"""Times timm's ViT-B/16 (+ a Linear 768->512 head, L2-normalised) the way
`model/benches/embed_speed.rs` times ours: random init, fp32, eval, no_grad, median of runs
after one warm-up. Prints one JSON line per case. Threads: $BENCH_THREADS (default: all cores).
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
runs = int(os.environ.get("BENCH_RUNS", "5"))

vit = timm.create_model("vit_base_patch16_224", pretrained=False, num_classes=0).eval()
head = torch.nn.Linear(768, 512).eval()


def embed(x):
    return F.normalize(head(vit.forward_features(x)[:, 0]), dim=1)


for case, batch, n in (("sketch_embedding", 1, runs), ("photo_embedding", 16, max(3, (runs + 1) // 2))):
    x = torch.rand(batch, 3, 224, 224)
    with torch.no_grad():
        embed(x)
        times = []
        for _ in range(n):
            start = time.perf_counter()
            embed(x)
            times.append(time.perf_counter() - start)
    t = statistics.median(times)
    print(json.dumps({"impl": "timm", "backend": f"torch-{torch.__version__}-{threads}threads",
                      "case": case, "batch": batch, "runs": n,
                      "median_s_per_batch": t, "median_s_per_image": t / batch}), flush=True)
