// SPDX-License-Identifier: MIT
/*
 * test_recommend.c - the seed profiler's recommendations (user/recommend.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "report/report.h"

#define MS 1000000ull
#define MIB (1024ll * 1024)

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

static void add(struct stats *st, const char *name, uint64_t ns, int64_t mem)
{
	struct op_sample s = { .duration_ns = ns, .mem_delta = mem, .mem_peak_delta = mem };

	assert_int_equal(stats_add(st, name, &s), 0);
}

/* Builds with the seed's default thresholds (2.0 s, 100.0 MB). */
static int build(struct stats *st, char ***recs)
{
	struct report_input in = { .stats = st, .th = { .slow_seconds = 2.0, .memory_mb = 100.0 } };

	return recommendations_build(&in, recs);
}

static void nothing_is_recommended_below_the_thresholds(void **state)
{
	struct stats *st = *state;
	char **recs = (char **)1;

	add(st, "extract", 1900 * MS, 99 * MIB);
	assert_int_equal(build(st, &recs), 0);
	assert_null(recs);
	recommendations_free(recs, 0);
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
	recommendations_free(recs, 1);
}

static void a_memory_hungry_operation_gets_the_seed_text(void **state)
{
	struct stats *st = *state;
	struct report_input in = { .stats = st, .th = { .slow_seconds = 2.0, .memory_mb = 40.0 } };
	char **recs = NULL;

	/* 47395635 B = 45.19999... MiB, the seed's "45.2MB"; the max, not the mean, counts. */
	add(st, "data_validation", 100 * MS, 47395635);
	add(st, "data_validation", 100 * MS, 1 * MIB);
	assert_int_equal(recommendations_build(&in, &recs), 1);
	assert_string_equal(recs[0], "Operation 'data_validation' uses high memory (max: 45.2MB). "
				     "Consider batch processing.");
	recommendations_free(recs, 1);
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
	recommendations_free(recs, 2);
}

static void thresholds_come_from_the_input(void **state)
{
	struct stats *st = *state;
	struct report_input in = { .stats = st, .th = { .slow_seconds = 0.4, .memory_mb = 0.5 } };
	char **recs = NULL;

	add(st, "t", 460 * MS, 0);
	add(st, "t", 460 * MS, 1 * MIB);
	assert_int_equal(recommendations_build(&in, &recs), 2);
	assert_string_equal(recs[0], "Operation 't' is slow (avg: 0.5s). Consider optimization.");
	assert_string_equal(recs[1], "Operation 't' uses high memory (max: 1.0MB). "
				     "Consider batch processing.");
	recommendations_free(recs, 2);
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
	recommendations_free(recs, 4);
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
	recommendations_free(recs, 1);
}

static void null_arguments_are_rejected(void **state)
{
	struct report_input in = { .stats = *state };
	char **recs;

	assert_int_equal(recommendations_build(NULL, &recs), -EINVAL);
	assert_int_equal(recommendations_build(&in, NULL), -EINVAL);
	recommendations_free(NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(nothing_is_recommended_below_the_thresholds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(an_empty_table_gives_no_recommendations, setup, teardown),
		cmocka_unit_test_setup_teardown(a_slow_operation_gets_the_seed_text, setup, teardown),
		cmocka_unit_test_setup_teardown(a_memory_hungry_operation_gets_the_seed_text, setup,
						teardown),
		cmocka_unit_test_setup_teardown(thresholds_are_strict_greater_than, setup, teardown),
		cmocka_unit_test_setup_teardown(thresholds_come_from_the_input, setup, teardown),
		cmocka_unit_test_setup_teardown(order_is_by_total_time_with_slow_before_memory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(operations_with_only_unfinished_samples_get_none, setup,
						teardown),
		cmocka_unit_test_setup_teardown(names_are_kept_raw_for_formatters_to_escape, setup,
						teardown),
		cmocka_unit_test_setup_teardown(null_arguments_are_rejected, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
