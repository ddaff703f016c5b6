// SPDX-License-Identifier: MIT
/*
 * text.c - the report as aligned text for a terminal: one row per
 * operation sorted by total time, then the summary, every counter (zeros
 * included, so no loss goes unseen), the recommendations, the suggestions
 * (each with its evidence) and, with --baseline, the comparison
 * (comparison_print.c).
 *
 * Every name passes through name_for_terminal, so nothing from the traced
 * process can reach the terminal as a control sequence; names wider than
 * NAME_MAX_COLS columns are cut with "...". Counter keys are etltrace's own
 * constants and are printed as they are.
 *
 * Columns: TOTAL(s) and SELF(s) (total minus the time of the operations it
 * contains; with the tree) with 3 decimals; AVG/MIN/MAX(s) with 6, and so the
 * percentiles P50/P90/P99(s) (nearest rank, within 1%: histogram.h); memory in MB
 * (MiB) with 1 decimal: AVG MEM and MAX MEM are the seed's RSS deltas, PEAK
 * the largest peak delta; CPU% is on-CPU time over the duration of the
 * samples that carried resources. Cells needing a finished sample (or, for
 * CPU%, such a sample) show "-". Names are left-aligned by display width,
 * numbers right-aligned, two spaces between columns.
 *
 * Fitting a terminal (text_layout.width): long names are shortened in the
 * middle and columns dropped, least useful first (col_rank), until the
 * table fits, name, count, total, average, self time and P99 last (fit());
 * the tree's names are shortened likewise. The JSON report keeps everything.
 *
 * Nothing is kept per operation beyond a pointer: each row is formatted
 * when needed and freed (report.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/histogram.h"
#include "util/names.h"
#include "report/comparison.h"
#include "report/report.h"
#include "report/units.h"

#define NAME_MAX_COLS 48
#define NAME_MID_COLS 32
#define NAME_MIN_COLS 16
/* Columns of col_rank a terminal keeps while names can still shorten. */
#define KEEP_COLS 6
#define COL_GAP "  "

enum col {
	COL_NAME, COL_COUNT, COL_TOTAL, COL_SELF, COL_AVG, COL_MIN, COL_P50, COL_P90, COL_P99,
	COL_MAX, COL_AVG_MEM, COL_MAX_MEM, COL_PEAK, COL_CPU, COL_UNFIN, NCOLS,
};

static const char *const col_header[NCOLS] = {
	"OPERATION", "COUNT", "TOTAL(s)", "SELF(s)", "AVG(s)", "MIN(s)", "P50(s)", "P90(s)",
	"P99(s)", "MAX(s)", "AVG MEM(MB)", "MAX MEM(MB)", "PEAK(MB)", "CPU%", "UNFIN",
};

/* Columns by usefulness, most useful first: the last ones go first when
 * the table does not fit. */
static const enum col col_rank[NCOLS] = {
	COL_NAME, COL_COUNT, COL_TOTAL, COL_AVG, COL_SELF, COL_P99, COL_MAX_MEM, COL_PEAK,
	COL_CPU, COL_P50, COL_MAX, COL_UNFIN, COL_AVG_MEM, COL_MIN, COL_P90,
};

/* What a table shows: its columns and the widths of its cells. */
struct table {
	bool shown[NCOLS];
	size_t width[NCOLS];
	size_t name_cols;   /* names are shortened to this many columns */
	const struct path_tree *tree; /* self times; NULL: no SELF column */
};

/* Returns a malloc'd "%.*f" of v, never "-0.0" (a negative value that
 * rounds to zero prints as zero). NULL on ENOMEM. */
static char *fmt_fixed(double v, int decimals)
{
	char *s;

	if (asprintf(&s, "%.*f", decimals, v) < 0)
		return NULL;
	if (s[0] == '-' && strspn(s + 1, "0.") == strlen(s + 1))
		memmove(s, s + 1, strlen(s));
	return s;
}

static char *fmt_u64(uint64_t v)
{
	char *s;

	return asprintf(&s, "%llu", (unsigned long long)v) < 0 ? NULL : s;
}

static char *fmt_percentile(const struct op_stats *op, double p)
{
	if (op->count == 0)
		return strdup("-");
	return fmt_fixed(sec_of_ns((double)histogram_percentile(&op->hist, p)), 6);
}

/* Fills row[NCOLS] with the cells of one operation. Returns 0 or -ENOMEM;
 * the caller frees the cells set, even on error. */
