// SPDX-License-Identifier: MIT
/*
 * test_output.c - safe output files (user/output/outfile.c, safepath.c,
 * deliver.c): atomic replacement, failed writes that leave the old file and
 * no temporary file, closed stdout; and what another user can plant on the
 * way: symbolic links among the directories (followed only when no other
 * user could have made them), FIFOs, devices and sockets (refused without
 * ever blocking), a file's set-id and world-write bits (never copied), a
 * missing or unwritable directory (found before any tracing).
 *
 * "Another user" is uid 65534 when the suite runs as root (links and files
 * are chowned to it); run as another user, the path walk is also checked
 * with only root trusted, so that the suite's own links count as planted.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/options.h"
#include "helpers.h"
#include "output/deliver.h"
#include "output/outfile.h"
#include "output/safepath.h"

#define OTHER_UID 65534

/* A hang would be a failure, not a stuck suite: every test has this long. */
#define TEST_SECONDS 20

static bool is_root(void)
{
	return geteuid() == 0;
}

/* dir/name, in one of 16 static buffers. */
static const char *at(const struct tmpdir *t, const char *name)
{
	static char buf[16][256];
	static int slot;
	char *b = buf[slot++ % 16];

	snprintf(b, sizeof(buf[0]), "%s/%s", t->dir, name);
	return b;
}

static void make_dir(const char *path, mode_t mode)
{
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* A symbolic link as another user would plant it: owned by OTHER_UID when
 * we are root (else by us: see the header). */
static void plant_link(const char *target, const char *link)
{
	assert_int_equal(symlink(target, link), 0);
	if (is_root())
		assert_int_equal(lchown(link, OTHER_UID, OTHER_UID), 0);
}

/* Resolves path's directory trusting only root (and us when root): 0 or a
 * negative errno, the reason in why. */
static int walk_as_root_only(const char *path, char *why, size_t whylen)
{
	struct safe_dir d;
	int err = safe_dir_open(path, 0, &d, why, whylen);

	safe_dir_close(&d);
	return err;
}

static void expect_why(const char *why, const char *needle)
{
	if (!strstr(why, needle))
		fail_msg("reason '%s' lacks '%s'", why, needle);
	for (const char *p = why; *p; p++)
		assert_true((unsigned char)*p >= 0x20);
}

static int setup(void **state)
{
	alarm(TEST_SECONDS);
	return tmpdir_setup(state);
}

static int teardown(void **state)
{
	alarm(0);
	return tmpdir_teardown(state);
}

/* --- atomic replacement ------------------------------------------------ */

static void a_new_file_appears_only_when_complete(void **state)
{
	struct tmpdir *t = *state;
	struct out_file out;
	char why[OUT_WHY_MAX];
	struct stat st;

	assert_int_equal(out_open(&out, t->path, why, sizeof(why)), 0);
	fputs("{\"partial\":", out.f);
	fflush(out.f);
	/* Written so far, but only to the temporary file. */
	assert_int_equal(stat(t->path, &st), -1);
	assert_int_equal(dir_entries(t->dir), 1);
	fputs("true}\n", out.f);
	assert_int_equal(out_commit(&out), 0);
	assert_string_equal(get_file(t->path), "{\"partial\":true}\n");
	assert_int_equal(dir_entries(t->dir), 1); /* the temporary file became it */
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0666 & ~(unsigned)umask(022));
	assert_int_equal(st.st_uid, geteuid());
}

static void an_existing_file_is_replaced_whole_and_keeps_its_mode(void **state)
{
	struct tmpdir *t = *state;
	struct out_file out;
	char why[OUT_WHY_MAX];
	struct stat st;

	put_file(t->path, "old report\n");
	assert_int_equal(chmod(t->path, 0640), 0);
	assert_int_equal(out_open(&out, t->path, why, sizeof(why)), 0);
	fputs("new", out.f);
	fflush(out.f);
	assert_string_equal(get_file(t->path), "old report\n"); /* untouched until commit */
	assert_int_equal(out_commit(&out), 0);
	assert_string_equal(get_file(t->path), "new");
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
}

/* A file planted with mode 06777 lent all of it to root's report: set-uid,
 * set-gid and writable by everyone. */
