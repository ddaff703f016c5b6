// SPDX-License-Identifier: MIT
/*
 * bpf_smoke.c - proves that BPF works in the running kernel the way
 * etltrace needs it: loads a program (verifier, JIT), attaches it as a
 * uprobe to a function of this process, calls the function CALLS times and
 * checks that the program counted exactly CALLS calls.
 *
 *   bpf_smoke
 *
 * Exit status: 0 if the count is exact; 1 otherwise or on any failure
 * (one line on stderr says which).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <bpf/libbpf.h>

#include "bpf_smoke.skel.h"

#define CALLS 1000

static int warnings_only(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* The uprobe's target; noinline and a side effect keep its symbol and calls. */
__attribute__((noinline)) void smoke_target(int i)
{
	__asm__ volatile("" : : "r"(i) : "memory");
}

int main(void)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = "smoke_target");
	struct bpf_smoke *skel = NULL;
	struct bpf_link *link = NULL;
	struct utsname uts;
	int rc = 1;

	libbpf_set_print(warnings_only);
	uname(&uts);
	skel = bpf_smoke__open_and_load();
	if (!skel) {
		fprintf(stderr, "bpf_smoke: cannot load the BPF program: %s\n", strerror(errno));
		goto cleanup;
	}
	link = bpf_program__attach_uprobe_opts(skel->progs.count_call, 0, "/proc/self/exe", 0, &opts);
	if (!link) {
		fprintf(stderr, "bpf_smoke: cannot attach a uprobe to smoke_target: %s\n", strerror(errno));
		goto cleanup;
	}
	for (int i = 0; i < CALLS; i++)
		smoke_target(i);
	if (skel->bss->hits != CALLS) {
		fprintf(stderr, "bpf_smoke: the uprobe program counted %llu calls of %d on Linux %s\n",
			(unsigned long long)skel->bss->hits, CALLS, uts.release);
		goto cleanup;
	}
	printf("bpf_smoke: Linux %s: a uprobe program counted all %d calls\n", uts.release, CALLS);
	rc = 0;
cleanup:
	bpf_link__destroy(link);
	bpf_smoke__destroy(skel);
	return rc;
}
