// SPDX-License-Identifier: MIT
/*
 * test_report_json.c - the JSON report (user/report_json.c): the seed's keys
 * and values, etltrace's extra keys, hostile names, write failures, the
 * streamed layout and the operations a comparison reads. Output is parsed
 * back with json-c in strict mode with UTF-8 validation.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "report/comparison.h"
#include "cli/config.h"
#include "report/report.h"

#define MS 1000000ull
#define MIB (1024ll * 1024)
#define FFFD "\xef\xbf\xbd"

static const pid_t test_pids[] = { 4242, 77 };
static const struct report_counter test_counters[] = {
	{ "starts", 12 }, { "ends", 11 }, { "ringbuf_full", 0 }, { "unmatched_end", 1 },
	{ "huge", UINT64_MAX },
};

static int setup(void **state)
{
	*state = stats_new(STATS_DEFAULT_MAX_OPERATIONS);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	stats_free(*state);
	return 0;
}

/* With the default thresholds (config.c). */
static struct report_input input(struct stats *st)
{
	struct settings set;

	settings_default(&set);
	return (struct report_input){
		.stats = st, .pids = test_pids, .npids = 2, .wall_seconds = 12.5,
		.counters = test_counters, .ncounters = sizeof(test_counters) / sizeof(test_counters[0]),
		.th = set.th,
	};
}

static void add(struct stats *st, const char *name, uint64_t ns, int64_t mem)
{
	struct op_sample s = { .duration_ns = ns, .mem_delta = mem, .mem_peak_delta = mem };

	assert_int_equal(stats_add(st, name, &s), 0);
}

/* Writes the report to memory; returns the malloc'd text. */
static char *render(const struct report_input *in)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	struct report_input prepared = *in;

	assert_non_null(f);
	assert_int_equal(report_prepare(&prepared), 0);
	assert_int_equal(report_write_json(&prepared, false, f), 0);
	report_release(&prepared);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* Parses `text` strictly: one valid UTF-8 JSON document, then one newline. */
static struct json_object *parse(const char *text)
{
	struct json_tokener *tok = json_tokener_new();
	size_t len = strlen(text);
	struct json_object *root;

	assert_non_null(tok);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)len);
	assert_int_equal(json_tokener_get_error(tok), json_tokener_success);
	assert_non_null(root);
	assert_int_equal(json_tokener_get_parse_end(tok), len); /* nothing left over */
	assert_int_equal(text[len - 1], '\n');
	json_tokener_free(tok);
	return root;
}

static struct json_object *report(const struct report_input *in)
{
	char *text = render(in);
	struct json_object *root = parse(text);

	free(text);
	return root;
}

static struct json_object *get(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	assert_true(json_object_object_get_ex(obj, key, &v));
	return v;
}

static struct json_object *op(struct json_object *root, const char *name)
{
	return get(get(root, "operations"), name);
}

/* The number under `key` is written exactly as `text`. */
static void assert_num(struct json_object *obj, const char *key, const char *text)
{
	assert_string_equal(json_object_to_json_string(get(obj, key)), text);
}

static void assert_keys(struct json_object *obj, const char *const *keys, size_t n)
{
	size_t i = 0;

	assert_int_equal(json_object_object_length(obj), n);
	json_object_object_foreach(obj, key, val) {
		(void)val;
		assert_string_equal(key, keys[i]);
		i++;
	}
}

static void seed_keys_come_first_in_seed_order_then_extras(void **state)
{
	static const char *const top[] = {
		"summary", "operations", "recommendations", "suggestions", "suggestion_details",
		"pids", "counters",
	};
	static const char *const summary[] = {
		"total_time", "total_operations", "avg_operation_time", "wall_time",
		"unfinished_operations",
	};
	static const char *const operation[] = {
		"count", "total_time", "avg_time", "min_time", "max_time", "avg_memory_delta",
		"max_memory_delta", "unfinished", "avg_peak_memory_delta", "max_peak_memory_delta",
		"max_depth", "p50_time", "p90_time", "p99_time", "histogram",
	};
	struct report_input in = input(*state);
	struct json_object *root;

	add(*state, "extract", 100 * MS, 0);
	root = report(&in);
	assert_keys(root, top, 7);
	assert_keys(get(root, "summary"), summary, 5);
	assert_keys(op(root, "extract"), operation, 15);
	json_object_put(root);
}

