// SPDX-License-Identifier: MIT
/*
 * test_output.c - safe report files (user/output.c, user/deliver.c): atomic
 * replacement, no writing through symbolic links, failed writes leave the
 * old file and no temporary file, closed stdout.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "output/deliver.h"
#include "cli/options.h"
#include "output/outfile.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/etltrace-output-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/report.json", f->dir);
	*state = f;
	return 0;
}

/* Removes everything in the directory (one level), then the directory. */
static int teardown(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char p[512];

		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		snprintf(p, sizeof(p), "%s/%s", f->dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void put_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static char *get_file(const char *path)
{
	static char buf[4096];
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Number of entries in the directory besides . and .. */
static int entries(const char *dir)
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

static void a_new_file_appears_only_when_complete(void **state)
{
	struct fixture *f = *state;
	struct out_file out;
	struct stat st;

	assert_int_equal(out_open(&out, f->path), 0);
	fputs("{\"partial\":", out.f);
	fflush(out.f);
	/* Written so far, but only to the temporary file. */
	assert_int_equal(stat(f->path, &st), -1);
	assert_int_equal(entries(f->dir), 1);
	fputs("true}\n", out.f);
	assert_int_equal(out_commit(&out), 0);
	assert_string_equal(get_file(f->path), "{\"partial\":true}\n");
	assert_int_equal(entries(f->dir), 1); /* the temporary file became it */
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0666 & ~(unsigned)umask(022));
}

static void an_existing_file_is_replaced_whole_and_keeps_its_mode(void **state)
{
	struct fixture *f = *state;
	struct out_file out;
	struct stat st;

	put_file(f->path, "old report\n");
	assert_int_equal(chmod(f->path, 0600), 0);
	assert_int_equal(out_open(&out, f->path), 0);
	fputs("new", out.f);
	fflush(out.f);
	assert_string_equal(get_file(f->path), "old report\n"); /* untouched until commit */
	assert_int_equal(out_commit(&out), 0);
	assert_string_equal(get_file(f->path), "new");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void an_abandoned_write_leaves_the_old_file_and_no_temporary(void **state)
{
	struct fixture *f = *state;
	struct out_file out;

	put_file(f->path, "old report\n");
	assert_int_equal(out_open(&out, f->path), 0);
	fputs("half", out.f);
	out_abort(&out);
	assert_string_equal(get_file(f->path), "old report\n");
	assert_int_equal(entries(f->dir), 1);
}

static void a_symbolic_link_is_refused_and_its_target_untouched(void **state)
{
	struct fixture *f = *state;
	char target[160];
	struct out_file out;
	struct stat st;

	snprintf(target, sizeof(target), "%s/victim", f->dir);
	put_file(target, "precious\n");
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(out_open(&out, f->path), -ELOOP);
	assert_string_equal(get_file(target), "precious\n");
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISLNK(st.st_mode)); /* not replaced either */
	unlink(f->path);
	/* A dangling link is refused too: nothing gets created through it. */
	assert_int_equal(symlink("/tmp/etltrace-nonexistent-target", f->path), 0);
	assert_int_equal(out_open(&out, f->path), -ELOOP);
	assert_int_equal(lstat("/tmp/etltrace-nonexistent-target", &st), -1);
	assert_int_equal(entries(f->dir), 2);
}

static void a_directory_is_refused(void **state)
{
	struct fixture *f = *state;
	struct out_file out;

	assert_int_equal(out_open(&out, f->dir), -EISDIR);
}

static void a_missing_directory_is_an_error(void **state)
{
	struct out_file out;

	(void)state;
	assert_int_equal(out_open(&out, "/nonexistent-dir/report.json"), -ENOENT);
}

static void a_device_is_written_in_place_and_a_full_one_fails(void **state)
{
	struct out_file out;

	(void)state;
	assert_int_equal(out_open(&out, "/dev/null"), 0);
	assert_null(out.tmp);
	fputs("discarded", out.f);
	assert_int_equal(out_commit(&out), 0);
	assert_int_equal(out_open(&out, "/dev/full"), 0);
	fputs("lost", out.f);
	assert_int_equal(out_commit(&out), -ENOSPC);
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
	struct fixture *f = *state;

	put_file(f->path, "old report\n");
	assert_int_equal(deliver_file(f->path, "the report", false, write_fails, NULL), -ENOMEM);
	assert_string_equal(get_file(f->path), "old report\n");
	assert_int_equal(entries(f->dir), 1);
	assert_int_equal(deliver_file(f->path, "the report", false, write_big, NULL), 0);
	assert_int_equal(entries(f->dir), 1);
}

static void deliver_file_fails_on_a_full_device_and_a_closed_stdout(void **state)
{
	(void)state;
	assert_int_equal(deliver_file("/dev/full", "the report", false, write_big, NULL), -ENOSPC);
	assert_int_equal(deliver_file(NULL, "the report", true, write_big, NULL), -EBADF);
}

static void deliver_check_refuses_links_and_directories_before_tracing(void **state)
{
	struct fixture *f = *state;
	struct report_settings rs = { .output = f->dir };

	assert_int_equal(deliver_check(&rs, "the report"), -EISDIR);
	rs.output = NULL;
	rs.stdout_closed = true;
	assert_int_equal(deliver_check(&rs, "the report"), -EBADF);
	rs.stdout_closed = false;
	assert_int_equal(deliver_check(&rs, "the report"), 0);
	assert_int_equal(symlink("/etc/passwd", f->path), 0);
	rs.save_baseline = f->path;
	assert_int_equal(deliver_check(&rs, "the report"), -ELOOP);
	rs.save_baseline = "/tmp/etltrace-output-absent.json"; /* created later */
	assert_int_equal(deliver_check(&rs, "the report"), 0);
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
		T(an_abandoned_write_leaves_the_old_file_and_no_temporary),
		T(a_symbolic_link_is_refused_and_its_target_untouched),
		T(a_directory_is_refused),
		T(a_missing_directory_is_an_error),
		T(a_device_is_written_in_place_and_a_full_one_fails),
		T(deliver_file_keeps_the_old_file_when_the_writer_fails),
		T(deliver_file_fails_on_a_full_device_and_a_closed_stdout),
		T(deliver_check_refuses_links_and_directories_before_tracing),
		T(closed_standard_descriptors_are_reopened_and_stdout_flagged),
	};

	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
