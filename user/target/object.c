// SPDX-License-Identifier: MIT
/* object.c - mapped files by device and inode, see object.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "target/object.h"

#define OBJECT_BUCKETS 256

struct objects {
	struct node {
		struct node *next;
		struct object o;
	} *b[OBJECT_BUCKETS];
	const struct probe_pairs *pairs;
};

struct objects *objects_new(const struct probe_pairs *pairs)
{
	struct objects *t = calloc(1, sizeof(struct objects));

	if (t)
		t->pairs = pairs;
	return t;
}

static size_t bucket_of(dev_t dev, ino_t ino)
{
	uint64_t h = ((uint64_t)dev * 0x9e3779b97f4a7c15ull) ^ (uint64_t)ino;

	return (size_t)(h * 0xbf58476d1ce4e5b9ull >> 56) % OBJECT_BUCKETS;
}

/* Opens the first candidate that is the file (dev, ino); -ENOENT if none. */
static int open_verified(dev_t dev, ino_t ino, const char *const *paths, size_t npaths)
{
	for (size_t i = 0; i < npaths; i++) {
		struct stat st;
		int fd = open(paths[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			continue;
		if (!fstat(fd, &st) && st.st_dev == dev && st.st_ino == ino)
			return fd;
		close(fd);
	}
	return -ENOENT;
}

/* Adds the sites of --probe pairs to o's. Returns 0 or -ENOMEM. */
static int add_pairs(struct object *o, const struct probe_pairs *pairs)
{
	size_t room = o->usdt.n * (size_t)pairs->n;
	struct etl_site *v;

	if (!room)
		return 0;
	v = realloc(o->sites, (o->nsites + room) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	o->sites = v;
	pairs_sites_of(pairs, &o->usdt, o->sites, &o->nsites, &o->nbad);
	return 0;
}

/* Reads the notes of o from fd; keeps fd when o is marked. */
static int read_object(struct object *o, int fd, const struct probe_pairs *pairs)
{
	int err = elf_usdt_read(fd, &o->usdt);

	if (err == -ENOEXEC)
		err = 0; /* not ELF: no sites */
	if (!err)
		err = etl_sites_of(&o->usdt, &o->sites, &o->nsites, &o->nbad);
	if (!err && pairs)
		err = add_pairs(o, pairs);
	o->has_entry = o->usdt.has_entry;
	o->entry_offset = o->usdt.entry_offset;
	if (err || !o->nsites) {
		/* The notes stay for saying what an object has (--probe). */
		close(fd);
		return err;
	}
	for (size_t i = 0; i < o->nsites; i++) {
		if (o->sites[i].is_end)
			o->nends++;
		else
			o->nstarts++;
	}
	o->fd = fd;
	snprintf(o->attach_path, sizeof(o->attach_path), "/proc/self/fd/%d", fd);
	return 0;
}

struct object *objects_get(struct objects *t, dev_t dev, ino_t ino, const char *shown,
			   const char *const *paths, size_t npaths, int *err)
{
	size_t b = bucket_of(dev, ino);
	struct node *n;
	int fd;

	for (n = t->b[b]; n; n = n->next)
		if (n->o.dev == dev && n->o.ino == ino)
			return &n->o;
	fd = open_verified(dev, ino, paths, npaths);
	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (n)
		n->o.path = strdup(shown);
	if (!n || !n->o.path) {
		free(n);
		close(fd);
		*err = -ENOMEM;
		return NULL;
	}
	n->o.dev = dev;
	n->o.ino = ino;
	n->o.fd = -1;
	n->o.read_err = read_object(&n->o, fd, t->pairs);
	n->next = t->b[b];
	t->b[b] = n;
	return &n->o;
}

ssize_t object_pread(const struct object *o, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	if (o->fd < 0)
		return -EBADF;
	n = pread(o->fd, buf, len, (off_t)off);
	return n < 0 ? -errno : n;
}

void objects_each(struct objects *t, void (*fn)(void *ctx, struct object *o), void *ctx)
{
	for (size_t b = 0; t && b < OBJECT_BUCKETS; b++)
		for (struct node *n = t->b[b]; n; n = n->next)
			fn(ctx, &n->o);
}

void objects_free(struct objects *t)
{
	for (size_t b = 0; t && b < OBJECT_BUCKETS; b++) {
		struct node *n = t->b[b], *next;

		for (; n; n = next) {
			next = n->next;
			if (n->o.fd >= 0)
				close(n->o.fd);
			elf_usdt_free(&n->o.usdt);
			free(n->o.sites);
			free(n->o.path);
			free(n);
		}
	}
	free(t);
}