static void three_samples_give_the_seed_values(void **state)
{
	struct report_input in = input(*state);
	struct json_object *root, *o, *sum;

	add(*state, "extract", 100 * MS, 1 * MIB);
	add(*state, "extract", 200 * MS, 3 * MIB);
	add(*state, "extract", 600 * MS, 2 * MIB);
	root = report(&in);
	o = op(root, "extract");
	assert_int_equal(json_object_get_int64(get(o, "count")), 3);
	assert_num(o, "total_time", "0.9");
	assert_num(o, "avg_time", "0.3");
	assert_num(o, "min_time", "0.1");
	assert_num(o, "max_time", "0.6");
	assert_num(o, "avg_memory_delta", "2.0");
	assert_num(o, "max_memory_delta", "3.0");
	assert_float_equal(json_object_get_double(get(o, "avg_time")), 0.3, 1e-12);
	sum = get(root, "summary");
	assert_num(sum, "total_time", "0.9");
	assert_int_equal(json_object_get_int64(get(sum, "total_operations")), 3);
	assert_num(sum, "avg_operation_time", "0.3");
	assert_num(sum, "wall_time", "12.5");
	json_object_put(root);
}

static void summary_spans_every_operation(void **state)
{
	struct report_input in = input(*state);
	struct json_object *root, *sum;

	add(*state, "extract", 1500 * MS, 0);
	add(*state, "load", 250 * MS, 0);
	add(*state, "load", 250 * MS, 0);
	root = report(&in);
	sum = get(root, "summary");
	assert_num(sum, "total_time", "2.0");
	assert_int_equal(json_object_get_int64(get(sum, "total_operations")), 3);
	assert_num(sum, "avg_operation_time", "0.6666666666666666");
	assert_int_equal(json_object_get_int64(get(sum, "unfinished_operations")), 0);
	json_object_put(root);
}

static void times_and_memory_are_exact_never_rounded(void **state)
{
	struct report_input in = input(*state);
	struct json_object *root, *o;

	/* 1.234567891 s; 1.5 MiB + 600 B = 1.50057220458984375 MB */
	add(*state, "r", 1234567891, 3 * MIB / 2 + 600);
	root = report(&in);
	o = op(root, "r");
	assert_num(o, "total_time", "1.234567891");
	assert_num(o, "avg_time", "1.234567891");
	assert_num(o, "max_memory_delta", "1.5005722045898438");
	json_object_put(root);
}

/* A 575 ns operation keeps its three significant digits (it was 0.000001,
 * 74% off, when seconds had 6 decimals), and totals agree with averages
 * to the nanosecond. */
static void sub_microsecond_operations_keep_their_digits_and_totals_add_up(void **state)
{
	struct report_input in = input(*state);
	struct json_object *root, *o, *sum;

	for (int i = 0; i < 7; i++)
		add(*state, "tiny", 575, 0);
	add(*state, "odd", 1000000001, 0);
	add(*state, "odd", 2, 0);
	add(*state, "odd", 2, 0);
	root = report(&in);
	o = op(root, "tiny");
	assert_num(o, "avg_time", "5.75e-07");
	assert_num(o, "total_time", "4.025e-06");
	assert_num(o, "min_time", "5.75e-07");
	json_object_object_foreach(get(root, "operations"), name, v) {
		double avg = json_object_get_double(get(v, "avg_time"));
		double total = json_object_get_double(get(v, "total_time"));
		int64_t count = json_object_get_int64(get(v, "count"));

		(void)name;
		assert_true(fabs(avg * (double)count - total) < 1e-9);
	}
	sum = get(root, "summary");
	assert_true(fabs(json_object_get_double(get(sum, "total_time")) -
			 (json_object_get_double(get(o, "total_time")) +
			  json_object_get_double(get(op(root, "odd"), "total_time")))) < 1e-9);
	json_object_put(root);
}

