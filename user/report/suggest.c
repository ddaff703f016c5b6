// SPDX-License-Identifier: MIT
/*
 * suggest.c - the seed's suggest_optimizations() texts, each behind a rule
 * over one operation's measured statistics and the thresholds (struct
 * thresholds; flags and --config keys in config.c). Only operations with a
 * finished sample are judged; every comparison is strict, on unrounded
 * values; MB = MiB. With avg = total_time / count:
 *
 *   batch_processing  avg > batch_seconds (2.0 s, the seed's CustomETLProfiler)
 *                     -> "Consider batch processing for X"
 *   memory_cleanup    max_memory_delta > cleanup_mb (50 MB, the seed's)
 *                     -> "Implement memory cleanup for X"
 *   parallel          avg > slow_seconds (PERFORMANCE_THRESHOLD_SECONDS) and,
 *                     over the samples with resource data, off-CPU time /
 *                     duration > wait_fraction (0.5): it is slow because it
 *                     waits (I/O, locks, sleep), which concurrency hides
 *                     -> "Enable parallel processing for large datasets"
 *   batch_size        with peak = avg peak delta and net = max(avg net delta,
 *                     0): peak - net > transient_mb (50 MB) and peak >
 *                     peak_ratio x net (2.0): most of what it allocates is
 *                     transient, so smaller batches lower the high-water mark
 *                     -> "Reduce batch size to optimize memory usage"
 *   major_faults      major page faults per sample with resource data >
 *                     major_faults (100): it waits for the disk page by page
 *                     -> "Reduce major page faults for X"
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "report/report.h"

#define BYTES_PER_MB 1048576.0

static const char *const rule_names[SUGGEST__MAX] = {
	[SUGGEST_BATCH_PROCESSING] = "batch_processing",
	[SUGGEST_MEMORY_CLEANUP] = "memory_cleanup",
	[SUGGEST_PARALLEL] = "parallel",
	[SUGGEST_BATCH_SIZE] = "batch_size",
	[SUGGEST_MAJOR_FAULTS] = "major_faults",
};

void suggestions_free(struct suggestion *s, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; i < n; i++) {
		free(s[i].text);
		free(s[i].evidence);
	}
	free(s);
}

/* What one operation's rules look at. */
struct facts {
	double avg_s, max_mb, avg_net_mb, avg_peak_mb;
	bool resources;
	double off_fraction, faults_per_op;
};

static void facts_of(const struct op_stats *op, struct facts *f)
{
	double n = (double)op->count;

	f->avg_s = (double)op->total_ns / 1e9 / n;
	f->max_mb = (double)op->max_mem_delta / BYTES_PER_MB;
	f->avg_net_mb = (double)op->sum_mem_delta / n / BYTES_PER_MB;
	f->avg_peak_mb = (double)op->sum_peak_delta / n / BYTES_PER_MB;
	f->resources = op->resource_samples > 0 && op->resource_ns > 0;
	f->off_fraction = 0;
	f->faults_per_op = 0;
	if (f->resources) {
		uint64_t off = op->resource_ns > op->cpu_ns ? op->resource_ns - op->cpu_ns : 0;

		f->off_fraction = (double)off / (double)op->resource_ns;
		f->faults_per_op = (double)op->maj_flt / (double)op->resource_samples;
	}
}

/* Appends one suggestion; text and evidence are taken (freed on error).
 * Returns 0 or -ENOMEM. */
static int push(struct suggestion *out, size_t *n, enum suggestion_rule rule, bool named,
		const struct op_stats *op, int text_len, char *text, int ev_len, char *evidence)
{
	if (text_len < 0 || ev_len < 0) {
		if (text_len >= 0)
			free(text);
		if (ev_len >= 0)
			free(evidence);
		return -ENOMEM;
	}
	out[(*n)++] = (struct suggestion){ rule, rule_names[rule], named, text, evidence, op };
	return 0;
}

/* Appends the suggestions of one operation. Returns 0 or -ENOMEM. */
static int suggest_op(const struct op_stats *op, const struct thresholds *th,
		      struct suggestion *out, size_t *n)
{
	struct facts f;
	char *t = NULL, *e = NULL;
	int err = 0, lt, le;

	if (op->count == 0)
		return 0;
	facts_of(op, &f);
	if (f.avg_s > th->batch_seconds) {
		lt = asprintf(&t, "Consider batch processing for %s", op->name);
		le = asprintf(&e, "avg_time %.2fs > %.2fs", f.avg_s, th->batch_seconds);
		err = err ?: push(out, n, SUGGEST_BATCH_PROCESSING, true, op, lt, t, le, e);
	}
	if (!err && f.max_mb > th->cleanup_mb) {
		lt = asprintf(&t, "Implement memory cleanup for %s", op->name);
		le = asprintf(&e, "max_memory_delta %.1fMB > %.1fMB", f.max_mb, th->cleanup_mb);
		err = push(out, n, SUGGEST_MEMORY_CLEANUP, true, op, lt, t, le, e);
	}
	if (!err && f.resources && f.avg_s > th->slow_seconds && f.off_fraction > th->wait_fraction) {
		lt = asprintf(&t, "Enable parallel processing for large datasets");
		le = asprintf(&e, "avg_time %.2fs > %.2fs, %.0f%% of it off CPU > %.0f%%", f.avg_s,
			      th->slow_seconds, 100 * f.off_fraction, 100 * th->wait_fraction);
		err = push(out, n, SUGGEST_PARALLEL, false, op, lt, t, le, e);
	}
	if (!err) {
		double net = f.avg_net_mb > 0 ? f.avg_net_mb : 0;

		if (f.avg_peak_mb - net > th->transient_mb && f.avg_peak_mb > th->peak_ratio * net) {
			lt = asprintf(&t, "Reduce batch size to optimize memory usage");
			le = asprintf(&e, "avg peak +%.1fMB vs avg net %+.1fMB", f.avg_peak_mb,
				      f.avg_net_mb);
			err = push(out, n, SUGGEST_BATCH_SIZE, false, op, lt, t, le, e);
		}
	}
	if (!err && f.resources && f.faults_per_op > th->major_faults) {
		lt = asprintf(&t, "Reduce major page faults for %s", op->name);
		le = asprintf(&e, "%.0f major faults per operation > %.0f", f.faults_per_op,
			      th->major_faults);
		err = push(out, n, SUGGEST_MAJOR_FAULTS, true, op, lt, t, le, e);
	}
	return err;
}

int suggestions_build(const struct report_input *in, struct suggestion **out)
{
	const struct op_stats **ops = NULL;
	struct suggestion *sugg = NULL;
	size_t nops, n = 0;
	ssize_t got;
	int err = 0;

	if (!in || !out)
		return -EINVAL;
	*out = NULL;
	got = stats_sorted_alloc(in->stats, &ops);
	if (got <= 0)
		return (int)got;
	nops = (size_t)got;
	if (nops > INT_MAX / SUGGEST__MAX) {
		free(ops);
		return -EOVERFLOW;
	}
	sugg = calloc(nops * SUGGEST__MAX, sizeof(*sugg));
	if (!sugg) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < nops && !err; i++)
		err = suggest_op(ops[i], &in->th, sugg, &n);
	if (!err && n == 0) {
		free(sugg);
		sugg = NULL;
	}
cleanup:
	free(ops);
	if (err) {
		suggestions_free(sugg, n);
		return err;
	}
	*out = sugg;
	return (int)n;
}
