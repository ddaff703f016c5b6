// SPDX-License-Identifier: MIT
/*
 * test_views.c - every view of one real trace agrees with its JSON report.
 * One etltrace run writes the folded stacks (-o, --format folded), the JSON
 * report (--save-baseline), the timeline (--timeline) and the HTML page
 * (--html); then:
 *
 *   - the tree (flat, depth first): parents before children at one depth
 *     less, paths their parents' plus a name, self = total minus the
 *     children's totals (clamped at 0); per name, the nodes' counts,
 *     unfinished, self, total and CPU times sum to the operation's, and the
 *     roots' totals to summary.traced_time;
 *   - the folded stacks: strictly `a;b;c N` (one line per path, N a
 *     positive whole number, the separators and control bytes of names as
 *     \xNN), exactly the tree's paths of nonzero weight, each weight the
 *     node's (self time in whole microseconds, self CPU time, or count);
 *   - the timeline: strict JSON, one X slice per operation (finished or
 *     not), every slice inside the one enclosing it on its thread at one
 *     depth more; per name the durations have the report's count, total,
 *     min, max and histogram to the nanosecond, and CPU time, records and
 *     memory add up; the paths nesting gives have the tree's counts and self
 *     times; two RSS counter events per slice, every thread named;
 *   - the HTML page embeds exactly that report and that timeline (and has
 *     the timeline without --timeline too).
 *
 * Times are compared in whole nanoseconds: JSON numbers are the shortest
 * decimals of ns / 1e9 and read back exactly, the timeline's microseconds
 * have three decimals. Ground truth from the programs' arguments: counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Longest run of one etltrace command here. */
#define RUN_SECONDS 120
/* Joins names in the keys of paths: no test program's name holds it. */
#define KEY_SEP "\x01"

enum weight { W_TIME, W_CPU, W_COUNT };

/* One run's outputs. */
struct views {
	char dir[64];
	struct json_object *report, *timeline, *page_report, *page_timeline;
	char *folded, *html;
	size_t folded_len, html_len;
};

static const char *in_dir(const struct views *v, const char *name)
{
	static char buf[8][128];
	static int slot;
	char *b = buf[slot++ % 8];

	snprintf(b, sizeof(buf[0]), "%s/%s", v->dir, name);
	return b;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 65536 + 1 > cap) {
			char *b = realloc(buf, cap = 2 * cap + 65536 + 1);

			if (!b) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (!got)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* text[0..len) as strict JSON (RFC 8259, nothing but blanks after it). */
static struct json_object *parse_strict(const char *text, size_t len, const char *what)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	struct json_object *obj;
	size_t end;

	assert_non_null(tok);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success)
		fail_msg("%s is not valid JSON: %s at byte %zu", what,
			 json_tokener_error_desc(json_tokener_get_error(tok)), json_tokener_get_parse_end(tok));
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (strspn(text + end, " \t\r\n") != len - end)
		fail_msg("%s has more than one JSON value (byte %zu)", what, end);
	return obj;
}

/* The JSON of the page's data element id, unescaped by the parser. */
static struct json_object *page_data(const struct views *v, const char *id)
{
	char open[128];
	const char *start, *end;

	snprintf(open, sizeof(open), "<script type=\"application/json\" id=\"%s\">", id);
	start = strstr(v->html, open);
	if (!start)
		fail_msg("the page has no data element %s", id);
	start += strlen(open);
	end = strstr(start, "</script>");
	assert_non_null(end);
	return parse_strict(start, (size_t)(end - start), id);
}

