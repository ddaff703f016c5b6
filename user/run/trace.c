// SPDX-License-Identifier: MIT
/*
 * trace.c - one trace: set-up (checks, targets, load, attach), the run loop
 * at the centre (records, process events, signals, exits, timers, the
 * metrics endpoint), and the end (detach, what is still open, counters,
 * reports: reports.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "output/outfile.h"
#include "run/run.h"
#include "run/trace.h"
#include "util/diag.h"
#include "util/names.h"

/* How often the rings are drained (records are written without a wakeup),
 * and how often the processes' maps are re-read for objects loaded later. */
#define DRAIN_NS 50000000ull
#define RESCAN_NS 1000000000ull

_Static_assert(OPTIONS_MAX_PIDS <= ETL_LOADER_SLOTS, "each target has a loader slot");

/* Without uprobe_multi links, ending a trace of more perf events than this
 * takes long enough to say why (grace periods for each, one after another:
 * one per site when tracefs is not there to group them). */
#define DETACH_NOTE_LINKS 64

/* SIGUSR1 reports are at least this far apart, and ten times as far as
 * the last one took to write: the loop drains nothing while it writes, so
 * a storm of signals must not keep it writing (the rings would overflow). */
#define USR1_GAP_NS 200000000ull
#define USR1_GAP_FACTOR 10

/* Processes with a section of their own in the report, at most. */
#define PROCS_REPORTED 1024

/* Prometheus histogram bounds of durations (default buckets): 1 ms to
 * 10 min. */
static const uint64_t duration_bounds_ns[] = {
	1000000ull, 5000000ull, 10000000ull, 25000000ull, 50000000ull, 100000000ull,
	250000000ull, 500000000ull, 1000000000ull, 2500000000ull, 5000000000ull,
	10000000000ull, 30000000000ull, 60000000000ull, 120000000000ull, 300000000000ull,
	600000000000ull,
};

/* Where etltrace's own marker library may be installed: attached before
 * any traced process loads it, so that a job's first operation is seen
 * even when the library is loaded late (Python's ctypes, dlopen). */
#ifndef ETLTRACE_LIBDIR
#define ETLTRACE_LIBDIR "/usr/local/lib"
#endif
#define LIBETLPROBE "libetlprobe.so.1"

uint64_t run_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* --- records and events ------------------------------------------------ */

static void stats_sink(void *ctx, const struct op_event *ev)
{
	struct run *r = ctx;
	int err = stats_add_hashed(r->stats, ev->name, ev->name_hash, ev->s);

	if (err && !r->stats_err)
		r->stats_err = err;
}

/* tracer_record_fn: operations to the intake, process events to the
 * follower. */
static int on_record(void *ctx, const void *rec, size_t len)
{
	struct run *r = ctx;
	uint32_t kind;

	(void)len;
	memcpy(&kind, rec, sizeof(kind));
	if (kind == ETL_REC_PROC)
		follow_event(&r->fw, rec);
	else if (r->snapshot)
		reports_snapshot_record(r, rec);
	else
		intake_record(&r->in, rec);
	return 0;
}

/* Makes this drain's log lines visible; says once if writing them failed
 * (logging then stops, and etltrace exits ETL_EXIT_OUTPUT). */
static void flush_log(struct run *r)
{
	int err;

	if (!r->log_open)
		return;
	err = oplog_flush(&r->log);
	if (err)
		diag("cannot write the log to %s: %s; logging stopped",
		     r->o->log_file ? r->o->log_file : "stderr", strerror(-err));
}

/* Lists an exited process for paths_fold_set (with no room, folds it
 * alone). */
