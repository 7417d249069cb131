#!/usr/bin/env python3
"""One whole epoch of a plain PyTorch + timm ARNet-Basic trainer on a data folder, the baseline
of scripts/bench_epoch.sh: what `arnet train --epochs 1` does, the PyTorch way.

    python3 scripts/bench_epoch_torch.py DATA OUT --init BACKBONE.safetensors [--batch-size 8]

Steps, timed together from start to end (as `arnet train` is timed as a process):
- read the folder's train split (trainA/STEM_N.png sketches, trainB/STEM.png photos), hold out
  10 % of the photos (seeded) with their sketches for validation;
- decode every image once (PIL, RGB on white), A0 = resize to 224 (bilinear);
- two encoders (timm ViT from BACKBONE, Linear(features -> 512) head), Adam (0.9, 0.999,
  eps 1e-8, L2 1e-4 added to the gradient), lr 1e-4;
- each step: a shuffled batch, A1 views made on the fly (resize 268, rotation up to +-30
  degrees with white corners, horizontal flip p = 0.8, centre crop 224; torchvision), the four
  InfoNCE terms at 0.07 (multi-modal on the heads, inter-sample and both intra-sample terms on
  the class tokens), backward, Adam;
- validation: embed the held-out sketches and photos, Acc@1;
- save both encoders (torch.save), as a checkpoint.
Prints one JSON line: pairs trained, wall seconds, seconds per training pair, val Acc@1.
Threads: $BENCH_THREADS (default: all cores).
"""

import argparse
import json
import os
import random
import time

import safetensors.torch
import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torchvision.transforms import functional as TF
from torchvision.transforms import InterpolationMode

TAU = 0.07
SIZE = 224


def load_rgb(path):
    image = Image.open(path)
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image)
    return image.convert("RGB")


def read_split(data, seed):
    photos = sorted(os.listdir(os.path.join(data, "trainB")))
    stems = {os.path.splitext(p)[0]: p for p in photos}
    sketches = []
    for name in sorted(os.listdir(os.path.join(data, "trainA"))):
        stem = os.path.splitext(name)[0].rsplit("_", 1)[0]
        if stem in stems:
            sketches.append((name, stem))
    order = sorted(stems)
    random.Random(seed).shuffle(order)
    held = set(order[: max(1, round(0.1 * len(order)))])
    return stems, sketches, held


class Encoder(nn.Module):
    def __init__(self, init):
        super().__init__()
        self.net = timm.create_model("vit_tiny_patch16_224", pretrained=False, num_classes=0)
        state = safetensors.torch.load_file(init)
        self.net.load_state_dict({k: v for k, v in state.items() if not k.startswith("head")},
                                 strict=False)
        self.head = nn.Linear(self.net.num_features, 512)

    def forward(self, x):
        cls = self.net.forward_features(x)[:, 0]
        return self.head(cls), cls


def info_nce(f1, f2):
    b = f1.shape[0]
    z = torch.cat([F.normalize(f1, dim=1), F.normalize(f2, dim=1)], 0)
    s = z @ z.T / TAU
    s = s.masked_fill(torch.eye(2 * b, dtype=torch.bool), -1e9)
    target = torch.cat([torch.arange(b, 2 * b), torch.arange(0, b)])
    return F.cross_entropy(s, target)


def a1(image, rng):
    view = image.resize((268, 268), Image.BILINEAR)
    view = TF.rotate(view, rng.uniform(-30, 30), interpolation=InterpolationMode.NEAREST,
                     fill=(255, 255, 255))
    if rng.random() < 0.8:
        view = TF.hflip(view)
    return TF.to_tensor(TF.center_crop(view, SIZE))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("out")
    parser.add_argument("--init", required=True)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", os.cpu_count())))
    start = time.perf_counter()
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    stems, sketches, held = read_split(args.data, args.seed)
    images = {}
    for stem, name in stems.items():
        images[("B", stem)] = load_rgb(os.path.join(args.data, "trainB", name))
    for name, _ in sketches:
        images[("A", name)] = load_rgb(os.path.join(args.data, "trainA", name))
    a0 = {k: TF.to_tensor(v.resize((SIZE, SIZE), Image.BILINEAR)) for k, v in images.items()}
    train = [(n, s) for n, s in sketches if s not in held]
    val = [(n, s) for n, s in sketches if s in held]

    sketch_encoder, photo_encoder = Encoder(args.init).train(), Encoder(args.init).train()
    params = list(sketch_encoder.parameters()) + list(photo_encoder.parameters())
    optimizer = torch.optim.Adam(params, lr=1e-4, betas=(0.9, 0.999), eps=1e-8,
                                 weight_decay=1e-4)
    rng.shuffle(train)
    pairs = 0
    for i in range(0, len(train) - 1, args.batch_size):
        batch = train[i:i + args.batch_size]
        if len(batch) < 2:
            break
        s0 = torch.stack([a0[("A", n)] for n, _ in batch])
        s1 = torch.stack([a1(images[("A", n)], rng) for n, _ in batch])
        p0 = torch.stack([a0[("B", s)] for _, s in batch])
        p1 = torch.stack([a1(images[("B", s)], rng) for _, s in batch])
        optimizer.zero_grad(set_to_none=True)
        e_s, c_s = sketch_encoder(s0)
        _, c_sa = sketch_encoder(s1)
        e_p, c_p = photo_encoder(p0)
        _, c_pa = photo_encoder(p1)
        loss = info_nce(e_s, e_p) + info_nce(c_s, c_p) + info_nce(c_s, c_sa) + info_nce(c_p, c_pa)
        loss.backward()
        optimizer.step()
        pairs += len(batch)

    sketch_encoder.eval()
    photo_encoder.eval()
    with torch.no_grad():
        held_stems = sorted(held)
        photos = torch.cat([photo_encoder(torch.stack([a0[("B", s)] for s in held_stems[i:i + 32]]))[0]
                            for i in range(0, len(held_stems), 32)])
        queries = torch.cat([sketch_encoder(torch.stack([a0[("A", n)] for n, _ in val[i:i + 32]]))[0]
                             for i in range(0, len(val), 32)])
        scores = F.normalize(queries, dim=1) @ F.normalize(photos, dim=1).T
        best = scores.argmax(1).tolist()
        acc1 = 100.0 * sum(held_stems[b] == s for b, (_, s) in zip(best, val)) / max(1, len(val))
    os.makedirs(args.out, exist_ok=True)
    torch.save({"sketch": sketch_encoder.state_dict(), "photo": photo_encoder.state_dict(),
                "optimizer": optimizer.state_dict()}, os.path.join(args.out, "checkpoint.pt"))
    seconds = time.perf_counter() - start
    print(json.dumps({"impl": "torch", "pairs": pairs, "seconds": seconds,
                      "s_per_pair": seconds / max(1, pairs), "val_acc1": acc1,
                      "torch": torch.__version__, "timm": timm.__version__}), flush=True)


if __name__ == "__main__":
    main()
