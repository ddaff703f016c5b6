/* SPDX-License-Identifier: MIT */
/*
 * jsonfmt.h - building JSON output with json-c: exact numbers and
 * ownership-taking member insertion, shared by the report writers; and a
 * streaming writer, so that a large document never has to be in memory.
 */
#ifndef ETLTRACE_JSONFMT_H
#define ETLTRACE_JSONFMT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

/* A JSON number holding exactly `v`: written as the shortest decimal that
 * reads back as v ("0.3", "5.75e-07"), with ".0" on integral values, never
 * "-0.0". Non-finite values, which JSON cannot carry, become 0.0. NULL on
 * ENOMEM. Reports never round in JSON: rounding is for the text report. */
struct json_object *json_real(double v);

/* Adds `val` under `key` of obj, taking ownership of it in every case.
 * Returns 0, or -ENOMEM if `val` is NULL or could not be added. */
int json_put(struct json_object *obj, const char *key, struct json_object *val);

/* Appends `val` to array arr, taking ownership of it in every case.
 * Returns 0, or -ENOMEM if `val` is NULL or could not be added. */
int json_append(struct json_object *arr, struct json_object *val);

/* A JSON string of raw name bytes made valid UTF-8 (name_to_utf8). NULL on
 * ENOMEM. */
struct json_object *json_name(const char *raw);

/* A JSON document written to a FILE piece by piece, laid out byte for byte
 * as json-c's JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE lays
 * out the whole tree (two-space indent, "key":value), while only the value
 * being written is in memory. Errors are sticky: after the first one, calls
 * do nothing and json_stream_end returns it. */
struct json_stream {
	FILE *f;
	int level;    /* containers open */
	bool members; /* the innermost open container has a member already */
	int err;      /* 0, or the first error (a negative errno) */
	bool compact; /* one line, as JSON_C_TO_STRING_PLAIN (NDJSON) */
};

/* Starts a document on f: pretty-printed, or on one line if compact. */
void json_stream_begin(struct json_stream *js, FILE *f, bool compact);

/* Opens an object (bracket '{') or an array ('['): the document itself, a
 * member named key of the enclosing object, or (key NULL) an element of the
 * enclosing array. */
void json_stream_open(struct json_stream *js, const char *key, char bracket);

/* Closes the innermost container: bracket '}' or ']'. */
void json_stream_close(struct json_stream *js, char bracket);

/* Writes val as member key of the enclosing object, or (key NULL) as an
 * element of the enclosing array, and frees it: ownership is taken in every
 * case. A NULL val records -ENOMEM (as json_put does). */
void json_stream_put(struct json_stream *js, const char *key, struct json_object *val);

/* json_stream_put of json_real(v), of json_object_new_uint64(v), written
 * without making the object. */
void json_stream_real(struct json_stream *js, const char *key, double v);
void json_stream_u64(struct json_stream *js, const char *key, uint64_t v);

/* Records err (a negative errno) unless an error is already recorded. */
void json_stream_fail(struct json_stream *js, int err);

/* Ends the document with a newline and flushes. Returns 0, the first error
 * recorded, or -EIO if writing failed. */
int json_stream_end(struct json_stream *js);

/* Writes a JSON tree (pretty-printed, then a newline) to f, as
 * report_write_json lays out the report. Returns 0, -EIO or -ENOMEM. */
int report_json_print(struct json_object *root, FILE *f);

#endif /* ETLTRACE_JSONFMT_H */