static void fold_exited(void *ctx, struct process *p)
{
	struct run *r = ctx;

	if (!p->exited)
		return;
	if (r->nfold == r->cap_fold) {
		size_t cap = r->cap_fold ? r->cap_fold * 2 : 256;
		uint32_t *v = realloc(r->fold, cap * sizeof(*v));

		if (!v) {
			paths_fold(r->paths, (uint32_t)p->pid);
			return;
		}
		r->fold = v;
		r->cap_fold = cap;
	}
	r->fold[r->nfold++] = (uint32_t)p->pid;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Folds the paths of every exited process, before procs_settle forgets
 * them: in one pass over the paths table (a pass per process cost a batch
 * of thousands of short-lived workers seconds per drain, and kept them all
 * in memory meanwhile). */
static void fold_all_exited(struct run *r)
{
	r->nfold = 0;
	procs_each(r->procs, fold_exited, r);
	if (r->nfold)
		qsort(r->fold, r->nfold, sizeof(*r->fold), cmp_u32);
	paths_fold_set(r->paths, r->fold, r->nfold);
}

int run_drain(struct run *r, bool final)
{
	int n = tracer_drain(r->tr);

	if (n < 0) {
		diag("reading the ring buffers failed: %s", strerror(-n));
		return n;
	}
	intake_retry(&r->in, final);
	follow_settle(&r->fw);
	if (procs_unsettled(r->procs)) {
		fold_all_exited(r);
		procs_settle(r->procs);
	}
	flush_log(r);
	return 0;
}

/* --- the loop's handlers --------------------------------------------- */

static int on_drain(void *ctx, uint32_t events)
{
	(void)events;
	return run_drain(ctx, false);
}

static int on_interval(void *ctx, uint32_t events)
{
	struct run *r = ctx;
	int rc;

	(void)events;
	rc = run_drain(r, false);
	if (rc)
		return rc;
	rc = reports_interval(r, run_now_ns());
	return rc ? -EIO : 0;
}

static int on_rescan(void *ctx, uint32_t events)
{
	struct run *r = ctx;

	(void)events;
	follow_rescan(&r->fw);
	return 0;
}

static int on_deadline(void *ctx, uint32_t events)
{
	struct run *r = ctx;

	(void)events;
	loop_stop(r->loop, 0);
	return 0;
}

/* Given target i exited (its pidfd is readable). */
static int on_target_exit(struct run *r, int i)
{
	struct process *p = procs_latest(r->procs, r->targets[i]);

	loop_del_fd(r->loop, r->pidfds[i]);
	if (r->cmd_spawned && i == 0 && !r->cmd_reaped &&
	    waitpid(r->cmd.pid, &r->cmd_status, 0) == r->cmd.pid)
		r->cmd_reaped = true;
	if (p)
		procs_exited(r->procs, p, run_now_ns());
	if (++r->ngone == r->ntargets)
		loop_stop(r->loop, 0);
	return 0;
}

/* One handler per target: its context is the target's index. */
struct target_watch {
	struct run *r;
	int i;
};

static int on_pidfd(void *ctx, uint32_t events)
{
	struct target_watch *w = ctx;

	(void)events;
	return on_target_exit(w->r, w->i);
}

/* The SIGUSR1 report: everything read so far, and tracing goes on. The
 * next one may not come before USR1_GAP_FACTOR times as long as this one
 * took (USR1_GAP_NS at least). */
static void usr1_report(struct run *r)
{
	uint64_t t0 = run_now_ns(), t1;

	if (!run_drain(r, false))
		reports_now(r);
	t1 = run_now_ns();
	r->usr1_next_ns = t1 + ((t1 - t0) * USR1_GAP_FACTOR > USR1_GAP_NS
				? (t1 - t0) * USR1_GAP_FACTOR : USR1_GAP_NS);
}

/* The deferred SIGUSR1 report is due. */
static int on_usr1_timer(void *ctx, uint32_t events)
{
	struct run *r = ctx;

	(void)events;
	loop_del_timer(r->loop, r->usr1_timer);
	r->usr1_timer = -1;
	usr1_report(r);
	return 0;
}

/* SIGUSR1: the report now, or, too soon after the last one, when the gap
 * ends (any number of signals meanwhile ask for that one report). */
static void on_usr1(struct run *r)
{
	uint64_t now = run_now_ns();

	if (r->usr1_timer >= 0)
		return;
	if (now >= r->usr1_next_ns) {
		usr1_report(r);
		return;
	}
	r->usr1_timer = loop_add_timer(r->loop, r->usr1_next_ns - now, UINT64_MAX / 2,
				       on_usr1_timer, r);
	if (r->usr1_timer < 0) /* no timer: answer now rather than never */
		usr1_report(r);
}

static int on_signal(void *ctx, uint32_t events)
{
	struct run *r = ctx;
	struct signalfd_siginfo si;

	(void)events;
	if (read(r->sigfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo == SIGUSR1) {
		on_usr1(r);
		return 0;
	}
	if (r->cmd_spawned && !r->cmd_reaped) {
		/* The command ends the trace: pass the signal on, wait. */
		kill(r->cmd.pid, (int)si.ssi_signo);
		return 0;
	}
	loop_stop(r->loop, 0);
	return 0;
}

/* --- set-up ------------------------------------------------------------ */

/* Blocks the signals the loop reads from its signalfd; the original mask
 * is kept for the command. */
static int setup_signals(struct run *r)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, &r->orig_mask))
		return -errno;
	r->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return r->sigfd < 0 ? -errno : 0;
}

/* "etltrace: cannot write the log to PATH: WHY", or how to log to stderr
 * when PATH is stderr (/dev/stderr). */
static void log_error(const char *path, const char *why)
{
	char *p = name_for_terminal(path);

	if (out_is_fd(path, STDERR_FILENO))
		diag("cannot write the log to %s: it is standard error, where --log without =FILE "
		     "logs (only regular files are given with =FILE)", p ? p : "?");
	else
		diag("cannot write the log to %s: %s", p ? p : "?", why);
	free(p);
}

/* Checks made before anything is traced: the destinations of the report,
 * the metrics endpoint and the log (so that a long run is never lost at its
 * end), and the baseline.
 * Returns 0 or an exit code after printing one line. */
