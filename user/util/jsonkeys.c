// SPDX-License-Identifier: MIT
/* jsonkeys.c - see jsonkeys.h. The text is known to be valid JSON, so a
 * light scan is exact: strings are skipped whole (braces inside them mean
 * nothing), and a string followed by ':' is a key. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonkeys.h"
#include "util/names.h"

#define SHOWN_KEY_COLS 64

struct span {
	size_t off, len; /* in the frame's arena */
};

/* One open object or array. */
struct frame {
	bool object;
	size_t index;          /* arrays: the element being read */
	char *arena;           /* objects: their keys so far, unescaped */
	size_t alen, acap;
	struct span *keys;
	size_t nkeys, kcap;
};

struct scan {
	struct frame *f;
	size_t depth, cap;
	char *str;             /* the string being unescaped */
	size_t slen, scap;
};

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static int put_bytes(struct scan *s, const void *b, size_t n)
{
	if (grow((void **)&s->str, &s->scap, s->slen + n, 1))
		return -ENOMEM;
	memcpy(s->str + s->slen, b, n);
	s->slen += n;
	return 0;
}

static int put_code_point(struct scan *s, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return put_bytes(s, b, n);
}

/* The 4 hex digits at p (valid JSON has them). */
static uint32_t hex4(const char *p)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v = v << 4 | (uint32_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

/* Unescapes the string whose opening quote is text[*i] into s->str, as
 * json-c does (a lone surrogate becomes U+FFFD), and moves *i past its
 * closing quote. */
static int read_string(struct scan *s, const char *text, size_t len, size_t *i)
{
	size_t p = *i + 1;
	int err = 0;

	s->slen = 0;
	while (!err && p < len && text[p] != '"') {
		size_t run = 0;
		uint32_t cp;

		while (p + run < len && text[p + run] != '"' && text[p + run] != '\\')
			run++;

		if (run) {
			err = put_bytes(s, text + p, run);
			p += run;
			continue;
		}
		/* A backslash: valid JSON has a whole escape after it. */
		switch (text[p + 1]) {
		case 'b': err = put_bytes(s, "\b", 1); break;
		case 'f': err = put_bytes(s, "\f", 1); break;
		case 'n': err = put_bytes(s, "\n", 1); break;
		case 'r': err = put_bytes(s, "\r", 1); break;
		case 't': err = put_bytes(s, "\t", 1); break;
		case 'u':
			cp = hex4(text + p + 2);
			if (cp >= 0xd800 && cp <= 0xdbff && p + 12 <= len && text[p + 6] == '\\' &&
			    text[p + 7] == 'u' && hex4(text + p + 8) >= 0xdc00 &&
			    hex4(text + p + 8) <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (hex4(text + p + 8) - 0xdc00);
				p += 6;
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				cp = 0xfffd;
			}
			err = put_code_point(s, cp);
			p += 4;
			break;
		default: /* " \ / */
			err = put_bytes(s, text + p + 1, 1);
			break;
		}
		p += 2;
	}
	*i = p + 1;
	return err;
}

/* The n bytes at p, NUL-terminated, malloc'd (p need not be terminated,
 * which strndup may not be given). */
static char *dup_bytes(const char *p, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

/* `key` as shown in a path: plain if it is an identifier, else quoted,
 * escaped for the terminal (a NUL as \u0000) and cut. malloc'd. */
static char *show_key(const char *key, size_t len)
{
	bool ident = len && !(key[0] >= '0' && key[0] <= '9');
	char *out = NULL, *cut;
	size_t outlen = 0;
	FILE *f;

	for (size_t i = 0; i < len && ident; i++)
		ident = key[i] == '_' || (key[i] >= 'a' && key[i] <= 'z') ||
			(key[i] >= 'A' && key[i] <= 'Z') || (key[i] >= '0' && key[i] <= '9');
	if (ident)
		return dup_bytes(key, len);
	f = open_memstream(&out, &outlen);
	if (!f)
		return NULL;
	/* Piece by piece between NULs: name_for_terminal takes C strings. */
	for (size_t i = 0; i <= len;) {
		size_t n = strnlen(key + i, len - i);
		char *piece = dup_bytes(key + i, n), *t = piece ? name_for_terminal(piece) : NULL;

		fputs(t ? t : "?", f);
		free(piece);
		free(t);
		i += n + 1;
		if (i <= len)
			fputs("\\u0000", f);
	}
	if (fclose(f))
		return NULL;
	cut = name_fit_width(out, SHOWN_KEY_COLS);
	free(out);
	if (!cut)
		return NULL;
	out = NULL;
	if (asprintf(&out, "\"%s\"", cut) < 0)
		out = NULL;
	free(cut);
	return out;
}

/* Writes "PATH.KEY: what" into err: PATH the keys and indexes leading to
 * the innermost open object (frames below `depth`), KEY the key itself. */
static void key_error(const struct scan *s, size_t depth, const char *key, size_t klen,
		      const char *what, char *err, size_t errlen)
{
	char *out = NULL, *shown;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);

	for (size_t d = 0; f && d < depth; d++) {
		const struct frame *fr = &s->f[d];

		if (!fr->object) {
			fprintf(f, "[%zu]", fr->index);
			continue;
		}
		shown = show_key(fr->arena + fr->keys[fr->nkeys - 1].off,
				 fr->keys[fr->nkeys - 1].len);
		fprintf(f, "%s%s", d ? "." : "", shown ? shown : "?");
		free(shown);
	}
	shown = show_key(key, klen);
	if (f) {
		fprintf(f, "%s%s", depth ? "." : "", shown ? shown : "?");
		if (fclose(f)) {
			free(out);
			out = NULL;
		}
	}
	snprintf(err, errlen, "%s: %s", out ? out : "?", what);
	free(shown);
	free(out);
}

/* Adds the key in s->str to the innermost object. */
static int add_key(struct scan *s)
{
	struct frame *fr = &s->f[s->depth - 1];

	if (grow((void **)&fr->arena, &fr->acap, fr->alen + s->slen + 1, 1) ||
	    grow((void **)&fr->keys, &fr->kcap, fr->nkeys + 1, sizeof(*fr->keys)))
		return -ENOMEM;
	if (s->slen) /* s->str may be NULL for "" */
		memcpy(fr->arena + fr->alen, s->str, s->slen);
	fr->keys[fr->nkeys++] = (struct span){ fr->alen, s->slen };
	fr->alen += s->slen;
	return 0;
}

static int cmp_span(const void *a, const void *b, void *arena)
{
	const struct span *x = a, *y = b;
	int c;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	c = memcmp((char *)arena + x->off, (char *)arena + y->off, x->len);
	return c ? c : (x->off < y->off ? -1 : x->off > y->off);
}

/* The innermost object ends: a key given twice in it is an error. */
static int check_duplicates(struct scan *s, char *err, size_t errlen)
{
	struct frame *fr = &s->f[s->depth - 1];

	if (fr->nkeys < 2)
		return 0; /* also no keys array at all, which qsort_r may not be given */
	qsort_r(fr->keys, fr->nkeys, sizeof(*fr->keys), cmp_span, fr->arena);
	for (size_t i = 1; i < fr->nkeys; i++) {
		const struct span *a = &fr->keys[i - 1], *b = &fr->keys[i];

		if (a->len != b->len || memcmp(fr->arena + a->off, fr->arena + b->off, a->len))
			continue;
		key_error(s, s->depth - 1, fr->arena + b->off, b->len,
			  "the key is given twice in one object", err, errlen);
		return -1;
	}
	return 0;
}

static int push(struct scan *s, bool object)
{
	if (grow((void **)&s->f, &s->cap, s->depth + 1, sizeof(*s->f)))
		return -ENOMEM;
	s->f[s->depth++] = (struct frame){ .object = object };
	return 0;
}

static void pop(struct scan *s)
{
	struct frame *fr = &s->f[--s->depth];

	free(fr->arena);
	free(fr->keys);
}

/* After a string at text[i..]: is it a key (followed by ':')? */
static bool is_key(const char *text, size_t len, size_t i)
{
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
		i++;
	return i < len && text[i] == ':';
}

int json_keys_check(const char *text, size_t len, char *err, size_t errlen)
{
	struct scan s = { 0 };
	int rc = 0;

	for (size_t i = 0; i < len && !rc;) {
		switch (text[i]) {
		case '{':
		case '[':
			rc = push(&s, text[i++] == '{');
			break;
		case '}':
			if (s.depth && (rc = check_duplicates(&s, err, errlen)))
				break;
			/* fall through */
		case ']':
			if (s.depth)
				pop(&s);
			i++;
			break;
		case ',':
			if (s.depth && !s.f[s.depth - 1].object)
				s.f[s.depth - 1].index++;
			i++;
			break;
		case '"':
			rc = read_string(&s, text, len, &i);
			if (rc || !s.depth || !s.f[s.depth - 1].object || !is_key(text, len, i))
				break;
			if (s.slen && memchr(s.str, '\0', s.slen)) {
				key_error(&s, s.depth - 1, s.str, s.slen,
					  "a key may not hold a NUL character (\\u0000)", err, errlen);
				rc = -1;
				break;
			}
			rc = add_key(&s);
			break;
		default:
			i++;
			break;
		}
	}
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	while (s.depth)
		pop(&s);
	free(s.f);
	free(s.str);
	return rc ? -1 : 0;
}
