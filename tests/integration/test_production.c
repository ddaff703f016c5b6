// SPDX-License-Identifier: MIT
/*
 * test_production.c - etltrace left running: a report per interval (-i,
 * NDJSON lines with --format json), the cumulative report on SIGUSR1 while
 * tracing goes on, and the bad values these options refuse. The targets
 * are gated (tests/progs/workers.c `steps`: K operations per line on
 * stdin), so every report's counts are known exactly when it is asked for.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
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

#define LINE_MAX_BYTES (1 << 20)
#define WAIT_MS 20000 /* the longest any one step may take on a loaded VM */
#define STEP 50       /* operations per step */

static char *workers(void)
{
	static char *p;

	if (!p)
		p = strdup(build_path("tests/progs/workers"));
	return p;
}

/* A gated `workers steps K` target, its pid as a string. */
struct target {
	struct child c;
	char pid[16];
	long done; /* operations it ran */
};

static void target_up(struct target *t, long k)
{
	char kk[24], *argv[] = { workers(), "steps", kk, "0", NULL };

	snprintf(kk, sizeof(kk), "%ld", k);
	assert_int_equal(target_start(argv, &t->c), 0);
	snprintf(t->pid, sizeof(t->pid), "%d", (int)t->c.pid);
	assert_int_equal(target_send_line(&t->c), 0); /* through the gate */
	t->done = 0;
}

/* One step: K more operations, returned once they have all ended. */
static void target_step(struct target *t, long k)
{
	char line[128], want[64];

	assert_int_equal(target_send_line(&t->c), 0);
	t->done += k;
	snprintf(want, sizeof(want), "workers: stepped %ld", t->done);
	assert_true(read_line_within(t->c.out_fd, line, sizeof(line), WAIT_MS) > 0);
	assert_string_equal(line, want);
}

/* Ends the target (EOF on its stdin) and checks it exited 0. */
static void target_down(struct target *t)
{
	assert_int_equal(child_wait(&t->c), 0);
}

/* The count of operation name in a report (0 if it has none). */
static long long op_count(struct json_object *r, const char *name)
{
	struct json_object *op = report_op(r, name);

	return op ? jint(op, "count") : 0;
}

/* Reads every line of fd until its end into a malloc'd array (*n lines). */
static char **read_all_lines(int fd, size_t *n)
{
	char *buf = malloc(LINE_MAX_BYTES), **v = NULL;
	int len;

	*n = 0;
	assert_non_null(buf);
	while ((len = read_line_within(fd, buf, LINE_MAX_BYTES, WAIT_MS)) >= 0) {
		v = realloc(v, (*n + 1) * sizeof(*v));
		assert_non_null(v);
		v[(*n)++] = strdup(buf);
	}
	assert_int_equal(len, -1); /* the end, not a timeout */
	free(buf);
	return v;
}

static void free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A line of NDJSON: one compact JSON object (no indentation, no space
 * after a separator: the names here have none). */
static struct json_object *parse_ndjson_line(const char *line)
{
	struct json_object *j = json_tokener_parse(line);

	if (!j || !json_object_is_type(j, json_type_object))
		fail_msg("not a JSON object line: %.200s", line);
	if (line[0] != '{' || strstr(line, "\": ") || strstr(line, ", \"") || strchr(line, '\t'))
		fail_msg("not compact JSON: %.200s", line);
	return j;
}

/*
 * Checks the NDJSON lines of a trace with -i SECONDS (period): every line a
 * compact object; the intervals first, seq 1, 2, ... contiguous (each starts
 * where the previous ended), end > start, lasting period (the last one at
 * most period: the end cut it short); lines[n-1] the cumulative report;
 * the intervals' op counts add up exactly to the cumulative one, and their
 * durations to its wall time. A line without `interval` before the last
 * is a SIGUSR1 report, skipped. Returns the cumulative report.
 */