static void a_replaced_file_lends_no_set_id_sticky_or_world_write_bit(void **state)
{
	struct tmpdir *t = *state;
	static const mode_t planted[][2] = {
		{ 06777, 0775 }, { 04755, 0755 }, { 02770, 0770 }, { 01666, 0664 }, { 0602, 0600 },
	};

	for (size_t i = 0; i < sizeof(planted) / sizeof(planted[0]); i++) {
		struct out_file out;
		char why[OUT_WHY_MAX];
		struct stat st;

		put_file(t->path, "planted\n");
		if (is_root())
			assert_int_equal(chown(t->path, OTHER_UID, OTHER_UID), 0);
		assert_int_equal(chmod(t->path, planted[i][0]), 0);
		assert_int_equal(stat(t->path, &st), 0);
		assert_int_equal(st.st_mode & 07777, planted[i][0]);
		assert_int_equal(out_open(&out, t->path, why, sizeof(why)), 0);
		fputs("root's report\n", out.f);
		assert_int_equal(out_commit(&out), 0);
		assert_int_equal(stat(t->path, &st), 0);
		if ((st.st_mode & 07777) != planted[i][1])
			fail_msg("planted %04o gave %04o, not %04o", planted[i][0],
				 st.st_mode & 07777, planted[i][1]);
		assert_int_equal(st.st_uid, geteuid()); /* never the planted file's owner */
		assert_string_equal(get_file(t->path), "root's report\n");
		unlink(t->path);
	}
}

static void an_abandoned_write_leaves_the_old_file_and_no_temporary(void **state)
{
	struct tmpdir *t = *state;
	struct out_file out;
	char why[OUT_WHY_MAX];

	put_file(t->path, "old report\n");
	assert_int_equal(out_open(&out, t->path, why, sizeof(why)), 0);
	fputs("half", out.f);
	out_abort(&out);
	assert_string_equal(get_file(t->path), "old report\n");
	assert_int_equal(dir_entries(t->dir), 1);
}

static int write_big(void *ctx, FILE *f)
{
	(void)ctx;
	for (int i = 0; i < 100000; i++)
		if (fputs("0123456789abcdef\n", f) == EOF)
			return -EIO;
	return fflush(f) ? -EIO : 0;
}

static int write_fails(void *ctx, FILE *f)
{
	(void)ctx;
	fputs("half a report", f);
	return -ENOMEM;
}

static void deliver_file_keeps_the_old_file_when_the_writer_fails(void **state)
{
	struct tmpdir *t = *state;

	put_file(t->path, "old report\n");
	assert_int_equal(deliver_file(t->path, "the report", false, write_fails, NULL), -ENOMEM);
	assert_string_equal(get_file(t->path), "old report\n");
	assert_int_equal(dir_entries(t->dir), 1);
	assert_int_equal(deliver_file(t->path, "the report", false, write_big, NULL), 0);
	assert_int_equal(dir_entries(t->dir), 1);
}

/* A full disk, as a file size limit: the write fails (EFBIG), the old
 * report stays, no temporary file is left. In a child: the limit is its. */
static void a_failed_write_keeps_the_old_file_and_leaves_no_temporary(void **state)
{
	struct tmpdir *t = *state;
	int status;
	pid_t p;

	put_file(t->path, "old report\n");
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		struct rlimit lim = { 4096, 4096 };

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &lim))
			_exit(99);
		_exit(deliver_file(t->path, "the report", false, write_big, NULL) == -EFBIG ? 0 : 1);
	}
	assert_int_equal(waitpid(p, &status, 0), p);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(get_file(t->path), "old report\n");
	assert_int_equal(dir_entries(t->dir), 1);
}

static void a_closed_stdout_fails(void **state)
{
	(void)state;
	assert_int_equal(deliver_file(NULL, "the report", true, write_big, NULL), -EBADF);
}

/* --- the last component ------------------------------------------------- */

