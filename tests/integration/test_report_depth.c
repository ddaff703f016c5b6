// SPDX-License-Identifier: MIT
/*
 * test_report_depth.c - report depth, traced for real: regression gating
 * end to end (a baseline from a fast run, a slower second run, the exit
 * code), `etltrace compare`, live --log lines (format, count, filter,
 * latency), --config applied, percentiles, and output safety.
 *
 * Ground truth: `marked sleep MS N` runs N operations of MS ms; 10 ms
 * against 30 ms is a ratio of about 3, far from the 1.5 factor either way.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

enum { OUTPUT = 7, CONFIG = 8, REGRESSION = 9 };

static char tmpdir[64];

/* tmpdir/name, in one of 32 static buffers (enough for one test). */
static const char *tmp(const char *name)
{
	static char buf[32][128];
	static int slot;
	char *b = buf[slot++ % 32];

	snprintf(b, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return b;
}

static const char *marked(void)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s", build_path("tests/progs/marked"));
	return path;
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int lines_matching(const char *text, const char *pattern)
{
	regex_t re;
	int n = 0;

	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE), 0);
	for (const char *p = text; p && *p;) {
		regmatch_t m;

		if (regexec(&re, p, 1, &m, 0))
			break;
		n++;
		p += m.rm_eo;
	}
	regfree(&re);
	return n;
}

/* Runs etltrace with exactly argv[1..] (no options added), stdin from
 * /dev/null, stdout to /dev/null; captures stderr into *err. Returns the
 * exit status. */
static int run_raw(char *const args[], char **err)
{
	char *argv[32];
	int fds[2], status, n = 0;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t r;
	pid_t p;

	argv[n++] = (char *)build_path("etltrace");
	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	assert_non_null(buf);
	assert_int_equal(pipe(fds), 0);
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(fds[1], 2);
		execv(argv[0], argv);
		_exit(126);
	}
	close(fds[1]);
	while ((r = read(fds[0], buf + len, cap - len - 1)) > 0) {
		len += (size_t)r;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	close(fds[0]);
	waitpid(p, &status, 0);
	*err = buf;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static struct json_object *regressions(struct json_object *report)
{
	struct json_object *r = NULL;

	assert_true(json_object_object_get_ex(report, "regressions", &r));
	return r;
}

static void test_a_slower_run_against_a_fast_baseline_exits_9(void **state)
{
	char *fast[] = { "--save-baseline", (char *)tmp("base.json"), "--", (char *)marked(),
			 "sleep", "10", "5", NULL };
	char *slow[] = { "--baseline", (char *)tmp("base.json"), "--save-baseline",
			 (char *)tmp("slow.json"), "--", (char *)marked(), "sleep", "30", "5", NULL };
	char *again[] = { "--baseline", (char *)tmp("base.json"), "--", (char *)marked(), "sleep",
			  "10", "5", NULL };
	struct json_object *r, *reg, *base;
	char *err;
	double ratio;

	(void)state;
	assert_int_equal(run_etltrace(fast, &r, NULL), 0);
	json_object_put(r);
	/* The baseline is the JSON report. */
	base = json_object_from_file(tmp("base.json"));
	assert_non_null(base);
	assert_int_equal(jint(report_op(base, "sleep_op"), "count"), 5);
	json_object_put(base);

	assert_int_equal(run_etltrace(slow, &r, &err), REGRESSION);
	assert_non_null(r); /* the report is written all the same */
	reg = regressions(r);
	assert_int_equal(json_object_array_length(reg), 1);
	reg = json_object_array_get_idx(reg, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(reg, "operation")),
			    "sleep_op");
	ratio = jnum(reg, "ratio");
	if (ratio < 2.0 || ratio > 4.0)
		fail_msg("30 ms against 10 ms gave a ratio of %.3f", ratio);
	assert_true(jnum(reg, "current_avg_time") > jnum(reg, "baseline_avg_time") * 1.5);
	assert_non_null(strstr(err, "etltrace: 1 operation regressed against"));
	json_object_put(r);
	free(err);

	/* The same speed again is no regression. */
	assert_int_equal(run_etltrace(again, &r, NULL), 0);
	assert_int_equal(json_object_array_length(regressions(r)), 0);
	json_object_put(r);
}

