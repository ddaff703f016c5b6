// SPDX-License-Identifier: MIT
/*
 * attach.c - what attaching to a marked program costs, and how it grows
 * with its probe sites: the attach mechanisms alone and etltrace whole.
 *
 *   attach [--runs N] ETLTRACE -- TARGET [ARGS...]
 *
 * Starts TARGET (waiting until it prints a line on stdout or stderr; it
 * must then stay alive, as bench/sites does until its stdin ends), then
 * measures, N times each (default 5), medians printed:
 *
 * - each attach mechanism this kernel has, with etltrace's own code
 *   (user/kernel/links.c): one perf-event uprobe per site; a perf event per
 *   program on a trace event of tracefs's uprobe_events holding its sites
 *   (etltrace's way without uprobe_multi; if tracefs is not mounted it falls
 *   back to the former, and its links column says so); uprobe_multi links (Linux
 *   6.6+); every etl site of TARGET's executable attached for
 *   its process (op_start sites with one program, op_end with another, as
 *   etltrace does), then detached: the time of each, and per site;
 * - etltrace -p PID: from its start to its readiness line (checks, BPF
 *   load and verification, reading the process, attaching), and from
 *   SIGINT to its exit (detaching, the last drain, the report).
 *
 * The BPF programs of the first part are the floor's empty ones
 * (bench/floor.bpf.c). Exit status: 0, or 1 on any failure (said on stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "floor.skel.h"
#include "kernel/links.h"
#include "usdt/notes.h"

#define MAX_RUNS 101

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* Forks argv with stdin from a pipe (*in_fd) and stdout and stderr to
 * another (*out_fd). Returns the pid or -1. */
static pid_t spawn(char *const argv[], int *in_fd, int *out_fd)
{
	int in[2], out[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		execv(argv[0], argv);
		_exit(126);
	}
	close(in[0]);
	close(out[1]);
	*in_fd = in[1];
	*out_fd = out[0];
	return pid;
}

/* Reads lines from fd until one starts with prefix (NULL: any line).
 * Returns 0, or -1 at its end. */
static int wait_line(int fd, const char *prefix)
{
	char line[1024];
	size_t n = 0;

	for (;;) {
		ssize_t r = read(fd, line + n, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (line[n] != '\n' && n + 2 < sizeof(line)) {
			n++;
			continue;
		}
		line[n] = '\0';
		if (!prefix || !strncmp(line, prefix, strlen(prefix)))
			return 0;
		n = 0;
	}
}

/* One mechanism, `runs` times: attach every site of path for pid, detach.
 * Prints a line of medians. Returns 0 or -errno. */
static int measure_links(struct floor *skel, enum links_kind kind, const char *path, pid_t pid,
			 const struct etl_site *sites, size_t n, int runs)
{
	static const char *const names[] = {
		[LINKS_UPROBE_MULTI] = "uprobe_multi",
		[LINKS_TRACE_EVENTS] = "perf, trace events",
		[LINKS_PERF_UPROBES] = "perf-event uprobes",
	};
	bool multi = kind == LINKS_UPROBE_MULTI;
	size_t nlinks = 0;
	double att[MAX_RUNS], det[MAX_RUNS];
	uint64_t *off = calloc(n, sizeof(*off)), *ref = calloc(n, sizeof(*ref));
	struct links l = { 0 };
	int err = off && ref ? 0 : -ENOMEM;

	for (int r = 0; r < runs && !err; r++) {
		double t0 = now_ms(), t1;

		for (int end = 0; end < 2 && !err; end++) {
			struct bpf_program *p = multi ? (end ? skel->progs.multi_end
							     : skel->progs.multi_start)
						      : (end ? skel->progs.usdt_end
							     : skel->progs.usdt_start);
			uint32_t cnt = 0;

			for (size_t i = 0; i < n; i++) {
				if (sites[i].is_end != end)
					continue;
				off[cnt] = sites[i].offset;
				ref[cnt] = sites[i].ref_ctr_offset;
				cnt++;
			}
			if (cnt)
				err = links_attach(&l, kind, bpf_program__fd(p), path, off, ref, NULL,
						   cnt, pid);
		}
		t1 = now_ms();
		nlinks = l.n;
		err = err ?: links_close_all(&l);
		att[r] = t1 - t0;
		det[r] = now_ms() - t1;
	}
	if (!err)
		printf("| %-19s | %5zu | %5zu | %10.1f | %12.0f | %10.1f | %12.0f |\n",
		       names[kind], n, nlinks, median(att, runs),
		       median(att, runs) * 1e3 / (double)n, median(det, runs),
		       median(det, runs) * 1e3 / (double)n);
	else
		fprintf(stderr, "attach: cannot attach or detach %s on %s: %s\n", names[kind], path,
			strerror(-err));
	links_free(&l);
	free(off);
	free(ref);
	return err;
}

/* etltrace -p pid, `runs` times. Returns 0 or -1. */
static int measure_etltrace(const char *etltrace, pid_t pid, int runs)
{
	double ready[MAX_RUNS], stop[MAX_RUNS];
	char pidarg[16], out[] = "/tmp/etltrace-attach-XXXXXX";
	char *argv[] = { (char *)etltrace, "--format", "json", "-o", out, "-p", pidarg, NULL };
	int fd = mkstemp(out);

	if (fd < 0) {
		perror("attach: mkstemp");
		return -1;
	}
	close(fd);
	snprintf(pidarg, sizeof(pidarg), "%d", (int)pid);
	for (int r = 0; r < runs; r++) {
		int in, from, status;
		char sink[4096];
		ssize_t got;
		double t0 = now_ms(), t1;
		pid_t t = spawn(argv, &in, &from);

		if (t < 0 || wait_line(from, "etltrace: ready:")) {
			fprintf(stderr, "attach: %s -p %d never said it was ready\n", etltrace,
				(int)pid);
			return -1;
		}
		t1 = now_ms();
		kill(t, SIGINT);
		/* What it still says, so that it never blocks on a full pipe. */
		while ((got = read(from, sink, sizeof(sink))) > 0 || (got < 0 && errno == EINTR))
			;
		waitpid(t, &status, 0);
		stop[r] = now_ms() - t1;
		ready[r] = t1 - t0;
		close(in);
		close(from);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "attach: %s -p %d failed (status 0x%x)\n", etltrace, (int)pid,
				status);
			return -1;
		}
	}
	unlink(out);
	printf("\netltrace -p: ready after %.0f ms, exited %.0f ms after SIGINT (medians of %d)\n",
	       median(ready, runs), median(stop, runs), runs);
	return 0;
}

