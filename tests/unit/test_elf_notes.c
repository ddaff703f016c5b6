// SPDX-License-Identifier: MIT
/*
 * test_elf_notes.c - reading USDT notes (user/usdt/notes.c) from this test's
 * own executable, which has etl probe sites, as it is and with a section
 * header crafted to make the reader's buffer too small.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <etl_probe.h>

#include "usdt/notes.h"

/* The probe sites read back (never run: a site is there once compiled). */
void marked_for_the_test(const char *name);
void marked_for_the_test(const char *name)
{
	ETL_OP_START("notes_test");
	ETL_OP_END_N("notes_test", 3);
	ETL_OP_START(name);
	ETL_OP_END(name);
}

/* This executable's bytes (*len of them), malloc'd. */
static unsigned char *self_image(size_t *len)
{
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		r = read(fd, buf + n, cap - n);
		assert_true(r >= 0);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
}

/* A memfd holding len bytes of buf. */
static int memfd_of(const void *buf, size_t len)
{
	int fd = memfd_create("elf", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	return fd;
}

/* Bytes of provider, name and args text (NULs included) of u's notes. */
static size_t text_bytes(const struct elf_usdt *u)
{
	size_t n = 0;

	for (size_t i = 0; i < u->n; i++)
		n += strlen(u->notes[i].provider) + strlen(u->notes[i].name) +
		     strlen(u->notes[i].args) + 3;
	return n;
}

static void the_sites_of_an_executable_are_read_and_decoded(void **state)
{
	size_t len, nsites;
	unsigned char *img = self_image(&len);
	int fd = memfd_of(img, len), bad, starts = 0;
	struct etl_site *sites;
	struct elf_usdt u;

	(void)state;
	assert_int_equal(elf_usdt_read(fd, &u), 0);
	assert_true(u.has_entry);
	assert_int_equal(u.n, 4);
	assert_string_equal(u.notes[0].provider, "etl");
	assert_true(malloc_usable_size(u.strings) >= text_bytes(&u));
	assert_int_equal(etl_sites_of(&u, &sites, &nsites, &bad), 0);
	assert_int_equal(nsites, 4);
	assert_int_equal(bad, 0);
	for (size_t i = 0; i < nsites; i++) {
		assert_true(sites[i].offset > 0 && sites[i].offset < len);
		assert_true(sites[i].ref_ctr_offset > 0 && sites[i].ref_ctr_offset < len);
		starts += !sites[i].is_end;
	}
	assert_int_equal(starts, 2);
	free(sites);
	elf_usdt_free(&u);
	close(fd);
	free(img);
}

/* A section header made into a second .note.stapsdt whose sh_size, added
 * to the real one's, wraps around to 8 bytes: the size of a buffer must
 * come from the data actually read. */
static void a_crafted_section_size_never_sizes_the_buffer(void **state)
{
	size_t len;
	unsigned char *img = self_image(&len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + eh->e_shoff);
	const char *names = (const char *)img + sh[eh->e_shstrndx].sh_offset;
	Elf64_Shdr *note = NULL, *victim = NULL;
	struct elf_usdt u;
	int fd;

	(void)state;
	assert_true(eh->e_shoff + (size_t)eh->e_shnum * sizeof(*sh) <= len);
	for (size_t i = 1; i < eh->e_shnum; i++) {
		if (!strcmp(names + sh[i].sh_name, ".note.stapsdt"))
			note = &sh[i];
		else if (!victim && i != eh->e_shstrndx &&
			 strcmp(names + sh[i].sh_name, ".stapsdt.base"))
			victim = &sh[i];
	}
	assert_non_null(note);
	assert_non_null(victim);
	victim->sh_name = note->sh_name;
	victim->sh_type = SHT_NOTE;
	victim->sh_size = (uint64_t)0 - (note->sh_size - 8);
	fd = memfd_of(img, len);
	assert_int_equal(elf_usdt_read(fd, &u), 0);
	assert_int_equal(u.n, 4); /* the real section's, the crafted one unreadable */
	assert_true(malloc_usable_size(u.strings) >= text_bytes(&u));
	elf_usdt_free(&u);
	close(fd);
	free(img);
}

static void a_file_that_is_not_elf_is_enoexec(void **state)
{
	static const char text[] = "#!/bin/sh\necho not ELF\n";
	int fd = memfd_of(text, sizeof(text) - 1);
	struct elf_usdt u;

	(void)state;
	assert_int_equal(elf_usdt_read(fd, &u), -ENOEXEC);
	assert_int_equal(u.n, 0);
	elf_usdt_free(&u);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_sites_of_an_executable_are_read_and_decoded),
		cmocka_unit_test(a_crafted_section_size_never_sizes_the_buffer),
		cmocka_unit_test(a_file_that_is_not_elf_is_enoexec),
	};

	return cmocka_run_group_tests_name("elf_notes", tests, NULL, NULL);
}
