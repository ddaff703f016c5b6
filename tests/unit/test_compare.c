// SPDX-License-Identifier: MIT
/*
 * test_compare.c - `etltrace compare BASELINE CURRENT` (user/compare.c):
 * exit codes, text and JSON output, malformed reports.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "run/compare.h"
#include "cli/options.h"

struct fixture {
	char dir[64];
	char base[128], cur[128], out[128];
	struct options o;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/etltrace-compare-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->base, sizeof(f->base), "%s/base.json", f->dir);
	snprintf(f->cur, sizeof(f->cur), "%s/cur.json", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out", f->dir);
	settings_default(&f->o.set);
	f->o.mode = MODE_COMPARE;
	f->o.compare[0] = f->base;
	f->o.compare[1] = f->cur;
	f->o.report.output = f->out;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->base);
	unlink(f->cur);
	unlink(f->out);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void put_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static char *get_file(const char *path)
{
	static char buf[8192];
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	if (fp) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

#define REPORT(load, extract) \
	"{\"summary\": {\"total_time\": 1}, \"operations\": {" \
	"\"load\": {\"count\": 2, \"avg_time\": " load "}," \
	"\"extract\": {\"count\": 2, \"avg_time\": " extract "}}, \"recommendations\": []}"

static void equal_reports_exit_0(void **state)
{
	struct fixture *f = *state;

	put_file(f->base, REPORT("1.0", "0.5"));
	put_file(f->cur, REPORT("1.0", "0.5"));
	assert_int_equal(compare_run(&f->o), ETL_EXIT_OK);
	assert_non_null(strstr(get_file(f->out), "Regressions: 0\n"));
}

static void a_slower_operation_exits_9_and_is_listed(void **state)
{
	struct fixture *f = *state;
	char *text;

	put_file(f->base, REPORT("1.0", "0.5"));
	put_file(f->cur, REPORT("1.6", "0.5"));
	assert_int_equal(compare_run(&f->o), ETL_EXIT_REGRESSION);
	text = get_file(f->out);
	assert_non_null(strstr(text, "Baseline: "));
	assert_non_null(strstr(text, "load              1.000000        1.600000  1.600  REGRESSION\n"));
	assert_non_null(strstr(text, "extract           0.500000        0.500000  1.000  ok\n"));
	assert_non_null(strstr(text, "Regressions: 1\n"));
}

static void the_factor_decides(void **state)
{
	struct fixture *f = *state;

	put_file(f->base, REPORT("1.0", "0.5"));
	put_file(f->cur, REPORT("1.6", "0.5"));
	f->o.set.regression_factor = 2.0;
	assert_int_equal(compare_run(&f->o), ETL_EXIT_OK);
	f->o.set.regression_factor = 1.0;
	put_file(f->cur, REPORT("1.0000001", "0.5"));
	assert_int_equal(compare_run(&f->o), ETL_EXIT_REGRESSION);
}

static void json_output_has_regressions_and_one_sided_operations(void **state)
{
	struct fixture *f = *state;
	struct json_object *root, *v, *r;

	put_file(f->base, "{\"operations\": {\"load\": {\"count\": 1, \"avg_time\": 0.2},"
			  "\"gone\": {\"count\": 1, \"avg_time\": 1}}}");
	put_file(f->cur, "{\"operations\": {\"new\": {\"count\": 1, \"avg_time\": 1},"
			 "\"load\": {\"count\": 1, \"avg_time\": 0.5}}}");
	f->o.report.format = FORMAT_JSON;
	assert_int_equal(compare_run(&f->o), ETL_EXIT_REGRESSION);
	root = json_object_from_file(f->out);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "baseline", &v));
	assert_string_equal(json_object_get_string(v), f->base);
	assert_true(json_object_object_get_ex(root, "regressions", &v));
	assert_int_equal(json_object_array_length(v), 1);
	r = json_object_array_get_idx(v, 0);
	assert_true(json_object_object_get_ex(r, "operation", &v));
	assert_string_equal(json_object_get_string(v), "load");
	assert_true(json_object_object_get_ex(r, "ratio", &v));
	assert_string_equal(json_object_to_json_string(v), "2.5");
	assert_true(json_object_object_get_ex(root, "comparison", &v));
	assert_true(json_object_object_get_ex(v, "only_in_baseline", &r));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(r, 0)), "gone");
	assert_true(json_object_object_get_ex(v, "only_in_current", &r));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(r, 0)), "new");
	json_object_put(root);
}

static void malformed_or_missing_reports_exit_8_and_write_nothing(void **state)
{
	struct fixture *f = *state;

	put_file(f->base, REPORT("1.0", "0.5"));
	put_file(f->cur, "{\"operations\": {\"load\": {\"count\": 2, \"avg_ti");
	assert_int_equal(compare_run(&f->o), ETL_EXIT_CONFIG);
	put_file(f->cur, "{\"operations\": {\"load\": {\"count\": \"2\", \"avg_time\": 1}}}");
	assert_int_equal(compare_run(&f->o), ETL_EXIT_CONFIG);
	put_file(f->cur, "{\"operations\": {\"load\": {\"count\": 2, \"avg_time\": 1e308}}}");
	assert_int_equal(compare_run(&f->o), ETL_EXIT_CONFIG);
	unlink(f->base);
	put_file(f->cur, REPORT("1.0", "0.5"));
	assert_int_equal(compare_run(&f->o), ETL_EXIT_CONFIG);
	assert_int_equal(access(f->out, F_OK), -1);
}

/* "load\u0000x" became "load" in json-c, replacing the real one: a false
 * regression (exit 9). Now: exit 8, one line naming the key, no output. */
