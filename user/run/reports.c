// SPDX-License-Identifier: MIT
/*
 * reports.c - every report of a trace: the intervals (-i), the one SIGUSR1
 * asks for, the metrics endpoint's pages (/metrics, /report), and the last
 * one with its companions (--save-baseline, --timeline, --html). All are
 * made from the statistics as they are: the loop runs one thing at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "output/outfile.h"
#include "report/html.h"
#include "report/prometheus.h"
#include "report/trace_event.h"
#include "run/run.h"
#include "util/diag.h"

#define VERSION "0.2"

/* Operations open now, by (command, operation). */
struct open_snapshot {
	struct open_count *v;
	size_t n, cap;
};

static void open_free(struct open_snapshot *s)
{
	for (size_t i = 0; s && i < s->n; i++) {
		free((char *)s->v[i].command);
		free((char *)s->v[i].operation);
	}
	if (s)
		free(s->v);
	free(s);
}

/* The snapshot intake's sink: names the tree's paths, counts the open. */
void reports_snapshot_sink(void *ctx, const struct op_event *ev)
{
	struct run *r = ctx;
	struct open_snapshot *s = r->open;
	const char *comm = ev->proc ? ev->proc->comm : "";

	paths_note_open(r->paths, ev);
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].operation, ev->name) && !strcmp(s->v[i].command, comm)) {
			s->v[i].n++;
			return;
		}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct open_count *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = (struct open_count){ strdup(comm), strdup(ev->name), 1 };
	if (s->v[s->n].command && s->v[s->n].operation)
		s->n++;
	else {
		free((char *)s->v[s->n].command);
		free((char *)s->v[s->n].operation);
	}
}

void reports_snapshot_record(struct run *r, const struct etl_op_record *rec)
{
	intake_record(&r->snap, rec);
}

void reports_snapshot_open(struct run *r)
{
	open_free(r->open);
	r->open = calloc(1, sizeof(*r->open));
	r->snapshot = true;
	tracer_open_frames(r->tr, false);
	r->snapshot = false;
}

/* Columns of the terminal the text goes to, 0 if it is not one. */
static unsigned int terminal_width(const struct run *r, FILE *f)
{
	struct winsize ws;

	if (r->rs.wide || r->rs.format != FORMAT_TEXT || !isatty(fileno(f)) ||
	    ioctl(fileno(f), TIOCGWINSZ, &ws) || !ws.ws_col)
		return 0;
	return ws.ws_col;
}

/* Everything a report shows, but the statistics, which the caller picks.
 * procs and counters are the caller's arrays (of nprocs and RUN_NCOUNTERS).
 * Returns 0 or -errno. */
static int fill_input(struct run *r, struct report_input *in, struct report_counter *counters,
		      struct report_process **procs, FILE *text_to)
{
	uint64_t bpf[ETL_CNT__MAX] = { 0 };
	size_t np = procstats_count(r->pstats);
	int err = r->tr ? tracer_counters(r->tr, bpf) : 0;

	stats_fold(r->stats); /* -i keeps its extremes apart (stats.h) */
	in->pids = r->targets;
	in->npids = (size_t)r->ntargets;
	in->counters = counters;
	in->ncounters = run_counters(r, bpf, counters);
	in->th = r->o->set.th;
	in->text.tree = r->rs.tree;
	in->text.width = text_to ? terminal_width(r, text_to) : 0;
	*procs = NULL;
	/* A section per process once there is more than one, or with -b. */
	if (np > 1 || (np && r->o->nbinaries)) {
		*procs = calloc(np, sizeof(**procs));
		if (!*procs)
			return -ENOMEM;
		for (size_t i = 0; i < np; i++) {
			const struct proc_entry *e = procstats_at(r->pstats, i);

			(*procs)[i] = (struct report_process){ e->pid, e->comm,
							       procstats_exited(r->pstats, e), e->stats };
		}
		in->procs = *procs;
		in->nprocs = np;
	}
	return err;
}

/* The cumulative report now, as rs says, to stream (or, when stream is
 * NULL, to -o FILE atomically or stdout). */
