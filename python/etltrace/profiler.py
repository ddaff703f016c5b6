# SPDX-License-Identifier: MIT
"""ETLProfiler: a drop-in for the seed's ``django_etl.profiler.ETLProfiler``.

Switching is one import::

    from etltrace.profiler import ETLProfiler   # was: from django_etl.profiler import ...

Each ``profile_operation(name)`` block is an etltrace operation: the probes
fire, and ``etltrace -p PID`` (or ``etltrace -- CMD``) reports it with the
seed's keys and more (percentiles, CPU vs waiting time, peak memory, faults,
I/O), from outside the process.

The seed's in-process API keeps working, so code that reads the report,
alerts on it or overrides ``suggest_optimizations`` runs unchanged. What
differs:

- Memory is the process's resident set read from ``/proc/self/statm`` (the
  standard library has no psutil): the same quantity as the seed's
  ``psutil.Process().memory_info().rss``, in MB of 2**20 bytes. A profiled
  block costs about 6 us in process, the seed's way about 40 us
  (bench/python_cost.py); etltrace alone, in_process=False, 0.15 us.
- ``suggest_optimizations`` applies the two rules that need only what is
  measured in process ("Consider batch processing for X", "Implement memory
  cleanup for X"); the rules that need off-CPU time or the peak memory inside
  an operation ("Enable parallel processing...", "Reduce batch size...") are
  etltrace's, in its report.
- Statistics are kept under a lock, so threads may share one profiler.
- ``ETLProfiler(in_process=False)`` only fires the probes: no clock or
  memory reads, no statistics, no log lines (etltrace ``--log`` prints the
  same lines); the report then has no operations.
"""

import logging
import os
import threading
import time

from . import _markers

_MB = 1048576.0

logger = logging.getLogger("etl.profiler")


class _RSS:
    """The process's resident set size in bytes, from /proc/self/statm."""

    def __init__(self):
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._fd = -1
        self._lock = threading.Lock()
        if hasattr(os, "register_at_fork"):
            # /proc/self was resolved at open: a child must open its own.
            os.register_at_fork(after_in_child=self._forget)

    def _forget(self):
        self._fd = -1

    def read(self):
        """Bytes resident now, or 0 if /proc cannot be read."""
        try:
            if self._fd < 0:
                with self._lock:
                    if self._fd < 0:
                        self._fd = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)
            return int(os.pread(self._fd, 128, 0).split()[1]) * self._page
        except (OSError, IndexError, ValueError):
            return 0


_rss = _RSS()


class _Stats:
    __slots__ = ("count", "total", "min", "max", "mem_total", "mem_max")

    def __init__(self):
        self.count = 0
        self.total = 0.0
        self.min = float("inf")
        self.max = 0.0
        self.mem_total = 0.0
        self.mem_max = float("-inf")


class _Profiled:
    """One use of profile_operation: times the block around the probes."""

    __slots__ = ("_profiler", "_op", "_t0", "_m0")

    def __init__(self, profiler, op):
        self._profiler = profiler
        self._op = op

    def __enter__(self):
        self._m0 = _rss.read() if self._profiler.track_memory else 0
        self._t0 = time.perf_counter()
        self._op.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        self._op.__exit__(exc_type, exc, tb)
        elapsed = time.perf_counter() - self._t0
        delta = (_rss.read() - self._m0) / _MB if self._profiler.track_memory else 0.0
        self._profiler._record(self._op.name, elapsed, delta)


def _signed_mb(mb):
    """"+15.2" / "-3.0", as etltrace --log writes it: no "-0.0"."""
    text = f"{abs(mb):.1f}"
    return ("-" if mb < 0 and text != "0.0" else "+") + text


