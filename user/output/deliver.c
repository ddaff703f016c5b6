// SPDX-License-Identifier: MIT
/* deliver.c - see deliver.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/diag.h"
#include "output/deliver.h"
#include "util/names.h"
#include "output/outfile.h"

#define LISTED_REGRESSIONS 5

/* Prints "etltrace: cannot write WHAT to PATH: REASON", REASON why or else
 * err's text; when PATH is standard output (/dev/stdout), how to write
 * there instead. */
static void write_error(const char *what, const char *path, int err, const char *why)
{
	char *p = path ? name_for_terminal(path) : NULL;

	if (path && strcmp(what, "the baseline") && out_is_fd(path, STDOUT_FILENO))
		diag("cannot write %s to %s: it is standard output, where %s goes without -o "
		     "(only regular files are given with -o)", what, p ? p : "?", what);
	else
		diag("cannot write %s to %s: %s", what, path ? (p ? p : "?") : "stdout",
		     why && *why ? why
		     : err == -EBADF && !path ? "it is closed (give -o FILE)" : strerror(-err));
	free(p);
}

/* out_check for path (if any), with one line on failure. */
static int check_path(const char *path, const char *what)
{
	char why[OUT_WHY_MAX] = "";
	int err = path ? out_check(path, why, sizeof(why)) : 0;

	if (err)
		write_error(what, path, err, why);
	return err;
}

int deliver_check(const struct report_settings *rs, const char *what)
{
	if (!rs->output && rs->stdout_closed) {
		write_error(what, NULL, -EBADF, NULL);
		return -EBADF;
	}
	return check_path(rs->output, what) ?: check_path(rs->save_baseline, "the baseline") ?:
	       check_path(rs->timeline, "the timeline") ?: check_path(rs->html, "the HTML report");
}

int deliver_file(const char *path, const char *what, bool stdout_closed,
		 int (*writer)(void *ctx, FILE *f), void *ctx)
{
	char why[OUT_WHY_MAX] = "";
	struct out_file out;
	int err;

	if (!path && stdout_closed) {
		write_error(what, NULL, -EBADF, NULL);
		return -EBADF;
	}
	err = out_open(&out, path, why, sizeof(why));
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
		write_error(what, path, err, why);
	return err;
}

static int write_json(void *ctx, FILE *f)
{
	return report_write_json(ctx, false, f);
}

/* The report as --format says, for deliver_file. */
struct formatted {
	const struct report_settings *rs;
	const struct report_input *in;
	bool compact;
};

static int write_formatted(void *ctx, FILE *f)
{
	const struct formatted *x = ctx;

	switch (x->rs->format) {
	case FORMAT_JSON:
		return report_write_json(x->in, x->compact, f);
	case FORMAT_FOLDED:
		return report_write_folded(x->in, x->rs->weight, f);
	case FORMAT_TEXT:
		break;
	}
	return report_write_text(x->in, f);
}

int deliver_to(const struct report_settings *rs, const struct report_input *in, FILE *stream)
{
	struct formatted x = { rs, in, true };
	int err = write_formatted(&x, stream);

	if (!err && (fflush(stream) == EOF || ferror(stream)))
		err = -EIO;
	return err;
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
		   const struct perf_ops *base, FILE *stream, size_t *nregressions)
{
	struct formatted x = { rs, in, stream != NULL };
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
	if (stream) {
		err = deliver_to(rs, in, stream);
		if (err)
			diag("cannot write the report to %s: %s", rs->output ? rs->output : "stdout",
			     strerror(-err));
	} else {
		err = deliver_file(rs->output, "the report", rs->stdout_closed, write_formatted, &x);
	}
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
