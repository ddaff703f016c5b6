// SPDX-License-Identifier: MIT
/*
 * rules.c - every rule of the report in one table. With avg = total_time /
 * count and MB = MiB:
 *
 *   slow              avg > slow_seconds (PERFORMANCE_THRESHOLD_SECONDS, 2.0)
 *   high_memory       max_memory_delta > memory_mb (MEMORY_THRESHOLD_MB, 100)
 *   batch_processing  avg > batch_seconds (2.0, the seed's CustomETLProfiler)
 *   memory_cleanup    max_memory_delta > cleanup_mb (50, the seed's)
 *   parallel          avg > slow_seconds and, over the samples with resource
 *                     data, off-CPU time / duration > wait_fraction (0.5): it
 *                     is slow because it waits (I/O, locks, sleep), which
 *                     concurrency hides
 *   batch_size        with peak = avg peak delta and net = max(avg net delta,
 *                     0): peak - net > transient_mb (50) and peak >
 *                     peak_ratio x net (2.0): most of what it allocates is
 *                     transient, so smaller batches lower the high-water mark
 *   major_faults      major page faults per sample with resource data >
 *                     major_faults (100): it waits for the disk page by page
 *
 * The first two are the seed's recommendations, with its exact texts; the
 * others its suggest_optimizations() texts.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "report/rules.h"
#include "report/units.h"

/* What one operation's rules look at. */
struct facts {
	const char *name;
	double avg_s, max_mb, avg_net_mb, avg_peak_mb;
	bool resources;
	double off_fraction, faults_per_op;
};

static void facts_of(const struct op_stats *op, struct facts *f)
{
	double n = (double)op->count;

	f->name = op->name;
	f->avg_s = sec_of_ns((double)op->total_ns) / n;
	f->max_mb = mb_of_bytes((double)op->max_mem_delta);
	f->avg_net_mb = mb_of_bytes((double)op->sum_mem_delta / n);
	f->avg_peak_mb = mb_of_bytes((double)op->sum_peak_delta / n);
	f->resources = op->resource_samples > 0 && op->resource_ns > 0;
	f->off_fraction = 0;
	f->faults_per_op = 0;
	if (f->resources) {
		uint64_t off = op->resource_ns > op->cpu_ns ? op->resource_ns - op->cpu_ns : 0;

		f->off_fraction = (double)off / (double)op->resource_ns;
		f->faults_per_op = (double)op->maj_flt / (double)op->resource_samples;
	}
}

static double net_mb(const struct facts *f)
{
	return f->avg_net_mb > 0 ? f->avg_net_mb : 0;
}

/* Each rule's condition, text and evidence; text and evidence functions
 * return what asprintf returns. */
static bool slow_fires(const struct facts *f, const struct thresholds *th)
{
	return f->avg_s > th->slow_seconds;
}

static int slow_text(char **s, const struct facts *f, const struct thresholds *th)
{
	(void)th;
	return asprintf(s, "Operation '%s' is slow (avg: %.1fs). Consider optimization.", f->name,
			f->avg_s);
}

static int slow_evidence(char **s, const struct facts *f, const struct thresholds *th)
{
	return asprintf(s, "avg_time %.2fs > %.2fs", f->avg_s, th->slow_seconds);
}

static bool memory_fires(const struct facts *f, const struct thresholds *th)
{
	return f->max_mb > th->memory_mb;
}

static int memory_text(char **s, const struct facts *f, const struct thresholds *th)
{
	(void)th;
	return asprintf(s, "Operation '%s' uses high memory (max: %.1fMB). Consider batch "
			   "processing.", f->name, f->max_mb);
}

static int memory_evidence(char **s, const struct facts *f, const struct thresholds *th)
{
	return asprintf(s, "max_memory_delta %.1fMB > %.1fMB", f->max_mb, th->memory_mb);
}

static bool batch_fires(const struct facts *f, const struct thresholds *th)
{
	return f->avg_s > th->batch_seconds;
}

static int batch_text(char **s, const struct facts *f, const struct thresholds *th)
{
	(void)th;
	return asprintf(s, "Consider batch processing for %s", f->name);
}

static int batch_evidence(char **s, const struct facts *f, const struct thresholds *th)
{
	return asprintf(s, "avg_time %.2fs > %.2fs", f->avg_s, th->batch_seconds);
}

static bool cleanup_fires(const struct facts *f, const struct thresholds *th)
{
	return f->max_mb > th->cleanup_mb;
}

static int cleanup_text(char **s, const struct facts *f, const struct thresholds *th)
{
	(void)th;
	return asprintf(s, "Implement memory cleanup for %s", f->name);
}

static int cleanup_evidence(char **s, const struct facts *f, const struct thresholds *th)
{
	return asprintf(s, "max_memory_delta %.1fMB > %.1fMB", f->max_mb, th->cleanup_mb);
}

