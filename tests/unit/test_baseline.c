// SPDX-License-Identifier: MIT
/*
 * test_baseline.c - baselines and regressions (user/baseline.c,
 * user/report_compare.c): reading saved reports, malformed and hostile
 * ones, the regression rule, one-sided operations, and the text section.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "report/comparison.h"
#include "report/report.h"

/* Parses text (strictly, like a file) into perf_ops; returns 0 or -1 with
 * the error in err. */
static int parse(const char *text, struct perf_ops *ops, char *err, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *doc;
	int rc;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	doc = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
	assert_non_null(doc);
	json_tokener_free(tok);
	rc = perf_ops_from_json(doc, ops, err, len);
	json_object_put(doc);
	return rc;
}

static void expect_parse_error(const char *text, const char *needle)
{
	struct perf_ops ops;
	char err[512] = "";

	assert_int_equal(parse(text, &ops, err, sizeof(err)), -1);
	assert_null(ops.v);
	if (!strstr(err, needle))
		fail_msg("error '%s' lacks '%s'", err, needle);
	for (const char *p = err; *p; p++)
		assert_true((unsigned char)*p >= 0x20);
}

static void a_report_gives_its_operations_in_order(void **state)
{
	struct perf_ops ops;
	char err[256];

	(void)state;
	assert_int_equal(parse("{\"summary\": {}, \"operations\": {"
			       "\"load\": {\"count\": 3, \"avg_time\": 0.5, \"extra\": [1]},"
			       "\"extract\": {\"count\": 0, \"avg_time\": 0},"
			       "\"caf\xc3\xa9 \\\"x\\\"\": {\"count\": 7, \"avg_time\": 12}}}",
			       &ops, err, sizeof(err)), 0);
	assert_int_equal(ops.n, 3);
	assert_string_equal(ops.v[0].name, "load");
	assert_true(ops.v[0].avg_time == 0.5);
	assert_int_equal(ops.v[0].count, 3);
	assert_string_equal(ops.v[1].name, "extract");
	assert_string_equal(ops.v[2].name, "caf\xc3\xa9 \"x\"");
	assert_true(ops.v[2].avg_time == 12.0);
	perf_ops_free(&ops);
	assert_int_equal(parse("{\"operations\": {}}", &ops, err, sizeof(err)), 0);
	assert_int_equal(ops.n, 0);
	perf_ops_free(&ops);
}

static void wrong_shapes_are_errors(void **state)
{
	(void)state;
	expect_parse_error("[]", "expected a JSON object");
	expect_parse_error("{\"summary\": {}}", "operations: missing");
	expect_parse_error("{\"operations\": [1]}", "operations: expected an object");
	expect_parse_error("{\"operations\": {\"load\": 3}}",
			   "operations.\"load\": expected an object, got 3");
	expect_parse_error("{\"operations\": {\"load\": {\"count\": 1}}}",
			   "operations.\"load\".avg_time: missing");
	expect_parse_error("{\"operations\": {\"load\": {\"avg_time\": 1}}}",
			   "operations.\"load\".count: missing");
}

static void wrong_types_are_errors_naming_the_key(void **state)
{
	(void)state;
	expect_parse_error("{\"operations\": {\"load\": {\"count\": 1, \"avg_time\": \"0.5\"}}}",
			   "operations.\"load\".avg_time: expected a number of seconds in [0, 2e10], "
			   "got \"0.5\"");
	expect_parse_error("{\"operations\": {\"load\": {\"count\": 1, \"avg_time\": null}}}",
			   ".avg_time: expected a number");
	expect_parse_error("{\"operations\": {\"load\": {\"count\": true, \"avg_time\": 1}}}",
			   ".count: expected a whole number in [0, 2^53], got true");
	expect_parse_error("{\"operations\": {\"load\": {\"count\": 1.5, \"avg_time\": 1}}}",
			   ".count: expected a whole number");
}

