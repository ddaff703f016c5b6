// SPDX-License-Identifier: MIT
/* notes.c - read USDT notes and the entry point with libelf. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usdt/args.h"
#include "usdt/notes.h"

#define NT_STAPSDT 3

/* File offset of virtual address addr, from the PT_LOAD segment holding
 * it in the file; 0 if none does. */
static uint64_t file_offset(Elf *elf, uint64_t addr, bool exec_only)
{
	size_t nph;

	if (elf_getphdrnum(elf, &nph))
		return 0;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    (exec_only && !(ph.p_flags & PF_X)))
			continue;
		if (addr >= ph.p_vaddr && addr < ph.p_vaddr + ph.p_filesz)
			return addr - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

/* Appends the sites of one .note.stapsdt section to u, copying its text
 * into strs. A note's descriptor is three addresses (probe, link-time
 * .stapsdt.base, semaphore) followed by "provider\0name\0args\0";
 * base_addr is the section .stapsdt.base's address, 0 if absent: the
 * difference to the note's base undoes prelinking. */
static int read_section(Elf *elf, Elf_Data *data, uint64_t base_addr, struct elf_usdt *u,
			size_t *cap, char *strs, size_t *used)
{
	size_t addr_sz = gelf_getclass(elf) == ELFCLASS32 ? 4 : 8;
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nhdr;

	while ((off = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) > 0) {
		const char *desc = (const char *)data->d_buf + desc_off, *end = desc + nhdr.n_descsz;
		const char *prov, *probe, *args, *args_end;
		uint64_t a[3] = {};
		struct usdt_note *n;

		if (nhdr.n_type != NT_STAPSDT || nhdr.n_namesz != sizeof("stapsdt") ||
		    memcmp((const char *)data->d_buf + name_off, "stapsdt", nhdr.n_namesz) ||
		    nhdr.n_descsz <= 3 * addr_sz)
			continue;
		for (int i = 0; i < 3; i++)
			memcpy(&a[i], desc + i * addr_sz, addr_sz); /* little-endian */
		prov = desc + 3 * addr_sz;
		probe = memchr(prov, '\0', (size_t)(end - prov));
		args = probe ? memchr(probe + 1, '\0', (size_t)(end - probe - 1)) : NULL;
		args_end = args ? memchr(args + 1, '\0', (size_t)(end - args - 1)) : NULL;
		if (!args_end)
			continue;
		if (base_addr && a[1]) {
			a[0] += base_addr - a[1];
			if (a[2])
				a[2] += base_addr - a[1];
		}
		if (u->n == *cap) {
			size_t c = *cap ? *cap * 2 : 16;
			struct usdt_note *v = realloc(u->notes, c * sizeof(*v));

			if (!v)
				return -ENOMEM;
			u->notes = v;
			*cap = c;
		}
		n = &u->notes[u->n];
		n->offset = file_offset(elf, a[0], true);
		n->ref_ctr_offset = a[2] ? file_offset(elf, a[2], false) : 0;
		if (!n->offset || (a[2] && !n->ref_ctr_offset)) {
			u->bad++;
			continue;
		}
		/* The text is copied as it is: provider, name, args. */
		memcpy(strs + *used, prov, (size_t)(args_end - prov) + 1);
		n->provider = (const char *)(uintptr_t)*used;
		n->name = (const char *)(uintptr_t)(*used + (size_t)(probe + 1 - prov));
		n->args = (const char *)(uintptr_t)(*used + (size_t)(args + 1 - prov));
		*used += (size_t)(args_end - prov) + 1;
		u->n++;
	}
	return 0;
}

/* Opens fd as ELF for reading. */
static int elf_open(int fd, Elf **elf)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	*elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!*elf || elf_kind(*elf) != ELF_K_ELF) {
		if (*elf)
			elf_end(*elf);
		*elf = NULL;
		return -ENOEXEC;
	}
	return 0;
}

static void read_entry(Elf *elf, struct elf_usdt *u)
{
	GElf_Ehdr ehdr;

	if (!gelf_getehdr(elf, &ehdr) || (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN) ||
	    !ehdr.e_entry)
		return;
	u->entry_offset = file_offset(elf, ehdr.e_entry, true);
	u->has_entry = u->entry_offset != 0;
}

int elf_usdt_read(int fd, struct elf_usdt *u)
{
	Elf_Scn *scn = NULL;
	Elf_Data *notes[16];
	size_t shstrndx, nnotes = 0, cap = 0, text = 0, used = 0;
	uint64_t base_addr = 0;
	Elf *elf;
	int err;

	memset(u, 0, sizeof(*u));
	err = elf_open(fd, &elf);
	if (err)
		return err;
	if (elf_getshdrstrndx(elf, &shstrndx)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	read_entry(elf, u);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		const char *name;

		if (!gelf_getshdr(scn, &shdr))
			continue;
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (!name)
			continue;
		if (!strcmp(name, ".stapsdt.base"))
			base_addr = shdr.sh_addr;
		else if (shdr.sh_type == SHT_NOTE && !strcmp(name, ".note.stapsdt") &&
			 nnotes < sizeof(notes) / sizeof(notes[0])) {
			/* The text copied is bounded by the data read, never by
			 * sh_size: a crafted header can say anything (sizes
			 * whose sum wraps) and its data is then unreadable. */
			Elf_Data *data = elf_getdata(scn, NULL);

			if (data && data->d_buf && data->d_size < SIZE_MAX / 32) {
				notes[nnotes++] = data;
				text += data->d_size;
			}
		}
	}
	u->strings = malloc(text + 1);
	if (!u->strings) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < nnotes && !err; i++)
		err = read_section(elf, notes[i], base_addr, u, &cap, u->strings, &used);
	/* Offsets into strings become pointers once it no longer moves. */
	for (size_t i = 0; i < u->n; i++) {
		u->notes[i].provider = u->strings + (uintptr_t)u->notes[i].provider;
		u->notes[i].name = u->strings + (uintptr_t)u->notes[i].name;
		u->notes[i].args = u->strings + (uintptr_t)u->notes[i].args;
	}
cleanup:
	elf_end(elf);
	return err;
}

void elf_usdt_free(struct elf_usdt *u)
{
	free(u->notes);
	free(u->strings);
	memset(u, 0, sizeof(*u));
}

int etl_sites_of(const struct elf_usdt *u, struct etl_site **sites, size_t *n, int *bad)
{
	struct etl_site *v = NULL;
	size_t k = 0;

	*sites = NULL;
	*n = 0;
	*bad = 0;
	for (size_t i = 0; i < u->n; i++) {
		const struct usdt_note *note = &u->notes[i];
		struct etl_site s = { note->offset, note->ref_ctr_offset, false, {} };

		if (strcmp(note->provider, "etl") ||
		    (strcmp(note->name, "op_start") && strcmp(note->name, "op_end")))
			continue;
		s.is_end = !strcmp(note->name, "op_end");
		if (usdt_parse_args(note->args, &s.spec)) {
			(*bad)++;
			continue;
		}
		if (!v) {
			v = calloc(u->n, sizeof(*v));
			if (!v)
				return -ENOMEM;
		}
		v[k++] = s;
	}
	*sites = v;
	*n = k;
	return 0;
}

int elf_etl_read(const char *path, struct etl_site **sites, size_t *n, int *bad)
{
	struct elf_usdt u;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	*sites = NULL;
	*n = 0;
	*bad = 0;
	if (fd < 0)
		return -errno;
	err = elf_usdt_read(fd, &u);
	if (!err)
		err = etl_sites_of(&u, sites, n, bad);
	elf_usdt_free(&u);
	close(fd);
	return err;
}
