// SPDX-License-Identifier: MIT
/* target.c - a traced process through /proc. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "target/elf_notes.h"
#include "target/target.h"

#define PF_KTHREAD 0x00200000

int target_check(pid_t pid)
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

void target_init(struct target *t, pid_t pid)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->root_fd = -1;
}

/* Index of the object with this path, adding it if new. -1 on ENOMEM. */
static long object_index(struct target *t, const char *path, int *added)
{
	struct target_object *objs, *o;
	size_t i;

	for (i = 0; i < t->nobjs; i++)
		if (!strcmp(t->objs[i].path, path))
			return (long)i;
	objs = realloc(t->objs, (t->nobjs + 1) * sizeof(*objs));
	if (!objs)
		return -1;
	t->objs = objs;
	o = &objs[t->nobjs];
	memset(o, 0, sizeof(*o));
	o->path = strdup(path);
	if (!o->path || asprintf(&o->open_path, "/proc/%d/root%s", (int)t->pid, path) < 0) {
		free(o->path);
		return -1;
	}
	if (elf_etl_sites(o->open_path, &o->starts, &o->ends))
		o->starts = o->ends = -1;
	(*added)++;
	return (long)t->nobjs++;
}

int target_scan(struct target *t)
{
	char path[64], *line = NULL;
	struct target_map *maps = NULL;
	size_t cap = 0, nmaps = 0, mapcap = 0;
	int added = 0, err = 0;
	FILE *f;

	if (t->root_fd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/root", (int)t->pid);
		t->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)t->pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (getline(&line, &cap, f) > 0) {
		uint64_t start, end, off;
		char perms[8];
		int name_at = 0;
		long idx;
		char *name;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*u %n", &start,
			   &end, perms, &off, &name_at) < 4 || !name_at)
			continue;
		name = line + name_at;
		name[strcspn(name, "\n")] = '\0';
		/* Only files; "(deleted)" files can no longer be opened by path. */
		if (name[0] != '/' || strstr(name, " (deleted)"))
			continue;
		idx = object_index(t, name, &added);
		if (idx < 0) {
			err = -ENOMEM;
			goto cleanup;
		}
		if (nmaps == mapcap) {
			struct target_map *m = realloc(maps, (mapcap ? mapcap * 2 : 32) * sizeof(*m));

			if (!m) {
				err = -ENOMEM;
				goto cleanup;
			}
			maps = m;
			mapcap = mapcap ? mapcap * 2 : 32;
		}
		maps[nmaps++] = (struct target_map){ start, end, off, (size_t)idx };
	}
	if (ferror(f)) {
		err = -EIO;
		goto cleanup;
	}
	/* An empty map list means the process has exited (or is a zombie). */
	if (!nmaps && !t->nobjs) {
		err = -ESRCH;
		goto cleanup;
	}
	free(t->maps);
	t->maps = maps;
	t->nmaps = nmaps;
	maps = NULL;
cleanup:
	free(maps);
	free(line);
	fclose(f);
	return err ? err : added;
}

/* Opens path inside the target's root, which stays reachable after the
 * process is gone; symlinks cannot escape that root. */
static int open_in_root(const struct target *t, const char *path)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };

	if (t->root_fd < 0)
		return -EBADF;
	return (int)syscall(SYS_openat2, t->root_fd, path, &how, sizeof(how));
}

/* Reads from the object file behind addr's mapping. */
static int read_from_file(const struct target *t, uint64_t addr, char *buf, size_t len)
{
	ssize_t n = -1;
	size_t i;
	int fd;

	for (i = 0; i < t->nmaps; i++) {
		const struct target_map *m = &t->maps[i];

		if (addr < m->start || addr >= m->end)
			continue;
		fd = open_in_root(t, t->objs[m->obj].path);
		if (fd < 0)
			return -errno;
		n = pread(fd, buf, len - 1, (off_t)(addr - m->start + m->offset));
		close(fd);
		break;
	}
	return n < 0 ? -ENOENT : (int)n;
}

int target_read_string(const struct target *t, uint64_t addr, char *buf, size_t len)
{
	struct iovec local = { buf, len - 1 };
	struct iovec remote = { (void *)(uintptr_t)addr, len - 1 };
	ssize_t n;

	if (!len)
		return -EINVAL;
	n = process_vm_readv(t->pid, &local, 1, &remote, 1, 0);
	if (n <= 0) {
		/* A partial page at the end of a mapping: read what we can. */
		n = read_from_file(t, addr, buf, len);
		if (n <= 0)
			return n < 0 ? (int)n : -EFAULT;
	}
	buf[n] = '\0';
	return (int)strlen(buf);
}

void target_free(struct target *t)
{
	size_t i;

	for (i = 0; i < t->nobjs; i++) {
		free(t->objs[i].path);
		free(t->objs[i].open_path);
	}
	free(t->objs);
	free(t->maps);
	if (t->root_fd >= 0)
		close(t->root_fd);
	t->root_fd = -1;
	t->objs = NULL;
	t->maps = NULL;
	t->nobjs = t->nmaps = 0;
}
