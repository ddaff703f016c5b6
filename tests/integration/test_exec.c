// SPDX-License-Identifier: MIT
/*
 * test_exec.c - names across exec and deploys. The twins twin_a and
 * twin_b (tests/progs/twin.c) have their literal names at the same
 * addresses but with different text ("alpha_work" / "bravo_work"): a name
 * read from the wrong image comes out under the other twin's name. Needs
 * root and BPF (fails, never skips).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static char twin_a[512], twin_b[512];

/* What `PROG --where` prints: the address of its work name, and whether
 * it is position-dependent. */
static void where(const char *prog, char *out, size_t len)
{
	char *argv[] = { (char *)prog, "--where", NULL };
	struct child c;
	char *line;

	assert_int_equal(target_start_keep(argv, &c, &line), 0);
	snprintf(out, len, "%s", line);
	free(line);
	assert_int_equal(child_wait(&c), 0);
}

/* The premise of every test here: same addresses, different text. */
static int setup(void **state)
{
	char wa[128], wb[128];

	if (harness_require_root(state))
		return -1;
	snprintf(twin_a, sizeof(twin_a), "%s", build_path("tests/progs/twin_a"));
	snprintf(twin_b, sizeof(twin_b), "%s", build_path("tests/progs/twin_b"));
	where(twin_a, wa, sizeof(wa));
	where(twin_b, wb, sizeof(wb));
	/* "ADDRESS fixed NAME": the same up to the name. */
	if (strncmp(wa, wb, (size_t)(strrchr(wa, ' ') - wa)) || !strstr(wa, " fixed alpha_work") ||
	    !strstr(wb, " fixed bravo_work")) {
		fprintf(stderr, "twin_a (%s) and twin_b (%s) must be position-dependent with their "
			"names at the same address\n", wa, wb);
		return -1;
	}
	return 0;
}

/* Exactly these operations, each counted `counts[i]` times, and nothing
 * else: no name read from the wrong image, none unreadable. */
static void assert_only(struct json_object *r, const char *const names[],
			const long long counts[], size_t n)
{
	struct json_object *ops;
	long long total = 0;

	assert_non_null(r);
	for (size_t i = 0; i < n; i++) {
		struct json_object *op = report_op(r, names[i]);

		if (!op || jint(op, "count") != counts[i])
			fail_msg("%s: count %lld, want %lld", names[i], op ? jint(op, "count") : -1,
				 counts[i]);
		total += counts[i];
	}
	assert_true(json_object_object_get_ex(r, "operations", &ops));
	if ((size_t)json_object_object_length(ops) != n)
		fail_msg("%d operations in the report, want %zu (a name read from the wrong image?)",
			 json_object_object_length(ops), n);
	assert_int_equal(counter(r, "starts"), total);
	assert_int_equal(counter(r, "ends"), total);
	assert_int_equal(counter(r, "records"), total);
	assert_int_equal(counter(r, "names_unresolved"), 0);
	assert_accounting(r);
}

/* Traces a gated target with -p from its gate to its exit; returns the
 * target's exit status and the report. */
static int trace_p(char *const targv[], struct json_object **r)
{
	char pid[16], *args[] = { "-p", pid, NULL };
	struct child target, tracer;
	int early, rc;

	assert_int_equal(target_start(targv, &target), 0);
	snprintf(pid, sizeof(pid), "%d", (int)target.pid);
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	assert_int_equal(target_release(&target), 0);
	rc = child_wait(&target);
	assert_int_equal(tracer_finish(&tracer, false, r), 0);
	return rc;
}

static void test_p_exec_of_a_twin_names_each_operation_from_its_own_image(void **state)
{
	char *targv[] = { twin_a, "-g", "50", twin_b, "30", NULL };
	const char *names[] = { "alpha_work", "bravo_work" };
	const long long counts[] = { 50, 30 };
	struct json_object *r;

	(void)state;
	assert_int_equal(trace_p(targv, &r), 0);
	assert_only(r, names, counts, 2);
	json_object_put(r);
}

static void test_cmd_exec_chain_a_b_a_names_each_operation_from_its_own_image(void **state)
{
	char *args[] = { "--", twin_a, "40", twin_b, "30", twin_a, "-x", "5", "20", NULL };
	const char *names[] = { "alpha_work", "bravo_work" };
	const long long counts[] = { 60, 30 };
	struct json_object *r;

	(void)state;
	/* The last twin's exit status is the command's. */
	assert_int_equal(run_etltrace(args, &r, NULL), 5);
	assert_only(r, names, counts, 2);
	json_object_put(r);
}

