// SPDX-License-Identifier: MIT
/*
 * test_trace.c - the real etltrace, the real BPF code, real marked
 * programs (tests/progs/marked.c), checked against ground truth. Needs
 * root and BPF: without them every test fails, none is skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define MS 1e-3
#define MIB 1.0

static char *marked(void)
{
	return (char *)build_path("tests/progs/marked");
}

static void test_sleep_50ms_is_reported_as_0_050s_within_5ms(void **state)
{
	char *args[] = { "--", marked(), "sleep", "50", "10", NULL };
	struct json_object *r, *op;
	int rc;

	(void)state;
	rc = run_etltrace(args, &r, NULL);
	assert_int_equal(rc, 0);
	op = report_op(r, "sleep_op");
	assert_non_null(op);
	assert_int_equal(jint(op, "count"), 10);
	/* Never shorter than the sleep; at most 5 ms longer (100 ms loose). */
	assert_true(jnum(op, "min_time") >= 50 * MS);
	assert_true(jnum(op, "max_time") <= timing_bound(55 * MS, 150 * MS));
	assert_true(jnum(op, "avg_time") >= 50 * MS &&
		    jnum(op, "avg_time") <= timing_bound(55 * MS, 150 * MS));
	assert_true(jnum(op, "total_time") >= 0.5 &&
		    jnum(op, "total_time") <= timing_bound(0.55, 1.5));
	assert_clean(r);
	json_object_put(r);
}

static void test_allocating_64mib_and_keeping_it_reports_plus_64mib_within_2mib(void **state)
{
	char *args[] = { "--", marked(), "alloc", "64", NULL };
	struct json_object *r, *op;

	(void)state;
	assert_int_equal(run_etltrace(args, &r, NULL), 0);
	op = report_op(r, "alloc_op");
	assert_non_null(op);
	assert_int_equal(jint(op, "count"), 1);
	assert_true(jnum(op, "avg_memory_delta") >= 62 * MIB && jnum(op, "avg_memory_delta") <= 66 * MIB);
	assert_true(jnum(op, "max_memory_delta") >= 62 * MIB && jnum(op, "max_memory_delta") <= 66 * MIB);
	assert_clean(r);
	json_object_put(r);
}

static void test_nested_operations_are_counted_exactly_at_their_depth(void **state)
{
	char *args[] = { "--", marked(), "nested", "100", NULL };
	struct json_object *r;

	(void)state;
	assert_int_equal(run_etltrace(args, &r, NULL), 0);
	assert_int_equal(jint(report_op(r, "outer"), "count"), 100);
	assert_int_equal(jint(report_op(r, "middle"), "count"), 200);
	assert_int_equal(jint(report_op(r, "inner"), "count"), 600);
	assert_int_equal(jint(report_op(r, "scoped_leaf"), "count"), 600);
	assert_int_equal(jint(report_op(r, "outer"), "max_depth"), 0);
	assert_int_equal(jint(report_op(r, "scoped_leaf"), "max_depth"), 3);
	/* An outer operation lasts at least as long as what it contains. */
	assert_true(jnum(report_op(r, "outer"), "total_time") >=
		    jnum(report_op(r, "middle"), "total_time"));
	assert_int_equal(jint(json_object_object_get(r, "summary"), "total_operations"), 1500);
	assert_clean(r);
	json_object_put(r);
}

static void test_threads_are_counted_exactly_with_zero_drops(void **state)
{
	char *args[] = { "--ringbuf-mb", "16", "--", marked(), "threads", "4", "25000", NULL };
	struct json_object *r;

	(void)state;
	/* Under ASan the loader drains several times slower: a ring that holds
	 * the whole burst keeps the test about counting, not about its speed. */
	if (!rss_bounds_apply())
		args[1] = "256";
	assert_int_equal(run_etltrace(args, &r, NULL), 0);
	assert_int_equal(jint(report_op(r, "thread_op"), "count"), 100000);
	assert_int_equal(jint(report_op(r, "thread_inner"), "count"), 100000);
	assert_int_equal(jint(report_op(r, "thread_inner"), "max_depth"), 1);
	assert_int_equal(counter(r, "starts"), 200000);
	assert_clean(r);
	json_object_put(r);
}

/* Starts n copies of a gated target (it waits for a line on stdin), traces
 * them all with -p, releases them once etltrace is ready, and returns the
 * report of the trace their exits end. */
