// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * etltrace.bpf.c - kernel side of etltrace.
 *
 * etl:op_start pushes a frame on the calling thread's stack of open
 * operations (BPF task-local storage, freed with the task); etl:op_end pops
 * it and writes ONE record per completed operation to the ring buffer.
 * Everything that does not become a record is counted in `counters`.
 *
 * Which processes are traced: the `procs` map. The loader adds the
 * processes it was given; with follow_children the fork hook adds the
 * children of traced processes; with accept_any (-b, where only the given
 * binaries are attached) any process that reaches a probe is added. A
 * thread has a stack only if its process is traced, so the hot path's
 * check is the stack lookup it needs anyway.
 *
 * Records are submitted without a wakeup: the loader drains the ring on a
 * short timer. A wakeup is forced only when a record makes the unread data
 * cross `wakeup_bytes`, so a burst cannot overrun the ring between timer
 * ticks, and for process events, which the loader acts on at once.
 *
 * With collect_resources, two more programs run outside the probes so the
 * probes themselves only read a few fields:
 *  - sched_switch adds each traced thread's time slice to its on-CPU total
 *    (the scheduler's own sum_exec_runtime is only brought up to date at
 *    ticks and switches, too coarse for short operations);
 *  - kmem:rss_stat raises the RSS high-water mark of the threads of the
 *    process whose mm changed, whichever task changed it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "etltrace.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define SIGSTOP 19

/* Set by the loader between open and load. */
const volatile bool collect_resources = true;
const volatile bool follow_children = true;
const volatile bool accept_any = false;
const volatile bool hold_exec = true;
const volatile __u32 page_shift = 12;
const volatile __u64 wakeup_bytes = 1 << 20;

/* One ring buffer per CPU: a single ring's reservation lock and producer
 * position are contended by every CPU writing records at once (two threads
 * here doubled op_end's cost). The loader creates the rings. */
struct ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* resized by the loader */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* resized by the loader: one per possible CPU */
	__type(key, __u32);
	__array(values, struct ring);
} rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct etl_thread_stack);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ETL_MAX_PROCS);
	__type(key, __u32);   /* tgid */
	__type(value, __u32); /* its slot of proc_state */
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ETL_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct etl_proc);
} proc_state SEC(".maps");

/* Which slots of proc_state BPF has given out (the first word is the
 * loader's, never taken here). */
struct slots_used {
	__u64 w[ETL_MAX_PROCS / 64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slots_used);
} slots_used SEC(".maps");

/* mm of each traced process that has run an operation, for rss_stat. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ETL_MAX_PROCS);
	__type(key, __u64);   /* struct mm_struct * */
	__type(value, __u32); /* its slot of proc_state */
} mm_procs SEC(".maps");

struct counters {
	__u64 c[ETL_CNT__MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} counters SEC(".maps");

/* When the task now running on each CPU was switched in (0: not seen yet). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} switched_in SEC(".maps");

/* Argument locations of each probe site; the site's attach cookie is its
 * index (written by the loader before attaching). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ETL_MAX_SPECS);
	__type(key, __u32);
	__type(value, struct etl_usdt_spec);
} usdt_specs SEC(".maps");

/* Scratch: two names compared byte by byte (an op_end's and its start's),
 * and a record being written to the task iterator's output. */
struct scratch {
	char a[ETL_NAME_MAX];
	char b[ETL_NAME_MAX];
	struct etl_op_record rec;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __always_inline void count_n(enum etl_counter idx, __u64 n)
{
	__u32 zero = 0;
	struct counters *c = bpf_map_lookup_elem(&counters, &zero);

