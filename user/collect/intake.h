/* SPDX-License-Identifier: MIT */
/*
 * intake.h - turns ring-buffer records into per-operation statistics:
 * resolves names BPF could not read, converts units, feeds the stats table
 * and an optional per-operation hook.
 */
#ifndef ETLTRACE_INTAKE_H
#define ETLTRACE_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include "etltrace.h"
#include "collect/stats.h"
#include "target/target.h"

/* Called for every operation after it was added to the statistics. */
typedef void (*intake_hook_fn)(void *ctx, const char *name, const struct op_sample *s);

struct name_cache;

struct intake {
	struct stats *stats;          /* not owned */
	const struct target *targets; /* not owned; for names BPF could not read */
	size_t ntargets;
	intake_hook_fn hook;          /* optional */
	void *hook_ctx;
	struct name_cache *names;     /* owned: resolved (tgid, address) -> name */
	uint64_t records;             /* records taken in */
	uint64_t names_resolved;      /* names BPF failed to read, read by the loader */
	uint64_t names_unresolved;    /* names nobody could read (shown as a placeholder) */
	int error;                    /* first allocation failure, or 0 */
};

/* Prepares in for stats and targets (both outlive it). */
void intake_init(struct intake *in, struct stats *stats, const struct target *targets,
		 size_t ntargets);

/* tracer_record_fn: takes one record. ctx is a struct intake. Returns 0
 * (records are never refused; failures are kept in in->error). */
int intake_record(void *ctx, const struct etl_op_record *rec);

/* Adds the open operations of one thread as unfinished at now_ns. */
void intake_open_frames(struct intake *in, pid_t tgid, pid_t tid,
			const struct etl_thread_stack *st, uint64_t now_ns);

/* Frees what in owns (not the stats or targets). */
void intake_free(struct intake *in);

#endif /* ETLTRACE_INTAKE_H */
