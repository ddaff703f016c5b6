// SPDX-License-Identifier: MIT
/*
 * stats.c - the per-operation table behind stats.h: an open-addressing hash
 * table (linear probing, power-of-two capacity, at most half full) of
 * pointers to heap-allocated op_stats, keyed by the raw name bytes.
 *
 * Names come from the traced process; a process emitting many distinct names
 * crafted to collide under FNV-1a only slows its own report down. The table
 * holds at most max_named entries; the overflow entry lives beside it, so a
 * target's own operation named STATS_OTHER_NAME stays apart from it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/stats.h"

_Static_assert(sizeof(struct op_stats) == 296, "the memory bound in stats.h counts 296 bytes");

#define STATS_MIN_CAP 16

struct slot {
	uint64_t hash;
	struct op_stats *op; /* NULL: empty slot */
};

struct stats {
	struct slot *slots;
	size_t cap;       /* power of two */
	size_t size;      /* occupied slots, always <= cap / 2 and <= max_named */
	size_t max_named;
	struct op_stats *other; /* STATS_OTHER_NAME, NULL until a name is over the cap */
	uint64_t over_limit;    /* samples added to `other` */
	const uint64_t *bounds; /* stats_set_bounds, not owned */
	size_t nbounds;
	uint64_t win_seq;       /* 0: no windows kept */
};

static uint64_t name_hash(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a offset basis */

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Returns the slot holding `name`, or the empty slot where it belongs. */
static struct slot *slot_for(const struct slot *slots, size_t cap, uint64_t hash,
			     const char *name)
{
	size_t mask = cap - 1;

	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		const struct slot *sl = &slots[i];

		if (!sl->op || (sl->hash == hash && strcmp(sl->op->name, name) == 0))
			return (struct slot *)sl;
	}
}

/* `name` cut at STATS_NAME_MAX bytes: name itself, or a copy in buf. */
static const char *cut_name(const char *name, char buf[STATS_NAME_MAX + 1])
{
	if (strnlen(name, STATS_NAME_MAX + 1) <= STATS_NAME_MAX)
		return name;
	memcpy(buf, name, STATS_NAME_MAX);
	buf[STATS_NAME_MAX] = '\0';
	return buf;
}

/* A new empty entry with its name in the same allocation, or NULL. */
static struct op_stats *op_new(const char *name)
{
	size_t len = strlen(name);
	struct op_stats *op = calloc(1, sizeof(*op) + len + 1);

	if (!op)
		return NULL;
	op->name = (char *)(op + 1);
	memcpy(op->name, name, len + 1);
	return op;
}

static void op_free(struct op_stats *op)
{
	if (!op)
		return;
	histogram_release(&op->hist);
	free(op->le_counts);
	free(op);
}

struct stats *stats_new(size_t max_operations)
{
	struct stats *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->max_named = max_operations ? max_operations : 1;
	st->slots = calloc(STATS_MIN_CAP, sizeof(*st->slots));
	if (!st->slots) {
		free(st);
		return NULL;
	}
	st->cap = STATS_MIN_CAP;
	return st;
}

void stats_free(struct stats *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->cap; i++)
		op_free(st->slots[i].op);
	op_free(st->other);
	free(st->slots);
	free(st);
}

/* A sample's extremes, as a window of one. */
static struct op_window window_of(const struct op_sample *s, uint64_t seq)
{
	return (struct op_window){ seq, s->duration_ns, s->duration_ns, s->mem_delta,
				   s->mem_peak_delta, s->depth };
}

/* Merges w's extremes into a's. */
static void window_merge(struct op_window *a, const struct op_window *w)
{
	if (w->min_ns < a->min_ns)
		a->min_ns = w->min_ns;
	if (w->max_ns > a->max_ns)
		a->max_ns = w->max_ns;
	if (w->max_mem_delta > a->max_mem_delta)
		a->max_mem_delta = w->max_mem_delta;
	if (w->max_peak_delta > a->max_peak_delta)
		a->max_peak_delta = w->max_peak_delta;
	if (w->max_depth > a->max_depth)
		a->max_depth = w->max_depth;
}

/* Merges w's extremes into op's of all time (a field of op is written only
 * when it changes: this runs per sample without -i). */
static void extremes_merge(struct op_stats *op, const struct op_window *w)
{
	if (!op->has_extremes) {
		op->min_ns = w->min_ns;
		op->max_ns = w->max_ns;
		op->max_mem_delta = w->max_mem_delta;
		op->max_peak_delta = w->max_peak_delta;
		op->max_depth = w->max_depth;
		op->has_extremes = true;
		return;
	}
	if (w->min_ns < op->min_ns)
		op->min_ns = w->min_ns;
	if (w->max_ns > op->max_ns)
		op->max_ns = w->max_ns;
	if (w->max_mem_delta > op->max_mem_delta)
		op->max_mem_delta = w->max_mem_delta;
	if (w->max_peak_delta > op->max_peak_delta)
		op->max_peak_delta = w->max_peak_delta;
	if (w->max_depth > op->max_depth)
		op->max_depth = w->max_depth;
}

