// SPDX-License-Identifier: MIT
/*
 * test_config.c - the --config file (user/config.c) and how flags override
 * it (user/options.c): defaults, every key, and bad files, each with one
 * error line naming the file and the key.
 */
#include <errno.h>
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

#include "cli/config.h"
#include "cli/options.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/etltrace-config-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/etl.json", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Writes `len` bytes of `text` (strlen if len is 0) as the config file. */
static const char *write_config(struct fixture *f, const char *text, size_t len)
{
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len ? len : strlen(text), fp), len ? len : strlen(text));
	assert_int_equal(fclose(fp), 0);
	return f->path;
}

/* Loads text; asserts failure with an error containing `needle`. */
static void expect_error(struct fixture *f, const char *text, size_t len, const char *needle)
{
	struct settings s;
	unsigned found = 123;
	char err[512] = "";

	settings_default(&s);
	assert_int_equal(config_load(write_config(f, text, len), &s, &found, err, sizeof(err)), -1);
	if (!strstr(err, needle) || !strstr(err, f->path) || strchr(err, '\n') ||
	    strchr(err, '\x1b'))
		fail_msg("error '%s' lacks '%s' or the path, or holds a control byte", err, needle);
}

static void defaults_are_the_seeds(void **state)
{
	struct settings s;
	double lo, hi;

	(void)state;
	settings_default(&s);
	assert_true(s.profiling);
	assert_true(s.metrics);
	assert_true(s.th.slow_seconds == 2.0);
	assert_true(s.th.memory_mb == 100.0);
	assert_true(s.regression_factor == 1.5);
	assert_true(s.max_operations == 10000);
	assert_true(setting_is_whole(SET_MAX_OPERATIONS));
	assert_false(setting_is_whole(SET_SLOW));
	assert_int_equal(setting_range(SET_WAIT, &lo, &hi), 0);
	assert_true(lo == 0 && hi == 1);
	assert_int_equal(setting_range(SET_PROFILING, &lo, &hi), -1);
	assert_null(setting_number(&s, SET_METRICS));
	assert_ptr_equal(setting_number(&s, SET_SLOW), &s.th.slow_seconds);
}

static void the_seeds_settings_file_is_read(void **state)
{
	struct fixture *f = *state;
	struct settings s;
	unsigned found;
	char err[256];

	settings_default(&s);
	assert_int_equal(config_load(write_config(f,
		"{\"MONITORING\": {\"ENABLE_PROFILING\": true, \"ENABLE_METRICS\": false,\n"
		" \"PERFORMANCE_THRESHOLD_SECONDS\": 1.0, \"MEMORY_THRESHOLD_MB\": 200}}", 0),
		&s, &found, err, sizeof(err)), 0);
	assert_true(s.profiling);
	assert_false(s.metrics);
	assert_true(s.th.slow_seconds == 1.0);
	assert_true(s.th.memory_mb == 200.0);
	assert_int_equal(found, SETTING_BIT(SET_PROFILING) | SETTING_BIT(SET_METRICS) |
				SETTING_BIT(SET_SLOW) | SETTING_BIT(SET_MEMORY));
	assert_true(s.th.batch_seconds == 2.0); /* untouched */
}

static void etltraces_own_keys_are_read(void **state)
{
	struct fixture *f = *state;
	struct settings s;
	unsigned found;
	char err[256];

	settings_default(&s);
	assert_int_equal(config_load(write_config(f,
		"{\"DATABASE\": {\"anything\": [1, 2]}, \"MONITORING\": {\n"
		" \"BATCH_PROCESSING_SECONDS\": 1, \"MEMORY_CLEANUP_MB\": 200,\n"
		" \"PARALLEL_WAIT_FRACTION\": 0.9, \"TRANSIENT_MEMORY_MB\": 10,\n"
		" \"PEAK_TO_NET_RATIO\": 3, \"MAJOR_FAULTS_PER_OPERATION\": 5,\n"
		" \"REGRESSION_FACTOR\": 2.5, \"MAX_OPERATIONS\": 500}}", 0), &s, &found, err,
		sizeof(err)), 0);
	assert_true(s.th.batch_seconds == 1.0);
	assert_true(s.th.cleanup_mb == 200.0);
	assert_true(s.th.wait_fraction == 0.9);
	assert_true(s.th.transient_mb == 10.0);
	assert_true(s.th.peak_ratio == 3.0);
	assert_true(s.th.major_faults == 5.0);
	assert_true(s.regression_factor == 2.5);
	assert_true(s.max_operations == 500);
	assert_int_equal(__builtin_popcount(found), 8);
}

