// SPDX-License-Identifier: MIT
/* preflight.c - privileges and kernel features, checked before loading. */
#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kernel/links.h"
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

int preflight_privileges(char *why, size_t len)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};

	if (!syscall(SYS_capget, &h, d) &&
	    (has_cap(d, CAP_SYS_ADMIN) ||
	     (has_cap(d, CAP_BPF) && has_cap(d, CAP_PERFMON) && has_cap(d, CAP_SYS_PTRACE))))
		return 0;
	snprintf(why, len, "tracing needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE): "
			   "run it with sudo");
	return -EPERM;
}

/* Whether root/rel exists and is readable. */
static bool readable(const char *root, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	return !access(path, R_OK);
}

int preflight_kernel_files(const char *root, char *why, size_t len)
{
	if (!readable(root, "/sys/kernel/btf/vmlinux")) {
		snprintf(why, len, "the kernel has no BTF (/sys/kernel/btf/vmlinux): etltrace "
				   "needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -EOPNOTSUPP;
	}
	if (!readable(root, "/sys/bus/event_source/devices/uprobe/type")) {
		snprintf(why, len, "the kernel has no uprobes (/sys/bus/event_source/devices/"
				   "uprobe): etltrace needs CONFIG_UPROBE_EVENTS=y");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* A feature etltrace cannot do without, and the kernel that brought it. */
struct need {
	const char *what, *since;
	int (*probe)(const struct btf *vmlinux, const void *arg);
	const void *arg;
};

static int map_type(const struct btf *vmlinux, const void *arg)
{
	(void)vmlinux;
	return libbpf_probe_bpf_map_type((enum bpf_map_type)(uintptr_t)arg, NULL);
}

/* A helper, as uprobe programs call it. */
static int kprobe_helper(const struct btf *vmlinux, const void *arg)
{
	(void)vmlinux;
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, (enum bpf_func_id)(uintptr_t)arg,
				       NULL);
}

/* A kernel type in BTF: what tp_btf hooks (btf_trace_*) and task
 * iterators (bpf_iter__task) attach to. */
static int btf_type(const struct btf *vmlinux, const void *arg)
{
	return vmlinux && btf__find_by_name(vmlinux, arg) > 0;
}

#define MAP(t) map_type, (const void *)(uintptr_t)(t)
#define HELPER(h) kprobe_helper, (const void *)(uintptr_t)(h)

static const struct need needs[] = {
	{ "BPF ring buffers", "5.8", MAP(BPF_MAP_TYPE_RINGBUF) },
	{ "BPF map-in-map arrays", "4.12", MAP(BPF_MAP_TYPE_ARRAY_OF_MAPS) },
	{ "BPF task storage", "5.11", MAP(BPF_MAP_TYPE_TASK_STORAGE) },
	{ "bpf_task_storage_get in uprobe programs", "5.11", HELPER(BPF_FUNC_task_storage_get) },
	{ "bpf_get_current_task_btf", "5.11", HELPER(BPF_FUNC_get_current_task_btf) },
	{ "BPF attach cookies on uprobes", "5.15", HELPER(BPF_FUNC_get_attach_cookie) },
	{ "bpf_ringbuf_query", "5.8", HELPER(BPF_FUNC_ringbuf_query) },
	{ "bpf_send_signal", "5.3", HELPER(BPF_FUNC_send_signal) },
	{ "BTF tracepoints (tp_btf/sched_switch)", "5.5", btf_type, "btf_trace_sched_switch" },
	{ "BTF tracepoints (tp_btf/rss_stat)", "5.5", btf_type, "btf_trace_rss_stat" },
	{ "BPF task iterators", "5.8", btf_type, "bpf_iter__task" },
};

int preflight_kernel(struct kernel_features *kf, char *why, size_t len)
{
	struct btf *vmlinux;
	struct utsname u;
	int rc, err = 0;

	memset(kf, 0, sizeof(*kf));
	if (!uname(&u))
		snprintf(kf->release, sizeof(kf->release), "%s", u.release);
	err = preflight_kernel_files("", why, len);
	if (err)
		return err;
	vmlinux = btf__load_vmlinux_btf();
	for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]) && !err; i++) {
		rc = needs[i].probe(vmlinux, needs[i].arg);
		if (rc == 1)
			continue;
		if (rc == -EPERM) {
			snprintf(why, len, "the kernel refused BPF to this process (%s): run as root; "
					   "check kernel.unprivileged_bpf_disabled and lockdown",
				 strerror(-rc));
			err = -EPERM;
		} else {
			snprintf(why, len, "this kernel (%s) lacks %s (Linux %s): etltrace needs Linux "
					   "%s or later with BTF", kf->release, needs[i].what,
				 needs[i].since, PREFLIGHT_MIN_KERNEL);
			err = -EOPNOTSUPP;
		}
	}
	if (!err)
		kf->uprobe_multi = uprobe_multi_supported(vmlinux) == 1;
	btf__free(vmlinux);
	return err;
}
