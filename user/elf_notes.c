// SPDX-License-Identifier: MIT
/* elf_notes.c - read etl USDT notes and the entry point with libelf. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#include "elf_notes.h"

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

/* Counts etl sites in one note section. The note descriptor is three
 * addresses (pc, base, semaphore) followed by "provider\0name\0args\0". */
static void count_section(Elf_Data *data, int elf_class, int *starts, int *ends)
{
	size_t addr_sz = elf_class == ELFCLASS32 ? 4 : 8;
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nhdr;

	while ((off = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) > 0) {
		const char *desc = (const char *)data->d_buf + desc_off;
		const char *prov, *probe;
		size_t left;

		if (nhdr.n_type != NT_STAPSDT || nhdr.n_namesz != sizeof("stapsdt") ||
		    memcmp((const char *)data->d_buf + name_off, "stapsdt", nhdr.n_namesz) ||
		    nhdr.n_descsz <= 3 * addr_sz)
			continue;
		prov = desc + 3 * addr_sz;
		left = nhdr.n_descsz - 3 * addr_sz;
		if (!memchr(prov, '\0', left) || strcmp(prov, "etl"))
			continue;
		probe = prov + 4;
		left -= 4;
		if (!left || !memchr(probe, '\0', left))
			continue;
		if (!strcmp(probe, "op_start"))
			(*starts)++;
		else if (!strcmp(probe, "op_end"))
			(*ends)++;
	}
}

int elf_etl_sites(const char *path, int *starts, int *ends)
{
	Elf_Scn *scn = NULL;
	GElf_Ehdr ehdr;
	size_t shstrndx;
	Elf *elf;
	int fd, err;

	*starts = *ends = 0;
	err = elf_open(path, &fd, &elf);
	if (err)
		return err;
	if (!gelf_getehdr(elf, &ehdr) || elf_getshdrstrndx(elf, &shstrndx)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		const char *name;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
			continue;
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (!name || strcmp(name, ".note.stapsdt"))
			continue;
		data = elf_getdata(scn, NULL);
		if (data)
			count_section(data, gelf_getclass(elf), starts, ends);
	}
cleanup:
	elf_end(elf);
	close(fd);
	return err;
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
