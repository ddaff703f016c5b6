/* SPDX-License-Identifier: MIT */
/*
 * links.h - attaching a BPF program to USDT sites of a file, the ways
 * kernels allow, and detaching them.
 *
 * uprobe_multi links (Linux 6.6; libbpf 1.1 predates them, so the link is
 * created by hand): one link for any number of sites of one file, attached
 * and detached at the cost of one RCU grace period for all of them. Older
 * kernels: a perf event per group of sites sharing a cookie, on a trace
 * event of tracefs's uprobe_events holding all their probes (one grace
 * period per group, see uprobe_events.h); without tracefs, one perf-event
 * uprobe per site, each carrying its semaphore's offset and its cookie, each
 * costing grace periods to detach, one after another.
 */
#ifndef ETLTRACE_LINKS_H
#define ETLTRACE_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct btf;

/* enum bpf_attach_type's BPF_TRACE_UPROBE_MULTI: the expected attach type
 * of programs loaded for uprobe_multi links. */
#define UPROBE_MULTI_ATTACH_TYPE 48

/* How links_attach attaches. */
enum links_kind {
	LINKS_UPROBE_MULTI,  /* one uprobe_multi link */
	LINKS_TRACE_EVENTS,  /* perf events on multi-probe trace events where
			      * tracefs allows, else LINKS_PERF_UPROBES */
	LINKS_PERF_UPROBES,  /* one perf-event uprobe per site */
};

/* An attached link: its fd, and the number of the trace event its perf
 * event is on (uprobe_events.h), deleted once the fd is closed; 0: none. */
struct link {
	int fd;
	uint32_t event;
};

/* Attached links, closed together. */
struct links {
	struct link *v;
	size_t n, cap;
};

/* Attaches prog_fd to cnt sites of the file at path (file offsets), each
 * with its semaphore's file offset (0: none) and cookie (cookies may be
 * NULL: all 0), for process pid (0: every process that maps the file), the
 * way `kind` says. The links are added to l. Returns 0 or -errno; on error
 * nothing is left attached or defined. */
int links_attach(struct links *l, enum links_kind kind, int prog_fd, const char *path,
		 const uint64_t *offsets, const uint64_t *ref_ctr_offsets, const uint64_t *cookies,
		 uint32_t cnt, pid_t pid);

/* The uprobe_multi link of links_attach, for callers that keep its fd
 * themselves. Returns the link fd or -errno. */
int uprobe_multi_link(int prog_fd, const char *path, const uint64_t *offsets,
		      const uint64_t *ref_ctr_offsets, const uint64_t *cookies, uint32_t cnt,
		      pid_t pid);

/* Whether this kernel has uprobe_multi links: whether its BTF (vmlinux,
 * or NULL to load it here) names the attach type. Returns 1, 0, or -errno
 * if the BTF could not be read. */
int uprobe_multi_supported(const struct btf *vmlinux);

/* Detaches (closes) the links of l from index `from` on, then deletes their
 * trace events; l keeps the first `from`. Everything is detached whatever
 * fails. Returns 0 or the first -errno of deleting an event. */
int links_close_from(struct links *l, size_t from);

/* links_close_from(l, 0): l is emptied and can be reused; links_free
 * releases it. */
int links_close_all(struct links *l);
void links_free(struct links *l);

#endif /* ETLTRACE_LINKS_H */
