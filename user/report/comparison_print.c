// SPDX-License-Identifier: MIT
/*
 * comparison_print.c - a baseline comparison (comparison.h) as JSON members and
 * as a text section:
 *
 *   Comparison with the baseline (regression: avg_time > 1.5 x baseline):
 *   OPERATION  BASELINE AVG(s)  CURRENT AVG(s)  RATIO  STATUS
 *   sleep_op          0.010093        0.030104  2.983  REGRESSION
 *   Only in the baseline: old_op
 *   Only in this run: new_op
 *   Regressions: 1
 *
 * In text, times in seconds with 6 decimals, ratios with 3 ("-" when the
 * baseline's avg_time is 0); in JSON, exact values (jsonfmt.h); regressions
 * are decided on exact values. Names are JSON keys (valid
 * UTF-8, but still untrusted) and pass through name_for_terminal in text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/comparison.h"
#include "report/jsonfmt.h"
#include "util/names.h"

#define SEC_DECIMALS 6
#define RATIO_DECIMALS 3
#define NAME_MAX_COLS 48

static int row_json(const struct comparison_row *r, bool full, struct json_object **out)
{
	struct json_object *o = json_object_new_object();
	int err = o ? 0 : -ENOMEM;

	err = err ?: json_put(o, "operation", json_object_new_string(r->name));
	err = err ?: json_put(o, "baseline_avg_time", json_real(r->baseline_avg));
	err = err ?: json_put(o, "current_avg_time", json_real(r->current_avg));
	if (!err && r->has_ratio)
		err = json_put(o, "ratio", json_real(r->ratio));
	else if (!err && json_object_object_add(o, "ratio", NULL) < 0)
		err = -ENOMEM;
	if (full)
		err = err ?: json_put(o, "regression", json_object_new_boolean(r->regression));
	if (err) {
		json_object_put(o);
		return err;
	}
	*out = o;
	return 0;
}

static int names_json(const char *const *names, size_t n, struct json_object **out)
{
	struct json_object *arr = json_object_new_array();
	int err = arr ? 0 : -ENOMEM;

	for (size_t i = 0; i < n && !err; i++)
		err = json_append(arr, json_object_new_string(names[i]));
	if (err) {
		json_object_put(arr);
		return err;
	}
	*out = arr;
	return 0;
}

int comparison_add_json(const struct comparison *c, struct json_object *root)
{
	struct json_object *regs = json_object_new_array(), *cmp = json_object_new_object();
	struct json_object *all = json_object_new_array(), *v = NULL;
	int err = regs && cmp && all ? 0 : -ENOMEM;

	for (size_t i = 0; i < c->nrows && !err; i++) {
		err = row_json(&c->rows[i], true, &v);
		err = err ?: json_append(all, v);
		if (!err && c->rows[i].regression) {
			err = row_json(&c->rows[i], false, &v);
			err = err ?: json_append(regs, v);
		}
	}
	err = err ?: json_put(cmp, "regression_factor", json_real(c->factor));
	if (!err) {
		err = json_put(cmp, "operations", all);
		all = NULL;
	}
	err = err ?: names_json(c->only_baseline, c->nonly_baseline, &v);
	err = err ?: json_put(cmp, "only_in_baseline", v);
	err = err ?: names_json(c->only_current, c->nonly_current, &v);
	err = err ?: json_put(cmp, "only_in_current", v);
	if (!err) {
		err = json_put(root, "regressions", regs);
		regs = NULL;
	}
	if (!err) {
		err = json_put(root, "comparison", cmp);
		cmp = NULL;
	}
	json_object_put(regs);
	json_object_put(cmp);
	json_object_put(all);
	return err;
}

/* A malloc'd, terminal-safe, width-limited copy of a name; NULL on ENOMEM. */
static char *shown_name(const char *name)
{
	char *t = name_for_terminal(name), *s = t ? name_fit_width(t, NAME_MAX_COLS) : NULL;

	free(t);
	return s;
}

/* Writes "LABEL: a, b, c" for a non-empty list. Returns 0 or -ENOMEM. */
static int write_names(FILE *f, const char *label, const char *const *names, size_t n)
{
	if (n == 0)
		return 0;
	fprintf(f, "%s: ", label);
	for (size_t i = 0; i < n; i++) {
		char *s = shown_name(names[i]);

		if (!s)
			return -ENOMEM;
		fprintf(f, "%s%s", i ? ", " : "", s);
		free(s);
	}
	fputc('\n', f);
	return 0;
}

static void ratio_text(const struct comparison_row *r, char *buf, size_t len)
{
	if (r->has_ratio)
		snprintf(buf, len, "%.*f", RATIO_DECIMALS, r->ratio);
	else
		snprintf(buf, len, "-");
}

static int write_rows(FILE *f, const struct comparison *c)
{
	static const char *const hdr[] = { "OPERATION", "BASELINE AVG(s)", "CURRENT AVG(s)",
					   "RATIO", "STATUS" };
	char **names = calloc(c->nrows ? c->nrows : 1, sizeof(*names)), ratio[64];
	size_t w = strlen(hdr[0]), rw = strlen(hdr[3]);
	int err = names ? 0 : -ENOMEM;

	for (size_t i = 0; i < c->nrows && !err; i++) {
		names[i] = shown_name(c->rows[i].name);
		if (!names[i]) {
			err = -ENOMEM;
			break;
		}
		if (name_display_width(names[i]) > w)
			w = name_display_width(names[i]);
		ratio_text(&c->rows[i], ratio, sizeof(ratio));
		if (strlen(ratio) > rw)
			rw = strlen(ratio);
	}
	if (err)
		goto cleanup;
	fprintf(f, "%s%*s  %s  %s  %*s  %s\n", hdr[0], (int)(w - strlen(hdr[0])), "", hdr[1],
		hdr[2], (int)rw, hdr[3], hdr[4]);
	for (size_t i = 0; i < c->nrows; i++) {
		const struct comparison_row *r = &c->rows[i];

		ratio_text(r, ratio, sizeof(ratio));
		fprintf(f, "%s%*s  %*.*f  %*.*f  %*s  %s\n", names[i],
			(int)(w - name_display_width(names[i])), "", (int)strlen(hdr[1]), SEC_DECIMALS,
			r->baseline_avg, (int)strlen(hdr[2]), SEC_DECIMALS, r->current_avg, (int)rw,
			ratio, r->regression ? "REGRESSION" : "ok");
	}
cleanup:
	for (size_t i = 0; names && i < c->nrows; i++)
		free(names[i]);
	free(names);
	return err;
}

int comparison_write_text(const struct comparison *c, FILE *f)
{
	int err;

	fprintf(f, "Comparison with the baseline (regression: avg_time > %g x baseline):\n",
		c->factor);
	if (c->nrows == 0)
		fputs("No operation is in both reports.\n", f);
	err = c->nrows ? write_rows(f, c) : 0;
	err = err ?: write_names(f, "Only in the baseline", c->only_baseline, c->nonly_baseline);
	err = err ?: write_names(f, "Only in this run", c->only_current, c->nonly_current);
	if (!err)
		fprintf(f, "Regressions: %zu\n", c->nregressions);
	if (fflush(f) == EOF || ferror(f))
		return -EIO;
	return err;
}
