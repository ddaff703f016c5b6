// SPDX-License-Identifier: MIT
/* session.c - one trace, from checks to report. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "target/attach.h"
#include "report/comparison.h"
#include "target/command.h"
#include "util/diag.h"
#include "output/deliver.h"
#include "collect/intake.h"
#include "util/names.h"
#include "report/oplog.h"
#include "output/outfile.h"
#include "kernel/preflight.h"
#include "report/report.h"
#include "run/trace.h"
#include "collect/stats.h"
#include "target/target.h"
#include "kernel/tracer.h"

/* How often the ring buffer is drained, and how often the targets' maps
 * are re-read for newly loaded objects (dlopen). */
#define DRAIN_MS 50
#define RESCAN_MS 1000

struct session {
	const struct options *o;
	struct tracer *tr;
	struct target targets[ETL_MAX_TGIDS];
	int pidfds[ETL_MAX_TGIDS];
	bool gone[ETL_MAX_TGIDS];
	int ntargets;
	struct command cmd;   /* with -- CMD: targets[0] is the child */
	bool cmd_spawned;
	bool cmd_reaped;
	int cmd_status;
	struct stats *stats;
	struct intake in;
	int sigfd;
	uint64_t t0_ns;   /* tracing started (readiness) */
	uint64_t end_ns;  /* tracing stopped */
	struct oplog log; /* --log */
	bool log_open;
	struct perf_ops base; /* --baseline */
	bool has_base;
	bool stdout_closed;   /* fd 1 was closed when etltrace started */
	size_t nregressions;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int open_tracer(struct session *s)
{
	pid_t pids[ETL_MAX_TGIDS];
	struct tracer_config cfg = {
		.tgids = pids,
		.ntgids = s->ntargets,
		.resources = s->o->resources,
		.ringbuf_bytes = s->o->ringbuf_mb << 20,
		.verbose = s->o->verbose,
	};
	int err;

	for (int i = 0; i < s->ntargets; i++)
		pids[i] = s->targets[i].pid;
	err = tracer_open(&cfg, intake_record, &s->in, &s->tr);
	if (!err)
		return 0;
	diag("cannot load the BPF program: %s%s", strerror(-err),
		 err == -EPERM ? " (run as root, or check kernel.unprivileged_bpf_disabled "
				 "and lockdown)" : " (-vvv shows libbpf's details)");
	return err == -EPERM ? ETL_EXIT_PERM : ETL_EXIT_KERNEL;
}

static bool all_gone(const struct session *s)
{
	for (int i = 0; i < s->ntargets; i++)
		if (!s->gone[i])
			return false;
	return true;
}

/* Handles readable pidfds: marks exited targets, reaps the command. */
static void check_exits(struct session *s, const struct pollfd *pfd)
{
	for (int i = 0; i < s->ntargets; i++) {
		if (s->gone[i] || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		s->gone[i] = true;
		if (s->cmd_spawned && i == 0 && !s->cmd_reaped &&
		    waitpid(s->targets[0].pid, &s->cmd_status, 0) == s->targets[0].pid)
			s->cmd_reaped = true;
	}
}

/* Makes this drain's log lines visible; says once if writing them failed
 * (logging then stops, and etltrace exits ETL_EXIT_OUTPUT). */
static void flush_log(struct session *s)
{
	int err;

	if (!s->log_open)
		return;
	err = oplog_flush(&s->log);
	if (err)
		diag("cannot write the log to %s: %s; logging stopped",
			 s->o->log_file ? s->o->log_file : "stderr", strerror(-err));
}

/* Drains until a signal, the deadline, or every target's exit. */
static int trace_loop(struct session *s)
{
	struct pollfd pfd[ETL_MAX_TGIDS + 2];
	uint64_t deadline = s->o->duration > 0 ? s->t0_ns + (uint64_t)(s->o->duration * 1e9) : 0;
	uint64_t next_scan = s->t0_ns + RESCAN_MS * 1000000ull;
	int n = s->ntargets;

	for (int i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = s->pidfds[i], .events = POLLIN };
	pfd[n] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
	pfd[n + 1] = (struct pollfd){ .fd = tracer_poll_fd(s->tr), .events = POLLIN };
	for (;;) {
		uint64_t now;

		if (poll(pfd, (nfds_t)n + 2, DRAIN_MS) < 0 && errno != EINTR) {
			diag("poll failed: %s", strerror(errno));
			return ETL_EXIT_FAILURE;
		}
		if (tracer_drain(s->tr) < 0) {
			diag("reading the ring buffer failed");
			return ETL_EXIT_FAILURE;
		}
		flush_log(s);
		check_exits(s, pfd);
		if (pfd[n].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(s->sigfd, &si, sizeof(si)) == sizeof(si) && s->cmd_spawned &&
			    !s->cmd_reaped) {
				/* The command ends the trace: pass the signal on, wait. */
				kill(s->targets[0].pid, (int)si.ssi_signo);
			} else {
				return 0;
			}
		}
		if (all_gone(s))
			return 0;
		now = now_ns();
		if (deadline && now >= deadline)
			return 0;
		if (now >= next_scan) {
			for (int i = 0; i < n; i++) {
				if (s->gone[i] || target_scan(&s->targets[i]) <= 0)
					continue;
				/* A library loaded later that cannot be attached
				 * (said on stderr) does not end the trace of the
				 * rest; the others are still attached. */
				while (attach_objects(s->tr, &s->targets[i], s->o->verbose) < 0)
					;
			}
			next_scan = now + RESCAN_MS * 1000000ull;
		}
	}
}

/* Adds the operations still open in the live targets' threads. */
static void collect_open(struct session *s)
{
	uint64_t now = now_ns();

	for (int i = 0; i < s->ntargets; i++) {
		char path[64];
		struct dirent *de;
		DIR *d;

		if (s->gone[i])
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task", (int)s->targets[i].pid);
		d = opendir(path);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			struct etl_thread_stack st;
			pid_t tid = (pid_t)atoi(de->d_name);

			if (tid > 0 && !tracer_thread_stack(s->tr, tid, &st) && st.depth)
				intake_open_frames(&s->in, s->targets[i].pid, tid, &st, now);
		}
		closedir(d);
	}
}

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
};