static void an_empty_monitoring_object_keeps_the_defaults(void **state)
{
	struct fixture *f = *state;
	struct settings s, d;
	unsigned found;
	char err[256];

	settings_default(&s);
	settings_default(&d);
	assert_int_equal(config_load(write_config(f, "{\"MONITORING\": {}}\n", 0), &s, &found, err,
				     sizeof(err)), 0);
	assert_int_equal(found, 0);
	assert_memory_equal(&s, &d, sizeof(s));
}

static void merge_copies_only_the_masked_settings(void **state)
{
	struct settings dst, src;

	(void)state;
	settings_default(&dst);
	settings_default(&src);
	src.profiling = false;
	src.th.slow_seconds = 9;
	src.th.memory_mb = 9;
	settings_merge(&dst, &src, SETTING_BIT(SET_PROFILING) | SETTING_BIT(SET_SLOW));
	assert_false(dst.profiling);
	assert_true(dst.th.slow_seconds == 9);
	assert_true(dst.th.memory_mb == 100);
}

static void unreadable_file_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct settings s;
	unsigned found;
	char err[256];

	settings_default(&s);
	assert_int_equal(config_load("/nonexistent/etl.json", &s, &found, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "config /nonexistent/etl.json: cannot read it: No such file"));
	assert_int_equal(config_load(f->dir, &s, &found, err, sizeof(err)), -1); /* a directory */
	assert_non_null(strstr(err, "cannot read it"));
}

static void malformed_json_is_an_error(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "", 0, "not valid JSON: empty file");
	expect_error(f, "{\"MONITORING\": {\"ENABLE_PROFILING\": tr", 0,
		     "not valid JSON: unexpected end of data at byte 38");
	expect_error(f, "{MONITORING: {}}", 0, "not valid JSON");
	expect_error(f, "{\"MONITORING\": {},}", 0, "not valid JSON");
	expect_error(f, "{\"MONITORING\": {}} trailing", 0, "not valid JSON");
	expect_error(f, "{\"MONITORING\": {}}\0{}", 21, "not valid JSON");
	expect_error(f, "{\"MONITORING\": {\"\xff\": 1}}", 0, "not valid JSON");
	/* UTF-8 json-c 0.16 would take: an overlong form, in an ignored section */
	expect_error(f, "{\"DB\": \"\xe0\x80\xa9\", \"MONITORING\": {}}", 0,
		     "not valid JSON: invalid utf-8 string at byte 8");
}

static void wrong_shapes_are_errors(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "[1, 2]", 0, "expected a JSON object with a MONITORING object");
	expect_error(f, "{\"monitoring\": {}}", 0, "MONITORING: missing");
	expect_error(f, "{\"MONITORING\": [\"ENABLE_PROFILING\"]}", 0,
		     "MONITORING: expected an object, got [\"ENABLE_PROFILING\"]");
}

static void unknown_keys_are_errors_naming_the_key(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "{\"MONITORING\": {\"PERFORMANCE_THRESHOLD\": 2}}", 0,
		     "MONITORING.PERFORMANCE_THRESHOLD: unknown key");
	/* A hostile key is shown escaped, on one line. */
	expect_error(f, "{\"MONITORING\": {\"A\\u001b[2J\\n\\\"\\\\\": 2}}", 0,
		     "MONITORING.A\\x1b[2J\\x0a\"\\\\: unknown key");
}

/* "REGRESSION_FACTOR\u0000" would be read as REGRESSION_FACTOR by json-c,
 * and of two equal keys only the last would count. */
static void nul_and_twice_given_keys_are_errors_naming_the_key(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "{\"MONITORING\": {\"REGRESSION_FACTOR\": 2, "
			"\"REGRESSION_FACTOR\\u0000x\": 1}}",
		     0, "MONITORING.\"REGRESSION_FACTOR\\u0000x\": a key may not hold a NUL");
	expect_error(f, "{\"MONITORING\": {\"REGRESSION_FACTOR\": 2, \"REGRESSION_FACTOR\": 1}}",
		     0, "MONITORING.REGRESSION_FACTOR: the key is given twice in one object");
}

static void wrong_types_are_errors_naming_the_key(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "{\"MONITORING\": {\"ENABLE_PROFILING\": 1}}", 0,
		     "MONITORING.ENABLE_PROFILING: expected true or false, got 1");
	expect_error(f, "{\"MONITORING\": {\"ENABLE_METRICS\": \"yes\"}}", 0,
		     "MONITORING.ENABLE_METRICS: expected true or false, got \"yes\"");
	expect_error(f, "{\"MONITORING\": {\"MEMORY_THRESHOLD_MB\": \"100\"}}", 0,
		     "MONITORING.MEMORY_THRESHOLD_MB: expected a number in [0, 1e+12], got \"100\"");
	expect_error(f, "{\"MONITORING\": {\"PERFORMANCE_THRESHOLD_SECONDS\": null}}", 0,
		     "MONITORING.PERFORMANCE_THRESHOLD_SECONDS: expected a number");
	expect_error(f, "{\"MONITORING\": {\"REGRESSION_FACTOR\": [1.5]}}", 0,
		     "MONITORING.REGRESSION_FACTOR: expected a number");
}

