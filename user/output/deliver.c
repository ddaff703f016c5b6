// SPDX-License-Identifier: MIT
/* deliver.c - see deliver.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/diag.h"
#include "output/deliver.h"
#include "util/names.h"
#include "output/outfile.h"

#define LISTED_REGRESSIONS 5

/* Prints "etltrace: cannot write WHAT to PATH: REASON". */
static void write_error(const char *what, const char *path, int err)
{
	char *p = path ? name_for_terminal(path) : NULL;
	const char *why = strerror(-err);

	if (err == -ELOOP)
		why = "it is a symbolic link (refused: give the file it points to)";
	else if (err == -EISDIR)
		why = "it is a directory";
	diag("cannot write %s to %s: %s", what, path ? (p ? p : "?") : "stdout", why);
	free(p);
}

static int check_path(const char *path, const char *what)
{
	struct stat st;

	if (!path || lstat(path, &st))
		return 0; /* absent: created at the end; other errors show then */
	if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode)) {
		write_error(what, path, S_ISLNK(st.st_mode) ? -ELOOP : -EISDIR);
		return S_ISLNK(st.st_mode) ? -ELOOP : -EISDIR;
	}
	return 0;
}

int deliver_check(const struct report_settings *rs, const char *what)
{
	if (!rs->output && rs->stdout_closed) {
		diag("cannot write %s to stdout: it is closed (give -o FILE)", what);
		return -EBADF;
	}
	return check_path(rs->output, what) ?: check_path(rs->save_baseline, "the baseline");
}

int deliver_file(const char *path, const char *what, bool stdout_closed,
		 int (*writer)(void *ctx, FILE *f), void *ctx)
{
	struct out_file out;
	int err;

	if (!path && stdout_closed) {
		write_error(what, NULL, -EBADF);
		return -EBADF;
	}
	err = out_open(&out, path);
	if (!err) {
		errno = 0;
		err = writer(ctx, out.f);
		if (err == -EIO && errno) /* the writer's failed fflush says why */
			err = -errno;
		if (err)
			out_abort(&out);
		else
			err = out_commit(&out);
	}
	if (err)
		write_error(what, path, err);
	return err;
}

static int write_text(void *ctx, FILE *f)
{
	return report_write_text(ctx, f);
}

static int write_json(void *ctx, FILE *f)
{
	return report_write_json(ctx, f);
}

/* One line on stderr naming the first regressions, for CI logs. */
static void announce(const struct comparison *c, const char *baseline)
{
	char *b = name_for_terminal(baseline), *list = NULL;
	size_t shown = 0, len = 0;
	FILE *f = open_memstream(&list, &len);

	for (size_t i = 0; f && i < c->nrows && shown < LISTED_REGRESSIONS; i++) {
		char *n;

		if (!c->rows[i].regression)
			continue;
		n = name_for_terminal(c->rows[i].name);
		if (c->rows[i].has_ratio)
			fprintf(f, "%s %s (%.2fx)", shown ? "," : "", n ? n : "?", c->rows[i].ratio);
		else
			fprintf(f, "%s %s", shown ? "," : "", n ? n : "?");
		free(n);
		shown++;
	}
	if (f)
		fclose(f);
	diag("%zu operation%s regressed against %s (avg_time > %g x baseline):%s%s",
	     c->nregressions, c->nregressions == 1 ? "" : "s", b ? b : "?", c->factor,
	     list ? list : "", c->nregressions > shown ? ", ..." : "");
	free(list);
	free(b);
}

int deliver_report(const struct report_settings *rs, double factor, struct report_input *in,
		   const struct perf_ops *base, size_t *nregressions)
{
	struct perf_ops cur = { 0 };
	struct comparison cmp = { 0 };
	int err;

	/* Both reports are streamed from the statistics (report.h): no copy of
	 * the whole report is ever built, so writing it costs little memory. */
	*nregressions = 0;
	in->cmp = NULL;
	err = report_prepare(in);
	if (!err && base) {
		err = report_perf_ops(in, &cur) ?: comparison_build(base, &cur, factor, &cmp);
		in->cmp = &cmp;
	}
	if (err) {
		diag("out of memory while writing the report");
		goto cleanup;
	}
	err = deliver_file(rs->output, "the report", rs->stdout_closed,
			   rs->format == FORMAT_JSON ? write_json : write_text, in);
	if (rs->save_baseline)
		err = deliver_file(rs->save_baseline, "the baseline", false, write_json, in) ?: err;
	if (cmp.nregressions)
		announce(&cmp, rs->baseline);
	*nregressions = cmp.nregressions;
cleanup:
	in->cmp = NULL;
	report_release(in);
	comparison_free(&cmp);
	perf_ops_free(&cur);
	return err;
}
