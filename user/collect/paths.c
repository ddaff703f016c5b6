// SPDX-License-Identifier: MIT
/* paths.c - the operation tree, see paths.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "collect/paths.h"

#define MAX_BUCKETS 65536u
/* Deepest path resolved: the BPF stack keeps 32 open operations. */
#define MAX_DEPTH (ETL_STACK_MAX + 1)
#define KEY_MAX (MAX_DEPTH * (STATS_NAME_MAX + 1) + sizeof(PATHS_UNKNOWN))

/* What is counted per path. */
struct pstats {
	uint64_t count, unfinished, incl_ns, cpu_ns;
	int64_t sum_mem_delta, max_peak_delta;
};

/* A path of a live process, by (tgid, path id). */
struct live {
	struct live *next;
	uint32_t tgid;
	bool named;
	uint64_t id, parent_id;
	char name[STATS_NAME_MAX + 1];
	struct pstats st;
};

/* A path by its names: key is the names joined by NUL bytes. */
struct named {
	struct named *next;
	uint64_t hash;
	size_t len;
	struct pstats st;
	char key[];
};

struct paths {
	size_t max;
	size_t nbuckets;
	struct live **live;
	size_t nlive;
	struct named **named;
	size_t nnamed;
	uint64_t over;
};

struct paths *paths_new(size_t max_paths)
{
	struct paths *pt = calloc(1, sizeof(*pt));

	if (!pt)
		return NULL;
	pt->max = max_paths ? max_paths : 1;
	pt->nbuckets = 1024;
	while (pt->nbuckets < pt->max && pt->nbuckets < MAX_BUCKETS)
		pt->nbuckets *= 2;
	pt->live = calloc(pt->nbuckets, sizeof(*pt->live));
	pt->named = calloc(pt->nbuckets, sizeof(*pt->named));
	if (!pt->live || !pt->named) {
		paths_free(pt);
		return NULL;
	}
	return pt;
}

