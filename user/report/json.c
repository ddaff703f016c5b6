// SPDX-License-Identifier: MIT
/*
 * report_json.c - the report as JSON: the seed profiler's keys and nesting
 * ({"summary", "operations", "recommendations"}), followed by etltrace's own
 * keys. Units follow the seed: times in seconds, memory in MB (MiB). Numbers
 * are exact: each is the shortest decimal that reads back as the value
 * computed ("0.3", "5.75e-07"), never rounded, so that sums and averages
 * agree to the nanosecond (the text report rounds).
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
 * previous le < d <= le (le a whole number of nanoseconds), 64 buckets per
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
 * values, the prepared list of operations (report.h) and the set of keys
 * already used, never a tree of the whole report. The output is byte for byte what json-c
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
#include "report/units.h"

static void put_u64(struct json_stream *js, const char *key, uint64_t v)
{
	json_stream_u64(js, key, v);
}

static void put_sec_ns(struct json_stream *js, const char *key, double ns)
{
	json_stream_real(js, key, sec_of_ns(ns));
}

static void put_mb(struct json_stream *js, const char *key, double bytes)
{
	json_stream_real(js, key, mb_of_bytes(bytes));
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
		json_stream_real(js, "le", sec_of_ns((double)b.le));
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
static void op_fields(struct json_stream *js, const struct op_stats *op,
		      const struct path_tree *tree)
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
	if (tree)
		put_sec_ns(js, "self_time", (double)path_tree_self_ns(tree, op->name));
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
		double secs = sec_of_ns((double)op->records_ns);

		put_u64(js, "records", op->records);
		json_stream_real(js, "records_per_second", secs > 0 ? (double)op->records / secs : 0.0);
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
			    const struct op_stats *op, const struct path_tree *tree)
{
	char *key = op_keys_next(keys, op->name), *shown = NULL;

	if (!key) {
		json_stream_fail(js, -ENOMEM);
		return;
	}
	json_stream_open(js, key, '{');
	op_fields(js, op, tree);
	if (strcmp(key, op->name) != 0) {
		shown = name_for_terminal(op->name);
		json_stream_put(js, "raw_name", shown ? json_object_new_string(shown) : NULL);
	}
	json_stream_close(js, '}');
	free(key);
	free(shown);
}

/* "operations": ops[0..n) of st, in report order. tree, when not NULL,
 * gives each its self time. */
static void write_operations(struct json_stream *js, const struct stats *st,
			     const struct op_stats *const *ops, size_t n,
			     const struct path_tree *tree)
{
	struct op_keys keys = { 0 };

	if (op_keys_init(&keys, st, (const struct op_stats **)ops, n))
		json_stream_fail(js, -ENOMEM);
	json_stream_open(js, "operations", '{');
	for (size_t i = 0; i < n && !js->err; i++)
		write_operation(js, &keys, ops[i], tree);
	json_stream_close(js, '}');
	op_keys_free(&keys);
}

/* "summary" of st; traced_ns < 0 when there is no tree. */
static void write_summary(struct json_stream *js, const struct stats *st, double wall_seconds,
			  double traced_ns)
{
	struct stats_summary sum;

	stats_summarize(st, &sum);
	json_stream_open(js, "summary", '{');
	json_stream_real(js, "total_time", sum.total_time);
	put_u64(js, "total_operations", sum.total_operations);
	json_stream_real(js, "avg_operation_time", sum.avg_operation_time);
	json_stream_real(js, "wall_time", wall_seconds);
	if (traced_ns >= 0)
		put_sec_ns(js, "traced_time", traced_ns);
	put_u64(js, "unfinished_operations", sum.unfinished);
	json_stream_close(js, '}');
}

/* "tree": every node, depth first (each root, then its descendants), each
 * with the index of its parent in the list (-1 for a root): flat, so that
 * no JSON reader's nesting limit is reached by a deep tree. */
static void write_tree(struct json_stream *js, const struct path_tree *t)
{
	long parent_at[64];

	json_stream_open(js, "tree", '[');
	for (size_t i = 0; i < t->n && !js->err; i++) {
		const struct path_node *n = t->all[i];
		double count = n->count ? (double)n->count : 1.0;

		if (n->depth < 64)
			parent_at[n->depth] = (long)i;
		json_stream_open(js, NULL, '{');
		json_stream_put(js, "name", json_name(n->name));
		json_stream_put(js, "path", json_name(n->path));
		put_u64(js, "depth", n->depth);
		json_stream_put(js, "parent", json_object_new_int64(
			n->depth && n->depth <= 64 ? parent_at[n->depth - 1] : -1));
		put_u64(js, "count", n->count);
		put_sec_ns(js, "total_time", (double)n->incl_ns);
		put_sec_ns(js, "self_time", (double)n->self_ns);
		put_mb(js, "avg_memory_delta", (double)n->sum_mem_delta / count);
		put_mb(js, "max_peak_memory_delta", n->count ? (double)n->max_peak_delta : 0.0);
		put_sec_ns(js, "cpu_time", (double)n->cpu_ns);
		put_sec_ns(js, "self_cpu_time", (double)n->self_cpu_ns);
		put_u64(js, "unfinished", n->unfinished);
		json_stream_close(js, '}');
	}
	json_stream_close(js, ']');
}

