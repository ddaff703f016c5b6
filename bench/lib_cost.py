#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""lib_cost.py - a start/end pair through libetlprobe's calls (bench-lib)
against the header's macros (bench), untraced and under etltrace -p.

    bench/lib_cost.py [--rounds N]     (make bench-lib; root, under the BPF lock)

One thread pinned to CPU 1, etltrace to CPU 0, as in the driver; each
round runs the four configurations once, in an order rotated per round;
prints the median and range of ns per pair, and checks that etltrace's
JSON report counted every traced pair. Exit 0 when every run was made.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(os.path.dirname(HERE), "build")
PAIRS = {False: 200_000_000, True: 300_000}  # untraced, traced (as the driver)


def one(binary, traced):
    """One run: ns per pair (and the pairs etltrace counted, or None)."""
    n = PAIRS[traced]
    b = subprocess.Popen([binary, "-t", "1", "-c", "1", "-n", str(n)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    tracer, counted = None, None
    report = tempfile.NamedTemporaryFile(suffix=".json", delete=False)
    report.close()
    try:
        pid = b.stdout.readline().split("pid=")[1].strip()
        if traced:
            tracer = subprocess.Popen([os.path.join(BUILD, "etltrace"), "--format", "json",
                                       "-o", report.name, "-p", pid],
                                      stderr=subprocess.PIPE, text=True)
            os.sched_setaffinity(tracer.pid, {0})
            for line in tracer.stderr:  # time nothing before every probe is attached
                if line.startswith("etltrace: ready"):
                    break
            else:
                raise RuntimeError("etltrace did not get ready")
        b.stdin.write("go\n")
        b.stdin.flush()
        result = b.stdout.readline()
        b.stdin.close()  # lets the bench exit; etltrace ends with it
        b.wait()
        if tracer:
            tracer.wait(timeout=60)
            with open(report.name, encoding="utf-8") as f:
                counted = sum(o["count"] for o in json.load(f)["operations"].values())
            if counted != n:
                raise RuntimeError(f"etltrace counted {counted} of {n} pairs")
        return float(result.split("ns_per_op=")[1].split()[0])
    finally:
        for p in (b, tracer):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        os.unlink(report.name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    confs = [("macros (etl_probe.h)", "bench", False), ("libetlprobe calls", "bench-lib", False),
             ("macros (etl_probe.h)", "bench", True), ("libetlprobe calls", "bench-lib", True)]
    ns = {c: [] for c in confs}
    for r in range(args.rounds):
        for c in confs[r % 4:] + confs[:r % 4]:
            ns[c].append(one(os.path.join(BUILD, "bench", c[1]), c[2]))
    print("| markers | traced | ns/pair (median) | min-max |")
    print("|---|---|---:|---:|")
    for c in confs:
        v = sorted(ns[c])
        print(f"| {c[0]} | {'etltrace -p' if c[2] else 'no'} | {v[len(v) // 2]:.2f} | "
              f"{v[0]:.2f}-{v[-1]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
