// SPDX-License-Identifier: MIT
/* harness.c - spawn, synchronise, collect. See harness.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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

bool rss_bounds_apply(void)
{
	const char *v = getenv("ETLTRACE_SANITIZED");

	return !v || strcmp(v, "1");
}

bool timing_loose(void)
{
	return timing_mode() == 1;
}

double timing_bound(double strict, double loose)
{
	return timing_loose() ? loose : strict;
}

/* Children started and not yet waited for, killed (with what they
 * started) if a test times out. */
#define MAX_LIVE 64
static pid_t live[MAX_LIVE];

static void live_add(pid_t pid)
{
	for (int i = 0; i < MAX_LIVE; i++)
		if (!live[i]) {
			live[i] = pid;
			return;
		}
}

static void live_del(pid_t pid)
{
	for (int i = 0; i < MAX_LIVE; i++)
		if (live[i] == pid)
			live[i] = 0;
}

/* Kills pid and its descendants, stopped ones included (no allocation: it
 * runs in a signal handler). */
static void kill_tree(pid_t pid, int depth)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	kill(pid, SIGSTOP); /* no new children meanwhile */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	for (char *p = buf; n > 0 && depth < 8 && p < buf + n;) {
		pid_t child = 0;

		while (p < buf + n && *p >= '0' && *p <= '9')
			child = child * 10 + (*p++ - '0');
		if (child > 0)
			kill_tree(child, depth + 1);
		p++;
	}
	kill(pid, SIGKILL);
}

static void on_timeout(int sig)
{
	static const char msg[] = "[  ERROR   ] test timed out: a process it waits for never ended\n";

	(void)sig;
	for (int i = 0; i < MAX_LIVE; i++)
		if (live[i] > 0)
			kill_tree(live[i], 0);
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

int harness_arm(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_timeout);
	alarm(timing_loose() ? 10 * HARNESS_TIMEOUT : HARNESS_TIMEOUT);
	return 0;
}

int harness_disarm(void **state)
{
	(void)state;
	alarm(0);
	return 0;
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
		signal(SIGPIPE, SIG_DFL);
		dup2(in[0], 0);
		dup2(out[1], which);
		execv(argv[0], argv);
		_exit(126);
	}
	live_add(c->pid);
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

