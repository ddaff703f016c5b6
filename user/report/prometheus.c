// SPDX-License-Identifier: MIT
/* prometheus.c - the text exposition format, see prometheus.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/prometheus.h"
#include "report/units.h"
#include "util/names.h"

/* The per-operation families with a single value per series. */
enum field { F_OPS, F_UNFIN, F_CPU, F_OFF, F_MINFLT, F_MAJFLT, F_READ, F_WRITE, F_RECORDS };

static const struct family {
	const char *name, *type, *help;
	enum field field;
} per_op[] = {
	{ "etltrace_operations_total", "counter", "Operations completed.", F_OPS },
	{ "etltrace_operations_unfinished_total", "counter",
	  "Operations still open when their thread exited or exec'd.", F_UNFIN },
	{ "etltrace_operation_cpu_seconds_total", "counter",
	  "On-CPU time of the operations' threads during them.", F_CPU },
	{ "etltrace_operation_off_cpu_seconds_total", "counter",
	  "Time the operations spent off CPU (waiting: I/O, locks, sleep).", F_OFF },
	{ "etltrace_operation_minor_faults_total", "counter", "Minor page faults.", F_MINFLT },
	{ "etltrace_operation_major_faults_total", "counter", "Major page faults (disk).", F_MAJFLT },
	{ "etltrace_operation_read_bytes_total", "counter",
	  "Bytes passed to read-like system calls.", F_READ },
	{ "etltrace_operation_write_bytes_total", "counter",
	  "Bytes passed to write-like system calls.", F_WRITE },
	{ "etltrace_operation_records_total", "counter",
	  "Records processed, as the operations' ends report them.", F_RECORDS },
};

const char *const prometheus_families[] = {
	"etltrace_operations_total", "etltrace_operations_unfinished_total",
	"etltrace_operation_cpu_seconds_total", "etltrace_operation_off_cpu_seconds_total",
	"etltrace_operation_minor_faults_total", "etltrace_operation_major_faults_total",
	"etltrace_operation_read_bytes_total", "etltrace_operation_write_bytes_total",
	"etltrace_operation_records_total", "etltrace_operation_duration_seconds",
	"etltrace_operation_memory_delta_bytes", "etltrace_operation_peak_memory_delta_bytes",
	"etltrace_operations_open", "etltrace_traced_processes",
	"etltrace_slow_threshold_seconds", "etltrace_memory_threshold_bytes",
	"etltrace_build_info", NULL,
};

/* The report's counters (run_counters), as README.md's table says. */
static const struct {
	const char *key, *help;
} counter_help[] = {
	{ "starts", "Operation starts seen in traced processes." },
	{ "ends", "Operation ends seen in traced processes." },
	{ "ringbuf_full", "Operation records lost because the ring buffer was full "
			  "(raise --ringbuf-mb)." },
	{ "unmatched_end", "Operation ends with no open operation on their thread." },
	{ "name_mismatch", "Operation ends whose name matched no open operation (dropped)." },
	{ "abandoned", "Inner operations never ended, closed by their outer operation's end." },
	{ "name_unread_by_bpf", "Operation names BPF could not read (left to the loader)." },
	{ "stack_overflow", "Operation starts beyond the open-operation depth limit of a thread." },
	{ "no_thread_storage", "Per-thread state that could not be allocated." },
	{ "peak_untracked", "Operations whose peak memory could not be tracked." },
	{ "probe_arg_unread", "Probes whose name argument could not be read (dropped)." },
	{ "process_events_lost", "Process events lost because the ring buffer was full." },
	{ "processes_not_followed", "Processes not followed: the process map was full." },
	{ "records", "Operation records the loader received." },
	{ "names_resolved_by_loader", "Names BPF could not read that the loader read." },
	{ "names_unresolved", "Names nobody could read (reported as unreadable names)." },
	{ "names_truncated", "Operation names cut at the length limit." },
	{ "operations_over_limit", "Operations reported together as [other operations] beyond "
				   "--max-operations." },
	{ "paths_over_limit", "Samples left out of the operation tree: a table was full." },
	{ "processes_not_reported", "Processes (and samples) left out of the per-process "
				    "report: it was full." },
	{ "metrics_series_over_limit", "Samples of operations beyond --max-operations series, "
				       "left out of these metrics." },
	{ "timeline_events_dropped", "Operations left out of the --timeline file: it was full." },
	{ "records_malformed", "Records shorter than their kind (dropped)." },
};

static const char *help_of(const char *key)
{
	for (size_t i = 0; i < sizeof(counter_help) / sizeof(counter_help[0]); i++)
		if (!strcmp(counter_help[i].key, key))
			return counter_help[i].help;
	return "A counter of the report (see README.md).";
}