static struct json_object *trace_gated(char *const targv[], int n)
{
	char pids[4][16], *args[2 * 4 + 1] = { NULL };
	struct child targets[4], tracer;
	struct json_object *r;
	int early;

	assert_true(n >= 1 && n <= 4);
	for (int i = 0; i < n; i++) {
		assert_int_equal(target_start(targv, &targets[i]), 0);
		snprintf(pids[i], sizeof(pids[i]), "%d", (int)targets[i].pid);
		args[2 * i] = "-p";
		args[2 * i + 1] = pids[i];
	}
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(target_release(&targets[i]), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(child_wait(&targets[i]), 0);
	assert_int_equal(tracer_finish(&tracer, false, &r), 0);
	assert_non_null(r);
	return r;
}

static void test_attaching_mid_run_reports_only_what_ran_after_readiness(void **state)
{
	char *targv[] = { marked(), "gate", "1000", "200", NULL };
	struct json_object *r;

	(void)state;
	r = trace_gated(targv, 1);
	assert_null(report_op(r, "before_op"));
	assert_int_equal(jint(report_op(r, "after_op"), "count"), 200);
	assert_true(jnum(report_op(r, "after_op"), "min_time") >= 1 * MS);
	assert_clean(r);
	json_object_put(r);
}

static void test_name_on_a_page_never_touched_is_resolved_by_the_loader(void **state)
{
	char *targv[] = { (char *)build_path("tests/progs/raw_sdt"), "7", NULL };
	struct json_object *r;

	(void)state;
	r = trace_gated(targv, 1);
	assert_int_equal(jint(report_op(r, "cold_name_op"), "count"), 7);
	/* BPF really could not read it (else this test proves nothing). */
	assert_int_equal(counter(r, "name_unread_by_bpf"), 7);
	assert_int_equal(counter(r, "names_resolved_by_loader"), 7);
	assert_int_equal(counter(r, "names_unresolved"), 0);
	json_object_put(r);
}

/* The path of the parent of the report's tree node at `path`: "" for a
 * root, "(none)" if no node has that path. */
static const char *tree_parent(struct json_object *r, const char *path)
{
	struct json_object *tree = json_object_object_get(r, "tree");
	size_t n = json_object_array_length(tree);

	for (size_t i = 0; i < n; i++) {
		struct json_object *node = json_object_array_get_idx(tree, i);
		long long parent = jint(node, "parent");

		if (strcmp(json_object_get_string(json_object_object_get(node, "path")), path))
			continue;
		if (parent < 0)
			return "";
		return json_object_get_string(json_object_object_get(
			json_object_array_get_idx(tree, (size_t)parent), "path"));
	}
	return "(none)";
}

static void test_overlapping_probe_pairs_close_without_abandoning_each_other(void **state)
{
	/* Each round: BEGIN opens the transaction and ends inside it, COMMIT
	 * opens inside it and ends after it (as PostgreSQL's queries and
	 * transactions do), with a query, an etl operation and a query nested
	 * in them in between. */
	char *args[] = {
		"--probe", "rawapp:query__start:query__done:arg1",
		"--probe", "rawapp:txn__start:txn__commit,txn__abort:transaction",
		"--", (char *)build_path("tests/progs/raw_sdt"), "pairs", "6", NULL,
	};
	static const char *const ops[] = { "BEGIN", "INSERT", "row", "inner", "COMMIT" };
	struct json_object *r, *op;

	(void)state;
	assert_int_equal(run_etltrace(args, &r, NULL), 0);
	op = report_op(r, "transaction");
	assert_non_null(op);
	assert_int_equal(jint(op, "count"), 6);
	assert_int_equal(jint(op, "unfinished"), 0);
	assert_true(jnum(op, "min_time") >= 2 * MS);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		assert_non_null(report_op(r, ops[i]));
		assert_int_equal(jint(report_op(r, ops[i]), "count"), 6);
	}
	assert_int_equal(counter(r, "starts"), 36);
	assert_clean(r);
	assert_accounting(r);
	/* Frames keep their parents when one under them ends first. */
	assert_string_equal(tree_parent(r, "BEGIN;transaction;COMMIT"), "BEGIN;transaction");
	assert_string_equal(tree_parent(r, "BEGIN;transaction;INSERT;row;inner"),
			    "BEGIN;transaction;INSERT;row");
	json_object_put(r);
}