int main(int argc, char **argv)
{
	struct floor *skel = NULL;
	struct etl_site *sites = NULL;
	char path[PATH_MAX], exe[64];
	int runs = 5, a = 1, in = -1, from = -1, bad, rc = 1, multi;
	const char *etltrace;
	struct utsname u;
	size_t n = 0;
	ssize_t len;
	pid_t pid = -1;

	if (argc > 2 && !strcmp(argv[1], "--runs")) {
		runs = atoi(argv[2]);
		a = 3;
	}
	if (argc < a + 3 || strcmp(argv[a + 1], "--") || runs < 1 || runs > MAX_RUNS) {
		fputs("usage: attach [--runs N] ETLTRACE -- TARGET [ARGS...]\n", stderr);
		return 1;
	}
	etltrace = argv[a];
	libbpf_set_print(quiet_libbpf);
	pid = spawn(argv + a + 2, &in, &from);
	if (pid < 0 || wait_line(from, NULL)) {
		fprintf(stderr, "attach: %s did not start\n", argv[a + 2]);
		goto cleanup;
	}
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	len = readlink(exe, path, sizeof(path) - 1);
	path[len > 0 ? len : 0] = '\0';
	if (len <= 0 || elf_etl_read(path, &sites, &n, &bad) || !n) {
		fprintf(stderr, "attach: no etl sites in %s\n", path);
		goto cleanup;
	}
	multi = uprobe_multi_supported(NULL);
	skel = floor__open();
	if (!skel)
		goto cleanup;
	bpf_program__set_autoload(skel->progs.multi_start, multi == 1);
	bpf_program__set_autoload(skel->progs.multi_end, multi == 1);
	bpf_program__set_expected_attach_type(skel->progs.multi_start, UPROBE_MULTI_ATTACH_TYPE);
	bpf_program__set_expected_attach_type(skel->progs.multi_end, UPROBE_MULTI_ATTACH_TYPE);
	if (floor__load(skel)) {
		fprintf(stderr, "attach: cannot load the BPF programs: %s\n", strerror(errno));
		goto cleanup;
	}
	uname(&u);
	printf("Linux %s, %s (%zu etl sites), medians of %d runs\n\n", u.release, path, n, runs);
	printf("| mechanism           | sites | links | attach, ms | per site, us | detach, ms | per site, us |\n"
	       "|---------------------|-------|-------|------------|--------------|------------|--------------|\n");
	if (measure_links(skel, LINKS_PERF_UPROBES, path, pid, sites, n, runs) ||
	    measure_links(skel, LINKS_TRACE_EVENTS, path, pid, sites, n, runs))
		goto cleanup;
	if (multi == 1 && measure_links(skel, LINKS_UPROBE_MULTI, path, pid, sites, n, runs))
		goto cleanup;
	if (multi != 1)
		printf("| uprobe_multi        |       |       | (not in this kernel)                                  |\n");
	floor__destroy(skel);
	skel = NULL;
	if (measure_etltrace(etltrace, pid, runs))
		goto cleanup;
	rc = 0;
cleanup:
	floor__destroy(skel);
	free(sites);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (in >= 0)
		close(in);
	if (from >= 0)
		close(from);
	return rc;
}
