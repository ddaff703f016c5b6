# SPDX-License-Identifier: MIT
"""etltrace markers for Python: name the operations of an ETL job so that
``etltrace -p PID`` or ``etltrace -- python3 job.py`` reports their time and
memory, with nothing measured inside the process.

    import etltrace

    with etltrace.operation("extract"):
        rows = read_rows()

    @etltrace.operation("transform_batch")
    def transform(batch): ...

    etltrace.start("load")
    try:
        n = write(rows)
    finally:
        etltrace.end("load", records=n)     # records/s in the report

    if etltrace.enabled(): ...              # a tracer is attached now

The markers fire the USDT probes of libetlprobe (the C library installed
with etltrace) through ctypes. It is found through the environment
variable ETLTRACE_LIBETLPROBE (a path), else as libetlprobe.so.1 in the
dynamic loader's search path; without it every marker does nothing and
enabled() is False (library_problems() says why). Only the standard
library is used.

With no tracer attached a marker costs a semaphore read: 0.1 to 0.2 us
over an empty ``with`` block (bench/python_cost.py). While traced, each
probe is one ctypes call and the kernel's uprobe: 1.4 us in a tight loop,
about 5 us (median) amid real work, when caches are cold.

ETLProfiler (etltrace.profiler) is a drop-in for the seed profiler.
"""

from ._markers import (NAME_CACHE_SIZE, enabled, end, library_path, library_problems,
                       operation, start)
from .profiler import ETLProfiler

__version__ = "0.1.0"

__all__ = ["operation", "start", "end", "enabled", "library_path", "library_problems",
           "ETLProfiler", "NAME_CACHE_SIZE", "__version__"]
