// SPDX-License-Identifier: MIT
/*
 * test_processes.c - processes etltrace follows by itself: the children a
 * traced process forks (tests/progs/family.c, tests/progs/workers.c: forked
 * without exec, forked to exec a marked program, also through a shell,
 * and read late by a stopped tracer), none with --no-children; every
 * process of a binary or library given with -b (also those started before
 * etltrace, and later ones), each counted exactly in its own section of
 * the report and in the aggregate; a pid reused by another process never
 * inherits anything; and etltrace's file descriptors and memory stay flat
 * however many processes come and go. Needs root and BPF (fails, never
 * skips).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define WAIT_MS 20000
#define MAX_KIDS 2048

/* A built file's path, kept (build_path's buffers are reused). */
static char *built(const char *rel, char **kept)
{
	if (!*kept)
		*kept = strdup(build_path(rel));
	return *kept;
}

static char *workers(void)
{
	static char *p;

	return built("tests/progs/workers", &p);
}

static char *marked(void)
{
	static char *p;

	return built("tests/progs/marked", &p);
}

static char *plugin(void)
{
	static char *p;

	return built("tests/progs/libetlplugin.so", &p);
}

static long long op_count(struct json_object *r, const char *name)
{
	struct json_object *op = report_op(r, name);

	return op ? jint(op, "count") : 0;
}

/* report["processes"], an array (fails if absent). */
static struct json_object *sections(struct json_object *r)
{
	struct json_object *v;

	if (!json_object_object_get_ex(r, "processes", &v) ||
	    !json_object_is_type(v, json_type_array))
		fail_msg("the report has no processes array");
	return v;
}

/* The sections of pid (how many in *n); the first, or NULL. */
static struct json_object *section_of(struct json_object *r, pid_t pid, int *n)
{
	struct json_object *v = sections(r), *found = NULL;

	*n = 0;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *p = json_object_array_get_idx(v, i);

		if (jint(p, "pid") == pid) {
			found = found ? found : p;
			(*n)++;
		}
	}
	return found;
}

/* The count of op in p's section (0 if none). */
static long long section_count(struct json_object *p, const char *op)
{
	struct json_object *ops, *o;

	if (!json_object_object_get_ex(p, "operations", &ops) ||
	    !json_object_object_get_ex(ops, op, &o))
		return 0;
	return jint(o, "count");
}

static bool section_exited(struct json_object *p)
{
	struct json_object *v;

	if (!json_object_object_get_ex(p, "exited", &v))
		fail_msg("a section has no exited");
	return json_object_get_boolean(v);
}

/* Checks that pid has exactly one section, with exactly want op (and no
 * other operation when only is set). Returns it. */
static struct json_object *expect_section(struct json_object *r, pid_t pid, const char *op,
					  long long want, bool only)
{
	int n;
	struct json_object *p = section_of(r, pid, &n), *ops;

	if (n != 1)
		fail_msg("process %d has %d sections, not 1", (int)pid, n);
	if (section_count(p, op) != want)
		fail_msg("process %d: %lld %s, not %lld", (int)pid, section_count(p, op), op, want);
	if (only) {
		assert_true(json_object_object_get_ex(p, "operations", &ops));
		assert_int_equal(json_object_object_length(ops), 1);
	}
	return p;
}

/* The kids a `workers` parent announced ("child PID") up to `until`. */
struct kids {
	pid_t parent;
	pid_t pid[MAX_KIDS];
	int n;
};

static void read_kids_any(struct child *w, const char *until, struct kids *k, bool fail_ok)
{
	char line[256];
	long long deadline = now_ms() + 60000;

	k->n = 0;
	for (;;) {
		int pid;
		int len = read_line_within(w->out_fd, line, sizeof(line),
					   (int)(deadline - now_ms() > 0 ? deadline - now_ms() : 1));

		if (len < 0)
			fail_msg("workers ended (%d) before '%s'", len, until);
		if (sscanf(line, "child %d", &pid) == 1 && k->n < MAX_KIDS)
			k->pid[k->n++] = pid;
		if (!fail_ok && sscanf(line, "reaped %d %*d", &pid) == 1 &&
		    strcmp(line + strlen(line) - 2, " 0"))
			fail_msg("a child failed: %s", line);
		if (strstr(line, until))
			return;
	}
}

static void read_kids(struct child *w, const char *until, struct kids *k)
{
	read_kids_any(w, until, k, false);
}

