/* SPDX-License-Identifier: MIT */
/*
 * object.h - the files that traced processes map, each known by its device
 * and inode (the identity the kernel's uprobes use too), opened once as
 * mapped, with its USDT notes read once however many processes map it.
 *
 * A marked object (one with etl sites) stays open: probes are attached
 * through that descriptor, and literal names are read from it once the
 * process is gone, so a file replaced on disk by a deploy (`mv new old`)
 * is never confused with the one that was mapped.
 */
#ifndef ETLTRACE_OBJECT_H
#define ETLTRACE_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "usdt/notes.h"
#include "usdt/pairs.h"

struct object {
	dev_t dev;
	ino_t ino;
	char *path;               /* as a process's maps showed it (for messages) */
	int fd;                   /* the file as mapped; -1 unless marked */
	char attach_path[32];     /* "/proc/self/fd/N": where probes attach */
	int read_err;             /* 0, or why the file could not be read */
	struct elf_usdt usdt;     /* every USDT note */
	struct etl_site *sites;   /* its etl sites; NULL when unmarked */
	size_t nsites;
	int nstarts, nends, nbad; /* etl sites by kind, and undecodable ones */
	bool has_entry;           /* an executable: its entry point's file offset */
	uint64_t entry_offset;
	bool attached;            /* probes attached for every process */
	bool given;               /* named by -b: its probes start tracing a process */
	bool failed;              /* attaching failed (said once): not tried again */
};

struct objects;

/* A table whose objects' sites are their etl ones and those of pairs
 * (--probe; NULL: none), which must outlive it. */
struct objects *objects_new(const struct probe_pairs *pairs);

/* The object of the file (dev, ino), opened and read on first sight: the
 * candidate paths are tried in order, and one is taken only if what it
 * opens is that file (same device and inode). `shown` is the path for
 * messages. Returns NULL with *err set: -ENOENT if no candidate is that
 * file, -ENOMEM. A file that is not ELF is an object with no sites. */
struct object *objects_get(struct objects *t, dev_t dev, ino_t ino, const char *shown,
			   const char *const *paths, size_t npaths, int *err);

/* Reads `len` bytes at file offset `off` of a marked object. Returns the
 * number of bytes read or -errno. */
ssize_t object_pread(const struct object *o, void *buf, size_t len, uint64_t off);

/* Calls fn for every object (for attaching every marked one). */
void objects_each(struct objects *t, void (*fn)(void *ctx, struct object *o), void *ctx);

void objects_free(struct objects *t);

#endif /* ETLTRACE_OBJECT_H */