static struct json_object *check_intervals(char **lines, size_t n, const char *op, double period,
					   size_t *nintervals)
{
	struct json_object *last = NULL;
	double prev_end = 0, sum_wall = 0, first_start = 0, last_full_end = 0;
	long long sum = 0, seq = 0;
	size_t full = 0;

	assert_true(n >= 2);
	for (size_t i = 0; i < n; i++) {
		struct json_object *j = parse_ndjson_line(lines[i]), *iv;
		double start, end;

		if (!json_object_object_get_ex(j, "interval", &iv)) {
			if (i == n - 1) {
				last = j;
				break;
			}
			json_object_put(j); /* a SIGUSR1 report */
			continue;
		}
		assert_int_equal(jint(iv, "seq"), ++seq);
		start = jnum(iv, "start");
		end = jnum(iv, "end");
		if (seq == 1)
			first_start = start;
		else
			assert_true(fabs(start - prev_end) < 1e-6); /* contiguous */
		assert_true(end > start);
		/* One timer period each, however late a tick ran (the next is
		 * then shorter); the last one ends with the trace. */
		if (i + 2 < n) {
			assert_true(end - start > period * 0.2);
			assert_true(end - start < period * timing_bound(1.8, 10));
			full++;
			last_full_end = end;
		} else {
			assert_true(end - start < period * timing_bound(1.8, 10));
		}
		/* The interval's own wall time is its duration. */
		assert_true(fabs(jnum(json_object_object_get(j, "summary"), "wall_time") -
				 (end - start)) < 1e-3);
		prev_end = end;
		sum += op_count(j, op);
		sum_wall += end - start;
		json_object_put(j);
	}
	if (!last)
		fail_msg("the last line is an interval, not the cumulative report");
	/* Periodic ticks: on average exactly one period apart. */
	if (full >= 2)
		assert_true(fabs((last_full_end - first_start) / (double)full - period) < period * 0.25);
	assert_int_equal(sum, op_count(last, op));
	assert_true(fabs(sum_wall - jnum(json_object_object_get(last, "summary"), "wall_time")) <
		    1e-3);
	*nintervals = (size_t)seq;
	return last;
}

/* --- -i ------------------------------------------------------------------ */

static void test_json_intervals_are_ndjson_lines_streamed_while_tracing(void **state)
{
	char *args[] = { "--format", "json", "-i", "0.25", "-p", NULL, NULL };
	struct target t;
	struct child tracer;
	struct json_object *cum, *j;
	char *line = malloc(LINE_MAX_BYTES), **rest;
	size_t n, nint;
	int out, early;

	(void)state;
	assert_non_null(line);
	target_up(&t, STEP);
	args[5] = t.pid;
	assert_int_equal(tracer_spawn(args, &tracer, &out, &early), 0);
	target_step(&t, STEP);
	/* The first interval's line arrives while etltrace runs (the target
	 * is alive and waiting): each line is flushed as it is written. */
	assert_true(read_line_within(out, line, LINE_MAX_BYTES, WAIT_MS) > 0);
	j = parse_ndjson_line(line);
	assert_int_equal(jint(json_object_object_get(j, "interval"), "seq"), 1);
	assert_int_equal(kill(tracer.pid, 0), 0);
	json_object_put(j);
	target_step(&t, STEP);
	target_step(&t, STEP);
	target_down(&t);
	rest = read_all_lines(out, &n);
	close(out);
	assert_int_equal(child_wait(&tracer), 0);
	/* The first line is checked again with the rest. */
	rest = realloc(rest, (n + 1) * sizeof(*rest));
	memmove(rest + 1, rest, n * sizeof(*rest));
	rest[0] = line;
	cum = check_intervals(rest, n + 1, "step_op", 0.25, &nint);
	assert_true(nint >= 2);
	assert_int_equal(op_count(cum, "step_op"), 3 * STEP);
	assert_clean(cum);
	json_object_put(cum);
	free_lines(rest, n + 1);
}

