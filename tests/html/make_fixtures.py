#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the HTML report's test inputs that etltrace cannot produce yet.

  make_fixtures.py fixtures DIR      the committed samples, from DIR/demo.json
  make_fixtures.py big DIR OPS EVENTS  a large report and timeline (not committed)

Fixtures (standard library only, deterministic):
  demo-full.json, demo-full.trace.json
      the real demo report (demo.json) plus the keys the C side will add:
      per-operation self_time, summary.traced_time and the operation tree,
      laid out as examples/etl_demo.c nests its operations with the measured
      totals; and a timeline of the same run shape (one slice per sample,
      durations around each operation's measured average, an RSS counter).
  hostile.json, hostile.trace.json
      operation, process, thread and path names that would be markup or
      script if a page ever put them into HTML, invalid UTF-8 as U+FFFD with
      raw_name, a comparison, and two processes.
"""
import json
import math
import random
import sys

# examples/etl_demo.c's nesting.
DEMO_TREE = ("pipeline", [
    ("extract", [("generate_csv", []), ("parse_csv", [])]),
    ("transform", [("transform_batch", [("validate", []), ("enrich", []), ("dedupe", [])]), ("aggregate", [])]),
    ("load", [("write_rows", []), ("sync", [])]),
])

HOSTILE = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "</script><script>window.__pwned=1</script>",
    "<!--",
    "&amp;&lt;b&gt;not bold&lt;/b&gt;",
    "line\u2028sep\u2029para",
    "\ufffd\ufffdbad utf-8",
    "javascript:alert(1)",
    "' onmouseover='window.__pwned=1",
    "<svg onload=window.__pwned=1>",
]


def tree_nodes(ops, spec, prefix=""):
    name, children = spec
    path = prefix + name
    kids = [tree_nodes(ops, c, path + ";") for c in children]
    op = ops[name]
    child_total = sum(k["total_time"] for k in kids)
    return {
        "name": name, "path": path, "count": op["count"], "total_time": op["total_time"],
        "self_time": round(max(0.0, op["total_time"] - child_total), 6),
        "avg_memory_delta": op["avg_memory_delta"],
        "max_peak_memory_delta": op.get("max_peak_memory_delta", 0),
        "cpu_time": op.get("cpu_time", 0), "children": kids,
    }


def self_times(node, ops):
    ops[node["name"]]["self_time"] = node["self_time"]
    for c in node["children"]:
        self_times(c, ops)


class Timeline:
    def __init__(self):
        self.events = []

    def meta(self, pid, tid, kind, name):
        self.events.append({"ph": "M", "pid": pid, "tid": tid, "name": kind, "args": {"name": name}})

    def slice(self, pid, tid, name, ts, dur, **args):
        self.events.append({"ph": "X", "name": name, "ts": round(ts, 3), "dur": round(dur, 3),
                            "pid": pid, "tid": tid, "args": args})

    def rss(self, pid, ts, mb):
        self.events.append({"ph": "C", "name": "rss", "pid": pid, "tid": pid, "ts": round(ts, 3),
                            "args": {"rss_mb": round(mb, 3)}})

    def doc(self):
        return {"traceEvents": self.events, "displayTimeUnit": "ms"}


def demo_run(tl, ops, pid, rng, t, rss, names=None):
    """One run of the demo's shape; returns the end time (µs)."""
    nm = names or {}

    def dur(k):
        return ops[k]["avg_time"] * 1e6 * rng.uniform(0.85, 1.15)

    def emit(spec, start, budget, parent="pipeline"):
        name, children = spec
        reps = max(1, round(ops[name]["count"] / ops[parent]["count"]))
        each = budget / reps
        cur = start
        for _ in range(reps):
            inner = cur + each * 0.02
            if children:
                weights = [ops[c[0]]["total_time"] for c in children]
                total_w = sum(weights) or 1
                for c, w in zip(children, weights):
                    span = each * 0.9 * w / total_w
                    emit(c, inner, span, name)
                    inner += span
            mem = ops[name]["avg_memory_delta"]
            rss[0] += mem
            tl.slice(pid, pid, nm.get(name, name), cur, each * 0.97, memory_delta_mb=mem,
                     cpu_time_ms=round(each * 0.97 / 1e3 * 0.9, 3))
            tl.rss(pid, cur + each * 0.97, rss[0])
            cur += each
        return cur

    rounds = ops["pipeline"]["count"]
    for _ in range(rounds):
        d = dur("pipeline")
        t = emit(DEMO_TREE, t, d) + 200000  # the demo's 200 ms pause
    return t


def fixtures(outdir):
    demo = json.load(open(outdir + "/demo.json"))
    ops = demo["operations"]
    tree = tree_nodes(ops, DEMO_TREE)
    self_times(tree, ops)
    demo["tree"] = [tree]
    demo["summary"]["traced_time"] = ops["pipeline"]["total_time"]
    write(outdir + "/demo-full.json", demo)
    rng = random.Random(42)
    tl = Timeline()
    pid = demo["pids"][0]
    tl.meta(pid, pid, "process_name", "etl_demo")
    tl.meta(pid, pid, "thread_name", "etl_demo")
    demo_run(tl, ops, pid, rng, 0.0, [120.0])
    write(outdir + "/demo-full.trace.json", tl.doc())

    # Hostile names everywhere a name can be.
    cmp = json.load(open(outdir + "/compare.json"))
    base = list(cmp["operations"].items())
    hops = {}
    for i, name in enumerate(HOSTILE):
        op = dict(base[i % len(base)][1])
        if name.startswith("\ufffd"):
            op["raw_name"] = "\\xff\\xfebad utf-8"
        op["self_time"] = round(op["total_time"] / 2, 6)
        hops[name] = op
    rep = {
        "summary": dict(cmp["summary"], traced_time=cmp["summary"]["wall_time"] * 0.8, total_operations=sum(o["count"] for o in hops.values())),
        "operations": hops,
        "recommendations": ["Operation '%s' is slow (avg: 1.5s). Consider optimization." % n for n in HOSTILE[:3]],
        "suggestions": ["Consider batch processing for %s" % n for n in HOSTILE[:4]],
        "suggestion_details": [{"suggestion": "Consider batch processing for %s" % n, "rule": "batch_processing",
                                "operation": n, "evidence": "avg_time 1.54s > 0.30s <b>"} for n in HOSTILE[:4]],
        "pids": [4242, 4343],
        "counters": dict(cmp["counters"], ringbuf_full=3, name_mismatch=1),
        "regressions": [],
        "comparison": {"regression_factor": 1.5, "operations": [], "only_in_baseline": [HOSTILE[0]], "only_in_current": [HOSTILE[1]]},
    }
    for i, name in enumerate(HOSTILE):
        ratio = 3.0 if i % 3 == 0 else 0.9
        row = {"operation": name, "baseline_avg_time": 0.1, "current_avg_time": round(0.1 * ratio, 6), "ratio": ratio, "regression": ratio > 1.5}
        rep["comparison"]["operations"].append(row)
        if row["regression"]:
            rep["regressions"].append({k: row[k] for k in ("operation", "baseline_avg_time", "current_avg_time", "ratio")})
    kids = [{"name": n, "path": HOSTILE[0] + ";" + n, "count": 1, "total_time": 0.1, "self_time": 0.05,
             "avg_memory_delta": 1.0, "max_peak_memory_delta": 2.0, "cpu_time": 0.05, "children": []} for n in HOSTILE[1:]]
    rep["tree"] = [{"name": HOSTILE[0], "path": HOSTILE[0], "count": 1, "total_time": 1.0, "self_time": 0.1,
                    "avg_memory_delta": 1.0, "max_peak_memory_delta": 2.0, "cpu_time": 0.5, "children": kids}]
    names = list(hops)
    rep["processes"] = [
        {"pid": 4242, "command": HOSTILE[1], "summary": rep["summary"], "operations": {n: hops[n] for n in names[:6]}},
        {"pid": 4343, "command": HOSTILE[2], "summary": rep["summary"], "operations": {n: hops[n] for n in names[6:]}},
    ]
    write(outdir + "/hostile.json", rep)
    tl = Timeline()
    for pid in (4242, 4343):
        tl.meta(pid, pid, "process_name", HOSTILE[pid % 3])
        tl.meta(pid, pid, "thread_name", HOSTILE[(pid + 1) % len(HOSTILE)])
        t = 0.0
        for i, n in enumerate(HOSTILE):
            tl.slice(pid, pid, n, t, 50000.0, memory_delta_mb=1.5, records=i, note=HOSTILE[0])
            tl.slice(pid, pid, HOSTILE[(i + 1) % len(HOSTILE)], t + 1000, 20000.0)
            tl.rss(pid, t + 50000, 100 + i)
            t += 60000
    write(outdir + "/hostile.trace.json", tl.doc())


def big(outdir, nops, nevents):
    """nops operations (histograms of 40 buckets, a tree of all of them) and
    a timeline of nevents slices on 8 threads of 2 processes."""
    rng = random.Random(7)
    ops, roots = {}, []
    for i in range(nops):
        name = "op_%05d_%s" % (i, "x" * (i % 40))
        avg = math.exp(rng.uniform(math.log(1e-6), math.log(2.0)))
        count = rng.randint(1, 100000)
        hist, le = [], avg / 4
        for _ in range(40):
            hist.append({"le": round(le, 9), "count": rng.randint(1, 1000)})
            le *= 1.0625
        ops[name] = {"count": count, "total_time": round(avg * count, 6), "avg_time": round(avg, 6),
                     "min_time": round(avg / 4, 6), "max_time": round(le, 6), "avg_memory_delta": round(rng.uniform(-5, 5), 3),
                     "max_memory_delta": round(rng.uniform(0, 50), 3), "unfinished": 0,
                     "avg_peak_memory_delta": round(rng.uniform(0, 20), 3), "max_peak_memory_delta": round(rng.uniform(0, 60), 3),
                     "max_depth": i % 5, "p50_time": round(avg, 6), "p90_time": round(avg * 1.5, 6), "p99_time": round(avg * 2, 6),
                     "histogram": hist, "cpu_time": round(avg * count * 0.8, 6), "off_cpu_time": round(avg * count * 0.2, 6),
                     "minor_faults": i, "major_faults": 0, "read_bytes": i * 4096, "write_bytes": 0, "self_time": round(avg * count * 0.5, 6)}
    names = list(ops)
    for r in range(100):  # 100 roots of 99 children each (plus the rest)
        chunk = names[r * 100:(r + 1) * 100]
        if not chunk:
            break
        node = lambda n, p: {"name": n, "path": p, "count": ops[n]["count"], "total_time": ops[n]["total_time"], "self_time": ops[n]["self_time"],
                             "avg_memory_delta": 0.0, "max_peak_memory_delta": 0.0, "cpu_time": 0.0, "children": []}
        root = node(chunk[0], chunk[0])
        root["children"] = [node(n, chunk[0] + ";" + n) for n in chunk[1:]]
        root["total_time"] = sum(c["total_time"] for c in root["children"]) * 1.1
        roots.append(root)
    rep = {"summary": {"total_time": 1.0, "total_operations": sum(o["count"] for o in ops.values()), "avg_operation_time": 0.001,
                       "wall_time": 60.0, "unfinished_operations": 0, "traced_time": 55.0},
           "operations": ops, "recommendations": [], "suggestions": [], "suggestion_details": [], "pids": [1, 2],
           "counters": {"starts": 1, "ends": 1}, "tree": roots}
    write(outdir + "/big.json", rep, compact=True)
    with open(outdir + "/big.trace.json", "w") as f:
        f.write('{"displayTimeUnit":"ms","traceEvents":[')
        first = True
        per_thread = nevents // 8
        for th in range(8):
            pid, tid = 1 + th // 4, 100 + th
            f.write(('' if first else ',') + json.dumps({"ph": "M", "pid": pid, "tid": tid, "name": "thread_name", "args": {"name": "worker-%d" % th}}))
            first = False
            t = 0.0
            # outer slices of 10 inner ones each: 1/11 outer, 10/11 inner
            n = 0
            parts = []
            while n < per_thread:
                outer_start = t
                for _ in range(10):
                    d = rng.uniform(5, 50)
                    parts.append('{"ph":"X","name":"%s","ts":%.3f,"dur":%.3f,"pid":%d,"tid":%d,"args":{"records":1}}' % (names[n % 500], t + 1, d, pid, tid))
                    t += d + 2
                    n += 1
                parts.append('{"ph":"X","name":"batch","ts":%.3f,"dur":%.3f,"pid":%d,"tid":%d}' % (outer_start, t - outer_start + 1, pid, tid))
                n += 1
                t += 3
                if len(parts) > 10000:
                    f.write("," + ",".join(parts))
                    parts = []
            if parts:
                f.write("," + ",".join(parts))
            if th % 4 == 0:
                for k in range(0, int(t), max(1, int(t) // 20000)):
                    f.write(',{"ph":"C","name":"rss","pid":%d,"tid":%d,"ts":%d,"args":{"rss_mb":%.1f}}' % (pid, tid, k, 100 + 50 * math.sin(k / 1e6)))
        f.write("]}")


def write(path, obj, compact=False):
    with open(path, "w", encoding="utf-8") as f:
        if compact:
            json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
        else:
            json.dump(obj, f, ensure_ascii=False, indent=1)
            f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "fixtures":
        fixtures(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "big":
        big(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
