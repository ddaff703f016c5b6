/* SPDX-License-Identifier: MIT */
/*
 * follow.h - keeping up with the traced processes as they change: a fork
 * (the child is traced from its first instruction by BPF; here it gets its
 * entry), an exec (BPF stops the process; its new image is attached here,
 * up to its entry point, before it runs on), an exit, a process first seen
 * running a traced binary (-b), and libraries loaded later (rescans).
 */
#ifndef ETLTRACE_FOLLOW_H
#define ETLTRACE_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "etltrace.h"
#include "kernel/tracer.h"
#include "target/attach.h"
#include "target/object.h"
#include "target/procs.h"

struct follower {
	struct procs *procs;
	struct objects *objs;
	struct attacher *at;
	struct tracer *tr;
	bool finishing;     /* the trace is ending: held processes only go on */
	pid_t setup_pid;    /* -- CMD during set-up: its exec and entry are the caller's */
	uint64_t held;      /* processes stopped at exec, entry or (-b) their first probe, and continued */
	/* Exits of processes not known yet: their fork event may be read
	 * after (another CPU's ring); kept for two drains. */
	struct early_exit {
		pid_t pid;
		uint64_t start_ns, exit_ns;
		unsigned age;
	} *early;
	size_t nearly, cap_early;
};

/* Acts on one process event from BPF. */
void follow_event(struct follower *f, const struct etl_proc_event *e);

/* Holds p, stopped at its exec: attaches its new image's executable and
 * sets a stop at its entry point. Returns 0 or -errno (then p may be
 * continued with nothing more to wait for). */
int follow_exec(struct follower *f, struct process *p);

/* p stopped at its entry point: its libraries are mapped; attaches them. */
void follow_entry(struct follower *f, struct process *p);

/* After each drain of the rings: forgets the exits kept for processes
 * whose fork was not read within two drains. */
void follow_settle(struct follower *f);

/* Frees what f holds. */
void follow_free(struct follower *f);

/* Re-reads the maps of every live process, attaching marked objects
 * loaded since (dlopen). */
void follow_rescan(struct follower *f);

#endif /* ETLTRACE_FOLLOW_H */
