// SPDX-License-Identifier: MIT
/* series.c - cumulative counters per (command, operation), see series.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/series.h"
#include "collect/stats.h"

#define BUCKETS 4096

struct node {
	struct node *next;
	uint64_t hash;
	struct series s;
};

struct series_set {
	size_t max;
	uint64_t bounds[SERIES_MAX_BUCKETS];
	size_t nbounds;
	struct node *b[BUCKETS];
	struct series **order; /* in the order created */
	size_t n;
	uint64_t over;
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

/* The key's hash: the command's (at most 15 bytes) mixed into the name's,
 * which the intake computed once per name. */
static uint64_t hash_of(const char *command, uint64_t name_hash)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = command; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	h ^= name_hash + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

static struct series *get(struct series_set *s, const char *command, const char *name,
			  uint64_t name_hash)
{
	uint64_t h = hash_of(command, name_hash);
	size_t b = (size_t)(h >> 40) % BUCKETS, len = strlen(name);
	struct series **v;
	struct node *n;

	for (n = s->b[b]; n; n = n->next)
		if (n->hash == h && !strcmp(n->s.command, command) && !strcmp(n->s.name, name))
			return &n->s;
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
	s->order[s->n++] = &n->s;
	return &n->s;
}

void series_sink(void *ctx, const struct op_event *ev)
{
	struct series_set *s = ctx;
	const struct op_sample *x = ev->s;
	struct series *e = get(s, ev->proc ? ev->proc->comm : "", ev->name, ev->name_hash);
	size_t i;

	if (!e) {
		s->over++;
		return;
	}
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
	return i < s->n ? s->order[i] : NULL;
}

size_t series_bounds(const struct series_set *s, const uint64_t **bounds_ns)
{
	*bounds_ns = s->bounds;
	return s->nbounds;
}

uint64_t series_over_limit(const struct series_set *s)
{
	return s->over;
}
