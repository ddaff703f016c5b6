// SPDX-License-Identifier: MIT
/*
 * trace.c - one trace: set-up (checks, targets, load, attach), the run loop
 * at the centre (records, process events, signals, exits, timers), and the
 * end (detach, what is still open, counters, report).
 */
#include <errno.h>
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

#include "collect/intake.h"
#include "collect/stats.h"
#include "kernel/preflight.h"
#include "kernel/tracer.h"
#include "output/deliver.h"
#include "output/outfile.h"
#include "report/comparison.h"
#include "report/oplog.h"
#include "run/loop.h"
#include "run/trace.h"
#include "target/attach.h"
#include "target/command.h"
#include "target/follow.h"
#include "target/object.h"
#include "target/procs.h"
#include "util/diag.h"
#include "util/names.h"

/* How often the rings are drained (records are written without a wakeup),
 * and how often the processes' maps are re-read for objects loaded later. */
#define DRAIN_NS 50000000ull
#define RESCAN_NS 1000000000ull

/* Where etltrace's own marker library may be installed: attached before
 * any traced process loads it, so that a job's first operation is seen
 * even when the library is loaded late (Python's ctypes, dlopen). */
#ifndef ETLTRACE_LIBDIR
#define ETLTRACE_LIBDIR "/usr/local/lib"
#endif
#define LIBETLPROBE "libetlprobe.so.1"

struct trace {
	const struct options *o;
	struct report_settings rs;
	struct kernel_features kf;
	struct loop *loop;
	struct tracer *tr;
	struct objects *objs;
	struct procs *procs;
	struct attacher at;
	struct follower fw;
	struct intake in;
	struct stats *stats;
	int stats_err;               /* first failure to add a sample */
	struct oplog log;            /* --log */
	bool log_open;
	struct perf_ops base;        /* --baseline */
	bool has_base;
	pid_t targets[OPTIONS_MAX_PIDS];  /* -p, or the command */
	int pidfds[OPTIONS_MAX_PIDS];     /* theirs, readable at exit */
	int ntargets, ngone;
	struct command cmd;          /* with -- CMD: targets[0] */
	bool cmd_spawned, cmd_reaped;
	int cmd_status;
	char *searched;              /* an unmarked command's files at its start */
	sigset_t orig_mask;          /* as etltrace started */
	int sigfd;
	uint64_t t0_ns, end_ns;      /* tracing started (ready) and stopped */
	size_t nregressions;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* --- records and events ------------------------------------------------ */

static void stats_sink(void *ctx, const struct op_event *ev)
{
	struct trace *t = ctx;
	int err = stats_add(t->stats, ev->name, ev->s);

	if (err && !t->stats_err)
		t->stats_err = err;
}

/* tracer_record_fn: operations to the intake, process events to the
 * follower. */
static int on_record(void *ctx, const void *rec, size_t len)
{
	struct trace *t = ctx;
	uint32_t kind;

	(void)len;
	memcpy(&kind, rec, sizeof(kind));
	if (kind == ETL_REC_PROC)
		follow_event(&t->fw, rec);
	else
		intake_record(&t->in, rec);
	return 0;
}

/* Makes this drain's log lines visible; says once if writing them failed
 * (logging then stops, and etltrace exits ETL_EXIT_OUTPUT). */
static void flush_log(struct trace *t)
{
	int err;

	if (!t->log_open)
		return;
	err = oplog_flush(&t->log);
	if (err)
		diag("cannot write the log to %s: %s; logging stopped",
		     t->o->log_file ? t->o->log_file : "stderr", strerror(-err));
}

/* Reads every ring, takes in the records that waited for their process
 * (all of them when `final`), then lets the process table forget what is
 * read. */
static int drain(struct trace *t, bool final)
{
	int n = tracer_drain(t->tr);

	if (n < 0) {
		diag("reading the ring buffers failed: %s", strerror(-n));
		return n;
	}
	intake_retry(&t->in, final);
	procs_settle(t->procs);
	flush_log(t);
	return 0;
}

/* --- the loop's handlers --------------------------------------------- */

static int on_drain(void *ctx, uint32_t events)
{
	(void)events;
	return drain(ctx, false);
}

static int on_rescan(void *ctx, uint32_t events)
{
	struct trace *t = ctx;

	(void)events;
	follow_rescan(&t->fw);
	return 0;
}

static int on_deadline(void *ctx, uint32_t events)
{
	struct trace *t = ctx;

	(void)events;
	loop_stop(t->loop, 0);
	return 0;
}

/* Given target i exited (its pidfd is readable). */
static int on_target_exit(struct trace *t, int i)
{
	struct process *p = procs_latest(t->procs, t->targets[i]);

	loop_del_fd(t->loop, t->pidfds[i]);
	if (t->cmd_spawned && i == 0 && !t->cmd_reaped &&
	    waitpid(t->cmd.pid, &t->cmd_status, 0) == t->cmd.pid)
		t->cmd_reaped = true;
	if (p)
		procs_exited(t->procs, p, now_ns());
	if (++t->ngone == t->ntargets)
		loop_stop(t->loop, 0);
	return 0;
}

/* One handler per target: its context is the target's index. */
struct target_watch {
	struct trace *t;
	int i;
};

static int on_pidfd(void *ctx, uint32_t events)
{
	struct target_watch *w = ctx;

	(void)events;
	return on_target_exit(w->t, w->i);
}

static int on_signal(void *ctx, uint32_t events)
{
	struct trace *t = ctx;
	struct signalfd_siginfo si;

	(void)events;
	if (read(t->sigfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (t->cmd_spawned && !t->cmd_reaped) {
		/* The command ends the trace: pass the signal on, wait. */
		kill(t->cmd.pid, (int)si.ssi_signo);
		return 0;
	}
	loop_stop(t->loop, 0);
	return 0;
}

/* --- set-up ------------------------------------------------------------ */

/* Blocks the signals the loop reads from its signalfd; the original mask
 * is kept for the command. */
static int setup_signals(struct trace *t)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, &t->orig_mask))
		return -errno;
	t->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return t->sigfd < 0 ? -errno : 0;
}

