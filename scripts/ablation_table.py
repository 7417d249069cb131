#!/usr/bin/env python3
"""The table and the curves of the pretrained ablation (docs/ablations.md) from the runs that
scripts/ablation.sh copied to docs/ablation/runs/VARIANT-sSEED/.

    python3 scripts/ablation_table.py [RUNS] [--png docs/ablation/saturation.png]

Prints a Markdown table: per variant, the number of seeds and the mean and sample standard
deviation over seeds of the best epoch's validation Acc@1, Acc@1 / Acc@10 on the demo
gallery's generated sketches, m@B and
Acc@1 on its app-drawn stroke lists, and Acc@1 / Acc@10 on the real photos (two hands), then
which differences between variants exceed the seed-to-seed spread. With --png (needs Pillow),
draws the validation Acc@1 of every epoch, dual views (basic) against a single view
(basic-single), one thin line per seed and the mean thick, side by side in one image.
Only the standard library is needed for the table.
"""

import argparse
import csv
import json
import math
import os
import sys
from collections import defaultdict

ORDER = ["full", "basic", "triplet", "basic-single"]
NAMES = {
    "full": "ARNet Full (MSTR)",
    "basic": "ARNet Basic",
    "triplet": "triplet baseline",
    "basic-single": "Basic, single view",
}
# (column, how to read it from eval.json)
COLUMNS = [
    ("val Acc@1 (best epoch)", lambda e: e["best"]["val"]["acc1"]),
    ("demo sketches Acc@1", lambda e: e["demo_sketches"]["acc1"]),
    ("demo sketches Acc@10", lambda e: e["demo_sketches"]["acc10"]),
    ("stroke lists Acc@1", lambda e: e["demo_strokes"]["acc1"]),
    ("stroke lists m@B", lambda e: e["demo_strokes"]["m_b"]),
    ("real (careful) Acc@1", lambda e: e["real_careful"]["acc1"]),
    ("real (quick) Acc@1", lambda e: e["real_quick"]["acc1"]),
    ("real (both) Acc@10", lambda e: (e["real_careful"]["acc10"] + e["real_quick"]["acc10"]) / 2),
]


def mean_std(values):
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, float("nan")
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def read_runs(root):
    runs = defaultdict(list)  # variant -> [eval.json]
    curves = defaultdict(dict)  # variant -> seed -> [val acc1 by epoch]
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name, "eval.json")
        if not os.path.isfile(path):
            continue
        with open(path) as f:
            result = json.load(f)
        with open(os.path.join(root, name, "best.json")) as f:
            result["best"] = json.load(f)
        runs[result["variant"]].append(result)
        with open(os.path.join(root, name, "metrics.csv")) as f:
            rows = list(csv.DictReader(f))
        curves[result["variant"]][result["seed"]] = [float(r["val_acc1"]) for r in rows]
    return runs, curves


def table(runs):
    lines = ["| variant | seeds | " + " | ".join(c for c, _ in COLUMNS) + " |",
             "|---|---|" + "---|" * len(COLUMNS)]
    stats = {}
    for variant in ORDER:
        if variant not in runs:
            continue
        cells = []
        for column, read in COLUMNS:
            mean, std = mean_std([read(e) for e in runs[variant]])
            stats[(variant, column)] = (mean, std, len(runs[variant]))
            cells.append(f"{mean:.1f} ± {std:.1f}" if not math.isnan(std) else f"{mean:.1f}")
        lines.append(f"| {NAMES[variant]} | {len(runs[variant])} | " + " | ".join(cells) + " |")
    return "\n".join(lines), stats


def separated(stats):
    """Pairs of variants whose means differ by more than the sum of their standard deviations
    (a rough check: with 3 seeds nothing finer is honest)."""
    out = []
    for column, _ in COLUMNS:
        for i, a in enumerate(ORDER):
            for b in ORDER[i + 1:]:
                if (a, column) not in stats or (b, column) not in stats:
                    continue
                (ma, sa, na), (mb, sb, nb) = stats[(a, column)], stats[(b, column)]
                if na < 2 or nb < 2:
                    continue
                if abs(ma - mb) > sa + sb:
                    hi, lo = (a, b) if ma > mb else (b, a)
                    out.append(f"- {column}: {NAMES[hi]} > {NAMES[lo]} "
                               f"({max(ma, mb):.1f} vs {min(ma, mb):.1f}, spreads {sa:.1f} and {sb:.1f})")
    return out


def draw_curves(curves, path):
    from PIL import Image, ImageDraw

    width, height, margin = 900, 420, 50
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    panels = [("basic", "dual views (ARNet Basic)"), ("basic-single", "single view")]
    all_values = [v for variant, _ in panels for seed in curves.get(variant, {}).values() for v in seed]
    top = max(all_values + [1.0])
    epochs = max((len(s) for variant, _ in panels for s in curves.get(variant, {}).values()), default=1)
    colours = [(31, 119, 180), (255, 127, 14), (44, 160, 44)]
    panel_w = (width - 3 * margin) // 2
    for p, (variant, title) in enumerate(panels):
        left = margin + p * (panel_w + margin)
        bottom = height - margin
        draw.rectangle([left, margin, left + panel_w, bottom], outline="black")
        draw.text((left + 5, margin - 30), title, fill="black")
        draw.text((left - 40, margin - 5), f"{top:.0f}%", fill="black")
        draw.text((left - 20, bottom - 10), "0", fill="black")
        draw.text((left + panel_w // 2 - 60, bottom + 10), "epoch (0 = untrained)", fill="black")

        def point(epoch, value):
            x = left + panel_w * epoch / max(epochs - 1, 1)
            y = bottom - (bottom - margin) * value / top
            return (x, y)

        seeds = curves.get(variant, {})
        for i, (seed, values) in enumerate(sorted(seeds.items())):
            draw.line([point(e, v) for e, v in enumerate(values)], fill=colours[i % 3], width=1)
            draw.text((left + panel_w - 70, margin + 10 + 14 * i), f"seed {seed}", fill=colours[i % 3])
        if seeds:
            length = min(len(v) for v in seeds.values())
            mean = [sum(v[e] for v in seeds.values()) / len(seeds) for e in range(length)]
            draw.line([point(e, v) for e, v in enumerate(mean)], fill="black", width=3)
            draw.text((left + panel_w - 70, margin + 10 + 14 * len(seeds)), "mean", fill="black")
    draw.text((margin, height - 18), "validation Acc@1 per epoch", fill="black")
    image.save(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="?", default="docs/ablation/runs")
    parser.add_argument("--png", help="write the dual/single validation curves here")
    args = parser.parse_args()
    runs, curves = read_runs(args.runs)
    if not runs:
        sys.exit(f"{args.runs}: no finished run (eval.json)")
    text, stats = table(runs)
    print(text)
    print()
    lines = separated(stats)
    print("Differences larger than the two spreads together (mean ± sample std over seeds):")
    print("\n".join(lines) if lines else "- none")
    if args.png:
        draw_curves(curves, args.png)
        print(f"\nwrote {args.png}")


if __name__ == "__main__":
    main()