static bool parallel_fires(const struct facts *f, const struct thresholds *th)
{
	return f->resources && f->avg_s > th->slow_seconds && f->off_fraction > th->wait_fraction;
}

static int parallel_text(char **s, const struct facts *f, const struct thresholds *th)
{
	(void)f;
	(void)th;
	return asprintf(s, "Enable parallel processing for large datasets");
}

static int parallel_evidence(char **s, const struct facts *f, const struct thresholds *th)
{
	return asprintf(s, "avg_time %.2fs > %.2fs, %.0f%% of it off CPU > %.0f%%", f->avg_s,
			th->slow_seconds, 100 * f->off_fraction, 100 * th->wait_fraction);
}

static bool batch_size_fires(const struct facts *f, const struct thresholds *th)
{
	return f->avg_peak_mb - net_mb(f) > th->transient_mb &&
	       f->avg_peak_mb > th->peak_ratio * net_mb(f);
}

static int batch_size_text(char **s, const struct facts *f, const struct thresholds *th)
{
	(void)f;
	(void)th;
	return asprintf(s, "Reduce batch size to optimize memory usage");
}

static int batch_size_evidence(char **s, const struct facts *f, const struct thresholds *th)
{
	(void)th;
	return asprintf(s, "avg peak +%.1fMB vs avg net %+.1fMB", f->avg_peak_mb, f->avg_net_mb);
}

static bool faults_fires(const struct facts *f, const struct thresholds *th)
{
	return f->resources && f->faults_per_op > th->major_faults;
}

static int faults_text(char **s, const struct facts *f, const struct thresholds *th)
{
	(void)th;
	return asprintf(s, "Reduce major page faults for %s", f->name);
}

static int faults_evidence(char **s, const struct facts *f, const struct thresholds *th)
{
	return asprintf(s, "%.0f major faults per operation > %.0f", f->faults_per_op,
			th->major_faults);
}

static const struct rule {
	enum rule_kind kind;
	const char *name;
	bool named;
	bool (*fires)(const struct facts *f, const struct thresholds *th);
	int (*text)(char **s, const struct facts *f, const struct thresholds *th);
	int (*evidence)(char **s, const struct facts *f, const struct thresholds *th);
} rules[RULE__MAX] = {
#define R(id, kind, name, named, fn) [id] = { kind, name, named, fn##_fires, fn##_text, fn##_evidence }
	R(RULE_SLOW, RULE_RECOMMENDATION, "slow", true, slow),
	R(RULE_HIGH_MEMORY, RULE_RECOMMENDATION, "high_memory", true, memory),
	R(RULE_BATCH_PROCESSING, RULE_SUGGESTION, "batch_processing", true, batch),
	R(RULE_MEMORY_CLEANUP, RULE_SUGGESTION, "memory_cleanup", true, cleanup),
	R(RULE_PARALLEL, RULE_SUGGESTION, "parallel", false, parallel),
	R(RULE_BATCH_SIZE, RULE_SUGGESTION, "batch_size", false, batch_size),
	R(RULE_MAJOR_FAULTS, RULE_SUGGESTION, "major_faults", true, faults),
#undef R
};

void findings_free(struct finding *f, size_t n)
{
	for (size_t i = 0; f && i < n; i++) {
		free(f[i].text);
		free(f[i].evidence);
	}
	free(f);
}

/* A growing list of findings. */
struct found {
	struct finding *v;
	size_t n, cap;
};

/* Appends the findings of one operation. Returns 0 or -ENOMEM. */
static int judge(const struct op_stats *op, const struct thresholds *th, struct found *out)
{
	struct facts f;

	if (op->count == 0)
		return 0;
	facts_of(op, &f);
	for (int id = 0; id < RULE__MAX; id++) {
		const struct rule *r = &rules[id];
		struct finding *x;

		if (!r->fires(&f, th))
			continue;
		if (out->n == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 16;
			struct finding *v = realloc(out->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			out->v = v;
			out->cap = cap;
		}
		x = &out->v[out->n++]; /* counted even when incomplete, to be freed */
		*x = (struct finding){ (enum rule_id)id, r->kind, r->name, r->named, NULL, NULL, op };
		if (r->text(&x->text, &f, th) < 0)
			x->text = NULL;
		if (r->evidence(&x->evidence, &f, th) < 0)
			x->evidence = NULL;
		if (!x->text || !x->evidence)
			return -ENOMEM;
	}
	return 0;
}

int rules_apply(const struct op_stats *const *ops, size_t nops, const struct thresholds *th,
		struct finding **out)
{
	struct found found = { 0 };
	int err = 0;

	if ((!ops && nops) || !th || !out)
		return -EINVAL;
	*out = NULL;
	for (size_t i = 0; i < nops && !err; i++)
		err = judge(ops[i], th, &found);
	if (!err && found.n > INT_MAX)
		err = -EOVERFLOW;
	if (err || found.n == 0) {
		findings_free(found.v, found.n);
		return err;
	}
	*out = found.v;
	return (int)found.n;
}
