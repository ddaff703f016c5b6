/* SPDX-License-Identifier: MIT */
/*
 * proc.h - children of the bench drivers, what /proc says about them, and
 * etltrace's metrics endpoint on loopback.
 */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* A child with its stdin, stdout and stderr on pipes (-1 once closed). */
struct child {
	pid_t pid;
	int in_fd;
	int out_fd;
	int err_fd;
	int status;         /* wait status, valid once reaped */
	struct rusage ru;   /* valid once reaped */
	int reaped;
};

/* A child that was never started (safe to child_kill). */
#define CHILD_NONE { .pid = -1, .in_fd = -1, .out_fd = -1, .err_fd = -1 }

/* Starts argv (argv[0] a path, or a name looked up in PATH) pinned to `cpu`
 * (-1: not pinned). Returns 0 or -errno. */
int child_spawn(char *const argv[], int cpu, struct child *c);

/* Reads lines from fd until one starts with `prefix`; copies it (without
 * the newline) into line. Other lines are appended to `skipped` (may be
 * NULL). Returns 0, -ETIMEDOUT after timeout_ms, or -EPIPE at EOF. */
int child_expect(int fd, const char *prefix, int timeout_ms, char *line, size_t cap,
		 char *skipped, size_t skipped_cap);

/* Writes a line to the child's stdin. Returns 0 or -errno. */
int child_say(struct child *c, const char *line);

/* Reads everything left on fd until EOF into buf (truncated, NUL-terminated). */
void child_slurp(int fd, char *buf, size_t cap);

/* Waits up to timeout_ms for the child to exit, then SIGKILLs it. Closes
 * its pipes. Returns 0 if it exited by itself, -ETIMEDOUT if killed. */
int child_reap(struct child *c, int timeout_ms);

/* Kills (SIGKILL) and reaps a child still running; no-op otherwise. */
void child_kill(struct child *c);

/* CPU time (user + system) of every thread of pid, in ns, from
 * /proc/PID/task/TID/schedstat. Returns 0 on failure. */
uint64_t proc_cpu_ns(pid_t pid);

/* A "Key:   N kB" field of /proc/PID/status in kB, or -1. */
long proc_status_kb(pid_t pid, const char *key);

/* What the whole machine's CPUs did (/proc/stat), and what this process
 * and its reaped children used (getrusage), in ns. */
struct machine_cpu {
	uint64_t busy_ns;     /* user, nice, system, irq, softirq of all CPUs */
	uint64_t steal_ns;    /* taken by the hypervisor */
	uint64_t ours_ns;     /* self + reaped children, user + system */
	uint64_t wall_ns;
};

/* Returns 0, or -errno if /proc/stat cannot be read. */
int machine_cpu_read(struct machine_cpu *m);

/* CLOCK_MONOTONIC in ns. */
uint64_t mono_ns(void);

/* Sleeps for ms milliseconds. */
void sleep_ms(long ms);

/* A loopback port nobody listens on now (for etltrace --metrics), or -1. */
int loopback_free_port(void);

/* One GET of http://127.0.0.1:port/metrics, as Prometheus scrapes it: true
 * on a 200 answer read to its end. */
bool scrape_metrics(int port);

#endif /* BENCH_PROC_H */
