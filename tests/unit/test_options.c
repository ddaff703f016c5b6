// SPDX-License-Identifier: MIT
/*
 * test_options.c - the command lines (user/options.c) of report depth:
 * --log forms and filters, baselines, threshold flags and their ranges, and
 * the compare subcommand. argp exits on a usage error, so every parse runs
 * in a child and the test reads its exit status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/options.h"

/* Parses argv (NULL-terminated) in a child. Returns options_parse's exit
 * code, or 100 + check(&o) when the run would go on. */
static int parse(char **argv, int (*check)(const struct options *))
{
	int argc = 0, status;
	pid_t p;

	while (argv[argc])
		argc++;
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		struct options o;
		int rc;

		if (!freopen("/dev/null", "w", stderr) || !freopen("/dev/null", "w", stdout))
			_exit(99);
		if (!options_parse(argc, argv, &o, &rc))
			_exit(rc);
		_exit(100 + check(&o));
	}
	assert_int_equal(waitpid(p, &status, 0), p);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int log_to_stderr(const struct options *o)
{
	return o->log && !o->log_file && o->nlog_filters == 0;
}

static int log_to_file(const struct options *o)
{
	return o->log && o->log_file && !strcmp(o->log_file, "ops.log");
}

static int two_filters(const struct options *o)
{
	return o->log && o->nlog_filters == 2 && !strcmp(o->log_filters[0], "load") &&
	       !strcmp(o->log_filters[1], "extract");
}

static void log_goes_to_stderr_or_to_log_equals_file(void **state)
{
	char *plain[] = { "etltrace", "--log", "-p", "1", NULL };
	char *file[] = { "etltrace", "--log=ops.log", "-p", "1", NULL };
	char *filters[] = { "etltrace", "--log", "--log-filter", "load", "--log-filter=extract",
			    "--", "/bin/true", NULL };

	(void)state;
	assert_int_equal(parse(plain, log_to_stderr), 101);
	assert_int_equal(parse(file, log_to_file), 101);
	assert_int_equal(parse(filters, two_filters), 101);
}

static int nothing(const struct options *o)
{
	(void)o;
	return 0;
}

static void log_misuse_is_a_usage_error(void **state)
{
	char *spaced[] = { "etltrace", "--log", "ops.log", "-p", "1", NULL };
	char *filter_alone[] = { "etltrace", "--log-filter", "load", "-p", "1", NULL };
	char *empty[] = { "etltrace", "--log=", "-p", "1", NULL };
	char *after_dashes[] = { "etltrace", "-p", "1", "--log", "--", "x", NULL };

	(void)state;
	assert_int_equal(parse(spaced, nothing), ETL_EXIT_USAGE);
	assert_int_equal(parse(filter_alone, nothing), ETL_EXIT_USAGE);
	assert_int_equal(parse(empty, nothing), ETL_EXIT_USAGE);
	/* --log then -- CMD is fine (here it fails only for having both -p and CMD) */
	assert_int_equal(parse(after_dashes, nothing), ETL_EXIT_USAGE);
	after_dashes[1] = "--log";
	after_dashes[2] = "--";
	after_dashes[3] = "/bin/true";
	after_dashes[4] = NULL;
	assert_int_equal(parse(after_dashes, log_to_stderr), 101);
}

static int baselines(const struct options *o)
{
	return o->report.baseline && !strcmp(o->report.baseline, "b.json") && o->report.save_baseline &&
	       !strcmp(o->report.save_baseline, "s.json") && o->set.regression_factor == 2.5;
}

static void baseline_flags_are_kept(void **state)
{
	char *argv[] = { "etltrace", "--baseline", "b.json", "--save-baseline=s.json",
			 "--regression-factor", "2.5", "-p", "1", NULL };

	(void)state;
	assert_int_equal(parse(argv, baselines), 101);
}

static int thresholds(const struct options *o)
{
	const struct thresholds *t = &o->set.th;

	return t->slow_seconds == 1 && t->memory_mb == 2 && t->batch_seconds == 3 &&
	       t->cleanup_mb == 4 && t->wait_fraction == 0.25 && t->transient_mb == 6 &&
	       t->peak_ratio == 7 && t->major_faults == 8;
}

static void every_threshold_has_a_flag(void **state)
{
	char *argv[] = { "etltrace", "--slow-threshold", "1", "--memory-threshold", "2",
			 "--batch-threshold", "3", "--cleanup-threshold", "4", "--wait-fraction",
			 "0.25", "--transient-threshold", "6", "--peak-ratio", "7", "--major-faults",
			 "8", "-p", "1", NULL };

	(void)state;
	assert_int_equal(parse(argv, thresholds), 101);
}