static int check_inputs_outputs(struct run *r)
{
	char err[640], why[OUT_WHY_MAX];
	int rc = exit_code(STAGE_OUTPUT, deliver_check(&r->rs, "the report")) ?: reports_listen(r);

	if (!rc && r->o->log_file && (rc = out_check(r->o->log_file, why, sizeof(why)))) {
		log_error(r->o->log_file, why);
		rc = exit_code(STAGE_OUTPUT, rc);
	}
	if (rc || !r->rs.baseline)
		return rc;
	if (perf_ops_load("baseline", r->rs.baseline, &r->base, err, sizeof(err))) {
		diag("%s", err);
		return ETL_EXIT_CONFIG;
	}
	r->has_base = true;
	return 0;
}

/* --log: opens the log and makes it a sink. Returns 0 or an exit code. */
static void log_sink(void *ctx, const struct op_event *ev)
{
	oplog_hook(ctx, ev->name, ev->s);
}

static int open_log(struct run *r)
{
	const struct options *o = r->o;
	char why[OUT_WHY_MAX] = "";
	int err;

	if (!o->log)
		return 0;
	err = oplog_open(&r->log, o->log_file, o->log_filters, (size_t)o->nlog_filters, why,
			 sizeof(why));
	if (err) {
		log_error(o->log_file, why);
		return exit_code(STAGE_OUTPUT, err);
	}
	r->log_open = true;
	return exit_code(STAGE_RUN, intake_add_sink(&r->in, log_sink, &r->log));
}

/* Adds a target process to the table and watches its exit. */
static int add_target(struct run *r, pid_t pid)
{
	struct process *p = procs_add(r->procs, pid, 0);

	if (!p)
		return -ENOMEM;
	r->targets[r->ntargets] = pid;
	r->pidfds[r->ntargets] = (int)syscall(SYS_pidfd_open, pid, 0);
	return r->pidfds[r->ntargets++] < 0 ? -errno : 0;
}

/* Says, and returns nonzero, when a --probe pair is not in what p maps,
 * listing the probes it has. */
static int check_pairs(const struct run *r, const struct process *p)
{
	const struct probe_pairs *pairs = &r->o->pairs;

	for (int i = 0; i < pairs->n; i++) {
		bool found = false;

		for (size_t k = 0; k < p->img.nmaps && !found; k++)
			found = p->img.maps[k].obj && pairs_found(pairs, i, &p->img.maps[k].obj->usdt);
		if (!found) {
			char *have = attach_probes_listed(p, pairs->v[i].provider);

			diag("no probe %s:%s with an end %s in process %d; %s", pairs->v[i].provider,
			     pairs->v[i].start, pairs->v[i].end[0], (int)p->pid, have ? have : "");
			free(have);
			return -1;
		}
	}
	return 0;
}

/* -p: each pid a live user process, given once, with etl markers. */
static int check_pids(struct run *r)
{
	const struct options *o = r->o;

	for (int i = 0; i < o->npids; i++) {
		pid_t pid = o->pids[i];
		int err = process_check(pid);
		struct process *p;

		if (err == -ESRCH) {
			diag("no such process: %d (check the PID with ps)", (int)pid);
			return ETL_EXIT_NO_TARGET;
		}
		if (err == -EINVAL) {
			diag("process %d is a kernel thread: give the PID of a user-space ETL program",
			     (int)pid);
			return ETL_EXIT_NO_TARGET;
		}
		if (err) {
			diag("cannot inspect process %d: %s", (int)pid, strerror(-err));
			return exit_code(STAGE_TARGET, err);
		}
		for (int j = 0; j < i; j++)
			if (o->pids[j] == pid) {
				diag("process %d is given twice with -p", (int)pid);
				return ETL_EXIT_USAGE;
			}
		err = add_target(r, pid);
		p = procs_latest(r->procs, pid);
		err = err ?: process_scan(p, r->objs, NULL, NULL);
		if (err) {
			diag("cannot read the memory map of process %d: %s", (int)pid, strerror(-err));
			return exit_code(STAGE_TARGET, err);
		}
		if (check_pairs(r, p))
			return ETL_EXIT_NO_MARKERS;
		if (!process_has_markers(p)) {
			char *searched = attach_searched(p);

			attach_no_markers(pid, searched, false);
			free(searched);
			return ETL_EXIT_NO_MARKERS;
		}
	}
	return 0;
}

/* The specialised programs the targets' marked objects need. */
static void need_object(void *ctx, struct object *o)
{
	struct tracer_needs *needs = ctx;

	tracer_needs_add(needs, o->sites, o->nsites);
}