static void negative_memory_deltas_stay_negative_even_tiny_ones(void **state)
{
	struct report_input in = input(*state);
	struct json_object *root;

	add(*state, "free", MS, -1 * MIB);
	add(*state, "free", MS, -3 * MIB);
	add(*state, "tiny", MS, -100);
	root = report(&in);
	assert_num(op(root, "free"), "avg_memory_delta", "-2.0");
	assert_num(op(root, "free"), "max_memory_delta", "-1.0");
	assert_num(op(root, "tiny"), "max_memory_delta", "-9.5367431640625e-05");
	json_object_put(root);
}

static void peak_and_depth_are_reported(void **state)
{
	struct report_input in = input(*state);
	struct op_sample s = { .duration_ns = MS, .mem_delta = MIB, .mem_peak_delta = 4 * MIB,
			       .depth = 3 };
	struct json_object *root, *o;

	assert_int_equal(stats_add(*state, "p", &s), 0);
	s.mem_peak_delta = 2 * MIB;
	s.depth = 1;
	assert_int_equal(stats_add(*state, "p", &s), 0);
	root = report(&in);
	o = op(root, "p");
	assert_num(o, "avg_peak_memory_delta", "3.0");
	assert_num(o, "max_peak_memory_delta", "4.0");
	assert_int_equal(json_object_get_int64(get(o, "max_depth")), 3);
	json_object_put(root);
}

static void operation_with_only_unfinished_samples_has_count_zero_and_zeros(void **state)
{
	struct report_input in = input(*state);
	struct op_sample open = { .duration_ns = 5000 * MS, .mem_delta = MIB, .unfinished = true };
	struct json_object *root, *o;

	assert_int_equal(stats_add(*state, "open", &open), 0);
	assert_int_equal(stats_add(*state, "open", &open), 0);
	root = report(&in);
	o = op(root, "open");
	assert_int_equal(json_object_get_int64(get(o, "count")), 0);
	assert_int_equal(json_object_get_int64(get(o, "unfinished")), 2);
	assert_num(o, "total_time", "0.0");
	assert_num(o, "avg_time", "0.0");
	assert_num(o, "min_time", "0.0");
	assert_num(o, "max_time", "0.0");
	assert_num(o, "avg_memory_delta", "0.0");
	assert_num(o, "max_memory_delta", "0.0");
	assert_int_equal(json_object_get_int64(get(get(root, "summary"), "unfinished_operations")), 2);
	assert_num(get(root, "summary"), "avg_operation_time", "0.0");
	assert_num(o, "p50_time", "0.0");
	assert_num(o, "p99_time", "0.0");
	assert_int_equal(json_object_array_length(get(o, "histogram")), 0);
	json_object_put(root);
}

static void resource_keys_appear_only_with_resource_samples(void **state)
{
	struct report_input in = input(*state);
	struct op_sample with = {
		.duration_ns = 400 * MS, .cpu_ns = 100 * MS, .min_flt = 10, .maj_flt = 2,
		.read_bytes = 4096, .write_bytes = 512, .has_resources = true,
	};
	struct json_object *root, *o;

	add(*state, "plain", 100 * MS, 0);
	assert_int_equal(stats_add(*state, "io", &with), 0);
	assert_int_equal(stats_add(*state, "io", &with), 0);
	add(*state, "io", 600 * MS, 0); /* no resources: not in cpu/off-cpu */
	root = report(&in);
	o = op(root, "plain");
	assert_false(json_object_object_get_ex(o, "cpu_time", NULL));
	assert_false(json_object_object_get_ex(o, "off_cpu_time", NULL));
	assert_false(json_object_object_get_ex(o, "minor_faults", NULL));
	o = op(root, "io");
	assert_num(o, "total_time", "1.4");
	assert_num(o, "cpu_time", "0.2");
	assert_num(o, "off_cpu_time", "0.6"); /* 0.8 s with resources - 0.2 s on CPU */
	assert_int_equal(json_object_get_int64(get(o, "minor_faults")), 20);
	assert_int_equal(json_object_get_int64(get(o, "major_faults")), 4);
	assert_int_equal(json_object_get_int64(get(o, "read_bytes")), 8192);
	assert_int_equal(json_object_get_int64(get(o, "write_bytes")), 1024);
	json_object_put(root);
}

