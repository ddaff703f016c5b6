// SPDX-License-Identifier: MIT
/*
 * raw_sdt.c - emits the etl probes with plain <sys/sdt.h>, without
 * etl_probe.h, and with names on pages the process never touches: BPF
 * cannot read them, the loader must resolve them from the target.
 *
 *   raw_sdt N     N x "cold_name_op" (name never read by the process)
 *
 * Waits for a line on stdin first (after printing "raw_sdt: ready"), so
 * a tracer can attach with -p.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/sdt.h>

/* The name alone in a 64 KiB-aligned block of its own, never read by this
 * program: its page is not resident (64 KiB also keeps the kernel's
 * fault-around, which maps neighbours of a faulting page, away from it). */
__attribute__((section(".cold_names"), aligned(65536)))
const char cold_name[65536] = "cold_name_op";

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1;
	char buf[16];

	printf("raw_sdt: ready\n");
	fflush(stdout);
	if (!fgets(buf, sizeof(buf), stdin))
		return 3;
	for (long i = 0; i < n; i++) {
		STAP_PROBE1(etl, op_start, cold_name);
		STAP_PROBE1(etl, op_end, cold_name);
	}
	return 0;
}