static void test_p_exec_of_an_unmarked_program_leaves_cleanly(void **state)
{
	char *targv[] = { twin_a, "-g", "25", "/bin/sh", "-c", "exit 7", NULL };
	const char *names[] = { "alpha_work" };
	const long long counts[] = { 25 };
	struct json_object *r;

	(void)state;
	/* A process left stopped at its exec would never exit: the test
	 * times out. */
	assert_int_equal(trace_p(targv, &r), 7);
	assert_only(r, names, counts, 1);
	json_object_put(r);
}

static void test_cmd_exec_of_an_unmarked_program_passes_its_status_through(void **state)
{
	char *args[] = { "--", twin_a, "25", "/bin/sleep", "0", NULL };
	char *args7[] = { "--", twin_a, "25", "/bin/sh", "-c", "exit 7", NULL };
	const char *names[] = { "alpha_work" };
	const long long counts[] = { 25 };
	struct json_object *r;

	(void)state;
	assert_int_equal(run_etltrace(args, &r, NULL), 0);
	assert_only(r, names, counts, 1);
	json_object_put(r);
	assert_int_equal(run_etltrace(args7, &r, NULL), 7);
	assert_only(r, names, counts, 1);
	json_object_put(r);
}

/* Copies src to dst (mode 0755). */
static void copy_file(const char *src, const char *dst)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ssize_t n;

	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	assert_int_equal(close(out), 0);
}

/* A deploy directory: job (twin_a) and job.new (twin_b). */
struct deploy {
	char dir[64], job[96], next[96];
};

static void deploy_make(struct deploy *d)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/etltrace-deploy-XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	snprintf(d->job, sizeof(d->job), "%s/job", d->dir);
	snprintf(d->next, sizeof(d->next), "%s/job.new", d->dir);
	copy_file(twin_a, d->job);
	copy_file(twin_b, d->next);
}

static void deploy_remove(struct deploy *d)
{
	unlink(d->next);
	unlink(d->job);
	rmdir(d->dir);
}

/* The job ran as twin_a, then renamed twin_b over its own path and exited
 * at once: its names come from the file it mapped, not the one now there. */
static void assert_deployed(struct json_object *r, const struct deploy *d)
{
	const char *names[] = { "alpha_work" };
	const long long counts[] = { 40 };
	char wb[128];
	struct stat st;

	assert_only(r, names, counts, 1);
	/* The deploy happened: job is now the other twin. */
	assert_int_equal(stat(d->next, &st), -1);
	where(d->job, wb, sizeof(wb));
	assert_non_null(strstr(wb, "bravo_work"));
}

static void test_p_a_job_replacing_its_own_executable_is_named_from_the_mapped_file(void **state)
{
	struct deploy d;
	struct json_object *r;

	(void)state;
	deploy_make(&d);
	{
		char *targv[] = { d.job, "-g", "-r", d.next, d.job, "40", NULL };

		assert_int_equal(trace_p(targv, &r), 0);
	}
	assert_deployed(r, &d);
	json_object_put(r);
	deploy_remove(&d);
}

static void test_cmd_a_job_replacing_its_own_executable_is_named_from_the_mapped_file(
	void **state)
{
	struct deploy d;
	struct json_object *r;

	(void)state;
	deploy_make(&d);
	{
		char *args[] = { "--", d.job, "-r", d.next, d.job, "40", NULL };

		assert_int_equal(run_etltrace(args, &r, NULL), 0);
	}
	assert_deployed(r, &d);
	json_object_put(r);
	deploy_remove(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HARNESS_TEST(test_p_exec_of_a_twin_names_each_operation_from_its_own_image),
		HARNESS_TEST(test_cmd_exec_chain_a_b_a_names_each_operation_from_its_own_image),
		HARNESS_TEST(test_p_exec_of_an_unmarked_program_leaves_cleanly),
		HARNESS_TEST(test_cmd_exec_of_an_unmarked_program_passes_its_status_through),
		HARNESS_TEST(test_p_a_job_replacing_its_own_executable_is_named_from_the_mapped_file),
		HARNESS_TEST(test_cmd_a_job_replacing_its_own_executable_is_named_from_the_mapped_file),
	};

	return cmocka_run_group_tests_name("exec", tests, setup, NULL);
}