static int open_tracer(struct run *r)
{
	const struct options *o = r->o;
	struct tracer_config cfg = {
		.resources = o->resources,
		.follow_children = o->children,
		.accept_any = o->nbinaries > 0,
		.hold_exec = true,
		.uprobe_multi = r->kf.uprobe_multi,
		.ringbuf_bytes = o->ringbuf_mb << 20,
		.verbose = o->verbose,
	};
	int err;

	objects_each(r->objs, need_object, &cfg.needs);
	err = tracer_open(&cfg, on_record, r, &r->tr);
	if (err) {
		diag("cannot load the BPF programs: %s (kernel %s; -vvv shows libbpf's details)",
		     strerror(-err), r->kf.release);
		return exit_code(STAGE_KERNEL, err);
	}
	r->at = (struct attacher){ .tr = r->tr, .per_process = !o->children,
				   .perf_events = !r->kf.uprobe_multi, .verbose = o->verbose };
	r->fw = (struct follower){ .procs = r->procs, .objs = r->objs, .at = &r->at, .tr = r->tr };
	for (int i = 0; i < r->ntargets; i++) {
		err = tracer_add_process(r->tr, r->targets[i], (unsigned int)i);
		if (err) {
			diag("cannot trace process %d: %s", (int)r->targets[i], strerror(-err));
			return exit_code(STAGE_KERNEL, err);
		}
	}
	return 0;
}

/* Attaches etltrace's own marker library wherever it may be installed,
 * for the targets (or every process, following children). A library that
 * is not there is skipped; one that cannot be attached is said. */
static void attach_known_libraries(struct run *r)
{
	char self[PATH_MAX], *dir, *cand[3] = { NULL, NULL, NULL };
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	dir = strrchr(self, '/');
	if (dir)
		*dir = '\0';
	if (asprintf(&cand[0], "%s/lib/" LIBETLPROBE, self) < 0)
		cand[0] = NULL;
	if (asprintf(&cand[1], "%s/../lib/" LIBETLPROBE, self) < 0)
		cand[1] = NULL;
	if (asprintf(&cand[2], "%s/" LIBETLPROBE, ETLTRACE_LIBDIR) < 0)
		cand[2] = NULL;
	for (int i = 0; i < 3; i++) {
		const char *path[1] = { cand[i] };
		struct object *obj;
		struct stat st;
		int err;

		if (!cand[i] || stat(cand[i], &st))
			continue;
		obj = objects_get(r->objs, st.st_dev, st.st_ino, cand[i], path, 1, &err);
		for (int k = 0; obj && k < (r->at.per_process ? r->ntargets : 1); k++)
			attach_object(&r->at, obj, r->at.per_process ? r->targets[k] : 0);
	}
	for (int i = 0; i < 3; i++)
		free(cand[i]);
}

/* Waits until the command stops (at its exec or its entry point). */
static int wait_stopped(struct run *r)
{
	if (waitpid(r->cmd.pid, &r->cmd_status, WUNTRACED) != r->cmd.pid)
		return -errno;
	if (WIFSTOPPED(r->cmd_status))
		return 0;
	r->cmd_reaped = true;
	return -ECHILD;
}

/* -- CMD: runs the command up to its entry point, its executable and then
 * its libraries attached on the way (BPF stops it at its exec, then at its
 * entry point), and leaves it stopped for the caller to continue. */
static int start_command(struct run *r)
{
	struct process *p = procs_latest(r->procs, r->cmd.pid);
	int err;

	r->fw.setup_pid = r->cmd.pid;
	err = command_start(&r->cmd);
	if (err) {
		r->cmd_reaped = true;
		diag("cannot run %s: %s", r->cmd.exe, strerror(-err));
		return ETL_EXIT_USAGE;
	}
	err = wait_stopped(r);
	if (!err) {
		procs_exec(r->procs, p, run_now_ns());
		process_read_comm(p);
		err = follow_exec(&r->fw, p);
		if (err == -ENOEXEC) {
			diag("cannot trace %s: its executable has no entry point", r->cmd.exe);
			return ETL_EXIT_USAGE;
		}
	}
	if (!err) {
		kill(r->cmd.pid, SIGCONT);
		err = wait_stopped(r);
	}
	if (err) {
		diag("%s exited before reaching its entry point", r->cmd.exe);
		return ETL_EXIT_FAILURE;
	}
	follow_entry(&r->fw, p);
	/* Its exec and entry events are in the rings: read them now. */
	if (run_drain(r, false))
		return ETL_EXIT_FAILURE;
	r->fw.setup_pid = 0;
	if (r->at.marked_seen)
		return 0;
	r->searched = attach_searched(p);
	if (r->at.nobjects)
		return 0;
	attach_no_markers(r->cmd.pid, r->searched, false);
	return ETL_EXIT_NO_MARKERS;
}

/* -b: each binary for every process that maps it. */
static void attach_binary(void *ctx, struct object *o)
{
	struct run *r = ctx;

	if (o->given)
		attach_object(&r->at, o, 0);
}

static int attach_targets(struct run *r)
{
	if (r->o->nbinaries) {
		r->at.per_process = false;
		objects_each(r->objs, attach_binary, r);
		return r->at.err ? exit_code(STAGE_KERNEL, r->at.err) : 0;
	}
	for (int i = 0; i < r->ntargets && !r->cmd_spawned; i++) {
		attach_image(&r->at, procs_latest(r->procs, r->targets[i]));
		if (r->at.err)
			return exit_code(STAGE_KERNEL, r->at.err);
	}
	attach_known_libraries(r);
	if (r->cmd_spawned)
		return start_command(r);
	return r->at.err ? exit_code(STAGE_KERNEL, r->at.err) : 0;
}

