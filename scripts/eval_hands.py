#!/usr/bin/env python3
"""Sketches of a photo folder by two evaluation "hands" that the model never trains on.

The trainer's own sketches of photos (`arnet pseudo-sketch --method traced`, Rust) and this
script share no code: it is written separately, with OpenCV, to measure the model on a hand it
has not seen (docs/real-photos.md). Never train on its output.

  careful   the garment's outer contour (darker than the border's median), jittered point by
            point and smoothed along the curve, drawn in two or three anti-aliased strokes 2-4 px wide,
            plus the two or three longest inner Canny lines (a collar, a seam, a zip)
  quick     a designer's quick take: the contour simplified to a polygon (Douglas-Peucker at
            1-2.5 % of its length), thick lines (4-7 px), no inner lines, a visible shift

Usage: eval_hands.py PHOTOS_DIR OUT_DIR --hand careful|quick [--seed S]
Writes OUT_DIR/STEM_1.png for every PHOTOS_DIR/STEM.png (the trainer's sketch naming).
Needs numpy and opencv-python-headless (pip).
"""
import argparse
import pathlib

import cv2
import numpy as np


def garment_contour(gray):
    blur = cv2.GaussianBlur(gray, (5, 5), 0)
    border = np.concatenate([blur[0], blur[-1], blur[:, 0], blur[:, -1]])
    mask = np.where(blur < np.median(border) - 10, 255, 0).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None, mask
    return max(contours, key=cv2.contourArea)[:, 0, :].astype(np.float64), mask


def smooth_closed(points, sigma):
    n = len(points)
    radius = int(3 * sigma)
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    padded = np.concatenate([points[-radius:], points, points[:radius]])
    xs = np.convolve(padded[:, 0], k, mode="valid")
    ys = np.convolve(padded[:, 1], k, mode="valid")
    return np.stack([xs, ys], axis=1)[:n]


def draw_strokes(canvas, strokes, thickness):
    for stroke in strokes:
        pts = np.round(stroke * 16).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(canvas, [pts], False, 0, thickness, cv2.LINE_AA, shift=4)


def affine(points, scale, shift, centre):
    return (points - centre) * scale + centre + shift


def careful(gray, rng):
    contour, mask = garment_contour(gray)
    h, w = gray.shape
    canvas = np.full((h, w), 255, np.uint8)
    if contour is None or len(contour) < 10:
        return canvas
    centre = np.array([w / 2, h / 2])
    scale, shift = rng.uniform(0.96, 1.04), rng.normal(0, 3, 2)
    sparse = contour[:: max(1, int(rng.uniform(3, 6)))]
    sparse = sparse + rng.normal(0, 1.0, sparse.shape)
    smooth = smooth_closed(sparse, rng.uniform(1.0, 2.0))
    cuts = sorted(rng.choice(len(smooth), size=rng.integers(1, 3), replace=False))
    rolled = np.roll(smooth, -cuts[0], axis=0)
    bounds = [0] + [c - cuts[0] for c in cuts[1:]] + [len(rolled)]
    strokes = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        piece = rolled[a : b + 2] if b + 2 <= len(rolled) else np.vstack([rolled[a:], rolled[:1]])
        strokes.append(affine(piece, scale, shift, centre))
    thickness = int(rng.integers(2, 5))
    draw_strokes(canvas, strokes, thickness)
    # A few inner lines: the longest Canny pieces well inside the garment.
    inner = cv2.erode(mask, np.ones((9, 9), np.uint8))
    edges = cv2.Canny(cv2.GaussianBlur(gray, (5, 5), 0), 30, 90)
    edges[inner == 0] = 0
    pieces, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    pieces = sorted(pieces, key=lambda c: -cv2.arcLength(c, False))[: int(rng.integers(0, 4))]
    inner_strokes = []
    for piece in pieces:
        p = piece[:, 0, :].astype(np.float64)
        if cv2.arcLength(piece, False) < 30:
            continue
        p = p[: len(p) // 2 + 1][::4] + rng.normal(0, 0.8, (len(p[: len(p) // 2 + 1][::4]), 2))
        inner_strokes.append(affine(p, scale, shift, centre))
    draw_strokes(canvas, inner_strokes, max(1, thickness - 1))
    return canvas


def quick(gray, rng):
    contour, _ = garment_contour(gray)
    h, w = gray.shape
    canvas = np.full((h, w), 255, np.uint8)
    if contour is None or len(contour) < 10:
        return canvas
    closed = contour.astype(np.float32).reshape(-1, 1, 2)
    eps = rng.uniform(0.01, 0.025) * cv2.arcLength(closed, True)
    poly = cv2.approxPolyDP(closed, eps, True)[:, 0, :].astype(np.float64)
    poly = poly + rng.normal(0, 2.0, poly.shape)
    centre = np.array([w / 2, h / 2])
    poly = affine(poly, rng.uniform(0.9, 1.08), rng.normal(0, 6, 2), centre)
    draw_strokes(canvas, [np.vstack([poly, poly[:1]])], int(rng.integers(4, 8)))
    return canvas


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", type=pathlib.Path)
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--hand", choices=["careful", "quick"], required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    draw = {"careful": careful, "quick": quick}[args.hand]
    photos = sorted(args.photos.glob("*.png"))
    for i, photo in enumerate(photos):
        gray = cv2.imread(str(photo), cv2.IMREAD_GRAYSCALE)
        if gray is None:
            raise SystemExit(f"{photo}: cannot read")
        rng = np.random.default_rng([args.seed, i])
        sketch = draw(gray, rng)
        cv2.imwrite(str(args.out / f"{photo.stem}_1.png"), cv2.cvtColor(sketch, cv2.COLOR_GRAY2RGB))
    print(f"{len(photos)} sketches ({args.hand}) in {args.out}")


if __name__ == "__main__":
    main()
