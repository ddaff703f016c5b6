// SPDX-License-Identifier: MIT
/*
 * fuzz_report.c - the JSON and text reports (report/json.c, report/text.c,
 * with collect/stats.c, collect/histogram.c and report/rules.c) over
 * statistics built from fuzzed samples. The input is an options byte (bits
 * 0-2: the name cap - 1, bit 3: the default cap instead, bits 4-5: a set of
 * thresholds, bit 6: with a comparison), then samples: a name length byte,
 * the name (NUL bytes included), nine 64-bit values (duration, net and
 * peak memory deltas, CPU time, minor and major faults, bytes read and
 * written, records), a flags byte (resources, records, unfinished) and a
 * depth byte.
 *
 * Checked: the JSON report parses back as strict JSON with valid UTF-8
 * keys, one per operation, "raw_name" exactly where the key is not the
 * name; perf_ops_from_json reads from it what report_perf_ops says it
 * would; the summary adds up; the text report is printable, valid UTF-8.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.h"
#include "collect/stats.h"
#include "fuzz.h"
#include "report/comparison.h"
#include "report/report.h"

#define MAX_SAMPLES 256
#define SAMPLE_VALUES 9

static const struct report_counter counters[] = {
	{ "starts", 1 }, { "ends", 2 }, { "ringbuf_full", UINT64_MAX }, { "records", 0 },
};

static void thresholds_of(unsigned which, struct thresholds *th)
{
	struct settings s;

	settings_default(&s);
	*th = s.th;
	if (which == 1) { /* everything fires */
		*th = (struct thresholds){ 0, 0, 0, 0, 0, 0, 1, 0 };
	} else if (which == 2) { /* the largest a file or flag accepts */
		*th = (struct thresholds){ 1e9, 1e12, 1e9, 1e12, 1, 1e12, 1e9, 1e18 };
	} else if (which == 3) {
		th->wait_fraction = 0.01;
		th->peak_ratio = 1;
		th->transient_mb = 0.5;
	}
}

static uint64_t u64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Adds the samples of data to st; returns the number of finished ones. */
static uint64_t add_samples(struct stats *st, const uint8_t *data, size_t size)
{
	uint64_t finished = 0;

	for (size_t n = 0; n < MAX_SAMPLES && size > 0; n++) {
		size_t len = data[0] < size - 1 ? data[0] : size - 1;
		char name[256];
		struct op_sample s;
		const uint8_t *v;

		memcpy(name, data + 1, len);
		name[len] = '\0';
		data += 1 + len;
		size -= 1 + len;
		if (size < SAMPLE_VALUES * 8 + 2)
			break;
		v = data;
		s = (struct op_sample){
			.duration_ns = u64_at(v), .mem_delta = (int64_t)u64_at(v + 8),
			.mem_peak_delta = (int64_t)u64_at(v + 16), .cpu_ns = u64_at(v + 24),
			.min_flt = u64_at(v + 32), .maj_flt = u64_at(v + 40),
			.read_bytes = u64_at(v + 48), .write_bytes = u64_at(v + 56),
			.records = u64_at(v + 64), .has_resources = v[72] & 1,
			.has_records = v[72] & 2, .unfinished = v[72] & 4, .depth = v[73],
		};
		if (s.mem_peak_delta < s.mem_delta) /* as intake makes them */
			s.mem_peak_delta = s.mem_delta;
		FUZZ_CHECK(stats_add(st, name, &s) == 0, "stats_add failed");
		finished += !s.unfinished;
		data += SAMPLE_VALUES * 8 + 2;
		size -= SAMPLE_VALUES * 8 + 2;
	}
	return finished;
}

static char *render(const struct report_input *in, bool json, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	int rc;

	FUZZ_CHECK(f, "open_memstream");
	rc = json ? report_write_json(in, false, f) : report_write_text(in, f);
	FUZZ_CHECK(rc == 0, "the %s report failed: %d", json ? "JSON" : "text", rc);
	fclose(f);
	return text;
}

