// SPDX-License-Identifier: MIT
/*
 * histogram.c - the log-linear histogram of histogram.h.
 *
 * Bucket index of v: v itself below 64 (range 0); otherwise, with
 * e = floor(log2 v) >= 6 and shift = e - 6, range k = e - 5 (1..58) and
 * sub-bucket (v >> shift) - 64 (0..63). Range k >= 1 covers
 * [64 << (k-1), 128 << (k-1)) in 64 buckets of width 2^(k-1); range 1 is
 * therefore exact too. A bucket [lo, lo + w) has w / lo <= 1/64, and its
 * midpoint lo + (w-1)/2 is within w/2 of any value in it: a relative error
 * of at most 1/128 for every percentile.
 *
 * Storage: bucket i is counter i % 16 of chunk i / 16. Chunk c is stored
 * when bit c of `present` is set, at position rank(c) (the number of chunks
 * present below c) of `counts`. Adding a chunk grows `counts` by exactly
 * one chunk (realloc) and moves the chunks above it up: at most 236 times
 * per histogram, so the copying is bounded too.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"

#define SUB_BITS 6
#define SUB_COUNT (1u << SUB_BITS) /* sub-buckets per range */
#define NRANGES 59                 /* range 0 (exact) + one per e in 6..63 */
#define CHUNK_LEN 16u              /* counters per chunk */
#define NBUCKETS ((size_t)NRANGES * SUB_COUNT)
#define GROUP_LEN (1u << HISTOGRAM_EXPORT_MERGE_BITS) /* buckets per exported bucket */

_Static_assert(NBUCKETS == (size_t)HISTOGRAM_CHUNKS * CHUNK_LEN, "chunks cover the buckets");
_Static_assert(HISTOGRAM_CHUNK_BYTES == CHUNK_LEN * sizeof(uint64_t), "chunk size");
_Static_assert(CHUNK_LEN % GROUP_LEN == 0, "exported buckets never span two chunks");

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

static bool chunk_present(const struct histogram *h, size_t c)
{
	return (h->present[c / 64] >> (c % 64)) & 1;
}

/* Number of chunks present below chunk c. */
static size_t chunk_rank(const struct histogram *h, size_t c)
{
	size_t r = 0;

	for (size_t w = 0; w < c / 64; w++)
		r += (size_t)__builtin_popcountll(h->present[w]);
	return r + (size_t)__builtin_popcountll(h->present[c / 64] & ((1ull << (c % 64)) - 1));
}

static size_t chunks_held(const struct histogram *h)
{
	return chunk_rank(h, HISTOGRAM_CHUNKS - 1) + chunk_present(h, HISTOGRAM_CHUNKS - 1);
}

void histogram_init(struct histogram *h)
{
	memset(h, 0, sizeof(*h));
}

void histogram_release(struct histogram *h)
{
	if (!h)
		return;
	free(h->counts);
	histogram_init(h);
}

int histogram_add(struct histogram *h, uint64_t v)
{
	size_t idx = index_of(v), c = idx / CHUNK_LEN, r = chunk_rank(h, c);

	if (!chunk_present(h, c)) {
		size_t n = chunks_held(h);
		uint64_t *counts = realloc(h->counts, (n + 1) * HISTOGRAM_CHUNK_BYTES);

		if (!counts)
			return -ENOMEM;
		memmove(counts + (r + 1) * CHUNK_LEN, counts + r * CHUNK_LEN,
			(n - r) * HISTOGRAM_CHUNK_BYTES);
		memset(counts + r * CHUNK_LEN, 0, HISTOGRAM_CHUNK_BYTES);
		h->counts = counts;
		h->present[c / 64] |= 1ull << (c % 64);
	}
	h->counts[r * CHUNK_LEN + idx % CHUNK_LEN]++;
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (h->count == 0 || v > h->max)
		h->max = v;
	h->count++;
	return 0;
}

size_t histogram_memory(const struct histogram *h)
{
	return h ? chunks_held(h) * HISTOGRAM_CHUNK_BYTES : 0;
}

uint64_t histogram_count(const struct histogram *h)
{
	return h ? h->count : 0;
}

uint64_t histogram_percentile(const struct histogram *h, double p)
{
	const uint64_t *chunk;
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
	chunk = h->counts;
	for (size_t c = 0; c < HISTOGRAM_CHUNKS; c++) {
		if (!chunk_present(h, c))
			continue;
		for (size_t i = 0; i < CHUNK_LEN; i++) {
			seen += chunk[i];
			if (seen < rank)
				continue;
			bounds_of(c * CHUNK_LEN + i, &lo, &hi);
			mid = lo + (hi - lo) / 2;
			if (mid < h->min)
				return h->min;
			return mid > h->max ? h->max : mid;
		}
		chunk += CHUNK_LEN;
	}
	return h->max; /* not reached: the counters add up to count */
}

bool histogram_next(const struct histogram *h, size_t *cursor, struct histogram_bucket *out)
{
	const size_t ngroups = NBUCKETS / GROUP_LEN, per_chunk = CHUNK_LEN / GROUP_LEN;

	if (!h)
		return false;
	for (size_t g = *cursor; g < ngroups; g++) {
		size_t first = g * GROUP_LEN, c = first / CHUNK_LEN;
		const uint64_t *counts;
		uint64_t n = 0, lo;

		if (!chunk_present(h, c)) {
			g = (c + 1) * per_chunk - 1; /* skip the chunk */
			continue;
		}
		counts = h->counts + chunk_rank(h, c) * CHUNK_LEN + first % CHUNK_LEN;
		for (size_t i = 0; i < GROUP_LEN; i++)
			n += counts[i];
		if (n == 0)
			continue;
		bounds_of(first + GROUP_LEN - 1, &lo, &out->le);
		out->count = n;
		*cursor = g + 1;
		return true;
	}
	*cursor = ngroups;
	return false;
}
