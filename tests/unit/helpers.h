/* SPDX-License-Identifier: MIT */
/*
 * helpers.h - what several unit suites share: sample builders, a table of
 * statistics or a temporary directory as cmocka fixtures, small file
 * helpers, and the findings of the rules.
 */
#ifndef ETLTRACE_TEST_HELPERS_H
#define ETLTRACE_TEST_HELPERS_H

#include <stdint.h>

#include "collect/stats.h"
#include "report/rules.h"

#define MS 1000000ull
#define MIB (1024ll * 1024)

/* cmocka fixture: *state is an empty struct stats (the default cap). */
int stats_setup(void **state);
int stats_teardown(void **state);

/* Adds one finished sample of ns nanoseconds whose net and peak memory
 * deltas are both mem bytes; fails the test if it cannot. */
void add_sample(struct stats *st, const char *name, uint64_t ns, int64_t mem);

/* cmocka fixture: *state is a struct tmpdir, a new directory under /tmp
 * removed with everything in it at teardown (links are not followed). */
struct tmpdir {
	char dir[64];
	char path[128]; /* dir/file, for tests that need one file */
};
int tmpdir_setup(void **state);
int tmpdir_teardown(void **state);

/* Writes text to path (created or truncated); fails the test on error. */
void put_file(const char *path, const char *text);

/* The contents of path (at most 64 KiB) in a static buffer; "" if absent. */
char *get_file(const char *path);

/* Entries of dir besides . and .. */
int dir_entries(const char *dir);

/* The findings of one kind for st's operations in report order, with th;
 * *out is freed with findings_free. Returns their number. */
int findings_of(const struct stats *st, const struct thresholds *th, enum rule_kind kind,
		struct finding **out);

#endif /* ETLTRACE_TEST_HELPERS_H */
