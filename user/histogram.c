// SPDX-License-Identifier: MIT
/*
 * histogram.c - the log-linear histogram of histogram.h.
 *
 * Bucket index of v: v itself below 128 (block 0); otherwise, with
 * e = floor(log2 v) >= 7 and shift = e - 7, block k = e - 6 (1..57) and
 * sub-bucket (v >> shift) - 128 (0..127). Block k >= 1 covers
 * [128 << (k-1), 256 << (k-1)) in 128 buckets of width 2^(k-1); block 1 is
 * therefore exact too. A bucket [lo, lo + w) has w / lo <= 1/128, and its
 * midpoint lo + (w-1)/2 is within w/2 of any value in it: a relative error
 * of at most 1/256 for every percentile.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "histogram.h"

#define SUB_BITS 7
#define SUB_COUNT (1u << SUB_BITS) /* sub-buckets per block */
#define NBLOCKS 58                 /* block 0 (exact) + one per e in 7..63 */

struct histogram {
	uint64_t *block[NBLOCKS];     /* SUB_COUNT counters each, NULL until used */
	uint64_t block_total[NBLOCKS];
	uint64_t count;
	uint64_t min, max;            /* meaningful when count > 0 */
};

static size_t index_of(uint64_t v)
{
	unsigned e;

	if (v < SUB_COUNT)
		return (size_t)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	return (size_t)(e - SUB_BITS + 1) * SUB_COUNT + (size_t)((v >> (e - SUB_BITS)) - SUB_COUNT);
}

/* Smallest and largest value of bucket idx. */
static void bounds_of(size_t idx, uint64_t *lo, uint64_t *hi)
{
	size_t k = idx / SUB_COUNT, sub = idx % SUB_COUNT;

	if (k == 0) {
		*lo = *hi = sub;
		return;
	}
	*lo = (uint64_t)(SUB_COUNT + sub) << (k - 1);
	*hi = *lo + ((1ull << (k - 1)) - 1);
}

struct histogram *histogram_new(void)
{
	return calloc(1, sizeof(struct histogram));
}

void histogram_free(struct histogram *h)
{
	if (!h)
		return;
	for (size_t k = 0; k < NBLOCKS; k++)
		free(h->block[k]);
	free(h);
}

int histogram_add(struct histogram *h, uint64_t v)
{
	size_t idx = index_of(v), k = idx / SUB_COUNT;

	if (!h->block[k]) {
		h->block[k] = calloc(SUB_COUNT, sizeof(uint64_t));
		if (!h->block[k])
			return -ENOMEM;
	}
	h->block[k][idx % SUB_COUNT]++;
	h->block_total[k]++;
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (h->count == 0 || v > h->max)
		h->max = v;
	h->count++;
	return 0;
}

size_t histogram_memory(const struct histogram *h)
{
	size_t n;

	if (!h)
		return 0;
	n = sizeof(*h);
	for (size_t k = 0; k < NBLOCKS; k++)
		n += h->block[k] ? SUB_COUNT * sizeof(uint64_t) : 0;
	return n;
}

_Static_assert(sizeof(struct histogram) <= 2048, "HISTOGRAM_MAX_BYTES assumes this");

uint64_t histogram_count(const struct histogram *h)
{
	return h ? h->count : 0;
}

uint64_t histogram_percentile(const struct histogram *h, double p)
{
	uint64_t rank, seen = 0, lo, hi, mid;

	if (!h || h->count == 0 || !(p > 0.0 && p <= 100.0))
		return 0;
	/* p * count is exact below 2^53; dividing an exact multiple of 100 by
	 * 100 is exact too, so ceil() never rounds an integer rank up. */
	rank = (uint64_t)ceil(p * (double)h->count / 100.0);
	if (rank < 1)
		rank = 1;
	if (rank >= h->count)
		return h->max;
	if (rank == 1)
		return h->min;
	for (size_t k = 0; k < NBLOCKS; k++) {
		if (seen + h->block_total[k] < rank) {
			seen += h->block_total[k];
			continue;
		}
		for (size_t sub = 0; sub < SUB_COUNT; sub++) {
			seen += h->block[k][sub];
			if (seen < rank)
				continue;
			bounds_of(k * SUB_COUNT + sub, &lo, &hi);
			mid = lo + (hi - lo) / 2;
			if (mid < h->min)
				return h->min;
			return mid > h->max ? h->max : mid;
		}
	}
	return h->max; /* not reached: the totals add up to count */
}

bool histogram_next(const struct histogram *h, size_t *cursor, struct histogram_bucket *out)
{
	const size_t per_group = 1u << HISTOGRAM_EXPORT_MERGE_BITS;
	const size_t ngroups = (size_t)NBLOCKS * SUB_COUNT / per_group;

	if (!h)
		return false;
	for (size_t g = *cursor; g < ngroups; g++) {
		size_t first = g * per_group, k = first / SUB_COUNT;
		uint64_t n = 0, lo;

		if (!h->block[k] || h->block_total[k] == 0) {
			g = (k + 1) * SUB_COUNT / per_group - 1; /* skip the block */
			continue;
		}
		for (size_t i = 0; i < per_group; i++)
			n += h->block[k][(first + i) % SUB_COUNT];
		if (n == 0)
			continue;
		bounds_of(first + per_group - 1, &lo, &out->le);
		out->count = n;
		*cursor = g + 1;
		return true;
	}
	*cursor = ngroups;
	return false;
}
