// SPDX-License-Identifier: MIT
/*
 * test_report_text.c - the aligned text report (user/report_text.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/config.h"
#include "util/names.h"
#include "report/report.h"

#define MS 1000000ull
#define MIB (1024ll * 1024)

static const pid_t test_pids[] = { 4242 };
static const struct report_counter test_counters[] = {
	{ "starts", 5 }, { "ringbuf_full", 0 },
};

static int setup(void **state)
{
	*state = stats_new(STATS_DEFAULT_MAX_OPERATIONS);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	stats_free(*state);
	return 0;
}

/* The default thresholds (slow 2.0 s, memory 100 MB, batch 2.0 s, cleanup
 * 50 MB, ...). */
static struct report_input input(struct stats *st)
{
	struct settings set;

	settings_default(&set);
	return (struct report_input){
		.stats = st, .pids = test_pids, .npids = 1, .wall_seconds = 3.25,
		.counters = test_counters, .ncounters = 2, .th = set.th,
	};
}

static void add(struct stats *st, const char *name, uint64_t ns, int64_t mem)
{
	struct op_sample s = { .duration_ns = ns, .mem_delta = mem, .mem_peak_delta = mem };

	assert_int_equal(stats_add(st, name, &s), 0);
}

static char *render(const struct report_input *in)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	struct report_input prepared = *in;

	assert_non_null(f);
	assert_int_equal(report_prepare(&prepared), 0);
	assert_int_equal(report_write_text(&prepared, f), 0);
	report_release(&prepared);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* Returns a malloc'd copy of line `n` (0-based) of `text`, without '\n'. */
static char *line(const char *text, int n)
{
	const char *end;

	for (; n > 0; n--) {
		text = strchr(text, '\n');
		assert_non_null(text);
		text++;
	}
	end = strchr(text, '\n');
	assert_non_null(end);
	return strndup(text, (size_t)(end - text));
}

/* Returns the whitespace-separated field `n` counted from the end of `s`
 * (0 = last). */
static char *field_from_end(const char *s, int n)
{
	const char *end = s + strlen(s), *start;

	for (;;) {
		while (end > s && end[-1] == ' ')
			end--;
		start = end;
		while (start > s && start[-1] != ' ')
			start--;
		if (n-- == 0)
			return strndup(start, (size_t)(end - start));
		end = start;
	}
}

static void full_report_has_the_expected_layout(void **state)
{
	static const char want[] =
		"OPERATION  COUNT  TOTAL(s)    AVG(s)    MIN(s)    P50(s)    P90(s)    P99(s)    MAX(s)  AVG MEM(MB)  MAX MEM(MB)  PEAK(MB)  CPU%  UNFIN\n"
		"load           1     2.500  2.500000  2.500000  2.500000  2.500000  2.500000  2.500000        150.0        150.0     160.0     -      0\n"
		"extract        3     0.900  0.300000  0.100000  0.200278  0.600000  0.600000  0.600000          2.0          3.0       4.0  50.0      0\n"
		"open           0     0.000         -         -         -         -         -         -            -            -         -     -      1\n"
		"\n"
		"Summary:\n"
		"  total_time             3.400000 s\n"
		"  total_operations       4\n"
		"  avg_operation_time     0.850000 s\n"
		"  wall_time              3.250000 s\n"
		"  unfinished_operations  1\n"
		"  pids                   4242\n"
		"\n"
		"Counters:\n"
		"  starts        5\n"
		"  ringbuf_full  0\n"
		"\n"
		"Recommendations:\n"
		"  - Operation 'load' is slow (avg: 2.5s). Consider optimization.\n"
		"  - Operation 'load' uses high memory (max: 150.0MB). Consider batch processing.\n"
		"\n"
		"Suggestions:\n"
		"  - Consider batch processing for load (avg_time 2.50s > 2.00s)\n"
		"  - Implement memory cleanup for load (max_memory_delta 150.0MB > 50.0MB)\n";
	struct stats *st = *state;
	struct report_input in = input(st);
	const uint64_t d[] = { 100 * MS, 200 * MS, 600 * MS };
	const int64_t m[] = { 1 * MIB, 3 * MIB, 2 * MIB };
	struct op_sample load = { .duration_ns = 2500 * MS, .mem_delta = 150 * MIB,
				  .mem_peak_delta = 160 * MIB };
	struct op_sample open = { .unfinished = true };
	char *text;

	/* extract's P50 is the nearest-rank 0.2 s, shown as its histogram
	 * bucket's midpoint (within 1/128). */
	for (int i = 0; i < 3; i++) {
		struct op_sample s = { .duration_ns = d[i], .mem_delta = m[i],
				       .mem_peak_delta = m[i] + MIB, .cpu_ns = d[i] / 2,
				       .has_resources = true };

		assert_int_equal(stats_add(st, "extract", &s), 0);
	}
	assert_int_equal(stats_add(st, "load", &load), 0);
	assert_int_equal(stats_add(st, "open", &open), 0);
	text = render(&in);
	assert_string_equal(text, want);
	free(text);
}

