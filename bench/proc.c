// SPDX-License-Identifier: MIT
/* proc.c - spawn, talk to, wait for and inspect children. See proc.h. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int child_spawn(char *const argv[], int cpu, struct child *c)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, rc = 0;

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->in_fd = c->out_fd = c->err_fd = -1;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		rc = -errno;
		goto fail;
	}
	c->pid = fork();
	if (c->pid < 0) {
		rc = -errno;
		goto fail;
	}
	if (c->pid == 0) {
		if (cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			if (sched_setaffinity(0, sizeof(set), &set))
				_exit(126);
		}
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		dprintf(2, "bench: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	c->in_fd = in[1];
	c->out_fd = out[0];
	c->err_fd = err[0];
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	c->pid = -1;
	return rc;
}

static void append(char *dst, size_t cap, const char *s)
{
	size_t n;

	if (!dst || !cap)
		return;
	n = strlen(dst);
	snprintf(dst + n, cap - n, "%s\n", s);
}

int child_expect(int fd, const char *prefix, int timeout_ms, char *line, size_t cap,
		 char *skipped, size_t skipped_cap)
{
	uint64_t deadline = mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	size_t n = 0;

	/* One byte at a time: nothing after the line is consumed, so the next
	 * call sees it. Outputs here are a few lines. */
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = mono_ns();
		ssize_t r;
		char ch;

		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)((deadline - now) / 1000000ull) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			line[n] = '\0';
			if (n)
				append(skipped, skipped_cap, line);
			return -EPIPE;
		}
		if (ch != '\n') {
			if (n + 1 < cap)
				line[n++] = ch;
			continue;
		}
		line[n] = '\0';
		if (!strncmp(line, prefix, strlen(prefix)))
			return 0;
		append(skipped, skipped_cap, line);
		n = 0;
	}
}

int child_say(struct child *c, const char *line)
{
	char buf[128];
	int len = snprintf(buf, sizeof(buf), "%s\n", line);

	if (c->in_fd < 0)
		return -EPIPE;
	if (len < 0 || (size_t)len >= sizeof(buf))
		return -EINVAL;
	/* One write: the reader sees the whole line at once. */
	if (write(c->in_fd, buf, (size_t)len) != len)
		return -errno;
	return 0;
}

void child_slurp(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	if (fd < 0) {
		if (cap)
			buf[0] = '\0';
		return;
	}
	for (;;) {
		char tmp[4096];
		ssize_t r = read(fd, tmp, sizeof(tmp));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r && n + 1 < cap; i++)
			buf[n++] = tmp[i];
	}
	if (cap)
		buf[n] = '\0';
}

static void close_fds(struct child *c)
{
	if (c->in_fd >= 0)
		close(c->in_fd);
	if (c->out_fd >= 0)
		close(c->out_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->in_fd = c->out_fd = c->err_fd = -1;
}

int child_reap(struct child *c, int timeout_ms)
{
	uint64_t deadline = mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	int rc = 0;

	if (c->pid <= 0 || c->reaped) {
		close_fds(c);
		return 0;
	}
	for (;;) {
		pid_t r = wait4(c->pid, &c->status, WNOHANG, &c->ru);

		if (r == c->pid)
			break;
		if (r < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (mono_ns() >= deadline) {
			kill(c->pid, SIGKILL);
			while (wait4(c->pid, &c->status, 0, &c->ru) < 0 && errno == EINTR)
				;
			rc = -ETIMEDOUT;
			break;
		}
		sleep_ms(5);
	}
	c->reaped = 1;
	close_fds(c);
	return rc;
}

void child_kill(struct child *c)
{
	if (c->pid > 0 && !c->reaped) {
		kill(c->pid, SIGKILL);
		child_reap(c, 10000);
	}
	close_fds(c);
}

uint64_t proc_cpu_ns(pid_t pid)
{
	char path[64];
	struct dirent *de;
	uint64_t sum = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char p[320];
		unsigned long long ns;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		/* schedstat: time on CPU (ns), time waiting, timeslices. */
		snprintf(p, sizeof(p), "/proc/%d/task/%s/schedstat", (int)pid, de->d_name);
		f = fopen(p, "re");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &ns) == 1)
			sum += ns;
		fclose(f);
	}
	closedir(d);
	return sum;
}

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000ull + (uint64_t)tv->tv_usec * 1000ull;
}

int machine_cpu_read(struct machine_cpu *m)
{
	unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal;
	uint64_t tick_ns = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
	struct rusage self, kids;
	FILE *f = fopen("/proc/stat", "re");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle,
		   &iowait, &irq, &softirq, &steal);
	fclose(f);
	if (n != 8)
		return -EINVAL;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	m->busy_ns = (uint64_t)(user + nice + sys + irq + softirq) * tick_ns;
	m->steal_ns = (uint64_t)steal * tick_ns;
	m->ours_ns = tv_ns(&self.ru_utime) + tv_ns(&self.ru_stime) + tv_ns(&kids.ru_utime) +
		     tv_ns(&kids.ru_stime);
	m->wall_ns = mono_ns();
	return 0;
}

long proc_status_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			kb = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

int loopback_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

bool scrape_metrics(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				  "Connection: close\r\n\r\n";
	char buf[65536], head[16] = "";
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = false;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (got < sizeof(head) - 1)
			memcpy(head + got, buf, (size_t)n < sizeof(head) - 1 - got
							? (size_t)n : sizeof(head) - 1 - got);
		got += (size_t)n;
	}
	ok = n == 0 && !strncmp(head, "HTTP/1.1 200", 12);
out:
	close(fd);
	return ok;
}
