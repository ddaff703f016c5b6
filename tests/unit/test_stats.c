// SPDX-License-Identifier: MIT
/*
 * test_stats.c - the per-operation statistics table (user/stats.c), its cap on
 * distinct names and the overflow entry, counts per duration bound, and
 * intervals derived from it (stats_since).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collect/histogram.h"
#include "collect/stats.h"

#define MS 1000000ull
#define MIB (1024ll * 1024)

static int setup(void **state)
{
	*state = stats_new(STATS_DEFAULT_MAX_OPERATIONS);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	stats_free(*state);
	return 0;
}

static void add(struct stats *st, const char *name, uint64_t ns, int64_t mem)
{
	struct op_sample s = { .duration_ns = ns, .mem_delta = mem, .mem_peak_delta = mem };

	assert_int_equal(stats_add(st, name, &s), 0);
}

static const struct op_stats *find(struct stats *st, const char *name)
{
	const struct op_stats *op = stats_find(st, name);

	assert_non_null(op);
	return op;
}

static void new_table_is_empty(void **state)
{
	struct stats *st = *state;
	struct stats_summary sum;

	assert_int_equal(stats_size(st), 0);
	assert_null(stats_find(st, "extract"));
	stats_summarize(st, &sum);
	assert_true(sum.total_time == 0.0);
	assert_int_equal(sum.total_operations, 0);
	assert_true(sum.avg_operation_time == 0.0);
	assert_int_equal(sum.unfinished, 0);
}

static void three_samples_give_count_total_min_max(void **state)
{
	struct stats *st = *state;
	const struct op_stats *op;

	add(st, "extract", 100 * MS, 0);
	add(st, "extract", 200 * MS, 0);
	add(st, "extract", 600 * MS, 0);
	op = find(st, "extract");
	assert_string_equal(op->name, "extract");
	assert_int_equal(op->count, 3);
	assert_int_equal(op->total_ns, 900 * MS);
	assert_int_equal(op->min_ns, 100 * MS);
	assert_int_equal(op->max_ns, 600 * MS);
	assert_int_equal(stats_size(st), 1);
}

static void min_and_max_are_right_when_the_first_sample_is_the_extreme(void **state)
{
	struct stats *st = *state;

	/* First sample largest: max must not stay at a zero-initialised min. */
	add(st, "a", 900 * MS, 0);
	add(st, "a", 200 * MS, 0);
	add(st, "a", 300 * MS, 0);
	assert_int_equal(find(st, "a")->min_ns, 200 * MS);
	assert_int_equal(find(st, "a")->max_ns, 900 * MS);
	/* First sample smallest: min must not stay at 0 from calloc. */
	add(st, "b", 500 * MS, 0);
	add(st, "b", 700 * MS, 0);
	assert_int_equal(find(st, "b")->min_ns, 500 * MS);
	assert_int_equal(find(st, "b")->max_ns, 700 * MS);
	/* A single sample is both. */
	add(st, "c", 42, 0);
	assert_int_equal(find(st, "c")->min_ns, 42);
	assert_int_equal(find(st, "c")->max_ns, 42);
}

static void memory_deltas_are_summed_and_max_kept(void **state)
{
	struct stats *st = *state;
	const struct op_stats *op;

	add(st, "load", MS, 1 * MIB);
	add(st, "load", MS, 3 * MIB);
	op = find(st, "load");
	assert_int_equal(op->sum_mem_delta, 4 * MIB); /* avg 2 MiB */
	assert_int_equal(op->max_mem_delta, 3 * MIB);
}

static void negative_memory_max_is_the_largest_negative_not_zero(void **state)
{
	struct stats *st = *state;
	struct op_sample s = { .duration_ns = MS, .mem_delta = -2 * MIB, .mem_peak_delta = -MIB };
	const struct op_stats *op;

	assert_int_equal(stats_add(st, "free", &s), 0);
	s.mem_delta = -1 * MIB;
	s.mem_peak_delta = 0;
	assert_int_equal(stats_add(st, "free", &s), 0);
	op = find(st, "free");
	assert_int_equal(op->sum_mem_delta, -3 * MIB);
	assert_int_equal(op->max_mem_delta, -1 * MIB);
	assert_int_equal(op->sum_peak_delta, -1 * MIB);
	assert_int_equal(op->max_peak_delta, 0);
}

