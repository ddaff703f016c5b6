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
 *
 * The report is streamed (json_stream, jsonfmt.h): each value is built,
 * written and freed in turn, so writing it needs memory for one operation's
 * values, the sorted list of operations and the set of keys already used,
 * never a tree of the whole report. The output is byte for byte what json-c
 * would print for that tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "report/comparison.h"
#include "collect/histogram.h"
#include "report/jsonfmt.h"
#include "util/names.h"
#include "report/report.h"

#define BYTES_PER_MB 1048576.0
#define SEC_DECIMALS 6
#define LE_DECIMALS 9
#define MB_DECIMALS 3
#define RATE_DECIMALS 3

static void put_u64(struct json_stream *js, const char *key, uint64_t v)
{
	json_stream_u64(js, key, v);
}

static void put_sec_ns(struct json_stream *js, const char *key, double ns)
{
	json_stream_fixed(js, key, ns / 1e9, SEC_DECIMALS);
}

static void put_mb(struct json_stream *js, const char *key, double bytes)
{
	json_stream_fixed(js, key, bytes / BYTES_PER_MB, MB_DECIMALS);
}

/* Writes the percentiles and the histogram of op. */
static void distribution_fields(struct json_stream *js, const struct op_stats *op)
{
	struct histogram_bucket b;
	size_t cursor = 0;

	put_sec_ns(js, "p50_time", (double)histogram_percentile(&op->hist, 50));
	put_sec_ns(js, "p90_time", (double)histogram_percentile(&op->hist, 90));
	put_sec_ns(js, "p99_time", (double)histogram_percentile(&op->hist, 99));
	json_stream_open(js, "histogram", '[');
	while (!js->err && histogram_next(&op->hist, &cursor, &b)) {
		json_stream_open(js, NULL, '{');
		json_stream_fixed(js, "le", (double)b.le / 1e9, LE_DECIMALS);
		put_u64(js, "count", b.count);
		json_stream_close(js, '}');
	}
	json_stream_close(js, ']');
}

/* The mean duration of op's finished samples in ns (0 with none). */
static double avg_ns(const struct op_stats *op)
{
	return (double)op->total_ns / (op->count ? (double)op->count : 1.0);
}

/* Writes one operation's fields. Operations with no finished sample (count
 * 0) get zeros. cpu_time/off_cpu_time cover only the samples that had
 * resources: off_cpu_time = their summed duration - cpu_time, clamped at 0.
 * records_per_second = records / duration of the samples carrying a count
 * (0 if that duration is 0). */
static void op_fields(struct json_stream *js, const struct op_stats *op)
{
	double n = op->count ? (double)op->count : 1.0;
	bool any = op->count > 0;

	put_u64(js, "count", op->count);
	put_sec_ns(js, "total_time", (double)op->total_ns);
	put_sec_ns(js, "avg_time", avg_ns(op));
	put_sec_ns(js, "min_time", any ? (double)op->min_ns : 0.0);
	put_sec_ns(js, "max_time", any ? (double)op->max_ns : 0.0);
	put_mb(js, "avg_memory_delta", (double)op->sum_mem_delta / n);
	put_mb(js, "max_memory_delta", any ? (double)op->max_mem_delta : 0.0);
	put_u64(js, "unfinished", op->unfinished);
	put_mb(js, "avg_peak_memory_delta", (double)op->sum_peak_delta / n);
	put_mb(js, "max_peak_memory_delta", any ? (double)op->max_peak_delta : 0.0);
	put_u64(js, "max_depth", op->max_depth);
	distribution_fields(js, op);
	if (op->resource_samples > 0) {
		uint64_t off = op->resource_ns > op->cpu_ns ? op->resource_ns - op->cpu_ns : 0;

		put_sec_ns(js, "cpu_time", (double)op->cpu_ns);
		put_sec_ns(js, "off_cpu_time", (double)off);
		put_u64(js, "minor_faults", op->min_flt);
		put_u64(js, "major_faults", op->maj_flt);
		put_u64(js, "read_bytes", op->read_bytes);
		put_u64(js, "write_bytes", op->write_bytes);
	}
	if (op->record_samples > 0) {
		double secs = (double)op->records_ns / 1e9;

		put_u64(js, "records", op->records);
		json_stream_fixed(js, "records_per_second",
				  secs > 0 ? (double)op->records / secs : 0.0, RATE_DECIMALS);
	}
}

/* Sets of keys used so far are json-c objects whose members are null. */
static bool set_has(struct json_object *set, const char *s)
{
	return json_object_object_get_ex(set, s, NULL);
}

/* Returns 0 or -ENOMEM. */
static int set_add(struct json_object *set, const char *s)
{
	return json_object_object_add(set, s, NULL) < 0 ? -ENOMEM : 0;
}

/* Returns a malloc'd key for `raw` not yet in `keys`, and adds it there; NULL
 * on ENOMEM. Keys are given in report order, so a key that had to change
 * ("#2", ...) is always the later operation's. */
