#!/usr/bin/env python3
"""How well a model's *photo* space keeps kinds of garment together: for each photo, the share
of its ten nearest other photos (cosine, photo encoder) that are its kind. This bounds what
"more like this" can bring (docs/feedback.md): the liked photo's neighbours.

  arnet embed --weights W --encoder image DIR/*.png > photos.jsonl
  photo_neighbours.py photos.jsonl LABELS.json

Prints overall and per-kind precision@10 as one JSON object. Needs numpy.
"""
import json
import pathlib
import sys

import numpy as np


def main():
    lines = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    labels = json.load(open(sys.argv[2]))
    stems = [pathlib.Path(item["path"]).stem for item in lines]
    kinds = [labels[s] for s in stems]
    x = np.array([item["embedding"] for item in lines], dtype=np.float64)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    sim = x @ x.T
    np.fill_diagonal(sim, -np.inf)
    nearest = np.argsort(-sim, axis=1)[:, :10]
    hits = np.array([[kinds[j] == kinds[i] for j in row] for i, row in enumerate(nearest)])
    per_kind = {}
    for kind in sorted(set(kinds)):
        rows = [i for i, k in enumerate(kinds) if k == kind]
        per_kind[kind] = round(100 * hits[rows].mean(), 1)
    print(json.dumps({"p_at_10": round(100 * hits.mean(), 1), "per_kind": per_kind}))


if __name__ == "__main__":
    main()
