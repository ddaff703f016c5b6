// SPDX-License-Identifier: MIT
/* command.c - fork, hold, exec. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "target/command.h"

/* execvp's search, done up front so the tracer knows the file it attaches
 * to. Returns a malloc'd path or NULL with errno set. */
static char *resolve(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	int err = ENOENT;

	if (strchr(name, '/'))
		return access(name, X_OK) ? NULL : realpath(name, NULL);
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		struct stat st;
		char *cand = NULL;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		if (asprintf(&cand, "%.*s/%s", (int)(end - p), end == p ? "." : p, name) < 0)
			return NULL;
		if (!stat(cand, &st) && S_ISREG(st.st_mode)) {
			if (!access(cand, X_OK)) {
				char *real = realpath(cand, NULL);

				free(cand);
				return real;
			}
			err = EACCES;
		}
		free(cand);
		if (!*end)
			break;
	}
	errno = err;
	return NULL;
}

/* In the child: the signal state the command should start with. */
static void restore_signals(const sigset_t *mask, const sigset_t *ignored)
{
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, ignored && sigismember(ignored, sig) == 1 ? SIG_IGN : SIG_DFL);
	sigprocmask(SIG_SETMASK, mask, NULL);
}

int command_spawn(char **argv, const sigset_t *mask, const sigset_t *ignored,
		  struct command *c)
{
	int gate[2] = { -1, -1 }, errp[2] = { -1, -1 }, err;
	char b;

	memset(c, 0, sizeof(*c));
	c->gate_fd = c->err_fd = -1;
	c->exe = resolve(argv[0]);
	if (!c->exe)
		return -errno;
	if (pipe2(gate, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		err = -errno;
		goto fail;
	}
	c->pid = fork();
	if (c->pid < 0) {
		err = -errno;
		goto fail;
	}
	if (c->pid == 0) {
		close(gate[1]);
		close(errp[0]);
		if (read(gate[0], &b, 1) != 1)
			_exit(127);
		restore_signals(mask, ignored);
		execv(c->exe, argv);
		err = errno;
		if (write(errp[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(gate[0]);
	close(errp[1]);
	c->gate_fd = gate[1];
	c->err_fd = errp[0];
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (gate[i] >= 0)
			close(gate[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	free(c->exe);
	c->exe = NULL;
	return err;
}

int command_start(struct command *c)
{
	int child_errno = 0, status;
	ssize_t n;

	if (write(c->gate_fd, "g", 1) != 1)
		return -errno;
	close(c->gate_fd);
	c->gate_fd = -1;
	do
		n = read(c->err_fd, &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(c->err_fd);
	c->err_fd = -1;
	if (n == (ssize_t)sizeof(child_errno)) {
		waitpid(c->pid, &status, 0);
		return -child_errno;
	}
	return 0;
}

void command_cancel(struct command *c)
{
	int status;

	if (c->gate_fd >= 0) {
		close(c->gate_fd);
		c->gate_fd = -1;
		waitpid(c->pid, &status, 0);
	}
	command_free(c);
}

void command_free(struct command *c)
{
	if (c->gate_fd >= 0)
		close(c->gate_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->gate_fd = c->err_fd = -1;
	free(c->exe);
	c->exe = NULL;
}

int command_exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 1;
}
