// SPDX-License-Identifier: MIT
/* tracer.c - load the BPF object, attach it, drain it. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/user.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "etltrace.skel.h"
#include "kernel/links.h"
#include "kernel/reaper.h"
#include "kernel/tracer.h"

#define NREGS (sizeof(reg_off) / sizeof(reg_off[0]))

/* pt_regs offset of register i of ETL_REGS (user_regs_struct has the same
 * layout). */
static const size_t reg_off[] = {
#define REG(field, r64, r32, r16, r8) offsetof(struct user_regs_struct, r64),
	ETL_REGS(REG)
#undef REG
};

/* The specialised probe programs of register i. */
struct reg_progs {
	struct bpf_program *start, *start_lit, *end;
};

/* An entry stop set for one process. */
struct entry_stop {
	pid_t pid;
	struct links l;
};

struct tracer {
	struct etltrace *skel;
	struct reg_progs regs[NREGS];
	bool multi;                 /* uprobe_multi links */
	struct ring_buffer *rb;
	struct bpf_link **hooks;    /* process, scheduler and memory hooks */
	size_t nhooks;
	struct links probes;        /* probe sites */
	struct entry_stop *stops;
	size_t nstops;
	struct reaper *reaper;      /* closes the stops that go during the trace */
	struct etl_usdt_spec *specs; /* usdt_specs map contents, by cookie */
	uint32_t nspecs;
	int *ring_fds;              /* one ring buffer per possible CPU */
	size_t nring_fds, nrings;
	uint32_t ring_bytes;        /* size of each */
	uint64_t short_records;
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

/* Hands one record to the callback if it is whole for its kind. */
static int deliver(struct tracer *tr, const void *data, size_t len)
{
	uint32_t kind;

	if (len < sizeof(kind))
		goto short_record;
	memcpy(&kind, data, sizeof(kind));
	if (kind == ETL_REC_PROC ? len < sizeof(struct etl_proc_event)
				 : len < sizeof(struct etl_op_record))
		goto short_record;
	return tr->fn(tr->ctx, data, len);
short_record:
	tr->short_records++;
	return 0;
}

static int on_sample(void *ctx, void *data, size_t len)
{
	return deliver(ctx, data, len);
}

/* Which program of sites[i] is specialised: the register index of its
 * name, or -1 (the generic program decodes the site's spec at run time). */
static int site_reg(const struct etl_site *site)
{
	const struct etl_usdt_spec *sp = &site->spec;
	const struct etl_usdt_arg *name = &sp->arg[0], *extra = &sp->arg[1];

	if (name->kind != ETL_ARG_REG || name->shift || sp->pair)
		return -1; /* --probe pairs carry their pair: the generic programs */
	if (site->is_end ? sp->nargs != 1 /* a record count is read through the spec */
			 : sp->nargs > 2 || (sp->nargs == 2 && extra->kind != ETL_ARG_CONST))
		return -1; /* a start's flags must be a constant to be known here */
	for (size_t i = 0; i < NREGS; i++)
		if (reg_off[i] == name->reg_off)
			return (int)i;
	return -1;
}

/* Whether a start site declares a literal name. */
static bool site_literal(const struct etl_site *site)
{
	return site->spec.nargs == 2 && (site->spec.arg[1].val & ETL_START_F_LITERAL);
}

void tracer_needs_add(struct tracer_needs *needs, const struct etl_site *sites, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = site_reg(&sites[i]);

		if (r < 0)
			continue;
		if (sites[i].is_end)
			needs->end |= 1u << r;
		else if (site_literal(&sites[i]))
			needs->start_lit |= 1u << r;
		else
			needs->start |= 1u << r;
	}
}

/* The loaded program for a site: its specialised one if loaded, else the
 * generic one. */
static struct bpf_program *site_prog(const struct tracer *tr, const struct etl_site *site)
{
	int r = site_reg(site);
	struct bpf_program *p = NULL;

	if (r >= 0) {
		const struct reg_progs *rp = &tr->regs[r];

		p = site->is_end ? rp->end : site_literal(site) ? rp->start_lit : rp->start;
		if (p && bpf_program__fd(p) < 0)
			p = NULL; /* not loaded: no site needed it at start-up */
	}
	if (!p)
		p = site->is_end ? tr->skel->progs.op_end_any : tr->skel->progs.op_start_any;
	return p;
}