static void peak_deltas_are_summed_and_max_kept(void **state)
{
	struct stats *st = *state;
	struct op_sample s = { .duration_ns = MS, .mem_delta = MIB, .mem_peak_delta = 5 * MIB };
	const struct op_stats *op;

	assert_int_equal(stats_add(st, "t", &s), 0);
	s.mem_peak_delta = 2 * MIB;
	assert_int_equal(stats_add(st, "t", &s), 0);
	op = find(st, "t");
	assert_int_equal(op->sum_peak_delta, 7 * MIB);
	assert_int_equal(op->max_peak_delta, 5 * MIB);
}

static void unfinished_samples_only_count_as_unfinished(void **state)
{
	struct stats *st = *state;
	struct op_sample s = {
		.duration_ns = 5000 * MS, .mem_delta = 9 * MIB, .mem_peak_delta = 9 * MIB,
		.cpu_ns = 7, .min_flt = 7, .records = 7, .depth = 9,
		.has_resources = true, .has_records = true, .unfinished = true,
	};
	const struct op_stats *op;

	assert_int_equal(stats_add(st, "open", &s), 0);
	op = find(st, "open");
	assert_int_equal(op->unfinished, 1);
	assert_int_equal(op->count, 0);
	assert_int_equal(op->total_ns, 0);
	assert_int_equal(op->sum_mem_delta, 0);
	assert_int_equal(op->cpu_ns, 0);
	assert_int_equal(op->min_flt, 0);
	assert_int_equal(op->records, 0);
	assert_int_equal(op->resource_samples, 0);
	assert_int_equal(op->record_samples, 0);
	assert_int_equal(op->max_depth, 0);
	assert_int_equal(histogram_count(&op->hist), 0);

	/* The first finished sample after it still sets min/max. */
	add(st, "open", 300 * MS, -MIB);
	op = find(st, "open");
	assert_int_equal(op->count, 1);
	assert_int_equal(op->unfinished, 1);
	assert_int_equal(op->min_ns, 300 * MS);
	assert_int_equal(op->max_ns, 300 * MS);
	assert_int_equal(op->max_mem_delta, -MIB);
	assert_int_equal(histogram_count(&op->hist), 1);
}

static void durations_feed_the_histogram(void **state)
{
	struct stats *st = *state;
	const struct op_stats *op;

	for (uint64_t i = 1; i <= 100; i++)
		add(st, "batch", i * MS, 0);
	op = find(st, "batch");
	assert_int_equal(histogram_count(&op->hist), 100);
	/* nearest rank: p50 = 50 ms, p99 = 99 ms, within 1% */
	assert_true(llabs((long long)histogram_percentile(&op->hist, 50) - (long long)(50 * MS)) <=
		    (long long)(50 * MS / 100));
	assert_true(llabs((long long)histogram_percentile(&op->hist, 99) - (long long)(99 * MS)) <=
		    (long long)(99 * MS / 100));
	assert_int_equal(histogram_percentile(&op->hist, 100), 100 * MS);
}

static void resources_are_summed_only_from_samples_that_have_them(void **state)
{
	struct stats *st = *state;
	struct op_sample with = {
		.duration_ns = 400 * MS, .cpu_ns = 100 * MS, .min_flt = 10, .maj_flt = 2,
		.read_bytes = 4096, .write_bytes = 512, .has_resources = true,
	};
	struct op_sample without = {
		.duration_ns = 600 * MS, .cpu_ns = 999, .min_flt = 999, .maj_flt = 999,
		.read_bytes = 999, .write_bytes = 999,
	};
	const struct op_stats *op;

	assert_int_equal(stats_add(st, "io", &with), 0);
	assert_int_equal(stats_add(st, "io", &without), 0);
	assert_int_equal(stats_add(st, "io", &with), 0);
	op = find(st, "io");
	assert_int_equal(op->count, 3);
	assert_int_equal(op->total_ns, 1400 * MS);
	assert_int_equal(op->resource_samples, 2);
	assert_int_equal(op->resource_ns, 800 * MS);
	assert_int_equal(op->cpu_ns, 200 * MS);
	assert_int_equal(op->min_flt, 20);
	assert_int_equal(op->maj_flt, 4);
	assert_int_equal(op->read_bytes, 8192);
	assert_int_equal(op->write_bytes, 1024);
}