/* "Interval N (S s):" headers, and each table's step_op count. */
static void test_text_intervals_print_each_interval_then_the_cumulative(void **state)
{
	char *args[] = { "-i", "0.25", "--wide", "-p", NULL, NULL };
	struct target t;
	struct child tracer;
	char **lines;
	size_t n;
	long long in_intervals = 0, cumulative = -1, seen_seq = 0;
	bool in_interval = false;
	int out, early;

	(void)state;
	target_up(&t, STEP);
	args[4] = t.pid;
	assert_int_equal(tracer_spawn(args, &tracer, &out, &early), 0);
	target_step(&t, STEP);
	/* Printed while the trace runs. */
	assert_int_equal(wait_line_within(out, "Interval 1 (", WAIT_MS), 0);
	seen_seq = 1;
	in_interval = true;
	target_step(&t, STEP);
	target_down(&t);
	lines = read_all_lines(out, &n);
	close(out);
	assert_int_equal(child_wait(&tracer), 0);
	for (size_t i = 0; i < n; i++) {
		long long seq, count;
		char name[64];

		if (sscanf(lines[i], "Interval %lld (", &seq) == 1) {
			assert_int_equal(seq, ++seen_seq);
			in_interval = true;
		} else if (sscanf(lines[i], "%63s %lld", name, &count) == 2 &&
			   !strcmp(name, "step_op")) {
			if (in_interval)
				in_intervals += count;
			else
				cumulative = count;
		} else if (!strncmp(lines[i], "Suggestions:", 12)) {
			in_interval = false; /* the last section of a report */
		}
	}
	/* The first interval's table was read past by wait_line_within only
	 * up to its header: its rows are counted above. */
	assert_true(seen_seq >= 2);
	assert_int_equal(cumulative, 2 * STEP);
	assert_int_equal(in_intervals, 2 * STEP);
	free_lines(lines, n);
}

/* -o FILE with -i: a stream file, written line by line while tracing; a
 * SIGUSR1 report goes there too, as a line of its own. */
static void test_intervals_to_a_file_are_written_as_they_end(void **state)
{
	char path[] = "/tmp/etltrace-intervals-XXXXXX";
	char *args[] = { "--format", "json", "-i", "0.25", "-o", path, "-p", NULL, NULL };
	struct target t;
	struct child tracer;
	struct json_object *cum;
	char **lines = NULL;
	size_t n = 0, nint;
	int out, early, fd = mkstemp(path);
	long long deadline;
	bool usr1_seen = false;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	target_up(&t, STEP);
	args[7] = t.pid;
	assert_int_equal(tracer_spawn(args, &tracer, &out, &early), 0);
	target_step(&t, STEP);
	assert_int_equal(kill(tracer.pid, SIGUSR1), 0);
	/* While the target waits: an interval line and the SIGUSR1 line, in
	 * the file. */
	deadline = now_ms() + WAIT_MS;
	while (now_ms() < deadline) {
		FILE *f = fopen(path, "re");
		char *line = NULL;
		size_t cap = 0, k = 0;
		bool interval = false;

		assert_non_null(f);
		while (getline(&line, &cap, f) > 0) {
			struct json_object *j;

			if (line[strlen(line) - 1] != '\n')
				break; /* being written */
			line[strlen(line) - 1] = '\0';
			j = parse_ndjson_line(line);
			if (json_object_object_get_ex(j, "interval", NULL))
				interval = true;
			else if (op_count(j, "step_op") == STEP)
				usr1_seen = true;
			else
				fail_msg("a SIGUSR1 report with %lld step_op, not %d",
					 op_count(j, "step_op"), STEP);
			json_object_put(j);
			k++;
		}
		free(line);
		fclose(f);
		if (interval && usr1_seen)
			break;
		usleep(20 * 1000);
	}
	assert_true(usr1_seen);
	assert_int_equal(kill(tracer.pid, 0), 0);
	target_step(&t, STEP);
	target_down(&t);
	{
		char sink[256];

		/* Nothing on stdout: everything went to the file. */
		assert_int_equal(read_line_within(out, sink, sizeof(sink), WAIT_MS), -1);
	}
	close(out);
	assert_int_equal(child_wait(&tracer), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	lines = read_all_lines(fd, &n);
	close(fd);
	unlink(path);
	cum = check_intervals(lines, n, "step_op", 0.25, &nint);
	assert_true(nint >= 1);
	assert_int_equal(op_count(cum, "step_op"), 2 * STEP);
	assert_clean(cum);
	json_object_put(cum);
	free_lines(lines, n);
}

/* --- SIGUSR1 ------------------------------------------------------------- */

/* Reads path as a JSON report if it is there; NULL if it is not. A file
 * that is there is always whole (replaced atomically): a partial one
 * fails the test. *ino: its inode. */
static struct json_object *read_report_file(const char *path, ino_t *ino)
{
	struct json_object *j;
	struct stat st;
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f) {
		assert_int_equal(errno, ENOENT);
		return NULL;
	}
	assert_int_equal(fstat(fileno(f), &st), 0);
	*ino = st.st_ino;
	{
		FILE *m = open_memstream(&buf, &len);
		char chunk[8192];
		size_t got;

		assert_non_null(m);
		while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, got, m);
		fclose(m);
	}
	fclose(f);
	j = json_tokener_parse(buf);
	if (!j)
		fail_msg("a partial report file (%zu bytes): %.200s", len, buf);
	free(buf);
	return j;
}

