// SPDX-License-Identifier: MIT
/*
 * fuzz_intake.c - records in, named samples out (collect/intake.c, with the
 * process table and the names read back from mapped files): the input is a
 * length byte L, L bytes of a file, then struct etl_op_record after
 * struct etl_op_record, arbitrary bytes as a ring buffer could hold them.
 *
 * The process table has one process of pid FAKE_PID that has exited (so
 * names are read from its files, never from a live process): its current
 * image, from FAKE_EXEC_NS on, maps the file at FILE_ADDR, a file it could
 * not keep open at CLOSED_ADDR and one it could not open at NONE_ADDR; its
 * image before the exec maps the file at FILE_ADDR + 8 bytes in. A newer
 * process of the same pid starts at FAKE_REUSE_NS, with nothing mapped.
 *
 * Checked for every record: each sink sees a name of at most 63 bytes, BPF's
 * own bytes when it read them, a placeholder when nobody could; the sample
 * as the record says; the process that ran at the record's start; a --log
 * line of printable text. At the end: every record counted, and the
 * statistics hold every finished one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/intake.h"
#include "collect/stats.h"
#include "fuzz.h"
#include "report/oplog.h"

#define FAKE_PID 4194301
#define FAKE_EXEC_NS 1000ull
#define FAKE_REUSE_NS (1ull << 40)
#define FILE_ADDR 0x10000ull
#define CLOSED_ADDR 0x20000ull
#define NONE_ADDR 0x30000ull
#define MAX_RECORDS 64

static struct fuzz_file file = { .fd = -1 };
static struct object file_obj, closed_obj = { .fd = -1 };

struct run {
	const struct etl_op_record *rec; /* the record being taken in, or NULL */
	struct etl_op_record recs[MAX_RECORDS]; /* all of them, for those kept */
	bool used[MAX_RECORDS];                 /* taken in already */
	size_t nrecs;
	struct process *old_proc, *new_proc;
	struct stats *stats;
	uint64_t seen, finished;
};

static struct process *add_process(struct procs *t, uint64_t start_ns)
{
	struct process *p = procs_add(t, FAKE_PID, start_ns);

	FUZZ_CHECK(p, "procs_add");
	procs_exited(t, p, start_ns);
	return p;
}

static struct mapping *maps(size_t n)
{
	struct mapping *m = calloc(n, sizeof(*m));

	FUZZ_CHECK(m, "ENOMEM");
	return m;
}

/* The input record of a kept one, taken in by intake_retry: the first
 * one not taken in yet with the event's fields (kept records keep their
 * order). */
static const struct etl_op_record *record_of(struct run *run, const struct op_event *ev)
{
	for (size_t i = 0; i < run->nrecs; i++) {
		const struct etl_op_record *r = &run->recs[i];

		if (!run->used[i] && ev->tgid == r->tgid && ev->tid == r->tid &&
		    ev->start_ns == r->start_ns && ev->end_ns == r->end_ns &&
		    ev->path_id == r->path_id) {
			run->used[i] = true;
			return r;
		}
	}
	FUZZ_CHECK(false, "an event of no input record");
	return NULL;
}

static void check_sink(void *ctx, const struct op_event *ev)
{
	struct run *run = ctx;
	const struct etl_op_record *r = run->rec ? run->rec : record_of(run, ev);
	size_t len = strnlen(ev->name, ETL_NAME_MAX);
	struct process *want = NULL;

	if (run->rec)
		run->used[run->nrecs - 1] = true;
	run->seen++;
	FUZZ_CHECK(len <= STATS_NAME_MAX, "a name of %zu bytes", len);
	if (!(r->flags & (ETL_REC_F_NAME_UNREAD | ETL_REC_F_NAME_BY_ADDR | ETL_REC_F_NAME_LABEL)))
		FUZZ_CHECK(len == strnlen(r->name, ETL_NAME_MAX - 1) && !memcmp(ev->name, r->name, len),
			   "BPF's name was changed");
	if ((pid_t)r->tgid == FAKE_PID)
		want = r->start_ns >= FAKE_REUSE_NS ? run->new_proc : run->old_proc;
	FUZZ_CHECK(ev->proc == want, "the record was given to the wrong process");
	if (r->flags & ETL_REC_F_NAME_LABEL) /* no --probe pairs here */
		FUZZ_CHECK(!strcmp(ev->name, "[unknown --probe pair]"), "label \"%s\"", ev->name);
	else if (!ev->proc && (r->flags & (ETL_REC_F_NAME_UNREAD | ETL_REC_F_NAME_BY_ADDR)))
		FUZZ_CHECK(!strncmp(ev->name, "[unreadable name at 0x", 22), "\"%s\" for no process",
			   ev->name);
	FUZZ_CHECK(ev->s->duration_ns == (r->end_ns > r->start_ns ? r->end_ns - r->start_ns : 0),
		   "duration");
	FUZZ_CHECK(ev->s->mem_peak_delta >= ev->s->mem_delta, "peak below the net delta");
	FUZZ_CHECK(ev->s->unfinished == (r->kind == ETL_REC_UNFINISHED), "unfinished");
	FUZZ_CHECK(ev->tgid == r->tgid && ev->tid == r->tid && ev->start_ns == r->start_ns &&
			   ev->end_ns == r->end_ns && ev->path_id == r->path_id &&
			   ev->parent_id == r->parent_id,
		   "event fields");
	if (!ev->s->unfinished)
		run->finished++;
}

