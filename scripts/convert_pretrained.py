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

`--out DIR` (default: `pretrained/` in the repository root); `--only NAME` converts one of
efficientnet-lite0, dinov2-s14, hed (default: all of them); `--dinov2-image-size N` (default
224, a multiple of 14) is the input size the DINOv2 position embedding is resampled for.

Each converter and its check is a module of scripts/pretrained/. What each file is, the names
and metadata written, and how and why each conversion is checked:
docs/pretrained-conversion.md.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # run from elsewhere than scripts/, or imported as a module
    sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no scripts/pretrained/__pycache__ in the working tree

import torch  # noqa: E402

from pretrained.common import ROOT  # noqa: E402
from pretrained.dinov2 import DINOV2_PATCH, convert_dinov2_s14  # noqa: E402
from pretrained.efficientnet_lite0 import convert_efficientnet_lite0  # noqa: E402
from pretrained.hed import convert_hed  # noqa: E402

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
