// SPDX-License-Identifier: MIT
/*
 * sites.c - a marked program with many probe sites and nothing else: 100
 * operations, each its own op_start and op_end site (200 sites), for
 * measuring what attaching and detaching cost per site (bench/attach.c).
 *
 *   sites
 *
 * Prints "sites: ready" on stdout, waits until its stdin ends, runs each
 * operation once and exits 0.
 */
#include <etl_probe.h>
#include <stdio.h>

/* Each expansion is a function with a start and an end site of its own. */
#define OP(n)                                                   \
	static __attribute__((noinline)) void op_##n(void)      \
	{                                                       \
		ETL_OP_START("op_" #n);                         \
		ETL_OP_END("op_" #n);                           \
	}
#define OP10(d) OP(d##0) OP(d##1) OP(d##2) OP(d##3) OP(d##4) \
		OP(d##5) OP(d##6) OP(d##7) OP(d##8) OP(d##9)
OP10(0) OP10(1) OP10(2) OP10(3) OP10(4) OP10(5) OP10(6) OP10(7) OP10(8) OP10(9)

#define CALL(n) op_##n();
#define CALL10(d) CALL(d##0) CALL(d##1) CALL(d##2) CALL(d##3) CALL(d##4) \
		  CALL(d##5) CALL(d##6) CALL(d##7) CALL(d##8) CALL(d##9)

int main(void)
{
	printf("sites: ready\n");
	fflush(stdout);
	while (getchar() != EOF)
		;
	CALL10(0) CALL10(1) CALL10(2) CALL10(3) CALL10(4)
	CALL10(5) CALL10(6) CALL10(7) CALL10(8) CALL10(9)
	return 0;
}
