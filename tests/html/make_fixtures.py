#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the HTML report's test inputs that are made, not traced; they go to
build/ at test time, never into the repository.

  make_fixtures.py hostile FIXDIR OUTDIR     hostile.json, hostile.trace.json
  make_fixtures.py nested FIXDIR OUTDIR      nested.json
  make_fixtures.py big OUTDIR OPS EVENTS     big.json, big.trace.json

Standard library only, deterministic:
  hostile.json, hostile.trace.json
      from FIXDIR/compare.json (a real report): operation, process, thread
      and path names that would be markup or script if a page ever put them
      into HTML, invalid UTF-8 as U+FFFD with raw_name, a comparison, two
      processes, and a flat tree as etltrace writes it (depth first, each
      node naming its parent's index).
  nested.json
      FIXDIR/demo.json with its tree nested (each node's children inside
      it), the form the page also accepts.
  big.json, big.trace.json
      OPS operations (40 histogram buckets each, a tree of all of them) and
      EVENTS timeline slices on 8 threads of 2 processes.
"""
import json
import math
import random
import sys

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


def flat_node(name, path, parent, depth, **numbers):
    """A tree node as etltrace writes it (report/json.c)."""
    node = {"name": name, "path": path, "depth": depth, "parent": parent, "count": 1, "total_time": 0.0,
            "self_time": 0.0, "avg_memory_delta": 0.0, "max_peak_memory_delta": 0.0, "cpu_time": 0.0,
            "self_cpu_time": 0.0, "unfinished": 0}
    node.update(numbers)
    return node


def nest(flat):
    """A flat tree (parent indexes) as nested nodes with children."""
    nodes = [dict((k, v) for k, v in n.items() if k not in ("parent", "depth")) for n in flat]
    roots = []
    for n, f in zip(nodes, flat):
        n["children"] = []
        (roots if f["parent"] < 0 else nodes[f["parent"]]["children"]).append(n)
    return roots


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


def hostile(fixdir, outdir):
    """Hostile names everywhere a name can be."""
    cmp = json.load(open(fixdir + "/compare.json"))
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
    numbers = dict(avg_memory_delta=1.0, max_peak_memory_delta=2.0)
    rep["tree"] = [flat_node(HOSTILE[0], HOSTILE[0], -1, 0, total_time=1.0, self_time=0.1, cpu_time=0.5, self_cpu_time=0.05, **numbers)]
    rep["tree"] += [flat_node(n, HOSTILE[0] + ";" + n, 0, 1, total_time=0.1, self_time=0.1, cpu_time=0.05, self_cpu_time=0.05, **numbers)
                    for n in HOSTILE[1:]]
    names = list(hops)
    rep["processes"] = [
        {"pid": 4242, "command": HOSTILE[1], "exited": True, "summary": rep["summary"], "operations": {n: hops[n] for n in names[:6]}},
        {"pid": 4343, "command": HOSTILE[2], "exited": False, "summary": rep["summary"], "operations": {n: hops[n] for n in names[6:]}},
    ]
    write(outdir + "/hostile.json", rep)
    tl = Timeline()
    for pid in (4242, 4343):
        tl.meta(pid, pid, "process_name", HOSTILE[pid % 3])
        tl.meta(pid, pid, "thread_name", HOSTILE[(pid + 1) % len(HOSTILE)])
        t = 0.0
        for i, n in enumerate(HOSTILE):
            tl.slice(pid, pid, n, t, 50000.0, depth=0, memory_delta_mb=1.5, records=i, note=HOSTILE[0])
            tl.slice(pid, pid, HOSTILE[(i + 1) % len(HOSTILE)], t + 1000, 20000.0, depth=1)
            tl.rss(pid, t, 100 + i)
            tl.rss(pid, t + 50000, 101 + i)
            t += 60000
    write(outdir + "/hostile.trace.json", tl.doc())


def nested(fixdir, outdir):
    rep = json.load(open(fixdir + "/demo.json"))
    rep["tree"] = nest(rep["tree"])
    write(outdir + "/nested.json", rep)


def big(outdir, nops, nevents):
    """nops operations (histograms of 40 buckets, a tree of all of them) and
    a timeline of nevents slices on 8 threads of 2 processes."""
    rng = random.Random(7)
    ops = {}
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
    tree = []
    for r in range(100):  # 100 roots of 99 children each, flat as etltrace writes them
        chunk = names[r * 100:(r + 1) * 100]
        if not chunk:
            break
        at = len(tree)
        tree.append(flat_node(chunk[0], chunk[0], -1, 0, count=ops[chunk[0]]["count"], self_time=ops[chunk[0]]["self_time"],
                              total_time=round(sum(ops[n]["total_time"] for n in chunk[1:]) * 1.1, 6)))
        tree += [flat_node(n, chunk[0] + ";" + n, at, 1, count=ops[n]["count"], total_time=ops[n]["total_time"],
                           self_time=ops[n]["self_time"]) for n in chunk[1:]]
    rep = {"summary": {"total_time": 1.0, "total_operations": sum(o["count"] for o in ops.values()), "avg_operation_time": 0.001,
                       "wall_time": 60.0, "unfinished_operations": 0, "traced_time": 55.0},
           "operations": ops, "recommendations": [], "suggestions": [], "suggestion_details": [], "pids": [1, 2],
           "counters": {"starts": 1, "ends": 1}, "tree": tree}
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
    if len(sys.argv) == 4 and sys.argv[1] == "hostile":
        hostile(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "nested":
        nested(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "big":
        big(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
