// SPDX-License-Identifier: MIT
/*
 * test_names.c - escaping of untrusted operation names (user/names.c).
 * Expected UTF-8 repairs are what Python's bytes.decode("utf-8", "replace")
 * returns for the same bytes (the seed profiler is Python).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/names.h"

#define FFFD "\xef\xbf\xbd"

static void check_utf8(const char *raw, const char *want)
{
	char *got = name_to_utf8(raw);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void check_terminal(const char *raw, const char *want)
{
	char *got = name_for_terminal(raw);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void check_fit(const char *s, size_t max_cols, const char *want)
{
	char *got = name_fit_width(s, max_cols);

	assert_non_null(got);
	assert_string_equal(got, want);
	assert_true(name_display_width(got) <= max_cols);
	free(got);
}

static void to_utf8_keeps_valid_text_byte_for_byte(void **state)
{
	(void)state;
	check_utf8("", "");
	check_utf8("customer_transformation", "customer_transformation");
	check_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	check_utf8("a\xf0\x9f\x98\x80" "b", "a\xf0\x9f\x98\x80" "b");
	/* The largest code point and the last ones before/after surrogates. */
	check_utf8("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
	check_utf8("\xed\x9f\xbf\xee\x80\x80", "\xed\x9f\xbf\xee\x80\x80");
}

static void to_utf8_keeps_quotes_backslashes_and_controls_for_json_to_escape(void **state)
{
	(void)state;
	check_utf8("a\"b\\c\nd\x1b[0m\x7f", "a\"b\\c\nd\x1b[0m\x7f");
}

static void to_utf8_replaces_stray_and_impossible_bytes_one_each(void **state)
{
	(void)state;
	check_utf8("\x80", FFFD);
	check_utf8("\xff", FFFD);
	check_utf8("\xfe", FFFD);
	check_utf8("a\xff" "b\x80" "c", "a" FFFD "b" FFFD "c");
	check_utf8("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	check_utf8("\xf8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD);
}

