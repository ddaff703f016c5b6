// SPDX-License-Identifier: MIT
/* preflight.c - privileges and kernel features, checked before loading. */
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli/options.h"
#include "kernel/preflight.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

/* Whether root/rel exists and is readable. */
static bool readable(const char *root, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	return !access(path, R_OK);
}

int preflight_kernel(const char *root, char *why, size_t len)
{
	if (!readable(root, "/sys/kernel/btf/vmlinux")) {
		snprintf(why, len, "the kernel has no BTF (/sys/kernel/btf/vmlinux): etltrace "
				   "needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return ETL_EXIT_KERNEL;
	}
	if (!readable(root, "/sys/bus/event_source/devices/uprobe/type")) {
		snprintf(why, len, "the kernel has no uprobes (/sys/bus/event_source/devices/"
				   "uprobe): etltrace needs CONFIG_UPROBE_EVENTS=y");
		return ETL_EXIT_KERNEL;
	}
	return 0;
}

int preflight_check(char *why, size_t len)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d) ||
	    !(has_cap(d, CAP_SYS_ADMIN) || (has_cap(d, CAP_BPF) && has_cap(d, CAP_PERFMON)))) {
		snprintf(why, len, "tracing needs root (or CAP_BPF, CAP_PERFMON and "
				   "CAP_SYS_PTRACE): run it with sudo");
		return ETL_EXIT_PERM;
	}
	return preflight_kernel("", why, len);
}
