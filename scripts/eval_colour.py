#!/usr/bin/env python3
"""Measures the colour swatch on the bundled demo gallery (docs/colour.md).

The demo gallery's generator knows every garment's colour: `arnet synth` with the demo's seed
writes it to synth.json. Each generated sketch (assets/demo/sketches/STEM_01.png) is searched
three ways through `arnet search --json`: without a colour, with its garment's colour (what a
designer who sees the garment would pick), and with a wrong colour (another garment's, as far
from the right one as possible), at each weight given. Acc@1 / Acc@10 are printed per way.

    python3 scripts/eval_colour.py [--weights 0.1,0.3,0.5] [--arnet target/debug/arnet]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def hex_colour(rgb):
    return "#%02x%02x%02x" % tuple(rgb)


def search(arnet, gallery, model, sketches, colour=None, weight=None):
    """{sketch path: [result stems, best first]} for one `arnet search` run."""
    command = [arnet, "search", "--gallery", gallery, "--weights", model, "--top", "10", "--json"]
    if colour is not None:
        command += ["--colour", hex_colour(colour), "--colour-weight", str(weight)]
    output = subprocess.run(command + sketches, check=True, capture_output=True, text=True).stdout
    found = {}
    for line in output.splitlines():
        record = json.loads(line)
        found[record["sketch"]] = [
            os.path.splitext(os.path.basename(r["path"]))[0] for r in record["results"]
        ]
    return found


def accuracy(found, truth):
    ranks = [found[s].index(t) if t in found[s] else 99 for s, t in truth.items()]
    return 100.0 * sum(r < 1 for r in ranks) / len(ranks), 100.0 * sum(r < 10 for r in ranks) / len(ranks)


def distance(a, b):
    return sum((x - y) ** 2 for x, y in zip(a, b))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="0.1,0.3,0.5,1.0")
    parser.add_argument("--arnet", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "debug", "arnet"))
    args = parser.parse_args()
    demo = os.path.join(ROOT, "assets", "demo")
    gallery, model = os.path.join(demo, "gallery"), os.path.join(demo, "model.safetensors")
    with tempfile.TemporaryDirectory() as scratch:
        # The demo gallery's garments: the command of scripts/make_demo.sh.
        subprocess.run(
            [args.arnet, "synth", "--out", scratch, "--photos", "200", "--sketches-per-photo", "1",
             "--seed", "202", "--test-fraction", "0"],
            check=True, capture_output=True)
        garments = json.load(open(os.path.join(scratch, "synth.json")))["garments"]
        for g in garments[:5]:
            made = open(os.path.join(scratch, "trainB", g["stem"] + ".png"), "rb").read()
            bundled = open(os.path.join(gallery, g["stem"] + ".png"), "rb").read()
            if made != bundled:
                sys.exit("the regenerated garments differ from assets/demo/gallery: wrong seed?")
    colour_of = {g["stem"]: g["garment"]["colour"] for g in garments}
    sketches = sorted(os.path.join(demo, "sketches", f) for f in os.listdir(os.path.join(demo, "sketches")))
    truth = {s: os.path.basename(s).split("_")[0] for s in sketches}
    # Searched one sketch at a time only where the colour differs per sketch.
    base = search(args.arnet, gallery, model, sketches)
    print("no colour            Acc@1 %5.1f  Acc@10 %5.1f  (%d sketches)" % (*accuracy(base, truth), len(truth)))
    for weight in [float(w) for w in args.weights.split(",")]:
        right, wrong = {}, {}
        for sketch, stem in truth.items():
            colour = colour_of[stem]
            far = max(colour_of.values(), key=lambda c: distance(c, colour))
            right.update(search(args.arnet, gallery, model, [sketch], colour, weight))
            wrong.update(search(args.arnet, gallery, model, [sketch], far, weight))
        print("weight %.2f  right colour Acc@1 %5.1f  Acc@10 %5.1f   wrong colour Acc@1 %5.1f  Acc@10 %5.1f"
              % (weight, *accuracy(right, truth), *accuracy(wrong, truth)))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
