// SPDX-License-Identifier: MIT
/* series.c - cumulative counters per (command, operation), see series.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/series.h"

#define BUCKETS 4096

struct node {
	struct node *next;
	uint64_t hash;
	struct series s;       /* what is exported: retired + live */
	struct series retired; /* its values only */
};

struct series_set {
	size_t max;
	uint64_t bounds[SERIES_MAX_BUCKETS];
	size_t nbounds;
	struct node *b[BUCKETS];
	struct node **order; /* in the order created */
	size_t n;
	uint64_t over;       /* retired samples past the bound */
	uint64_t live_over;  /* live ones, as of series_live_begin */
};

struct series_set *series_new(size_t max_series, const uint64_t *bounds_ns, size_t nbounds)
{
	struct series_set *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->max = max_series;
	s->nbounds = nbounds < SERIES_MAX_BUCKETS ? nbounds : SERIES_MAX_BUCKETS;
	memcpy(s->bounds, bounds_ns, s->nbounds * sizeof(*bounds_ns));
	return s;
}

void series_free(struct series_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < BUCKETS; i++)
		for (struct node *n = s->b[i], *next; n; n = next) {
			next = n->next;
			free(n);
		}
	free(s->order);
	free(s);
}

/* The key's hash: the command's (at most 15 bytes) mixed into the name's
 * (stats_hash, which the intake and the statistics already computed). */
static uint64_t hash_of(const char *command, uint64_t name_hash)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = command; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	h ^= name_hash + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

/* The node of (command, name), created at zero if absent; NULL past the
 * bound or without memory. */
static struct node *get(struct series_set *s, const char *command, const char *name,
			uint64_t name_hash)
{
	uint64_t h = hash_of(command, name_hash);
	size_t b = (size_t)(h >> 40) % BUCKETS, len = strlen(name);
	struct node **v, *n;

	for (n = s->b[b]; n; n = n->next)
		if (n->hash == h && !strcmp(n->s.command, command) && !strcmp(n->s.name, name))
			return n;
	if (s->n >= s->max)
		return NULL;
	n = calloc(1, sizeof(*n) + len + 1);
	v = n ? realloc(s->order, (s->n + 1) * sizeof(*v)) : NULL;
	if (!v) {
		free(n);
		return NULL;
	}
	s->order = v;
	n->hash = h;
	snprintf(n->s.command, sizeof(n->s.command), "%s", command);
	memcpy((char *)(n + 1), name, len + 1);
	n->s.name = (const char *)(n + 1);
	n->next = s->b[b];
	s->b[b] = n;
	s->order[s->n++] = n;
	return n;
}

/* Adds one sample to e. */
static void add_sample(const struct series_set *s, struct series *e, const struct op_sample *x)
{
	size_t i;

	if (x->unfinished) {
		e->unfinished++;
		return;
	}
	e->count++;
	e->sum_ns += x->duration_ns;
	for (i = 0; i < s->nbounds && x->duration_ns > s->bounds[i]; i++)
		;
	if (i < s->nbounds)
		e->buckets[i]++;
	e->mem_sum += x->mem_delta;
	e->peak_sum += x->mem_peak_delta;
	if (x->has_resources) {
		e->cpu_ns += x->cpu_ns;
		e->off_cpu_ns += x->duration_ns > x->cpu_ns ? x->duration_ns - x->cpu_ns : 0;
		e->min_flt += x->min_flt;
		e->maj_flt += x->maj_flt;
		e->read_bytes += x->read_bytes;
		e->write_bytes += x->write_bytes;
	}
	if (x->has_records)
		e->records += x->records;
}

void series_sink(void *ctx, const struct op_event *ev)
{
	struct series_set *s = ctx;
	struct node *n = get(s, ev->proc ? ev->proc->comm : "", ev->name, ev->name_hash);

	if (!n) {
		s->over++;
		return;
	}
	add_sample(s, &n->retired, ev->s);
	add_sample(s, &n->s, ev->s);
}

/* Adds what op holds beyond b (its earlier copy, or NULL) to e. The
 * statistics count per bound with the set's bounds (stats_set_bounds). */
static void add_op(const struct series_set *s, struct series *e, const struct op_stats *op,
		   const struct op_stats *b)
{
	static const struct op_stats zero;

	if (!b)
		b = &zero;
	e->count += op->count - b->count;
	e->unfinished += op->unfinished - b->unfinished;
	e->sum_ns += op->total_ns - b->total_ns;
	for (size_t i = 0; op->le_counts && i < s->nbounds; i++)
		e->buckets[i] += op->le_counts[i] - (b->le_counts ? b->le_counts[i] : 0);
	e->mem_sum += op->sum_mem_delta - b->sum_mem_delta;
	e->peak_sum += op->sum_peak_delta - b->sum_peak_delta;
	e->cpu_ns += op->cpu_ns - b->cpu_ns;
	e->off_cpu_ns += op->off_cpu_ns - b->off_cpu_ns;
	e->min_flt += op->min_flt - b->min_flt;
	e->maj_flt += op->maj_flt - b->maj_flt;
	e->read_bytes += op->read_bytes - b->read_bytes;
	e->write_bytes += op->write_bytes - b->write_bytes;
	e->records += op->records - b->records;
}

/* Adds st beyond base under command: to the retired part (and what is
 * exported) when retire, else to what is exported only. */
static void add_stats(struct series_set *s, const char *command, const struct stats *st,
		      const struct stats *base, bool retire)
{
	const struct op_stats *op;
	size_t cursor = 0;
	uint64_t hash;

	while ((op = stats_next(st, &cursor, &hash))) {
		const struct op_stats *b = base ? stats_find(base, op->name) : NULL;
		struct node *n;

		if (base && (op == stats_other(st)) != (b == stats_other(base)))
			b = op == stats_other(st) ? stats_other(base) : NULL;
		if (b && b->count == op->count && b->unfinished == op->unfinished)
			continue;
		n = get(s, command, op->name, hash);
		if (!n) {
			*(retire ? &s->over : &s->live_over) +=
				op->count + op->unfinished - (b ? b->count + b->unfinished : 0);
			continue;
		}
		if (retire)
			add_op(s, &n->retired, op, b);
		add_op(s, &n->s, op, b);
	}
}

void series_retire(struct series_set *s, const char *command, const struct stats *st,
		   const struct stats *base)
{
	add_stats(s, command, st, base, true);
}

void series_live_begin(struct series_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct series *e = &s->order[i]->s;
		const char *name = e->name;
		char command[ETL_COMM_LEN];

		memcpy(command, e->command, sizeof(command));
		*e = s->order[i]->retired;
		memcpy(e->command, command, sizeof(command));
		e->name = name;
	}
	s->live_over = 0;
}

void series_live_add(struct series_set *s, const char *command, const struct stats *st,
		     const struct stats *base)
{
	add_stats(s, command, st, base, false);
}

void series_note_open(struct series_set *s, const char *command, const char *name)
{
	get(s, command, name, stats_hash(name));
}

size_t series_count(const struct series_set *s)
{
	return s->n;
}

const struct series *series_at(const struct series_set *s, size_t i)
{
	return i < s->n ? &s->order[i]->s : NULL;
}

size_t series_bounds(const struct series_set *s, const uint64_t **bounds_ns)
{
	*bounds_ns = s->bounds;
	return s->nbounds;
}

uint64_t series_over_limit(const struct series_set *s)
{
	return s->over + s->live_over;
}
