/* SPDX-License-Identifier: MIT */
/*
 * trace_event.h - the timeline (--timeline) in the Chrome trace-event format
 * that Perfetto UI and chrome://tracing open: a track per process and
 * thread, every operation a complete ("X") slice with its memory delta,
 * records and CPU time, and each process's RSS as a counter ("C") track.
 */
#ifndef ETLTRACE_TRACE_EVENT_H
#define ETLTRACE_TRACE_EVENT_H

#include <stdint.h>
#include <stdio.h>

#include "collect/timeline.h"

/* Writes tl as a trace-event JSON object; times are microseconds since
 * t0_ns (CLOCK_MONOTONIC, the start of the trace). dropped events are
 * counted in "otherData". Returns 0, -ENOMEM or -EIO. */
int timeline_write_json(const struct timeline *tl, uint64_t t0_ns, FILE *f);

#endif /* ETLTRACE_TRACE_EVENT_H */
