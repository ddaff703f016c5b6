/* SPDX-License-Identifier: MIT */
/*
 * deliver.h - everything written when a trace ends: the report (text or
 * JSON, to stdout or -o FILE), the comparison with --baseline, and the
 * --save-baseline file; and the same writing for `etltrace compare`.
 * Files are written atomically (output.h).
 */
#ifndef ETLTRACE_DELIVER_H
#define ETLTRACE_DELIVER_H

#include <stdbool.h>
#include <stdio.h>

#include "report/comparison.h"
#include "cli/options.h"
#include "report/report.h"

/* Refuses, before any tracing, output paths (-o, --save-baseline) that
 * cannot be written safely (a symbolic link, a directory) and output for a
 * closed stdout; `what` names the -o output ("the report"). Prints one line
 * and returns ETL_EXIT_OUTPUT, or returns 0. */
int deliver_check(const struct options *o, const char *what, bool stdout_closed);

/* Writes what one trace produced. in->cmp is set (to a comparison that
 * lives until the call returns) when base is not NULL. Stores the number
 * of regressions in *nregressions. Returns 0 or an exit code after printing
 * one line per failure: ETL_EXIT_OUTPUT if a file could not be written,
 * ETL_EXIT_FAILURE on allocation failure. */
int deliver_report(const struct options *o, struct report_input *in, const struct perf_ops *base,
		   bool stdout_closed, size_t *nregressions);

/* Writes a file with writer(ctx, f): path NULL = stdout (stdout_closed then
 * fails it). `what` names it in the error line ("the report"). Returns 0 or
 * ETL_EXIT_OUTPUT after printing one line. */
int deliver_file(const char *path, const char *what, bool stdout_closed,
		 int (*writer)(void *ctx, FILE *f), void *ctx);

#endif /* ETLTRACE_DELIVER_H */