	if (c && idx < ETL_CNT__MAX)
		c->c[idx] += n;
}

static __always_inline void count(enum etl_counter idx)
{
	count_n(idx, 1);
}

/* A stack index from i, provably below ETL_STACK_MAX: the barrier keeps
 * the compiler from dropping the mask where it knows the range, which
 * older verifiers (6.1) do not, and then refuse the access. */
static __always_inline __u32 slot(__u32 i)
{
	barrier_var(i);
	return i & (ETL_STACK_MAX - 1);
}

static __always_inline __u64 max64(__u64 a, __u64 b)
{
	return a > b ? a : b;
}

/* Before Linux 6.2 mm->rss_stat was a struct of atomic counters; since, it
 * is an array of per-CPU counters. CO-RE picks the shape at load time. */
struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

/* Resident set of the process in bytes: file + anon + shmem pages. The
 * per-CPU counters (6.2+) are read with direct loads (mm is a BTF
 * pointer); their central value lags by at most the per-CPU batch. The
 * older atomic counters are read through probe reads, which 6.1's verifier
 * needs (it refuses direct loads of atomic_long_t). */
static __always_inline __u64 rss_bytes(struct mm_struct *mm)
{
	__s64 pages;

	if (!mm)
		return 0;
	if (bpf_core_field_exists(((struct mm_struct___old *)mm)->rss_stat)) {
		struct mm_struct___old *old = (void *)mm;

		pages = BPF_CORE_READ(old, rss_stat.count[MM_FILEPAGES].counter) +
			BPF_CORE_READ(old, rss_stat.count[MM_ANONPAGES].counter) +
			BPF_CORE_READ(old, rss_stat.count[MM_SHMEMPAGES].counter);
	} else {
		pages = mm->rss_stat[MM_FILEPAGES].count + mm->rss_stat[MM_ANONPAGES].count +
			mm->rss_stat[MM_SHMEMPAGES].count;
	}
	return pages > 0 ? (__u64)pages << (page_shift & 31) : 0;
}

/* Writes a record of `size` bytes from ring r's reservation. Wakes the
 * loader when `urgent`, or once when this record makes the backlog cross
 * wakeup_bytes. */
static __always_inline void submit(void *ring, void *r, __u64 size, bool urgent)
{
	__u64 avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (urgent || (avail >= wakeup_bytes && avail < wakeup_bytes + size + 8))
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(r, flags);
}

/* This CPU's ring. */
static __always_inline void *cpu_ring(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&rings, &cpu);
}

/* Tells the loader about process p (tgid; ppid for forks and execs).
 * With `stop`, the process (the current task) also stops, for the loader
 * to continue once it has acted on the event: only if the event is in the
 * ring, so that a process is never left stopped with nobody told. The
 * stop is queued before the event can be read, so the loader's SIGCONT
 * always comes after it. */
static __always_inline void proc_event(__u32 what, struct task_struct *p, __u32 ppid, bool stop)
{
	struct etl_proc_event *e;
	void *ring = cpu_ring();

	e = ring ? bpf_ringbuf_reserve(ring, sizeof(*e), 0) : NULL;
	if (!e) {
		count(ETL_CNT_EVENTS_LOST);
		return;
	}
	if (stop)
		bpf_send_signal(SIGSTOP);
	e->kind = ETL_REC_PROC;
	e->what = what;
	e->tgid = BPF_CORE_READ(p, tgid);
	e->ppid = ppid;
	e->time_ns = bpf_ktime_get_ns();
	e->start_ns = BPF_CORE_READ(p, group_leader, start_time);
	BPF_CORE_READ_STR_INTO(&e->comm, p, group_leader, comm);
	submit(ring, e, sizeof(*e), true);
}

/* The index of the only bit set in b: the bits below it counted, without
 * branches (each branch would double the paths the verifier walks). */
static __always_inline __u32 bit_index(__u64 b)
{
	__u64 v = b - 1;

	v = v - ((v >> 1) & 0x5555555555555555ULL);
	v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
	v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (__u32)((v * 0x0101010101010101ULL) >> 56);
}

/* Takes a free slot of proc_state, emptied; ETL_MAX_PROCS if none. A global
 * function: the verifier walks its loop once per program, not once per
 * path through its callers. */
__noinline __u32 take_slot(void)
{
	__u32 zero = 0, slot = ETL_MAX_PROCS;
	struct slots_used *u = bpf_map_lookup_elem(&slots_used, &zero);
	struct etl_proc *ps;

	if (!u)
		return ETL_MAX_PROCS;
	for (__u32 i = ETL_LOADER_SLOTS / 64; i < ETL_MAX_PROCS / 64; i++) {
		__u64 old = u->w[i], bit = ~old & (old + 1); /* the lowest free one */

		if (!bit)
			continue;
		if (__sync_val_compare_and_swap(&u->w[i], old, old | bit) != old)
			continue; /* taken meanwhile: the next word (rare) */
		slot = i * 64 + bit_index(bit);
		break;
	}
	ps = slot < ETL_MAX_PROCS ? bpf_map_lookup_elem(&proc_state, &slot) : NULL;
	if (ps)
		__builtin_memset(ps, 0, sizeof(*ps));
	return slot;
}

static __always_inline void give_slot(__u32 slot)
{
	__u32 zero = 0, w = slot / 64;
	struct slots_used *u = bpf_map_lookup_elem(&slots_used, &zero);

	/* The barrier keeps the mask, which the compiler drops knowing the
	 * range, and 6.1's verifier needs (as in slot()). */
	barrier_var(w);
	w &= ETL_MAX_PROCS / 64 - 1;
	if (u && slot >= ETL_LOADER_SLOTS && slot < ETL_MAX_PROCS)
		__sync_fetch_and_and(&u->w[w], ~(1ull << (slot % 64)));
}

/* Adds process tgid to the traced set. Returns 0, or -1 if it is full
 * (counted). */
static __always_inline int trace_proc(__u32 tgid)
{
	__u32 slot;

	if (bpf_map_lookup_elem(&procs, &tgid))
		return 0;
	slot = take_slot();
	if (slot < ETL_MAX_PROCS) {
		if (bpf_map_update_elem(&procs, &tgid, &slot, BPF_NOEXIST) == 0)
			return 0;
		give_slot(slot);
		if (bpf_map_lookup_elem(&procs, &tgid))
			return 0; /* added meanwhile */
	}
	count(ETL_CNT_PROCS_FULL);
	return -1;
}

/* The stack of thread t, created on its first operation if its process is
 * traced (with accept_any, any process reaching a probe of a file given
 * with -b is); NULL if it is not traced or storage ran out (counted). Off
 * the hot path, and not inlined into it. */
static __noinline struct etl_thread_stack *new_stack(struct pt_regs *ctx, struct task_struct *t)
{
	struct etl_thread_stack *s;
	__u32 tgid, *slot;

	if (!t)
		return NULL;
	tgid = t->tgid;
	slot = bpf_map_lookup_elem(&procs, &tgid);
	if (!slot) {
		if (!accept_any || !(bpf_get_attach_cookie(ctx) & ETL_COOKIE_ADMIT) ||
		    trace_proc(tgid))
			return NULL;
		/* Held (with hold_exec) until the loader has read its maps: a
		 * short-lived process would else be gone before, and the names
		 * of its operations with its mappings. */
		proc_event(ETL_PROC_NEW, t, 0, hold_exec);
		slot = bpf_map_lookup_elem(&procs, &tgid);
		if (!slot)
			return NULL;
	}
	s = bpf_task_storage_get(&stacks, t, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		/* A start of a traced process all the same: every start is
		 * a record, dropped, abandoned, overflowed or this. */
		count(ETL_CNT_STARTS);
		count(ETL_CNT_NO_STORAGE);
		return NULL;
	}
	s->proc_slot = *slot;
	return s;
}

/* The argument locations of the probe site that fired. */
static __always_inline const struct etl_usdt_spec *site_spec(struct pt_regs *ctx)
{
	__u32 id = (__u32)bpf_get_attach_cookie(ctx);

	return bpf_map_lookup_elem(&usdt_specs, &id);
}

/* Reads argument n (0-based) of the site into *out. Returns 0 or -1. */
static __always_inline int site_arg(struct pt_regs *ctx, const struct etl_usdt_spec *sp, __u32 n,
				    __u64 *out)
{
	const struct etl_usdt_arg *a;
	__u64 v = 0;

	if (n >= ETL_USDT_ARGS || n >= sp->nargs)
		return -1;
	a = &sp->arg[n];
	switch (a->kind) {
	case ETL_ARG_CONST:
		v = (__u64)a->val;
		break;
	case ETL_ARG_REG:
		if (bpf_probe_read_kernel(&v, sizeof(v), (void *)ctx + a->reg_off))
			return -1;
		break;
	case ETL_ARG_REG_DEREF:
		if (bpf_probe_read_kernel(&v, sizeof(v), (void *)ctx + a->reg_off) ||
		    bpf_probe_read_user(&v, sizeof(v), (void *)(v + a->val)))
			return -1;
		break;
	default:
		return -1;
	}
	/* Keep the argument's own size, sign-extended if it is signed. */
	v <<= a->shift & 63;
	*out = a->is_signed ? (__u64)((__s64)v >> (a->shift & 63)) : v >> (a->shift & 63);
	return 0;
}

/* The spec of the site that fired, with its first argument (the operation
 * name) in *name; NULL, counted, if either cannot be read. */
static __always_inline const struct etl_usdt_spec *probe_name(struct pt_regs *ctx,
							     const char **name)
{
	const struct etl_usdt_spec *sp = site_spec(ctx);
	__u64 arg;

	if (!sp || site_arg(ctx, sp, 0, &arg)) {
		count(ETL_CNT_ARG_UNREAD);
		return NULL;
	}
	*name = (const char *)arg;
	return sp;
}

/* On-CPU time of the running thread up to now. */
static __always_inline __u64 cpu_now(const struct etl_thread_stack *s, __u64 now)
{
	__u32 zero = 0;
	__u64 *in = bpf_map_lookup_elem(&switched_in, &zero);

	return s->cpu_ns + (in && *in && now > *in ? now - *in : 0);
}

/* The RSS high-water slot of this thread in its process, claimed on first
 * use; NULL if all slots are taken. */
static __always_inline __u64 *peak_slot(struct etl_thread_stack *s, struct mm_struct *mm)
{
	__u32 slot = s->proc_slot;
	struct etl_proc *ps = bpf_map_lookup_elem(&proc_state, &slot);

	if (!ps)
		return NULL;
	if (ps->mm != (__u64)mm) {
		/* First operation, or after an exec: rss_stat finds it by mm. */
		__u64 key = (__u64)mm;

		ps->mm = key;
		bpf_map_update_elem(&mm_procs, &key, &slot, BPF_ANY);
	}
	if (!s->peak_slot) {
		for (__u32 k = 0; k < ETL_PEAK_SLOTS; k++) {
			__u32 used = ps->slots_used, bit = 1u << k;

			if (used & bit)
				continue;
			if (__sync_val_compare_and_swap(&ps->slots_used, used, used | bit) == used) {
				s->peak_slot = k + 1;
				break;
			}
		}
		if (!s->peak_slot)
			return NULL;
	}
	return &ps->hw[(s->peak_slot - 1) & (ETL_PEAK_SLOTS - 1)];
}

/* splitmix64's finaliser over h + v: path ids. */
static __always_inline __u64 mix(__u64 h, __u64 v)
{
	h += v + 0x9e3779b97f4a7c15ull;
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	return h ^ (h >> 31);
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

/* Path id of frame f under parent: by the name's address when it is known
 * by address (a literal, or unread), else by the bytes BPF read. */
static __always_inline __u64 path_of(const struct etl_frame *f, __u64 parent)
{
	__u64 h = mix(parent, f->name_len);

	if (f->flags & (ETL_REC_F_NAME_BY_ADDR | ETL_REC_F_NAME_UNREAD))
		return mix(h, f->name_addr);
	for (__u32 i = 0; i < ETL_NAME_MAX / 8; i++) {
		__u64 w;

		if (i * 8 > f->name_len)
			break;
		__builtin_memcpy(&w, &f->name[i * 8], 8);
		h = mix(h, w);
	}
	return h;
}

/* op_start of `name`. by_addr: the site declared the name immutable (a
 * string literal): user space reads it once per address, BPF not at all.
 * label: `name` is a --probe pair's number (also by address). pair: the
 * --probe pair of the site, 0 for etl's. */
static __always_inline int do_start(struct pt_regs *ctx, const char *name, bool by_addr,
				    bool label, __u32 pair)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct etl_thread_stack *s = bpf_task_storage_get(&stacks, t, NULL, 0);
	struct mm_struct *mm = t->mm;
	struct etl_frame *f;
	__u32 d;

	/* Loaded once, before any branch: the verifier checks each load of a
	 * pointer field of a BTF pointer with four scans of the kernel's whole
	 * BTF, at every path that reaches it. */
	barrier_var(mm);

	if (!s) {
		s = new_stack(ctx, t);
		if (!s)
			return 0;
	}
	count(ETL_CNT_STARTS);
	d = s->depth;
	if (d >= ETL_STACK_MAX || s->overflow) {
		s->overflow++;
		count(ETL_CNT_STACK_OVERFLOW);
		return 0;
	}
	f = &s->f[d];
	f->name_addr = (__u64)name;
	f->pair = pair;
	if (by_addr || label) {
		f->flags = label ? ETL_REC_F_NAME_BY_ADDR | ETL_REC_F_NAME_LABEL
				 : ETL_REC_F_NAME_BY_ADDR;
		f->name_len = 0;
		f->name[0] = '\0';
	} else {
		read_name(f, name);
	}
	f->parent_id = d > 0 ? s->f[slot(d - 1)].path_id : 0;
	f->path_id = path_of(f, f->parent_id);
	f->rss_start = rss_bytes(mm);
	f->peak_before = f->rss_start;
	if (collect_resources) {
		__u64 *hw = peak_slot(s, mm);

		if (hw) {
			/* The enclosing operation keeps what it reached so far;
			 * the new one starts its own mark. */
			if (d > 0 && d <= ETL_STACK_MAX)
				s->f[slot(d - 1)].peak_before =
					max64(s->f[slot(d - 1)].peak_before, *hw);
			*hw = f->rss_start;
		}
		f->min_flt = t->min_flt;
		f->maj_flt = t->maj_flt;
		f->rchar = t->ioac.rchar;
		f->wchar = t->ioac.wchar;
	}
	s->depth = d + 1;
	/* Last, so the probe's own work is not charged to the operation. */
	f->start_ns = bpf_ktime_get_ns();
	if (collect_resources)
		f->cpu_start = cpu_now(s, f->start_ns);
	return 0;
}

/* What an operation ending now measured, beyond its frame. */
struct op_end_info {
	__u64 now;
	__u64 rss_end;
	__u64 peak; /* highest RSS inside the operation */
	__u64 cpu;  /* the thread's on-CPU ns now */
	__u64 parent_id;
	long records;
	bool has_records;
};

/* Fills r from frame f of thread t, of the given kind. */
static __always_inline void fill(struct etl_op_record *r, struct task_struct *t,
				 const struct etl_frame *f, __u32 depth, __u32 kind,
				 const struct op_end_info *e)
{
	r->kind = kind;
	r->flags = f->flags;
	r->tgid = t->tgid;
	r->tid = t->pid;
	r->depth = depth;
	r->name_len = f->name_len;
	r->name_addr = f->name_addr;
	r->path_id = f->path_id;
	r->parent_id = e->parent_id;
	r->start_ns = f->start_ns;
	r->end_ns = e->now;
	r->rss_start = f->rss_start;
	r->rss_delta = (__s64)(e->rss_end - f->rss_start);
	r->rss_peak_delta = (__s64)(max64(e->peak, e->rss_end) - f->rss_start);
	if (collect_resources) {
		r->flags |= ETL_REC_F_RESOURCES;
		r->cpu_ns = e->cpu > f->cpu_start ? e->cpu - f->cpu_start : 0;
		r->min_flt = t->min_flt - f->min_flt;
		r->maj_flt = t->maj_flt - f->maj_flt;
		r->read_bytes = t->ioac.rchar - f->rchar;
		r->write_bytes = t->ioac.wchar - f->wchar;
	} else {
		r->cpu_ns = r->min_flt = r->maj_flt = r->read_bytes = r->write_bytes = 0;
	}
	r->records = 0;
	if (e->has_records) {
		r->flags |= ETL_REC_F_HAS_RECORDS;
		r->records = e->records;
	}
	if (f->flags & ETL_REC_F_NAME_BY_ADDR)
		r->name[0] = '\0';
	else
		__builtin_memcpy(r->name, f->name, ETL_NAME_MAX);
}

/* Writes frame f of thread t as a record of the given kind to the ring. */
static __always_inline void emit(struct task_struct *t, const struct etl_frame *f, __u32 depth,
				 __u32 kind, const struct op_end_info *e)
{
	struct etl_op_record *r;
	void *ring = cpu_ring();

	r = ring ? bpf_ringbuf_reserve(ring, sizeof(*r), 0) : NULL;
	if (!r) {
		count(ETL_CNT_RINGBUF_FULL);
		return;
	}
	fill(r, t, f, depth, kind, e);
	submit(ring, r, sizeof(*r), false);
}

/*
 * Slow paths of op_end, as global functions: the verifier checks each once
 * on its own instead of once per path through op_end.
 */

/* Index of the open frame (top or below) that an op_end whose name is not
 * at the top frame's address closes, or ETL_STACK_MAX. The top frame matches
 * by content (the same literal may sit at two addresses when the linker did
 * not merge them); deeper ones (whose inner operations never ended, e.g. skipped
 * by an early exit) by address. */
__noinline int match_slow(struct etl_thread_stack *s, __u32 top, __u64 name)
{
	struct scratch *buf;
	const struct etl_frame *f;
	const char *mine;
	__u32 zero = 0, k;

	buf = bpf_map_lookup_elem(&scratch, &zero);
	if (!s || !buf || top >= ETL_STACK_MAX)
		return ETL_STACK_MAX;
	f = &s->f[top];
	mine = f->name;
	/* A name BPF did not read at op_start is read from its address now. */
	if (f->flags & (ETL_REC_F_NAME_UNREAD | ETL_REC_F_NAME_BY_ADDR)) {
		mine = buf->a;
		if (bpf_probe_read_user_str(buf->a, ETL_NAME_MAX, (const char *)f->name_addr) <= 0)
			mine = NULL;
	}
	if (mine && bpf_probe_read_user_str(buf->b, ETL_NAME_MAX, (const char *)name) > 0) {
		for (k = 0; k < ETL_NAME_MAX; k++) {
			if (buf->b[k] != mine[k])
				break;
			if (buf->b[k] == '\0')
				return (int)top;
		}
	}
	for (__u32 j = 1; j < ETL_STACK_MAX; j++) {
		/* The mask keeps the index provably in range (a no-op here). */
		k = slot(top - j);
		if (j > top)
			break;
		if (s->f[k].name_addr == name)
			return (int)k;
	}
	return ETL_STACK_MAX;
}

/* Highest peak_before of the frames above i (abandoned ones, which saw
 * part of i's interval), 0 if none. */
__noinline __u64 peak_above(struct etl_thread_stack *s, __u32 i, __u32 depth)
{
	__u64 peak = 0;

	if (!s)
		return 0;
	for (__u32 k = 1; k < ETL_STACK_MAX; k++) {
		if (i + k >= depth)
			break;
		peak = max64(peak, s->f[slot(i + k)].peak_before);
	}
	return peak;
}

/* Peak RSS of frame i, ending now with the thread's high-water mark at
 * *hw, and hands the enclosing frame its share. keep: the frames above i
 * stay open (*hw remains the innermost one's mark). */
static __always_inline __u64 close_peak(struct etl_thread_stack *s, __u32 i, __u32 depth,
					__u64 *hw, bool keep)
{
	__u64 peak = s->f[slot(i)].peak_before;

	if (hw)
		peak = max64(peak, *hw);
	if (i + 1 < depth)
		peak = max64(peak, peak_above(s, i, depth));
	if (hw && i > 0 && !keep)
		*hw = max64(peak, s->f[slot(i - 1)].peak_before);
	return peak;
}

/* Removes frame i (already reported) from a stack of depth frames, moving
 * the frames above it down one; the enclosing frame keeps what i saw
 * before its inner operations started (theirs stay in their frames). */
__noinline int drop_frame(struct etl_thread_stack *s, __u32 i, __u32 depth)
{
	if (!s || i >= ETL_STACK_MAX)
		return 0;
	if (i > 0)
		s->f[slot(i - 1)].peak_before =
			max64(s->f[slot(i - 1)].peak_before, s->f[slot(i)].peak_before);
	for (__u32 k = 0; k < ETL_STACK_MAX; k++) {
		if (i + k + 1 >= depth)
			break;
		s->f[slot(i + k)] = s->f[slot(i + k + 1)];
	}
	return 0;
}

/* Index of the innermost open frame below top (inclusive) opened by
 * --probe pair `pair`, or ETL_STACK_MAX. */
__noinline int match_pair(struct etl_thread_stack *s, __u32 top, __u32 pair)
{
	if (!s)
		return ETL_STACK_MAX;
	for (__u32 j = 0; j < ETL_STACK_MAX; j++) {
		__u32 k = slot(top - j);

		if (j > top)
			break;
		if (s->f[k].pair == pair)
			return (int)k;
	}
	return ETL_STACK_MAX;
}

/* op_end of `name` at time now, with an optional record count. pair: the
 * --probe pair of the site (it closes that pair's innermost operation and
 * abandons nothing: the frames above it, other pairs' or etl's, stay
 * open), 0 for etl's (it closes the innermost matching operation and
 * abandons those above it). */
static __always_inline int do_end(__u64 now, const char *name,
				  bool has_records, long records, __u32 pair)
{
	struct op_end_info e = { .now = now, .has_records = has_records, .records = records };
	struct task_struct *t = bpf_get_current_task_btf();
	struct etl_thread_stack *s = bpf_task_storage_get(&stacks, t, NULL, 0);
	struct mm_struct *mm = t->mm;
	__u64 *hw = NULL;
	bool keep = false;
	__u32 d, i;

	barrier_var(mm); /* loaded before any branch, as in do_start */

	if (!s) {
		__u32 tgid = t->tgid;

		/* A traced process's thread with no stack has nothing open. */
		if (bpf_map_lookup_elem(&procs, &tgid)) {
			count(ETL_CNT_ENDS);
			count(ETL_CNT_UNMATCHED_END);
		}
		return 0;
	}
	count(ETL_CNT_ENDS);
	if (s->depth == 0 && s->overflow == 0) {
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
	i = slot(d - 1);
	if (pair) {
		i = (__u32)match_pair(s, i, pair);
		if (i >= ETL_STACK_MAX) {
			count(ETL_CNT_NAME_MISMATCH);
			return 0;
		}
		keep = i + 1 < d;
	} else if (s->f[i].name_addr != (__u64)name || s->f[i].pair) {
		i = (__u32)match_slow(s, i, (__u64)name);
		if (i >= ETL_STACK_MAX) {
			count(ETL_CNT_NAME_MISMATCH);
			return 0;
		}
		count_n(ETL_CNT_ABANDONED, d - 1 - i);
	}
	e.rss_end = rss_bytes(mm);
	if (collect_resources) {
		e.cpu = cpu_now(s, e.now);
		if (s->peak_slot)
			hw = peak_slot(s, mm);
		else
			count(ETL_CNT_PEAK_UNTRACKED);
	}
	e.peak = close_peak(s, i, d, hw, keep);
	e.parent_id = s->f[i].parent_id;
	emit(t, &s->f[i], i, ETL_REC_OP, &e);
	if (keep) {
		drop_frame(s, i, d);
		s->depth = d - 1;
	} else {
		s->depth = i;
	}
	return 0;
}

/* Reports the operations thread t left open as unfinished and empties its
 * stack. The swap of depth to 0 makes sure the exit and exec hooks and the
 * end-of-trace iterator never report the same frames twice. */
static __always_inline void flush_open(struct task_struct *t, struct etl_thread_stack *s)
{
	struct op_end_info e = { .now = bpf_ktime_get_ns() };
	__u32 depth = __sync_lock_test_and_set(&s->depth, 0);

	s->overflow = 0;
	e.rss_end = rss_bytes(t->mm);
	e.cpu = cpu_now(s, e.now);
	for (__u32 i = 0; i < ETL_STACK_MAX; i++) {
		if (i >= depth)
			break;
		e.peak = s->f[i].peak_before;
		e.parent_id = s->f[i].parent_id;
		emit(t, &s->f[i], i, ETL_REC_UNFINISHED, &e);
	}
}

/* Gives back the thread's peak slot in its process. */
static __always_inline void free_peak_slot(struct etl_thread_stack *s)
{
	__u32 slot = s->proc_slot;
	struct etl_proc *ps = bpf_map_lookup_elem(&proc_state, &slot);

	if (ps && s->peak_slot)
		__sync_fetch_and_and(&ps->slots_used, ~(1u << ((s->peak_slot - 1) & 31)));
	s->peak_slot = 0;
}

/* A thread exits: its open operations are unfinished. When it is the last
 * of its process, the process leaves the traced set, so that nothing is
 * ever attributed to another process reusing its pid. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *t)
{
	struct etl_thread_stack *s = bpf_task_storage_get(&stacks, t, NULL, 0);
	__u32 tgid = t->tgid, *at, slot;
	struct etl_proc *ps;

	if (s) {
		flush_open(t, s);
		free_peak_slot(s);
	}
	if (BPF_CORE_READ(t, signal, live.counter) != 0)
		return 0;
	at = bpf_map_lookup_elem(&procs, &tgid);
	if (!at)
		return 0;
	slot = *at;
	ps = bpf_map_lookup_elem(&proc_state, &slot);
	if (ps && ps->mm) {
		__u64 mm = ps->mm;

		bpf_map_delete_elem(&mm_procs, &mm);
	}
	bpf_map_delete_elem(&procs, &tgid);
	give_slot(slot);
	proc_event(ETL_PROC_EXIT, t, 0, false);
	return 0;
}

/* A traced process forks: with follow_children, the child (a new process,
 * not a thread) is traced from its first instruction. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;

	if (!follow_children || (__u32)child->pid != ctgid || ptgid == ctgid)
		return 0;
	if (!bpf_map_lookup_elem(&procs, &ptgid) || trace_proc(ctgid))
		return 0;
	proc_event(ETL_PROC_FORK, child, ptgid, false);
	return 0;
}

/* A traced process replaces its image: what its thread had open is
 * unfinished, and with hold_exec it stops until the loader has attached
 * to the new image (and continues it), if the loader can be told: with
 * the ring full it runs on (process_events_lost). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct etl_thread_stack *s = bpf_task_storage_get(&stacks, p, NULL, 0);
	__u32 tgid = p->tgid, *slot;
	struct etl_proc *ps;

	if (s) {
		flush_open(p, s);
		free_peak_slot(s);
	}
	slot = bpf_map_lookup_elem(&procs, &tgid);
	ps = slot ? bpf_map_lookup_elem(&proc_state, slot) : NULL;
	if (!ps)
		return 0;
	if (ps->mm) {
		__u64 mm = ps->mm;

		bpf_map_delete_elem(&mm_procs, &mm);
		ps->mm = 0;
	}
	ps->slots_used = 0; /* its other threads are gone */
	proc_event(ETL_PROC_EXEC, p, BPF_CORE_READ(p, real_parent, tgid), hold_exec);
	return 0;
}

/* Stops a traced process at its entry point, after the dynamic loader has
 * mapped its libraries, so that their probes are attached before any of
 * its code runs; the loader continues it. */
SEC("uprobe")
int entry_stop(struct pt_regs *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 tgid = t->tgid;

	if (!bpf_map_lookup_elem(&procs, &tgid))
		return 0;
	proc_event(ETL_PROC_ENTRY, t, 0, true);
	return 0;
}

/* The operations still open, for the end of a trace (and for snapshots of
 * what is open now): one ETL_REC_UNFINISHED record per open frame of a
 * traced thread, written to the iterator's output. With `take`, the frames
 * are taken (stacks emptied) as the exit hook would, so none is reported
 * twice; the probes are detached by then. Set by the loader before it
 * reads the iterator. */
bool iter_take = false;

SEC("iter/task")
int open_frames(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct op_end_info e = {};
	struct etl_thread_stack *s;
	struct scratch *buf;
	__u32 zero = 0, depth;

	if (!t)
		return 0;
	s = bpf_task_storage_get(&stacks, t, NULL, 0);
	buf = bpf_map_lookup_elem(&scratch, &zero);
	if (!s || !buf || !s->depth)
		return 0;
	depth = iter_take ? __sync_lock_test_and_set(&s->depth, 0) : s->depth;
	e.now = bpf_ktime_get_ns();
	e.rss_end = rss_bytes(t->mm);
	e.cpu = s->cpu_ns; /* the thread is not running this CPU */
	for (__u32 i = 0; i < ETL_STACK_MAX; i++) {
		if (i >= depth)
			break;
		e.peak = s->f[i].peak_before;
		e.parent_id = s->f[i].parent_id;
		fill(&buf->rec, t, &s->f[i], i, ETL_REC_UNFINISHED, &e);
		bpf_seq_write(ctx->meta->seq, &buf->rec, sizeof(buf->rec));
	}
	return 0;
}

/*
 * The probe programs. A site whose name is in a register (nearly all: the
 * name is a pointer) is attached to the program specialised for that
 * register, which loads it from pt_regs at a fixed offset: no attach-cookie
 * and spec lookups on the hot path. Sites passing the name any other way,
 * and op_end sites with a record count, use the generic programs, which
 * decode their arguments from the site's spec (cookie = spec index). The
 * loader loads only the programs its sites need.
 */
#define ETL_REG_PROGS(reg, r64, r32, r16, r8)                                         \
	SEC("uprobe") int op_start_##reg(struct pt_regs *ctx)                         \
	{                                                                             \
		return do_start(ctx, (const char *)ctx->reg, false, false, 0);        \
	}                                                                             \
	SEC("uprobe") int op_start_lit_##reg(struct pt_regs *ctx)                     \
	{                                                                             \
		return do_start(ctx, (const char *)ctx->reg, true, false, 0);         \
	}                                                                             \
	SEC("uprobe") int op_end_##reg(struct pt_regs *ctx)                           \
	{                                                                             \
		return do_end(bpf_ktime_get_ns(), (const char *)ctx->reg, false, 0, 0);      \
	}
ETL_REGS(ETL_REG_PROGS)

SEC("uprobe")
int op_start_any(struct pt_regs *ctx)
{
	const struct etl_usdt_spec *sp;
	const char *name;
	__u64 flags = 0;

	sp = probe_name(ctx, &name);
	if (!sp)
		return 0;
	if (site_arg(ctx, sp, 1, &flags))
		flags = 0;
	return do_start(ctx, name, flags & ETL_START_F_LITERAL, flags & ETL_START_F_LABEL,
			sp->pair);
}

/* op_end_any's do_end, a global function: the verifier checks it once, not
 * once for each way op_end_any read its arguments. */
__noinline int end_any(__u64 now, __u64 name, __u64 has_records, __u64 records, __u32 pair)
{
	return do_end(now, (const char *)name, has_records, (long)records, pair);
}

SEC("uprobe")
int op_end_any(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns(), records = 0;
	const struct etl_usdt_spec *sp;
	const char *name;
	bool has;

	sp = probe_name(ctx, &name);
	if (!sp)
		return 0;
	has = site_arg(ctx, sp, 1, &records) == 0;
	return end_any(now, (__u64)name, has, records, sp->pair);
}

/* Context switch: charges the outgoing task's slice to its on-CPU total if
 * it is a traced thread. */
SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 zero = 0;
	__u64 *in = bpf_map_lookup_elem(&switched_in, &zero);

