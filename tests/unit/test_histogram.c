// SPDX-License-Identifier: MIT
/*
 * test_histogram.c - the log-linear histogram (user/histogram.c): percentiles
 * against exact nearest-rank percentiles of known inputs, the stated 1%
 * relative error, the exported buckets, and bounded memory.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collect/histogram.h"

static const double percentiles[] = { 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100 };

/* A histogram on the heap, as struct op_stats embeds one. */
static struct histogram *new_hist(void)
{
	struct histogram *h = malloc(sizeof(*h));

	assert_non_null(h);
	histogram_init(h);
	return h;
}

static void free_hist(struct histogram *h)
{
	histogram_release(h);
	free(h);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The exact nearest-rank percentile of sorted v[0..n-1]: the value of rank
 * ceil(p/100 * n), at least 1. Integer arithmetic on p in thousandths. */
static uint64_t exact(const uint64_t *sorted, size_t n, double p)
{
	uint64_t milli = (uint64_t)llround(p * 1000), rank = (milli * n + 99999) / 100000;

	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

/* Adds v[0..n-1], then checks every percentile against the exact one:
 * within 1/128 (the design bound), hence within the stated 1%. */
static void check_against_exact(uint64_t *v, size_t n)
{
	struct histogram *h = new_hist();

	assert_non_null(h);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(histogram_add(h, v[i]), 0);
	assert_int_equal(histogram_count(h), n);
	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < sizeof(percentiles) / sizeof(percentiles[0]); i++) {
		double p = percentiles[i];
		uint64_t want = exact(v, n, p), got = histogram_percentile(h, p);
		double err = fabs((double)got - (double)want);

		if (err > (double)want / 128.0 || err > (double)want * 0.01)
			fail_msg("p%g of %zu values: got %llu, exact %llu", p, n,
				 (unsigned long long)got, (unsigned long long)want);
	}
	free_hist(h);
}

/* A small deterministic generator (xorshift64*), so inputs are known. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void uniform_1_to_10000_is_within_1_percent(void **state)
{
	uint64_t *v = malloc(10000 * sizeof(*v));

	(void)state;
	assert_non_null(v);
	for (size_t i = 0; i < 10000; i++)
		v[i] = 10000 - i; /* added in descending order */
	check_against_exact(v, 10000);
	free(v);
}

static void durations_spanning_ns_to_hours_are_within_1_percent(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull, *v = malloc(50000 * sizeof(*v));

	(void)state;
	assert_non_null(v);
	for (size_t i = 0; i < 50000; i++) /* log-uniform over 2^0 .. 2^42 ns */
		v[i] = next_rand(&seed) >> (22 + next_rand(&seed) % 42);
	check_against_exact(v, 50000);
	free(v);
}

static void a_skewed_latency_mix_is_within_1_percent(void **state)
{
	uint64_t seed = 42, v[2000];

	(void)state;
	/* 95% around 10 ms, 5% around 2 s: a typical tail. */
	for (size_t i = 0; i < 2000; i++)
		v[i] = i % 20 ? 10000000 + next_rand(&seed) % 3000000
			      : 2000000000 + next_rand(&seed) % 500000000;
	check_against_exact(v, 2000);
}

static void extreme_values_are_within_1_percent(void **state)
{
	uint64_t v[] = { 0, 1, 127, 128, 255, 256, 257, 1000003, UINT64_MAX / 3,
			 UINT64_MAX - 1, UINT64_MAX };

	(void)state;
	check_against_exact(v, sizeof(v) / sizeof(v[0]));
}

static void values_below_128_are_exact(void **state)
{
	struct histogram *h = new_hist();

	(void)state;
	for (uint64_t v = 0; v < 128; v++)
		assert_int_equal(histogram_add(h, v), 0);
	/* rank ceil(p * 128 / 100) - 1 is the value itself */
	assert_int_equal(histogram_percentile(h, 50), 63);
	assert_int_equal(histogram_percentile(h, 90), 115);
	assert_int_equal(histogram_percentile(h, 99), 126);
	free_hist(h);
}

static void nearest_rank_picks_the_documented_sample(void **state)
{
	struct histogram *h = new_hist();

	(void)state;
	/* 10 values 10..100: p50 = rank 5 = 50, p90 = rank 9 = 90, p91 = rank
	 * 10 = 100, p10 = rank 1 = 10, p0.1 = rank 1. */
	for (uint64_t v = 10; v <= 100; v += 10)
		assert_int_equal(histogram_add(h, v), 0);
	assert_int_equal(histogram_percentile(h, 50), 50);
	assert_int_equal(histogram_percentile(h, 90), 90);
	assert_int_equal(histogram_percentile(h, 91), 100);
	assert_int_equal(histogram_percentile(h, 10), 10);
	assert_int_equal(histogram_percentile(h, 0.1), 10);
	free_hist(h);
}

