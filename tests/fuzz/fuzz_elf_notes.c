// SPDX-License-Identifier: MIT
/*
 * fuzz_elf_notes.c - the USDT note reader (usdt/notes.c, with libelf): the
 * input is a file a traced process maps, read through a descriptor as
 * etltrace reads it. Checked: the result is 0, -ENOEXEC or -ENOMEM, every
 * site kept has a file offset (and a semaphore offset when it names one)
 * and NUL-terminated provider, name and argument strings inside what was
 * read; the etl sites are among the notes and their decoded arguments are
 * of known kinds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "usdt/notes.h"

static struct fuzz_file file = { .fd = -1 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct etl_site *sites = NULL;
	struct elf_usdt u;
	size_t nsites = 0;
	int err, bad = 0;

	if (file.fd < 0)
		fuzz_file_open(&file);
	fuzz_file_set(&file, data, size);
	err = elf_usdt_read(file.fd, &u);
	FUZZ_CHECK(err == 0 || err == -ENOEXEC || err == -ENOMEM, "returned %d", err);
	if (err) {
		elf_usdt_free(&u);
		return 0;
	}
	FUZZ_CHECK(!u.has_entry || u.entry_offset, "an entry point at offset 0");
	for (size_t i = 0; i < u.n; i++) {
		const struct usdt_note *n = &u.notes[i];

		FUZZ_CHECK(n->offset, "site %zu at offset 0", i);
		/* ASan checks these reads stay inside u.strings. */
		FUZZ_CHECK(strlen(n->provider) + strlen(n->name) + strlen(n->args) < size,
			   "strings longer than the file");
		FUZZ_CHECK(n->name == n->provider + strlen(n->provider) + 1 &&
				   n->args == n->name + strlen(n->name) + 1,
			   "strings not in note order");
	}
	err = etl_sites_of(&u, &sites, &nsites, &bad);
	FUZZ_CHECK(err == 0 || err == -ENOMEM, "etl_sites_of returned %d", err);
	FUZZ_CHECK(nsites + (size_t)bad <= u.n, "%zu sites and %d bad of %zu notes", nsites, bad,
		   u.n);
	for (size_t i = 0; i < nsites; i++) {
		FUZZ_CHECK(sites[i].offset, "site at offset 0");
		for (unsigned a = 0; a < ETL_USDT_ARGS && a < sites[i].spec.nargs; a++)
			FUZZ_CHECK(sites[i].spec.arg[a].kind >= ETL_ARG_CONST &&
					   sites[i].spec.arg[a].kind <= ETL_ARG_REG_DEREF,
				   "argument kind %u", sites[i].spec.arg[a].kind);
	}
	free(sites);
	elf_usdt_free(&u);
	return 0;
}
