/* SPDX-License-Identifier: MIT */
/*
 * etltrace.h - the one definition of everything that crosses the
 * kernel/user boundary: ring-buffer records, per-thread and per-process
 * state, counter slots, limits, and the x86-64 register list.
 *
 * Included by bpf/etltrace.bpf.c (after vmlinux.h) and by user space
 * (after <linux/types.h>). Fixed-width types only; every record starts
 * with its kind so the consumer can dispatch on the first field.
 */
#ifndef ETLTRACE_H
#define ETLTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Longest operation name kept, including the terminating NUL. Longer
 * names are truncated and flagged with ETL_REC_F_NAME_TRUNC. */
#define ETL_NAME_MAX 64

/* Depth of the per-thread stack of open operations. Starts beyond it are
 * counted (ETL_CNT_STACK_OVERFLOW) and their matching ends ignored. */
#define ETL_STACK_MAX 32

/* Processes traced at once: each has a slot of proc_state. The loader
 * gives its targets (-p, -- CMD) the first ETL_LOADER_SLOTS slots, in the
 * order given; BPF takes the others for the processes it adds. */
#define ETL_MAX_PROCS 4096
#define ETL_LOADER_SLOTS 64

/* Threads per process whose operations' peak RSS is tracked at once; the
 * operations of further threads are counted (ETL_CNT_PEAK_UNTRACKED). */
#define ETL_PEAK_SLOTS 16

/*
 * The general-purpose registers of x86-64, the one list: X(field, r64, r32,
 * r16, r8) with `field` the member of the kernel's struct pt_regs and the
 * AT&T names of the register and of its low 32, 16 and 8 bits (r64 is also
 * the member of <sys/user.h>'s struct user_regs_struct, laid out as
 * pt_regs). USDT argument decoding, the per-register probe programs and the
 * table that picks them are all generated from it.
 */
#define ETL_REGS(X)                                                  \
	X(ax, rax, eax, ax, al) X(bx, rbx, ebx, bx, bl)                \
	X(cx, rcx, ecx, cx, cl) X(dx, rdx, edx, dx, dl)                \
	X(si, rsi, esi, si, sil) X(di, rdi, edi, di, dil)              \
	X(bp, rbp, ebp, bp, bpl) X(sp, rsp, esp, sp, spl)              \
	X(r8, r8, r8d, r8w, r8b) X(r9, r9, r9d, r9w, r9b)              \
	X(r10, r10, r10d, r10w, r10b) X(r11, r11, r11d, r11w, r11b)    \
	X(r12, r12, r12d, r12w, r12b) X(r13, r13, r13d, r13w, r13b)    \
	X(r14, r14, r14d, r14w, r14b) X(r15, r15, r15d, r15w, r15b)

/*
 * USDT argument locations, as the loader decodes them from each probe
 * site's note and the BPF side reads them (spec map indexed by the attach
 * cookie of the site).
 */
#define ETL_MAX_SPECS 1024

/* Attach cookie of a probe site: its spec's index in the low 32 bits; this
 * bit set on the sites of the files given with -b, whose probes start
 * tracing any process that reaches them (accept_any). The other objects
 * such a process maps are attached too, for every process, but a process
 * is never traced for reaching one of those. */
#define ETL_COOKIE_ADMIT (1ull << 32)
#define ETL_USDT_ARGS 2 /* op_start: name, flags; op_end: name, record count */

enum etl_arg_kind {
	ETL_ARG_NONE = 0,
	ETL_ARG_CONST,     /* value = val */
	ETL_ARG_REG,       /* value = register at reg_off in pt_regs */
	ETL_ARG_REG_DEREF, /* value = *(register + val), in user memory */
};

struct etl_usdt_arg {
	__u8 kind;      /* enum etl_arg_kind */
	__u8 is_signed;
	__u8 shift;     /* 64 - 8 * size: keeps the low `size` bytes */
	__u8 pad;
	__u32 reg_off;
	__s64 val;
};

struct etl_usdt_spec {
	struct etl_usdt_arg arg[ETL_USDT_ARGS];
	__u32 nargs;    /* arguments the site passes (may exceed ETL_USDT_ARGS) */
	__u32 pair;     /* a --probe pair (1...): its end closes the innermost open
			 * operation of the same pair, whatever the name; 0: etl */
};