static void records_are_summed_only_from_samples_that_carry_a_count(void **state)
{
	struct stats *st = *state;
	struct op_sample with = { .duration_ns = 250 * MS, .records = 1000, .has_records = true };
	struct op_sample without = { .duration_ns = 750 * MS, .records = 5555 };
	const struct op_stats *op;

	assert_int_equal(stats_add(st, "batch", &with), 0);
	assert_int_equal(stats_add(st, "batch", &without), 0);
	with.records = 500;
	assert_int_equal(stats_add(st, "batch", &with), 0);
	op = find(st, "batch");
	assert_int_equal(op->records, 1500);
	assert_int_equal(op->records_ns, 500 * MS);
	assert_int_equal(op->record_samples, 2);
	assert_int_equal(op->count, 3);
}

static void sums_saturate_instead_of_overflowing(void **state)
{
	struct stats *st = *state;
	struct op_sample up = { .duration_ns = UINT64_MAX - 1, .mem_delta = INT64_MAX - 1,
				.mem_peak_delta = INT64_MAX, .records = UINT64_MAX / 2 + 1,
				.has_records = true };
	struct op_sample down = { .duration_ns = 2, .mem_delta = INT64_MIN + 1,
				  .mem_peak_delta = INT64_MIN + 1 };
	struct stats_summary sum;
	const struct op_stats *op;

	assert_int_equal(stats_add(st, "up", &up), 0);
	assert_int_equal(stats_add(st, "up", &up), 0);
	op = find(st, "up");
	assert_true(op->total_ns == UINT64_MAX && op->records == UINT64_MAX &&
		    op->records_ns == UINT64_MAX);
	assert_true(op->sum_mem_delta == INT64_MAX && op->sum_peak_delta == INT64_MAX);
	assert_int_equal(stats_add(st, "down", &down), 0);
	assert_int_equal(stats_add(st, "down", &down), 0);
	op = find(st, "down");
	assert_true(op->sum_mem_delta == INT64_MIN && op->sum_peak_delta == INT64_MIN);
	assert_int_equal(op->total_ns, 4);
	/* and so does the summary's total over operations */
	stats_summarize(st, &sum);
	assert_true(sum.total_time == (double)UINT64_MAX / 1e9);
}

static void max_depth_is_the_deepest_finished_sample(void **state)
{
	struct stats *st = *state;
	struct op_sample s = { .duration_ns = MS, .depth = 2 };

	assert_int_equal(stats_add(st, "nested", &s), 0);
	s.depth = 5;
	assert_int_equal(stats_add(st, "nested", &s), 0);
	s.depth = 1;
	assert_int_equal(stats_add(st, "nested", &s), 0);
	assert_int_equal(find(st, "nested")->max_depth, 5);
}

static void names_are_copied_not_referenced(void **state)
{
	struct stats *st = *state;
	char buf[16];

	snprintf(buf, sizeof(buf), "first");
	add(st, buf, MS, 0);
	snprintf(buf, sizeof(buf), "second");
	add(st, buf, MS, 0);
	assert_int_equal(stats_size(st), 2);
	assert_int_equal(find(st, "first")->count, 1);
	assert_int_equal(find(st, "second")->count, 1);
}

