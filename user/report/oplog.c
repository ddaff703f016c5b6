// SPDX-License-Identifier: MIT
/* oplog.c - see oplog.h. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/outfile.h"
#include "util/names.h"
#include "report/oplog.h"
#include "report/units.h"

int oplog_open(struct oplog *l, const char *path, const char *const *filters, size_t nfilters,
	       char *why, size_t whylen)
{
	int fd;

	memset(l, 0, sizeof(*l));
	l->filters = filters;
	l->nfilters = nfilters;
	if (!path) {
		l->f = stderr;
		return 0;
	}
	fd = out_open_append(path, why, whylen);
	if (fd < 0)
		return fd;
	l->f = fdopen(fd, "a");
	if (!l->f) {
		int err = -errno;

		snprintf(why, whylen, "%s", strerror(-err));
		close(fd);
		return err;
	}
	l->own = true;
	return 0;
}

int oplog_write_line(FILE *f, const char *name, const struct op_sample *s)
{
	double mb = (double)s->mem_delta / BYTES_PER_MB;
	char *shown = name_for_terminal(name), mem[48];
	int rc = 0;

	if (!shown)
		return -ENOMEM;
	snprintf(mem, sizeof(mem), "%.1f", fabs(mb));
	if (fprintf(f, "INFO:etl.profiler:%s: %.2fs, Memory: %c%sMB\n", shown,
		    sec_of_ns((double)s->duration_ns), mb < 0 && strcmp(mem, "0.0") ? '-' : '+', mem) < 0)
		rc = -EIO;
	free(shown);
	return rc;
}

static bool wanted(const struct oplog *l, const char *name)
{
	if (l->nfilters == 0)
		return true;
	for (size_t i = 0; i < l->nfilters; i++)
		if (!strcmp(l->filters[i], name))
			return true;
	return false;
}

void oplog_hook(void *ctx, const char *name, const struct op_sample *s)
{
	struct oplog *l = ctx;

	if (l->stopped || s->unfinished || !wanted(l, name))
		return;
	if (oplog_write_line(l->f, name, s) == 0)
		l->lines++;
}

int oplog_flush(struct oplog *l)
{
	int err;

	if (l->stopped || !l->f)
		return 0;
	errno = 0;
	if (fflush(l->f) == 0 && !ferror(l->f))
		return 0;
	err = errno ? -errno : -EIO;
	l->error = err;
	l->stopped = true;
	return err;
}

int oplog_close(struct oplog *l)
{
	int err = oplog_flush(l);

	if (l->own && l->f) {
		if (fclose(l->f) && !err && !l->stopped)
			err = -errno;
		if (err && !l->error)
			l->error = err;
	}
	l->f = NULL;
	l->own = false;
	return err;
}
