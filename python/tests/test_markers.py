# SPDX-License-Identifier: MIT
"""operation / start / end / enabled: what reaches the probes, in order."""

import asyncio
import threading
import unittest
import unittest.mock

from tests import support

import etltrace
from etltrace import _markers


class TestApiShape(unittest.TestCase):
    def test_the_public_names_exist(self):
        for name in ("operation", "start", "end", "enabled", "ETLProfiler",
                     "NAME_CACHE_SIZE", "library_path", "library_problems", "__version__"):
            self.assertTrue(hasattr(etltrace, name), name)
        self.assertEqual(etltrace.NAME_CACHE_SIZE, 4096)

    def test_the_library_under_test_is_loaded(self):
        path = etltrace.library_path()
        self.assertIsNotNone(path, etltrace.library_problems())
        self.assertTrue(path.endswith("libetlprobe.so.1.0.0"), path)

    def test_enabled_is_false_with_no_tracer(self):
        self.assertFalse(etltrace.enabled())

    def test_markers_with_no_tracer_call_nothing(self):
        rec = support.Recorder()
        with rec.patch():
            # Semaphores back to the real ones (0): nothing may be called.
            _markers._start_sem = _markers._library.start_semaphore
            _markers._end_sem = _markers._library.end_semaphore
            with etltrace.operation("quiet"):
                etltrace.start("quiet2")
                etltrace.end("quiet2", records=3)
        self.assertEqual(rec.calls, [])

    def test_real_calls_accept_every_argument_shape(self):
        # Semaphores raised by hand, real C functions (which find their own
        # semaphores at 0 and return): ctypes conversions are exercised.
        with unittest.mock.patch.multiple(_markers, _start_sem=support._Raised(),
                                          _end_sem=support._Raised()):
            with etltrace.operation("real"):
                etltrace.start("real_inner")
                etltrace.end("real_inner", records=2**64 - 1)
            with etltrace.operation("ünïcode ✓"):
                pass


