// SPDX-License-Identifier: MIT
/* fuzz.c - see fuzz.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz invariant failed: %s:%d: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

size_t fuzz_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len;
	uint32_t v, min;

	if (n == 0)
		return 0;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if ((u[0] & 0xe0) == 0xc0) {
		len = 2, v = u[0] & 0x1f, min = 0x80;
	} else if ((u[0] & 0xf0) == 0xe0) {
		len = 3, v = u[0] & 0x0f, min = 0x800;
	} else if ((u[0] & 0xf8) == 0xf0) {
		len = 4, v = u[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (u[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

bool fuzz_utf8_valid(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t k = fuzz_utf8_decode(s + i, n - i, &cp);

		if (!k)
			return false;
		i += k;
	}
	return true;
}

bool fuzz_has_control(const char *s, size_t n, bool newline_ok)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && !(newline_ok && c == '\n')) || c == 0x7f)
			return true;
	}
	return false;
}

char *fuzz_cstr(const uint8_t *data, size_t n)
{
	size_t len = strnlen((const char *)data, n);
	char *s = malloc(len + 1);

	if (!s)
		abort();
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

void fuzz_file_open(struct fuzz_file *f)
{
	f->fd = memfd_create("fuzz-input", MFD_CLOEXEC);
	if (f->fd < 0) {
		perror("memfd_create");
		abort();
	}
	snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
}

void fuzz_file_set(struct fuzz_file *f, const void *data, size_t n)
{
	const char *p = data;

	if (ftruncate(f->fd, 0)) {
		perror("ftruncate");
		abort();
	}
	for (size_t done = 0; done < n;) {
		ssize_t w = pwrite(f->fd, p + done, n - done, (off_t)done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			perror("pwrite");
			abort();
		}
		done += (size_t)w;
	}
}

struct json_object *fuzz_json_strict(const char *text, size_t n)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *doc;
	size_t end;

	if (!tok)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	doc = json_tokener_parse_ex(tok, text, (int)n);
	/* A top-level number ends only at what follows it: parse the end too. */
	if (!doc && json_tokener_get_error(tok) == json_tokener_continue)
		doc = json_tokener_parse_ex(tok, "", 1);
	end = json_tokener_get_parse_end(tok);
	for (; doc && end < n; end++) {
		if (!strchr(" \t\r\n", text[end])) {
			json_object_put(doc);
			doc = NULL;
		}
	}
	json_tokener_free(tok);
	return doc;
}
