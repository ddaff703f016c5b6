/* SPDX-License-Identifier: MIT */
/*
 * jsonfile.h - reading one JSON document from a file that may be anything:
 * truncated, not JSON, not UTF-8, huge. Used for --config files and saved
 * reports (baselines).
 */
#ifndef ETLTRACE_JSONFILE_H
#define ETLTRACE_JSONFILE_H

#include <stddef.h>

#include <json-c/json.h>

/* Parses the whole of `path` (at most max_bytes) as one strict JSON
 * document (RFC 8259, valid UTF-8, nothing but whitespace after it; json-c
 * also takes NaN and Infinity, which callers reject as non-finite), with
 * no key holding a NUL and no key given twice in an object (jsonkeys.h). On
 * success stores the document in *out (the caller json_object_put()s it) and
 * returns 0. Otherwise returns -1 and writes into err (capacity errlen) a
 * reason without the path, e.g. "not valid JSON: unexpected end of data
 * at byte 120" or "cannot read it: No such file or directory". */
int json_load_file(const char *path, size_t max_bytes, struct json_object **out, char *err,
		   size_t errlen);

/* True if o is a JSON number (integer or not) and stores it in *v. Integers
 * beyond 64 bits are saturated by json-c; non-finite values are stored as
 * they are (check isfinite). */
int json_number(struct json_object *o, double *v);

#endif /* ETLTRACE_JSONFILE_H */
