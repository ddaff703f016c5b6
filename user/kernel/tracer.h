/* SPDX-License-Identifier: MIT */
/*
 * tracer.h - the BPF side as user space drives it: load, attach to the etl
 * probes of objects, drain the ring buffer, read the counters and the
 * operations still open. Owns the skeleton and every link.
 */
#ifndef ETLTRACE_TRACER_H
#define ETLTRACE_TRACER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "etltrace.h"

struct tracer_config {
	const pid_t *tgids;      /* processes to trace, filtered inside BPF */
	int ntgids;
	bool resources;          /* read CPU time, faults and I/O at each probe */
	uint32_t ringbuf_bytes;  /* power of two, split over one ring per CPU */
	int verbose;             /* >= 3 forwards libbpf's messages to stderr */
};

/* Called for each record drained from the rings (records shorter than
 * struct etl_op_record are skipped). Return 0 to continue. */
typedef int (*tracer_record_fn)(void *ctx, const struct etl_op_record *rec);

struct tracer;

/* Opens and loads the BPF object for cfg, creates the per-CPU rings, and
 * attaches the thread-exit and exec hooks (with cfg->resources also the
 * context-switch and rss_stat ones). Returns 0 or a negative errno (-EPERM: privileges;
 * -EOPNOTSUPP: the kernel lacks something). *out is owned by the caller
 * and released with tracer_close. */
int tracer_open(const struct tracer_config *cfg, tracer_record_fn fn, void *ctx,
		struct tracer **out);

/* Attaches op_end, then op_start, of the etl probes in the object at path
 * (a path through /proc/PID/root) for process pid. Returns 0 or -errno. */
int tracer_attach_object(struct tracer *tr, pid_t pid, const char *path);

/* Makes process pid stop itself (SIGSTOP) when it reaches the file offset
 * `offset` of the executable at path. Undone by tracer_detach_entry_stop. */
int tracer_attach_entry_stop(struct tracer *tr, pid_t pid, const char *path, uint64_t offset);
void tracer_detach_entry_stop(struct tracer *tr);

/* File descriptor that becomes readable when BPF forces a wakeup (the
 * ring buffer is filling up); poll it alongside a short timeout. */
int tracer_poll_fd(const struct tracer *tr);

/* Hands every record in the ring buffer to the callback. Returns the
 * number of records consumed or a negative errno. */
int tracer_drain(struct tracer *tr);

/* Sums the per-CPU counters into out. Returns 0 or -errno. */
int tracer_counters(const struct tracer *tr, uint64_t out[ETL_CNT__MAX]);

/* Copies the stack of open operations of thread tid into *st (depth 0 if
 * it has none). Returns 0, or -errno (-ESRCH if the thread is gone). */
int tracer_thread_stack(const struct tracer *tr, pid_t tid, struct etl_thread_stack *st);

/* Detaches everything and frees tr. NULL is allowed. */
void tracer_close(struct tracer *tr);

#endif /* ETLTRACE_TRACER_H */