/* Runs etltrace with every view of `cmd` and loads them into v. */
static void trace(struct views *v, enum weight w, char *const cmd[])
{
	static const char *const weights[] = { "time", "cpu", "count" };
	const char *argv[32];
	size_t n = 0, len;
	int status = -1, fd;
	pid_t pid;
	time_t deadline;

	memset(v, 0, sizeof(*v));
	strcpy(v->dir, "/tmp/etltrace-views-XXXXXX");
	assert_non_null(mkdtemp(v->dir));
	argv[n++] = build_path("etltrace");
	argv[n++] = "--format";
	argv[n++] = "folded";
	argv[n++] = "--folded-weight";
	argv[n++] = weights[w];
	argv[n++] = "-o";
	argv[n++] = in_dir(v, "folded.txt");
	argv[n++] = "--save-baseline";
	argv[n++] = in_dir(v, "report.json");
	argv[n++] = "--timeline";
	argv[n++] = in_dir(v, "timeline.json");
	argv[n++] = "--html";
	argv[n++] = in_dir(v, "report.html");
	argv[n++] = "--";
	for (size_t i = 0; cmd[i] && n < 31; i++)
		argv[n++] = cmd[i];
	argv[n] = NULL;
	fd = open(in_dir(v, "stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fd);
	deadline = time(NULL) + RUN_SECONDS;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (time(NULL) > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("etltrace ran over %d s (outputs in %s)", RUN_SECONDS, v->dir);
		}
		usleep(20000);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *err = slurp(in_dir(v, "stderr.txt"), &len);

		fail_msg("etltrace exited with status %#x: %s", status, err ? err : "");
	}
	v->folded = slurp(in_dir(v, "folded.txt"), &v->folded_len);
	v->html = slurp(in_dir(v, "report.html"), &v->html_len);
	assert_non_null(v->folded);
	assert_non_null(v->html);
	{
		char *text = slurp(in_dir(v, "report.json"), &len);

		assert_non_null(text);
		v->report = parse_strict(text, len, "the JSON report");
		free(text);
		text = slurp(in_dir(v, "timeline.json"), &len);
		assert_non_null(text);
		v->timeline = parse_strict(text, len, "the timeline");
		free(text);
	}
	v->page_report = page_data(v, "etltrace-report");
	v->page_timeline = page_data(v, "etltrace-timeline");
}

static void views_free(struct views *v)
{
	static const char *const files[] = { "folded.txt", "report.json", "timeline.json",
					     "report.html", "stderr.txt" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(in_dir(v, files[i]));
	rmdir(v->dir);
	json_object_put(v->report);
	json_object_put(v->timeline);
	json_object_put(v->page_report);
	json_object_put(v->page_timeline);
	free(v->folded);
	free(v->html);
}

/* --- reading ------------------------------------------------------------ */

static struct json_object *member(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v))
		fail_msg("key '%s' missing", key);
	return v;
}

static bool has(struct json_object *obj, const char *key)
{
	return obj && json_object_object_get_ex(obj, key, NULL);
}

/* Seconds (an exact JSON number) as whole nanoseconds. */
static int64_t ns_of(struct json_object *obj, const char *key)
{
	return llround(json_object_get_double(member(obj, key)) * 1e9);
}

static int64_t int_of(struct json_object *obj, const char *key)
{
	struct json_object *v = member(obj, key);

	if (!json_object_is_type(v, json_type_int))
		fail_msg("'%s' is not a whole number", key);
	return json_object_get_int64(v);
}

static const char *str_of(struct json_object *obj, const char *key)
{
	struct json_object *v = member(obj, key);

	if (!json_object_is_type(v, json_type_string))
		fail_msg("'%s' is not a string", key);
	return json_object_get_string(v);
}

/* Sums kept by key (a name, or a path's key). */
enum { S_COUNT, S_UNFIN, S_SELF, S_TOTAL, S_CPU, S_RECORDS, NSUM };

struct sums {
	struct sum_entry {
		char *key;
		int64_t v[NSUM];
	} *e;
	size_t n;
};

static struct sum_entry *sums_find(const struct sums *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->e[i].key, key))
			return &s->e[i];
	return NULL;
}

/* The sums of key, zeros when new. */
static int64_t *sums_at(struct sums *s, const char *key)
{
	struct sum_entry *e = sums_find(s, key);

	if (e)
		return e->v;
	s->e = realloc(s->e, (s->n + 1) * sizeof(*s->e));
	assert_non_null(s->e);
	e = &s->e[s->n++];
	memset(e, 0, sizeof(*e));
	e->key = strdup(key);
	return e->v;
}

static void sums_free(struct sums *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->e[i].key);
	free(s->e);
	memset(s, 0, sizeof(*s));
}

/* The key of a path: its names joined by KEY_SEP. */
static char *join(const char *prefix, const char *name)
{
	char *s;

	if (asprintf(&s, "%s%s%s", prefix ? prefix : "", prefix ? KEY_SEP : "", name) < 0)
		fail_msg("out of memory");
	return s;
}

/* key with its separators shown as ';', for messages (a static buffer). */
static const char *shown(const char *key)
{
	static char buf[2][512];
	static int slot;
	char *b = buf[slot++ % 2];

	snprintf(b, sizeof(buf[0]), "%s", key);
	for (char *p = b; *p; p++)
		if (*p == KEY_SEP[0])
			*p = ';';
	return b;
}