static void minimum_and_maximum_are_exact(void **state)
{
	struct histogram *h = new_hist();

	(void)state;
	assert_int_equal(histogram_add(h, 1234567891), 0);
	assert_int_equal(histogram_add(h, 987654321987), 0);
	assert_int_equal(histogram_percentile(h, 50), 1234567891);   /* rank 1 */
	assert_int_equal(histogram_percentile(h, 100), 987654321987); /* rank n */
	free_hist(h);
}

static void a_single_value_is_every_percentile(void **state)
{
	struct histogram *h = new_hist();

	(void)state;
	assert_int_equal(histogram_add(h, 200000000), 0);
	assert_int_equal(histogram_percentile(h, 1), 200000000);
	assert_int_equal(histogram_percentile(h, 99), 200000000);
	free_hist(h);
}

static void empty_null_and_out_of_range_give_zero(void **state)
{
	struct histogram *h = new_hist();
	struct histogram_bucket b;
	size_t cursor = 0;

	(void)state;
	assert_int_equal(histogram_percentile(h, 50), 0);
	assert_int_equal(histogram_percentile(NULL, 50), 0);
	assert_int_equal(histogram_count(NULL), 0);
	assert_false(histogram_next(h, &cursor, &b));
	assert_false(histogram_next(NULL, &cursor, &b));
	assert_int_equal(histogram_add(h, 5), 0);
	assert_int_equal(histogram_percentile(h, 0), 0);
	assert_int_equal(histogram_percentile(h, -1), 0);
	assert_int_equal(histogram_percentile(h, 100.5), 0);
	assert_int_equal(histogram_percentile(h, NAN), 0);
	free_hist(h);
	histogram_release(NULL);
}

static void exported_buckets_are_ascending_non_empty_and_cover_every_value(void **state)
{
	uint64_t seed = 7, total = 0, prev_le = 0, v[3000];
	struct histogram *h = new_hist();
	struct histogram_bucket b;
	size_t cursor = 0, nb = 0;

	(void)state;
	for (size_t i = 0; i < 3000; i++) {
		v[i] = next_rand(&seed) >> (20 + next_rand(&seed) % 40);
		assert_int_equal(histogram_add(h, v[i]), 0);
	}
	while (histogram_next(h, &cursor, &b)) {
		uint64_t in = 0;

		assert_true(b.count > 0);
		if (nb++)
			assert_true(b.le > prev_le);
		/* count = the values in (prev_le, le] (the first bucket from 0) */
		for (size_t i = 0; i < 3000; i++)
			in += (nb == 1 ? v[i] <= b.le : v[i] > prev_le && v[i] <= b.le);
		assert_int_equal(in, b.count);
		total += b.count;
		prev_le = b.le;
	}
	assert_int_equal(total, 3000);
	assert_false(histogram_next(h, &cursor, &b)); /* stays at the end */
	free_hist(h);
}

static void exported_buckets_are_16_per_power_of_two(void **state)
{
	struct histogram *h = new_hist();
	struct histogram_bucket b;
	size_t cursor = 0, n = 0;

	(void)state;
	/* Every value of [2^20, 2^21) hits each of its 16 exported buckets. */
	for (uint64_t v = 1u << 20; v < 1u << 21; v += 4096)
		assert_int_equal(histogram_add(h, v), 0);
	while (histogram_next(h, &cursor, &b)) {
		assert_int_equal(b.le, (1u << 20) + (n + 1) * (1u << 16) - 1);
		assert_int_equal(b.count, 16);
		n++;
	}
	assert_int_equal(n, 16);
	free_hist(h);
}

static void memory_stays_bounded_over_the_whole_range(void **state)
{
	struct histogram *h = new_hist();
	size_t small;

	(void)state;
	assert_int_equal(histogram_memory(h), 0); /* nothing before the first value */
	/* Durations within two powers of two take about a KiB... */
	for (uint64_t i = 0; i < 100000; i++)
		assert_int_equal(histogram_add(h, 1000000 + i * 37), 0);
	small = histogram_memory(h);
	assert_int_equal(small, 10 * 32); /* 10 chunks of 16-bit counters */
	/* ...and a million values over every power of two stay within the bound. */
	for (uint64_t i = 0; i < 1000000; i++)
		assert_int_equal(histogram_add(h, (i * 0x9e3779b97f4a7c15ull) >> (i % 64)), 0);
	assert_int_equal(histogram_count(h), 1100000);
	assert_true(histogram_memory(h) > small);
	assert_true(histogram_memory(h) <= HISTOGRAM_MAX_BYTES);
	free_hist(h);
}

/* White box: sets the first counter (of the lowest chunk present) to the
 * largest value of its width, so that the next value there widens them all,
 * without the 2^32 adds that would take. */
