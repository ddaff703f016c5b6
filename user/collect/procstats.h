/* SPDX-License-Identifier: MIT */
/*
 * procstats.h - statistics per traced process, for the report's section
 * per process (pid and command name): every process that ran an operation,
 * exited ones included, up to a cap; past it, the earliest exited process
 * whose records have all been read gives up its place, and a process that
 * finds none to give it gets no section, ever (a section holds all of its
 * process's operations or none). Their operations stay in the aggregate;
 * both are counted.
 *
 * While one process has run operations, its statistics are the aggregate
 * table itself (most runs trace one process: no second copy); the second
 * process's first sample copies the aggregate into the first one's own.
 *
 * With a series set (--metrics), the sections are also the source of the
 * Prometheus series (series.h): a section given up, and the samples of
 * processes without one, go to the set's retired part; a process whose
 * command name changes (exec) retires what it ran under the old name.
 */
#ifndef ETLTRACE_PROCSTATS_H
#define ETLTRACE_PROCSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "collect/intake.h"
#include "collect/series.h"
#include "collect/stats.h"
#include "target/procs.h"

struct proc_entry {
	pid_t pid;
	uint64_t start_ns;         /* with pid, the process (see struct process) */
	char comm[ETL_COMM_LEN];   /* its command name when last seen */
	struct stats *stats;
	struct stats *base;        /* stats when comm last changed (retired), or NULL */
	bool seen;                 /* comm is set */
};

struct procstats;

/* Keeps up to max_procs processes, each with up to max_operations names.
 * procs (which outlives it) says which have exited. aggregate (which
 * outlives it too) is the table of every sample, fed by a sink that runs
 * after procstats_sink, so it holds the samples before the current one;
 * with series, it must count per the series' bounds (stats_set_bounds).
 * series (NULL: none) outlives it too. NULL on ENOMEM. */
struct procstats *procstats_new(struct procs *procs, const struct stats *aggregate,
				struct series_set *series, size_t max_procs,
				size_t max_operations);
void procstats_free(struct procstats *ps);

/* intake_sink_fn: adds the sample to its process's statistics. ctx is a
 * struct procstats. */
void procstats_sink(void *ctx, const struct op_event *ev);

/* Brings the series set's values up to date (series_live_begin and
 * series_live_add of every section). */
void procstats_series(struct procstats *ps);

/* The processes kept, in the order they first ran an operation. */
size_t procstats_count(const struct procstats *ps);
const struct proc_entry *procstats_at(const struct procstats *ps, size_t i);

/* Whether the process of e has exited. */
bool procstats_exited(const struct procstats *ps, const struct proc_entry *e);

/* Processes whose section was given up, plus processes that found no room
 * (their operations stay in the aggregate). */
uint64_t procstats_dropped(const struct procstats *ps);

/* The first allocation failure (-ENOMEM), or 0. */
int procstats_error(const struct procstats *ps);

#endif /* ETLTRACE_PROCSTATS_H */
