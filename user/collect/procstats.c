// SPDX-License-Identifier: MIT
/* procstats.c - statistics per process, see procstats.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/procstats.h"

struct procstats {
	struct procs *procs;
	const struct stats *aggregate; /* v[0].stats while n == 1 and shared */
	struct series_set *series;     /* or NULL */
	bool shared;
	size_t max, max_ops;
	struct proc_entry *v; /* in the order first seen */
	size_t n;
	size_t last;          /* the entry of the previous sample */
	uint64_t dropped;
	uint64_t unreported;  /* processes that found no room */
	bool admitted;        /* a section was ever made */
	int error;
};

struct procstats *procstats_new(struct procs *procs, const struct stats *aggregate,
				struct series_set *series, size_t max_procs,
				size_t max_operations)
{
	struct procstats *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	ps->procs = procs;
	ps->aggregate = aggregate;
	ps->series = series;
	ps->max = max_procs ? max_procs : 1;
	ps->max_ops = max_operations;
	ps->v = calloc(ps->max, sizeof(*ps->v));
	if (!ps->v) {
		free(ps);
		return NULL;
	}
	return ps;
}

void procstats_free(struct procstats *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < ps->n; i++) {
		if (i > 0 || !ps->shared)
			stats_free(ps->v[i].stats);
		stats_free(ps->v[i].base);
	}
	free(ps->v);
	free(ps);
}

bool procstats_exited(const struct procstats *ps, const struct proc_entry *e)
{
	const struct process *p = procs_find(ps->procs, e->pid, e->start_ns);

	return !p || p->exited || p->start_ns != e->start_ns;
}

/* Whether every record of e's process has been read: it has left the
 * process table (which keeps an exited process until then). */
static bool all_read(const struct procstats *ps, const struct proc_entry *e)
{
	const struct process *p = procs_find(ps->procs, e->pid, e->start_ns);

	return !p || p->start_ns != e->start_ns;
}

/* Makes room by giving up the earliest process whose records have all been
 * read (a section given up earlier could come back with only the rest of
 * them); false if none. */
static bool evict(struct procstats *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		if (!all_read(ps, &ps->v[i]))
			continue;
		if (ps->series)
			series_retire(ps->series, ps->v[i].comm, ps->v[i].stats, ps->v[i].base);
		stats_free(ps->v[i].stats);
		stats_free(ps->v[i].base);
		memmove(&ps->v[i], &ps->v[i + 1], (ps->n - i - 1) * sizeof(*ps->v));
		ps->n--;
		ps->dropped++;
		return true;
	}
	return false;
}

/* The entry of the event's process, added if new; NULL if there is no
 * room (no kept process can give up its place) or no memory. A process
 * refused once is refused for good, so that a section is all of its
 * process's operations or none of them. */
static struct proc_entry *entry_of(struct procstats *ps, const struct op_event *ev)
{
	uint64_t start = ev->proc ? ev->proc->start_ns : 0;
	struct proc_entry *e;
	struct process *p;

	if (ps->last < ps->n && ps->v[ps->last].pid == (pid_t)ev->tgid &&
	    ps->v[ps->last].start_ns == start)
		return &ps->v[ps->last];
	for (size_t i = ps->n; i-- > 0;)
		if (ps->v[i].pid == (pid_t)ev->tgid && ps->v[i].start_ns == start) {
			ps->last = i;
			return &ps->v[i];
		}
	if (ps->shared) {
		/* A second process: the first gets its own copy of what was
		 * all its samples (none of this one's yet). */
		struct stats *own = stats_clone(ps->aggregate);

		if (!own) {
			ps->error = -ENOMEM;
			return NULL;
		}
		ps->v[0].stats = own;
		ps->shared = false;
	}
	if (ev->proc && ev->proc->no_section)
		return NULL;
	if (ps->n == ps->max && !evict(ps)) {
		p = procs_find(ps->procs, (pid_t)ev->tgid, ev->start_ns);
		if (p && p->start_ns == start)
			p->no_section = true;
		ps->unreported++;
		return NULL;
	}
	e = &ps->v[ps->n];
	memset(e, 0, sizeof(*e));
	e->pid = (pid_t)ev->tgid;
	e->start_ns = start;
	/* Only the first process ever can share the aggregate: once a section
	 * was given up, the aggregate holds others' samples too. */
	if (!ps->admitted && ps->aggregate) {
		e->stats = (struct stats *)ps->aggregate; /* never written here */
		ps->shared = true;
	} else if (!(e->stats = stats_new(ps->max_ops))) {
		ps->error = -ENOMEM;
		return NULL;
	} else if (ps->series) {
		const uint64_t *bounds;
		size_t nb = series_bounds(ps->series, &bounds);

		stats_set_bounds(e->stats, bounds, nb);
	}
	ps->admitted = true;
	ps->last = ps->n++;
	return e;
}

/* e's process now runs as comm: under --metrics, what it ran under its
 * former name is retired (exported under that name for good), and the
 * live series count from here. Returns 0 or -ENOMEM. */
static int rename_entry(struct procstats *ps, struct proc_entry *e, const char *comm)
{
	struct stats *base;

	if (ps->series && e->seen) {
		if (!(base = stats_clone(e->stats)))
			return -ENOMEM;
		series_retire(ps->series, e->comm, e->stats, e->base);
		stats_free(e->base);
		e->base = base;
	}
	memcpy(e->comm, comm, sizeof(e->comm));
	e->seen = true;
	return 0;
}

void procstats_sink(void *ctx, const struct op_event *ev)
{
	struct procstats *ps = ctx;
	struct proc_entry *e = entry_of(ps, ev);
	int err = 0;

	if (!e) {
		if (ps->series && !ps->error)
			series_sink(ps->series, ev);
		return;
	}
	if (ev->proc && (!e->seen || memcmp(e->comm, ev->proc->comm, sizeof(e->comm))))
		err = rename_entry(ps, e, ev->proc->comm);
	if (!err && !ps->shared) /* else the aggregate's own sink adds it */
		err = stats_add_hashed(e->stats, ev->name, ev->name_hash, ev->s);
	if (err && !ps->error)
		ps->error = err;
}

void procstats_series(struct procstats *ps)
{
	if (!ps || !ps->series)
		return;
	series_live_begin(ps->series);
	for (size_t i = 0; i < ps->n; i++)
		series_live_add(ps->series, ps->v[i].comm, ps->v[i].stats, ps->v[i].base);
}

size_t procstats_count(const struct procstats *ps)
{
	return ps->n;
}

const struct proc_entry *procstats_at(const struct procstats *ps, size_t i)
{
	return i < ps->n ? &ps->v[i] : NULL;
}

uint64_t procstats_dropped(const struct procstats *ps)
{
	return ps->dropped + ps->unreported;
}

int procstats_error(const struct procstats *ps)
{
	return ps->error;
}