/* Writes the report, the comparison and the baseline file. Returns 0 or an
 * exit code. */
static int write_report(struct session *s, const uint64_t bpf_counts[ETL_CNT__MAX])
{
	struct report_counter counters[ETL_CNT__MAX + 4];
	pid_t pids[ETL_MAX_TGIDS];
	struct report_input in = {
		.stats = s->stats,
		.pids = pids,
		.npids = (size_t)s->ntargets,
		.wall_seconds = (double)(s->end_ns - s->t0_ns) / 1e9,
		.counters = counters,
		.th = s->o->set.th,
	};

	for (int i = 0; i < s->ntargets; i++)
		pids[i] = s->targets[i].pid;
	for (int i = 0; i < ETL_CNT__MAX; i++)
		counters[in.ncounters++] = (struct report_counter){ bpf_counter_keys[i], bpf_counts[i] };
	counters[in.ncounters++] = (struct report_counter){ "records", s->in.records };
	counters[in.ncounters++] =
		(struct report_counter){ "names_resolved_by_loader", s->in.names_resolved };
	counters[in.ncounters++] =
		(struct report_counter){ "names_unresolved", s->in.names_unresolved };
	counters[in.ncounters++] =
		(struct report_counter){ "operations_over_limit", stats_over_limit(s->stats) };
	return deliver_report(s->o, &in, s->has_base ? &s->base : NULL, s->stdout_closed,
			      &s->nregressions);
}

/* Ends the trace: last drain, open operations, counters, detach, report. */
static int finish(struct session *s)
{
	uint64_t counts[ETL_CNT__MAX];
	int err;

	tracer_drain(s->tr);
	collect_open(s);
	err = tracer_counters(s->tr, counts);
	tracer_drain(s->tr);
	s->end_ns = now_ns();
	flush_log(s);
	if (err) {
		diag("cannot read the BPF counters: %s", strerror(-err));
		return ETL_EXIT_FAILURE;
	}
	if (s->in.error) {
		diag("out of memory while aggregating operations");
		return ETL_EXIT_FAILURE;
	}
	/* The report first: detaching costs the kernel an RCU grace period
	 * per probe site (~0.1 s each here), which the user need not wait
	 * for to read it. cleanup() detaches before etltrace exits. */
	return write_report(s, counts);
}

static int setup_signals(struct session *s)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return s->sigfd < 0 ? -errno : 0;
}

static int open_pidfds(struct session *s)
{
	for (int i = 0; i < s->ntargets; i++) {
		s->pidfds[i] = (int)syscall(SYS_pidfd_open, s->targets[i].pid, 0);
		if (s->pidfds[i] < 0) {
			diag("process %d is gone", (int)s->targets[i].pid);
			return ETL_EXIT_NO_TARGET;
		}
	}
	return 0;
}

static void cleanup(struct session *s)
{
	tracer_close(s->tr);
	if (s->cmd_spawned) {
		if (s->cmd.gate_fd >= 0)
			command_cancel(&s->cmd);
		command_free(&s->cmd);
	}
	for (int i = 0; i < s->ntargets; i++) {
		if (s->pidfds[i] >= 0)
			close(s->pidfds[i]);
		target_free(&s->targets[i]);
	}
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->log_open)
		oplog_close(&s->log);
	perf_ops_free(&s->base);
	intake_free(&s->in);
	stats_free(s->stats);
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

