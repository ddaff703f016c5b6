// SPDX-License-Identifier: MIT
/* links.c - uprobe_multi links, perf events on uprobes, detaching. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "kernel/links.h"
#include "kernel/uprobe_events.h"

/* perf_event_attr.config bits holding a uprobe's semaphore offset. */
#define PERF_UPROBE_REF_CTR_OFFSET_SHIFT 32

int uprobe_multi_link(int prog_fd, const char *path, const uint64_t *offsets,
		      const uint64_t *ref_ctr_offsets, const uint64_t *cookies, uint32_t cnt,
		      pid_t pid)
{
	/* The link_create member of the kernel's union bpf_attr for this link
	 * type, laid out by hand: the installed UAPI header predates it. */
	union {
		struct {
			__u32 prog_fd, target_fd, attach_type, flags;
			__u64 path, offsets, ref_ctr_offsets, cookies;
			__u32 cnt, multi_flags, pid;
		} a;
		char size[128]; /* trailing bytes the kernel checks are zero */
	} attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.a.prog_fd = (__u32)prog_fd;
	attr.a.attach_type = UPROBE_MULTI_ATTACH_TYPE;
	attr.a.path = (__u64)(uintptr_t)path;
	attr.a.offsets = (__u64)(uintptr_t)offsets;
	attr.a.ref_ctr_offsets = (__u64)(uintptr_t)ref_ctr_offsets;
	attr.a.cookies = (__u64)(uintptr_t)cookies;
	attr.a.cnt = cnt;
	attr.a.pid = pid > 0 ? (__u32)pid : 0;
	fd = (int)syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

/* The uprobe PMU's type, from sysfs; -errno if there is none. */
static int uprobe_pmu_type(void)
{
	static int type = -1;
	FILE *f;

	if (type >= 0)
		return type;
	f = fopen("/sys/bus/event_source/devices/uprobe/type", "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%d", &type) != 1)
		type = -1;
	fclose(f);
	return type >= 0 ? type : -EINVAL;
}

/* A perf event for attr (of pid; 0: every process) with prog_fd's BPF
 * link; returns the link fd (which keeps the event) or -errno. */
static int perf_link(struct perf_event_attr *attr, int prog_fd, uint64_t cookie, pid_t pid)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .perf_event.bpf_cookie = cookie);
	int pfd, fd, err;

	/* pid -1 needs a cpu, yet fires on every one: BPF runs from the probe
	 * itself, not from the event's CPU. */
	pfd = (int)syscall(SYS_perf_event_open, attr, pid > 0 ? pid : -1, pid > 0 ? -1 : 0, -1,
			   PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return -errno;
	fd = bpf_link_create(prog_fd, pfd, BPF_PERF_EVENT, &opts);
	err = -errno;
	close(pfd); /* the link holds the event */
	return fd < 0 ? err : fd;
}

/* One perf-event uprobe at offset of path with its BPF link; returns the
 * link fd or -errno. */
static int perf_uprobe_link(int prog_fd, const char *path, uint64_t offset, uint64_t ref_ctr,
			    uint64_t cookie, pid_t pid)
{
	struct perf_event_attr attr;
	int type = uprobe_pmu_type();

	if (type < 0)
		return type;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = (__u32)type;
	attr.config1 = (__u64)(uintptr_t)path;
	attr.config2 = offset;
	attr.config = ref_ctr << PERF_UPROBE_REF_CTR_OFFSET_SHIFT;
	return perf_link(&attr, prog_fd, cookie, pid);
}

/* A trace event holding the cnt probes idx[] of path, with a perf event
 * and its BPF link; returns the link fd and sets *event, or -errno (nothing
 * left defined). */
static int trace_event_link(int prog_fd, const char *path, const uint64_t *offsets,
			    const uint64_t *ref_ctr_offsets, const uint32_t *idx, uint32_t cnt,
			    uint64_t cookie, pid_t pid, uint32_t *event)
{
	/* Numbers this process's events; attaching runs on one thread. */
	static uint32_t last_event;
	struct perf_event_attr attr;
	uint32_t ev = ++last_event;
	int id = uprobe_event_define(ev, path, offsets, ref_ctr_offsets, idx, cnt), fd;

	if (id < 0)
		return id;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = (__u64)id;
	fd = perf_link(&attr, prog_fd, cookie, pid);
	if (fd < 0) {
		uprobe_event_delete(ev);
		return fd;
	}
	*event = ev;
	return fd;
}

static int push_link(struct links *l, int fd, uint32_t event)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct link *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			close(fd);
			if (event)
				uprobe_event_delete(event);
			return -ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct link){ fd, event };
	return 0;
}

