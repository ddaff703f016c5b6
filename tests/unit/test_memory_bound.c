// SPDX-License-Identifier: MIT
/*
 * test_memory_bound.c - the memory bound stated in stats.h, measured: the
 * statistics of 10,000 and 100,000 distinct names with many samples each
 * (typical durations, and the worst: every histogram at its maximum), and
 * the reports written from them, against STATS_MEMORY_BOUND and
 * STATS_REPORT_BOUND for the default cap of 10,000 names.
 *
 * Every allocation of the process goes through the malloc, calloc, realloc
 * and free defined here (an executable's definitions replace libc's, for
 * json-c and libc's own callers too), which count each block as its usable
 * size + 16 - never less than what glibc takes for it - and keep the peak,
 * a moving realloc counting both blocks. RSS (VmHWM, reset through
 * /proc/self/clear_refs) is checked against the same bound.
 */
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cli/config.h"
#include "report/report.h"
#include "collect/stats.h"

/* --- counting allocator ---------------------------------------------------- */

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t align, size_t n);
void __libc_free(void *p);

static size_t live, peak;
static bool accounting_broken; /* a free of a block never counted */

static size_t block_bytes(void *p)
{
	return p ? malloc_usable_size(p) + 16 : 0;
}

static void *counted(void *p)
{
	live += block_bytes(p);
	if (live > peak)
		peak = live;
	return p;
}

static void uncount(size_t n)
{
	if (n > live)
		accounting_broken = true;
	live -= n > live ? live : n;
}

void *malloc(size_t n)
{
	return counted(__libc_malloc(n));
}

void *calloc(size_t n, size_t size)
{
	return counted(__libc_calloc(n, size));
}

void free(void *p)
{
	uncount(block_bytes(p));
	__libc_free(p);
}

void *realloc(void *p, size_t n)
{
	size_t old = block_bytes(p);
	void *q = __libc_realloc(p, n);

	if (!q && n)
		return NULL; /* p unchanged */
	if (q != p && p && q && live + block_bytes(q) > peak)
		peak = live + block_bytes(q); /* both blocks, for a moment */
	uncount(old);
	return counted(q);
}

void *memalign(size_t align, size_t n)
{
	return counted(__libc_memalign(align, n));
}

void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p = memalign(align, n);

	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

/* --- helpers --------------------------------------------------------------- */

#define CAP STATS_DEFAULT_MAX_OPERATIONS
#define MB(x) ((double)(x) / 1e6)