static char *unique_key(struct json_object *keys, const char *raw)
{
	char *base = name_to_utf8(raw), *key = NULL;

	if (!base)
		return NULL;
	if (!set_has(keys, base)) {
		key = base;
		base = NULL;
	}
	for (unsigned long i = 2; !key; i++) {
		if (asprintf(&key, "%s#%lu", base, i) < 0) {
			key = NULL;
			break;
		}
		if (set_has(keys, key)) {
			free(key);
			key = NULL;
		}
	}
	free(base);
	if (key && set_add(keys, key)) {
		free(key);
		key = NULL;
	}
	return key;
}

/* True when every operation's key is its name as it is: every name is
 * valid UTF-8 (name_to_utf8 keeps it) and no two are alike - names in the
 * table are distinct, and only a target's own STATS_OTHER_NAME can equal the
 * overflow entry's. Then unique_key would never change one, and no set of
 * keys is needed. */
static bool keys_are_names(const struct stats *st, const struct op_stats **ops, size_t n,
			   int *err)
{
	const struct op_stats *other = stats_other(st);

	*err = 0;
	if (other && stats_find(st, STATS_OTHER_NAME) != other)
		return false;
	for (size_t i = 0; i < n; i++) {
		char *utf8 = name_to_utf8(ops[i]->name);
		bool same = utf8 && strcmp(utf8, ops[i]->name) == 0;

		free(utf8);
		if (!utf8)
			*err = -ENOMEM;
		if (!same)
			return false;
	}
	return true;
}

/* The key of each operation in turn, in report order. */
struct op_keys {
	struct json_object *used; /* set of the keys given; NULL if keys are names */
};

/* Returns 0 or -ENOMEM. */
static int op_keys_init(struct op_keys *k, const struct stats *st, const struct op_stats **ops,
			size_t n)
{
	int err;

	k->used = NULL;
	if (keys_are_names(st, ops, n, &err) || err)
		return err;
	k->used = json_object_new_object();
	return k->used ? 0 : -ENOMEM;
}

/* The next operation's key, malloc'd; NULL on ENOMEM. */
static char *op_keys_next(struct op_keys *k, const char *name)
{
	return k->used ? unique_key(k->used, name) : strdup(name);
}

static void op_keys_free(struct op_keys *k)
{
	json_object_put(k->used);
}

static void write_operation(struct json_stream *js, struct op_keys *keys,
			    const struct op_stats *op)
{
	char *key = op_keys_next(keys, op->name), *shown = NULL;

	if (!key) {
		json_stream_fail(js, -ENOMEM);
		return;
	}
	json_stream_open(js, key, '{');
	op_fields(js, op);
	if (strcmp(key, op->name) != 0) {
		shown = name_for_terminal(op->name);
		json_stream_put(js, "raw_name", shown ? json_object_new_string(shown) : NULL);
	}
	json_stream_close(js, '}');
	free(key);
	free(shown);
}

static void write_operations(struct json_stream *js, const struct stats *st)
{
	const struct op_stats **sorted = NULL;
	ssize_t n = stats_sorted_alloc(st, &sorted);
	struct op_keys keys = { 0 };

	if (n < 0 || op_keys_init(&keys, st, sorted, (size_t)(n > 0 ? n : 0)))
		json_stream_fail(js, -ENOMEM);
	json_stream_open(js, "operations", '{');
	for (ssize_t i = 0; i < n && !js->err; i++)
		write_operation(js, &keys, sorted[i]);
	json_stream_close(js, '}');
	free(sorted);
	op_keys_free(&keys);
}

static void write_summary(struct json_stream *js, const struct report_input *in)
{
	struct stats_summary sum;

	stats_summarize(in->stats, &sum);
	json_stream_open(js, "summary", '{');
	json_stream_fixed(js, "total_time", sum.total_time, SEC_DECIMALS);
	put_u64(js, "total_operations", sum.total_operations);
	json_stream_fixed(js, "avg_operation_time", sum.avg_operation_time, SEC_DECIMALS);
	json_stream_fixed(js, "wall_time", in->wall_seconds, SEC_DECIMALS);
	put_u64(js, "unfinished_operations", sum.unfinished);
	json_stream_close(js, '}');
}

static void write_recommendations(struct json_stream *js, const struct report_input *in)
{
	char **recs = NULL;
	int n = js->err ? 0 : recommendations_build(in, &recs);

	if (n < 0)
		json_stream_fail(js, n);
	json_stream_open(js, "recommendations", '[');
	for (int i = 0; i < n; i++)
		json_stream_put(js, NULL, json_name(recs[i]));
	json_stream_close(js, ']');
	recommendations_free(recs, n > 0 ? (size_t)n : 0);
}

