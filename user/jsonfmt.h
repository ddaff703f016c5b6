/* SPDX-License-Identifier: MIT */
/*
 * jsonfmt.h - building JSON output with json-c: fixed-point numbers and
 * ownership-taking member insertion, shared by the report writers.
 */
#ifndef ETLTRACE_JSONFMT_H
#define ETLTRACE_JSONFMT_H

#include <json-c/json.h>

/* A JSON number holding `v` rounded to `decimals` places, written without
 * trailing zeros (at least one decimal kept) and never as "-0.0".
 * Non-finite values, which JSON cannot carry, become 0. NULL on ENOMEM. */
struct json_object *json_fixed(double v, int decimals);

/* Adds `val` under `key` of obj, taking ownership of it in every case.
 * Returns 0, or -ENOMEM if `val` is NULL or could not be added. */
int json_put(struct json_object *obj, const char *key, struct json_object *val);

/* Appends `val` to array arr, taking ownership of it in every case.
 * Returns 0, or -ENOMEM if `val` is NULL or could not be added. */
int json_append(struct json_object *arr, struct json_object *val);

/* A JSON string of raw name bytes made valid UTF-8 (name_to_utf8). NULL on
 * ENOMEM. */
struct json_object *json_name(const char *raw);

#endif /* ETLTRACE_JSONFMT_H */