/* name with the bytes folded.c escapes written as \xNN. */
static void append_escaped(char **out, size_t *len, const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		char b[5];
		int n = (*p < 0x20 || *p == 0x7f || *p == ';' || *p == ' ' || *p == '\\')
				? snprintf(b, sizeof(b), "\\x%02x", *p)
				: snprintf(b, sizeof(b), "%c", *p);

		*out = realloc(*out, *len + (size_t)n + 1);
		memcpy(*out + *len, b, (size_t)n + 1);
		*len += (size_t)n;
	}
}

/* --- the tree ------------------------------------------------------------ */

struct tnode {
	const char *name;
	char *key;     /* names joined by KEY_SEP */
	char *folded;  /* names escaped, joined by ';' */
	int64_t parent, depth, count, unfinished, total, self, cpu, self_cpu, children_total,
		children_cpu;
};

struct tree {
	struct tnode *n;
	size_t len;
	struct sums by_path;
};

static void tree_free(struct tree *t)
{
	for (size_t i = 0; i < t->len; i++) {
		free(t->n[i].key);
		free(t->n[i].folded);
	}
	free(t->n);
	sums_free(&t->by_path);
}

/* Checks the tree's shape and its sums against the operations and the
 * summary; returns it for the other views. */
static void check_tree(struct json_object *report, struct tree *t)
{
	struct json_object *tree = member(report, "tree"), *ops = member(report, "operations");
	struct sums by_name = { 0 };
	int64_t roots = 0;

	t->len = json_object_array_length(tree);
	t->n = calloc(t->len ? t->len : 1, sizeof(*t->n));
	assert_true(t->len > 0);
	for (size_t i = 0; i < t->len; i++) {
		struct json_object *o = json_object_array_get_idx(tree, i);
		struct tnode *n = &t->n[i];
		size_t flen = 0;

		n->name = str_of(o, "name");
		n->parent = int_of(o, "parent");
		n->depth = int_of(o, "depth");
		n->count = int_of(o, "count");
		n->unfinished = int_of(o, "unfinished");
		n->total = ns_of(o, "total_time");
		n->self = ns_of(o, "self_time");
		n->cpu = ns_of(o, "cpu_time");
		n->self_cpu = ns_of(o, "self_cpu_time");
		if (strncmp(n->name, "[unknown]", 9) == 0)
			fail_msg("node %zu: a path with an unknown root in a complete trace", i);
		if (n->parent == -1) {
			if (n->depth != 0 || strcmp(str_of(o, "path"), n->name))
				fail_msg("root %zu (%s): depth %lld, path '%s'", i, n->name,
					 (long long)n->depth, str_of(o, "path"));
			n->key = join(NULL, n->name);
			roots += n->total;
		} else {
			struct tnode *p = &t->n[n->parent];
			char *want;

			if (n->parent < 0 || (size_t)n->parent >= i || n->depth != p->depth + 1)
				fail_msg("node %zu (%s): parent %lld at depth %lld, its depth %lld", i,
					 n->name, (long long)n->parent, (long long)p->depth,
					 (long long)n->depth);
			/* depth first: the parent is the last node one level up */
			for (size_t k = (size_t)n->parent + 1; k < i; k++)
				if (t->n[k].depth < n->depth)
					fail_msg("node %zu (%s) is not listed depth first", i, n->name);
			if (asprintf(&want, "%s;%s", str_of(json_object_array_get_idx(tree, (size_t)n->parent), "path"),
				     n->name) < 0)
				fail_msg("out of memory");
			if (strcmp(want, str_of(o, "path")))
				fail_msg("node %zu: path '%s', want '%s'", i, str_of(o, "path"), want);
			free(want);
			n->key = join(p->key, n->name);
			p->children_total += n->total;
			p->children_cpu += n->cpu;
		}
		/* the parent's folded path, escaped already, then ';' */
		if (n->parent != -1) {
			n->folded = malloc(strlen(t->n[n->parent].folded) + 2);
			flen = (size_t)sprintf(n->folded, "%s;", t->n[n->parent].folded);
		}
		append_escaped(&n->folded, &flen, n->name);
		if (sums_find(&t->by_path, n->key))
			fail_msg("path of node %zu (%s) listed twice", i, n->name);
		{
			int64_t *s = sums_at(&t->by_path, n->key);

			s[S_COUNT] = n->count;
			s[S_SELF] = n->self;
		}
	}
	for (size_t i = 0; i < t->len; i++) {
		struct tnode *n = &t->n[i];
		int64_t *s = sums_at(&by_name, n->name);
		int64_t self = n->total > n->children_total ? n->total - n->children_total : 0;
		int64_t self_cpu = n->cpu > n->children_cpu ? n->cpu - n->children_cpu : 0;

		if (n->self != self || n->self_cpu != self_cpu)
			fail_msg("node %zu (%s): self %lld ns (cpu %lld), want %lld (cpu %lld)", i,
				 n->name, (long long)n->self, (long long)n->self_cpu, (long long)self,
				 (long long)self_cpu);
		if (!has(ops, n->name))
			fail_msg("tree node %s is no operation of the report", n->name);
		s[S_COUNT] += n->count;
		s[S_UNFIN] += n->unfinished;
		s[S_SELF] += n->self;
		s[S_TOTAL] += n->total;
		s[S_CPU] += n->cpu;
	}
	/* No test program nests a name in itself: totals add up per name too. */
	json_object_object_foreach(ops, name, op) {
		int64_t *s = sums_at(&by_name, name);

		if (s[S_COUNT] != int_of(op, "count") || s[S_UNFIN] != int_of(op, "unfinished") ||
		    s[S_SELF] != ns_of(op, "self_time") || s[S_TOTAL] != ns_of(op, "total_time") ||
		    (has(op, "cpu_time") && s[S_CPU] != ns_of(op, "cpu_time")))
			fail_msg("%s: the tree has count %lld, unfinished %lld, self %lld ns, total %lld ns, "
				 "cpu %lld ns; the report %lld, %lld, %lld, %lld, %lld", name,
				 (long long)s[S_COUNT], (long long)s[S_UNFIN], (long long)s[S_SELF],
				 (long long)s[S_TOTAL], (long long)s[S_CPU], (long long)int_of(op, "count"),
				 (long long)int_of(op, "unfinished"), (long long)ns_of(op, "self_time"),
				 (long long)ns_of(op, "total_time"),
				 (long long)(has(op, "cpu_time") ? ns_of(op, "cpu_time") : -1));
	}
	if (roots != ns_of(member(report, "summary"), "traced_time"))
		fail_msg("roots' total %lld ns, traced_time %lld ns", (long long)roots,
			 (long long)ns_of(member(report, "summary"), "traced_time"));
	sums_free(&by_name);
}

