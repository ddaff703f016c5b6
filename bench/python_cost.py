#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""python_cost.py - what the etltrace Python markers cost with no tracer
attached and with `etltrace -p PID` attached, against an empty `with` block
and against the seed profiler's in-process way (time.perf_counter + psutil
RSS at each start and end).

    bench/python_cost.py [--python PATH]... [--repeat N] [--json FILE]
                         [--etltrace PATH | --no-traced]

Each interpreter (default: /usr/bin/python3 and the python3 first on PATH,
once each) runs the measurements in a child process with the package from
python/ and libetlprobe from build/lib (or ETLTRACE_LIBETLPROBE). Times
are ns per operation (or per call), by timeit: the best of N repeats (the
least disturbed run on a shared machine) and their median.

The target: `with etltrace.operation("x"): pass` costs under 500 ns more
than `with cm: pass` on a trivial context manager `cm` made once (the
stricter baseline; one made at each use is shown too). Exit status 0 when
every interpreter meets it, 1 otherwise, 2 on a usage or set-up error.

Traced (as root, when build/etltrace or --etltrace exists): the same cases
run again in a child that waits, pinned to CPU 1, until `etltrace -p PID`
(pinned to CPU 0, as the C bench pins them) has printed "etltrace: ready";
each case runs a fixed number of operations so that etltrace's JSON report
can be checked against the exact count. Run it under the same lock as every
other BPF user of the machine.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUDGET_NS = 500.0

# name, setup, statement. The setup runs once per timeit repeat.
CASES = [
    ("with cm (made once)", "cm = Trivial()", "with cm: pass"),
    ("with Trivial() (made each time)", "", "with Trivial(): pass"),
    ("with etltrace.operation('x')", "", "with operation('x'): pass"),
    ("etltrace.start('x'); etltrace.end('x')", "", "start('x'); end('x')"),
    ("etltrace.end('x', records=5)", "", "end('x', records=5)"),
    ("plain call g()", "", "g()"),
    ("decorated call f()", "", "f()"),
    ("ETLProfiler(in_process=False) block", "p = ETLProfiler(in_process=False)",
     "with p.profile_operation('x'): pass"),
    ("ETLProfiler() block (time + /proc RSS)", "p = ETLProfiler()",
     "with p.profile_operation('x'): pass"),
    ("seed way: perf_counter + psutil RSS", "s = SeedProfiler()",
     "with s.profile_operation('x'): pass"),
    ("ctypes call into libetlprobe (forced)", "force_semaphores()",
     "with operation('x'): pass"),
]

# Cases run again while traced, with the operation names their statements
# fire (the count check), and the fixed operations per timeit run. An end
# without its start and the forced call have no meaning there.
TRACED_CASES = {
    "with cm (made once)": (),
    "with etltrace.operation('x')": ("x",),
    "etltrace.start('x'); etltrace.end('x')": ("x",),
    "decorated call f()": ("decorated",),
    "ETLProfiler(in_process=False) block": ("x",),
    "ETLProfiler() block (time + /proc RSS)": ("x",),
    "seed way: perf_counter + psutil RSS": (),
}
TRACED_NUMBER = 20000
TRACER_CPU, TARGET_CPU = 0, 1

CHILD_PRELUDE = '''
import logging, time
import etltrace
from etltrace import operation, start, end, ETLProfiler
from etltrace import _markers

class Trivial:
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return False

def g():
    return None

@etltrace.operation("decorated")
def f():
    return None

class _On:
    value = 1

def force_semaphores():
    # The real C functions are called (they find their own semaphores at 0
    # and return): the cost of crossing into C while traced, minus the uprobe.
    _markers._start_sem = _markers._end_sem = _On()

try:
    import psutil
except ImportError:
    psutil = None

class SeedProfiler:
    """The seed's in-process measurement of one operation: RSS by psutil
    and perf_counter at start and end, statistics kept, a log call."""
    def __init__(self):
        self.proc = psutil.Process()
        self.stats = {}
        self.log = logging.getLogger("etl.profiler.bench")
    def profile_operation(self, name):
        return _SeedOp(self, name)

class _SeedOp:
    def __init__(self, prof, name):
        self.prof, self.name = prof, name
    def __enter__(self):
        self.m0 = self.prof.proc.memory_info().rss
        self.t0 = time.perf_counter()
    def __exit__(self, *exc):
        dt = time.perf_counter() - self.t0
        dm = (self.prof.proc.memory_info().rss - self.m0) / 1048576
        s = self.prof.stats.setdefault(self.name, [0, 0.0, 0.0])
        s[0] += 1; s[1] += dt; s[2] = max(s[2], dm)
        self.prof.log.info("%s: %.2fs, Memory: %+.1fMB", self.name, dt, dm)
'''


