#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""marked.py - a Python target for the integration tests (test_python.c):
known operations in known numbers, marked with the etltrace package.

    marked.py first   the first operation right after `import etltrace`
                      (first_op x1), then after_first x3; for `etltrace -- CMD`
    marked.py mix     print "ready", wait for a line on stdin, then every
                      kind of marker (counts in the code below); for -p

Exit status: 0, 2 bad usage, 3 a self-check failed (message on stderr).
"""

import sys

import etltrace

if sys.argv[1:] == ["first"]:
    with etltrace.operation("first_op"):
        pass

import threading  # noqa: E402  (after the first operation on purpose)
import time  # noqa: E402


def check(ok, what):
    if not ok:
        print(f"marked.py: self-check failed: {what}", file=sys.stderr)
        sys.exit(3)


@etltrace.operation("outer")
def outer():
    for _ in range(2):
        middle()


@etltrace.operation("middle")
def middle():
    for _ in range(3):
        with etltrace.operation("inner"):
            pass


def thread_work():
    for _ in range(2500):
        with etltrace.operation("thread_op"):
            pass


def mix():
    for _ in range(100):                      # outer 100, middle 200, inner 600
        outer()
    threads = [threading.Thread(target=thread_work) for _ in range(4)]
    for t in threads:                          # thread_op 10000
        t.start()
    for t in threads:
        t.join()
    for i in range(50):                        # raises 50: ended by the exception
        try:
            with etltrace.operation("raises"):
                raise ValueError(i)
        except ValueError:
            pass
    for name in ("données_été", "数据加载", "emoji_🚀"):   # 10 each
        for _ in range(10):
            with etltrace.operation(name):
                pass
    for _ in range(5):                         # counted 5, records 5 x 1000
        etltrace.start("counted")
        etltrace.end("counted", records=1000)
    for _ in range(5):                         # sleep_20ms 5
        with etltrace.operation("sleep_20ms"):
            time.sleep(0.02)
    profiler = etltrace.ETLProfiler()
    for _ in range(20):                        # profiled 20
        with profiler.profile_operation("profiled"):
            pass
    check(profiler.get_performance_report()["operations"]["profiled"]["count"] == 20,
          "profiler count")
    # Fill the name cache, then a name past it: a new temporary buffer at
    # each use (past_cap 5).
    for i in range(etltrace.NAME_CACHE_SIZE):
        etltrace.operation(f"filler_{i}")
    check(etltrace.operation("past_cap")._bytes is not etltrace.operation("past_cap")._bytes,
          "past_cap is not interned")
    for _ in range(5):
        with etltrace.operation("past_cap"):
            pass


def main():
    mode = sys.argv[1:]
    if mode == ["first"]:
        for _ in range(3):
            with etltrace.operation("after_first"):
                pass
        return 0
    if mode == ["mix"]:
        print("ready", flush=True)
        sys.stdin.readline()
        check(etltrace.enabled(), "a tracer is attached")
        mix()
        return 0
    print("usage: marked.py first|mix", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