/* The perf-event ways: sites sharing a cookie in one trace event when
 * `events` (and tracefs) allow, else each on its own. Returns 0 or -errno,
 * leaving what was attached in l. */
static int attach_perf(struct links *l, bool events, int prog_fd, const char *path,
		       const uint64_t *offsets, const uint64_t *ref_ctr_offsets,
		       const uint64_t *cookies, uint32_t cnt, pid_t pid)
{
	uint32_t *idx = calloc(cnt, sizeof(*idx));
	bool *done = calloc(cnt, sizeof(*done));
	int err = idx && done ? 0 : -ENOMEM;

	for (uint32_t i = 0; i < cnt && !err; i++) {
		uint64_t cookie = cookies ? cookies[i] : 0;
		uint32_t k = 0, ev = 0;
		int fd = -1;

		if (done[i])
			continue;
		for (uint32_t j = i; j < cnt; j++)
			if (!done[j] && (cookies ? cookies[j] : 0) == cookie) {
				idx[k++] = j;
				done[j] = true;
			}
		/* One site gains nothing from an event of its own; a refused
		 * event (no tracefs, a path it cannot parse) falls back. */
		if (events && k > 1)
			fd = trace_event_link(prog_fd, path, offsets, ref_ctr_offsets, idx, k, cookie,
					      pid, &ev);
		if (fd >= 0) {
			err = push_link(l, fd, ev);
			continue;
		}
		for (uint32_t m = 0; m < k && !err; m++) {
			fd = perf_uprobe_link(prog_fd, path, offsets[idx[m]], ref_ctr_offsets[idx[m]],
					      cookie, pid);
			err = fd < 0 ? fd : push_link(l, fd, 0);
		}
	}
	free(idx);
	free(done);
	return err;
}

int links_attach(struct links *l, enum links_kind kind, int prog_fd, const char *path,
		 const uint64_t *offsets, const uint64_t *ref_ctr_offsets, const uint64_t *cookies,
		 uint32_t cnt, pid_t pid)
{
	size_t before = l->n;
	int err;

	if (kind == LINKS_UPROBE_MULTI) {
		int fd = uprobe_multi_link(prog_fd, path, offsets, ref_ctr_offsets, cookies, cnt,
					   pid);

		return fd < 0 ? fd : push_link(l, fd, 0);
	}
	err = attach_perf(l, kind == LINKS_TRACE_EVENTS, prog_fd, path, offsets, ref_ctr_offsets,
			  cookies, cnt, pid);
	if (err)
		links_close_from(l, before);
	return err;
}

int uprobe_multi_supported(const struct btf *vmlinux)
{
	struct btf *own = vmlinux ? NULL : btf__load_vmlinux_btf();
	const struct btf *btf = vmlinux ? vmlinux : own;
	int id, found = 0;
	const struct btf_type *t;

	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, "bpf_attach_type", BTF_KIND_ENUM);
	t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
	for (int i = 0; t && i < btf_vlen(t) && !found; i++)
		found = !strcmp(btf__name_by_offset(btf, btf_enum(t)[i].name_off),
				"BPF_TRACE_UPROBE_MULTI");
	btf__free(own);
	return found;
}

struct closer {
	const struct link *v;
	size_t n, first, stride;
};

static void *close_stride(void *arg)
{
	const struct closer *c = arg;

	for (size_t i = c->first; i < c->n; i += c->stride)
		close(c->v[i].fd);
	return NULL;
}

/* The fds are closed from up to MAX_THREADS threads at once: uprobe_multi
 * links wait for their grace periods outside any global lock, so theirs
 * overlap. Perf events do not gain from it: the kernel tears them down one
 * at a time under its trace event mutex (hence trace events holding many
 * sites). */
int links_close_from(struct links *l, size_t from)
{
	enum { MAX_THREADS = 64 };
	struct closer c[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	bool started[MAX_THREADS] = {};
	size_t n = from < l->n ? l->n - from : 0, nth = n < MAX_THREADS ? n : MAX_THREADS;
	int err = 0;

	for (size_t i = 0; i < nth; i++) {
		c[i] = (struct closer){ l->v + from, n, i, nth };
		started[i] = nth > 1 && !pthread_create(&th[i], NULL, close_stride, &c[i]);
		if (!started[i])
			close_stride(&c[i]);
	}
	for (size_t i = 0; i < nth; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	/* Only now unused: an event with a perf event open cannot go. */
	for (size_t i = from; i < l->n; i++) {
		int e = l->v[i].event ? uprobe_event_delete(l->v[i].event) : 0;

		err = err ?: e;
	}
	if (from < l->n)
		l->n = from;
	return err;
}

int links_close_all(struct links *l)
{
	return links_close_from(l, 0);
}

void links_free(struct links *l)
{
	links_close_all(l);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
