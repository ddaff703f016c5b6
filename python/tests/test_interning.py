# SPDX-License-Identifier: MIT
"""The name cache: bounded, never evicted, one buffer per interned name.
Each test runs in a fresh interpreter: the cache lives as long as the
process, by design."""

import unittest

from tests import support

PRELUDE = """
import etltrace
from etltrace import _markers
calls = []
class On:
    value = 1
_markers._start_sem = _markers._end_sem = On()
_markers._c_start = lambda b: calls.append(("start", b))
_markers._c_end = lambda b: calls.append(("end", b))
CAP = etltrace.NAME_CACHE_SIZE
"""


class TestInterning(unittest.TestCase):
    def run_checked(self, code):
        proc = support.run_python(PRELUDE + code)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout

    def test_names_up_to_the_cap_keep_one_buffer_and_later_ones_do_not(self):
        out = self.run_checked("""
seen = []
_markers._c_start = lambda b: (calls.append(("start", b)), seen.append(b))
for rounds in range(2):
    for i in range(CAP + 10):
        with etltrace.operation(f"name_{i}"):
            pass
first, second = seen[:CAP + 10], seen[CAP + 10:]
assert len(first) == len(second) == CAP + 10
assert all(a is b for a, b in zip(first[:CAP], second[:CAP])), "interned"
assert not any(a is b for a, b in zip(first[CAP:], second[CAP:])), "past the cap"
assert first[CAP] == f"name_{CAP}".encode()
assert len(_markers._operations) == CAP
print("ok")
""")
        self.assertEqual(out.strip(), "ok")

    def test_interned_names_are_never_evicted_by_later_ones(self):
        out = self.run_checked("""
first = etltrace.operation("first")
for i in range(CAP * 2):
    etltrace.operation(f"filler_{i}")
assert etltrace.operation("first") is first
assert _markers._operations["first"]._bytes is first._bytes
with etltrace.operation("first"):
    pass
assert calls[0] == ("start", b"first"), calls[0]
print("ok")
""")
        self.assertEqual(out.strip(), "ok")

    def test_a_name_past_the_cap_is_a_new_buffer_at_each_use(self):
        out = self.run_checked("""
for i in range(CAP):
    etltrace.operation(f"filler_{i}")
a, b = etltrace.operation("late"), etltrace.operation("late")
assert a is not b and a._bytes == b._bytes == b"late"
etltrace.start("late")
etltrace.end("late")
assert calls == [("start", b"late"), ("end", b"late")], calls
print("ok")
""")
        self.assertEqual(out.strip(), "ok")

    def test_threads_racing_to_intern_never_exceed_the_cap(self):
        out = self.run_checked("""
import threading
def work(t):
    for i in range(CAP):
        etltrace.operation(f"n_{(i * 7 + t) % (CAP + 100)}")
ts = [threading.Thread(target=work, args=(t,)) for t in range(4)]
for t in ts: t.start()
for t in ts: t.join()
assert len(_markers._operations) == CAP, len(_markers._operations)
print("ok")
""")
        self.assertEqual(out.strip(), "ok")


if __name__ == "__main__":
    unittest.main()