static void print_ready(const struct run *r)
{
	if (r->o->nbinaries) {
		diag("ready: tracing every process that runs %s%s (%zu probe sites in %zu object%s); "
		     "Ctrl-C to stop", r->o->binaries[0], r->o->nbinaries > 1 ? " and the rest" : "",
		     r->at.nsites, r->at.nobjects, r->at.nobjects == 1 ? "" : "s");
		return;
	}
	diag("ready: tracing %d process%s (%zu probe sites in %zu object%s); Ctrl-C to stop",
	     r->ntargets, r->ntargets == 1 ? "" : "es", r->at.nsites, r->at.nobjects,
	     r->at.nobjects == 1 ? "" : "s");
}

/* Registers every source of the loop. */
static int watch(struct run *r, struct target_watch *w)
{
	int err = loop_add_fd(r->loop, tracer_poll_fd(r->tr), EPOLLIN, on_drain, r);
	err = err ?: loop_add_fd(r->loop, r->sigfd, EPOLLIN, on_signal, r);
	if (!err && loop_add_timer(r->loop, 0, DRAIN_NS, on_drain, r) < 0)
		err = -errno;
	if (!err && loop_add_timer(r->loop, 0, RESCAN_NS, on_rescan, r) < 0)
		err = -errno;
	if (!err && r->o->interval > 0 &&
	    loop_add_timer(r->loop, 0, (uint64_t)(r->o->interval * 1e9), on_interval, r) < 0)
		err = -errno;
	if (!err && r->o->duration > 0 &&
	    loop_add_timer(r->loop, (uint64_t)(r->o->duration * 1e9), UINT64_MAX / 2, on_deadline,
			   r) < 0)
		err = -errno;
	for (int i = 0; i < r->ntargets && !err; i++) {
		w[i] = (struct target_watch){ r, i };
		err = loop_add_fd(r->loop, r->pidfds[i], EPOLLIN, on_pidfd, &w[i]);
	}
	return err;
}

/* --- the end ----------------------------------------------------------- */

static const char *const bpf_counter_keys[ETL_CNT__MAX] = {
	[ETL_CNT_STARTS] = "starts",
	[ETL_CNT_ENDS] = "ends",
	[ETL_CNT_RINGBUF_FULL] = "ringbuf_full",
	[ETL_CNT_UNMATCHED_END] = "unmatched_end",
	[ETL_CNT_NAME_MISMATCH] = "name_mismatch",
	[ETL_CNT_ABANDONED] = "abandoned",
	[ETL_CNT_NAME_UNREAD] = "name_unread_by_bpf",
	[ETL_CNT_STACK_OVERFLOW] = "stack_overflow",
	[ETL_CNT_NO_STORAGE] = "no_thread_storage",
	[ETL_CNT_PEAK_UNTRACKED] = "peak_untracked",
	[ETL_CNT_ARG_UNREAD] = "probe_arg_unread",
	[ETL_CNT_EVENTS_LOST] = "process_events_lost",
	[ETL_CNT_PROCS_FULL] = "processes_not_followed",
};

size_t run_counters(struct run *r, const uint64_t bpf[ETL_CNT__MAX],
		    struct report_counter *out)
{
	size_t n = 0;

	procstats_series(r->pstats);
	for (int i = 0; i < ETL_CNT__MAX; i++)
		out[n++] = (struct report_counter){ bpf_counter_keys[i], bpf[i] };
	out[n++] = (struct report_counter){ "records", r->in.records };
	out[n++] = (struct report_counter){ "names_resolved_by_loader", r->in.names_resolved };
	out[n++] = (struct report_counter){ "names_unresolved", r->in.names_unresolved };
	out[n++] = (struct report_counter){ "names_truncated", r->in.names_truncated };
	out[n++] = (struct report_counter){ "operations_over_limit", stats_over_limit(r->stats) };
	out[n++] = (struct report_counter){ "paths_over_limit", paths_over_limit(r->paths) };
	out[n++] = (struct report_counter){ "processes_not_reported",
					    procstats_dropped(r->pstats) };
	out[n++] = (struct report_counter){ "metrics_series_over_limit",
					    r->series ? series_over_limit(r->series) : 0 };
	out[n++] = (struct report_counter){ "timeline_events_dropped",
					    r->timeline ? timeline_dropped(r->timeline) : 0 };
	out[n++] = (struct report_counter){ "records_malformed",
					    r->tr ? tracer_short_records(r->tr) : r->short_records };
	return n;
}

/* One line on stderr when the rings overflowed: how much was lost and
 * what to raise. */
