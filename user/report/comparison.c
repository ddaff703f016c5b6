// SPDX-License-Identifier: MIT
/* baseline.c - see baseline.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/comparison.h"
#include "util/jsonfile.h"
#include "util/names.h"

#define SHOWN_NAME_COLS 64

/* Writes `operations."NAME".KEY: WHAT[, got VALUE]` into err, the name and
 * the value escaped for the terminal and cut. */
static void op_error(char *err, size_t errlen, const char *name, const char *key,
		     const char *what, struct json_object *val)
{
	char *t = name_for_terminal(name), *shown = t ? name_fit_width(t, SHOWN_NAME_COLS) : NULL;
	char *v = NULL;

	if (val) {
		char cut[41];

		snprintf(cut, sizeof(cut), "%s", json_object_to_json_string_ext(val,
				JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		v = name_for_terminal(cut);
	}
	snprintf(err, errlen, "operations.\"%s\"%s%s: %s%s%s", shown ? shown : "?", key ? "." : "",
		 key ? key : "", what, v ? ", got " : "", v ? v : "");
	free(t);
	free(shown);
	free(v);
}

/* Fills one perf_op from the operation object `o`. Returns 0 or -1. */
static int read_op(const char *name, struct json_object *o, struct perf_op *op, char *err,
		   size_t errlen)
{
	struct json_object *avg, *count;
	double a, c;

	if (!json_object_is_type(o, json_type_object)) {
		op_error(err, errlen, name, NULL, "expected an object", o);
		return -1;
	}
	if (!json_object_object_get_ex(o, "avg_time", &avg)) {
		op_error(err, errlen, name, "avg_time", "missing", NULL);
		return -1;
	}
	if (!json_number(avg, &a) || !isfinite(a) || a < 0 || a > BASELINE_MAX_SECONDS) {
		op_error(err, errlen, name, "avg_time", "expected a number of seconds in [0, 2e10]",
			 avg);
		return -1;
	}
	if (!json_object_object_get_ex(o, "count", &count)) {
		op_error(err, errlen, name, "count", "missing", NULL);
		return -1;
	}
	if (!json_number(count, &c) || !isfinite(c) || c < 0 || c > BASELINE_MAX_COUNT ||
	    c != floor(c)) {
		op_error(err, errlen, name, "count", "expected a whole number in [0, 2^53]", count);
		return -1;
	}
	op->name = strdup(name);
	if (!op->name) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	op->avg_time = a;
	op->count = (uint64_t)c;
	return 0;
}

int perf_ops_from_json(struct json_object *report, struct perf_ops *out, char *err,
		       size_t errlen)
{
	struct json_object *ops;
	size_t cap;

	memset(out, 0, sizeof(*out));
	if (!json_object_is_type(report, json_type_object)) {
		snprintf(err, errlen, "expected a JSON object (an etltrace report)");
		return -1;
	}
	if (!json_object_object_get_ex(report, "operations", &ops)) {
		snprintf(err, errlen, "operations: missing (not an etltrace report?)");
		return -1;
	}
	if (!json_object_is_type(ops, json_type_object)) {
		snprintf(err, errlen, "operations: expected an object");
		return -1;
	}
	cap = (size_t)json_object_object_length(ops);
	out->v = calloc(cap ? cap : 1, sizeof(*out->v));
	if (!out->v) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_object_object_foreach(ops, name, o) {
		if (out->n >= cap || read_op(name, o, &out->v[out->n], err, errlen)) {
			perf_ops_free(out);
			return -1;
		}
		out->n++;
	}
	return 0;
}

int perf_ops_load(const char *label, const char *path, struct perf_ops *out, char *err,
		  size_t errlen)
{
	struct json_object *doc = NULL;
	char why[384];
	char *p = name_for_terminal(path);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (json_load_file(path, BASELINE_MAX_BYTES, &doc, why, sizeof(why)) == 0 &&
	    perf_ops_from_json(doc, out, why, sizeof(why)) == 0)
		rc = 0;
	if (rc)
		snprintf(err, errlen, "%s %s: %s", label, p ? p : "?", why);
	json_object_put(doc);
	free(p);
	return rc;
}

void perf_ops_free(struct perf_ops *ops)
{
	for (size_t i = 0; ops->v && i < ops->n; i++)
		free(ops->v[i].name);
	free(ops->v);
	memset(ops, 0, sizeof(*ops));
}

static int cmp_op_name(const void *a, const void *b)
{
	return strcmp((*(const struct perf_op *const *)a)->name,
		      (*(const struct perf_op *const *)b)->name);
}

/* Looks name up in the sorted index; NULL if absent. */
static const struct perf_op *lookup(const struct perf_op **idx, size_t n, const char *name)
{
	struct perf_op key = { .name = (char *)name };
	const struct perf_op *kp = &key, **hit;

	hit = bsearch(&kp, idx, n, sizeof(*idx), cmp_op_name);
	return hit ? *hit : NULL;
}

/* A name-sorted index of ops (malloc'd), or NULL on ENOMEM. */
static const struct perf_op **index_of(const struct perf_ops *ops)
{
	const struct perf_op **idx = calloc(ops->n ? ops->n : 1, sizeof(*idx));

	if (!idx)
		return NULL;
	for (size_t i = 0; i < ops->n; i++)
		idx[i] = &ops->v[i];
	qsort(idx, ops->n, sizeof(*idx), cmp_op_name);
	return idx;
}

static void compare_one(struct comparison_row *r, const struct perf_op *b,
			const struct perf_op *c, double factor)
{
	*r = (struct comparison_row){
		.name = c->name, .baseline_avg = b->avg_time, .current_avg = c->avg_time,
		.baseline_count = b->count, .current_count = c->count,
	};
	if (b->avg_time > 0)
		r->ratio = c->avg_time / b->avg_time;
	/* Below ~1e-299 s a baseline makes the ratio overflow: JSON has no inf. */
	r->has_ratio = b->avg_time > 0 && isfinite(r->ratio);
	if (!r->has_ratio)
		r->ratio = 0;
	r->regression = b->count > 0 && c->count > 0 && b->avg_time > 0 &&
			c->avg_time > b->avg_time * factor;
}

int comparison_build(const struct perf_ops *base, const struct perf_ops *cur, double factor,
		     struct comparison *out)
{
	const struct perf_op **bidx = index_of(base), **cidx = index_of(cur);
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->factor = factor;
	out->rows = calloc(cur->n ? cur->n : 1, sizeof(*out->rows));
	out->only_current = calloc(cur->n ? cur->n : 1, sizeof(*out->only_current));
	out->only_baseline = calloc(base->n ? base->n : 1, sizeof(*out->only_baseline));
	if (!bidx || !cidx || !out->rows || !out->only_current || !out->only_baseline) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < cur->n; i++) {
		const struct perf_op *b = lookup(bidx, base->n, cur->v[i].name);

		if (!b) {
			out->only_current[out->nonly_current++] = cur->v[i].name;
			continue;
		}
		compare_one(&out->rows[out->nrows], b, &cur->v[i], factor);
		out->nregressions += out->rows[out->nrows++].regression;
	}
	for (size_t i = 0; i < base->n; i++)
		if (!lookup(cidx, cur->n, base->v[i].name))
			out->only_baseline[out->nonly_baseline++] = base->v[i].name;
cleanup:
	free(bidx);
	free(cidx);
	if (err)
		comparison_free(out);
	return err;
}

void comparison_free(struct comparison *c)
{
	free(c->rows);
	free(c->only_baseline);
	free(c->only_current);
	memset(c, 0, sizeof(*c));
}