static void table_programs(struct tracer *tr)
{
	size_t i = 0;

#define REG(field, r64, r32, r16, r8)                                          \
	tr->regs[i++] = (struct reg_progs){ tr->skel->progs.op_start_##field,  \
					    tr->skel->progs.op_start_lit_##field, \
					    tr->skel->progs.op_end_##field };
	ETL_REGS(REG)
#undef REG
}

/* Loads only the specialised programs some site needs: the verifier's time
 * is most of etltrace's start-up. */
static void choose_programs(struct tracer *tr, const struct tracer_config *cfg)
{
	struct bpf_program *prog;

	for (size_t i = 0; i < NREGS; i++) {
		bpf_program__set_autoload(tr->regs[i].start, cfg->needs.start & (1u << i));
		bpf_program__set_autoload(tr->regs[i].start_lit, cfg->needs.start_lit & (1u << i));
		bpf_program__set_autoload(tr->regs[i].end, cfg->needs.end & (1u << i));
	}
	/* Without resources, the scheduler and memory hooks are not loaded. */
	bpf_program__set_autoload(tr->skel->progs.on_switch, cfg->resources);
	bpf_program__set_autoload(tr->skel->progs.on_rss_stat, cfg->resources);
	if (!tr->multi)
		return;
	bpf_object__for_each_program(prog, tr->skel->obj)
		if (bpf_program__type(prog) == BPF_PROG_TYPE_KPROBE)
			bpf_program__set_expected_attach_type(prog, UPROBE_MULTI_ATTACH_TYPE);
}

static int add_hook(struct tracer *tr, struct bpf_program *prog)
{
	struct bpf_link **v, *link = bpf_program__attach(prog);

	if (!link)
		return -errno;
	v = realloc(tr->hooks, (tr->nhooks + 1) * sizeof(*v));
	if (!v) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	tr->hooks = v;
	tr->hooks[tr->nhooks++] = link;
	return 0;
}

/* Creates one ring of tr->ring_bytes, kept in tr->ring_fds. Returns its fd
 * or -errno. */
static int new_ring(struct tracer *tr)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "etl_ring", 0, 0, tr->ring_bytes, NULL);

	if (fd < 0)
		return -errno;
	tr->ring_fds[tr->nring_fds++] = fd;
	return fd;
}

/* Before load: splits the ring buffer size over one ring per possible CPU
 * (each a power of two, at least 64 KiB), and creates the first ring, the
 * template the kernel checks the others against. */
static int size_rings(struct tracer *tr, uint32_t total)
{
	int ncpu = libbpf_num_possible_cpus(), fd, err;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	tr->nrings = (size_t)ncpu;
	tr->ring_bytes = total;
	while (tr->ring_bytes > (64u << 10) && tr->ring_bytes / 2 * (uint32_t)ncpu >= total)
		tr->ring_bytes /= 2;
	/* Wake the loader when a sixteenth of a ring is unread: early enough
	 * that a burst on a busy machine does not fill the rest before the
	 * loader is scheduled, rare enough that wakeups cost nothing. */
	tr->skel->rodata->wakeup_bytes = tr->ring_bytes / 16;
	tr->ring_fds = calloc(tr->nrings, sizeof(*tr->ring_fds));
	if (!tr->ring_fds)
		return -ENOMEM;
	fd = new_ring(tr);
	if (fd < 0)
		return fd;
	err = bpf_map__set_max_entries(tr->skel->maps.rings, (uint32_t)ncpu);
	return err ? err : bpf_map__set_inner_map_fd(tr->skel->maps.rings, fd);
}

/* After load: the other rings, all in the outer map, drained through one
 * ring_buffer (one epoll set). The outer map is filled in one batch: the
 * kernel waits a grace period after each update of a map of maps, once
 * per batch (a few ms each, per CPU on big machines). */
static int create_rings(struct tracer *tr)
{
	int outer = bpf_map__fd(tr->skel->maps.rings), err = 0;
	__u32 *keys = calloc(tr->nrings, sizeof(*keys)), count = (__u32)tr->nrings;

	if (!keys)
		return -ENOMEM;
	for (size_t i = 1; i < tr->nrings && !err; i++) {
		int fd = new_ring(tr);

		err = fd < 0 ? fd : 0;
	}
	for (size_t i = 0; i < tr->nrings; i++)
		keys[i] = (__u32)i;
	if (!err && bpf_map_update_batch(outer, keys, tr->ring_fds, &count, NULL)) {
		/* Kernels without batch updates of this map type. */
		for (size_t i = 0; i < tr->nrings && !err; i++)
			if (bpf_map_update_elem(outer, &keys[i], &tr->ring_fds[i], 0))
				err = -errno;
	}
	for (size_t i = 0; i < tr->nrings && !err; i++) {
		if (!tr->rb)
			tr->rb = ring_buffer__new(tr->ring_fds[i], on_sample, tr, NULL);
		else if (ring_buffer__add(tr->rb, tr->ring_fds[i], on_sample, tr))
			err = -errno;
		if (!tr->rb)
			err = -errno;
	}
	free(keys);
	return err;
}

