// SPDX-License-Identifier: MIT
/*
 * test_signals.c - `etltrace -- CMD` and the signals sent to etltrace: the
 * command receives them as if etltrace were not there, etltrace reports
 * and exits with the command's status; with -d, once the report is out,
 * nothing of etltrace stays in the kernel while the command runs on.
 * Target: tests/progs/sigjob.c. Needs root and BPF (fails, never skips).
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

static char *sigjob(void)
{
	return (char *)build_path("tests/progs/sigjob");
}

/* Runs `etltrace -- sigjob MODE`, sends sig to etltrace once the job has
 * run an operation, and returns etltrace's exit status, its report and
 * what it printed after its readiness line. */
static int signal_job(const char *mode, int sig, struct json_object **r, char **err)
{
	char *args[] = { "--", sigjob(), (char *)mode, NULL };
	struct child tracer;
	int early;

	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	/* The job's stderr is etltrace's: its ready line comes after the
	 * tracer's. */
	assert_int_equal(child_wait_line(&tracer, "sigjob: ready"), 0);
	assert_int_equal(kill(tracer.pid, sig), 0);
	return tracer_finish_err(&tracer, false, r, err);
}

/* The job was killed by the signal: it received it (with INT or TERM
 * blocked, as it once inherited them, it would never have died). */
static void killed_by(int sig)
{
	struct json_object *r, *op;
	char *err;

	assert_int_equal(signal_job("default", sig, &r, &err), 128 + sig);
	assert_non_null(r);
	op = report_op(r, "sig_op");
	assert_non_null(op);
	/* Killed during an operation or between two. */
	assert_true(jint(op, "count") >= 1);
	assert_true(jint(op, "unfinished") <= 1);
	assert_int_equal(counter(r, "ringbuf_full"), 0);
	assert_accounting(r);
	json_object_put(r);
	free(err);
}

static void test_sigint_to_etltrace_kills_the_command_which_exits_130_with_a_report(void **state)
{
	(void)state;
	killed_by(SIGINT);
}

static void test_sigterm_to_etltrace_kills_the_command_which_exits_143_with_a_report(void **state)
{
	(void)state;
	killed_by(SIGTERM);
}

/* The job handles the signal: it ends its operation, says how many it
 * ran, exits 100 + signal; the report counts exactly those. */
static void handled_by(int sig)
{
	struct json_object *r, *op;
	char *err, *at;
	long ops;

	assert_int_equal(signal_job("handle", sig, &r, &err), 100 + sig);
	at = err ? strstr(err, "sigjob: ops=") : NULL;
	assert_non_null(at);
	ops = atol(at + strlen("sigjob: ops="));
	op = report_op(r, "sig_op");
	assert_non_null(op);
	assert_int_equal(jint(op, "count"), ops);
	assert_int_equal(jint(op, "unfinished"), 0);
	assert_int_equal(counter(r, "starts"), ops);
	assert_int_equal(counter(r, "ends"), ops);
	assert_accounting(r);
	json_object_put(r);
	free(err);
}

static void test_sigint_is_handled_by_the_command_and_its_status_returned(void **state)
{
	(void)state;
	handled_by(SIGINT);
}

static void test_sigterm_is_handled_by_the_command_and_its_status_returned(void **state)
{
	(void)state;
	handled_by(SIGTERM);
}

/*
 * -d 1 -- sigjob wait 7: the trace ends after a second, the report is
 * written, the job runs on (waiting on its stdin, which is etltrace's).
 * Checks that every BPF program, map and link etltrace had while tracing
 * is gone while the job still runs, then ends the job with `end` (a line
 * on its stdin, or a signal to etltrace) and returns etltrace's status.
 */