/* Traces a gated `workers -w ARGS` with -p (plus extra options), lets it
 * run to "workers: done", and returns the report of the trace its exit
 * ends; its children's pids in *k. */
static struct json_object *trace_workers(char *const wargs[], char *const extra[], struct kids *k)
{
	char *argv[16] = { workers(), "-w" }, pid[16], *args[16] = { NULL };
	struct child w, tracer;
	struct json_object *r;
	int n = 2, a = 0, early;

	for (int i = 0; wargs[i]; i++)
		argv[n++] = wargs[i];
	argv[n] = NULL;
	assert_int_equal(target_start(argv, &w), 0);
	snprintf(pid, sizeof(pid), "%d", (int)w.pid);
	k->parent = w.pid;
	for (int i = 0; extra && extra[i]; i++)
		args[a++] = extra[i];
	args[a++] = "-p";
	args[a++] = pid;
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	assert_int_equal(target_send_line(&w), 0);
	read_kids(&w, "workers: done", k);
	assert_int_equal(target_release(&w), 0);
	assert_int_equal(child_wait(&w), 0);
	assert_int_equal(tracer_finish(&tracer, false, &r), 0);
	assert_non_null(r);
	return r;
}

/* --- children ------------------------------------------------------------ */

#define FORKS 4
#define EXECS 3
#define OPS 50

/* `family FLAGS... FORKS EXECS OPS twin_b OPS` into v (room for 12);
 * returns the index of twin_b's path, to free with v[0]. */
static int family_argv(char **v, const char *const flags[])
{
	static char forks[8], execs[8], ops[8];
	int i = 0, prog;

	snprintf(forks, sizeof(forks), "%d", FORKS);
	snprintf(execs, sizeof(execs), "%d", EXECS);
	snprintf(ops, sizeof(ops), "%d", OPS);
	v[i++] = strdup(build_path("tests/progs/family"));
	for (int k = 0; flags && flags[k]; k++)
		v[i++] = (char *)flags[k];
	v[i++] = forks;
	v[i++] = execs;
	v[i++] = ops;
	prog = i;
	v[i++] = strdup(build_path("tests/progs/twin_b"));
	v[i++] = ops;
	v[i] = NULL;
	return prog;
}

/* The sections of the family's report: the parent's, and with children
 * one per worker with exactly its own operations. */
static void assert_family_sections(struct json_object *r, bool children)
{
	struct json_object *v;
	int parent = 0, forked = 0, execd = 0;

	/* One process traced: the report is its own, with no sections. */
	if (!children) {
		assert_false(json_object_object_get_ex(r, "processes", &v));
		return;
	}
	v = sections(r);

	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *p = json_object_array_get_idx(v, i), *ops;

		assert_true(json_object_object_get_ex(p, "operations", &ops));
		if (section_count(p, "parent_op") == 2 * OPS && section_count(p, "spawn_op") == 1 &&
		    json_object_object_length(ops) == 2)
			parent++;
		else if (section_count(p, "child_op") == OPS && json_object_object_length(ops) == 1 &&
			 section_exited(p))
			forked++;
		else if (section_count(p, "bravo_work") == OPS && section_exited(p))
			execd++;
		else
			fail_msg("an unexpected section: %s", json_object_to_json_string(p));
	}
	assert_int_equal(parent, 1);
	assert_int_equal(forked, children ? FORKS : 0);
	assert_int_equal(execd, children ? EXECS : 0);
}

/* The report of the whole family, or of the parent alone. */
static void assert_family(struct json_object *r, bool children)
{
	long long total = 2 * OPS + 1;

	assert_non_null(r);
	assert_int_equal(op_count(r, "parent_op"), 2 * OPS);
	assert_int_equal(op_count(r, "spawn_op"), 1);
	if (children) {
		assert_int_equal(op_count(r, "child_op"), FORKS * OPS);
		assert_int_equal(op_count(r, "bravo_work"), EXECS * OPS);
		total += (FORKS + EXECS) * OPS;
	} else {
		assert_null(report_op(r, "child_op"));
		assert_null(report_op(r, "bravo_work"));
	}
	assert_int_equal(jint(json_object_object_get(r, "summary"), "total_operations"), total);
	assert_int_equal(ops_sum(r, "unfinished"), 0);
	assert_int_equal(counter(r, "starts"), total);
	assert_int_equal(counter(r, "ends"), total);
	assert_int_equal(counter(r, "records"), total);
	assert_int_equal(counter(r, "unmatched_end"), 0);
	assert_int_equal(counter(r, "names_unresolved"), 0);
	assert_int_equal(counter(r, "process_events_lost"), 0);
	assert_accounting(r);
	assert_family_sections(r, children);
}