void paths_free(struct paths *pt)
{
	if (!pt)
		return;
	for (size_t b = 0; pt->live && b < pt->nbuckets; b++)
		for (struct live *e = pt->live[b], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	for (size_t b = 0; pt->named && b < pt->nbuckets; b++)
		for (struct named *e = pt->named[b], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	free(pt->live);
	free(pt->named);
	free(pt);
}

static size_t live_bucket(const struct paths *pt, uint32_t tgid, uint64_t id)
{
	uint64_t h = (id ^ ((uint64_t)tgid * 0x9e3779b97f4a7c15ull)) * 0xbf58476d1ce4e5b9ull;

	return (size_t)(h >> 32) & (pt->nbuckets - 1);
}

static struct live *live_find(const struct paths *pt, uint32_t tgid, uint64_t id)
{
	for (struct live *e = pt->live[live_bucket(pt, tgid, id)]; e; e = e->next)
		if (e->tgid == tgid && e->id == id)
			return e;
	return NULL;
}

/* The entry of (tgid, id), created if there is room; NULL if not. */
static struct live *live_get(struct paths *pt, uint32_t tgid, uint64_t id)
{
	size_t b = live_bucket(pt, tgid, id);
	struct live *e = live_find(pt, tgid, id);

	if (e || pt->nlive >= pt->max)
		return e;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->tgid = tgid;
	e->id = id;
	e->next = pt->live[b];
	pt->live[b] = e;
	pt->nlive++;
	return e;
}

static void name_entry(struct live *e, const struct op_event *ev)
{
	if (e->named)
		return;
	strncpy(e->name, ev->name, sizeof(e->name) - 1);
	e->parent_id = ev->parent_id;
	e->named = true;
}

static void count(struct pstats *st, const struct op_sample *s)
{
	if (s->unfinished) {
		st->unfinished++;
		return;
	}
	if (st->count == 0 || s->mem_peak_delta > st->max_peak_delta)
		st->max_peak_delta = s->mem_peak_delta;
	st->count++;
	st->incl_ns += s->duration_ns;
	st->cpu_ns += s->has_resources ? s->cpu_ns : 0;
	st->sum_mem_delta += s->mem_delta;
}

void paths_sink(void *ctx, const struct op_event *ev)
{
	struct paths *pt = ctx;
	struct live *e = live_get(pt, ev->tgid, ev->path_id);

	if (!e) {
		pt->over++;
		return;
	}
	name_entry(e, ev);
	count(&e->st, ev->s);
}

void paths_note_open(struct paths *pt, const struct op_event *ev)
{
	struct live *e = live_get(pt, ev->tgid, ev->path_id);

	if (e)
		name_entry(e, ev);
}

uint64_t paths_over_limit(const struct paths *pt)
{
	return pt->over;
}

/* The names of e's path, root first, joined by NUL bytes into key (at
 * least MAX_DEPTH * (STATS_NAME_MAX + 1) + sizeof(PATHS_UNKNOWN) bytes); a
 * path whose root is not known (its record was lost, or the ancestor is
 * not seen yet) starts with PATHS_UNKNOWN. Returns the key's length. */
static size_t path_key(const struct paths *pt, const struct live *e, char *key)
{
	const struct live *chain[MAX_DEPTH];
	size_t n = 0, len = 0;
	bool rooted = false;

	while (e && n < MAX_DEPTH) {
		chain[n++] = e;
		if (!e->parent_id) {
			rooted = true;
			break;
		}
		e = live_find(pt, e->tgid, e->parent_id);
	}
	if (!rooted) {
		memcpy(key, PATHS_UNKNOWN, sizeof(PATHS_UNKNOWN));
		len = sizeof(PATHS_UNKNOWN);
	}
	while (n--) {
		size_t l = strlen(chain[n]->name) + 1;

		memcpy(key + len, chain[n]->name, l);
		len += l;
	}
	return len;
}

static uint64_t key_hash(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void merge(struct pstats *to, const struct pstats *from)
{
	if (from->count && (!to->count || from->max_peak_delta > to->max_peak_delta))
		to->max_peak_delta = from->max_peak_delta;
	to->count += from->count;
	to->unfinished += from->unfinished;
	to->incl_ns += from->incl_ns;
	to->cpu_ns += from->cpu_ns;
	to->sum_mem_delta += from->sum_mem_delta;
}

/* Adds st under key in a table of named paths (buckets of pt's size);
 * returns 0, or -ENOSPC when the table is full, -ENOMEM. */
static int named_add(struct named **buckets, size_t nbuckets, size_t *n, size_t max,
		     const char *key, size_t len, const struct pstats *st)
{
	uint64_t h = key_hash(key, len);
	size_t b = (size_t)(h >> 32) & (nbuckets - 1);
	struct named *e;

	for (e = buckets[b]; e; e = e->next)
		if (e->hash == h && e->len == len && !memcmp(e->key, key, len)) {
			merge(&e->st, st);
			return 0;
		}
	if (*n >= max)
		return -ENOSPC;
	e = calloc(1, sizeof(*e) + len);
	if (!e)
		return -ENOMEM;
	e->hash = h;
	e->len = len;
	memcpy(e->key, key, len);
	e->st = *st;
	e->next = buckets[b];
	buckets[b] = e;
	(*n)++;
	return 0;
}

static int cmp_tgid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static bool in_set(const uint32_t *sorted, size_t n, uint32_t tgid)
{
	return n && bsearch(&tgid, sorted, n, sizeof(*sorted), cmp_tgid);
}

void paths_fold_set(struct paths *pt, const uint32_t *sorted, size_t n)
{
	char *key;

	if (!n || !pt->nlive)
		return;
	key = malloc(KEY_MAX);
	if (!key)
		return; /* kept live: reported live */
	/* Keys first (parents are needed while resolving), removal after. */
	for (size_t b = 0; b < pt->nbuckets; b++)
		for (struct live *e = pt->live[b]; e; e = e->next) {
			size_t len;

			if (!in_set(sorted, n, e->tgid) || (!e->st.count && !e->st.unfinished))
				continue;
			len = path_key(pt, e, key);
			if (named_add(pt->named, pt->nbuckets, &pt->nnamed, pt->max, key, len, &e->st))
				pt->over += e->st.count + e->st.unfinished;
		}
	for (size_t b = 0; b < pt->nbuckets; b++) {
		struct live **link = &pt->live[b];

		while (*link) {
			struct live *e = *link;

			if (!in_set(sorted, n, e->tgid)) {
				link = &e->next;
				continue;
			}
			*link = e->next;
			free(e);
			pt->nlive--;
		}
	}
	free(key);
}

void paths_fold(struct paths *pt, uint32_t tgid)
{
	paths_fold_set(pt, &tgid, 1);
}

/* --- the tree ---------------------------------------------------------- */

struct builder {
	struct path_tree *t;
	struct path_node root; /* children: the roots */
	size_t cap_all;
};

static struct path_node *child_named(struct path_node *parent, const char *name)
{
	for (size_t i = 0; i < parent->nchildren; i++)
		if (!strcmp(parent->children[i]->name, name))
			return parent->children[i];
	return NULL;
}

/* The node of path key (NUL-joined names), created with its ancestors. */
static struct path_node *node_at(struct builder *bd, const char *key, size_t len)
{
	struct path_node *at = &bd->root;
	size_t off = 0, depth = 0;

	while (off < len) {
		const char *name = key + off;
		struct path_node *n = child_named(at, name), **v;

		off += strlen(name) + 1;
		if (!n) {
			n = calloc(1, sizeof(*n));
			v = n ? realloc(at->children, (at->nchildren + 1) * sizeof(*v)) : NULL;
			if (n)
				n->path = malloc(off);
			if (!n || !v || !n->path) {
				if (n)
					free(n->path);
				free(n);
				if (v)
					at->children = v;
				return NULL;
			}
			/* "a\0b\0c" is "a;b;c" once the separators are put back. */
			memcpy(n->path, key, off);
			for (size_t i = 0; i + 1 < off; i++)
				if (!n->path[i])
					n->path[i] = PATHS_SEP;
			n->name = n->path + (name - key);
			n->depth = depth;
			at->children = v;
			at->children[at->nchildren++] = n;
			bd->t->n++;
		}
		at = n;
		depth++;
	}
	return at;
}

static int add_key(struct builder *bd, const char *key, size_t len, const struct pstats *st)
{
	struct path_node *n = node_at(bd, key, len);

	if (!n)
		return -ENOMEM;
	if (st->count && (!n->count || st->max_peak_delta > n->max_peak_delta))
		n->max_peak_delta = st->max_peak_delta;
	n->count += st->count;
	n->unfinished += st->unfinished;
	n->incl_ns += st->incl_ns;
	n->cpu_ns += st->cpu_ns;
	n->sum_mem_delta += st->sum_mem_delta;
	return 0;
}

static int cmp_incl_desc(const void *a, const void *b)
{
	const struct path_node *x = *(const struct path_node *const *)a;
	const struct path_node *y = *(const struct path_node *const *)b;

	if (x->incl_ns != y->incl_ns)
		return x->incl_ns > y->incl_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Sorts children, computes self times and lists nodes depth first. */
static void finish_node(struct path_tree *t, struct path_node *n, size_t *at)
{
	uint64_t children = 0, cpu = 0;
	int64_t mem = 0;

	if (n->nchildren > 1) /* a leaf has no array, which qsort may not be given */
		qsort(n->children, n->nchildren, sizeof(*n->children), cmp_incl_desc);
	for (size_t i = 0; i < n->nchildren; i++) {
		children += n->children[i]->incl_ns;
		cpu += n->children[i]->cpu_ns;
		mem += n->children[i]->sum_mem_delta;
	}
	n->self_ns = n->incl_ns > children ? n->incl_ns - children : 0;
	n->self_cpu_ns = n->cpu_ns > cpu ? n->cpu_ns - cpu : 0;
	n->self_mem_delta = n->sum_mem_delta - mem;
	t->all[(*at)++] = n;
	for (size_t i = 0; i < n->nchildren; i++)
		finish_node(t, n->children[i], at);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp((*(const struct path_node *const *)a)->name,
		      (*(const struct path_node *const *)b)->name);
}

int paths_tree(const struct paths *pt, struct path_tree *t)
{
	struct builder bd = { .t = t };
	char *key = malloc(KEY_MAX);
	size_t at = 0;
	int err = key ? 0 : -ENOMEM;

	memset(t, 0, sizeof(*t));
	for (size_t b = 0; !err && b < pt->nbuckets; b++)
		for (const struct named *e = pt->named[b]; e && !err; e = e->next)
			err = add_key(&bd, e->key, e->len, &e->st);
	for (size_t b = 0; !err && b < pt->nbuckets; b++)
		for (const struct live *e = pt->live[b]; e && !err; e = e->next)
			if (e->st.count || e->st.unfinished)
				err = add_key(&bd, key, path_key(pt, e, key), &e->st);
	free(key);
	t->roots = bd.root.children;
	t->nroots = bd.root.nchildren;
	if (!err) {
		t->all = calloc(t->n ? t->n : 1, sizeof(*t->all));
		t->byname = calloc(t->n ? t->n : 1, sizeof(*t->byname));
		if (!t->all || !t->byname)
			err = -ENOMEM;
	}
	if (err) {
		path_tree_free(t);
		return err;
	}
	if (t->nroots > 1)
		qsort(t->roots, t->nroots, sizeof(*t->roots), cmp_incl_desc);
	for (size_t i = 0; i < t->nroots; i++)
		finish_node(t, t->roots[i], &at);
	memcpy(t->byname, t->all, t->n * sizeof(*t->all));
	qsort(t->byname, t->n, sizeof(*t->byname), cmp_name);
	return 0;
}

static void node_free(struct path_node *n)
{
	for (size_t i = 0; i < n->nchildren; i++)
		node_free(n->children[i]);
	free(n->children);
	free(n->path);
	free(n);
}

void path_tree_free(struct path_tree *t)
{
	for (size_t i = 0; i < t->nroots; i++)
		node_free(t->roots[i]);
	free(t->roots);
	free(t->all);
	free(t->byname);
	memset(t, 0, sizeof(*t));
}

uint64_t path_tree_self_ns(const struct path_tree *t, const char *name)
{
	size_t lo = 0, hi = t->n;
	uint64_t sum = 0;

	while (lo < hi) { /* the first node named name or after */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(t->byname[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->n && !strcmp(t->byname[lo]->name, name); lo++)
		sum += t->byname[lo]->self_ns;
	return sum;
}

uint64_t path_tree_roots_ns(const struct path_tree *t)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < t->nroots; i++)
		sum += t->roots[i]->incl_ns;
	return sum;
}
