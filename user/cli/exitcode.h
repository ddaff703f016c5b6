/* SPDX-License-Identifier: MIT */
/*
 * exitcode.h - etltrace's documented exit codes (README.md, --help), and the
 * one place where a failure becomes one. Mechanisms report failures as
 * negative errno values after printing their one diagnostic line; the run
 * that called them knows the stage and asks exit_code() for the status.
 */
#ifndef ETLTRACE_EXITCODE_H
#define ETLTRACE_EXITCODE_H

/* With `-- CMD`, once tracing succeeded, the command's own exit status is
 * returned instead (unless it is 0 and a regression was found: then
 * ETL_EXIT_REGRESSION). */
enum etl_exit {
	ETL_EXIT_OK = 0,
	ETL_EXIT_FAILURE = 1,    /* runtime failure (BPF load/attach, I/O, memory) */
	ETL_EXIT_USAGE = 2,      /* unknown option, bad value, a command that cannot run */
	ETL_EXIT_NO_TARGET = 3,  /* no such process, or not a user process */
	ETL_EXIT_NO_MARKERS = 4, /* no etl USDT markers (or --probe sites) in the target */
	ETL_EXIT_PERM = 5,       /* not root / missing capabilities */
	ETL_EXIT_KERNEL = 6,     /* the kernel lacks a feature etltrace cannot do without */
	ETL_EXIT_OUTPUT = 7,     /* a report, baseline, log or other output not written */
	ETL_EXIT_CONFIG = 8,     /* bad --config file, or unusable baseline/report file */
	ETL_EXIT_REGRESSION = 9, /* an operation regressed against the baseline */
};

/* Where a failure happened; with its errno it decides the exit code. */
enum etl_stage {
	STAGE_USAGE,  /* the command line, the command to run */
	STAGE_TARGET, /* the processes or binaries to trace */
	STAGE_KERNEL, /* privileges, loading and attaching BPF */
	STAGE_INPUT,  /* --config, baseline and report files */
	STAGE_OUTPUT, /* reports, baselines, logs, the metrics endpoint */
	STAGE_RUN,    /* anything else during a trace */
};

/* The exit code for failure err (a negative errno) at stage. Errors that
 * mean the same everywhere map the same everywhere: -EPERM and -EACCES to
 * ETL_EXIT_PERM (except for files: outputs and inputs), -ENOMEM to
 * ETL_EXIT_FAILURE. At STAGE_TARGET -ESRCH is ETL_EXIT_NO_TARGET and
 * -ENODATA ETL_EXIT_NO_MARKERS; at STAGE_KERNEL -EOPNOTSUPP, -ENOSYS and
 * -EINVAL are ETL_EXIT_KERNEL. Anything else is the stage's own code. */
int exit_code(enum etl_stage stage, int err);

#endif /* ETLTRACE_EXITCODE_H */
