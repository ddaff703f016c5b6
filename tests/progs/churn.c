// SPDX-License-Identifier: MIT
/*
 * churn.c - load for the accounting tests: thousands of short-lived
 * threads, bursts on every CPU, processes exec'd on every CPU. Runs its
 * steps in order and counts, as ground truth, every marker it executes.
 *
 *   churn STEP...
 *
 *   wait          print "churn: waiting" on stdout, wait for a line on stdin
 *   mix:T:C       T threads, at most C at a time, thread i of kind i % 5:
 *                   0 plain    3 x "churn_op"
 *                   1 open     starts "churn_open" twice (nested), exits
 *                   2 deep     34 nested "churn_deep" (2 beyond the tracer's 32)
 *                   3 abandon  "churn_outer" { "churn_lost" (never ended) }
 *                   4 stray    ends "churn_stray" (never started); starts
 *                              "churn_op", ends "churn_nomatch", ends "churn_op"
 *   burst:N       a thread on each CPU it may run on, each N x "burst_op"
 *   burst_rt:N    the same at real-time priority (SCHED_FIFO): nothing else
 *                 runs on those CPUs, the tracer included, until it is done
 *   forks:N       N processes forked one after the other, from the last CPU
 *                 to run on the first, each one "fork_op" and exit
 *   execs:K:PROG  K processes forked on each CPU, each exec'ing PROG (no
 *                 arguments); returns once each has exec'd; then prints
 *                 "churn: spawned"
 *   reap          waits for the exec'd processes (exit 1 if one failed)
 *   mark          one "churn_mark"
 *   truth         prints "churn: truth starts=... ends=... ops=... unfinished=...
 *                 abandoned=... overflow=... overflow_ends=... unmatched=...
 *                 mismatch=..." for everything done so far
 *
 * ops: operations ended; unfinished: left open at a thread's exit;
 * overflow: starts beyond 32 open; overflow_ends: their ends.
 */
#define _GNU_SOURCE
#include <etl_probe.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_MAX 32 /* the tracer's per-thread stack */
#define DEEP 34

static atomic_long starts, ends, ops, unfinished, abandoned, overflow, overflow_ends, unmatched,
	mismatch;

static void plain(void)
{
	for (int i = 0; i < 3; i++) {
		ETL_OP_START("churn_op");
		ETL_OP_END("churn_op");
	}
	starts += 3;
	ends += 3;
	ops += 3;
}

static void open_at_exit(void)
{
	ETL_OP_START("churn_open");
	ETL_OP_START("churn_open");
	starts += 2;
	unfinished += 2;
}

static void deep(int n)
{
	if (n == 0)
		return;
	ETL_OP_START("churn_deep");
	deep(n - 1);
	ETL_OP_END("churn_deep");
}

static void deep_counted(void)
{
	deep(DEEP);
	starts += DEEP;
	ends += DEEP;
	ops += STACK_MAX;
	overflow += DEEP - STACK_MAX;
	overflow_ends += DEEP - STACK_MAX;
}

static void abandon(void)
{
	ETL_OP_START("churn_outer");
	ETL_OP_START("churn_lost");
	ETL_OP_END("churn_outer");
	starts += 2;
	ends += 1;
	ops += 1;
	abandoned += 1;
}

static void stray(void)
{
	ETL_OP_END("churn_stray");
	ETL_OP_START("churn_op");
	ETL_OP_END("churn_nomatch");
	ETL_OP_END("churn_op");
	starts += 1;
	ends += 3;
	ops += 1;
	unmatched += 1;
	mismatch += 1;
}

static void *mix_thread(void *arg)
{
	switch ((long)arg % 5) {
	case 0: plain(); break;
	case 1: open_at_exit(); break;
	case 2: deep_counted(); break;
	case 3: abandon(); break;
	default: stray(); break;
	}
	return NULL;
}

static int mix(long t, long c)
{
	pthread_t th[256];

	if (c < 1 || c > 256)
		return 2;
	for (long done = 0; done < t;) {
		long n = t - done < c ? t - done : c;

		for (long i = 0; i < n; i++)
			if (pthread_create(&th[i], NULL, mix_thread, (void *)(done + i)))
				return 1;
		for (long i = 0; i < n; i++)
			pthread_join(th[i], NULL);
		done += n;
	}
	return 0;
}

struct burst_arg {
	long n;
	int cpu;
	int rt;
	pthread_barrier_t *go; /* every CPU's thread starts at once */
};

static void *burst_thread(void *arg)
{
	struct burst_arg *b = arg;
	struct sched_param sp = { .sched_priority = 1 };
	cpu_set_t set;
	bool ok;

	CPU_ZERO(&set);
	CPU_SET(b->cpu, &set);
	ok = !sched_setaffinity(0, sizeof(set), &set) &&
	     (!b->rt || !sched_setscheduler(0, SCHED_FIFO, &sp));
	/* Every thread waits, failed or not: else the first CPU's burst could
	 * be over, drained by a tracer on a CPU whose thread was not created
	 * yet, before the last began. */
	pthread_barrier_wait(b->go);
	if (!ok)
		return (void *)1;
	for (long i = 0; i < b->n; i++) {
		ETL_OP_START("burst_op");
		ETL_OP_END("burst_op");
	}
	starts += b->n;
	ends += b->n;
	ops += b->n;
	return NULL;
}

