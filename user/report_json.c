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
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "names.h"
#include "report.h"

#define BYTES_PER_MB 1048576.0
#define SEC_DECIMALS 6
#define MB_DECIMALS 3
#define RATE_DECIMALS 3

/* A JSON number holding `v` rounded to `decimals` places, written without
 * trailing zeros (at least one decimal kept) and never as "-0.0".
 * Non-finite values, which JSON cannot carry, become 0. NULL on ENOMEM. */
static struct json_object *json_fixed(double v, int decimals)
{
	struct json_object *num = NULL;
	char *text = NULL, *end;

	if (!isfinite(v))
		v = 0.0;
	if (asprintf(&text, "%.*f", decimals, v) < 0)
		return NULL;
	end = text + strlen(text) - 1;
	while (*end == '0' && end[-1] != '.')
		*end-- = '\0';
	v = strtod(text, NULL);
	if (v == 0.0) /* also turns "-0.0" into "0.0" */
		num = json_object_new_double_s(0.0, "0.0");
	else
		num = json_object_new_double_s(v, text);
	free(text);
	return num;
}

/* Adds `val` under `key`, taking ownership of it in every case. Returns 0,
 * or -ENOMEM if `val` is NULL or could not be added. */
static int put(struct json_object *obj, const char *key, struct json_object *val)
{
	if (!val)
		return -ENOMEM;
	if (json_object_object_add(obj, key, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

static int put_u64(struct json_object *obj, const char *key, uint64_t v)
{
	return put(obj, key, json_object_new_uint64(v));
}

static int put_sec_ns(struct json_object *obj, const char *key, double ns)
{
	return put(obj, key, json_fixed(ns / 1e9, SEC_DECIMALS));
}

static int put_mb(struct json_object *obj, const char *key, double bytes)
{
	return put(obj, key, json_fixed(bytes / BYTES_PER_MB, MB_DECIMALS));
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
		err = err ?: put(o, "records_per_second",
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
		err = put(o, "raw_name", shown ? json_object_new_string(shown) : NULL);
	}
	if (!err) {
		err = put(ops, key, o);
		o = NULL; /* owned by ops, or freed by put */
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
	return put(root, "operations", ops);
}

static int add_summary(struct json_object *root, const struct report_input *in)
{
	struct json_object *o = json_object_new_object();
	struct stats_summary sum;
	int err = 0;

	if (!o)
		return -ENOMEM;
	stats_summarize(in->stats, &sum);
	err = err ?: put(o, "total_time", json_fixed(sum.total_time, SEC_DECIMALS));
	err = err ?: put_u64(o, "total_operations", sum.total_operations);
	err = err ?: put(o, "avg_operation_time", json_fixed(sum.avg_operation_time, SEC_DECIMALS));
	err = err ?: put(o, "wall_time", json_fixed(in->wall_seconds, SEC_DECIMALS));
	err = err ?: put_u64(o, "unfinished_operations", sum.unfinished);
	if (err) {
		json_object_put(o);
		return err;
	}
	return put(root, "summary", o);
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
	for (int i = 0; i < n && !err; i++) {
		char *text = name_to_utf8(recs[i]);
		struct json_object *s = text ? json_object_new_string(text) : NULL;

		free(text);
		if (!s || json_object_array_add(arr, s) < 0) {
			json_object_put(s);
			err = -ENOMEM;
		}
	}
	if (!err) {
		err = put(root, "recommendations", arr);
		arr = NULL;
	}
cleanup:
	json_object_put(arr);
	recommendations_free(recs, n > 0 ? (size_t)n : 0);
	return err;
}

static int add_pids(struct json_object *root, const struct report_input *in)
{
	struct json_object *arr = json_object_new_array();

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < in->npids; i++) {
		struct json_object *p = json_object_new_int64(in->pids[i]);

		if (!p || json_object_array_add(arr, p) < 0) {
			json_object_put(p);
			json_object_put(arr);
			return -ENOMEM;
		}
	}
	return put(root, "pids", arr);
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
	return put(root, "counters", o);
}

int report_write_json(const struct report_input *in, FILE *f)
{
	struct json_object *root = NULL;
	const char *text;
	int err = 0;

	if (!in || !f)
		return -EINVAL;
	root = json_object_new_object();
	if (!root) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = err ?: add_summary(root, in);
	err = err ?: add_operations(root, in->stats);
	err = err ?: add_recommendations(root, in);
	err = err ?: add_pids(root, in);
	err = err ?: add_counters(root, in);
	if (err)
		goto cleanup;
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (fputs(text, f) == EOF || fputc('\n', f) == EOF || fflush(f) == EOF || ferror(f))
		err = -EIO;
cleanup:
	json_object_put(root);
	return err;
}
