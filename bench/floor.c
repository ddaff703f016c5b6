// SPDX-License-Identifier: MIT
/*
 * floor.c - loader of the floor (floor.bpf.c): attaches the empty programs
 * to the etl probes of BINARY in process PID, prints "floor: ready" on
 * stderr, and stays attached until SIGINT/SIGTERM or the process's exit.
 *
 *   floor PID BINARY
 *
 * Exit status: 0 after a clean detach, 1 on any failure (said on stderr).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "floor.skel.h"

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	struct bpf_link *start = NULL, *end = NULL;
	struct floor *skel = NULL;
	struct pollfd pfd[2] = { { .fd = -1 }, { .fd = -1 } };
	sigset_t set;
	char *endp;
	long pid;
	int rc = 1;

	if (argc != 3) {
		fputs("usage: floor PID BINARY\n", stderr);
		return 1;
	}
	pid = strtol(argv[1], &endp, 10);
	if (*endp || pid <= 0) {
		fprintf(stderr, "floor: invalid PID '%s'\n", argv[1]);
		return 1;
	}
	libbpf_set_print(quiet_libbpf);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL)) {
		perror("floor: sigprocmask");
		return 1;
	}
	pfd[0].fd = signalfd(-1, &set, SFD_CLOEXEC);
	pfd[1].fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pfd[0].fd < 0 || pfd[1].fd < 0) {
		fprintf(stderr, "floor: cannot watch process %ld: %s\n", pid, strerror(errno));
		goto cleanup;
	}
	pfd[0].events = pfd[1].events = POLLIN;
	skel = floor__open_and_load();
	if (!skel) {
		fprintf(stderr, "floor: cannot load the BPF object: %s\n", strerror(errno));
		goto cleanup;
	}
	start = bpf_program__attach_usdt(skel->progs.floor_start, (pid_t)pid, argv[2], "etl",
					 "op_start", NULL);
	end = start ? bpf_program__attach_usdt(skel->progs.floor_end, (pid_t)pid, argv[2], "etl",
					       "op_end", NULL)
		    : NULL;
	if (!start || !end) {
		fprintf(stderr, "floor: cannot attach to etl:op_%s of %s in process %ld: %s\n",
			start ? "end" : "start", argv[2], pid, strerror(errno));
		goto cleanup;
	}
	fputs("floor: ready\n", stderr);
	while (poll(pfd, 2, -1) < 0)
		if (errno != EINTR) {
			perror("floor: poll");
			goto cleanup;
		}
	rc = 0;
cleanup:
	bpf_link__destroy(end);
	bpf_link__destroy(start);
	floor__destroy(skel);
	for (int i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	return rc;
}
