// SPDX-License-Identifier: MIT
/*
 * test_report_depth.c - report depth, traced for real: regression gating
 * end to end (a baseline from a fast run, a slower second run, the exit
 * code), `etltrace compare`, live --log lines (format, count, filter,
 * latency), --config applied, percentiles, and output safety: what another
 * user can plant where root writes (FIFOs, symbolic links among the
 * directories, a file of mode 06777) and missing directories, refused
 * before anything is traced; a full disk found when writing.
 *
 * Ground truth: `marked sleep MS N` runs N operations of MS ms; 10 ms
 * against 30 ms is a ratio of about 3, far from the 1.5 factor either way.
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

enum { OUTPUT = 7, CONFIG = 8, REGRESSION = 9 };

/* Longest run of one etltrace command here. */
#define RUN_SECONDS 60
/* "Another user" for what is planted. */
#define OTHER_UID 65534

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

		/* A hang (a FIFO opened for writing) ends as a failure, not a stuck
		 * suite: SIGALRM is not among the signals etltrace blocks. */
		alarm(RUN_SECONDS);
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
	/* About 3; overheads added to both runs (loose: more of them) bring it
	 * towards 1. */
	ratio = jnum(reg, "ratio");
	if (ratio < timing_bound(2.0, 1.6) || ratio > 4.0)
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

	/* json-c cut "sleep_op\u0000x" to "sleep_op", replacing the real one
	 * with its 1 us: a false regression, exit 9. */
	put_file(tmp("broken.json"), "{\"operations\": {"
				     "\"sleep_op\": {\"count\": 1, \"avg_time\": 10},"
				     "\"sleep_op\\u0000x\": {\"count\": 1, \"avg_time\": 0.000001}}}");
	assert_int_equal(run_etltrace(args, &r, &err), CONFIG);
	assert_null(r);
	assert_int_equal(lines_matching(err, "^etltrace: baseline .*broken.json: "
					     "operations\\.\"sleep_op\\\\u0000x\": a key may not "
					     "hold a NUL character \\(\\\\u0000\\)$"), 1);
	assert_null(strstr(err, "ready:"));
	free(err);
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
		assert_true(read_line_within(t.out_fd, line, sizeof(line),
					     (int)timing_bound(2000, 20000)) > 0);
		assert_int_equal(lines_matching(line, "^INFO:etl\\.profiler:before_op: 0\\.00s, "
						      "Memory: [+-][0-9]+\\.[0-9]MB$"), 1);
	}
	released = (double)now_ms();
	assert_int_equal(target_release(&t), 0); /* the command reads the tracer's stdin */
	assert_true(read_line_within(t.out_fd, line, sizeof(line),
				     (int)timing_bound(2000, 20000)) > 0);
	latency = (double)now_ms() - released;
	assert_int_equal(lines_matching(line, "^INFO:etl\\.profiler:after_op: 0\\.00s, "
					      "Memory: [+-][0-9]+\\.[0-9]MB$"), 1);
	/* after_op ends ~1 ms after the release; its line within 100 ms of that
	 * (50 ms drains), plus scheduling slack on a shared VM (loose: 1.5 s). */
	fprintf(stderr, "  log line %.1f ms after the gate opened\n", latency);
	if (latency > timing_bound(150, 1500))
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
	/* 10 ms sleeps: 0.01s (loose: up to 0.09s, the same width). */
	assert_int_equal(lines_matching(text, timing_loose()
					      ? "^INFO:etl\\.profiler:sleep_op: 0\\.0[1-9]s, "
						"Memory: [+-][0-9]+\\.[0-9]MB$"
					      : "^INFO:etl\\.profiler:sleep_op: 0\\.01s, "
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
	assert_true(jnum(op, "p50_time") >= 0.0099 &&
		    jnum(op, "p50_time") <= timing_bound(0.013, 0.040));
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

	/* Devices are not report files: refused before tracing. */
	assert_int_equal(run_raw(full, &err), OUTPUT);
	assert_int_equal(lines_matching(err, "^etltrace: cannot write the report to /dev/full: "
					     "it is a character device, not a regular file"), 1);
	assert_null(strstr(err, "ready:"));
	free(err);

	assert_int_equal(run_raw(dir_base, &err), OUTPUT);
	assert_int_equal(lines_matching(err, "it is a directory"), 1);
	free(err);
}

/* One line on stderr, matching pattern, and nothing traced. */
static void refused_before_tracing(char *const args[], const char *pattern,
				   unsigned int before)
{
	char *err;
	int rc = run_raw(args, &err), lines = 0;

	for (const char *p = err; (p = strchr(p, '\n')); p++)
		lines++;
	if (rc != OUTPUT || lines_matching(err, pattern) != 1 || lines != 1 || strstr(err, "ready:"))
		fail_msg("exit %d, stderr '%s' (wanted exit 7 and one line matching '%s')", rc, err,
			 pattern);
	free(err);
	assert_int_equal(loaded_progs("op_start", before), 0);
}

/* A FIFO at -o blocked etltrace after the trace, then handed root's report
 * to whoever opened it; one at --log hung it before tracing (with SIGINT
 * and SIGTERM blocked); a symbolic link another user planted among the
 * directories was followed (/tmp/evil -> /etc, -o /tmp/evil/x); a missing
 * directory lost the report at the end. All are refused at once now. */
static void test_planted_and_missing_outputs_exit_7_before_tracing(void **state)
{
	char log_fifo[200], log_evil[200], log_theirs[200];
	char *fifo_out[] = { "-o", (char *)tmp("fifo"), "--", (char *)marked(), "sleep", "1", "1",
			     NULL };
	char *fifo_log[] = { log_fifo, "--", (char *)marked(), "sleep", "1", "1", NULL };
	char *fifo_base[] = { "--save-baseline", (char *)tmp("fifo"), "--", (char *)marked(),
			      "sleep", "1", "1", NULL };
	char *evil_out[] = { "-o", (char *)tmp("shared/evil/r.txt"), "--", (char *)marked(),
			     "sleep", "1", "1", NULL };
	char *evil_log[] = { log_evil, "--", (char *)marked(), "sleep", "1", "1", NULL };
	char *theirs_log[] = { log_theirs, "--", (char *)marked(), "sleep", "1", "1", NULL };
	char *missing[] = { "-o", (char *)tmp("missing/r.txt"), "--", (char *)marked(), "sleep",
			    "1", "1", NULL };
	char *null_out[] = { "-o", "/dev/null", "--", (char *)marked(), "sleep", "1", "1", NULL };
	unsigned int before = last_prog_id();
	char buf[64], pattern[512];
	struct stat st;
	int reader;

	(void)state;
	snprintf(log_fifo, sizeof(log_fifo), "--log=%s", tmp("fifo"));
	snprintf(log_evil, sizeof(log_evil), "--log=%s", tmp("shared/evil/ops.log"));
	snprintf(log_theirs, sizeof(log_theirs), "--log=%s", tmp("shared/theirs.log"));
	assert_int_equal(mkfifo(tmp("fifo"), 0666), 0);
	/* Someone waits at the FIFO for what root writes. */
	reader = open(tmp("fifo"), O_RDONLY | O_NONBLOCK);
	assert_true(reader >= 0);
	refused_before_tracing(fifo_out, "^etltrace: cannot write the report to .*/fifo: it is a "
					 "FIFO \\(named pipe\\), not a regular file \\(refused: give "
					 "the path of a regular file\\)$", before);
	refused_before_tracing(fifo_log, "^etltrace: cannot write the log to .*/fifo: it is a "
					 "FIFO", before);
	refused_before_tracing(fifo_base, "^etltrace: cannot write the baseline to .*/fifo: it is "
					  "a FIFO", before);
	assert_true(read(reader, buf, sizeof(buf)) <= 0); /* handed nothing */
	close(reader);

	/* A /tmp-like directory where another user linked "evil" to ours. */
	assert_int_equal(mkdir(tmp("victim"), 0755), 0);
	assert_int_equal(mkdir(tmp("shared"), 0777), 0);
	assert_int_equal(chmod(tmp("shared"), 01777), 0);
	assert_int_equal(symlink(tmp("victim"), tmp("shared/evil")), 0);
	assert_int_equal(lchown(tmp("shared/evil"), OTHER_UID, OTHER_UID), 0);
	snprintf(pattern, sizeof(pattern),
		 "^etltrace: cannot write the report to %s: %s is a symbolic link owned by uid "
		 "65534 in %s, which every user can write: refused, as it may lead anywhere \\(give "
		 "the path it leads to, %s\\)$", tmp("shared/evil/r.txt"), tmp("shared/evil"),
		 tmp("shared"), tmp("victim"));
	refused_before_tracing(evil_out, pattern, before);
	refused_before_tracing(evil_log, "^etltrace: cannot write the log to .*/shared/evil/ops"
					 "\\.log: .*/shared/evil is a symbolic link owned by uid "
					 "65534", before);
	assert_int_equal(stat(tmp("victim/r.txt"), &st), -1);
	assert_int_equal(stat(tmp("victim/ops.log"), &st), -1);

	/* A log file another user left in that directory is not appended to. */
	put_file(tmp("shared/theirs.log"), "theirs\n");
	assert_int_equal(chown(tmp("shared/theirs.log"), OTHER_UID, OTHER_UID), 0);
	refused_before_tracing(theirs_log, "^etltrace: cannot write the log to .*/shared/theirs"
					   "\\.log: it is owned by uid 65534 in .*/shared, which "
					   "other users can write", before);
	assert_int_equal(stat(tmp("shared/theirs.log"), &st), 0);
	assert_int_equal(st.st_size, 7);

	snprintf(pattern, sizeof(pattern), "^etltrace: cannot write the report to %s: %s does not "
		 "exist \\(create the directory first\\)$", tmp("missing/r.txt"), tmp("missing"));
	refused_before_tracing(missing, pattern, before);
	refused_before_tracing(null_out, "^etltrace: cannot write the report to /dev/null: it is "
					 "a character device", before);
}

/* A report replacing a file planted with mode 06777 was set-uid root and
 * writable by everyone. Now it keeps 0775 and belongs to root. */
static void test_a_planted_files_mode_is_not_copied_onto_the_report(void **state)
{
	char *args[] = { "--format", "json", "-o", (char *)tmp("planted.json"), "--",
			 (char *)marked(), "sleep", "1", "2", NULL };
	struct json_object *r;
	struct stat st;
	char *err;

	(void)state;
	put_file(tmp("planted.json"), "planted\n");
	assert_int_equal(chown(tmp("planted.json"), OTHER_UID, OTHER_UID), 0);
	assert_int_equal(chmod(tmp("planted.json"), 06777), 0);
	assert_int_equal(run_raw(args, &err), 0);
	assert_non_null(strstr(err, "ready:"));
	free(err);
	assert_int_equal(stat(tmp("planted.json"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0775);
	assert_int_equal(st.st_uid, 0);
	r = json_object_from_file(tmp("planted.json"));
	assert_non_null(r);
	assert_int_equal(jint(report_op(r, "sleep_op"), "count"), 2);
	json_object_put(r);
}

/* A full disk is found when writing (it can fill up during the run): the
 * trace ran, then exit 7; the old report stays, no temporary file is left.
 * The disk is a 64 KiB tmpfs filled up. */
static void test_a_full_disk_exits_7_after_the_trace_keeping_the_old_report(void **state)
{
	char *args[] = { "-o", (char *)tmp("full/r.txt"), "--", (char *)marked(), "sleep", "1",
			 "1", NULL };
	static const char block[4096];
	struct stat st;
	char *err;
	int fd;

	(void)state;
	assert_int_equal(mkdir(tmp("full"), 0755), 0);
	assert_int_equal(mount("etltrace-test", tmp("full"), "tmpfs", MS_NOSUID | MS_NODEV,
			       "size=64k,mode=0755"), 0);
	put_file(tmp("full/r.txt"), "old report\n");
	fd = open(tmp("full/filler"), O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	while (write(fd, block, sizeof(block)) > 0)
		;
	close(fd);
	assert_int_equal(run_raw(args, &err), OUTPUT);
	assert_non_null(strstr(err, "ready:"));
	assert_int_equal(lines_matching(err, "^etltrace: cannot write the report to .*/full/r.txt: "
					     "No space left on device$"), 1);
	free(err);
	assert_int_equal(stat(tmp("full/r.txt"), &st), 0);
	assert_int_equal(st.st_size, 11);
	assert_int_equal(remove(tmp("full/filler")), 0);
	assert_int_equal(remove(tmp("full/r.txt")), 0);
	assert_int_equal(rmdir(tmp("full")), -1); /* mounted: busy, and empty */
	assert_int_equal(umount(tmp("full")), 0);
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
	umount2(tmp("full"), MNT_DETACH); /* if a failed test left it */
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
		cmocka_unit_test(test_planted_and_missing_outputs_exit_7_before_tracing),
		cmocka_unit_test(test_a_planted_files_mode_is_not_copied_onto_the_report),
		cmocka_unit_test(test_a_full_disk_exits_7_after_the_trace_keeping_the_old_report),
	};

	return cmocka_run_group_tests_name("report_depth", tests, make_tmpdir, remove_tmpdir);
}