static void say_losses(const struct run *r, const uint64_t bpf[ETL_CNT__MAX])
{
	uint64_t recs = bpf[ETL_CNT_RINGBUF_FULL], evs = bpf[ETL_CNT_EVENTS_LOST];
	char what[160];

	if (!recs && !evs)
		return;
	if (recs && evs)
		snprintf(what, sizeof(what),
			 "%" PRIu64 " operation record%s (ringbuf_full) and %" PRIu64
			 " process event%s (process_events_lost) were",
			 recs, recs == 1 ? "" : "s", evs, evs == 1 ? "" : "s");
	else if (recs)
		snprintf(what, sizeof(what), "%" PRIu64 " operation record%s (ringbuf_full) %s", recs,
			 recs == 1 ? "" : "s", recs == 1 ? "was" : "were");
	else
		snprintf(what, sizeof(what), "%" PRIu64 " process event%s (process_events_lost) %s",
			 evs, evs == 1 ? "" : "s", evs == 1 ? "was" : "were");
	diag("the ring buffers were full: %s lost; raise --ringbuf-mb (now %u)", what,
	     r->o->ringbuf_mb);
}

/* Ends the trace: nothing more runs in BPF, what is still open is taken as
 * unfinished, every record is read; then the reports. */
static int finish(struct run *r)
{
	uint64_t bpf[ETL_CNT__MAX];
	size_t links, single;
	int err, irc = 0;

	r->fw.finishing = true;
	links = tracer_probe_links(r->tr, &single);
	if (!r->kf.uprobe_multi && links > DETACH_NOTE_LINKS)
		diag("detaching %zu perf events one after another, RCU grace periods each (Linux %s "
		     "has no uprobe_multi links%s)", links, r->kf.release,
		     single > links / 2 ? "; with tracefs mounted and writable, sites would share "
					  "a few" : "");
	err = tracer_detach_probes(r->tr);
	if (err)
		diag("cannot delete the uprobe trace events of tracefs it defined (the probes are "
		     "detached): %s", strerror(-err));
	err = tracer_open_frames(r->tr, true);
	tracer_detach_hooks(r->tr);
	err = run_drain(r, true) ?: err;
	r->end_ns = run_now_ns();
	if (err < 0) {
		diag("cannot read the operations still open: %s", strerror(-err));
		return ETL_EXIT_FAILURE;
	}
	err = tracer_counters(r->tr, bpf);
	if (err) {
		diag("cannot read the BPF counters: %s", strerror(-err));
		return ETL_EXIT_FAILURE;
	}
	say_losses(r, bpf);
	/* -i: the interval cut short by the end, before the cumulative
	 * report (the counters are read from BPF, still loaded). */
	if (r->o->interval > 0)
		irc = reports_interval(r, r->end_ns);
	/* Nothing stays loaded while the report is written. */
	r->short_records = tracer_short_records(r->tr);
	tracer_close(r->tr);
	r->tr = NULL;
	http_stop(r->http);
	r->http = NULL;
	/* A command with no markers at its start, run in case it loaded a
	 * marker library later (a Python job importing etltrace), that never
	 * did: no report. */
	if (r->cmd_spawned && !r->at.marked_seen && !bpf[ETL_CNT_STARTS] && !bpf[ETL_CNT_ENDS]) {
		attach_no_markers(r->cmd.pid, r->searched, true);
		return ETL_EXIT_NO_MARKERS;
	}
	if (r->stats_err || procstats_error(r->pstats)) {
		diag("out of memory while aggregating operations");
		return ETL_EXIT_FAILURE;
	}
	return reports_final(r, bpf) ?: irc;
}

/* -d ended the trace before the command: it runs on, untraced (nothing is
 * attached any more), and etltrace passes INT and TERM on until it ends. */
static void wait_command(struct run *r)
{
	struct pollfd pfd[2] = {
		{ .fd = r->pidfds[0], .events = POLLIN },
		{ .fd = r->sigfd, .events = POLLIN },
	};
	struct signalfd_siginfo si;

	while (poll(pfd, 2, -1) >= 0 || errno == EINTR) {
		if (pfd[1].revents & POLLIN && read(r->sigfd, &si, sizeof(si)) == sizeof(si))
			kill(r->cmd.pid, (int)si.ssi_signo);
		if (pfd[0].revents & (POLLIN | POLLHUP))
			break;
	}
	if (waitpid(r->cmd.pid, &r->cmd_status, 0) == r->cmd.pid)
		r->cmd_reaped = true;
}

/* ENABLE_PROFILING false: the job runs as if etltrace were not there. With
 * -- CMD, etltrace becomes the command (its exit status is the command's);
 * with -p, nothing is done. No report is written. */
static int run_unprofiled(const struct options *o)
{
	char *cfg = name_for_terminal(o->config ? o->config : "?");
	char *cmd = o->cmd ? name_for_terminal(o->cmd[0]) : NULL;

	if (!o->cmd) {
		diag("profiling is disabled (ENABLE_PROFILING is false in %s): nothing traced",
		     cfg ? cfg : "?");
		free(cfg);
		return ETL_EXIT_OK;
	}
	diag("profiling is disabled (ENABLE_PROFILING is false in %s): running %s untraced",
	     cfg ? cfg : "?", cmd ? cmd : "?");
	free(cfg);
	free(cmd);
	execvp(o->cmd[0], o->cmd);
	diag("cannot run %s: %s", o->cmd[0], strerror(errno));
	return ETL_EXIT_USAGE;
}