/* --- folded stacks -------------------------------------------------------- */

/* One frame, strictly: bytes other than the separators and control bytes,
 * or \xNN escapes (lowercase hex). Returns its length, 0 if not a frame. */
static size_t frame_len(const char *s, const char *end)
{
	const char *p = s;

	while (p < end && *p != ';') {
		unsigned char c = (unsigned char)*p;

		if (c == '\\') {
			if (end - p < 4 || p[1] != 'x' || !strchr("0123456789abcdef", p[2]) ||
			    !strchr("0123456789abcdef", p[3]) || !p[2] || !p[3])
				return 0;
			p += 4;
		} else if (c < 0x20 || c == 0x7f || c == ' ') {
			return 0;
		} else {
			p++;
		}
	}
	return (size_t)(p - s);
}

static uint64_t node_weight(const struct tnode *n, enum weight w)
{
	switch (w) {
	case W_CPU:
		return (uint64_t)n->self_cpu / 1000;
	case W_COUNT:
		return (uint64_t)n->count;
	case W_TIME:
		break;
	}
	return (uint64_t)n->self / 1000;
}

static void check_folded(const struct views *v, const struct tree *t, enum weight w)
{
	struct json_object *lines = json_object_new_object();
	const char *p = v->folded, *end = v->folded + v->folded_len;
	size_t nlines = 0, want_lines = 0;

	if (v->folded_len && end[-1] != '\n')
		fail_msg("the folded stacks do not end with a newline");
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *sp, *q;
		char *path, *endnum;
		unsigned long long weight;

		sp = memrchr(p, ' ', (size_t)(eol - p));
		if (!sp || sp == p || sp + 1 == eol || sp[1] == '0' ||
		    strspn(sp + 1, "0123456789") != (size_t)(eol - sp - 1))
			fail_msg("folded line %zu is not 'a;b;c N' with N > 0: '%.*s'", nlines + 1,
				 (int)(eol - p), p);
		for (q = p; q < sp; q++) {
			size_t len = frame_len(q, sp);

			if (!len)
				fail_msg("folded line %zu: an empty or unescaped frame at byte %zu: '%.*s'",
					 nlines + 1, (size_t)(q - p), (int)(eol - p), p);
			q += len;
			if (q < sp && q + 1 == sp)
				fail_msg("folded line %zu ends its path with ';'", nlines + 1);
		}
		weight = strtoull(sp + 1, &endnum, 10);
		path = strndup(p, (size_t)(sp - p));
		if (json_object_object_get_ex(lines, path, NULL))
			fail_msg("folded path '%s' written twice", path);
		json_object_object_add(lines, path, json_object_new_uint64(weight));
		free(path);
		nlines++;
		p = eol + 1;
	}
	for (size_t i = 0; i < t->len; i++) {
		const struct tnode *n = &t->n[i];
		uint64_t want = node_weight(n, w);
		struct json_object *got;

		if (!want) {
			if (json_object_object_get_ex(lines, n->folded, NULL))
				fail_msg("folded path '%s' has weight 0 in the tree but a line", n->folded);
			continue;
		}
		want_lines++;
		if (!json_object_object_get_ex(lines, n->folded, &got))
			fail_msg("tree path '%s' (weight %llu) has no folded line", n->folded,
				 (unsigned long long)want);
		if (json_object_get_uint64(got) != want)
			fail_msg("folded '%s' weighs %llu, the tree %llu", n->folded,
				 (unsigned long long)json_object_get_uint64(got), (unsigned long long)want);
	}
	if (nlines != want_lines)
		fail_msg("%zu folded lines for %zu tree paths of nonzero weight", nlines, want_lines);
	json_object_put(lines);
}

