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
 * one chunk (realloc) and moves the chunks above it up; widening doubles
 * `counts` and spreads the counters out in place, from the last. Each
 * happens at most 236 and 2 times per histogram, so the copying is bounded
 * too. A chunk is added only by a value that then lands in it, so a chunk
 * present means a value counted: the empty histogram is the one with none.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collect/histogram.h"

#define SUB_BITS 6
#define SUB_COUNT (1u << SUB_BITS) /* sub-buckets per range */
#define NRANGES 59                 /* range 0 (exact) + one per e in 6..63 */
#define CHUNK_LEN 16u              /* counters per chunk */
#define NBUCKETS ((size_t)NRANGES * SUB_COUNT)
#define GROUP_LEN (1u << HISTOGRAM_EXPORT_MERGE_BITS) /* buckets per exported bucket */
#define WIDTH_MAX 2                /* 64-bit counters */

_Static_assert(NBUCKETS == (size_t)HISTOGRAM_CHUNKS * CHUNK_LEN, "chunks cover the buckets");
_Static_assert(HISTOGRAM_MAX_BYTES == HISTOGRAM_CHUNKS * CHUNK_LEN * sizeof(uint64_t), "max");
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

static bool empty(const struct histogram *h)
{
	return !(h->present[0] | h->present[1] | h->present[2] | h->present[3]);
}

static size_t chunk_bytes(const struct histogram *h)
{
	return CHUNK_LEN << (h->width + 1);
}

/* Counter i of the packed counters. */
static uint64_t counter(const struct histogram *h, size_t i)
{
	switch (h->width) {
	case 0:
		return ((const uint16_t *)h->counts)[i];
	case 1:
		return ((const uint32_t *)h->counts)[i];
	default:
		return ((const uint64_t *)h->counts)[i];
	}
}

/* Adds one to counter i. Returns false, changing nothing, if it is full. */
static bool increment(struct histogram *h, size_t i)
{
	switch (h->width) {
	case 0:
		if (((uint16_t *)h->counts)[i] == UINT16_MAX)
			return false;
		((uint16_t *)h->counts)[i]++;
		return true;
	case 1:
		if (((uint32_t *)h->counts)[i] == UINT32_MAX)
			return false;
		((uint32_t *)h->counts)[i]++;
		return true;
	default:
		((uint64_t *)h->counts)[i]++; /* 2^64 values: centuries away */
		return true;
	}
}

/* Doubles the width of every counter. Returns 0 or -ENOMEM (h unchanged). */
static int widen(struct histogram *h)
{
	size_t n = chunks_held(h) * CHUNK_LEN;
	void *counts = realloc(h->counts, n * 2 * (2u << h->width));

	if (!counts)
		return -ENOMEM;
	/* From the last: counter i's new place never covers a lower one's old. */
	for (size_t i = n; i-- > 0;) {
		if (h->width == 0)
			((uint32_t *)counts)[i] = ((const uint16_t *)counts)[i];
		else
			((uint64_t *)counts)[i] = ((const uint32_t *)counts)[i];
	}
	h->counts = counts;
	h->width++;
	return 0;
}

