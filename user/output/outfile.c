// SPDX-License-Identifier: MIT
/* outfile.c - see outfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/outfile.h"
#include "output/safepath.h"

/* Temporary names: "." + up to this much of the final name + ".XXXXXX",
 * within NAME_MAX whatever the final name's length. */
#define TMP_BASE_MAX 200
#define TMP_TRIES 100

static mode_t default_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

/* What a file of mode m is, as a reason for refusing it. */
static const char *kind_of(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO (named pipe)";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "not a regular file";
}

/* Checks the status st of an existing final path: a regular file, or a
 * reason in why. */
static int check_type(const struct stat *st, char *why, size_t whylen)
{
	if (S_ISREG(st->st_mode))
		return 0;
	if (S_ISLNK(st->st_mode)) {
		snprintf(why, whylen, "it is a symbolic link (refused: give the path of the file "
				      "it points to)");
		return -ELOOP;
	}
	if (S_ISDIR(st->st_mode)) {
		snprintf(why, whylen, "it is a directory (give a file name in it)");
		return -EISDIR;
	}
	snprintf(why, whylen, "it is %s, not a regular file (refused: give the path of a "
			      "regular file)", kind_of(st->st_mode));
	return -EINVAL;
}

/* Resolves path's directory into d and looks at the final name: *exists
 * and *st say what is there. Returns 0 or a negative errno with why. */
static int prepare(const char *path, struct safe_dir *d, struct stat *st, bool *exists,
		   char *why, size_t whylen)
{
	int err = safe_dir_open(path, geteuid(), d, why, whylen);

	*exists = false;
	if (err)
		return err;
	if (fstatat(d->fd, d->base, st, AT_SYMLINK_NOFOLLOW) == 0) {
		*exists = true;
		err = check_type(st, why, whylen);
	} else if (errno != ENOENT) {
		err = -errno;
		snprintf(why, whylen, "cannot look at it: %s", strerror(-err));
	}
	if (err)
		safe_dir_close(d);
	return err;
}

/* Can we create files in d? 0 or a negative errno with why. */
static int check_writable(const struct safe_dir *d, char *why, size_t whylen)
{
	int err;

	if (faccessat(d->fd, ".", W_OK | X_OK, AT_EACCESS) == 0)
		return 0;
	err = -errno;
	snprintf(why, whylen, "cannot create files in %s: %s (give a directory etltrace can "
		 "write)", d->shown, strerror(-err));
	return err;
}

int out_check(const char *path, char *why, size_t whylen)
{
	struct safe_dir d;
	struct stat st;
	bool exists;
	int err = prepare(path, &d, &st, &exists, why, whylen);

	if (err)
		return err;
	err = check_writable(&d, why, whylen);
	safe_dir_close(&d);
	return err;
}

/* Creates ".BASE.XXXXXX" in dirfd (never following anything there) and
 * stores its name in *tmp. Returns the descriptor or a negative errno. */
static int create_temp(int dirfd, const char *base, char **tmp)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t blen = strnlen(base, TMP_BASE_MAX);
	char *name = malloc(blen + 9);
	int fd = -EEXIST;

	if (!name)
		return -ENOMEM;
	name[0] = '.';
	memcpy(name + 1, base, blen);
	memcpy(name + 1 + blen, ".XXXXXX", 8);
	for (int i = 0; i < TMP_TRIES && fd == -EEXIST; i++) {
		unsigned char r[6];

		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			for (size_t k = 0; k < sizeof(r); k++)
				r[k] = (unsigned char)(rand() ^ (int)getpid());
		for (size_t k = 0; k < sizeof(r); k++)
			name[2 + blen + k] = chars[r[k] % (sizeof(chars) - 1)];
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			fd = -errno;
	}
	if (fd < 0)
		free(name);
	else
		*tmp = name;
	return fd;
}

int out_open(struct out_file *o, const char *path, char *why, size_t whylen)
{
	struct safe_dir d;
	struct stat st;
	bool exists;
	mode_t mode;
	int fd, err;

	memset(o, 0, sizeof(*o));
	o->dirfd = -1;
	if (!path) {
		o->f = stdout;
		return 0;
	}
	err = prepare(path, &d, &st, &exists, why, whylen);
	if (err)
		return err;
	/* A planted file lends its permissions, never set-id or world-write. */
	mode = exists ? st.st_mode & 0777 & ~(mode_t)S_IWOTH : default_mode();
	o->dirfd = d.fd;
	o->base = d.base;
	d.fd = -1;
	d.base = NULL;
	fd = create_temp(o->dirfd, o->base, &o->tmp);
	if (fd < 0) {
		err = fd;
		snprintf(why, whylen, "cannot create a file in %s: %s", d.shown, strerror(-err));
		goto fail;
	}
	if (fchmod(fd, mode) || !(o->f = fdopen(fd, "w"))) {
		err = -errno;
		snprintf(why, whylen, "%s", strerror(-err));
		close(fd);
		goto fail;
	}
	safe_dir_close(&d);
	return 0;
fail:
	safe_dir_close(&d);
	out_abort(o);
	return err;
}

