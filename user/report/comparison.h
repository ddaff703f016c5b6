/* SPDX-License-Identifier: MIT */
/*
 * comparison.h - baselines and regressions: the operations of a saved JSON
 * report (or of the current run's report), and their comparison.
 *
 * An operation regresses when both sides have finished samples (count > 0),
 * the baseline's avg_time is above 0, and the current avg_time is strictly
 * above factor x the baseline's (the seed's `current_time > baseline_time *
 * 1.5`). Operations are matched by their JSON key in "operations"; those on
 * one side only are listed, never errors. An avg_time of 0 in the baseline
 * (no finished sample, or a hand-written file: etltrace's reports keep
 * every nanosecond) gives no ratio and no regression; one so small that
 * the ratio overflows (below ~1e-299 s, which no report of etltrace
 * holds) gives no ratio, and a regression if the current avg_time is above
 * factor x it.
 */
#ifndef ETLTRACE_COMPARISON_H
#define ETLTRACE_COMPARISON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

#include <json-c/json.h>

/* Largest report file read, and the largest avg_time / count accepted: every
 * avg_time a report can hold (at most 2^64 ns, 1.8e10 s) reads back. */
#define BASELINE_MAX_BYTES (256u << 20)
#define BASELINE_MAX_SECONDS 2e10
#define BASELINE_MAX_COUNT 9007199254740992.0 /* 2^53 */

struct perf_op {
	char *name;       /* the JSON key (valid UTF-8), owned */
	double avg_time;  /* seconds */
	uint64_t count;
};

struct perf_ops {
	struct perf_op *v; /* in the report's order */
	size_t n;
};

/* Reads the "operations" of a parsed report. Each must be an object with a
 * number "avg_time" in [0, BASELINE_MAX_SECONDS] and a whole number "count"
 * in [0, 2^53]; other keys are ignored. On error returns -1 and writes a
 * reason naming the key into err, e.g. operations."load".avg_time: expected
 * a number of seconds in [0, 2e10], got "fast" (names escaped for the
 * terminal). */
int perf_ops_from_json(struct json_object *report, struct perf_ops *out, char *err,
		       size_t errlen);

/* perf_ops_from_json over the file at path. Errors read
 * "LABEL PATH: reason", e.g. "baseline base.json: not valid JSON: ...". */
int perf_ops_load(const char *label, const char *path, struct perf_ops *out, char *err,
		  size_t errlen);

void perf_ops_free(struct perf_ops *ops);

struct comparison_row {
	const char *name;   /* points into the current perf_ops */
	double baseline_avg, current_avg;
	uint64_t baseline_count, current_count;
	bool has_ratio;     /* baseline_avg > 0 and the ratio finite */
	double ratio;       /* current_avg / baseline_avg, if has_ratio */
	bool regression;
};

struct comparison {
	double factor;
	struct comparison_row *rows;  /* operations on both sides, current's order */
	size_t nrows;
	const char **only_baseline;   /* names, baseline's order */
	size_t nonly_baseline;
	const char **only_current;    /* names, current's order */
	size_t nonly_current;
	size_t nregressions;
};

/* Compares; names point into base and cur, which must outlive out.
 * Returns 0 or -ENOMEM. */
int comparison_build(const struct perf_ops *base, const struct perf_ops *cur, double factor,
		     struct comparison *out);
void comparison_free(struct comparison *c);

/* Printing a comparison (comparison_print.c). */

/* Adds a comparison to a JSON object (a report, or compare's output):
 * "regressions": [{"operation", "baseline_avg_time", "current_avg_time",
 * "ratio"}] and "comparison": {"regression_factor", "operations": [...every
 * operation on both sides, with "regression": bool and a null ratio when
 * the baseline's avg_time is 0], "only_in_baseline": [names],
 * "only_in_current": [names]}. Returns 0 or -ENOMEM. */
int comparison_add_json(const struct comparison *c, struct json_object *root);

/* Writes the comparison as a text section (layout in comparison_print.c).
 * Returns 0, -EIO or -ENOMEM. */
int comparison_write_text(const struct comparison *c, FILE *f);

#endif /* ETLTRACE_COMPARISON_H */
