// SPDX-License-Identifier: MIT
/*
 * trace_event.c - the timeline as trace-event JSON, see trace_event.h. Slices are written in the
 * order operations ended; viewers nest them by time on each thread. Names
 * are made valid UTF-8 and escaped by json-c, once per distinct name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "report/jsonfmt.h"
#include "report/trace_event.h"
#include "report/units.h"

/* name as a JSON string literal, malloc'd; NULL on ENOMEM. */
static char *quoted(const char *name)
{
	struct json_object *s = json_name(name);
	const char *text = s ? json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE)
			     : NULL;
	char *out = text ? strdup(text) : NULL;

	json_object_put(s);
	return out;
}

static double us_since(uint64_t t, uint64_t t0)
{
	return t > t0 ? (double)(t - t0) / 1000.0 : 0.0;
}

/* The metadata events naming processes and threads. */
static int write_names(const struct timeline *tl, FILE *f)
{
	const struct tl_thread *th;
	size_t n = timeline_threads(tl, &th);

	for (size_t i = 0; i < n; i++) {
		char *q = quoted(th[i].comm);

		if (!q)
			return -ENOMEM;
		if (th[i].tid == th[i].pid)
			fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,"
				   "\"args\":{\"name\":%s}},\n", th[i].pid, th[i].tid, q);
		fprintf(f, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,"
			   "\"args\":{\"name\":%s}},\n", th[i].pid, th[i].tid, q);
		free(q);
	}
	return 0;
}

int timeline_write_json(const struct timeline *tl, uint64_t t0_ns, FILE *f)
{
	size_t n = timeline_count(tl), nnames = 0;
	char **names = NULL;
	int err;

	fputs("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n", f);
	err = write_names(tl, f);
	for (size_t i = 0; i < n && !err; i++) {
		const struct tl_event *e = timeline_at(tl, i);
		double ts = us_since(e->start_ns, t0_ns);

		while (!err && e->name >= nnames) { /* names are interned in order */
			char **v = realloc(names, (nnames + 1) * sizeof(*v));

			if (v)
				names = v;
			if (!v || !(names[nnames] = quoted(timeline_name(tl, (uint32_t)nnames))))
				err = -ENOMEM;
			else
				nnames++;
		}
		if (err)
			break;
		fprintf(f, "{\"name\":%s,\"cat\":\"operation\",\"ph\":\"X\",\"ts\":%.3f,"
			   "\"dur\":%.3f,\"pid\":%u,\"tid\":%u,\"args\":{\"depth\":%u,"
			   "\"memory_delta_mb\":%.6f,\"cpu_time_ms\":%.6f",
			names[e->name], ts, (double)e->dur_ns / 1000.0, e->pid, e->tid, e->depth,
			mb_of_bytes((double)e->mem_delta), (double)e->cpu_ns / 1e6);
		if (e->has_records)
			fprintf(f, ",\"records\":%llu", (unsigned long long)e->records);
		if (e->unfinished)
			fputs(",\"unfinished\":true", f);
		fputs("}},\n", f);
		/* RSS when it started and when it ended: the counter track. */
		fprintf(f, "{\"name\":\"rss\",\"ph\":\"C\",\"ts\":%.3f,\"pid\":%u,"
			   "\"args\":{\"rss_mb\":%.3f}},\n", ts, e->pid, mb_of_bytes((double)e->rss_start));
		fprintf(f, "{\"name\":\"rss\",\"ph\":\"C\",\"ts\":%.3f,\"pid\":%u,"
			   "\"args\":{\"rss_mb\":%.3f}},\n", ts + (double)e->dur_ns / 1000.0, e->pid,
			mb_of_bytes((double)e->rss_start + (double)e->mem_delta));
	}
	/* A last event so that no comma dangles. */
	fprintf(f, "{\"name\":\"etltrace\",\"ph\":\"M\",\"pid\":0,\"args\":{\"events_dropped\":%llu}}\n"
		   "],\"otherData\":{\"events\":%zu,\"events_dropped\":%llu}}\n",
		(unsigned long long)timeline_dropped(tl), n, (unsigned long long)timeline_dropped(tl));
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	if (!err && (fflush(f) == EOF || ferror(f)))
		err = -EIO;
	return err;
}