/* The CPUs this process may run on. */
static int cpus(int *list, int max)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (int c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			list[n++] = c;
	return n;
}

static int burst(long n, int rt)
{
	struct burst_arg args[64];
	pthread_t th[64];
	int list[64], ncpu = cpus(list, 64), rc = 0;
	pthread_barrier_t go;
	void *ret;

	if (!ncpu || pthread_barrier_init(&go, NULL, (unsigned int)ncpu))
		return 1;
	for (int i = 0; i < ncpu; i++) {
		args[i] = (struct burst_arg){ n, list[i], rt, &go };
		if (pthread_create(&th[i], NULL, burst_thread, &args[i]))
			return 1;
	}
	for (int i = 0; i < ncpu; i++) {
		pthread_join(th[i], &ret);
		rc |= ret != NULL;
	}
	pthread_barrier_destroy(&go);
	return rc;
}

/* n short-lived workers, one at a time, forked from the last CPU to run
 * on the first, each one "fork_op": what a tracer learns of each (its
 * fork, its operation, its exit) lands in two per-CPU buffers. */
static int forks(long n)
{
	int list[64], ncpu = cpus(list, 64), status;
	cpu_set_t all, one;

	if (!ncpu || sched_getaffinity(0, sizeof(all), &all))
		return 1;
	CPU_ZERO(&one);
	CPU_SET(list[ncpu - 1], &one);
	sched_setaffinity(0, sizeof(one), &one);
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			CPU_ZERO(&one);
			CPU_SET(list[0], &one);
			sched_setaffinity(0, sizeof(one), &one);
			ETL_OP_START("fork_op");
			ETL_OP_END("fork_op");
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			return 1;
		starts++;
		ends++;
		ops++;
	}
	sched_setaffinity(0, sizeof(all), &all);
	return 0;
}

static pid_t spawned[4096];
static int nspawned;

static int execs(long k, const char *prog)
{
	int list[64], ncpu = cpus(list, 64);

	for (int i = 0; i < ncpu; i++)
		for (long j = 0; j < k && nspawned < 4096; j++) {
			int sync[2];
			char b;
			pid_t pid;

			if (pipe2(sync, O_CLOEXEC))
				return 1;
			pid = fork();
			if (pid < 0)
				return 1;
			if (pid == 0) {
				cpu_set_t set;

				CPU_ZERO(&set);
				CPU_SET(list[i], &set);
				sched_setaffinity(0, sizeof(set), &set);
				execl(prog, prog, (char *)NULL);
				_exit(127);
			}
			close(sync[1]);
			/* EOF once the child has exec'd (its copy closed on exec). */
			while (read(sync[0], &b, 1) > 0)
				;
			close(sync[0]);
			spawned[nspawned++] = pid;
		}
	printf("churn: spawned\n");
	fflush(stdout);
	return 0;
}

static int reap(void)
{
	int status, rc = 0;

	for (int i = 0; i < nspawned; i++)
		if (waitpid(spawned[i], &status, 0) != spawned[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			rc = 1;
	nspawned = 0;
	return rc;
}

static void truth(void)
{
	printf("churn: truth starts=%ld ends=%ld ops=%ld unfinished=%ld abandoned=%ld "
	       "overflow=%ld overflow_ends=%ld unmatched=%ld mismatch=%ld\n",
	       (long)starts, (long)ends, (long)ops, (long)unfinished, (long)abandoned,
	       (long)overflow, (long)overflow_ends, (long)unmatched, (long)mismatch);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	char line[16];
	int rc = 0;

	for (int i = 1; i < argc && !rc; i++) {
		const char *s = argv[i];
		long a = 0, b = 0;
		char prog[4096];

		if (!strcmp(s, "wait")) {
			printf("churn: waiting\n");
			fflush(stdout);
			if (!fgets(line, sizeof(line), stdin))
				return 3;
		} else if (sscanf(s, "mix:%ld:%ld", &a, &b) == 2) {
			rc = mix(a, b);
		} else if (sscanf(s, "burst_rt:%ld", &a) == 1) {
			rc = burst(a, 1);
		} else if (sscanf(s, "burst:%ld", &a) == 1) {
			rc = burst(a, 0);
		} else if (sscanf(s, "forks:%ld", &a) == 1) {
			rc = forks(a);
		} else if (sscanf(s, "execs:%ld:%4095s", &a, prog) == 2) {
			rc = execs(a, prog);
		} else if (!strcmp(s, "reap")) {
			rc = reap();
		} else if (!strcmp(s, "mark")) {
			ETL_OP_START("churn_mark");
			ETL_OP_END("churn_mark");
			starts++;
			ends++;
			ops++;
		} else if (!strcmp(s, "truth")) {
			truth();
		} else {
			fprintf(stderr, "churn: unknown step %s\n", s);
			return 2;
		}
	}
	if (rc)
		fprintf(stderr, "churn: a step failed (%d)\n", rc);
	return rc;
}
