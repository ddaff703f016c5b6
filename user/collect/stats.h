/* SPDX-License-Identifier: MIT */
/*
 * stats.h - per-operation statistics, built from completed-operation
 * samples. Pure user-space logic with no BPF dependency, unit-tested.
 *
 * The number of distinct names kept is capped (max_operations, default
 * STATS_DEFAULT_MAX_OPERATIONS): once the table holds that many, samples of
 * any other name go to one more entry, STATS_OTHER_NAME, and are counted
 * (stats_over_limit), so every sample still adds up in the summary.
 */
#ifndef ETLTRACE_STATS_H
#define ETLTRACE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "collect/histogram.h"

#define STATS_DEFAULT_MAX_OPERATIONS 10000
#define STATS_MAX_OPERATIONS_LIMIT 1000000 /* largest cap accepted by the options */
#define STATS_OTHER_NAME "[other operations]"
/* Longest name kept, in bytes, as the BPF side keeps them (ETL_NAME_MAX - 1);
 * longer names are cut there, so names that differ only after it are one. */
#define STATS_NAME_MAX 63

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

/* Most duration bounds a table counts samples under (stats_set_bounds). */
#define STATS_MAX_BOUNDS 32

/* The extremes of the samples added since the table's window started
 * (stats_window_start), for reports of an interval; valid when seq is the
 * table's window sequence number. */
struct op_window {
	uint64_t seq;
	uint64_t min_ns, max_ns;
	int64_t max_mem_delta, max_peak_delta;
	uint32_t max_depth;
};

/* Statistics of one operation name. Times in ns, memory in bytes. Only
 * finished samples count towards count/total/min/max/memory; an unfinished
 * sample only increments `unfinished` (it does not touch max_depth).
 *
 * With windows on (stats_window_start), a sample updates its window's
 * extremes only, not min_ns, max_ns, max_mem_delta, max_peak_delta and
 * max_depth too (one set of comparisons per sample, not two): those are
 * current after stats_fold. */
struct op_stats {
	char *name;         /* raw bytes from the target, NUL-terminated, at most
			     * STATS_NAME_MAX; stored right after the struct */
	uint64_t count;
	uint64_t total_ns;
	uint64_t min_ns;
	uint64_t max_ns;
	int64_t sum_mem_delta;
	int64_t max_mem_delta;   /* meaningful when count > 0 */
	int64_t sum_peak_delta;
	int64_t max_peak_delta;
	uint64_t cpu_ns;         /* summed over samples with resources */
	uint64_t off_cpu_ns;     /* their duration - cpu_ns, each clamped at 0, summed */
	uint64_t min_flt, maj_flt;
	uint64_t read_bytes, write_bytes;
	uint64_t records;        /* summed over samples that carried a count */
	uint64_t records_ns;     /* summed duration of those samples */
	uint64_t resource_samples;
	uint64_t resource_ns;    /* summed duration of samples with resources (CPU%, off-CPU) */
	uint64_t record_samples;
	uint64_t unfinished;     /* samples still open at the end */
	uint32_t max_depth;
	bool has_extremes;       /* the five extremes above hold a sample */
	struct histogram hist;   /* durations (ns) of the finished samples */
	uint64_t *le_counts;     /* with bounds set: le_counts[i] finished samples with
				  * bounds[i-1] < duration <= bounds[i]; NULL until one */
	struct op_window win;
};

struct stats;

/* Returns an empty table keeping at most max_operations distinct names (0 is
 * taken as 1), or NULL on allocation failure. */
struct stats *stats_new(size_t max_operations);

/* Frees the table and every name it owns. NULL is allowed. */
void stats_free(struct stats *st);

/* A deep copy of st (same cap on names and bounds; its extremes folded,
 * windows off), or NULL on allocation failure. */
struct stats *stats_clone(const struct stats *st);

/* Makes the table count finished samples per duration bound too
 * (op_stats.le_counts; Prometheus histograms need exact counts per bound):
 * bounds_ns[0..n) ascending, n <= STATS_MAX_BOUNDS, not copied (it must
 * outlive the table and its clones). Call it before the first sample.
 * Returns 0 or -EINVAL. */
int stats_set_bounds(struct stats *st, const uint64_t *bounds_ns, size_t n);

/* Starts a new window: from now on, each entry's `win` holds the extremes
 * of the samples added since this call. The first call turns windows on. */
void stats_window_start(struct stats *st);

/* Brings every entry's extremes of all time up to date (see struct
 * op_stats); call it before reading them from a table with windows on.
 * Windows stay as they are. */
void stats_fold(struct stats *st);

/* What was added to `now` since `mark` was cloned from it (NULL: since it
 * was made) and stats_window_start was called on it: a new table (same cap
 * on names, no bounds) with, per entry that gained samples, the
 * differences of every sum and count, the histogram of the durations added,
 * and the window's extremes as min and max. NULL on allocation failure. */
struct stats *stats_since(const struct stats *now, const struct stats *mark);

/* Iterates over every entry (the overflow entry last), in no particular
 * order: start with *cursor = 0; NULL at the end. *hash (if not NULL) is
 * the entry's stats_hash. */
const struct op_stats *stats_next(const struct stats *st, size_t *cursor, uint64_t *hash);

/* Adds one sample for `name` (copied, cut at STATS_NAME_MAX bytes): to its
 * entry, created if the table holds fewer than max_operations names, else
 * to the STATS_OTHER_NAME entry (then counted in stats_over_limit). Returns
 * 0, -ENOMEM (the sample is then not counted anywhere), or -EINVAL if an
 * argument is NULL. */
int stats_add(struct stats *st, const char *name, const struct op_sample *s);

/* The hash stats_add computes of name (cut at STATS_NAME_MAX bytes), for
 * callers adding one sample to several tables: stats_add_hashed. */
