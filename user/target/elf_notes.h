/* SPDX-License-Identifier: MIT */
/* elf_notes.h - what etltrace needs from an ELF file: its etl USDT sites and its entry. */
#ifndef ETLTRACE_ELF_NOTES_H
#define ETLTRACE_ELF_NOTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etltrace.h"

/* One etl USDT probe site of an object file, ready for a uprobe. */
struct etl_site {
	uint64_t offset;         /* file offset of the probe's nop */
	uint64_t ref_ctr_offset; /* file offset of its semaphore, 0 if none */
	bool is_end;             /* etl:op_end (else etl:op_start) */
	struct etl_usdt_spec spec;
};

/* Reads every etl:op_start / etl:op_end site of the ELF file at path into
 * *sites (malloc'd, *n entries; NULL and 0 when there are none). Sites whose
 * argument locations cannot be decoded are left out and counted in *bad.
 * Returns 0, -ENOEXEC if the file is not ELF, or a negative errno. */
int elf_etl_read(const char *path, struct etl_site **sites, size_t *n, int *bad);

/* Counts the USDT sites of provider "etl" in the ELF file at path (the
 * .note.stapsdt notes): *starts for op_start, *ends for op_end. Returns 0
 * (also for an ELF file without notes, counts 0), -ENOEXEC if the file is
 * not ELF, or a negative errno if it cannot be read. */
int elf_etl_sites(const char *path, int *starts, int *ends);

/* File offset of the entry point of the executable at path, for a uprobe
 * there. Returns 0 or a negative errno (-ENOEXEC if not ELF or no entry). */
int elf_entry_offset(const char *path, uint64_t *offset);

#endif /* ETLTRACE_ELF_NOTES_H */
