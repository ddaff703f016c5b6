/* SPDX-License-Identifier: MIT */
/*
 * stats.h - per-operation statistics, built from completed-operation
 * samples. Pure user-space logic with no BPF dependency, unit-tested.
 */
#ifndef ETLTRACE_STATS_H
#define ETLTRACE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "histogram.h"

/* One completed (or unfinished) operation, as intake hands it over. */
struct op_sample {
	uint64_t duration_ns;
	int64_t mem_delta;      /* bytes, RSS at end - RSS at start */
	int64_t mem_peak_delta; /* bytes, highest RSS inside - RSS at start (>= mem_delta) */
	uint64_t cpu_ns;        /* on-CPU time of the thread, if has_resources */
	uint64_t min_flt, maj_flt;
	uint64_t read_bytes, write_bytes;
	uint64_t records;       /* if has_records */
	uint32_t depth;         /* nesting depth, 0 = outermost */
	uint32_t tid;
	bool has_resources;
	bool has_records;
	bool unfinished;        /* still open when tracing ended (not in timing stats) */
};

/* Statistics of one operation name. Times in ns, memory in bytes. Only
 * finished samples count towards count/total/min/max/memory; an unfinished
 * sample only increments `unfinished` (it does not touch max_depth). */
struct op_stats {
	char *name;         /* raw bytes from the target, NUL-terminated, owned by the table */
	uint64_t count;
	uint64_t total_ns;
	uint64_t min_ns;
	uint64_t max_ns;
	int64_t sum_mem_delta;
	int64_t max_mem_delta;   /* meaningful when count > 0 */
	int64_t sum_peak_delta;
	int64_t max_peak_delta;
	uint64_t cpu_ns;         /* summed over samples with resources */
	uint64_t min_flt, maj_flt;
	uint64_t read_bytes, write_bytes;
	uint64_t records;        /* summed over samples that carried a count */
	uint64_t records_ns;     /* summed duration of those samples */
	uint64_t resource_samples;
	uint64_t resource_ns;    /* summed duration of samples with resources (CPU%, off-CPU) */
	uint64_t record_samples;
	uint64_t unfinished;     /* samples still open at the end */
	uint32_t max_depth;
	struct histogram hist;   /* durations (ns) of the finished samples */
};

struct stats;

/* Returns an empty table, or NULL on allocation failure. */
struct stats *stats_new(void);

/* Frees the table and every name it owns. NULL is allowed. */
void stats_free(struct stats *st);

/* Adds one sample for `name` (copied). Returns 0, -ENOMEM (the sample is
 * then not counted anywhere), or -EINVAL if an argument is NULL. */
int stats_add(struct stats *st, const char *name, const struct op_sample *s);

/* Number of distinct operation names. */
size_t stats_size(const struct stats *st);

/* Looks up an operation by exact name; NULL if absent. The pointer stays
 * valid until the next stats_add or stats_free. */
const struct op_stats *stats_find(const struct stats *st, const char *name);

/* Fills `out` (capacity stats_size()) with pointers to every operation,
 * sorted by total_ns descending, ties by name ascending. Returns the count.
 * Pointers stay valid until the next stats_add or stats_free. */
size_t stats_sorted(const struct stats *st, const struct op_stats **out);

/* Seed-compatible summary over all operations (seconds). */
struct stats_summary {
	double total_time;          /* sum of every operation's total_time */
	uint64_t total_operations;  /* sum of counts */
	double avg_operation_time;  /* total_time / total_operations, 0 if none */
	uint64_t unfinished;
};
void stats_summarize(const struct stats *st, struct stats_summary *out);

#endif /* ETLTRACE_STATS_H */
