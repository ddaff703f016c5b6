// SPDX-License-Identifier: MIT
/* procs.c - processes by pid, see procs.h. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "target/procs.h"

#define PROC_BUCKETS 1024

struct node {
	struct node *next; /* same bucket; newer processes of a pid come first */
	struct process p;
	unsigned settled;  /* procs_settle calls since it exited or exec'd */
};

struct procs {
	struct node *b[PROC_BUCKETS];
	size_t live;
	size_t unsettled; /* nodes exited or with an old image */
};

struct procs *procs_new(void)
{
	return calloc(1, sizeof(struct procs));
}

static size_t bucket_of(pid_t pid)
{
	return (size_t)pid % PROC_BUCKETS;
}

struct process *procs_add(struct procs *t, pid_t pid, uint64_t start_ns)
{
	struct node *n = calloc(1, sizeof(*n));
	size_t b = bucket_of(pid);

	if (!n)
		return NULL;
	process_init(&n->p, pid, start_ns);
	n->next = t->b[b];
	t->b[b] = n;
	t->live++;
	return &n->p;
}

struct process *procs_find(struct procs *t, pid_t pid, uint64_t when_ns)
{
	for (struct node *n = t->b[bucket_of(pid)]; n; n = n->next)
		if (n->p.pid == pid && n->p.start_ns <= when_ns)
			return &n->p;
	return NULL;
}

struct process *procs_latest(struct procs *t, pid_t pid)
{
	for (struct node *n = t->b[bucket_of(pid)]; n; n = n->next)
		if (n->p.pid == pid)
			return &n->p;
	return NULL;
}

void procs_each(struct procs *t, void (*fn)(void *ctx, struct process *p), void *ctx)
{
	for (size_t b = 0; b < PROC_BUCKETS; b++)
		for (struct node *n = t->b[b], *next; n; n = next) {
			next = n->next;
			fn(ctx, &n->p);
		}
}

size_t procs_unsettled(const struct procs *t)
{
	return t->unsettled;
}

size_t procs_live(const struct procs *t)
{
	return t->live;
}

static struct node *node_of(struct process *p)
{
	return (struct node *)((char *)p - offsetof(struct node, p));
}

void procs_exited(struct procs *t, struct process *p, uint64_t when_ns)
{
	struct node *n = node_of(p);

	if (p->exited)
		return;
	p->exited = true;
	p->exit_ns = when_ns;
	t->unsettled++;
	n->settled = 0;
	t->live--;
}

void procs_exec(struct procs *t, struct process *p, uint64_t when_ns)
{
	t->unsettled++;
	process_exec(p, when_ns);
	node_of(p)->settled = 0;
}

void procs_settle(struct procs *t)
{
	size_t left = 0;

	for (size_t b = 0; b < PROC_BUCKETS; b++) {
		struct node **link = &t->b[b];

		while (*link) {
			struct node *n = *link;

			if (n->p.old.nmaps || n->p.exited)
				n->settled++;
			if (n->p.old.nmaps && n->settled >= 2 && !n->p.exited)
				process_drop_old(&n->p);
			if (n->p.exited && n->settled >= 2) {
				*link = n->next;
				process_free(&n->p);
				free(n);
				continue;
			}
			left += n->p.exited || n->p.old.nmaps;
			link = &n->next;
		}
	}
	t->unsettled = left;
}

void procs_free(struct procs *t)
{
	for (size_t b = 0; t && b < PROC_BUCKETS; b++) {
		struct node *n = t->b[b], *next;

		for (; n; n = next) {
			next = n->next;
			process_free(&n->p);
			free(n);
		}
	}
	free(t);
}