/* --- the timeline ------------------------------------------------------- */

struct slice {
	const char *name;
	int64_t pid, tid, start, dur, depth, cpu, records;
	double mem_mb;
	bool unfinished;
};

static int by_thread_time(const void *a, const void *b)
{
	const struct slice *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->dur > y->dur ? -1 : x->dur < y->dur; /* the outer first */
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Microseconds with three decimals as whole nanoseconds. */
static int64_t ns_of_us(struct json_object *obj, const char *key)
{
	return llround(json_object_get_double(member(obj, key)) * 1000.0);
}

/* The durations of name (sorted) against the operation's statistics. */
static void check_durations(const char *name, struct json_object *op, int64_t *d, size_t n)
{
	struct json_object *hist = member(op, "histogram");
	size_t nb = json_object_array_length(hist), at = 0;
	int64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += d[i];
	if ((int64_t)n != int_of(op, "count") || (n && (d[0] != ns_of(op, "min_time") ||
							d[n - 1] != ns_of(op, "max_time"))) ||
	    sum != ns_of(op, "total_time"))
		fail_msg("%s: the timeline has %zu durations from %lld to %lld ns, %lld in all; the report "
			 "%lld from %lld to %lld, %lld", name, n, (long long)(n ? d[0] : 0),
			 (long long)(n ? d[n - 1] : 0), (long long)sum, (long long)int_of(op, "count"),
			 (long long)ns_of(op, "min_time"), (long long)ns_of(op, "max_time"),
			 (long long)ns_of(op, "total_time"));
	/* Each duration in its bucket: the first listed le at or above it. */
	for (size_t b = 0; b < nb; b++) {
		struct json_object *bucket = json_object_array_get_idx(hist, b);
		int64_t le = ns_of(bucket, "le"), in = 0;

		while (at < n && d[at] <= le) {
			at++;
			in++;
		}
		if (in != int_of(bucket, "count"))
			fail_msg("%s: %lld durations up to %lld ns in the timeline, %lld in the histogram",
				 name, (long long)in, (long long)le, (long long)int_of(bucket, "count"));
	}
	if (at != n)
		fail_msg("%s: %zu durations above the histogram's last bucket", name, n - at);
}

static void check_timeline(const struct views *v, const struct tree *t)
{
	struct json_object *events = member(v->timeline, "traceEvents");
	struct json_object *ops = member(v->report, "operations");
	struct json_object *summary = member(v->report, "summary");
	struct json_object *named = json_object_new_object();
	struct sums per_name = { 0 }, paths = { 0 };
	size_t n = json_object_array_length(events), nx = 0, nrss = 0;
	struct slice *s = calloc(n ? n : 1, sizeof(*s));
	int64_t wall = ns_of(summary, "wall_time");

	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(events, i), *args;
		const char *ph = str_of(e, "ph");

		if (!strcmp(ph, "M")) {
			char tid[32];

			if (!strcmp(str_of(e, "name"), "thread_name")) {
				snprintf(tid, sizeof(tid), "%lld", (long long)int_of(e, "tid"));
				json_object_object_add(named, tid, NULL);
			}
			continue;
		}
		if (!strcmp(ph, "C")) {
			if (strcmp(str_of(e, "name"), "rss") ||
			    json_object_get_double(member(member(e, "args"), "rss_mb")) <= 0)
				fail_msg("event %zu: a counter other than a positive rss_mb", i);
			nrss++;
			continue;
		}
		if (strcmp(ph, "X"))
			fail_msg("event %zu: phase '%s'", i, ph);
		args = member(e, "args");
		s[nx] = (struct slice){
			.name = str_of(e, "name"), .pid = int_of(e, "pid"), .tid = int_of(e, "tid"),
			.start = ns_of_us(e, "ts"), .dur = ns_of_us(e, "dur"),
			.depth = int_of(args, "depth"),
			.cpu = llround(json_object_get_double(member(args, "cpu_time_ms")) * 1e6),
			.records = has(args, "records") ? int_of(args, "records") : 0,
			.mem_mb = json_object_get_double(member(args, "memory_delta_mb")),
			.unfinished = has(args, "unfinished"),
		};
		if (strcmp(str_of(e, "cat"), "operation") || s[nx].start < 0 ||
		    s[nx].start + s[nx].dur > wall)
			fail_msg("slice %zu (%s) at %lld ns for %lld ns: outside the trace of %lld ns", i,
				 s[nx].name, (long long)s[nx].start, (long long)s[nx].dur, (long long)wall);
		nx++;
	}
	if ((int64_t)nx != int_of(summary, "total_operations") + int_of(summary, "unfinished_operations") ||
	    (int64_t)nx != int_of(member(v->timeline, "otherData"), "events") ||
	    int_of(member(v->timeline, "otherData"), "events_dropped") != 0)
		fail_msg("%zu slices; the report has %lld operations and %lld unfinished", nx,
			 (long long)int_of(summary, "total_operations"),
			 (long long)int_of(summary, "unfinished_operations"));
	if (nrss != 2 * nx)
		fail_msg("%zu RSS counter events for %zu slices (two each)", nrss, nx);

	/* Nesting per thread, and the paths it gives. */
	qsort(s, nx, sizeof(*s), by_thread_time);
	{
		struct { size_t i; char *key; int64_t children; } stack[64];
		size_t depth = 0;

		for (size_t i = 0; i <= nx; i++) {
			/* close what ends before this slice, or every slice of a thread */
			while (depth && (i == nx || s[i].tid != s[stack[depth - 1].i].tid ||
					 s[stack[depth - 1].i].start + s[stack[depth - 1].i].dur <= s[i].start)) {
				const struct slice *top = &s[stack[--depth].i];
				int64_t *sum = sums_at(&paths, stack[depth].key);

				if (!top->unfinished) {
					sum[S_COUNT]++;
					sum[S_SELF] += top->dur > stack[depth].children ? top->dur - stack[depth].children : 0;
				}
				free(stack[depth].key);
			}
			if (i == nx)
				break;
			if (depth) {
				const struct slice *up = &s[stack[depth - 1].i];

				if (s[i].start + s[i].dur > up->start + up->dur || s[i].depth != up->depth + 1 ||
				    s[i].pid != up->pid)
					fail_msg("thread %lld: %s (depth %lld, %lld+%lld ns) overlaps %s (depth %lld, "
						 "%lld+%lld ns) without being inside it", (long long)s[i].tid,
						 s[i].name, (long long)s[i].depth, (long long)s[i].start,
						 (long long)s[i].dur, up->name, (long long)up->depth,
						 (long long)up->start, (long long)up->dur);
				if (!s[i].unfinished)
					stack[depth - 1].children += s[i].dur;
			} else if (s[i].depth != 0) {
				fail_msg("thread %lld: %s at depth %lld inside no slice", (long long)s[i].tid,
					 s[i].name, (long long)s[i].depth);
			}
			assert_true(depth < 64);
			stack[depth].i = i;
			stack[depth].children = 0;
			stack[depth].key = join(depth ? stack[depth - 1].key : NULL, s[i].name);
			depth++;
		}
	}
	for (size_t i = 0; i < paths.n; i++) {
		const char *key = paths.e[i].key;
		const int64_t *got = paths.e[i].v;
		const struct sum_entry *tree_sum = sums_find(&t->by_path, key);
		const int64_t *want;

		if (!tree_sum)
			fail_msg("the timeline nests a path the tree lacks (%s)", shown(key));
		want = tree_sum->v;
		if (got[S_COUNT] != want[S_COUNT] || got[S_SELF] != want[S_SELF])
			fail_msg("path %s: %lld slices, self %lld ns in the timeline; the tree %lld, %lld ns",
				 shown(key), (long long)got[S_COUNT], (long long)got[S_SELF],
				 (long long)want[S_COUNT], (long long)want[S_SELF]);
	}
	for (size_t i = 0; i < t->len; i++)
		if (t->n[i].count && !sums_find(&paths, t->n[i].key))
			fail_msg("tree path %s has no slice in the timeline", shown(t->n[i].key));

	/* Per name: the durations, CPU time, records and memory. */
	for (size_t i = 0; i < nx; i++) {
		int64_t *sum = sums_at(&per_name, s[i].name);
		char tid[32];

		snprintf(tid, sizeof(tid), "%lld", (long long)s[i].tid);
		if (!json_object_object_get_ex(named, tid, NULL))
			fail_msg("thread %s has slices but no thread_name", tid);
		if (!has(ops, s[i].name))
			fail_msg("slice %s is no operation of the report", s[i].name);
		sum[s[i].unfinished ? S_UNFIN : S_COUNT]++;
		if (!s[i].unfinished) {
			sum[S_CPU] += s[i].cpu;
			sum[S_RECORDS] += s[i].records;
		}
	}
	json_object_object_foreach(ops, name, op) {
		int64_t *sum = sums_at(&per_name, name), *d = calloc((size_t)sum[S_COUNT] + 1, sizeof(*d));
		size_t nd = 0;
		double mem = 0;

		for (size_t i = 0; i < nx; i++)
			if (!s[i].unfinished && !strcmp(s[i].name, name)) {
				d[nd++] = s[i].dur;
				mem += s[i].mem_mb;
			}
		qsort(d, nd, sizeof(*d), cmp_i64);
		check_durations(name, op, d, nd);
		free(d);
		if (sum[S_UNFIN] != int_of(op, "unfinished"))
			fail_msg("%s: %lld unfinished slices, %lld in the report", name,
				 (long long)sum[S_UNFIN], (long long)int_of(op, "unfinished"));
		if (has(op, "cpu_time") && sum[S_CPU] != ns_of(op, "cpu_time"))
			fail_msg("%s: CPU time %lld ns in the timeline, %lld in the report", name,
				 (long long)sum[S_CPU], (long long)ns_of(op, "cpu_time"));
		if (sum[S_RECORDS] != (has(op, "records") ? int_of(op, "records") : 0))
			fail_msg("%s: %lld records in the timeline", name, (long long)sum[S_RECORDS]);
		/* memory_delta_mb has 6 decimals: half a byte of rounding each */
		if (fabs(mem - json_object_get_double(member(op, "avg_memory_delta")) *
				       (double)int_of(op, "count")) > 1e-6 * (double)(nd + 1))
			fail_msg("%s: memory deltas add up to %.6f MB, the report's average to %.6f", name,
				 mem, json_object_get_double(member(op, "avg_memory_delta")) *
					      (double)int_of(op, "count"));
	}
	free(s);
	sums_free(&per_name);
	sums_free(&paths);
	json_object_put(named);
}

