// SPDX-License-Identifier: MIT
/*
 * html.c - the self-contained HTML report page: the embedded template
 * (html_page.S) copied out with its two kinds of placeholder filled in,
 * @ETLTRACE_NONCE@ (the page's CSP nonce, on its <style> and <script>) and
 * @ETLTRACE_DATA@ (where the data elements go).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include "html.h"

/* html_page.S: the template's bytes, not NUL-terminated. */
extern const char etltrace_html_page[];
extern const char etltrace_html_page_end[];

#define TOKEN_NONCE "@ETLTRACE_NONCE@"
#define TOKEN_DATA "@ETLTRACE_DATA@"
#define TOKEN_PREFIX "@ETLTRACE_"
#define NONCE_BYTES 16

static int put(FILE *f, const void *p, size_t n)
{
	return n && fwrite(p, 1, n, f) != n ? -EIO : 0;
}

/* The escape for the byte sequence at s (n bytes left), and its length in
 * *len; NULL when it is copied as is. U+2028 and U+2029 end a line in
 * pre-2019 JavaScript string literals and are escaped for any consumer that
 * evaluates the text instead of parsing it. */
static const char *escape_at(const unsigned char *s, size_t n, size_t *len)
{
	*len = 1;
	switch (s[0]) {
	case '<': return "\\u003c";
	case '>': return "\\u003e";
	case '&': return "\\u0026";
	case 0xe2:
		if (n >= 3 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) {
			*len = 3;
			return s[2] == 0xa8 ? "\\u2028" : "\\u2029";
		}
		return NULL;
	default: return NULL;
	}
}

/* Writes n bytes of JSON with the escapes above, in runs between them. */
static int put_escaped(FILE *f, const char *json, size_t n)
{
	const unsigned char *s = (const unsigned char *)json;
	size_t run = 0, i = 0;
	int err = 0;

	while (!err && i < n) {
		size_t len;
		const char *esc = escape_at(s + i, n - i, &len);

		if (!esc) {
			i++;
			continue;
		}
		err = put(f, s + run, i - run);
		if (!err)
			err = put(f, esc, strlen(esc));
		i += len;
		run = i;
	}
	return err ? err : put(f, s + run, n - run);
}

static int put_element(FILE *f, const char *id, const char *json, size_t n)
{
	static const char open_fmt[] = "<script type=\"application/json\" id=\"%s\">";
	int err;

	if (fprintf(f, open_fmt, id) < 0)
		return -EIO;
	err = put_escaped(f, json, n);
	return err ? err : put(f, "</script>\n", 10);
}

static int make_nonce(char out[2 * NONCE_BYTES + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[NONCE_BYTES];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t r = getrandom(raw + got, sizeof(raw) - got, 0);

		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0)
			got += (size_t)r;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * NONCE_BYTES] = '\0';
	return 0;
}

int html_write(FILE *f, const char *report_json, size_t report_len,
	       const char *timeline_json, size_t timeline_len)
{
	const char *p = etltrace_html_page, *end = etltrace_html_page_end;
	char nonce[2 * NONCE_BYTES + 1];
	int err;

	if (!f || !report_json)
		return -EINVAL;
	err = make_nonce(nonce);
	while (!err && p < end) {
		const char *tok = memmem(p, (size_t)(end - p), TOKEN_PREFIX, strlen(TOKEN_PREFIX));
		size_t left;

		if (!tok) {
			err = put(f, p, (size_t)(end - p));
			break;
		}
		err = put(f, p, (size_t)(tok - p));
		left = (size_t)(end - tok);
		if (err)
			break;
		if (left >= strlen(TOKEN_NONCE) && !memcmp(tok, TOKEN_NONCE, strlen(TOKEN_NONCE))) {
			err = put(f, nonce, strlen(nonce));
			p = tok + strlen(TOKEN_NONCE);
		} else if (left >= strlen(TOKEN_DATA) && !memcmp(tok, TOKEN_DATA, strlen(TOKEN_DATA))) {
			err = put_element(f, "etltrace-report", report_json, report_len);
			if (!err && timeline_json)
				err = put_element(f, "etltrace-timeline", timeline_json, timeline_len);
			p = tok + strlen(TOKEN_DATA);
		} else {
			/* Not one of ours: copied through. */
			err = put(f, tok, 1);
			p = tok + 1;
		}
	}
	if (!err && ferror(f))
		err = -EIO;
	return err;
}
