// SPDX-License-Identifier: MIT
/*
 * test_python.c - Python jobs marked with the etltrace package (python/),
 * traced by the real etltrace through libetlprobe: exact counts, and
 * durations checked against the job's own time.perf_counter measurements.
 *
 * The interpreter is /usr/bin/python3 (Debian's; ETLTRACE_PYTHON overrides
 * it). The package is used from the tree (PYTHONPATH=python) with the
 * built library (ETLTRACE_LIBETLPROBE=build/lib/libetlprobe.so.1); nothing
 * needs installing. Run from the repository's root, as make does.
 *
 * Durations: examples/etl_demo.py --timings times each operation twice,
 * "inner" from after its start marker returned to before its end marker
 * was called, "outer" from before the start marker to after the end
 * marker returned. etltrace's timestamps are taken inside the markers'
 * probes, on the same clock (CLOCK_MONOTONIC), so each of its durations
 * lies between the two: per operation, inner_total <= total_time <=
 * outer_total, and the same for min_time and max_time, within 1 us for the
 * report's rounding to the microsecond. No other tolerance: a loaded
 * machine widens the outer bound, it cannot break it.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define ROUNDING 1e-6 /* the report's times are rounded to the microsecond */

static char *python(void)
{
	const char *p = getenv("ETLTRACE_PYTHON");

	return (char *)(p && *p ? p : "/usr/bin/python3");
}

/* Root, then the environment every Python target inherits: the package
 * from the tree and the built library, by absolute path (the file etltrace
 * attaches to). */
static int setup(void **state)
{
	char lib[PATH_MAX], pkg[PATH_MAX];

	if (harness_require_root(state))
		return -1;
	if (!realpath(build_path("lib/libetlprobe.so.1"), lib) || !realpath("python", pkg)) {
		fprintf(stderr, "run from the repository's root after make: "
				"build/lib/libetlprobe.so.1 and python/ are needed\n");
		return -1;
	}
	setenv("ETLTRACE_LIBETLPROBE", lib, 1);
	setenv("PYTHONPATH", pkg, 1);
	setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
	fprintf(stderr, "python: %s\n", python());
	return 0;
}

/* report["operations"][name][key] as an integer; fails naming the
 * operation if it is missing. */
static long long op_int(struct json_object *r, const char *name, const char *key)
{
	struct json_object *op = report_op(r, name);

	if (!op)
		fail_msg("operation %s missing from the report", name);
	return jint(op, key);
}

static char *tmp_path(void)
{
	char *p = strdup("/tmp/etltrace-py-timings-XXXXXX");
	int fd = p ? mkstemp(p) : -1;

	assert_true(fd >= 0);
	close(fd);
	return p;
}

static void assert_between(const char *op, const char *what, double v, double lo, double hi)
{
	if (v < lo - ROUNDING || v > hi + ROUNDING)
		fail_msg("%s %s: etltrace %.6f s, the job's own [%.6f, %.6f] s", op, what, v, lo, hi);
}

/* Every operation of the job's timings file is in the report with the
 * same count and record total, and durations within its bounds; the
 * report has no other operation. Returns the number of operations. */
static int assert_matches_timings(struct json_object *r, const char *timings_path)
{
	struct json_object *t = json_object_from_file(timings_path), *ops, *rops;
	int n = 0;

	assert_non_null(t);
	assert_true(json_object_object_get_ex(t, "operations", &ops));
	json_object_object_foreach(ops, name, s) {
		struct json_object *op = report_op(r, name);

		if (!op)
			fail_msg("operation %s missing from the report", name);
		if (jint(op, "count") != jint(s, "count"))
			fail_msg("%s: etltrace counted %lld, the job %lld", name, jint(op, "count"),
				 jint(s, "count"));
		if (jint(s, "records") > 0 && jint(op, "records") != jint(s, "records"))
			fail_msg("%s: etltrace has %lld records, the job %lld", name,
				 jint(op, "records"), jint(s, "records"));
		assert_between(name, "total_time", jnum(op, "total_time"), jnum(s, "inner_total"),
			       jnum(s, "outer_total"));
		assert_between(name, "min_time", jnum(op, "min_time"), jnum(s, "inner_min"),
			       jnum(s, "outer_min"));
		assert_between(name, "max_time", jnum(op, "max_time"), jnum(s, "inner_max"),
			       jnum(s, "outer_max"));
		n++;
	}
	assert_true(json_object_object_get_ex(r, "operations", &rops));
	assert_int_equal(json_object_object_length(rops), n);
	json_object_put(t);
	return n;
}

