// SPDX-License-Identifier: MIT
/*
 * workers.c - a marked program that starts processes, for the integration
 * tests of children, -b and long runs. Every mode first prints
 * "workers: ready" and waits for a line on stdin (the gate), then:
 *
 *   workers fork N K           K x "parent_op", then N children forked at
 *                              once, each K x "child_op" (fork only)
 *   workers exec N K PROG ARG...  N children forked at once, each exec'ing
 *                              PROG ARG... (K x "parent_op" in the parent)
 *   workers sh N K CMD         N children forked at once, each exec'ing
 *                              /bin/sh -c CMD (K x "parent_op" in the parent)
 *   workers become 0 K PROG ARG...  K x "parent_op", then exec PROG ARG...
 *                              (same process)
 *   workers plugin LIB K       dlopen LIB (tests/progs/lib/etlplugin.c) and
 *                              run its K "plugin_op" operations
 *   workers steps K NAMES      for each further line on stdin, K operations,
 *                              then "workers: stepped TOTAL"; exits at EOF.
 *                              The first line's are named "step_00000" to
 *                              "step_NNNNN" in turn (NAMES names, built in a
 *                              buffer) when NAMES > 0; all others "step_op"
 *   workers churn SECONDS OPS  for SECONDS: OPS "churn_op" per second spread
 *                              over short-lived threads, a new one every
 *                              10 ms (each living about 50 ms)
 *
 * The parent prints "child PID" for each child as it forks it, and
 * "reaped PID STATUS" as it waits for each. With -w before the mode, it
 * then prints "workers: done" and waits for a second line before it exits
 * (so that a test can act while the parent is still traced).
 */
#include <etl_probe.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void wait_line(const char *say)
{
	char buf[16];

	printf("%s\n", say);
	fflush(stdout);
	if (!fgets(buf, sizeof(buf), stdin))
		exit(3);
}

static void ops(const char *which, long k)
{
	for (long i = 0; i < k; i++) {
		if (!strcmp(which, "parent_op")) {
			ETL_OP_START("parent_op");
			ETL_OP_END("parent_op");
		} else {
			ETL_OP_START("child_op");
			ETL_OP_END("child_op");
		}
	}
}

/* Forks n children, each running child(ctx), and waits for them all. */
static int fork_all(long n, void (*child)(void *ctx), void *ctx)
{
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	int rc = 0;

	if (!pids)
		return 1;
	for (long i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return 1;
		if (pids[i] == 0) {
			child(ctx);
			_exit(0);
		}
		printf("child %d\n", (int)pids[i]);
		fflush(stdout);
	}
	for (long i = 0; i < n; i++) {
		int status;

		while (waitpid(pids[i], &status, 0) < 0)
			if (errno != EINTR)
				return 1;
		printf("reaped %d %d\n", (int)pids[i], status);
		fflush(stdout);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			rc = 1;
	}
	free(pids);
	return rc;
}

static void child_ops(void *ctx)
{
	ops("child_op", *(long *)ctx);
}

static void child_exec(void *ctx)
{
	char **argv = ctx;

	execv(argv[0], argv);
	_exit(127);
}

static void child_sh(void *ctx)
{
	execl("/bin/sh", "sh", "-c", (char *)ctx, (char *)NULL);
	_exit(127);
}

static int do_plugin(const char *lib, long k)
{
	void (*run)(long);
	void *h = dlopen(lib, RTLD_NOW);

	if (!h)
		return 4;
	*(void **)&run = dlsym(h, "etl_plugin_run");
	if (!run)
		return 4;
	run(k);
	return 0;
}

static int do_steps(long k, long names)
{
	char buf[16], name[32];
	long total = 0;

	while (fgets(buf, sizeof(buf), stdin)) {
		for (long i = 0; i < k && names > 0 && !total; i++) {
			snprintf(name, sizeof(name), "step_%05ld", i % names);
			ETL_OP_START(name);
			ETL_OP_END(name);
		}
		for (long i = 0; i < k && (names <= 0 || total); i++) {
			ETL_OP_START("step_op");
			ETL_OP_END("step_op");
		}
		total += k;
		printf("workers: stepped %ld\n", total);
		fflush(stdout);
	}
	return 0;
}

/* --- churn: a steady stream of operations from short-lived threads ----- */

static void sleep_ns(long ns)
{
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

	while (nanosleep(&ts, &ts))
		;
}

static long churn_per_thread; /* operations each thread runs, over ~50 ms */

static void *churn_thread(void *arg)
{
	long n = churn_per_thread;

	for (long i = 0; i < n; i++) {
		ETL_OP_START("churn_op");
		ETL_OP_END("churn_op");
		if (i % 100 == 99)
			sleep_ns(50000000L / (n / 100 + 1));
	}
	return arg;
}

/* A thread every 10 ms, each running its share of ops_per_second (about
 * five run at once); prints the operations run once every thread has
 * ended (joined, so the count is what ran, however late a thread is). */
static int do_churn(double seconds, long ops_per_second)
{
	long threads = (long)(seconds * 100), ran = 0;
	pthread_t *th = calloc((size_t)(threads > 0 ? threads : 1), sizeof(*th));
	struct timespec t0, now;

	if (!th)
		return 1;
	churn_per_thread = ops_per_second / 100;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < threads; i++) {
		long due;

		if (pthread_create(&th[i], NULL, churn_thread, NULL))
			return 1;
		ran += churn_per_thread;
		clock_gettime(CLOCK_MONOTONIC, &now);
		due = (i + 1) * 10000000L - ((now.tv_sec - t0.tv_sec) * 1000000000L +
					     (now.tv_nsec - t0.tv_nsec));
		if (due > 0)
			sleep_ns(due);
	}
	for (long i = 0; i < threads; i++)
		if (pthread_join(th[i], NULL))
			return 1;
	free(th);
	printf("workers: ran %ld\n", ran);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	bool hold = argc > 1 && !strcmp(argv[1], "-w");
	const char *mode;
	long n, k;
	int rc;

	if (hold) {
		argv++;
		argc--;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: workers [-w] fork|exec|sh|become|plugin|steps|churn ...\n");
		return 2;
	}
	mode = argv[1];
	n = atol(argv[2]);
	k = atol(argv[3]);
	wait_line("workers: ready");
	if (!strcmp(mode, "fork")) {
		ops("parent_op", k);
		rc = fork_all(n, child_ops, &k);
	} else if (!strcmp(mode, "exec") && argc > 4) {
		ops("parent_op", k);
		rc = fork_all(n, child_exec, &argv[4]);
	} else if (!strcmp(mode, "sh") && argc > 4) {
		ops("parent_op", k);
		rc = fork_all(n, child_sh, argv[4]);
	} else if (!strcmp(mode, "become") && argc > 4) {
		ops("parent_op", k);
		execv(argv[4], &argv[4]);
		rc = 127;
	} else if (!strcmp(mode, "plugin")) {
		rc = do_plugin(argv[2], k);
	} else if (!strcmp(mode, "steps")) {
		rc = do_steps(n, k);
	} else if (!strcmp(mode, "churn")) {
		rc = do_churn(atof(argv[2]), k);
	} else {
		fprintf(stderr, "workers: unknown mode %s\n", mode);
		return 2;
	}
	if (hold)
		wait_line("workers: done");
	return rc;
}
