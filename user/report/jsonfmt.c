// SPDX-License-Identifier: MIT
/* jsonfmt.c - see jsonfmt.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/jsonfmt.h"
#include "util/names.h"

/* Writes v into buf[REAL_MAX] as Python's repr writes a float: the
 * shortest decimal that reads back as exactly v ("0.3", "2000.0",
 * "5.75e-07"), in fixed notation unless its exponent is below -4 or at
 * least 16, with ".0" on integral values so the number stays a float for
 * JSON readers; 0.0 for -0.0 and for non-finite values, which JSON cannot
 * carry. */
#define REAL_MAX 40
static void real_text(char *buf, double v)
{
	int prec, exp;

	if (!isfinite(v) || v == 0.0)
		v = 0.0;
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, REAL_MAX, "%.*e", prec - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, REAL_MAX, "%.*e", prec - 1, v);
	exp = atoi(strchr(buf, 'e') + 1);
	if (exp < -4 || exp >= 16) {
		snprintf(buf, REAL_MAX, "%.*g", prec, v);
		return;
	}
	snprintf(buf, REAL_MAX, "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, v);
	if (!strchr(buf, '.'))
		strcat(buf, ".0");
}

struct json_object *json_real(double v)
{
	char text[REAL_MAX];

	real_text(text, v);
	return json_object_new_double_s(strtod(text, NULL), text);
}

int json_put(struct json_object *obj, const char *key, struct json_object *val)
{
	if (!val)
		return -ENOMEM;
	if (json_object_object_add(obj, key, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

int json_append(struct json_object *arr, struct json_object *val)
{
	if (!val)
		return -ENOMEM;
	if (json_object_array_add(arr, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

struct json_object *json_name(const char *raw)
{
	char *text = name_to_utf8(raw);
	struct json_object *s = text ? json_object_new_string(text) : NULL;

	free(text);
	return s;
}

void json_stream_begin(struct json_stream *js, FILE *f, bool compact)
{
	*js = (struct json_stream){ .f = f, .compact = compact };
}

void json_stream_fail(struct json_stream *js, int err)
{
	if (!js->err)
		js->err = err;
}

static void indent(struct json_stream *js, int level)
{
	for (int i = 0; i < level; i++)
		fputs("  ", js->f);
}

/* Writes `text` (a serialization at json-c's level 0) so that its lines
 * after the first are indented as if it were serialized at js->level. */
static void put_text(struct json_stream *js, const char *text)
{
	for (const char *nl; (nl = strchr(text, '\n')); text = nl + 1) {
		fwrite(text, 1, (size_t)(nl - text) + 1, js->f);
		indent(js, js->level);
	}
	fputs(text, js->f);
}

/* Bytes json-c escapes in a string (with JSON_C_TO_STRING_NOSLASHESCAPE). */
static const char needs_escape[] = "\"\\"
				   "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
				   "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f";

/* Separator and indent before a member, then "key": if key. */
static int member_start(struct json_stream *js, const char *key)
{
	struct json_object *k;
	const char *text;

	if (js->level == 0)
		return 0; /* the document itself */
	if (js->members)
		fputs(js->compact ? "," : ",\n", js->f);
	if (!js->compact)
		indent(js, js->level);
	js->members = true;
	if (!key)
		return 0;
	if (!key[strcspn(key, needs_escape)]) { /* as json-c would write it */
		fprintf(js->f, "\"%s\":", key);
		return 0;
	}
	k = json_object_new_string(key);
	text = k ? json_object_to_json_string_ext(k, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
	if (text) {
		fputs(text, js->f);
		fputc(':', js->f);
	}
	json_object_put(k);
	return text ? 0 : -ENOMEM;
}

void json_stream_open(struct json_stream *js, const char *key, char bracket)
{
	if (js->err)
		return;
	js->err = member_start(js, key);
	fputc(bracket, js->f);
	if (!js->compact)
		fputc('\n', js->f); /* json-c's pretty form: even when empty */
	js->level++;
	js->members = false;
}

void json_stream_close(struct json_stream *js, char bracket)
{
	if (js->err)
		return;
	js->level--;
	if (js->members && !js->compact)
		fputc('\n', js->f);
	if (!js->compact)
		indent(js, js->level);
	fputc(bracket, js->f);
	js->members = true;
}

void json_stream_put(struct json_stream *js, const char *key, struct json_object *val)
{
	const char *text;

	if (!js->err && !val)
		js->err = -ENOMEM;
	if (!js->err)
		js->err = member_start(js, key);
	if (!js->err) {
		text = json_object_to_json_string_ext(val, (js->compact ? JSON_C_TO_STRING_PLAIN
									: JSON_C_TO_STRING_PRETTY) |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
		if (text)
			put_text(js, text);
		else
			js->err = -ENOMEM;
	}
	json_object_put(val);
}

int json_stream_end(struct json_stream *js)
{
	if (!js->err && (fputc('\n', js->f) == EOF || fflush(js->f) == EOF || ferror(js->f)))
		js->err = -EIO;
	return js->err;
}

void json_stream_real(struct json_stream *js, const char *key, double v)
{
	char text[REAL_MAX];

	if (!js->err)
		js->err = member_start(js, key);
	if (js->err)
		return;
	real_text(text, v);
	fputs(text, js->f);
}

void json_stream_u64(struct json_stream *js, const char *key, uint64_t v)
{
	if (!js->err)
		js->err = member_start(js, key);
	if (!js->err)
		fprintf(js->f, "%llu", (unsigned long long)v);
}

int report_json_print(struct json_object *root, FILE *f)
{
	const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!text)
		return -ENOMEM;
	if (fputs(text, f) == EOF || fputc('\n', f) == EOF || fflush(f) == EOF || ferror(f))
		return -EIO;
	return 0;
}
