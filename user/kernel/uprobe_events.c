// SPDX-License-Identifier: MIT
/* uprobe_events.c - multi-probe uprobe trace events in tracefs. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernel/uprobe_events.h"

/* What a definition line may hold besides the path. */
#define LINE_EXTRA 128

/* tracefs's directory, or NULL if it is not mounted (or not writable). */
static const char *tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[64];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/uprobe_events", dirs[i]);
		if (!access(path, W_OK))
			return dirs[i];
	}
	return NULL;
}

/* Writes one command line to uprobe_events. Returns 0 or -errno. */
static int command(const char *root, const char *line)
{
	char path[64];
	size_t len = strlen(line);
	ssize_t w;
	int fd, err;

	snprintf(path, sizeof(path), "%s/uprobe_events", root);
	/* O_APPEND, never O_TRUNC: truncating deletes every uprobe event. */
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	w = write(fd, line, len);
	err = w < 0 ? -errno : (size_t)w == len ? 0 : -EIO;
	close(fd);
	return err;
}

static int delete_event(const char *root, int pid, uint32_t event)
{
	char line[64];

	snprintf(line, sizeof(line), "-:etltrace_%d/e%" PRIu32 "\n", pid, event);
	return command(root, line);
}

/* Deletes the events of etltrace processes that are gone (killed before
 * they could), and any of this process's pid (left by an earlier process
 * of the same pid): this process has defined none yet. */
static void sweep(const char *root)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	uint32_t event;
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "%s/uprobe_events", root);
	f = fopen(path, "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0)
		if (sscanf(line, "%*1[pr]:etltrace_%d/e%" SCNu32, &pid, &event) == 2 &&
		    (pid == getpid() || (kill(pid, 0) && errno == ESRCH)))
			delete_event(root, pid, event); /* a line per probe: later ones fail */
	free(line);
	fclose(f);
}

/* Reads the tracepoint id of event number `event` of this process. */
static int event_id(const char *root, uint32_t event)
{
	char path[128];
	FILE *f;
	int id = -1;

	snprintf(path, sizeof(path), "%s/events/etltrace_%d/e%" PRIu32 "/id", root, (int)getpid(),
		 event);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%d", &id) != 1 || id < 0)
		id = -EINVAL;
	fclose(f);
	return id;
}

int uprobe_event_define(uint32_t event, const char *path, const uint64_t *offsets,
			const uint64_t *ref_ctr_offsets, const uint32_t *idx, uint32_t cnt)
{
	static bool swept;
	const char *root = tracefs();
	char *line;
	int ret = 0;

	if (!root)
		return -ENOENT;
	/* The definition is split on white space. */
	if (!cnt || strpbrk(path, " \t\n"))
		return -EINVAL;
	if (!swept) {
		sweep(root);
		swept = true;
	}
	line = malloc(strlen(path) + LINE_EXTRA);
	if (!line)
		return -ENOMEM;
	for (uint32_t k = 0; k < cnt && !ret; k++) {
		uint64_t off = offsets[idx[k]], ref = ref_ctr_offsets[idx[k]];
		int n = sprintf(line, "p:etltrace_%d/e%" PRIu32 " %s:0x%" PRIx64, (int)getpid(),
				event, path, off);

		if (ref)
			n += sprintf(line + n, "(0x%" PRIx64 ")", ref);
		strcpy(line + n, "\n");
		ret = command(root, line);
	}
	free(line);
	ret = ret ?: event_id(root, event);
	if (ret < 0)
		delete_event(root, getpid(), event);
	return ret;
}

int uprobe_event_delete(uint32_t event)
{
	const char *root = tracefs();
	struct timespec ms = { 0, 1000000 };
	int err;

	if (!root)
		return -ENOENT;
	/* The perf events were freed when their links' fds were closed;
	 * -EBUSY would be one still being torn down: wait for it (1 s). */
	for (int tries = 0; tries < 1000; tries++) {
		err = delete_event(root, getpid(), event);
		if (err != -EBUSY)
			break;
		nanosleep(&ms, NULL);
	}
	return err;
}
