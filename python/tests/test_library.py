# SPDX-License-Identifier: MIT
"""Finding libetlprobe: the environment variable, then the system's copy;
without one, markers do nothing and import still succeeds."""

import os
import unittest

from tests import support

NO_SYSTEM_LIB = {"LD_LIBRARY_PATH": ""}

# The loader is made to find no libetlprobe.so.1 even where one is installed
# (ld.so.cache cannot be turned off from the environment).
HIDE_SYSTEM_COPY = """
import ctypes
_real = ctypes.PyDLL
def _hidden(name, *args, **kwargs):
    if name == "libetlprobe.so.1":
        raise OSError(name + ": cannot open shared object file (hidden by the test)")
    return _real(name, *args, **kwargs)
ctypes.PyDLL = _hidden
"""

NOOP_CHECK = HIDE_SYSTEM_COPY + """
import etltrace
assert etltrace.library_path() is None, etltrace.library_path()
assert etltrace.enabled() is False
with etltrace.operation("x"):
    etltrace.start("y")
    etltrace.end("y", records=5)
@etltrace.operation("deco")
def f():
    return 3
assert f() == 3
p = etltrace.ETLProfiler()
with p.profile_operation("z"):
    pass
assert p.get_performance_report()["operations"]["z"]["count"] == 1
try:
    etltrace.operation(5)
except TypeError:
    pass
else:
    raise AssertionError("no TypeError")
print("|".join(etltrace.library_problems()))
"""


class TestLibraryLookup(unittest.TestCase):
    def test_the_environment_variable_names_the_library(self):
        proc = support.run_python(
            "import etltrace; print(etltrace.library_path())",
            env_extra={"ETLTRACE_LIBETLPROBE": support.library()})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(),
                         os.path.realpath(support.library()))

    def test_the_system_copy_is_found_by_its_soname(self):
        # LD_LIBRARY_PATH stands for an installed copy in the loader's path.
        libdir = os.path.dirname(support.library())
        proc = support.run_python(
            "import etltrace; print(etltrace.library_path())",
            env_extra={"LD_LIBRARY_PATH": libdir}, env_drop=("ETLTRACE_LIBETLPROBE",))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), os.path.realpath(support.library()))

    def test_without_a_library_markers_are_no_ops_and_import_succeeds(self):
        proc = support.run_python(NOOP_CHECK, env_extra=NO_SYSTEM_LIB,
                                  env_drop=("ETLTRACE_LIBETLPROBE",))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("libetlprobe.so.1:", proc.stdout)
        self.assertEqual(proc.stderr, "")  # silent: no library is a normal case

    def test_a_bad_path_in_the_variable_warns_and_falls_back(self):
        proc = support.run_python(NOOP_CHECK, env_extra=dict(
            NO_SYSTEM_LIB, ETLTRACE_LIBETLPROBE="/nonexistent/libetlprobe.so.1"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("RuntimeWarning", proc.stderr)
        self.assertIn("/nonexistent/libetlprobe.so.1", proc.stderr)

    def test_a_library_without_the_abi_is_skipped_with_a_warning(self):
        # libc is a shared object without etlprobe's symbols.
        proc = support.run_python(
            "import etltrace; print(etltrace.library_path())",
            env_extra={"ETLTRACE_LIBETLPROBE": "libc.so.6",
                       "LD_LIBRARY_PATH": os.path.dirname(support.library())})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("cannot use libc.so.6", proc.stderr)
        # ... and the next candidate, the soname, is used.
        self.assertEqual(proc.stdout.strip(), os.path.realpath(support.library()))


if __name__ == "__main__":
    unittest.main()
