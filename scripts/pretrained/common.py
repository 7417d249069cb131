"""Shared helpers of the converters: failing with a message, locating a file inside an
installed package, the images the checks run on (three synthetic images and up to three
repository gallery photos) and their input tensors, writing a safetensors file atomically, and
the ImageNet class names printed by the EfficientNet-Lite0 check."""

import glob
import hashlib
import os
import sys
import tempfile

import numpy as np
import safetensors.torch
import torch
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOLERANCE = 1e-4
CHECK_SIZE = 224


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