static void a_key_with_a_nul_exits_8_not_9(void **state)
{
	struct fixture *f = *state;

	put_file(f->base, REPORT("1.0", "0.5"));
	put_file(f->cur, "{\"operations\": {\"load\": {\"count\": 2, \"avg_time\": 1.0},"
			 "\"extract\": {\"count\": 2, \"avg_time\": 0.5},"
			 "\"load\\u0000x\": {\"count\": 2, \"avg_time\": 100}}}");
	assert_int_equal(compare_run(&f->o), ETL_EXIT_CONFIG);
	assert_int_equal(access(f->out, F_OK), -1);
	put_file(f->cur, REPORT("1.0", "0.5"));
	put_file(f->base, "{\"operations\": {\"load\\u0000\": {\"count\": 2, \"avg_time\": 0.01},"
			  "\"load\": {\"count\": 2, \"avg_time\": 1.0}}}");
	assert_int_equal(compare_run(&f->o), ETL_EXIT_CONFIG);
	/* A key given twice: json-c kept the last, hiding the first. */
	put_file(f->base, "{\"operations\": {\"load\": {\"count\": 2, \"avg_time\": 0.01},"
			  "\"load\": {\"count\": 2, \"avg_time\": 1.0}}}");
	assert_int_equal(compare_run(&f->o), ETL_EXIT_CONFIG);
	assert_int_equal(access(f->out, F_OK), -1);
}

static void hostile_names_survive_both_formats(void **state)
{
	struct fixture *f = *state;
	struct json_object *root;
	char *text;

	put_file(f->base, "{\"operations\": {\"a\\\"b\\\\c\\nd\\u001b[2J\\u00e9\": "
			  "{\"count\": 1, \"avg_time\": 1}}}");
	put_file(f->cur, "{\"operations\": {\"a\\\"b\\\\c\\nd\\u001b[2J\\u00e9\": "
			 "{\"count\": 1, \"avg_time\": 2}}}");
	assert_int_equal(compare_run(&f->o), ETL_EXIT_REGRESSION);
	text = get_file(f->out);
	assert_non_null(strstr(text, "a\"b\\\\c\\x0ad\\x1b[2J\xc3\xa9  "));
	assert_null(strchr(text, '\x1b'));
	f->o.report.format = FORMAT_JSON;
	assert_int_equal(compare_run(&f->o), ETL_EXIT_REGRESSION);
	root = json_object_from_file(f->out);
	assert_non_null(root);
	json_object_put(root);
}

static void an_unwritable_output_exits_7(void **state)
{
	struct fixture *f = *state;

	put_file(f->base, REPORT("1.0", "0.5"));
	put_file(f->cur, REPORT("1.0", "0.5"));
	f->o.report.output = "/dev/full";
	assert_int_equal(compare_run(&f->o), ETL_EXIT_OUTPUT);
	f->o.report.output = f->dir;
	assert_int_equal(compare_run(&f->o), ETL_EXIT_OUTPUT);
	/* A FIFO: refused, never blocking on a reader that does not come. */
	alarm(10);
	assert_int_equal(mkfifo(f->out, 0600), 0);
	f->o.report.output = f->out;
	assert_int_equal(compare_run(&f->o), ETL_EXIT_OUTPUT);
	alarm(0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(equal_reports_exit_0),
		T(a_slower_operation_exits_9_and_is_listed),
		T(the_factor_decides),
		T(json_output_has_regressions_and_one_sided_operations),
		T(malformed_or_missing_reports_exit_8_and_write_nothing),
		T(a_key_with_a_nul_exits_8_not_9),
		T(hostile_names_survive_both_formats),
		T(an_unwritable_output_exits_7),
	};

	return cmocka_run_group_tests_name("compare", tests, NULL, NULL);
}
