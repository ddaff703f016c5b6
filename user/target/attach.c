// SPDX-License-Identifier: MIT
/* attach.c - marked objects to attached probes, see attach.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target/attach.h"
#include "util/diag.h"
#include "util/names.h"

static bool done_before(const struct attacher *a, const struct object *o, pid_t pid)
{
	for (size_t i = 0; i < a->ndone; i++)
		if (a->done[i].obj == o && a->done[i].pid == pid)
			return true;
	return false;
}

static int remember(struct attacher *a, const struct object *o, pid_t pid)
{
	void *v = realloc(a->done, (a->ndone + 1) * sizeof(*a->done));

	if (!v)
		return -ENOMEM;
	a->done = v;
	a->done[a->ndone].obj = o;
	a->done[a->ndone++].pid = pid;
	return 0;
}

int attach_object(struct attacher *a, struct object *o, pid_t pid)
{
	char *shown, events[48] = "";
	int err, links;

	if (!a->per_process)
		pid = 0;
	if (!o->nsites || o->failed || (pid == 0 ? o->attached : done_before(a, o, pid)))
		return 0;
	links = tracer_attach_sites(a->tr, o->attach_path, o->sites, o->nsites, pid, o->given);
	err = links < 0 ? links : 0;
	if (!err && pid)
		err = remember(a, o, pid);
	if (err) {
		o->failed = true;
		shown = name_for_terminal(o->path);
		diag("cannot attach to the etl probes of %s: %s", shown ? shown : "?",
		     strerror(-err));
		free(shown);
		a->err = err;
		return err;
	}
	if (!pid)
		o->attached = true;
	a->nobjects++;
	a->nsites += o->nsites;
	if (a->verbose) {
		shown = name_for_terminal(o->path);
		if (a->perf_events)
			snprintf(events, sizeof(events), ", %d perf event%s", links,
				 links == 1 ? "" : "s");
		diag("attached to %s (%d op_start, %d op_end sites%s)%s", shown ? shown : "?",
		     o->nstarts, o->nends, events, pid ? "" : " for every process that maps it");
		free(shown);
	}
	return 0;
}

void attach_on_added(void *ctx, struct process *p, struct object *o)
{
	struct attacher *a = ctx;

	a->marked_seen = true;
	attach_object(a, o, p->pid);
}

void attach_image(struct attacher *a, struct process *p)
{
	for (size_t i = 0; i < p->img.nmaps; i++) {
		if (!p->img.maps[i].obj || !p->img.maps[i].obj->nsites)
			continue;
		a->marked_seen = true;
		attach_object(a, p->img.maps[i].obj, p->pid);
	}
}

bool process_has_markers(const struct process *p)
{
	for (size_t i = 0; i < p->img.nmaps; i++)
		if (p->img.maps[i].obj && p->img.maps[i].obj->nsites)
			return true;
	return false;
}

char *attach_searched(const struct process *p)
{
	char *list = NULL;
	size_t len = 0, listed = 0;
	FILE *f = open_memstream(&list, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < p->img.nmaps; i++) {
		const struct object *o = p->img.maps[i].obj;
		bool seen = false;
		char *shown;

		for (size_t j = 0; j < i && !seen; j++)
			seen = p->img.maps[j].obj == o;
		if (!o || seen)
			continue;
		shown = name_for_terminal(o->path);
		fprintf(f, "%s%s", listed++ ? ", " : "", shown ? shown : "?");
		free(shown);
	}
	fclose(f);
	return list;
}

/* Whether the note of map `map` at index `note` repeats, by provider (and
 * name unless only_provider), one before it in p's image. */
static bool listed_before(const struct process *p, size_t map, size_t note, bool only_provider)
{
	const struct usdt_note *x = &p->img.maps[map].obj->usdt.notes[note];

	for (size_t i = 0; i <= map; i++) {
		const struct object *o = p->img.maps[i].obj;

		for (size_t k = 0; o && k < o->usdt.n && (i < map || k < note); k++)
			if (!strcmp(o->usdt.notes[k].provider, x->provider) &&
			    (only_provider || !strcmp(o->usdt.notes[k].name, x->name)))
				return true;
	}
	return false;
}

/* Lists, once each, the probe names of provider in p's image, or (when
 * provider is NULL) the providers. Returns how many. */
static size_t list_notes(FILE *f, const struct process *p, const char *provider)
{
	size_t listed = 0;

	for (size_t i = 0; i < p->img.nmaps; i++) {
		const struct object *o = p->img.maps[i].obj;

		for (size_t k = 0; o && k < o->usdt.n; k++) {
			const struct usdt_note *n = &o->usdt.notes[k];
			char *shown;

			if ((provider && strcmp(n->provider, provider)) ||
			    listed_before(p, i, k, !provider))
				continue;
			shown = name_for_terminal(provider ? n->name : n->provider);
			fprintf(f, "%s%s", listed++ ? ", " : "", shown ? shown : "?");
			free(shown);
		}
	}
	return listed;
}

char *attach_probes_listed(const struct process *p, const char *provider)
{
	char *list = NULL, *prov = name_for_terminal(provider);
	size_t len = 0;
	FILE *f = open_memstream(&list, &len);

	if (!f || !prov) {
		if (f)
			fclose(f);
		free(list);
		free(prov);
		return NULL;
	}
	fprintf(f, "its probes of provider %s: ", prov);
	if (!list_notes(f, p, provider)) {
		rewind(f);
		fputs("it has no provider of that name; its providers: ", f);
		if (!list_notes(f, p, NULL))
			fputs("(none)", f);
	}
	fclose(f);
	free(prov);
	return list;
}

void attach_no_markers(pid_t pid, const char *searched, bool later)
{
	diag("no etl USDT markers in process %d; searched: %s%s; mark operations with "
	     "<etl_probe.h> (see README.md)", (int)pid, searched && *searched ? searched : "(nothing)",
	     later ? ", and every library it loaded later" : "");
}

void attach_free(struct attacher *a)
{
	free(a->done);
	a->done = NULL;
	a->ndone = 0;
}