static void test_operation_open_at_the_end_is_reported_unfinished(void **state)
{
	/* "open" starts open_op and waits on stdin; -d 1 ends the trace while
	 * it is open, then etltrace waits for the command, which exits 3 once
	 * its stdin closes. */
	char *args[] = { "-d", "1", "--", marked(), "open", NULL };
	struct json_object *r, *op;
	struct child tracer;
	int early;

	(void)state;
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	assert_int_equal(tracer_finish(&tracer, false, &r), 3);
	op = report_op(r, "open_op");
	assert_non_null(op);
	assert_int_equal(jint(op, "count"), 0);
	assert_int_equal(jint(op, "unfinished"), 1);
	assert_int_equal(jint(json_object_object_get(r, "summary"), "unfinished_operations"), 1);
	json_object_put(r);
}

static void test_stack_deeper_than_32_is_counted_and_never_corrupts(void **state)
{
	char *args[] = { "--", marked(), "deep", "40", NULL };
	struct json_object *r;

	(void)state;
	assert_int_equal(run_etltrace(args, &r, NULL), 0);
	assert_int_equal(jint(report_op(r, "deep_op"), "count"), 32);
	assert_int_equal(counter(r, "stack_overflow"), 8);
	assert_int_equal(counter(r, "unmatched_end"), 0);
	assert_int_equal(counter(r, "name_mismatch"), 0);
	json_object_put(r);
}

static void test_command_exit_status_is_passed_through(void **state)
{
	char *args[] = { "--", marked(), "no-such-mode", NULL };
	struct json_object *r;

	(void)state;
	assert_int_equal(run_etltrace(args, &r, NULL), 2);
	json_object_put(r);
}

static void test_nothing_stays_attached_after_a_trace(void **state)
{
	char *args[] = { "--", marked(), "nested", "1", NULL };
	unsigned int before = last_prog_id();
	struct json_object *r;

	(void)state;
	assert_int_equal(run_etltrace(args, &r, NULL), 0);
	assert_int_equal(jint(report_op(r, "outer"), "count"), 1);
	/* Programs loaded by this run (ids above `before`) are all gone. */
	assert_int_equal(loaded_progs("op_start", before), 0);
	assert_int_equal(loaded_progs("op_end", before), 0);
	assert_int_equal(loaded_progs("on_switch", before), 0);
	json_object_put(r);
}

static void test_two_processes_are_traced_at_once(void **state)
{
	char *targv[] = { marked(), "gate", "0", "100", NULL };
	struct json_object *r, *pids;

	(void)state;
	/* Both targets' exits end the trace. */
	r = trace_gated(targv, 2);
	assert_int_equal(jint(report_op(r, "after_op"), "count"), 200);
	assert_true(json_object_object_get_ex(r, "pids", &pids));
	assert_int_equal(json_object_array_length(pids), 2);
	assert_clean(r);
	json_object_put(r);
}

/* Traces a looping target, ends the trace with sig, checks the report. */
static void interrupt_with(int sig)
{
	char *targv[] = { marked(), "loop", NULL };
	char pid[16], *args[] = { "-p", pid, NULL };
	struct child target, tracer;
	struct json_object *r;
	int early;

	assert_int_equal(target_start(targv, &target), 0);
	snprintf(pid, sizeof(pid), "%d", (int)target.pid);
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	assert_int_equal(target_release(&target), 0);
	usleep(300 * 1000); /* let it run some 1 ms operations */
	kill(tracer.pid, sig);
	assert_int_equal(tracer_finish(&tracer, false, &r), 0);
	assert_true(jint(report_op(r, "loop_op"), "count") > 10);
	/* The target runs on, untouched. */
	assert_int_equal(kill(target.pid, 0), 0);
	kill(target.pid, SIGKILL);
	child_wait(&target);
	assert_int_equal(counter(r, "ringbuf_full"), 0);
	/* Operations were running as the trace ended: each is counted once,
	 * finished or unfinished (open stacks are read after detaching). */
	assert_accounting(r);
	json_object_put(r);
}

static void test_sigint_ends_the_trace_with_a_report(void **state)
{
	(void)state;
	interrupt_with(SIGINT);
}

static void test_sigterm_ends_the_trace_with_a_report(void **state)
{
	(void)state;
	interrupt_with(SIGTERM);
}

