// SPDX-License-Identifier: MIT
/*
 * config.c - settings, their defaults and ranges, and the --config file.
 *
 * MONITORING keys (JSON numbers unless said otherwise):
 *   ENABLE_PROFILING               true/false, default true. false: etltrace
 *                                  traces nothing (see session.c)
 *   ENABLE_METRICS                 true/false, default true: with
 *                                  METRICS_ADDRESS, serve the metrics
 *                                  endpoint; false: never (even --metrics)
 *   METRICS_ADDRESS                a string, PORT, ADDR:PORT or [ADDR6]:PORT
 *                                  (numeric ADDR) = --metrics; "" none
 *   PERFORMANCE_THRESHOLD_SECONDS  default 2.0  = --slow-threshold
 *   MEMORY_THRESHOLD_MB            default 100.0 = --memory-threshold
 *   BATCH_PROCESSING_SECONDS       default 2.0  = --batch-threshold
 *   MEMORY_CLEANUP_MB              default 50.0 = --cleanup-threshold
 *   PARALLEL_WAIT_FRACTION         default 0.5, in [0, 1] = --wait-fraction
 *   TRANSIENT_MEMORY_MB            default 50.0 = --transient-threshold
 *   PEAK_TO_NET_RATIO              default 2.0, >= 1 = --peak-ratio
 *   MAJOR_FAULTS_PER_OPERATION     default 100 = --major-faults
 *   REGRESSION_FACTOR              default 1.5, >= 1 = --regression-factor
 *   MAX_OPERATIONS                 default 10000, a whole number in [1, 1e6]
 *                                  = --max-operations (stats.h)
 * Ranges are those of the flags; anything else is an error naming the key.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.h"
#include "collect/stats.h"
#include "util/jsonfile.h"
#include "util/names.h"
#include "util/netaddr.h"

#define CONFIG_MAX_BYTES (1u << 20)
#define SECONDS_MAX 1e9
#define MB_MAX 1e12

struct key_def {
	const char *name;
	size_t off;    /* of the value in struct settings */
	bool is_bool;
	double lo, hi; /* valid range of a number */
	double def;    /* default (booleans: 0 or 1) */
	bool whole;    /* a number must be whole */
	size_t str;    /* a string: the size of its char array (default "") */
};

#define NUM(field) offsetof(struct settings, field), false
#define BOOL(field) offsetof(struct settings, field), true
#define STR(field) offsetof(struct settings, field), false, 0, 0, 0, false, \
	sizeof(((struct settings *)0)->field)

/* Indexed by enum setting_key. */
static const struct key_def keys[SET__MAX] = {
	[SET_PROFILING] = { "ENABLE_PROFILING", BOOL(profiling), 0, 1, 1, false, 0 },
	[SET_METRICS] = { "ENABLE_METRICS", BOOL(metrics), 0, 1, 1, false, 0 },
	[SET_METRICS_ADDRESS] = { "METRICS_ADDRESS", STR(metrics_address) },
	[SET_SLOW] = { "PERFORMANCE_THRESHOLD_SECONDS", NUM(th.slow_seconds),
				 0, SECONDS_MAX, 2.0, false, 0 },
	[SET_MEMORY] = { "MEMORY_THRESHOLD_MB", NUM(th.memory_mb), 0, MB_MAX, 100.0, false, 0 },
	[SET_BATCH] = { "BATCH_PROCESSING_SECONDS", NUM(th.batch_seconds),
				 0, SECONDS_MAX, 2.0, false, 0 },
	[SET_CLEANUP] = { "MEMORY_CLEANUP_MB", NUM(th.cleanup_mb), 0, MB_MAX, 50.0, false, 0 },
	[SET_WAIT] = { "PARALLEL_WAIT_FRACTION", NUM(th.wait_fraction), 0, 1, 0.5, false, 0 },
	[SET_TRANSIENT] = { "TRANSIENT_MEMORY_MB", NUM(th.transient_mb), 0, MB_MAX, 50.0, false, 0 },
	[SET_PEAK_RATIO] = { "PEAK_TO_NET_RATIO", NUM(th.peak_ratio), 1, 1e9, 2.0, false, 0 },
	[SET_MAJOR_FAULTS] = { "MAJOR_FAULTS_PER_OPERATION", NUM(th.major_faults),
				 0, 1e18, 100, false, 0 },
	[SET_REGRESSION] = { "REGRESSION_FACTOR", NUM(regression_factor), 1, 1e9, 1.5, false, 0 },
	[SET_MAX_OPERATIONS] = { "MAX_OPERATIONS", NUM(max_operations), 1,
				 STATS_MAX_OPERATIONS_LIMIT, STATS_DEFAULT_MAX_OPERATIONS, true, 0 },
};

static bool *bool_at(struct settings *s, const struct key_def *k)
{
	return (bool *)((char *)s + k->off);
}

static double *num_at(struct settings *s, const struct key_def *k)
{
	return (double *)((char *)s + k->off);
}

void settings_default(struct settings *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < SET__MAX; i++) {
		if (keys[i].is_bool)
			*bool_at(s, &keys[i]) = keys[i].def != 0;
		else if (!keys[i].str)
			*num_at(s, &keys[i]) = keys[i].def;
	}
}

int setting_range(enum setting_key k, double *lo, double *hi)
{
	if ((int)k < 0 || k >= SET__MAX || keys[k].is_bool || keys[k].str)
		return -1;
	*lo = keys[k].lo;
	*hi = keys[k].hi;
	return 0;
}

