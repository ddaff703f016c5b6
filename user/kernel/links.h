/* SPDX-License-Identifier: MIT */
/*
 * links.h - attaching a BPF program to USDT sites of a file, the two ways
 * kernels allow, and detaching many at once.
 *
 * uprobe_multi links (Linux 6.6; libbpf 1.1 predates them, so the link is
 * created by hand): one link for any number of sites of one file, attached
 * and detached at the cost of one RCU grace period for all of them. Older
 * kernels: one perf-event uprobe per site, each carrying its semaphore's
 * offset and its cookie, each costing a grace period to detach.
 */
#ifndef ETLTRACE_LINKS_H
#define ETLTRACE_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* enum bpf_attach_type's BPF_TRACE_UPROBE_MULTI: the expected attach type
 * of programs loaded for uprobe_multi links. */
#define UPROBE_MULTI_ATTACH_TYPE 48

/* The file descriptors of attached links, closed together. */
struct links {
	int *fds;
	size_t n, cap;
};

/* Attaches prog_fd to cnt sites of the file at path (file offsets), each
 * with its semaphore's file offset (0: none) and cookie (cookies may be
 * NULL), for process pid (0: every process that maps the file), with one
 * uprobe_multi link when `multi`, else one perf-event uprobe per site. The
 * links are added to l. Returns 0 or -errno; on error nothing is left
 * attached. */
int links_attach(struct links *l, bool multi, int prog_fd, const char *path,
		 const uint64_t *offsets, const uint64_t *ref_ctr_offsets, const uint64_t *cookies,
		 uint32_t cnt, pid_t pid);

/* The uprobe_multi link of links_attach, for callers that keep its fd
 * themselves. Returns the link fd or -errno. */
int uprobe_multi_link(int prog_fd, const char *path, const uint64_t *offsets,
		      const uint64_t *ref_ctr_offsets, const uint64_t *cookies, uint32_t cnt,
		      pid_t pid);

/* Whether this kernel has uprobe_multi links: loads a trivial program with
 * that attach type and asks for a link on a file that cannot have one.
 * Returns 1, 0, or -errno if the probe itself could not run (-EPERM). */
int uprobe_multi_supported(void);

/* Detaches (closes) every link of l, many at a time: each close waits for
 * an RCU grace period, and concurrent closes share one. l is emptied and
 * can be reused; links_free releases it. */
void links_close_all(struct links *l);
void links_free(struct links *l);

#endif /* ETLTRACE_LINKS_H */
