// SPDX-License-Identifier: MIT
/* elf_notes.c - read etl USDT notes and the entry point with libelf. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "target/elf_notes.h"
#include "target/usdt_args.h"

#define NT_STAPSDT 3

/* Opens path as ELF for reading. On success *fd and *elf are set. */
static int elf_open(const char *path, int *fd, Elf **elf)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	*elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!*elf || elf_kind(*elf) != ELF_K_ELF) {
		if (*elf)
			elf_end(*elf);
		close(*fd);
		return -ENOEXEC;
	}
	return 0;
}

/* File offset of virtual address addr, from the PT_LOAD segment holding
 * it in the file; 0 if none does. */
static uint64_t file_offset(Elf *elf, uint64_t addr)
{
	size_t nph;

	if (elf_getphdrnum(elf, &nph))
		return 0;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && addr >= ph.p_vaddr &&
		    addr < ph.p_vaddr + ph.p_filesz)
			return addr - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

struct site_list {
	struct etl_site *v;
	size_t n, cap;
	int bad;
};

static int push_site(struct site_list *l, const struct etl_site *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct etl_site *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *s;
	return 0;
}

/* Reads the etl sites of one .note.stapsdt section. A note's descriptor is
 * three addresses (probe, link-time .stapsdt.base, semaphore) followed by
 * "provider\0name\0args\0". base_addr is the section .stapsdt.base's
 * address, 0 if absent: the difference to the note's base undoes
 * prelinking. */
static int read_section(Elf *elf, Elf_Data *data, uint64_t base_addr, struct site_list *l)
{
	size_t addr_sz = gelf_getclass(elf) == ELFCLASS32 ? 4 : 8;
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nhdr;

	while ((off = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) > 0) {
		const char *desc = (const char *)data->d_buf + desc_off, *end = desc + nhdr.n_descsz;
		const char *prov, *probe, *args;
		uint64_t a[3] = {};
		struct etl_site site = {};

		if (nhdr.n_type != NT_STAPSDT || nhdr.n_namesz != sizeof("stapsdt") ||
		    memcmp((const char *)data->d_buf + name_off, "stapsdt", nhdr.n_namesz) ||
		    nhdr.n_descsz <= 3 * addr_sz)
			continue;
		for (int i = 0; i < 3; i++)
			memcpy(&a[i], desc + i * addr_sz, addr_sz); /* little-endian */
		prov = desc + 3 * addr_sz;
		probe = memchr(prov, '\0', (size_t)(end - prov));
		args = probe ? memchr(probe + 1, '\0', (size_t)(end - probe - 1)) : NULL;
		if (!args || !memchr(args + 1, '\0', (size_t)(end - args - 1)) || strcmp(prov, "etl"))
			continue;
		probe++;
		args++;
		if (strcmp(probe, "op_start") && strcmp(probe, "op_end"))
			continue;
		if (base_addr && a[1]) {
			a[0] += base_addr - a[1];
			if (a[2])
				a[2] += base_addr - a[1];
		}
		site.is_end = !strcmp(probe, "op_end");
		site.offset = file_offset(elf, a[0]);
		site.ref_ctr_offset = a[2] ? file_offset(elf, a[2]) : 0;
		if (!site.offset || (a[2] && !site.ref_ctr_offset) ||
		    usdt_parse_args(args, &site.spec)) {
			l->bad++;
			continue;
		}
		if (push_site(l, &site))
			return -ENOMEM;
	}
	return 0;
}

int elf_etl_read(const char *path, struct etl_site **sites, size_t *n, int *bad)
{
	struct site_list l = {};
	Elf_Scn *scn = NULL, *notes[16];
	uint64_t base_addr = 0;
	size_t shstrndx, nnotes = 0;
	Elf *elf;
	int fd, err;

	*sites = NULL;
	*n = 0;
	*bad = 0;
	err = elf_open(path, &fd, &elf);
	if (err)
		return err;
	if (elf_getshdrstrndx(elf, &shstrndx)) {
		err = -ENOEXEC;
		goto cleanup;
	}
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
			 nnotes < sizeof(notes) / sizeof(notes[0]))
			notes[nnotes++] = scn;
	}
	for (size_t i = 0; i < nnotes && !err; i++) {
		Elf_Data *data = elf_getdata(notes[i], NULL);

		if (data)
			err = read_section(elf, data, base_addr, &l);
	}
	if (err) {
		free(l.v);
		goto cleanup;
	}
	*sites = l.v;
	*n = l.n;
	*bad = l.bad;
cleanup:
	elf_end(elf);
	close(fd);
	return err;
}

int elf_etl_sites(const char *path, int *starts, int *ends)
{
	struct etl_site *sites;
	size_t n;
	int bad, err;

	*starts = *ends = 0;
	err = elf_etl_read(path, &sites, &n, &bad);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (sites[i].is_end)
			(*ends)++;
		else
			(*starts)++;
	}
	free(sites);
	return 0;
}

int elf_entry_offset(const char *path, uint64_t *offset)
{
	GElf_Ehdr ehdr;
	size_t nph, i;
	Elf *elf;
	int fd, err;

	err = elf_open(path, &fd, &elf);
	if (err)
		return err;
	err = -ENOEXEC;
	if (!gelf_getehdr(elf, &ehdr) || !ehdr.e_entry || elf_getphdrnum(elf, &nph))
		goto cleanup;
	for (i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X))
			continue;
		if (ehdr.e_entry >= ph.p_vaddr && ehdr.e_entry < ph.p_vaddr + ph.p_filesz) {
			*offset = ehdr.e_entry - ph.p_vaddr + ph.p_offset;
			err = 0;
			break;
		}
	}
cleanup:
	elf_end(elf);
	close(fd);
	return err;
}