static void run_cmd(bool children)
{
	char *v[12], *args[14] = { NULL };
	struct json_object *r;
	int i = 0, prog = family_argv(v, NULL);

	if (!children)
		args[i++] = "--no-children";
	args[i++] = "--";
	for (int k = 0; v[k]; k++)
		args[i++] = v[k];
	assert_int_equal(run_etltrace(args, &r, NULL), 0);
	assert_family(r, children);
	json_object_put(r);
	free(v[0]);
	free(v[prog]);
}

static void run_p(bool children)
{
	const char *flags[] = { "-g", NULL };
	char *v[12], pid[16], *args[] = { "-p", pid, children ? NULL : "--no-children", NULL };
	struct child target, tracer;
	struct json_object *r;
	int early, prog = family_argv(v, flags);

	assert_int_equal(target_start(v, &target), 0);
	snprintf(pid, sizeof(pid), "%d", (int)target.pid);
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	assert_int_equal(target_release(&target), 0);
	assert_int_equal(child_wait(&target), 0);
	assert_int_equal(tracer_finish(&tracer, false, &r), 0);
	assert_family(r, children);
	json_object_put(r);
	free(v[0]);
	free(v[prog]);
}

static void test_cmd_every_child_forked_or_execd_is_counted_exactly(void **state)
{
	(void)state;
	run_cmd(true);
}

static void test_cmd_no_children_counts_only_the_parent(void **state)
{
	(void)state;
	run_cmd(false);
}

static void test_p_every_child_forked_or_execd_is_counted_exactly(void **state)
{
	(void)state;
	run_p(true);
}

static void test_p_no_children_counts_only_the_parent(void **state)
{
	(void)state;
	run_p(false);
}

/*
 * The worst order, made certain: etltrace is stopped while the workers
 * run, each on the first CPU while the parent forks them on the last, so
 * that when it goes on it reads (one CPU's ring after the other) a forked
 * worker's operations before its fork, an exec'd worker's exec before its
 * fork, and every fork after the worker has gone. Each worker must still
 * be named, counted, and the exec'd ones held for their new image.
 */
static void test_p_children_are_counted_exactly_when_the_tracer_reads_them_late(void **state)
{
	const char *flags[] = { "-g", "-s", "-c", NULL };
	char *v[12], pid[16], *args[] = { "-p", pid, NULL };
	struct child target, tracer;
	struct json_object *r;
	int early, status, prog = family_argv(v, flags);

	(void)state;
	assert_int_equal(target_start(v, &target), 0);
	snprintf(pid, sizeof(pid), "%d", (int)target.pid);
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	assert_int_equal(kill(tracer.pid, SIGSTOP), 0);
	assert_int_equal(waitpid(tracer.pid, &status, WUNTRACED), tracer.pid);
	assert_true(WIFSTOPPED(status));
	assert_int_equal(target_send_line(&target), 0);
	assert_int_equal(child_wait_line(&target, "family: spawned"), 0);
	assert_int_equal(kill(tracer.pid, SIGCONT), 0);
	assert_int_equal(target_release(&target), 0);
	assert_int_equal(child_wait(&target), 0);
	assert_int_equal(tracer_finish(&tracer, false, &r), 0);
	assert_family(r, true);
	json_object_put(r);
	free(v[0]);
	free(v[prog]);
}


/* A child that exits keeps its section, marked exited, while its parent
 * (still running) is not: a SIGUSR1 report taken between the two. */
