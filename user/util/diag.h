/* SPDX-License-Identifier: MIT */
/* diag.h - etltrace's diagnostics on stderr. */
#ifndef ETLTRACE_DIAG_H
#define ETLTRACE_DIAG_H

/* Writes "etltrace: MESSAGE\n" to stderr in a single write, so that a line
 * is never interleaved with the traced command's own output. */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* ETLTRACE_DIAG_H */
