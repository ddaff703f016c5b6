// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * etltrace.bpf.c - kernel side of etltrace.
 *
 * etl:op_start pushes a frame on the calling thread's stack of open
 * operations (BPF task-local storage, freed with the task); etl:op_end pops
 * it and writes ONE record per completed operation to the ring buffer.
 * Everything that does not become a record is counted in `counters`.
 *
 * Records are submitted without a wakeup: the loader drains the ring on a
 * short timer. A wakeup is forced only when a record makes the unread data
 * cross `wakeup_bytes`, so a burst cannot overrun the ring between timer
 * ticks while the common path never pays for a wakeup.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/usdt.bpf.h>
#include "etltrace.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by the loader between open and load. */
const volatile __u32 targ_tgids[ETL_MAX_TGIDS] = {};
const volatile __u32 targ_ntgids = 0;
const volatile bool collect_resources = true;
const volatile __u64 wakeup_bytes = 1 << 20;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by the loader */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct etl_thread_stack);
} stacks SEC(".maps");

struct counters {
	__u64 c[ETL_CNT__MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} counters SEC(".maps");

/* Scratch for an op_end name that must be compared byte by byte. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[ETL_NAME_MAX]);
} name_scratch SEC(".maps");

static __always_inline void count(enum etl_counter idx)
{
	__u32 zero = 0;
	struct counters *c = bpf_map_lookup_elem(&counters, &zero);

	if (c && idx < ETL_CNT__MAX)
		c->c[idx]++;
}

static __always_inline bool traced_tgid(__u32 tgid)
{
	for (__u32 i = 0; i < ETL_MAX_TGIDS; i++) {
		if (i >= targ_ntgids)
			break;
		if (targ_tgids[i] == tgid)
			return true;
	}
	return false;
}

/* Resident set of the process in bytes: file + anon + shmem pages. The
 * percpu counters' central value lags by at most the per-CPU batch. */
static __always_inline __u64 rss_bytes(struct mm_struct *mm)
{
	__s64 pages;

	if (!mm)
		return 0;
	pages = mm->rss_stat[MM_FILEPAGES].count + mm->rss_stat[MM_ANONPAGES].count +
		mm->rss_stat[MM_SHMEMPAGES].count;
	return pages > 0 ? (__u64)pages << 12 : 0;
}

static __always_inline void read_resources(struct task_struct *t, struct etl_frame *f)
{
	f->cpu_start = t->se.sum_exec_runtime;
	f->min_flt = t->min_flt;
	f->maj_flt = t->maj_flt;
	f->rchar = t->ioac.rchar;
	f->wchar = t->ioac.wchar;
}

/* Reads the name at addr into f; on failure marks it for user space. */
static __always_inline void read_name(struct etl_frame *f, const char *addr)
{
	long n = bpf_probe_read_user_str(f->name, sizeof(f->name), addr);
	char next = 0;

	f->flags = 0;
	if (n <= 0) {
		f->name[0] = '\0';
		f->name_len = 0;
		f->flags = ETL_REC_F_NAME_UNREAD;
		count(ETL_CNT_NAME_UNREAD);
		return;
	}
	f->name_len = n - 1;
	if (n == ETL_NAME_MAX && bpf_probe_read_user(&next, 1, addr + ETL_NAME_MAX - 1) == 0 &&
	    next != '\0')
		f->flags = ETL_REC_F_NAME_TRUNC;
}

SEC("usdt")
int BPF_USDT(op_start, const char *name)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct etl_thread_stack *s;
	struct etl_frame *f;
	__u32 d;

	if (!traced_tgid(t->tgid))
		return 0;
	count(ETL_CNT_STARTS);
	s = bpf_task_storage_get(&stacks, t, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count(ETL_CNT_NO_STORAGE);
		return 0;
	}
	d = s->depth;
	if (d >= ETL_STACK_MAX || s->overflow) {
		s->overflow++;
		count(ETL_CNT_STACK_OVERFLOW);
		return 0;
	}
	f = &s->f[d];
	f->name_addr = (__u64)name;
	read_name(f, name);
	f->rss_start = rss_bytes(t->mm);
	if (collect_resources)
		read_resources(t, f);
	s->depth = d + 1;
	/* Last, so the probe's own work is not charged to the operation. */
	f->start_ns = bpf_ktime_get_ns();
	return 0;
}

/* Byte-wise comparison of a frame's name with the name read at op_end. */
static __always_inline bool same_name(const struct etl_frame *f, const char *addr)
{
	__u32 zero = 0;
	char *buf = bpf_map_lookup_elem(&name_scratch, &zero);
	long n;

	if (!buf || (f->flags & ETL_REC_F_NAME_UNREAD))
		return false;
	n = bpf_probe_read_user_str(buf, ETL_NAME_MAX, addr);
	if (n <= 0 || (__u32)(n - 1) != f->name_len)
		return false;
	for (int i = 0; i < ETL_NAME_MAX; i++) {
		if (buf[i] != f->name[i])
			return false;
		if (buf[i] == '\0')
			break;
	}
	return true;
}

