// SPDX-License-Identifier: MIT
/*
 * test_children.c - worker processes of a traced program (tests/progs/
 * family.c): forked without exec, and forked to exec another marked
 * program (twin_b). By default every child's operations are counted
 * exactly in the report's totals; with --no-children only the parent's.
 * Needs root and BPF (fails, never skips).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define FORKS 4
#define EXECS 3
#define OPS 50

/* `family FLAGS... FORKS EXECS OPS twin_b OPS` into v (room for 12);
 * returns the index of twin_b's path, to free with v[0]. */
static int family_argv(char **v, const char *const flags[])
{
	static char forks[8], execs[8], ops[8];
	int i = 0, prog;

	snprintf(forks, sizeof(forks), "%d", FORKS);
	snprintf(execs, sizeof(execs), "%d", EXECS);
	snprintf(ops, sizeof(ops), "%d", OPS);
	v[i++] = strdup(build_path("tests/progs/family"));
	for (int k = 0; flags && flags[k]; k++)
		v[i++] = (char *)flags[k];
	v[i++] = forks;
	v[i++] = execs;
	v[i++] = ops;
	prog = i;
	v[i++] = strdup(build_path("tests/progs/twin_b"));
	v[i++] = ops;
	v[i] = NULL;
	return prog;
}

static long long count_of(struct json_object *r, const char *name)
{
	struct json_object *op = report_op(r, name);

	return op ? jint(op, "count") : 0;
}

/* The report of the whole family, or of the parent alone. */
static void assert_family(struct json_object *r, bool children)
{
	long long total = 2 * OPS + 1;

	assert_non_null(r);
	assert_int_equal(count_of(r, "parent_op"), 2 * OPS);
	assert_int_equal(count_of(r, "spawn_op"), 1);
	if (children) {
		assert_int_equal(count_of(r, "child_op"), FORKS * OPS);
		assert_int_equal(count_of(r, "bravo_work"), EXECS * OPS);
		total += (FORKS + EXECS) * OPS;
	} else {
		assert_null(report_op(r, "child_op"));
		assert_null(report_op(r, "bravo_work"));
	}
	assert_int_equal(jint(json_object_object_get(r, "summary"), "total_operations"), total);
	assert_int_equal(ops_sum(r, "unfinished"), 0);
	assert_int_equal(counter(r, "starts"), total);
	assert_int_equal(counter(r, "ends"), total);
	assert_int_equal(counter(r, "records"), total);
	assert_int_equal(counter(r, "unmatched_end"), 0);
	assert_int_equal(counter(r, "names_unresolved"), 0);
	assert_int_equal(counter(r, "process_events_lost"), 0);
	assert_accounting(r);
}

static void run_cmd(bool children)
{
	char *v[12], *args[14] = { NULL };
	struct json_object *r;
	int i = 0, prog = family_argv(v, NULL);

	if (!children)
		args[i++] = "--no-children";
	args[i++] = "--";
	for (int k = 0; v[k]; k++)
		args[i++] = v[k];
	assert_int_equal(run_etltrace(args, &r, NULL), 0);
	assert_family(r, children);
	json_object_put(r);
	free(v[0]);
	free(v[prog]);
}

static void run_p(bool children)
{
	const char *flags[] = { "-g", NULL };
	char *v[12], pid[16], *args[] = { "-p", pid, children ? NULL : "--no-children", NULL };
	struct child target, tracer;
	struct json_object *r;
	int early, prog = family_argv(v, flags);

	assert_int_equal(target_start(v, &target), 0);
	snprintf(pid, sizeof(pid), "%d", (int)target.pid);
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	assert_int_equal(target_release(&target), 0);
	assert_int_equal(child_wait(&target), 0);
	assert_int_equal(tracer_finish(&tracer, false, &r), 0);
	assert_family(r, children);
	json_object_put(r);
	free(v[0]);
	free(v[prog]);
}

static void test_cmd_every_child_forked_or_execd_is_counted_exactly(void **state)
{
	(void)state;
	run_cmd(true);
}

static void test_cmd_no_children_counts_only_the_parent(void **state)
{
	(void)state;
	run_cmd(false);
}

static void test_p_every_child_forked_or_execd_is_counted_exactly(void **state)
{
	(void)state;
	run_p(true);
}

static void test_p_no_children_counts_only_the_parent(void **state)
{
	(void)state;
	run_p(false);
}

/*
 * The worst order, made certain: etltrace is stopped while the workers
 * run, each on the first CPU while the parent forks them on the last, so
 * that when it goes on it reads (one CPU's ring after the other) a forked
 * worker's operations before its fork, an exec'd worker's exec before its
 * fork, and every fork after the worker has gone. Each worker must still
 * be named, counted, and the exec'd ones held for their new image.
 */
static void test_p_children_are_counted_exactly_when_the_tracer_reads_them_late(void **state)
{
	const char *flags[] = { "-g", "-s", "-c", NULL };
	char *v[12], pid[16], *args[] = { "-p", pid, NULL };
	struct child target, tracer;
	struct json_object *r;
	int early, status, prog = family_argv(v, flags);

	(void)state;
	assert_int_equal(target_start(v, &target), 0);
	snprintf(pid, sizeof(pid), "%d", (int)target.pid);
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	assert_int_equal(kill(tracer.pid, SIGSTOP), 0);
	assert_int_equal(waitpid(tracer.pid, &status, WUNTRACED), tracer.pid);
	assert_true(WIFSTOPPED(status));
	assert_int_equal(target_send_line(&target), 0);
	assert_int_equal(child_wait_line(&target, "family: spawned"), 0);
	assert_int_equal(kill(tracer.pid, SIGCONT), 0);
	assert_int_equal(target_release(&target), 0);
	assert_int_equal(child_wait(&target), 0);
	assert_int_equal(tracer_finish(&tracer, false, &r), 0);
	assert_family(r, true);
	json_object_put(r);
	free(v[0]);
	free(v[prog]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HARNESS_TEST(test_cmd_every_child_forked_or_execd_is_counted_exactly),
		HARNESS_TEST(test_cmd_no_children_counts_only_the_parent),
		HARNESS_TEST(test_p_every_child_forked_or_execd_is_counted_exactly),
		HARNESS_TEST(test_p_no_children_counts_only_the_parent),
		HARNESS_TEST(test_p_children_are_counted_exactly_when_the_tracer_reads_them_late),
	};

	return cmocka_run_group_tests_name("children", tests, harness_require_root, NULL);
}