/* Merges op's window into its extremes of all time. Idempotent. */
static void fold(struct op_stats *op)
{
	if (op->win.seq)
		extremes_merge(op, &op->win);
}

/* A copy of op (of a table with nbounds bounds), its name, histogram and
 * counts per bound included, or NULL. */
static struct op_stats *op_clone(const struct op_stats *op, size_t nbounds)
{
	struct op_stats *c;

	if (!op)
		return NULL;
	c = op_new(op->name);
	if (!c)
		return NULL;
	*c = *op;
	c->name = (char *)(c + 1);
	c->le_counts = NULL;
	fold(c);
	c->win = (struct op_window){ 0 };
	if (histogram_copy(&c->hist, &op->hist)) {
		free(c);
		return NULL;
	}
	if (op->le_counts) {
		c->le_counts = malloc(nbounds * sizeof(*c->le_counts));
		if (!c->le_counts) {
			op_free(c);
			return NULL;
		}
		memcpy(c->le_counts, op->le_counts, nbounds * sizeof(*c->le_counts));
	}
	return c;
}

struct stats *stats_clone(const struct stats *st)
{
	struct stats *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	*c = *st;
	c->other = NULL;
	c->win_seq = 0;
	c->slots = calloc(st->cap, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	for (size_t i = 0; i < st->cap; i++) {
		if (!st->slots[i].op)
			continue;
		c->slots[i].hash = st->slots[i].hash;
		c->slots[i].op = op_clone(st->slots[i].op, st->nbounds);
		if (!c->slots[i].op)
			goto fail;
	}
	if (st->other && !(c->other = op_clone(st->other, st->nbounds)))
		goto fail;
	return c;
fail:
	stats_free(c);
	return NULL;
}

/* Doubles the capacity. Returns 0 or -ENOMEM (table unchanged). */
static int stats_grow(struct stats *st)
{
	size_t cap = st->cap * 2;
	struct slot *slots;

	if (cap < st->cap || cap > SIZE_MAX / sizeof(*slots))
		return -ENOMEM;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < st->cap; i++) {
		const struct slot *old = &st->slots[i];

		if (old->op)
			*slot_for(slots, cap, old->hash, old->op->name) = *old;
	}
	free(st->slots);
	st->slots = slots;
	st->cap = cap;
	return 0;
}

/* Returns the entry for `name`, created empty if absent and the table is
 * not full, or the overflow entry (*over set); NULL on ENOMEM. */
static struct op_stats *stats_get(struct stats *st, const char *name, uint64_t hash, bool *over)
{
	struct slot *sl = slot_for(st->slots, st->cap, hash, name);
	struct op_stats *op;

	*over = false;
	if (sl->op)
		return sl->op;
	if (st->size >= st->max_named) {
		*over = true;
		if (!st->other)
			st->other = op_new(STATS_OTHER_NAME);
		return st->other;
	}
	if ((st->size + 1) * 2 > st->cap) {
		if (stats_grow(st))
			return NULL;
		sl = slot_for(st->slots, st->cap, hash, name);
	}
	op = op_new(name);
	if (!op)
		return NULL;
	sl->hash = hash;
	sl->op = op;
	st->size++;
	return op;
}

/* Sums saturate: a sample's values come from the traced process (a record
 * count) or the kernel, and a sum that wraps, or a signed one that
 * overflows (undefined), would report nonsense where a cap reports a bound. */
static void add_u64(uint64_t *sum, uint64_t v)
{
	if (__builtin_add_overflow(*sum, v, sum))
		*sum = UINT64_MAX;
}

static void add_s64(int64_t *sum, int64_t v)
{
	if (__builtin_add_overflow(*sum, v, sum))
		*sum = v > 0 ? INT64_MAX : INT64_MIN;
}

/* With windows on: the first sample of a window folds the last one in and
 * starts it over. */
static void window_add(struct op_stats *op, uint64_t seq, const struct op_sample *s)
{
	struct op_window w = window_of(s, seq);

	if (op->win.seq == seq) {
		window_merge(&op->win, &w);
		return;
	}
	fold(op);
	op->win = w;
}

/* Counts a duration under its bound, if it is under one (le_counts is
 * allocated). */
static void le_count(const struct stats *st, struct op_stats *op, uint64_t d)
{
	size_t i = 0;

	while (i < st->nbounds && d > st->bounds[i])
		i++;
	if (i < st->nbounds)
		op->le_counts[i]++;
}