static long status_kb(const char *key)
{
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	FILE *f = fopen("/proc/self/status", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	assert_true(v >= 0);
	return v;
}

/* Makes VmHWM start again from the current RSS. */
static void reset_peak_rss(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	assert_non_null(f);
	assert_true(fputs("5", f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* The lower bound of bucket b (0..3775) of the histogram (histogram.c). */
static uint64_t bucket_value(unsigned b)
{
	unsigned k = b / 64, sub = b % 64;

	return k ? (uint64_t)(64 + sub) << (k - 1) : sub;
}

/* What is traced: `names` distinct names, cycled through `per_name` times as
 * a traced loop would. EVERY_CHUNK: durations from one bucket of each of
 * the 236 chunks in turn, so that each histogram grows to
 * HISTOGRAM_MAX_BYTES; NARROW: durations within a quarter power of two.
 * hostile: 63-byte names that are not UTF-8 (the longest JSON keys, and a
 * set of them kept while writing). heavy: memory deltas, faults and
 * thresholds such that every operation gets 2 recommendations and all 5
 * suggestions. */
enum spread { NARROW, EVERY_CHUNK };

struct scenario {
	unsigned names, per_name;
	enum spread spread;
	bool hostile, heavy;
};

/* White box: makes the counters of `name`'s histogram 64 bits wide, as a
 * bucket holding 2^32 values would (adding them would take minutes): sets
 * the first counter (bucket 0, in chunk 0) full and adds a 0 ns sample,
 * twice. Returns the samples added. */
static unsigned widen_counters(struct stats *st, const char *name)
{
	struct op_stats *op = (struct op_stats *)stats_find(st, name);
	struct op_sample zero = { .duration_ns = 0 };

	assert_non_null(op);
	assert_true(op->hist.present[0] & 1);
	for (int i = 0; i < 2; i++) {
		if (op->hist.width == 0)
			*(uint16_t *)op->hist.counts = UINT16_MAX;
		else
			*(uint32_t *)op->hist.counts = UINT32_MAX;
		assert_int_equal(stats_add(st, name, &zero), 0);
	}
	assert_int_equal(histogram_memory(&op->hist), HISTOGRAM_MAX_BYTES);
	return 2;
}

/* Returns the samples added beyond names x per_name. */
static unsigned add_names(struct stats *st, const struct scenario *sc)
{
	unsigned extra = 0;

	uint64_t seed = 0x9e3779b97f4a7c15ull;
	char name[STATS_NAME_MAX + 1];

	for (unsigned r = 0; r < sc->per_name; r++) {
		for (unsigned i = 0; i < sc->names; i++) {
			uint64_t chunk = (r + i % 2) % HISTOGRAM_CHUNKS;
			struct op_sample s = {
				.duration_ns = sc->spread == EVERY_CHUNK
						       ? bucket_value((unsigned)(chunk * 16 +
										 next_rand(&seed) % 16))
						       : 1000000 + next_rand(&seed) % 60000,
				.mem_delta = (int64_t)(next_rand(&seed) % (1 << 20)),
				.cpu_ns = 500000, .has_resources = true,
			};

			if (sc->heavy) {
				s.mem_delta <<= 6;
				s.mem_peak_delta = 200 << 20;
				s.cpu_ns = 10;
				s.maj_flt = 1000;
				s.records = 7;
				s.has_records = true;
			}
			s.mem_peak_delta += s.mem_delta;
			if (sc->hostile)
				snprintf(name, sizeof(name), "%0*u\xff", STATS_NAME_MAX - 1, i);
			else
				snprintf(name, sizeof(name), "etl_operation_%07u", i);
			assert_int_equal(stats_add(st, name, &s), 0);
		}
	}
	if (sc->spread != EVERY_CHUNK)
		return 0;
	for (unsigned i = 0; i < sc->names && i < CAP; i++) {
		snprintf(name, sizeof(name), "etl_operation_%07u", i);
		extra += widen_counters(st, name);
	}
	if (sc->names > CAP)
		extra += widen_counters(st, STATS_OTHER_NAME);
	return extra;
}

/* Writes both reports to /dev/null; returns the peak heap while writing. */
static size_t report_peak(const struct report_input *in)
{
	struct report_input prepared = *in;
	FILE *f = fopen("/dev/null", "w");
	size_t at;

	assert_non_null(f);
	at = live;
	peak = live;
	assert_int_equal(report_prepare(&prepared), 0);
	assert_int_equal(report_write_text(&prepared, f), 0);
	assert_int_equal(report_write_json(&prepared, false, f), 0);
	report_release(&prepared);
	assert_int_equal(fclose(f), 0);
	assert_true(live <= at); /* nothing left behind */
	return peak;
}

struct run {
	size_t heap, heap_peak, report_peak; /* above what was there before */
	size_t rss_peak;                     /* VmHWM - VmRSS before, bytes */
};

/* Traces the scenario into a table with the default cap, then writes the
 * reports; frees everything. */
static void run(const struct scenario *sc, struct run *out)
{
	const struct report_counter c = { "operations_over_limit", 0 };
	struct report_input in = { .counters = &c, .ncounters = 1 };
	size_t kept = sc->names < CAP ? sc->names : CAP, heap0;
	struct stats_summary sum;
	struct settings set;
	struct stats *st;
	unsigned extra;
	static uint64_t bounds[STATS_MAX_BOUNDS];
	long rss0, hwm;

	settings_default(&set);
	in.th = set.th;
	if (sc->heavy) /* every rule fires */
		in.th = (struct thresholds){ .wait_fraction = 0.5, .peak_ratio = 1.0 };
	reset_peak_rss();
	rss0 = status_kb("VmRSS");
	heap0 = live;
	peak = live;
	st = stats_new(CAP);
	assert_non_null(st);
	/* The worst case counts per duration bound too (--metrics), with as
	 * many bounds as there can be. */
	for (size_t i = 0; i < STATS_MAX_BOUNDS; i++)
		bounds[i] = (i + 1) * 1000000u;
	if (sc->spread == EVERY_CHUNK)
		assert_int_equal(stats_set_bounds(st, bounds, STATS_MAX_BOUNDS), 0);
	extra = add_names(st, sc);
	out->heap = live - heap0;
	out->heap_peak = peak - heap0;
	/* Capped, and nothing lost. */
	assert_int_equal(stats_size(st), kept + (sc->names > CAP));
	assert_int_equal(stats_over_limit(st),
			 (uint64_t)(sc->names - kept) * sc->per_name + (sc->names > CAP ? 2 : 0) *
			 (sc->spread == EVERY_CHUNK));
	stats_summarize(st, &sum);
	assert_int_equal(sum.total_operations, (uint64_t)sc->names * sc->per_name + extra);
	in.stats = st;
	out->report_peak = report_peak(&in) - heap0;
	hwm = status_kb("VmHWM");
	out->rss_peak = hwm > rss0 ? (size_t)(hwm - rss0) * 1024 : 0;
	stats_free(st);
	assert_false(accounting_broken);
	assert_int_equal(live, heap0);
	print_message("%u names x %u samples (%s%s%s): heap %.1f MB (%.0f B per name kept), "
		      "peak %.1f MB, writing the reports %.1f MB, RSS +%.1f MB; "
		      "bounds %.1f / %.1f MB\n",
		      sc->names, sc->per_name, sc->spread == EVERY_CHUNK ? "every chunk" : "narrow",
		      sc->hostile ? ", hostile names" : "", sc->heavy ? ", every rule fires" : "",
		      MB(out->heap), (double)out->heap / (double)kept, MB(out->heap_peak),
		      MB(out->report_peak), MB(out->rss_peak), MB(STATS_MEMORY_BOUND(CAP)),
		      MB(STATS_REPORT_BOUND(CAP)));
}

/* --- tests ----------------------------------------------------------------- */

static void the_stated_bound_is_the_formula_of_stats_h(void **state)
{
	(void)state;
	assert_int_equal(STATS_ENTRY_MAX_BYTES, 31016);
	assert_int_equal(STATS_MEMORY_BOUND(10000), 310223784);
	assert_int_equal(STATS_REPORT_BOUND(10000), 310223784 + 65536 + 10001 * 2048);
}

static void worst_histograms_for_10000_names_stay_under_the_bound(void **state)
{
	/* 240 samples per name, in every chunk, and 64-bit counters: every
	 * histogram reaches HISTOGRAM_MAX_BYTES; every rule fires in the
	 * reports. */
	struct scenario sc = { 10000, 240, EVERY_CHUNK, false, true };
	struct run r;

	(void)state;
	run(&sc, &r);
	assert_true(r.heap_peak <= STATS_MEMORY_BOUND(CAP));
	assert_true(r.report_peak <= STATS_REPORT_BOUND(CAP));
	assert_true(r.rss_peak <= STATS_REPORT_BOUND(CAP));
	/* The bound is tight: this comes within 1% of it. */
	assert_true((double)r.heap >= 0.99 * (double)(CAP * STATS_ENTRY_MAX_BYTES));
}

static void names_beyond_the_cap_add_nothing_and_reports_stay_under_the_bound(void **state)
{
	/* 100,000 names, 20 samples each, 63 bytes and not UTF-8 (the JSON
	 * writer then keeps every key), every rule firing: the most the
	 * reports take per entry. */
	struct scenario sc = { 100000, 20, NARROW, true, true };
	struct run r;

	(void)state;
	run(&sc, &r);
	/* Per name kept: the entry and its 63-byte name (360 B), one chunk of
	 * counters (32 B), allocation slack and slots: under 576 B. */
	assert_true(r.heap <= CAP * (size_t)576);
	assert_true(r.heap_peak <= STATS_MEMORY_BOUND(CAP));
	assert_true(r.report_peak - r.heap <=
		    STATS_REPORT_FIXED_BYTES + (CAP + 1) * (size_t)STATS_REPORT_ENTRY_BYTES);
	assert_true(r.report_peak <= STATS_REPORT_BOUND(CAP));
	assert_true(r.rss_peak <= STATS_REPORT_BOUND(CAP));
}

static void typical_names_take_under_half_a_kilobyte_and_the_report_little_more(void **state)
{
	/* 10,000 names, 20 samples each within a quarter power of two, as a
	 * loop over ids gives, default thresholds: one chunk of 16-bit
	 * counters (32 bytes) per name. The report adds suggestions_build's
	 * array (5 x 48 bytes per operation) and a pointer per operation. */
	struct scenario sc = { 10000, 20, NARROW, false, false };
	struct run r;

	(void)state;
	run(&sc, &r);
	assert_true(r.heap <= CAP * (size_t)512);
	assert_true(r.report_peak - r.heap <= CAP * (size_t)320);
	assert_true(r.report_peak <= 2 * r.heap);
	assert_true(r.rss_peak <= CAP * (size_t)1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_stated_bound_is_the_formula_of_stats_h),
		cmocka_unit_test(typical_names_take_under_half_a_kilobyte_and_the_report_little_more),
		cmocka_unit_test(worst_histograms_for_10000_names_stay_under_the_bound),
		cmocka_unit_test(names_beyond_the_cap_add_nothing_and_reports_stay_under_the_bound),
	};

	return cmocka_run_group_tests_name("memory_bound", tests, NULL, NULL);
}
