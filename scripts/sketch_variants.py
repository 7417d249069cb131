#!/usr/bin/env python3
"""Variants of a folder of sketches, to measure how robust retrieval is to how a drawing sits on
the page and how it is inked (docs/results.md, "Robustness").

  sketch_variants.py SKETCH_DIR OUT_DIR --variant small|corner|thick|thin|rotate|squash [--seed 5]

Each PNG of SKETCH_DIR is written to OUT_DIR under the same name, changed:

- small:  scaled to 55 % of the page, at a random place on it;
- corner: scaled to 40 % of the page, in a corner (a drawing started in the top left);
- thick:  lines about three times as wide (a felt pen);
- thin:   lines thinned towards one pixel (a hard pencil), lighter;
- rotate: turned 12-18 degrees either way;
- squash: 70 % as wide (a narrow hand).

Needs numpy and opencv-python-headless. Shares no code with the trainer.
"""
import argparse
import pathlib

import cv2
import numpy as np


def place(image, scale, rng, corner=False):
    h, w = image.shape[:2]
    small = cv2.resize(image, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
    page = np.full_like(image, 255)
    sh, sw = small.shape[:2]
    if corner:
        y, x = int(rng.integers(0, h // 20 + 1)), int(rng.integers(0, w // 20 + 1))
    else:
        y, x = int(rng.integers(0, h - sh + 1)), int(rng.integers(0, w - sw + 1))
    page[y:y + sh, x:x + sw] = small
    return page


def variant(image, name, rng):
    h, w = image.shape[:2]
    if name == "small":
        return place(image, 0.55, rng)
    if name == "corner":
        return place(image, 0.40, rng, corner=True)
    if name == "thick":
        ink = 255 - image
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        return 255 - cv2.dilate(ink, kernel)
    if name == "thin":
        ink = (image < 160).astype(np.uint8)
        thin = cv2.ximgproc.thinning(ink * 255) if hasattr(cv2, "ximgproc") else None
        if thin is None:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
            thin = cv2.erode(ink * 255, kernel)
            thin = np.where(thin > 0, 255, np.where(ink > 0, 0, 0)).astype(np.uint8)
            if thin.sum() < ink.sum() * 255 * 0.2:
                thin = ink * 255
        return np.where(thin > 0, 90, 255).astype(np.uint8)
    if name == "rotate":
        angle = float(rng.uniform(12, 18)) * (1 if rng.random() < 0.5 else -1)
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        return cv2.warpAffine(image, m, (w, h), borderValue=255)
    if name == "squash":
        narrow = cv2.resize(image, (int(w * 0.7), h), interpolation=cv2.INTER_AREA)
        page = np.full_like(image, 255)
        x = (w - narrow.shape[1]) // 2
        page[:, x:x + narrow.shape[1]] = narrow
        return page
    raise SystemExit(f"unknown variant {name}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sketches", type=pathlib.Path)
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--variant", required=True)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in sorted(args.sketches.glob("*.png")):
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        cv2.imwrite(str(args.out / path.name), variant(image, args.variant, rng))


if __name__ == "__main__":
    main()