static void test_regression_factor_from_config_and_flag(void **state)
{
	char *cfg[] = { "--config", (char *)tmp("factor.json"), "--baseline",
			(char *)tmp("base.json"), "--", (char *)marked(), "sleep", "30", "5", NULL };
	char *flag[] = { "--config", (char *)tmp("factor.json"), "--regression-factor", "2",
			 "--baseline", (char *)tmp("base.json"), "--", (char *)marked(), "sleep",
			 "30", "5", NULL };
	struct json_object *r;

	(void)state;
	put_file(tmp("factor.json"), "{\"MONITORING\": {\"REGRESSION_FACTOR\": 5}}");
	assert_int_equal(run_etltrace(cfg, &r, NULL), 0); /* 3x is within 5x */
	json_object_put(r);
	assert_int_equal(run_etltrace(flag, &r, NULL), REGRESSION); /* the flag wins */
	json_object_put(r);
}

static void test_compare_gates_on_saved_reports_without_tracing(void **state)
{
	char *regressed[] = { "compare", (char *)tmp("base.json"), (char *)tmp("slow.json"), NULL };
	char *same[] = { "compare", (char *)tmp("base.json"), (char *)tmp("base.json"), NULL };
	char *lenient[] = { "compare", "--regression-factor", "10", (char *)tmp("base.json"),
			    (char *)tmp("slow.json"), NULL };
	char *json[] = { "compare", "--format", "json", "-o", (char *)tmp("cmp.json"),
			 (char *)tmp("base.json"), (char *)tmp("slow.json"), NULL };
	struct json_object *c;
	char *err;

	(void)state;
	assert_int_equal(run_raw(regressed, &err), REGRESSION);
	free(err);
	assert_int_equal(run_raw(same, &err), 0);
	free(err);
	assert_int_equal(run_raw(lenient, &err), 0);
	free(err);
	assert_int_equal(run_raw(json, &err), REGRESSION);
	free(err);
	c = json_object_from_file(tmp("cmp.json"));
	assert_non_null(c);
	assert_int_equal(json_object_array_length(regressions(c)), 1);
	json_object_put(c);
}

static void test_a_malformed_baseline_exits_8_before_tracing(void **state)
{
	char *args[] = { "--baseline", (char *)tmp("broken.json"), "--", (char *)marked(), "sleep",
			 "10", "1", NULL };
	struct json_object *r;
	char *err;

	(void)state;
	put_file(tmp("broken.json"), "{\"operations\": {\"sleep_op\": {\"count\": 5, \"avg_ti");
	assert_int_equal(run_etltrace(args, &r, &err), CONFIG);
	assert_null(r);
	assert_int_equal(lines_matching(err, "^etltrace: baseline .*broken.json: not valid JSON"), 1);
	assert_null(strstr(err, "ready:")); /* nothing was traced */
	free(err);
}

/* Reads one line from fd within timeout_ms; returns its length or -1. */
static int read_line_within(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t n = 0;

	while (n + 1 < cap) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, timeout_ms) <= 0 || read(fd, buf + n, 1) != 1)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return (int)n;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_log_lines_appear_live_in_the_seed_format(void **state)
{
	char *args[] = { "--log", "--", (char *)marked(), "gate", "3", "1", NULL };
	struct json_object *r;
	struct child t;
	char line[256];
	double released, latency;
	int early;

	(void)state;
	assert_int_equal(tracer_start(args, &t, &early), 0);
	/* The program is now held at its gate: these lines come while it runs. */
	for (int i = 0; i < 3; i++) {
		assert_true(read_line_within(t.out_fd, line, sizeof(line), 2000) > 0);
		assert_int_equal(lines_matching(line, "^INFO:etl\\.profiler:before_op: 0\\.00s, "
						      "Memory: [+-][0-9]+\\.[0-9]MB$"), 1);
	}
	released = now_ms();
	assert_int_equal(target_release(&t), 0); /* the command reads the tracer's stdin */
	assert_true(read_line_within(t.out_fd, line, sizeof(line), 2000) > 0);
	latency = now_ms() - released;
	assert_int_equal(lines_matching(line, "^INFO:etl\\.profiler:after_op: 0\\.00s, "
					      "Memory: [+-][0-9]+\\.[0-9]MB$"), 1);
	/* after_op ends ~1 ms after the release; its line within 100 ms of that
	 * (50 ms drains), plus scheduling slack on a shared VM. */
	fprintf(stderr, "  log line %.1f ms after the gate opened\n", latency);
	if (latency > 150)
		fail_msg("the log line came %.0f ms after the operation", latency);
	assert_int_equal(tracer_finish(&t, false, &r), 0);
	assert_int_equal(jint(report_op(r, "after_op"), "count"), 1);
	json_object_put(r);
}

