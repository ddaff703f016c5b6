/* SPDX-License-Identifier: MIT */
/*
 * trace.h - one trace from start to report: checks, targets, attach, the
 * run loop, the end of the trace and the report.
 */
#ifndef ETLTRACE_TRACE_H
#define ETLTRACE_TRACE_H

#include "cli/options.h"

/* Runs the trace described by o. Diagnostics go to stderr, one line per
 * failure; the report to -o FILE or stdout. Returns the exit code (enum
 * etl_exit, or the command's own status with -- CMD). Nothing stays
 * attached when it returns, and no process it stopped stays stopped. */
int trace_run(const struct options *o);

#endif /* ETLTRACE_TRACE_H */
