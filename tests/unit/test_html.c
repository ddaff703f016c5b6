// SPDX-License-Identifier: MIT
/*
 * test_html.c - the HTML report page (user/report/html.c): the data escaped
 * so that no byte sequence of a traced program's names can leave its
 * <script type="application/json"> element, exactly one element of each
 * kind, the placeholders filled and the template otherwise intact.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "report/html.h"

#define REPORT_OPEN "<script type=\"application/json\" id=\"etltrace-report\">"
#define TIMELINE_OPEN "<script type=\"application/json\" id=\"etltrace-timeline\">"

/* The page html_write makes of these inputs, NUL-terminated. */
static char *page(const char *report, size_t rlen, const char *timeline, size_t tlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(html_write(f, report, rlen, timeline, tlen), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(strlen(text), len);
	return text;
}

static size_t occurrences(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* A malloc'd copy of the content of the element opened by `open`. */
static char *element(const char *html, const char *open)
{
	const char *start = strstr(html, open), *end;

	assert_non_null(start);
	start += strlen(open);
	end = strstr(start, "</script>");
	assert_non_null(end);
	return strndup(start, (size_t)(end - start));
}

static void markup_characters_and_line_separators_are_json_escapes(void **state)
{
	/* every dangerous sequence inside JSON strings, U+2028/9 as UTF-8 */
	static const char report[] =
		"{\"operations\":{\"<script>alert(1)</script>\":{},"
		"\"\\\"><img src=x onerror=alert(1)>\":{},\"</script><script>\":{},"
		"\"<!-- & -->\":{},\"a\xe2\x80\xa8" "b\xe2\x80\xa9" "c\":{}}}";
	char *html = page(report, strlen(report), NULL, 0);
	char *data = element(html, REPORT_OPEN);

	(void)state;
	assert_string_equal(data,
		"{\"operations\":{\"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\":{},"
		"\"\\\"\\u003e\\u003cimg src=x onerror=alert(1)\\u003e\":{},"
		"\"\\u003c/script\\u003e\\u003cscript\\u003e\":{},"
		"\"\\u003c!-- \\u0026 --\\u003e\":{},\"a\\u2028b\\u2029c\":{}}}");
	assert_null(strpbrk(data, "<>&"));
	assert_null(strstr(data, "\xe2\x80\xa8"));
	assert_null(strstr(data, "\xe2\x80\xa9"));
	free(data);
	free(html);
}

static void the_escaped_data_parses_to_the_same_json(void **state)
{
	static const char report[] =
		"{\"</script>\":{\"raw_name\":\"\\\\xff<&>\",\"n\":[1,2.5,\"\xe2\x80\xa8\"]},"
		"\"\xe2\x82\xac\xe2\x80\x93\xef\xbf\xbd\":\"euro, dash, U+FFFD\"}";
	char *html = page(report, strlen(report), NULL, 0);
	char *data = element(html, REPORT_OPEN);
	struct json_object *want = json_tokener_parse(report), *got = json_tokener_parse(data);

	(void)state;
	assert_non_null(want);
	assert_non_null(got);
	assert_true(json_object_equal(want, got));
	/* other sequences starting with 0xe2 pass through unchanged */
	assert_non_null(strstr(data, "\xe2\x82\xac\xe2\x80\x93\xef\xbf\xbd"));
	json_object_put(want);
	json_object_put(got);
	free(data);
	free(html);
}

static void a_cut_sequence_at_the_end_is_copied_as_it_is(void **state)
{
	static const char report[] = "\"\xe2\x80";
	char *html = page(report, 3, NULL, 0);
	char *data = element(html, REPORT_OPEN);

	(void)state;
	assert_string_equal(data, report);
	free(data);
	free(html);
}

static void one_report_element_and_one_timeline_element_when_given(void **state)
{
	static const char report[] = "{\"a\":\"</script><script type=\\\"application/json\\\" id=\\\"etltrace-report\\\">\"}";
	static const char timeline[] = "{\"traceEvents\":[{\"name\":\"</script>\",\"ph\":\"X\"}]}";
	char *with = page(report, strlen(report), timeline, strlen(timeline));
	char *without = page(report, strlen(report), NULL, 0);
	char *data = element(with, TIMELINE_OPEN);

	(void)state;
	assert_int_equal(occurrences(with, "id=\"etltrace-report\""), 1);
	assert_int_equal(occurrences(with, "id=\"etltrace-timeline\""), 1);
	assert_int_equal(occurrences(without, "id=\"etltrace-report\""), 1);
	assert_int_equal(occurrences(without, "id=\"etltrace-timeline\""), 0);
	/* the page's own script and the data elements, and no other */
	assert_int_equal(occurrences(with, "<script"), 3);
	assert_int_equal(occurrences(with, "</script>"), 3);
	assert_int_equal(occurrences(without, "<script"), 2);
	assert_int_equal(occurrences(without, "</script>"), 2);
	assert_string_equal(data, "{\"traceEvents\":[{\"name\":\"\\u003c/script\\u003e\",\"ph\":\"X\"}]}");
	/* the data comes before the script that reads it */
	assert_true(strstr(with, REPORT_OPEN) < strstr(with, "<script nonce="));
	assert_true(strstr(with, TIMELINE_OPEN) < strstr(with, "<script nonce="));
	free(data);
	free(with);
	free(without);
}

static void placeholders_are_filled_with_one_fresh_nonce_per_page(void **state)
{
	char *a = page("{}", 2, NULL, 0), *b = page("{}", 2, NULL, 0);
	char nonce_a[33], nonce_b[33], attr[64];
	const char *csp;

	(void)state;
	assert_null(strstr(a, "@ETLTRACE_"));
	assert_int_equal(strncmp(a, "<!DOCTYPE html>", 15), 0);
	assert_non_null(strstr(a, "</html>\n"));
	assert_int_equal(strcmp(a + strlen(a) - 8, "</html>\n"), 0);
	csp = strstr(a, "script-src 'nonce-");
	assert_non_null(csp);
	assert_int_equal(sscanf(csp, "script-src 'nonce-%32[0-9a-f]'", nonce_a), 1);
	assert_int_equal(strlen(nonce_a), 32);
	assert_non_null(strstr(a, "default-src 'none'"));
	snprintf(attr, sizeof(attr), "<script nonce=\"%s\">", nonce_a);
	assert_int_equal(occurrences(a, attr), 1);
	snprintf(attr, sizeof(attr), "<style nonce=\"%s\">", nonce_a);
	assert_int_equal(occurrences(a, attr), 1);
	assert_int_equal(occurrences(a, nonce_a), 4); /* script-src, style-src, <style>, <script> */
	assert_int_equal(sscanf(strstr(b, "script-src 'nonce-"), "script-src 'nonce-%32[0-9a-f]'", nonce_b), 1);
	assert_string_not_equal(nonce_a, nonce_b);
	free(a);
	free(b);
}

static void an_empty_report_still_gets_its_element(void **state)
{
	char *html = page("", 0, NULL, 0);
	char *data = element(html, REPORT_OPEN);

	(void)state;
	assert_string_equal(data, "");
	free(data);
	free(html);
}

static void null_arguments_are_einval(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_int_equal(html_write(NULL, "{}", 2, NULL, 0), -EINVAL);
	assert_int_equal(html_write(f, NULL, 0, NULL, 0), -EINVAL);
	fclose(f);
	free(text);
}

static void a_write_failure_is_eio(void **state)
{
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(html_write(f, "{\"a\":\"<\"}", 9, "{}", 2), -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(markup_characters_and_line_separators_are_json_escapes),
		cmocka_unit_test(the_escaped_data_parses_to_the_same_json),
		cmocka_unit_test(a_cut_sequence_at_the_end_is_copied_as_it_is),
		cmocka_unit_test(one_report_element_and_one_timeline_element_when_given),
		cmocka_unit_test(placeholders_are_filled_with_one_fresh_nonce_per_page),
		cmocka_unit_test(an_empty_report_still_gets_its_element),
		cmocka_unit_test(null_arguments_are_einval),
		cmocka_unit_test(a_write_failure_is_eio),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
