// SPDX-License-Identifier: MIT
/* progstats.c - BPF program run-time statistics. See progstats.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "progstats.h"

static int stats_fd = -1;

int progstats_enable(void)
{
	if (stats_fd >= 0)
		return 0;
	/* Stats stay on while this fd is open, and go back to the sysctl's
	 * setting when it is closed (or the driver dies). */
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	return stats_fd < 0 ? -errno : 0;
}

void progstats_disable(void)
{
	if (stats_fd >= 0)
		close(stats_fd);
	stats_fd = -1;
}

/* Adds the program ids named in /proc/owner/fdinfo to ids (deduplicated). */
static size_t owned_ids(pid_t owner, uint32_t *ids, size_t cap)
{
	char path[64];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", (int)owner);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char p[320], line[128];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		f = fopen(p, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned int id;
			size_t i;

			if (sscanf(line, "prog_id: %u", &id) != 1)
				continue;
			for (i = 0; i < n && ids[i] != id; i++)
				;
			if (i == n && n < cap)
				ids[n++] = id;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

int progstats_take(pid_t owner, struct prog_snapshot *s)
{
	uint32_t ids[4 * PROGSTATS_MAX];
	size_t n = owned_ids(owner, ids, sizeof(ids) / sizeof(ids[0]));

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < n; i++) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue; /* unloaded meanwhile */
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_PROG_TYPE_KPROBE &&
		    s->n < PROGSTATS_MAX) {
			struct prog_stat *p = &s->p[s->n++];

			p->id = info.id;
			memcpy(p->name, info.name, sizeof(p->name) - 1);
			p->run_cnt = info.run_cnt;
			p->run_time_ns = info.run_time_ns;
		}
		close(fd);
	}
	return 0;
}

void progstats_diff(const struct prog_snapshot *a, const struct prog_snapshot *b,
		    struct prog_snapshot *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < b->n; i++) {
		struct prog_stat d = b->p[i];

		for (size_t j = 0; j < a->n; j++) {
			if (a->p[j].id == d.id) {
				d.run_cnt -= a->p[j].run_cnt;
				d.run_time_ns -= a->p[j].run_time_ns;
				break;
			}
		}
		if (d.run_cnt)
			out->p[out->n++] = d;
	}
}