/* Checks made before anything is traced: the report's destinations and the
 * baseline. Returns 0 or an exit code after printing one line. */
static int check_inputs_outputs(struct trace *t)
{
	char err[640];
	int rc = exit_code(STAGE_OUTPUT, deliver_check(&t->rs, "the report"));

	if (rc || !t->rs.baseline)
		return rc;
	if (perf_ops_load("baseline", t->rs.baseline, &t->base, err, sizeof(err))) {
		diag("%s", err);
		return ETL_EXIT_CONFIG;
	}
	t->has_base = true;
	return 0;
}

/* --log: opens the log and makes it a sink. Returns 0 or an exit code. */
static void log_sink(void *ctx, const struct op_event *ev)
{
	oplog_hook(ctx, ev->name, ev->s);
}

static int open_log(struct trace *t)
{
	const struct options *o = t->o;
	int err;

	if (!o->log)
		return 0;
	err = oplog_open(&t->log, o->log_file, o->log_filters, (size_t)o->nlog_filters);
	if (err) {
		diag("cannot open the log %s: %s", o->log_file,
		     err == -ELOOP ? "it is a symbolic link (refused)" : strerror(-err));
		return ETL_EXIT_OUTPUT;
	}
	t->log_open = true;
	return exit_code(STAGE_RUN, intake_add_sink(&t->in, log_sink, &t->log));
}

/* Adds a target process to the table and watches its exit. */
static int add_target(struct trace *t, pid_t pid)
{
	struct process *p = procs_add(t->procs, pid, 0);

	if (!p)
		return -ENOMEM;
	t->targets[t->ntargets] = pid;
	t->pidfds[t->ntargets] = (int)syscall(SYS_pidfd_open, pid, 0);
	return t->pidfds[t->ntargets++] < 0 ? -errno : 0;
}

/* -p: each pid a live user process, given once, with etl markers. */
static int check_pids(struct trace *t)
{
	const struct options *o = t->o;

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
		err = add_target(t, pid);
		p = procs_latest(t->procs, pid);
		err = err ?: process_scan(p, t->objs, NULL, NULL);
		if (err) {
			diag("cannot read the memory map of process %d: %s", (int)pid, strerror(-err));
			return exit_code(STAGE_TARGET, err);
		}
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

static int open_tracer(struct trace *t)
{
	const struct options *o = t->o;
	struct tracer_config cfg = {
		.resources = o->resources,
		.follow_children = o->children,
		.hold_exec = true,
		.uprobe_multi = t->kf.uprobe_multi,
		.ringbuf_bytes = o->ringbuf_mb << 20,
		.verbose = o->verbose,
	};
	int err;

	objects_each(t->objs, need_object, &cfg.needs);
	err = tracer_open(&cfg, on_record, t, &t->tr);
	if (err) {
		diag("cannot load the BPF programs: %s (kernel %s; -vvv shows libbpf's details)",
		     strerror(-err), t->kf.release);
		return exit_code(STAGE_KERNEL, err);
	}
	t->at = (struct attacher){ .tr = t->tr, .per_process = !o->children, .verbose = o->verbose };
	t->fw = (struct follower){ .procs = t->procs, .objs = t->objs, .at = &t->at, .tr = t->tr };
	for (int i = 0; i < t->ntargets; i++) {
		err = tracer_add_process(t->tr, t->targets[i]);
		if (err) {
			diag("cannot trace process %d: %s", (int)t->targets[i], strerror(-err));
			return exit_code(STAGE_KERNEL, err);
		}
	}
	return 0;
}

/* Attaches etltrace's own marker library wherever it may be installed,
 * for the targets (or every process, following children). A library that
 * is not there is skipped; one that cannot be attached is said. */
static void attach_known_libraries(struct trace *t)
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
		obj = objects_get(t->objs, st.st_dev, st.st_ino, cand[i], path, 1, &err);
		for (int k = 0; obj && k < (t->at.per_process ? t->ntargets : 1); k++)
			attach_object(&t->at, obj, t->at.per_process ? t->targets[k] : 0);
	}
	for (int i = 0; i < 3; i++)
		free(cand[i]);
}

