// SPDX-License-Identifier: MIT
/*
 * raw_sdt.c - emits the etl probes with plain <sys/sdt.h>, without
 * etl_probe.h, and with names on pages the process never touches: BPF
 * cannot read them, the loader must resolve them from the target.
 *
 *   raw_sdt N     N x "cold_name_op" (name never read by the process)
 *   raw_sdt pairs N
 *                 N x an explicit transaction of two foreign USDT pairs
 *                 that overlap, as PostgreSQL's do: rawapp:query__start/
 *                 query__done (arg1 the text) and rawapp:txn__start/
 *                 txn__commit. "BEGIN" opens the transaction and ends
 *                 first; "COMMIT" ends it and ends last; "INSERT" runs
 *                 inside it, around an etl operation "row" (and a nested
 *                 query, "inner"); the transaction lasts at least 2 ms.
 *
 * The first mode waits for a line on stdin first (after printing
 * "raw_sdt: ready"), so a tracer can attach with -p.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sdt.h>
#include <time.h>

/* The name alone in a 64 KiB-aligned block of its own, never read by this
 * program: its page is not resident (64 KiB also keeps the kernel's
 * fault-around, which maps neighbours of a faulting page, away from it). */
__attribute__((section(".cold_names"), aligned(65536)))
const char cold_name[65536] = "cold_name_op";

static void overlapping_pairs(long n)
{
	static const char begin[] = "BEGIN", insert[] = "INSERT", inner[] = "inner",
			  commit[] = "COMMIT", row[] = "row";
	const struct timespec ms2 = { 0, 2000000 };

	for (long i = 0; i < n; i++) {
		STAP_PROBE1(rawapp, query__start, begin);
		STAP_PROBE(rawapp, txn__start);
		STAP_PROBE1(rawapp, query__done, begin);
		STAP_PROBE1(rawapp, query__start, insert);
		STAP_PROBE1(etl, op_start, row);
		STAP_PROBE1(rawapp, query__start, inner);
		STAP_PROBE1(rawapp, query__done, inner);
		STAP_PROBE1(etl, op_end, row);
		STAP_PROBE1(rawapp, query__done, insert);
		nanosleep(&ms2, NULL);
		STAP_PROBE1(rawapp, query__start, commit);
		STAP_PROBE(rawapp, txn__commit);
		STAP_PROBE1(rawapp, query__done, commit);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1;
	char buf[16];

	if (argc > 2 && !strcmp(argv[1], "pairs")) {
		overlapping_pairs(atol(argv[2]));
		return 0;
	}

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