enum etl_rec_kind {
	ETL_REC_OP = 1,         /* struct etl_op_record: a completed operation */
	ETL_REC_UNFINISHED = 2, /* struct etl_op_record: an operation left open (see below) */
	ETL_REC_PROC = 3,       /* struct etl_proc_event */
};

/* Record flags. */
enum etl_rec_flags {
	/* BPF could not read the name (page not resident): user space resolves
	 * name_addr from the target's memory. name[] is empty. */
	ETL_REC_F_NAME_UNREAD = 1u << 0,
	/* The name was longer than ETL_NAME_MAX - 1 bytes and is truncated. */
	ETL_REC_F_NAME_TRUNC = 1u << 1,
	/* op_end carried a record count (second USDT argument). */
	ETL_REC_F_HAS_RECORDS = 1u << 2,
	/* The resource fields (cpu, faults, io) are valid. */
	ETL_REC_F_RESOURCES = 1u << 3,
	/* The site declared its name immutable (a string literal): BPF did not
	 * read it; user space resolves name_addr once per address. */
	ETL_REC_F_NAME_BY_ADDR = 1u << 4,
	/* A --probe pair named by a fixed label: name_addr is the pair's
	 * number, and user space names it. */
	ETL_REC_F_NAME_LABEL = 1u << 5,
};

/* op_start's optional second argument: flags. */
enum etl_start_flags {
	/* The name is a string literal: its bytes never change. */
	ETL_START_F_LITERAL = 1u << 0,
	/* Set by the loader for --probe pairs with a fixed label: the name
	 * argument is the pair's number (a constant), nothing to read. */
	ETL_START_F_LABEL = 1u << 1,
};

/*
 * One operation, completed (ETL_REC_OP) or left open (ETL_REC_UNFINISHED:
 * its thread exited or exec'd, or the trace ended with it open; end_ns is
 * then that moment). Memory values are bytes of process RSS (file + anon +
 * shmem); deltas are end - start. path_id identifies the operation's path
 * on its thread (its name and those of the operations enclosing it), and
 * parent_id the enclosing operation's path (0 at depth 0): equal paths of
 * one process have equal ids.
 */
struct etl_op_record {
	__u32 kind;  /* enum etl_rec_kind */
	__u32 flags; /* enum etl_rec_flags */
	__u32 tgid;
	__u32 tid;
	__u32 depth; /* 0 for an outermost operation */
	__u32 name_len; /* strlen(name) as read by BPF; 0 if unread */
	__u64 name_addr; /* address of the name in the target */
	__u64 path_id;
	__u64 parent_id;
	__u64 start_ns;  /* CLOCK_MONOTONIC */
	__u64 end_ns;
	__u64 rss_start;
	__s64 rss_delta;
	__s64 rss_peak_delta; /* highest RSS inside the operation - rss_start */
	__u64 cpu_ns;         /* on-CPU time of the thread during the op */
	__u64 min_flt;
	__u64 maj_flt;
	__u64 read_bytes;  /* bytes passed to read-like syscalls (rchar) */
	__u64 write_bytes; /* bytes passed to write-like syscalls (wchar) */
	__u64 records;     /* record count from op_end, if ETL_REC_F_HAS_RECORDS */
	char name[ETL_NAME_MAX];
};

/* What happened to a traced process. */
enum etl_proc_what {
	ETL_PROC_FORK = 1, /* a traced process forked it: traced from its start */
	ETL_PROC_EXEC,     /* it replaced its image (held stopped if the tracer asked) */
	ETL_PROC_ENTRY,    /* it reached its entry point and stopped there */
	ETL_PROC_EXIT,     /* its last thread exited */
	ETL_PROC_NEW,      /* -b: first seen on a probe of a given file (held) */
};

#define ETL_COMM_LEN 16

struct etl_proc_event {
	__u32 kind;      /* ETL_REC_PROC */
	__u32 what;      /* enum etl_proc_what */
	__u32 tgid;
	__u32 ppid;      /* ETL_PROC_FORK, ETL_PROC_EXEC: the tgid of the parent */
	__u64 time_ns;   /* CLOCK_MONOTONIC when it happened */
	__u64 start_ns;  /* when the process started (CLOCK_MONOTONIC): with
			  * tgid, who it is, whatever reuses the pid later */
	char comm[ETL_COMM_LEN];
};

