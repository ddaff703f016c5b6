/* SPDX-License-Identifier: MIT */
/*
 * options.h - command line and configuration of one etltrace run.
 */
#ifndef ETLTRACE_OPTIONS_H
#define ETLTRACE_OPTIONS_H

#include <stdbool.h>
#include <sys/types.h>

#include "cli/config.h"
#include "etltrace.h"
#include "report/report.h"

/* Documented exit codes (README.md, `etltrace --help`). When a command is
 * run (`-- CMD`) and tracing succeeds, its own exit status is returned
 * (unless it is 0 and a regression was found: then ETL_EXIT_REGRESSION). */
enum etl_exit {
	ETL_EXIT_OK = 0,
	ETL_EXIT_FAILURE = 1,    /* runtime failure (BPF load/attach, I/O) */
	ETL_EXIT_USAGE = 2,      /* unknown option or bad value */
	ETL_EXIT_NO_TARGET = 3,  /* no such process, or not a user process */
	ETL_EXIT_NO_MARKERS = 4, /* no etl USDT markers in the target's objects */
	ETL_EXIT_PERM = 5,       /* not root / missing capabilities */
	ETL_EXIT_KERNEL = 6,     /* kernel lacks BTF, uprobes or BPF */
	ETL_EXIT_OUTPUT = 7,     /* the report, baseline or log could not be written */
	ETL_EXIT_CONFIG = 8,     /* bad --config file, or unusable baseline/report file */
	ETL_EXIT_REGRESSION = 9, /* an operation regressed against the baseline */
};

enum report_format { FORMAT_TEXT, FORMAT_JSON };

enum run_mode {
	MODE_TRACE,   /* etltrace [OPTION...] -p PID... | -- CMD */
	MODE_COMPARE, /* etltrace compare [OPTION...] BASELINE CURRENT */
};

/* --log-filter may be given this many times. */
#define LOG_FILTER_MAX 64

struct options {
	enum run_mode mode;
	pid_t pids[ETL_MAX_TGIDS];
	int npids;
	char **cmd;            /* argv of `-- CMD ARGS...`, or NULL */
	double duration;       /* seconds; 0 = until Ctrl-C or target exit */
	const char *output;    /* report file; NULL = stdout */
	enum report_format format;
	int verbose;           /* 0..3; 3 also shows libbpf's messages */
	struct settings set;   /* defaults < --config file < flags */
	const char *config;    /* --config FILE, or NULL */
	bool log;              /* --log given */
	const char *log_file;  /* --log=FILE; NULL = stderr */
	const char *log_filters[LOG_FILTER_MAX]; /* --log-filter NAME: only these */
	int nlog_filters;
	const char *baseline;      /* --baseline FILE, or NULL */
	const char *save_baseline; /* --save-baseline FILE, or NULL */
	const char *compare[2];    /* MODE_COMPARE: BASELINE, CURRENT */
	bool resources;        /* collect CPU, faults and I/O per operation */
	unsigned int ringbuf_mb;
};

/* Fills `o` from argv, then from the --config file for the settings no
 * flag gave. On success returns -1 and the run goes on; otherwise returns
 * the exit code to leave with (0 after --help/--version, ETL_EXIT_USAGE or
 * ETL_EXIT_CONFIG after printing one line on stderr). Pointers in `o` point
 * into argv. */
int options_parse(int argc, char **argv, struct options *o);

#endif /* ETLTRACE_OPTIONS_H */
