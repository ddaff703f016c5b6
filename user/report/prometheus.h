/* SPDX-License-Identifier: MIT */
/*
 * prometheus.h - the metrics endpoint's page: the Prometheus text
 * exposition format (0.0.4). Per (command, operation): completed and
 * unfinished operations, a duration histogram, memory, CPU, faults, I/O
 * and records; operations open now; every counter of the report as
 * etltrace_<counter>_total; processes traced now; build information.
 * Base units (seconds, bytes); label values escaped as the format says,
 * with invalid UTF-8 replaced; operations whose names become alike that way
 * stay apart, the later series' operation label ending in "#2", "#3"...
 */
#ifndef ETLTRACE_PROMETHEUS_H
#define ETLTRACE_PROMETHEUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "collect/series.h"
#include "report/report.h"

/* Operations open now, per (command, operation). */
struct open_count {
	const char *command, *operation;
	uint64_t n;
};

struct metrics_input {
	const struct series_set *series;
	const struct report_counter *counters; /* etltrace_<key>_total */
	size_t ncounters;
	const struct open_count *open;
	size_t nopen;
	uint64_t traced_processes;
	double slow_threshold_seconds; /* for alerting rules */
	double memory_threshold_bytes;
	const char *version, *kernel, *attach;
};

/* Writes the page. Returns 0, -ENOMEM or -EIO. */
int prometheus_write(const struct metrics_input *in, FILE *f);

/* The metric names prometheus_write can write (NULL-terminated), for
 * checking rules and dashboards against them. */
extern const char *const prometheus_families[];

#endif /* ETLTRACE_PROMETHEUS_H */