static int fill_row(char **row, const struct op_stats *op, const struct table *t)
{
	bool done = op->count > 0;
	double n = done ? (double)op->count : 1.0;
	char *shown = name_for_terminal(op->name);

	row[COL_NAME] = shown ? name_fit_middle(shown, t->name_cols) : NULL;
	free(shown);
	row[COL_COUNT] = fmt_u64(op->count);
	row[COL_TOTAL] = fmt_fixed(sec_of_ns((double)op->total_ns), 3);
	row[COL_SELF] = t->tree ? fmt_fixed(sec_of_ns((double)path_tree_self_ns(t->tree, op->name)), 3)
				: strdup("-");
	row[COL_AVG] = done ? fmt_fixed(sec_of_ns((double)op->total_ns) / n, 6) : strdup("-");
	row[COL_MIN] = done ? fmt_fixed(sec_of_ns((double)op->min_ns), 6) : strdup("-");
	row[COL_P50] = fmt_percentile(op, 50);
	row[COL_P90] = fmt_percentile(op, 90);
	row[COL_P99] = fmt_percentile(op, 99);
	row[COL_MAX] = done ? fmt_fixed(sec_of_ns((double)op->max_ns), 6) : strdup("-");
	row[COL_AVG_MEM] = done ? fmt_fixed(mb_of_bytes((double)op->sum_mem_delta) / n, 1)
				: strdup("-");
	row[COL_MAX_MEM] = done ? fmt_fixed(mb_of_bytes((double)op->max_mem_delta), 1)
				: strdup("-");
	row[COL_PEAK] = done ? fmt_fixed(mb_of_bytes((double)op->max_peak_delta), 1)
			     : strdup("-");
	row[COL_CPU] = op->resource_ns > 0
			       ? fmt_fixed(100.0 * (double)op->cpu_ns / (double)op->resource_ns, 1)
			       : strdup("-");
	row[COL_UNFIN] = fmt_u64(op->unfinished);
	for (int c = 0; c < NCOLS; c++) {
		if (!row[c])
			return -ENOMEM;
	}
	return 0;
}

static void print_row(FILE *f, const char *const *row, const struct table *t)
{
	for (int c = 0; c < NCOLS; c++) {
		size_t w = name_display_width(row[c]);

		if (!t->shown[c])
			continue;
		if (c > 0)
			fputs(COL_GAP, f);
		if (c == COL_NAME) /* left-aligned; the only column with wide text */
			fprintf(f, "%s%*s", row[c], (int)(t->width[c] - w), "");
		else
			fprintf(f, "%*s%s", (int)(t->width[c] - w), "", row[c]);
	}
	fputc('\n', f);
}

static void free_row(char **row)
{
	for (int c = 0; c < NCOLS; c++) {
		free(row[c]);
		row[c] = NULL;
	}
}

/* Measures every cell of ops[0..n) into t->width. Returns 0 or -ENOMEM. */
static int measure(struct table *t, const struct op_stats *const *ops, size_t n)
{
	char *row[NCOLS] = { 0 };
	int err = 0;

	for (int c = 0; c < NCOLS; c++)
		t->width[c] = strlen(col_header[c]);
	for (size_t r = 0; r < n && !err; r++) {
		err = fill_row(row, ops[r], t);
		for (int c = 0; c < NCOLS && !err; c++) {
			size_t w = name_display_width(row[c]);

			if (w > t->width[c])
				t->width[c] = w;
		}
		free_row(row);
	}
	return err;
}

static size_t table_width(const struct table *t)
{
	size_t w = 0;

	for (int c = 0; c < NCOLS; c++)
		if (t->shown[c])
			w += t->width[c] + (c ? strlen(COL_GAP) : 0);
	return w;
}

/* Shortens names so that the table loses its excess over cols, to min
 * columns at least. */
static void shorten_names(struct table *t, size_t cols, size_t min)
{
	size_t w = t->width[COL_NAME], tw = table_width(t);

	if (tw <= cols || w <= min)
		return;
	t->width[COL_NAME] = w > tw - cols && w - (tw - cols) > min ? w - (tw - cols) : min;
}

/* Hides columns, least useful first, until the table fits cols; the first
 * `keep` of col_rank stay. */
static void drop_columns(struct table *t, size_t cols, int keep)
{
	for (int k = NCOLS - 1; k >= keep && table_width(t) > cols; k--)
		t->shown[col_rank[k]] = false;
}

