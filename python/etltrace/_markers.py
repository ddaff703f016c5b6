# SPDX-License-Identifier: MIT
"""The markers: operation(), start(), end(), enabled().

Cost model. With no tracer attached, a marker reads a semaphore of
libetlprobe through ctypes (c_ushort.value, ~30 ns) and calls nothing.
While traced, it makes one ctypes call, whose uprobe fires the probe.

Names. etltrace receives bytes: each str name is encoded to UTF-8 once and
interned, up to NAME_CACHE_SIZE distinct names, in a cache kept for the
life of the process, so that an operation's start and end pass the same
address (etltrace pairs them by address first). Names beyond the cap are
encoded at each use into a temporary buffer. Either way BPF reads the name
at each start: the literal flag (read once, later, by address) is for
names in a file's read-only data, which can still be read after the
process is gone; these live on the heap of a process that may exit before
etltrace reads them.
"""

import functools
import inspect
import operator as _operator
import threading

from . import _lib

NAME_CACHE_SIZE = 4096

_library, _skipped = _lib.load()
if _library is not None:
    _start_sem = _library.start_semaphore
    _end_sem = _library.end_semaphore
    _c_start = _library.start
    _c_end = _library.end
    _c_end_records = _library.end_records
else:
    _start_sem = _end_sem = _lib.Unattached()
    _c_start = _c_end = _c_end_records = None

_U64_LIMIT = 1 << 64


class _Operation:
    """One operation name, ready to be sent: a context manager and a
    decorator. Holds no per-use state, so one object serves every thread
    and every nesting level of its name."""

    __slots__ = ("name", "_bytes", "__weakref__")

    def __init__(self, name, data):
        self.name = name
        self._bytes = data

    def __enter__(self):
        if _start_sem.value:
            _c_start(self._bytes)
        return self

    def __exit__(self, exc_type, exc, tb):
        if _end_sem.value:
            _c_end(self._bytes)
        # The exception, if any, propagates.

    def __call__(self, func):
        """Decorates func (or a coroutine function) so each call is one
        operation. A generator function's operation covers creating the
        generator only, not iterating it: mark its body instead."""
        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def marked_coroutine(*args, **kwargs):
                with self:
                    return await func(*args, **kwargs)
            return marked_coroutine

        @functools.wraps(func)
        def marked(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return marked

    def __repr__(self):
        return f"etltrace.operation({self.name!r})"


_operations = {}  # str -> _Operation whose bytes are interned
_intern_lock = threading.Lock()


def _encode(name):
    """name's bytes for etltrace: UTF-8, undecodable bytes that a surrogate
    escape stands for given back as they were, other lone surrogates as
    backslash escapes. Raises TypeError (not a str) or ValueError (NUL)."""
    if not isinstance(name, str):
        raise TypeError(f"operation name must be str, not {type(name).__name__}")
    try:
        data = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = name.encode("utf-8", "backslashreplace")
    if b"\0" in data:
        raise ValueError("operation name contains a NUL character")
    return data


def _lookup(name):
    """The operation for name: interned while the cache has room, else a
    new one over a temporary buffer. The cache-hit path is inlined in the
    callers; this is the miss."""
    data = _encode(name)
    key = str.__str__(name)  # a str subclass is keyed by its plain value
    with _intern_lock:
        op = _operations.get(key)
        if op is not None:
            return op
        if len(_operations) < NAME_CACHE_SIZE:
            op = _Operation(key, data)
            _operations[key] = op
            return op
    return _Operation(key, data)


def operation(name):
    """The operation `name` (a str): a context manager whose block is the
    operation, and a decorator marking each call of a function.

        with etltrace.operation("extract"):
            rows = read_rows()

        @etltrace.operation("transform_batch")
        def transform(batch): ...

    The operation ends when the block exits, also by an exception, which
    propagates. Raises TypeError if name is not a str (and sends nothing),
    ValueError if it contains a NUL character."""
    op = _operations.get(name)
    if op is None:
        op = _lookup(name)
    return op


def start(name):
    """Starts operation `name` on this thread; end(name) ends it. Prefer
    operation() as a context manager, which cannot forget the end."""
    op = _operations.get(name)
    if op is None:
        op = _lookup(name)
    if _start_sem.value:
        _c_start(op._bytes)


def end(name, records=None):
    """Ends the innermost open operation `name` of this thread. records, an
    int in [0, 2**64), is the number of records it processed (etltrace
    reports records/s). Raises TypeError / ValueError for a bad name or
    count, with nothing sent."""
    op = _operations.get(name)
    if op is None:
        op = _lookup(name)
    if records is not None:
        records = _operator.index(records)
        if not 0 <= records < _U64_LIMIT:
            raise ValueError(f"records must be in [0, 2**64), not {records}")
    if _end_sem.value:
        if records is None:
            _c_end(op._bytes)
        else:
            _c_end_records(op._bytes, records)


def enabled():
    """True while a tracer is attached to this process's libetlprobe;
    always False when no library was found (the markers then do nothing)."""
    return bool(_start_sem.value or _end_sem.value)


def library_path():
    """The libetlprobe file in use, or None when none was found."""
    return _library.path() if _library is not None else None


def library_problems():
    """Why each library tried before the one in use (or all of them, when
    none is in use) was skipped: a list of "name: reason" strings."""
    return list(_skipped)
