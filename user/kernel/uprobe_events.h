/* SPDX-License-Identifier: MIT */
/*
 * uprobe_events.h - uprobe trace events defined through tracefs, several
 * probe sites to one event.
 *
 * Without uprobe_multi links, every perf event the kernel tears down costs
 * it grace periods, taken under one global mutex: closing perf-event
 * uprobes concurrently changes nothing, N sites cost N times that. A trace
 * event of tracefs's uprobe_events may hold many probes (each definition
 * line appended to the same event name): one perf event on it enables and
 * disables them all, paying those grace periods once. The events are this
 * process's own (group etltrace_PID) and must be deleted once no perf event
 * uses them.
 */
#ifndef ETLTRACE_UPROBE_EVENTS_H
#define ETLTRACE_UPROBE_EVENTS_H

#include <stdint.h>

/* Defines event number `event` of this process with cnt probes of the file
 * at path: at offsets[idx[k]], each with its semaphore's file offset
 * ref_ctr_offsets[idx[k]] (0: none). Returns the event's tracepoint id (the
 * config of a PERF_TYPE_TRACEPOINT perf event) or -errno (-ENOENT: tracefs
 * is not mounted); on error nothing of the event is left defined. Deletes,
 * the first time, the events of etltrace processes that are gone. */
int uprobe_event_define(uint32_t event, const char *path, const uint64_t *offsets,
			const uint64_t *ref_ctr_offsets, const uint32_t *idx, uint32_t cnt);

/* Deletes event number `event` of this process, once nothing has it open.
 * Returns 0 or -errno. */
int uprobe_event_delete(uint32_t event);

#endif /* ETLTRACE_UPROBE_EVENTS_H */