static void test_an_exited_child_keeps_its_section_while_the_parent_runs(void **state)
{
	char *argv[] = { workers(), "-w", "fork", "2", "30", NULL };
	char dir[] = "/tmp/etltrace-exited-XXXXXX", path[64], pid[16];
	char *args[] = { "--format", "json", "-o", path, "-p", pid, NULL };
	struct child w, tracer;
	struct json_object *r = NULL;
	struct kids k;
	int out, early;
	long long deadline;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r.json", dir);
	assert_int_equal(target_start(argv, &w), 0);
	snprintf(pid, sizeof(pid), "%d", (int)w.pid);
	assert_int_equal(tracer_spawn(args, &tracer, &out, &early), 0);
	assert_int_equal(target_send_line(&w), 0);
	read_kids(&w, "workers: done", &k);
	assert_int_equal(kill(tracer.pid, SIGUSR1), 0);
	for (deadline = now_ms() + WAIT_MS; !r && now_ms() < deadline; usleep(10000))
		r = json_object_from_file(path);
	assert_non_null(r);
	for (int i = 0; i < k.n; i++)
		assert_true(section_exited(expect_section(r, k.pid[i], "child_op", 30, true)));
	assert_false(section_exited(expect_section(r, w.pid, "parent_op", 30, true)));
	json_object_put(r);
	assert_int_equal(target_release(&w), 0);
	assert_int_equal(child_wait(&w), 0);
	close(out);
	assert_int_equal(child_wait(&tracer), 0);
	r = json_object_from_file(path);
	assert_non_null(r);
	assert_true(section_exited(expect_section(r, w.pid, "parent_op", 30, true)));
	json_object_put(r);
	unlink(path);
	rmdir(dir);
}

/* An unmarked program (the shell) in between: `exec` in the shell keeps
 * the child's pid; without it the shell forks again, a grandchild. */
static void test_children_through_a_shell_are_traced(void **state)
{
	char cmd_exec[512], cmd_fork[512];
	char *wexec[] = { "sh", "3", "5", cmd_exec, NULL };
	char *wfork[] = { "sh", "3", "5", cmd_fork, NULL };
	struct kids k;
	struct json_object *r, *v;
	int marked_sections = 0;

	(void)state;
	snprintf(cmd_exec, sizeof(cmd_exec), "exec %s nested 2", marked());
	snprintf(cmd_fork, sizeof(cmd_fork), "%s nested 2; true", marked());
	r = trace_workers(wexec, NULL, &k);
	for (int i = 0; i < k.n; i++)
		assert_true(section_exited(expect_section(r, k.pid[i], "outer", 2, false)));
	assert_int_equal(op_count(r, "inner"), 36);
	assert_int_equal(op_count(r, "parent_op"), 5);
	assert_clean(r);
	json_object_put(r);

	r = trace_workers(wfork, NULL, &k);
	v = sections(r);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *p = json_object_array_get_idx(v, i);

		if (section_count(p, "outer")) {
			assert_int_equal(section_count(p, "outer"), 2);
			assert_int_equal(section_count(p, "inner"), 12);
			for (int j = 0; j < k.n; j++) /* grandchildren, not the shells */
				assert_true(jint(p, "pid") != k.pid[j]);
			marked_sections++;
		}
	}
	assert_int_equal(marked_sections, 3);
	assert_int_equal(op_count(r, "outer"), 6);
	assert_int_equal(op_count(r, "inner"), 36);
	assert_int_equal(op_count(r, "parent_op"), 5);
	assert_clean(r);
	json_object_put(r);
}

/* --- a reused pid --------------------------------------------------------- */

/* Runs argv as a new process whose pid is want (the kernel hands out
 * ns_last_pid + 1 next; another process forking in between takes it, so
 * this retries), and waits for it. Returns its exit status, or -1 if the
 * pid could not be had. */
static int run_with_pid(pid_t want, char *const argv[])
{
	for (int attempt = 0; attempt < 1000; attempt++) {
		int gate[2], fd, status;
		pid_t p;
		char c;

		if (pipe2(gate, O_CLOEXEC))
			return -1;
		fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || dprintf(fd, "%d", (int)want - 1) < 0)
			fail_msg("cannot write ns_last_pid: %s", strerror(errno));
		close(fd);
		p = fork();
		if (p == 0) {
			close(gate[1]);
			if (read(gate[0], &c, 1) != 1)
				_exit(99);
			execv(argv[0], argv);
			_exit(127);
		}
		close(gate[0]);
		if (p == want && write(gate[1], "g", 1) != 1)
			fail_msg("cannot release the process");
		close(gate[1]);
		while (waitpid(p, &status, 0) < 0)
			assert_int_equal(errno, EINTR);
		if (p == want)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	return -1;
}

/* Following children: a child exits, an untraced process gets its pid
 * (forced) and runs marked operations; the child's section keeps only its
 * own, and the other process's appear nowhere. */