def child(repeat, traced):
    """Runs every case in this interpreter; prints one JSON object. traced:
    says "ready" on stdout, waits for a line on stdin (the tracer attached),
    and runs TRACED_CASES only, TRACED_NUMBER operations per run."""
    import timeit
    ns = {}
    exec(CHILD_PRELUDE, ns)  # noqa: S102 - our own code, kept as text for timeit's globals
    if traced:
        print("ready", flush=True)
        sys.stdin.readline()
    out = {"python": sys.version.split()[0], "executable": sys.executable,
           "library": ns["etltrace"].library_path(), "enabled": ns["etltrace"].enabled(),
           "number": TRACED_NUMBER if traced else None, "cases": {}}
    for name, setup, stmt in CASES:
        if traced and name not in TRACED_CASES:
            continue
        if "SeedProfiler" in setup and ns["psutil"] is None:
            out["cases"][name] = None
            continue
        g = dict(ns)
        exec(setup, g)  # noqa: S102
        timer = timeit.Timer(stmt, globals=g)
        if traced:
            number = TRACED_NUMBER  # exact, so etltrace's count can be checked
        else:
            number, _ = timer.autorange()
            number = max(number, 10000)
        runs = sorted(t / number * 1e9 for t in timer.repeat(repeat=repeat, number=number))
        out["cases"][name] = {"best": runs[0], "median": runs[len(runs) // 2]}
    print(json.dumps(out))


def run_traced(py, env, repeat, etltrace):
    """The traced cases in a child of py under `etltrace -p`: returns the
    child's results with "report_counts" (etltrace's count per expected
    name) and "expected_counts", or raises RuntimeError."""
    target = subprocess.Popen([py, os.path.abspath(__file__), "--child", "--traced",
                               "--repeat", str(repeat)], env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tracer = None
    report = tempfile.NamedTemporaryFile(prefix="python_cost.", suffix=".json", delete=False)
    report.close()
    try:
        os.sched_setaffinity(target.pid, {TARGET_CPU})
        if target.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{py} did not start: {target.stderr.read().strip()}")
        tracer = subprocess.Popen([etltrace, "--format", "json", "-o", report.name,
                                   "-p", str(target.pid)],
                                  stderr=subprocess.PIPE, text=True)
        os.sched_setaffinity(tracer.pid, {TRACER_CPU})
        seen = []
        for line in tracer.stderr:  # what etltrace says before it is ready
            seen.append(line)
            if line.startswith("etltrace: ready"):
                break
        else:
            raise RuntimeError(f"etltrace did not get ready: {''.join(seen).strip()}")
        out, err = target.communicate("go\n", timeout=600)
        if target.returncode != 0:
            raise RuntimeError(f"{py} failed: {err.strip()}")
        # etltrace stops when its only target exits; SIGINT in case not yet.
        try:
            tracer.wait(timeout=10)
        except subprocess.TimeoutExpired:
            tracer.send_signal(signal.SIGINT)
            tracer.wait(timeout=30)
        tracer.stderr.read()
        with open(report.name, encoding="utf-8") as f:
            ops = json.load(f)["operations"]
        r = json.loads(out)
        expected = {}
        for case, names in TRACED_CASES.items():
            if r["cases"].get(case):
                for n in names:
                    expected[n] = expected.get(n, 0) + r["number"] * repeat
        r["expected_counts"] = expected
        r["report_counts"] = {n: ops.get(n, {}).get("count", 0) for n in expected}
        return r
    finally:
        for p in (target, tracer):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        os.unlink(report.name)


def interpreters(given):
    if given:
        return given
    found, seen = [], set()
    for p in ("/usr/bin/python3", shutil.which("python3")):
        if p and os.path.exists(p):
            # The same binary twice (PATH's python3 is Debian's) runs once.
            probe = subprocess.run([p, "-c", "import sys; print(sys.executable, sys.version)"],
                                   capture_output=True, text=True, check=False)
            key = os.path.realpath(probe.stdout.split()[0]) if probe.returncode == 0 else p
            if key not in seen:
                seen.add(key)
                found.append(p)
    return found


def fmt(v):
    return f"{v:9.1f}" if v is not None else "      n/a"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", action="append", metavar="PATH",
                    help="interpreter to measure (repeatable)")
    ap.add_argument("--repeat", type=int, default=5, help="timeit repeats (default 5)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--etltrace", metavar="PATH",
                    help="also measure under `etltrace -p` (default: build/etltrace, as root)")
    ap.add_argument("--no-traced", action="store_true", help="untraced measurements only")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.repeat, args.traced)
        return 0
    etltrace = None
    if not args.no_traced:
        etltrace = args.etltrace or os.path.join(ROOT, "build", "etltrace")
        if not os.access(etltrace, os.X_OK) or os.geteuid() != 0:
            if args.etltrace:
                print(f"python_cost.py: {etltrace}: not executable, or not root", file=sys.stderr)
                return 2
            print("python_cost.py: traced cost not measured (needs root and build/etltrace)",
                  file=sys.stderr)
            etltrace = None

    lib = os.environ.get("ETLTRACE_LIBETLPROBE") or os.path.join(
        ROOT, "build", "lib", "libetlprobe.so.1")
    if not os.path.exists(lib):
        print(f"python_cost.py: {lib} not found: run make first", file=sys.stderr)
        return 2
    env = dict(os.environ, ETLTRACE_LIBETLPROBE=lib, PYTHONPATH=os.path.join(ROOT, "python"),
               PYTHONDONTWRITEBYTECODE="1")
    results, ok = [], True
    for py in interpreters(args.python):
        proc = subprocess.run([py, os.path.abspath(__file__), "--child", "--repeat",
                               str(args.repeat)], env=env, capture_output=True, text=True,
                              check=False)
        if proc.returncode != 0:
            print(f"python_cost.py: {py} failed: {proc.stderr.strip()}", file=sys.stderr)
            return 2
        r = json.loads(proc.stdout)
        results.append(r)
        cases = r["cases"]
        if r["library"] is None or r["enabled"]:
            print(f"python_cost.py: {py}: library {r['library']}, traced {r['enabled']}: "
                  "the untraced cost needs the library and no tracer", file=sys.stderr)
            return 2
        print(f"\nPython {r['python']} ({py}), libetlprobe {r['library']}, no tracer attached")
        print(f"  {'ns per operation':44s} {'best':>9s} {'median':>9s}")
        for name, _, _ in CASES:
            c = cases[name]
            print(f"  {name:44s} {fmt(c and c['best'])} {fmt(c and c['median'])}")
        base = cases["with cm (made once)"]["best"]
        made = cases["with Trivial() (made each time)"]["best"]
        op = cases["with etltrace.operation('x')"]["best"]
        verdict = "PASS" if op - base < BUDGET_NS else "MISS"
        ok = ok and verdict == "PASS"
        print(f"  operation() over an empty with: {op - base:+.1f} ns (made once), "
              f"{op - made:+.1f} ns (made each time); target < {BUDGET_NS:.0f} ns: {verdict}")
        seed = cases["seed way: perf_counter + psutil RSS"]
        if seed:
            print(f"  the seed's in-process way costs {seed['best'] - base:.0f} ns per operation, "
                  f"{(seed['best'] - base) / max(op - base, 1.0):.0f}x the marker's")
        if etltrace is None:
            continue
        try:
            t = run_traced(py, env, args.repeat, etltrace)
        except (RuntimeError, OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
            print(f"python_cost.py: {py} under etltrace: {e}", file=sys.stderr)
            return 2
        r["traced"] = t
        if not t["enabled"] or t["report_counts"] != t["expected_counts"]:
            print(f"python_cost.py: {py} under etltrace: enabled {t['enabled']}, counts "
                  f"{t['report_counts']}, expected {t['expected_counts']}", file=sys.stderr)
            return 2
        print(f"\nPython {r['python']} ({py}) under etltrace -p "
              f"({t['number']} operations per run; etltrace counted every one: "
              + ", ".join(f"{n} {c}" for n, c in t["report_counts"].items()) + ")")
        print(f"  {'ns per operation':44s} {'best':>9s} {'median':>9s} {'+untraced':>9s}")
        for name in TRACED_CASES:
            c = t["cases"].get(name)
            u = cases.get(name)
            extra = c["best"] - u["best"] if c and u else None
            print(f"  {name:44s} {fmt(c and c['best'])} {fmt(c and c['median'])} {fmt(extra)}")
        tb = t["cases"]["with cm (made once)"]["best"]
        top = t["cases"]["with etltrace.operation('x')"]["best"]
        tseed = t["cases"]["seed way: perf_counter + psutil RSS"]
        line = f"  traced operation() over an empty with: {top - tb:+.1f} ns"
        if tseed:
            line += f"; the seed's way: {tseed['best'] - tb:+.1f} ns"
        print(line)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