static void to_utf8_replaces_overlong_forms(void **state)
{
	(void)state;
	check_utf8("\xc0\xaf", FFFD FFFD);
	check_utf8("\xc1\xbf", FFFD FFFD);
	check_utf8("\xe0\x80\xaf", FFFD FFFD FFFD);
	check_utf8("\xe0\x9f\xbf", FFFD FFFD FFFD);
	check_utf8("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);
}

static void to_utf8_replaces_surrogates_and_code_points_above_10ffff(void **state)
{
	(void)state;
	check_utf8("\xed\xa0\x80", FFFD FFFD FFFD);
	check_utf8("\xed\xbf\xbf", FFFD FFFD FFFD);
	check_utf8("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
}

static void to_utf8_replaces_a_truncated_sequence_with_one_fffd(void **state)
{
	(void)state;
	check_utf8("\xe2\x82", FFFD);
	check_utf8("\xe2\x82x", FFFD "x");
	check_utf8("\xf0\x9f\x98", FFFD);
	check_utf8("ok\xf0\x9f\x98", "ok" FFFD);
}

static void valid_len_stops_at_the_first_ill_formed_sequence(void **state)
{
	(void)state;
	assert_int_equal(name_utf8_valid_len(""), 0);
	assert_int_equal(name_utf8_valid_len("abc \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), 13);
	assert_int_equal(name_utf8_valid_len("ab\xc0\xaf"), 2);         /* overlong */
	assert_int_equal(name_utf8_valid_len("\xc3\xa9\xed\xa0\x80"), 2); /* surrogate */
	assert_int_equal(name_utf8_valid_len("\xf4\x90\x80\x80"), 0);     /* above U+10FFFF */
	assert_int_equal(name_utf8_valid_len("a\xe2\x82"), 1);          /* cut short */
	assert_int_equal(name_utf8_valid_len("a\x80"), 1);               /* stray */
}

static void to_utf8_and_terminal_return_null_for_null(void **state)
{
	(void)state;
	assert_null(name_to_utf8(NULL));
	assert_null(name_for_terminal(NULL));
	assert_null(name_fit_width(NULL, 10));
	assert_int_equal(name_display_width(NULL), 0);
}

static void terminal_keeps_printable_ascii_and_utf8(void **state)
{
	(void)state;
	check_terminal("data_loading 42 'x' \"y\"", "data_loading 42 'x' \"y\"");
	check_terminal("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
		       "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
	/* U+00A0, the first code point after the C1 block, is printable. */
	check_terminal("\xc2\xa0", "\xc2\xa0");
}

static void terminal_escapes_esc_so_no_sequence_reaches_the_terminal(void **state)
{
	(void)state;
	check_terminal("\x1b[2J\x1b]0;pwned\x07red", "\\x1b[2J\\x1b]0;pwned\\x07red");
}

static void terminal_escapes_c0_controls_and_del(void **state)
{
	(void)state;
	check_terminal("a\nb\tc\rd\x01\x1f\x7f", "a\\x0ab\\x09c\\x0dd\\x01\\x1f\\x7f");
}

static void terminal_escapes_c1_controls_byte_by_byte(void **state)
{
	(void)state;
	/* U+009B is CSI, a one-character ESC [ for some terminals. */
	check_terminal("x\xc2\x9b" "31m", "x\\xc2\\x9b31m");
	check_terminal("\xc2\x80\xc2\x9f", "\\xc2\\x80\\xc2\\x9f");
}

static void terminal_doubles_backslashes_so_escapes_are_unambiguous(void **state)
{
	(void)state;
	check_terminal("a\\b", "a\\\\b");
	/* A literal "\x41" in a name stays distinguishable from an escaped byte. */
	check_terminal("\\x41", "\\\\x41");
}

static void terminal_escapes_invalid_utf8_bytes(void **state)
{
	(void)state;
	check_terminal("a\xff" "b", "a\\xffb");
	check_terminal("\xc0\xaf", "\\xc0\\xaf");
	check_terminal("\xe2\x82", "\\xe2\\x82");
	check_terminal("\xed\xa0\x80", "\\xed\\xa0\\x80");
}

static void terminal_escapes_invisible_layout_controls(void **state)
{
	(void)state;
	/* U+202E RIGHT-TO-LEFT OVERRIDE, U+2028 LINE SEPARATOR, U+200B ZWSP, BOM. */
	check_terminal("a\xe2\x80\xae" "b", "a\\xe2\\x80\\xaeb");
	check_terminal("\xe2\x80\xa8", "\\xe2\\x80\\xa8");
	check_terminal("\xe2\x80\x8b", "\\xe2\\x80\\x8b");
	check_terminal("\xef\xbb\xbf", "\\xef\\xbb\\xbf");
}

/* Every two-byte string with any byte values: the output holds no control
 * byte and is valid UTF-8. */
static void terminal_output_is_always_printable_valid_utf8(void **state)
{
	(void)state;
	for (int a = 1; a < 256; a++) {
		for (int b = 0; b < 256; b++) {
			char raw[3] = { (char)a, (char)b, '\0' };
			char *out = name_for_terminal(raw), *again;

			assert_non_null(out);
			for (const unsigned char *p = (const unsigned char *)out; *p; p++)
				assert_true(*p >= 0x20 && *p != 0x7f);
			again = name_to_utf8(out);
			assert_non_null(again);
			assert_string_equal(again, out);
			free(again);
			free(out);
		}
	}
}

/* Inverse of name_for_terminal, for the test below: "\\" and "\xNN". */
static char *unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	assert_non_null(out);
	while (*s) {
		if (s[0] == '\\' && s[1] == '\\') {
			*o++ = '\\';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'x') {
			char hex[3] = { s[2], s[3], '\0' };

			*o++ = (char)strtoul(hex, NULL, 16);
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

static void terminal_escaping_is_reversible(void **state)
{
	(void)state;
	for (int a = 1; a < 256; a++) {
		for (int b = 0; b < 256; b++) {
			char raw[4] = { (char)a, (char)b, b ? '\\' : '\0', '\0' };
			char *out = name_for_terminal(raw), *back;

			assert_non_null(out);
			back = unescape(out);
			assert_string_equal(back, raw);
			free(back);
			free(out);
		}
	}
}

static void display_width_counts_columns_per_code_point(void **state)
{
	(void)state;
	assert_int_equal(name_display_width(""), 0);
	assert_int_equal(name_display_width("extract"), 7);
	assert_int_equal(name_display_width("caf\xc3\xa9"), 4);
	/* Two CJK ideographs and an emoji take two columns each. */
	assert_int_equal(name_display_width("\xe6\x97\xa5\xe6\x9c\xac"), 4);
	assert_int_equal(name_display_width("\xf0\x9f\x98\x80"), 2);
	/* e + COMBINING ACUTE ACCENT is one column. */
	assert_int_equal(name_display_width("e\xcc\x81"), 1);
	/* Escapes take their printed length. */
	assert_int_equal(name_display_width("\\x1b[0m"), 7);
	assert_int_equal(name_display_width("\\\\"), 2);
}

static void fit_width_keeps_strings_that_fit(void **state)
{
	(void)state;
	check_fit("extract", 7, "extract");
	check_fit("extract", 48, "extract");
	check_fit("", 0, "");
}

static void fit_width_cuts_with_ellipsis_to_exactly_the_limit(void **state)
{
	(void)state;
	check_fit("abcdefghij", 8, "abcde...");
	check_fit("abcdefghij", 9, "abcdef...");
	check_fit("abcdefghij", 3, "...");
	check_fit("abcdefghij", 2, "ab");
	check_fit("abcdefghij", 0, "");
}

static void fit_width_never_splits_escapes_or_wide_characters(void **state)
{
	(void)state;
	/* "abcd" + "\x1b" would need 8 columns before the ellipsis; 5 allowed. */
	check_fit("abcd\\x1bxyz", 8, "abcd...");
	check_fit("ab\\\\cdefgh", 6, "ab...");
	/* Each ideograph is 2 columns: 2 fit in 5 - 3, not 2 + 2. */
	check_fit("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 5, "\xe6\x97\xa5...");
	/* Multi-byte code points are copied whole. */
	check_fit("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 4, "\xc3\xa9...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(to_utf8_keeps_valid_text_byte_for_byte),
		cmocka_unit_test(to_utf8_keeps_quotes_backslashes_and_controls_for_json_to_escape),
		cmocka_unit_test(to_utf8_replaces_stray_and_impossible_bytes_one_each),
		cmocka_unit_test(to_utf8_replaces_overlong_forms),
		cmocka_unit_test(to_utf8_replaces_surrogates_and_code_points_above_10ffff),
		cmocka_unit_test(to_utf8_replaces_a_truncated_sequence_with_one_fffd),
		cmocka_unit_test(valid_len_stops_at_the_first_ill_formed_sequence),
		cmocka_unit_test(to_utf8_and_terminal_return_null_for_null),
		cmocka_unit_test(terminal_keeps_printable_ascii_and_utf8),
		cmocka_unit_test(terminal_escapes_esc_so_no_sequence_reaches_the_terminal),
		cmocka_unit_test(terminal_escapes_c0_controls_and_del),
		cmocka_unit_test(terminal_escapes_c1_controls_byte_by_byte),
		cmocka_unit_test(terminal_doubles_backslashes_so_escapes_are_unambiguous),
		cmocka_unit_test(terminal_escapes_invalid_utf8_bytes),
		cmocka_unit_test(terminal_escapes_invisible_layout_controls),
		cmocka_unit_test(terminal_output_is_always_printable_valid_utf8),
		cmocka_unit_test(terminal_escaping_is_reversible),
		cmocka_unit_test(display_width_counts_columns_per_code_point),
		cmocka_unit_test(fit_width_keeps_strings_that_fit),
		cmocka_unit_test(fit_width_cuts_with_ellipsis_to_exactly_the_limit),
		cmocka_unit_test(fit_width_never_splits_escapes_or_wide_characters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
