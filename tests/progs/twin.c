// SPDX-License-Identifier: MIT
/*
 * twin.c - one marked program built as twins whose operation names sit at
 * the same addresses but say different things: TWIN is "alpha" in twin_a
 * and "bravo" in twin_b (names of equal length, code identical, no PIE, so
 * every literal has the same address in both). twin_static is twin_a
 * linked statically, to run alone in a bare root directory.
 *
 *   twin [-g] [-s MS] [-r NEW OLD] [-x CODE] N [PROG ARGS...]
 *
 *   -g          print "twin: ready" on stdout, wait for a line on stdin
 *   -s MS       each operation sleeps MS ms (default: none); then prints
 *               "twin: slept min_ns=A max_ns=B", the shortest and longest
 *               sleep as the program itself measured them inside the markers
 *   -r NEW OLD  after the operations, rename NEW over OLD (a deploy
 *               replacing this very executable) and exit at once
 *   -x CODE     exit with CODE (default 0)
 *   N           N x "TWIN_work" (or "TWIN_sleep" with -s)
 *   PROG ARGS   after the operations, exec PROG (execv: a path)
 *
 *   twin --where   prints the address of the "TWIN_work" literal, whether
 *                  the executable is position-dependent ("fixed") and the name
 */
#include <etl_probe.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef TWIN
#define TWIN "twin0" /* the plain build; the tests use twin_a and twin_b */
#endif

#define WORK_NAME TWIN "_work"
#define SLEEP_NAME TWIN "_sleep"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void gate(void)
{
	char buf[16];

	printf("twin: ready\n");
	fflush(stdout);
	if (!fgets(buf, sizeof(buf), stdin))
		exit(3);
}

int main(int argc, char **argv)
{
	const char *new_path = NULL, *old_path = NULL;
	int64_t slept_min = 0, slept_max = 0;
	long ms = -1, n, code = 0;
	int i = 1;

	if (argc == 2 && !strcmp(argv[1], "--where")) {
		/* main's address tells position-dependent code apart. */
		printf("%p %s %s\n", (const void *)WORK_NAME,
		       (unsigned long)(void *)main < 0x1000000ul ? "fixed" : "relocated", WORK_NAME);
		return 0;
	}
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-g"))
			gate();
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			ms = atol(argv[++i]);
		else if (!strcmp(argv[i], "-x") && i + 1 < argc)
			code = atol(argv[++i]);
		else if (!strcmp(argv[i], "-r") && i + 2 < argc) {
			new_path = argv[++i];
			old_path = argv[++i];
		} else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: twin [-g] [-s MS] [-r NEW OLD] [-x CODE] N [PROG ARGS...]\n");
		return 2;
	}
	n = atol(argv[i++]);
	for (long k = 0; k < n; k++) {
		if (ms >= 0) {
			int64_t t0, t1;

			ETL_OP_START(SLEEP_NAME);
			t0 = now_ns();
			sleep_ms(ms);
			t1 = now_ns();
			ETL_OP_END(SLEEP_NAME);
			if (!k || t1 - t0 < slept_min)
				slept_min = t1 - t0;
			if (!k || t1 - t0 > slept_max)
				slept_max = t1 - t0;
		} else {
			ETL_OP_START(WORK_NAME);
			ETL_OP_END(WORK_NAME);
		}
	}
	if (ms >= 0 && n > 0) {
		printf("twin: slept min_ns=%lld max_ns=%lld\n", (long long)slept_min,
		       (long long)slept_max);
		fflush(stdout);
	}
	if (new_path && rename(new_path, old_path)) {
		perror("twin: rename");
		return 4;
	}
	if (i < argc) {
		fflush(stdout);
		execv(argv[i], argv + i);
		perror("twin: exec");
		return 127;
	}
	return (int)code;
}
