/* SPDX-License-Identifier: MIT */
/*
 * oplog.h - live log lines (--log): one line per completed operation, as the
 * seed profiler logs through Python's logging module:
 *
 *   INFO:etl.profiler:data_processing: 2.34s, Memory: +15.2MB
 *
 * Seconds with 2 decimals, the net RSS delta in MB (MiB) with 1 decimal and
 * an explicit sign ("+0.0MB" for anything that rounds to zero). The name
 * goes through name_for_terminal, so a line is one line of printable text
 * whatever the traced process names its operations. Unfinished operations
 * (still open when the trace ends) are not logged.
 */
#ifndef ETLTRACE_OPLOG_H
#define ETLTRACE_OPLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "collect/stats.h"

struct oplog {
	FILE *f;                    /* stderr, or the log file */
	bool own;                   /* f was opened here */
	const char *const *filters; /* only these names (raw bytes); none = all */
	size_t nfilters;
	int error;                  /* first write error (negative errno), sticky */
	bool stopped;               /* after an error nothing more is written */
	uint64_t lines;             /* lines written */
};

/* Opens the log: stderr if path is NULL, otherwise path opened for appending
 * by out_open_append (outfile.h: created 0666 & ~umask, regular files only,
 * no symbolic link another user could have planted). filters (not copied)
 * must outlive l. Returns 0, or a negative errno after writing a reason
 * into why (OUT_WHY_MAX bytes are enough). */
int oplog_open(struct oplog *l, const char *path, const char *const *filters, size_t nfilters,
	       char *why, size_t whylen);

/* Writes the line of one operation to f (without filtering). Returns 0, or
 * -EIO if f reported an error, -ENOMEM. */
int oplog_write_line(FILE *f, const char *name, const struct op_sample *s);

/* intake_hook_fn: ctx is a struct oplog. Logs a finished operation whose
 * name passes the filters; buffered until oplog_flush. */
void oplog_hook(void *ctx, const char *name, const struct op_sample *s);

/* Flushes what was logged. Returns a negative errno the first time writing
 * fails (logging then stops; l->error keeps it), else 0. */
int oplog_flush(struct oplog *l);

/* Flushes and closes what oplog_open opened. Returns like oplog_flush. */
int oplog_close(struct oplog *l);

#endif /* ETLTRACE_OPLOG_H */
