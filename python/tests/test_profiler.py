# SPDX-License-Identifier: MIT
"""ETLProfiler: the seed's API on top of the markers."""

import logging
import threading
import time
import unittest
import unittest.mock

from tests import support

from etltrace import ETLProfiler
from etltrace.profiler import ETLProfiler as ProfilerFromModule

OP_KEYS = {"count", "total_time", "avg_time", "min_time", "max_time",
           "avg_memory_delta", "max_memory_delta"}


class TestSeedApi(unittest.TestCase):
    def test_it_is_importable_from_the_package_and_the_profiler_module(self):
        self.assertIs(ETLProfiler, ProfilerFromModule)

    def test_the_report_has_the_seeds_shape_and_counts(self):
        p = ETLProfiler()
        for _ in range(3):
            with p.profile_operation("customer_transformation"):
                time.sleep(0.01)
        with p.profile_operation("data_validation"):
            pass
        r = p.get_performance_report()
        self.assertEqual(set(r), {"summary", "operations", "recommendations"})
        self.assertEqual(set(r["summary"]), {"total_time", "total_operations",
                                             "avg_operation_time"})
        ct = r["operations"]["customer_transformation"]
        self.assertEqual(set(ct), OP_KEYS)
        self.assertEqual(ct["count"], 3)
        self.assertGreaterEqual(ct["min_time"], 0.01)
        self.assertLess(ct["max_time"], 0.5)
        self.assertAlmostEqual(ct["avg_time"], ct["total_time"] / 3)
        self.assertLessEqual(ct["min_time"], ct["avg_time"])
        self.assertLessEqual(ct["avg_time"], ct["max_time"])
        self.assertEqual(r["summary"]["total_operations"], 4)
        self.assertAlmostEqual(r["summary"]["total_time"],
                               ct["total_time"] + r["operations"]["data_validation"]["total_time"])
        self.assertAlmostEqual(r["summary"]["avg_operation_time"], r["summary"]["total_time"] / 4)
        self.assertEqual(r["recommendations"], [])

    def test_an_empty_profiler_reports_zeros(self):
        r = ETLProfiler().get_performance_report()
        self.assertEqual(r["summary"], {"total_time": 0.0, "total_operations": 0,
                                        "avg_operation_time": 0.0})
        self.assertEqual(r["operations"], {})

    def test_memory_kept_by_an_operation_is_its_delta_in_mib(self):
        p = ETLProfiler()
        with p.profile_operation("allocate"):
            kept = bytearray(64 * 1048576)  # zero-filled pages: resident once touched
            kept[::4096] = b"\1" * len(kept[::4096])
        st = p.get_performance_report()["operations"]["allocate"]
        self.assertGreaterEqual(st["max_memory_delta"], 62.0)
        self.assertLessEqual(st["max_memory_delta"], 68.0)
        del kept

    def test_nested_operations_each_count_and_outer_lasts_longer(self):
        p = ETLProfiler()
        with p.profile_operation("outer"):
            for _ in range(2):
                with p.profile_operation("inner"):
                    time.sleep(0.002)
        ops = p.get_performance_report()["operations"]
        self.assertEqual(ops["outer"]["count"], 1)
        self.assertEqual(ops["inner"]["count"], 2)
        self.assertGreaterEqual(ops["outer"]["total_time"], ops["inner"]["total_time"])

    def test_an_exception_is_recorded_and_propagates(self):
        p = ETLProfiler()
        with self.assertRaises(ZeroDivisionError):
            with p.profile_operation("failing"):
                1 / 0
        self.assertEqual(p.get_performance_report()["operations"]["failing"]["count"], 1)

    def test_threads_share_one_profiler(self):
        p = ETLProfiler(track_memory=False)

        def work():
            for _ in range(1000):
                with p.profile_operation("threaded"):
                    pass

        ts = [threading.Thread(target=work) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(p.get_performance_report()["operations"]["threaded"]["count"], 4000)

    def test_a_name_that_is_not_a_str_raises_type_error(self):
        with self.assertRaises(TypeError):
            ETLProfiler().profile_operation(7)

    def test_each_operation_is_logged_as_the_seed_logs_it(self):
        p = ETLProfiler(track_memory=False)
        with self.assertLogs("etl.profiler", level="INFO") as logs:
            with p.profile_operation("data_processing"):
                pass
        self.assertRegex(logs.output[0],
                         r"^INFO:etl\.profiler:data_processing: 0\.00s, Memory: \+0\.0MB$")

    def test_recommendations_use_the_seeds_texts_and_thresholds(self):
        p = ETLProfiler(slow_threshold=0.001, memory_threshold=-1.0, track_memory=False)
        with p.profile_operation("slowish"):
            time.sleep(0.005)
        recs = p.get_performance_report()["recommendations"]
        self.assertRegex(recs[0], r"^Operation 'slowish' is slow \(avg: 0\.0s\)\. "
                                  r"Consider optimization\.$")
        self.assertEqual(recs[1], "Operation 'slowish' uses high memory (max: 0.0MB). "
                                  "Consider batch processing.")

    def test_suggestions_from_a_report(self):
        report = {"operations": {
            "customer_transformation": {"avg_time": 2.5, "max_memory_delta": 10.0},
            "data_loading": {"avg_time": 0.1, "max_memory_delta": 60.0},
            "quick": {"avg_time": 0.1, "max_memory_delta": 1.0}}}
        self.assertEqual(ETLProfiler().suggest_optimizations(report), [
            "Consider batch processing for customer_transformation",
            "Implement memory cleanup for data_loading"])

    def test_a_subclass_overriding_suggestions_works_as_in_the_seed(self):
        class Custom(ETLProfiler):
            def suggest_optimizations(self, report):
                return [f"Optimize slow operation: {op}"
                        for op, st in report["operations"].items() if st["avg_time"] >= 0]

        p = Custom(track_memory=False)
        with p.profile_operation("x"):
            pass
        self.assertEqual(p.suggest_optimizations(p.get_performance_report()),
                         ["Optimize slow operation: x"])


class TestProbes(unittest.TestCase):
    def test_each_profiled_block_fires_the_probes(self):
        rec = support.Recorder()
        p = ETLProfiler(track_memory=False)
        with rec.patch():
            with p.profile_operation("probed"):
                with p.profile_operation("probed_inner"):
                    pass
        self.assertEqual(rec.simple(), [
            ("start", b"probed"), ("start", b"probed_inner"),
            ("end", b"probed_inner"), ("end", b"probed")])

    def test_probes_only_keeps_nothing_and_logs_nothing(self):
        rec = support.Recorder()
        p = ETLProfiler(in_process=False)
        logger = logging.getLogger("etl.profiler")
        with rec.patch(), unittest.mock.patch.object(logger, "info") as info:
            with p.profile_operation("only_probes"):
                pass
        info.assert_not_called()
        self.assertEqual(rec.simple(), [("start", b"only_probes"),
                                        ("end", b"only_probes")])
        self.assertEqual(p.get_performance_report()["operations"], {})


if __name__ == "__main__":
    unittest.main()