/* Waits until path holds a report with `want` op operations in a file
 * other than inode *ino (the previous report); fails on a timeout. */
static void wait_report(const char *path, const char *op, long long want, ino_t *ino)
{
	long long deadline = now_ms() + WAIT_MS, seen = -1;

	while (now_ms() < deadline) {
		ino_t now = 0;
		struct json_object *j = read_report_file(path, &now);

		if (j && now != *ino) {
			seen = op_count(j, op);
			json_object_put(j);
			/* A report is all there is so far, never less. */
			if (seen != want)
				fail_msg("the SIGUSR1 report has %lld %s, not %lld", seen, op, want);
			*ino = now;
			return;
		}
		if (j)
			json_object_put(j);
		usleep(10 * 1000);
	}
	fail_msg("no new report in %s within %d ms", path, WAIT_MS);
}

static void test_sigusr1_replaces_the_report_file_with_the_counts_so_far(void **state)
{
	char dir[] = "/tmp/etltrace-usr1-XXXXXX", path[64];
	char *args[] = { "--format", "json", "-o", path, "-p", NULL, NULL };
	struct target t;
	struct child tracer;
	struct json_object *r;
	ino_t ino = 0;
	int out, early;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/report.json", dir);
	target_up(&t, STEP);
	args[5] = t.pid;
	assert_int_equal(tracer_spawn(args, &tracer, &out, &early), 0);
	for (int i = 1; i <= 3; i++) {
		target_step(&t, STEP);
		assert_int_equal(kill(tracer.pid, SIGUSR1), 0);
		wait_report(path, "step_op", (long long)i * STEP, &ino);
		/* Tracing goes on. */
		assert_int_equal(kill(tracer.pid, 0), 0);
	}
	/* The rename leaves no temporary file behind. */
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", dir);
		assert_int_equal(system(cmd), 0);
	}
	target_step(&t, STEP);
	target_down(&t);
	close(out);
	assert_int_equal(child_wait(&tracer), 0);
	r = read_report_file(path, &ino);
	assert_non_null(r);
	assert_int_equal(op_count(r, "step_op"), 4 * STEP);
	assert_clean(r);
	json_object_put(r);
	unlink(path);
	rmdir(dir);
}

/* Without -o, each SIGUSR1 report is written to stdout: a whole JSON
 * document each. */
