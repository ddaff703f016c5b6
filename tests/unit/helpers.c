// SPDX-License-Identifier: MIT
/* helpers.c - see helpers.h. */
#include <dirent.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

int stats_setup(void **state)
{
	*state = stats_new(STATS_DEFAULT_MAX_OPERATIONS);
	return *state ? 0 : -1;
}

int stats_teardown(void **state)
{
	stats_free(*state);
	return 0;
}

void add_sample(struct stats *st, const char *name, uint64_t ns, int64_t mem)
{
	struct op_sample s = { .duration_ns = ns, .mem_delta = mem, .mem_peak_delta = mem };

	assert_int_equal(stats_add(st, name, &s), 0);
}

int tmpdir_setup(void **state)
{
	struct tmpdir *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	strcpy(t->dir, "/tmp/etltrace-test-XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s/file", t->dir);
	*state = t;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int tmpdir_teardown(void **state)
{
	struct tmpdir *t = *state;
	int rc = nftw(t->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);

	free(t);
	return rc ? -1 : 0;
}

void put_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

char *get_file(const char *path)
{
	static char buf[65536];
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	if (fp) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

int findings_of(const struct stats *st, const struct thresholds *th, enum rule_kind kind,
		struct finding **out)
{
	const struct op_stats **ops = NULL;
	ssize_t nops = stats_sorted_alloc(st, &ops);
	struct finding *all = NULL;
	int n, k = 0;

	assert_true(nops >= 0);
	n = rules_apply(ops, (size_t)nops, th, &all);
	free(ops);
	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		if (all[i].kind == kind) {
			all[k++] = all[i];
			continue;
		}
		free(all[i].text);
		free(all[i].evidence);
	}
	if (!k) {
		free(all);
		all = NULL;
	}
	*out = all;
	return k;
}
