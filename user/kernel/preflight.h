/* SPDX-License-Identifier: MIT */
/* preflight.h - can this process trace at all on this kernel? */
#ifndef ETLTRACE_PREFLIGHT_H
#define ETLTRACE_PREFLIGHT_H

#include <stddef.h>

/* Checks privileges (root, or CAP_BPF + CAP_PERFMON, or CAP_SYS_ADMIN) and
 * kernel support (BTF, the uprobe PMU). Returns 0, or an ETL_EXIT_* code
 * after writing a one-line reason into why. */
int preflight_check(char *why, size_t len);

/* The kernel-feature half of preflight_check, reading the kernel's files
 * under `root` ("" for the running system; tests point it elsewhere).
 * Returns 0 or ETL_EXIT_KERNEL with the reason in why. */
int preflight_kernel(const char *root, char *why, size_t len);

#endif /* ETLTRACE_PREFLIGHT_H */