static void a_symbolic_link_is_refused_and_its_target_untouched(void **state)
{
	struct tmpdir *t = *state;
	const char *target = at(t, "victim");
	struct out_file out;
	char why[OUT_WHY_MAX];
	struct stat st;

	put_file(target, "precious\n");
	assert_int_equal(symlink(target, t->path), 0); /* even our own */
	assert_int_equal(out_open(&out, t->path, why, sizeof(why)), -ELOOP);
	expect_why(why, "it is a symbolic link (refused: give the path of the file it points to)");
	assert_int_equal(out_check(t->path, why, sizeof(why)), -ELOOP);
	assert_int_equal(out_open_append(t->path, why, sizeof(why)), -ELOOP);
	assert_string_equal(get_file(target), "precious\n");
	assert_int_equal(lstat(t->path, &st), 0);
	assert_true(S_ISLNK(st.st_mode)); /* not replaced either */
	unlink(t->path);
	/* A dangling link is refused too: nothing gets created through it. */
	assert_int_equal(symlink(at(t, "nonexistent-target"), t->path), 0);
	assert_int_equal(out_open(&out, t->path, why, sizeof(why)), -ELOOP);
	assert_int_equal(out_open_append(t->path, why, sizeof(why)), -ELOOP);
	assert_int_equal(lstat(at(t, "nonexistent-target"), &st), -1);
	assert_int_equal(dir_entries(t->dir), 2);
}

static void a_directory_is_refused(void **state)
{
	struct tmpdir *t = *state;
	char slash[160], dot[160], dotdot[160], why[OUT_WHY_MAX];
	struct out_file out;

	snprintf(slash, sizeof(slash), "%s/", t->dir);
	snprintf(dot, sizeof(dot), "%s/.", t->dir);
	snprintf(dotdot, sizeof(dotdot), "%s/..", t->dir);
	assert_int_equal(out_open(&out, t->dir, why, sizeof(why)), -EISDIR);
	expect_why(why, "it is a directory");
	assert_int_equal(out_open(&out, slash, why, sizeof(why)), -EISDIR);
	assert_int_equal(out_open(&out, dot, why, sizeof(why)), -EISDIR);
	assert_int_equal(out_check(dotdot, why, sizeof(why)), -EISDIR);
	assert_int_equal(out_open_append(t->dir, why, sizeof(why)), -EISDIR);
	assert_int_equal(out_check("", why, sizeof(why)), -ENOENT);
}

/* Opens the FIFO at path for reading (non-blocking): a reader waiting for
 * what a writer would hand it. */
static int fifo_reader(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);

	assert_true(fd >= 0);
	return fd;
}

/* A FIFO blocked etltrace after the trace (-o) or before it (--log), and
 * handed root's output to whoever opened it. */
static void fifos_devices_and_sockets_are_refused_without_blocking(void **state)
{
	struct tmpdir *t = *state;
	const char *sock = at(t, "sock");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct out_file out;
	char why[OUT_WHY_MAX], buf[16];
	int s, r;

	assert_int_equal(mkfifo(t->path, 0666), 0);
	assert_int_equal(out_check(t->path, why, sizeof(why)), -EINVAL);
	expect_why(why, "it is a FIFO (named pipe), not a regular file (refused: give the path "
			"of a regular file)");
	assert_int_equal(out_open(&out, t->path, why, sizeof(why)), -EINVAL);
	assert_int_equal(out_open_append(t->path, why, sizeof(why)), -EINVAL);
	/* With a reader waiting: still refused, and it reads nothing. */
	r = fifo_reader(t->path);
	assert_int_equal(out_open(&out, t->path, why, sizeof(why)), -EINVAL);
	assert_int_equal(out_open_append(t->path, why, sizeof(why)), -EINVAL);
	assert_int_equal(deliver_file(t->path, "the report", false, write_big, NULL), -EINVAL);
	assert_true(read(r, buf, sizeof(buf)) <= 0);
	close(r);

	assert_int_equal(out_open(&out, "/dev/null", why, sizeof(why)), -EINVAL);
	expect_why(why, "it is a character device, not a regular file");
	assert_int_equal(out_open_append("/dev/full", why, sizeof(why)), -EINVAL);
	assert_int_equal(out_check("/dev/zero", why, sizeof(why)), -EINVAL);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(out_check(sock, why, sizeof(why)), -EINVAL);
	expect_why(why, "it is a socket");
	assert_int_equal(out_open_append(sock, why, sizeof(why)), -EINVAL);
	close(s);
}

