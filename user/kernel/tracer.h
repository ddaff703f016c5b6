/* SPDX-License-Identifier: MIT */
/*
 * tracer.h - the BPF side as user space drives it: load the programs the
 * sites need, say which processes are traced, attach to the sites of
 * files, drain the ring buffers, read the counters and the operations
 * still open, detach. Owns the skeleton and every link.
 */
#ifndef ETLTRACE_TRACER_H
#define ETLTRACE_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "etltrace.h"
#include "usdt/notes.h"

/* The probe programs some sites need (see tracer_needs_add). */
struct tracer_needs {
	uint32_t start, start_lit, end; /* bit i: the program of register i of ETL_REGS */
};

struct tracer_config {
	bool resources;          /* read CPU time, faults and I/O at each probe */
	bool follow_children;    /* trace what traced processes fork */
	bool accept_any;         /* -b: trace any process that reaches a probe */
	bool hold_exec;          /* stop a traced process at exec until continued */
	bool uprobe_multi;       /* attach with uprobe_multi links (else perf events) */
	uint32_t ringbuf_bytes;  /* power of two, split over one ring per CPU */
	struct tracer_needs needs; /* programs to load besides the generic ones */
	int verbose;             /* >= 3 forwards libbpf's messages to stderr */
};

/* Called for each record drained from the rings or read from the task
 * iterator: an etl_op_record or an etl_proc_event, by its first field
 * (records too short for their kind are counted by tracer_short_records).
 * Return 0 to go on. */
typedef int (*tracer_record_fn)(void *ctx, const void *rec, size_t len);

struct tracer;

/* Adds to needs the specialised programs that sites[0..n) would use. */
void tracer_needs_add(struct tracer_needs *needs, const struct etl_site *sites, size_t n);

/* Opens and loads the BPF object for cfg (the generic probe programs and
 * those cfg->needs names), creates the per-CPU rings, and attaches the
 * process hooks (with cfg->resources also the context-switch and rss_stat
 * ones). Returns 0 or a negative errno (-EPERM: privileges; -EINVAL or
 * -EOPNOTSUPP: the kernel refused a program or map). *out is released with
 * tracer_close. */
int tracer_open(const struct tracer_config *cfg, tracer_record_fn fn, void *ctx,
		struct tracer **out);

/* Traces process pid (adds it to the BPF set) in proc_state slot `slot`,
 * below ETL_LOADER_SLOTS (a target's index). Returns 0 or -errno
 * (-E2BIG: no such slot, or the set is full). */
int tracer_add_process(struct tracer *tr, pid_t pid, unsigned int slot);

/* Attaches op_end, then op_start, of sites[0..n) of the file at path, for
 * process pid (0: every process that maps it; the BPF set filters). admit:
 * with accept_any, these sites start tracing any process that reaches them
 * (a file given with -b). Sites whose specialised program was not loaded
 * use the generic one. Returns how many links (uprobe_multi links or perf
 * events) that took, or -errno; on error none of these sites stays
 * attached. */
int tracer_attach_sites(struct tracer *tr, const char *path, const struct etl_site *sites,
			size_t n, pid_t pid, bool admit);

/* Makes process pid stop itself (SIGSTOP, then an ETL_PROC_ENTRY event)
 * when it reaches the file offset `offset` of the executable at path; one
 * at a time per process. Undone by tracer_entry_stop_clear, which hands
 * the link to a thread that closes it (the kernel waits a grace period). */
int tracer_entry_stop(struct tracer *tr, pid_t pid, const char *path, uint64_t offset);
void tracer_entry_stop_clear(struct tracer *tr, pid_t pid);

/* File descriptor that becomes readable when BPF forces a wakeup (a ring
 * is filling up, or a process event): poll it alongside a short timer. */
int tracer_poll_fd(const struct tracer *tr);

/* Hands every record in the rings to the callback. Returns the number of
 * records consumed or a negative errno. */
int tracer_drain(struct tracer *tr);

/* Sums the per-CPU counters into out. Returns 0 or -errno. */
int tracer_counters(const struct tracer *tr, uint64_t out[ETL_CNT__MAX]);

/* Hands the operations open in traced threads now to the callback, as
 * ETL_REC_UNFINISHED records. With take, they are removed from their
 * stacks, so they can never be reported again (for the end of a trace,
 * once the probes are detached). Returns the number of records or -errno. */
int tracer_open_frames(struct tracer *tr, bool take);

/* Detaches every probe site (the process hooks stay): after it returns, no
 * probe program runs any more. Can be called more than once. Returns 0, or
 * -errno if a trace event defined for them could not be deleted (they are
 * detached all the same). */
int tracer_detach_probes(struct tracer *tr);

/* How many links (uprobe_multi links or perf events) hold the probe sites
 * now: what detaching them costs grows with it. *single: how many of them
 * are perf-event uprobes of one site each. */
size_t tracer_probe_links(const struct tracer *tr, size_t *single);

/* Detaches the process, scheduler and memory hooks: after it returns, no
 * BPF program writes a record any more (the rings keep what they hold). */
void tracer_detach_hooks(struct tracer *tr);

/* Records handed over that were shorter than their kind. */
uint64_t tracer_short_records(const struct tracer *tr);

/* Detaches everything and frees tr. NULL is allowed. */
void tracer_close(struct tracer *tr);

#endif /* ETLTRACE_TRACER_H */
