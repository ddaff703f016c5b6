/* SPDX-License-Identifier: MIT */
/*
 * report.h - the end-of-trace report: the seed profiler's keys and texts
 * (../shared/seed/profiler-api.md) plus etltrace's own, as JSON or as an
 * aligned text table. Output modules only format; they never trace.
 */
#ifndef ETLTRACE_REPORT_H
#define ETLTRACE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "collect/stats.h"
#include "report/rules.h"
#include "report/thresholds.h"

struct comparison;  /* report/comparison.h */
struct perf_ops;    /* report/comparison.h */
struct json_object; /* json-c */

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
	const struct comparison *cmp; /* with --baseline: shown in the report; else NULL */

	/* Derived by report_prepare, released by report_release: */
	const struct op_stats **ops;  /* every operation in report order (stats_sorted) */
	size_t nops;
	struct finding *findings;     /* rules_apply over ops */
	size_t nfindings;
};

/* Sorts the operations and applies the rules, once for every writer below,
 * which all need a prepared input. Returns 0 or -ENOMEM (-EINVAL for a NULL
 * argument); on error nothing is left to release. */
int report_prepare(struct report_input *in);

/* Frees what report_prepare made. */
void report_release(struct report_input *in);

/* Writes the report as JSON (seed keys and nesting, plus extra keys) to f;
 * the keys, units and name handling are described in report/json.c. It is
 * streamed: the memory it takes is one operation's values plus a few
 * pointers and the key of each operation, never a tree of the whole report.
 * Returns 0, or a negative errno (-EIO when writing fails, -ENOMEM, -EINVAL
 * for a NULL argument); on error, part of the report may have been written. */
int report_write_json(const struct report_input *in, FILE *f);

/* The operations as a comparison reads them from report_write_json's output
 * (perf_ops_from_json would give the same): JSON keys in report order,
 * avg_time rounded as written, count. Freed with perf_ops_free. Returns 0,
 * -ENOMEM or -EINVAL. */
int report_perf_ops(const struct report_input *in, struct perf_ops *out);

/* Writes the aligned text report to f (layout in report/text.c), streamed
 * like report_write_json. Returns 0 or a negative errno (-EIO when writing
 * fails, -ENOMEM, -EINVAL); on error, part of it may have been written. */
int report_write_text(const struct report_input *in, FILE *f);

#endif /* ETLTRACE_REPORT_H */
