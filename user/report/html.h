/* SPDX-License-Identifier: MIT */
/*
 * html.h - the report as one self-contained HTML page (--html): the page's
 * markup, style and script are embedded in etltrace at build time
 * (the .html, .css and .js files of html/, joined in html_page.S); the
 * JSON report and an optional timeline travel inside it as data, read by
 * the page's script.
 */
#ifndef ETLTRACE_HTML_H
#define ETLTRACE_HTML_H

#include <stddef.h>
#include <stdio.h>

/* Writes the page to f: the template with the report (report_len bytes of
 * JSON text) in <script type="application/json" id="etltrace-report"> and,
 * when timeline_json is not NULL, a Chrome trace-event document in
 * <script type="application/json" id="etltrace-timeline"> (no such element
 * otherwise).
 *
 * The data comes from traced programs and is untrusted: every '<', '>' and
 * '&' byte, and the UTF-8 forms of U+2028 and U+2029, are written as the
 * JSON escapes \u003c, \u003e, \u0026, \u2028, \u2029, so no byte sequence
 * can end the element, open a comment or become markup. That is exact for
 * JSON text (those characters only occur inside strings); the data is not
 * validated otherwise, and other bytes are copied unchanged. The page's
 * Content-Security-Policy allows only its own script and style, by a nonce
 * drawn from getrandom() for each page.
 *
 * Returns 0, -EINVAL (f or report_json NULL), -EIO when writing fails, or
 * the negative errno of getrandom(); on error part of the page may have
 * been written. */
int html_write(FILE *f, const char *report_json, size_t report_len,
	       const char *timeline_json, size_t timeline_len);

#endif /* ETLTRACE_HTML_H */