static void test_a_pid_reused_by_an_untraced_process_gets_nothing(void **state)
{
	char *argv[] = { workers(), "-w", "fork", "1", "20", NULL };
	char *reuser[] = { marked(), "sleep", "0", "7", NULL };
	char pid[16], *args[] = { "-p", pid, NULL };
	struct child w, tracer;
	struct json_object *r;
	struct kids k;
	int early;

	(void)state;
	assert_int_equal(target_start(argv, &w), 0);
	snprintf(pid, sizeof(pid), "%d", (int)w.pid);
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	assert_int_equal(target_send_line(&w), 0);
	read_kids(&w, "workers: done", &k); /* the child has exited, reaped */
	assert_int_equal(k.n, 1);
	assert_int_equal(run_with_pid(k.pid[0], reuser), 0);
	assert_int_equal(target_release(&w), 0);
	assert_int_equal(child_wait(&w), 0);
	assert_int_equal(tracer_finish(&tracer, false, &r), 0);
	assert_non_null(r);
	assert_true(section_exited(expect_section(r, k.pid[0], "child_op", 20, true)));
	assert_int_equal(op_count(r, "sleep_op"), 0);
	assert_int_equal(counter(r, "starts"), 40);
	assert_clean(r);
	json_object_put(r);
}

/* --- -b --------------------------------------------------------------------- */

/* Starts `etltrace -b path... [extra]` with a JSON report to a file. */
static void start_b(char *const paths[], struct child *tracer)
{
	char *args[16];
	int n = 0, early;

	for (int i = 0; paths[i]; i++) {
		args[n++] = "-b";
		args[n++] = paths[i];
	}
	args[n] = NULL;
	assert_int_equal(tracer_start(args, tracer, &early), 0);
}