static void stats_sink(void *ctx, const struct op_event *ev)
{
	struct run *run = ctx;

	FUZZ_CHECK(stats_add(run->stats, ev->name, ev->s) == 0, "stats_add failed");
}

static void log_sink(void *ctx, const struct op_event *ev)
{
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);

	(void)ctx;
	FUZZ_CHECK(f, "open_memstream");
	FUZZ_CHECK(oplog_write_line(f, ev->name, ev->s) == 0, "oplog_write_line");
	fclose(f);
	FUZZ_CHECK(len > 0 && line[len - 1] == '\n' && !memchr(line, '\n', len - 1),
		   "not one line: %s", line);
	FUZZ_CHECK(!fuzz_has_control(line, len, true), "control byte in %s", line);
	FUZZ_CHECK(fuzz_utf8_valid(line, len), "not valid UTF-8: %s", line);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t flen = size ? data[0] : 0, nrec;
	struct procs *procs = procs_new();
	struct run run = { 0 };
	struct stats_summary sum;
	struct intake in;
	struct process *p;

	if (file.fd < 0) {
		fuzz_file_open(&file);
		file_obj.fd = file.fd;
	}
	if (flen > size - (size > 0))
		flen = size - (size > 0);
	fuzz_file_set(&file, data + (size > 0), flen);
	data += (size > 0) + flen;
	size -= (size > 0) + flen;

	FUZZ_CHECK(procs, "procs_new");
	p = run.old_proc = add_process(procs, 0);
	p->img.since_ns = FAKE_EXEC_NS;
	p->img.maps = maps(3);
	p->img.nmaps = 3;
	p->img.maps[0] = (struct mapping){ FILE_ADDR, FILE_ADDR + 0x1000, 0, &file_obj, true };
	p->img.maps[1] = (struct mapping){ CLOSED_ADDR, CLOSED_ADDR + 0x1000, 0, &closed_obj, true };
	p->img.maps[2] = (struct mapping){ NONE_ADDR, NONE_ADDR + 0x1000, 0, NULL, true };
	p->old.maps = maps(1);
	p->old.nmaps = 1;
	p->old.maps[0] = (struct mapping){ FILE_ADDR, FILE_ADDR + 0x1000, 8, &file_obj, true };
	run.new_proc = add_process(procs, FAKE_REUSE_NS);
	run.stats = stats_new(STATS_DEFAULT_MAX_OPERATIONS);
	FUZZ_CHECK(run.stats, "stats_new");

	intake_init(&in, procs);
	FUZZ_CHECK(!intake_add_sink(&in, check_sink, &run) && !intake_add_sink(&in, stats_sink, &run) &&
			   !intake_add_sink(&in, log_sink, &run),
		   "intake_add_sink");
	nrec = size / sizeof(struct etl_op_record);
	if (nrec > MAX_RECORDS)
		nrec = MAX_RECORDS;
	for (size_t i = 0; i < nrec; i++) {
		struct etl_op_record rec;

		memcpy(&rec, data + i * sizeof(rec), sizeof(rec)); /* aligned, as from a ring */
		run.recs[run.nrecs++] = rec;
		run.rec = &rec;
		intake_record(&in, &rec);
	}
	run.rec = NULL;
	intake_retry(&in, true); /* records kept for a process not known yet */
	FUZZ_CHECK(in.records == nrec && run.seen == nrec, "%zu records, %llu taken", nrec,
		   (unsigned long long)in.records);
	FUZZ_CHECK(in.names_resolved + in.names_unresolved <= nrec, "more names than records");
	stats_summarize(run.stats, &sum);
	FUZZ_CHECK(sum.total_operations == run.finished, "%llu finished, %llu in the statistics",
		   (unsigned long long)run.finished, (unsigned long long)sum.total_operations);
	intake_free(&in);
	stats_free(run.stats);
	procs_free(procs);
	return 0;
}
