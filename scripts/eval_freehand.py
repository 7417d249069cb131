#!/usr/bin/env python3
"""Free-hand drawings of kinds of garment, for *evaluation only*: what a designer draws from the
idea of a garment, not by tracing a photo.

Written separately from the trainer's free-hand sketcher (training/src/freehand/, Rust): its own
templates (hand-placed outlines on a 100 x 100 grid, several variants per kind, with their
details), its own smoothing (Chaikin corner cutting), its own hand (per-point wobble, pen lifts,
gaps, scribbled buttons) and OpenCV's rasteriser. It shares no code and no geometry with the
trainer. Never train on its output (docs/results.md, "Free-hand drawings").

  eval_freehand.py OUT_DIR [--per-kind 30] [--seed 7] [--size 224]

Writes OUT_DIR/fh-KIND-NNN.png for the six Fashion-MNIST garment kinds and OUT_DIR/labels.json
({"fh-KIND-NNN": "class"}, the class names `arnet data fashion-mnist` writes), the format
`arnet eval --labels` reads for sketches of no photo. Needs numpy and opencv-python-headless.
"""
import argparse
import json
import pathlib

import cv2
import numpy as np

# Each template: "outline" (a closed polygon, clockwise from the top left, on a 100 x 100 grid,
# y down) and "details" (open polylines; "dots" lists button positions).
TEMPLATES = {
    "t-shirt/top": [
        {  # a classic tee, sleeves out at an angle
            "outline": [(38, 18), (44, 22), (50, 23), (56, 22), (62, 18), (78, 24), (88, 40),
                        (76, 46), (70, 40), (70, 84), (30, 84), (30, 40), (24, 46), (12, 40),
                        (22, 24)],
            "details": [[(38, 18), (50, 27), (62, 18)], [(72, 42), (82, 36)], [(28, 42), (18, 36)]],
        },
        {  # a tank top
            "outline": [(36, 14), (42, 14), (44, 26), (50, 30), (56, 26), (58, 14), (64, 14),
                        (66, 30), (72, 40), (72, 86), (28, 86), (28, 40), (34, 30)],
            "details": [[(30, 80), (70, 80)]],
        },
        {  # a boxy tee, wide short sleeves nearly horizontal
            "outline": [(40, 20), (50, 25), (60, 20), (74, 22), (94, 30), (92, 44), (74, 42),
                        (74, 80), (26, 80), (26, 42), (8, 44), (6, 30), (26, 22)],
            "details": [[(40, 20), (50, 22), (60, 20)], [(30, 60), (40, 54), (50, 60), (60, 54),
                                                         (70, 60)]],
        },
        {  # a long top, cap sleeves
            "outline": [(40, 14), (50, 20), (60, 14), (72, 18), (80, 30), (70, 34), (68, 30),
                        (68, 88), (32, 88), (32, 30), (30, 34), (20, 30), (28, 18)],
            "details": [[(40, 14), (50, 16), (60, 14)]],
        },
    ],
    "trouser": [
        {  # straight trousers
            "outline": [(30, 8), (70, 8), (72, 30), (74, 92), (56, 92), (51, 36), (49, 36),
                        (44, 92), (26, 92), (28, 30)],
            "details": [[(30, 14), (70, 14)], [(50, 14), (52, 30)], [(62, 40), (64, 88)],
                        [(38, 40), (36, 88)]],
        },
        {  # wide-leg trousers
            "outline": [(32, 6), (68, 6), (72, 28), (84, 94), (56, 94), (50, 40), (44, 94),
                        (16, 94), (28, 28)],
            "details": [[(32, 12), (68, 12)], [(36, 12), (30, 24)], [(64, 12), (70, 24)]],
        },
        {  # slim trousers, seen a little from the side
            "outline": [(34, 8), (66, 8), (68, 34), (64, 94), (53, 94), (51, 40), (48, 40),
                        (46, 94), (35, 94), (32, 34)],
            "details": [[(34, 13), (66, 13)], [(50, 13), (50, 34)]],
        },
    ],
    "pullover": [
        {  # crew neck, sleeves along the body, ribbed cuffs and hem
            "outline": [(40, 14), (50, 19), (60, 14), (74, 18), (84, 30), (90, 80), (78, 82),
                        (74, 40), (72, 86), (28, 86), (26, 40), (22, 82), (10, 80), (16, 30),
                        (26, 18)],
            "details": [[(40, 14), (50, 22), (60, 14)], [(28, 78), (72, 78)],
                        [(79, 76), (89, 74)], [(21, 76), (11, 74)],
                        [(36, 78), (36, 86)], [(50, 78), (50, 86)], [(64, 78), (64, 86)]],
        },
        {  # a turtleneck
            "outline": [(42, 8), (58, 8), (58, 16), (74, 20), (86, 34), (88, 84), (76, 84),
                        (72, 44), (72, 88), (28, 88), (28, 44), (24, 84), (12, 84), (14, 34),
                        (26, 20), (42, 16)],
            "details": [[(42, 12), (58, 12)], [(28, 82), (72, 82)], [(76, 78), (88, 78)],
                        [(24, 78), (12, 78)]],
        },
        {  # V neck, sleeves slightly out
            "outline": [(40, 16), (50, 30), (60, 16), (76, 20), (92, 70), (82, 76), (72, 46),
                        (72, 86), (28, 86), (28, 46), (18, 76), (8, 70), (24, 20)],
            "details": [[(43, 16), (50, 26), (57, 16)], [(28, 80), (72, 80)],
                        [(84, 68), (90, 64)], [(16, 68), (10, 64)]],
        },
    ],
    "dress": [
        {  # fitted bodice, flared skirt, sleeveless
            "outline": [(38, 8), (44, 8), (50, 16), (56, 8), (62, 8), (64, 24), (60, 40),
                        (80, 92), (20, 92), (40, 40), (36, 24)],
            "details": [[(40, 40), (60, 40)], [(46, 44), (40, 88)], [(54, 44), (60, 88)]],
        },
        {  # short sleeves, A-line
            "outline": [(40, 8), (50, 14), (60, 8), (70, 12), (76, 22), (66, 26), (62, 36),
                        (76, 92), (24, 92), (38, 36), (34, 26), (24, 22), (30, 12)],
            "details": [[(38, 36), (62, 36)]],
        },
        {  # long sleeves, long dress
            "outline": [(42, 6), (50, 11), (58, 6), (68, 10), (80, 56), (72, 58), (62, 26),
                        (60, 38), (72, 96), (28, 96), (40, 38), (38, 26), (28, 58), (20, 56),
                        (32, 10)],
            "details": [[(40, 38), (60, 38)], [(50, 40), (50, 94)]],
        },
        {  # a slip dress, narrow straps, straight
            "outline": [(38, 6), (40, 6), (42, 20), (58, 20), (60, 6), (62, 6), (64, 22),
                        (62, 40), (70, 94), (30, 94), (38, 40), (36, 22)],
            "details": [[(42, 20), (50, 26), (58, 20)]],
        },
    ],
    "coat": [
        {  # long single-breasted coat, lapels, pockets
            "outline": [(40, 8), (50, 12), (60, 8), (74, 12), (86, 28), (90, 82), (80, 84),
                        (74, 40), (76, 96), (24, 96), (26, 40), (20, 84), (10, 82), (14, 28),
                        (26, 12)],
            "details": [[(40, 8), (44, 26), (50, 40)], [(60, 8), (56, 26), (50, 40)],
                        [(50, 40), (50, 96)], [(30, 70), (42, 70)], [(58, 70), (70, 70)]],
            "dots": [(46, 48), (46, 60), (46, 72)],
        },
        {  # double-breasted, belted
            "outline": [(38, 8), (50, 14), (62, 8), (76, 12), (88, 30), (92, 80), (82, 82),
                        (74, 42), (80, 94), (20, 94), (26, 42), (18, 82), (8, 80), (12, 30),
                        (24, 12)],
            "details": [[(38, 8), (42, 22), (56, 44)], [(62, 8), (58, 22), (56, 44)],
                        [(56, 44), (56, 94)], [(26, 56), (74, 56)], [(26, 60), (74, 60)]],
            "dots": [(44, 46), (62, 46), (44, 68), (62, 68)],
        },
        {  # a short jacket, zip front, collar up
            "outline": [(38, 6), (44, 12), (56, 12), (62, 6), (76, 14), (88, 30), (90, 76),
                        (80, 78), (74, 42), (74, 80), (26, 80), (26, 42), (20, 78), (10, 76),
                        (12, 30), (24, 14)],
            "details": [[(50, 12), (50, 80)], [(26, 74), (74, 74)], [(38, 6), (44, 16)],
                        [(62, 6), (56, 16)]],
        },
    ],
    "shirt": [
        {  # long-sleeved shirt: pointed collar, placket, buttons, cuffs
            "outline": [(40, 10), (50, 16), (60, 10), (74, 14), (86, 30), (90, 80), (80, 82),
                        (74, 42), (74, 84), (62, 88), (50, 90), (38, 88), (26, 84), (26, 42),
                        (20, 82), (10, 80), (14, 30), (26, 14)],
            "details": [[(40, 10), (44, 22), (50, 16)], [(60, 10), (56, 22), (50, 16)],
                        [(50, 16), (50, 90)], [(79, 74), (89, 72)], [(21, 74), (11, 72)],
                        [(30, 30), (40, 30), (40, 40), (30, 40), (30, 30)]],
            "dots": [(52, 28), (52, 42), (52, 56), (52, 70)],
        },
        {  # short-sleeved shirt
            "outline": [(40, 12), (50, 18), (60, 12), (74, 16), (88, 34), (78, 42), (72, 36),
                        (72, 82), (50, 88), (28, 82), (28, 36), (22, 42), (12, 34), (26, 16)],
            "details": [[(40, 12), (45, 24), (50, 18)], [(60, 12), (55, 24), (50, 18)],
                        [(50, 18), (50, 88)]],
            "dots": [(52, 30), (52, 46), (52, 62), (52, 76)],
        },
        {  # a loose shirt, rolled sleeves, curved tails
            "outline": [(40, 10), (50, 16), (60, 10), (76, 16), (92, 56), (82, 60), (72, 40),
                        (74, 80), (64, 90), (50, 84), (36, 90), (26, 80), (28, 40), (18, 60),
                        (8, 56), (24, 16)],
            "details": [[(40, 10), (46, 20), (50, 16)], [(60, 10), (54, 20), (50, 16)],
                        [(50, 16), (50, 84)], [(85, 52), (91, 50)], [(15, 52), (9, 50)]],
            "dots": [(52, 30), (52, 46), (52, 62)],
        },
    ],
}


