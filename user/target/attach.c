// SPDX-License-Identifier: MIT
/* attach.c - targets to attached probes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "target/attach.h"
#include "util/diag.h"
#include "target/elf_notes.h"
#include "cli/options.h"

/* Reports that t has no etl markers, naming every object searched. */
static void no_markers(const struct target *t)
{
	char *list = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&list, &len);

	if (f) {
		for (size_t k = 0; k < t->nobjs; k++)
			fprintf(f, "%s %s", k ? "," : "", t->objs[k].path);
		fclose(f);
	}
	diag("no etl USDT markers in process %d; searched:%s; mark operations with "
	     "<etl_probe.h> (see README.md)", (int)t->pid, list ? list : " (nothing)");
	free(list);
}

static bool has_sites(const struct target *t)
{
	for (size_t k = 0; k < t->nobjs; k++)
		if (t->objs[k].starts + t->objs[k].ends > 0)
			return true;
	return false;
}

int attach_check_pids(const pid_t *pids, int n, struct target *targets, int *ntargets)
{
	*ntargets = 0;
	for (int i = 0; i < n; i++) {
		pid_t pid = pids[i];
		int err = target_check(pid);

		if (err == -ESRCH) {
			diag("no such process: %d (check the PID with ps)", (int)pid);
			return ETL_EXIT_NO_TARGET;
		}
		if (err == -EINVAL) {
			diag("process %d is a kernel thread: give the PID of a user-space ETL program",
			     (int)pid);
			return ETL_EXIT_NO_TARGET;
		}
		if (err) {
			diag("cannot inspect process %d: %s", (int)pid, strerror(-err));
			return err == -EACCES ? ETL_EXIT_PERM : ETL_EXIT_NO_TARGET;
		}
		for (int j = 0; j < i; j++)
			if (pids[j] == pid) {
				diag("process %d is given twice with -p", (int)pid);
				return ETL_EXIT_USAGE;
			}
		target_init(&targets[i], pid);
		*ntargets = i + 1;
		err = target_scan(&targets[i]);
		if (err < 0) {
			diag("cannot read the memory map of process %d: %s", (int)pid, strerror(-err));
			return err == -ESRCH ? ETL_EXIT_NO_TARGET : ETL_EXIT_FAILURE;
		}
		if (!has_sites(&targets[i])) {
			no_markers(&targets[i]);
			return ETL_EXIT_NO_MARKERS;
		}
	}
	return 0;
}

/* An attach failure's exit code and advice. */
static int attach_failed(const char *path, pid_t pid, int err)
{
	if (err == -EINVAL || err == -EOPNOTSUPP) {
		diag("cannot attach to the etl probes of %s in process %d: %s (etltrace needs "
		     "uprobe_multi links, Linux 6.6 or later)", path, (int)pid, strerror(-err));
		return ETL_EXIT_KERNEL;
	}
	diag("cannot attach to the etl probes of %s in process %d: %s", path, (int)pid,
	     strerror(-err));
	return ETL_EXIT_FAILURE;
}

int attach_objects(struct tracer *tr, struct target *t, int verbose)
{
	int n = 0, err;

	for (size_t k = 0; k < t->nobjs; k++) {
		struct target_object *obj = &t->objs[k];

		if (obj->attached || obj->failed || obj->starts + obj->ends <= 0)
			continue;
		err = tracer_attach_object(tr, t->pid, obj->open_path);
		if (err) {
			obj->failed = true;
			return -attach_failed(obj->path, t->pid, err);
		}
		obj->attached = true;
		if (verbose)
			diag("attached to %s in process %d (%d op_start, %d op_end sites)", obj->path,
			     (int)t->pid, obj->starts, obj->ends);
		n++;
	}
	return n;
}

int attach_command(struct tracer *tr, struct target *t, struct command *cmd, int verbose,
		   bool *reaped, int *status)
{
	int err, starts = 0, ends = 0, rc;
	uint64_t entry;

	err = elf_entry_offset(cmd->exe, &entry);
	if (err) {
		diag("cannot run %s: not an ELF executable (%s); scripts are traced by "
		     "attaching to their interpreter with -p", cmd->exe, strerror(-err));
		return ETL_EXIT_USAGE;
	}
	if (!elf_etl_sites(cmd->exe, &starts, &ends) && starts + ends > 0) {
		err = tracer_attach_object(tr, t->pid, cmd->exe);
		if (err)
			return attach_failed(cmd->exe, t->pid, err);
	}
	err = tracer_attach_entry_stop(tr, t->pid, cmd->exe, entry);
	if (err)
		return attach_failed(cmd->exe, t->pid, err);
	err = command_start(cmd);
	if (err) {
		*reaped = true;
		diag("cannot run %s: %s", cmd->exe, strerror(-err));
		return ETL_EXIT_USAGE;
	}
	if (waitpid(t->pid, status, WUNTRACED) < 0 || !WIFSTOPPED(*status)) {
		*reaped = true;
		diag("%s exited before reaching its entry point", cmd->exe);
		return ETL_EXIT_FAILURE;
	}
	tracer_detach_entry_stop(tr);
	err = target_scan(t);
	if (err < 0) {
		diag("cannot read the memory map of %s: %s", cmd->exe, strerror(-err));
		return ETL_EXIT_FAILURE;
	}
	for (size_t k = 0; k < t->nobjs; k++)
		if (!strcmp(t->objs[k].path, cmd->exe) && starts + ends > 0)
			t->objs[k].attached = true;
	rc = attach_objects(tr, t, verbose);
	if (rc < 0)
		return -rc;
	if (starts + ends <= 0 && rc == 0) {
		no_markers(t);
		return ETL_EXIT_NO_MARKERS;
	}
	return 0;
}

void attach_print_ready(const struct target *targets, int n)
{
	int sites = 0, objs = 0;

	for (int i = 0; i < n; i++)
		for (size_t k = 0; k < targets[i].nobjs; k++) {
			if (!targets[i].objs[k].attached)
				continue;
			sites += targets[i].objs[k].starts + targets[i].objs[k].ends;
			objs++;
		}
	diag("ready: tracing %d process%s (%d probe sites in %d object%s); Ctrl-C to stop", n,
	     n == 1 ? "" : "es", sites, objs, objs == 1 ? "" : "s");
}
