// SPDX-License-Identifier: MIT
/*
 * report_json.c - the report as JSON: the seed profiler's keys and nesting
 * ({"summary", "operations", "recommendations"}), followed by etltrace's own
 * keys. Units follow the seed: times in seconds, rounded to the microsecond;
 * memory in MB (MiB), rounded to 0.001. Numbers are written as fixed-point
 * decimals with trailing zeros trimmed ("0.3", never "0.29999999999999999").
 *
 * Operation names become object keys through name_to_utf8. When that changes
 * a name (invalid UTF-8), or when two names convert to the same key (the key
 * of the later one in report order gets "#2", "#3", ...), the operation also
 * carries "raw_name": the name_for_terminal form, which is lossless.
 *
 * Distributions, per operation: "p50_time", "p90_time", "p99_time" (seconds,
 * nearest-rank percentiles from the histogram, within 1% of the exact
 * value; see histogram.h) and "histogram": [{"le": seconds, "count": n}],
 * the non-empty buckets in ascending order, `count` durations d with
 * previous le < d <= le (le to the nanosecond, 9 decimals), 16 buckets per
 * power of two. Operations with no finished sample get zeros and [].
 *
 * Suggestions (suggest.c): "suggestions" is the seed's suggest_optimizations()
 * list of strings, each text once, in report order; "suggestion_details"
 * has one {"suggestion", "rule", "operation", "evidence"} per operation and
 * rule that fired. With --baseline, "regressions" and "comparison" follow
 * (report_compare.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "histogram.h"
#include "jsonfmt.h"
#include "names.h"
#include "report.h"

#define BYTES_PER_MB 1048576.0
#define SEC_DECIMALS 6
#define LE_DECIMALS 9
#define MB_DECIMALS 3
#define RATE_DECIMALS 3

static int put_u64(struct json_object *obj, const char *key, uint64_t v)
{
	return json_put(obj, key, json_object_new_uint64(v));
}

static int put_sec_ns(struct json_object *obj, const char *key, double ns)
{
	return json_put(obj, key, json_fixed(ns / 1e9, SEC_DECIMALS));
}

static int put_mb(struct json_object *obj, const char *key, double bytes)
{
	return json_put(obj, key, json_fixed(bytes / BYTES_PER_MB, MB_DECIMALS));
}

/* Adds the percentiles and the histogram of op. Returns 0 or -ENOMEM. */
static int distribution_fields(struct json_object *o, const struct op_stats *op)
{
	struct json_object *arr = json_object_new_array();
	struct histogram_bucket b;
	size_t cursor = 0;
	int err = 0;

	err = err ?: put_sec_ns(o, "p50_time", (double)histogram_percentile(&op->hist, 50));
	err = err ?: put_sec_ns(o, "p90_time", (double)histogram_percentile(&op->hist, 90));
	err = err ?: put_sec_ns(o, "p99_time", (double)histogram_percentile(&op->hist, 99));
	if (!arr)
		err = -ENOMEM;
	while (!err && histogram_next(&op->hist, &cursor, &b)) {
		struct json_object *bucket = json_object_new_object();

		if (!bucket) {
			err = -ENOMEM;
			break;
		}
		err = json_put(bucket, "le", json_fixed((double)b.le / 1e9, LE_DECIMALS));
		err = err ?: put_u64(bucket, "count", b.count);
		if (err)
			json_object_put(bucket);
		else
			err = json_append(arr, bucket);
	}
	if (err) {
		json_object_put(arr);
		return err;
	}
	return json_put(o, "histogram", arr);
}

/* Fills `o` with one operation's fields. Operations with no finished sample
 * (count 0) get zeros. cpu_time/off_cpu_time cover only the samples that had
 * resources: off_cpu_time = their summed duration - cpu_time, clamped at 0.
 * records_per_second = records / duration of the samples carrying a count
 * (0 if that duration is 0). Returns 0 or -ENOMEM. */
