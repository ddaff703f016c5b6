// SPDX-License-Identifier: MIT
/*
 * soak.c - the `make soak` driver: etltrace -b left running under a steady
 * load of operations, threads and processes, and what it holds over time.
 *
 *   soak [--seconds N (default 600)] [--rate OPS (default 100000)] ETLTRACE WORKERS
 *
 * Starts `ETLTRACE -b WORKERS -i 10 --metrics 127.0.0.1:PORT --format json
 * -o FILE` (as an operator leaves it running: a report every 10 s, scraped
 * by Prometheus every second, which this driver does) and, once it is ready,
 * a new process of WORKERS every second (`workers churn 1 OPS`: OPS
 * operations over one second from a new thread every 10 ms, each thread
 * living about 50 ms), for N seconds. Every second it reads etltrace's
 * resident memory (VmRSS), open file descriptors and CPU time, and prints
 * them at 10 s, then every 30 s (every 60 s from N = 300 up), always at
 * minute 1 and at the end. Then it stops etltrace (SIGINT) and compares its
 * report with what the processes ran (each prints its count once all its
 * threads are joined): records lost are the operations run minus those
 * counted, and the report's ringbuf_full.
 *
 * Targets (issue 11), printed PASS or MISS: no record lost; no more fds at
 * the end than at minute 1; resident memory at the end within 10% of minute
 * 1's ("flat": etltrace keeps a summary per process by design, so it does
 * grow a little with every process seen); every scrape answered 200.
 *
 * Exit status: 0 when the soak ran (whatever PASS/MISS says), 1 when it
 * could not (the reason is on stderr).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

/* Processes started and not yet read: each lives about 1.2 s, so a few. */
#define LIVE_MAX 16
/* A process is read this many seconds after it started. */
#define COLLECT_AFTER 3
#define RSS_FLAT_FRACTION 0.10

struct sample {
	int t;          /* seconds since the load started */
	long rss_kb;
	int fds;
	uint64_t cpu_ns;
};

struct soak {
	const char *etltrace, *workers;
	int seconds;
	long rate;
	struct child tracer;
	char dir[64], report[96];
	int port;           /* etltrace's --metrics */
	long scrapes, scrapes_failed;
	struct child live[LIVE_MAX];
	int started[LIVE_MAX]; /* the second each was started */
	long processes, failed, ran;
	struct sample minute1, end;
	bool have_minute1;
};

static void usage(void)
{
	fprintf(stderr, "usage: soak [--seconds N] [--rate OPS] ETLTRACE WORKERS\n");
}

