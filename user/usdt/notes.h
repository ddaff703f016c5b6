/* SPDX-License-Identifier: MIT */
/*
 * notes.h - the USDT probe sites of an ELF file (its .note.stapsdt notes)
 * and its entry point, read once per file; and the etl sites among them,
 * decoded for BPF.
 */
#ifndef ETLTRACE_NOTES_H
#define ETLTRACE_NOTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etltrace.h"

/* One USDT probe site. */
struct usdt_note {
	const char *provider, *name, *args; /* point into the file's notes copy */
	uint64_t offset;         /* file offset of the probe's nop */
	uint64_t ref_ctr_offset; /* file offset of its semaphore, 0 if none */
};

struct elf_usdt {
	struct usdt_note *notes; /* every site, any provider */
	size_t n;
	int bad;                 /* sites whose addresses map to no file offset */
	bool has_entry;          /* an executable with an entry point */
	uint64_t entry_offset;   /* its file offset */
	char *strings;           /* owned: the notes' provider/name/args text */
};

/* Reads the USDT notes and the entry point of the ELF file open at fd (its
 * offset is not used). Returns 0 (also for an ELF file without notes),
 * -ENOEXEC if it is not ELF, or a negative errno; *u is freed with
 * elf_usdt_free in every case. */
int elf_usdt_read(int fd, struct elf_usdt *u);
void elf_usdt_free(struct elf_usdt *u);

/* One etl:op_start / etl:op_end site, ready for a uprobe. */
struct etl_site {
	uint64_t offset;
	uint64_t ref_ctr_offset;
	bool is_end;             /* etl:op_end (else etl:op_start) */
	struct etl_usdt_spec spec;
};

/* The etl sites among u's notes into *sites (malloc'd, *n entries; NULL
 * and 0 when there are none); sites whose arguments cannot be decoded are
 * left out and counted in *bad. Returns 0 or -ENOMEM. */
int etl_sites_of(const struct elf_usdt *u, struct etl_site **sites, size_t *n, int *bad);

/* elf_usdt_read and etl_sites_of of the file at path, for tools that need
 * nothing else (the benchmark). Returns 0 or a negative errno. */
int elf_etl_read(const char *path, struct etl_site **sites, size_t *n, int *bad);

#endif /* ETLTRACE_NOTES_H */
