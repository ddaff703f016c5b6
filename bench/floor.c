// SPDX-License-Identifier: MIT
/*
 * floor.c - loader of the floor (floor.bpf.c): attaches the empty programs
 * to the etl probes of BINARY in process PID, prints "floor: ready" on
 * stderr, and stays attached until SIGINT/SIGTERM or the process's exit.
 *
 *   floor [--multi] PID BINARY
 *
 * Default: libbpf's USDT attach (a perf-event uprobe per site). --multi:
 * one uprobe_multi link per probe, the way etltrace attaches; libbpf 1.1
 * predates that link type, so the sites are read from the ELF notes here
 * and the link is created with the bpf syscall.
 *
 * Exit status: 0 after a clean detach, 1 on any failure (said on stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "usdt/notes.h"
#include "floor.skel.h"
#include "kernel/links.h"

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* Sites per probe the floor attaches to (the bench has one each). */
#define MAX_SITES 64

/* A uprobe_multi link of prog on the etl sites of path that are op_end
 * sites (end) or op_start sites, read with etltrace's own ELF reader.
 * Returns the link fd or -errno. */
static int link_multi(int prog_fd, const char *path, bool end, pid_t pid)
{
	struct etl_site *sites;
	uint64_t off[MAX_SITES], ref[MAX_SITES];
	uint32_t cnt = 0;
	size_t n;
	int bad, err;

	err = elf_etl_read(path, &sites, &n, &bad);
	if (err)
		return err;
	for (size_t i = 0; i < n && cnt < MAX_SITES; i++) {
		if (sites[i].is_end != end)
			continue;
		off[cnt] = sites[i].offset;
		ref[cnt] = sites[i].ref_ctr_offset;
		cnt++;
	}
	free(sites);
	if (!cnt)
		return -ENOENT;
	return uprobe_multi_link(prog_fd, path, off, ref, NULL, cnt, pid);
}

int main(int argc, char **argv)
{
	struct bpf_link *start = NULL, *end = NULL;
	int multi_fd[2] = { -1, -1 };
	struct floor *skel = NULL;
	struct pollfd pfd[2] = { { .fd = -1 }, { .fd = -1 } };
	bool multi = argc == 4 && !strcmp(argv[1], "--multi");
	const char *path;
	sigset_t set;
	char *endp;
	long pid;
	int rc = 1, err;

	if (argc != 3 + multi) {
		fputs("usage: floor [--multi] PID BINARY\n", stderr);
		return 1;
	}
	pid = strtol(argv[1 + multi], &endp, 10);
	path = argv[2 + multi];
	if (*endp || pid <= 0) {
		fprintf(stderr, "floor: invalid PID '%s'\n", argv[1 + multi]);
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
	skel = floor__open();
	if (!skel) {
		fprintf(stderr, "floor: cannot open the BPF object: %s\n", strerror(errno));
		goto cleanup;
	}
	/* Load only the pair of the chosen mechanism. */
	bpf_program__set_autoload(skel->progs.usdt_start, !multi);
	bpf_program__set_autoload(skel->progs.usdt_end, !multi);
	bpf_program__set_autoload(skel->progs.multi_start, multi);
	bpf_program__set_autoload(skel->progs.multi_end, multi);
	bpf_program__set_expected_attach_type(skel->progs.multi_start, UPROBE_MULTI_ATTACH_TYPE);
	bpf_program__set_expected_attach_type(skel->progs.multi_end, UPROBE_MULTI_ATTACH_TYPE);
	err = floor__load(skel);
	if (err) {
		fprintf(stderr, "floor: cannot load the BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	if (multi) {
		static const char *const probes[2] = { "op_start", "op_end" };
		struct bpf_program *progs[2] = { skel->progs.multi_start, skel->progs.multi_end };

		for (int i = 0; i < 2; i++) {
			multi_fd[i] = link_multi(bpf_program__fd(progs[i]), path, i == 1, (pid_t)pid);
			err = multi_fd[i] < 0 ? multi_fd[i] : 0;
			if (err) {
				fprintf(stderr, "floor: cannot attach to etl:%s of %s in process %ld: %s\n",
					probes[i], path, pid, strerror(-err));
				goto cleanup;
			}
		}
	} else {
		start = bpf_program__attach_usdt(skel->progs.usdt_start, (pid_t)pid, path, "etl",
						 "op_start", NULL);
		end = start ? bpf_program__attach_usdt(skel->progs.usdt_end, (pid_t)pid, path, "etl",
						       "op_end", NULL)
			    : NULL;
		if (!start || !end) {
			fprintf(stderr, "floor: cannot attach to etl:op_%s of %s in process %ld: %s\n",
				start ? "end" : "start", path, pid, strerror(errno));
			goto cleanup;
		}
	}
	fprintf(stderr, "floor: ready (%s)\n", multi ? "uprobe_multi" : "perf-event uprobes");
	while (poll(pfd, 2, -1) < 0)
		if (errno != EINTR) {
			perror("floor: poll");
			goto cleanup;
		}
	rc = 0;
cleanup:
	for (int i = 0; i < 2; i++)
		if (multi_fd[i] >= 0)
			close(multi_fd[i]);
	bpf_link__destroy(end);
	bpf_link__destroy(start);
	floor__destroy(skel);
	for (int i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	return rc;
}
