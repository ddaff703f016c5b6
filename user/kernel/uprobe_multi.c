// SPDX-License-Identifier: MIT
/* uprobe_multi.c - BPF_LINK_CREATE for uprobe_multi, by hand. */
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/uprobe_multi.h"

int uprobe_multi_link(int prog_fd, const char *path, const uint64_t *offsets,
		      const uint64_t *ref_ctr_offsets, const uint64_t *cookies, uint32_t cnt,
		      pid_t pid)
{
	/* The link_create member of the kernel's union bpf_attr for this link
	 * type, laid out by hand: the installed UAPI header predates it. */
	union {
		struct {
			__u32 prog_fd, target_fd, attach_type, flags;
			__u64 path, offsets, ref_ctr_offsets, cookies;
			__u32 cnt, multi_flags, pid;
		} a;
		char size[128]; /* trailing bytes the kernel checks are zero */
	} attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.a.prog_fd = (__u32)prog_fd;
	attr.a.attach_type = UPROBE_MULTI_ATTACH_TYPE;
	attr.a.path = (__u64)(uintptr_t)path;
	attr.a.offsets = (__u64)(uintptr_t)offsets;
	attr.a.ref_ctr_offsets = (__u64)(uintptr_t)ref_ctr_offsets;
	attr.a.cookies = (__u64)(uintptr_t)cookies;
	attr.a.cnt = cnt;
	attr.a.pid = pid > 0 ? (__u32)pid : 0;
	fd = (int)syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}
