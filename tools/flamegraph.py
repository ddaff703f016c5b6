#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Draws folded stacks (etltrace --format folded) as a flame graph, a PNG,
with speedscope: its static build, installed from npm (make flamegraph puts
it under build/flamegraph), opened in headless Chromium with the profile
loaded, in its "left heavy" view (each path's callees merged and sorted by
weight: a flame graph, roots on top), and photographed.

  flamegraph.py --speedscope DIR [--weight time|cpu|memory|count]
                [--title TITLE] [--width PX] FOLDED OUT.png

DIR is the speedscope package (node_modules/speedscope). The stacks are
handed over in speedscope's own file format rather than as folded text, so
that its axis shows seconds (or bytes) instead of bare numbers: --weight
says what the numbers are (etltrace's --folded-weight: time and cpu in
microseconds, memory in KiB, count). Names escaped by etltrace (\\xNN) are
shown as the bytes they stand for.

Exit status: 0, 1 when the stacks cannot be read or the page fails to draw
them (its console errors are printed), 2 bad usage.
"""
import argparse
import base64
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chromium  # noqa: E402

UNITS = {"time": ("microseconds", 1), "cpu": ("microseconds", 1), "memory": ("bytes", 1024), "count": ("none", 1)}
ESCAPE = re.compile(rb"\\x([0-9a-f]{2})")
LINE = re.compile(rb"^([^ ]+) ([1-9][0-9]*)$")


def read_folded(path):
    """[(frames, weight)] of a folded file; ValueError on a bad line."""
    stacks = []
    with open(path, "rb") as f:
        for no, line in enumerate(f.read().splitlines(), 1):
            m = LINE.match(line)
            if not m:
                raise ValueError("%s:%d: not 'a;b;c N': %r" % (path, no, line[:80]))
            frames = [ESCAPE.sub(lambda x: bytes([int(x.group(1), 16)]), fr).decode("utf-8", "replace")
                      for fr in m.group(1).split(b";")]
            stacks.append((frames, int(m.group(2))))
    return stacks


def speedscope_profile(stacks, title, weight):
    """The stacks in speedscope's file format (a sampled profile)."""
    unit, scale = UNITS[weight]
    frames, index, samples, weights = [], {}, [], []
    for names, w in stacks:
        sample = []
        for n in names:
            if n not in index:
                index[n] = len(frames)
                frames.append({"name": n})
            sample.append(index[n])
        samples.append(sample)
        weights.append(w * scale)
    return {
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "exporter": "etltrace",
        "name": title,
        "activeProfileIndex": 0,
        "shared": {"frames": frames},
        "profiles": [{"type": "sampled", "name": title, "unit": unit, "startValue": 0,
                      "endValue": sum(weights), "samples": samples, "weights": weights}],
    }


def render(speedscope, profile, out, width):
    index = os.path.join(os.path.abspath(speedscope), "dist", "release", "index.html")
    if not os.path.exists(index):
        raise RuntimeError("no speedscope build at %s (make flamegraph installs it)" % index)
    depth = max(len(s) for s in profile["profiles"][0]["samples"])
    # The toolbar, the overview (about 2/3 of a row per level) and the
    # flame chart (a 20-pixel row per level) with a little room under it.
    height = 22 + 18 + 14 * depth + 24 + 20 * depth + 28
    with tempfile.TemporaryDirectory(prefix="etltrace-flamegraph-") as tmp:
        js = os.path.join(tmp, "profile.js")
        data = base64.b64encode(json.dumps(profile).encode()).decode()
        with open(js, "w") as f:
            f.write("speedscope.loadFileFromBase64(%s, %s)\n" % (json.dumps(profile["name"] + ".json"), json.dumps(data)))
        b = chromium.Browser()
        try:
            url = "file://%s#localProfilePath=%s&view=left-heavy" % (index, js)
            _, session, _ = b.open(url, width=width, height=height,
                                   ready="document.title.endsWith(' - speedscope') && document.querySelectorAll('canvas').length > 0")
            b.evaluate(session, "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 500))))")
            errors = [json.dumps(e["params"].get("args", e["params"]))[:300] for e in b.events
                      if e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error"
                      or e.get("method") == "Runtime.exceptionThrown"]
            if errors:
                raise RuntimeError("speedscope reported errors: %s" % "; ".join(errors))
            b.screenshot(session, out)
        finally:
            b.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--speedscope", required=True, help="the speedscope npm package's directory")
    ap.add_argument("--weight", choices=sorted(UNITS), default="time")
    ap.add_argument("--title", default=None)
    ap.add_argument("--width", type=int, default=1200)
    ap.add_argument("folded")
    ap.add_argument("out")
    args = ap.parse_args()
    try:
        stacks = read_folded(args.folded)
        if not stacks:
            raise ValueError("%s: no stacks" % args.folded)
        title = args.title or os.path.basename(args.folded)
        started = time.monotonic()
        render(args.speedscope, speedscope_profile(stacks, title, args.weight), args.out, args.width)
    except (OSError, ValueError, RuntimeError) as e:
        print("flamegraph: %s" % e, file=sys.stderr)
        return 1
    print("flamegraph: %s (%d stacks) drawn in %.1f s" % (args.out, len(stacks), time.monotonic() - started), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
