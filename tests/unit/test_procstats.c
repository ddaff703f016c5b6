// SPDX-License-Identifier: MIT
/*
 * test_procstats.c - statistics per process (user/collect/procstats.c): a
 * lone process shares the aggregate table, a second one gives the first its
 * own copy, counts stay exact either way; stats_clone copies deeply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collect/histogram.h"
#include "collect/procstats.h"
#include "collect/stats.h"

#define MS 1000000ull

struct fixture {
	struct procs *procs;
	struct stats *all;
	struct procstats *ps;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->procs = procs_new();
	f->all = stats_new(100);
	f->ps = procstats_new(f->procs, f->all, 4, 100);
	*state = f;
	return f->procs && f->all && f->ps ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	procstats_free(f->ps);
	stats_free(f->all);
	procs_free(f->procs);
	free(f);
	return 0;
}

/* One sample as the run's sinks see it: procstats first, then the aggregate. */
static void feed(struct fixture *f, pid_t pid, const char *name, uint64_t ns)
{
	struct op_sample s = { .duration_ns = ns };
	struct op_event ev = { .name = name, .name_hash = stats_hash(name), .s = &s,
			       .proc = procs_find(f->procs, pid, 0), .tgid = (uint32_t)pid };

	procstats_sink(f->ps, &ev);
	assert_int_equal(stats_add_hashed(f->all, name, ev.name_hash, &s), 0);
}

static uint64_t count_of(const struct stats *st, const char *name)
{
	const struct op_stats *op = stats_find(st, name);

	return op ? op->count : 0;
}

static void lone_process_shares_the_aggregate(void **state)
{
	struct fixture *f = *state;

	assert_non_null(procs_add(f->procs, 100, 0));
	for (int i = 0; i < 5; i++)
		feed(f, 100, "extract", 10 * MS);
	assert_int_equal(procstats_count(f->ps), 1);
	assert_ptr_equal(procstats_at(f->ps, 0)->stats, f->all);
	assert_int_equal(count_of(procstats_at(f->ps, 0)->stats, "extract"), 5);
	assert_int_equal(procstats_error(f->ps), 0);
}

static void second_process_splits_exactly(void **state)
{
	struct fixture *f = *state;
	const struct stats *first, *second;

	assert_non_null(procs_add(f->procs, 100, 0));
	assert_non_null(procs_add(f->procs, 200, 0));
	for (int i = 0; i < 3; i++)
		feed(f, 100, "extract", 10 * MS);
	feed(f, 100, "load", 30 * MS);
	for (int i = 0; i < 2; i++)
		feed(f, 200, "extract", 20 * MS);
	feed(f, 100, "extract", 10 * MS);

	assert_int_equal(procstats_count(f->ps), 2);
	first = procstats_at(f->ps, 0)->stats;
	second = procstats_at(f->ps, 1)->stats;
	assert_ptr_not_equal(first, f->all);
	assert_int_equal(count_of(first, "extract"), 4);
	assert_int_equal(count_of(first, "load"), 1);
	assert_int_equal(count_of(second, "extract"), 2);
	assert_int_equal(count_of(second, "load"), 0);
	assert_int_equal(count_of(f->all, "extract"), 6);
	assert_int_equal(stats_find(first, "extract")->total_ns, 40 * MS);
	assert_int_equal(histogram_count(&stats_find(first, "extract")->hist), 4);
	assert_int_equal(stats_find(second, "extract")->min_ns, 20 * MS);
	assert_int_equal(procstats_dropped(f->ps), 0);
}

static void clone_is_deep(void **state)
{
	struct fixture *f = *state;
	struct op_sample s = { .duration_ns = 7 * MS };
	struct stats *c;

	for (int i = 0; i < 40; i++) { /* grows the slot array past its first size */
		char name[16];

		snprintf(name, sizeof(name), "op%d", i);
		assert_int_equal(stats_add(f->all, name, &s), 0);
	}
	c = stats_clone(f->all);
	assert_non_null(c);
	assert_int_equal(stats_size(c), 40);
	assert_int_equal(stats_add(f->all, "op1", &s), 0);
	assert_int_equal(count_of(c, "op1"), 1);
	assert_int_equal(count_of(f->all, "op1"), 2);
	assert_int_equal(histogram_percentile(&stats_find(c, "op39")->hist, 50),
			 histogram_percentile(&stats_find(f->all, "op39")->hist, 50));
	assert_int_equal(stats_add(c, "new", &s), 0);
	assert_null(stats_find(f->all, "new"));
	stats_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lone_process_shares_the_aggregate, setup, teardown),
		cmocka_unit_test_setup_teardown(second_process_splits_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(clone_is_deep, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
