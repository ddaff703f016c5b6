/* SPDX-License-Identifier: MIT */
/*
 * deliver.h - everything written when a trace ends: the report (text or
 * JSON, to stdout or -o FILE), the comparison with --baseline, and the
 * --save-baseline file; and the same writing for `etltrace compare`.
 * Files are written atomically and safely (outfile.h).
 */
#ifndef ETLTRACE_DELIVER_H
#define ETLTRACE_DELIVER_H

#include <stdbool.h>
#include <stdio.h>

#include "report/comparison.h"
#include "report/report.h"

enum report_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_FOLDED };

/* Where and how a run's report is written. */
struct report_settings {
	enum report_format format;
	const char *output;        /* -o FILE; NULL: stdout */
	const char *save_baseline; /* --save-baseline FILE, or NULL */
	const char *baseline;      /* --baseline FILE (compared with), or NULL */
	const char *timeline;      /* --timeline FILE, or NULL */
	const char *html;          /* --html FILE, or NULL */
	bool tree;                 /* --tree (text) */
	bool wide;                 /* --wide (text) */
	enum folded_weight weight; /* --folded-weight */
	bool stdout_closed;        /* fd 1 was closed when etltrace started */
};

/* Refuses, before any tracing, output paths (-o, --save-baseline) that
 * could not be written at the end (out_check: a missing or unwritable
 * directory, a symbolic link another user could have planted, anything but
 * a regular file) and output for a closed stdout; `what` names the -o
 * output ("the report"). Prints one line and returns a negative errno, or
 * returns 0. */
int deliver_check(const struct report_settings *rs, const char *what);

/* Writes what one trace produced: the report (prepared here, see
 * report_prepare) to -o FILE (atomically) or stdout, or, when stream is
 * not NULL, appended to it (-i: JSON then on one line), the comparison
 * with base when base is not NULL (in->cmp then points to it until the call
 * returns, with avg_time above factor x the baseline's a regression), and
 * the --save-baseline file. Stores the number of regressions in
 * *nregressions. Returns 0 or a negative errno after printing one line per
 * failure (-ENOMEM: out of memory; anything else: a file not written). */
int deliver_report(const struct report_settings *rs, double factor, struct report_input *in,
		   const struct perf_ops *base, FILE *stream, size_t *nregressions);

/* Writes a prepared report to stream as rs->format says (JSON on one
 * line) and flushes it. Returns 0 or a negative errno (nothing said). */
int deliver_to(const struct report_settings *rs, const struct report_input *in, FILE *stream);

/* Writes a file with writer(ctx, f): path NULL = stdout (stdout_closed then
 * fails it). `what` names it in the error line ("the report"). Returns 0 or
 * a negative errno after printing one line. */
int deliver_file(const char *path, const char *what, bool stdout_closed,
		 int (*writer)(void *ctx, FILE *f), void *ctx);

#endif /* ETLTRACE_DELIVER_H */
