/* SPDX-License-Identifier: MIT */
/*
 * histogram.h - a bounded-memory log-linear histogram of unsigned 64-bit
 * values (operation durations in ns), in the manner of HdrHistogram.
 *
 * Values below 256 are counted exactly. Above, each power of two [2^e,
 * 2^(e+1)) is split into 128 equal sub-buckets, so a bucket is never wider
 * than 1/128 of its lower bound. Percentiles report the bucket's midpoint,
 * hence within 1/256 (0.4%) of the exact value: the stated bound, tested,
 * is a relative error of at most 1%. Memory: 58 blocks of 128 counters
 * (1 KiB each), allocated on first use, so at most 59 KiB per histogram
 * whatever the number of values; a few KiB for typical durations, which
 * span a few powers of two.
 */
#ifndef ETLTRACE_HISTOGRAM_H
#define ETLTRACE_HISTOGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct histogram;

/* Returns an empty histogram, or NULL on allocation failure. */
struct histogram *histogram_new(void);

/* Frees h; NULL is allowed. */
void histogram_free(struct histogram *h);

/* Counts one value. Returns 0, or -ENOMEM with h unchanged. */
int histogram_add(struct histogram *h, uint64_t v);

/* Bytes h holds in memory (the structure and its counter blocks); at most
 * HISTOGRAM_MAX_BYTES whatever was added. 0 for NULL. */
size_t histogram_memory(const struct histogram *h);
#define HISTOGRAM_MAX_BYTES (2048u + 58u * 128u * 8u)

/* Number of values counted; 0 for NULL. */
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
 * 6.25% of its lower bound wide). Percentiles keep the full resolution. */
#define HISTOGRAM_EXPORT_MERGE_BITS 3

/* Iterates over the non-empty exported buckets in ascending order. Start
 * with *cursor = 0; each call fills *out and returns true, or returns
 * false at the end. h may be NULL (no buckets). */
bool histogram_next(const struct histogram *h, size_t *cursor, struct histogram_bucket *out);

#endif /* ETLTRACE_HISTOGRAM_H */