int target_start_keep(char *const argv[], struct child *c, char **line)
{
	char buf[1024];

	*line = NULL;
	if (spawn(argv, 1, c) || read_line(c->out_fd, buf, sizeof(buf)) < 0)
		return -1;
	*line = strdup(buf);
	return *line ? 0 : -1;
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
	live_del(c->pid);
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

char *child_read_rest(struct child *c)
{
	char *buf = NULL, chunk[4096];
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	ssize_t n;

	if (!mem)
		return NULL;
	while (c->out_fd >= 0 && ((n = read(c->out_fd, chunk, sizeof(chunk))) > 0 ||
				  (n < 0 && errno == EINTR)))
		if (n > 0)
			fwrite(chunk, 1, (size_t)n, mem);
	fclose(mem);
	return buf;
}

int tracer_finish_err(struct child *t, bool interrupt, struct json_object **report, char **err)
{
	if (interrupt)
		kill(t->pid, SIGINT);
	*err = child_read_rest(t);
	return tracer_finish(t, false, report);
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

long long ops_sum(struct json_object *report, const char *key)
{
	struct json_object *ops;
	long long sum = 0;

	if (!report || !json_object_object_get_ex(report, "operations", &ops))
		fail_msg("report has no operations");
	json_object_object_foreach(ops, name, op) {
		(void)name;
		sum += jint(op, key);
	}
	return sum;
}

void assert_clean(struct json_object *r)
{
	static const char *const zero[] = {
		"ringbuf_full", "process_events_lost", "processes_not_followed", "unmatched_end",
		"name_mismatch", "abandoned", "stack_overflow", "no_thread_storage",
		"names_unresolved", "records_malformed",
	};

	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		if (counter(r, zero[i]))
			fail_msg("%s: %lld, expected 0", zero[i], counter(r, zero[i]));
	assert_int_equal(counter(r, "starts"), counter(r, "ends"));
	assert_int_equal(counter(r, "records"), counter(r, "ends"));
}

void assert_accounting(struct json_object *r)
{
	long long starts = counter(r, "starts"), ends = counter(r, "ends");
	long long records = counter(r, "records"), full = counter(r, "ringbuf_full");
	long long ovf = counter(r, "stack_overflow"), done = ops_sum(r, "count");
	long long x = ends - done - counter(r, "unmatched_end") - counter(r, "name_mismatch");

	if (starts != records + full + counter(r, "abandoned") + ovf +
			      counter(r, "no_thread_storage"))
		fail_msg("starts %lld != records %lld + ringbuf_full %lld + abandoned %lld + "
			 "stack_overflow %lld + no_thread_storage %lld", starts, records, full,
			 counter(r, "abandoned"), ovf, counter(r, "no_thread_storage"));
	if (records != done + ops_sum(r, "unfinished"))
		fail_msg("records %lld != count %lld + unfinished %lld", records, done,
			 ops_sum(r, "unfinished"));
	if (x < 0 || x > ovf + full)
		fail_msg("ends %lld - count %lld - unmatched_end - name_mismatch = %lld, not in "
			 "0..stack_overflow + ringbuf_full = %lld", ends, done, x, ovf + full);
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

int wait_file(const char *path)
{
	char dir[512], buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const char *base = strrchr(path, '/');
	struct stat st;
	int fd, rc = -1;

	if (!base || (size_t)(base - path) >= sizeof(dir))
		return -1;
	snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), path);
	base++;
	fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0 || inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO) < 0)
		goto cleanup;
	/* Watched first, then looked for: an earlier arrival is not missed. */
	if (!stat(path, &st)) {
		rc = 0;
		goto cleanup;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto cleanup;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;

			if (ev->len && !strcmp(ev->name, base)) {
				rc = 0;
				goto cleanup;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
cleanup:
	if (fd >= 0)
		close(fd);
	return rc;
}

unsigned int last_map_id(void)
{
	__u32 id = 0, last = 0;

	while (!bpf_map_get_next_id(id, &id))
		last = id;
	return last;
}

/* Names etltrace gives its programs (BPF keeps 15 characters). */
static bool etltrace_prog_name(const char *name)
{
	static const char *const prefixes[] = { "op_start", "op_end", "on_exit", "on_fork",
						"on_exec", "on_switch", "on_rss_stat",
						"entry_stop", "open_frames", "match_slow",
						"peak_above" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static void add_id(unsigned int *v, int *n, int cap, unsigned int id)
{
	for (int i = 0; i < *n; i++)
		if (v[i] == id)
			return;
	if (*n < cap)
		v[(*n)++] = id;
}

int bpf_snapshot_take(unsigned int min_prog_id, unsigned int min_map_id, struct bpf_snapshot *s)
{
	__u32 id = min_prog_id;

	memset(s, 0, sizeof(*s));
	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info), maps[64], nmaps;
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) || !etltrace_prog_name(info.name)) {
			close(fd);
			continue;
		}
		nmaps = info.nr_map_ids < 64 ? info.nr_map_ids : 64;
		memset(&info, 0, sizeof(info));
		info.nr_map_ids = nmaps;
		info.map_ids = (__u64)(uintptr_t)maps;
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			for (__u32 i = 0; i < nmaps; i++)
				add_id(s->maps, &s->nmaps, 128, maps[i]);
		add_id(s->progs, &s->nprogs, 128, id);
		close(fd);
	}
	for (id = min_map_id; !bpf_map_get_next_id(id, &id);) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_map_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, "etl_ring"))
			add_id(s->maps, &s->nmaps, 128, id);
		close(fd);
	}
	for (id = 0; !bpf_link_get_next_id(id, &id);) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			for (int i = 0; i < s->nprogs; i++)
				if (info.prog_id == s->progs[i])
					add_id(s->links, &s->nlinks, 512, id);
		close(fd);
	}
	return s->nprogs + s->nmaps + s->nlinks;
}

