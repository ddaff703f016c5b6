// SPDX-License-Identifier: MIT
/*
 * bench.c - the marked benchmark program behind `make bench`.
 *
 * Runs start/end pairs of an empty operation in a tight loop on T pinned
 * threads and reports the cost per pair from CLOCK_MONOTONIC:
 *
 *   bench [-t THREADS] [-n PAIRS_PER_THREAD] [-c CPU[,CPU...]] [-k NAMES]
 *         [-r TOTAL_PAIRS_PER_S] [-m marked|inproc]
 *
 *   -t  threads (default 1); thread i is pinned to the i-th CPU of -c
 *   -n  start/end pairs per thread (default 1000000)
 *   -k  cycle through K distinct names in static storage (default 1)
 *   -r  pace the threads to this total rate (default: as fast as possible)
 *   -m  marked: USDT markers (etl_probe.h); inproc: no markers, each
 *       operation reads CLOCK_MONOTONIC and /proc/self/statm at start and
 *       end and keeps count/sum/min/max duration and the RSS delta per name,
 *       the way an in-process profiler does it
 *
 * Protocol (so that tracers attach before anything is timed):
 *   prints "bench: ready pid=PID" and waits for a line on stdin; runs;
 *   prints "bench: result threads=T pairs=N ns_per_op=X wall_s=W rate=R"
 *   (X: mean over threads of elapsed / pairs, one op = one start/end pair)
 *   and then waits for a line or EOF on stdin before exiting, so a driver
 *   can read the tracer's state while it is still attached.
 *
 * Built twice from this file: with markers, and with -DBENCH_NO_MARKERS,
 * where the markers compile to nothing and everything else is identical
 * (and bench-lib, -DBENCH_LIBETLPROBE: the markers are libetlprobe's calls).
 * The measured loop has exactly one op_start and one op_end site, so a
 * tracer attaches to (and detaches from) two probe sites.
 */
#if defined(BENCH_LIBETLPROBE)
/* Built a third time as bench-lib: the same loop through libetlprobe's
 * calls, as a program in another language reaches the markers (the probe
 * sites and semaphores are the library's). */
#include <etlprobe.h>
#define OP_START(name) \
	(__builtin_constant_p(name) ? etlprobe_start_literal(name) : etlprobe_start(name))
#define OP_END(name) etlprobe_end(name)
#elif !defined(BENCH_NO_MARKERS)
#include <etl_probe.h>
#define OP_START(name) ETL_OP_START(name)
#define OP_END(name) ETL_OP_END(name)
#else
#define OP_START(name) ((void)(name))
#define OP_END(name) ((void)(name))
#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 16
#define MAX_NAMES 10000
#define NAME_LEN 24
/* Pairs between two looks at the clock when paced. */
#define PACE_BATCH 256

/* The empty operation's body: keeps the loop (and the reload of the
 * semaphores in every iteration) without doing any work. */
#define barrier() __asm__ volatile("" ::: "memory")

/* Names live in static storage, written once (so resident) before the run. */
static char name_store[MAX_NAMES][NAME_LEN];
static const char *names[MAX_NAMES];
static size_t nnames = 1;

enum mode { MODE_MARKED, MODE_INPROC };

struct worker {
	pthread_t th;
	int cpu;          /* -1: not pinned */
	long pairs;
	double rate;      /* pairs/s for this thread, 0: unpaced */
	enum mode mode;
	uint64_t elapsed_ns;
	int err;
	/* In-process statistics, one entry per name (inproc mode). */
	struct inproc_stat *st;
};

struct inproc_stat {
	uint64_t count, sum_ns, min_ns, max_ns;
	int64_t sum_rss_delta;
};

static pthread_barrier_t start_line;
static int statm_fd = -1;
static long page_size;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The measured loop: n pairs, names cycled from index k. Returns the next k.
 * noinline so that it is one copy with one site per marker. */
static __attribute__((noinline)) size_t run_marked(size_t k, long n)
{
	/* One name: a string literal, as ETL code marks operations (the
	 * marker tells the tracer, which then need not read it). Several:
	 * names from a buffer, read at every start. */
	if (nnames == 1) {
		for (long i = 0; i < n; i++) {
			OP_START("bench_op");
			barrier();
			OP_END("bench_op");
		}
		return 0;
	}
	for (long i = 0; i < n; i++) {
		const char *name = names[k];

		OP_START(name);
		barrier();
		OP_END(name);
		if (++k == nnames)
			k = 0;
	}
	return k;
}

/* Resident set in bytes, as an in-process profiler reads it. */
static int64_t rss_bytes(void)
{
	char buf[128];
	ssize_t len = pread(statm_fd, buf, sizeof(buf) - 1, 0);
	char *p;

	if (len <= 0)
		return 0;
	buf[len] = '\0';
	p = strchr(buf, ' '); /* statm: size resident shared ... (pages) */
	return p ? strtoll(p + 1, NULL, 10) * page_size : 0;
}

/* The in-process way: time and RSS at start and end of every operation. */
static __attribute__((noinline)) size_t run_inproc(struct inproc_stat *st, size_t k, long n)
{
	for (long i = 0; i < n; i++) {
		struct inproc_stat *s = &st[k];
		uint64_t t0 = now_ns(), d;
		int64_t r0 = rss_bytes(), r1;

		barrier();
		r1 = rss_bytes();
		d = now_ns() - t0;
		if (s->count == 0 || d < s->min_ns)
			s->min_ns = d;
		if (d > s->max_ns)
			s->max_ns = d;
		s->count++;
		s->sum_ns += d;
		s->sum_rss_delta += r1 - r0;
		if (++k == nnames)
			k = 0;
	}
	return k;
}