static void off_cpu_time_is_clamped_at_zero(void **state)
{
	struct report_input in = input(*state);
	struct op_sample s = { .duration_ns = 100 * MS, .cpu_ns = 150 * MS, .has_resources = true };
	struct json_object *root;

	assert_int_equal(stats_add(*state, "spin", &s), 0);
	root = report(&in);
	assert_num(op(root, "spin"), "cpu_time", "0.15");
	assert_num(op(root, "spin"), "off_cpu_time", "0.0");
	json_object_put(root);
}

static void record_keys_appear_only_with_record_samples(void **state)
{
	struct report_input in = input(*state);
	struct op_sample with = { .duration_ns = 250 * MS, .records = 400, .has_records = true };
	struct json_object *root, *o;

	add(*state, "plain", 100 * MS, 0);
	assert_int_equal(stats_add(*state, "batch", &with), 0);
	with.records = 600;
	assert_int_equal(stats_add(*state, "batch", &with), 0);
	add(*state, "batch", 9000 * MS, 0); /* carries no count: not in the rate */
	root = report(&in);
	assert_false(json_object_object_get_ex(op(root, "plain"), "records", NULL));
	assert_false(json_object_object_get_ex(op(root, "plain"), "records_per_second", NULL));
	o = op(root, "batch");
	assert_int_equal(json_object_get_int64(get(o, "records")), 1000);
	assert_num(o, "records_per_second", "2000.0"); /* 1000 records in 0.5 s */
	json_object_put(root);
}

static void pids_and_every_counter_are_listed(void **state)
{
	struct report_input in = input(*state);
	struct json_object *root, *pids, *c;

	root = report(&in);
	pids = get(root, "pids");
	assert_int_equal(json_object_array_length(pids), 2);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(pids, 0)), 4242);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(pids, 1)), 77);
	c = get(root, "counters");
	assert_int_equal(json_object_object_length(c), 5);
	assert_int_equal(json_object_get_uint64(get(c, "starts")), 12);
	assert_int_equal(json_object_get_uint64(get(c, "ends")), 11);
	assert_int_equal(json_object_get_uint64(get(c, "ringbuf_full")), 0);
	assert_int_equal(json_object_get_uint64(get(c, "unmatched_end")), 1);
	assert_true(json_object_get_uint64(get(c, "huge")) == UINT64_MAX);
	json_object_put(root);
}

static void recommendations_are_the_seed_texts_in_order(void **state)
{
	struct report_input in = input(*state);
	struct json_object *root, *recs;

	add(*state, "customer_transformation", 2500 * MS, 150 * MIB);
	add(*state, "data_validation", 100 * MS, 120 * MIB);
	root = report(&in);
	recs = get(root, "recommendations");
	assert_int_equal(json_object_array_length(recs), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(recs, 0)),
			    "Operation 'customer_transformation' is slow (avg: 2.5s). "
			    "Consider optimization.");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(recs, 1)),
			    "Operation 'customer_transformation' uses high memory (max: 150.0MB). "
			    "Consider batch processing.");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(recs, 2)),
			    "Operation 'data_validation' uses high memory (max: 120.0MB). "
			    "Consider batch processing.");
	json_object_put(root);
}

