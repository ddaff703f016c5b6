# SPDX-License-Identifier: MIT
"""Test helpers: the library under test, a recorder standing in for the
probes, and a child interpreter for tests that need a fresh import."""

import os
import subprocess
import sys
import threading
import unittest.mock

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
REPO_ROOT = os.path.dirname(PACKAGE_ROOT)


def library():
    """The libetlprobe under test: $ETLTRACE_LIBETLPROBE, else the build's."""
    return os.environ.get("ETLTRACE_LIBETLPROBE") or os.path.join(
        REPO_ROOT, "build", "lib", "libetlprobe.so.1")


# The tests load the real library unless told otherwise.
os.environ.setdefault("ETLTRACE_LIBETLPROBE", library())


class _Raised:
    __slots__ = ()
    value = 1


class Recorder:
    """Stands in for libetlprobe with both semaphores raised, as if traced:
    records each call as (thread ident, function, name bytes[, records])."""

    def __init__(self):
        self.calls = []
        self._lock = threading.Lock()

    def _fn(self, kind):
        def call(*args):
            with self._lock:
                self.calls.append((threading.get_ident(), kind) + args)
        return call

    def patch(self):
        from etltrace import _markers
        return unittest.mock.patch.multiple(
            _markers, _start_sem=_Raised(), _end_sem=_Raised(),
            _c_start=self._fn("start"),
            _c_end=self._fn("end"), _c_end_records=self._fn("end_records"))

    def simple(self):
        """The calls without thread idents."""
        return [c[1:] for c in self.calls]


def run_python(code, env_extra=None, env_drop=()):
    """Runs code in a new interpreter (this one) with the package importable;
    returns the CompletedProcess (text stdout and stderr)."""
    env = dict(os.environ)
    for k in env_drop:
        env.pop(k, None)
    env["PYTHONPATH"] = PACKAGE_ROOT
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