static void check_json(const struct report_input *in, uint64_t finished)
{
	size_t len, i = 0;
	char *text = render(in, true, &len), err[512];
	struct json_object *doc = fuzz_json_strict(text, len), *ops, *summary, *v;
	struct perf_ops want, got;
	uint64_t counted = 0;

	FUZZ_CHECK(doc, "the JSON report is not strict JSON:\n%s", text);
	FUZZ_CHECK(json_object_object_get_ex(doc, "operations", &ops) &&
			   json_object_object_get_ex(doc, "summary", &summary),
		   "members missing");
	FUZZ_CHECK((size_t)json_object_object_length(ops) == in->nops, "%d keys for %zu operations",
		   json_object_object_length(ops), in->nops);
	FUZZ_CHECK(report_perf_ops(in, &want) == 0, "report_perf_ops");
	FUZZ_CHECK(perf_ops_from_json(doc, &got, err, sizeof(err)) == 0, "%s", err);
	FUZZ_CHECK(got.n == want.n, "%zu operations read back, %zu written", got.n, want.n);
	json_object_object_foreach(ops, key, op) {
		const struct op_stats *st = in->ops[i];
		bool raw = json_object_object_get_ex(op, "raw_name", &v);

		FUZZ_CHECK(fuzz_utf8_valid(key, strlen(key)), "a key that is not UTF-8");
		FUZZ_CHECK(!strcmp(key, want.v[i].name) && !strcmp(key, got.v[i].name),
			   "key %zu differs", i);
		FUZZ_CHECK(got.v[i].avg_time == want.v[i].avg_time && got.v[i].count == want.v[i].count,
			   "%s: avg_time %.17g / %.17g, count %llu / %llu", key, got.v[i].avg_time,
			   want.v[i].avg_time, (unsigned long long)got.v[i].count,
			   (unsigned long long)want.v[i].count);
		FUZZ_CHECK(raw == (strcmp(key, st->name) != 0), "raw_name on \"%s\": %d", key, raw);
		if (raw)
			FUZZ_CHECK(!fuzz_has_control(json_object_get_string(v),
						     strlen(json_object_get_string(v)), false),
				   "raw_name with a control byte");
		counted += st->count;
		i++;
	}
	FUZZ_CHECK(counted == finished, "%llu finished samples, %llu counted",
		   (unsigned long long)finished, (unsigned long long)counted);
	FUZZ_CHECK(json_object_object_get_ex(summary, "total_operations", &v) &&
			   (uint64_t)json_object_get_uint64(v) == finished,
		   "summary.total_operations");
	if (in->cmp)
		FUZZ_CHECK(json_object_object_get_ex(doc, "comparison", &v), "no comparison");
	perf_ops_free(&want);
	perf_ops_free(&got);
	json_object_put(doc);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned opt = size ? data[0] : 0;
	struct stats *st = stats_new(opt & 8 ? STATS_DEFAULT_MAX_OPERATIONS : 1 + (opt & 7));
	pid_t pids[] = { 1, 4194304 };
	struct report_input in = {
		.stats = st, .pids = pids, .npids = 2, .wall_seconds = 1.5, .counters = counters,
		.ncounters = sizeof(counters) / sizeof(counters[0]),
	};
	struct perf_ops base = { 0 }, cur = { 0 };
	struct comparison cmp = { 0 };
	uint64_t finished;
	size_t len;
	char *text;

	FUZZ_CHECK(st, "stats_new");
	finished = add_samples(st, data + (size > 0), size - (size > 0));
	thresholds_of((opt >> 4) & 3, &in.th);
	FUZZ_CHECK(report_prepare(&in) == 0, "report_prepare");
	if (opt & 64) { /* against itself twice as fast, one operation gone */
		FUZZ_CHECK(report_perf_ops(&in, &base) == 0 && report_perf_ops(&in, &cur) == 0,
			   "report_perf_ops");
		for (size_t i = 0; i < base.n; i++)
			base.v[i].avg_time /= 2;
		if (cur.n)
			free(cur.v[--cur.n].name);
		FUZZ_CHECK(comparison_build(&base, &cur, 1.5, &cmp) == 0, "comparison_build");
		in.cmp = &cmp;
	}
	check_json(&in, finished);
	text = render(&in, false, &len);
	FUZZ_CHECK(!fuzz_has_control(text, len, true), "control byte in the text report");
	FUZZ_CHECK(fuzz_utf8_valid(text, len), "the text report is not valid UTF-8");
	free(text);
	comparison_free(&cmp);
	perf_ops_free(&base);
	perf_ops_free(&cur);
	report_release(&in);
	stats_free(st);
	return 0;
}
