// SPDX-License-Identifier: MIT
/*
 * test_roots.c - processes in a root of their own, traced with -p by
 * their host pid: a chroot, unshare's own mount and pid namespaces with
 * --root, and a container-like root that exists only inside its mount
 * namespace (tests/progs/rootjail.c). The target is twin_static (twin.c
 * linked statically, alone in its root) sleeping 50 ms in each operation:
 * each must last 50 to 55 ms, or up to 5 ms more than the program itself
 * measured when a loaded machine woke it late.
 * Needs root and BPF (fails, never skips).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define MS 1e-3
#define OPS 8

/* A directory holding the static target as /prog (empty with `bare`). */
static void make_root(char *dir, size_t len, bool bare)
{
	char prog[128], cmd[1024];

	snprintf(dir, len, "/tmp/etltrace-root-XXXXXX");
	assert_non_null(mkdtemp(dir));
	if (bare)
		return;
	snprintf(prog, sizeof(prog), "%s/prog", dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s", build_path("tests/progs/twin_static"), prog);
	assert_int_equal(system(cmd), 0);
}

static void remove_root(const char *dir)
{
	char prog[128];

	snprintf(prog, sizeof(prog), "%s/prog", dir);
	unlink(prog);
	rmdir(dir);
}

/* The one child of pid, as the host numbers it. */
static pid_t only_child(pid_t pid)
{
	char path[64], buf[64] = "";
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	return (pid_t)atoi(buf);
}

/* Traces host pid `pid` (the target, waiting at its gate, reached through
 * `launcher`) from its gate to its exit; checks the operations. */
static void trace_and_check(struct child *launcher, pid_t pid)
{
	char spid[16], *args[] = { "-p", spid, NULL };
	struct json_object *r, *op;
	long long own_min, own_max;
	struct child tracer;
	char *out, *at;
	double max_ok;
	int early;

	snprintf(spid, sizeof(spid), "%d", (int)pid);
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	assert_int_equal(target_release(launcher), 0);
	out = child_read_rest(launcher);
	at = out ? strstr(out, "twin: slept ") : NULL;
	assert_non_null(at);
	assert_int_equal(sscanf(at, "twin: slept min_ns=%lld max_ns=%lld", &own_min, &own_max), 2);
	free(out);
	assert_int_equal(child_wait(launcher), 0);
	assert_int_equal(tracer_finish(&tracer, false, &r), 0);
	op = report_op(r, "alpha_sleep");
	assert_non_null(op);
	assert_int_equal(jint(op, "count"), OPS);
	assert_int_equal(jint(op, "unfinished"), 0);
	/* Each operation encloses the program's own measurement of its
	 * sleep, and lasts at most 5 ms more than the longest sleep or 55 ms
	 * (on a loaded machine a sleep may wake late: the program sees it). */
	max_ok = (double)own_max / 1e9 + 5 * MS;
	if (max_ok < 55 * MS)
		max_ok = 55 * MS;
	if (jnum(op, "min_time") < 50 * MS || jnum(op, "min_time") < (double)own_min / 1e9 ||
	    jnum(op, "max_time") > max_ok)
		fail_msg("durations %.6f..%.6f s, want 0.050 (and the program's own %.6f)..%.6f",
			 jnum(op, "min_time"), jnum(op, "max_time"), (double)own_min / 1e9, max_ok);
	assert_int_equal(counter(r, "starts"), OPS);
	assert_int_equal(counter(r, "ends"), OPS);
	assert_int_equal(counter(r, "records"), OPS);
	assert_int_equal(counter(r, "names_unresolved"), 0);
	assert_accounting(r);
	json_object_put(r);
}

static void test_p_a_process_in_a_chroot(void **state)
{
	char dir[64], ops[8];
	struct child target;

	(void)state;
	make_root(dir, sizeof(dir), false);
	snprintf(ops, sizeof(ops), "%d", OPS);
	{
		char *targv[] = { "/usr/sbin/chroot", dir, "/prog", "-g", "-s", "50", ops, NULL };

		/* chroot execs /prog: same pid. */
		assert_int_equal(target_start(targv, &target), 0);
	}
	trace_and_check(&target, target.pid);
	remove_root(dir);
}

static void test_p_a_process_in_its_own_mount_and_pid_namespaces_and_root(void **state)
{
	char dir[64], ops[8], root[128], want[128];
	struct child target;
	ssize_t n;
	pid_t pid;

	(void)state;
	make_root(dir, sizeof(dir), false);
	snprintf(ops, sizeof(ops), "%d", OPS);
	{
		char rootopt[96];
		char *targv[] = { "/usr/bin/unshare", "--mount", "--pid", "--fork", rootopt,
				  "/prog", "-g", "-s", "50", ops, NULL };

		snprintf(rootopt, sizeof(rootopt), "--root=%s", dir);
		assert_int_equal(target_start(targv, &target), 0);
	}
	/* unshare forked the target (pid 1 inside): its pid out here. */
	pid = only_child(target.pid);
	assert_true(pid > 0);
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	n = readlink(root, want, sizeof(want) - 1);
	assert_true(n > 0);
	want[n] = '\0';
	assert_string_equal(want, dir);
	trace_and_check(&target, pid);
	remove_root(dir);
}

static void test_p_a_process_whose_root_exists_only_in_its_namespace(void **state)
{
	char dir[64], ops[8], line[64];
	struct child target;
	char *first;
	pid_t pid;

	(void)state;
	make_root(dir, sizeof(dir), true);
	snprintf(ops, sizeof(ops), "%d", OPS);
	{
		char *targv[] = { (char *)build_path("tests/progs/rootjail"), dir,
				  (char *)build_path("tests/progs/twin_static"), "-g", "-s", "50",
				  ops, NULL };

		assert_int_equal(target_start_keep(targv, &target, &first), 0);
	}
	assert_int_equal(sscanf(first, "rootjail: pid %d", &pid), 1);
	free(first);
	assert_int_equal(child_wait_line(&target, "twin: ready"), 0);
	/* Its executable is /prog: on the host no such file (or another). */
	snprintf(line, sizeof(line), "/proc/%d/exe", (int)pid);
	{
		char exe[64];
		ssize_t n = readlink(line, exe, sizeof(exe) - 1);

		assert_true(n > 0);
		exe[n] = '\0';
		assert_string_equal(exe, "/prog");
	}
	trace_and_check(&target, pid);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HARNESS_TEST(test_p_a_process_in_a_chroot),
		HARNESS_TEST(test_p_a_process_in_its_own_mount_and_pid_namespaces_and_root),
		HARNESS_TEST(test_p_a_process_whose_root_exists_only_in_its_namespace),
	};

	return cmocka_run_group_tests_name("roots", tests, harness_require_root, NULL);
}
