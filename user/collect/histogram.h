/* SPDX-License-Identifier: MIT */
/*
 * histogram.h - a bounded-memory log-linear histogram of unsigned 64-bit
 * values (operation durations in ns), in the manner of HdrHistogram.
 *
 * Values below 128 are counted exactly. Above, each power of two [2^e,
 * 2^(e+1)) is split into 64 equal sub-buckets, so a bucket is never wider
 * than 1/64 of its lower bound. Percentiles report the bucket's midpoint,
 * hence within 1/128 (0.8%) of the exact value: the stated bound, tested,
 * is a relative error of at most 1%.
 *
 * Memory: the 3,776 buckets (59 ranges of 64) fall into 236 chunks of 16
 * counters (a quarter of a power of two). A chunk is allocated when a value
 * first falls in it, and the chunks present are packed, in order, in one
 * array. Counters start 16 bits wide, and all of a histogram's double in
 * width (to 32, then 64 bits) when one would overflow: a chunk takes 32
 * bytes, or 64 once a bucket has held 65,535 values, or 128 once one has
 * held 2^32 - 1. So a histogram of durations within a power of two or two
 * takes 32-320 bytes, and never more than HISTOGRAM_MAX_BYTES (30,208)
 * whatever was added, beside the struct.
 */
#ifndef ETLTRACE_HISTOGRAM_H
#define ETLTRACE_HISTOGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HISTOGRAM_CHUNKS 236 /* chunks of 16 counters */
#define HISTOGRAM_MAX_BYTES (HISTOGRAM_CHUNKS * 16u * 8u) /* 30,208: 64-bit counters */

/* Public so that it can be embedded (struct op_stats); its fields are
 * histogram.c's. All zeros is an empty histogram. */
struct histogram {
	uint64_t present[(HISTOGRAM_CHUNKS + 63) / 64]; /* bit c: chunk c is in counts */
	void *counts;  /* 16 counters per chunk present, in chunk order; malloc'd */
	uint64_t min, max; /* meaningful once a chunk is present */
	uint8_t width; /* counters are 2 << width bytes wide */
};

/* Makes h empty (as all zeros does); it holds no memory yet. */
void histogram_init(struct histogram *h);

/* Frees what h holds and leaves it empty. NULL is allowed. */
void histogram_release(struct histogram *h);

/* Counts one value. Returns 0, or -ENOMEM with h unchanged. */
int histogram_add(struct histogram *h, uint64_t v);

/* Bytes of counters h holds on the heap (16 counters per chunk present), at
 * most HISTOGRAM_MAX_BYTES; the struct itself is not counted. 0 for NULL. */
size_t histogram_memory(const struct histogram *h);

/* Makes dst (empty, as histogram_init leaves it) a copy of src. Returns 0
 * or -ENOMEM (dst left empty). */
int histogram_copy(struct histogram *dst, const struct histogram *src);

/* Makes dst (its memory not held: it is overwritten) the histogram of the
 * values counted in a and not in b, where b is an earlier copy of a (NULL:
 * empty); min and max are the smallest and largest of those values, which
 * the buckets alone do not give exactly. Returns 0 or -ENOMEM (dst left
 * empty). */
int histogram_diff(struct histogram *dst, const struct histogram *a, const struct histogram *b,
		   uint64_t min, uint64_t max);

/* Number of values counted (summed over the chunks); 0 for NULL. */
uint64_t histogram_count(const struct histogram *h);

/* The p-th percentile (0 < p <= 100) by the nearest-rank definition: the
 * value of rank ceil(p/100 * N) (at least 1) among the N values sorted
 * ascending. Returned as the midpoint of that value's bucket, clamped to
 * the smallest and largest values counted (so p=100 is the exact maximum,
 * and any rank-1 percentile the exact minimum). Returns 0 if h is NULL,
 * empty, or p is out of range. */
uint64_t histogram_percentile(const struct histogram *h, double p);

/* One bucket of the exported histogram: `count` values v with
 * prev_le < v <= le, where prev_le is the previous bucket's le (exported
 * buckets are consecutive ranges of the value axis; empty ones skipped). */
struct histogram_bucket {
	uint64_t le;
	uint64_t count;
};

/* Exported resolution: 2^HISTOGRAM_EXPORT_MERGE_BITS storage buckets per
 * exported bucket, i.e. 16 buckets per power of two (each at most 1/16 =
 * 6.25% of its lower bound wide; values below 64 in 16 buckets of 4).
 * Percentiles keep the full resolution. */
#define HISTOGRAM_EXPORT_MERGE_BITS 2

/* Iterates over the non-empty exported buckets in ascending order. Start
 * with *cursor = 0; each call fills *out and returns true, or returns
 * false at the end. h may be NULL (no buckets). */
bool histogram_next(const struct histogram *h, size_t *cursor, struct histogram_bucket *out);

#endif /* ETLTRACE_HISTOGRAM_H */