static int op_fields(struct json_object *o, const struct op_stats *op)
{
	double n = op->count ? (double)op->count : 1.0;
	bool any = op->count > 0;
	int err = 0;

	err = err ?: put_u64(o, "count", op->count);
	err = err ?: put_sec_ns(o, "total_time", (double)op->total_ns);
	err = err ?: put_sec_ns(o, "avg_time", (double)op->total_ns / n);
	err = err ?: put_sec_ns(o, "min_time", any ? (double)op->min_ns : 0.0);
	err = err ?: put_sec_ns(o, "max_time", any ? (double)op->max_ns : 0.0);
	err = err ?: put_mb(o, "avg_memory_delta", (double)op->sum_mem_delta / n);
	err = err ?: put_mb(o, "max_memory_delta", any ? (double)op->max_mem_delta : 0.0);
	err = err ?: put_u64(o, "unfinished", op->unfinished);
	err = err ?: put_mb(o, "avg_peak_memory_delta", (double)op->sum_peak_delta / n);
	err = err ?: put_mb(o, "max_peak_memory_delta", any ? (double)op->max_peak_delta : 0.0);
	err = err ?: put_u64(o, "max_depth", op->max_depth);
	err = err ?: distribution_fields(o, op);
	if (op->resource_samples > 0) {
		uint64_t off = op->resource_ns > op->cpu_ns ? op->resource_ns - op->cpu_ns : 0;

		err = err ?: put_sec_ns(o, "cpu_time", (double)op->cpu_ns);
		err = err ?: put_sec_ns(o, "off_cpu_time", (double)off);
		err = err ?: put_u64(o, "minor_faults", op->min_flt);
		err = err ?: put_u64(o, "major_faults", op->maj_flt);
		err = err ?: put_u64(o, "read_bytes", op->read_bytes);
		err = err ?: put_u64(o, "write_bytes", op->write_bytes);
	}
	if (op->record_samples > 0) {
		double secs = (double)op->records_ns / 1e9;

		err = err ?: put_u64(o, "records", op->records);
		err = err ?: json_put(o, "records_per_second",
				      json_fixed(secs > 0 ? (double)op->records / secs : 0.0,
						 RATE_DECIMALS));
	}
	return err;
}

/* Returns a malloc'd key for `raw` not yet present in `ops`, or NULL. */
static char *unique_key(struct json_object *ops, const char *raw)
{
	char *base = name_to_utf8(raw), *key = NULL;

	if (!base)
		return NULL;
	if (!json_object_object_get_ex(ops, base, NULL))
		return base;
	for (unsigned long i = 2;; i++) {
		if (asprintf(&key, "%s#%lu", base, i) < 0) {
			key = NULL;
			break;
		}
		if (!json_object_object_get_ex(ops, key, NULL))
			break;
		free(key);
	}
	free(base);
	return key;
}

static int add_operation(struct json_object *ops, const struct op_stats *op)
{
	struct json_object *o = json_object_new_object();
	char *key = unique_key(ops, op->name), *shown = NULL;
	int err = 0;

	if (!o || !key) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = op_fields(o, op);
	if (!err && strcmp(key, op->name) != 0) {
		shown = name_for_terminal(op->name);
		err = json_put(o, "raw_name", shown ? json_object_new_string(shown) : NULL);
	}
	if (!err) {
		err = json_put(ops, key, o);
		o = NULL; /* owned by ops, or freed by json_put */
	}
cleanup:
	json_object_put(o);
	free(key);
	free(shown);
	return err;
}

static int add_operations(struct json_object *root, const struct stats *st)
{
	struct json_object *ops = json_object_new_object();
	const struct op_stats **sorted = NULL;
	size_t n = stats_size(st);
	int err = 0;

	if (!ops)
		return -ENOMEM;
	if (n > 0) {
		sorted = calloc(n, sizeof(*sorted));
		if (!sorted) {
			err = -ENOMEM;
			goto cleanup;
		}
		n = stats_sorted(st, sorted);
	}
	for (size_t i = 0; i < n && !err; i++)
		err = add_operation(ops, sorted[i]);
cleanup:
	free(sorted);
	if (err) {
		json_object_put(ops);
		return err;
	}
	return json_put(root, "operations", ops);
}

static int add_summary(struct json_object *root, const struct report_input *in)
{
	struct json_object *o = json_object_new_object();
	struct stats_summary sum;
	int err = 0;

	if (!o)
		return -ENOMEM;
	stats_summarize(in->stats, &sum);
	err = err ?: json_put(o, "total_time", json_fixed(sum.total_time, SEC_DECIMALS));
	err = err ?: put_u64(o, "total_operations", sum.total_operations);
	err = err ?: json_put(o, "avg_operation_time",
			      json_fixed(sum.avg_operation_time, SEC_DECIMALS));
	err = err ?: json_put(o, "wall_time", json_fixed(in->wall_seconds, SEC_DECIMALS));
	err = err ?: put_u64(o, "unfinished_operations", sum.unfinished);
	if (err) {
		json_object_put(o);
		return err;
	}
	return json_put(root, "summary", o);
}

