// SPDX-License-Identifier: MIT
/*
 * rootjail.c - runs a program the way a container does: in its own mount
 * and pid namespaces, with a root of its own that exists only there (a
 * tmpfs, made the root by pivot_root, the old root unmounted), so that the
 * paths in its /proc/PID/maps ("/prog") mean nothing on the host.
 *
 *   rootjail DIR PROG ARGS...
 *
 * Mounts a tmpfs on DIR inside the new namespace, copies PROG into it as
 * /prog (PROG must be static: nothing else is there), pivots into it and
 * runs /prog ARGS... as pid 1 of the namespace. Prints "rootjail: pid N"
 * (N: that process as the host sees it) on stdout before /prog starts,
 * and exits with its status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int copy(const char *src, const char *dst)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	close(in);
	return close(out) || n < 0 ? -1 : 0;
}

/* In the new namespaces, as their pid 1. */
static int inside(const char *dir, const char *prog, char **argv, int gate)
{
	char b, dst[4096];

	if (mount("none", dir, "tmpfs", 0, "size=16m")) {
		perror("rootjail: mount tmpfs");
		return 120;
	}
	snprintf(dst, sizeof(dst), "%s/prog", dir);
	if (copy(prog, dst) || chdir(dir) || mkdir("old", 0700) ||
	    syscall(SYS_pivot_root, ".", "old") || umount2("/old", MNT_DETACH) || rmdir("/old") ||
	    chdir("/")) {
		perror("rootjail: pivot into the new root");
		return 121;
	}
	/* The host pid is printed before the program says anything. */
	if (read(gate, &b, 1) != 1)
		return 122;
	execv("/prog", argv);
	perror("rootjail: exec /prog");
	return 127;
}

int main(int argc, char **argv)
{
	int gate[2], status;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: rootjail DIR PROG ARGS...\n");
		return 2;
	}
	if (pipe2(gate, O_CLOEXEC) || unshare(CLONE_NEWNS | CLONE_NEWPID) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		perror("rootjail: new namespaces");
		return 120;
	}
	pid = fork();
	if (pid < 0)
		return 120;
	if (pid == 0) {
		const char *prog = argv[2];

		argv[2] = "/prog";
		_exit(inside(argv[1], prog, argv + 2, gate[0]));
	}
	printf("rootjail: pid %d\n", (int)pid);
	fflush(stdout);
	if (write(gate[1], "g", 1) != 1)
		return 120;
	if (waitpid(pid, &status, 0) != pid)
		return 120;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