/* Waits until the command stops (at its exec or its entry point). */
static int wait_stopped(struct trace *t)
{
	if (waitpid(t->cmd.pid, &t->cmd_status, WUNTRACED) != t->cmd.pid)
		return -errno;
	if (WIFSTOPPED(t->cmd_status))
		return 0;
	t->cmd_reaped = true;
	return -ECHILD;
}

/* -- CMD: runs the command up to its entry point, its executable and then
 * its libraries attached on the way (BPF stops it at its exec, then at its
 * entry point), and leaves it stopped for the caller to continue. */
static int start_command(struct trace *t)
{
	struct process *p = procs_latest(t->procs, t->cmd.pid);
	int err;

	t->fw.setup_pid = t->cmd.pid;
	err = command_start(&t->cmd);
	if (err) {
		t->cmd_reaped = true;
		diag("cannot run %s: %s", t->cmd.exe, strerror(-err));
		return ETL_EXIT_USAGE;
	}
	err = wait_stopped(t);
	if (!err) {
		procs_exec(t->procs, p, now_ns());
		err = follow_exec(&t->fw, p);
		if (err == -ENOEXEC) {
			diag("cannot trace %s: its executable has no entry point", t->cmd.exe);
			return ETL_EXIT_USAGE;
		}
	}
	if (!err) {
		kill(t->cmd.pid, SIGCONT);
		err = wait_stopped(t);
	}
	if (err) {
		diag("%s exited before reaching its entry point", t->cmd.exe);
		return ETL_EXIT_FAILURE;
	}
	follow_entry(&t->fw, p);
	/* Its exec and entry events are in the rings: read them now. */
	if (drain(t, false))
		return ETL_EXIT_FAILURE;
	t->fw.setup_pid = 0;
	if (t->at.marked_seen)
		return 0;
	t->searched = attach_searched(p);
	if (t->at.nobjects)
		return 0;
	attach_no_markers(t->cmd.pid, t->searched, false);
	return ETL_EXIT_NO_MARKERS;
}

static int attach_targets(struct trace *t)
{
	for (int i = 0; i < t->ntargets && !t->cmd_spawned; i++) {
		attach_image(&t->at, procs_latest(t->procs, t->targets[i]));
		if (t->at.err)
			return exit_code(STAGE_KERNEL, t->at.err);
	}
	attach_known_libraries(t);
	if (t->cmd_spawned)
		return start_command(t);
	return t->at.err ? exit_code(STAGE_KERNEL, t->at.err) : 0;
}

static void print_ready(const struct trace *t)
{
	diag("ready: tracing %d process%s (%zu probe sites in %zu object%s); Ctrl-C to stop",
	     t->ntargets, t->ntargets == 1 ? "" : "es", t->at.nsites, t->at.nobjects,
	     t->at.nobjects == 1 ? "" : "s");
}