static int snapshot_count(const struct bpf_snapshot *s)
{
	int n = 0, fd;

	for (int i = 0; i < s->nprogs; i++)
		if ((fd = bpf_prog_get_fd_by_id(s->progs[i])) >= 0) {
			close(fd);
			n++;
		}
	for (int i = 0; i < s->nmaps; i++)
		if ((fd = bpf_map_get_fd_by_id(s->maps[i])) >= 0) {
			close(fd);
			n++;
		}
	for (int i = 0; i < s->nlinks; i++)
		if ((fd = bpf_link_get_fd_by_id(s->links[i])) >= 0) {
			close(fd);
			n++;
		}
	return n;
}

int bpf_snapshot_alive(const struct bpf_snapshot *s)
{
	int n = snapshot_count(s);

	/* Released objects are freed after an RCU grace period. */
	for (int i = 0; n && i < 40; i++) {
		usleep(50 * 1000);
		n = snapshot_count(s);
	}
	return n;
}

long proc_status_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			kb = atol(line + flen + 1);
			break;
		}
	fclose(f);
	return kb;
}

char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

int tracer_spawn(char *const args[], struct child *t, int *stdout_fd, int *early_rc)
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, in[2] = { -1, -1 }, rc = -1;
	size_t n = 0;
	char **argv, line[1024];

	*early_rc = -1;
	*stdout_fd = -1;
	memset(t, 0, sizeof(*t));
	t->in_fd = t->out_fd = -1;
	while (args[n])
		n++;
	argv = calloc(n + 2, sizeof(*argv));
	if (!argv)
		return -1;
	argv[0] = (char *)build_path("etltrace");
	memcpy(argv + 1, args, n * sizeof(*argv));
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		goto cleanup;
	t->pid = fork();
	if (t->pid < 0)
		goto cleanup;
	if (t->pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(argv[0], argv);
		_exit(126);
	}
	live_add(t->pid);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	t->in_fd = in[1];
	t->out_fd = err[0];
	*stdout_fd = out[0];
	while (read_line(t->out_fd, line, sizeof(line)) >= 0) {
		if (!strncmp(line, "etltrace: ready:", 16)) {
			rc = 0;
			goto cleanup_argv;
		}
		fprintf(stderr, "  [etltrace] %s\n", line);
	}
	close(*stdout_fd);
	*stdout_fd = -1;
	*early_rc = child_wait(t);
	goto cleanup_argv;
cleanup:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
cleanup_argv:
	free(argv);
	return rc;
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int read_line_within(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t n = 0;

	while (n + 1 < cap) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;
		int p = poll(&pfd, 1, timeout_ms);

		if (p < 0 && errno == EINTR)
			continue;
		if (p == 0) {
			buf[n] = '\0';
			return -2;
		}
		r = read(fd, buf + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			buf[n] = '\0';
			return n ? (int)n : -1;
		}
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return (int)n;
}

int wait_line_within(int fd, const char *needle, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	char line[4096];

	for (;;) {
		long long left = end - now_ms();
		int n;

		if (left <= 0)
			return -2;
		n = read_line_within(fd, line, sizeof(line), (int)left);
		if (n == -1 || n == -2)
			return n;
		if (strstr(line, needle))
			return 0;
	}
}

int proc_fd_count(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

int line_count(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

void expect_refused(char *const args[], int code, const char *needle)
{
	unsigned int before = last_prog_id();
	struct json_object *r;
	char *err;
	int rc = run_etltrace(args, &r, &err);

	if (rc != code || line_count(err) != 1 || !strstr(err, needle))
		fail_msg("exit %d (want %d), stderr: %s", rc, code, err ? err : "(none)");
	assert_null(r);
	assert_int_equal(loaded_progs("op_start", before), 0);
	assert_int_equal(loaded_progs("op_end", before), 0);
	free(err);
}
