// SPDX-License-Identifier: MIT
/* progstats.c - BPF program run-time statistics. See progstats.h. */
#include <errno.h>
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

uint32_t progstats_max_id(void)
{
	uint32_t id = 0, next;

	while (!bpf_prog_get_next_id(id, &next))
		id = next;
	return id;
}

int progstats_take(uint32_t after, struct prog_snapshot *s)
{
	uint32_t id = after, next;

	memset(s, 0, sizeof(*s));
	while (!bpf_prog_get_next_id(id, &next)) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);
		int fd;

		id = next;
		fd = bpf_prog_get_fd_by_id(id);
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