/* /dev/stdout is a symbolic link: refused; the caller says to leave out
 * the file name, as it can tell it is standard output. */
static void standard_output_is_only_written_without_a_path(void **state)
{
	struct out_file out;
	char why[OUT_WHY_MAX];

	(void)state;
	assert_int_equal(out_open(&out, "/dev/stdout", why, sizeof(why)), -ELOOP);
	assert_true(out_is_fd("/dev/stdout", STDOUT_FILENO));
	assert_true(out_is_fd("/proc/self/fd/2", STDERR_FILENO));
	assert_int_equal(out_open(&out, NULL, why, sizeof(why)), 0);
	assert_ptr_equal(out.f, stdout);
	assert_int_equal(out_commit(&out), 0);
}

/* --- the directories -------------------------------------------------- */

static void a_missing_directory_is_found_before_tracing_and_named(void **state)
{
	struct tmpdir *t = *state;
	struct report_settings rs = { .output = at(t, "missing/deeper/report.json") };
	char why[OUT_WHY_MAX];
	struct out_file out;

	assert_int_equal(out_check(rs.output, why, sizeof(why)), -ENOENT);
	expect_why(why, "/missing does not exist (create the directory first)");
	assert_non_null(strstr(why, t->dir));
	assert_null(strstr(why, "deeper"));
	assert_int_equal(out_open(&out, rs.output, why, sizeof(why)), -ENOENT);
	assert_int_equal(out_open_append(rs.output, why, sizeof(why)), -ENOENT);
	assert_int_equal(deliver_check(&rs, "the report"), -ENOENT);
	rs.output = NULL;
	rs.save_baseline = at(t, "missing/base.json");
	assert_int_equal(deliver_check(&rs, "the report"), -ENOENT);
	put_file(at(t, "file"), "x");
	assert_int_equal(out_check(at(t, "file/report.json"), why, sizeof(why)), -ENOTDIR);
	expect_why(why, "/file is not a directory");
	assert_int_equal(out_check("etltrace-no-such-dir/r.json", why, sizeof(why)), -ENOENT);
	expect_why(why, "etltrace-no-such-dir does not exist");
}

/* Where we may not create files: a read-only directory for an unprivileged
 * user (root is refused nothing by permission bits, so a child drops to
 * another user), found before tracing. */
static void an_unwritable_directory_is_found_before_tracing(void **state)
{
	struct tmpdir *t = *state;
	const char *ro = at(t, "ro"), *file = at(t, "ro/report.json");
	int status;
	pid_t p;

	make_dir(ro, 0555);
	assert_int_equal(chmod(t->dir, 0755), 0);
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		char why[OUT_WHY_MAX];
		struct report_settings rs = { .output = file };

		if (is_root() && setresuid(OTHER_UID, OTHER_UID, OTHER_UID))
			_exit(99);
		if (out_check(file, why, sizeof(why)) != -EACCES || !strstr(why, "cannot create files in ") ||
		    !strstr(why, "/ro: Permission denied"))
			_exit(1);
		_exit(deliver_check(&rs, "the report") == -EACCES ? 0 : 2);
	}
	assert_int_equal(waitpid(p, &status, 0), p);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(chmod(ro, 0700), 0);
}

/* The report of the review: /tmp/evil -> /etc, then -o /tmp/evil/x. Here
 * a sticky world-writable directory like /tmp holds a link another user
 * planted to a directory of ours. */
