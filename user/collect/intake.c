// SPDX-License-Identifier: MIT
/* intake.c - records in, named samples out. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/intake.h"

void intake_init(struct intake *in, struct procs *procs)
{
	memset(in, 0, sizeof(*in));
	in->procs = procs;
}

int intake_add_sink(struct intake *in, intake_sink_fn fn, void *ctx)
{
	if (in->nsinks >= INTAKE_MAX_SINKS)
		return -ENOSPC;
	in->sinks[in->nsinks].fn = fn;
	in->sinks[in->nsinks++].ctx = ctx;
	return 0;
}

/* The record's name into buf[ETL_NAME_MAX]: as BPF read it, or read by the
 * loader from the image that ran the operation; a placeholder, counted,
 * when nobody can read it. An empty name is a name. Returns its
 * stats_hash (kept with a cached name, so computed once per literal). */
static uint64_t name_of(struct intake *in, const struct etl_op_record *r, struct process *p,
			char *buf)
{
	bool by_addr = r->flags & ETL_REC_F_NAME_BY_ADDR, cut = r->flags & ETL_REC_F_NAME_TRUNC;
	uint64_t *memo = NULL;
	int n = -ENOENT;

	if (r->flags & ETL_REC_F_NAME_LABEL) {
		const char *label = pairs_label(in->pairs, (unsigned int)r->name_addr);

		snprintf(buf, ETL_NAME_MAX, "%s", label ? label : "[unknown --probe pair]");
		return stats_hash(buf);
	}
	if (!(r->flags & (ETL_REC_F_NAME_UNREAD | ETL_REC_F_NAME_BY_ADDR))) {
		/* BPF terminates the name; copy bounded all the same. */
		memcpy(buf, r->name, ETL_NAME_MAX);
		buf[ETL_NAME_MAX - 1] = '\0';
	} else {
		if (p)
			n = process_read_name(p, r->start_ns, r->name_addr, by_addr, buf,
					      ETL_NAME_MAX, &cut, &memo);
		if (n < 0) {
			snprintf(buf, ETL_NAME_MAX, "[unreadable name at 0x%" PRIx64 "]",
				 (uint64_t)r->name_addr);
			in->names_unresolved++;
			return stats_hash(buf);
		}
		if (r->flags & ETL_REC_F_NAME_UNREAD)
			in->names_resolved++;
	}
	if (cut)
		in->names_truncated++;
	if (!memo)
		return stats_hash(buf);
	if (!*memo)
		*memo = stats_hash(buf); /* a hash of 0 is only computed each time */
	return *memo;
}

/* Takes r in, with its process p (NULL: unknown). */
static void take(struct intake *in, const struct etl_op_record *r, struct process *p)
{
	char name[ETL_NAME_MAX];
	struct op_sample s = {
		.duration_ns = r->end_ns > r->start_ns ? r->end_ns - r->start_ns : 0,
		.mem_delta = r->rss_delta,
		.mem_peak_delta = r->rss_peak_delta > r->rss_delta ? r->rss_peak_delta : r->rss_delta,
		.cpu_ns = r->cpu_ns,
		.min_flt = r->min_flt,
		.maj_flt = r->maj_flt,
		.read_bytes = r->read_bytes,
		.write_bytes = r->write_bytes,
		.records = r->records,
		.depth = r->depth,
		.tid = r->tid,
		.has_resources = r->flags & ETL_REC_F_RESOURCES,
		.has_records = r->flags & ETL_REC_F_HAS_RECORDS,
		.unfinished = r->kind == ETL_REC_UNFINISHED,
	};
	struct op_event ev = {
		.name = name, .s = &s, .proc = p, .tgid = r->tgid, .tid = r->tid,
		.start_ns = r->start_ns, .end_ns = r->end_ns, .rss_start = r->rss_start,
		.path_id = r->path_id, .parent_id = r->parent_id,
	};

	in->records++;
	ev.name_hash = name_of(in, r, p, name);
	for (size_t i = 0; i < in->nsinks; i++)
		in->sinks[i].fn(in->sinks[i].ctx, &ev);
}

/* Keeps r for a later intake_retry; false if it cannot be kept. */
static bool keep(struct intake *in, const struct etl_op_record *r)
{
	if (in->npending == in->cap_pending) {
		size_t cap = in->cap_pending ? in->cap_pending * 2 : 64;
		struct pending_record *v = realloc(in->pending, cap * sizeof(*v));

		if (!v)
			return false;
		in->pending = v;
		in->cap_pending = cap;
	}
	in->pending[in->npending].r = *r;
	in->pending[in->npending++].age = 0;
	return true;
}

void intake_record(struct intake *in, const struct etl_op_record *r)
{
	struct process *p = procs_find(in->procs, (pid_t)r->tgid, r->start_ns);

	if (!p && (r->flags & (ETL_REC_F_NAME_UNREAD | ETL_REC_F_NAME_BY_ADDR)) && keep(in, r))
		return;
	take(in, r, p);
}

void intake_retry(struct intake *in, bool final)
{
	size_t kept = 0;

	for (size_t i = 0; i < in->npending; i++) {
		struct pending_record *k = &in->pending[i];
		struct process *p = procs_find(in->procs, (pid_t)k->r.tgid, k->r.start_ns);

		if (p || final || k->age >= 1) {
			take(in, &k->r, p);
			continue;
		}
		k->age++;
		in->pending[kept++] = *k;
	}
	in->npending = kept;
}

void intake_free(struct intake *in)
{
	free(in->pending);
	in->pending = NULL;
	in->npending = in->cap_pending = 0;
}
