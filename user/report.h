/* SPDX-License-Identifier: MIT */
/*
 * report.h - the end-of-trace report: the seed profiler's keys and texts
 * (../shared/seed/profiler-api.md) plus etltrace's own, as JSON or as an
 * aligned text table. Output modules only format; they never trace.
 */
#ifndef ETLTRACE_REPORT_H
#define ETLTRACE_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "stats.h"

/* Thresholds behind recommendations. */
struct thresholds {
	double slow_seconds; /* avg_time above this is slow (seed default 2.0) */
	double memory_mb;    /* max_memory_delta above this is high (seed default 100.0) */
};

/* Names and values of the loss counters shown in every report, in order.
 * BPF-side counters come from enum etl_counter; loader-side ones follow. */
struct report_counter {
	const char *key;   /* JSON key and text label, e.g. "ringbuf_full" */
	uint64_t value;
};

struct report_input {
	const struct stats *stats;
	const pid_t *pids;          /* traced processes */
	size_t npids;
	double wall_seconds;        /* how long the trace ran */
	const struct report_counter *counters;
	size_t ncounters;
	struct thresholds th;
};

/* Recommendations with the seed's exact texts, in report order (operations
 * sorted as stats_sorted, slow before memory for each). Each string is
 * malloc'd; *out is a malloc'd array the caller frees with
 * recommendations_free (*out is NULL when there are none). Names are raw;
 * formatters escape them. Operations with no finished sample get none.
 * Returns the number of recommendations, or -ENOMEM (-EINVAL for a NULL
 * argument). */
int recommendations_build(const struct report_input *in, char ***out);
void recommendations_free(char **recs, size_t n);

/* Writes the report as JSON (seed keys and nesting, plus extra keys) to f;
 * the keys, units and name handling are described in report_json.c.
 * Returns 0, or a negative errno (-EIO when writing fails, -ENOMEM,
 * -EINVAL for a NULL argument). */
int report_write_json(const struct report_input *in, FILE *f);

/* Writes the aligned text report to f (layout in report_text.c). Returns 0
 * or a negative errno (-EIO when writing fails, -ENOMEM, -EINVAL). */
int report_write_text(const struct report_input *in, FILE *f);

#endif /* ETLTRACE_REPORT_H */
