/* SPDX-License-Identifier: MIT */
/*
 * procs.h - the traced processes, by pid. A pid can name a process that
 * exited and, later, another one: each is its own entry, found by the time
 * a record was made, so nothing is attributed to a process that merely
 * reuses a pid. Exited processes are removed once their records are read.
 */
#ifndef ETLTRACE_PROCS_H
#define ETLTRACE_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "target/process.h"

struct procs;

struct procs *procs_new(void);

/* Adds a process, initialised with process_init, as the newest of its pid.
 * Returns it, or NULL on ENOMEM. */
struct process *procs_add(struct procs *t, pid_t pid, uint64_t start_ns);

/* The process pid that was running at when_ns (the newest one not started
 * after it), or NULL. */
struct process *procs_find(struct procs *t, pid_t pid, uint64_t when_ns);

/* The newest process of pid, or NULL. */
struct process *procs_latest(struct procs *t, pid_t pid);

/* Calls fn for every process, newest of each pid first. */
void procs_each(struct procs *t, void (*fn)(void *ctx, struct process *p), void *ctx);

/* Processes not exited. */
size_t procs_live(const struct procs *t);

/* Marks p exited at when_ns (once). */
void procs_exited(struct procs *t, struct process *p, uint64_t when_ns);

/* p replaced its image at when_ns (process_exec); the old image is kept
 * until procs_settle knows its records are read. */
void procs_exec(struct procs *t, struct process *p, uint64_t when_ns);

/* Processes that exited or exec'd and are not settled yet (an upper
 * bound until the next procs_settle): it has nothing to do while it is 0. */
size_t procs_unsettled(const struct procs *t);

/* Called after each full read of the rings: removes processes that had
 * exited before the previous call (every record of theirs is read by now),
 * and drops images replaced by an exec before it. */
void procs_settle(struct procs *t);

void procs_free(struct procs *t);

#endif /* ETLTRACE_PROCS_H */