static void hostile_valid_utf8_names_round_trip_as_keys(void **state)
{
	static const char *const names[] = {
		"quote\"d", "back\\slash", "new\nline", "tab\tcr\r", "esc\x1b[31mred\x1b[0m",
		"ctl\x01\x02\x1f\x7f", "slash/ok", "{\"fake\": 1}", "caf\xc3\xa9 \xf0\x9f\x98\x80",
		"\xe2\x80\xae" "rtl", "",
	};
	const size_t n = sizeof(names) / sizeof(names[0]);
	struct report_input in = input(*state);
	struct json_object *root, *ops;

	for (size_t i = 0; i < n; i++)
		add(*state, names[i], (i + 1) * MS, 0);
	root = report(&in);
	ops = get(root, "operations");
	assert_int_equal(json_object_object_length(ops), n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = get(ops, names[i]);

		assert_int_equal(json_object_get_int64(get(o, "count")), 1);
		assert_false(json_object_object_get_ex(o, "raw_name", NULL));
	}
	json_object_put(root);
}

static void invalid_utf8_names_become_fffd_keys_with_a_lossless_raw_name(void **state)
{
	struct report_input in = input(*state);
	struct json_object *root, *o;

	add(*state, "bad\xff\xc0\xaf" "end", MS, 0);
	add(*state, "cut\xe2\x82", MS, 0);
	root = report(&in);
	o = op(root, "bad" FFFD FFFD FFFD "end");
	assert_string_equal(json_object_get_string(get(o, "raw_name")), "bad\\xff\\xc0\\xafend");
	o = op(root, "cut" FFFD);
	assert_string_equal(json_object_get_string(get(o, "raw_name")), "cut\\xe2\\x82");
	json_object_put(root);
}

static void names_converting_to_the_same_key_are_both_kept(void **state)
{
	struct report_input in = input(*state);
	struct json_object *root, *ops;

	add(*state, "a\xff", 300 * MS, 0);
	add(*state, "a\xfe", 200 * MS, 0);
	add(*state, "a" FFFD, 100 * MS, 0); /* the real name later in report order */
	root = report(&in);
	ops = get(root, "operations");
	assert_int_equal(json_object_object_length(ops), 3);
	assert_string_equal(json_object_get_string(get(get(ops, "a" FFFD), "raw_name")), "a\\xff");
	assert_num(get(ops, "a" FFFD), "total_time", "0.3");
	assert_string_equal(json_object_get_string(get(get(ops, "a" FFFD "#2"), "raw_name")),
			    "a\\xfe");
	assert_num(get(ops, "a" FFFD "#2"), "total_time", "0.2");
	assert_string_equal(json_object_get_string(get(get(ops, "a" FFFD "#3"), "raw_name")),
			    "a" FFFD);
	assert_num(get(ops, "a" FFFD "#3"), "total_time", "0.1");
	json_object_put(root);
}

static void recommendation_with_a_hostile_name_is_valid_json(void **state)
{
	struct report_input in = input(*state);
	struct json_object *root, *recs;

	add(*state, "x\"\\\n\x1b\xff", 3000 * MS, 0);
	root = report(&in);
	recs = get(root, "recommendations");
	assert_int_equal(json_object_array_length(recs), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(recs, 0)),
			    "Operation 'x\"\\\n\x1b" FFFD "' is slow (avg: 3.0s). "
			    "Consider optimization.");
	json_object_put(root);
}

static void empty_report_has_zeros_and_empty_collections(void **state)
{
	struct report_input in = { .stats = *state };
	struct json_object *root, *sum;

	root = report(&in);
	sum = get(root, "summary");
	assert_num(sum, "total_time", "0.0");
	assert_int_equal(json_object_get_int64(get(sum, "total_operations")), 0);
	assert_num(sum, "avg_operation_time", "0.0");
	assert_num(sum, "wall_time", "0.0");
	assert_int_equal(json_object_object_length(get(root, "operations")), 0);
	assert_int_equal(json_object_array_length(get(root, "recommendations")), 0);
	assert_int_equal(json_object_array_length(get(root, "suggestions")), 0);
	assert_int_equal(json_object_array_length(get(root, "suggestion_details")), 0);
	assert_false(json_object_object_get_ex(root, "regressions", NULL));
	assert_int_equal(json_object_array_length(get(root, "pids")), 0);
	assert_int_equal(json_object_object_length(get(root, "counters")), 0);
	json_object_put(root);
}

