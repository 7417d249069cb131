#!/usr/bin/env python3
"""Counts the garments of a synthetic gallery that a sketch cannot tell apart, and the ceiling
they put on Acc@1.

A sketch shows shape, not colour: two garments with the same category and discrete attributes
(sleeve, neckline, collar, hem, pockets, buttons, pleats, stripe pattern) and continuous sizes
(length, width, flare) within TOLERANCE of each other differ, for a sketch, at most by colour or
by less than the pose jitter of a drawing. Such a group of n garments can have at most one of
its n sketches ranked first on average, so the Acc@1 ceiling is (distinct groups) / (garments).

    python3 scripts/gallery_twins.py WORK/gallery/synth.json [--tolerance 0.1]

(`arnet synth` writes synth.json; scripts/make_demo.sh makes the demo gallery with seed 202.)
Needs only the Python standard library.
"""

import argparse
import itertools
import json

CONTINUOUS = ("length", "width", "flare")
COLOUR = ("colour", "accent")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("synth_json")
    parser.add_argument("--tolerance", type=float, default=0.1,
                        help="relative difference under which sizes count as equal")
    args = parser.parse_args()
    garments = [g["garment"] for g in json.load(open(args.synth_json))["garments"]]

    def discrete(g):
        return json.dumps({k: v for k, v in g.items() if k not in CONTINUOUS + COLOUR},
                          sort_keys=True)

    def twins(a, b):
        return discrete(a) == discrete(b) and all(
            abs(a[k] - b[k]) <= args.tolerance * max(abs(a[k]), abs(b[k])) for k in CONTINUOUS)

    # Groups: connected components of the twin relation.
    group = list(range(len(garments)))

    def root(i):
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    same_discrete = 0
    for i, j in itertools.combinations(range(len(garments)), 2):
        if discrete(garments[i]) == discrete(garments[j]):
            same_discrete += 1
        if twins(garments[i], garments[j]):
            group[root(i)] = root(j)
    roots = {root(i) for i in range(len(garments))}
    in_groups = sum(1 for i in range(len(garments))
                    if sum(1 for j in range(len(garments)) if root(j) == root(i)) > 1)
    print(json.dumps({
        "garments": len(garments),
        "pairs_with_the_same_discrete_attributes": same_discrete,
        "tolerance": args.tolerance,
        "garments_with_an_indistinguishable_twin": in_groups,
        "acc1_ceiling_percent": 100.0 * len(roots) / len(garments),
    }))


if __name__ == "__main__":
    main()