static void names_are_matched_as_exact_bytes(void **state)
{
	struct stats *st = *state;

	add(st, "ab", 1, 0);
	add(st, "abc", 2, 0);
	add(st, "AB", 3, 0);
	add(st, "ab\xff", 4, 0);
	add(st, "", 5, 0);
	assert_int_equal(stats_size(st), 5);
	assert_int_equal(find(st, "ab")->total_ns, 1);
	assert_int_equal(find(st, "abc")->total_ns, 2);
	assert_int_equal(find(st, "AB")->total_ns, 3);
	assert_int_equal(find(st, "ab\xff")->total_ns, 4);
	assert_int_equal(find(st, "")->total_ns, 5);
	assert_null(stats_find(st, "a"));
}

static void table_grows_up_to_its_cap_and_keeps_every_name(void **state)
{
	enum { N = 20000 };
	struct stats *st = stats_new(N);
	char name[32];

	(void)state;
	assert_non_null(st);
	for (unsigned i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "op-%u", i);
		add(st, name, i + 1, 0);
		if (i % 3 == 0)
			add(st, name, i + 1, 0);
	}
	assert_int_equal(stats_size(st), N);
	assert_null(stats_other(st));
	assert_int_equal(stats_over_limit(st), 0);
	for (unsigned i = 0; i < N; i++) {
		const struct op_stats *op;

		snprintf(name, sizeof(name), "op-%u", i);
		op = find(st, name);
		assert_string_equal(op->name, name);
		assert_int_equal(op->count, i % 3 == 0 ? 2 : 1);
		assert_int_equal(op->total_ns, (uint64_t)(i + 1) * op->count);
	}
	stats_free(st);
}

static void names_beyond_the_cap_go_to_other_operations_and_are_counted(void **state)
{
	struct stats *st = stats_new(3);
	struct op_sample open = { .unfinished = true };
	const struct op_stats *other, *out[4];
	struct stats_summary sum;

	(void)state;
	add(st, "a", 100 * MS, 0);
	add(st, "b", 200 * MS, MIB);
	add(st, "c", 300 * MS, 0);
	assert_null(stats_other(st));
	add(st, "d", 400 * MS, 2 * MIB);
	add(st, "e", 500 * MS, -MIB);
	add(st, "d", 600 * MS, 0);
	assert_int_equal(stats_add(st, "f", &open), 0);
	add(st, "a", 700 * MS, 0); /* a name kept stays its own */
	assert_int_equal(stats_size(st), 4);
	assert_int_equal(stats_over_limit(st), 4);
	other = stats_other(st);
	assert_non_null(other);
	assert_ptr_equal(stats_find(st, STATS_OTHER_NAME), other);
	assert_string_equal(other->name, "[other operations]");
	assert_int_equal(other->count, 3);
	assert_int_equal(other->unfinished, 1);
	assert_int_equal(other->total_ns, 1500 * MS);
	assert_int_equal(other->min_ns, 400 * MS);
	assert_int_equal(other->max_ns, 600 * MS);
	assert_int_equal(other->sum_mem_delta, MIB);
	assert_int_equal(other->max_mem_delta, 2 * MIB);
	assert_int_equal(histogram_count(&other->hist), 3);
	assert_null(stats_find(st, "d"));
	assert_int_equal(find(st, "a")->count, 2);
	/* Nothing is lost: the summary counts every sample. */
	stats_summarize(st, &sum);
	assert_int_equal(sum.total_operations, 7);
	assert_float_equal(sum.total_time, 2.8, 1e-12);
	assert_int_equal(sum.unfinished, 1);
	assert_int_equal(stats_sorted(st, out), 4);
	assert_ptr_equal(out[0], other); /* by total time, like any operation */
	assert_string_equal(out[1]->name, "a");
	stats_free(st);
}

static void a_target_operation_named_like_the_overflow_stays_apart(void **state)
{
	struct stats *st = stats_new(1);
	const struct op_stats *own;

	(void)state;
	add(st, STATS_OTHER_NAME, 100 * MS, 0);
	add(st, "x", 200 * MS, 0);
	assert_int_equal(stats_size(st), 2);
	own = find(st, STATS_OTHER_NAME);
	assert_ptr_not_equal(own, stats_other(st));
	assert_int_equal(own->total_ns, 100 * MS);
	assert_int_equal(stats_other(st)->total_ns, 200 * MS);
	assert_int_equal(stats_over_limit(st), 1);
	stats_free(st);
}

