/* SPDX-License-Identifier: MIT */
/*
 * options.h - command line and configuration of one etltrace run.
 */
#ifndef ETLTRACE_OPTIONS_H
#define ETLTRACE_OPTIONS_H

#include <stdbool.h>
#include <sys/types.h>

#include "etltrace.h"
#include "report.h"

/* Documented exit codes (README.md, `etltrace --help`). When a command is
 * run (`-- CMD`) and tracing succeeds, its own exit status is returned. */
enum etl_exit {
	ETL_EXIT_OK = 0,
	ETL_EXIT_FAILURE = 1,    /* runtime failure (BPF load/attach, I/O) */
	ETL_EXIT_USAGE = 2,      /* unknown option or bad value */
	ETL_EXIT_NO_TARGET = 3,  /* no such process, or not a user process */
	ETL_EXIT_NO_MARKERS = 4, /* no etl USDT markers in the target's objects */
	ETL_EXIT_PERM = 5,       /* not root / missing capabilities */
	ETL_EXIT_KERNEL = 6,     /* kernel lacks BTF, uprobes or BPF */
	ETL_EXIT_OUTPUT = 7,     /* the report could not be written */
};

enum report_format { FORMAT_TEXT, FORMAT_JSON };

struct options {
	pid_t pids[ETL_MAX_TGIDS];
	int npids;
	char **cmd;            /* argv of `-- CMD ARGS...`, or NULL */
	double duration;       /* seconds; 0 = until Ctrl-C or target exit */
	const char *output;    /* report file; NULL = stdout */
	enum report_format format;
	int verbose;           /* 0..3; 3 also shows libbpf's messages */
	struct thresholds th;
	bool resources;        /* collect CPU, faults and I/O per operation */
	unsigned int ringbuf_mb;
};

/* Fills `o` from argv. On success returns -1 and the run goes on; otherwise
 * returns the exit code to leave with (0 after --help/--version, or
 * ETL_EXIT_USAGE after printing one line on stderr). */
int options_parse(int argc, char **argv, struct options *o);

#endif /* ETLTRACE_OPTIONS_H */
