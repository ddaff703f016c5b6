// SPDX-License-Identifier: MIT
/* intake.c - records in, statistics out. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/intake.h"

/* Names the loader read from a target, by (tgid, address): string literals
 * (their sites say so, and BPF does not read them) and names BPF could not
 * read (on pages the target never touched, i.e. constant data). Either way
 * an address keeps its name. */
struct name_entry {
	struct name_entry *next;
	uint32_t tgid;
	uint64_t addr;
	char name[];
};

#define NAME_BUCKETS 4096
/* Most names cached: a literal's address is one of the program's marker
 * sites, so real programs stay far below; past it names are still read,
 * just not kept (memory stays under ~100 B x NAME_CACHE_MAX). */
#define NAME_CACHE_MAX 65536

struct name_cache {
	struct name_entry *b[NAME_BUCKETS];
	size_t n;
};

static size_t bucket_of(uint32_t tgid, uint64_t addr)
{
	uint64_t h = (addr ^ ((uint64_t)tgid << 32)) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 52) % NAME_BUCKETS;
}

void intake_init(struct intake *in, struct stats *stats, const struct target *targets,
		 size_t ntargets)
{
	memset(in, 0, sizeof(*in));
	in->stats = stats;
	in->targets = targets;
	in->ntargets = ntargets;
}

static const struct target *target_of(const struct intake *in, uint32_t tgid)
{
	for (size_t i = 0; i < in->ntargets; i++)
		if ((uint32_t)in->targets[i].pid == tgid)
			return &in->targets[i];
	return NULL;
}

/* Returns the name at addr in process tgid, from the cache or read from the
 * target (into buf, of ETL_NAME_MAX bytes, when the cache is full), or NULL
 * when it cannot be read (the caller shows a placeholder). */
static const char *resolve(struct intake *in, uint32_t tgid, uint64_t addr, char *buf)
{
	const struct target *t = target_of(in, tgid);
	struct name_entry *e;
	size_t b = bucket_of(tgid, addr);
	int n;

	if (!in->names) {
		in->names = calloc(1, sizeof(*in->names));
		if (!in->names) {
			in->error = -ENOMEM;
			return NULL;
		}
	}
	for (e = in->names->b[b]; e; e = e->next)
		if (e->tgid == tgid && e->addr == addr)
			return e->name;
	if (!t)
		return NULL;
	n = target_read_string(t, addr, buf, ETL_NAME_MAX);
	if (n <= 0)
		return NULL;
	if (in->names->n >= NAME_CACHE_MAX)
		return buf;
	e = malloc(sizeof(*e) + (size_t)n + 1);
	if (!e) {
		in->error = -ENOMEM;
		return NULL;
	}
	e->tgid = tgid;
	e->addr = addr;
	memcpy(e->name, buf, (size_t)n + 1);
	e->next = in->names->b[b];
	in->names->b[b] = e;
	in->names->n++;
	return e->name;
}

/* Adds one operation under the name BPF read, or the one resolved. */
static void add(struct intake *in, uint32_t tgid, uint32_t flags, uint64_t addr,
		const char *bpf_name, const struct op_sample *s)
{
	char placeholder[48], name[ETL_NAME_MAX], read[ETL_NAME_MAX];
	const char *n = name;

	if (flags & (ETL_REC_F_NAME_UNREAD | ETL_REC_F_NAME_BY_ADDR)) {
		n = resolve(in, tgid, addr, read);
		if (n) {
			if (flags & ETL_REC_F_NAME_UNREAD)
				in->names_resolved++;
		} else {
			snprintf(placeholder, sizeof(placeholder), "[unreadable name at 0x%" PRIx64 "]",
				 addr);
			n = placeholder;
			in->names_unresolved++;
		}
	} else {
		/* BPF terminates the name; copy bounded all the same. */
		memcpy(name, bpf_name, sizeof(name));
		name[sizeof(name) - 1] = '\0';
	}
	if (stats_add(in->stats, n, s) && !in->error)
		in->error = -ENOMEM;
	if (in->hook)
		in->hook(in->hook_ctx, n, s);
}

int intake_record(void *ctx, const struct etl_op_record *r)
{
	struct intake *in = ctx;
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

	in->records++;
	add(in, r->tgid, r->flags, r->name_addr, r->name, &s);
	return 0;
}

void intake_open_frames(struct intake *in, pid_t tgid, pid_t tid,
			const struct etl_thread_stack *st, uint64_t now_ns)
{
	uint32_t depth = st->depth < ETL_STACK_MAX ? st->depth : ETL_STACK_MAX;

	for (uint32_t i = 0; i < depth; i++) {
		const struct etl_frame *f = &st->f[i];
		struct op_sample s = {
			.duration_ns = now_ns > f->start_ns ? now_ns - f->start_ns : 0,
			.depth = i,
			.tid = (uint32_t)tid,
			.unfinished = true,
		};

		add(in, (uint32_t)tgid, f->flags, f->name_addr, f->name, &s);
	}
}

void intake_free(struct intake *in)
{
	if (!in->names)
		return;
	for (size_t b = 0; b < NAME_BUCKETS; b++) {
		struct name_entry *e = in->names->b[b], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(in->names);
	in->names = NULL;
}