static void test_log_filter_and_log_file(void **state)
{
	char logarg[160], *filtered[] = { "--log", "--log-filter", "inner", "--log-filter",
					   "outer", "--", (char *)marked(), "nested", "2", NULL };
	char *to_file[] = { logarg, "--", (char *)marked(), "sleep", "10", "5", NULL };
	struct json_object *r;
	char *err, text[4096];
	FILE *f;
	size_t n;

	(void)state;
	assert_int_equal(run_etltrace(filtered, &r, &err), 0);
	/* nested 2: 2 outer, 2 x 2 middle, 2 x 2 x 3 inner */
	assert_int_equal(lines_matching(err, "^INFO:etl\\.profiler:inner: "), 12);
	assert_int_equal(lines_matching(err, "^INFO:etl\\.profiler:outer: "), 2);
	assert_int_equal(lines_matching(err, "^INFO:etl\\.profiler:"), 14);
	json_object_put(r);
	free(err);

	snprintf(logarg, sizeof(logarg), "--log=%s", tmp("ops.log"));
	assert_int_equal(run_etltrace(to_file, &r, &err), 0);
	assert_int_equal(lines_matching(err, "^INFO:"), 0);
	json_object_put(r);
	free(err);
	f = fopen(tmp("ops.log"), "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	assert_int_equal(lines_matching(text, "^INFO:etl\\.profiler:sleep_op: 0\\.01s, "
					      "Memory: [+-][0-9]+\\.[0-9]MB$"), 5);
	assert_int_equal(lines_matching(text, "^INFO:"), 5); /* and nothing else: */
	assert_int_equal((int)(strchr(text, '\0') - text), 5 * (int)strlen(
		"INFO:etl.profiler:sleep_op: 0.01s, Memory: +0.0MB\n"));
}

static bool has_string(struct json_object *arr, const char *s)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s))
			return true;
	return false;
}

static void test_config_thresholds_drive_recommendations_and_suggestions(void **state)
{
	char *with[] = { "--config", (char *)tmp("low.json"), "--", (char *)marked(), "sleep", "10",
			 "3", NULL };
	char *without[] = { "--", (char *)marked(), "sleep", "10", "3", NULL };
	struct json_object *r, *list;

	(void)state;
	put_file(tmp("low.json"), "{\"MONITORING\": {\"ENABLE_PROFILING\": true, "
				  "\"PERFORMANCE_THRESHOLD_SECONDS\": 0.005, "
				  "\"BATCH_PROCESSING_SECONDS\": 0.005}}");
	assert_int_equal(run_etltrace(with, &r, NULL), 0);
	assert_true(json_object_object_get_ex(r, "recommendations", &list));
	assert_true(has_string(list, "Operation 'sleep_op' is slow (avg: 0.0s). "
				     "Consider optimization."));
	assert_true(json_object_object_get_ex(r, "suggestions", &list));
	assert_true(has_string(list, "Consider batch processing for sleep_op"));
	/* sleeping is waiting: slow and off CPU */
	assert_true(has_string(list, "Enable parallel processing for large datasets"));
	json_object_put(r);

	assert_int_equal(run_etltrace(without, &r, NULL), 0);
	assert_true(json_object_object_get_ex(r, "suggestions", &list));
	assert_int_equal(json_object_array_length(list), 0);
	assert_true(json_object_object_get_ex(r, "recommendations", &list));
	assert_int_equal(json_object_array_length(list), 0);
	json_object_put(r);
}

static void test_a_bad_config_exits_8_and_profiling_off_runs_untraced(void **state)
{
	char *bad[] = { "--config", (char *)tmp("bad.json"), "--", (char *)marked(), "sleep", "1",
			"1", NULL };
	char *off[] = { "--config", (char *)tmp("off.json"), "--", (char *)marked(), "sleep", "1",
			"1", NULL };
	char *off_fail[] = { "--config", (char *)tmp("off.json"), "--", "/bin/sh", "-c", "exit 5",
			     NULL };
	struct json_object *r;
	char *err;

	(void)state;
	put_file(tmp("bad.json"), "{\"MONITORING\": {\"MEMORY_THRESHOLD_MB\": -1}}");
	assert_int_equal(run_etltrace(bad, &r, &err), CONFIG);
	assert_null(r);
	assert_int_equal(lines_matching(err, "^etltrace: config .*bad.json: "
					     "MONITORING.MEMORY_THRESHOLD_MB: "), 1);
	free(err);

	put_file(tmp("off.json"), "{\"MONITORING\": {\"ENABLE_PROFILING\": false}}");
	assert_int_equal(run_etltrace(off, &r, &err), 0);
	assert_null(r); /* no report */
	assert_non_null(strstr(err, "profiling is disabled"));
	free(err);
	assert_int_equal(run_etltrace(off_fail, &r, &err), 5); /* the command's status */
	free(err);
}

