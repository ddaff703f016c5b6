#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A picture of an etltrace HTML page (--html): the page opened in headless
Chromium, drawn, and photographed from its top to the bottom of a section.

  screenshot.py [--width PX] [--until ID] [--hide ID,...] PAGE.html OUT.png

--until names the element whose bottom ends the picture (default the whole
page); --hide names elements left out of it (display: none), e.g. sections
a README picture does not need. Exit status: 0, 1 when the page fails to
draw (its errors are printed), 2 bad usage.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chromium  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--until", default=None)
    ap.add_argument("--hide", default="")
    ap.add_argument("page")
    ap.add_argument("out")
    args = ap.parse_args()
    b = chromium.Browser()
    try:
        url = "file://" + os.path.abspath(args.page)
        _, session, _ = b.open(url, width=args.width, height=1000,
                               ready="document.documentElement && document.documentElement.getAttribute('data-ready')")
        errors = b.evaluate(session, "ET.errors")
        if errors:
            raise RuntimeError("the page reported errors: %s" % errors)
        hide = [h for h in args.hide.split(",") if h]
        height = b.evaluate(session, """((hide, until) => {
            for (const id of hide) { const e = document.getElementById(id); if (e) e.style.display = 'none'; }
            const end = until ? document.getElementById(until) : document.documentElement;
            return Math.ceil(end.getBoundingClientRect().bottom + window.scrollY + 12);
        })(%s, %s)""" % (json.dumps(hide), json.dumps(args.until)))
        # The page lays charts out for the viewport: draw them again at the
        # picture's height before taking it.
        b.call("Emulation.setDeviceMetricsOverride", {"width": args.width, "height": height, "deviceScaleFactor": 1,
                                                      "mobile": False}, session)
        b.evaluate(session, "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 300))))")
        b.screenshot(session, args.out, clip={"x": 0, "y": 0, "width": args.width, "height": height})
    except RuntimeError as e:
        print("screenshot: %s" % e, file=sys.stderr)
        return 1
    finally:
        b.close()
    print("screenshot: %s (%dx%d)" % (args.out, args.width, height), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
