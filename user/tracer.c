// SPDX-License-Identifier: MIT
/* tracer.c - load the BPF object, attach it, drain it. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "etltrace.skel.h"
#include "tracer.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

struct tracer {
	struct etltrace *skel;
	struct ring_buffer *rb;
	struct bpf_link **links;
	size_t nlinks;
	struct bpf_link *entry_link;
	tracer_record_fn fn;
	void *ctx;
};

/* libbpf's print callback has no context argument: the level is kept here,
 * written once by tracer_open. */
static int libbpf_verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	/* Failures are reported by the caller in one line; libbpf's own
	 * messages only at -vvv. */
	if (libbpf_verbose < 3)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int on_sample(void *ctx, void *data, size_t len)
{
	struct tracer *tr = ctx;

	if (len < sizeof(struct etl_op_record))
		return 0;
	return tr->fn(tr->ctx, data);
}

static int add_link(struct tracer *tr, struct bpf_link *link)
{
	struct bpf_link **links = realloc(tr->links, (tr->nlinks + 1) * sizeof(*links));

	if (!links) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	tr->links = links;
	tr->links[tr->nlinks++] = link;
	return 0;
}

/* Attaches a tracepoint program by its section. */
static int attach_hook(struct tracer *tr, struct bpf_program *prog)
{
	struct bpf_link *link = bpf_program__attach(prog);

	if (!link)
		return -errno;
	return add_link(tr, link);
}

int tracer_open(const struct tracer_config *cfg, tracer_record_fn fn, void *ctx,
		struct tracer **out)
{
	struct tracer *tr;
	int err, i;

	libbpf_verbose = cfg->verbose;
	libbpf_set_print(print_libbpf);
	if (cfg->ntgids < 1 || cfg->ntgids > ETL_MAX_TGIDS)
		return -EINVAL;
	tr = calloc(1, sizeof(*tr));
	if (!tr)
		return -ENOMEM;
	tr->fn = fn;
	tr->ctx = ctx;
	tr->skel = etltrace__open();
	if (!tr->skel) {
		err = -errno;
		goto fail;
	}
	for (i = 0; i < cfg->ntgids; i++)
		tr->skel->rodata->targ_tgids[i] = (__u32)cfg->tgids[i];
	tr->skel->rodata->targ_ntgids = (__u32)cfg->ntgids;
	tr->skel->rodata->collect_resources = cfg->resources;
	/* Wake the loader early when a quarter of the ring is unread. */
	tr->skel->rodata->wakeup_bytes = cfg->ringbuf_bytes / 4;
	err = bpf_map__set_max_entries(tr->skel->maps.events, cfg->ringbuf_bytes);
	if (err)
		goto fail;
	/* Without resources, the scheduler and memory hooks are not even loaded. */
	bpf_program__set_autoload(tr->skel->progs.on_switch, cfg->resources);
	bpf_program__set_autoload(tr->skel->progs.on_rss_stat, cfg->resources);
	err = etltrace__load(tr->skel);
	if (err)
		goto fail;
	err = attach_hook(tr, tr->skel->progs.on_exit);
	if (!err)
		err = attach_hook(tr, tr->skel->progs.on_exec);
	if (!err && cfg->resources)
		err = attach_hook(tr, tr->skel->progs.on_switch);
	if (!err && cfg->resources)
		err = attach_hook(tr, tr->skel->progs.on_rss_stat);
	if (err)
		goto fail;
	tr->rb = ring_buffer__new(bpf_map__fd(tr->skel->maps.events), on_sample, tr, NULL);
	if (!tr->rb) {
		err = -errno;
		goto fail;
	}
	*out = tr;
	return 0;
fail:
	tracer_close(tr);
	return err < 0 ? err : -EINVAL;
}

int tracer_attach_object(struct tracer *tr, pid_t pid, const char *path)
{
	static const char *const probes[] = { "op_end", "op_start" };
	struct bpf_program *progs[] = { tr->skel->progs.op_end, tr->skel->progs.op_start };
	size_t i;
	int err;

	/* op_end first: an operation already running when op_start gets
	 * attached then shows up as an unmatched end, never half-measured. */
	for (i = 0; i < 2; i++) {
		struct bpf_link *link = bpf_program__attach_usdt(progs[i], pid, path, "etl",
								 probes[i], NULL);

		if (!link)
			return -errno;
		err = add_link(tr, link);
		if (err)
			return err;
	}
	return 0;
}

int tracer_attach_entry_stop(struct tracer *tr, pid_t pid, const char *path, uint64_t offset)
{
	tr->entry_link = bpf_program__attach_uprobe(tr->skel->progs.entry_stop, false, pid, path,
						    offset);
	return tr->entry_link ? 0 : -errno;
}

void tracer_detach_entry_stop(struct tracer *tr)
{
	bpf_link__destroy(tr->entry_link);
	tr->entry_link = NULL;
}

int tracer_poll_fd(const struct tracer *tr)
{
	return ring_buffer__epoll_fd(tr->rb);
}

int tracer_drain(struct tracer *tr)
{
	return ring_buffer__consume(tr->rb);
}

int tracer_counters(const struct tracer *tr, uint64_t out[ETL_CNT__MAX])
{
	int ncpu = libbpf_num_possible_cpus(), fd, i, j, err = 0;
	__u64(*vals)[ETL_CNT__MAX];
	__u32 zero = 0;

	memset(out, 0, sizeof(uint64_t) * ETL_CNT__MAX);
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	fd = bpf_map__fd(tr->skel->maps.counters);
	if (bpf_map_lookup_elem(fd, &zero, vals)) {
		err = -errno;
		goto cleanup;
	}
	for (i = 0; i < ncpu; i++)
		for (j = 0; j < ETL_CNT__MAX; j++)
			out[j] += vals[i][j];
cleanup:
	free(vals);
	return err;
}

int tracer_thread_stack(const struct tracer *tr, pid_t tid, struct etl_thread_stack *st)
{
	int pidfd, err = 0;

	memset(st, 0, sizeof(*st));
	pidfd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	if (pidfd < 0)
		return -errno;
	if (bpf_map_lookup_elem(bpf_map__fd(tr->skel->maps.stacks), &pidfd, st)) {
		err = errno == ENOENT ? 0 : -errno;
		memset(st, 0, sizeof(*st));
	}
	close(pidfd);
	return err;
}

void tracer_close(struct tracer *tr)
{
	size_t i;

	if (!tr)
		return;
	ring_buffer__free(tr->rb);
	bpf_link__destroy(tr->entry_link);
	for (i = 0; i < tr->nlinks; i++)
		bpf_link__destroy(tr->links[i]);
	free(tr->links);
	etltrace__destroy(tr->skel);
	free(tr);
}
