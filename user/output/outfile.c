// SPDX-License-Identifier: MIT
/* output.c - see output.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/outfile.h"

/* Directory part of path, malloc'd ("." for a bare name). */
static char *dir_of(const char *path)
{
	char *copy = strdup(path), *d;

	if (!copy)
		return NULL;
	d = strdup(dirname(copy));
	free(copy);
	return d;
}

/* "DIR/.BASE.XXXXXX", malloc'd, for mkostemp. */
static char *tmp_template(const char *path)
{
	char *copy = strdup(path), *dir = dir_of(path), *t = NULL;

	if (copy && dir && asprintf(&t, "%s/.%s.XXXXXX", dir, basename(copy)) < 0)
		t = NULL;
	free(copy);
	free(dir);
	return t;
}

static mode_t default_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

int out_open(struct out_file *o, const char *path)
{
	struct stat st;
	bool exists;
	int fd = -1, err;

	memset(o, 0, sizeof(*o));
	if (!path) {
		o->f = stdout;
		return 0;
	}
	if (lstat(path, &st) == 0) {
		exists = true;
		if (S_ISLNK(st.st_mode))
			return -ELOOP;
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
	} else if (errno == ENOENT) {
		exists = false;
	} else {
		return -errno;
	}
	o->path = strdup(path);
	if (!o->path)
		return -ENOMEM;
	if (exists && !S_ISREG(st.st_mode)) {
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	} else {
		o->tmp = tmp_template(path);
		if (!o->tmp) {
			err = -ENOMEM;
			goto fail;
		}
		fd = mkostemp(o->tmp, O_CLOEXEC);
		if (fd >= 0 && fchmod(fd, exists ? st.st_mode & 07777 : default_mode())) {
			err = -errno;
			goto fail;
		}
	}
	if (fd < 0) {
		err = -errno;
		free(o->tmp); /* mkostemp created nothing */
		o->tmp = NULL;
		goto fail;
	}
	o->f = fdopen(fd, "w");
	if (!o->f) {
		err = -errno;
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	out_abort(o);
	return err;
}

/* fsyncs the directory holding path; 0 or -errno. */
static int sync_dir(const char *path)
{
	char *dir = dir_of(path);
	int fd, err = 0;

	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

int out_commit(struct out_file *o)
{
	int err = 0;

	errno = 0;
	if (fflush(o->f) || ferror(o->f))
		err = errno ? -errno : -EIO;
	if (o->f == stdout) {
		o->f = NULL;
		return err;
	}
	if (!err && o->tmp && fsync(fileno(o->f)))
		err = -errno;
	if (fclose(o->f) && !err)
		err = -errno;
	o->f = NULL;
	if (!err && o->tmp) {
		if (rename(o->tmp, o->path)) {
			err = -errno;
		} else {
			free(o->tmp);
			o->tmp = NULL;
			/* Durability only: the new file is in place either way. */
			(void)sync_dir(o->path);
		}
	}
	out_abort(o);
	return err;
}

void out_abort(struct out_file *o)
{
	if (o->f && o->f != stdout)
		fclose(o->f);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
}

int out_open_stream(FILE **f, const char *path)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
		      0666), err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = -EINVAL; /* a FIFO or a device: refused */
	else if (ftruncate(fd, 0))
		err = -errno;
	if (!err && !(*f = fdopen(fd, "w")))
		err = -errno;
	if (err)
		close(fd);
	return err;
}

bool out_guard_stdio(void)
{
	bool stdout_closed = false;

	for (int fd = 0; fd <= 2; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (fd == 1)
			stdout_closed = true;
		/* Lands on fd, the lowest free descriptor. */
		nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (nfd >= 0 && nfd != fd)
			close(nfd);
	}
	return stdout_closed;
}
