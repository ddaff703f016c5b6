/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz/ share: invariant checks
 * that abort (libFuzzer then keeps the input), an independent UTF-8
 * validator, inputs as files (memfds), and a strict JSON reader.
 */
#ifndef ETLTRACE_FUZZ_H
#define ETLTRACE_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* Aborts with "fuzz invariant failed: FILE:LINE: COND: message" unless cond. */
#define FUZZ_CHECK(cond, ...)                                                       \
	do {                                                                        \
		if (!(cond))                                                        \
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);          \
	} while (0)

__attribute__((noreturn, format(printf, 4, 5)))
void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...);

/* True if s[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). Written apart from names.c, by code
 * point value, so that the two cannot share a mistake. */
bool fuzz_utf8_valid(const char *s, size_t n);

/* Decodes the UTF-8 code point at s[0..n) into *cp and returns its length,
 * or 0 if none starts there (s must hold valid UTF-8 for a full decode). */
size_t fuzz_utf8_decode(const char *s, size_t n, uint32_t *cp);

/* True if s[0..n) holds a byte below 0x20 (other than '\n' when
 * newline_ok) or 0x7f: what must never reach a terminal unescaped. */
bool fuzz_has_control(const char *s, size_t n, bool newline_ok);

/* A NUL-terminated malloc'd copy of data[0..n), cut at its first NUL: the
 * string a C API sees. Aborts on ENOMEM. */
char *fuzz_cstr(const uint8_t *data, size_t n);

/* An in-memory file (memfd) whose path "/proc/self/fd/N" is in path. */
struct fuzz_file {
	int fd;
	char path[48];
};

/* Creates it once (fd < 0 before); aborts on failure. */
void fuzz_file_open(struct fuzz_file *f);

/* Replaces its contents with data[0..n). */
void fuzz_file_set(struct fuzz_file *f, const void *data, size_t n);

/* Parses text[0..n) as one strict JSON document (RFC 8259, valid UTF-8,
 * nothing after it): NULL if it is not one. */
struct json_object *fuzz_json_strict(const char *text, size_t n);

#endif /* ETLTRACE_FUZZ_H */