static void fill_first_counter(struct histogram *h)
{
	if (h->width == 0)
		*(uint16_t *)h->counts = UINT16_MAX;
	else
		*(uint32_t *)h->counts = UINT32_MAX;
}

static void counters_widen_to_32_then_64_bits_when_one_is_full(void **state)
{
	struct histogram *h = new_hist();
	struct histogram_bucket b;
	size_t cursor = 0;

	(void)state;
	/* [896, 903] is the first bucket of its chunk, the lowest one here. */
	assert_int_equal(histogram_add(h, 5000000000ull), 0); /* another chunk */
	for (int i = 0; i < 65535; i++)
		assert_int_equal(histogram_add(h, 896), 0);
	assert_int_equal(histogram_memory(h), 2 * 32); /* one 16-bit counter full */
	assert_int_equal(histogram_add(h, 900), 0);
	assert_int_equal(histogram_memory(h), 2 * 64);
	assert_int_equal(histogram_count(h), 65537);
	assert_int_equal(histogram_percentile(h, 50), 899);
	fill_first_counter(h); /* [896, 903] now holds 2^32 - 1 */
	assert_int_equal(histogram_count(h), (uint64_t)UINT32_MAX + 1);
	assert_int_equal(histogram_add(h, 903), 0);
	assert_int_equal(histogram_memory(h), 2 * 128);
	assert_int_equal(histogram_count(h), (uint64_t)UINT32_MAX + 2);
	/* Every counter kept its value through both widenings. */
	assert_true(histogram_next(h, &cursor, &b));
	assert_int_equal(b.le, 927);
	assert_int_equal(b.count, (uint64_t)UINT32_MAX + 1);
	assert_true(histogram_next(h, &cursor, &b));
	assert_int_equal(b.count, 1);
	assert_true(b.le >= 5000000000ull);
	assert_false(histogram_next(h, &cursor, &b));
	assert_int_equal(histogram_percentile(h, 99.9), 899);
	assert_int_equal(histogram_percentile(h, 100), 5000000000ull);
	free_hist(h);
}

static void a_value_in_every_chunk_and_64_bit_counters_reach_the_stated_maximum(void **state)
{
	struct histogram *h = new_hist();
	uint64_t n = 0;

	(void)state;
	/* The lower bound of every bucket, highest first: each new chunk is
	 * inserted below those already held. */
	for (int k = 58; k >= 0; k--) {
		for (int sub = 63; sub >= 0; sub--) {
			uint64_t v = k ? (uint64_t)(64 + sub) << (k - 1) : (uint64_t)sub;

			assert_int_equal(histogram_add(h, v), 0);
			n++;
		}
	}
	assert_int_equal(histogram_memory(h), HISTOGRAM_CHUNKS * 32);
	/* Each bucket holds one value: rank r is the r-th bucket's lower bound
	 * (returned as its midpoint, within 1/128). */
	for (double p = 1; p < 100; p += 7) {
		uint64_t rank = (uint64_t)ceil(p * (double)n / 100.0), got, want;
		size_t k = (rank - 1) / 64, sub = (rank - 1) % 64;

		want = k ? (uint64_t)(64 + sub) << (k - 1) : (uint64_t)sub;
		got = histogram_percentile(h, p);
		assert_true(got >= want && (double)(got - want) <= (double)want / 128.0);
	}
	fill_first_counter(h);
	assert_int_equal(histogram_add(h, 0), 0);
	fill_first_counter(h);
	assert_int_equal(histogram_add(h, 0), 0);
	assert_int_equal(histogram_memory(h), HISTOGRAM_MAX_BYTES);
	assert_int_equal(histogram_memory(h), 30208);
	free_hist(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uniform_1_to_10000_is_within_1_percent),
		cmocka_unit_test(durations_spanning_ns_to_hours_are_within_1_percent),
		cmocka_unit_test(a_skewed_latency_mix_is_within_1_percent),
		cmocka_unit_test(extreme_values_are_within_1_percent),
		cmocka_unit_test(values_below_128_are_exact),
		cmocka_unit_test(nearest_rank_picks_the_documented_sample),
		cmocka_unit_test(minimum_and_maximum_are_exact),
		cmocka_unit_test(a_single_value_is_every_percentile),
		cmocka_unit_test(empty_null_and_out_of_range_give_zero),
		cmocka_unit_test(exported_buckets_are_ascending_non_empty_and_cover_every_value),
		cmocka_unit_test(exported_buckets_are_16_per_power_of_two),
		cmocka_unit_test(memory_stays_bounded_over_the_whole_range),
		cmocka_unit_test(counters_widen_to_32_then_64_bits_when_one_is_full),
		cmocka_unit_test(a_value_in_every_chunk_and_64_bit_counters_reach_the_stated_maximum),
	};

	return cmocka_run_group_tests_name("histogram", tests, NULL, NULL);
}
