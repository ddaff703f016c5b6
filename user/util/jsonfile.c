// SPDX-License-Identifier: MIT
/* jsonfile.c - see jsonfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/jsonfile.h"
#include "util/jsonkeys.h"
#include "util/names.h"

/* Reads up to max + 1 bytes of fd into a NUL-terminated malloc'd buffer.
 * Returns 0, -EFBIG when there are more than max, or -errno. */
static int read_all(int fd, size_t max, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1), *grown;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap > max) {
				err = -EFBIG;
				break;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			grown = realloc(buf, cap + 1);
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			buf = grown;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (!err && n > max)
		err = -EFBIG;
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int json_load_file(const char *path, size_t max_bytes, struct json_object **out, char *err,
		   size_t errlen)
{
	struct json_tokener *tok = NULL;
	struct json_object *doc = NULL;
	char *text = NULL;
	size_t len = 0, valid;
	int fd, rc = -1, e;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot read it: %s", strerror(errno));
		return -1;
	}
	e = read_all(fd, max_bytes, &text, &len);
	close(fd);
	if (e == -EFBIG) {
		snprintf(err, errlen, "larger than %zu bytes", max_bytes);
		goto cleanup;
	}
	if (e) {
		snprintf(err, errlen, "cannot read it: %s", strerror(-e));
		goto cleanup;
	}
	/* json-c's own check takes overlong forms, surrogates and code points
	 * above U+10FFFF (json-c 0.16): keys would not be valid UTF-8. A NUL
	 * byte is refused by the parse below. */
	valid = name_utf8_valid_len(text);
	if (valid < len && text[valid]) {
		snprintf(err, errlen, "not valid JSON: %s at byte %zu",
			 json_tokener_error_desc(json_tokener_error_parse_utf8_string), valid);
		goto cleanup;
	}
	if (len > 0x7ffffffe || !(tok = json_tokener_new())) {
		snprintf(err, errlen, "cannot parse it: %s", strerror(ENOMEM));
		goto cleanup;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	/* The terminating NUL is passed too: it ends a top-level number. */
	doc = json_tokener_parse_ex(tok, text, (int)len + 1);
	if (!doc || json_tokener_get_parse_end(tok) < len) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		snprintf(err, errlen, "not valid JSON: %s at byte %zu",
			 len == 0 ? "empty file"
			 : je == json_tokener_success ? "NUL byte"
						      : json_tokener_error_desc(je),
			 json_tokener_get_parse_end(tok));
		goto cleanup;
	}
	/* json-c would have cut a key at a NUL and kept one of two equal keys. */
	if (json_keys_check(text, len, err, errlen))
		goto cleanup;
	*out = doc;
	doc = NULL;
	rc = 0;
cleanup:
	json_object_put(doc);
	if (tok)
		json_tokener_free(tok);
	free(text);
	return rc;
}

int json_number(struct json_object *o, double *v)
{
	if (!json_object_is_type(o, json_type_double) && !json_object_is_type(o, json_type_int))
		return 0;
	*v = json_object_get_double(o);
	return 1;
}
