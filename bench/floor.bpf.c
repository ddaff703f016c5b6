// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * floor.bpf.c - the floor of `make bench`: BPF programs that do nothing,
 * attached as USDT to etl:op_start and etl:op_end. What a start/end pair
 * costs under them is the price of the probe mechanism itself (uprobe trap,
 * dispatch to BPF, return); any tracer's cost above it is its own work.
 *
 * usdt.bpf.h is included only for the maps libbpf's USDT attach requires;
 * the programs do not read their arguments (that is work, not floor).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

SEC("usdt")
int floor_start(struct pt_regs *ctx)
{
	return 0;
}

SEC("usdt")
int floor_end(struct pt_regs *ctx)
{
	return 0;
}
