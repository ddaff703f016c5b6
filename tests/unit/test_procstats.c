// SPDX-License-Identifier: MIT
/*
 * test_procstats.c - statistics per process (user/collect/procstats.c): a
 * lone process shares the aggregate table, a second one gives the first its
 * own copy, counts stay exact either way; stats_clone copies deeply; the
 * Prometheus series derived from the sections equal series counted per
 * sample, whatever happens to the sections.
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
#include "collect/series.h"
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
	f->ps = procstats_new(f->procs, f->all, NULL, 4, 100);
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

/* --- series derived from the sections --------------------------------- */

static const uint64_t bounds[] = { 1 * MS, 10 * MS, 100 * MS };

struct derived {
	struct procs *procs;
	struct stats *all;
	struct series_set *set, *ref; /* derived; counted per sample */
	struct procstats *ps;
	unsigned seq;
};

/* A sample that varies with d->seq: durations over every bucket and past
 * the last, memory up and down, resources and records on some, a few
 * unfinished. */
static void feed_varied(struct derived *d, pid_t pid, const char *name)
{
	unsigned k = d->seq++;
	struct op_sample s = {
		.duration_ns = (uint64_t)(k % 7) * 30 * MS + k,
		.mem_delta = (int64_t)(k % 5) * 4096 - 8192,
		.mem_peak_delta = (int64_t)(k % 5) * 4096,
		.cpu_ns = (uint64_t)(k % 3) * 70 * MS,
		.min_flt = k, .maj_flt = k % 2, .read_bytes = 10 * k, .write_bytes = 3 * k,
		.records = k, .has_resources = k % 2, .has_records = k % 3 == 0,
		.unfinished = k % 11 == 0,
	};
	struct op_event ev = { .name = name, .name_hash = stats_hash(name), .s = &s,
			       .proc = procs_find(d->procs, pid, 0), .tgid = (uint32_t)pid };

	procstats_sink(d->ps, &ev);
	assert_int_equal(stats_add_hashed(d->all, name, ev.name_hash, &s), 0);
	series_sink(d->ref, &ev);
}

static const struct series *find_series(const struct series_set *set, const char *command,
					const char *name)
{
	for (size_t i = 0; i < series_count(set); i++) {
		const struct series *s = series_at(set, i);

		if (!strcmp(s->command, command) && !strcmp(s->name, name))
			return s;
	}
	return NULL;
}

/* Every series counted per sample equals the derived one, field by field,
 * and no other derived series has a sample. */
static void assert_derived_equal(struct derived *d)
{
	size_t nonzero = 0;

	procstats_series(d->ps);
	for (size_t i = 0; i < series_count(d->ref); i++) {
		const struct series *r = series_at(d->ref, i);
		const struct series *x = find_series(d->set, r->command, r->name);

		assert_non_null(x);
		assert_int_equal(x->count, r->count);
		assert_int_equal(x->unfinished, r->unfinished);
		assert_int_equal(x->sum_ns, r->sum_ns);
		for (size_t b = 0; b < 3; b++)
			assert_int_equal(x->buckets[b], r->buckets[b]);
		assert_int_equal(x->mem_sum, r->mem_sum);
		assert_int_equal(x->peak_sum, r->peak_sum);
		assert_int_equal(x->cpu_ns, r->cpu_ns);
		assert_int_equal(x->off_cpu_ns, r->off_cpu_ns);
		assert_int_equal(x->min_flt, r->min_flt);
		assert_int_equal(x->maj_flt, r->maj_flt);
		assert_int_equal(x->read_bytes, r->read_bytes);
		assert_int_equal(x->write_bytes, r->write_bytes);
		assert_int_equal(x->records, r->records);
	}
	for (size_t i = 0; i < series_count(d->set); i++)
		nonzero += series_at(d->set, i)->count + series_at(d->set, i)->unfinished > 0;
	assert_int_equal(nonzero, series_count(d->ref));
	assert_int_equal(series_over_limit(d->set), 0);
}

static void run_ops(struct derived *d, pid_t pid, int n)
{
	static const char *const names[] = { "extract", "transform", "load" };

	for (int i = 0; i < n; i++)
		feed_varied(d, pid, names[(d->seq + (unsigned)pid) % 3]);
}

static struct process *add_proc(struct derived *d, pid_t pid, const char *comm)
{
	struct process *p = procs_add(d->procs, pid, 0);

	assert_non_null(p);
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	return p;
}