def chaikin(points, closed, rounds):
    pts = np.asarray(points, np.float64)
    for _ in range(rounds):
        nxt = np.roll(pts, -1, axis=0) if closed else pts[1:]
        cur = pts if closed else pts[:-1]
        q = 0.75 * cur + 0.25 * nxt
        r = 0.25 * cur + 0.75 * nxt
        out = np.empty((2 * len(cur), 2))
        out[0::2], out[1::2] = q, r
        pts = out if closed else np.vstack([pts[:1], out, pts[-1:]])
    return pts


def densify(points, step):
    out = [points[0]]
    for a, b in zip(points[:-1], points[1:]):
        n = max(1, int(np.ceil(np.linalg.norm(b - a) / step)))
        out.extend(a + (b - a) * (k / n) for k in range(1, n + 1))
    return np.asarray(out)


def wobble(points, rng, amount):
    # A random walk of the hand along the line, low-passed: drifts rather than jitters.
    drift = np.cumsum(rng.normal(0, amount, points.shape), axis=0)
    width = min(9, len(points))
    kernel = np.ones(width) / width
    drift[:, 0] = np.convolve(drift[:, 0], kernel, mode="same")
    drift[:, 1] = np.convolve(drift[:, 1], kernel, mode="same")
    drift -= np.linspace(drift[0], drift[-1], len(drift))  # ends stay near their points
    return points + drift