static void a_metrics_address_is_checked_where_it_is_given(void **state)
{
	struct fixture *f = *state;
	struct settings s;
	unsigned found = 0;
	char err[512] = "";

	settings_default(&s);
	assert_int_equal(config_load(write_config(f, "{\"MONITORING\": {\"METRICS_ADDRESS\": "
						   "\"0.0.0.0:9464\"}}", 0), &s, &found, err,
				     sizeof(err)), 0);
	assert_string_equal(s.metrics_address, "0.0.0.0:9464");
	assert_int_equal(config_load(write_config(f, "{\"MONITORING\": {\"METRICS_ADDRESS\": "
						   "\"\"}}", 0), &s, &found, err, sizeof(err)), 0);
	assert_string_equal(s.metrics_address, "");
	expect_error(f, "{\"MONITORING\": {\"METRICS_ADDRESS\": \"localhost:9464\"}}", 0,
		     "MONITORING.METRICS_ADDRESS: expected \"\" (none) or PORT, ADDR:PORT or "
		     "[ADDR6]:PORT with a numeric ADDR (such as 9464, 0.0.0.0:9464 or [::1]:9464), "
		     "got \"localhost:9464\"");
	expect_error(f, "{\"MONITORING\": {\"METRICS_ADDRESS\": \"70000\"}}", 0,
		     "MONITORING.METRICS_ADDRESS: expected");
	expect_error(f, "{\"MONITORING\": {\"METRICS_ADDRESS\": 9464}}", 0,
		     "MONITORING.METRICS_ADDRESS: expected a string");
}

static void out_of_range_numbers_are_errors_naming_the_key(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "{\"MONITORING\": {\"PERFORMANCE_THRESHOLD_SECONDS\": -0.5}}", 0,
		     "MONITORING.PERFORMANCE_THRESHOLD_SECONDS: expected a number in [0, 1e+09], "
		     "got -0.5");
	expect_error(f, "{\"MONITORING\": {\"MEMORY_THRESHOLD_MB\": -1}}", 0,
		     "MEMORY_THRESHOLD_MB: expected a number in [0, 1e+12], got -1");
	expect_error(f, "{\"MONITORING\": {\"MEMORY_THRESHOLD_MB\": 1e999}}", 0,
		     "MEMORY_THRESHOLD_MB: expected a number");
	expect_error(f, "{\"MONITORING\": {\"MEMORY_THRESHOLD_MB\": 99999999999999999999999}}", 0,
		     "MEMORY_THRESHOLD_MB: expected a number");
	expect_error(f, "{\"MONITORING\": {\"MEMORY_THRESHOLD_MB\": NaN}}", 0,
		     "MEMORY_THRESHOLD_MB: expected a number");
	expect_error(f, "{\"MONITORING\": {\"PERFORMANCE_THRESHOLD_SECONDS\": -Infinity}}", 0,
		     "PERFORMANCE_THRESHOLD_SECONDS: expected a number");
	expect_error(f, "{\"MONITORING\": {\"PARALLEL_WAIT_FRACTION\": 1.01}}", 0,
		     "PARALLEL_WAIT_FRACTION: expected a number in [0, 1]");
	expect_error(f, "{\"MONITORING\": {\"REGRESSION_FACTOR\": 0.9}}", 0,
		     "REGRESSION_FACTOR: expected a number in [1, 1e+09]");
	expect_error(f, "{\"MONITORING\": {\"PEAK_TO_NET_RATIO\": 0}}", 0,
		     "PEAK_TO_NET_RATIO: expected a number in [1, 1e+09]");
	expect_error(f, "{\"MONITORING\": {\"MAX_OPERATIONS\": 0}}", 0,
		     "MAX_OPERATIONS: expected a whole number in [1, 1e+06], got 0");
	expect_error(f, "{\"MONITORING\": {\"MAX_OPERATIONS\": 2.5}}", 0,
		     "MAX_OPERATIONS: expected a whole number in [1, 1e+06], got 2.5");
	expect_error(f, "{\"MONITORING\": {\"MAX_OPERATIONS\": 1000001}}", 0,
		     "MAX_OPERATIONS: expected a whole number in [1, 1e+06]");
	expect_error(f, "{\"MONITORING\": {\"MAX_OPERATIONS\": \"10\"}}", 0,
		     "MAX_OPERATIONS: expected a whole number");
}

