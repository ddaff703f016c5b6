/* SPDX-License-Identifier: MIT */
/*
 * attach.h - which probes are attached: every marked object that a traced
 * process maps, as soon as it is seen. Following children (the default),
 * an object is attached once for every process that maps it, and BPF's
 * set of traced processes filters; otherwise once per traced process,
 * filtered by the kernel.
 */
#ifndef ETLTRACE_ATTACH_H
#define ETLTRACE_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "kernel/tracer.h"
#include "target/object.h"
#include "target/process.h"

struct attacher {
	struct tracer *tr;
	bool per_process;     /* links filtered by pid, not by BPF's set */
	bool perf_events;     /* one perf-event uprobe per site (no uprobe_multi) */
	int verbose;
	int err;              /* the last attach failure (already said), or 0 */
	size_t nobjects;      /* attachments made */
	size_t nsites;
	bool marked_seen;     /* a traced process mapped a marked object */
	struct {
		const struct object *obj;
		pid_t pid;
	} *done;              /* per_process: (object, pid) attached */
	size_t ndone;
};

/* Attaches o's sites for process pid (0: for every process), unless done
 * before. A failure prints one line naming the object, marks it failed
 * (not tried again) and returns -errno. */
int attach_object(struct attacher *a, struct object *o, pid_t pid);

/* process_scan's `added` callback: attaches a newly mapped marked object
 * for p; a failure is said and kept in a->err, and the trace goes on. */
void attach_on_added(void *ctx, struct process *p, struct object *o);

/* Attaches every marked object p's current image maps (as scanned). */
void attach_image(struct attacher *a, struct process *p);

/* Whether p's current image maps an object with etl sites. */
bool process_has_markers(const struct process *p);

/* The files p's current image maps, for attach_no_markers: a malloc'd
 * list (", "-separated, escaped for the terminal), NULL on ENOMEM. */
char *attach_searched(const struct process *p);

/* What p's current image has of USDT provider `provider`, for a message:
 * "its probes of provider P: a, b, ..." (each name once, escaped), or,
 * when it has none, its providers. malloc'd, NULL on ENOMEM. */
char *attach_probes_listed(const struct process *p, const char *provider);

/* Says that process pid has no etl markers, naming the files searched
 * (exit 4); `later` adds that libraries it loaded later were watched too. */
void attach_no_markers(pid_t pid, const char *searched, bool later);

void attach_free(struct attacher *a);

#endif /* ETLTRACE_ATTACH_H */