/* All views of one run, after the checks particular to its program. */
static void check_views(struct views *v, enum weight w, struct tree *t)
{
	check_tree(v->report, t);
	check_folded(v, t, w);
	check_timeline(v, t);
	if (!json_object_equal(v->page_report, v->report))
		fail_msg("the HTML page embeds another report than the JSON one (in %s)", v->dir);
	if (!json_object_equal(v->page_timeline, v->timeline))
		fail_msg("the HTML page embeds another timeline than --timeline's (in %s)", v->dir);
	if (strstr(v->html, "<script src") || strstr(v->html, "<link"))
		fail_msg("the HTML page loads something (in %s)", v->dir);
}

static int64_t path_count(const struct tree *t, const char *key)
{
	const struct sum_entry *s = sums_find(&t->by_path, key);

	if (!s)
		fail_msg("no tree path %s", shown(key));
	return s->v[S_COUNT];
}

/* --- tests -------------------------------------------------------------- */

/* The demo with two transform threads: their batches are roots of their
 * own threads. 40,000 records in batches of 5,000, two rounds. */
static void test_the_demo_views_agree(void **state)
{
	char *cmd[] = { (char *)build_path("examples/etl_demo"), "--records", "40000", "--rounds", "2",
			"--pause-ms", "20", "--threads", "2", "--output", "/dev/null", NULL };
	struct views v;
	struct tree t = { 0 };

	(void)state;
	trace(&v, W_TIME, cmd);
	check_views(&v, W_TIME, &t);
	assert_int_equal(path_count(&t, "pipeline"), 2);
	assert_int_equal(path_count(&t, "pipeline" KEY_SEP "extract" KEY_SEP "parse_csv"), 2);
	assert_int_equal(path_count(&t, "pipeline" KEY_SEP "load" KEY_SEP "write_rows"), 2);
	assert_int_equal(path_count(&t, "transform_batch"), 16);
	assert_int_equal(path_count(&t, "transform_batch" KEY_SEP "dedupe"), 16);
	tree_free(&t);
	views_free(&v);
}