/* Registers every source of the loop. */
static int watch(struct trace *t, struct target_watch *w)
{
	int err = loop_new(&t->loop);

	err = err ?: loop_add_fd(t->loop, tracer_poll_fd(t->tr), EPOLLIN, on_drain, t);
	err = err ?: loop_add_fd(t->loop, t->sigfd, EPOLLIN, on_signal, t);
	if (!err && loop_add_timer(t->loop, 0, DRAIN_NS, on_drain, t) < 0)
		err = -errno;
	if (!err && loop_add_timer(t->loop, 0, RESCAN_NS, on_rescan, t) < 0)
		err = -errno;
	if (!err && t->o->duration > 0 &&
	    loop_add_timer(t->loop, (uint64_t)(t->o->duration * 1e9), UINT64_MAX / 2, on_deadline,
			   t) < 0)
		err = -errno;
	for (int i = 0; i < t->ntargets && !err; i++) {
		w[i] = (struct target_watch){ t, i };
		err = loop_add_fd(t->loop, t->pidfds[i], EPOLLIN, on_pidfd, &w[i]);
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

#define NCOUNTERS (ETL_CNT__MAX + 6)

/* Every counter of the report, in order. */
static void counters_of(const struct trace *t, const uint64_t bpf[ETL_CNT__MAX],
			struct report_counter *out, size_t *n)
{
	*n = 0;
	for (int i = 0; i < ETL_CNT__MAX; i++)
		out[(*n)++] = (struct report_counter){ bpf_counter_keys[i], bpf[i] };
	out[(*n)++] = (struct report_counter){ "records", t->in.records };
	out[(*n)++] = (struct report_counter){ "names_resolved_by_loader", t->in.names_resolved };
	out[(*n)++] = (struct report_counter){ "names_unresolved", t->in.names_unresolved };
	out[(*n)++] = (struct report_counter){ "names_truncated", t->in.names_truncated };
	out[(*n)++] = (struct report_counter){ "operations_over_limit",
					       stats_over_limit(t->stats) };
	out[(*n)++] = (struct report_counter){ "records_malformed",
					       tracer_short_records(t->tr) };
}

/* One line on stderr when the rings overflowed: how much was lost and
 * what to raise. */
static void say_losses(const struct trace *t, const uint64_t bpf[ETL_CNT__MAX])
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
	     t->o->ringbuf_mb);
}

/* Ends the trace: nothing more runs in BPF, what is still open is taken as
 * unfinished, every record is read; then the report. */
static int finish(struct trace *t)
{
	struct report_counter counters[NCOUNTERS];
	uint64_t bpf[ETL_CNT__MAX];
	pid_t pids[OPTIONS_MAX_PIDS];
	struct report_input in = {
		.pids = pids,
		.npids = (size_t)t->ntargets,
		.counters = counters,
		.th = t->o->set.th,
	};
	int err;

	t->fw.finishing = true;
	tracer_detach_probes(t->tr);
	err = tracer_open_frames(t->tr, true);
	tracer_detach_hooks(t->tr);
	err = drain(t, true) ?: err;
	t->end_ns = now_ns();
	if (err < 0) {
		diag("cannot read the operations still open: %s", strerror(-err));
		return ETL_EXIT_FAILURE;
	}
	err = tracer_counters(t->tr, bpf);
	if (err) {
		diag("cannot read the BPF counters: %s", strerror(-err));
		return ETL_EXIT_FAILURE;
	}
	counters_of(t, bpf, counters, &in.ncounters);
	say_losses(t, bpf);
	/* Nothing stays loaded while the report is written. */
	tracer_close(t->tr);
	t->tr = NULL;
	/* A command with no markers at its start, run in case it loaded a
	 * marker library later (a Python job importing etltrace), that never
	 * did: no report. */
	if (t->cmd_spawned && !t->at.marked_seen && !bpf[ETL_CNT_STARTS] && !bpf[ETL_CNT_ENDS]) {
		attach_no_markers(t->cmd.pid, t->searched, true);
		return ETL_EXIT_NO_MARKERS;
	}
	if (t->stats_err) {
		diag("out of memory while aggregating operations");
		return ETL_EXIT_FAILURE;
	}
	for (int i = 0; i < t->ntargets; i++)
		pids[i] = t->targets[i];
	in.stats = t->stats;
	in.wall_seconds = (double)(t->end_ns - t->t0_ns) / 1e9;
	return exit_code(STAGE_OUTPUT, deliver_report(&t->rs, t->o->set.regression_factor, &in,
						      t->has_base ? &t->base : NULL,
						      &t->nregressions));
}

/* -d ended the trace before the command: it runs on, untraced (nothing is
 * attached any more), and etltrace passes INT and TERM on until it ends. */