static void thresholds_out_of_range_are_usage_errors(void **state)
{
	static const char *const bad[][2] = {
		{ "--slow-threshold", "-1" }, { "--memory-threshold", "nan" },
		{ "--batch-threshold", "inf" }, { "--cleanup-threshold", "1e13" },
		{ "--wait-fraction", "1.5" }, { "--transient-threshold", "x" },
		{ "--peak-ratio", "0.5" }, { "--major-faults", "-3" },
		{ "--regression-factor", "0.99" }, { "--regression-factor", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "etltrace", (char *)bad[i][0], (char *)bad[i][1], "-p", "1", NULL };

		if (parse(argv, nothing) != ETL_EXIT_USAGE)
			fail_msg("%s '%s' was accepted", bad[i][0], bad[i][1]);
	}
}

static int max_ops_default(const struct options *o)
{
	return o->set.max_operations == 10000;
}

static int max_ops_5(const struct options *o)
{
	return o->set.max_operations == 5;
}

static void max_operations_takes_a_whole_number_from_1_to_a_million(void **state)
{
	static const char *const bad[] = { "0", "-1", "2.5", "1000001", "1e7", "x", "", "nan",
					   "+5", " 5", "5 ", "0x5", "05", "5.0", "1e3",
					   "99999999999999999999999" };
	char *dflt[] = { "etltrace", "-p", "1", NULL };
	char *five[] = { "etltrace", "--max-operations", "5", "-p", "1", NULL };
	char *most[] = { "etltrace", "--max-operations=1000000", "-p", "1", NULL };

	(void)state;
	assert_int_equal(parse(dflt, max_ops_default), 101);
	assert_int_equal(parse(five, max_ops_5), 101);
	assert_int_equal(parse(most, nothing), 100);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "etltrace", "--max-operations", (char *)bad[i], "-p", "1", NULL };

		if (parse(argv, nothing) != ETL_EXIT_USAGE)
			fail_msg("--max-operations '%s' was accepted", bad[i]);
	}
}

static int pid_is_one(const struct options *o)
{
	return o->npids == 1 && o->pids[0] == 1;
}

static int pid_is_int_max(const struct options *o)
{
	return o->npids == 1 && o->pids[0] == 2147483647;
}

static void a_pid_is_plain_decimal_digits_from_1_to_int_max(void **state)
{
	/* strtod took all but the last four of these. */
	static const char *const bad[] = {
		"0x2", "9.789e3", " 9789", "9789 ", "+12", "-1", "0", "012", "00", "1e3", "12abc",
		"2147483648", "99999999999999999999999", "", "\t1", "1.0", "inf",
	};
	char *one[] = { "etltrace", "-p", "1", NULL };
	char *most[] = { "etltrace", "-p", "2147483647", NULL };

	(void)state;
	assert_int_equal(parse(one, pid_is_one), 101);
	assert_int_equal(parse(most, pid_is_int_max), 101);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "etltrace", "-p", (char *)bad[i], NULL };

		if (parse(argv, nothing) != ETL_EXIT_USAGE)
			fail_msg("-p '%s' was accepted", bad[i]);
	}
}

static int ringbuf_is(const struct options *o)
{
	return (int)o->ringbuf_mb;
}

static void ringbuf_mb_is_a_whole_power_of_two(void **state)
{
	static const char *const bad[] = {
		"0", "3", "2048", "0x10", "16.0", "+16", " 16", "016", "1e1", "16 ", "", "-16",
	};
	static const struct {
		const char *arg;
		int mb;
	} good[] = { { "1", 1 }, { "16", 16 }, { "128", 128 } };

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *argv[] = { "etltrace", "--ringbuf-mb", (char *)good[i].arg, "-p", "1", NULL };

		assert_int_equal(parse(argv, ringbuf_is), 100 + good[i].mb);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "etltrace", "--ringbuf-mb", (char *)bad[i], "-p", "1", NULL };

		if (parse(argv, nothing) != ETL_EXIT_USAGE)
			fail_msg("--ringbuf-mb '%s' was accepted", bad[i]);
	}
}

/* What duration_is_expected wants (set before each parse: the child gets a
 * copy). */
static double expected_duration;

static int duration_is_expected(const struct options *o)
{
	return o->duration == expected_duration;
}