static void write_suggestion_detail(struct json_stream *js, const struct suggestion *s)
{
	json_stream_open(js, NULL, '{');
	json_stream_put(js, "suggestion", json_name(s->text));
	json_stream_put(js, "rule", json_object_new_string(s->rule_name));
	json_stream_put(js, "operation", json_name(s->op->name));
	json_stream_put(js, "evidence", json_object_new_string(s->evidence));
	json_stream_close(js, '}');
}

/* True if an earlier suggestion (of the first i) has the same text as the
 * named suggestion s[i]. Texts of different rules never match (each starts
 * with its rule's words), and a named text holds the operation's name:
 * names are distinct but for a target's own STATS_OTHER_NAME beside the
 * overflow entry, so only those need looking back. */
static bool seen_before(const struct suggestion *s, int i)
{
	bool look = strcmp(s[i].op->name, STATS_OTHER_NAME) == 0;

	for (int j = 0; look && j < i; j++) {
		if (s[j].rule == s[i].rule && !strcmp(s[j].text, s[i].text))
			return true;
	}
	return false;
}

static void write_suggestions(struct json_stream *js, const struct report_input *in)
{
	struct suggestion *sugg = NULL;
	int n = js->err ? 0 : suggestions_build(in, &sugg);
	bool unnamed_seen[SUGGEST__MAX] = { false };

	if (n < 0)
		json_stream_fail(js, n);
	json_stream_open(js, "suggestions", '[');
	for (int i = 0; i < n && !js->err; i++) {
		if (!sugg[i].named) { /* one text per unnamed rule */
			if (unnamed_seen[sugg[i].rule])
				continue;
			unnamed_seen[sugg[i].rule] = true;
		} else if (seen_before(sugg, i)) {
			continue;
		}
		json_stream_put(js, NULL, json_name(sugg[i].text));
	}
	json_stream_close(js, ']');
	json_stream_open(js, "suggestion_details", '[');
	for (int i = 0; i < n && !js->err; i++)
		write_suggestion_detail(js, &sugg[i]);
	json_stream_close(js, ']');
	suggestions_free(sugg, n > 0 ? (size_t)n : 0);
}

static void write_pids(struct json_stream *js, const struct report_input *in)
{
	json_stream_open(js, "pids", '[');
	for (size_t i = 0; i < in->npids; i++)
		json_stream_put(js, NULL, json_object_new_int64(in->pids[i]));
	json_stream_close(js, ']');
}

static void write_counters(struct json_stream *js, const struct report_input *in)
{
	json_stream_open(js, "counters", '{');
	for (size_t i = 0; i < in->ncounters; i++)
		put_u64(js, in->counters[i].key, in->counters[i].value);
	json_stream_close(js, '}');
}

/* The members comparison_add_json makes, written in its order. */
static void write_comparison(struct json_stream *js, const struct comparison *c)
{
	struct json_object *tmp = json_object_new_object();

	if (!tmp || comparison_add_json(c, tmp)) {
		json_stream_fail(js, -ENOMEM);
	} else {
		json_object_object_foreach(tmp, key, val)
			json_stream_put(js, key, json_object_get(val));
	}
	json_object_put(tmp);
}

int report_write_json(const struct report_input *in, FILE *f)
{
	struct json_stream js;

	if (!in || !f)
		return -EINVAL;
	json_stream_begin(&js, f);
	json_stream_open(&js, NULL, '{');
	write_summary(&js, in);
	write_operations(&js, in->stats);
	write_recommendations(&js, in);
	write_suggestions(&js, in);
	write_pids(&js, in);
	write_counters(&js, in);
	if (in->cmp)
		write_comparison(&js, in->cmp);
	json_stream_close(&js, '}');
	return json_stream_end(&js);
}

int report_perf_ops(const struct report_input *in, struct perf_ops *out)
{
	const struct op_stats **sorted = NULL;
	struct op_keys keys = { 0 };
	ssize_t n;
	int err = 0;

	if (!in || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	n = stats_sorted_alloc(in->stats, &sorted);
	if (n < 0 || op_keys_init(&keys, in->stats, sorted, (size_t)(n > 0 ? n : 0))) {
		err = -ENOMEM;
		goto cleanup;
	}
	out->v = calloc(n ? (size_t)n : 1, sizeof(*out->v));
	if (!out->v) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (ssize_t i = 0; i < n && !err; i++) {
		struct perf_op *p = &out->v[out->n];
		/* The value as written: rounded to the microsecond. */
		struct json_object *avg = json_fixed(avg_ns(sorted[i]) / 1e9, SEC_DECIMALS);

		p->name = op_keys_next(&keys, sorted[i]->name);
		if (!avg || !p->name) {
			free(p->name);
			err = -ENOMEM;
		} else {
			p->avg_time = json_object_get_double(avg);
			p->count = sorted[i]->count;
			out->n++;
		}
		json_object_put(avg);
	}
cleanup:
	free(sorted);
	op_keys_free(&keys);
	if (err)
		perf_ops_free(out);
	return err;
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