static void percentiles_are_nearest_rank_within_1_percent(void **state)
{
	struct report_input in = input(*state);
	struct json_object *root, *o;

	/* 1..100 ms: nearest-rank p50 = 50 ms, p90 = 90 ms, p99 = 99 ms. */
	for (uint64_t i = 1; i <= 100; i++)
		add(*state, "batch", i * MS, 0);
	root = report(&in);
	o = op(root, "batch");
	assert_float_equal(json_object_get_double(get(o, "p50_time")), 0.050, 0.050 / 100);
	assert_float_equal(json_object_get_double(get(o, "p90_time")), 0.090, 0.090 / 100);
	assert_float_equal(json_object_get_double(get(o, "p99_time")), 0.099, 0.099 / 100);
	json_object_put(root);
}

static void histogram_buckets_are_ascending_non_empty_and_sum_to_count(void **state)
{
	struct report_input in = input(*state);
	struct json_object *root, *h;
	double prev = -1;
	int64_t total = 0;

	for (uint64_t i = 1; i <= 40; i++)
		add(*state, "batch", i * i * MS / 4, 0);
	add(*state, "one", 1500, 0); /* 1.5 us: le keeps nanoseconds */
	root = report(&in);
	h = get(op(root, "batch"), "histogram");
	assert_true(json_object_array_length(h) > 5);
	for (size_t i = 0; i < json_object_array_length(h); i++) {
		struct json_object *b = json_object_array_get_idx(h, i);
		double le = json_object_get_double(get(b, "le"));
		int64_t n = json_object_get_int64(get(b, "count"));

		assert_int_equal(json_object_object_length(b), 2);
		assert_true(le > prev);
		assert_true(n > 0);
		prev = le;
		total += n;
	}
	assert_int_equal(total, 40);
	assert_true(prev >= 0.4); /* the largest duration, 400 ms, is <= the last le */
	h = get(op(root, "one"), "histogram");
	assert_int_equal(json_object_array_length(h), 1);
	/* 1500 ns sits in (1471, 1535]: 16 buckets per power of two */
	assert_num(json_object_array_get_idx(h, 0), "le", "1.535e-06");
	json_object_put(root);
}

static void suggestions_list_each_seed_text_once_with_details_per_operation(void **state)
{
	struct report_input in = input(*state);
	struct op_sample waits = { .duration_ns = 3000 * MS, .cpu_ns = 100 * MS,
				   .has_resources = true };
	struct json_object *root, *list, *details, *d;

	assert_int_equal(stats_add(*state, "load", &waits), 0);
	assert_int_equal(stats_add(*state, "fetch", &waits), 0);
	root = report(&in);
	list = get(root, "suggestions");
	details = get(root, "suggestion_details");
	/* Two batch-processing texts (named), one parallel text (not named). */
	assert_int_equal(json_object_array_length(list), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(list, 0)),
			    "Consider batch processing for fetch");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(list, 1)),
			    "Enable parallel processing for large datasets");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(list, 2)),
			    "Consider batch processing for load");
	assert_int_equal(json_object_array_length(details), 4);
	d = json_object_array_get_idx(details, 3);
	assert_string_equal(json_object_get_string(get(d, "suggestion")),
			    "Enable parallel processing for large datasets");
	assert_string_equal(json_object_get_string(get(d, "rule")), "parallel");
	assert_string_equal(json_object_get_string(get(d, "operation")), "load");
	assert_string_equal(json_object_get_string(get(d, "evidence")),
			    "avg_time 3.00s > 2.00s, 97% of it off CPU > 50%");
	json_object_put(root);
}