class ETLProfiler:
    """Profiles named operations; see the module docstring for what differs
    from the seed.

    ETLProfiler() behaves like the seed's. Keyword-only options:
    in_process (True): keep statistics and log lines in this process too;
    track_memory (True): read RSS at each start and end (~3 us each; False
    gives memory deltas of 0.0); slow_threshold (2.0 s) and memory_threshold
    (100.0 MB): the recommendation thresholds (MONITORING's
    PERFORMANCE_THRESHOLD_SECONDS and MEMORY_THRESHOLD_MB); batch_threshold
    (2.0 s) and cleanup_threshold (50.0 MB): the suggestion thresholds, as
    etltrace's defaults.
    """

    def __init__(self, *, in_process=True, track_memory=True, slow_threshold=2.0,
                 memory_threshold=100.0, batch_threshold=2.0, cleanup_threshold=50.0):
        self.in_process = in_process
        self.track_memory = track_memory and in_process
        self.slow_threshold = slow_threshold
        self.memory_threshold = memory_threshold
        self.batch_threshold = batch_threshold
        self.cleanup_threshold = cleanup_threshold
        self._stats = {}
        self._lock = threading.Lock()

    def profile_operation(self, name):
        """A context manager: its block is operation `name`, sent to etltrace
        and (in_process) timed here. Nesting, threads and exceptions work as
        with etltrace.operation; TypeError if name is not a str."""
        op = _markers.operation(name)
        return _Profiled(self, op) if self.in_process else op

    def _record(self, name, elapsed, delta_mb):
        with self._lock:
            s = self._stats.get(name)
            if s is None:
                s = self._stats[name] = _Stats()
            s.count += 1
            s.total += elapsed
            s.min = min(s.min, elapsed)
            s.max = max(s.max, elapsed)
            s.mem_total += delta_mb
            s.mem_max = max(s.mem_max, delta_mb)
        if logger.isEnabledFor(logging.INFO):
            logger.info("%s: %.2fs, Memory: %sMB", name, elapsed, _signed_mb(delta_mb))

    def get_performance_report(self):
        """The seed's report: {"summary": {total_time, total_operations,
        avg_operation_time}, "operations": {name: {count, total_time,
        avg_time, min_time, max_time, avg_memory_delta, max_memory_delta}},
        "recommendations": [...]}; times in seconds, memory in MB. Nested
        operations count at each level, as in the seed. With
        in_process=False, there are no operations (etltrace has them)."""
        with self._lock:
            items = [(name, s.count, s.total, s.min, s.max, s.mem_total, s.mem_max)
                     for name, s in self._stats.items()]
        operations = {}
        total_time = 0.0
        total_ops = 0
        for name, count, total, tmin, tmax, mem_total, mem_max in items:
            operations[name] = {
                "count": count,
                "total_time": total,
                "avg_time": total / count,
                "min_time": tmin,
                "max_time": tmax,
                "avg_memory_delta": mem_total / count,
                "max_memory_delta": mem_max,
            }
            total_time += total
            total_ops += count
        recommendations = []
        for name, st in operations.items():
            if st["avg_time"] > self.slow_threshold:
                recommendations.append(f"Operation '{name}' is slow "
                                       f"(avg: {st['avg_time']:.1f}s). Consider optimization.")
            if st["max_memory_delta"] > self.memory_threshold:
                recommendations.append(f"Operation '{name}' uses high memory (max: "
                                       f"{st['max_memory_delta']:.1f}MB). Consider batch processing.")
        return {
            "summary": {
                "total_time": total_time,
                "total_operations": total_ops,
                "avg_operation_time": total_time / total_ops if total_ops else 0.0,
            },
            "operations": operations,
            "recommendations": recommendations,
        }

    def suggest_optimizations(self, report=None):
        """The seed's suggestions for report (default: this profiler's):
        "Consider batch processing for X" when avg_time > batch_threshold,
        "Implement memory cleanup for X" when max_memory_delta >
        cleanup_threshold; each text once."""
        if report is None:
            report = self.get_performance_report()
        suggestions = []
        for name, st in report.get("operations", {}).items():
            for text, fired in (
                    (f"Consider batch processing for {name}",
                     st.get("avg_time", 0.0) > self.batch_threshold),
                    (f"Implement memory cleanup for {name}",
                     st.get("max_memory_delta", 0.0) > self.cleanup_threshold)):
                if fired and text not in suggestions:
                    suggestions.append(text)
        return suggestions