static int cumulative(struct run *r, const struct report_settings *rs, FILE *stream)
{
	struct report_counter counters[RUN_NCOUNTERS];
	struct report_process *procs = NULL;
	struct report_input in = { .stats = r->stats, .paths = r->paths };
	int err;

	reports_snapshot_open(r);
	err = fill_input(r, &in, counters, &procs, stream ? stream : stdout);
	in.wall_seconds = (double)(run_now_ns() - r->t0_ns) / 1e9;
	err = err ?: report_prepare(&in);
	if (!err) {
		if (stream) {
			err = deliver_to(rs, &in, stream);
			report_release(&in);
		} else {
			size_t ignored;
			struct report_settings now = *rs;

			report_release(&in); /* deliver_report prepares its own */
			now.save_baseline = NULL;
			err = deliver_report(&now, r->o->set.regression_factor, &in, NULL, NULL,
					     &ignored);
		}
	}
	free(procs);
	return err;
}

int reports_now(struct run *r)
{
	int err = cumulative(r, &r->rs, r->stream);

	if (err && r->stream)
		diag("cannot write the report: %s", strerror(-err));
	return err ? exit_code(STAGE_OUTPUT, err) : 0;
}

int reports_interval(struct run *r, uint64_t now)
{
	struct report_counter counters[RUN_NCOUNTERS];
	struct report_process *procs = NULL;
	struct report_interval iv = {
		.seq = ++r->interval_seq,
		.start = r->t0_unix + (double)(r->interval_t0 - r->t0_ns) / 1e9,
		.end = r->t0_unix + (double)(now - r->t0_ns) / 1e9,
	};
	struct stats *since = stats_since(r->stats, r->imark), *mark = stats_clone(r->stats);
	struct report_input in = { .stats = since, .interval = &iv };
	int err = since && mark ? 0 : -ENOMEM;

	err = err ?: fill_input(r, &in, counters, &procs, r->stream);
	in.procs = NULL; /* an interval is the aggregate's */
	in.nprocs = 0;
	in.wall_seconds = (double)(now - r->interval_t0) / 1e9;
	err = err ?: report_prepare(&in);
	if (!err) {
		err = deliver_to(&r->rs, &in, r->stream);
		if (!err && r->rs.format == FORMAT_TEXT)
			fputc('\n', r->stream);
		report_release(&in);
	}
	free(procs);
	stats_free(since);
	if (mark) {
		stats_free(r->imark);
		r->imark = mark;
		stats_window_start(r->stats);
		r->interval_t0 = now;
	}
	if (err) {
		diag("cannot write the interval report: %s", strerror(-err));
		return exit_code(STAGE_OUTPUT, err);
	}
	return 0;
}

/* --- the metrics endpoint ---------------------------------------------- */

static int page_metrics(struct run *r, FILE *f)
{
	struct report_counter counters[RUN_NCOUNTERS];
	uint64_t bpf[ETL_CNT__MAX] = { 0 };
	struct metrics_input in = {
		.series = r->series, .counters = counters,
		.traced_processes = procs_live(r->procs),
		.slow_threshold_seconds = r->o->set.th.slow_seconds,
		.memory_threshold_bytes = r->o->set.th.memory_mb * 1048576.0,
		.version = VERSION, .kernel = r->kf.release,
		.attach = r->kf.uprobe_multi ? "uprobe_multi" : "perf_event",
	};

	if (r->tr)
		tracer_counters(r->tr, bpf);
	in.ncounters = run_counters(r, bpf, counters);
	reports_snapshot_open(r);
	if (r->open) {
		in.open = r->open->v;
		in.nopen = r->open->n;
		for (size_t i = 0; r->series && i < in.nopen; i++)
			series_note_open(r->series, in.open[i].command, in.open[i].operation);
	}
	return prometheus_write(&in, f);
}

/* http_page_fn: /metrics, /report and an index. */
static int page(void *ctx, const char *path, char **body, size_t *len, const char **type)
{
	struct run *r = ctx;
	FILE *f;
	int err = 0;

	*body = NULL;
	if (strcmp(path, "/metrics") && strcmp(path, "/report") && strcmp(path, "/"))
		return 404;
	f = open_memstream(body, len);
	if (!f)
		return -ENOMEM;
	if (!strcmp(path, "/metrics")) {
		*type = "text/plain; version=0.0.4; charset=utf-8";
		err = page_metrics(r, f);
	} else if (!strcmp(path, "/report")) {
		struct report_settings json = r->rs;

		*type = "application/json";
		json.format = FORMAT_JSON;
		err = cumulative(r, &json, f);
	} else {
		*type = "text/html; charset=utf-8";
		fputs("<!doctype html><title>etltrace</title><h1>etltrace</h1>"
		      "<p><a href=\"/metrics\">/metrics</a> (Prometheus) "
		      "<a href=\"/report\">/report</a> (JSON)</p>\n", f);
	}
	if (fclose(f) || err) {
		free(*body);
		*body = NULL;
		return err ? err : -ENOMEM;
	}
	return 200;
}