static void set_rodata(struct tracer *tr, const struct tracer_config *cfg)
{
	long page = sysconf(_SC_PAGESIZE);
	uint32_t shift = 0;

	while (page > 1 && (1L << shift) < page)
		shift++;
	tr->skel->rodata->collect_resources = cfg->resources;
	tr->skel->rodata->follow_children = cfg->follow_children;
	tr->skel->rodata->accept_any = cfg->accept_any;
	tr->skel->rodata->hold_exec = cfg->hold_exec;
	tr->skel->rodata->page_shift = shift;
}

int tracer_open(const struct tracer_config *cfg, tracer_record_fn fn, void *ctx,
		struct tracer **out)
{
	struct tracer *tr;
	int err;

	libbpf_verbose = cfg->verbose;
	libbpf_set_print(print_libbpf);
	tr = calloc(1, sizeof(*tr));
	if (!tr)
		return -ENOMEM;
	tr->fn = fn;
	tr->ctx = ctx;
	tr->multi = cfg->uprobe_multi;
	tr->skel = etltrace__open();
	if (!tr->skel) {
		err = -errno;
		goto fail;
	}
	err = reaper_start(&tr->reaper);
	if (err)
		goto fail;
	table_programs(tr);
	set_rodata(tr, cfg);
	choose_programs(tr, cfg);
	err = size_rings(tr, cfg->ringbuf_bytes);
	err = err ?: etltrace__load(tr->skel);
	err = err ?: add_hook(tr, tr->skel->progs.on_exit);
	err = err ?: add_hook(tr, tr->skel->progs.on_fork);
	err = err ?: add_hook(tr, tr->skel->progs.on_exec);
	if (!err && cfg->resources)
		err = add_hook(tr, tr->skel->progs.on_switch) ?:
		      add_hook(tr, tr->skel->progs.on_rss_stat);
	err = err ?: create_rings(tr);
	if (err)
		goto fail;
	*out = tr;
	return 0;
fail:
	tracer_close(tr);
	return err < 0 ? err : -EINVAL;
}

int tracer_add_process(struct tracer *tr, pid_t pid, unsigned int slot)
{
	struct etl_proc zero = {};
	__u32 key = (__u32)pid, at = slot;

	if (slot >= ETL_LOADER_SLOTS)
		return -E2BIG;
	if (bpf_map_update_elem(bpf_map__fd(tr->skel->maps.proc_state), &at, &zero, 0) ||
	    (bpf_map_update_elem(bpf_map__fd(tr->skel->maps.procs), &key, &at, BPF_NOEXIST) &&
	     errno != EEXIST))
		return errno == ENOMEM ? -E2BIG : -errno;
	return 0;
}

