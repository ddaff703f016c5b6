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

/* Highest BPF program id now loaded (ids only grow): programs loaded later
 * have a greater id. */
uint32_t progstats_max_id(void);

/* Snapshot of the uprobe/USDT (kprobe-type) programs with an id > after. */
int progstats_take(uint32_t after, struct prog_snapshot *s);

/* Per-program difference b - a into out (programs of b that ran between). */
void progstats_diff(const struct prog_snapshot *a, const struct prog_snapshot *b,
		    struct prog_snapshot *out);

#endif /* BENCH_PROGSTATS_H */
