// SPDX-License-Identifier: MIT
/*
 * test_reaper.c - links closed off the run loop (user/kernel/reaper.c):
 * everything handed over is closed by the time reaper_drain returns, the
 * caller's set is emptied at once, and without a reaper links close at once.
 * Pipes stand in for link fds: closing is all the reaper does with them,
 * and a write to the other end says whether a read end is closed (fd
 * numbers are reused as the reaper frees them).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel/reaper.h"

enum { N = 100 };

/* Whether the read end of the pipe whose write end is w is still open. */
static bool reader_open(int w)
{
	return write(w, "x", 1) == 1 || errno != EPIPE;
}

/* A set of n links on fresh pipe ends (the other ends in others). */
static struct links pipes(int n, int *fds, int *others)
{
	struct links l = { .v = calloc((size_t)n, sizeof(struct link)), .n = (size_t)n,
			   .cap = (size_t)n };

	assert_non_null(l.v);
	for (int i = 0; i < n; i++) {
		int p[2];

		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		l.v[i].fd = fds[i] = p[0];
		others[i] = p[1];
	}
	return l;
}

static void handed_over_links_are_closed_by_drain(void **state)
{
	int fds[N], others[N];
	struct reaper *r;

	(void)state;
	assert_int_equal(reaper_start(&r), 0);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N; i += 10) {
			struct links l = pipes(10, fds + i, others + i);

			reaper_add(r, &l);
			assert_int_equal(l.n, 0);
			assert_null(l.v);
		}
		reaper_drain(r);
		for (int i = 0; i < N; i++) {
			assert_false(reader_open(others[i]));
			close(others[i]);
		}
	}
	reaper_stop(r);
}

static void stop_closes_what_is_still_queued(void **state)
{
	int fds[N], others[N];
	struct reaper *r;
	struct links l;

	(void)state;
	assert_int_equal(reaper_start(&r), 0);
	l = pipes(N, fds, others);
	reaper_add(r, &l);
	reaper_stop(r);
	for (int i = 0; i < N; i++) {
		assert_false(reader_open(others[i]));
		close(others[i]);
	}
}

static void without_a_reaper_links_close_at_once(void **state)
{
	int fds[3], others[3];
	struct links l = pipes(3, fds, others);

	(void)state;
	reaper_add(NULL, &l);
	assert_int_equal(l.n, 0);
	for (int i = 0; i < 3; i++) {
		assert_false(reader_open(others[i]));
		close(others[i]);
	}
	reaper_drain(NULL);
	reaper_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handed_over_links_are_closed_by_drain),
		cmocka_unit_test(stop_closes_what_is_still_queued),
		cmocka_unit_test(without_a_reaper_links_close_at_once),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("reaper", tests, NULL, NULL);
}