/* "processes": each traced process's own summary and operations. */
static void write_processes(struct json_stream *js, const struct report_input *in)
{
	json_stream_open(js, "processes", '[');
	for (size_t i = 0; i < in->nprocs && !js->err; i++) {
		const struct report_process *p = &in->procs[i];
		const struct op_stats **ops = NULL;
		ssize_t n = stats_sorted_alloc(p->stats, &ops);

		if (n < 0) {
			json_stream_fail(js, (int)n);
			break;
		}
		json_stream_open(js, NULL, '{');
		put_u64(js, "pid", (uint64_t)p->pid);
		json_stream_put(js, "command", json_name(p->command));
		json_stream_put(js, "exited", json_object_new_boolean(p->exited));
		write_summary(js, p->stats, in->wall_seconds, -1);
		write_operations(js, p->stats, ops, (size_t)n, NULL);
		json_stream_close(js, '}');
		free(ops);
	}
	json_stream_close(js, ']');
}

static void write_interval(struct json_stream *js, const struct report_interval *iv)
{
	json_stream_open(js, "interval", '{');
	put_u64(js, "seq", iv->seq);
	json_stream_real(js, "start", iv->start);
	json_stream_real(js, "end", iv->end);
	json_stream_close(js, '}');
}

static void write_recommendations(struct json_stream *js, const struct report_input *in)
{
	json_stream_open(js, "recommendations", '[');
	for (size_t i = 0; i < in->nfindings; i++)
		if (in->findings[i].kind == RULE_RECOMMENDATION)
			json_stream_put(js, NULL, json_name(in->findings[i].text));
	json_stream_close(js, ']');
}

static void write_suggestion_detail(struct json_stream *js, const struct finding *s)
{
	json_stream_open(js, NULL, '{');
	json_stream_put(js, "suggestion", json_name(s->text));
	json_stream_put(js, "rule", json_object_new_string(s->rule_name));
	json_stream_put(js, "operation", json_name(s->op->name));
	json_stream_put(js, "evidence", json_object_new_string(s->evidence));
	json_stream_close(js, '}');
}

/* True if an earlier finding (of the first i) has the same text as the
 * named finding f[i]. Texts of different rules never match (each starts
 * with its rule's words), and a named text holds the operation's name:
 * names are distinct but for a target's own STATS_OTHER_NAME beside the
 * overflow entry, so only those need looking back. */
static bool seen_before(const struct finding *f, size_t i)
{
	bool look = strcmp(f[i].op->name, STATS_OTHER_NAME) == 0;

	for (size_t j = 0; look && j < i; j++) {
		if (f[j].rule == f[i].rule && !strcmp(f[j].text, f[i].text))
			return true;
	}
	return false;
}

/* "suggestions": the seed's list of texts, each once; "suggestion_details":
 * every (operation, rule) that fired, with its evidence. */
static void write_suggestions(struct json_stream *js, const struct report_input *in)
{
	const struct finding *f = in->findings;
	bool unnamed_seen[RULE__MAX] = { false };

	json_stream_open(js, "suggestions", '[');
	for (size_t i = 0; i < in->nfindings && !js->err; i++) {
		if (f[i].kind != RULE_SUGGESTION)
			continue;
		if (!f[i].named) { /* one text per unnamed rule */
			if (unnamed_seen[f[i].rule])
				continue;
			unnamed_seen[f[i].rule] = true;
		} else if (seen_before(f, i)) {
			continue;
		}
		json_stream_put(js, NULL, json_name(f[i].text));
	}
	json_stream_close(js, ']');
	json_stream_open(js, "suggestion_details", '[');
	for (size_t i = 0; i < in->nfindings && !js->err; i++)
		if (f[i].kind == RULE_SUGGESTION)
			write_suggestion_detail(js, &f[i]);
	json_stream_close(js, ']');
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

int report_write_json(const struct report_input *in, bool compact, FILE *f)
{
	const struct path_tree *tree = in && in->paths ? &in->tree : NULL;
	struct json_stream js;

	if (!in || !f)
		return -EINVAL;
	json_stream_begin(&js, f, compact);
	json_stream_open(&js, NULL, '{');
	if (in->interval)
		write_interval(&js, in->interval);
	write_summary(&js, in->stats, in->wall_seconds,
		      tree ? (double)path_tree_roots_ns(tree) : -1);
	write_operations(&js, in->stats, in->ops, in->nops, tree);
	write_recommendations(&js, in);
	write_suggestions(&js, in);
	write_pids(&js, in);
	write_counters(&js, in);
	if (tree)
		write_tree(&js, tree);
	if (in->procs)
		write_processes(&js, in);
	if (in->cmp)
		write_comparison(&js, in->cmp);
	json_stream_close(&js, '}');
	return json_stream_end(&js);
}

int report_perf_ops(const struct report_input *in, struct perf_ops *out)
{
	struct op_keys keys = { 0 };
	int err = 0;

	if (!in || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (op_keys_init(&keys, in->stats, (const struct op_stats **)in->ops, in->nops)) {
		err = -ENOMEM;
		goto cleanup;
	}
	out->v = calloc(in->nops ? in->nops : 1, sizeof(*out->v));
	if (!out->v) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < in->nops && !err; i++) {
		struct perf_op *p = &out->v[out->n];

		p->name = op_keys_next(&keys, in->ops[i]->name);
		if (!p->name) {
			err = -ENOMEM;
			break;
		}
		p->avg_time = sec_of_ns(avg_ns(in->ops[i])); /* exactly as written */
		p->count = in->ops[i]->count;
		out->n++;
	}
cleanup:
	op_keys_free(&keys);
	if (err)
		perf_ops_free(out);
	return err;
}