static void columns_align_with_wide_escaped_and_plain_names(void **state)
{
	/* The name column is 9 wide ("OPERATION"), then 2 between columns, then
	 * COUNT, 5 wide and right-aligned. */
	static const char *const starts[] = {
		"OPERATION  COUNT",
		"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" "         1", /* 6 columns, 3 pad */
		"a\\x1b[2J" "       1",                               /* 8 columns, 1 pad */
		"caf\xc3\xa9" "           1",                         /* 4 columns, 5 pad */
	};
	struct report_input in = input(*state);
	size_t width = 0;
	char *text;

	add(*state, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 300 * MS, 0);
	add(*state, "a\x1b[2J", 200 * MS, 0);
	add(*state, "caf\xc3\xa9", 100 * MS, 0);
	text = render(&in);
	for (int i = 0; i < 4; i++) {
		char *row = line(text, i);

		assert_memory_equal(row, starts[i], strlen(starts[i]));
		/* Every line ends at the same column. */
		if (i == 0)
			width = name_display_width(row);
		assert_int_equal(name_display_width(row), width);
		free(row);
	}
	free(text);
}

static void names_are_escaped_so_no_control_byte_reaches_the_terminal(void **state)
{
	struct report_input in = input(*state);
	char *text, *row;

	add(*state, "x\x1b[31m\n\r\x7f\xc2\x9b\\\xff", 3000 * MS, 0);
	text = render(&in);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		assert_true(*p >= 0x20 || *p == '\n');
		assert_true(*p != 0x7f);
		assert_false(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f);
	}
	row = line(text, 1);
	assert_string_equal(row, "x\\x1b[31m\\x0a\\x0d\\x7f\\xc2\\x9b\\\\\\xff      1     3.000  "
				 "3.000000  3.000000  3.000000  3.000000  3.000000  3.000000          0.0"
				 "          0.0       0.0     -      0");
	free(row);
	/* The newline in the name did not start a new row: line 2 is the blank one. */
	row = line(text, 2);
	assert_string_equal(row, "");
	free(row);
	assert_non_null(strstr(text, "  - Operation 'x\\x1b[31m\\x0a\\x0d\\x7f\\xc2\\x9b\\\\\\xff' "
				     "is slow (avg: 3.0s). Consider optimization.\n"));
	assert_non_null(strstr(text, "  - Consider batch processing for x\\x1b[31m\\x0a\\x0d\\x7f"
				     "\\xc2\\x9b\\\\\\xff (avg_time 3.00s > 2.00s)\n"));
	free(text);
}

/* The start and the end stay, so names differing only at the end stay
 * apart; JSON keeps the whole name. */