/* Open file descriptors of pid, or -1. */
static int fd_count(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* etltrace says a line per process at most: read and drop what it wrote,
 * so that it never blocks on a full pipe. */
static void drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* Reads process slot i: its count of operations run, then reaps it. */
static int collect(struct soak *s, int i)
{
	struct child *c = &s->live[i];
	char line[128];
	long n = 0;
	bool ok;

	ok = !child_expect(c->out_fd, "workers: ran ", 30000, line, sizeof(line), NULL, 0) &&
	     sscanf(line, "workers: ran %ld", &n) == 1;
	ok = !child_reap(c, 10000) && ok && WIFEXITED(c->status) && !WEXITSTATUS(c->status);
	if (ok)
		s->ran += n;
	else
		s->failed++;
	c->pid = -1;
	return 0;
}

static int start_process(struct soak *s, int second)
{
	char rate[24], *argv[] = { (char *)s->workers, "churn", "1", rate, NULL };
	int i, err;

	snprintf(rate, sizeof(rate), "%ld", s->rate);
	for (i = 0; i < LIVE_MAX && s->live[i].pid > 0; i++)
		;
	if (i == LIVE_MAX) {
		fprintf(stderr, "soak: %d processes still running: the machine cannot keep up\n",
			LIVE_MAX);
		return -1;
	}
	err = child_spawn(argv, -1, &s->live[i]);
	if (!err)
		err = child_say(&s->live[i], "go");
	if (err) {
		fprintf(stderr, "soak: cannot start %s: %s\n", s->workers, strerror(-err));
		return -1;
	}
	s->started[i] = second;
	s->processes++;
	return 0;
}

/* fds: the fewest of 5 reads 20 ms apart. etltrace opens files for a
 * moment as it admits a process (one read of the 120 s run saw one more);
 * a leaked fd stays and shows in every read. */
static void take(struct soak *s, int t, struct sample *m)
{
	m->t = t;
	m->rss_kb = proc_status_kb(s->tracer.pid, "VmRSS");
	m->cpu_ns = proc_cpu_ns(s->tracer.pid);
	m->fds = fd_count(s->tracer.pid);
	for (int i = 0; i < 4; i++) {
		int n;

		sleep_ms(20);
		n = fd_count(s->tracer.pid);
		m->fds = n < m->fds ? n : m->fds;
	}
}

static void print_sample(const struct soak *s, const struct sample *m, const struct sample *prev)
{
	double cpu = m->t > prev->t ? (double)(m->cpu_ns - prev->cpu_ns) / 1e9 / (m->t - prev->t)
				    : 0.0;

	printf("  %5d s  etltrace %8ld KiB RSS  %4d fds  %5.1f%% CPU;  %6ld processes, "
	       "%11ld operations run\n", m->t, m->rss_kb, m->fds, 100.0 * cpu, s->processes, s->ran);
	fflush(stdout);
}

/* The load: a process a second, samples, until s->seconds. */
static int load(struct soak *s)
{
	int step = s->seconds >= 300 ? 60 : 30, minute = s->seconds < 60 ? s->seconds : 60;
	uint64_t t0 = mono_ns();
	struct sample prev, now;

	take(s, 0, &prev);
	print_sample(s, &prev, &prev);
	for (int t = 0; t < s->seconds; t++) {
		uint64_t due = t0 + (uint64_t)t * 1000000000ull, at = mono_ns();

		if (due > at)
			sleep_ms((long)((due - at) / 1000000ull));
		drain(s->tracer.err_fd);
		for (int i = 0; i < LIVE_MAX; i++)
			if (s->live[i].pid > 0 && t - s->started[i] >= COLLECT_AFTER)
				collect(s, i);
		if (t > 0 && (t == 10 || t % step == 0 || t == minute)) {
			take(s, t, &now);
			print_sample(s, &now, &prev);
			if (t == minute) {
				s->minute1 = now;
				s->have_minute1 = true;
			}
			prev = now;
		}
		if (waitpid(s->tracer.pid, NULL, WNOHANG) == s->tracer.pid) {
			s->tracer.reaped = 1;
			fprintf(stderr, "soak: etltrace exited during the soak\n");
			return -1;
		}
		if (start_process(s, t))
			return -1;
		if (scrape_metrics(s->port))
			s->scrapes++;
		else
			s->scrapes_failed++;
	}
	for (int i = 0; i < LIVE_MAX; i++)
		if (s->live[i].pid > 0)
			collect(s, i);
	sleep_ms(500); /* two drains: the last records read, exited processes folded */
	take(s, s->seconds, &s->end);
	print_sample(s, &s->end, &prev);
	if (!s->have_minute1) {
		s->minute1 = s->end;
		s->have_minute1 = true;
	}
	return 0;
}

static long long jget(struct json_object *o, const char *a, const char *b, const char *c)
{
	struct json_object *v = o;

	if (a && !json_object_object_get_ex(v, a, &v))
		return -1;
	if (b && !json_object_object_get_ex(v, b, &v))
		return -1;
	if (c && !json_object_object_get_ex(v, c, &v))
		return -1;
	return json_object_get_int64(v);
}

static const char *verdict(bool ok)
{
	return ok ? "PASS" : "MISS";
}

/* The last line of path (NDJSON: -i's reports, the cumulative one last)
 * parsed, and the number of lines before it; NULL if there is none. */
static struct json_object *last_line_json(const char *path, long *before)
{
	struct json_object *j = NULL;
	char *line = NULL, *last = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "re");

	*before = 0;
	while (f && getline(&line, &cap, f) > 0) {
		if (line[0] == '\n')
			continue;
		*before += last != NULL;
		free(last);
		last = strdup(line);
	}
	if (last)
		j = json_tokener_parse(last);
	free(last);
	free(line);
	if (f)
		fclose(f);
	return j;
}

