// SPDX-License-Identifier: MIT
/*
 * mkpage.c - writes an HTML report page from saved files with html_write,
 * for the browser test (until etltrace itself writes --html from a trace).
 *
 *   mkpage REPORT.json [TIMELINE.json] > page.html
 *
 * Exit status: 0, 1 when a file cannot be read or the page written, 2 bad
 * usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"

/* The whole of path in a malloc'd buffer (*len bytes), or NULL. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)size + 1)) && fread(buf, 1, (size_t)size, f) == (size_t)size) {
		*len = (size_t)size;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	char *report = NULL, *timeline = NULL;
	size_t rlen = 0, tlen = 0;
	int err, status = 1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: mkpage REPORT.json [TIMELINE.json] > page.html\n");
		return 2;
	}
	report = slurp(argv[1], &rlen);
	if (!report) {
		fprintf(stderr, "mkpage: cannot read %s: %s\n", argv[1], strerror(errno));
		goto cleanup;
	}
	if (argc == 3 && !(timeline = slurp(argv[2], &tlen))) {
		fprintf(stderr, "mkpage: cannot read %s: %s\n", argv[2], strerror(errno));
		goto cleanup;
	}
	err = html_write(stdout, report, rlen, timeline, tlen);
	if (!err && fflush(stdout) != 0)
		err = -EIO;
	if (err) {
		fprintf(stderr, "mkpage: cannot write the page: %s\n", strerror(-err));
		goto cleanup;
	}
	status = 0;
cleanup:
	free(report);
	free(timeline);
	return status;
}
