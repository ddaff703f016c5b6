// SPDX-License-Identifier: MIT
/*
 * test_jsonfmt.c - JSON output helpers (user/jsonfmt.c): fixed-point numbers
 * and the streaming writer, whose output must be byte for byte what json-c
 * prints for the same tree.
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

#include "report/jsonfmt.h"

/* json-c's own pretty form of `doc`, with the newline the stream ends with. */
static char *json_c_form(const char *doc)
{
	struct json_object *root = json_tokener_parse(doc);
	char *text;

	assert_non_null(root);
	assert_true(asprintf(&text, "%s\n", json_object_to_json_string_ext(root,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)) > 0);
	json_object_put(root);
	return text;
}

static void a_streamed_document_is_laid_out_as_json_c_lays_out_the_tree(void **state)
{
	char *got = NULL, *want;
	size_t len = 0;
	FILE *f = open_memstream(&got, &len);
	struct json_stream js;

	(void)state;
	assert_non_null(f);
	json_stream_begin(&js, f, false);
	json_stream_open(&js, NULL, '{');
	json_stream_put(&js, "a", json_object_new_int(1));
	json_stream_open(&js, "empty", '{');
	json_stream_close(&js, '}');
	json_stream_open(&js, "none", '[');
	json_stream_close(&js, ']');
	json_stream_open(&js, "b", '{');
	json_stream_open(&js, "c", '[');
	json_stream_put(&js, NULL, json_real(0.25));
	json_stream_open(&js, NULL, '{');
	json_stream_put(&js, "x", json_object_new_string("q/\"\n\x01"));
	json_stream_close(&js, '}');
	json_stream_put(&js, NULL, json_object_new_array());
	json_stream_close(&js, ']');
	/* a prebuilt tree as one member keeps its own nesting */
	json_stream_put(&js, "d", json_tokener_parse("{\"z\": {\"y\": [1, {}]}, \"w\": []}"));
	json_stream_close(&js, '}');
	json_stream_put(&js, "k\x01/\xc3\xa9", json_object_new_string("v"));
	json_stream_close(&js, '}');
	assert_int_equal(json_stream_end(&js), 0);
	assert_int_equal(fclose(f), 0);
	want = json_c_form("{\"a\": 1, \"empty\": {}, \"none\": [], \"b\": {\"c\": [0.25, "
			   "{\"x\": \"q/\\\"\\n\\u0001\"}, []], \"d\": {\"z\": {\"y\": [1, {}]}, "
			   "\"w\": []}}, \"k\\u0001/\xc3\xa9\": \"v\"}");
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void a_null_value_is_enomem_and_stops_the_stream(void **state)
{
	char *got = NULL;
	size_t len = 0, at;
	FILE *f = open_memstream(&got, &len);
	struct json_stream js;

	(void)state;
	json_stream_begin(&js, f, false);
	json_stream_open(&js, NULL, '{');
	json_stream_put(&js, "a", NULL);
	fflush(f);
	at = len;
	json_stream_put(&js, "b", json_object_new_int(2)); /* freed, not written */
	json_stream_open(&js, "c", '[');
	json_stream_close(&js, ']');
	json_stream_close(&js, '}');
	assert_int_equal(json_stream_end(&js), -ENOMEM);
	fflush(f);
	assert_int_equal(len, at);
	json_stream_fail(&js, -EIO); /* the first error stays */
	assert_int_equal(js.err, -ENOMEM);
	fclose(f);
	free(got);
}

static void a_write_failure_is_eio(void **state)
{
	FILE *f = fopen("/dev/full", "w");
	struct json_stream js;

	(void)state;
	assert_non_null(f);
	json_stream_begin(&js, f, false);
	json_stream_open(&js, NULL, '[');
	for (int i = 0; i < 10000; i++)
		json_stream_put(&js, NULL, json_object_new_int(i));
	json_stream_close(&js, ']');
	assert_int_equal(json_stream_end(&js), -EIO);
	fclose(f);
}

/* Every number reads back as exactly the value written, in its shortest
 * form: nothing is rounded to the microsecond any more. */
static void numbers_are_exact_and_shortest(void **state)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{ 0.3, "0.3" },          { 575e-9, "5.75e-07" }, { 2.0, "2.0" },
		{ -0.0, "0.0" },          { 1.0 / 0.0, "0.0" },   { 0.1 + 0.2, "0.30000000000000004" },
		{ 123456789.123456789, "123456789.12345679" },    { 1e-9, "1e-09" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *o = json_real(cases[i].v);
		char *f = NULL;
		size_t len = 0;
		FILE *mf = open_memstream(&f, &len);
		struct json_stream js;

		assert_string_equal(json_object_to_json_string(o), cases[i].text);
		if (isfinite(cases[i].v))
			assert_true(strtod(cases[i].text, NULL) == cases[i].v);
		json_stream_begin(&js, mf, false);
		json_stream_open(&js, NULL, '[');
		json_stream_real(&js, NULL, cases[i].v);
		json_stream_close(&js, ']');
		assert_int_equal(json_stream_end(&js), 0);
		fclose(mf);
		assert_non_null(strstr(f, cases[i].text));
		free(f);
		json_object_put(o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_streamed_document_is_laid_out_as_json_c_lays_out_the_tree),
		cmocka_unit_test(a_null_value_is_enomem_and_stops_the_stream),
		cmocka_unit_test(a_write_failure_is_eio),
		cmocka_unit_test(numbers_are_exact_and_shortest),
	};

	return cmocka_run_group_tests_name("jsonfmt", tests, NULL, NULL);
}
