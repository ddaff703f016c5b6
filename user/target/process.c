// SPDX-License-Identifier: MIT
/* process.c - a traced process through /proc, see process.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "target/process.h"
#include "util/procfs.h"

#define PF_KTHREAD 0x00200000

/* Names cached per image, by address. A literal's address is one of the
 * program's marker sites, so real programs stay far below the cap; past
 * it names are still read, just not kept. */
#define NAME_BUCKETS 1024
#define NAME_CACHE_MAX 65536

struct name_entry {
	struct name_entry *next;
	uint64_t addr;
	size_t len;
	bool cut;
	uint64_t memo; /* the caller's word about the name, see process_read_name */
	char name[];
};

struct name_cache {
	struct name_entry *b[NAME_BUCKETS];
	size_t n;
};

int process_check(pid_t pid)
{
	char path[64], *buf = NULL, *p;
	unsigned long flags = 0;
	size_t cap = 0;
	FILE *f;
	int err = 0, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	if (getline(&buf, &cap, f) < 0) {
		err = -ESRCH;
		goto cleanup;
	}
	/* The command name may hold spaces and parentheses: fields after it
	 * start at the last ')'. flags is the 9th field, 7th after it. */
	p = strrchr(buf, ')');
	for (i = 0; p && i < 7; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%lu", &flags) != 1) {
		err = -EINVAL;
		goto cleanup;
	}
	if (flags & PF_KTHREAD)
		err = -EINVAL;
cleanup:
	free(buf);
	fclose(f);
	return err;
}

void process_init(struct process *p, pid_t pid, uint64_t start_ns)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->start_ns = start_ns;
	process_read_comm(p);
}

void process_read_comm(struct process *p)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)p->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, p->comm, sizeof(p->comm) - 1);
		close(fd);
	}
	p->comm[n > 0 ? n : 0] = '\0';
	p->comm[strcspn(p->comm, "\n")] = '\0';
}

static void cache_free(struct name_cache *c)
{
	for (size_t b = 0; c && b < NAME_BUCKETS; b++) {
		struct name_entry *e = c->b[b], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(c);
}

static void image_free(struct image *img)
{
	free(img->maps);
	cache_free(img->names);
	memset(img, 0, sizeof(*img));
}

/* The object behind one maps line's file, opened as the process maps it:
 * the path as etltrace sees it (right for a chroot: maps paths are shown
 * from the reader's root), through the process's root (a mount namespace
 * of its own), or the mapping itself. */
static struct object *object_of(struct process *p, struct objects *objs, const char *path,
				dev_t dev, ino_t ino, uint64_t start, uint64_t end)
{
	char *in_root = NULL, *mapped = NULL;
	const char *cand[3];
	struct object *o;
	size_t n = 0;
	int err;

	cand[n++] = path;
	if (asprintf(&in_root, "/proc/%d/root%s", (int)p->pid, path) >= 0)
		cand[n++] = in_root;
	else
		in_root = NULL;
	if (asprintf(&mapped, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)p->pid, start,
		     end) >= 0)
		cand[n++] = mapped;
	else
		mapped = NULL;
	o = objects_get(objs, dev, ino, path, cand, n, &err);
	free(in_root);
	free(mapped);
	return o;
}

/* Puts the mappings of maps[0..n), read before the read failed, in front
 * of the image's own, which they replace where equal. */
static int keep_partial(struct image *img, const struct mapping *maps, size_t n)
{
	struct mapping *v = malloc((n + img->nmaps) * sizeof(*v) + 1);
	size_t k = n;

	if (!v)
		return -ENOMEM;
	memcpy(v, maps, n * sizeof(*v));
	for (size_t i = 0; i < img->nmaps; i++) {
		const struct mapping *m = &img->maps[i];
		bool seen = false;

		for (size_t j = 0; j < n && !seen; j++)
			seen = maps[j].start == m->start && maps[j].end == m->end &&
			       maps[j].offset == m->offset && maps[j].obj == m->obj;
		if (!seen)
			v[k++] = *m;
	}
	free(img->maps);
	img->maps = v;
	img->nmaps = k;
	return 0;
}

int process_scan(struct process *p, struct objects *objs,
		 void (*added)(void *ctx, struct process *p, struct object *o), void *ctx)
{
	char path[64];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)p->pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	err = process_scan_maps(p, f, objs, added, ctx);
	fclose(f);
	return err;
}

int process_scan_maps(struct process *p, FILE *f, struct objects *objs,
		      void (*added)(void *ctx, struct process *p, struct object *o), void *ctx)
{
	struct mapping *maps = NULL;
	size_t cap = 0, nmaps = 0, lcap = 0;
	char *line = NULL;
	int err = 0;

	while (getline(&line, &lcap, f) > 0) {
		unsigned int major, minor;
		uint64_t start, end, off, ino;
		char perms[8] = "";
		int name_at = 0;
		struct object *o;
		bool known = false;
		char *name;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %" SCNu64 " %n",
			   &start, &end, perms, &off, &major, &minor, &ino, &name_at) < 7 ||
		    !name_at || !ino)
			continue;
		name = line + name_at;
		name[strcspn(name, "\n")] = '\0';
		if (name[0] != '/')
			continue;
		/* A replaced file shows " (deleted)": map_files still opens it. */
		if (strlen(name) > 10 && !strcmp(name + strlen(name) - 10, " (deleted)"))
			name[strlen(name) - 10] = '\0';
		o = object_of(p, objs, name, makedev(major, minor), (ino_t)ino, start, end);
		if (nmaps == cap) {
			size_t c = cap ? cap * 2 : 64;
			struct mapping *m = realloc(maps, c * sizeof(*m));

			if (!m) {
				err = -ENOMEM;
				goto cleanup;
			}
			maps = m;
			cap = c;
		}
		maps[nmaps++] = (struct mapping){ start, end, off, o, perms[1] != 'w' };
		if (!o || !o->nsites || !added)
			continue;
		for (size_t i = 0; i < p->img.nmaps && !known; i++)
			known = p->img.maps[i].obj == o;
		for (size_t i = 0; i + 1 < nmaps && !known; i++)
			known = maps[i].obj == o;
		if (!known)
			added(ctx, p, o);
	}
	if (ferror(f)) {
		/* The process died while its maps were read (ESRCH), after
		 * objects in what was read may have been attached (a library
		 * just loaded): their names are read from the files once the
		 * process is gone, which needs their mappings. */
		err = keep_partial(&p->img, maps, nmaps) ?: -EIO;
		goto cleanup;
	}
	/* An empty map list means the process has exited (or is a zombie). */
	if (!nmaps) {
		err = -ESRCH;
		goto cleanup;
	}
	free(p->img.maps);
	p->img.maps = maps;
	p->img.nmaps = nmaps;
	maps = NULL;