static void test_percentiles_and_histogram_in_a_real_report(void **state)
{
	char *args[] = { "--", (char *)marked(), "sleep", "10", "5", NULL };
	struct json_object *r, *op, *h;
	int64_t total = 0;

	(void)state;
	assert_int_equal(run_etltrace(args, &r, NULL), 0);
	op = report_op(r, "sleep_op");
	assert_true(jnum(op, "p50_time") >= 0.0099 && jnum(op, "p50_time") <= 0.013);
	assert_true(jnum(op, "p50_time") <= jnum(op, "p90_time"));
	assert_true(jnum(op, "p90_time") <= jnum(op, "p99_time"));
	assert_true(jnum(op, "p99_time") <= jnum(op, "max_time") + 1e-6);
	assert_true(json_object_object_get_ex(op, "histogram", &h));
	for (size_t i = 0; i < json_object_array_length(h); i++)
		total += jint(json_object_array_get_idx(h, i), "count");
	assert_int_equal(total, 5);
	json_object_put(r);
}

static void test_unsafe_outputs_exit_7_before_tracing(void **state)
{
	char *link_out[] = { "-o", (char *)tmp("link.txt"), "--", (char *)marked(), "sleep", "1",
			     "1", NULL };
	char *full[] = { "-o", "/dev/full", "--", (char *)marked(), "sleep", "1", "1", NULL };
	char *dir_base[] = { "-o", (char *)tmp("r.txt"), "--save-baseline", tmpdir, "--",
			     (char *)marked(), "sleep", "1", "1", NULL };
	unsigned int before = last_prog_id();
	struct stat st;
	char *err;

	(void)state;
	put_file(tmp("victim.txt"), "precious\n");
	assert_int_equal(symlink(tmp("victim.txt"), tmp("link.txt")), 0);
	assert_int_equal(run_raw(link_out, &err), OUTPUT);
	assert_int_equal(lines_matching(err, "symbolic link"), 1);
	assert_null(strstr(err, "ready:"));
	free(err);
	assert_int_equal(lstat(tmp("link.txt"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(tmp("victim.txt"), &st), 0);
	assert_int_equal(st.st_size, 9);
	assert_int_equal(loaded_progs("op_start", before), 0); /* refused before loading */

	/* A full disk is found when writing: traced, then exit 7. */
	assert_int_equal(run_raw(full, &err), OUTPUT);
	assert_int_equal(lines_matching(err, "^etltrace: cannot write the report to /dev/full: "
					     "No space left on device$"), 1);
	free(err);

	assert_int_equal(run_raw(dir_base, &err), OUTPUT);
	assert_int_equal(lines_matching(err, "it is a directory"), 1);
	free(err);
}

static int make_tmpdir(void **state)
{
	if (harness_require_root(state))
		return -1;
	strcpy(tmpdir, "/tmp/etltrace-depth-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_slower_run_against_a_fast_baseline_exits_9),
		cmocka_unit_test(test_regression_factor_from_config_and_flag),
		cmocka_unit_test(test_compare_gates_on_saved_reports_without_tracing),
		cmocka_unit_test(test_a_malformed_baseline_exits_8_before_tracing),
		cmocka_unit_test(test_log_lines_appear_live_in_the_seed_format),
		cmocka_unit_test(test_log_filter_and_log_file),
		cmocka_unit_test(test_config_thresholds_drive_recommendations_and_suggestions),
		cmocka_unit_test(test_a_bad_config_exits_8_and_profiling_off_runs_untraced),
		cmocka_unit_test(test_percentiles_and_histogram_in_a_real_report),
		cmocka_unit_test(test_unsafe_outputs_exit_7_before_tracing),
	};

	return cmocka_run_group_tests_name("report_depth", tests, make_tmpdir, remove_tmpdir);
}