/* Chooses the columns and the name width for a terminal `cols` wide (0:
 * no limit): names shorten to NAME_MID_COLS, then the least useful columns
 * go (all but the first KEEP_COLS of col_rank), then names shorten to
 * NAME_MIN_COLS, then the rest go but name and count; room left over goes
 * back to the names. */
static void fit(struct table *t, size_t cols)
{
	size_t name_w = t->width[COL_NAME];

	for (int c = 0; c < NCOLS; c++)
		t->shown[c] = c != COL_SELF || t->tree;
	if (!cols || table_width(t) <= cols)
		return;
	shorten_names(t, cols, NAME_MID_COLS);
	drop_columns(t, cols, KEEP_COLS);
	shorten_names(t, cols, NAME_MIN_COLS);
	drop_columns(t, cols, 2);
	if (table_width(t) < cols && t->width[COL_NAME] < name_w) {
		size_t room = cols - table_width(t);

		t->width[COL_NAME] = t->width[COL_NAME] + room < name_w ? t->width[COL_NAME] + room
									 : name_w;
	}
	if (t->width[COL_NAME] < name_w)
		t->name_cols = t->width[COL_NAME];
}

/* Writes a table of ops[0..n) in two passes over them, one to size the
 * columns and one to print, formatting each row twice rather than keeping
 * every cell. Returns 0 or -ENOMEM. */
static int write_table(FILE *f, const struct op_stats *const *ops, size_t n,
		       const struct path_tree *tree, unsigned int cols)
{
	struct table t = { .name_cols = NAME_MAX_COLS, .tree = tree };
	char *row[NCOLS] = { 0 };
	int err;

	if (n == 0) {
		fputs("No operations traced.\n", f);
		return 0;
	}
	err = measure(&t, ops, n);
	if (err)
		return err;
	fit(&t, cols);
	print_row(f, col_header, &t);
	for (size_t r = 0; r < n && !err; r++) {
		err = fill_row(row, ops[r], &t);
		if (!err)
			print_row(f, (const char *const *)row, &t);
		free_row(row);
	}
	return err;
}

/* Columns of a tree line before its indented name. */
#define TREE_NUMBER_COLS 50

/* The tree, indented, with inclusive and self time and their share of the
 * traced time (the roots' total), as perf report --children shows it. In a
 * terminal, indent and name together fit what the numbers leave (names
 * keep 8 columns at least). */
static int write_tree(FILE *f, const struct path_tree *tree, unsigned int cols)
{
	double all = (double)path_tree_roots_ns(tree);
	size_t room = !cols ? NAME_MAX_COLS : cols > TREE_NUMBER_COLS + 8 ? cols - TREE_NUMBER_COLS : 8;

	fputs("Operation tree (time with what it contains, and its own):\n", f);
	if (!tree->n) {
		fputs("  (none)\n", f);
		return 0;
	}
	fprintf(f, "  %10s %6s  %10s %6s  %8s  %s\n", "TOTAL(s)", "%", "SELF(s)", "%", "COUNT",
		"OPERATION");
	for (size_t i = 0; i < tree->n; i++) {
		const struct path_node *n = tree->all[i];
		char *shown = name_for_terminal(n->name), *cut;
		size_t indent = 2 * n->depth;

		cut = shown ? name_fit_middle(shown, room > indent + 8 ? room - indent : 8) : NULL;
		free(shown);
		if (!cut)
			return -ENOMEM;
		fprintf(f, "  %10.3f %6.1f  %10.3f %6.1f  %8llu  %*s%s\n",
			sec_of_ns((double)n->incl_ns), all > 0 ? 100.0 * (double)n->incl_ns / all : 0.0,
			sec_of_ns((double)n->self_ns), all > 0 ? 100.0 * (double)n->self_ns / all : 0.0,
			(unsigned long long)n->count, (int)indent, "", cut);
		free(cut);
	}
	return 0;
}

/* Each process's own table. */
static int write_processes(FILE *f, const struct report_input *in)
{
	int err = 0;

	for (size_t i = 0; i < in->nprocs && !err; i++) {
		const struct report_process *p = &in->procs[i];
		const struct op_stats **ops = NULL;
		ssize_t n = stats_sorted_alloc(p->stats, &ops);
		char *comm = name_for_terminal(p->command);

		if (n < 0 || !comm) {
			free(comm);
			free(ops);
			return -ENOMEM;
		}
		fprintf(f, "\nProcess %d (%s%s):\n", (int)p->pid, comm, p->exited ? ", exited" : "");
		err = write_table(f, ops, (size_t)n, NULL, in->text.width);
		free(comm);
		free(ops);
	}
	return err;
}