static double value(const struct series *s, enum field f)
{
	switch (f) {
	case F_OPS:
		return (double)s->count;
	case F_UNFIN:
		return (double)s->unfinished;
	case F_CPU:
		return sec_of_ns((double)s->cpu_ns);
	case F_OFF:
		return sec_of_ns((double)s->off_cpu_ns);
	case F_MINFLT:
		return (double)s->min_flt;
	case F_MAJFLT:
		return (double)s->maj_flt;
	case F_READ:
		return (double)s->read_bytes;
	case F_WRITE:
		return (double)s->write_bytes;
	case F_RECORDS:
		return (double)s->records;
	}
	return 0;
}

/* A label value: valid UTF-8, with \, " and newline escaped. */
static void put_label(FILE *f, const char *raw)
{
	char *utf8 = name_to_utf8(raw);

	for (const char *p = utf8 ? utf8 : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f), fputc(*p, f);
		else if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	free(utf8);
}

static void put_labels(FILE *f, const char *command, const char *operation, const char *extra)
{
	fputs("{command=\"", f);
	put_label(f, command);
	fputs("\",operation=\"", f);
	put_label(f, operation);
	fputc('"', f);
	if (extra)
		fprintf(f, ",%s", extra);
	fputc('}', f);
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * The label values of each series, valid UTF-8. Two raw names can convert
 * to the same text (they differ only in invalid bytes); two series with
 * the same labels would make Prometheus keep one and drop the other's
 * samples. The later series (in the set's order, which never changes, so a
 * series keeps its label across scrapes) gets "#2", "#3"... appended to its
 * operation, as the JSON report's keys do.
 */
struct labels {
	char **command, **operation; /* per series index */
	size_t n;
};

static void labels_free(struct labels *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->command[i]);
		free(l->operation[i]);
	}
	free(l->command);
	free(l->operation);
}

static bool labels_taken(const struct labels *l, size_t upto, const char *command,
			 const char *operation)
{
	for (size_t j = 0; j < upto; j++)
		if (!strcmp(l->operation[j], operation) && !strcmp(l->command[j], command))
			return true;
	return false;
}

/* Returns 0 or -ENOMEM. */
static int labels_init(struct labels *l, const struct series_set *set)
{
	size_t n = set ? series_count(set) : 0;
	bool changed = false;

	l->n = 0;
	l->command = calloc(n ? n : 1, sizeof(*l->command));
	l->operation = calloc(n ? n : 1, sizeof(*l->operation));
	if (!l->command || !l->operation)
		goto nomem;
	for (; l->n < n; l->n++) {
		const struct series *s = series_at(set, l->n);

		l->command[l->n] = name_to_utf8(s->command);
		l->operation[l->n] = name_to_utf8(s->name);
		if (!l->command[l->n] || !l->operation[l->n]) {
			l->n++;
			goto nomem;
		}
		changed |= strcmp(l->command[l->n], s->command) || strcmp(l->operation[l->n], s->name);
	}
	/* Raw (command, name) pairs are distinct in the set: only a converted
	 * one can meet another, and then the check is worth its n^2. */
	for (size_t i = 1; changed && i < n; i++) {
		char *base = l->operation[i];

		for (unsigned long k = 2; labels_taken(l, i, l->command[i], l->operation[i]); k++) {
			if (l->operation[i] != base)
				free(l->operation[i]);
			if (asprintf(&l->operation[i], "%s#%lu", base, k) < 0) {
				l->operation[i] = base;
				goto nomem;
			}
		}
		if (l->operation[i] != base)
			free(base);
	}
	return 0;
nomem:
	labels_free(l);
	return -ENOMEM;
}

/* The index of the series of (command, name) in their raw bytes, or -1. */
static long series_index(const struct series_set *set, const char *command, const char *name)
{
	size_t n = set ? series_count(set) : 0;

	for (size_t i = 0; i < n; i++) {
		const struct series *s = series_at(set, i);

		if (!strcmp(s->name, name) && !strcmp(s->command, command))
			return (long)i;
	}
	return -1;
}

static void per_operation(FILE *f, const struct series_set *set, const struct labels *l)
{
	size_t n = series_count(set);

	for (size_t k = 0; k < sizeof(per_op) / sizeof(per_op[0]); k++) {
		header(f, per_op[k].name, per_op[k].type, per_op[k].help);
		for (size_t i = 0; i < n; i++) {
			const struct series *s = series_at(set, i);

			fputs(per_op[k].name, f);
			put_labels(f, l->command[i], l->operation[i], NULL);
			fprintf(f, " %.17g\n", value(s, per_op[k].field));
		}
	}
}

