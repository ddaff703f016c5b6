// SPDX-License-Identifier: MIT
/*
 * fuzz_names.c - the escaping of untrusted operation names (util/names.c):
 * the input, cut at its first NUL, is a name as a traced process can make
 * it. Checked: name_to_utf8 gives valid UTF-8, keeps valid input as it is
 * and is idempotent; name_for_terminal gives valid, printable UTF-8 with no
 * control or invisible layout character and decodes back to the input;
 * name_fit_width never exceeds its width, cuts only between display units
 * and keeps a prefix; nothing reads out of bounds on any input.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/names.h"

/* Code points name_for_terminal must never let through (names.h). */
static bool forbidden_cp(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Undoes name_for_terminal on s[0..n) into out (n + 1 bytes): "\\" and
 * "\xNN" (lower-case hex) are the only escapes, and a backslash is always
 * one of them. Returns the decoded length; aborts on a malformed escape. */
static size_t unescape(const char *s, size_t n, char *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n;) {
		if (s[i] != '\\') {
			out[k++] = s[i++];
			continue;
		}
		FUZZ_CHECK(i + 1 < n, "a lone backslash ends \"%.*s\"", (int)n, s);
		if (s[i + 1] == '\\') {
			out[k++] = '\\';
			i += 2;
			continue;
		}
		FUZZ_CHECK(i + 3 < n && s[i + 1] == 'x' && hex_value(s[i + 2]) >= 0 &&
				   hex_value(s[i + 3]) >= 0,
			   "malformed escape at byte %zu", i);
		out[k++] = (char)(hex_value(s[i + 2]) << 4 | hex_value(s[i + 3]));
		i += 4;
	}
	return k;
}

static void check_utf8(const char *raw, size_t len)
{
	char *u = name_to_utf8(raw), *again;
	size_t ulen;

	FUZZ_CHECK(u, "name_to_utf8 returned NULL");
	ulen = strlen(u);
	FUZZ_CHECK(fuzz_utf8_valid(u, ulen), "name_to_utf8 output is not valid UTF-8");
	FUZZ_CHECK(ulen <= 3 * len, "output of %zu bytes for %zu", ulen, len);
	if (fuzz_utf8_valid(raw, len))
		FUZZ_CHECK(!strcmp(u, raw), "valid UTF-8 was changed");
	else
		FUZZ_CHECK(strstr(u, "\xef\xbf\xbd"), "invalid UTF-8 without a U+FFFD");
	again = name_to_utf8(u);
	FUZZ_CHECK(again && !strcmp(again, u), "name_to_utf8 is not idempotent");
	free(again);
	free(u);
}

/* The terminal form of raw; checked, returned (malloc'd). */
static char *check_terminal(const char *raw, size_t len)
{
	char *t = name_for_terminal(raw), *back;
	size_t tlen;

	FUZZ_CHECK(t, "name_for_terminal returned NULL");
	tlen = strlen(t);
	FUZZ_CHECK(tlen <= 4 * len, "output of %zu bytes for %zu", tlen, len);
	FUZZ_CHECK(!fuzz_has_control(t, tlen, false), "a control byte in \"%s\"", t);
	FUZZ_CHECK(fuzz_utf8_valid(t, tlen), "terminal form is not valid UTF-8");
	for (size_t i = 0; i < tlen;) {
		uint32_t cp;
		size_t k = fuzz_utf8_decode(t + i, tlen - i, &cp);

		FUZZ_CHECK(!forbidden_cp(cp), "U+%04X let through", (unsigned)cp);
		i += k;
	}
	back = malloc(tlen + 1);
	FUZZ_CHECK(back, "ENOMEM");
	FUZZ_CHECK(unescape(t, tlen, back) == len && !memcmp(back, raw, len),
		   "terminal form does not decode back to the name");
	free(back);
	return t;
}

/* name_fit_width(t, cols): within cols, a prefix of t and "..." (for at least
 * 3 columns) when t does not fit; for a terminal form (terminal), a cut
 * between display units. Units are parsed the same in the cut and in t, so
 * the width holds for any string. */
static void check_fit(const char *t, size_t cols, bool terminal)
{
	size_t tlen = strlen(t), width = name_display_width(t), flen, plen;
	char *fit = name_fit_width(t, cols), *dec;

	FUZZ_CHECK(fit, "name_fit_width returned NULL");
	flen = strlen(fit);
	if (width <= cols) {
		FUZZ_CHECK(!strcmp(fit, t), "a name that fits was changed");
		free(fit);
		return;
	}
	FUZZ_CHECK(name_display_width(fit) <= cols, "%zu columns for at most %zu",
		   name_display_width(fit), cols);
	plen = flen;
	if (cols >= 3) {
		FUZZ_CHECK(flen >= 3 && !strcmp(fit + flen - 3, "..."), "no ellipsis on a cut name");
		plen -= 3;
	}
	FUZZ_CHECK(plen <= tlen && !memcmp(fit, t, plen), "the cut is not a prefix");
	if (!terminal) {
		free(fit);
		return;
	}
	FUZZ_CHECK(fuzz_utf8_valid(fit, flen), "a cut inside a code point");
	/* Cut between units: the prefix decodes on its own (no broken escape). */
	dec = malloc(plen + 1);
	FUZZ_CHECK(dec, "ENOMEM");
	unescape(fit, plen, dec);
	free(dec);
	free(fit);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *raw = fuzz_cstr(data, size), *t;
	size_t len = strlen(raw), width;

	check_utf8(raw, len);
	t = check_terminal(raw, len);
	width = name_display_width(t);
	for (size_t cols = 0; cols <= 6; cols++)
		check_fit(t, cols, true);
	if (width > 0)
		check_fit(t, width - 1, true);
	check_fit(t, width / 2, true);
	check_fit(t, width, true);
	/* Any string, not only a terminal form. */
	width = name_display_width(raw);
	check_fit(raw, width / 2, false);
	check_fit(raw, len % 7, false);
	free(t);
	free(raw);
	return 0;
}
