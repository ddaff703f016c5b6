/* SPDX-License-Identifier: MIT */
/*
 * reaper.h - detaching links off the run loop.
 *
 * Closing a uprobe link waits for the kernel's grace periods: ~25 ms for a
 * uprobe_multi link here, ~90 ms for a perf-event uprobe. Links that go
 * while the trace runs (the entry stop of a process that died before its
 * entry point, one per short-lived child) are handed to a thread that
 * closes them, so the loop draining the rings never waits for them.
 */
#ifndef ETLTRACE_REAPER_H
#define ETLTRACE_REAPER_H

#include "kernel/links.h"

struct reaper;

/* Starts the closing thread. Returns 0 or -errno. */
int reaper_start(struct reaper **out);

/* Takes over the links of l (l is emptied) and closes them soon. Without a
 * reaper, or if the queue cannot grow, they are closed here and now. */
void reaper_add(struct reaper *r, struct links *l);

/* Returns once every link handed over so far is closed. */
void reaper_drain(struct reaper *r);

/* reaper_drain, then the thread ends; r is freed. NULL is a no-op. */
void reaper_stop(struct reaper *r);

#endif /* ETLTRACE_REAPER_H */