/* 30 x outer{ 2 x middle{ 3 x inner{ scoped_leaf } } }, folded by CPU time. */
static void test_nested_views_agree(void **state)
{
	char *cmd[] = { (char *)build_path("tests/progs/marked"), "nested", "30", NULL };
	struct views v;
	struct tree t = { 0 };

	(void)state;
	trace(&v, W_CPU, cmd);
	check_views(&v, W_CPU, &t);
	assert_int_equal(t.len, 4);
	assert_int_equal(path_count(&t, "outer"), 30);
	assert_int_equal(path_count(&t, "outer" KEY_SEP "middle"), 60);
	assert_int_equal(path_count(&t, "outer" KEY_SEP "middle" KEY_SEP "inner"), 180);
	assert_int_equal(path_count(&t, "outer" KEY_SEP "middle" KEY_SEP "inner" KEY_SEP "scoped_leaf"), 180);
	tree_free(&t);
	views_free(&v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names holding ';', ' ', '\\' and a tab, folded by count: every path has
 * a line, and its frames are escaped. */
static void test_separators_in_names_are_escaped(void **state)
{
	char *cmd[] = { (char *)build_path("tests/progs/marked"), "separators", "25", NULL };
	static const char *const want =
		"semi\\x3bcolon 25\n"
		"semi\\x3bcolon;tab\\x09here 25\n"
		"semi\\x3bcolon;with\\x20space 25\n"
		"semi\\x3bcolon;with\\x20space;back\\x5cslash 25\n";
	struct views v;
	struct tree t = { 0 };
	char *sorted;

	(void)state;
	trace(&v, W_COUNT, cmd);
	check_views(&v, W_COUNT, &t);
	/* Order within siblings is by time: compare as sorted lines. */
	{
		char *lines[8], *save = NULL, *copy = strdup(v.folded);
		size_t n = 0, len = 0;

		for (char *l = strtok_r(copy, "\n", &save); l && n < 8; l = strtok_r(NULL, "\n", &save))
			lines[n++] = l;
		qsort(lines, n, sizeof(*lines), cmp_str);
		sorted = calloc(1, v.folded_len + 1);
		for (size_t i = 0; i < n; i++)
			len += (size_t)sprintf(sorted + len, "%s\n", lines[i]);
		free(copy);
	}
	assert_string_equal(sorted, want);
	free(sorted);
	tree_free(&t);
	views_free(&v);
}

/* --html alone: the page has the timeline too, one slice per operation. */
static void test_the_page_alone_has_the_timeline(void **state)
{
	struct views v = { 0 };
	char *args[] = { "--html", NULL, "--", (char *)build_path("tests/progs/marked"), "nested", "3", NULL };
	struct json_object *report = NULL, *events;
	size_t slices = 0;
	int rc;

	(void)state;
	strcpy(v.dir, "/tmp/etltrace-views-XXXXXX");
	assert_non_null(mkdtemp(v.dir));
	args[1] = (char *)in_dir(&v, "report.html");
	rc = run_etltrace(args, &report, NULL);
	assert_int_equal(rc, 0);
	v.html = slurp(in_dir(&v, "report.html"), &v.html_len);
	assert_non_null(v.html);
	v.page_report = page_data(&v, "etltrace-report");
	v.page_timeline = page_data(&v, "etltrace-timeline");
	events = member(v.page_timeline, "traceEvents");
	for (size_t i = 0; i < json_object_array_length(events); i++)
		slices += !strcmp(str_of(json_object_array_get_idx(events, i), "ph"), "X");
	assert_int_equal(slices, 3 + 6 + 18 + 18);
	assert_int_equal(int_of(member(v.page_report, "summary"), "total_operations"), 45);
	json_object_put(report);
	views_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_demo_views_agree),
		cmocka_unit_test(test_nested_views_agree),
		cmocka_unit_test(test_separators_in_names_are_escaped),
		cmocka_unit_test(test_the_page_alone_has_the_timeline),
	};

	return cmocka_run_group_tests(tests, harness_require_root, NULL);
}