static int add_recommendations(struct json_object *root, const struct report_input *in)
{
	struct json_object *arr = json_object_new_array();
	char **recs = NULL;
	int n = recommendations_build(in, &recs);
	int err = n < 0 ? n : 0;

	if (!arr) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (int i = 0; i < n && !err; i++)
		err = json_append(arr, json_name(recs[i]));
	if (!err) {
		err = json_put(root, "recommendations", arr);
		arr = NULL;
	}
cleanup:
	json_object_put(arr);
	recommendations_free(recs, n > 0 ? (size_t)n : 0);
	return err;
}

/* True if text is among the first n suggestions' texts. */
static bool seen_before(const struct suggestion *s, int n, const char *text)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s[i].text, text))
			return true;
	return false;
}

static int suggestion_detail(struct json_object *details, const struct suggestion *s)
{
	struct json_object *d = json_object_new_object();
	int err = d ? 0 : -ENOMEM;

	err = err ?: json_put(d, "suggestion", json_name(s->text));
	err = err ?: json_put(d, "rule", json_object_new_string(s->rule_name));
	err = err ?: json_put(d, "operation", json_name(s->op->name));
	err = err ?: json_put(d, "evidence", json_object_new_string(s->evidence));
	if (err) {
		json_object_put(d);
		return err;
	}
	return json_append(details, d);
}

static int add_suggestions(struct json_object *root, const struct report_input *in)
{
	struct json_object *list = json_object_new_array(), *details = json_object_new_array();
	struct suggestion *sugg = NULL;
	int n = suggestions_build(in, &sugg);
	int err = n < 0 ? n : 0;

	if (!list || !details)
		err = -ENOMEM;
	for (int i = 0; i < n && !err; i++) {
		if (!seen_before(sugg, i, sugg[i].text))
			err = json_append(list, json_name(sugg[i].text));
		err = err ?: suggestion_detail(details, &sugg[i]);
	}
	if (!err) {
		err = json_put(root, "suggestions", list);
		list = NULL; /* owned by root, or freed */
	}
	if (!err) {
		err = json_put(root, "suggestion_details", details);
		details = NULL;
	}
	json_object_put(list);
	json_object_put(details);
	suggestions_free(sugg, n > 0 ? (size_t)n : 0);
	return err;
}

static int add_pids(struct json_object *root, const struct report_input *in)
{
	struct json_object *arr = json_object_new_array();
	int err = arr ? 0 : -ENOMEM;

	for (size_t i = 0; i < in->npids && !err; i++)
		err = json_append(arr, json_object_new_int64(in->pids[i]));
	if (err) {
		json_object_put(arr);
		return err;
	}
	return json_put(root, "pids", arr);
}

static int add_counters(struct json_object *root, const struct report_input *in)
{
	struct json_object *o = json_object_new_object();
	int err = 0;

	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < in->ncounters && !err; i++)
		err = put_u64(o, in->counters[i].key, in->counters[i].value);
	if (err) {
		json_object_put(o);
		return err;
	}
	return json_put(root, "counters", o);
}

int report_build_json(const struct report_input *in, struct json_object **out)
{
	struct json_object *root;
	int err = 0;

	if (!in || !out)
		return -EINVAL;
	*out = NULL;
	root = json_object_new_object();
	if (!root)
		return -ENOMEM;
	err = err ?: add_summary(root, in);
	err = err ?: add_operations(root, in->stats);
	err = err ?: add_recommendations(root, in);
	err = err ?: add_suggestions(root, in);
	err = err ?: add_pids(root, in);
	err = err ?: add_counters(root, in);
	if (!err && in->cmp)
		err = comparison_add_json(in->cmp, root);
	if (err) {
		json_object_put(root);
		return err;
	}
	*out = root;
	return 0;
}

int report_json_print(struct json_object *root, FILE *f)
{
	const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!text)
		return -ENOMEM;
	if (fputs(text, f) == EOF || fputc('\n', f) == EOF || fflush(f) == EOF || ferror(f))
		return -EIO;
	return 0;
}

int report_write_json(const struct report_input *in, FILE *f)
{
	struct json_object *root = NULL;
	int err;

	if (!in || !f)
		return -EINVAL;
	err = report_build_json(in, &root);
	if (!err)
		err = report_json_print(root, f);
	json_object_put(root);
	return err;
}