/* Cookie of spec: its index in the usdt_specs map, added if new. */
static int spec_id(struct tracer *tr, const struct etl_usdt_spec *spec, uint64_t *id)
{
	uint32_t i, key;

	for (i = 0; i < tr->nspecs; i++)
		if (!memcmp(&tr->specs[i], spec, sizeof(*spec)))
			break;
	if (i == tr->nspecs) {
		struct etl_usdt_spec *v;

		if (tr->nspecs >= ETL_MAX_SPECS)
			return -E2BIG;
		v = realloc(tr->specs, (tr->nspecs + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		tr->specs = v;
		v[i] = *spec;
		key = i;
		if (bpf_map_update_elem(bpf_map__fd(tr->skel->maps.usdt_specs), &key, spec, 0))
			return -errno;
		tr->nspecs++;
	}
	*id = i;
	return 0;
}

static enum links_kind links_kind(const struct tracer *tr)
{
	return tr->multi ? LINKS_UPROBE_MULTI : LINKS_TRACE_EVENTS;
}

/* Attaches the sites with is_end == end, one attachment per program. */
static int attach_role(struct tracer *tr, const char *path, const struct etl_site *sites,
		       size_t n, bool end, pid_t pid, bool admit)
{
	struct bpf_program **prog = calloc(n, sizeof(*prog));
	uint64_t *off = calloc(n, sizeof(*off)), *ref = calloc(n, sizeof(*ref));
	uint64_t *cookie = calloc(n, sizeof(*cookie));
	int err = 0;

	if (!prog || !off || !ref || !cookie) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++)
		if (sites[i].is_end == end)
			prog[i] = site_prog(tr, &sites[i]);
	for (size_t i = 0; i < n && !err; i++) {
		struct bpf_program *p = prog[i];
		uint32_t cnt = 0;

		if (!p)
			continue;
		for (size_t j = i; j < n && !err; j++) {
			if (prog[j] != p)
				continue;
			err = spec_id(tr, &sites[j].spec, &cookie[cnt]);
			if (admit)
				cookie[cnt] |= ETL_COOKIE_ADMIT;
			off[cnt] = sites[j].offset;
			ref[cnt] = sites[j].ref_ctr_offset;
			prog[j] = NULL;
			cnt++;
		}
		if (!err)
			err = links_attach(&tr->probes, links_kind(tr), bpf_program__fd(p), path, off,
					   ref, cookie, cnt, pid);
	}
cleanup:
	free(prog);
	free(off);
	free(ref);
	free(cookie);
	return err;
}

int tracer_attach_sites(struct tracer *tr, const char *path, const struct etl_site *sites,
			size_t n, pid_t pid, bool admit)
{
	size_t before = tr->probes.n;
	int err;

	/* op_end first: an operation already running when op_start gets
	 * attached then shows up as an unmatched end, never half-measured. */
	err = attach_role(tr, path, sites, n, true, pid, admit);
	err = err ?: attach_role(tr, path, sites, n, false, pid, admit);
	if (err)
		links_close_from(&tr->probes, before);
	return err ? err : (int)(tr->probes.n - before);
}

int tracer_entry_stop(struct tracer *tr, pid_t pid, const char *path, uint64_t offset)
{
	struct links l = { 0 };
	struct entry_stop *v;
	uint64_t zero = 0;
	int err;

	tracer_entry_stop_clear(tr, pid);
	v = realloc(tr->stops, (tr->nstops + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	tr->stops = v;
	err = links_attach(&l, links_kind(tr), bpf_program__fd(tr->skel->progs.entry_stop), path,
			   &offset, &zero, &zero, 1, pid);
	if (err)
		return err;
	tr->stops[tr->nstops++] = (struct entry_stop){ pid, l };
	return 0;
}

void tracer_entry_stop_clear(struct tracer *tr, pid_t pid)
{
	for (size_t i = 0; i < tr->nstops; i++) {
		if (tr->stops[i].pid != pid)
			continue;
		reaper_add(tr->reaper, &tr->stops[i].l);
		tr->stops[i] = tr->stops[--tr->nstops];
		return;
	}
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

int tracer_open_frames(struct tracer *tr, bool take)
{
	struct bpf_link *link = bpf_program__attach_iter(tr->skel->progs.open_frames, NULL);
	struct etl_op_record rec;
	size_t have = 0;
	int fd, n = 0, err = 0;
	ssize_t got;

	if (!link)
		return -errno;
	tr->skel->bss->iter_take = take;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	/* The output is a stream of whole records. */
	while ((got = read(fd, (char *)&rec + have, sizeof(rec) - have)) > 0) {
		have += (size_t)got;
		if (have < sizeof(rec))
			continue;
		have = 0;
		n++;
		if (deliver(tr, &rec, sizeof(rec)))
			break;
	}
	if (got < 0)
		err = -errno;
	close(fd);
cleanup:
	bpf_link__destroy(link);
	return err ? err : n;
}

int tracer_detach_probes(struct tracer *tr)
{
	int err;

	for (size_t i = 0; i < tr->nstops; i++)
		reaper_add(tr->reaper, &tr->stops[i].l);
	tr->nstops = 0;
	err = links_close_all(&tr->probes);
	reaper_drain(tr->reaper);
	return err;
}

size_t tracer_probe_links(const struct tracer *tr, size_t *single)
{
	*single = 0;
	for (size_t i = 0; i < tr->probes.n; i++)
		*single += !tr->multi && !tr->probes.v[i].event;
	return tr->probes.n;
}

void tracer_detach_hooks(struct tracer *tr)
{
	for (size_t i = 0; i < tr->nhooks; i++)
		bpf_link__destroy(tr->hooks[i]);
	tr->nhooks = 0;
}

uint64_t tracer_short_records(const struct tracer *tr)
{
	return tr->short_records;
}

void tracer_close(struct tracer *tr)
{
	size_t i;

	if (!tr)
		return;
	tracer_detach_probes(tr);
	reaper_stop(tr->reaper);
	links_free(&tr->probes);
	free(tr->stops);
	ring_buffer__free(tr->rb);
	for (i = 0; i < tr->nring_fds; i++)
		close(tr->ring_fds[i]);
	free(tr->ring_fds);
	free(tr->specs);
	tracer_detach_hooks(tr);
	free(tr->hooks);
	etltrace__destroy(tr->skel);
	free(tr);
}
