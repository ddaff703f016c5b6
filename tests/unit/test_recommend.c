// SPDX-License-Identifier: MIT
/*
 * test_recommend.c - the seed profiler's recommendations (report/rules.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "helpers.h"
#include "report/report.h"

/* The recommendation texts for st with th (malloc'd), in report order. */
static int recommend(const struct stats *st, struct thresholds th, char ***texts)
{
	struct finding *f = NULL;
	int n = findings_of(st, &th, RULE_RECOMMENDATION, &f);

	*texts = NULL;
	if (n) {
		*texts = calloc((size_t)n, sizeof(**texts));
		assert_non_null(*texts);
	}
	for (int i = 0; i < n; i++) {
		(*texts)[i] = f[i].text;
		f[i].text = NULL;
	}
	findings_free(f, (size_t)n);
	return n;
}

static void texts_free(char **texts, int n)
{
	for (int i = 0; texts && i < n; i++)
		free(texts[i]);
	free(texts);
}

static void add(struct stats *st, const char *name, uint64_t ns, int64_t mem)
{
	add_sample(st, name, ns, mem);
}

/* Builds with the seed's default thresholds (2.0 s, 100.0 MB). */
static int build(struct stats *st, char ***recs)
{
	return recommend(st, (struct thresholds){ .slow_seconds = 2.0, .memory_mb = 100.0 }, recs);
}

static void nothing_is_recommended_below_the_thresholds(void **state)
{
	struct stats *st = *state;
	char **recs = (char **)1;

	add(st, "extract", 1900 * MS, 99 * MIB);
	assert_int_equal(build(st, &recs), 0);
	assert_null(recs);
	texts_free(recs, 0);
}

static void an_empty_table_gives_no_recommendations(void **state)
{
	char **recs = (char **)1;

	assert_int_equal(build(*state, &recs), 0);
	assert_null(recs);
}

static void a_slow_operation_gets_the_seed_text(void **state)
{
	struct stats *st = *state;
	char **recs = NULL;

	/* avg (2.0 + 3.0) / 2 = 2.5 s */
	add(st, "customer_transformation", 2000 * MS, 0);
	add(st, "customer_transformation", 3000 * MS, 0);
	assert_int_equal(build(st, &recs), 1);
	assert_string_equal(recs[0], "Operation 'customer_transformation' is slow (avg: 2.5s). "
				     "Consider optimization.");
	texts_free(recs, 1);
}

static void a_memory_hungry_operation_gets_the_seed_text(void **state)
{
	struct stats *st = *state;
	struct report_input in = { .stats = st, .th = { .slow_seconds = 2.0, .memory_mb = 40.0 } };
	char **recs = NULL;

	/* 47395635 B = 45.19999... MiB, the seed's "45.2MB"; the max, not the mean, counts. */
	add(st, "data_validation", 100 * MS, 47395635);
	add(st, "data_validation", 100 * MS, 1 * MIB);
	assert_int_equal(recommend(in.stats, in.th, &recs), 1);
	assert_string_equal(recs[0], "Operation 'data_validation' uses high memory (max: 45.2MB). "
				     "Consider batch processing.");
	texts_free(recs, 1);
}

static void thresholds_are_strict_greater_than(void **state)
{
	struct stats *st = *state;
	char **recs = (char **)1;

	add(st, "edge", 2000 * MS, 100 * MIB); /* exactly 2.0 s and 100.0 MB */
	assert_int_equal(build(st, &recs), 0);
	assert_null(recs);
	add(st, "over", 2000 * MS + 1, 100 * MIB + 1);
	assert_int_equal(build(st, &recs), 2);
	assert_string_equal(recs[0], "Operation 'over' is slow (avg: 2.0s). Consider optimization.");
	assert_string_equal(recs[1], "Operation 'over' uses high memory (max: 100.0MB). "
				     "Consider batch processing.");
	texts_free(recs, 2);
}