static void cleanup(struct run *r)
{
	if (r->tr) {
		/* A failed set-up may leave processes stopped at an exec: the
		 * events still in the rings continue them. */
		r->fw.finishing = true;
		tracer_detach_probes(r->tr);
		tracer_detach_hooks(r->tr);
		tracer_drain(r->tr);
	}
	tracer_close(r->tr);
	if (r->cmd_spawned) {
		if (r->cmd.gate_fd >= 0)
			command_cancel(&r->cmd);
		command_free(&r->cmd);
	}
	reports_close(r);
	loop_free(r->loop);
	attach_free(&r->at);
	follow_free(&r->fw);
	procs_free(r->procs);
	objects_free(r->objs);
	for (int i = 0; i < r->ntargets; i++)
		if (r->pidfds[i] >= 0)
			close(r->pidfds[i]);
	if (r->sigfd >= 0)
		close(r->sigfd);
	if (r->log_open)
		oplog_close(&r->log);
	perf_ops_free(&r->base);
	intake_free(&r->in);
	stats_free(r->stats);
	stats_free(r->imark);
	paths_free(r->paths);
	free(r->fold);
	procstats_free(r->pstats);
	series_free(r->series);
	timeline_free(r->timeline);
	free(r->searched);
}

static void paths_sink_of(void *ctx, const struct op_event *ev)
{
	paths_sink(((struct run *)ctx)->paths, ev);
}

/* What each operation feeds. Returns 0 or -ENOMEM. */
static int open_sinks(struct run *r)
{
	const struct options *o = r->o;
	size_t max_ops = (size_t)o->set.max_operations;

	r->stats = stats_new(max_ops);
	r->paths = paths_new(max_ops);
	if (!r->stats || !r->paths)
		return -ENOMEM;
	/* --metrics: the series are derived from the statistics per process
	 * (procstats.h), which count per bucket bound for them. */
	if (o->set.metrics && o->set.metrics_address[0]) {
		size_t nb = sizeof(duration_bounds_ns) / sizeof(duration_bounds_ns[0]);

		if (!(r->series = series_new(max_ops, duration_bounds_ns, nb)))
			return -ENOMEM;
		stats_set_bounds(r->stats, duration_bounds_ns, nb);
	}
	r->pstats = procstats_new(r->procs, r->stats, r->series, PROCS_REPORTED, max_ops);
	if (!r->pstats)
		return -ENOMEM;
	/* -i: an interval is what the aggregate gained since it began. */
	if (o->interval > 0)
		stats_window_start(r->stats);
	/* The HTML page shows the timeline too. */
	if ((r->rs.timeline || r->rs.html) && !(r->timeline = timeline_new(o->timeline_max)))
		return -ENOMEM;
	intake_init(&r->in, r->procs);
	r->in.pairs = &o->pairs;
	intake_add_sink(&r->in, procstats_sink, r->pstats); /* before the aggregate's */
	intake_add_sink(&r->in, stats_sink, r);
	intake_add_sink(&r->in, paths_sink_of, r);
	if (r->timeline)
		intake_add_sink(&r->in, timeline_sink, r->timeline);
	intake_init(&r->snap, r->procs);
	r->snap.pairs = &o->pairs;
	return intake_add_sink(&r->snap, reports_snapshot_sink, r);
}

/* Whether the file at path starts as an ELF file does. */
static bool is_elf(const char *path)
{
	unsigned char magic[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool elf = fd >= 0 && read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
		   !memcmp(magic, "\177ELF", 4);

	if (fd >= 0)
		close(fd);
	return elf;
}

/* -b: every process running these files is traced, from their first probe
 * on. Each must be an ELF executable or library (else a usage error, exit
 * 2) with etl markers (else exit 4). */
static int open_binaries(struct run *r)
{
	for (int i = 0; i < r->o->nbinaries; i++) {
		const char *path = r->o->binaries[i], *cand[1] = { path };
		char *shown = name_for_terminal(path);
		struct object *obj;
		struct stat st;
		int err = 0, rc = 0;

		if (stat(path, &st)) {
			err = errno;
			diag("cannot trace -b %s: %s", shown ? shown : "?", strerror(err));
			rc = err == EACCES || err == EPERM ? ETL_EXIT_PERM : ETL_EXIT_USAGE;
		} else if (!S_ISREG(st.st_mode) || !is_elf(path)) {
			diag("cannot trace -b %s: not an ELF executable or library (give the program "
			     "that runs it, or the library that marks it)", shown ? shown : "?");
			rc = ETL_EXIT_USAGE;
		} else if (!(obj = objects_get(r->objs, st.st_dev, st.st_ino, path, cand, 1, &err))) {
			diag("cannot trace -b %s: %s", shown ? shown : "?", strerror(-err));
			rc = exit_code(STAGE_TARGET, err);
		} else if (obj->read_err) {
			diag("cannot trace -b %s: %s", shown ? shown : "?", strerror(-obj->read_err));
			rc = exit_code(STAGE_TARGET, obj->read_err);
		} else if (!obj->nsites) {
			diag("no etl USDT markers in -b %s: mark operations with <etl_probe.h> "
			     "(see README.md)", shown ? shown : "?");
			rc = ETL_EXIT_NO_MARKERS;
		} else {
			obj->given = true;
		}
		free(shown);
		if (rc)
			return rc;
	}
	return 0;
}

/* The signals ignored now, as etltrace started (it has ignored none of
 * its own yet): the command keeps them ignored, as exec would (nohup's
 * SIGHUP, a background job's SIGINT). */
static void ignored_now(sigset_t *set)
{
	sigemptyset(set);
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		if (sig != SIGKILL && sig != SIGSTOP && !sigaction(sig, NULL, &sa) &&
		    sa.sa_handler == SIG_IGN)
			sigaddset(set, sig);
	}
}

