// SPDX-License-Identifier: MIT
/* safepath.c - see safepath.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/safepath.h"
#include "util/names.h"

/* As the kernel's own limit on links followed in one lookup. */
#define MAX_LINKS 40
#define SHOWN_COLS 96

bool safe_dir_private(const struct stat *st, uid_t self)
{
	return (st->st_uid == 0 || st->st_uid == self) && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* A growing string. */
struct str {
	char *s;
	size_t len, cap;
};

static int str_add(struct str *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p)
			return -ENOMEM;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

/* Appends component c to the walked path w ("" or ending in '/' take it
 * as it is). */
static int walked_add(struct str *w, const char *c)
{
	if (w->len && w->s[w->len - 1] != '/' && str_add(w, "/", 1))
		return -ENOMEM;
	return str_add(w, c, strlen(c));
}

/* Drops the last component of the walked path (a link being followed). */
static void walked_drop(struct str *w)
{
	char *slash = w->len ? strrchr(w->s, '/') : NULL;

	w->len = !slash ? 0 : slash == w->s ? 1 : (size_t)(slash - w->s);
	if (w->s)
		w->s[w->len] = '\0';
}

/* s escaped for the terminal and cut, in a static buffer (one of four, for
 * the reasons below that show several). */
static const char *shown(const char *s)
{
	static char buf[4][SHOWN_COLS * 4 + 8];
	static int slot;
	char *t = name_for_terminal(s && *s ? s : "."), *cut = t ? name_fit_width(t, SHOWN_COLS)
								 : NULL;
	char *b = buf[slot++ % 4];

	snprintf(b, sizeof(buf[0]), "%s", cut ? cut : "?");
	free(t);
	free(cut);
	return b;
}

/* The reason for refusing the link `at` (status lst) in `dir` (status dst)
 * that leads to `target`. */
static void refuse_link(const char *at, const struct stat *lst, const char *dir,
			const struct stat *dst, const char *target, char *why, size_t whylen)
{
	char *leads = NULL;

	if (target[0] == '/' || asprintf(&leads, "%s%s%s", dir, dir[0] && strcmp(dir, "/") ?
					 "/" : "", target) < 0)
		leads = NULL;
	snprintf(why, whylen,
		 "%s is a symbolic link owned by uid %u in %s, which %s: refused, as it may lead "
		 "anywhere (give the path it leads to, %s)",
		 shown(at), (unsigned)lst->st_uid, shown(dir),
		 dst->st_mode & S_IWOTH ? "every user can write"
		 : dst->st_mode & S_IWGRP ? "its group can write"
					  : "another user owns",
		 shown(leads ? leads : target));
	free(leads);
}

/* Reads the link open (O_PATH | O_NOFOLLOW) at fd. */
static char *read_link(int fd, const struct stat *st)
{
	size_t cap = st->st_size > 0 && st->st_size < PATH_MAX ? (size_t)st->st_size + 1 : PATH_MAX;
	char *t = malloc(cap);
	ssize_t n;

	if (!t)
		return NULL;
	n = readlinkat(fd, "", t, cap);
	if (n < 0 || (size_t)n >= cap) {
		if (n >= 0)
			errno = ENAMETOOLONG;
		free(t);
		return NULL;
	}
	t[n] = '\0';
	return t;
}

/* Walks the directory path `todo` (malloc'd, taken over) from fd (taken
 * over), following trusted links. Returns the directory's descriptor, or a
 * negative errno after writing why. walked: the path as walked so far, for
 * messages. */
static int walk(char *todo, int fd, uid_t self, struct str *walked, char *why, size_t whylen)
{
	int links = 0, err;
	char *p = todo;

	for (;;) {
		struct stat st, dst;
		char *comp, *next, *target, *more = NULL;
		int nfd;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		comp = p;
		next = strchrnul(p, '/');
		p = *next ? next + 1 : next;
		*next = '\0';
		if (!strcmp(comp, "."))
			continue;
		if (walked_add(walked, comp)) {
			err = -ENOMEM;
			goto fail;
		}
		nfd = openat(fd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 || fstat(nfd, &st)) {
			err = -errno;
			if (err == -ENOENT)
				snprintf(why, whylen, "%s does not exist (create the directory first)",
					 shown(walked->s));
			else
				snprintf(why, whylen, "cannot open %s: %s", shown(walked->s),
					 strerror(-err));
			if (nfd >= 0)
				close(nfd);
			goto fail;
		}
		if (S_ISDIR(st.st_mode)) {
			close(fd);
			fd = nfd;
			continue;
		}
		if (!S_ISLNK(st.st_mode)) {
			close(nfd);
			snprintf(why, whylen, "%s is not a directory (give a path through "
				 "directories)", shown(walked->s));
			err = -ENOTDIR;
			goto fail;
		}
		target = read_link(nfd, &st);
		err = target ? 0 : -errno;
		close(nfd);
		if (!err && ++links > MAX_LINKS)
			err = -ELOOP;
		if (!err && fstat(fd, &dst))
			err = -errno;
		if (err) {
			snprintf(why, whylen, "cannot follow %s: %s", shown(walked->s),
				 strerror(-err));
			free(target);
			goto fail;
		}
		if (st.st_uid != 0 && st.st_uid != self && !safe_dir_private(&dst, self)) {
			char *link = strdup(walked->s);

			walked_drop(walked);
			refuse_link(link ? link : "?", &st, walked->s, &dst, target, why, whylen);
			free(link);
			free(target);
			err = -ELOOP;
			goto fail;
		}
		/* Goes on with the link's target, then what followed the link. */
		walked_drop(walked);
		if (asprintf(&more, "%s/%s", target, p) < 0)
			more = NULL;
		if (more && target[0] == '/') {
			int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

			if (root < 0) {
				err = -errno;
				snprintf(why, whylen, "cannot open /: %s", strerror(-err));
				free(target);
				free(more);
				goto fail;
			}
			close(fd);
			fd = root;
			walked->len = 0;
			if (str_add(walked, "/", 1))
				err = -ENOMEM;
		}
		free(target);
		free(todo);
		todo = p = more;
		if (!more || err) {
			err = -ENOMEM;
			goto fail;
		}
	}
	free(todo);
	return fd;
fail:
	if (err == -ENOMEM)
		snprintf(why, whylen, "out of memory");
	free(todo);
	close(fd);
	return err;
}

int safe_dir_open(const char *path, uid_t self, struct safe_dir *d, char *why, size_t whylen)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	struct str walked = { 0 };
	char *dir;
	int fd;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	if (!*path) {
		snprintf(why, whylen, "the file name is empty");
		return -ENOENT;
	}
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		snprintf(why, whylen, "it is a directory (give a file name in it)");
		return -EISDIR;
	}
	dir = slash ? strndup(path, (size_t)(slash - path) + 1) : strdup(".");
	fd = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (!dir || fd < 0 || str_add(&walked, path[0] == '/' ? "/" : "", path[0] == '/')) {
		int err = fd < 0 ? -errno : -ENOMEM;

		snprintf(why, whylen, "%s", fd < 0 ? strerror(-err) : "out of memory");
		free(dir);
		if (fd >= 0)
			close(fd);
		free(walked.s);
		return err;
	}
	fd = walk(dir, fd, self, &walked, why, whylen);
	if (fd >= 0) {
		d->base = strdup(base);
		d->shown = strdup(shown(walked.s));
		d->fd = fd;
		if (!d->base || !d->shown) {
			safe_dir_close(d);
			snprintf(why, whylen, "out of memory");
			fd = -ENOMEM;
		}
	}
	free(walked.s);
	return fd < 0 ? fd : 0;
}

void safe_dir_close(struct safe_dir *d)
{
	if (d->fd >= 0)
		close(d->fd);
	free(d->base);
	free(d->shown);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
}
