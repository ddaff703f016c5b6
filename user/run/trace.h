/* SPDX-License-Identifier: MIT */
/*
 * session.h - one trace from start to report: checks, targets, attach,
 * the drain loop, the end of the trace and the report.
 */
#ifndef ETLTRACE_SESSION_H
#define ETLTRACE_SESSION_H

#include "cli/options.h"

/* Runs the trace described by o. Diagnostics go to stderr, one line per
 * failure; the report to o->output or stdout. Returns the exit code
 * (enum etl_exit, or the command's own status with -- CMD). Nothing stays
 * attached when it returns. */
int session_run(const struct options *o);

#endif /* ETLTRACE_SESSION_H */
