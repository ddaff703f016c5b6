/* SPDX-License-Identifier: MIT */
/* procfs.h - small reads from /proc. */
#ifndef ETLTRACE_PROCFS_H
#define ETLTRACE_PROCFS_H

#include <stddef.h>
#include <sys/types.h>

/* The command name of thread tid of process pid (tid == pid: the process's)
 * into buf (at most len - 1 bytes, no newline); "" if it cannot be read. */
void procfs_comm(pid_t pid, pid_t tid, char *buf, size_t len);

#endif /* ETLTRACE_PROCFS_H */
