/* SPDX-License-Identifier: MIT */
/*
 * uprobe_multi.h - BPF uprobe_multi links (Linux 6.6), which libbpf 1.1
 * predates: one link attaches a program to many sites of one file, and
 * attaching or detaching it costs one RCU grace period for all of them.
 */
#ifndef ETLTRACE_UPROBE_MULTI_H
#define ETLTRACE_UPROBE_MULTI_H

#include <stdint.h>
#include <sys/types.h>

/* enum bpf_attach_type's BPF_TRACE_UPROBE_MULTI: set it as a program's
 * expected attach type before load. */
#define UPROBE_MULTI_ATTACH_TYPE 48

/* Attaches prog_fd to cnt sites of the file at path (file offsets), each
 * with its semaphore's file offset (0: none) and cookie (cookies may be
 * NULL), for process pid (-1: all). Returns the link fd (closing it
 * detaches) or -errno. */
int uprobe_multi_link(int prog_fd, const char *path, const uint64_t *offsets,
		      const uint64_t *ref_ctr_offsets, const uint64_t *cookies, uint32_t cnt,
		      pid_t pid);

#endif /* ETLTRACE_UPROBE_MULTI_H */
