/* SPDX-License-Identifier: MIT */
/*
 * target.h - one traced process as seen through /proc: whether it is a
 * user process, the objects it maps and their etl USDT sites, and reading
 * strings out of its memory.
 */
#ifndef ETLTRACE_TARGET_H
#define ETLTRACE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A file-backed executable mapping: where an object is loaded. */
struct target_map {
	uint64_t start, end, offset;
	size_t obj;           /* index into target.objs */
};

/* One distinct object (executable or shared library) the process maps. */
struct target_object {
	char *path;           /* as the target sees it, e.g. /usr/lib/libx.so */
	char *open_path;      /* through /proc/PID/root, for opening and attaching */
	int starts, ends;     /* etl:op_start / etl:op_end sites; -1 if unreadable */
	bool attached;        /* set by the caller once probes are attached */
	bool failed;          /* attaching failed: not tried again */
};

struct target {
	pid_t pid;
	struct target_object *objs;
	size_t nobjs;
	struct target_map *maps;
	size_t nmaps;
	int root_fd;          /* the target's root directory; outlives the process */
};

/* Checks that pid is a live user-space process we may trace. Returns 0,
 * -ESRCH (no such process), -EINVAL (a kernel thread) or -EACCES. */
int target_check(pid_t pid);

/* Initialises t for pid (no I/O; root_fd is opened by the first scan). */
void target_init(struct target *t, pid_t pid);

/* Re-reads /proc/PID/maps: records the executable mappings and adds objects
 * not seen before, counting their etl sites. Objects already known keep
 * their `attached` flag. Returns the number of new objects, or -errno
 * (-ESRCH once the process is gone). */
int target_scan(struct target *t);

/* Reads the NUL-terminated string at addr in the target into buf (at most
 * len - 1 bytes, always terminated). Reads the process's memory, which
 * faults pages in; if the process is gone, reads the object file behind the
 * last known mapping of addr. Returns the string length or -errno. */
int target_read_string(const struct target *t, uint64_t addr, char *buf, size_t len);

/* Frees everything t owns; t can be scanned again after target_init. */
void target_free(struct target *t);

#endif /* ETLTRACE_TARGET_H */