static void wait_command(struct trace *t)
{
	struct pollfd pfd[2] = {
		{ .fd = t->pidfds[0], .events = POLLIN },
		{ .fd = t->sigfd, .events = POLLIN },
	};
	struct signalfd_siginfo si;

	while (poll(pfd, 2, -1) >= 0 || errno == EINTR) {
		if (pfd[1].revents & POLLIN && read(t->sigfd, &si, sizeof(si)) == sizeof(si))
			kill(t->cmd.pid, (int)si.ssi_signo);
		if (pfd[0].revents & (POLLIN | POLLHUP))
			break;
	}
	if (waitpid(t->cmd.pid, &t->cmd_status, 0) == t->cmd.pid)
		t->cmd_reaped = true;
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

static void cleanup(struct trace *t)
{
	if (t->tr) {
		/* A failed set-up may leave processes stopped at an exec: the
		 * events still in the rings continue them. */
		t->fw.finishing = true;
		tracer_detach_probes(t->tr);
		tracer_detach_hooks(t->tr);
		tracer_drain(t->tr);
	}
	tracer_close(t->tr);
	if (t->cmd_spawned) {
		if (t->cmd.gate_fd >= 0)
			command_cancel(&t->cmd);
		command_free(&t->cmd);
	}
	loop_free(t->loop);
	attach_free(&t->at);
	procs_free(t->procs);
	objects_free(t->objs);
	for (int i = 0; i < t->ntargets; i++)
		if (t->pidfds[i] >= 0)
			close(t->pidfds[i]);
	if (t->sigfd >= 0)
		close(t->sigfd);
	if (t->log_open)
		oplog_close(&t->log);
	perf_ops_free(&t->base);
	intake_free(&t->in);
	stats_free(t->stats);
	free(t->searched);
}

/* Everything before the ready line. Returns 0 or an exit code. */
static int setup(struct trace *t)
{
	const struct options *o = t->o;
	sigset_t ignored;
	char why[320];
	int rc, err;

	rc = check_inputs_outputs(t);
	if (rc)
		return rc;
	err = preflight_privileges(why, sizeof(why)) ?: preflight_kernel(&t->kf, why, sizeof(why));
	if (err) {
		diag("%s", why);
		return exit_code(STAGE_KERNEL, err);
	}
	t->stats = stats_new((size_t)o->set.max_operations);
	t->objs = objects_new();
	t->procs = procs_new();
	if (!t->stats || !t->objs || !t->procs) {
		diag("out of memory");
		return ETL_EXIT_FAILURE;
	}
	intake_init(&t->in, t->procs);
	intake_add_sink(&t->in, stats_sink, t);
	err = setup_signals(t);
	if (err) {
		diag("cannot set up signal handling: %s", strerror(-err));
		return ETL_EXIT_FAILURE;
	}
	if (o->cmd) {
		sigemptyset(&ignored);
		err = command_spawn(o->cmd, &t->orig_mask, &ignored, &t->cmd);
		if (err) {
			diag("cannot run %s: %s", o->cmd[0], strerror(-err));
			return ETL_EXIT_USAGE;
		}
		t->cmd_spawned = true;
		err = add_target(t, t->cmd.pid);
		if (err) {
			diag("cannot watch %s: %s", o->cmd[0], strerror(-err));
			return ETL_EXIT_FAILURE;
		}
	} else {
		rc = check_pids(t);
		if (rc)
			return rc;
	}
	/* A reader of our stdout or log going away must not kill the trace:
	 * writes then fail with EPIPE. The command restores the default. */
	signal(SIGPIPE, SIG_IGN);
	return open_log(t) ?: open_tracer(t) ?: attach_targets(t);
}

int trace_run(const struct options *o)
{
	struct trace t = { .o = o, .rs = o->report, .sigfd = -1 };
	struct target_watch w[OPTIONS_MAX_PIDS];
	int rc, err;

	if (!o->set.profiling)
		return run_unprofiled(o);
	t.rs.stdout_closed = out_guard_stdio();
	rc = setup(&t);
	if (rc)
		goto cleanup;
	err = watch(&t, w);
	if (err) {
		diag("cannot set up the run loop: %s", strerror(-err));
		rc = ETL_EXIT_FAILURE;
		goto cleanup;
	}
	t.t0_ns = now_ns();
	print_ready(&t);
	if (t.cmd_spawned)
		kill(t.cmd.pid, SIGCONT);
	err = loop_run(t.loop);
	if (err < 0) {
		diag("the trace stopped: %s", strerror(-err));
		rc = ETL_EXIT_FAILURE;
		goto cleanup;
	}
	rc = finish(&t);
	if (t.cmd_spawned && !t.cmd_reaped)
		wait_command(&t);
	if (!rc && t.log_open && t.log.error)
		rc = ETL_EXIT_OUTPUT;
	if (!rc && t.cmd_spawned && t.cmd_reaped)
		rc = command_exit_code(t.cmd_status);
	if (!rc && t.nregressions)
		rc = ETL_EXIT_REGRESSION;
cleanup:
	if (rc && t.cmd_spawned && !t.cmd_reaped && t.cmd.gate_fd < 0) {
		kill(t.cmd.pid, SIGKILL);
		waitpid(t.cmd.pid, NULL, 0);
	}
	cleanup(&t);
	return rc;
}