/* options_parse in a child (argp exits on usage errors): returns its exit
 * status, or 100 + the setting's whole value for the checks below. */
static int parse_in_child(char **argv, int argc, int (*check)(const struct options *))
{
	int status;
	pid_t p = fork();

	assert_true(p >= 0);
	if (p == 0) {
		struct options o;
		int rc;

		if (!freopen("/dev/null", "w", stderr))
			_exit(99);
		if (!options_parse(argc, argv, &o, &rc))
			_exit(rc);
		_exit(check(&o));
	}
	assert_int_equal(waitpid(p, &status, 0), p);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int slow_and_memory(const struct options *o)
{
	return 100 + (int)o->set.th.slow_seconds * 10 + (int)(o->set.th.memory_mb / 100);
}

static void flags_override_the_file_and_the_file_overrides_defaults(void **state)
{
	struct fixture *f = *state;
	char *with_flag[] = { "etltrace", "--config", f->path, "--slow-threshold", "5", "-p", "1",
			      NULL };
	char *file_only[] = { "etltrace", "--slow-threshold=5", "-p", "1", NULL };
	char *flag_first[] = { "etltrace", "--slow-threshold", "3", "--config", f->path, "-p", "1",
			       NULL };

	write_config(f, "{\"MONITORING\": {\"PERFORMANCE_THRESHOLD_SECONDS\": 7, "
			"\"MEMORY_THRESHOLD_MB\": 400}}", 0);
	/* slow from the flag (5), memory from the file (400) */
	assert_int_equal(parse_in_child(with_flag, 7, slow_and_memory), 100 + 50 + 4);
	assert_int_equal(parse_in_child(file_only, 4, slow_and_memory), 100 + 50 + 1);
	/* order on the command line does not matter */
	assert_int_equal(parse_in_child(flag_first, 7, slow_and_memory), 100 + 30 + 4);
}

static void a_bad_file_exits_with_the_config_code(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "etltrace", "--config", f->path, "-p", "1", NULL };
	char *missing[] = { "etltrace", "--config", "/nonexistent/x.json", "-p", "1", NULL };

	write_config(f, "{\"MONITORING\": {\"MEMORY_THRESHOLD_MB\": -5}}", 0);
	assert_int_equal(parse_in_child(argv, 5, slow_and_memory), ETL_EXIT_CONFIG);
	assert_int_equal(parse_in_child(missing, 5, slow_and_memory), ETL_EXIT_CONFIG);
}

static int profiling(const struct options *o)
{
	return 100 + o->set.profiling * 10 + o->set.metrics;
}

static void enable_profiling_and_metrics_are_carried_through(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "etltrace", "--config", f->path, "--", "/bin/true", NULL };

	write_config(f, "{\"MONITORING\": {\"ENABLE_PROFILING\": false, \"ENABLE_METRICS\": false}}",
		     0);
	assert_int_equal(parse_in_child(argv, 5, profiling), 100);
	write_config(f, "{\"MONITORING\": {\"ENABLE_METRICS\": false}}", 0);
	assert_int_equal(parse_in_child(argv, 5, profiling), 110);
}

static int factor(const struct options *o)
{
	return 100 + (int)(o->set.regression_factor * 10);
}

static void compare_reads_the_regression_factor_from_file_or_flag(void **state)
{
	struct fixture *f = *state;
	char *file[] = { "etltrace", "compare", "--config", f->path, "a.json", "b.json", NULL };
	char *flag[] = { "etltrace", "compare", "a.json", "--regression-factor", "1.2",
			 "--config", f->path, "b.json", NULL };

	write_config(f, "{\"MONITORING\": {\"REGRESSION_FACTOR\": 2.0}}", 0);
	assert_int_equal(parse_in_child(file, 6, factor), 120);
	assert_int_equal(parse_in_child(flag, 8, factor), 112);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(defaults_are_the_seeds),
		T(the_seeds_settings_file_is_read),
		T(etltraces_own_keys_are_read),
		T(an_empty_monitoring_object_keeps_the_defaults),
		T(merge_copies_only_the_masked_settings),
		T(unreadable_file_is_an_error),
		T(malformed_json_is_an_error),
		T(wrong_shapes_are_errors),
		T(unknown_keys_are_errors_naming_the_key),
		T(nul_and_twice_given_keys_are_errors_naming_the_key),
		T(wrong_types_are_errors_naming_the_key),
		T(a_metrics_address_is_checked_where_it_is_given),
		T(out_of_range_numbers_are_errors_naming_the_key),
		T(flags_override_the_file_and_the_file_overrides_defaults),
		T(a_bad_file_exits_with_the_config_code),
		T(enable_profiling_and_metrics_are_carried_through),
		T(compare_reads_the_regression_factor_from_file_or_flag),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
