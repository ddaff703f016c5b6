// SPDX-License-Identifier: MIT
/*
 * floor.c - loader of the floor (floor.bpf.c): attaches the empty programs
 * to the etl probes of BINARY in process PID, prints "floor: ready" on
 * stderr, and stays attached until SIGINT/SIGTERM or the process's exit.
 *
 *   floor [--multi] PID BINARY
 *
 * Default: libbpf's USDT attach (a perf-event uprobe per site). --multi:
 * one uprobe_multi link per probe, the way etltrace attaches; libbpf 1.1
 * predates that link type, so the sites are read from the ELF notes here
 * and the link is created with the bpf syscall.
 *
 * Exit status: 0 after a clean detach, 1 on any failure (said on stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "floor.skel.h"

/* enum bpf_attach_type's BPF_TRACE_UPROBE_MULTI (Linux 6.6), newer than
 * the installed UAPI headers. */
#define FLOOR_ATTACH_UPROBE_MULTI 48
#define NT_STAPSDT 3
#define MAX_SITES 64

/* The sites of one probe: file offsets of the nops and of the semaphore. */
struct sites {
	uint64_t off[MAX_SITES];
	uint64_t ref[MAX_SITES];
	uint32_t n;
};

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* File offset of virtual address v, from the loadable segments; 0 if none. */
static uint64_t file_offset(Elf *elf, uint64_t v)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && v >= ph.p_vaddr &&
		    v < ph.p_vaddr + ph.p_filesz)
			return v - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

/* Fills out with the sites of provider:name in the 64-bit ELF at path.
 * Returns 0 or -errno. */
static int find_sites(const char *path, const char *provider, const char *name,
		      struct sites *out)
{
	Elf_Scn *scn = NULL, *notes = NULL;
	uint64_t base_addr = 0;
	bool have_base = false;
	size_t shstrndx, off = 0, name_off, desc_off;
	Elf_Data *data;
	GElf_Nhdr nh;
	Elf *elf = NULL;
	int fd, err = -ENOENT;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || gelf_getclass(elf) != ELFCLASS64 || elf_getshdrstrndx(elf, &shstrndx)) {
		err = -EINVAL;
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *sname;

		if (!gelf_getshdr(scn, &sh))
			continue;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!sname)
			continue;
		if (!strcmp(sname, ".stapsdt.base")) {
			base_addr = sh.sh_addr;
			have_base = true;
		} else if (!strcmp(sname, ".note.stapsdt") && sh.sh_type == SHT_NOTE) {
			notes = scn;
		}
	}
	data = notes ? elf_getdata(notes, NULL) : NULL;
	if (!data)
		goto out;
	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *desc = (const char *)data->d_buf + desc_off, *prov, *pname;
		uint64_t pc, base, sema;

		if (nh.n_type != NT_STAPSDT || nh.n_descsz < 3 * 8 + 2 ||
		    strcmp((const char *)data->d_buf + name_off, "stapsdt"))
			continue;
		memcpy(&pc, desc, 8);
		memcpy(&base, desc + 8, 8);
		memcpy(&sema, desc + 16, 8);
		prov = desc + 24;
		pname = memchr(prov, '\0', nh.n_descsz - 24);
		if (!pname || (size_t)(pname + 1 - desc) >= nh.n_descsz)
			continue;
		pname++;
		if (strcmp(prov, provider) || strncmp(pname, name, nh.n_descsz - (pname - desc)) ||
		    pname[strlen(name)] != '\0')
			continue;
		/* Prelinked or otherwise moved: the note records where
		 * .stapsdt.base was; shift by where it is now. */
		if (have_base) {
			pc += base_addr - base;
			if (sema)
				sema += base_addr - base;
		}
		if (out->n == MAX_SITES) {
			err = -E2BIG;
			goto out;
		}
		out->off[out->n] = file_offset(elf, pc);
		out->ref[out->n] = sema ? file_offset(elf, sema) : 0;
		if (!out->off[out->n] || (sema && !out->ref[out->n])) {
			err = -EINVAL;
			goto out;
		}
		out->n++;
	}
	err = out->n ? 0 : -ENOENT;
out:
	elf_end(elf);
	close(fd);
	return err;
}

/* A uprobe_multi link of prog on the given sites of path in pid. The
 * attribute follows the kernel's union bpf_attr (link_create). Returns
 * the link fd or -errno. */
