// SPDX-License-Identifier: MIT
/*
 * test_oplog.c - live log lines (user/oplog.c): the seed's format, signs and
 * rounding, filters, hostile names, the log file, write failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "output/outfile.h"
#include "report/oplog.h"

#define MS 1000000ull
#define MIB (1024ll * 1024)

/* The line oplog_write_line gives for one sample; malloc'd. */
static char *line_of(const char *name, uint64_t ns, int64_t mem)
{
	struct op_sample s = { .duration_ns = ns, .mem_delta = mem };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(oplog_write_line(f, name, &s), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void expect_line(const char *name, uint64_t ns, int64_t mem, const char *want)
{
	char *got = line_of(name, ns, mem);

	assert_string_equal(got, want);
	free(got);
}

static void the_line_is_the_seeds(void **state)
{
	(void)state;
	/* 15.2 MB = 15938355 B (15.19999... MiB) */
	expect_line("data_processing", 2340 * MS, 15938355,
		    "INFO:etl.profiler:data_processing: 2.34s, Memory: +15.2MB\n");
}

static void seconds_have_two_decimals_and_memory_one_with_a_sign(void **state)
{
	(void)state;
	expect_line("a", 5 * MS, -3 * MIB, "INFO:etl.profiler:a: 0.01s, Memory: -3.0MB\n");
	expect_line("a", 4 * MS, 0, "INFO:etl.profiler:a: 0.00s, Memory: +0.0MB\n");
	expect_line("a", 123456 * MS, 1536 * MIB, "INFO:etl.profiler:a: 123.46s, Memory: +1536.0MB\n");
	/* A tiny negative delta rounds to zero and is written "+0.0", never "-0.0". */
	expect_line("a", MS, -1000, "INFO:etl.profiler:a: 0.00s, Memory: +0.0MB\n");
	expect_line("a", MS, -60000, "INFO:etl.profiler:a: 0.00s, Memory: -0.1MB\n");
}

static void hostile_names_stay_on_one_printable_line(void **state)
{
	char *got;

	(void)state;
	got = line_of("x\n\x1b[2J\"\\\xff: 9.99s", MS, 0);
	assert_string_equal(got, "INFO:etl.profiler:x\\x0a\\x1b[2J\"\\\\\\xff: 9.99s: 0.00s, "
				 "Memory: +0.0MB\n");
	for (const char *p = got; *p; p++)
		assert_true(*p >= 0x20 || (*p == '\n' && p[1] == '\0'));
	free(got);
}

/* Runs the hook over samples, logging to memory with the given filters. */
static char *hook_output(const char *const *filters, size_t n)
{
	struct oplog l;
	char *text = NULL;
	size_t len = 0;
	struct op_sample done = { .duration_ns = 1500 * MS, .mem_delta = MIB };
	struct op_sample open = { .duration_ns = 9000 * MS, .unfinished = true };

	assert_int_equal(oplog_open(&l, NULL, filters, n, NULL, 0), 0);
	assert_ptr_equal(l.f, stderr);
	l.f = open_memstream(&text, &len);
	assert_non_null(l.f);
	oplog_hook(&l, "extract", &done);
	oplog_hook(&l, "transform", &done);
	oplog_hook(&l, "extract", &open); /* unfinished: not a completed operation */
	oplog_hook(&l, "load", &done);
	assert_int_equal(oplog_flush(&l), 0);
	assert_int_equal(fclose(l.f), 0);
	return text;
}

static void every_completed_operation_is_logged_in_order(void **state)
{
	char *text = hook_output(NULL, 0);

	(void)state;
	assert_string_equal(text, "INFO:etl.profiler:extract: 1.50s, Memory: +1.0MB\n"
				  "INFO:etl.profiler:transform: 1.50s, Memory: +1.0MB\n"
				  "INFO:etl.profiler:load: 1.50s, Memory: +1.0MB\n");
	free(text);
}

static void filters_keep_only_the_named_operations(void **state)
{
	static const char *const only[] = { "load", "extract" };
	char *text = hook_output(only, 2);

	(void)state;
	assert_string_equal(text, "INFO:etl.profiler:extract: 1.50s, Memory: +1.0MB\n"
				  "INFO:etl.profiler:load: 1.50s, Memory: +1.0MB\n");
	free(text);
}

static void filters_match_exact_names(void **state)
{
	static const char *const only[] = { "extrac", "LOAD" };
	char *text = hook_output(only, 2);

	(void)state;
	assert_string_equal(text, "");
	free(text);
}

static void a_log_file_is_appended_to(void **state)
{
	char dir[] = "/tmp/etltrace-oplog-XXXXXX", path[64], buf[256], why[OUT_WHY_MAX];
	struct op_sample s = { .duration_ns = 2340 * MS, .mem_delta = 0 };
	struct oplog l;
	FILE *f;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ops.log", dir);
	f = fopen(path, "w");
	fputs("earlier\n", f);
	fclose(f);
	assert_int_equal(oplog_open(&l, path, NULL, 0, why, sizeof(why)), 0);
	oplog_hook(&l, "p", &s);
	assert_int_equal(l.lines, 1);
	assert_int_equal(oplog_close(&l), 0);
	f = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf, "earlier\nINFO:etl.profiler:p: 2.34s, Memory: +0.0MB\n");
	unlink(path);
	rmdir(dir);
}

static void a_symlinked_or_fifo_log_file_is_refused(void **state)
{
	char dir[] = "/tmp/etltrace-oplog-XXXXXX", link[64], target[64], why[OUT_WHY_MAX];
	struct oplog l;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(link, sizeof(link), "%s/ops.log", dir);
	snprintf(target, sizeof(target), "%s/victim", dir);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(oplog_open(&l, link, NULL, 0, why, sizeof(why)), -ELOOP);
	assert_non_null(strstr(why, "it is a symbolic link"));
	assert_int_equal(stat(target, &st), -1); /* nothing created through it */
	unlink(link);
	/* A FIFO hung etltrace before tracing: refused at once instead. */
	alarm(10);
	assert_int_equal(mkfifo(link, 0600), 0);
	assert_int_equal(oplog_open(&l, link, NULL, 0, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "it is a FIFO (named pipe), not a regular file"));
	alarm(0);
	unlink(link);
	rmdir(dir);
}

static void a_failed_write_is_reported_once_and_logging_stops(void **state)
{
	char dir[] = "/tmp/etltrace-oplog-XXXXXX", path[64], why[OUT_WHY_MAX];
	struct op_sample s = { .duration_ns = MS };
	struct oplog l;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ops.log", dir);
	assert_int_equal(oplog_open(&l, path, NULL, 0, why, sizeof(why)), 0);
	/* As a full disk: the log's stream fails with ENOSPC from here on. */
	assert_int_equal(fclose(l.f), 0);
	l.f = fopen("/dev/full", "w");
	assert_non_null(l.f);
	oplog_hook(&l, "a", &s);
	assert_int_equal(oplog_flush(&l), -ENOSPC);
	assert_int_equal(l.error, -ENOSPC);
	assert_true(l.stopped);
	oplog_hook(&l, "b", &s); /* ignored */
	assert_int_equal(oplog_flush(&l), 0);
	assert_int_equal(oplog_close(&l), 0);
	assert_int_equal(l.error, -ENOSPC); /* kept for the exit code */
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_line_is_the_seeds),
		cmocka_unit_test(seconds_have_two_decimals_and_memory_one_with_a_sign),
		cmocka_unit_test(hostile_names_stay_on_one_printable_line),
		cmocka_unit_test(every_completed_operation_is_logged_in_order),
		cmocka_unit_test(filters_keep_only_the_named_operations),
		cmocka_unit_test(filters_match_exact_names),
		cmocka_unit_test(a_log_file_is_appended_to),
		cmocka_unit_test(a_symlinked_or_fifo_log_file_is_refused),
		cmocka_unit_test(a_failed_write_is_reported_once_and_logging_stops),
	};

	return cmocka_run_group_tests_name("oplog", tests, NULL, NULL);
}