uint64_t stats_hash(const char *name);

/* stats_add of a name already at most STATS_NAME_MAX bytes (as intake's
 * events are), with its stats_hash already computed. */
int stats_add_hashed(struct stats *st, const char *name, uint64_t hash, const struct op_sample *s);

/* Number of entries: distinct names kept, plus one once the
 * STATS_OTHER_NAME entry exists. */
size_t stats_size(const struct stats *st);

/* Samples that went to the STATS_OTHER_NAME entry. */
uint64_t stats_over_limit(const struct stats *st);

/* Looks up an operation by exact name (cut at STATS_NAME_MAX bytes); NULL if
 * absent. STATS_OTHER_NAME finds the overflow entry, unless the target
 * itself named an operation so (then stats_other finds the overflow). The
 * pointer stays valid until the next stats_add or stats_free. */
const struct op_stats *stats_find(const struct stats *st, const char *name);

/* The STATS_OTHER_NAME entry, or NULL if no sample went over the cap. */
const struct op_stats *stats_other(const struct stats *st);

/* Fills `out` (capacity stats_size()) with pointers to every entry (the
 * overflow entry included), sorted by total_ns descending, ties by name
 * ascending. Returns the count. Pointers stay valid until the next
 * stats_add or stats_free. */
size_t stats_sorted(const struct stats *st, const struct op_stats **out);

/* stats_sorted into a malloc'd array (*out, NULL when there are no
 * operations; the caller frees it). Returns the count, or -ENOMEM. */
ssize_t stats_sorted_alloc(const struct stats *st, const struct op_stats ***out);

/*
 * Memory bound. Counting each allocation as its size plus STATS_ALLOC_SLACK
 * bytes (glibc's header and rounding take at most 23), a table made with
 * stats_new(N) never holds more than
 *
 *   STATS_MEMORY_BOUND(N) = STATS_FIXED_BYTES + (N + 1) x STATS_ENTRY_MAX_BYTES
 *
 * whatever the number of samples or of distinct names: N named entries and
 * the overflow entry, each at most
 *
 *   struct op_stats and its name (296 + 64) + 32 ..................    392
 *   its counts per duration bound, with bounds set (stats_set_bounds),
 *   at most STATS_MAX_BOUNDS 8-byte counters + 32 .................    288
 *   its histogram's counters, HISTOGRAM_MAX_BYTES + 32 ........... 30,240
 *   its share of the slot array: fewer than 4N 16-byte slots,
 *   and 1.5 times that while the array doubles (STATS_SLOT_SHARE) .     96
 *                                             STATS_ENTRY_MAX_BYTES 31,016
 *
 * plus STATS_FIXED_BYTES (32 KiB): struct stats, the smallest slot array,
 * and one histogram's counters twice while realloc moves them. For the
 * default N = 10,000: 310.2 MB (295.9 MiB). That needs every operation's
 * durations spread over all 236 quarter powers of two, from 0 ns to 584
 * years, and 2^32 of them in one bucket (64-bit counters); durations within
 * a power of two or two take 32-320 bytes of counters, so 0.4-0.8 KB per
 * name (4-8 MB for 10,000 names).
 *
 * Writing a report (report_write_text, report_write_json; one at a time)
 * adds at most STATS_REPORT_FIXED_BYTES + (N + 1) x STATS_REPORT_ENTRY_BYTES
 * (20.5 MB for N = 10,000), so STATS_REPORT_BOUND(N) in all (330.8 MB): per
 * entry a pointer in the sorted list, the set of JSON keys if some name is
 * not valid UTF-8 (at most ~450 bytes a key), and, the most, the
 * suggestions the rules (report/rules.c) may make of it (a few texts and
 * their evidence: ~1,500 bytes); the fixed part is one operation's
 * values, name conversions and stdio's buffer. With --baseline, the
 * baseline's operations and the comparison add about 300 bytes per
 * operation of either report. Outside these bounds: the ring buffers, and
 * intake's cache of names read by address (about 100 bytes per distinct
 * name address resolved by the loader).
 *
 * tests/unit/test_memory_bound.c measures the worst case against these
 * macros: 10,000 names with every histogram at its maximum come within 1%
 * of STATS_MEMORY_BOUND(10000).
 */
#define STATS_ALLOC_SLACK 32u
#define STATS_SLOT_SHARE 96u
#define STATS_ENTRY_MAX_BYTES                                                             \
	(sizeof(struct op_stats) + STATS_NAME_MAX + 1 + STATS_MAX_BOUNDS * 8u +             \
	 HISTOGRAM_MAX_BYTES + 3 * STATS_ALLOC_SLACK + STATS_SLOT_SHARE)
#define STATS_FIXED_BYTES 32768u
#define STATS_MEMORY_BOUND(n) (STATS_FIXED_BYTES + ((size_t)(n) + 1) * STATS_ENTRY_MAX_BYTES)
#define STATS_REPORT_FIXED_BYTES 65536u
#define STATS_REPORT_ENTRY_BYTES 2048u
#define STATS_REPORT_BOUND(n)                                                             \
	(STATS_MEMORY_BOUND(n) + STATS_REPORT_FIXED_BYTES +                                \
	 ((size_t)(n) + 1) * STATS_REPORT_ENTRY_BYTES)

/* Seed-compatible summary over all operations (seconds). */
struct stats_summary {
	double total_time;          /* sum of every operation's total_time */
	uint64_t total_operations;  /* sum of counts */
	double avg_operation_time;  /* total_time / total_operations, 0 if none */
	uint64_t unfinished;
};
void stats_summarize(const struct stats *st, struct stats_summary *out);

#endif /* ETLTRACE_STATS_H */
