// SPDX-License-Identifier: MIT
/*
 * names.c - UTF-8 validation and escaping of untrusted operation names.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/names.h"

#define CP_INVALID UINT32_MAX

/* Decodes the UTF-8 sequence at `s` (NUL-terminated, never read past the
 * NUL). Returns its length and sets *cp to the code point, or, if the
 * sequence is ill-formed, returns the length of its maximal subpart (>= 1)
 * and sets *cp to CP_INVALID. Ranges are those of Unicode table 3-7, which
 * excludes overlong forms, surrogates and values above U+10FFFF. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0; /* overlong below */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates above */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90; /* overlong below */
		else if (c == 0xf4)
			hi = 0x8f; /* beyond U+10FFFF above */
	} else {
		*cp = CP_INVALID;
		return 1;
	}
	for (size_t i = 1; i <= need; i++) {
		if (s[i] < lo || s[i] > hi) {
			*cp = CP_INVALID;
			return i;
		}
		v = (v << 6) | (s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = v;
	return need + 1;
}

/* malloc(len * per_byte + 1), or NULL on overflow or ENOMEM. */
static char *alloc_scaled(size_t len, size_t per_byte)
{
	if (len > (SIZE_MAX - 1) / per_byte)
		return NULL;
	return malloc(len * per_byte + 1);
}

char *name_to_utf8(const char *raw)
{
	const unsigned char *p = (const unsigned char *)raw;
	char *out, *o;

	if (!raw)
		return NULL;
	/* Each bad byte becomes at most 3 bytes (U+FFFD). */
	out = alloc_scaled(strlen(raw), 3);
	if (!out)
		return NULL;
	o = out;
	while (*p) {
		uint32_t cp;
		size_t n = utf8_next(p, &cp);

		if (cp == CP_INVALID) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
		} else {
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	*o = '\0';
	return out;
}

size_t name_utf8_valid_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		uint32_t cp;
		size_t n = utf8_next(p, &cp);

		if (cp == CP_INVALID)
			break;
		p += n;
	}
	return (size_t)(p - (const unsigned char *)s);
}

/* Code points written as escaped bytes rather than shown. */
static bool cp_needs_escape(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	       (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

char *name_for_terminal(const char *raw)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)raw;
	char *out, *o;

	if (!raw)
		return NULL;
	/* Each byte becomes at most 4 bytes ("\xNN"). */
	out = alloc_scaled(strlen(raw), 4);
	if (!out)
		return NULL;
	o = out;
	while (*p) {
		uint32_t cp;
		size_t n = utf8_next(p, &cp);

		if (cp == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else if (cp == CP_INVALID || cp_needs_escape(cp)) {
			for (size_t i = 0; i < n; i++) {
				*o++ = '\\';
				*o++ = 'x';
				*o++ = hex[p[i] >> 4];
				*o++ = hex[p[i] & 0xf];
			}
		} else {
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	*o = '\0';
	return out;
}

struct cp_range {
	uint32_t lo, hi;
};

static bool cp_in(uint32_t cp, const struct cp_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (cp >= r[i].lo && cp <= r[i].hi)
			return true;
	}
	return false;
}

/* Columns of one code point; see name_display_width. */
static size_t cp_width(uint32_t cp)
{
	static const struct cp_range zero[] = {
		{ 0x0300, 0x036f }, { 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff },
		{ 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
	};
	static const struct cp_range wide[] = {
		{ 0x1100, 0x115f },   { 0x2e80, 0x303e },   { 0x3041, 0x33ff },
		{ 0x3400, 0x4dbf },   { 0x4e00, 0x9fff },   { 0xa000, 0xa4cf },
		{ 0xac00, 0xd7a3 },   { 0xf900, 0xfaff },   { 0xfe30, 0xfe4f },
		{ 0xff00, 0xff60 },   { 0xffe0, 0xffe6 },   { 0x1f300, 0x1f64f },
		{ 0x1f900, 0x1f9ff }, { 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
	};

	if (cp < 0x300)
		return 1;
	if (cp_in(cp, zero, sizeof(zero) / sizeof(zero[0])))
		return 0;
	if (cp_in(cp, wide, sizeof(wide) / sizeof(wide[0])))
		return 2;
	return 1;
}

/* Length in bytes and width in columns of the next display unit of a
 * name_for_terminal string: an escape ("\\" or "\xNN") or one code point. */
static size_t unit_next(const unsigned char *s, size_t *cols)
{
	uint32_t cp;
	size_t n;

	if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
		*cols = 4;
		return 4;
	}
	if (s[0] == '\\' && s[1] == '\\') {
		*cols = 2;
		return 2;
	}
	n = utf8_next(s, &cp);
	*cols = cp == CP_INVALID ? n : cp_width(cp);
	return n;
}

size_t name_display_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t width = 0;

	while (p && *p) {
		size_t cols;

		p += unit_next(p, &cols);
		width += cols;
	}
	return width;
}

char *name_fit_width(const char *s, size_t max_cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t budget, width = 0, len = 0;
	char *out;

	if (!s)
		return NULL;
	if (name_display_width(s) <= max_cols)
		return strdup(s);
	budget = max_cols >= 3 ? max_cols - 3 : max_cols;
	while (p[len]) {
		size_t cols, n = unit_next(p + len, &cols);

		if (width + cols > budget)
			break;
		width += cols;
		len += n;
	}
	out = malloc(len + 4);
	if (!out)
		return NULL;
	memcpy(out, s, len);
	strcpy(out + len, max_cols >= 3 ? "..." : "");
	return out;
}

char *name_fit_middle(const char *s, size_t max_cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t total, head_cols, tail_cols, head = 0, tail, width = 0, cols;
	char *out;

	if (!s)
		return NULL;
	total = name_display_width(s);
	if (total <= max_cols)
		return strdup(s);
	if (max_cols < 5)
		return name_fit_width(s, max_cols);
	tail_cols = (max_cols - 3) / 2;
	head_cols = max_cols - 3 - tail_cols;
	while (p[head]) {
		size_t n = unit_next(p + head, &cols);

		if (width + cols > head_cols)
			break;
		width += cols;
		head += n;
	}
	/* The tail: the shortest suffix, unit by unit from the start of the
	 * rest, whose width is at most tail_cols. */
	tail = head;
	width = total - width;
	while (p[tail] && width > tail_cols) {
		tail += unit_next(p + tail, &cols);
		width -= cols;
	}
	out = malloc(head + 3 + strlen(s + tail) + 1);
	if (!out)
		return NULL;
	memcpy(out, s, head);
	memcpy(out + head, "...", 3);
	strcpy(out + head + 3, s + tail);
	return out;
}