static void test_operation_open_when_its_thread_exits_is_unfinished(void **state)
{
	char *args[] = { "--", marked(), "leak", NULL };
	struct json_object *r, *op;

	(void)state;
	assert_int_equal(run_etltrace(args, &r, NULL), 0);
	op = report_op(r, "leaked_op");
	assert_non_null(op);
	assert_int_equal(jint(op, "count"), 0);
	assert_int_equal(jint(op, "unfinished"), 1);
	json_object_put(r);
}

static void test_hostile_names_come_out_as_valid_json(void **state)
{
	static const char *const keys[] = {
		"quote\"name", "back\\slash", "new\nline", "esc\x1b[31mred", "tab\there",
		"bad\xef\xbf\xbd\xef\xbf\xbdutf8", /* each invalid byte -> U+FFFD */
	};
	char *args[] = { "--", marked(), "hostile", NULL };
	struct json_object *r, *raw;

	(void)state;
	/* run_etltrace parses the file: it is valid JSON or r is NULL. */
	assert_int_equal(run_etltrace(args, &r, NULL), 0);
	assert_non_null(r);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!report_op(r, keys[i]) || jint(report_op(r, keys[i]), "count") != 1)
			fail_msg("operation %zu missing or miscounted", i);
	assert_true(json_object_object_get_ex(report_op(r, keys[5]), "raw_name", &raw));
	assert_string_equal(json_object_get_string(raw), "bad\\xff\\xfeutf8");
	json_object_put(r);
}

static void test_empty_and_overlong_names_are_reported_and_counted(void **state)
{
	/* The first 63 bytes of marked.c's NAME_100. */
	static const char cut[] = "a_name_of_one_hundred_bytes_01234567890123456789012345678901230";
	char *args[] = { "--", marked(), "edge", NULL };
	struct json_object *r;

	(void)state;
	_Static_assert(sizeof(cut) == 64, "63 bytes kept");
	assert_int_equal(run_etltrace(args, &r, NULL), 0);
	/* An empty literal is a name, not an unreadable one. */
	assert_non_null(report_op(r, ""));
	assert_int_equal(jint(report_op(r, ""), "count"), 1);
	/* The literal (read by the loader) and the buffer (read by BPF) are
	 * cut alike, and each cut is counted. */
	assert_non_null(report_op(r, cut));
	assert_int_equal(jint(report_op(r, cut), "count"), 2);
	assert_int_equal(counter(r, "names_truncated"), 2);
	assert_int_equal(counter(r, "names_unresolved"), 0);
	assert_int_equal(jint(json_object_object_get(r, "summary"), "total_operations"), 3);
	json_object_put(r);
}

static void test_names_rebuilt_in_one_buffer_are_each_reported(void **state)
{
	char *args[] = { "--", marked(), "dynamic", NULL };
	char name[24]; /* "table_" and any int: gcc -O1 does not bound i */
	struct json_object *r;

	(void)state;
	assert_int_equal(run_etltrace(args, &r, NULL), 0);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "table_%d", i);
		if (!report_op(r, name) || jint(report_op(r, name), "count") != 1)
			fail_msg("%s missing or miscounted", name);
	}
	/* A literal start closed by an equal name at another address. */
	assert_int_equal(jint(report_op(r, "copied_end"), "count"), 1);
	assert_clean(r);
	json_object_put(r);
}

static void test_names_past_the_cap_are_pooled_and_counted(void **state)
{
	char *args[] = { "--max-operations", "5", "--", marked(), "names", "20", NULL };
	struct json_object *r, *other;

	(void)state;
	assert_int_equal(run_etltrace(args, &r, NULL), 0);
	assert_int_equal(jint(report_op(r, "name_00000"), "count"), 1);
	assert_int_equal(jint(report_op(r, "name_00004"), "count"), 1);
	assert_null(report_op(r, "name_00005"));
	other = report_op(r, "[other operations]");
	assert_non_null(other);
	assert_int_equal(jint(other, "count"), 15);
	assert_int_equal(counter(r, "operations_over_limit"), 15);
	/* Nothing lost: the summary still counts every operation. */
	assert_int_equal(jint(json_object_object_get(r, "summary"), "total_operations"), 20);
	json_object_put(r);
}