static void thresholds_come_from_the_input(void **state)
{
	struct stats *st = *state;
	struct report_input in = { .stats = st, .th = { .slow_seconds = 0.4, .memory_mb = 0.5 } };
	char **recs = NULL;

	add(st, "t", 460 * MS, 0);
	add(st, "t", 460 * MS, 1 * MIB);
	assert_int_equal(recommend(in.stats, in.th, &recs), 2);
	assert_string_equal(recs[0], "Operation 't' is slow (avg: 0.5s). Consider optimization.");
	assert_string_equal(recs[1], "Operation 't' uses high memory (max: 1.0MB). "
				     "Consider batch processing.");
	texts_free(recs, 2);
}

static void order_is_by_total_time_with_slow_before_memory(void **state)
{
	struct stats *st = *state;
	char **recs = NULL;

	add(st, "mem_only", 100 * MS, 200 * MIB);       /* total 0.1 s */
	add(st, "both", 2500 * MS, 150 * MIB);          /* total 7.5 s */
	add(st, "both", 2500 * MS, 0);
	add(st, "both", 2500 * MS, 0);
	add(st, "slow_only", 4000 * MS, 0);             /* total 4.0 s */
	add(st, "fine", 5 * MS, 0);
	assert_int_equal(build(st, &recs), 4);
	assert_string_equal(recs[0], "Operation 'both' is slow (avg: 2.5s). Consider optimization.");
	assert_string_equal(recs[1], "Operation 'both' uses high memory (max: 150.0MB). "
				     "Consider batch processing.");
	assert_string_equal(recs[2], "Operation 'slow_only' is slow (avg: 4.0s). "
				     "Consider optimization.");
	assert_string_equal(recs[3], "Operation 'mem_only' uses high memory (max: 200.0MB). "
				     "Consider batch processing.");
	texts_free(recs, 4);
}

static void operations_with_only_unfinished_samples_get_none(void **state)
{
	struct stats *st = *state;
	struct op_sample open = { .duration_ns = 9000 * MS, .mem_delta = 900 * MIB,
				  .unfinished = true };
	char **recs = (char **)1;

	assert_int_equal(stats_add(st, "open", &open), 0);
	assert_int_equal(build(st, &recs), 0);
	assert_null(recs);
}

static void names_are_kept_raw_for_formatters_to_escape(void **state)
{
	struct stats *st = *state;
	char **recs = NULL;

	add(st, "it's\n\x1b[1m\xff", 3000 * MS, 0);
	assert_int_equal(build(st, &recs), 1);
	assert_string_equal(recs[0], "Operation 'it's\n\x1b[1m\xff' is slow (avg: 3.0s). "
				     "Consider optimization.");
	texts_free(recs, 1);
}

static void null_arguments_are_rejected(void **state)
{
	struct thresholds th = { 0 };
	const struct op_stats *op = NULL;
	struct finding *f;

	(void)state;
	assert_int_equal(rules_apply(NULL, 1, &th, &f), -EINVAL);
	assert_int_equal(rules_apply(&op, 0, NULL, &f), -EINVAL);
	assert_int_equal(rules_apply(&op, 0, &th, NULL), -EINVAL);
	findings_free(NULL, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, stats_setup, stats_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(nothing_is_recommended_below_the_thresholds),
		T(an_empty_table_gives_no_recommendations),
		T(a_slow_operation_gets_the_seed_text),
		T(a_memory_hungry_operation_gets_the_seed_text),
		T(thresholds_are_strict_greater_than),
		T(thresholds_come_from_the_input),
		T(order_is_by_total_time_with_slow_before_memory),
		T(operations_with_only_unfinished_samples_get_none),
		T(names_are_kept_raw_for_formatters_to_escape),
		T(null_arguments_are_rejected),
	};

	return cmocka_run_group_tests_name("recommend", tests, NULL, NULL);
}
