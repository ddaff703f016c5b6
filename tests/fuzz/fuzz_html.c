// SPDX-License-Identifier: MIT
/*
 * fuzz_html.c - the HTML page writer (report/html.c): the input is a 2-byte
 * little-endian length N, N bytes of report and, if anything is left, the
 * timeline: any bytes at all (html_write trusts nothing of the JSON text a
 * traced program's names go into). Checked: each data element holds exactly the data
 * with '<', '>', '&', U+2028 and U+2029 escaped, so no '<' (hence no
 * "</script") can leave it; and outside the elements the page is the
 * template, byte for byte (nonces aside), as with empty data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "report/html.h"

#define REPORT_OPEN "<script type=\"application/json\" id=\"etltrace-report\">"
#define TIMELINE_OPEN "<script type=\"application/json\" id=\"etltrace-timeline\">"
#define CLOSE "</script>\n"
#define NONCE_MARK "'nonce-"
#define NONCE_LEN 32

struct text {
	char *p;
	size_t n;
};

static struct text page(const char *report, size_t rlen, const char *timeline, size_t tlen)
{
	struct text t = { NULL, 0 };
	FILE *f = open_memstream(&t.p, &t.n);

	FUZZ_CHECK(f, "open_memstream");
	FUZZ_CHECK(html_write(f, report, rlen, timeline, tlen) == 0, "html_write failed");
	fclose(f);
	return t;
}

/* The data as html.h says it is written, independently. */
static struct text escaped(const char *s, size_t n)
{
	struct text t = { malloc(6 * n + 1), 0 };

	FUZZ_CHECK(t.p, "ENOMEM");
	for (size_t i = 0; i < n; i++) {
		const char *e = NULL;

		if (s[i] == '<')
			e = "\\u003c";
		else if (s[i] == '>')
			e = "\\u003e";
		else if (s[i] == '&')
			e = "\\u0026";
		else if (i + 2 < n && !memcmp(s + i, "\xe2\x80\xa8", 3))
			e = "\\u2028";
		else if (i + 2 < n && !memcmp(s + i, "\xe2\x80\xa9", 3))
			e = "\\u2029";
		if (!e) {
			t.p[t.n++] = s[i];
			continue;
		}
		memcpy(t.p + t.n, e, 6);
		t.n += 6;
		if (e[2] == '2') /* U+2028, U+2029: 3 bytes */
			i += 2;
	}
	return t;
}

/* Removes from t the element opened by `open` (which must be there once),
 * checking that its content is want; with keep_tags, only its content. */
static void cut_element(struct text *t, const char *open, const struct text *want, bool keep_tags)
{
	char *start = memmem(t->p, t->n, open, strlen(open)), *content, *end;
	size_t olen = strlen(open), clen = strlen(CLOSE);

	FUZZ_CHECK(start, "no element %s", open);
	FUZZ_CHECK(!memmem(start + olen, t->n - (size_t)(start - t->p) - olen, open, olen),
		   "two elements %s", open);
	content = start + olen;
	FUZZ_CHECK((size_t)(t->p + t->n - content) >= want->n + clen &&
			   !memcmp(content, want->p, want->n) && !memcmp(content + want->n, CLOSE, clen),
		   "the data element does not hold exactly the escaped data");
	FUZZ_CHECK(!memchr(content, '<', want->n) && !memchr(content, '>', want->n) &&
			   !memchr(content, '&', want->n) &&
			   !memmem(content, want->n, "\xe2\x80\xa8", 3) &&
			   !memmem(content, want->n, "\xe2\x80\xa9", 3),
		   "markup character or line separator in the data");
	end = content + want->n + clen;
	if (keep_tags) {
		memmove(content, content + want->n, (size_t)(t->p + t->n - content - want->n));
		t->n -= want->n;
	} else {
		memmove(start, end, (size_t)(t->p + t->n - end));
		t->n -= (size_t)(end - start);
	}
}

/* Replaces the page's nonce, wherever it is, by zeros: the one of the CSP
 * ('nonce-<32 hex>'), which must be there. */
static void blank_nonces(struct text *t)
{
	char *p = memmem(t->p, t->n, NONCE_MARK, strlen(NONCE_MARK)), nonce[NONCE_LEN];

	FUZZ_CHECK(p && (size_t)(t->p + t->n - p) > strlen(NONCE_MARK) + NONCE_LEN, "no nonce");
	p += strlen(NONCE_MARK);
	FUZZ_CHECK(strspn(p, "0123456789abcdef") == NONCE_LEN, "a malformed nonce");
	memcpy(nonce, p, NONCE_LEN);
	for (p = t->p; (p = memmem(p, t->n - (size_t)(p - t->p), nonce, NONCE_LEN));)
		memset(p, '0', NONCE_LEN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct text empty;
	static const struct text none = { "", 0 };
	size_t rlen = size >= 2 ? (size_t)(data[0] | data[1] << 8) : 0;
	const char *report = size >= 2 ? (const char *)data + 2 : "";
	const char *timeline = NULL;
	size_t tlen = 0;
	struct text t, er, et = { NULL, 0 };

	if (!empty.p) { /* the template with an empty report, for comparison */
		empty = page("", 0, NULL, 0);
		cut_element(&empty, REPORT_OPEN, &none, true);
		blank_nonces(&empty);
	}
	if (rlen > size - (size >= 2 ? 2 : size))
		rlen = size - (size >= 2 ? 2 : size);
	if (size >= 2 && 2 + rlen < size) {
		timeline = report + rlen;
		tlen = size - 2 - rlen;
	}
	t = page(report, rlen, timeline, tlen);
	er = escaped(report, rlen);
	cut_element(&t, REPORT_OPEN, &er, true);
	if (timeline) {
		et = escaped(timeline, tlen);
		cut_element(&t, TIMELINE_OPEN, &et, false);
	} else {
		FUZZ_CHECK(!memmem(t.p, t.n, TIMELINE_OPEN, strlen(TIMELINE_OPEN)),
			   "a timeline element with no timeline");
	}
	blank_nonces(&t);
	FUZZ_CHECK(t.n == empty.n && !memcmp(t.p, empty.p, t.n),
		   "the page around the data is not the template");
	free(t.p);
	free(er.p);
	free(et.p);
	return 0;
}
