// SPDX-License-Identifier: MIT
/*
 * fuzz_baseline.c - saved reports as --baseline and `etltrace compare` read
 * them (report/comparison.c over util/jsonfile.c), and their comparison
 * printed (report/comparison_print.c). The input is two files, the
 * baseline and the current report, split at its first NUL byte (no NUL:
 * the file is compared with itself). Checked: a refused file gets one line
 * of printable text naming it; a taken one has finite, in-range values;
 * every operation of either side is a row or listed as on one side only;
 * the text is printable, valid UTF-8; the JSON reads back strictly with
 * the same rows, and a regression's ratio is above the factor (or null, when
 * it is too large for a double).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "report/comparison.h"

#define FACTOR 1.5

static struct fuzz_file base_file = { .fd = -1 }, cur_file = { .fd = -1 };

/* Loads one side; false if refused (after checking the message). */
static bool load(const char *label, struct fuzz_file *f, struct perf_ops *ops)
{
	char err[1024] = "", prefix[96];

	memset(ops, 0x5a, sizeof(*ops));
	if (perf_ops_load(label, f->path, ops, err, sizeof(err))) {
		snprintf(prefix, sizeof(prefix), "%s %s: ", label, f->path);
		FUZZ_CHECK(!strncmp(err, prefix, strlen(prefix)) && strlen(err) > strlen(prefix),
			   "error \"%s\" does not name the file", err);
		FUZZ_CHECK(!fuzz_has_control(err, strlen(err), false), "control byte in \"%s\"",
			   err);
		FUZZ_CHECK(ops->v == NULL && ops->n == 0, "a refused file left operations");
		return false;
	}
	for (size_t i = 0; i < ops->n; i++) {
		const struct perf_op *o = &ops->v[i];

		FUZZ_CHECK(o->name, "no name");
		FUZZ_CHECK(fuzz_utf8_valid(o->name, strlen(o->name)), "name not valid UTF-8");
		FUZZ_CHECK(isfinite(o->avg_time) && o->avg_time >= 0 &&
				   o->avg_time <= BASELINE_MAX_SECONDS,
			   "avg_time %g", o->avg_time);
		FUZZ_CHECK(o->count <= (uint64_t)BASELINE_MAX_COUNT, "count %llu",
			   (unsigned long long)o->count);
	}
	return true;
}

static bool names_unique(const struct perf_ops *ops)
{
	for (size_t i = 0; i < ops->n; i++)
		for (size_t j = i + 1; j < ops->n; j++)
			if (!strcmp(ops->v[i].name, ops->v[j].name))
				return false;
	return true;
}

static void check_text(const struct comparison *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	FUZZ_CHECK(f, "open_memstream");
	FUZZ_CHECK(comparison_write_text(c, f) == 0, "comparison_write_text failed");
	fclose(f);
	FUZZ_CHECK(!fuzz_has_control(text, len, true), "control byte in the text");
	FUZZ_CHECK(fuzz_utf8_valid(text, len), "text not valid UTF-8");
	free(text);
}

static void check_json(const struct comparison *c)
{
	struct json_object *root = json_object_new_object(), *back, *cmp, *ops, *regs;
	const char *text;

	FUZZ_CHECK(root && comparison_add_json(c, root) == 0, "comparison_add_json failed");
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	back = fuzz_json_strict(text, strlen(text));
	FUZZ_CHECK(back, "not strict JSON: %s", text);
	FUZZ_CHECK(json_object_object_get_ex(back, "comparison", &cmp) &&
			   json_object_object_get_ex(cmp, "operations", &ops) &&
			   json_object_object_get_ex(back, "regressions", &regs),
		   "members missing");
	FUZZ_CHECK(json_object_array_length(ops) == c->nrows, "rows");
	FUZZ_CHECK(json_object_array_length(regs) == c->nregressions, "regressions");
	for (size_t i = 0; i < c->nregressions; i++) {
		struct json_object *r = json_object_array_get_idx(regs, i), *ratio;

		/* null: a ratio too large for a double */
		FUZZ_CHECK(json_object_object_get_ex(r, "ratio", &ratio) &&
				   (!ratio || json_object_get_double(ratio) > FACTOR),
			   "a regression with ratio %s", json_object_to_json_string(ratio));
	}
	json_object_put(back);
	json_object_put(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t blen = nul ? (size_t)(nul - data) : size;
	struct perf_ops base, cur;
	struct comparison c;
	bool ok;

	if (base_file.fd < 0) {
		fuzz_file_open(&base_file);
		fuzz_file_open(&cur_file);
	}
	fuzz_file_set(&base_file, data, blen);
	fuzz_file_set(&cur_file, nul ? nul + 1 : data, nul ? size - blen - 1 : size);
	ok = load("baseline", &base_file, &base);
	ok = load("current", &cur_file, &cur) && ok;
	if (!ok) {
		perf_ops_free(&base);
		perf_ops_free(&cur);
		return 0;
	}
	FUZZ_CHECK(comparison_build(&base, &cur, FACTOR, &c) == 0, "comparison_build failed");
	FUZZ_CHECK(c.nregressions <= c.nrows, "more regressions than rows");
	if (names_unique(&base) && names_unique(&cur)) {
		FUZZ_CHECK(c.nrows + c.nonly_current == cur.n, "current operations lost");
		FUZZ_CHECK(c.nrows + c.nonly_baseline == base.n, "baseline operations lost");
	}
	for (size_t i = 0; i < c.nrows; i++) {
		const struct comparison_row *r = &c.rows[i];

		if (r->regression)
			FUZZ_CHECK(r->current_avg > FACTOR * r->baseline_avg && r->baseline_avg > 0 &&
					   (!r->has_ratio || r->ratio > FACTOR) && r->baseline_count &&
					   r->current_count,
				   "a regression of ratio %g", r->ratio);
		FUZZ_CHECK(!r->has_ratio || isfinite(r->ratio), "ratio %g", r->ratio);
		if (!nul)
			FUZZ_CHECK(!r->regression, "a report regressed against itself");
	}
	check_text(&c);
	check_json(&c);
	comparison_free(&c);
	perf_ops_free(&base);
	perf_ops_free(&cur);
	return 0;
}