static void test_sigusr1_writes_the_report_so_far_to_stdout(void **state)
{
	char *args[] = { "--format", "json", "-p", NULL, NULL };
	struct target t;
	struct child tracer;
	int out, early;

	(void)state;
	target_up(&t, STEP);
	args[3] = t.pid;
	assert_int_equal(tracer_spawn(args, &tracer, &out, &early), 0);
	for (int i = 1; i <= 3; i++) {
		struct json_tokener *tok = json_tokener_new();
		struct json_object *j = NULL;
		char line[4096];

		target_step(&t, STEP);
		assert_int_equal(kill(tracer.pid, SIGUSR1), 0);
		while (!j) {
			int len = read_line_within(out, line, sizeof(line), WAIT_MS);

			assert_true(len >= 0);
			line[len] = '\n';
			j = json_tokener_parse_ex(tok, line, len + 1);
			if (!j && json_tokener_get_error(tok) != json_tokener_continue)
				fail_msg("not JSON: %s", line);
		}
		assert_int_equal(op_count(j, "step_op"), i * STEP);
		json_object_put(j);
		json_tokener_free(tok);
	}
	target_down(&t);
	{
		/* The final report follows: the same counts. */
		char **lines;
		size_t n;
		struct json_object *j;
		size_t total = 0;
		char *doc;

		lines = read_all_lines(out, &n);
		for (size_t i = 0; i < n; i++)
			total += strlen(lines[i]) + 1;
		doc = calloc(1, total + 1);
		for (size_t i = 0; i < n; i++) {
			strcat(doc, lines[i]);
			strcat(doc, "\n");
		}
		j = json_tokener_parse(doc);
		assert_non_null(j);
		assert_int_equal(op_count(j, "step_op"), 3 * STEP);
		json_object_put(j);
		free(doc);
		free_lines(lines, n);
	}
	close(out);
	assert_int_equal(child_wait(&tracer), 0);
}

/* 1000 SIGUSR1, one every 0.5 ms, while 200,000 operations run: no record
 * lost, every report file read whole, the counts never go back, and the
 * final report exact. */