/* Returns 0, or -ENOMEM with op unchanged. */
static int op_add_finished(const struct stats *st, struct op_stats *op, const struct op_sample *s)
{
	if (st->nbounds && !op->le_counts &&
	    !(op->le_counts = calloc(st->nbounds, sizeof(*op->le_counts))))
		return -ENOMEM;
	if (histogram_add(&op->hist, s->duration_ns))
		return -ENOMEM;
	if (st->nbounds)
		le_count(st, op, s->duration_ns);
	if (st->win_seq) {
		window_add(op, st->win_seq, s);
	} else {
		struct op_window w = window_of(s, 0);

		extremes_merge(op, &w);
	}
	op->count++;
	add_u64(&op->total_ns, s->duration_ns);
	add_s64(&op->sum_mem_delta, s->mem_delta);
	add_s64(&op->sum_peak_delta, s->mem_peak_delta);

	if (s->has_resources) {
		add_u64(&op->cpu_ns, s->cpu_ns);
		if (s->duration_ns > s->cpu_ns)
			add_u64(&op->off_cpu_ns, s->duration_ns - s->cpu_ns);
		add_u64(&op->min_flt, s->min_flt);
		add_u64(&op->maj_flt, s->maj_flt);
		add_u64(&op->read_bytes, s->read_bytes);
		add_u64(&op->write_bytes, s->write_bytes);
		add_u64(&op->resource_ns, s->duration_ns);
		op->resource_samples++;
	}
	if (s->has_records) {
		add_u64(&op->records, s->records);
		add_u64(&op->records_ns, s->duration_ns);
		op->record_samples++;
	}
	return 0;
}