/* Makes room for chunk c, zeroed, at position r. Returns 0 or -ENOMEM. */
static int insert_chunk(struct histogram *h, size_t c, size_t r)
{
	size_t n = chunks_held(h), bytes = chunk_bytes(h);
	char *counts = realloc(h->counts, (n + 1) * bytes);

	if (!counts)
		return -ENOMEM;
	memmove(counts + (r + 1) * bytes, counts + r * bytes, (n - r) * bytes);
	memset(counts + r * bytes, 0, bytes);
	h->counts = counts;
	h->present[c / 64] |= 1ull << (c % 64);
	return 0;
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

/* The hot path (one call per record): with the popcnt instruction where the
 * CPU has it (x86-64's baseline lacks it; the build targets the baseline).
 * The clones are of a static function behind the public one: clang 14 names
 * the dispatcher of an exported function "histogram_add.ifunc", which no
 * other file can link to. */
__attribute__((target_clones("popcnt", "default")))
static int add_value(struct histogram *h, uint64_t v)
{
	size_t idx = index_of(v), c = idx / CHUNK_LEN, r = chunk_rank(h, c);
	size_t i = r * CHUNK_LEN + idx % CHUNK_LEN;
	bool first = empty(h);

	if (!chunk_present(h, c) && insert_chunk(h, c, r))
		return -ENOMEM;
	if (!increment(h, i)) { /* full: a new chunk never is */
		if (widen(h))
			return -ENOMEM;
		increment(h, i);
	}
	if (first || v < h->min)
		h->min = v;
	if (first || v > h->max)
		h->max = v;
	return 0;
}

int histogram_add(struct histogram *h, uint64_t v)
{
	return add_value(h, v);
}

size_t histogram_memory(const struct histogram *h)
{
	return h ? chunks_held(h) * chunk_bytes(h) : 0;
}

int histogram_copy(struct histogram *dst, const struct histogram *src)
{
	size_t bytes = histogram_memory(src);

	*dst = *src;
	dst->counts = NULL;
	if (!bytes)
		return 0;
	dst->counts = malloc(bytes);
	if (!dst->counts) {
		histogram_init(dst);
		return -ENOMEM;
	}
	memcpy(dst->counts, src->counts, bytes);
	return 0;
}

/* Sets counter i of the packed counters (v fits its width). */
static void set_counter(struct histogram *h, size_t i, uint64_t v)
{
	switch (h->width) {
	case 0:
		((uint16_t *)h->counts)[i] = (uint16_t)v;
		break;
	case 1:
		((uint32_t *)h->counts)[i] = (uint32_t)v;
		break;
	default:
		((uint64_t *)h->counts)[i] = v;
	}
}

/* Counter j of chunk c of h, 0 if the chunk is absent (or h NULL). */
static uint64_t chunk_counter(const struct histogram *h, size_t c, size_t j)
{
	if (!h || !chunk_present(h, c))
		return 0;
	return counter(h, chunk_rank(h, c) * CHUNK_LEN + j);
}

int histogram_diff(struct histogram *dst, const struct histogram *a, const struct histogram *b,
		   uint64_t min, uint64_t max)
{
	size_t n = 0, r = 0;
	bool keep[HISTOGRAM_CHUNKS] = { false };

	histogram_init(dst);
	for (size_t c = 0; c < HISTOGRAM_CHUNKS; c++) {
		for (size_t j = 0; chunk_present(a, c) && j < CHUNK_LEN && !keep[c]; j++)
			keep[c] = chunk_counter(a, c, j) > chunk_counter(b, c, j);
		n += keep[c];
	}
	if (!n)
		return 0;
	dst->width = a->width; /* every difference fits a's counters */
	dst->counts = calloc(n, chunk_bytes(dst));
	if (!dst->counts) {
		histogram_init(dst);
		return -ENOMEM;
	}
	for (size_t c = 0; c < HISTOGRAM_CHUNKS; c++) {
		if (!keep[c])
			continue;
		dst->present[c / 64] |= 1ull << (c % 64);
		for (size_t j = 0; j < CHUNK_LEN; j++) {
			uint64_t x = chunk_counter(a, c, j), y = chunk_counter(b, c, j);

			set_counter(dst, r * CHUNK_LEN + j, x > y ? x - y : 0);
		}
		r++;
	}
	dst->min = min;
	dst->max = max;
	return 0;
}

uint64_t histogram_count(const struct histogram *h)
{
	uint64_t n = 0;

	for (size_t i = 0; h && i < chunks_held(h) * CHUNK_LEN; i++)
		n += counter(h, i);
	return n;
}

uint64_t histogram_percentile(const struct histogram *h, double p)
{
	uint64_t count = histogram_count(h), rank, seen = 0, lo, hi, mid;
	size_t i = 0;

	if (count == 0 || !(p > 0.0 && p <= 100.0))
		return 0;
	/* p * count is exact below 2^53; dividing an exact multiple of 100 by
	 * 100 is exact too, so ceil() never rounds an integer rank up. */
	rank = (uint64_t)ceil(p * (double)count / 100.0);
	if (rank < 1)
		rank = 1;
	if (rank >= count)
		return h->max;
	if (rank == 1)
		return h->min;
	for (size_t c = 0; c < HISTOGRAM_CHUNKS; c++) {
		if (!chunk_present(h, c))
			continue;
		for (size_t sub = 0; sub < CHUNK_LEN; sub++, i++) {
			seen += counter(h, i);
			if (seen < rank)
				continue;
			bounds_of(c * CHUNK_LEN + sub, &lo, &hi);
			mid = lo + (hi - lo) / 2;
			if (mid < h->min)
				return h->min;
			return mid > h->max ? h->max : mid;
		}
	}
	return h->max; /* not reached: the counters add up to count */
}

bool histogram_next(const struct histogram *h, size_t *cursor, struct histogram_bucket *out)
{
	const size_t ngroups = NBUCKETS / GROUP_LEN, per_chunk = CHUNK_LEN / GROUP_LEN;

	if (!h)
		return false;
	for (size_t g = *cursor; g < ngroups; g++) {
		size_t first = g * GROUP_LEN, c = first / CHUNK_LEN, at;
		uint64_t n = 0, lo;

		if (!chunk_present(h, c)) {
			g = (c + 1) * per_chunk - 1; /* skip the chunk */
			continue;
		}
		at = chunk_rank(h, c) * CHUNK_LEN + first % CHUNK_LEN;
		for (size_t i = 0; i < GROUP_LEN; i++)
			n += counter(h, at + i);
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
