/* SPDX-License-Identifier: MIT */
/*
 * run.h - the state of one trace, shared by the files of run/ only:
 * trace.c (set-up, the loop's handlers, the end) and reports.c (every
 * report written while tracing and at the end, and the metrics endpoint's
 * pages).
 */
#ifndef ETLTRACE_RUN_H
#define ETLTRACE_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/options.h"
#include "collect/intake.h"
#include "collect/paths.h"
#include "collect/procstats.h"
#include "collect/series.h"
#include "collect/stats.h"
#include "collect/timeline.h"
#include "kernel/preflight.h"
#include "kernel/tracer.h"
#include "output/deliver.h"
#include "output/http.h"
#include "report/comparison.h"
#include "report/oplog.h"
#include "run/loop.h"
#include "target/attach.h"
#include "target/command.h"
#include "target/follow.h"
#include "target/object.h"
#include "target/procs.h"

/* Every counter of a report: the BPF side's and the loader's. */
#define RUN_NCOUNTERS (ETL_CNT__MAX + 10)

struct run {
	const struct options *o;
	struct report_settings rs;
	struct kernel_features kf;
	struct loop *loop;
	struct tracer *tr;
	struct objects *objs;
	struct procs *procs;
	struct attacher at;
	struct follower fw;
	struct intake in;
	/* What the operations feed (sinks of the intake): */
	struct stats *stats;         /* the aggregate, for the whole trace */
	struct stats *imark;         /* -i: a copy of stats when the interval began (NULL: empty) */
	struct paths *paths;         /* the operation tree */
	uint32_t *fold;              /* exited processes to fold, one drain's */
	size_t nfold, cap_fold;
	struct procstats *pstats;    /* per process */
	struct series_set *series;   /* Prometheus series (--metrics) */
	struct timeline *timeline;   /* --timeline */
	int stats_err;               /* first failure to add a sample */
	struct oplog log;            /* --log */
	bool log_open;
	/* Reports while tracing: */
	FILE *stream;                /* -i: where interval reports go, or NULL */
	bool stream_own;             /* stream was opened here */
	uint64_t interval_seq;
	uint64_t interval_t0;        /* CLOCK_MONOTONIC start of the interval */
	uint64_t usr1_next_ns;       /* SIGUSR1: no report before (CLOCK_MONOTONIC) */
	int usr1_timer;              /* the loop timer of a deferred one, or -1 */
	struct http_server *http;
	struct perf_ops base;        /* --baseline */
	bool has_base;
	/* What is traced: */
	pid_t targets[OPTIONS_MAX_PIDS]; /* -p, or the command */
	int pidfds[OPTIONS_MAX_PIDS];    /* theirs, readable at exit */
	int ntargets, ngone;
	struct command cmd;          /* with -- CMD: targets[0] */
	bool cmd_spawned, cmd_reaped;
	int cmd_status;
	char *searched;              /* an unmarked command's files at its start */
	sigset_t orig_mask;          /* as etltrace started */
	int sigfd;
	uint64_t t0_ns, end_ns;      /* tracing started (ready) and stopped */
	double t0_unix;              /* the same start, Unix time */
	size_t nregressions;
	uint64_t short_records;      /* tracer_short_records, kept past tracer_close */
	bool snapshot;               /* the task iterator is being read for a snapshot */
	struct intake snap;          /* where a snapshot's open operations go */
	struct open_snapshot *open;  /* operations open now, by (command, operation) */
};

uint64_t run_now_ns(void);

/* Reads every ring, takes in the records that waited for their process
 * (all of them when `final`), then lets the process table forget what is
 * read. Returns 0 or -errno (said). */
int run_drain(struct run *r, bool final);

/* Fills out[] with every counter of the report (RUN_NCOUNTERS at most) from
 * the BPF counters bpf[] and the loader's; returns how many. Brings the
 * Prometheus series up to date first (one counter is theirs). */
size_t run_counters(struct run *r, const uint64_t bpf[ETL_CNT__MAX],
		    struct report_counter *out);

/* reports.c: the reports. Each returns 0 or an exit code after saying why. */

/* Listens on the metrics endpoint's address, before anything is traced
 * or run. */
int reports_listen(struct run *r);

/* Opens what the reports need before tracing: the -i stream, the metrics
 * endpoint's server (the loop must exist). */
int reports_open(struct run *r);

/* Writes the interval that ends at now (-i, CLOCK_MONOTONIC ns) and starts
 * the next. The end of the trace writes the last one, however short, so
 * that the intervals add up to the cumulative report. */
int reports_interval(struct run *r, uint64_t now);

/* SIGUSR1: the cumulative report now, tracing goes on. */
int reports_now(struct run *r);

/* The end of the trace: the report, the comparison, --save-baseline,
 * --timeline, --html. bpf[] are the final counters. */
int reports_final(struct run *r, const uint64_t bpf[ETL_CNT__MAX]);

/* Reads the operations open now (a snapshot; tracing goes on): they name
 * the tree's paths and are counted for the metrics. */
void reports_snapshot_open(struct run *r);

/* The snapshot's records (the task iterator's, while r->snapshot), and
 * the snapshot intake's sink. */
void reports_snapshot_record(struct run *r, const struct etl_op_record *rec);
void reports_snapshot_sink(void *ctx, const struct op_event *ev);

void reports_close(struct run *r);

#endif /* ETLTRACE_RUN_H */