static void long_names_are_shortened_in_the_middle_to_48_columns(void **state)
{
	struct report_input in = input(*state);
	char name[61], *text, *row, *header;

	memset(name, 'a', 30);
	memset(name + 30, 'z', 30);
	name[60] = '\0';
	add(*state, name, MS, 0);
	text = render(&in);
	header = line(text, 0);
	row = line(text, 1);
	assert_memory_equal(row, name, 23);
	assert_memory_equal(row + 23, "...", 3);
	assert_memory_equal(row + 26, name + 38, 22);
	assert_memory_equal(row + 48, "  ", 2);
	assert_memory_equal(header, "OPERATION", 9);
	assert_int_equal(strspn(header + 9, " "), 48 - 9 + 2);
	free(header);
	free(row);
	free(text);
}

/* The widest line of the operations table (up to the first empty line). */
static size_t table_width(const char *text, size_t *rows)
{
	size_t widest = 0;

	*rows = 0;
	for (int n = 0;; n++) {
		char *l = line(text, n);
		size_t w = name_display_width(l);

		if (!*l) {
			free(l);
			return widest;
		}
		widest = w > widest ? w : widest;
		(*rows)++;
		free(l);
	}
}

/* In a terminal (text.width), names shorten (to 32 columns while other
 * columns can go) and columns go, least useful first, until every row
 * fits; room a dropped column leaves goes back to the names. */
static void the_table_fits_the_terminal_it_is_written_to(void **state)
{
	static const unsigned int widths[] = { 80, 100, 120, 160 };
	const char *name = "extract_customer_records_from_the_regional_warehouse_partitions";
	add(*state, name, 1234 * MS, 5 * MIB);
	add(*state, "load", 12 * MS, -3 * MIB);
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		struct report_input in = input(*state);
		char *text, *header, *row;
		size_t rows, name_cols;

		in.text.width = widths[i];
		text = render(&in);
		header = line(text, 0);
		row = line(text, 1);
		assert_true(table_width(text, &rows) <= widths[i]);
		assert_int_equal(rows, 3);
		assert_non_null(strstr(header, "COUNT"));
		assert_non_null(strstr(header, "TOTAL(s)"));
		assert_non_null(strstr(header, "AVG(s)"));
		assert_memory_equal(row, "extract_c", 9);
		/* names keep 32 columns while less useful columns can go */
		name_cols = strcspn(row, " ");
		assert_true(name_cols >= 32 && name_cols <= 48);
		/* a line of exactly the width: nothing left to give back */
		if (widths[i] < 160 && !strstr(row, "partitions"))
			assert_int_equal(table_width(text, &rows), widths[i]);
		if (widths[i] == 80)
			assert_null(strstr(header, "P90(s)"));
		if (widths[i] >= 120)
			assert_non_null(strstr(header, "P99(s)"));
		free(header);
		free(row);
		free(text);
	}
}

static void cpu_percent_covers_only_samples_with_resources(void **state)
{
	struct report_input in = input(*state);
	struct op_sample with = { .duration_ns = 400 * MS, .cpu_ns = 100 * MS,
				  .has_resources = true };
	char *text, *row, *cell;

	assert_int_equal(stats_add(*state, "io", &with), 0);
	add(*state, "io", 600 * MS, 0);
	text = render(&in);
	row = line(text, 1);
	cell = field_from_end(row, 1); /* CPU%, before UNFIN */
	assert_string_equal(cell, "25.0"); /* 0.1 / 0.4 s, not 0.1 / 1.0 s */
	free(cell);
	free(row);
	free(text);
}

static void negative_memory_shows_a_sign_and_tiny_values_show_zero(void **state)
{
	struct report_input in = input(*state);
	char *text, *row, *cell;

	add(*state, "free", 200 * MS, -3 * MIB);
	add(*state, "free", 200 * MS, -1 * MIB);
	add(*state, "tiny", 100 * MS, -100);
	text = render(&in);
	row = line(text, 1);
	assert_memory_equal(row, "free", 4);
	cell = field_from_end(row, 4);
	assert_string_equal(cell, "-2.0"); /* AVG MEM */
	free(cell);
	cell = field_from_end(row, 3);
	assert_string_equal(cell, "-1.0"); /* MAX MEM */
	free(cell);
	free(row);
	row = line(text, 2);
	assert_memory_equal(row, "tiny", 4);
	cell = field_from_end(row, 3);
	assert_string_equal(cell, "0.0"); /* not "-0.0" */
	free(cell);
	free(row);
	free(text);
}

