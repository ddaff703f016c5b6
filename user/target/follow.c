// SPDX-License-Identifier: MIT
/* follow.c - processes as they fork, exec and exit, see follow.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "target/follow.h"

/* The object of p's executable, as its image maps it now. */
static struct object *exe_object(struct follower *f, struct process *p)
{
	char path[64], shown[4096];
	const char *cand[1] = { path };
	struct stat st;
	ssize_t n;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)p->pid);
	if (stat(path, &st))
		return NULL;
	n = readlink(path, shown, sizeof(shown) - 1);
	shown[n > 0 ? n : 0] = '\0';
	return objects_get(f->objs, st.st_dev, st.st_ino, shown, cand, 1, &err);
}

int follow_exec(struct follower *f, struct process *p)
{
	struct object *exe = exe_object(f, p);
	char path[64];

	if (!exe)
		return -ESRCH;
	attach_object(f->at, exe, p->pid);
	if (!exe->has_entry)
		return -ENOEXEC;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)p->pid);
	return tracer_entry_stop(f->tr, p->pid, path, exe->entry_offset);
}

void follow_entry(struct follower *f, struct process *p)
{
	tracer_entry_stop_clear(f->tr, p->pid);
	process_scan(p, f->objs, attach_on_added, f->at);
}

/* Lets a process that BPF stopped go on. */
static void release(struct follower *f, pid_t pid)
{
	kill(pid, SIGCONT);
	f->held++;
}

/* Keeps the exit of a process not known yet. */
static void remember_exit(struct follower *f, const struct etl_proc_event *e)
{
	if (f->nearly == f->cap_early) {
		size_t cap = f->cap_early ? f->cap_early * 2 : 16;
		struct early_exit *v = realloc(f->early, cap * sizeof(*v));

		if (!v)
			return; /* it then stays listed as live: a leak, not an error */
		f->early = v;
		f->cap_early = cap;
	}
	f->early[f->nearly++] = (struct early_exit){ (pid_t)e->tgid, e->start_ns, e->time_ns, 0 };
}

/* p has just been added: if its exit was read already, it is gone. */
static void exited_early(struct follower *f, struct process *p)
{
	for (size_t i = 0; i < f->nearly; i++) {
		if (f->early[i].pid != p->pid || f->early[i].start_ns != p->start_ns)
			continue;
		tracer_entry_stop_clear(f->tr, p->pid);
		procs_exited(f->procs, p, f->early[i].exit_ns);
		f->early[i] = f->early[--f->nearly];
		return;
	}
}

void follow_settle(struct follower *f)
{
	size_t kept = 0;

	for (size_t i = 0; i < f->nearly; i++)
		if (++f->early[i].age < 2)
			f->early[kept++] = f->early[i];
	f->nearly = kept;
}

void follow_free(struct follower *f)
{
	free(f->early);
	f->early = NULL;
	f->nearly = f->cap_early = 0;
}

/* A process first heard of: by its fork, or by its exec when the fork's
 * event sits in a ring read later (each CPU has its own). A forked child
 * maps what its parent mapped at the fork, and a short-lived worker is
 * often gone before its event is read: its image is its parent's then
 * (whose marked objects are attached already; later mappings come with
 * the rescans). Else, with `scan`, its maps as they are now. */
static struct process *new_process(struct follower *f, const struct etl_proc_event *e, bool scan)
{
	struct process *p = procs_add(f->procs, (pid_t)e->tgid, e->start_ns), *parent;

	if (!p)
		return NULL;
	memcpy(p->comm, e->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
	parent = e->ppid ? procs_find(f->procs, (pid_t)e->ppid, e->time_ns) : NULL;
	if ((!parent || process_inherit(p, parent, e->time_ns)) && scan)
		process_scan(p, f->objs, f->finishing ? NULL : attach_on_added, f->at);
	if (f->nearly)
		exited_early(f, p);
	return p;
}

void follow_event(struct follower *f, const struct etl_proc_event *e)
{
	pid_t pid = (pid_t)e->tgid;
	struct process *p = procs_latest(f->procs, pid);

	if (pid == f->setup_pid && (e->what == ETL_PROC_EXEC || e->what == ETL_PROC_ENTRY))
		return;
	switch (e->what) {
	case ETL_PROC_FORK:
	case ETL_PROC_NEW:
		if (!p || p->exited || p->start_ns != e->start_ns)
			new_process(f, e, true); /* else known already, from its exec */
		if (e->what == ETL_PROC_NEW) /* BPF stopped it at its first probe */
			release(f, pid);
		break;
	case ETL_PROC_EXEC:
		/* Its exit was read first (another CPU's ring): nothing to
		 * attach, and no stop to set for a process that is gone. */
		if (p && p->exited && p->start_ns == e->start_ns) {
			release(f, pid);
			break;
		}
		/* Before its fork is read: its maps now are the new image's,
		 * not to be taken for the one it ran before. */
		if (!p || p->exited)
			p = new_process(f, e, false);
		if (p) {
			procs_exec(f->procs, p, e->time_ns);
			memcpy(p->comm, e->comm, sizeof(p->comm));
			p->comm[sizeof(p->comm) - 1] = '\0';
		}
		/* Without a stop at its entry, it is scanned as it is now. */
		if (p && !p->exited && !f->finishing && follow_exec(f, p))
			process_scan(p, f->objs, attach_on_added, f->at);
		release(f, pid);
		break;
	case ETL_PROC_ENTRY:
		if (p && !f->finishing)
			follow_entry(f, p);
		release(f, pid);
		break;
	case ETL_PROC_EXIT:
		/* A child gone before its fork is read (another CPU's ring)
		 * would else stay listed as live for ever. */
		if (p && !p->exited && (!p->start_ns || p->start_ns == e->start_ns)) {
			/* It may have died before reaching its entry point (its
			 * dynamic loader failed, or it was killed): the stop set
			 * there for it goes. */
			tracer_entry_stop_clear(f->tr, pid);
			procs_exited(f->procs, p, e->time_ns);
		} else
			remember_exit(f, e);
		break;
	}
}

static void rescan_one(void *ctx, struct process *p)
{
	struct follower *f = ctx;

	if (!p->exited)
		process_scan(p, f->objs, attach_on_added, f->at);
}

void follow_rescan(struct follower *f)
{
	procs_each(f->procs, rescan_one, f);
}
