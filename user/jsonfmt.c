// SPDX-License-Identifier: MIT
/* jsonfmt.c - see jsonfmt.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonfmt.h"
#include "names.h"

struct json_object *json_fixed(double v, int decimals)
{
	struct json_object *num = NULL;
	char *text = NULL, *end;

	if (!isfinite(v))
		v = 0.0;
	if (asprintf(&text, "%.*f", decimals, v) < 0)
		return NULL;
	end = text + strlen(text) - 1;
	while (*end == '0' && end[-1] != '.')
		*end-- = '\0';
	v = strtod(text, NULL);
	if (v == 0.0) /* also turns "-0.0" into "0.0" */
		num = json_object_new_double_s(0.0, "0.0");
	else
		num = json_object_new_double_s(v, text);
	free(text);
	return num;
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
