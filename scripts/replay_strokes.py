#!/usr/bin/env python3
"""Draws a stroke list (the app's format: `[{"points": [[x, y], ...], "width", "darkness"}]`,
normalised canvas coordinates) into the real ARNet Sketch window with the mouse, through
xdotool: what `docs/screenshot.png` is made with.

    python3 scripts/replay_strokes.py STROKES.json LEFT TOP SIZE [--delay-ms 2]

LEFT, TOP and SIZE locate the canvas on the X screen in pixels (take a screenshot of the
window first: `import -window root shot.png`). Needs xdotool (Debian: `apt-get install
xdotool`) and a running X server in $DISPLAY (e.g. `Xvfb :99 -ac -screen 0 1400x900x24`).
Standard library only.
"""

import argparse
import json
import subprocess
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("strokes")
    parser.add_argument("left", type=float)
    parser.add_argument("top", type=float)
    parser.add_argument("size", type=float)
    parser.add_argument("--delay-ms", type=float, default=2.0,
                        help="pause between mouse moves (the app samples the pointer per frame)")
    parser.add_argument("--stroke-pause-ms", type=float, default=250.0,
                        help="pause after each stroke (the app queries after every stroke)")
    args = parser.parse_args()
    strokes = json.load(open(args.strokes))

    def at(point):
        return (str(round(args.left + point[0] * args.size)),
                str(round(args.top + point[1] * args.size)))

    for stroke in strokes:
        points = stroke["points"]
        # Move first and let the app see a frame there, so the stroke starts where it should
        # rather than where the previous one ended.
        subprocess.run(["xdotool", "mousemove", *at(points[0])], check=True)
        time.sleep(0.1)
        subprocess.run(["xdotool", "mousedown", "1"], check=True)
        time.sleep(0.05)
        for point in points[1:]:
            subprocess.run(["xdotool", "mousemove", *at(point)], check=True)
            time.sleep(args.delay_ms / 1000.0)
        subprocess.run(["xdotool", "mouseup", "1"], check=True)
        time.sleep(args.stroke_pause_ms / 1000.0)


if __name__ == "__main__":
    main()