def draw(kind, template, rng, size):
    canvas = np.full((size, size), 255, np.uint8)
    # The designer's own proportions: per-point noise, then a whole-figure affine.
    noise = rng.uniform(1.0, 3.0)
    sx, sy = rng.uniform(0.75, 1.0) * rng.uniform(0.9, 1.1, 2)
    angle = np.deg2rad(rng.uniform(-7, 7))
    shear = rng.uniform(-0.12, 0.12)
    shift = rng.uniform(-6, 6, 2)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])

    def place(points):
        p = np.asarray(points, np.float64) - 50.0
        p = p * [sx, sy]
        p[:, 0] += shear * p[:, 1]
        p = p @ rot.T + 50.0 + shift
        return p * size / 100.0

    def perturb(points):
        return np.asarray(points, np.float64) + rng.normal(0, noise, (len(points), 2))

    thickness = int(rng.integers(2, 7))
    ink = int(rng.integers(0, 90))
    strokes = []
    outline = chaikin(perturb(template["outline"]), closed=True, rounds=int(rng.integers(0, 3)))
    outline = place(outline)
    # Pen lifts: the outline in one to three strokes, sometimes with a small gap or overlap.
    lifts = int(rng.integers(1, 4))
    start = int(rng.integers(0, len(outline)))
    ring = np.vstack([np.roll(outline, -start, axis=0), np.roll(outline, -start, axis=0)[:1]])
    cuts = np.linspace(0, len(ring) - 1, lifts + 1).astype(int)
    for a, b in zip(cuts[:-1], cuts[1:]):
        piece = ring[a : b + 1]
        if len(piece) >= 2:
            strokes.append(piece)
    for detail in template["details"]:
        if rng.random() < 0.25:
            continue
        strokes.append(place(chaikin(perturb(detail), closed=False, rounds=1)))
    for stroke in strokes:
        line = wobble(densify(stroke, 2.0), rng, rng.uniform(0.05, 0.35))
        pts = np.round(line * 16).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(canvas, [pts], False, ink, thickness, cv2.LINE_AA, shift=4)
    if rng.random() < 0.8:
        for dot in template.get("dots", []):
            c = place(perturb([dot]))[0]
            radius = max(1, int(rng.integers(2, 5)))
            filled = -1 if rng.random() < 0.5 else max(1, thickness // 2)
            cv2.circle(canvas, (int(c[0]), int(c[1])), radius, ink, filled, cv2.LINE_AA)
    return canvas


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--per-kind", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--size", type=int, default=224)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    labels = {}
    for k, (kind, templates) in enumerate(sorted(TEMPLATES.items())):
        for i in range(args.per_kind):
            rng = np.random.default_rng([args.seed, k, i])
            template = templates[i % len(templates)]
            short = kind.split("/")[0]
            stem = f"fh-{short}-{i:03d}"
            cv2.imwrite(str(args.out / f"{stem}.png"), cv2.cvtColor(
                draw(kind, template, rng, args.size), cv2.COLOR_GRAY2BGR))
            labels[stem] = kind
    (args.out / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=True))
    print(f"wrote {len(labels)} drawings to {args.out}")


if __name__ == "__main__":
    main()
