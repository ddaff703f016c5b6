/* SPDX-License-Identifier: MIT */
/*
 * outfile.h - opening output files safely when running as root: reports,
 * baselines and comparisons, written whole to a temporary file in the same
 * directory, flushed to disk, then renamed over the final path (readers see
 * the old file or the complete new one, never a truncated one); and the
 * --log file, appended to.
 *
 * Paths:
 *   - the directories are resolved under safepath.h's rule: a symbolic link
 *     another user could have planted is refused, naming it;
 *   - the last component is never followed: a symbolic link there is
 *     refused whoever owns it (nothing is written through it, nor is it
 *     replaced);
 *   - only regular files are outputs: an existing directory, FIFO, socket
 *     or device is refused, and the log is opened non-blocking, so that a
 *     FIFO swapped in at the last moment can neither block etltrace nor
 *     hand its output to a reader (it is refused once open, unwritten).
 *     Standard output is written by giving no path.
 * Permissions: a new file gets 0666 & ~umask, owned by etltrace's user; a
 * replaced file's permission bits are kept without set-user-ID, set-group-ID,
 * sticky and world-write bits (a file planted with mode 06777 does not make
 * root's report set-uid or writable by all), and never its owner.
 */
#ifndef ETLTRACE_OUTPUT_H
#define ETLTRACE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Room for a reason written by these functions. */
#define OUT_WHY_MAX 1024

struct out_file {
	FILE *f;     /* write here */
	int dirfd;   /* the final path's directory, -1 for stdout */
	char *base;  /* the final path's name in dirfd (owned), NULL for stdout */
	char *tmp;   /* the temporary file's name in dirfd (owned) */
};

/* Checks, before a long run, that path can be written at the end: its
 * directories resolve under the rule above, its directory can be written
 * by us, and the path itself is absent or a regular file. Returns 0, or a
 * negative errno after writing into why a reason that names the problem
 * and what to do (without the path itself, escaped for the terminal). */
int out_check(const char *path, char *why, size_t whylen);

/* Prepares to write path, or stdout if path is NULL: the checks of
 * out_check, then the temporary file. Returns 0, or a negative errno after
 * writing a reason into why, as out_check. */
int out_open(struct out_file *o, const char *path, char *why, size_t whylen);

/* Flushes, syncs and closes, then renames the temporary file over the final
 * path and syncs the directory. Returns 0 or a negative errno; on error the
 * temporary file is removed and the final path is as it was. Releases o in
 * every case. */
int out_commit(struct out_file *o);

/* Abandons the output: removes the temporary file, releases o. */
void out_abort(struct out_file *o);

/* Opens path to write a stream of reports into (-i), as out_open_append
 * opens it, then emptied. Returns 0 with *f set, or a negative errno after
 * writing a reason into why. */
int out_open_stream(FILE **f, const char *path, char *why, size_t whylen);

/* Opens path for appending (created 0666 & ~umask if absent), under the
 * same rules, without blocking; in a directory others can write, an
 * existing file must also be owned by root or us and have no other hard
 * link (else it may be another user's, or a link to a file of root's).
 * Returns the descriptor (blocking mode, close-on-exec), or a negative
 * errno after writing a reason into why. */
int out_open_append(const char *path, char *why, size_t whylen);

/* True if path is a symbolic link to the file open at fd: "/dev/stdout",
 * "/dev/fd/1" and the like, to say how standard output or error is written
 * instead. */
bool out_is_fd(const char *path, int fd);

/* Makes sure fds 0, 1 and 2 are open (on /dev/null if they were closed), so
 * that no file etltrace opens later lands on them. Returns true if fd 1
 * (stdout) was closed: a report for stdout must then fail. */
bool out_guard_stdio(void);

#endif /* ETLTRACE_OUTPUT_H */