	if (!in)
		return 0;
	if (*in) {
		struct etl_thread_stack *s = bpf_task_storage_get(&stacks, prev, NULL, 0);

		if (s)
			s->cpu_ns += now - *in;
	}
	*in = now;
	return 0;
}

/* kmem:rss_stat(mm, member[, count]): an RSS counter of mm changed, in
 * whatever task's context. Raises the high-water marks of that process's
 * threads. Only mm is read: the other arguments differ across kernels. */
SEC("tp_btf/rss_stat")
int BPF_PROG(on_rss_stat, struct mm_struct *mm)
{
	__u64 key = (__u64)mm, rss, used;
	struct etl_proc *ps;
	__u32 *slot;

	slot = bpf_map_lookup_elem(&mm_procs, &key);
	if (!slot)
		return 0;
	ps = bpf_map_lookup_elem(&proc_state, slot);
	if (!ps || !ps->slots_used)
		return 0;
	rss = rss_bytes(mm);
	used = ps->slots_used;
	for (__u32 k = 0; k < ETL_PEAK_SLOTS; k++) {
		__u64 old = ps->hw[k];

		/* A lost race with the owner resetting its mark only skips
		 * one sample; it never carries an old peak into a new op. */
		if ((used & (1u << k)) && rss > old)
			__sync_val_compare_and_swap(&ps->hw[k], old, rss);
	}
	return 0;
}