static void a_link_another_user_planted_among_the_directories_is_refused(void **state)
{
	struct tmpdir *t = *state;
	const char *victim = at(t, "victim"), *tmp = at(t, "tmp"), *evil = at(t, "tmp/evil");
	const char *out_path = at(t, "tmp/evil/x"), *deep = at(t, "tmp/evil/sub/x");
	char why[OUT_WHY_MAX], expect[512];
	struct report_settings rs = { .output = out_path };

	make_dir(victim, 0755);
	make_dir(tmp, 01777);
	plant_link(victim, evil);
	assert_int_equal(walk_as_root_only(out_path, why, sizeof(why)), -ELOOP);
	snprintf(expect, sizeof(expect),
		 "%s is a symbolic link owned by uid %u in %s, which every user can write: "
		 "refused, as it may lead anywhere (give the path it leads to, %s)",
		 evil, is_root() ? OTHER_UID : geteuid(), tmp, victim);
	assert_string_equal(why, expect);
	assert_int_equal(walk_as_root_only(deep, why, sizeof(why)), -ELOOP);
	if (is_root()) {
		struct out_file out;

		assert_int_equal(out_check(out_path, why, sizeof(why)), -ELOOP);
		assert_string_equal(why, expect);
		assert_int_equal(out_open(&out, out_path, why, sizeof(why)), -ELOOP);
		assert_int_equal(out_open_append(out_path, why, sizeof(why)), -ELOOP);
		assert_int_equal(deliver_check(&rs, "the report"), -ELOOP);
		assert_int_equal(deliver_file(out_path, "the report", false, write_big, NULL), -ELOOP);
	}
	assert_int_equal(dir_entries(victim), 0); /* nothing written through it */

	/* A relative link: where it leads is said from its directory. */
	unlink(evil);
	plant_link("../victim", evil);
	assert_int_equal(walk_as_root_only(out_path, why, sizeof(why)), -ELOOP);
	snprintf(expect, sizeof(expect), "(give the path it leads to, %s/../victim)", tmp);
	expect_why(why, expect);

	/* Group-writable is writable by others too. */
	assert_int_equal(chmod(tmp, 0775), 0);
	assert_int_equal(walk_as_root_only(out_path, why, sizeof(why)), -ELOOP);
	expect_why(why, "which its group can write");
	assert_int_equal(dir_entries(victim), 0);
}

/* Links root (or we) made are followed, and so are any in a directory only
 * root (or we) can write: the path goes on from where they lead. */
static void links_no_other_user_could_have_planted_are_followed(void **state)
{
	struct tmpdir *t = *state;
	const char *victim = at(t, "real"), *tmp = at(t, "tmp"), *link = at(t, "tmp/ours");
	const char *out_path = at(t, "tmp/ours/r.json"), *in_real = at(t, "real/r.json");
	char why[OUT_WHY_MAX];
	struct out_file out;

	make_dir(victim, 0755);
	make_dir(tmp, 01777);
	assert_int_equal(symlink("../real", link), 0); /* ours */
	assert_int_equal(out_open(&out, out_path, why, sizeof(why)), 0);
	fputs("through our link", out.f);
	assert_int_equal(out_commit(&out), 0);
	assert_string_equal(get_file(in_real), "through our link");
	assert_int_equal(out_check(at(t, "tmp/ours/missing/r.json"), why, sizeof(why)), -ENOENT);
	expect_why(why, "/real/missing does not exist");

	if (is_root()) {
		/* Another user's link in a directory only root can write. */
		assert_int_equal(chmod(tmp, 0755), 0);
		assert_int_equal(lchown(link, OTHER_UID, OTHER_UID), 0);
		assert_int_equal(out_check(out_path, why, sizeof(why)), 0);
		assert_int_equal(chmod(tmp, 01777), 0);
		assert_int_equal(out_check(out_path, why, sizeof(why)), -ELOOP);
	}
	/* A link loop ends. */
	assert_int_equal(symlink("loop", at(t, "tmp/loop")), 0);
	assert_int_equal(out_check(at(t, "tmp/loop/r.json"), why, sizeof(why)), -ELOOP);
	expect_why(why, "/tmp/loop: Too many levels of symbolic links");
}

/* --- the log: appended to, in place ------------------------------------ */

static void a_log_file_is_appended_to_and_created_if_absent(void **state)
{
	struct tmpdir *t = *state;
	char why[OUT_WHY_MAX];
	int fd;

	fd = out_open_append(t->path, why, sizeof(why));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "one\n", 4), 4);
	close(fd);
	fd = out_open_append(t->path, why, sizeof(why));
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(fd, "two\n", 4), 4);
	close(fd);
	assert_string_equal(get_file(t->path), "one\ntwo\n");
}

/* In a directory others can write, an existing log must be ours and have
 * one name: else root would append to another user's file, or to a file
 * of root's through a hard link planted next to it. */
