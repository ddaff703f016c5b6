/* SPDX-License-Identifier: MIT */
/*
 * process.h - one traced process as seen through /proc: whether it is a
 * user process, the files it maps (each an object, see object.h), and the
 * names its operations point at.
 *
 * A process has images: the one it runs now and, after an exec, the one
 * it ran before, kept until the records made under it are read. A name is
 * always read from the image that was running when its operation started:
 * from the file that image maps read-only at the name's address (a
 * literal's .rodata), else from the live process while that image is
 * current, else from whatever file was mapped there; the names read by
 * address are cached per image.
 */
#ifndef ETLTRACE_PROCESS_H
#define ETLTRACE_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "etltrace.h"
#include "target/object.h"

/* A file-backed mapping of an image. */
struct mapping {
	uint64_t start, end, offset;
	struct object *obj; /* NULL if the file could not be opened */
	bool readonly;      /* mapped without write permission */
};

struct name_cache;

struct image {
	uint64_t since_ns;      /* CLOCK_MONOTONIC when it began (0: before the trace) */
	struct mapping *maps;
	size_t nmaps;
	struct name_cache *names; /* names read by address */
};

struct process {
	pid_t pid;
	uint64_t start_ns;      /* CLOCK_MONOTONIC start; 0 if it predates the trace */
	char comm[ETL_COMM_LEN];
	struct image img;       /* running now */
	struct image old;       /* before its last exec, until dropped */
	bool exited;
	uint64_t exit_ns;
	bool no_section;        /* found no room for a section of its own in the
				 * report: it never gets one (procstats) */
};

/* Checks that pid is a live user-space process we may trace. Returns 0,
 * -ESRCH (no such process), -EINVAL (a kernel thread) or -EACCES. */
int process_check(pid_t pid);

/* Initialises p for pid (its command name read from /proc). */
void process_init(struct process *p, pid_t pid, uint64_t start_ns);

/* Re-reads p's command name from /proc (it changes at exec). */
void process_read_comm(struct process *p);

/* Re-reads /proc/PID/maps into the current image: every file mapping,
 * each with its object from objs (read on first sight). Calls added(ctx,
 * obj) for each marked object the image did not map before. Returns 0 or
 * -errno (-ESRCH once the process is gone). */
int process_scan(struct process *p, struct objects *objs,
		 void (*added)(void *ctx, struct process *p, struct object *o), void *ctx);

/* process_scan over f, an open maps file (the text of /proc/PID/maps): the
 * seam for tests. A read error after some lines (the process died) keeps
 * the mappings read so far, in front of the image's, and returns -EIO. */
int process_scan_maps(struct process *p, FILE *f, struct objects *objs,
		      void (*added)(void *ctx, struct process *p, struct object *o), void *ctx);

/* p was forked by parent at when_ns: its image is a copy of the one the
 * parent ran then (the same mappings, so the same names at the same
 * addresses), known even if p has already exited. Returns 0, or -ENOENT
 * if that image of the parent is not known, or -ENOMEM. */
int process_inherit(struct process *p, const struct process *parent, uint64_t when_ns);

/* The process replaced its image at when_ns: the current image becomes
 * the old one (the one before is dropped), and the new one is empty until
 * the next scan. */
void process_exec(struct process *p, uint64_t when_ns);

/* Drops the image before the last exec (its records have been read). */
void process_drop_old(struct process *p);

/* Reads the name at addr of the image running at when_ns into buf (len
 * bytes; at most len - 1 kept, always terminated). by_addr: the name is
 * immutable at that address (a literal), so it is cached; then, if memo is
 * not NULL, *memo points to a word kept with the cached name for the
 * caller (0 at first; intake keeps the name's hash there), else it is set
 * to NULL. Sets *cut when the name is longer than len - 1 bytes. Returns
 * the name's length or -errno (-ENOENT: nothing maps that address any
 * more). The same len must be used for every read of one cache. */
int process_read_name(struct process *p, uint64_t when_ns, uint64_t addr, bool by_addr,
		      char *buf, size_t len, bool *cut, uint64_t **memo);

/* Frees what p holds (not its objects). */
void process_free(struct process *p);

#endif /* ETLTRACE_PROCESS_H */
