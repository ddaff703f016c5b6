/* SPDX-License-Identifier: MIT */
/*
 * paths.h - the operation tree: every completed operation counted under its
 * path on its thread (`pipeline;extract;parse_csv`), with inclusive time
 * (its duration), self time (inclusive minus its children's inclusive),
 * memory and CPU time.
 *
 * BPF gives each operation a path id (its name and those of the operations
 * enclosing it) and its parent's. Ids are per process, and a parent ends
 * after its children, so operations are first kept by (process, path id);
 * their names and parents resolve as the parents' own records (or, for
 * parents still open, a snapshot of the open operations) arrive. When a
 * process exits, its paths are folded into paths by name, merged over
 * processes and threads. Both tables are bounded; what is over is counted.
 */
#ifndef ETLTRACE_PATHS_H
#define ETLTRACE_PATHS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/intake.h"

/* Separator of names in a path (flame-graph folded format). */
#define PATHS_SEP ';'
/* A path made of names BPF or the loader could not tie to a known parent
 * starts with this name. */
#define PATHS_UNKNOWN "[unknown]"

struct paths;

/* A table keeping at most max_paths paths per table (0: 1). NULL on ENOMEM. */
struct paths *paths_new(size_t max_paths);
void paths_free(struct paths *pt);

/* intake_sink_fn: counts a finished operation under its path (an
 * unfinished one only names its path and counts as unfinished). ctx is a
 * struct paths. */
void paths_sink(void *ctx, const struct op_event *ev);

/* Names the path of an operation that is still open (a snapshot of the
 * open operations), counting nothing. */
void paths_note_open(struct paths *pt, const struct op_event *ev);

/* Folds the paths of process tgid into paths by name (it exited and its
 * records are read). */
void paths_fold(struct paths *pt, uint32_t tgid);

/* paths_fold for each process of sorted[0..n) (tgids in ascending order),
 * in one pass over the table: a batch of exited processes costs one pass,
 * not one each. */
void paths_fold_set(struct paths *pt, const uint32_t *sorted, size_t n);

/* Samples not counted because a table was full. */
uint64_t paths_over_limit(const struct paths *pt);

/* One node of the tree. Times in ns, memory in bytes. */
struct path_node {
	const char *name;       /* the last name of the path */
	char *path;             /* "a;b;c", the names raw (owned by the tree) */
	uint64_t count;         /* finished operations */
	uint64_t unfinished;
	uint64_t incl_ns;       /* summed durations */
	uint64_t self_ns;       /* incl_ns minus the children's incl_ns, at least 0 */
	uint64_t cpu_ns;
	uint64_t self_cpu_ns;   /* likewise for CPU time */
	int64_t sum_mem_delta;
	int64_t self_mem_delta; /* sum_mem_delta minus the children's */
	int64_t max_peak_delta; /* meaningful when count > 0 */
	struct path_node **children; /* by incl_ns descending */
	size_t nchildren;
	size_t depth;
};

struct path_tree {
	struct path_node **roots; /* by incl_ns descending */
	size_t nroots;
	struct path_node **all;   /* every node, depth first (each root, then its children) */
	struct path_node **byname; /* the same, by name */
	size_t n;
};

/* Builds the tree of every path known now. Returns 0 or -ENOMEM; *t is
 * freed with path_tree_free. */
int paths_tree(const struct paths *pt, struct path_tree *t);
void path_tree_free(struct path_tree *t);

/* The self time of every node whose last name is `name`, summed. */
uint64_t path_tree_self_ns(const struct path_tree *t, const char *name);

/* The summed incl_ns of the roots: traced time without nested time counted
 * twice (threads running at once each count). */
uint64_t path_tree_roots_ns(const struct path_tree *t);

#endif /* ETLTRACE_PATHS_H */
