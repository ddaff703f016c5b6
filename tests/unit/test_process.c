// SPDX-License-Identifier: MIT
/*
 * test_process.c - a process's mappings (user/target/process.c) read from a
 * maps file that fails part-way, as /proc/PID/maps does when the process
 * dies while it is read: objects found before the failure are attached and
 * their names still read from the file once the process is gone.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include <etl_probe.h>

#include "target/object.h"
#include "target/process.h"

#define LITERAL "process_test_literal_name"
#define BASE 0x100000ull

/* A marked object (this executable) with a literal to read back. */
void marked_for_the_test(void);
void marked_for_the_test(void)
{
	ETL_OP_START(LITERAL);
	ETL_OP_END(LITERAL);
}

/* A maps file that yields its text, then fails as a dead process's does. */
struct dying_maps {
	const char *text;
	size_t off;
};

static ssize_t dying_read(void *cookie, char *buf, size_t size)
{
	struct dying_maps *d = cookie;
	size_t left = strlen(d->text) - d->off;

	if (!left) {
		errno = ESRCH;
		return -1;
	}
	if (size > left)
		size = left;
	memcpy(buf, d->text + d->off, size);
	d->off += size;
	return (ssize_t)size;
}

static int attached;

static void count_added(void *ctx, struct process *p, struct object *o)
{
	(void)ctx;
	(void)p;
	attached += o->nsites > 0;
}

/* The offset of LITERAL in this executable's file. */
static uint64_t literal_offset(size_t *size)
{
	FILE *f = fopen("/proc/self/exe", "re");
	char *buf = NULL, *hit;
	size_t cap = 0, n = 0, r;

	assert_non_null(f);
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 1 << 20;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		r = fread(buf + n, 1, cap - n, f);
		if (!r)
			break;
		n += r;
	}
	fclose(f);
	hit = memmem(buf, n, LITERAL, sizeof(LITERAL));
	assert_non_null(hit);
	*size = n;
	n = (size_t)(hit - buf);
	free(buf);
	return n;
}

static void mappings_read_before_the_process_died_are_kept(void **state)
{
	static const cookie_io_functions_t io = { .read = dying_read };
	struct objects *objs = objects_new(NULL);
	struct stat st;
	struct process p;
	char self[4096], text[8192], name[64];
	size_t size;
	uint64_t off = literal_offset(&size);
	struct dying_maps d = { text, 0 };
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	bool cut;
	FILE *f;

	(void)state;
	assert_non_null(objs);
	assert_true(len > 0);
	self[len] = '\0';
	assert_int_equal(stat(self, &st), 0);
	process_init(&p, 4194301, 0); /* no such process: names come from files */
	p.exited = true;
	snprintf(text, sizeof(text),
		 "%llx-%llx r-xp 00000000 %02x:%02x %llu %s\n"
		 "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n",
		 BASE, BASE + ((size + 4095) & ~4095ull), major(st.st_dev), minor(st.st_dev),
		 (unsigned long long)st.st_ino, self);
	f = fopencookie(&d, "r", io);
	assert_non_null(f);
	assert_int_equal(process_scan_maps(&p, f, objs, count_added, NULL), -EIO);
	fclose(f);
	assert_int_equal(attached, 1);
	assert_int_equal(p.img.nmaps, 1);
	assert_int_equal(process_read_name(&p, 1, BASE + off, true, name, sizeof(name), &cut, NULL),
			 (int)strlen(LITERAL));
	assert_string_equal(name, LITERAL);
	process_free(&p);
	objects_free(objs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mappings_read_before_the_process_died_are_kept),
	};

	return cmocka_run_group_tests_name("process", tests, NULL, NULL);
}
