/* SPDX-License-Identifier: MIT */
/*
 * thresholds.h - the limits behind recommendations and suggestions. Their
 * defaults, ranges and configuration keys are in cli/config.c; the rules
 * that read them in report/rules.c.
 */
#ifndef ETLTRACE_THRESHOLDS_H
#define ETLTRACE_THRESHOLDS_H

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

#endif /* ETLTRACE_THRESHOLDS_H */