class TestWhatIsSent(unittest.TestCase):
    def setUp(self):
        self.rec = support.Recorder()
        self.patcher = self.rec.patch()
        self.patcher.start()
        self.addCleanup(self.patcher.stop)

    def test_an_operation_is_a_start_and_an_end_of_the_same_bytes(self):
        with etltrace.operation("extract"):
            pass
        calls = self.rec.simple()
        self.assertEqual(calls, [("start", b"extract"), ("end", b"extract")])
        self.assertIs(calls[0][1], calls[1][1])

    def test_interned_bytes_are_the_same_object_at_every_use(self):
        with etltrace.operation("same"):
            pass
        etltrace.start("same")
        etltrace.end("same")
        names = [c[1] for c in self.rec.simple()]
        self.assertTrue(all(n is names[0] for n in names))

    def test_nested_operations_end_innermost_first(self):
        with etltrace.operation("outer"):
            with etltrace.operation("middle"):
                with etltrace.operation("inner"):
                    pass
            with etltrace.operation("middle"):
                pass
        self.assertEqual(self.rec.simple(), [
            ("start", b"outer"), ("start", b"middle"),
            ("start", b"inner"), ("end", b"inner"), ("end", b"middle"),
            ("start", b"middle"), ("end", b"middle"), ("end", b"outer")])

    def test_an_exception_ends_the_operation_and_propagates(self):
        with self.assertRaisesRegex(KeyError, "boom"):
            with etltrace.operation("failing"):
                with etltrace.operation("inner"):
                    raise KeyError("boom")
        self.assertEqual(self.rec.simple(), [
            ("start", b"failing"), ("start", b"inner"),
            ("end", b"inner"), ("end", b"failing")])

    def test_start_and_end_with_a_record_count(self):
        etltrace.start("load")
        etltrace.end("load", records=1234)
        etltrace.end("load", records=True)  # an int
        self.assertEqual(self.rec.simple(), [
            ("start", b"load"), ("end_records", b"load", 1234),
            ("end_records", b"load", 1)])

    def test_non_ascii_names_are_sent_as_utf8(self):
        for name in ("café", "数据加载", "emoji 🚀", "Ωmega"):
            with etltrace.operation(name):
                pass
        sent = [c[1] for c in self.rec.simple()]
        self.assertEqual(sent[0::2], [n.encode("utf-8") for n in
                                      ("café", "数据加载", "emoji 🚀", "Ωmega")])

    def test_surrogate_escaped_bytes_are_given_back_as_they_were(self):
        name = b"raw\xff\xfename".decode("utf-8", "surrogateescape")
        with etltrace.operation(name):
            pass
        self.assertEqual(self.rec.simple()[0], ("start", b"raw\xff\xfename"))

    def test_a_str_subclass_is_sent_as_its_value(self):
        class Name(str):
            pass
        with etltrace.operation(Name("subclassed")):
            pass
        self.assertEqual(self.rec.simple()[0], ("start", b"subclassed"))

    def test_a_name_that_is_not_a_str_raises_type_error_and_sends_nothing(self):
        for bad in (42, b"bytes", None, 3.5, ["list"], object()):
            with self.subTest(bad=bad):
                with self.assertRaises(TypeError):
                    with etltrace.operation(bad):
                        pass
                with self.assertRaises(TypeError):
                    etltrace.start(bad)
                with self.assertRaises(TypeError):
                    etltrace.end(bad)
        self.assertEqual(self.rec.calls, [])

    def test_a_name_with_a_nul_raises_value_error_and_sends_nothing(self):
        with self.assertRaises(ValueError):
            etltrace.operation("nul\0inside")
        with self.assertRaises(ValueError):
            etltrace.start("nul\0inside")
        self.assertEqual(self.rec.calls, [])

    def test_a_bad_record_count_raises_and_sends_nothing(self):
        for bad, exc in ((-1, ValueError), (2**64, ValueError), (1.5, TypeError),
                         ("12", TypeError)):
            with self.subTest(bad=bad):
                with self.assertRaises(exc):
                    etltrace.end("counted", records=bad)
        self.assertEqual(self.rec.calls, [])

    def test_the_decorator_marks_each_call_and_keeps_the_function(self):
        @etltrace.operation("decorated")
        def double(x, *, by=2):
            """Doubles."""
            return x * by

        self.assertEqual(double(21), 42)
        self.assertEqual(double(2, by=5), 10)
        self.assertEqual(double.__name__, "double")
        self.assertEqual(double.__doc__, "Doubles.")
        self.assertEqual(self.rec.simple(), [("start", b"decorated"),
                                             ("end", b"decorated")] * 2)

    def test_the_decorator_ends_the_operation_when_the_function_raises(self):
        @etltrace.operation("raising")
        def fail():
            raise RuntimeError("no")

        with self.assertRaises(RuntimeError):
            fail()
        self.assertEqual(self.rec.simple(), [("start", b"raising"), ("end", b"raising")])

    def test_a_decorated_coroutine_is_one_operation_across_its_awaits(self):
        @etltrace.operation("async_op")
        async def work():
            await asyncio.sleep(0)
            with etltrace.operation("after_await"):
                pass
            return 7

        self.assertEqual(asyncio.run(work()), 7)
        self.assertEqual(self.rec.simple(), [
            ("start", b"async_op"), ("start", b"after_await"),
            ("end", b"after_await"), ("end", b"async_op")])

    def test_threads_each_send_their_own_balanced_sequence(self):
        barrier = threading.Barrier(4)

        def worker(i):
            barrier.wait()
            for _ in range(500):
                with etltrace.operation("thread_op"):
                    with etltrace.operation(f"thread_{i}"):
                        pass

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        by_thread = {}
        for ident, kind, name in self.rec.calls:
            by_thread.setdefault(ident, []).append((kind, name))
        self.assertEqual(len(by_thread), 4)
        for seq in by_thread.values():
            inner = seq[1][1]
            self.assertTrue(inner.startswith(b"thread_"))
            self.assertEqual(seq, [("start", b"thread_op"), ("start", inner),
                                   ("end", inner), ("end", b"thread_op")] * 500)

    def test_enabled_follows_the_semaphores(self):
        self.assertTrue(etltrace.enabled())

    def test_repr_names_the_operation(self):
        self.assertEqual(repr(etltrace.operation("shown")), "etltrace.operation('shown')")


if __name__ == "__main__":
    unittest.main()