static void a_comparison_adds_regressions_and_comparison(void **state)
{
	struct report_input in = input(*state);
	struct perf_op b[] = { { "load", 0.1, 3 }, { "gone", 1.0, 1 } };
	struct perf_op c[] = { { "load", 0.2, 3 }, { "new", 1.0, 1 } };
	struct perf_ops base = { b, 2 }, cur = { c, 2 };
	struct comparison cmp;
	struct json_object *root, *r, *cmpj;

	assert_int_equal(comparison_build(&base, &cur, 1.5, &cmp), 0);
	in.cmp = &cmp;
	root = report(&in);
	r = get(root, "regressions");
	assert_int_equal(json_object_array_length(r), 1);
	r = json_object_array_get_idx(r, 0);
	assert_string_equal(json_object_get_string(get(r, "operation")), "load");
	assert_num(r, "baseline_avg_time", "0.1");
	assert_num(r, "current_avg_time", "0.2");
	assert_num(r, "ratio", "2.0");
	assert_int_equal(json_object_object_length(r), 4);
	cmpj = get(root, "comparison");
	assert_num(cmpj, "regression_factor", "1.5");
	assert_string_equal(json_object_get_string(
		json_object_array_get_idx(get(cmpj, "only_in_baseline"), 0)), "gone");
	assert_string_equal(json_object_get_string(
		json_object_array_get_idx(get(cmpj, "only_in_current"), 0)), "new");
	assert_true(json_object_get_boolean(
		get(json_object_array_get_idx(get(cmpj, "operations"), 0), "regression")));
	comparison_free(&cmp);
	json_object_put(root);
}

/* A report with everything: hostile and colliding names, resources, records,
 * suggestions, an unfinished operation. */
static void add_varied_operations(struct stats *st)
{
	static const char *const names[] = { "extract", "a\xff", "a\xfe", "a" FFFD "#2", "a" FFFD,
					     "x\"\\\n\x1b/" };
	struct op_sample open = { .unfinished = true };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (uint64_t k = 1; k <= 30; k++) {
			struct op_sample s = {
				.duration_ns = k * k * 11 * MS * (i + 1), .mem_delta = (int64_t)k * MIB,
				.mem_peak_delta = (int64_t)k * 3 * MIB, .cpu_ns = k * MS,
				.maj_flt = 200, .has_resources = i % 2, .records = k,
				.has_records = i % 3 == 0, .depth = (uint32_t)i,
			};

			assert_int_equal(stats_add(st, names[i], &s), 0);
		}
	}
	assert_int_equal(stats_add(st, "open", &open), 0);
}

static void the_streamed_report_is_what_json_c_prints_for_its_tree(void **state)
{
	struct report_input in = input(*state);
	struct perf_op b[] = { { "extract", 0.01, 3 }, { "gone", 1.0, 1 } };
	struct perf_ops base = { b, 2 }, cur;
	struct comparison cmp;
	char *text, *again;
	struct json_object *root;

	add_varied_operations(*state);
	assert_int_equal(report_prepare(&in), 0);
	assert_int_equal(report_perf_ops(&in, &cur), 0);
	report_release(&in);
	assert_int_equal(comparison_build(&base, &cur, 1.5, &cmp), 0);
	in.cmp = &cmp;
	text = render(&in);
	root = parse(text);
	assert_true(asprintf(&again, "%s\n", json_object_to_json_string_ext(root,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)) > 0);
	assert_string_equal(text, again);
	free(again);
	free(text);
	json_object_put(root);
	comparison_free(&cmp);
	perf_ops_free(&cur);
}

