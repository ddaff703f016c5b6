// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bpf_smoke.bpf.c - the BPF half of bpf_smoke: counts the calls of the
 * function its loader attaches it to (a perf-event uprobe).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

__u64 hits;

SEC("uprobe")
int count_call(struct pt_regs *ctx)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}
