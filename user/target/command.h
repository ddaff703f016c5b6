/* SPDX-License-Identifier: MIT */
/*
 * command.h - run `-- CMD ARGS...` under the tracer: the child is forked
 * first and held before exec until the probes are attached.
 */
#ifndef ETLTRACE_COMMAND_H
#define ETLTRACE_COMMAND_H

#include <signal.h>
#include <sys/types.h>

struct command {
	pid_t pid;      /* the child; it keeps this pid across exec */
	char *exe;      /* resolved executable path (owned) */
	int gate_fd;    /* write end: one byte lets the child exec */
	int err_fd;     /* read end: errno of a failed exec, EOF on success */
};

/* Resolves argv[0] like execvp and forks a child that waits at the gate.
 * The child runs the command with the signal mask `mask` (the one etltrace
 * started with, before it blocked signals for itself) and every signal
 * disposition at its default but those ignored in `ignored`, so that the
 * command can be interrupted and stopped as if etltrace were not there.
 * Returns 0, -ENOENT/-EACCES if the command cannot be run, or -errno. */
int command_spawn(char **argv, const sigset_t *mask, const sigset_t *ignored,
		  struct command *c);

/* Opens the gate; returns 0 once the child has exec'd, or the negative
 * errno of a failed exec (the child has then exited). */
int command_start(struct command *c);

/* Abandons a child that has not been started: it exits with 127 without
 * running the command, and is reaped. Frees c's resources. */
void command_cancel(struct command *c);

/* Frees c's resources (not the child). */
void command_free(struct command *c);

/* Exit status to pass through for a wait status: the code, or 128 + signal. */
int command_exit_code(int wstatus);

#endif /* ETLTRACE_COMMAND_H */
