/* SPDX-License-Identifier: MIT */
/*
 * pairs.h - USDT probes a program already has, taken as operations
 * (--probe PROVIDER:START:END[:NAME]): START opens an operation, END (or
 * any of its alternatives, END1,END2) closes the innermost one opened by
 * the same pair on the thread. The operation is named by string argument
 * N of START (NAME "argN", cut like any name), or by a fixed label (NAME
 * itself; START's probe name by default).
 */
#ifndef ETLTRACE_PAIRS_H
#define ETLTRACE_PAIRS_H

#include <stdbool.h>
#include <stddef.h>

#include "usdt/notes.h"

#define PAIRS_MAX 16
#define PAIR_ENDS_MAX 8
#define PAIR_TEXT_MAX 64

struct probe_pair {
	char provider[PAIR_TEXT_MAX];
	char start[PAIR_TEXT_MAX];
	char end[PAIR_ENDS_MAX][PAIR_TEXT_MAX];
	int nends;
	int name_arg;               /* N of argN (1-based); 0: the label */
	char label[PAIR_TEXT_MAX];  /* the operation's name when name_arg is 0 */
};

struct probe_pairs {
	struct probe_pair v[PAIRS_MAX]; /* pair number i + 1 is v[i] */
	int n;
};

/* Parses one --probe spec into pairs. Returns 0, or -EINVAL after writing
 * why into err (e.g. "expected PROVIDER:START:END[:NAME]"), -E2BIG when
 * there are PAIRS_MAX already. */
int pairs_parse(struct probe_pairs *pairs, const char *spec, char *err, size_t errlen);

/* The name of pair number `pair` (1...) when it is a label, else NULL. */
const char *pairs_label(const struct probe_pairs *pairs, unsigned int pair);

/* Appends to sites[*n...] (room for u->n more) the sites of u's notes that
 * belong to pairs: starts with their name argument (or the pair's number,
 * as a label) and ends, decoded for BPF. A start whose argN is missing or
 * not a pointer-sized unsigned value is left out and counted in *bad. */
void pairs_sites_of(const struct probe_pairs *pairs, const struct elf_usdt *u,
		    struct etl_site *sites, size_t *n, int *bad);

/* Whether u has START and at least one END of pair i (0-based). */
bool pairs_found(const struct probe_pairs *pairs, int i, const struct elf_usdt *u);

#endif /* ETLTRACE_PAIRS_H */
