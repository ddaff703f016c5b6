/* SPDX-License-Identifier: MIT */
/*
 * options.h - command line and configuration of one etltrace run.
 */
#ifndef ETLTRACE_OPTIONS_H
#define ETLTRACE_OPTIONS_H

#include <stdbool.h>
#include <sys/types.h>

#include "cli/config.h"
#include "cli/exitcode.h"
#include "output/deliver.h"
#include "usdt/pairs.h"

enum run_mode {
	MODE_TRACE,   /* etltrace [OPTION...] -p PID... | -- CMD */
	MODE_COMPARE, /* etltrace compare [OPTION...] BASELINE CURRENT */
};

/* --log-filter may be given this many times, -p this many. */
#define LOG_FILTER_MAX 64
#define OPTIONS_MAX_PIDS 64

struct options {
	enum run_mode mode;
	pid_t pids[OPTIONS_MAX_PIDS];
	int npids;
	char **cmd;            /* argv of `-- CMD ARGS...`, or NULL */
	double duration;       /* seconds; 0 = until Ctrl-C or target exit */
	struct report_settings report; /* -o, --format, --save-baseline, --baseline */
	int verbose;           /* 0..3; 3 also shows libbpf's messages */
	struct settings set;   /* defaults < --config file < flags */
	const char *config;    /* --config FILE, or NULL */
	bool log;              /* --log given */
	const char *log_file;  /* --log=FILE; NULL = stderr */
	const char *log_filters[LOG_FILTER_MAX]; /* --log-filter NAME: only these */
	int nlog_filters;
	const char *compare[2];    /* MODE_COMPARE: BASELINE, CURRENT */
	const char *binaries[OPTIONS_MAX_PIDS]; /* -b PATH: every process running them */
	int nbinaries;
	double interval;       /* -i: seconds between interval reports; 0 none */
	bool resources;        /* collect CPU, faults and I/O per operation */
	bool children;         /* trace what traced processes fork (--no-children) */
	unsigned int ringbuf_mb;
	size_t timeline_max;   /* --timeline-max-events */
	struct probe_pairs pairs; /* --probe */
};

/* Fills `o` from argv, then from the --config file for the settings no
 * flag gave. Returns true when the run goes on; false when etltrace should
 * exit with *status (0 after --help/--version, ETL_EXIT_USAGE or
 * ETL_EXIT_CONFIG after printing one line on stderr). Pointers in `o`
 * point into argv. */
bool options_parse(int argc, char **argv, struct options *o, int *status);

#endif /* ETLTRACE_OPTIONS_H */