static void write_summary(FILE *f, const struct report_input *in)
{
	struct stats_summary sum;

	stats_summarize(in->stats, &sum);
	fputs("Summary:\n", f);
	fprintf(f, "  %-21s  %.6f s\n", "total_time", sum.total_time);
	fprintf(f, "  %-21s  %llu\n", "total_operations", (unsigned long long)sum.total_operations);
	fprintf(f, "  %-21s  %.6f s\n", "avg_operation_time", sum.avg_operation_time);
	fprintf(f, "  %-21s  %.6f s\n", "wall_time", in->wall_seconds);
	if (in->paths)
		fprintf(f, "  %-21s  %.6f s\n", "traced_time",
			sec_of_ns((double)path_tree_roots_ns(&in->tree)));
	fprintf(f, "  %-21s  %llu\n", "unfinished_operations", (unsigned long long)sum.unfinished);
	fprintf(f, "  %-21s  ", "pids");
	for (size_t i = 0; i < in->npids; i++)
		fprintf(f, "%s%d", i ? " " : "", (int)in->pids[i]);
	fputs(in->npids ? "\n" : "(none)\n", f);
}

static void write_counters(FILE *f, const struct report_input *in)
{
	int w = 0;

	for (size_t i = 0; i < in->ncounters; i++) {
		int len = (int)strlen(in->counters[i].key);

		if (len > w)
			w = len;
	}
	fputs("Counters:\n", f);
	for (size_t i = 0; i < in->ncounters; i++)
		fprintf(f, "  %-*s  %llu\n", w, in->counters[i].key,
			(unsigned long long)in->counters[i].value);
	if (in->ncounters == 0)
		fputs("  (none)\n", f);
}

/* Returns 0 or -ENOMEM. */
static int write_recommendations(FILE *f, const struct report_input *in)
{
	size_t shown = 0;

	fputs("Recommendations:\n", f);
	for (size_t i = 0; i < in->nfindings; i++) {
		char *text;

		if (in->findings[i].kind != RULE_RECOMMENDATION)
			continue;
		text = name_for_terminal(in->findings[i].text);
		if (!text)
			return -ENOMEM;
		fprintf(f, "  - %s\n", text);
		free(text);
		shown++;
	}
	if (shown == 0)
		fputs("  (none)\n", f);
	return 0;
}

/* Each suggestion with its evidence; the operation is named in the
 * evidence when the seed's text does not name it. Returns 0 or -ENOMEM. */
static int write_suggestions(FILE *f, const struct report_input *in)
{
	size_t shown = 0;
	int err = 0;

	fputs("Suggestions:\n", f);
	for (size_t i = 0; i < in->nfindings && !err; i++) {
		const struct finding *s = &in->findings[i];
		char *text, *name;

		if (s->kind != RULE_SUGGESTION)
			continue;
		text = name_for_terminal(s->text);
		name = s->named ? NULL : name_for_terminal(s->op->name);
		if (!text || (!s->named && !name))
			err = -ENOMEM;
		else if (s->named)
			fprintf(f, "  - %s (%s)\n", text, s->evidence);
		else
			fprintf(f, "  - %s (%s: %s)\n", text, name, s->evidence);
		free(text);
		free(name);
		shown++;
	}
	if (shown == 0)
		fputs("  (none)\n", f);
	return err;
}

int report_write_text(const struct report_input *in, FILE *f)
{
	int err;

	if (!in || !f)
		return -EINVAL;
	if (in->interval)
		fprintf(f, "Interval %llu (%.3f s):\n", (unsigned long long)in->interval->seq,
			in->interval->end - in->interval->start);
	err = write_table(f, in->ops, in->nops, in->paths ? &in->tree : NULL, in->text.width);
	if (!err) {
		fputc('\n', f);
		write_summary(f, in);
		fputc('\n', f);
		write_counters(f, in);
		fputc('\n', f);
		err = write_recommendations(f, in);
	}
	if (!err) {
		fputc('\n', f);
		err = write_suggestions(f, in);
	}
	if (!err && in->paths && in->text.tree) {
		fputc('\n', f);
		err = write_tree(f, &in->tree, in->text.width);
	}
	if (!err && in->procs)
		err = write_processes(f, in);
	if (!err && in->cmp) {
		fputc('\n', f);
		err = comparison_write_text(in->cmp, f);
	}
	if (fflush(f) == EOF || ferror(f))
		return -EIO;
	return err;
}