/*
 * Per-thread state (BPF task-local storage `stacks`): the stack of open
 * operations. It exists only for threads of traced processes, so its
 * presence is the hot path's "is this thread traced". User space reads the
 * open frames at the end of a trace through a task iterator.
 */
struct etl_frame {
	__u64 name_addr;
	__u64 path_id;
	__u64 start_ns;
	__u64 rss_start;
	/* Highest RSS seen in this operation before its current inner
	 * operation started (the inner one's own peak is folded in at its end). */
	__u64 peak_before;
	__u64 cpu_start; /* the thread's on-CPU ns (etl_thread_stack.cpu_ns based) */
	__u64 min_flt;
	__u64 maj_flt;
	__u64 rchar;
	__u64 wchar;
	/* path_id of the frame that was below it at its start: frames move
	 * down when a --probe pair's operation under them ends first. */
	__u64 parent_id;
	__u32 name_len;
	__u32 flags; /* ETL_REC_F_NAME_UNREAD / _TRUNC / _BY_ADDR / _LABEL */
	__u32 pair;  /* the --probe pair that opened it, 0 for etl; a pair's
		      * end closes its frame and abandons none above it
		      * (other pairs' or etl's): those move down */
	__u32 pad;
	char name[ETL_NAME_MAX];
};

struct etl_thread_stack {
	__u32 depth;     /* frames in use, at most ETL_STACK_MAX */
	__u32 overflow;  /* open starts beyond ETL_STACK_MAX (counted, not kept) */
	__u64 cpu_ns;    /* on-CPU time accumulated at context switches */
	__u32 peak_slot; /* 1 + this thread's slot in etl_proc.hw, 0 if none */
	__u32 proc_slot; /* its process's slot of proc_state */
	struct etl_frame f[ETL_STACK_MAX];
};

/*
 * Per traced process (the procs hash map gives its slot of the proc_state
 * array by tgid; user space adds -p and -- CMD targets, BPF their children
 * and, with -b, what runs the binary): its mm, for attributing
 * kmem:rss_stat events (which fire in whichever task changed the counter,
 * kswapd included), and the RSS high-water mark of each thread slot since
 * that thread's innermost open operation started. Threads find it by the
 * slot their stack keeps: an array lookup on the hot path, not a hash.
 */
struct etl_proc {
	__u64 mm;
	__u32 slots_used; /* bitmap of hw[] owned by a live thread */
	__u32 pad;
	__u64 hw[ETL_PEAK_SLOTS];
};

/*
 * Slots of the per-CPU counter array: everything that did not become a
 * record, plus totals the report shows so nothing is lost silently.
 */
enum etl_counter {
	ETL_CNT_STARTS = 0,        /* op_start probes seen for traced processes */
	ETL_CNT_ENDS,              /* op_end probes seen for traced processes */
	ETL_CNT_RINGBUF_FULL,      /* operation record dropped: ring buffer full */
	ETL_CNT_UNMATCHED_END,     /* op_end with no open operation on its thread */
	ETL_CNT_NAME_MISMATCH,     /* op_end whose name matches no open operation */
	ETL_CNT_ABANDONED,         /* open operations skipped by a later op_end of an outer one */
	ETL_CNT_NAME_UNREAD,       /* names BPF could not read (resolved by user space) */
	ETL_CNT_STACK_OVERFLOW,    /* op_start beyond ETL_STACK_MAX open operations */
	ETL_CNT_NO_STORAGE,        /* per-thread state could not be allocated */
	ETL_CNT_PEAK_UNTRACKED,    /* operations whose peak RSS could not be tracked */
	ETL_CNT_ARG_UNREAD,        /* probes whose name argument could not be read (dropped) */
	ETL_CNT_EVENTS_LOST,       /* process events dropped: ring buffer full */
	ETL_CNT_PROCS_FULL,        /* processes not followed: the procs map was full */
	ETL_CNT__MAX,
};

#endif /* ETLTRACE_H */
