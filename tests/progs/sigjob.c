// SPDX-License-Identifier: MIT
/*
 * sigjob.c - a marked job that says what signals did to it, for the tests
 * of signals passed through `etltrace -- CMD`. It reports on stderr (under
 * etltrace, the tracer's stderr, which the tests read).
 *
 *   sigjob default      "sig_op" (1 ms) in a loop, signal dispositions as
 *                       inherited: INT and TERM kill it
 *   sigjob handle       the same loop with handlers for INT and TERM: the
 *                       operation in progress ends, it prints "sigjob: ops=N"
 *                       (operations ended), then exits 100 + signal
 *   sigjob wait CODE    5 x "sig_op", then reads a line on stdin and exits
 *                       CODE; INT and TERM handled as above
 *   sigjob ignored      one "sig_op"; prints "sigjob: ignored:" and the
 *                       numbers of the signals it started with ignored
 *
 * Each prints "sigjob: ready" on stderr after its first operation, and
 * fails (exit 90) if it starts with INT or TERM blocked or ignored: it
 * could then never receive them.
 */
#include <etl_probe.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static long ops; /* operations ended */

static void on_signal(int sig)
{
	got = sig;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR && !got)
		;
}

static void one_op(void)
{
	ETL_OP_START("sig_op");
	sleep_ms(1);
	ETL_OP_END("sig_op");
	ops++;
}

/* INT and TERM must reach the job as they would without etltrace. */
static int check_inherited(void)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct sigaction sa;
	sigset_t mask;

	sigprocmask(SIG_SETMASK, NULL, &mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], NULL, &sa);
		if (sigismember(&mask, sigs[i]) || sa.sa_handler == SIG_IGN) {
			fprintf(stderr, "sigjob: signal %d is %s at start\n", sigs[i],
				sigismember(&mask, sigs[i]) ? "blocked" : "ignored");
			return -1;
		}
	}
	return 0;
}

static void handle(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void ready(void)
{
	fprintf(stderr, "sigjob: ready\n");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	char line[16];

	if (check_inherited())
		return 90;
	if (!strcmp(mode, "default") || !strcmp(mode, "handle")) {
		if (!strcmp(mode, "handle"))
			handle();
		one_op();
		ready();
		while (!got)
			one_op();
		fprintf(stderr, "sigjob: ops=%ld\n", ops);
		return 100 + got;
	}
	if (!strcmp(mode, "wait") && argc > 2) {
		handle();
		for (int i = 0; i < 5; i++)
			one_op();
		ready();
		if (!fgets(line, sizeof(line), stdin) && got)
			return 100 + got;
		return got ? 100 + got : atoi(argv[2]);
	}
	if (!strcmp(mode, "ignored")) {
		one_op();
		fprintf(stderr, "sigjob: ignored:");
		for (int sig = 1; sig < NSIG; sig++) {
			struct sigaction sa;

			if (!sigaction(sig, NULL, &sa) && sa.sa_handler == SIG_IGN)
				fprintf(stderr, " %d", sig);
		}
		fprintf(stderr, "\n");
		return 0;
	}
	fprintf(stderr, "usage: sigjob default|handle|wait CODE|ignored\n");
	return 2;
}