static void durations(FILE *f, const struct series_set *set, const struct labels *l)
{
	const char *name = "etltrace_operation_duration_seconds";
	const uint64_t *bounds;
	size_t nb = series_bounds(set, &bounds), n = series_count(set);

	header(f, name, "histogram", "Duration of completed operations.");
	for (size_t i = 0; i < n; i++) {
		const struct series *s = series_at(set, i);
		uint64_t cum = 0;
		char le[48];

		for (size_t b = 0; b < nb; b++) {
			cum += s->buckets[b];
			snprintf(le, sizeof(le), "le=\"%.9g\"", sec_of_ns((double)bounds[b]));
			fprintf(f, "%s_bucket", name);
			put_labels(f, l->command[i], l->operation[i], le);
			fprintf(f, " %llu\n", (unsigned long long)cum);
		}
		fprintf(f, "%s_bucket", name);
		put_labels(f, l->command[i], l->operation[i], "le=\"+Inf\"");
		fprintf(f, " %llu\n%s_sum", (unsigned long long)s->count, name);
		put_labels(f, l->command[i], l->operation[i], NULL);
		fprintf(f, " %.17g\n%s_count", sec_of_ns((double)s->sum_ns), name);
		put_labels(f, l->command[i], l->operation[i], NULL);
		fprintf(f, " %llu\n", (unsigned long long)s->count);
	}
}

/* A summary with only _sum and _count. */
static void memory(FILE *f, const struct series_set *set, const struct labels *l, bool peak)
{
	const char *name = peak ? "etltrace_operation_peak_memory_delta_bytes"
				: "etltrace_operation_memory_delta_bytes";
	size_t n = series_count(set);

	header(f, name, "summary",
	       peak ? "Highest resident memory inside each operation minus at its start."
		    : "Resident memory at each operation's end minus at its start.");
	for (size_t i = 0; i < n; i++) {
		const struct series *s = series_at(set, i);

		fprintf(f, "%s_sum", name);
		put_labels(f, l->command[i], l->operation[i], NULL);
		fprintf(f, " %lld\n%s_count", (long long)(peak ? s->peak_sum : s->mem_sum), name);
		put_labels(f, l->command[i], l->operation[i], NULL);
		fprintf(f, " %llu\n", (unsigned long long)s->count);
	}
}

int prometheus_write(const struct metrics_input *in, FILE *f)
{
	struct labels l;

	if (labels_init(&l, in->series))
		return -ENOMEM;
	if (in->series) {
		per_operation(f, in->series, &l);
		durations(f, in->series, &l);
		memory(f, in->series, &l, false);
		memory(f, in->series, &l, true);
	}
	header(f, "etltrace_operations_open", "gauge", "Operations open now.");
	for (size_t i = 0; i < in->nopen; i++) {
		/* Labelled as the series it will end in; past the series bound
		 * it has none, and its own converted names. */
		long k = series_index(in->series, in->open[i].command, in->open[i].operation);

		fputs("etltrace_operations_open", f);
		if (k >= 0)
			put_labels(f, l.command[k], l.operation[k], NULL);
		else
			put_labels(f, in->open[i].command, in->open[i].operation, NULL);
		fprintf(f, " %llu\n", (unsigned long long)in->open[i].n);
	}
	labels_free(&l);
	for (size_t i = 0; i < in->ncounters; i++) {
		char name[96];

		snprintf(name, sizeof(name), "etltrace_%s_total", in->counters[i].key);
		header(f, name, "counter", help_of(in->counters[i].key));
		fprintf(f, "%s %llu\n", name, (unsigned long long)in->counters[i].value);
	}
	header(f, "etltrace_traced_processes", "gauge", "Processes traced now.");
	fprintf(f, "etltrace_traced_processes %llu\n", (unsigned long long)in->traced_processes);
	header(f, "etltrace_slow_threshold_seconds", "gauge",
	       "avg_time above which an operation is reported slow.");
	fprintf(f, "etltrace_slow_threshold_seconds %.17g\n", in->slow_threshold_seconds);
	header(f, "etltrace_memory_threshold_bytes", "gauge",
	       "max_memory_delta above which an operation is reported as using high memory.");
	fprintf(f, "etltrace_memory_threshold_bytes %.17g\n", in->memory_threshold_bytes);
	header(f, "etltrace_build_info", "gauge", "etltrace's version, kernel and attach mechanism.");
	fputs("etltrace_build_info{version=\"", f);
	put_label(f, in->version);
	fputs("\",kernel=\"", f);
	put_label(f, in->kernel);
	fputs("\",attach=\"", f);
	put_label(f, in->attach);
	fputs("\"} 1\n", f);
	if (fflush(f) == EOF || ferror(f))
		return -EIO;
	return 0;
}