/* fsyncs the directory; 0 or -errno. */
static int sync_dir(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

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
	if (!err && fsync(fileno(o->f)))
		err = -errno;
	if (fclose(o->f) && !err)
		err = -errno;
	o->f = NULL;
	if (!err) {
		if (renameat(o->dirfd, o->tmp, o->dirfd, o->base)) {
			err = -errno;
		} else {
			free(o->tmp);
			o->tmp = NULL;
			/* Durability only: the new file is in place either way. */
			(void)sync_dir(o->dirfd);
		}
	}
	out_abort(o);
	return err;
}

void out_abort(struct out_file *o)
{
	if (o->f && o->f != stdout)
		fclose(o->f);
	if (o->tmp && o->dirfd >= 0)
		unlinkat(o->dirfd, o->tmp, 0);
	if (o->dirfd >= 0)
		close(o->dirfd);
	free(o->tmp);
	free(o->base);
	memset(o, 0, sizeof(*o));
	o->dirfd = -1;
}

/* An existing log file in a directory others can write must be ours (or
 * root's) and have no other name. 0 or -EPERM with why. */
static int check_owner(const struct safe_dir *d, const struct stat *st, char *why,
		       size_t whylen)
{
	uid_t self = geteuid();
	struct stat dst;

	if (fstat(d->fd, &dst) || safe_dir_private(&dst, self))
		return 0;
	if (st->st_uid != 0 && st->st_uid != self) {
		snprintf(why, whylen, "it is owned by uid %u in %s, which other users can write: "
			 "refused, as it may not be meant for root's output (remove it or give "
			 "another path)", (unsigned)st->st_uid, d->shown);
		return -EPERM;
	}
	if (st->st_nlink > 1) {
		snprintf(why, whylen, "it has %lu hard links in %s, which other users can write: "
			 "refused, as it may be another file's second name (remove it or give "
			 "another path)", (unsigned long)st->st_nlink, d->shown);
		return -EPERM;
	}
	return 0;
}

int out_open_append(const char *path, char *why, size_t whylen)
{
	struct safe_dir d;
	struct stat st;
	bool exists;
	int fd, flags, err = prepare(path, &d, &st, &exists, why, whylen);

	if (err)
		return err;
	/* Non-blocking: whatever is at the name by now, opening cannot wait. */
	fd = openat(d.fd, d.base, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
				  O_NOCTTY | O_CLOEXEC, 0666);
	if (fd < 0) {
		err = -errno;
		if (err == -ELOOP)
			check_type(&(struct stat){ .st_mode = S_IFLNK }, why, whylen);
		else if (err == -ENXIO) /* a FIFO with no reader */
			check_type(&(struct stat){ .st_mode = S_IFIFO }, why, whylen);
		else
			snprintf(why, whylen, "cannot open it: %s", strerror(-err));
		goto cleanup;
	}
	/* What was opened is checked, not what was looked at before. */
	if (fstat(fd, &st)) {
		err = -errno;
		snprintf(why, whylen, "cannot look at it: %s", strerror(-err));
	}
	err = err ?: check_type(&st, why, whylen) ?: check_owner(&d, &st, why, whylen);
	flags = err ? 0 : fcntl(fd, F_GETFL);
	if (!err && (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK))) {
		err = -errno;
		snprintf(why, whylen, "%s", strerror(-err));
	}
	if (err)
		close(fd);
cleanup:
	safe_dir_close(&d);
	return err ? err : fd;
}

bool out_is_fd(const char *path, int fd)
{
	struct stat l, a, b;

	return lstat(path, &l) == 0 && S_ISLNK(l.st_mode) && stat(path, &a) == 0 &&
	       fstat(fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int out_open_stream(FILE **f, const char *path, char *why, size_t whylen)
{
	int fd = out_open_append(path, why, whylen), err = 0;

	if (fd < 0)
		return fd;
	if (ftruncate(fd, 0))
		err = -errno;
	else if (!(*f = fdopen(fd, "a")))
		err = -errno;
	if (err) {
		snprintf(why, whylen, "%s", strerror(-err));
		close(fd);
	}
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
