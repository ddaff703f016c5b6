// SPDX-License-Identifier: MIT
/*
 * test_suggest.c - the seed's suggest_optimizations() rules (report/rules.c):
 * each rule just below and just above its threshold, thresholds from the
 * input, texts, evidence and order.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/config.h"
#include "helpers.h"
#include "report/report.h"

static struct thresholds defaults(void)
{
	struct settings set;

	settings_default(&set);
	return set.th;
}

static void add(struct stats *st, const char *name, const struct op_sample *s)
{
	assert_int_equal(stats_add(st, name, s), 0);
}

static void add_time(struct stats *st, const char *name, uint64_t ns)
{
	struct op_sample s = { .duration_ns = ns };

	add(st, name, &s);
}

/* Builds with th; returns the count and keeps the array in *out. */
static int build(struct stats *st, struct thresholds th, struct finding **out)
{
	return findings_of(st, &th, RULE_SUGGESTION, out);
}

/* Asserts exactly one suggestion, of `rule`, with `text`; frees it. */
static void expect_one(struct stats *st, struct thresholds th, enum rule_id rule,
		       const char *text, const char *evidence)
{
	struct finding *s = NULL;
	int n = build(st, th, &s);

	assert_int_equal(n, 1);
	assert_int_equal(s[0].rule, rule);
	assert_string_equal(s[0].text, text);
	if (evidence)
		assert_string_equal(s[0].evidence, evidence);
	findings_free(s, 1);
}

static void expect_none(struct stats *st, struct thresholds th)
{
	struct finding *s = (struct finding *)1;

	assert_int_equal(build(st, th, &s), 0);
	assert_null(s);
}

static void defaults_are_the_documented_ones(void **state)
{
	struct thresholds th = defaults();

	(void)state;
	assert_true(th.slow_seconds == 2.0 && th.memory_mb == 100.0);
	assert_true(th.batch_seconds == 2.0 && th.cleanup_mb == 50.0);
	assert_true(th.wait_fraction == 0.5 && th.transient_mb == 50.0);
	assert_true(th.peak_ratio == 2.0 && th.major_faults == 100.0);
}

static void batch_processing_needs_avg_time_above_its_threshold(void **state)
{
	struct stats *st = *state;

	add_time(st, "customer_transformation", 2000 * MS); /* exactly 2.0 s: not above */
	expect_none(st, defaults());
	add_time(st, "customer_transformation", 2000 * MS + 2); /* avg 2.000000001 s */
	expect_one(st, defaults(), RULE_BATCH_PROCESSING,
		   "Consider batch processing for customer_transformation",
		   "avg_time 2.00s > 2.00s");
}

static void batch_processing_threshold_comes_from_the_input(void **state)
{
	struct stats *st = *state;
	struct thresholds th = defaults();

	add_time(st, "t", 1100 * MS);
	expect_none(st, th);
	th.batch_seconds = 1.0; /* the seed's CustomETLProfiler */
	expect_one(st, th, RULE_BATCH_PROCESSING, "Consider batch processing for t",
		   "avg_time 1.10s > 1.00s");
}

static void memory_cleanup_needs_max_memory_delta_above_its_threshold(void **state)
{
	struct stats *st = *state;
	struct op_sample s = { .duration_ns = MS, .mem_delta = 50 * MIB, .mem_peak_delta = 50 * MIB };

	add(st, "data_loading", &s); /* exactly 50 MB */
	expect_none(st, defaults());
	s.mem_delta = s.mem_peak_delta = 50 * MIB + 1;
	add(st, "data_loading", &s);
	expect_one(st, defaults(), RULE_MEMORY_CLEANUP, "Implement memory cleanup for data_loading",
		   "max_memory_delta 50.0MB > 50.0MB");
}

static void memory_cleanup_threshold_comes_from_the_input(void **state)
{
	struct stats *st = *state;
	struct thresholds th = defaults();
	struct op_sample s = { .duration_ns = MS, .mem_delta = 30 * MIB, .mem_peak_delta = 30 * MIB };

	add(st, "m", &s);
	expect_none(st, th);
	th.cleanup_mb = 20;
	expect_one(st, th, RULE_MEMORY_CLEANUP, "Implement memory cleanup for m", NULL);
}

/* A slow operation (3 s, above the 2 s slow threshold) that is on CPU for
 * cpu_ms of it. Batch processing is switched off to isolate the rule. */
