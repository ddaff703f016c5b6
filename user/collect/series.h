/* SPDX-License-Identifier: MIT */
/*
 * series.h - cumulative counters per (command, operation), as Prometheus
 * exposes them: never reset, so rates are right across scrapes; a duration
 * histogram with exact counts per bucket bound. The number of series is
 * bounded; samples of series past the bound are counted, not kept.
 *
 * A series' values are not added to per record: they are derived, when
 * read, from the statistics the report keeps anyway (procstats.h), as a
 * retired part, kept here for good (operations of processes whose
 * statistics are gone, or never had any), plus a live part recomputed
 * from the processes' statistics (series_live_begin, series_live_add).
 */
#ifndef ETLTRACE_SERIES_H
#define ETLTRACE_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "collect/intake.h"
#include "collect/stats.h"

#define SERIES_MAX_BUCKETS STATS_MAX_BOUNDS

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

/* intake_sink_fn: counts the operation in its series' retired part (the
 * command is the process's; "" when unknown). ctx: the set. */
void series_sink(void *ctx, const struct op_event *ev);

/* Adds for good, under command, what st holds beyond base (an earlier
 * clone of st; NULL: nothing), entry by entry. */
void series_retire(struct series_set *s, const char *command, const struct stats *st,
		   const struct stats *base);

/* Recomputes the live part: series_live_begin sets every series to its
 * retired part, then each series_live_add adds, under command, what st
 * holds beyond base (as series_retire). Samples of series past the bound
 * are counted in series_over_limit until the next series_live_begin. */
void series_live_begin(struct series_set *s);
void series_live_add(struct series_set *s, const char *command, const struct stats *st,
		     const struct stats *base);

/* An operation open now: its series exists from now on, at zero until it
 * ends, so that a rate over the scrapes sees its first end (a series that
 * appears at 1 shows no increase). Nothing is counted; past the bound,
 * nothing happens. */
void series_note_open(struct series_set *s, const char *command, const char *name);

size_t series_count(const struct series_set *s);
const struct series *series_at(const struct series_set *s, size_t i);
size_t series_bounds(const struct series_set *s, const uint64_t **bounds_ns);

/* Samples of series past the bound, retired and live. */
uint64_t series_over_limit(const struct series_set *s);

#endif /* ETLTRACE_SERIES_H */