static int link_multi(int prog_fd, const char *path, const struct sites *s, pid_t pid)
{
	union {
		struct {
			__u32 prog_fd, target_fd, attach_type, flags;
			__u64 path, offsets, ref_ctr_offsets, cookies;
			__u32 cnt, multi_flags, pid;
		} a;
		char size[128]; /* the kernel wants the unused tail zeroed */
	} attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.a.prog_fd = (__u32)prog_fd;
	attr.a.attach_type = FLOOR_ATTACH_UPROBE_MULTI;
	attr.a.path = (__u64)(uintptr_t)path;
	attr.a.offsets = (__u64)(uintptr_t)s->off;
	attr.a.ref_ctr_offsets = (__u64)(uintptr_t)s->ref;
	attr.a.cnt = s->n;
	attr.a.pid = (__u32)pid;
	fd = (int)syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

int main(int argc, char **argv)
{
	struct bpf_link *start = NULL, *end = NULL;
	int multi_fd[2] = { -1, -1 };
	struct floor *skel = NULL;
	struct pollfd pfd[2] = { { .fd = -1 }, { .fd = -1 } };
	bool multi = argc == 4 && !strcmp(argv[1], "--multi");
	const char *path;
	sigset_t set;
	char *endp;
	long pid;
	int rc = 1, err;

	if (argc != 3 + multi) {
		fputs("usage: floor [--multi] PID BINARY\n", stderr);
		return 1;
	}
	pid = strtol(argv[1 + multi], &endp, 10);
	path = argv[2 + multi];
	if (*endp || pid <= 0) {
		fprintf(stderr, "floor: invalid PID '%s'\n", argv[1 + multi]);
		return 1;
	}
	libbpf_set_print(quiet_libbpf);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL)) {
		perror("floor: sigprocmask");
		return 1;
	}
	pfd[0].fd = signalfd(-1, &set, SFD_CLOEXEC);
	pfd[1].fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pfd[0].fd < 0 || pfd[1].fd < 0) {
		fprintf(stderr, "floor: cannot watch process %ld: %s\n", pid, strerror(errno));
		goto cleanup;
	}
	pfd[0].events = pfd[1].events = POLLIN;
	skel = floor__open();
	if (!skel) {
		fprintf(stderr, "floor: cannot open the BPF object: %s\n", strerror(errno));
		goto cleanup;
	}
	/* Load only the pair of the chosen mechanism. */
	bpf_program__set_autoload(skel->progs.usdt_start, !multi);
	bpf_program__set_autoload(skel->progs.usdt_end, !multi);
	bpf_program__set_autoload(skel->progs.multi_start, multi);
	bpf_program__set_autoload(skel->progs.multi_end, multi);
	bpf_program__set_expected_attach_type(skel->progs.multi_start, FLOOR_ATTACH_UPROBE_MULTI);
	bpf_program__set_expected_attach_type(skel->progs.multi_end, FLOOR_ATTACH_UPROBE_MULTI);
	err = floor__load(skel);
	if (err) {
		fprintf(stderr, "floor: cannot load the BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	if (multi) {
		static const char *const probes[2] = { "op_start", "op_end" };
		struct bpf_program *progs[2] = { skel->progs.multi_start, skel->progs.multi_end };

		for (int i = 0; i < 2; i++) {
			struct sites s;

			err = find_sites(path, "etl", probes[i], &s);
			if (!err) {
				multi_fd[i] = link_multi(bpf_program__fd(progs[i]), path, &s, (pid_t)pid);
				err = multi_fd[i] < 0 ? multi_fd[i] : 0;
			}
			if (err) {
				fprintf(stderr, "floor: cannot attach to etl:%s of %s in process %ld: %s\n",
					probes[i], path, pid, strerror(-err));
				goto cleanup;
			}
		}
	} else {
		start = bpf_program__attach_usdt(skel->progs.usdt_start, (pid_t)pid, path, "etl",
						 "op_start", NULL);
		end = start ? bpf_program__attach_usdt(skel->progs.usdt_end, (pid_t)pid, path, "etl",
						       "op_end", NULL)
			    : NULL;
		if (!start || !end) {
			fprintf(stderr, "floor: cannot attach to etl:op_%s of %s in process %ld: %s\n",
				start ? "end" : "start", path, pid, strerror(errno));
			goto cleanup;
		}
	}
	fprintf(stderr, "floor: ready (%s)\n", multi ? "uprobe_multi" : "perf-event uprobes");
	while (poll(pfd, 2, -1) < 0)
		if (errno != EINTR) {
			perror("floor: poll");
			goto cleanup;
		}
	rc = 0;
cleanup:
	for (int i = 0; i < 2; i++)
		if (multi_fd[i] >= 0)
			close(multi_fd[i]);
	bpf_link__destroy(end);
	bpf_link__destroy(start);
	floor__destroy(skel);
	for (int i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	return rc;
}