/* Everything before the ready line. Returns 0 or an exit code. */
static int setup(struct run *r)
{
	const struct options *o = r->o;
	sigset_t ignored;
	char why[320];
	int rc, err;

	rc = check_inputs_outputs(r);
	if (rc)
		return rc;
	err = preflight_privileges(why, sizeof(why)) ?: preflight_kernel(&r->kf, why, sizeof(why));
	if (err) {
		diag("%s", why);
		return exit_code(STAGE_KERNEL, err);
	}
	if (o->verbose && !r->kf.uprobe_multi)
		diag("Linux %s has no uprobe_multi links (6.6): perf events on uprobe trace events "
		     "of tracefs, one per program and argument layout (without tracefs, one "
		     "perf-event uprobe per probe site, detached one after another)",
		     r->kf.release);
	r->objs = objects_new(&o->pairs);
	r->procs = procs_new();
	if (!r->objs || !r->procs || open_sinks(r) || (err = loop_new(&r->loop))) {
		diag("out of memory");
		return ETL_EXIT_FAILURE;
	}
	err = setup_signals(r);
	if (err) {
		diag("cannot set up signal handling: %s", strerror(-err));
		return ETL_EXIT_FAILURE;
	}
	if (o->cmd) {
		ignored_now(&ignored);
		err = command_spawn(o->cmd, &r->orig_mask, &ignored, &r->cmd);
		if (err) {
			diag("cannot run %s: %s", o->cmd[0], strerror(-err));
			return ETL_EXIT_USAGE;
		}
		r->cmd_spawned = true;
		err = add_target(r, r->cmd.pid);
		if (err) {
			diag("cannot watch %s: %s", o->cmd[0], strerror(-err));
			return ETL_EXIT_FAILURE;
		}
	} else if (o->nbinaries) {
		rc = open_binaries(r);
		if (rc)
			return rc;
	} else {
		rc = check_pids(r);
		if (rc)
			return rc;
	}
	/* A reader of our stdout or log going away must not kill the trace:
	 * writes then fail with EPIPE. The command restores the default. */
	signal(SIGPIPE, SIG_IGN);
	return open_log(r) ?: open_tracer(r) ?: attach_targets(r) ?: reports_open(r);
}

int trace_run(const struct options *o)
{
	struct run r = { .o = o, .rs = o->report, .sigfd = -1, .usr1_timer = -1 };
	struct target_watch w[OPTIONS_MAX_PIDS];
	int rc, err;

	if (!o->set.profiling)
		return run_unprofiled(o);
	r.rs.stdout_closed = out_guard_stdio();
	rc = setup(&r);
	if (rc)
		goto cleanup;
	err = watch(&r, w);
	if (err) {
		diag("cannot set up the run loop: %s", strerror(-err));
		rc = ETL_EXIT_FAILURE;
		goto cleanup;
	}
	r.t0_ns = r.interval_t0 = run_now_ns();
	r.t0_unix = (double)time(NULL);
	{
		struct timespec now;

		if (!clock_gettime(CLOCK_REALTIME, &now))
			r.t0_unix = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	}
	print_ready(&r);
	if (r.cmd_spawned)
		kill(r.cmd.pid, SIGCONT);
	err = loop_run(r.loop);
	if (err < 0) {
		diag("the trace stopped: %s", strerror(-err));
		rc = ETL_EXIT_FAILURE;
		goto cleanup;
	}
	rc = finish(&r);
	if (r.cmd_spawned && !r.cmd_reaped)
		wait_command(&r);
	if (!rc && r.log_open && r.log.error)
		rc = ETL_EXIT_OUTPUT;
	if (!rc && r.cmd_spawned && r.cmd_reaped)
		rc = command_exit_code(r.cmd_status);
	if (!rc && r.nregressions)
		rc = ETL_EXIT_REGRESSION;
cleanup:
	if (rc && r.cmd_spawned && !r.cmd_reaped && r.cmd.gate_fd < 0) {
		kill(r.cmd.pid, SIGKILL);
		waitpid(r.cmd.pid, NULL, 0);
	}
	cleanup(&r);
	return rc;
}
