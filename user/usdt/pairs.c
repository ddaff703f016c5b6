// SPDX-License-Identifier: MIT
/* pairs.c - --probe pairs, see pairs.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usdt/args.h"
#include "usdt/pairs.h"

/* Copies the field [s, e) into dst; false if empty or too long. */
static bool field(char *dst, const char *s, const char *e)
{
	size_t len = (size_t)(e - s);

	if (!len || len >= PAIR_TEXT_MAX || memchr(s, ',', len))
		return false;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return true;
}

int pairs_parse(struct probe_pairs *pairs, const char *spec, char *err, size_t errlen)
{
	struct probe_pair p = { 0 };
	const char *f[5], *s = spec;
	int nf = 0;

	if (pairs->n >= PAIRS_MAX) {
		snprintf(err, errlen, "at most %d --probe pairs", PAIRS_MAX);
		return -E2BIG;
	}
	f[nf++] = s;
	while (nf < 5 && (s = strchr(s, ':')))
		f[nf++] = ++s;
	if (nf < 3 || nf > 4 || strchr(f[nf - 1], ':'))
		goto bad;
	if (!field(p.provider, f[0], f[1] - 1) || !field(p.start, f[1], f[2] - 1))
		goto bad;
	for (const char *e = f[2], *end = nf == 4 ? f[3] - 1 : f[2] + strlen(f[2]); e < end;) {
		const char *comma = memchr(e, ',', (size_t)(end - e)), *stop = comma ? comma : end;

		if (p.nends >= PAIR_ENDS_MAX || !field(p.end[p.nends++], e, stop))
			goto bad;
		e = comma ? comma + 1 : end;
	}
	if (!p.nends)
		goto bad;
	if (nf == 4 && !strncmp(f[3], "arg", 3) && f[3][3] >= '1' && f[3][3] <= '9' &&
	    strspn(f[3] + 3, "0123456789") == strlen(f[3] + 3)) {
		p.name_arg = atoi(f[3] + 3);
		if (p.name_arg > 12) {
			snprintf(err, errlen, "invalid --probe '%s': USDT probes have at most 12 "
					      "arguments (arg1..arg12)", spec);
			return -EINVAL;
		}
	} else if (!field(p.label, nf == 4 ? f[3] : f[1], nf == 4 ? f[3] + strlen(f[3]) : f[2] - 1)) {
		goto bad;
	}
	pairs->v[pairs->n++] = p;
	return 0;
bad:
	snprintf(err, errlen, "invalid --probe '%s': expected PROVIDER:START:END[:NAME], END "
			      "possibly END1,END2, NAME argN or a label", spec);
	return -EINVAL;
}

const char *pairs_label(const struct probe_pairs *pairs, unsigned int pair)
{
	if (!pairs || pair < 1 || pair > (unsigned int)pairs->n || pairs->v[pair - 1].name_arg)
		return NULL;
	return pairs->v[pair - 1].label;
}

static bool is_end(const struct probe_pair *p, const char *name)
{
	for (int i = 0; i < p->nends; i++)
		if (!strcmp(p->end[i], name))
			return true;
	return false;
}

/* The site of a pair's start: the name argument, or the label (the
 * pair's number as a constant) with the flag that says so. */
static int start_site(const struct probe_pair *p, unsigned int pair, const char *args,
		      struct etl_usdt_spec *spec)
{
	unsigned int nargs;

	memset(spec, 0, sizeof(*spec));
	spec->pair = pair;
	spec->nargs = 2;
	spec->arg[1] = (struct etl_usdt_arg){ .kind = ETL_ARG_CONST };
	if (!p->name_arg) {
		spec->arg[0] = (struct etl_usdt_arg){ .kind = ETL_ARG_CONST, .val = pair };
		spec->arg[1].val = ETL_START_F_LABEL;
		return 0;
	}
	if (usdt_parse_arg(args, (unsigned int)p->name_arg - 1, &spec->arg[0], &nargs))
		return -EINVAL;
	/* A string is a pointer: 8 bytes, unsigned. */
	return spec->arg[0].shift || spec->arg[0].is_signed ? -EINVAL : 0;
}

void pairs_sites_of(const struct probe_pairs *pairs, const struct elf_usdt *u,
		    struct etl_site *sites, size_t *n, int *bad)
{
	for (size_t i = 0; pairs && i < u->n; i++) {
		const struct usdt_note *note = &u->notes[i];

		for (int k = 0; k < pairs->n; k++) {
			const struct probe_pair *p = &pairs->v[k];
			struct etl_site s = { note->offset, note->ref_ctr_offset, false, {} };

			if (strcmp(note->provider, p->provider))
				continue;
			if (!strcmp(note->name, p->start)) {
				if (start_site(p, (unsigned int)k + 1, note->args, &s.spec)) {
					(*bad)++;
					continue;
				}
			} else if (is_end(p, note->name)) {
				s.is_end = true;
				s.spec = (struct etl_usdt_spec){ .nargs = 1, .pair = (__u32)k + 1 };
				s.spec.arg[0] = (struct etl_usdt_arg){ .kind = ETL_ARG_CONST };
			} else {
				continue;
			}
			sites[(*n)++] = s;
		}
	}
}

bool pairs_found(const struct probe_pairs *pairs, int i, const struct elf_usdt *u)
{
	const struct probe_pair *p = &pairs->v[i];
	bool start = false, end = false;

	for (size_t k = 0; k < u->n; k++) {
		if (strcmp(u->notes[k].provider, p->provider))
			continue;
		start |= !strcmp(u->notes[k].name, p->start);
		end |= is_end(p, u->notes[k].name);
	}
	return start && end;
}