cleanup:
	free(maps);
	free(line);
	return err;
}

int process_inherit(struct process *p, const struct process *parent, uint64_t when_ns)
{
	const struct image *img = when_ns >= parent->img.since_ns ? &parent->img : &parent->old;
	struct mapping *maps;

	if (!img->nmaps)
		return -ENOENT;
	maps = malloc(img->nmaps * sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	memcpy(maps, img->maps, img->nmaps * sizeof(*maps));
	free(p->img.maps);
	p->img.maps = maps;
	p->img.nmaps = img->nmaps;
	return 0;
}

void process_exec(struct process *p, uint64_t when_ns)
{
	image_free(&p->old);
	p->old = p->img;
	memset(&p->img, 0, sizeof(p->img));
	p->img.since_ns = when_ns;
}

void process_drop_old(struct process *p)
{
	image_free(&p->old);
}

static size_t bucket_of(uint64_t addr)
{
	return (size_t)((addr * 0x9e3779b97f4a7c15ull) >> 54) % NAME_BUCKETS;
}

static struct name_entry *cache_find(const struct image *img, uint64_t addr)
{
	if (!img->names)
		return NULL;
	for (struct name_entry *e = img->names->b[bucket_of(addr)]; e; e = e->next)
		if (e->addr == addr)
			return e;
	return NULL;
}

/* Keeps name at addr; a failure to keep only costs a later read. */
static struct name_entry *cache_add(struct image *img, uint64_t addr, const char *name, size_t n,
				    bool cut)
{
	struct name_entry *e;
	size_t b = bucket_of(addr);

	if (!img->names)
		img->names = calloc(1, sizeof(*img->names));
	if (!img->names || img->names->n >= NAME_CACHE_MAX)
		return NULL;
	e = malloc(sizeof(*e) + n + 1);
	if (!e)
		return NULL;
	e->addr = addr;
	e->len = n;
	e->cut = cut;
	e->memo = 0;
	memcpy(e->name, name, n + 1);
	e->next = img->names->b[b];
	img->names->b[b] = e;
	img->names->n++;
	return e;
}

/* Reads len bytes at addr from the file mapped there in img (only if it
 * is mapped read-only, with `readonly`). */
static ssize_t read_mapped(const struct image *img, uint64_t addr, char *buf, size_t len,
			   bool readonly)
{
	for (size_t i = 0; i < img->nmaps; i++) {
		const struct mapping *m = &img->maps[i];

		if (addr < m->start || addr >= m->end)
			continue;
		if (!m->obj || (readonly && !m->readonly))
			return -ENOENT;
		return object_pread(m->obj, buf, len, addr - m->start + m->offset);
	}
	return -ENOENT;
}

int process_read_name(struct process *p, uint64_t when_ns, uint64_t addr, bool by_addr,
		      char *buf, size_t len, bool *cut, uint64_t **memo)
{
	struct image *img = when_ns >= p->img.since_ns ? &p->img : &p->old;
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	struct name_entry *e;
	ssize_t n = -1;
	size_t k;

	*cut = false;
	if (memo)
		*memo = NULL;
	if (len < 2)
		return -EINVAL;
	e = by_addr ? cache_find(img, addr) : NULL;
	if (e) {
		size_t n = e->len < len - 1 ? e->len : len - 1;

		memcpy(buf, e->name, n);
		buf[n] = '\0';
		*cut = e->cut;
		if (memo)
			*memo = &e->memo;
		return (int)n;
	}
	/* A name in a read-only file mapping (a literal) is read from that
	 * file, the object this image mapped: the process may have exec'd
	 * since (its exec not yet seen here), even into a program with other
	 * text at the same address. */
	n = read_mapped(img, addr, buf, len, true);
	/* Else the live process, which holds the image only while it runs it. */
	if (n <= 0 && img == &p->img && !p->exited)
		n = process_vm_readv(p->pid, &local, 1, &remote, 1, 0);
	if (n <= 0) /* gone, exec'd, or a name ending a mapping: the file */
		n = read_mapped(img, addr, buf, len, false);
	if (n <= 0)
		return n < 0 ? (int)n : -EFAULT;
	k = strnlen(buf, (size_t)n);
	if (k == (size_t)n) { /* no NUL in what was read */
		k = (size_t)n < len ? (size_t)n : len - 1;
		*cut = k == len - 1;
	}
	buf[k] = '\0';
	if (by_addr && (e = cache_add(img, addr, buf, k, *cut)) && memo)
		*memo = &e->memo;
	return (int)k;
}

void process_free(struct process *p)
{
	image_free(&p->img);
	image_free(&p->old);
}