static size_t run_batch(struct worker *w, size_t k, long n)
{
	return w->mode == MODE_INPROC ? run_inproc(w->st, k, n) : run_marked(k, n);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t t0, t1;
	size_t k = 0;

	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		w->err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	pthread_barrier_wait(&start_line);
	t0 = now_ns();
	if (w->rate <= 0) {
		k = run_batch(w, k, w->pairs);
	} else {
		/* Paced: after each batch, sleep until the schedule catches up. */
		for (long done = 0; done < w->pairs;) {
			long n = w->pairs - done < PACE_BATCH ? w->pairs - done : PACE_BATCH;
			uint64_t due;

			k = run_batch(w, k, n);
			done += n;
			due = t0 + (uint64_t)((double)done * 1e9 / w->rate);
			if (now_ns() < due) {
				struct timespec ts = { (time_t)(due / 1000000000ull),
						       (long)(due % 1000000000ull) };

				while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
					;
			}
		}
	}
	t1 = now_ns();
	w->elapsed_ns = t1 - t0;
	return NULL;
}

static void usage(void)
{
	fputs("usage: bench [-t THREADS] [-n PAIRS_PER_THREAD] [-c CPU[,CPU...]] [-k NAMES]\n"
	      "             [-r TOTAL_PAIRS_PER_S] [-m marked|inproc]\n",
	      stderr);
	exit(2);
}

static long parse_long(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		usage();
	return v;
}

/* Reads one line from stdin; returns 0, or -1 at EOF. */
static int wait_line(void)
{
	char buf[64];

	return fgets(buf, sizeof(buf), stdin) ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct worker w[MAX_THREADS];
	int cpus[MAX_THREADS], ncpus = 0, opt, nthreads = 1;
	long pairs = 1000000;
	double rate = 0, sum_ns_per_op = 0;
	enum mode mode = MODE_MARKED;
	uint64_t t0, wall;
	int rc = 1;

	while ((opt = getopt(argc, argv, "t:n:c:k:r:m:")) != -1) {
		switch (opt) {
		case 't':
			nthreads = (int)parse_long(optarg, 1, MAX_THREADS);
			break;
		case 'n':
			pairs = parse_long(optarg, 1, 1L << 40);
			break;
		case 'k':
			nnames = (size_t)parse_long(optarg, 1, MAX_NAMES);
			break;
		case 'r':
			rate = (double)parse_long(optarg, 1, 1L << 40);
			break;
		case 'm':
			if (!strcmp(optarg, "marked"))
				mode = MODE_MARKED;
			else if (!strcmp(optarg, "inproc"))
				mode = MODE_INPROC;
			else
				usage();
			break;
		case 'c':
			for (char *s = strtok(optarg, ","); s; s = strtok(NULL, ",")) {
				if (ncpus == MAX_THREADS)
					usage();
				cpus[ncpus++] = (int)parse_long(s, 0, CPU_SETSIZE - 1);
			}
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	for (size_t i = 0; i < nnames; i++) {
		snprintf(name_store[i], NAME_LEN, nnames == 1 ? "bench_op" : "bench_op_%05zu", i);
		names[i] = name_store[i];
	}
	page_size = sysconf(_SC_PAGESIZE);
	statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (statm_fd < 0) {
		perror("bench: /proc/self/statm");
		return 1;
	}
	memset(w, 0, sizeof(w));
	pthread_barrier_init(&start_line, NULL, (unsigned)nthreads + 1);
	for (int i = 0; i < nthreads; i++) {
		w[i].cpu = ncpus ? cpus[i % ncpus] : -1;
		w[i].pairs = pairs;
		w[i].rate = rate / nthreads;
		w[i].mode = mode;
		if (mode == MODE_INPROC) {
			w[i].st = calloc(nnames, sizeof(*w[i].st));
			if (!w[i].st) {
				perror("bench: calloc");
				return 1;
			}
		}
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i])) {
			perror("bench: pthread_create");
			return 1;
		}
	}

	printf("bench: ready pid=%d\n", (int)getpid());
	fflush(stdout);
	if (wait_line()) {
		fputs("bench: no go line on stdin\n", stderr);
		return 1;
	}
	t0 = now_ns();
	pthread_barrier_wait(&start_line);
	for (int i = 0; i < nthreads; i++)
		pthread_join(w[i].th, NULL);
	wall = now_ns() - t0;
	for (int i = 0; i < nthreads; i++) {
		if (w[i].err) {
			fprintf(stderr, "bench: cannot pin thread %d to CPU %d: %s\n", i, w[i].cpu,
				strerror(w[i].err));
			goto out;
		}
		sum_ns_per_op += (double)w[i].elapsed_ns / (double)w[i].pairs;
	}
	if (mode == MODE_INPROC) {
		/* The statistics are the point of the work: check they add up. */
		uint64_t total = 0;

		for (int i = 0; i < nthreads; i++)
			for (size_t k = 0; k < nnames; k++)
				total += w[i].st[k].count;
		if (total != (uint64_t)pairs * (uint64_t)nthreads) {
			fputs("bench: in-process statistics lost operations\n", stderr);
			goto out;
		}
	}
	printf("bench: result threads=%d pairs=%ld ns_per_op=%.3f wall_s=%.6f rate=%.0f\n",
	       nthreads, pairs, sum_ns_per_op / nthreads, (double)wall / 1e9,
	       (double)pairs * nthreads / ((double)wall / 1e9));
	fflush(stdout);
	wait_line();
	rc = 0;
out:
	for (int i = 0; i < nthreads; i++)
		free(w[i].st);
	close(statm_fd);
	return rc;
}