/* The demo's shape for 6,000 records in batches of 1,000 over `rounds`;
 * batches run on worker threads (their own stacks) when threaded. */
static void assert_demo_counts(struct json_object *r, int rounds, bool threaded)
{
	static const char *const per_round[] = { "pipeline", "extract", "generate_csv",
						 "parse_csv", "transform", "aggregate",
						 "load", "write_rows", "sync" };
	static const char *const per_batch[] = { "transform_batch", "validate", "enrich",
						 "dedupe" };

	for (size_t i = 0; i < sizeof(per_round) / sizeof(per_round[0]); i++)
		if (!report_op(r, per_round[i]) || jint(report_op(r, per_round[i]), "count") != rounds)
			fail_msg("%s: not counted %d times", per_round[i], rounds);
	for (size_t i = 0; i < sizeof(per_batch) / sizeof(per_batch[0]); i++)
		if (!report_op(r, per_batch[i]) ||
		    jint(report_op(r, per_batch[i]), "count") != 6 * rounds)
			fail_msg("%s: not counted %d times", per_batch[i], 6 * rounds);
	/* Each batch counts its records: all the parsed ones. */
	assert_int_equal(op_int(r, "transform_batch", "records"), op_int(r, "parse_csv", "records"));
	assert_int_equal(op_int(r, "pipeline", "max_depth"), 0);
	assert_int_equal(op_int(r, "validate", "max_depth"), threaded ? 1 : 3);
}

static void test_a_running_python_demo_traced_with_p_matches_its_own_timings(void **state)
{
	char *timings = tmp_path();
	char *targv[] = { python(), "examples/etl_demo.py", "--records", "6000", "--batch-size",
			  "1000", "--rounds", "3", "--pause-ms", "50", "--wait", "--timings",
			  timings, NULL };
	char pid[16], *args[] = { "-p", pid, NULL };
	struct child demo, tracer;
	struct json_object *r;
	int early;

	(void)state;
	/* The job has imported etltrace (and loaded libetlprobe) when it says
	 * "ready"; it starts its first round once etltrace is ready too. */
	assert_int_equal(target_start(targv, &demo), 0);
	snprintf(pid, sizeof(pid), "%d", (int)demo.pid);
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	assert_int_equal(target_release(&demo), 0);
	assert_int_equal(child_wait(&demo), 0);
	assert_int_equal(tracer_finish(&tracer, false, &r), 0);
	assert_non_null(r);
	assert_demo_counts(r, 3, false);
	assert_int_equal(assert_matches_timings(r, timings), 13);
	assert_clean(r);
	json_object_put(r);
	unlink(timings);
	free(timings);
}

static void test_a_python_demo_run_under_the_tracer_counts_every_operation(void **state)
{
	char *timings = tmp_path();
	char *args[] = { "--", python(), "examples/etl_demo.py", "--records", "6000",
			 "--batch-size", "1000", "--rounds", "2", "--pause-ms", "0", "--threads",
			 "2", "--timings", timings, NULL };
	struct json_object *r;
	char *err = NULL;
	int rc;

	(void)state;
	rc = run_etltrace(args, &r, &err);
	if (rc != 0)
		fail_msg("etltrace -- python3 etl_demo.py: exit %d: %s", rc, err ? err : "");
	assert_non_null(r);
	/* From the first round on: libetlprobe is loaded by the import, after
	 * the interpreter started. */
	assert_demo_counts(r, 2, true);
	assert_int_equal(assert_matches_timings(r, timings), 13);
	assert_clean(r);
	json_object_put(r);
	free(err);
	unlink(timings);
	free(timings);
}