static void a_planted_log_file_in_a_shared_directory_is_refused(void **state)
{
	struct tmpdir *t = *state;
	const char *shared = at(t, "shared"), *log = at(t, "shared/ops.log");
	const char *own = at(t, "own"), *precious = at(t, "own/precious");
	char why[OUT_WHY_MAX];
	int fd;

	make_dir(shared, 01777);
	make_dir(own, 0700);
	put_file(precious, "precious\n");
	assert_int_equal(link(precious, log), 0);
	assert_int_equal(out_open_append(log, why, sizeof(why)), -EPERM);
	expect_why(why, "it has 2 hard links in ");
	expect_why(why, "/shared, which other users can write");
	assert_string_equal(get_file(precious), "precious\n");
	/* The same file in a directory only we can write is ours to append to. */
	fd = out_open_append(at(t, "own/precious"), why, sizeof(why));
	assert_true(fd >= 0);
	close(fd);
	unlink(log);
	if (is_root()) {
		put_file(log, "theirs\n");
		assert_int_equal(chown(log, OTHER_UID, OTHER_UID), 0);
		assert_int_equal(out_open_append(log, why, sizeof(why)), -EPERM);
		expect_why(why, "it is owned by uid 65534 in ");
		assert_string_equal(get_file(log), "theirs\n");
	}
}

/* --- before tracing ---------------------------------------------------- */

static void deliver_check_refuses_what_cannot_be_written_before_tracing(void **state)
{
	struct tmpdir *t = *state;
	struct report_settings rs = { .output = t->dir };

	assert_int_equal(deliver_check(&rs, "the report"), -EISDIR);
	rs.output = NULL;
	rs.stdout_closed = true;
	assert_int_equal(deliver_check(&rs, "the report"), -EBADF);
	rs.stdout_closed = false;
	assert_int_equal(deliver_check(&rs, "the report"), 0);
	assert_int_equal(symlink("/etc/passwd", t->path), 0);
	rs.save_baseline = t->path;
	assert_int_equal(deliver_check(&rs, "the report"), -ELOOP);
	rs.save_baseline = at(t, "absent.json"); /* created later */
	assert_int_equal(deliver_check(&rs, "the report"), 0);
	assert_int_equal(mkfifo(at(t, "fifo"), 0600), 0);
	rs.output = at(t, "fifo");
	assert_int_equal(deliver_check(&rs, "the report"), -EINVAL);
}

static void closed_standard_descriptors_are_reopened_and_stdout_flagged(void **state)
{
	int status;
	pid_t p;

	(void)state;
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		bool closed;
		int fd;

		close(1);
		closed = out_guard_stdio();
		fd = open("/dev/null", O_RDONLY); /* must not land on 1 */
		_exit(closed && fd > 2 && fcntl(1, F_GETFD) >= 0 && !out_guard_stdio() ? 0 : 1);
	}
	assert_int_equal(waitpid(p, &status, 0), p);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(a_new_file_appears_only_when_complete),
		T(an_existing_file_is_replaced_whole_and_keeps_its_mode),
		T(a_replaced_file_lends_no_set_id_sticky_or_world_write_bit),
		T(an_abandoned_write_leaves_the_old_file_and_no_temporary),
		T(deliver_file_keeps_the_old_file_when_the_writer_fails),
		T(a_failed_write_keeps_the_old_file_and_leaves_no_temporary),
		T(a_closed_stdout_fails),
		T(a_symbolic_link_is_refused_and_its_target_untouched),
		T(a_directory_is_refused),
		T(fifos_devices_and_sockets_are_refused_without_blocking),
		T(standard_output_is_only_written_without_a_path),
		T(a_missing_directory_is_found_before_tracing_and_named),
		T(an_unwritable_directory_is_found_before_tracing),
		T(a_link_another_user_planted_among_the_directories_is_refused),
		T(links_no_other_user_could_have_planted_are_followed),
		T(a_log_file_is_appended_to_and_created_if_absent),
		T(a_planted_log_file_in_a_shared_directory_is_refused),
		T(deliver_check_refuses_what_cannot_be_written_before_tracing),
		T(closed_standard_descriptors_are_reopened_and_stdout_flagged),
	};

	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
