// SPDX-License-Identifier: MIT
/*
 * folded.c - the operation tree as folded stacks, the input of
 * flamegraph.pl, inferno and speedscope: one line per path,
 *
 *   pipeline;extract;parse_csv 179412
 *
 * the names from the root, then a space and the weight (enum
 * folded_weight: self time in microseconds by default). Lines with a zero
 * weight are left out, as the tools ignore them anyway. Names are bytes
 * from the traced process: a name holding the format's separators (';',
 * space, newline) or control bytes would forge other frames, so those
 * bytes, and backslashes, are written as "\xNN"; valid UTF-8 is kept.
 */
#include <errno.h>
#include <stdio.h>

#include "report/report.h"

static uint64_t weight(const struct path_node *n, enum folded_weight w)
{
	switch (w) {
	case FOLDED_CPU:
		return n->self_cpu_ns / 1000;
	case FOLDED_MEMORY:
		return n->self_mem_delta > 0 ? (uint64_t)n->self_mem_delta / 1024 : 0;
	case FOLDED_COUNT:
		return n->count;
	case FOLDED_TIME:
		break;
	}
	return n->self_ns / 1000;
}

/* Writes name with the bytes that would break the format escaped. */
static void put_name(FILE *f, const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == ';' || *p == ' ' || *p == '\\')
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

/* Writes the path of n (its ancestors are the nodes before it at lower
 * depths in the depth-first list). */
static void put_path(FILE *f, const struct path_tree *t, size_t at)
{
	const struct path_node *chain[64];
	size_t n = 0, depth = t->all[at]->depth + 1;

	for (size_t i = at + 1; i-- > 0 && n < depth && n < 64;)
		if (t->all[i]->depth == depth - n - 1)
			chain[n++] = t->all[i];
	while (n--) {
		put_name(f, chain[n]->name);
		if (n)
			fputc(';', f);
	}
}

int report_write_folded(const struct report_input *in, enum folded_weight w, FILE *f)
{
	if (!in || !f)
		return -EINVAL;
	for (size_t i = 0; i < in->tree.n; i++) {
		uint64_t v = weight(in->tree.all[i], w);

		if (!v)
			continue;
		put_path(f, &in->tree, i);
		fprintf(f, " %llu\n", (unsigned long long)v);
	}
	if (fflush(f) == EOF || ferror(f))
		return -EIO;
	return 0;
}