static void perf_ops_are_what_a_comparison_reads_back_from_the_report(void **state)
{
	struct report_input in = input(*state);
	struct json_object *root;
	struct perf_ops direct, read;
	char why[256];

	add_varied_operations(*state);
	root = report(&in);
	assert_int_equal(perf_ops_from_json(root, &read, why, sizeof(why)), 0);
	assert_int_equal(report_prepare(&in), 0);
	assert_int_equal(report_perf_ops(&in, &direct), 0);
	report_release(&in);
	assert_int_equal(direct.n, 7);
	assert_int_equal(direct.n, read.n);
	for (size_t i = 0; i < direct.n; i++) {
		assert_string_equal(direct.v[i].name, read.v[i].name);
		assert_true(direct.v[i].avg_time == read.v[i].avg_time);
		assert_int_equal(direct.v[i].count, read.v[i].count);
	}
	perf_ops_free(&direct);
	perf_ops_free(&read);
	json_object_put(root);
	assert_int_equal(report_perf_ops(NULL, &direct), -EINVAL);
}

static void operations_over_the_cap_are_one_operation(void **state)
{
	struct stats *st = stats_new(2);
	struct report_input in = input(st);
	struct json_object *root, *o;

	(void)state;
	add(st, "a", 100 * MS, 0);
	add(st, "b", 100 * MS, 0);
	add(st, "c", 300 * MS, 0);
	add(st, "d", 400 * MS, 0);
	root = report(&in);
	assert_int_equal(json_object_object_length(get(root, "operations")), 3);
	o = op(root, "[other operations]");
	assert_int_equal(json_object_get_int64(get(o, "count")), 2);
	assert_num(o, "total_time", "0.7");
	assert_false(json_object_object_get_ex(o, "raw_name", NULL));
	assert_int_equal(json_object_get_int64(get(get(root, "summary"), "total_operations")), 4);
	json_object_put(root);
	stats_free(st);
}

static void write_failure_returns_eio(void **state)
{
	struct report_input in = input(*state);
	FILE *f = fopen("/dev/full", "w");

	assert_non_null(f);
	add(*state, "extract", 100 * MS, 0);
	assert_int_equal(report_prepare(&in), 0);
	assert_int_equal(report_write_json(&in, false, f), -EIO);
	report_release(&in);
	fclose(f);
}

static void null_arguments_are_rejected(void **state)
{
	struct report_input in = input(*state);

	assert_int_equal(report_write_json(NULL, false, stdout), -EINVAL);
	assert_int_equal(report_write_json(&in, false, NULL), -EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(seed_keys_come_first_in_seed_order_then_extras),
		T(three_samples_give_the_seed_values),
		T(summary_spans_every_operation),
		T(times_and_memory_are_exact_never_rounded),
		T(sub_microsecond_operations_keep_their_digits_and_totals_add_up),
		T(negative_memory_deltas_stay_negative_even_tiny_ones),
		T(peak_and_depth_are_reported),
		T(operation_with_only_unfinished_samples_has_count_zero_and_zeros),
		T(resource_keys_appear_only_with_resource_samples),
		T(off_cpu_time_is_clamped_at_zero),
		T(record_keys_appear_only_with_record_samples),
		T(pids_and_every_counter_are_listed),
		T(recommendations_are_the_seed_texts_in_order),
		T(hostile_valid_utf8_names_round_trip_as_keys),
		T(invalid_utf8_names_become_fffd_keys_with_a_lossless_raw_name),
		T(names_converting_to_the_same_key_are_both_kept),
		T(recommendation_with_a_hostile_name_is_valid_json),
		T(empty_report_has_zeros_and_empty_collections),
		T(percentiles_are_nearest_rank_within_1_percent),
		T(histogram_buckets_are_ascending_non_empty_and_sum_to_count),
		T(suggestions_list_each_seed_text_once_with_details_per_operation),
		T(a_comparison_adds_regressions_and_comparison),
		T(the_streamed_report_is_what_json_c_prints_for_its_tree),
		T(perf_ops_are_what_a_comparison_reads_back_from_the_report),
		T(operations_over_the_cap_are_one_operation),
		T(write_failure_returns_eio),
		T(null_arguments_are_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