static void every_avg_time_a_report_can_hold_reads_back(void **state)
{
	struct stats *st = stats_new(1);
	struct report_input in = { .stats = st };
	struct op_sample s = { .duration_ns = UINT64_MAX };
	struct perf_ops written, read;
	char *text = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(st);
	assert_int_equal(stats_add(st, "longest", &s), 0);
	assert_int_equal(report_prepare(&in), 0);
	assert_int_equal(report_write_json(&in, false, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(report_perf_ops(&in, &written), 0);
	assert_int_equal(parse(text, &read, err, sizeof(err)), 0);
	assert_true(read.v[0].avg_time == written.v[0].avg_time);
	assert_true(read.v[0].avg_time > 1.8e10);
	perf_ops_free(&written);
	perf_ops_free(&read);
	report_release(&in);
	stats_free(st);
	free(text);
}

static void huge_negative_and_non_finite_numbers_are_errors(void **state)
{
	(void)state;
	expect_parse_error("{\"operations\": {\"a\": {\"count\": 1, \"avg_time\": 2.00001e10}}}",
			   "\"a\".avg_time: expected a number of seconds in [0, 2e10]");
	expect_parse_error("{\"operations\": {\"a\": {\"count\": 1, \"avg_time\": -0.001}}}",
			   "\"a\".avg_time: expected a number");
	expect_parse_error("{\"operations\": {\"a\": {\"count\": 1, \"avg_time\": 1e300}}}",
			   "got 1e300");
	expect_parse_error("{\"operations\": {\"a\": {\"count\": 1, \"avg_time\": 1e999}}}",
			   "\"a\".avg_time: expected a number");
	expect_parse_error("{\"operations\": {\"a\": {\"count\": 1, \"avg_time\": NaN}}}",
			   "\"a\".avg_time: expected a number");
	expect_parse_error("{\"operations\": {\"a\": {\"count\": 1, \"avg_time\": Infinity}}}",
			   "\"a\".avg_time: expected a number");
	expect_parse_error("{\"operations\": {\"a\": {\"count\": 99999999999999999999999, "
			   "\"avg_time\": 1}}}", "\"a\".count: expected a whole number");
	expect_parse_error("{\"operations\": {\"a\": {\"count\": -1, \"avg_time\": 1}}}",
			   "\"a\".count: expected a whole number");
}

static void hostile_names_are_escaped_and_cut_in_errors(void **state)
{
	char doc[600], name[300];

	(void)state;
	expect_parse_error("{\"operations\": {\"q\\\"uote\\\\back\\nline\\u001b[31m\\u0007\": "
			   "{\"count\": \"x\", \"avg_time\": 1}}}",
			   "operations.\"q\"uote\\\\back\\x0aline\\x1b[31m\\x07\".count");
	memset(name, 'n', 299);
	name[299] = '\0';
	snprintf(doc, sizeof(doc), "{\"operations\": {\"%s\": {\"count\": 1}}}", name);
	expect_parse_error(doc, "nnn...\".avg_time: missing"); /* cut at 64 columns */
}

/* Writes text to a temporary file; returns its malloc'd path. */
static char *temp_file(const char *text, size_t len)
{
	char *path = strdup("/tmp/etltrace-baseline-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static void expect_load_error(const char *text, size_t len, const char *needle)
{
	char *path = temp_file(text, len), err[640] = "";
	struct perf_ops ops;

	assert_int_equal(perf_ops_load("baseline", path, &ops, err, sizeof(err)), -1);
	if (strncmp(err, "baseline /tmp/etltrace-baseline-", 32) || !strstr(err, needle))
		fail_msg("error '%s' lacks the label, path or '%s'", err, needle);
	unlink(path);
	free(path);
}

static void malformed_files_are_errors_with_the_file_named(void **state)
{
	static const char good[] = "{\"operations\": {\"load\": {\"count\": 1, \"avg_time\": 1}}}";

	(void)state;
	/* Truncated at every length short of the whole document. */
	for (size_t len = 0; len < sizeof(good) - 1; len++)
		expect_load_error(good, len, "not valid JSON");
	expect_load_error("{\"operations\": {\"\xc3\x28\": {}}}", 26, "not valid JSON: invalid utf-8");
	/* Bytes json-c 0.16 takes: an overlong '/', a surrogate, U+110000. */
	expect_load_error("{\"operations\": {\"\xc0\xaf\": {}}}", 26,
			  "not valid JSON: invalid utf-8 string at byte 17");
	expect_load_error("{\"operations\": {\"a\xed\xa0\x80\": {}}}", 28,
			  "not valid JSON: invalid utf-8 string at byte 18");
	expect_load_error("{\"operations\": {\"x\": {}, \"\xf4\x90\x80\x80\": {}}}", 37,
			  "not valid JSON: invalid utf-8 string at byte 26");
	expect_load_error("{\"operations\": {}} {}", 21, "not valid JSON");
	expect_load_error("\x00{}", 3, "not valid JSON");
	expect_load_error("{\"operations\": {\"a\": {\"count\": 1, \"avg_time\": \"slow\"}}}", 55,
			  "operations.\"a\".avg_time");
}

/* json-c keeps a key as a C string: "load\u0000x" would become "load" and
 * replace the real load (a false regression); of two equal keys it keeps
 * the last. Both are refused, naming the key. */
static void keys_with_a_nul_are_refused_naming_the_key(void **state)
{
#define OP(avg) "{\"count\": 1, \"avg_time\": " #avg "}"
	static const struct {
		const char *doc, *needle;
	} bad[] = {
		{ "{\"operations\": {\"load\": " OP(1) ", \"load\\u0000x\": " OP(9) "}}",
		  ": operations.\"load\\u0000x\": a key may not hold a NUL character (\\u0000)" },
		{ "{\"operations\": {\"load\\u0000\": " OP(9) ", \"load\": " OP(1) "}}",
		  ": operations.\"load\\u0000\": a key may not" },
		{ "{\"operations\": {\"load\": {\"count\": 1, \"avg_time\": 1, "
		  "\"avg_time\\u0000\": 9}}}", ": operations.load.\"avg_time\\u0000\": a key may not" },
		{ "{\"operations\\u0000\": {}, \"operations\": {}}", ": \"operations\\u0000\": a key" },
		{ "{\"operations\": {\"\\u0000\": " OP(1) "}}", ": operations.\"\\u0000\": a key" },
		/* Escaped for the terminal around the NUL, and inside arrays. */
		{ "{\"x\": [1, {\"a\\u001b[2J\\u0000\": 1}], \"operations\": {}}",
		  ": x[1].\"a\\x1b[2J\\u0000\": a key" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_load_error(bad[i].doc, strlen(bad[i].doc), bad[i].needle);
}

static void a_key_given_twice_in_one_object_is_refused(void **state)
{
	static const struct {
		const char *doc, *needle;
	} bad[] = {
		{ "{\"operations\": {\"load\": " OP(1) ", \"x\": " OP(1) ", \"load\": " OP(9) "}}",
		  ": operations.load: the key is given twice in one object" },
		/* Equal once unescaped, as json-c compares them. */
		{ "{\"operations\": {\"a\": " OP(1) ", \"\\u0061\": " OP(9) "}}",
		  ": operations.a: the key is given twice" },
		{ "{\"operations\": {\"caf\\u00e9\": " OP(1) ", \"caf\xc3\xa9\": " OP(9) "}}",
		  ": operations.\"caf\xc3\xa9\": the key is given twice" },
		{ "{\"operations\": {\"\\ud83d\\ude00\": " OP(1) ", \"\xf0\x9f\x98\x80\": " OP(9) "}}",
		  ": operations.\"\xf0\x9f\x98\x80\": the key is given twice" },
		/* Lone surrogates are all U+FFFD to json-c. */
		{ "{\"operations\": {\"a\\ud800\": " OP(1) ", \"a\\udc00\": " OP(9) "}}",
		  ": operations.\"a\xef\xbf\xbd\": the key is given twice" },
		{ "{\"operations\": {\"load\": {\"count\": 1, \"avg_time\": 1, \"count\": 2}}}",
		  ": operations.load.count: the key is given twice" },
		{ "{\"operations\": {}, \"operations\": {\"a\": " OP(1) "}}",
		  ": operations: the key is given twice" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_load_error(bad[i].doc, strlen(bad[i].doc), bad[i].needle);
}

/* What looks like a key but is not one: equal keys in different objects,
 * NULs and braces inside values, quotes and colons inside keys. */
static void keys_are_only_checked_where_they_are_keys(void **state)
{
	static const char doc[] =
		"{\"summary\": {\"count\": 1, \"note\": \"a\\u0000b\", \"s\": \"}{\\\"[:\"},"
		" \"operations\": {\"a\\\":{\": " OP(1) ", \"a\\\\\": " OP(2) ", \"b\": "
		"{\"count\": 3, \"avg_time\": 3, \"histogram\": [{\"le\": 1, \"count\": 1}, "
		"{\"le\": 2, \"count\": 2}]}, \"\\ud83d\\ude00\": " OP(4) ", \"\\ud83d\\ude01\": "
		OP(5) "}, \"pids\": [\"count\", \"count\"]}";
	char *path = temp_file(doc, sizeof(doc) - 1), err[640] = "";
	struct perf_ops ops;

	(void)state;
	if (perf_ops_load("baseline", path, &ops, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(ops.n, 5);
	assert_string_equal(ops.v[0].name, "a\":{");
	assert_string_equal(ops.v[1].name, "a\\");
	assert_int_equal(ops.v[2].count, 3);
	assert_string_equal(ops.v[3].name, "\xf0\x9f\x98\x80");
	assert_string_equal(ops.v[4].name, "\xf0\x9f\x98\x81");
	perf_ops_free(&ops);
	unlink(path);
	free(path);
#undef OP
}

static void a_missing_file_is_an_error(void **state)
{
	struct perf_ops ops;
	char err[640];

	(void)state;
	assert_int_equal(perf_ops_load("baseline", "/nonexistent/b.json", &ops, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "baseline /nonexistent/b.json: cannot read it: "
				 "No such file or directory");
}

static void a_whole_file_loads(void **state)
{
	static const char good[] = "{\"operations\": {\"load\": {\"count\": 1, \"avg_time\": 1}}}";
	char *path = temp_file(good, sizeof(good) - 1), err[640];
	struct perf_ops ops;

	(void)state;
	assert_int_equal(perf_ops_load("baseline", path, &ops, err, sizeof(err)), 0);
	assert_int_equal(ops.n, 1);
	perf_ops_free(&ops);
	unlink(path);
	free(path);
}

static struct perf_ops make_ops(struct perf_op *v, size_t n)
{
	return (struct perf_ops){ v, n };
}

static void regression_is_strictly_above_factor_times_baseline(void **state)
{
	struct perf_op b[] = { { "at", 1.0, 1 }, { "above", 1.0, 1 }, { "faster", 1.0, 1 } };
	struct perf_op c[] = { { "at", 1.5, 1 }, { "above", 1.5000001, 1 }, { "faster", 0.5, 1 } };
	struct perf_ops base = make_ops(b, 3), cur = make_ops(c, 3);
	struct comparison cmp;

	(void)state;
	assert_int_equal(comparison_build(&base, &cur, 1.5, &cmp), 0);
	assert_int_equal(cmp.nrows, 3);
	assert_int_equal(cmp.nregressions, 1);
	assert_false(cmp.rows[0].regression);
	assert_true(cmp.rows[1].regression);
	assert_true(cmp.rows[1].has_ratio);
	assert_float_equal(cmp.rows[1].ratio, 1.5000001, 1e-12);
	assert_false(cmp.rows[2].regression);
	assert_float_equal(cmp.rows[2].ratio, 0.5, 1e-12);
	comparison_free(&cmp);
	/* A larger factor tolerates more. */
	assert_int_equal(comparison_build(&base, &cur, 2.0, &cmp), 0);
	assert_int_equal(cmp.nregressions, 0);
	comparison_free(&cmp);
}

static void operations_on_one_side_are_listed_not_errors(void **state)
{
	struct perf_op b[] = { { "gone", 1, 1 }, { "both", 1, 1 }, { "also_gone", 1, 1 } };
	struct perf_op c[] = { { "new", 1, 1 }, { "both", 1, 1 } };
	struct perf_ops base = make_ops(b, 3), cur = make_ops(c, 2);
	struct comparison cmp;

	(void)state;
	assert_int_equal(comparison_build(&base, &cur, 1.5, &cmp), 0);
	assert_int_equal(cmp.nrows, 1);
	assert_string_equal(cmp.rows[0].name, "both");
	assert_int_equal(cmp.nonly_baseline, 2);
	assert_string_equal(cmp.only_baseline[0], "gone");
	assert_string_equal(cmp.only_baseline[1], "also_gone");
	assert_int_equal(cmp.nonly_current, 1);
	assert_string_equal(cmp.only_current[0], "new");
	comparison_free(&cmp);
}

static void zero_baselines_and_unfinished_only_operations_do_not_regress(void **state)
{
	struct perf_op b[] = { { "instant", 0.0, 5 }, { "open", 1.0, 0 }, { "now_open", 1.0, 2 } };
	struct perf_op c[] = { { "instant", 0.5, 5 }, { "open", 9.0, 3 }, { "now_open", 0.0, 0 } };
	struct perf_ops base = make_ops(b, 3), cur = make_ops(c, 3);
	struct comparison cmp;

	(void)state;
	assert_int_equal(comparison_build(&base, &cur, 1.5, &cmp), 0);
	assert_int_equal(cmp.nregressions, 0);
	assert_false(cmp.rows[0].has_ratio);
	assert_true(cmp.rows[1].has_ratio);
	comparison_free(&cmp);
}

static void a_ratio_that_overflows_is_a_regression_without_a_ratio(void **state)
{
	struct perf_op b[] = { { "tiny", 1e-320, 1 } };
	struct perf_op c[] = { { "tiny", 1.0, 1 } };
	struct perf_ops base = make_ops(b, 1), cur = make_ops(c, 1);
	struct json_object *root = json_object_new_object(), *regs, *row, *ratio;
	struct comparison cmp;

	(void)state;
	assert_int_equal(comparison_build(&base, &cur, 1.5, &cmp), 0);
	assert_true(cmp.rows[0].regression);
	assert_false(cmp.rows[0].has_ratio);
	/* null in JSON (which has no infinity), never a ratio of 0.0 */
	assert_int_equal(comparison_add_json(&cmp, root), 0);
	assert_true(json_object_object_get_ex(root, "regressions", &regs));
	row = json_object_array_get_idx(regs, 0);
	assert_true(json_object_object_get_ex(row, "ratio", &ratio));
	assert_null(ratio);
	json_object_put(root);
	comparison_free(&cmp);
}

static void empty_sides_compare(void **state)
{
	struct perf_op c[] = { { "new", 1, 1 } };
	struct perf_ops none = { NULL, 0 }, cur = make_ops(c, 1);
	struct comparison cmp;

	(void)state;
	assert_int_equal(comparison_build(&none, &cur, 1.5, &cmp), 0);
	assert_int_equal(cmp.nrows, 0);
	assert_int_equal(cmp.nonly_current, 1);
	comparison_free(&cmp);
	assert_int_equal(comparison_build(&none, &none, 1.5, &cmp), 0);
	assert_int_equal(cmp.nrows + cmp.nonly_current + cmp.nonly_baseline, 0);
	comparison_free(&cmp);
}

static char *render(const struct comparison *cmp)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(comparison_write_text(cmp, f), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void the_text_section_lists_rows_one_sided_names_and_the_count(void **state)
{
	struct perf_op b[] = { { "sleep_op", 0.010093, 5 }, { "old", 1, 1 }, { "zero", 0, 1 } };
	struct perf_op c[] = { { "sleep_op", 0.030104, 5 }, { "zero", 1, 1 }, { "new", 1, 1 } };
	struct perf_ops base = make_ops(b, 3), cur = make_ops(c, 3);
	struct comparison cmp;
	char *text;

	(void)state;
	assert_int_equal(comparison_build(&base, &cur, 1.5, &cmp), 0);
	text = render(&cmp);
	assert_string_equal(text,
		"Comparison with the baseline (regression: avg_time > 1.5 x baseline):\n"
		"OPERATION  BASELINE AVG(s)  CURRENT AVG(s)  RATIO  STATUS\n"
		"sleep_op          0.010093        0.030104  2.983  REGRESSION\n"
		"zero              0.000000        1.000000      -  ok\n"
		"Only in the baseline: old\n"
		"Only in this run: new\n"
		"Regressions: 1\n");
	free(text);
	comparison_free(&cmp);
}

static void hostile_names_are_escaped_in_the_text_section(void **state)
{
	struct perf_op b[] = { { "a\x1b[2J\n", 1, 1 }, { "gone\x07", 1, 1 } };
	struct perf_op c[] = { { "a\x1b[2J\n", 2, 1 } };
	struct perf_ops base = make_ops(b, 2), cur = make_ops(c, 1);
	struct comparison cmp;
	char *text;

	(void)state;
	assert_int_equal(comparison_build(&base, &cur, 1.5, &cmp), 0);
	text = render(&cmp);
	assert_non_null(strstr(text, "\na\\x1b[2J\\x0a         1.000000"));
	assert_non_null(strstr(text, "Only in the baseline: gone\\x07\n"));
	assert_null(strchr(text, '\x1b'));
	free(text);
	comparison_free(&cmp);
}

static void a_failed_write_is_eio(void **state)
{
	struct comparison cmp = { .factor = 1.5 };
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	assert_int_equal(comparison_write_text(&cmp, f), -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_report_gives_its_operations_in_order),
		cmocka_unit_test(wrong_shapes_are_errors),
		cmocka_unit_test(wrong_types_are_errors_naming_the_key),
		cmocka_unit_test(every_avg_time_a_report_can_hold_reads_back),
		cmocka_unit_test(huge_negative_and_non_finite_numbers_are_errors),
		cmocka_unit_test(hostile_names_are_escaped_and_cut_in_errors),
		cmocka_unit_test(malformed_files_are_errors_with_the_file_named),
		cmocka_unit_test(keys_with_a_nul_are_refused_naming_the_key),
		cmocka_unit_test(a_key_given_twice_in_one_object_is_refused),
		cmocka_unit_test(keys_are_only_checked_where_they_are_keys),
		cmocka_unit_test(a_missing_file_is_an_error),
		cmocka_unit_test(a_whole_file_loads),
		cmocka_unit_test(regression_is_strictly_above_factor_times_baseline),
		cmocka_unit_test(operations_on_one_side_are_listed_not_errors),
		cmocka_unit_test(zero_baselines_and_unfinished_only_operations_do_not_regress),
		cmocka_unit_test(a_ratio_that_overflows_is_a_regression_without_a_ratio),
		cmocka_unit_test(empty_sides_compare),
		cmocka_unit_test(the_text_section_lists_rows_one_sided_names_and_the_count),
		cmocka_unit_test(hostile_names_are_escaped_in_the_text_section),
		cmocka_unit_test(a_failed_write_is_eio),
	};

	return cmocka_run_group_tests_name("baseline", tests, NULL, NULL);
}
