/* SPDX-License-Identifier: MIT */
/*
 * attach.h - from process ids or a command to attached probes: checks the
 * targets, finds their marked objects, attaches, says when ready. Failures
 * print one line and return an exit code (enum etl_exit).
 */
#ifndef ETLTRACE_ATTACH_H
#define ETLTRACE_ATTACH_H

#include <stdbool.h>
#include <sys/types.h>

#include "target/command.h"
#include "target/target.h"
#include "kernel/tracer.h"

/* -p: checks each pid (a live user process, given once) and finds its
 * objects; fails if one has no etl markers. targets[0..n) are initialised
 * as far as *ntargets says, also on failure (the caller frees them). */
int attach_check_pids(const pid_t *pids, int n, struct target *targets, int *ntargets);

/* Attaches to every object of t with etl sites not attached (or failed)
 * yet. Returns the number of objects attached, or a negated exit code after
 * printing why; the object that failed is not tried again. */
int attach_objects(struct tracer *tr, struct target *t, int verbose);

/* -- CMD: attaches to the command's executable, lets it run to its entry
 * point (its libraries mapped, none of its code run), attaches to those
 * too, and leaves it stopped for attach_print_ready's caller to continue.
 * reaped and status report a command that already exited. */
int attach_command(struct tracer *tr, struct target *t, struct command *cmd, int verbose,
		   bool *reaped, int *status);

/* The readiness line on stderr that scripts and tests wait for. */
void attach_print_ready(const struct target *targets, int n);

#endif /* ETLTRACE_ATTACH_H */
