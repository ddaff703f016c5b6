/* SPDX-License-Identifier: MIT */
/*
 * series.h - cumulative counters per (command, operation), as Prometheus
 * exposes them: never reset, so rates are right across scrapes; a duration
 * histogram with exact counts per bucket bound. The number of series is
 * bounded; samples of series past the bound are counted, not kept.
 */
#ifndef ETLTRACE_SERIES_H
#define ETLTRACE_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "collect/intake.h"

#define SERIES_MAX_BUCKETS 32

struct series {
	char command[ETL_COMM_LEN];
	const char *name;            /* the operation (raw bytes), stored after the struct */
	uint64_t count;              /* finished operations */
	uint64_t unfinished;
	uint64_t sum_ns;
	uint64_t buckets[SERIES_MAX_BUCKETS]; /* finished with duration <= bound i (not cumulative) */
	int64_t mem_sum;             /* summed net memory delta, bytes */
	int64_t peak_sum;            /* summed peak memory delta, bytes */
	uint64_t cpu_ns, off_cpu_ns;
	uint64_t min_flt, maj_flt, read_bytes, write_bytes, records;
};

struct series_set;

/* bounds_ns[0..nbounds) ascending, at most SERIES_MAX_BUCKETS (copied). */
struct series_set *series_new(size_t max_series, const uint64_t *bounds_ns, size_t nbounds);
void series_free(struct series_set *s);

/* intake_sink_fn: counts the operation in its series. ctx: the set. */
void series_sink(void *ctx, const struct op_event *ev);

/* An operation open now: its series exists from now on, at zero until it
 * ends, so that a rate over the scrapes sees its first end (a series that
 * appears at 1 shows no increase). Nothing is counted; past the bound,
 * nothing happens. */
void series_note_open(struct series_set *s, const char *command, const char *name);

size_t series_count(const struct series_set *s);
const struct series *series_at(const struct series_set *s, size_t i);
size_t series_bounds(const struct series_set *s, const uint64_t **bounds_ns);

/* Samples of series past the bound. */
uint64_t series_over_limit(const struct series_set *s);

#endif /* ETLTRACE_SERIES_H */