static void every_counter_is_listed_even_when_zero(void **state)
{
	static const struct report_counter counters[] = {
		{ "starts", 0 }, { "ends", 0 }, { "ringbuf_full", 0 }, { "unmatched_end", 0 },
		{ "name_mismatch", 3 }, { "huge", UINT64_MAX },
	};
	struct report_input in = input(*state);
	char *text;

	in.counters = counters;
	in.ncounters = 6;
	text = render(&in);
	assert_non_null(strstr(text, "Counters:\n"
				     "  starts         0\n"
				     "  ends           0\n"
				     "  ringbuf_full   0\n"
				     "  unmatched_end  0\n"
				     "  name_mismatch  3\n"
				     "  huge           18446744073709551615\n\n"));
	free(text);
}

static void no_recommendations_or_suggestions_say_none(void **state)
{
	struct report_input in = input(*state);
	static const char tail[] = "\nRecommendations:\n  (none)\n\nSuggestions:\n  (none)\n";
	char *text;
	size_t len;

	add(*state, "fast", MS, 0);
	text = render(&in);
	len = strlen(text);
	assert_true(len > strlen(tail));
	assert_string_equal(text + len - strlen(tail), tail);
	free(text);
}

static void empty_report_says_so_in_every_section(void **state)
{
	struct report_input in = { .stats = *state };
	char *text = render(&in);

	assert_string_equal(text,
			    "No operations traced.\n"
			    "\n"
			    "Summary:\n"
			    "  total_time             0.000000 s\n"
			    "  total_operations       0\n"
			    "  avg_operation_time     0.000000 s\n"
			    "  wall_time              0.000000 s\n"
			    "  unfinished_operations  0\n"
			    "  pids                   (none)\n"
			    "\n"
			    "Counters:\n"
			    "  (none)\n"
			    "\n"
			    "Recommendations:\n"
			    "  (none)\n"
			    "\n"
			    "Suggestions:\n"
			    "  (none)\n");
	free(text);
}

static void several_pids_are_listed_space_separated(void **state)
{
	static const pid_t pids[] = { 10, 20, 30 };
	struct report_input in = input(*state);
	char *text;

	in.pids = pids;
	in.npids = 3;
	text = render(&in);
	assert_non_null(strstr(text, "\n  pids                   10 20 30\n"));
	free(text);
}

static void write_failure_returns_eio(void **state)
{
	struct report_input in = input(*state);
	FILE *f = fopen("/dev/full", "w");

	assert_non_null(f);
	add(*state, "extract", 100 * MS, 0);
	assert_int_equal(report_prepare(&in), 0);
	assert_int_equal(report_write_text(&in, f), -EIO);
	report_release(&in);
	fclose(f);
}

static void null_arguments_are_rejected(void **state)
{
	struct report_input in = input(*state);

	assert_int_equal(report_write_text(NULL, stdout), -EINVAL);
	assert_int_equal(report_write_text(&in, NULL), -EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(full_report_has_the_expected_layout),
		T(columns_align_with_wide_escaped_and_plain_names),
		T(names_are_escaped_so_no_control_byte_reaches_the_terminal),
		T(long_names_are_shortened_in_the_middle_to_48_columns),
		T(the_table_fits_the_terminal_it_is_written_to),
		T(cpu_percent_covers_only_samples_with_resources),
		T(negative_memory_shows_a_sign_and_tiny_values_show_zero),
		T(every_counter_is_listed_even_when_zero),
		T(no_recommendations_or_suggestions_say_none),
		T(empty_report_says_so_in_every_section),
		T(several_pids_are_listed_space_separated),
		T(write_failure_returns_eio),
		T(null_arguments_are_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
