/* SPDX-License-Identifier: MIT */
/*
 * report.h - the report: the seed profiler's keys and texts (the Python
 * ETLProfiler's get_performance_report) plus etltrace's own, as JSON, as an
 * aligned text table, or as folded stacks. Output modules only format;
 * they never trace.
 */
#ifndef ETLTRACE_REPORT_H
#define ETLTRACE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "collect/paths.h"
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

/* One process's own section of the report. */
struct report_process {
	pid_t pid;
	const char *command;        /* its command name (raw bytes) */
	bool exited;
	const struct stats *stats;
};

/* Which part of a trace an interval report covers (-i). */
struct report_interval {
	uint64_t seq;               /* 1 for the first interval */
	double start, end;          /* Unix time, seconds */
};

/* How the text report is laid out. */
struct text_layout {
	unsigned int width;         /* columns to fit the table in; 0: no limit */
	bool tree;                  /* add the operation tree (--tree) */
};

struct report_input {
	const struct stats *stats;  /* the aggregate over every traced process */
	const pid_t *pids;          /* the processes given to trace */
	size_t npids;
	const struct report_process *procs; /* per-process sections; NULL: none */
	size_t nprocs;
	const struct paths *paths;  /* the operation tree's paths, or NULL */
	const struct report_interval *interval; /* an interval's report, or NULL */
	double wall_seconds;        /* how long the trace (or interval) ran */
	const struct report_counter *counters;
	size_t ncounters;
	struct thresholds th;
	const struct comparison *cmp; /* with --baseline: shown in the report; else NULL */
	struct text_layout text;

	/* Derived by report_prepare, released by report_release: */
	const struct op_stats **ops;  /* every operation in report order (stats_sorted) */
	size_t nops;
	struct finding *findings;     /* rules_apply over ops */
	size_t nfindings;
	struct path_tree tree;        /* from paths; empty without */
};

/* Weights of folded stacks. */
enum folded_weight {
	FOLDED_TIME,   /* self time, microseconds */
	FOLDED_CPU,    /* self CPU time (the path's minus its children's), microseconds */
	FOLDED_MEMORY, /* self net memory delta, KiB, where it is positive */
	FOLDED_COUNT,  /* operations of the path */
};

/* Sorts the operations and applies the rules, once for every writer below,
 * which all need a prepared input. Returns 0 or -ENOMEM (-EINVAL for a NULL
 * argument); on error nothing is left to release. */
int report_prepare(struct report_input *in);

/* Frees what report_prepare made. */
void report_release(struct report_input *in);

/* Writes the report as JSON (seed keys and nesting, plus extra keys) to f,
 * pretty-printed or, compact, on one line (NDJSON); the keys, units and
 * name handling are described in report/json.c. It is streamed: the memory
 * it takes is one operation's values plus a few pointers and the key of
 * each operation, never a tree of the whole report. Returns 0, or a
 * negative errno (-EIO when writing fails, -ENOMEM, -EINVAL for a NULL
 * argument); on error, part of the report may have been written. */
int report_write_json(const struct report_input *in, bool compact, FILE *f);

/* The operations as a comparison reads them from report_write_json's output
 * (perf_ops_from_json would give the same): JSON keys in report order,
 * avg_time rounded as written, count. Freed with perf_ops_free. Returns 0,
 * -ENOMEM or -EINVAL. */
int report_perf_ops(const struct report_input *in, struct perf_ops *out);

/* Writes the tree as folded stacks, one line per path: "a;b;c WEIGHT"
 * with names made safe for the format (';' and control bytes escaped,
 * see report/folded.c). Returns 0 or a negative errno. */
int report_write_folded(const struct report_input *in, enum folded_weight w, FILE *f);

/* Writes the aligned text report to f (layout in report/text.c), streamed
 * like report_write_json. Returns 0 or a negative errno (-EIO when writing
 * fails, -ENOMEM, -EINVAL); on error, part of it may have been written. */
int report_write_text(const struct report_input *in, FILE *f);

#endif /* ETLTRACE_REPORT_H */