static void decimals_take_what_people_type_and_nothing_else(void **state)
{
	static const struct {
		const char *arg;
		double seconds;
	} good[] = {
		{ "2", 2 }, { "0.5", 0.5 }, { ".5", 0.5 }, { "5.", 5 }, { "1e-3", 0.001 },
		{ "2.5E2", 250 }, { "007", 7 }, { "1e+1", 10 },
	};
	static const char *const bad[] = {
		" 1", "1 ", "+1", "0x1p3", "0x10", "inf", "nan", "1e", ".", "e3", "1,5", "", "1e+",
		"-1", "1..2", "--1", "infinity",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *argv[] = { "etltrace", "-d", (char *)good[i].arg, "-p", "1", NULL };

		expected_duration = good[i].seconds;
		if (parse(argv, duration_is_expected) != 101)
			fail_msg("-d '%s' was not read as %g", good[i].arg, good[i].seconds);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "etltrace", "-d", (char *)bad[i], "-p", "1", NULL };
		char *slow[] = { "etltrace", "--slow-threshold", (char *)bad[i], "-p", "1", NULL };

		if (parse(argv, nothing) != ETL_EXIT_USAGE)
			fail_msg("-d '%s' was accepted", bad[i]);
		if (parse(slow, nothing) != ETL_EXIT_USAGE)
			fail_msg("--slow-threshold '%s' was accepted", bad[i]);
	}
}

static int compare_mode(const struct options *o)
{
	return o->mode == MODE_COMPARE && !strcmp(o->compare[0], "a.json") &&
	       !strcmp(o->compare[1], "b.json") && o->report.format == FORMAT_JSON &&
	       o->report.output && !strcmp(o->report.output, "out.json") && o->set.regression_factor == 3;
}

static int metrics_address_is(const struct options *o)
{
	return !strcmp(o->set.metrics_address, "[::1]:9464");
}

static void a_bad_metrics_address_is_a_usage_error_before_anything_runs(void **state)
{
	static const char *const bad[] = {
		"localhost:9464", ":9464", "0", "65536", "::1:9464", "127.0.0.1:", "x",
	};
	char *good[] = { "etltrace", "--metrics", "[::1]:9464", "-p", "1", NULL };

	(void)state;
	assert_int_equal(parse(good, metrics_address_is), 101);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "etltrace", "--metrics", (char *)bad[i], "-p", "1", NULL };

		if (parse(argv, nothing) != ETL_EXIT_USAGE)
			fail_msg("--metrics '%s' was accepted", bad[i]);
	}
}

static void compare_takes_two_reports_and_its_options(void **state)
{
	char *ok[] = { "etltrace", "compare", "--format", "json", "a.json", "-o", "out.json",
		       "--regression-factor=3", "b.json", NULL };
	char *one[] = { "etltrace", "compare", "a.json", NULL };
	char *three[] = { "etltrace", "compare", "a.json", "b.json", "c.json", NULL };
	char *pid[] = { "etltrace", "compare", "-p", "1", "a.json", "b.json", NULL };
	char *help[] = { "etltrace", "compare", "--help", NULL };

	(void)state;
	assert_int_equal(parse(ok, compare_mode), 101);
	assert_int_equal(parse(one, nothing), ETL_EXIT_USAGE);
	assert_int_equal(parse(three, nothing), ETL_EXIT_USAGE);
	assert_int_equal(parse(pid, nothing), ETL_EXIT_USAGE); /* tracing options do not apply */
	assert_int_equal(parse(help, nothing), 0);
}

static int trace_mode(const struct options *o)
{
	return o->mode == MODE_TRACE && o->cmd && !strcmp(o->cmd[0], "compare");
}

static void a_command_named_compare_runs_after_dashes(void **state)
{
	char *argv[] = { "etltrace", "--", "compare", "x", NULL };

	(void)state;
	assert_int_equal(parse(argv, trace_mode), 101);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log_goes_to_stderr_or_to_log_equals_file),
		cmocka_unit_test(log_misuse_is_a_usage_error),
		cmocka_unit_test(baseline_flags_are_kept),
		cmocka_unit_test(every_threshold_has_a_flag),
		cmocka_unit_test(thresholds_out_of_range_are_usage_errors),
		cmocka_unit_test(max_operations_takes_a_whole_number_from_1_to_a_million),
		cmocka_unit_test(a_pid_is_plain_decimal_digits_from_1_to_int_max),
		cmocka_unit_test(ringbuf_mb_is_a_whole_power_of_two),
		cmocka_unit_test(decimals_take_what_people_type_and_nothing_else),
		cmocka_unit_test(a_bad_metrics_address_is_a_usage_error_before_anything_runs),
		cmocka_unit_test(compare_takes_two_reports_and_its_options),
		cmocka_unit_test(a_command_named_compare_runs_after_dashes),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
