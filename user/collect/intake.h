/* SPDX-License-Identifier: MIT */
/*
 * intake.h - turns operation records into named samples: resolves the
 * names BPF did not read (from the process and image that made the
 * record), converts units, and hands each sample to every sink (the
 * statistics, the live log, ...).
 */
#ifndef ETLTRACE_INTAKE_H
#define ETLTRACE_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/stats.h"
#include "etltrace.h"
#include "target/procs.h"
#include "usdt/pairs.h"

/* One operation as the sinks see it. */
struct op_event {
	const char *name;              /* raw bytes, NUL-terminated, at most STATS_NAME_MAX */
	uint64_t name_hash;            /* stats_hash(name) */
	const struct op_sample *s;
	const struct process *proc;    /* NULL if its process is no longer known */
	uint32_t tgid, tid;
	uint64_t start_ns, end_ns;     /* CLOCK_MONOTONIC */
	uint64_t rss_start;            /* process RSS in bytes at its start */
	uint64_t path_id, parent_id;   /* see struct etl_op_record */
};

typedef void (*intake_sink_fn)(void *ctx, const struct op_event *ev);

#define INTAKE_MAX_SINKS 8

struct intake {
	struct procs *procs;            /* not owned; names are read from them */
	const struct probe_pairs *pairs; /* not owned; --probe labels, or NULL */
	struct {
		intake_sink_fn fn;
		void *ctx;
	} sinks[INTAKE_MAX_SINKS];
	size_t nsinks;
	uint64_t records;          /* operation records taken in */
	uint64_t names_resolved;   /* names BPF failed to read, read by the loader */
	uint64_t names_unresolved; /* names nobody could read (shown as a placeholder) */
	uint64_t names_truncated;  /* names longer than STATS_NAME_MAX bytes, cut */
	/* Records whose name must be read from a process not known yet: its
	 * fork event may sit in a ring read after them. */
	struct pending_record {
		struct etl_op_record r;
		unsigned age;  /* intake_retry calls it has waited through */
	} *pending;
	size_t npending, cap_pending;
};

/* Prepares in for procs (which outlives it). */
void intake_init(struct intake *in, struct procs *procs);

/* Adds a sink; returns 0 or -ENOSPC. */
int intake_add_sink(struct intake *in, intake_sink_fn fn, void *ctx);

/* Takes one ETL_REC_OP or ETL_REC_UNFINISHED record. One whose name is
 * to be read from a process not known yet is kept for intake_retry. */
void intake_record(struct intake *in, const struct etl_op_record *rec);

/* After each drain of the rings: takes in the kept records whose process
 * is known now, or that have waited through one drain already (a fork
 * event is in the rings before anything its child does, so one more drain
 * brings it), or all of them when `final`. */
void intake_retry(struct intake *in, bool final);

/* Frees what in holds (kept records are dropped: retry with final first). */
void intake_free(struct intake *in);

#endif /* ETLTRACE_INTAKE_H */
