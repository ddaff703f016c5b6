// SPDX-License-Identifier: MIT
/*
 * family.c - a marked program with worker processes, for the tests of
 * children followed (or not) by etltrace.
 *
 *   family [-g] [-s] [-c] FORKS EXECS OPS PROG ARGS...
 *
 *   -g     print "family: ready" on stdout, wait for a line on stdin
 *   -s     once every worker has run (forked ones exited, exec'd ones past
 *          their exec: stopped there if a tracer holds them), print
 *          "family: spawned" and wait for a line on stdin before waiting
 *          for the exec'd ones
 *   -c     the parent runs on the last CPU it may use, the workers on the
 *          first: what the parent's CPU records (the fork) and what the
 *          workers' CPU records (their operations, their exec) land in
 *          different per-CPU buffers of a tracer
 *
 * OPS x "parent_op"; then, inside "spawn_op", FORKS workers that fork
 * without exec and run OPS x "child_op" each, and EXECS workers that fork
 * and exec PROG ARGS (a path: another marked program), and waits for them;
 * then OPS x "parent_op" again. Exits 0 if every worker exited 0, else 1.
 */
#define _GNU_SOURCE
#include <etl_probe.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void parent_ops(long n)
{
	for (long i = 0; i < n; i++) {
		ETL_OP_START("parent_op");
		ETL_OP_END("parent_op");
	}
}

static void wait_line(const char *say)
{
	char buf[16];

	printf("family: %s\n", say);
	fflush(stdout);
	if (!fgets(buf, sizeof(buf), stdin))
		exit(3);
}

/* The first or last CPU this process may use, or -1. */
static int cpu_at(int first)
{
	cpu_set_t set;
	int cpu = -1;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set)) {
			cpu = c;
			if (first)
				break;
		}
	return cpu;
}

static void pin(int cpu)
{
	cpu_set_t one;

	if (cpu < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

static int ok(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
	int status, rc = 0, i = 1, sync = 0, cross = 0, first = cpu_at(1), last = cpu_at(0);
	long forks, execs, ops, nexec = 0;
	pid_t pids[256];

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-g"))
			wait_line("ready");
		else if (!strcmp(argv[i], "-s"))
			sync = 1;
		else if (!strcmp(argv[i], "-c"))
			cross = 1;
	}
	if (argc - i < 4) {
		fprintf(stderr, "usage: family [-g] [-s] [-c] FORKS EXECS OPS PROG ARGS...\n");
		return 2;
	}
	forks = atol(argv[i]);
	execs = atol(argv[i + 1]);
	ops = atol(argv[i + 2]);
	if (forks + execs > 256)
		return 2;
	if (cross)
		pin(last);
	parent_ops(ops);
	ETL_OP_START("spawn_op");
	for (long k = 0; k < forks + execs; k++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			if (cross)
				pin(first);
			if (k < forks) {
				/* The open spawn_op is the parent's: never ended here. */
				for (long j = 0; j < ops; j++) {
					ETL_OP_START("child_op");
					ETL_OP_END("child_op");
				}
				_exit(0);
			}
			execv(argv[i + 3], argv + i + 3);
			_exit(127);
		}
		if (k < forks) {
			if (waitpid(pid, &status, 0) != pid || !ok(status))
				rc = 1;
			continue;
		}
		/* Past its exec: stopped there by a tracer, or already done. */
		if (waitpid(pid, &status, WUNTRACED) != pid)
			return 1;
		if (WIFSTOPPED(status))
			pids[nexec++] = pid;
		else if (!ok(status))
			rc = 1;
	}
	if (sync)
		wait_line("spawned");
	for (long k = 0; k < nexec; k++)
		if (waitpid(pids[k], &status, 0) != pids[k] || !ok(status))
			rc = 1;
	ETL_OP_END("spawn_op");
	parent_ops(ops);
	return rc;
}
