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

struct comparison;  /* baseline.h */
struct perf_ops;    /* baseline.h */
struct json_object; /* json-c */

/* Thresholds behind recommendations and suggestions (defaults and their
 * configuration keys in config.c; the rules in suggest.c). */
struct thresholds {
	double slow_seconds;  /* avg_time above this is slow (seed default 2.0) */
	double memory_mb;     /* max_memory_delta above this is high (seed default 100.0) */
	double batch_seconds; /* avg_time above this: batch processing (2.0) */
	double cleanup_mb;    /* max_memory_delta above this: memory cleanup (50.0) */
	double wait_fraction; /* off-CPU share of a slow op for parallelism (0.5) */
	double transient_mb;  /* avg peak - avg net delta above this ... (50.0) */
	double peak_ratio;    /* ... and avg peak above this x avg net: batch size (2.0) */
	double major_faults;  /* major faults per operation above this (100) */
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
	const struct comparison *cmp; /* with --baseline: shown in the report; else NULL */
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

/* The seed's suggest_optimizations(), with documented rules (suggest.c).
 * One suggestion per (operation, rule) that fires; `named` rules carry the
 * operation's name in their text. */
enum suggestion_rule {
	SUGGEST_BATCH_PROCESSING, /* "Consider batch processing for X" */
	SUGGEST_MEMORY_CLEANUP,   /* "Implement memory cleanup for X" */
	SUGGEST_PARALLEL,         /* "Enable parallel processing for large datasets" */
	SUGGEST_BATCH_SIZE,       /* "Reduce batch size to optimize memory usage" */
	SUGGEST_MAJOR_FAULTS,     /* "Reduce major page faults for X" */
	SUGGEST__MAX
};

struct suggestion {
	enum suggestion_rule rule;
	const char *rule_name;   /* static, e.g. "batch_processing" */
	bool named;              /* text holds the operation name */
	char *text;              /* malloc'd; raw name bytes inside when named */
	char *evidence;          /* malloc'd, no name: "avg_time 3.20s > 2.00s" */
	const struct op_stats *op; /* valid until the stats change */
};

/* Builds the suggestions in report order (operations as stats_sorted, rules
 * in enum order for each); *out is a malloc'd array (NULL when there are
 * none) freed with suggestions_free. Operations with no finished sample get
 * none. Returns the number, or -ENOMEM (-EINVAL for a NULL argument). */
int suggestions_build(const struct report_input *in, struct suggestion **out);
void suggestions_free(struct suggestion *s, size_t n);

/* Writes the report as JSON (seed keys and nesting, plus extra keys) to f;
 * the keys, units and name handling are described in report_json.c. It is
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

/* Writes a JSON tree (pretty-printed, then a newline) to f, as
 * report_write_json lays out the report. Returns 0, -EIO or -ENOMEM. */
int report_json_print(struct json_object *root, FILE *f);

/* Adds a comparison to a JSON object (a report, or compare's output):
 * "regressions": [{"operation", "baseline_avg_time", "current_avg_time",
 * "ratio"}] and "comparison": {"regression_factor", "operations": [...every
 * operation on both sides, with "regression": bool and a null ratio when
 * the baseline's avg_time is 0], "only_in_baseline": [names],
 * "only_in_current": [names]}. Returns 0 or -ENOMEM. */
int comparison_add_json(const struct comparison *c, struct json_object *root);

/* Writes the comparison as a text section (layout in report_compare.c).
 * Returns 0, -EIO or -ENOMEM. */
int comparison_write_text(const struct comparison *c, FILE *f);

/* Writes the aligned text report to f (layout in report_text.c), streamed
 * like report_write_json. Returns 0 or a negative errno (-EIO when writing
 * fails, -ENOMEM, -EINVAL); on error, part of it may have been written. */
int report_write_text(const struct report_input *in, FILE *f);

#endif /* ETLTRACE_REPORT_H */
