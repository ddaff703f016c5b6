/* SPDX-License-Identifier: MIT */
/*
 * preflight.h - can this process trace at all on this kernel? Privileges,
 * and every kernel feature etltrace uses, probed once at start-up: those
 * it cannot do without are named in one line; those with a fallback are
 * recorded for the tracer to choose (and for the report to say).
 */
#ifndef ETLTRACE_PREFLIGHT_H
#define ETLTRACE_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>

/* The oldest kernel etltrace supports: BPF attach cookies on perf-event
 * uprobes (5.15) are its newest requirement. */
#define PREFLIGHT_MIN_KERNEL "5.15"

struct kernel_features {
	char release[65];  /* uname -r */
	bool uprobe_multi; /* BPF uprobe_multi links (6.6); else a perf event per site */
};

/* Checks privileges: root, CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON and
 * CAP_SYS_PTRACE (names are read from the traced processes' memory).
 * Returns 0, or -EPERM after writing a one-line reason into why. */
int preflight_privileges(char *why, size_t len);

/* Probes the running kernel's features into kf. Returns 0, or -EOPNOTSUPP
 * after writing into why the first required feature that is missing (and
 * the kernel it needs), or -EPERM if the probes were refused. */
int preflight_kernel(struct kernel_features *kf, char *why, size_t len);

/* The file-based half of preflight_kernel, reading the kernel's files
 * under `root` ("" for the running system; tests point it elsewhere):
 * BTF and the uprobe PMU. Returns 0 or -EOPNOTSUPP with the reason in why. */
int preflight_kernel_files(const char *root, char *why, size_t len);

#endif /* ETLTRACE_PREFLIGHT_H */
