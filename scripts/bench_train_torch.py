#!/usr/bin/env python3
"""Times one ARNet-Basic training step in PyTorch + timm the way
`training/benches/train_speed.rs` times `arnet train`'s step: two encoders (timm backbone +
Linear(features -> 512) head), four views (sketch, augmented sketch, photo, augmented photo) of
fixed random batches in [0, 1], the four InfoNCE terms at 0.07 (multi-modal on the heads'
embeddings, inter-sample and the two intra-sample terms on the class features), backward, Adam
(0.9, 0.999, eps 1e-8, L2 weight decay 1e-4 added to the gradient, as Burn's). One warm-up step,
then the median of $BENCH_STEPS (default 3). Random init, fp32. Prints one JSON line per case.

Matching the Rust models: EfficientNet-Lite0 keeps every BatchNorm on its running statistics
(eval mode) while its scale and shift train, as `FrozenBatchNorm2d` does, and normalises its
input inside the network ((255 x - 127) / 128); DINOv2 normalises with ImageNet's mean and std.
Threads: $BENCH_THREADS (default: all cores). Cases: $BENCH_CASES (comma-separated).
"""
import json
import os
import statistics
import time

import timm
import torch
import torch.nn as nn
import torch.nn.functional as F

threads = int(os.environ.get("BENCH_THREADS", os.cpu_count()))
torch.set_num_threads(threads)
steps = max(1, int(os.environ.get("BENCH_STEPS", "3")))
TAU = 0.07

CASES = {
    # case: (timm name, build overrides, image size, batch, input mean, input std)
    "vit_ti_224": ("vit_tiny_patch16_224", {}, 224, 8, None, None),
    "efficientnet_lite0_160": ("tf_efficientnet_lite0", {}, 160, 32,
                               (127 / 255,) * 3, (128 / 255,) * 3),
    "dinov2_s14_112": ("vit_small_patch14_dinov2", {"img_size": 112}, 112, 32,
                       (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}


class Encoder(nn.Module):
    def __init__(self, name, overrides, mean, std):
        super().__init__()
        self.net = timm.create_model(name, pretrained=False, num_classes=0, **overrides)
        self.head = nn.Linear(self.net.num_features, 512)
        self.is_vit = hasattr(self.net, "blocks") and hasattr(self.net, "cls_token")
        if mean is not None:
            self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1))
            self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1))
        else:
            self.mean = None

    def train(self, mode=True):
        super().train(mode)
        for m in self.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.eval()  # frozen statistics, trained scale and shift
        return self

    def forward(self, x):
        if self.mean is not None:
            x = (x - self.mean) / self.std
        if self.is_vit:
            cls = self.net.forward_features(x)[:, 0]
        else:
            cls = self.net(x)  # global average pool of the last feature map
        return self.head(cls), cls


def info_nce(f1, f2):
    b = f1.shape[0]
    z = torch.cat([F.normalize(f1, dim=1), F.normalize(f2, dim=1)], 0)
    s = z @ z.T / TAU
    s = s.masked_fill(torch.eye(2 * b, dtype=torch.bool), -1e9)
    target = torch.cat([torch.arange(b, 2 * b), torch.arange(0, b)])
    return F.cross_entropy(s, target)


def time_case(case):
    name, overrides, size, batch, mean, std = CASES[case]
    torch.manual_seed(0)
    sketch_encoder = Encoder(name, overrides, mean, std).train()
    photo_encoder = Encoder(name, overrides, mean, std).train()
    params = list(sketch_encoder.parameters()) + list(photo_encoder.parameters())
    optimizer = torch.optim.Adam(params, lr=1e-4, betas=(0.9, 0.999), eps=1e-8,
                                 weight_decay=1e-4)
    views = [torch.rand(batch, 3, size, size) for _ in range(4)]
    times, losses = [], []
    for step in range(steps + 1):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        e_s, c_s = sketch_encoder(views[0])
        _, c_sa = sketch_encoder(views[1])
        e_p, c_p = photo_encoder(views[2])
        _, c_pa = photo_encoder(views[3])
        loss = info_nce(e_s, e_p) + info_nce(c_s, c_p) + info_nce(c_s, c_sa) + info_nce(c_p, c_pa)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step > 0:
            times.append(time.perf_counter() - start)
    t = statistics.median(times)
    print(json.dumps({"impl": "torch", "backend": f"torch-{torch.__version__}-timm-{timm.__version__}-{threads}threads",
                      "case": case, "batch": batch, "image_size": size, "steps": steps,
                      "median_s_per_step": t, "pairs_per_s": batch / t,
                      "mean_loss": sum(losses) / len(losses)}), flush=True)


for case in os.environ.get("BENCH_CASES", ",".join(CASES)).split(","):
    if case:
        time_case(case)
