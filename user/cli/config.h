/* SPDX-License-Identifier: MIT */
/*
 * config.h - the settings a --config file or the command line can set, and
 * the file's parser. The file is the seed's ETL_CONFIG as JSON:
 *
 *   { "MONITORING": { "ENABLE_PROFILING": true, "ENABLE_METRICS": true,
 *                     "PERFORMANCE_THRESHOLD_SECONDS": 2.0,
 *                     "MEMORY_THRESHOLD_MB": 100.0, ... } }
 *
 * Other top-level sections (the rest of an ETL_CONFIG) are ignored; inside
 * MONITORING every key must be one of config.c's table.
 */
#ifndef ETLTRACE_CONFIG_H
#define ETLTRACE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "report/thresholds.h"

struct settings {
	bool profiling;           /* ENABLE_PROFILING: false runs nothing traced */
	bool metrics;             /* ENABLE_METRICS: false turns the endpoint off */
	char metrics_address[80]; /* METRICS_ADDRESS: where to serve it; "" none */
	struct thresholds th;
	double regression_factor; /* REGRESSION_FACTOR: avg_time ratio that regresses */
	double max_operations;    /* MAX_OPERATIONS: distinct names kept (stats.h), whole */
};

/* One bit per setting, for "given on the command line" and "found in the
 * file" masks. */
enum setting_key {
	SET_PROFILING, SET_METRICS, SET_METRICS_ADDRESS, SET_SLOW, SET_MEMORY, SET_BATCH, SET_CLEANUP,
	SET_WAIT, SET_TRANSIENT, SET_PEAK_RATIO, SET_MAJOR_FAULTS, SET_REGRESSION,
	SET_MAX_OPERATIONS, SET__MAX
};
#define SETTING_BIT(k) (1u << (k))

/* Fills s with the defaults (the seed's where it has one). */
void settings_default(struct settings *s);

/* The valid range of a numeric setting (inclusive); flags and files share
 * it. Returns 0, or -1 for a boolean setting. */
int setting_range(enum setting_key k, double *lo, double *hi);

/* The file key of setting k ("MEMORY_THRESHOLD_MB"). */
const char *setting_name(enum setting_key k);

/* True if numeric setting k takes whole numbers only (MAX_OPERATIONS). */
bool setting_is_whole(enum setting_key k);

/* Reads path's MONITORING object into s, over s's current values, and sets
 * in *found the bit of every key present. On error returns -1 and writes one
 * line into err (capacity errlen) naming the file and the key, e.g.
 * "config cfg.json: MONITORING.MEMORY_THRESHOLD_MB: expected a number in
 * [0, 1e+12], got -5"; s may then be partly updated. */
int config_load(const char *path, struct settings *s, unsigned *found, char *err, size_t errlen);

/* The value of numeric setting k inside s, or NULL for a boolean one. */
double *setting_number(struct settings *s, enum setting_key k);

/* Copies into dst the settings of src whose bit is in mask. */
void settings_merge(struct settings *dst, const struct settings *src, unsigned mask);

#endif /* ETLTRACE_CONFIG_H */