/* Starts argv with no gate, its output discarded; returns its pid. */
static pid_t start_free(char *const argv[])
{
	pid_t p = fork();

	assert_true(p >= 0);
	if (p == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	return p;
}

static void wait_ok(pid_t p)
{
	int status;

	assert_int_equal(waitpid(p, &status, 0), p);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_b_traces_each_process_of_the_binary_exactly(void **state)
{
	char *paths[] = { marked(), NULL };
	char *nested[] = { marked(), "nested", "3", NULL };
	char *threads[] = { marked(), "threads", "3", "200", NULL };
	char *gate[] = { marked(), "gate", "7", "30", NULL };
	char *other[] = { workers(), "fork", "0", "9", NULL };
	struct child tracer, before, w;
	struct json_object *r, *p;
	pid_t conc[3], seq[2];

	(void)state;
	/* Started before etltrace: traced from the ready line on. */
	assert_int_equal(target_start(gate, &before), 0);
	start_b(paths, &tracer);
	assert_int_equal(target_release(&before), 0);
	/* Three at once, then two after those ended. */
	for (int i = 0; i < 3; i++)
		conc[i] = start_free(nested);
	for (int i = 0; i < 3; i++)
		wait_ok(conc[i]);
	for (int i = 0; i < 2; i++) {
		seq[i] = start_free(threads);
		wait_ok(seq[i]);
	}
	/* Another marked program, not given: not traced. */
	assert_int_equal(target_start(other, &w), 0);
	assert_int_equal(target_release(&w), 0);
	assert_int_equal(child_wait(&w), 0);
	assert_int_equal(child_wait(&before), 0);
	assert_int_equal(tracer_finish(&tracer, true, &r), 0);
	assert_non_null(r);

	p = expect_section(r, before.pid, "after_op", 30, true);
	assert_true(section_exited(p));
	for (int i = 0; i < 3; i++) {
		p = expect_section(r, conc[i], "outer", 3, false);
		assert_int_equal(section_count(p, "inner"), 18);
		assert_int_equal(section_count(p, "scoped_leaf"), 18);
		assert_true(section_exited(p));
	}
	for (int i = 0; i < 2; i++) {
		p = expect_section(r, seq[i], "thread_op", 600, false);
		assert_int_equal(section_count(p, "thread_inner"), 600);
	}
	assert_int_equal(json_object_array_length(sections(r)), 6);
	assert_int_equal(op_count(r, "before_op"), 0);
	assert_int_equal(op_count(r, "after_op"), 30);
	assert_int_equal(op_count(r, "outer"), 9);
	assert_int_equal(op_count(r, "inner"), 54);
	assert_int_equal(op_count(r, "thread_op"), 1200);
	assert_int_equal(op_count(r, "parent_op"), 0);
	assert_int_equal(counter(r, "starts"), 30 + 3 * 45 + 2 * 1200);
	assert_clean(r);
	json_object_put(r);
}

/* -b on a marked library that two different executables load; a process
 * of one of them that does not load it is not traced (its own markers are
 * attached by then, for the processes that do). */
static void test_b_on_a_library_traces_every_program_that_loads_it(void **state)
{
	char *paths[] = { plugin(), NULL };
	char *wplug[] = { workers(), "plugin", plugin(), "25", NULL };
	char *mplug[] = { marked(), "dlopen", plugin(), "40", NULL };
	char *wplain[] = { workers(), "fork", "0", "9", NULL };
	struct child tracer, a, b, c;
	struct json_object *r;

	(void)state;
	start_b(paths, &tracer);
	assert_int_equal(target_start(wplug, &a), 0);
	assert_int_equal(target_start(mplug, &b), 0);
	assert_int_equal(target_send_line(&b), 0);
	assert_int_equal(child_wait_line(&b, "marked: loaded"), 0);
	assert_int_equal(target_release(&b), 0);
	assert_int_equal(target_release(&a), 0);
	assert_int_equal(child_wait(&a), 0);
	assert_int_equal(child_wait(&b), 0);
	assert_int_equal(target_start(wplain, &c), 0);
	assert_int_equal(target_release(&c), 0);
	assert_int_equal(child_wait(&c), 0);
	assert_int_equal(tracer_finish(&tracer, true, &r), 0);
	assert_non_null(r);
	expect_section(r, a.pid, "plugin_op", 25, true);
	expect_section(r, b.pid, "plugin_op", 40, true);
	assert_int_equal(json_object_array_length(sections(r)), 2);
	assert_int_equal(op_count(r, "plugin_op"), 65);
	assert_int_equal(op_count(r, "parent_op"), 0);
	assert_clean(r);
	json_object_put(r);
}

/* In -b mode a process reusing a pid is traced too (it runs the binary),
 * in a section of its own: each of the two has exactly its operations. */
static void test_b_a_reused_pid_gets_a_section_of_its_own(void **state)
{
	char *paths[] = { marked(), NULL };
	char *first[] = { marked(), "nested", "1", NULL };
	char *second[] = { marked(), "sleep", "0", "7", NULL };
	struct child tracer;
	struct json_object *r, *v;
	pid_t pid;
	int n = 0;

	(void)state;
	start_b(paths, &tracer);
	pid = start_free(first);
	wait_ok(pid);
	assert_int_equal(run_with_pid(pid, second), 0);
	assert_int_equal(tracer_finish(&tracer, true, &r), 0);
	assert_non_null(r);
	v = sections(r);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *p = json_object_array_get_idx(v, i);

		assert_int_equal(jint(p, "pid"), pid);
		if (section_count(p, "outer")) {
			assert_int_equal(section_count(p, "outer"), 1);
			assert_int_equal(section_count(p, "inner"), 6);
			assert_int_equal(section_count(p, "sleep_op"), 0);
		} else {
			assert_int_equal(section_count(p, "sleep_op"), 7);
			assert_int_equal(section_count(p, "inner"), 0);
		}
		n++;
	}
	assert_int_equal(n, 2);
	assert_clean(r);
	json_object_put(r);
}

static void test_b_refuses_what_it_cannot_trace(void **state)
{
	char text[] = "/tmp/etltrace-text-XXXXXX";
	int fd = mkstemp(text);
	char *missing[] = { "-b", "/nonexistent/etl_job", NULL };
	char *dir[] = { "-b", "/tmp", NULL };
	char *notelf[] = { "-b", text, NULL };
	char *unmarked[] = { "-b", "/bin/true", NULL };
	char *with_p[] = { "-b", marked(), "-p", "1", NULL };
	char *with_cmd[] = { "-b", marked(), "--", marked(), "sleep", "0", "1", NULL };

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\necho hi\n", 18), 18);
	close(fd);
	expect_refused(missing, 2, "No such file or directory");
	expect_refused(dir, 2, "not an ELF executable or library");
	expect_refused(notelf, 2, "not an ELF executable or library");
	expect_refused(unmarked, 4, "no etl USDT markers in -b /bin/true");
	expect_refused(with_p, 2, "-b");
	expect_refused(with_cmd, 2, "-b");
	unlink(text);
}

/* --- bounded over time ----------------------------------------------------- */

/* etltrace's open file descriptors and resident memory while hundreds of
 * short-lived processes come and go: the same count after the first 50 as
 * after 450 (a leak of one per process would show 400), memory within
 * 4 MiB. */
static void test_b_fds_and_memory_stay_flat_over_hundreds_of_processes(void **state)
{
	char *paths[] = { marked(), NULL };
	char *one[] = { marked(), "nested", "1", NULL };
	struct child tracer;
	struct json_object *r;
	int fd0 = 0, fd1;
	long rss0 = 0, rss1;

	(void)state;
	start_b(paths, &tracer);
	for (int i = 0; i < 450; i += 3) {
		pid_t p[3];

		for (int j = 0; j < 3; j++)
			p[j] = start_free(one);
		for (int j = 0; j < 3; j++)
			wait_ok(p[j]);
		if (i == 48) {
			usleep(200 * 1000); /* two drains: exited processes forgotten */
			fd0 = proc_fd_count(tracer.pid);
			rss0 = proc_status_kb(tracer.pid, "VmRSS");
		}
	}
	usleep(200 * 1000);
	fd1 = proc_fd_count(tracer.pid);
	rss1 = proc_status_kb(tracer.pid, "VmRSS");
	assert_true(fd0 > 0 && rss0 > 0);
	if (fd1 != fd0 || (rss_bounds_apply() && rss1 - rss0 > 4096))
		fail_msg("after 50 processes: %d fds, %ld KiB; after 450: %d fds, %ld KiB", fd0, rss0,
			 fd1, rss1);
	assert_int_equal(tracer_finish(&tracer, true, &r), 0);
	assert_non_null(r);
	if (json_object_array_length(sections(r)) != 450)
		fail_msg("%zu sections, not 450; counters %s", json_object_array_length(sections(r)),
			 json_object_to_json_string(json_object_object_get(r, "counters")));
	assert_int_equal(op_count(r, "outer"), 450);
	assert_int_equal(op_count(r, "scoped_leaf"), 450 * 6);
	assert_clean(r);
	json_object_put(r);
}

static const char ld_path[] = "/lib64/ld-linux-x86-64.so.2";

/* dir/iii...: a path as long as ld_path. */
static void interp_path(const char *dir, char *out)
{
	size_t n = strlen(dir);

	memcpy(out, dir, n);
	out[n] = '/';
	memset(out + n + 1, 'i', sizeof(ld_path) - n - 2);
	out[sizeof(ld_path) - 1] = '\0';
}

/* Writes to dir/noentry a copy of /bin/true whose program interpreter is
 * dir/iii... (a link to /bin/true, a path as long as the original): the
 * kernel runs it unrelocated, and it crashes before the executable's entry
 * point. dir must be shorter than ld_path. Returns the copy's path. */
static const char *make_noentry(const char *dir)
{
	static const char *const ld = ld_path;
	static char path[128];
	char interp[sizeof(ld_path)], *data, *at;
	FILE *f = fopen("/bin/true", "rb");
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	data = malloc((size_t)len);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	at = memmem(data, (size_t)len, ld, sizeof(ld_path));
	assert_non_null(at);
	interp_path(dir, interp);
	assert_int_equal(strlen(interp), sizeof(ld_path) - 1);
	assert_int_equal(symlink("/bin/true", interp), 0);
	memcpy(at, interp, sizeof(ld_path));
	snprintf(path, sizeof(path), "%s/noentry", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	free(data);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

/* Children that exec and die before their entry point (where etltrace
 * holds a process once more, to attach its libraries): the trace goes on
 * and ends normally, the parent's operations counted, and the stop set at
 * each child's entry point is detached (closed off the run loop, each
 * waiting a grace period): etltrace's fds come back to what they were. */
static void test_children_dying_before_their_entry_point_do_not_break_the_trace(void **state)
{
	char dir[] = "/tmp/etlXXXXXX";
	char *argv[] = { workers(), "-w", "exec", "60", "1", NULL, NULL };
	char pid[16], *args[] = { "-p", pid, NULL }, interp[64];
	struct child w, tracer;
	struct json_object *r;
	struct kids k;
	int early, fd0, fd1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	argv[5] = (char *)make_noentry(dir);
	assert_int_equal(target_start(argv, &w), 0);
	snprintf(pid, sizeof(pid), "%d", (int)w.pid);
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	fd0 = proc_fd_count(tracer.pid);
	assert_int_equal(target_send_line(&w), 0);
	read_kids_any(&w, "workers: done", &k, true);
	assert_int_equal(k.n, 60);
	assert_true(fd0 > 0);
	for (int i = 0; (fd1 = proc_fd_count(tracer.pid)) != fd0 && i < 500; i++)
		usleep(20 * 1000); /* 10 s at most */
	if (fd1 != fd0)
		fail_msg("etltrace has %d fds 10 s after its 60 children died, %d before them", fd1,
			 fd0);
	assert_int_equal(target_release(&w), 0);
	assert_int_equal(child_wait(&w), 1); /* its children crashed */
	assert_int_equal(tracer_finish(&tracer, false, &r), 0);
	assert_non_null(r);
	assert_int_equal(op_count(r, "parent_op"), 1);
	json_object_put(r);
	unlink(argv[5]);
	interp_path(dir, interp);
	unlink(interp);
	rmdir(dir);
}

/* Following children: 1,100 of them at once, the fds flat. Only 1,024
 * sections are kept: a process gets a whole section or none (counted in
 * processes_not_reported), and the aggregate counts everything. */
static void test_children_past_the_section_cap_are_counted_not_cut(void **state)
{
	enum { KIDS = 1100, K = 3 };
	char kids[16], kk[16], *argv[] = { workers(), "-w", "fork", kids, kk, NULL };
	char pid[16], *args[] = { "-p", pid, NULL };
	struct child w, tracer;
	struct json_object *r, *v;
	struct kids k;
	int early, fd0, fd1;
	long long whole = 0;

	(void)state;
	snprintf(kids, sizeof(kids), "%d", KIDS);
	snprintf(kk, sizeof(kk), "%d", K);
	assert_int_equal(target_start(argv, &w), 0);
	snprintf(pid, sizeof(pid), "%d", (int)w.pid);
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	fd0 = proc_fd_count(tracer.pid);
	assert_int_equal(target_send_line(&w), 0);
	read_kids(&w, "workers: done", &k);
	assert_int_equal(k.n, KIDS);
	usleep(200 * 1000);
	fd1 = proc_fd_count(tracer.pid);
	if (fd1 != fd0)
		fail_msg("%d fds before the children, %d after", fd0, fd1);
	assert_int_equal(target_release(&w), 0);
	assert_int_equal(child_wait(&w), 0);
	assert_int_equal(tracer_finish(&tracer, false, &r), 0);
	assert_non_null(r);
	v = sections(r);
	assert_true(json_object_array_length(v) <= 1024);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *p = json_object_array_get_idx(v, i);
		long long c = section_count(p, "child_op");

		if (jint(p, "pid") == w.pid)
			continue;
		if (c != K)
			fail_msg("process %lld has a section with %lld child_op, not %d",
				 jint(p, "pid"), c, K);
		whole++;
	}
	assert_int_equal(counter(r, "processes_not_reported"),
			 KIDS + 1 - (long long)json_object_array_length(v));
	assert_int_equal(op_count(r, "child_op"), KIDS * K);
	assert_int_equal(op_count(r, "parent_op"), K);
	assert_true(whole >= 1000);
	assert_clean(r);
	json_object_put(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HARNESS_TEST(test_cmd_every_child_forked_or_execd_is_counted_exactly),
		HARNESS_TEST(test_cmd_no_children_counts_only_the_parent),
		HARNESS_TEST(test_p_every_child_forked_or_execd_is_counted_exactly),
		HARNESS_TEST(test_p_no_children_counts_only_the_parent),
		HARNESS_TEST(test_p_children_are_counted_exactly_when_the_tracer_reads_them_late),
		HARNESS_TEST(test_an_exited_child_keeps_its_section_while_the_parent_runs),
		HARNESS_TEST(test_children_through_a_shell_are_traced),
		HARNESS_TEST(test_a_pid_reused_by_an_untraced_process_gets_nothing),
		HARNESS_TEST(test_b_traces_each_process_of_the_binary_exactly),
		HARNESS_TEST(test_b_on_a_library_traces_every_program_that_loads_it),
		HARNESS_TEST(test_b_a_reused_pid_gets_a_section_of_its_own),
		HARNESS_TEST(test_b_refuses_what_it_cannot_trace),
		HARNESS_TEST(test_b_fds_and_memory_stay_flat_over_hundreds_of_processes),
		HARNESS_TEST(test_children_dying_before_their_entry_point_do_not_break_the_trace),
		HARNESS_TEST(test_children_past_the_section_cap_are_counted_not_cut),
	};

	return cmocka_run_group_tests_name("processes", tests, harness_require_root, NULL);
}