static void test_the_first_operation_right_after_import_is_counted_under_cmd(void **state)
{
	char *args[] = { "--", python(), "tests/progs/marked.py", "first", NULL };
	struct json_object *r;
	char *err = NULL;
	int rc;

	(void)state;
	rc = run_etltrace(args, &r, &err);
	if (rc != 0)
		fail_msg("etltrace -- python3 marked.py first: exit %d: %s", rc, err ? err : "");
	if (!report_op(r, "first_op"))
		fail_msg("first_op (run right after `import etltrace`) was not seen");
	assert_int_equal(op_int(r, "first_op", "count"), 1);
	assert_int_equal(op_int(r, "after_first", "count"), 3);
	assert_clean(r);
	json_object_put(r);
	free(err);
}

static void test_python_markers_nest_thread_survive_exceptions_and_keep_unicode(void **state)
{
	char *targv[] = { python(), "tests/progs/marked.py", "mix", NULL };
	char pid[16], *args[] = { "-p", pid, NULL };
	struct child target, tracer;
	struct json_object *r, *op;
	int early;

	(void)state;
	assert_int_equal(target_start(targv, &target), 0);
	snprintf(pid, sizeof(pid), "%d", (int)target.pid);
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	assert_int_equal(target_release(&target), 0);
	assert_int_equal(child_wait(&target), 0); /* 3: a self-check failed */
	assert_int_equal(tracer_finish(&tracer, false, &r), 0);
	assert_non_null(r);
	/* Decorators and with blocks, nested. */
	assert_int_equal(op_int(r, "outer", "count"), 100);
	assert_int_equal(op_int(r, "middle", "count"), 200);
	assert_int_equal(op_int(r, "inner", "count"), 600);
	assert_int_equal(op_int(r, "inner", "max_depth"), 2);
	/* Four threads, each its own stack. */
	assert_int_equal(op_int(r, "thread_op", "count"), 10000);
	assert_int_equal(op_int(r, "thread_op", "max_depth"), 0);
	/* Ended by the exception that left the block. */
	assert_int_equal(op_int(r, "raises", "count"), 50);
	/* UTF-8 names, as they were. */
	assert_int_equal(op_int(r, "données_été", "count"), 10);
	assert_int_equal(op_int(r, "数据加载", "count"), 10);
	assert_int_equal(op_int(r, "emoji_🚀", "count"), 10);
	/* A record count on end. */
	assert_int_equal(op_int(r, "counted", "count"), 5);
	assert_int_equal(op_int(r, "counted", "records"), 5000);
	/* Durations: time.sleep(0.02) each. */
	op = report_op(r, "sleep_20ms");
	assert_int_equal(jint(op, "count"), 5);
	assert_true(jnum(op, "min_time") >= 0.020);
	assert_true(jnum(op, "max_time") <= timing_bound(0.030, 0.100));
	/* The seed profiler's blocks. */
	assert_int_equal(op_int(r, "profiled", "count"), 20);
	/* A name past the cache: no literal flag, read by BPF at each start. */
	assert_int_equal(op_int(r, "past_cap", "count"), 5);
	assert_int_equal(counter(r, "name_unread_by_bpf"), 0);
	/* Fillers were created, never entered. */
	assert_null(report_op(r, "filler_0"));
	assert_int_equal(counter(r, "starts"), 100 + 200 + 600 + 10000 + 50 + 30 + 5 + 5 + 20 + 5);
	assert_clean(r);
	json_object_put(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_running_python_demo_traced_with_p_matches_its_own_timings),
		cmocka_unit_test(test_python_markers_nest_thread_survive_exceptions_and_keep_unicode),
		cmocka_unit_test(test_a_python_demo_run_under_the_tracer_counts_every_operation),
		cmocka_unit_test(test_the_first_operation_right_after_import_is_counted_under_cmd),
	};

	return cmocka_run_group_tests_name("python", tests, setup, NULL);
}