static void test_the_demo_running_is_traced_with_p(void **state)
{
	char *targv[] = { (char *)build_path("examples/etl_demo"), "--records", "20000",
			  "--rounds", "8", "--pause-ms", "300", NULL };
	char pid[16], *args[] = { "-p", pid, NULL };
	struct child demo, tracer;
	struct json_object *r;
	long long rounds, batches, loads;
	int early;

	(void)state;
	/* The demo is already running (its first line printed) when etltrace
	 * attaches: only what runs after the readiness line is measured. */
	assert_int_equal(target_start_stderr(targv, &demo), 0);
	snprintf(pid, sizeof(pid), "%d", (int)demo.pid);
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	assert_int_equal(child_wait(&demo), 0);
	assert_int_equal(tracer_finish(&tracer, false, &r), 0);
	/* ~0.35 s a round, attached within ~0.5 s: most of the 8 rounds are
	 * seen whole (4 batches of 5,000 each); the round running while
	 * etltrace attached adds at most its tail. Loose: attaching may take
	 * longer than a round, and the rounds as long as it; one is seen. */
	rounds = jint(report_op(r, "pipeline"), "count");
	batches = jint(report_op(r, "transform_batch"), "count");
	loads = jint(report_op(r, "load"), "count");
	assert_true(rounds >= (long long)timing_bound(4, 1) && rounds <= 8);
	assert_true(batches >= 4 * rounds && batches <= 4 * rounds + 4);
	assert_true(loads == rounds || loads == rounds + 1);
	assert_int_equal(counter(r, "ringbuf_full"), 0);
	json_object_put(r);
}

static void test_a_library_loaded_while_tracing_is_attached(void **state)
{
	char *lib = strdup(build_path("tests/progs/libetlplugin.so"));
	char *targv[] = { marked(), "dlopen", lib, "10", NULL };
	char pid[16], *args[] = { "-v", "-p", pid, NULL };
	struct child target, tracer;
	struct json_object *r;
	int early;

	(void)state;
	assert_int_equal(target_start(targv, &target), 0);
	snprintf(pid, sizeof(pid), "%d", (int)target.pid);
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	/* Now the target loads the library; etltrace's next rescan of its
	 * maps (once a second) must attach to it (-v says so). */
	assert_int_equal(target_send_line(&target), 0);
	assert_int_equal(child_wait_line(&target, "marked: loaded"), 0);
	assert_int_equal(child_wait_line(&tracer, "libetlplugin.so"), 0);
	assert_int_equal(target_release(&target), 0);
	assert_int_equal(child_wait(&target), 0);
	assert_int_equal(tracer_finish(&tracer, false, &r), 0);
	assert_int_equal(jint(report_op(r, "plugin_op"), "count"), 10);
	assert_clean(r);
	json_object_put(r);
	free(lib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sleep_50ms_is_reported_as_0_050s_within_5ms),
		cmocka_unit_test(test_allocating_64mib_and_keeping_it_reports_plus_64mib_within_2mib),
		cmocka_unit_test(test_nested_operations_are_counted_exactly_at_their_depth),
		cmocka_unit_test(test_threads_are_counted_exactly_with_zero_drops),
		cmocka_unit_test(test_attaching_mid_run_reports_only_what_ran_after_readiness),
		cmocka_unit_test(test_name_on_a_page_never_touched_is_resolved_by_the_loader),
		cmocka_unit_test(test_overlapping_probe_pairs_close_without_abandoning_each_other),
		cmocka_unit_test(test_operation_open_at_the_end_is_reported_unfinished),
		cmocka_unit_test(test_stack_deeper_than_32_is_counted_and_never_corrupts),
		cmocka_unit_test(test_command_exit_status_is_passed_through),
		cmocka_unit_test(test_nothing_stays_attached_after_a_trace),
		cmocka_unit_test(test_two_processes_are_traced_at_once),
		cmocka_unit_test(test_sigint_ends_the_trace_with_a_report),
		cmocka_unit_test(test_sigterm_ends_the_trace_with_a_report),
		cmocka_unit_test(test_operation_open_when_its_thread_exits_is_unfinished),
		cmocka_unit_test(test_hostile_names_come_out_as_valid_json),
		cmocka_unit_test(test_empty_and_overlong_names_are_reported_and_counted),
		cmocka_unit_test(test_names_rebuilt_in_one_buffer_are_each_reported),
		cmocka_unit_test(test_names_past_the_cap_are_pooled_and_counted),
		cmocka_unit_test(test_the_demo_running_is_traced_with_p),
		cmocka_unit_test(test_a_library_loaded_while_tracing_is_attached),
	};

	return cmocka_run_group_tests_name("trace", tests, harness_require_root, NULL);
}
