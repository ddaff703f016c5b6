// SPDX-License-Identifier: MIT
/* timeline.c - operations as they happened, see timeline.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/timeline.h"
#include "util/procfs.h"

#define CHUNK 4096 /* events per allocation */
#define NAME_BUCKETS 4096

struct tl_name {
	struct tl_name *next;
	uint32_t index;
	char name[];
};

struct timeline {
	size_t max;
	struct tl_event **chunks;
	size_t n, nchunks;
	char **names;               /* by index */
	uint32_t nnames;
	struct tl_name *buckets[NAME_BUCKETS];
	struct tl_thread *threads;
	size_t nthreads;
	uint32_t *thread_next;      /* chains of threads by tid bucket, 1-based */
	uint32_t thread_head[NAME_BUCKETS];
	uint64_t dropped;
};

struct timeline *timeline_new(size_t max_events)
{
	struct timeline *tl = calloc(1, sizeof(*tl));

	if (tl)
		tl->max = max_events;
	return tl;
}

void timeline_free(struct timeline *tl)
{
	if (!tl)
		return;
	for (size_t i = 0; i < tl->nchunks; i++)
		free(tl->chunks[i]);
	free(tl->chunks);
	for (size_t b = 0; b < NAME_BUCKETS; b++)
		for (struct tl_name *e = tl->buckets[b], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	free(tl->names);
	free(tl->threads);
	free(tl->thread_next);
	free(tl);
}

/* The index of name, interned; UINT32_MAX on ENOMEM. */
static uint32_t intern(struct timeline *tl, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull;
	struct tl_name *e;
	size_t len = strlen(name), b;
	char **v;

	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	b = (size_t)(h >> 40) % NAME_BUCKETS;
	for (e = tl->buckets[b]; e; e = e->next)
		if (!strcmp(e->name, name))
			return e->index;
	e = malloc(sizeof(*e) + len + 1);
	v = e ? realloc(tl->names, (tl->nnames + 1) * sizeof(*v)) : NULL;
	if (!v) {
		free(e);
		return UINT32_MAX;
	}
	tl->names = v;
	memcpy(e->name, name, len + 1);
	e->index = tl->nnames;
	tl->names[tl->nnames++] = e->name;
	e->next = tl->buckets[b];
	tl->buckets[b] = e;
	return e->index;
}

/* Remembers thread tid of pid with its name, the first time it is seen. */
static void note_thread(struct timeline *tl, uint32_t pid, uint32_t tid)
{
	size_t b = tid % NAME_BUCKETS;
	struct tl_thread *v, *t;
	uint32_t *next;

	for (uint32_t i = tl->thread_head[b]; i; i = tl->thread_next[i - 1])
		if (tl->threads[i - 1].tid == tid && tl->threads[i - 1].pid == pid)
			return;
	v = realloc(tl->threads, (tl->nthreads + 1) * sizeof(*v));
	if (v)
		tl->threads = v;
	next = v ? realloc(tl->thread_next, (tl->nthreads + 1) * sizeof(*next)) : NULL;
	if (!next)
		return;
	tl->thread_next = next;
	next[tl->nthreads] = tl->thread_head[b];
	t = &v[tl->nthreads++];
	tl->thread_head[b] = (uint32_t)tl->nthreads;
	t->pid = pid;
	t->tid = tid;
	procfs_comm((pid_t)pid, (pid_t)tid, t->comm, sizeof(t->comm));
}

void timeline_sink(void *ctx, const struct op_event *ev)
{
	struct timeline *tl = ctx;
	struct tl_event *e;
	uint32_t name;

	if (tl->n >= tl->max) {
		tl->dropped++;
		return;
	}
	if (tl->n == tl->nchunks * CHUNK) {
		struct tl_event **v = realloc(tl->chunks, (tl->nchunks + 1) * sizeof(*v));

		if (v)
			tl->chunks = v;
		if (!v || !(v[tl->nchunks] = malloc(CHUNK * sizeof(struct tl_event)))) {
			tl->dropped++;
			return;
		}
		tl->nchunks++;
	}
	name = intern(tl, ev->name);
	if (name == UINT32_MAX) {
		tl->dropped++;
		return;
	}
	note_thread(tl, ev->tgid, ev->tid);
	e = &tl->chunks[tl->n / CHUNK][tl->n % CHUNK];
	*e = (struct tl_event){
		.start_ns = ev->start_ns, .dur_ns = ev->s->duration_ns,
		.cpu_ns = ev->s->has_resources ? ev->s->cpu_ns : 0,
		.mem_delta = ev->s->mem_delta, .rss_start = ev->rss_start,
		.records = ev->s->records, .pid = ev->tgid, .tid = ev->tid, .name = name,
		.depth = (uint16_t)ev->s->depth, .has_records = ev->s->has_records,
		.unfinished = ev->s->unfinished,
	};
	tl->n++;
}

size_t timeline_count(const struct timeline *tl)
{
	return tl->n;
}

const struct tl_event *timeline_at(const struct timeline *tl, size_t i)
{
	return i < tl->n ? &tl->chunks[i / CHUNK][i % CHUNK] : NULL;
}

const char *timeline_name(const struct timeline *tl, uint32_t index)
{
	return index < tl->nnames ? tl->names[index] : "";
}

size_t timeline_threads(const struct timeline *tl, const struct tl_thread **out)
{
	*out = tl->threads;
	return tl->nthreads;
}

uint64_t timeline_dropped(const struct timeline *tl)
{
	return tl->dropped;
}
