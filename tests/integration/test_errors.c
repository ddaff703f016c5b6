// SPDX-License-Identifier: MIT
/*
 * test_errors.c - bad input gets one clear line on stderr, its documented
 * exit code, and leaves nothing attached.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Exit codes documented in README.md and --help. */
enum { USAGE = 2, NO_TARGET = 3, NO_MARKERS = 4, PERM = 5 };

static void test_nonexistent_pid_exits_3(void **state)
{
	char pid[16], *args[] = { "-p", pid, NULL };
	pid_t p = fork();

	(void)state;
	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0); /* reaped: that pid is now free */
	snprintf(pid, sizeof(pid), "%d", (int)p);
	expect_refused(args, NO_TARGET, "no such process");
}

static void test_kernel_thread_exits_3(void **state)
{
	char *args[] = { "-p", "2", NULL }; /* kthreadd */

	(void)state;
	expect_refused(args, NO_TARGET, "kernel thread");
}

static void test_process_without_markers_exits_4_naming_what_was_searched(void **state)
{
	char *targv[] = { "/bin/sh", "-c", "echo ready; read x", NULL };
	char pid[16], *args[] = { "-p", pid, NULL };
	struct child target;

	(void)state;
	assert_int_equal(target_start(targv, &target), 0);
	snprintf(pid, sizeof(pid), "%d", (int)target.pid);
	expect_refused(args, NO_MARKERS, "searched: /usr/bin/dash");
	target_release(&target);
	child_wait(&target);
}

/* A command with no markers at its start still runs, traced, since it may
 * load a marker library later (a Python job importing etltrace); when it
 * never does, no report, exit 4, and one line after the ready line. */
static void test_command_without_markers_exits_4(void **state)
{
	char *args[] = { "--", "/bin/true", NULL };
	unsigned int before = last_prog_id();
	struct json_object *r;
	char *err, *line;
	int rc = run_etltrace(args, &r, &err);

	(void)state;
	line = err ? strchr(err, '\n') : NULL;
	if (rc != NO_MARKERS || !line || !strstr(err, "etltrace: ready:") || line_count(line + 1) != 1 ||
	    !strstr(line, "no etl USDT markers in process") ||
	    !strstr(line, "/usr/bin/true, ") || !strstr(line, "every library it loaded later"))
		fail_msg("exit %d (want %d), stderr: %s", rc, NO_MARKERS, err ? err : "(none)");
	assert_null(r);
	assert_int_equal(loaded_progs("op_start", before), 0);
	free(err);
}

static void test_command_not_found_exits_2(void **state)
{
	char *args[] = { "--", "/nonexistent/etl_job", NULL };

	(void)state;
	expect_refused(args, USAGE, "cannot run");
}

static void test_bad_option_values_exit_2(void **state)
{
	char *bad_pid[] = { "-p", "12abc", NULL };
	char *bad_dur[] = { "-d", "-1", "-p", "1", NULL };
	char *bad_fmt[] = { "--format", "yaml", "-p", "1", NULL };
	char *bad_thr[] = { "--slow-threshold", "fast", "-p", "1", NULL };
	char *both[] = { "-p", "1", "--", "/bin/true", NULL };
	char *none[] = { NULL };

	(void)state;
	expect_refused(bad_pid, USAGE, "invalid PID '12abc'");
	expect_refused(bad_dur, USAGE, "invalid duration");
	expect_refused(bad_fmt, USAGE, "invalid format 'yaml'");
	expect_refused(bad_thr, USAGE, "invalid --slow-threshold");
	expect_refused(both, USAGE, "not several");
	expect_refused(none, USAGE, "nothing to trace");
}

static void test_unknown_option_exits_2(void **state)
{
	char *args[] = { "--frobnicate", "-p", "1", NULL };
	struct json_object *r;
	char *err;

	(void)state;
	assert_int_equal(run_etltrace(args, &r, &err), USAGE);
	/* argp's standard pair: the problem, then where to look. */
	assert_non_null(strstr(err, "unrecognized option '--frobnicate'"));
	assert_non_null(strstr(err, "--help"));
	assert_true(line_count(err) <= 2);
	free(err);
}

static void test_not_root_exits_5(void **state)
{
	char out[512];
	int fds[2], status;
	pid_t p;
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	p = fork();
	if (p == 0) {
		dup2(fds[1], 2);
		if (setgid(65534) || setuid(65534))
			_exit(99);
		execl(build_path("etltrace"), "etltrace", "-p", "1", (char *)NULL);
		_exit(98);
	}
	close(fds[1]);
	for (size_t len = 0;; len += (size_t)n) {
		n = read(fds[0], out + len, sizeof(out) - 1 - len);
		if (n <= 0) {
			out[len] = '\0';
			break;
		}
	}
	close(fds[0]);
	waitpid(p, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), PERM);
	assert_non_null(strstr(out, "sudo"));
	assert_int_equal(line_count(out), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nonexistent_pid_exits_3),
		cmocka_unit_test(test_kernel_thread_exits_3),
		cmocka_unit_test(test_process_without_markers_exits_4_naming_what_was_searched),
		cmocka_unit_test(test_command_without_markers_exits_4),
		cmocka_unit_test(test_command_not_found_exits_2),
		cmocka_unit_test(test_bad_option_values_exit_2),
		cmocka_unit_test(test_unknown_option_exits_2),
		cmocka_unit_test(test_not_root_exits_5),
	};

	return cmocka_run_group_tests_name("errors", tests, harness_require_root, NULL);
}
