// SPDX-License-Identifier: MIT
/* harness.c - spawn, synchronise, collect. See harness.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>

#include "harness.h"

/* ETLTRACE_TIMING: 0 strict, 1 loose, -1 neither. */
static int timing_mode(void)
{
	const char *t = getenv("ETLTRACE_TIMING");

	if (!t || !*t || !strcmp(t, "strict"))
		return 0;
	return !strcmp(t, "loose") ? 1 : -1;
}

int harness_require_root(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "integration tests need root and BPF: run them as root\n");
		return -1;
	}
	if (timing_mode() < 0) {
		fprintf(stderr, "ETLTRACE_TIMING='%s': expected strict or loose\n",
			getenv("ETLTRACE_TIMING"));
		return -1;
	}
	if (timing_loose())
		fprintf(stderr, "timing: loose (ETLTRACE_TIMING=loose): upper bounds of durations "
				"widened, everything else exact\n");
	return 0;
}

bool timing_loose(void)
{
	return timing_mode() == 1;
}

double timing_bound(double strict, double loose)
{
	return timing_loose() ? loose : strict;
}

const char *build_path(const char *rel)
{
	static char buf[4][512];
	static int slot;
	const char *dir = getenv("ETLTRACE_BUILD");
	char *b = buf[slot++ % 4];

	snprintf(b, sizeof(buf[0]), "%s/%s", dir && *dir ? dir : "build", rel);
	return b;
}

/* Forks argv with stdin from a pipe and fd `which` (1 or 2) to a pipe. */
static int spawn(char *const argv[], int which, struct child *c)
{
	int in[2], out[2];

	memset(c, 0, sizeof(*c));
	c->in_fd = c->out_fd = -1;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -1;
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], which);
		execv(argv[0], argv);
		_exit(126);
	}
	close(in[0]);
	close(out[1]);
	c->in_fd = in[1];
	c->out_fd = out[0];
	return 0;
}

/* Reads one line (up to cap - 1 bytes) from fd. Returns its length or -1. */
static int read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		ssize_t r = read(fd, buf + n, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return n ? (int)n : -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return (int)n;
}

int target_start(char *const argv[], struct child *c)
{
	char line[256];

	if (spawn(argv, 1, c))
		return -1;
	return read_line(c->out_fd, line, sizeof(line)) < 0 ? -1 : 0;
}

int target_start_stderr(char *const argv[], struct child *c)
{
	char line[256];

	if (spawn(argv, 2, c))
		return -1;
	return read_line(c->out_fd, line, sizeof(line)) < 0 ? -1 : 0;
}

int target_send_line(struct child *c)
{
	return write(c->in_fd, "go\n", 3) == 3 ? 0 : -1;
}

int child_wait_line(struct child *c, const char *needle)
{
	char line[1024];

	while (read_line(c->out_fd, line, sizeof(line)) >= 0)
		if (strstr(line, needle))
			return 0;
	return -1;
}

int target_release(struct child *c)
{
	int rc = write(c->in_fd, "go\n", 3) == 3 ? 0 : -1;

	close(c->in_fd);
	c->in_fd = -1;
	return rc;
}