/* Checks made before anything is traced: the report's destinations and the
 * baseline. Returns 0 or an exit code after printing one line. */
static int check_outputs(struct session *s)
{
	char err[640];
	int rc = deliver_check(s->o, "the report", s->stdout_closed);

	if (rc || !s->o->baseline)
		return rc;
	if (perf_ops_load("baseline", s->o->baseline, &s->base, err, sizeof(err))) {
		diag("%s", err);
		return ETL_EXIT_CONFIG;
	}
	s->has_base = true;
	return 0;
}

/* --log: opens the log and hooks it to the intake. Returns 0 or an exit
 * code after printing one line. */
static int open_log(struct session *s)
{
	int err;

	if (!s->o->log)
		return 0;
	err = oplog_open(&s->log, s->o->log_file, s->o->log_filters, (size_t)s->o->nlog_filters);
	if (err) {
		diag("cannot open the log %s: %s", s->o->log_file,
			 err == -ELOOP ? "it is a symbolic link (refused)" : strerror(-err));
		return ETL_EXIT_OUTPUT;
	}
	s->log_open = true;
	s->in.hook = oplog_hook;
	s->in.hook_ctx = &s->log;
	return 0;
}

int session_run(const struct options *o)
{
	struct session s = { .o = o, .sigfd = -1 };
	char why[256];
	int rc, err;

	for (int i = 0; i < ETL_MAX_TGIDS; i++)
		s.pidfds[i] = -1;
	if (!o->set.profiling)
		return run_unprofiled(o);
	s.stdout_closed = out_guard_stdio();
	rc = check_outputs(&s);
	if (rc) {
		perf_ops_free(&s.base);
		return rc;
	}
	rc = preflight_check(why, sizeof(why));
	if (rc) {
		diag("%s", why);
		perf_ops_free(&s.base);
		return rc;
	}
	s.stats = stats_new((size_t)o->set.max_operations);
	if (!s.stats || setup_signals(&s)) {
		diag("cannot set up: %s", strerror(errno));
		rc = ETL_EXIT_FAILURE;
		goto cleanup;
	}
	if (o->cmd) {
		err = command_spawn(o->cmd, &s.cmd);
		if (err) {
			diag("cannot run %s: %s", o->cmd[0], strerror(-err));
			rc = ETL_EXIT_USAGE;
			goto cleanup;
		}
		s.cmd_spawned = true;
		target_init(&s.targets[0], s.cmd.pid);
		s.ntargets = 1;
	} else {
		rc = attach_check_pids(o->pids, o->npids, s.targets, &s.ntargets);
		if (rc)
			goto cleanup;
	}
	/* A reader of our stdout or log going away must not kill the trace:
	 * writes then fail with EPIPE. The command, forked above, keeps the
	 * default. */
	signal(SIGPIPE, SIG_IGN);
	intake_init(&s.in, s.stats, s.targets, (size_t)s.ntargets);
	rc = open_log(&s);
	if (rc)
		goto cleanup;
	rc = open_tracer(&s);
	if (rc)
		goto cleanup;
	rc = open_pidfds(&s);
	if (rc)
		goto cleanup;
	if (o->cmd) {
		rc = attach_command(s.tr, &s.targets[0], &s.cmd, o->verbose, &s.cmd_reaped,
				    &s.cmd_status);
		if (rc) {
			if (!s.cmd_reaped)
				kill(s.cmd.pid, SIGKILL);
			goto cleanup;
		}
	} else {
		for (int i = 0; i < s.ntargets; i++) {
			err = attach_objects(s.tr, &s.targets[i], o->verbose);
			if (err < 0) {
				rc = -err;
				goto cleanup;
			}
		}
	}
	s.t0_ns = now_ns();
	attach_print_ready(s.targets, s.ntargets);
	if (o->cmd)
		kill(s.cmd.pid, SIGCONT);
	rc = trace_loop(&s);
	if (!rc)
		rc = finish(&s);
	if (s.cmd_spawned && !s.cmd_reaped && !rc) {
		/* -d ended the trace: the command runs on, untraced, to its end. */
		if (waitpid(s.cmd.pid, &s.cmd_status, 0) == s.cmd.pid)
			s.cmd_reaped = true;
	}
	if (!rc && s.log_open && s.log.error)
		rc = ETL_EXIT_OUTPUT;
	if (!rc && s.cmd_spawned && s.cmd_reaped)
		rc = command_exit_code(s.cmd_status);
	if (!rc && s.nregressions)
		rc = ETL_EXIT_REGRESSION;
cleanup:
	if (rc && s.cmd_spawned && !s.cmd_reaped && s.cmd.gate_fd < 0) {
		kill(s.cmd.pid, SIGKILL);
		waitpid(s.cmd.pid, NULL, 0);
	}
	cleanup(&s);
	return rc;
}