/* Stops etltrace and compares its report with what ran. */
static int judge(struct soak *s)
{
	struct json_object *r, *procs;
	long long counted, unfinished, full, lost;
	double growth;
	long intervals;
	int err;

	kill(s->tracer.pid, SIGINT);
	err = child_reap(&s->tracer, 120000);
	if (err || !WIFEXITED(s->tracer.status) || WEXITSTATUS(s->tracer.status)) {
		fprintf(stderr, "soak: etltrace did not end cleanly (status %d)\n", s->tracer.status);
		return -1;
	}
	r = last_line_json(s->report, &intervals);
	if (!r) {
		fprintf(stderr, "soak: no report in %s\n", s->report);
		return -1;
	}
	counted = jget(r, "operations", "churn_op", "count");
	unfinished = jget(r, "operations", "churn_op", "unfinished");
	full = jget(r, "counters", "ringbuf_full", NULL);
	procs = json_object_object_get(r, "processes");
	lost = s->ran - counted;
	growth = s->minute1.rss_kb > 0 ?
		(double)(s->end.rss_kb - s->minute1.rss_kb) / (double)s->minute1.rss_kb : 0.0;

	printf("\n%d s, %ld processes (%ld failed), %ld operations run (%.0f/s), %lld counted, "
	       "%lld unfinished\n", s->seconds, s->processes, s->failed, s->ran,
	       (double)s->ran / s->seconds, counted, unfinished);
	printf("processes in the report: %zu; interval reports: %ld\n",
	       procs ? json_object_array_length(procs) : 0, intervals);
	printf("  %s  records lost: %lld (run - counted), ringbuf_full %lld (target 0)\n",
	       verdict(lost == 0 && full == 0 && !s->failed), lost, full);
	printf("  %s  fds: %d at %d s, %d at the end (target: no more)\n",
	       verdict(s->end.fds <= s->minute1.fds), s->minute1.fds, s->minute1.t, s->end.fds);
	printf("  %s  RSS: %ld KiB at %d s, %ld KiB at the end (%+.1f%%; target within %.0f%%)\n",
	       verdict(growth <= RSS_FLAT_FRACTION), s->minute1.rss_kb, s->minute1.t, s->end.rss_kb,
	       100.0 * growth, 100.0 * RSS_FLAT_FRACTION);
	printf("  %s  /metrics scraped every second: %ld answered 200, %ld did not (target 0)\n",
	       verdict(!s->scrapes_failed && s->scrapes), s->scrapes, s->scrapes_failed);
	json_object_put(r);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct soak s = { .seconds = 600, .rate = 100000, .tracer = CHILD_NONE };
	char metrics[32];
	char line[512], skipped[4096] = "";
	int opt, rc = 1;

	for (int i = 0; i < LIVE_MAX; i++)
		s.live[i] = (struct child)CHILD_NONE;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 's')
			s.seconds = atoi(optarg);
		else if (opt == 'r')
			s.rate = atol(optarg);
		else
			return usage(), 1;
	}
	if (argc - optind != 2 || s.seconds < 1 || s.rate < 100) {
		usage();
		return 1;
	}
	s.etltrace = argv[optind];
	s.workers = argv[optind + 1];
	s.port = loopback_free_port();
	if (s.port < 0) {
		fprintf(stderr, "soak: no free loopback port for etltrace --metrics\n");
		return 1;
	}
	snprintf(metrics, sizeof(metrics), "127.0.0.1:%d", s.port);
	snprintf(s.dir, sizeof(s.dir), "/tmp/etltrace-soak-XXXXXX");
	if (!mkdtemp(s.dir)) {
		fprintf(stderr, "soak: cannot create a temporary directory: %s\n", strerror(errno));
		return 1;
	}
	snprintf(s.report, sizeof(s.report), "%s/report.json", s.dir);
	{
		char *targv[] = { (char *)s.etltrace, "-b", (char *)s.workers, "-i", "10", "--metrics",
				  metrics, "--format", "json", "-o", s.report, NULL };
		int err = child_spawn(targv, -1, &s.tracer);

		if (!err)
			err = child_expect(s.tracer.err_fd, "etltrace: ready", 60000, line,
					   sizeof(line), skipped, sizeof(skipped));
		if (err) {
			fprintf(stderr, "soak: etltrace did not get ready: %s\n%s", strerror(-err),
				skipped);
			goto cleanup;
		}
	}
	fcntl(s.tracer.err_fd, F_SETFL, O_NONBLOCK);
	printf("soak: etltrace -b %s; a process a second, each %ld operations over 1 s from a "
	       "new thread every 10 ms; %d s\n", s.workers, s.rate, s.seconds);
	fflush(stdout);
	if (load(&s) || judge(&s))
		goto cleanup;
	rc = 0;
cleanup:
	for (int i = 0; i < LIVE_MAX; i++)
		child_kill(&s.live[i]);
	child_kill(&s.tracer);
	unlink(s.report);
	rmdir(s.dir);
	return rc;
}