int child_wait(struct child *c)
{
	int status;

	char sink[4096];

	if (c->in_fd >= 0)
		close(c->in_fd);
	/* Read what it still prints, so it never dies of SIGPIPE. */
	while (c->out_fd >= 0 && read(c->out_fd, sink, sizeof(sink)) > 0)
		;
	if (c->out_fd >= 0)
		close(c->out_fd);
	c->in_fd = c->out_fd = -1;
	while (waitpid(c->pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* argv for etltrace: the binary, json options, then args. */
static char **tracer_argv(char *const args[], const char *out)
{
	size_t n = 0, i = 0;
	char **v;

	while (args[n])
		n++;
	v = calloc(n + 6, sizeof(*v));
	if (!v)
		return NULL;
	v[i++] = strdup(build_path("etltrace"));
	v[i++] = "--format";
	v[i++] = "json";
	v[i++] = "-o";
	v[i++] = (char *)out;
	for (size_t k = 0; k < n; k++)
		v[i++] = args[k];
	return v;
}

static char *tmp_report_path(void)
{
	char *p = strdup("/tmp/etltrace-test-XXXXXX");
	int fd = p ? mkstemp(p) : -1;

	if (fd < 0) {
		free(p);
		return NULL;
	}
	close(fd);
	unlink(p);
	return p;
}

int tracer_start(char *const args[], struct child *t, int *early_rc)
{
	char *out = tmp_report_path(), **argv = out ? tracer_argv(args, out) : NULL;
	char line[1024];
	int rc = -1;

	*early_rc = -1;
	if (!argv || spawn(argv, 2, t))
		goto cleanup;
	t->out_path = out;
	out = NULL;
	while (read_line(t->out_fd, line, sizeof(line)) >= 0) {
		if (!strncmp(line, "etltrace: ready:", 16)) {
			rc = 0;
			goto cleanup;
		}
		fprintf(stderr, "  [etltrace] %s\n", line);
	}
	*early_rc = child_wait(t);
cleanup:
	if (argv)
		free(argv[0]);
	free(argv);
	free(out);
	return rc;
}

static struct json_object *load_report(const char *path)
{
	struct json_object *r = path ? json_object_from_file(path) : NULL;

	if (path)
		unlink(path);
	return r;
}

int tracer_finish(struct child *t, bool interrupt, struct json_object **report)
{
	int rc;

	if (interrupt)
		kill(t->pid, SIGINT);
	rc = child_wait(t);
	*report = load_report(t->out_path);
	free(t->out_path);
	t->out_path = NULL;
	return rc;
}

int run_etltrace(char *const args[], struct json_object **report, char **err)
{
	char *out = tmp_report_path(), **argv = out ? tracer_argv(args, out) : NULL;
	struct child c;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int rc = -1;

	*report = NULL;
	if (err)
		*err = NULL;
	if (!argv || spawn(argv, 2, &c))
		goto cleanup;
	close(c.in_fd);
	c.in_fd = -1;
	mem = open_memstream(&buf, &len);
	if (mem) {
		char chunk[4096];
		ssize_t n;

		while ((n = read(c.out_fd, chunk, sizeof(chunk))) > 0)
			fwrite(chunk, 1, (size_t)n, mem);
		fclose(mem);
	}
	rc = child_wait(&c);
	*report = load_report(out);
	if (err)
		*err = buf;
	else
		free(buf);
cleanup:
	if (argv)
		free(argv[0]);
	free(argv);
	free(out);
	return rc;
}

struct json_object *report_op(struct json_object *report, const char *name)
{
	struct json_object *ops, *op;

	if (!report || !json_object_object_get_ex(report, "operations", &ops) ||
	    !json_object_object_get_ex(ops, name, &op))
		return NULL;
	return op;
}

double jnum(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v))
		fail_msg("key '%s' missing", key);
	return json_object_get_double(v);
}

long long jint(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v))
		fail_msg("key '%s' missing", key);
	return (long long)json_object_get_int64(v);
}

long long counter(struct json_object *report, const char *key)
{
	struct json_object *c;

	if (!report || !json_object_object_get_ex(report, "counters", &c))
		fail_msg("report has no counters");
	return jint(c, key);
}

unsigned int last_prog_id(void)
{
	__u32 id = 0, last = 0;

	while (!bpf_prog_get_next_id(id, &id))
		last = id;
	return last;
}

static int count_progs(const char *name, unsigned int min_id)
{
	__u32 id = min_id;
	int n = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, name))
			n++;
		close(fd);
	}
	return n;
}

int loaded_progs(const char *name, unsigned int min_id)
{
	int n = count_progs(name, min_id);

	/* The kernel frees a released program after an RCU grace period:
	 * allow it a moment (2 s, 20 s under an emulator) before calling it
	 * left behind. */
	for (int i = 0; n && i < (timing_loose() ? 400 : 40); i++) {
		usleep(50 * 1000);
		n = count_progs(name, min_id);
	}
	return n;
}