static int after_the_report(int sig, struct json_object **report)
{
	char *args[] = { "-d", "1", "--", sigjob(), "wait", "7", NULL };
	unsigned int prog0 = last_prog_id(), map0 = last_map_id();
	struct bpf_snapshot snap;
	struct child tracer;
	int early, rc;

	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	/* Taken while tracing (the trace lasts a second): the test can see
	 * etltrace's objects, so their absence later means something. */
	bpf_snapshot_take(prog0, map0, &snap);
	assert_true(snap.nprogs >= 4); /* the probes' and the process hooks' */
	assert_true(snap.nlinks >= 4);
	assert_true(snap.nmaps >= 4);
	assert_int_equal(wait_file(tracer.out_path), 0);
	/* The report is out and the job waits on its stdin: still running. */
	assert_int_equal(kill(tracer.pid, 0), 0);
	assert_int_equal(bpf_snapshot_alive(&snap), 0);
	assert_int_equal(bpf_snapshot_take(prog0, map0, &snap), 0);
	if (sig) {
		assert_int_equal(kill(tracer.pid, sig), 0);
		/* Its stdin (the job's) stays open until both are gone: the
		 * signal, not an end of input, must end the job. */
		free(child_read_rest(&tracer));
	} else
		assert_int_equal(target_send_line(&tracer), 0);
	rc = tracer_finish(&tracer, false, report);
	return rc;
}

static void test_with_d_nothing_stays_loaded_after_the_report_and_the_status_is_returned(
	void **state)
{
	struct json_object *r, *op;

	(void)state;
	assert_int_equal(after_the_report(0, &r), 7);
	assert_non_null(r);
	/* At most the job's 5 operations, whatever the second covered. */
	op = report_op(r, "sig_op");
	if (op)
		assert_true(jint(op, "count") + jint(op, "unfinished") <= 5);
	assert_accounting(r);
	json_object_put(r);
}

static void test_with_d_sigterm_after_the_report_is_passed_on_to_the_command(void **state)
{
	struct json_object *r;

	(void)state;
	/* 115: the job's handler ran (100 + SIGTERM), not 7. */
	assert_int_equal(after_the_report(SIGTERM, &r), 100 + SIGTERM);
	assert_non_null(r);
	json_object_put(r);
}

static void test_with_d_sigint_after_the_report_is_passed_on_to_the_command(void **state)
{
	struct json_object *r;

	(void)state;
	assert_int_equal(after_the_report(SIGINT, &r), 100 + SIGINT);
	assert_non_null(r);
	json_object_put(r);
}

/* What the job says it started with ignored, under etltrace started with
 * HUP and USR1 ignored (as nohup leaves HUP). */
static char *ignored_by_the_job(void)
{
	char *args[] = { "--", sigjob(), "ignored", NULL };
	struct json_object *r;
	char *err, *at, *line;

	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	assert_int_equal(run_etltrace(args, &r, &err), 0);
	signal(SIGHUP, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	assert_int_equal(jint(report_op(r, "sig_op"), "count"), 1);
	json_object_put(r);
	at = err ? strstr(err, "sigjob: ignored:") : NULL;
	assert_non_null(at);
	line = strndup(at, strcspn(at, "\n"));
	free(err);
	return line;
}

static void test_signals_ignored_when_etltrace_starts_stay_ignored_in_the_command(void **state)
{
	char want[64], *got;

	(void)state;
	/* Not SIGPIPE, which etltrace ignores for itself. */
	snprintf(want, sizeof(want), "sigjob: ignored: %d %d", SIGHUP, SIGUSR1);
	got = ignored_by_the_job();
	assert_string_equal(got, want);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HARNESS_TEST(test_sigint_to_etltrace_kills_the_command_which_exits_130_with_a_report),
		HARNESS_TEST(test_sigterm_to_etltrace_kills_the_command_which_exits_143_with_a_report),
		HARNESS_TEST(test_sigint_is_handled_by_the_command_and_its_status_returned),
		HARNESS_TEST(test_sigterm_is_handled_by_the_command_and_its_status_returned),
		HARNESS_TEST(test_with_d_nothing_stays_loaded_after_the_report_and_the_status_is_returned),
		HARNESS_TEST(test_with_d_sigterm_after_the_report_is_passed_on_to_the_command),
		HARNESS_TEST(test_with_d_sigint_after_the_report_is_passed_on_to_the_command),
		HARNESS_TEST(test_signals_ignored_when_etltrace_starts_stay_ignored_in_the_command),
	};

	return cmocka_run_group_tests_name("signals", tests, harness_require_root, NULL);
}