static __always_inline void submit(struct etl_op_record *r)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 flags = BPF_RB_NO_WAKEUP;

	/* Wake the loader once, when this record makes the backlog cross. */
	if (avail >= wakeup_bytes && avail < wakeup_bytes + sizeof(*r) + 8)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(r, flags);
}

/* Writes frame f of thread t as a record of the given kind ending now. */
static __always_inline void emit(struct task_struct *t, const struct etl_frame *f, __u32 depth,
				 __u32 kind, __u64 now, long records, bool has_records)
{
	struct etl_op_record *r;
	__u64 rss_end;

	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count(ETL_CNT_RINGBUF_FULL);
		return;
	}
	rss_end = rss_bytes(t->mm);
	r->kind = kind;
	r->flags = f->flags;
	r->tgid = t->tgid;
	r->tid = t->pid;
	r->depth = depth;
	r->name_len = f->name_len;
	r->name_addr = f->name_addr;
	r->start_ns = f->start_ns;
	r->end_ns = now;
	r->rss_start = f->rss_start;
	r->rss_delta = (__s64)(rss_end - f->rss_start);
	r->rss_peak_delta = r->rss_delta > 0 ? r->rss_delta : 0;
	if (collect_resources) {
		r->flags |= ETL_REC_F_RESOURCES;
		r->cpu_ns = t->se.sum_exec_runtime - f->cpu_start;
		r->min_flt = t->min_flt - f->min_flt;
		r->maj_flt = t->maj_flt - f->maj_flt;
		r->read_bytes = t->ioac.rchar - f->rchar;
		r->write_bytes = t->ioac.wchar - f->wchar;
	} else {
		r->cpu_ns = r->min_flt = r->maj_flt = r->read_bytes = r->write_bytes = 0;
	}
	r->records = 0;
	if (has_records) {
		r->flags |= ETL_REC_F_HAS_RECORDS;
		r->records = records;
	}
	__builtin_memcpy(r->name, f->name, ETL_NAME_MAX);
	submit(r);
}

SEC("usdt")
int BPF_USDT(op_end, const char *name)
{
	__u64 now = bpf_ktime_get_ns();
	struct task_struct *t = bpf_get_current_task_btf();
	struct etl_thread_stack *s;
	long records = 0;
	bool has_records;
	__u32 d, i;

	if (!traced_tgid(t->tgid))
		return 0;
	count(ETL_CNT_ENDS);
	s = bpf_task_storage_get(&stacks, t, NULL, 0);
	if (!s || (s->depth == 0 && s->overflow == 0)) {
		count(ETL_CNT_UNMATCHED_END);
		return 0;
	}
	if (s->overflow) {
		/* Belongs to a start beyond the stack limit, already counted. */
		s->overflow--;
		return 0;
	}
	d = s->depth;
	if (d > ETL_STACK_MAX)
		return 0;
	i = d - 1;
	if (i >= ETL_STACK_MAX)
		return 0;
	if (s->f[i].name_addr != (__u64)name && !same_name(&s->f[i], name)) {
		/* Not the innermost operation: an outer one whose inner ones
		 * never ended (an early exit skipped their op_end)? */
		__u32 j, found = ETL_STACK_MAX;

		for (j = 1; j < ETL_STACK_MAX; j++) {
			/* The mask keeps the index provably in range (a no-op here). */
			__u32 k = (i - j) & (ETL_STACK_MAX - 1);

			if (j > i)
				break;
			if (s->f[k].name_addr == (__u64)name) {
				found = k;
				break;
			}
		}
		if (found >= ETL_STACK_MAX) {
			count(ETL_CNT_NAME_MISMATCH);
			return 0;
		}
		for (j = found + 1; j < ETL_STACK_MAX; j++) {
			if (j >= d)
				break;
			count(ETL_CNT_ABANDONED);
		}
		i = found;
	}
	has_records = bpf_usdt_arg_cnt(ctx) > 1 && bpf_usdt_arg(ctx, 1, &records) == 0;
	emit(t, &s->f[i], i, ETL_REC_OP, now, records, has_records);
	s->depth = i;
	return 0;
}

/* A thread that exits, or a process that execs, with operations still open:
 * report each as unfinished so nothing disappears silently. */
static __always_inline int flush_open(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 now = bpf_ktime_get_ns();
	struct etl_thread_stack *s;

	if (!traced_tgid(t->tgid))
		return 0;
	s = bpf_task_storage_get(&stacks, t, NULL, 0);
	if (!s)
		return 0;
	for (__u32 i = 0; i < ETL_STACK_MAX; i++) {
		if (i >= s->depth)
			break;
		emit(t, &s->f[i], i, ETL_REC_UNFINISHED, now, 0, false);
	}
	s->depth = 0;
	s->overflow = 0;
	return 0;
}

/* Stops a command started by the loader at its entry point, after the
 * dynamic loader has mapped its libraries, so that their probes can be
 * attached before any of its code runs. */
SEC("uprobe")
int entry_stop(struct pt_regs *ctx)
{
	if (traced_tgid(bpf_get_current_pid_tgid() >> 32))
		bpf_send_signal(19 /* SIGSTOP */);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int on_exit(void *ctx)
{
	return flush_open();
}

SEC("raw_tp/sched_process_exec")
int on_exec(void *ctx)
{
	return flush_open();
}