static struct thresholds parallel_only(void)
{
	struct thresholds th = defaults();

	th.batch_seconds = 1e9;
	return th;
}

static void parallel_needs_a_slow_operation_mostly_off_cpu(void **state)
{
	struct stats *st = *state;
	struct op_sample s = { .duration_ns = 3000 * MS, .cpu_ns = 1500 * MS,
			       .has_resources = true };

	add(st, "fetch", &s); /* exactly half off CPU: not above 0.5 */
	expect_none(st, parallel_only());
	s.cpu_ns = 1500 * MS - 3000; /* 0.500001 off CPU */
	add(st, "fetch", &s);
	expect_one(st, parallel_only(), RULE_PARALLEL,
		   "Enable parallel processing for large datasets",
		   "avg_time 3.00s > 2.00s, 50% of it off CPU > 50%");
}

static void parallel_needs_the_operation_to_be_slow(void **state)
{
	struct stats *st = *state;
	struct op_sample s = { .duration_ns = 2000 * MS, .cpu_ns = 0, .has_resources = true };
	struct thresholds th = parallel_only();

	add(st, "sleepy", &s); /* all off CPU, but exactly 2.0 s: not slow */
	expect_none(st, th);
	th.slow_seconds = 1.9;
	expect_one(st, th, RULE_PARALLEL, "Enable parallel processing for large datasets",
		   "avg_time 2.00s > 1.90s, 100% of it off CPU > 50%");
}

static void parallel_needs_resource_data(void **state)
{
	struct stats *st = *state;

	add_time(st, "no_resources", 5000 * MS); /* cpu_ns unknown: no evidence */
	expect_none(st, parallel_only());
}

static void parallel_wait_fraction_comes_from_the_input(void **state)
{
	struct stats *st = *state;
	struct op_sample s = { .duration_ns = 3000 * MS, .cpu_ns = 600 * MS, .has_resources = true };
	struct thresholds th = parallel_only();

	add(st, "w", &s); /* 80% off CPU */
	th.wait_fraction = 0.8;
	expect_none(st, th);
	th.wait_fraction = 0.79;
	expect_one(st, th, RULE_PARALLEL, "Enable parallel processing for large datasets", NULL);
}

static void batch_size_needs_a_peak_far_above_the_net_delta(void **state)
{
	struct stats *st = *state;
	/* The seed's example: +150 MB, +50 MB, -150 MB: net +50, peak +200. */
	struct op_sample s = { .duration_ns = MS, .mem_delta = 50 * MIB, .mem_peak_delta = 200 * MIB };
	struct thresholds th = defaults();

	th.cleanup_mb = 1e12; /* isolate the rule */
	add(st, "memory_intensive_task", &s);
	expect_one(st, th, RULE_BATCH_SIZE, "Reduce batch size to optimize memory usage",
		   "avg peak +200.0MB vs avg net +50.0MB");
}

static void batch_size_needs_the_transient_part_above_its_threshold(void **state)
{
	struct stats *st = *state;
	struct op_sample s = { .duration_ns = MS, .mem_delta = 0, .mem_peak_delta = 50 * MIB };
	struct thresholds th = defaults();

	add(st, "t", &s); /* peak - net exactly 50 MB: not above */
	expect_none(st, th);
	th.transient_mb = 49.9;
	expect_one(st, th, RULE_BATCH_SIZE, "Reduce batch size to optimize memory usage", NULL);
}

static void batch_size_needs_the_peak_above_ratio_times_net(void **state)
{
	struct stats *st = *state;
	/* peak 240 = 2 x net 120 exactly, transient 120 > 50: ratio not above */
	struct op_sample s = { .duration_ns = MS, .mem_delta = 120 * MIB, .mem_peak_delta = 240 * MIB };
	struct thresholds th = defaults();

	th.cleanup_mb = 1e12;
	add(st, "r", &s);
	expect_none(st, th);
	th.peak_ratio = 1.9;
	expect_one(st, th, RULE_BATCH_SIZE, "Reduce batch size to optimize memory usage",
		   "avg peak +240.0MB vs avg net +120.0MB");
}

static void batch_size_counts_a_negative_net_as_zero(void **state)
{
	struct stats *st = *state;
	struct op_sample s = { .duration_ns = MS, .mem_delta = -100 * MIB, .mem_peak_delta = 60 * MIB };

	add(st, "frees", &s);
	expect_one(st, defaults(), RULE_BATCH_SIZE, "Reduce batch size to optimize memory usage",
		   "avg peak +60.0MB vs avg net -100.0MB");
}

