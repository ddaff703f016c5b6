/* SPDX-License-Identifier: MIT */
/*
 * progstats.h - the kernel's own view of what BPF programs cost: run count
 * and run time per program (kernel.bpf_stats_enabled), as a second lens
 * beside wall time. Run time covers the program only, not the uprobe trap
 * that dispatches it, and stats collection itself inflates both a little:
 * compare programs with each other, not with wall time.
 */
#ifndef BENCH_PROGSTATS_H
#define BENCH_PROGSTATS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct prog_stat {
	uint32_t id;
	char name[16];
	uint64_t run_cnt;
	uint64_t run_time_ns;
};

#define PROGSTATS_MAX 32

/* The programs of one tracer at one moment. */
struct prog_snapshot {
	struct prog_stat p[PROGSTATS_MAX];
	size_t n;
};

/* Turns run-time statistics on until progstats_disable. Returns 0 or -errno. */
int progstats_enable(void);
void progstats_disable(void);

/* Snapshot of the uprobe/USDT (kprobe-type) programs that process `owner`
 * holds (a program or link fd in /proc/OWNER/fdinfo): other tracers loaded
 * meanwhile on the same machine are left out. Returns 0 or -errno. */
int progstats_take(pid_t owner, struct prog_snapshot *s);

/* Per-program difference b - a into out (programs of b that ran between). */
void progstats_diff(const struct prog_snapshot *a, const struct prog_snapshot *b,
		    struct prog_snapshot *out);

#endif /* BENCH_PROGSTATS_H */
