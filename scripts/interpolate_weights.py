#!/usr/bin/env python3
"""Interpolates two weight files of the same model (a "model soup" of two points on one
fine-tuning path): OUT = (1 - alpha) * START + alpha * END for every floating-point tensor.

Used for the bundled model (docs/real-photos.md): END was trained from START on synthetic and
real garments; moving part of the way back towards START keeps more of what START knew.

  interpolate_weights.py START END ALPHA OUT

Needs numpy and safetensors (pip).
"""
import sys

import numpy as np
from safetensors.numpy import load_file, save_file


def main():
    start_path, end_path, alpha, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    start, end = load_file(start_path), load_file(end_path)
    if start.keys() != end.keys():
        raise SystemExit(f"{start_path} and {end_path} hold different tensors")
    mixed = {}
    for name, a in start.items():
        b = end[name]
        if a.shape != b.shape:
            raise SystemExit(f"{name}: shape {a.shape} in {start_path}, {b.shape} in {end_path}")
        if np.issubdtype(a.dtype, np.floating):
            mixed[name] = ((1 - alpha) * a.astype(np.float64) + alpha * b).astype(a.dtype)
        else:
            mixed[name] = b
    with open(start_path, "rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
        import json
        metadata = json.loads(f.read(header_len)).get("__metadata__")
    save_file(mixed, out, metadata=metadata)
    print(f"{out}: {alpha} of {end_path}, {1 - alpha} of {start_path}")


if __name__ == "__main__":
    main()
