// SPDX-License-Identifier: MIT
/*
 * test_prometheus.c - the metrics page (user/report/prometheus.c) from the
 * series (user/collect/series.c): cumulative buckets ending in +Inf equal
 * to _count, exact sums in base units, label values escaped, every family
 * with HELP and TYPE, an operation open now present at zero, the series
 * bound counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collect/series.h"
#include "collect/stats.h"
#include "report/prometheus.h"

static const uint64_t bounds[] = { 1000000, 10000000, 100000000 }; /* 1, 10, 100 ms */

static void end_op(struct series_set *set, const char *comm, const char *name, uint64_t ns,
		   int64_t mem)
{
	struct process p = { .pid = 1 };
	struct op_sample x = { .duration_ns = ns, .mem_delta = mem, .mem_peak_delta = mem };
	struct op_event ev = { .name = name, .name_hash = stats_hash(name), .s = &x, .proc = &p };

	snprintf(p.comm, sizeof(p.comm), "%s", comm);
	series_sink(set, &ev);
}

/* The page for set, in a malloc'd string. */
static char *page(const struct series_set *set)
{
	struct report_counter counters[] = { { "ringbuf_full", 3 }, { "records", 7 } };
	struct metrics_input in = {
		.series = set, .counters = counters, .ncounters = 2, .traced_processes = 1,
		.slow_threshold_seconds = 2, .memory_threshold_bytes = 104857600,
		.version = "0.2", .kernel = "6.1", .attach = "uprobe_multi",
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(prometheus_write(&in, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("no line '%s' in:\n%s", line, text);
}

static void buckets_are_cumulative_and_end_at_the_count(void **state)
{
	struct series_set *set = series_new(10, bounds, 3);
	char *text;

	(void)state;
	assert_non_null(set);
	end_op(set, "job", "load", 500000, 1024);      /* 0.5 ms */
	end_op(set, "job", "load", 5000000, -2048);    /* 5 ms */
	end_op(set, "job", "load", 5000000, 0);
	end_op(set, "job", "load", 2000000000, 4096);  /* 2 s: past every bound */
	text = page(set);
	has_line(text, "# TYPE etltrace_operation_duration_seconds histogram");
	has_line(text, "etltrace_operation_duration_seconds_bucket{command=\"job\",operation=\"load\",le=\"0.001\"} 1");
	has_line(text, "etltrace_operation_duration_seconds_bucket{command=\"job\",operation=\"load\",le=\"0.01\"} 3");
	has_line(text, "etltrace_operation_duration_seconds_bucket{command=\"job\",operation=\"load\",le=\"0.1\"} 3");
	has_line(text, "etltrace_operation_duration_seconds_bucket{command=\"job\",operation=\"load\",le=\"+Inf\"} 4");
	has_line(text, "etltrace_operation_duration_seconds_count{command=\"job\",operation=\"load\"} 4");
	has_line(text, "etltrace_operation_duration_seconds_sum{command=\"job\",operation=\"load\"} 2.0105");
	has_line(text, "etltrace_operations_total{command=\"job\",operation=\"load\"} 4");
	has_line(text, "etltrace_operation_memory_delta_bytes_sum{command=\"job\",operation=\"load\"} 3072");
	has_line(text, "etltrace_ringbuf_full_total 3");
	has_line(text, "etltrace_records_total 7");
	has_line(text, "etltrace_slow_threshold_seconds 2");
	has_line(text, "etltrace_memory_threshold_bytes 104857600");
	free(text);
	series_free(set);
}

static void every_family_has_its_own_help_and_type(void **state)
{
	struct series_set *set = series_new(10, bounds, 3);
	char *text, line[160];

	(void)state;
	end_op(set, "job", "load", 1000, 0);
	text = page(set);
	for (size_t i = 0; prometheus_families[i]; i++) {
		snprintf(line, sizeof(line), "# HELP %s ", prometheus_families[i]);
		if (!strstr(text, line))
			fail_msg("no HELP for %s", prometheus_families[i]);
		snprintf(line, sizeof(line), "# TYPE %s ", prometheus_families[i]);
		if (!strstr(text, line))
			fail_msg("no TYPE for %s", prometheus_families[i]);
	}
	assert_null(strstr(text, "see README.md")); /* no counter left with the generic text */
	free(text);
	series_free(set);
}

static void label_values_are_escaped_and_valid_utf8(void **state)
{
	struct series_set *set = series_new(10, bounds, 3);
	char *text;

	(void)state;
	end_op(set, "a\"b", "x\\y\nz", 1000, 0);
	end_op(set, "job", "bad\xff", 1000, 0);
	text = page(set);
	has_line(text, "etltrace_operations_total{command=\"a\\\"b\",operation=\"x\\\\y\\nz\"} 1");
	has_line(text, "etltrace_operations_total{command=\"job\",operation=\"bad\xef\xbf\xbd\"} 1");
	free(text);
	series_free(set);
}

static void an_open_operation_is_at_zero_until_it_ends(void **state)
{
	struct series_set *set = series_new(2, bounds, 3);
	char *text;

	(void)state;
	series_note_open(set, "job", "pipeline");
	text = page(set);
	has_line(text, "etltrace_operations_total{command=\"job\",operation=\"pipeline\"} 0");
	has_line(text, "etltrace_operation_duration_seconds_bucket{command=\"job\",operation=\"pipeline\",le=\"+Inf\"} 0");
	free(text);
	series_note_open(set, "job", "pipeline"); /* no second series */
	end_op(set, "job", "pipeline", 3000000, 0);
	assert_int_equal(series_count(set), 1);
	assert_int_equal(series_at(set, 0)->count, 1);
	/* Past the bound: noted opens make nothing, ends are counted as over. */
	series_note_open(set, "job", "b");
	series_note_open(set, "job", "c");
	assert_int_equal(series_count(set), 2);
	assert_int_equal(series_over_limit(set), 0);
	end_op(set, "job", "c", 1000, 0);
	assert_int_equal(series_over_limit(set), 1);
	series_free(set);
}

/* Fails unless no two sample lines of text name the same series. */
static void no_duplicate_series(const char *text)
{
	for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
		size_t n = strcspn(l, " ");

		if (*l != '#')
			for (const char *m = strchr(l, '\n') + 1; *m; m = strchr(m, '\n') + 1)
				if (!strncmp(l, m, n) && m[n] == ' ')
					fail_msg("series %.*s twice in:\n%s", (int)n, l, text);
	}
}

/* Two names that differ only in invalid UTF-8 become the same label value:
 * Prometheus would take one and drop the other's samples (a duplicate
 * series). The later series gets "#2", as the JSON report's keys do, and
 * keeps it: the order is the series', not the scrape's. */
static void names_alike_once_valid_utf8_stay_apart(void **state)
{
	struct series_set *set = series_new(10, bounds, 3);
	struct open_count open[] = { { "job", "bad\xfe", 1 } };
	struct metrics_input in = { .version = "0.2", .kernel = "6.1", .attach = "uprobe_multi" };
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	end_op(set, "job", "bad\xff", 1000, 0);
	end_op(set, "job", "bad\xfe", 1000, 0);
	end_op(set, "job", "bad\xfe", 1000, 0);
	end_op(set, "job", "bad\xef\xbf\xbd", 1000, 0); /* the replacement, valid */
	end_op(set, "j\xff", "op", 1000, 0);
	end_op(set, "j\xfe", "op", 1000, 0);
	in.series = set;
	in.open = open;
	in.nopen = 1;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(prometheus_write(&in, f), 0);
	assert_int_equal(fclose(f), 0);
	no_duplicate_series(text);
	has_line(text, "etltrace_operations_total{command=\"job\",operation=\"bad\xef\xbf\xbd\"} 1");
	has_line(text, "etltrace_operations_total{command=\"job\",operation=\"bad\xef\xbf\xbd#2\"} 2");
	has_line(text, "etltrace_operations_total{command=\"job\",operation=\"bad\xef\xbf\xbd#3\"} 1");
	has_line(text, "etltrace_operations_total{command=\"j\xef\xbf\xbd\",operation=\"op\"} 1");
	has_line(text, "etltrace_operations_total{command=\"j\xef\xbf\xbd\",operation=\"op#2\"} 1");
	has_line(text, "etltrace_operation_duration_seconds_bucket{command=\"job\",operation=\"bad\xef\xbf\xbd#2\",le=\"+Inf\"} 2");
	/* The open operation is the series it will end in. */
	has_line(text, "etltrace_operations_open{command=\"job\",operation=\"bad\xef\xbf\xbd#2\"} 1");
	free(text);
	series_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buckets_are_cumulative_and_end_at_the_count),
		cmocka_unit_test(every_family_has_its_own_help_and_type),
		cmocka_unit_test(label_values_are_escaped_and_valid_utf8),
		cmocka_unit_test(an_open_operation_is_at_zero_until_it_ends),
		cmocka_unit_test(names_alike_once_valid_utf8_stay_apart),
	};

	return cmocka_run_group_tests_name("prometheus", tests, NULL, NULL);
}