uint64_t stats_hash(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull; /* name_hash of name cut, in one pass */

	for (size_t i = 0; i < STATS_NAME_MAX && name[i]; i++) {
		h ^= (unsigned char)name[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

int stats_add(struct stats *st, const char *name, const struct op_sample *s)
{
	char buf[STATS_NAME_MAX + 1];

	if (!name)
		return -EINVAL;
	name = cut_name(name, buf);
	return stats_add_hashed(st, name, name_hash(name), s);
}

int stats_add_hashed(struct stats *st, const char *name, uint64_t hash, const struct op_sample *s)
{
	struct op_stats *op;
	bool over;
	int err = 0;

	if (!st || !name || !s)
		return -EINVAL;
	op = stats_get(st, name, hash, &over);
	if (!op)
		return -ENOMEM;
	if (s->unfinished)
		op->unfinished++;
	else
		err = op_add_finished(st, op, s);
	if (!err && over)
		st->over_limit++;
	return err;
}

int stats_set_bounds(struct stats *st, const uint64_t *bounds_ns, size_t n)
{
	if (!st || n > STATS_MAX_BOUNDS || (n && !bounds_ns))
		return -EINVAL;
	st->bounds = bounds_ns;
	st->nbounds = n;
	return 0;
}

void stats_window_start(struct stats *st)
{
	st->win_seq++;
}

void stats_fold(struct stats *st)
{
	for (size_t i = 0; st && i <= st->cap; i++) {
		struct op_stats *op = i < st->cap ? st->slots[i].op : st->other;

		if (op)
			fold(op);
	}
}

const struct op_stats *stats_next(const struct stats *st, size_t *cursor, uint64_t *hash)
{
	while (st && *cursor < st->cap) {
		const struct slot *sl = &st->slots[(*cursor)++];

		if (sl->op) {
			if (hash)
				*hash = sl->hash;
			return sl->op;
		}
	}
	if (st && *cursor == st->cap && st->other) {
		(*cursor)++;
		if (hash)
			*hash = name_hash(st->other->name);
		return st->other;
	}
	return NULL;
}

static uint64_t sub_u64(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* d (empty) := what op of `now` gained over m, its earlier copy (NULL:
 * none). Returns 0 or -ENOMEM. */
static int op_since(const struct stats *now, const struct op_stats *op,
		    const struct op_stats *m, struct op_stats *d)
{
	static const struct op_stats zero;
	uint64_t min = op->min_ns, max = op->max_ns;

	if (!m)
		m = &zero;
	d->count = op->count - m->count;
	d->unfinished = op->unfinished - m->unfinished;
	d->total_ns = sub_u64(op->total_ns, m->total_ns);
	d->sum_mem_delta = (int64_t)((uint64_t)op->sum_mem_delta - (uint64_t)m->sum_mem_delta);
	d->sum_peak_delta = (int64_t)((uint64_t)op->sum_peak_delta - (uint64_t)m->sum_peak_delta);
	d->cpu_ns = sub_u64(op->cpu_ns, m->cpu_ns);
	d->off_cpu_ns = sub_u64(op->off_cpu_ns, m->off_cpu_ns);
	d->min_flt = sub_u64(op->min_flt, m->min_flt);
	d->maj_flt = sub_u64(op->maj_flt, m->maj_flt);
	d->read_bytes = sub_u64(op->read_bytes, m->read_bytes);
	d->write_bytes = sub_u64(op->write_bytes, m->write_bytes);
	d->records = sub_u64(op->records, m->records);
	d->records_ns = sub_u64(op->records_ns, m->records_ns);
	d->resource_samples = op->resource_samples - m->resource_samples;
	d->resource_ns = sub_u64(op->resource_ns, m->resource_ns);
	d->record_samples = op->record_samples - m->record_samples;
	if (d->count && op->win.seq == now->win_seq && now->win_seq) {
		d->min_ns = min = op->win.min_ns;
		d->max_ns = max = op->win.max_ns;
		d->max_mem_delta = op->win.max_mem_delta;
		d->max_peak_delta = op->win.max_peak_delta;
		d->max_depth = op->win.max_depth;
	} else if (d->count) { /* no window: the extremes of all time */
		d->min_ns = op->min_ns;
		d->max_ns = op->max_ns;
		d->max_mem_delta = op->max_mem_delta;
		d->max_peak_delta = op->max_peak_delta;
		d->max_depth = op->max_depth;
	}
	d->has_extremes = d->count > 0;
	return histogram_diff(&d->hist, &op->hist, m == &zero ? NULL : &m->hist, min, max);
}

struct stats *stats_since(const struct stats *now, const struct stats *mark)
{
	struct stats *out = stats_new(now->max_named);
	const struct op_stats *op;
	size_t cursor = 0;
	uint64_t hash;

	if (!out)
		return NULL;
	while ((op = stats_next(now, &cursor, &hash))) {
		const struct op_stats *m = NULL;
		struct op_stats *d;
		bool over;

		if (mark)
			m = op == now->other ? mark->other
					     : slot_for(mark->slots, mark->cap, hash, op->name)->op;
		if (m && m->count == op->count && m->unfinished == op->unfinished)
			continue;
		if (op == now->other)
			d = out->other = op_new(STATS_OTHER_NAME);
		else
			d = stats_get(out, op->name, hash, &over);
		if (!d || op_since(now, op, m, d))
			goto fail;
	}
	out->over_limit = now->over_limit - (mark ? mark->over_limit : 0);
	return out;
fail:
	stats_free(out);
	return NULL;
}

size_t stats_size(const struct stats *st)
{
	return st ? st->size + (st->other != NULL) : 0;
}

uint64_t stats_over_limit(const struct stats *st)
{
	return st ? st->over_limit : 0;
}

const struct op_stats *stats_find(const struct stats *st, const char *name)
{
	char buf[STATS_NAME_MAX + 1];
	const struct op_stats *op;

	if (!st || !name)
		return NULL;
	name = cut_name(name, buf);
	op = slot_for(st->slots, st->cap, name_hash(name), name)->op;
	if (!op && st->other && strcmp(name, STATS_OTHER_NAME) == 0)
		op = st->other;
	return op;
}

const struct op_stats *stats_other(const struct stats *st)
{
	return st ? st->other : NULL;
}

static int cmp_total_desc(const void *a, const void *b)
{
	const struct op_stats *x = *(const struct op_stats *const *)a;
	const struct op_stats *y = *(const struct op_stats *const *)b;

	if (x->total_ns != y->total_ns)
		return x->total_ns > y->total_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

size_t stats_sorted(const struct stats *st, const struct op_stats **out)
{
	size_t n = 0;

	if (!st)
		return 0;
	for (size_t i = 0; i < st->cap; i++) {
		if (st->slots[i].op)
			out[n++] = st->slots[i].op;
	}
	if (st->other)
		out[n++] = st->other;
	if (n > 1)
		qsort(out, n, sizeof(*out), cmp_total_desc);
	return n;
}

ssize_t stats_sorted_alloc(const struct stats *st, const struct op_stats ***out)
{
	size_t n = stats_size(st);

	*out = NULL;
	if (n == 0)
		return 0;
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	return (ssize_t)stats_sorted(st, *out);
}

void stats_summarize(const struct stats *st, struct stats_summary *out)
{
	uint64_t total_ns = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; st && i <= st->cap; i++) {
		const struct op_stats *op = i < st->cap ? st->slots[i].op : st->other;

		if (!op)
			continue;
		add_u64(&total_ns, op->total_ns);
		out->total_operations += op->count;
		out->unfinished += op->unfinished;
	}
	out->total_time = (double)total_ns / 1e9;
	if (out->total_operations)
		out->avg_operation_time = out->total_time / (double)out->total_operations;
}
