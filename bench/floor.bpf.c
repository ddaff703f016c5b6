// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * floor.bpf.c - the floor of `make bench`: BPF programs that do nothing,
 * attached to etl:op_start and etl:op_end. What a start/end pair costs
 * under them is the price of the probe mechanism itself (uprobe trap,
 * dispatch to BPF, return); any tracer's cost above it is its own work.
 *
 * Two pairs, one per attach mechanism, because dispatch differs between
 * them: usdt_* through libbpf's USDT attach (one perf-event uprobe per
 * site, as bpftrace 0.17 attaches), multi_* through a uprobe_multi link
 * (as etltrace attaches). usdt.bpf.h is included only for the maps
 * libbpf's USDT attach requires; no program reads its arguments.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

SEC("usdt")
int usdt_start(struct pt_regs *ctx)
{
	return 0;
}

SEC("usdt")
int usdt_end(struct pt_regs *ctx)
{
	return 0;
}

/* Loaded with expected attach type uprobe_multi by the loader. */
SEC("uprobe")
int multi_start(struct pt_regs *ctx)
{
	return 0;
}

SEC("uprobe")
int multi_end(struct pt_regs *ctx)
{
	return 0;
}