static void series_are_derived_exactly(void **state)
{
	struct derived d = { 0 };
	struct process *p;

	(void)state;
	d.procs = procs_new();
	d.all = stats_new(100);
	d.set = series_new(100, bounds, 3);
	d.ref = series_new(100, bounds, 3);
	assert_true(d.procs && d.all && d.set && d.ref);
	assert_int_equal(stats_set_bounds(d.all, bounds, 3), 0);
	d.ps = procstats_new(d.procs, d.all, d.set, 4, 100);
	assert_non_null(d.ps);

	/* Alone (its section is the aggregate), renamed by an exec. */
	p = add_proc(&d, 100, "a");
	run_ops(&d, 100, 40);
	assert_derived_equal(&d);
	snprintf(p->comm, sizeof(p->comm), "a2");
	run_ops(&d, 100, 30);
	assert_derived_equal(&d);

	/* Three more, two of one command: every section is taken. */
	add_proc(&d, 101, "b");
	add_proc(&d, 102, "a2");
	add_proc(&d, 103, "c");
	for (pid_t pid = 100; pid <= 103; pid++)
		run_ops(&d, pid, 25);
	assert_derived_equal(&d);

	/* A fifth finds no room: its samples are retired one by one. */
	add_proc(&d, 104, "b");
	run_ops(&d, 104, 20);
	assert_derived_equal(&d);
	assert_int_equal(procstats_dropped(d.ps), 1);

	/* The first exits; once its records are read, a sixth takes its
	 * section and the first's statistics are retired. */
	procs_exited(d.procs, procs_find(d.procs, 100, 0), 1);
	procs_settle(d.procs);
	procs_settle(d.procs);
	add_proc(&d, 105, "d");
	run_ops(&d, 105, 20);
	assert_int_equal(procstats_count(d.ps), 4);
	assert_derived_equal(&d);

	/* One with a section of its own is renamed, twice. */
	p = procs_find(d.procs, 101, 0);
	snprintf(p->comm, sizeof(p->comm), "e");
	run_ops(&d, 101, 15);
	snprintf(p->comm, sizeof(p->comm), "b");
	run_ops(&d, 101, 15);
	for (pid_t pid = 101; pid <= 105; pid++)
		run_ops(&d, pid, 10);
	assert_derived_equal(&d);
	assert_int_equal(procstats_error(d.ps), 0);

	procstats_free(d.ps);
	series_free(d.set);
	series_free(d.ref);
	stats_free(d.all);
	procs_free(d.procs);
}

/* Past the series bound, the samples of a section's operations without a
 * series are counted, as of the last derivation, and still counted once
 * the section is retired: no count goes back. */
static void series_past_the_bound_are_counted(void **state)
{
	struct procs *procs = procs_new();
	struct stats *all = stats_new(100);
	struct series_set *set = series_new(2, bounds, 3);
	struct procstats *ps;
	struct op_sample s = { .duration_ns = 5 * MS };
	const char *names[] = { "a", "b", "c", "c", "c" };
	uint64_t over, sum;

	(void)state;
	assert_true(procs && all && set);
	assert_int_equal(stats_set_bounds(all, bounds, 3), 0);
	ps = procstats_new(procs, all, set, 1, 100);
	assert_non_null(ps);
	assert_non_null(procs_add(procs, 100, 0));
	for (size_t i = 0; i < 5; i++) {
		struct op_event ev = { .name = names[i], .name_hash = stats_hash(names[i]), .s = &s,
				       .proc = procs_find(procs, 100, 0), .tgid = 100 };

		procstats_sink(ps, &ev);
		assert_int_equal(stats_add_hashed(all, names[i], ev.name_hash, &s), 0);
	}
	procstats_series(ps);
	assert_int_equal(series_count(set), 2);
	/* Which two names got a series is the table's order: every sample is
	 * in one or counted over the bound. */
	over = series_over_limit(set);
	sum = series_at(set, 0)->count + series_at(set, 1)->count;
	assert_int_equal(over + sum, 5);
	assert_true(over == 1 || over == 3);
	/* The process exits and a second one takes its only section: the
	 * first's statistics are retired, "c" still without a series. */
	procs_exited(procs, procs_find(procs, 100, 0), 1);
	procs_settle(procs);
	procs_settle(procs);
	assert_non_null(procs_add(procs, 200, 0));
	{
		struct op_event ev = { .name = "a", .name_hash = stats_hash("a"), .s = &s,
				       .proc = procs_find(procs, 200, 0), .tgid = 200 };

		procstats_sink(ps, &ev);
	}
	/* Its section is its own, not the aggregate that holds the first's. */
	assert_int_equal(procstats_count(ps), 1);
	assert_ptr_not_equal(procstats_at(ps, 0)->stats, all);
	assert_int_equal(count_of(procstats_at(ps, 0)->stats, "a"), 1);
	procstats_series(ps);
	assert_true(series_over_limit(set) >= over);
	assert_true(series_at(set, 0)->count + series_at(set, 1)->count >= sum);
	assert_int_equal(series_over_limit(set) + series_at(set, 0)->count +
			 series_at(set, 1)->count, 6);
	procstats_free(ps);
	series_free(set);
	stats_free(all);
	procs_free(procs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lone_process_shares_the_aggregate, setup, teardown),
		cmocka_unit_test_setup_teardown(second_process_splits_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(clone_is_deep, setup, teardown),
		cmocka_unit_test(series_are_derived_exactly),
		cmocka_unit_test(series_past_the_bound_are_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