static void test_a_storm_of_sigusr1_loses_nothing(void **state)
{
	enum { OPS = 200000, SIGNALS = 1000 };
	char dir[] = "/tmp/etltrace-storm-XXXXXX", path[64];
	char *args[] = { "--format", "json", "-o", path, "-p", NULL, NULL };
	struct target t;
	struct child tracer;
	struct json_object *r;
	long long last = -1, reports = 0;
	ino_t ino = 0, prev_ino = 0;
	int out, early, status;
	pid_t storm;
	char line[128];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/report.json", dir);
	target_up(&t, OPS);
	args[5] = t.pid;
	assert_int_equal(tracer_spawn(args, &tracer, &out, &early), 0);
	storm = fork();
	assert_true(storm >= 0);
	if (storm == 0) {
		for (int i = 0; i < SIGNALS; i++) {
			if (kill(tracer.pid, SIGUSR1))
				_exit(1);
			usleep(500);
		}
		_exit(0);
	}
	assert_int_equal(target_send_line(&t.c), 0);
	/* Read the report file over and over while the storm lasts. */
	while (waitpid(storm, &status, WNOHANG) == 0) {
		r = read_report_file(path, &ino);
		if (r) {
			long long c = op_count(r, "step_op");

			assert_true(c >= last);
			last = c;
			reports += ino != prev_ino;
			prev_ino = ino;
			json_object_put(r);
		}
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Reports came, and tracing went on: a second one by now, or (under an
	 * emulator, where a report takes long and the rate limit spaces them
	 * by ten times that) once asked again, within a minute. */
	for (int i = 0; reports < 2 && i < 1200; i++) {
		kill(tracer.pid, SIGUSR1);
		usleep(50 * 1000);
		r = read_report_file(path, &ino);
		if (!r)
			continue;
		assert_true(op_count(r, "step_op") >= last);
		last = op_count(r, "step_op");
		reports += ino != prev_ino;
		prev_ino = ino;
		json_object_put(r);
	}
	assert_true(reports >= 2);
	assert_true(read_line_within(t.c.out_fd, line, sizeof(line), 60000) > 0);
	assert_string_equal(line, "workers: stepped 200000");
	target_down(&t);
	close(out);
	assert_int_equal(child_wait(&tracer), 0);
	r = read_report_file(path, &ino);
	assert_non_null(r);
	if (op_count(r, "step_op") != OPS)
		fail_msg("%lld operations of %d after %lld reports; counters: %s",
			 op_count(r, "step_op"), OPS, reports,
			 json_object_to_json_string(json_object_object_get(r, "counters")));
	assert_clean(r);
	json_object_put(r);
	unlink(path);
	rmdir(dir);
}

/* --- bad input ------------------------------------------------------------ */

static void test_bad_intervals_exit_2(void **state)
{
	char *zero[] = { "-i", "0", "-p", "1", NULL };
	char *word[] = { "-i", "abc", "-p", "1", NULL };
	char *neg[] = { "-i", "-1", "-p", "1", NULL };
	char *inf[] = { "-i", "inf", "-p", "1", NULL };
	char *nan_[] = { "-i", "nan", "-p", "1", NULL };

	(void)state;
	expect_refused(zero, 2, "invalid interval");
	expect_refused(word, 2, "invalid interval");
	expect_refused(neg, 2, "invalid interval");
	expect_refused(inf, 2, "invalid interval");
	expect_refused(nan_, 2, "invalid interval");
}

/* Refused whether the address is checked as it is given or when the
 * endpoint starts: the target is a real one. */
static void test_bad_metrics_addresses_exit_2(void **state)
{
	static const char *const bad[] = { "99999", "abc", "1.2.3.4.5:9464", "[::1:9464" };
	struct target t;

	(void)state;
	target_up(&t, STEP);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *args[] = { "--metrics", (char *)bad[i], "-p", t.pid, NULL };

		expect_refused(args, 2, "metrics");
	}
	target_down(&t);
}

/* A traced process that execs a program with no markers: what ran before
 * is reported, and the trace ends cleanly when it exits. */
static void test_exec_of_an_unmarked_program_under_p_ends_cleanly(void **state)
{
	char *targv[] = { workers(), "become", "0", "25", "/bin/sleep", "0.3", NULL };
	char pid[16], *args[] = { "-p", pid, NULL };
	struct child target, tracer;
	struct json_object *r;
	int early;

	(void)state;
	assert_int_equal(target_start(targv, &target), 0);
	snprintf(pid, sizeof(pid), "%d", (int)target.pid);
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	assert_int_equal(target_release(&target), 0);
	assert_int_equal(child_wait(&target), 0);
	assert_int_equal(tracer_finish(&tracer, false, &r), 0);
	assert_non_null(r);
	assert_int_equal(op_count(r, "parent_op"), 25);
	assert_clean(r);
	json_object_put(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HARNESS_TEST(test_json_intervals_are_ndjson_lines_streamed_while_tracing),
		HARNESS_TEST(test_text_intervals_print_each_interval_then_the_cumulative),
		HARNESS_TEST(test_intervals_to_a_file_are_written_as_they_end),
		HARNESS_TEST(test_sigusr1_replaces_the_report_file_with_the_counts_so_far),
		HARNESS_TEST(test_sigusr1_writes_the_report_so_far_to_stdout),
		HARNESS_TEST(test_a_storm_of_sigusr1_loses_nothing),
		HARNESS_TEST(test_bad_intervals_exit_2),
		HARNESS_TEST(test_bad_metrics_addresses_exit_2),
		HARNESS_TEST(test_exec_of_an_unmarked_program_under_p_ends_cleanly),
	};

	return cmocka_run_group_tests(tests, harness_require_root, NULL);
}
