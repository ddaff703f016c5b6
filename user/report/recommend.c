// SPDX-License-Identifier: MIT
/*
 * recommend.c - the seed profiler's recommendations, with its exact texts:
 * an operation is slow when its mean time exceeds th.slow_seconds, and uses
 * high memory when its largest RSS delta exceeds th.memory_mb (MiB). Both
 * comparisons are strict and use unrounded values, as the seed does.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "report/report.h"

#define BYTES_PER_MB 1048576.0

void recommendations_free(char **recs, size_t n)
{
	if (!recs)
		return;
	for (size_t i = 0; i < n; i++)
		free(recs[i]);
	free(recs);
}

/* Appends the recommendations for one operation to recs[*n...]. Returns 0
 * or -ENOMEM. */
static int recommend_op(const struct op_stats *op, const struct thresholds *th,
			char **recs, size_t *n)
{
	double avg, max_mb;

	if (op->count == 0)
		return 0;
	avg = (double)op->total_ns / 1e9 / (double)op->count;
	max_mb = (double)op->max_mem_delta / BYTES_PER_MB;
	if (avg > th->slow_seconds) {
		if (asprintf(&recs[*n], "Operation '%s' is slow (avg: %.1fs). Consider optimization.",
			     op->name, avg) < 0)
			return -ENOMEM;
		(*n)++;
	}
	if (max_mb > th->memory_mb) {
		if (asprintf(&recs[*n],
			     "Operation '%s' uses high memory (max: %.1fMB). Consider batch processing.",
			     op->name, max_mb) < 0)
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

/* On success *out is NULL when there are no recommendations. */
int recommendations_build(const struct report_input *in, char ***out)
{
	const struct op_stats **ops = NULL;
	char **recs = NULL;
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
	if (nops > INT_MAX / 2) {
		free(ops);
		return -EOVERFLOW;
	}
	recs = calloc(nops * 2, sizeof(*recs)); /* at most two per operation */
	if (!recs) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < nops && !err; i++)
		err = recommend_op(ops[i], &in->th, recs, &n);
	if (!err && n == 0) {
		free(recs);
		recs = NULL;
	}
cleanup:
	free(ops);
	if (err) {
		recommendations_free(recs, n);
		return err;
	}
	*out = recs;
	return (int)n;
}
