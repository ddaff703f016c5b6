/* SPDX-License-Identifier: MIT */
/*
 * output.h - writing a whole report or baseline file safely: to a temporary
 * file in the same directory, flushed to disk, then renamed over the final
 * path, so readers see the old file or the complete new one, never a
 * truncated one. A final path that is a symbolic link is refused (the link
 * is never followed nor replaced); a directory is refused; an existing
 * non-regular file (a FIFO, /dev/stdout, /dev/full) cannot be replaced and
 * is written in place, opened with O_NOFOLLOW. Symbolic links among the
 * parent directories are followed as usual.
 */
#ifndef ETLTRACE_OUTPUT_H
#define ETLTRACE_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

struct out_file {
	FILE *f;     /* write here */
	char *path;  /* final path (owned), NULL for stdout */
	char *tmp;   /* temporary path (owned), NULL when written in place */
};

/* Prepares to write path, or stdout if path is NULL. The temporary file
 * gets the mode of the file it replaces, or 0666 & ~umask. Returns 0, or
 * -ELOOP (a symbolic link), -EISDIR, or another negative errno. */
int out_open(struct out_file *o, const char *path);

/* Flushes, syncs and closes, then renames the temporary file over the final
 * path and syncs the directory. Returns 0 or a negative errno; on error the
 * temporary file is removed and the final path is as it was (a file written
 * in place may hold part of the output). Releases o in every case. */
int out_commit(struct out_file *o);

/* Abandons the output: removes the temporary file, releases o. */
void out_abort(struct out_file *o);

/* Opens path to write a stream of reports into (-i): created or truncated,
 * never through a symbolic link, never blocking, a regular file only.
 * Returns 0 with *f set, or a negative errno. */
int out_open_stream(FILE **f, const char *path);

/* Makes sure fds 0, 1 and 2 are open (on /dev/null if they were closed), so
 * that no file etltrace opens later lands on them. Returns true if fd 1
 * (stdout) was closed: a report for stdout must then fail. */
bool out_guard_stdio(void);

#endif /* ETLTRACE_OUTPUT_H */
