/* SPDX-License-Identifier: MIT */
/* elf_notes.h - what etltrace needs from an ELF file: its etl USDT sites and its entry. */
#ifndef ETLTRACE_ELF_NOTES_H
#define ETLTRACE_ELF_NOTES_H

#include <stdint.h>

/* Counts the USDT sites of provider "etl" in the ELF file at path (the
 * .note.stapsdt notes): *starts for op_start, *ends for op_end. Returns 0
 * (also for an ELF file without notes, counts 0), -ENOEXEC if the file is
 * not ELF, or a negative errno if it cannot be read. */
int elf_etl_sites(const char *path, int *starts, int *ends);

/* File offset of the entry point of the executable at path, for a uprobe
 * there. Returns 0 or a negative errno (-ENOEXEC if not ELF or no entry). */
int elf_entry_offset(const char *path, uint64_t *offset);

#endif /* ETLTRACE_ELF_NOTES_H */