static void a_cap_of_zero_keeps_one_name(void **state)
{
	struct stats *st = stats_new(0);

	(void)state;
	add(st, "a", 1, 0);
	add(st, "b", 2, 0);
	assert_int_equal(find(st, "a")->count, 1);
	assert_int_equal(stats_other(st)->count, 1);
	stats_free(st);
}

static void names_are_cut_at_63_bytes_as_bpf_cuts_them(void **state)
{
	struct stats *st = *state;
	char a[100], b[100];

	memset(a, 'n', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[80] = 'X'; /* differs after byte 63 only */
	add(st, a, 1, 0);
	add(st, b, 2, 0);
	assert_int_equal(stats_size(st), 1);
	assert_int_equal(strlen(find(st, a)->name), STATS_NAME_MAX);
	assert_int_equal(find(st, b)->count, 2);
	a[STATS_NAME_MAX] = '\0';
	assert_int_equal(find(st, a)->total_ns, 3);
}

static void sorted_is_by_total_time_descending_ties_by_name(void **state)
{
	struct stats *st = *state;
	const struct op_stats *out[5];

	add(st, "small", 100, 0);
	add(st, "big", 700, 0);
	add(st, "tie-b", 300, 0);
	add(st, "tie-a", 200, 0);
	add(st, "tie-a", 100, 0);
	add(st, "zero", 0, 0);
	assert_int_equal(stats_size(st), 5);
	assert_int_equal(stats_sorted(st, out), 5);
	assert_string_equal(out[0]->name, "big");
	assert_string_equal(out[1]->name, "tie-a");
	assert_string_equal(out[2]->name, "tie-b");
	assert_string_equal(out[3]->name, "small");
	assert_string_equal(out[4]->name, "zero");
}

static void summary_sums_totals_counts_and_unfinished(void **state)
{
	struct stats *st = *state;
	struct op_sample open = { .unfinished = true };
	struct stats_summary sum;

	add(st, "extract", 100 * MS, 0);
	add(st, "extract", 200 * MS, 0);
	add(st, "extract", 600 * MS, 0);
	add(st, "load", 300 * MS, 0);
	assert_int_equal(stats_add(st, "load", &open), 0);
	assert_int_equal(stats_add(st, "pending", &open), 0);
	stats_summarize(st, &sum);
	assert_float_equal(sum.total_time, 1.2, 1e-12);
	assert_int_equal(sum.total_operations, 4);
	assert_float_equal(sum.avg_operation_time, 0.3, 1e-12);
	assert_int_equal(sum.unfinished, 2);
}

static void add_rejects_null_arguments(void **state)
{
	struct stats *st = *state;
	struct op_sample s = { .duration_ns = 1 };

	assert_int_equal(stats_add(NULL, "x", &s), -EINVAL);
	assert_int_equal(stats_add(st, NULL, &s), -EINVAL);
	assert_int_equal(stats_add(st, "x", NULL), -EINVAL);
	assert_int_equal(stats_size(st), 0);
	assert_null(stats_find(st, NULL));
}

static void free_accepts_null(void **state)
{
	(void)state;
	stats_free(NULL);
}

/* --- intervals and bounds ----------------------------------------------- */

/* A sample varying with k: durations over many buckets, memory up and
 * down, depth, resources, records, some unfinished. */
static struct op_sample varied(unsigned k)
{
	return (struct op_sample){
		.duration_ns = (uint64_t)(k * 7919u % 1000u) * 100000u + k,
		.mem_delta = ((int64_t)(k % 9) - 4) * MIB,
		.mem_peak_delta = (int64_t)(k % 9) * MIB,
		.cpu_ns = (uint64_t)(k % 4) * 20 * MS, .min_flt = k, .maj_flt = k % 3,
		.read_bytes = k * 10, .write_bytes = k * 2, .records = k, .depth = k % 4,
		.has_resources = k % 2, .has_records = k % 3 == 0, .unfinished = k % 13 == 0,
	};
}

/* Same values (names aside: one may be the overflow entry). */
static void assert_op_equal(const struct op_stats *x, const struct op_stats *y)
{
	assert_non_null(x);
	assert_non_null(y);
	assert_int_equal(x->count, y->count);
	assert_int_equal(x->unfinished, y->unfinished);
	assert_int_equal(x->total_ns, y->total_ns);
	assert_int_equal(x->sum_mem_delta, y->sum_mem_delta);
	assert_int_equal(x->sum_peak_delta, y->sum_peak_delta);
	assert_int_equal(x->cpu_ns, y->cpu_ns);
	assert_int_equal(x->off_cpu_ns, y->off_cpu_ns);
	assert_int_equal(x->min_flt, y->min_flt);
	assert_int_equal(x->maj_flt, y->maj_flt);
	assert_int_equal(x->read_bytes, y->read_bytes);
	assert_int_equal(x->write_bytes, y->write_bytes);
	assert_int_equal(x->records, y->records);
	assert_int_equal(x->records_ns, y->records_ns);
	assert_int_equal(x->resource_samples, y->resource_samples);
	assert_int_equal(x->resource_ns, y->resource_ns);
	assert_int_equal(x->record_samples, y->record_samples);
	if (x->count) {
		assert_int_equal(x->min_ns, y->min_ns);
		assert_int_equal(x->max_ns, y->max_ns);
		assert_int_equal(x->max_mem_delta, y->max_mem_delta);
		assert_int_equal(x->max_peak_delta, y->max_peak_delta);
		assert_int_equal(x->max_depth, y->max_depth);
	}
	assert_int_equal(histogram_count(&x->hist), histogram_count(&y->hist));
	for (double p = 1; p <= 100; p += 1)
		assert_int_equal(histogram_percentile(&x->hist, p), histogram_percentile(&y->hist, p));
}

/* Intervals of a table with a cap (the overflow entry in play): each
 * stats_since equals a table fed only the interval's samples (with room
 * for every name: the name over the cap is compared with the overflow);
 * folded, the table equals one fed the same without windows, and so
 * does its clone. */
static void since_equals_a_table_fed_only_the_interval(void **state)
{
	static const char *const names[] = { "extract", "transform", "load", "index", "vacuum" };
	struct stats *all = stats_new(4), *plain = stats_new(4), *mark = NULL;
	unsigned k = 0;

	(void)state;
	assert_non_null(all);
	assert_non_null(plain);
	stats_window_start(all);
	for (int interval = 0; interval < 6; interval++) {
		struct stats *want = stats_new(5), *got;
		const struct op_stats *w;
		size_t cursor = 0;
		uint64_t over = 0;

		assert_non_null(want);
		/* Interval 3 is empty; names 4 and 5 come from interval 2. */
		for (int i = 0; interval != 3 && i < 50 + 40 * interval; i++, k++) {
			const char *name = names[(k * 3 + (unsigned)interval) % (interval < 2 ? 3 : 5)];
			struct op_sample s = varied(k);

			assert_int_equal(stats_add(all, name, &s), 0);
			assert_int_equal(stats_add(want, name, &s), 0);
			assert_int_equal(stats_add(plain, name, &s), 0);
		}
		got = stats_since(all, mark);
		assert_non_null(got);
		assert_int_equal(stats_size(got), stats_size(want));
		while ((w = stats_next(want, &cursor, NULL))) {
			if (stats_find(all, w->name)) {
				assert_string_equal(stats_find(got, w->name)->name, w->name);
				assert_op_equal(stats_find(got, w->name), w);
			} else {
				assert_op_equal(stats_other(got), w);
				over += w->count + w->unfinished;
			}
		}
		assert_int_equal(stats_over_limit(got), over);
		assert_true(interval < 2 || stats_over_limit(all) > 0);
		stats_free(got);
		stats_free(want);
		stats_free(mark);
		mark = stats_clone(all);
		assert_non_null(mark);
		cursor = 0;
		while ((w = stats_next(plain, &cursor, NULL))) {
			bool other = w == stats_other(plain);

			assert_op_equal(other ? stats_other(mark) : stats_find(mark, w->name), w);
			if (interval % 2) /* folded now and then: folding twice changes nothing */
				stats_fold(all);
			stats_fold(all);
			assert_op_equal(other ? stats_other(all) : stats_find(all, w->name), w);
		}
		stats_window_start(all);
	}
	stats_free(mark);
	stats_free(plain);
	stats_free(all);
}

static void durations_are_counted_per_bound(void **state)
{
	static const uint64_t b[] = { 10 * MS, 100 * MS };
	struct stats *st = *state;
	uint64_t ns[] = { 0, 10 * MS, 10 * MS + 1, 100 * MS, 100 * MS + 1, 5 * 1000 * MS };
	const struct op_stats *op;
	struct stats *c;

	assert_int_equal(stats_set_bounds(st, b, 2), 0);
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		add(st, "load", ns[i], 0);
	op = find(st, "load");
	assert_non_null(op->le_counts);
	assert_int_equal(op->le_counts[0], 2); /* <= 10 ms */
	assert_int_equal(op->le_counts[1], 2); /* <= 100 ms */
	assert_int_equal(op->count, 6);        /* two above every bound */
	c = stats_clone(st);
	assert_non_null(c);
	assert_int_equal(find(c, "load")->le_counts[1], 2);
	add(c, "load", 1, 0);
	assert_int_equal(find(c, "load")->le_counts[0], 3);
	assert_int_equal(op->le_counts[0], 2);
	stats_free(c);
	assert_int_equal(stats_set_bounds(st, b, STATS_MAX_BOUNDS + 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(new_table_is_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(durations_feed_the_histogram, setup, teardown),
		cmocka_unit_test_setup_teardown(three_samples_give_count_total_min_max, setup, teardown),
		cmocka_unit_test_setup_teardown(min_and_max_are_right_when_the_first_sample_is_the_extreme,
						setup, teardown),
		cmocka_unit_test_setup_teardown(memory_deltas_are_summed_and_max_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(negative_memory_max_is_the_largest_negative_not_zero,
						setup, teardown),
		cmocka_unit_test_setup_teardown(peak_deltas_are_summed_and_max_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(unfinished_samples_only_count_as_unfinished, setup,
						teardown),
		cmocka_unit_test_setup_teardown(resources_are_summed_only_from_samples_that_have_them,
						setup, teardown),
		cmocka_unit_test_setup_teardown(records_are_summed_only_from_samples_that_carry_a_count,
						setup, teardown),
		cmocka_unit_test_setup_teardown(sums_saturate_instead_of_overflowing, setup, teardown),
		cmocka_unit_test_setup_teardown(max_depth_is_the_deepest_finished_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(names_are_copied_not_referenced, setup, teardown),
		cmocka_unit_test_setup_teardown(names_are_matched_as_exact_bytes, setup, teardown),
		cmocka_unit_test(table_grows_up_to_its_cap_and_keeps_every_name),
		cmocka_unit_test(names_beyond_the_cap_go_to_other_operations_and_are_counted),
		cmocka_unit_test(a_target_operation_named_like_the_overflow_stays_apart),
		cmocka_unit_test(a_cap_of_zero_keeps_one_name),
		cmocka_unit_test_setup_teardown(names_are_cut_at_63_bytes_as_bpf_cuts_them, setup,
						teardown),
		cmocka_unit_test_setup_teardown(sorted_is_by_total_time_descending_ties_by_name, setup,
						teardown),
		cmocka_unit_test_setup_teardown(summary_sums_totals_counts_and_unfinished, setup, teardown),
		cmocka_unit_test_setup_teardown(add_rejects_null_arguments, setup, teardown),
		cmocka_unit_test(free_accepts_null),
		cmocka_unit_test(since_equals_a_table_fed_only_the_interval),
		cmocka_unit_test_setup_teardown(durations_are_counted_per_bound, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