static void major_faults_need_more_per_operation_than_the_threshold(void **state)
{
	struct stats *st = *state;
	struct op_sample s = { .duration_ns = MS, .cpu_ns = MS, .maj_flt = 100,
			       .has_resources = true };

	add(st, "scan", &s);
	add(st, "scan", &s); /* 100 per operation: not above */
	expect_none(st, defaults());
	s.maj_flt = 102;
	add(st, "scan", &s); /* 302 / 3 */
	expect_one(st, defaults(), RULE_MAJOR_FAULTS, "Reduce major page faults for scan",
		   "101 major faults per operation > 100");
}

static void major_faults_threshold_comes_from_the_input(void **state)
{
	struct stats *st = *state;
	struct op_sample s = { .duration_ns = MS, .maj_flt = 10, .has_resources = true };
	struct thresholds th = defaults();

	add(st, "f", &s);
	expect_none(st, th);
	th.major_faults = 9;
	expect_one(st, th, RULE_MAJOR_FAULTS, "Reduce major page faults for f", NULL);
}

static void unfinished_operations_get_no_suggestion(void **state)
{
	struct stats *st = *state;
	struct op_sample s = { .duration_ns = 9000 * MS, .mem_delta = 900 * MIB,
			       .mem_peak_delta = 900 * MIB, .unfinished = true };

	add(st, "open", &s);
	expect_none(st, defaults());
}

static void rules_come_in_report_order_then_rule_order(void **state)
{
	struct stats *st = *state;
	struct op_sample big = { .duration_ns = 5000 * MS, .cpu_ns = 0, .mem_delta = 60 * MIB,
				 .mem_peak_delta = 300 * MIB, .maj_flt = 500,
				 .has_resources = true };
	struct finding *s = NULL;
	int n;

	add_time(st, "small", 2500 * MS);
	add(st, "big", &big);
	n = build(st, defaults(), &s);
	assert_int_equal(n, 6);
	assert_string_equal(s[0].text, "Consider batch processing for big");
	assert_string_equal(s[1].text, "Implement memory cleanup for big");
	assert_string_equal(s[2].text, "Enable parallel processing for large datasets");
	assert_string_equal(s[3].text, "Reduce batch size to optimize memory usage");
	assert_string_equal(s[4].text, "Reduce major page faults for big");
	assert_string_equal(s[5].text, "Consider batch processing for small");
	for (int i = 0; i < 5; i++)
		assert_string_equal(s[i].op->name, "big");
	assert_false(s[2].named);
	assert_true(s[0].named);
	assert_string_equal(s[2].rule_name, "parallel");
	findings_free(s, (size_t)n);
}

static void names_are_kept_raw_for_the_formatters(void **state)
{
	struct stats *st = *state;

	add_time(st, "a'\"\\\n\x1b[2J\xff", 3000 * MS);
	expect_one(st, defaults(), RULE_BATCH_PROCESSING,
		   "Consider batch processing for a'\"\\\n\x1b[2J\xff", NULL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, stats_setup, stats_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(defaults_are_the_documented_ones),
		T(batch_processing_needs_avg_time_above_its_threshold),
		T(batch_processing_threshold_comes_from_the_input),
		T(memory_cleanup_needs_max_memory_delta_above_its_threshold),
		T(memory_cleanup_threshold_comes_from_the_input),
		T(parallel_needs_a_slow_operation_mostly_off_cpu),
		T(parallel_needs_the_operation_to_be_slow),
		T(parallel_needs_resource_data),
		T(parallel_wait_fraction_comes_from_the_input),
		T(batch_size_needs_a_peak_far_above_the_net_delta),
		T(batch_size_needs_the_transient_part_above_its_threshold),
		T(batch_size_needs_the_peak_above_ratio_times_net),
		T(batch_size_counts_a_negative_net_as_zero),
		T(major_faults_need_more_per_operation_than_the_threshold),
		T(major_faults_threshold_comes_from_the_input),
		T(unfinished_operations_get_no_suggestion),
		T(rules_come_in_report_order_then_rule_order),
		T(names_are_kept_raw_for_the_formatters),
	};

	return cmocka_run_group_tests_name("suggest", tests, NULL, NULL);
}