const char *setting_name(enum setting_key k)
{
	return keys[k].name;
}

bool setting_is_whole(enum setting_key k)
{
	return (int)k >= 0 && k < SET__MAX && keys[k].whole;
}

double *setting_number(struct settings *s, enum setting_key k)
{
	if ((int)k < 0 || k >= SET__MAX || keys[k].is_bool || keys[k].str)
		return NULL;
	return num_at(s, &keys[k]);
}

void settings_merge(struct settings *dst, const struct settings *src, unsigned mask)
{
	for (int i = 0; i < SET__MAX; i++) {
		if (!(mask & SETTING_BIT(i)))
			continue;
		memcpy((char *)dst + keys[i].off, (const char *)src + keys[i].off,
		       keys[i].str ? keys[i].str : keys[i].is_bool ? sizeof(bool) : sizeof(double));
	}
}

/* Returns the index of name in keys, or -1. */
static int key_index(const char *name)
{
	for (int i = 0; i < SET__MAX; i++)
		if (!strcmp(keys[i].name, name))
			return i;
	return -1;
}

/* Writes "config PATH: WHAT" into err, PATH and the JSON text of `val`
 * (if any, cut at 40 bytes) escaped for the terminal. */
static void config_error(char *err, size_t errlen, const char *path, const char *what,
			 struct json_object *val)
{
	char *p = name_for_terminal(path), *shown = NULL;

	if (val) {
		char cut[41];

		snprintf(cut, sizeof(cut), "%s", json_object_to_json_string_ext(val,
				JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		shown = name_for_terminal(cut);
	}
	snprintf(err, errlen, "config %s: %s%s%s", p ? p : "?", what, shown ? ", got " : "",
		 shown ? shown : "");
	free(p);
	free(shown);
}

static bool address_ok(const char *spec)
{
	unsigned int port;
	char host[64];

	return !netaddr_parse(spec, host, sizeof(host), &port);
}

/* Applies one MONITORING member. Returns 0 or -1 after writing err. */
static int apply_key(const char *path, const char *name, struct json_object *val,
		     struct settings *s, unsigned *found, char *err, size_t errlen)
{
	int i = key_index(name);
	char what[192];
	double v;

	if (i < 0) {
		char *shown = name_for_terminal(name);

		snprintf(what, sizeof(what), "MONITORING.%.100s: unknown key (see etltrace --help)",
			 shown ? shown : "?");
		free(shown);
		config_error(err, errlen, path, what, NULL);
		return -1;
	}
	if (keys[i].is_bool) {
		if (!json_object_is_type(val, json_type_boolean)) {
			snprintf(what, sizeof(what), "MONITORING.%s: expected true or false", name);
			config_error(err, errlen, path, what, val);
			return -1;
		}
		*bool_at(s, &keys[i]) = json_object_get_boolean(val);
	} else if (keys[i].str) {
		const char *v = json_object_is_type(val, json_type_string)
					? json_object_get_string(val) : NULL;

		if (!v || strlen(v) >= keys[i].str || strlen(v) != (size_t)json_object_get_string_len(val)) {
			snprintf(what, sizeof(what), "MONITORING.%s: expected a string of at most %zu "
						     "bytes", name, keys[i].str - 1);
			config_error(err, errlen, path, what, val);
			return -1;
		}
		if (i == SET_METRICS_ADDRESS && *v && !address_ok(v)) {
			snprintf(what, sizeof(what), "MONITORING.%s: expected \"\" (none) or "
				 NETADDR_FORMS, name);
			config_error(err, errlen, path, what, val);
			return -1;
		}
		memcpy((char *)s + keys[i].off, v, strlen(v) + 1);
	} else {
		if (!json_number(val, &v) || !isfinite(v) || v < keys[i].lo || v > keys[i].hi ||
		    (keys[i].whole && v != floor(v))) {
			snprintf(what, sizeof(what), "MONITORING.%s: expected a %s in [%g, %g]",
				 name, keys[i].whole ? "whole number" : "number", keys[i].lo,
				 keys[i].hi);
			config_error(err, errlen, path, what, val);
			return -1;
		}
		*num_at(s, &keys[i]) = v;
	}
	*found |= SETTING_BIT(i);
	return 0;
}

int config_load(const char *path, struct settings *s, unsigned *found, char *err, size_t errlen)
{
	struct json_object *doc = NULL, *mon;
	char why[384];
	int rc = -1;

	*found = 0;
	if (json_load_file(path, CONFIG_MAX_BYTES, &doc, why, sizeof(why))) {
		config_error(err, errlen, path, why, NULL);
		return -1;
	}
	if (!json_object_is_type(doc, json_type_object)) {
		config_error(err, errlen, path, "expected a JSON object with a MONITORING object", NULL);
		goto cleanup;
	}
	if (!json_object_object_get_ex(doc, "MONITORING", &mon)) {
		config_error(err, errlen, path, "MONITORING: missing", NULL);
		goto cleanup;
	}
	if (!json_object_is_type(mon, json_type_object)) {
		config_error(err, errlen, path, "MONITORING: expected an object", mon);
		goto cleanup;
	}
	json_object_object_foreach(mon, name, val) {
		if (apply_key(path, name, val, s, found, err, errlen))
			goto cleanup;
	}
	rc = 0;
cleanup:
	json_object_put(doc);
	return rc;
}
