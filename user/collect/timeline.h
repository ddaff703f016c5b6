/* SPDX-License-Identifier: MIT */
/*
 * timeline.h - every operation as it happened (--timeline): when, how long,
 * which process and thread, with its memory, records and CPU time, and the
 * process's RSS at its start and end. Bounded: past max_events, events are
 * counted, not kept.
 */
#ifndef ETLTRACE_TIMELINE_H
#define ETLTRACE_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/intake.h"

struct tl_event {
	uint64_t start_ns, dur_ns; /* CLOCK_MONOTONIC */
	uint64_t cpu_ns;
	int64_t mem_delta;
	uint64_t rss_start;
	uint64_t records;
	uint32_t pid, tid;
	uint32_t name;             /* timeline_name(index) */
	uint16_t depth;
	uint8_t has_records, unfinished;
};

/* A thread as the timeline names it. */
struct tl_thread {
	uint32_t pid, tid;
	char comm[16];
};

struct timeline;

struct timeline *timeline_new(size_t max_events);
void timeline_free(struct timeline *tl);

/* intake_sink_fn: records the operation. ctx is a struct timeline. */
void timeline_sink(void *ctx, const struct op_event *ev);

size_t timeline_count(const struct timeline *tl);
const struct tl_event *timeline_at(const struct timeline *tl, size_t i);
const char *timeline_name(const struct timeline *tl, uint32_t index);

/* The threads seen, with the command name each had when first seen. */
size_t timeline_threads(const struct timeline *tl, const struct tl_thread **out);

/* Events not kept (over max_events, or out of memory). */
uint64_t timeline_dropped(const struct timeline *tl);

#endif /* ETLTRACE_TIMELINE_H */
