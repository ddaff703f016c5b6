/* SPDX-License-Identifier: MIT */
/*
 * args.h - decode the argument string of a USDT note (x86-64 AT&T
 * operands as emitted by <sys/sdt.h>) into locations BPF can read.
 */
#ifndef ETLTRACE_ARGS_H
#define ETLTRACE_ARGS_H

#include "etltrace.h"

/* Parses args, e.g. "8@%rax -4@-20(%rbp) 8@$1000", into spec: the first
 * ETL_USDT_ARGS arguments are decoded, nargs counts them all. Accepted
 * operands: %reg, $const, off(%reg), (%reg), for the general-purpose
 * registers and their 32/16/8-bit low parts; sizes 1, 2, 4, 8 (negative
 * for signed). Returns 0, or -EINVAL for anything else (a symbol-relative
 * operand such as sym(%rip), a high-byte register, a bad size). */
int usdt_parse_args(const char *args, struct etl_usdt_spec *spec);

/* Decodes argument n (0-based) of args into *out, and counts them all in
 * *nargs. Returns 0, -ENOENT if there are not n + 1 arguments, or -EINVAL
 * when args cannot be decoded. */
int usdt_parse_arg(const char *args, unsigned int n, struct etl_usdt_arg *out,
		   unsigned int *nargs);

#endif /* ETLTRACE_ARGS_H */
