# SPDX-License-Identifier: MIT
"""Finding and loading libetlprobe, the C library that holds the probes.

The package must load the very library etltrace attaches to, so it never
carries a copy of its own. It tries, in order:

1. the path in the environment variable ``ETLTRACE_LIBETLPROBE``;
2. ``libetlprobe.so.1`` through the dynamic loader's search (an installed
   copy: ``ld.so.cache``, ``LD_LIBRARY_PATH``, the default directories).

A library that cannot be loaded, lacks a symbol or has another ABI version
is skipped (with a RuntimeWarning when it was named by the environment
variable); if none is left, the markers do nothing and
``etltrace.enabled()`` is False. Importing never fails because of it.
"""

import ctypes
import os
import warnings

ENV_VAR = "ETLTRACE_LIBETLPROBE"
SONAME = "libetlprobe.so.1"
ABI_VERSION = 1


class Unattached:
    """Stands in for a semaphore when there is no library: always 0."""

    __slots__ = ()
    value = 0


class Library:
    """libetlprobe's functions and semaphores, typed for ctypes."""

    def __init__(self, dll, name):
        self.name = name
        self.start_semaphore = ctypes.c_ushort.in_dll(dll, "etlprobe_start_semaphore")
        self.end_semaphore = ctypes.c_ushort.in_dll(dll, "etlprobe_end_semaphore")
        self.start = _function(dll, "etlprobe_start", [ctypes.c_char_p])
        self.start_literal = _function(dll, "etlprobe_start_literal", [ctypes.c_char_p])
        self.end = _function(dll, "etlprobe_end", [ctypes.c_char_p])
        self.end_records = _function(dll, "etlprobe_end_records",
                                     [ctypes.c_char_p, ctypes.c_uint64])
        version = _function(dll, "etlprobe_abi_version", [], ctypes.c_uint)()
        if version != ABI_VERSION:
            raise OSError(f"ABI version {version}, this package needs {ABI_VERSION}")
        self._anchor = ctypes.cast(self.start, ctypes.c_void_p).value

    def path(self):
        """The file the library was loaded from (read from /proc/self/maps),
        or its name as given if that cannot be read."""
        try:
            with open("/proc/self/maps", encoding="utf-8", errors="surrogateescape") as maps:
                for line in maps:
                    fields = line.split(None, 5)
                    lo, _, hi = fields[0].partition("-")
                    if len(fields) == 6 and int(lo, 16) <= self._anchor < int(hi, 16):
                        return fields[5].rstrip("\n")
        except OSError:
            pass
        return self.name


def _function(dll, name, argtypes, restype=None):
    f = getattr(dll, name)
    f.argtypes = argtypes
    f.restype = restype
    return f


def _open(name):
    # PyDLL: the call keeps the GIL. The functions return at once (a
    # semaphore test, or one uprobe hit while traced): releasing and taking
    # back the GIL would cost more than the call.
    return Library(ctypes.PyDLL(name), name)


def load():
    """Returns (Library or None, list of "name: why" for the ones skipped)."""
    skipped = []
    env = os.environ.get(ENV_VAR)
    if env:
        try:
            return _open(env), skipped
        except (OSError, AttributeError, ValueError) as e:
            skipped.append(f"{env}: {e}")
            warnings.warn(f"etltrace: cannot use {env} (from {ENV_VAR}): {e}; "
                          f"trying {SONAME}", RuntimeWarning, stacklevel=3)
    try:
        return _open(SONAME), skipped
    except (OSError, AttributeError, ValueError) as e:
        skipped.append(f"{SONAME}: {e}")
    return None, skipped