int reports_open(struct run *r)
{
	const struct options *o = r->o;
	int err;

	if (o->interval > 0) {
		r->stream = stdout;
		if (r->rs.output) {
			char why[OUT_WHY_MAX];

			err = out_open_stream(&r->stream, r->rs.output, why, sizeof(why));
			if (err) {
				diag("cannot write the reports to %s: %s", r->rs.output, why);
				return exit_code(STAGE_OUTPUT, err);
			}
			r->stream_own = true;
		}
	}
	if (r->http) {
		err = http_serve(r->http, page, r, r->loop);
		if (err)
			return err == -ENOMEM ? ETL_EXIT_FAILURE : ETL_EXIT_OUTPUT;
		if (o->verbose)
			diag("serving /metrics and /report on %s", o->set.metrics_address);
	}
	return 0;
}

int reports_listen(struct run *r)
{
	const struct options *o = r->o;
	int err;

	if (!o->set.metrics || !o->set.metrics_address[0])
		return 0;
	err = http_listen(o->set.metrics_address, &r->http);
	/* A bad or foreign address is a bad value; a port taken or refused
	 * is an output that cannot be made. */
	return !err ? 0 : err == -ENOMEM ? ETL_EXIT_FAILURE
	       : err == -EINVAL || err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT ? ETL_EXIT_USAGE
	       : err == -EACCES || err == -EPERM ? ETL_EXIT_PERM : ETL_EXIT_OUTPUT;
}

/* --- the end ----------------------------------------------------------- */

static int write_timeline(void *ctx, FILE *f)
{
	const struct run *r = ctx;

	return timeline_write_json(r->timeline, r->t0_ns, f);
}

/* The HTML page: the JSON report and the timeline, made in memory. */
struct page_parts {
	const struct run *r;
	const struct report_input *in;
};

static int write_html(void *ctx, FILE *f)
{
	const struct page_parts *p = ctx;
	char *json = NULL, *tl = NULL;
	size_t jlen = 0, tlen = 0;
	FILE *jf = open_memstream(&json, &jlen), *tf = NULL;
	int err = jf ? report_write_json(p->in, false, jf) : -ENOMEM;

	if (jf && fclose(jf) && !err)
		err = -ENOMEM;
	if (!err && p->r->timeline) {
		tf = open_memstream(&tl, &tlen);
		err = tf ? timeline_write_json(p->r->timeline, p->r->t0_ns, tf) : -ENOMEM;
		if (tf && fclose(tf) && !err)
			err = -ENOMEM;
	}
	err = err ?: html_write(f, json, jlen, tl, tlen);
	free(json);
	free(tl);
	return err;
}

int reports_final(struct run *r, const uint64_t bpf[ETL_CNT__MAX])
{
	struct report_counter counters[RUN_NCOUNTERS];
	struct report_process *procs = NULL;
	struct report_input in = { .stats = r->stats, .paths = r->paths };
	struct page_parts parts = { r, &in };
	int err, rc;

	err = fill_input(r, &in, counters, &procs, r->stream ? r->stream : stdout);
	in.ncounters = run_counters(r, bpf, counters);
	in.wall_seconds = (double)(r->end_ns - r->t0_ns) / 1e9;
	if (err) {
		free(procs);
		diag("out of memory while writing the report");
		return ETL_EXIT_FAILURE;
	}
	err = deliver_report(&r->rs, r->o->set.regression_factor, &in,
			     r->has_base ? &r->base : NULL, r->stream, &r->nregressions);
	rc = exit_code(STAGE_OUTPUT, err);
	if (r->timeline && r->rs.timeline)
		rc = exit_code(STAGE_OUTPUT, deliver_file(r->rs.timeline, "the timeline", false,
							  write_timeline, r)) ?: rc;
	if (r->rs.html) {
		err = report_prepare(&in);
		if (!err)
			err = deliver_file(r->rs.html, "the HTML report", false, write_html, &parts);
		else
			diag("out of memory while writing the HTML report");
		report_release(&in);
		rc = exit_code(STAGE_OUTPUT, err) ?: rc;
	}
	free(procs);
	return rc;
}

void reports_close(struct run *r)
{
	http_stop(r->http);
	r->http = NULL;
	if (r->stream_own)
		fclose(r->stream);
	r->stream = NULL;
	open_free(r->open);
	r->open = NULL;
}
