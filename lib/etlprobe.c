// SPDX-License-Identifier: MIT
/*
 * etlprobe.c - libetlprobe: the probes of <etl_probe.h> behind functions.
 *
 * Each function holds one probe site, expanded from <etl_probe.h>'s own
 * macros so that the library and C programs share one probe ABI. The
 * literal flag is a constant at its site (the note's argument reads
 * "$1"): etltrace picks its literal fast path from the note alone.
 */
/* Arguments in registers or constants, never in memory (clang's default
 * for "nor" puts them on the stack): etltrace has a program specialised
 * for each register the name may be in, and reads constants from the
 * note without touching the process. */
#define STAP_SDT_ARG_CONSTRAINT nr
#include <etl_probe.h>

#include "etlprobe.h"

/* The semaphores <etl_probe.h> defines (hidden, one per object) exported
 * under the library's names: the same two bytes the kernel raises. */
extern volatile unsigned short etlprobe_start_semaphore
	__attribute__((alias("etl_op_start_semaphore"), visibility("default")));
extern volatile unsigned short etlprobe_end_semaphore
	__attribute__((alias("etl_op_end_semaphore"), visibility("default")));

#define ETLPROBE_API __attribute__((visibility("default")))

ETLPROBE_API unsigned int etlprobe_abi_version(void)
{
	return ETLPROBE_ABI_VERSION;
}

ETLPROBE_API int etlprobe_enabled(void)
{
	return ETL_PROBE_ENABLED() ? 1 : 0;
}

ETLPROBE_API void etlprobe_start(const char *name)
{
	ETL__START(name, 0);
}

ETLPROBE_API void etlprobe_start_literal(const char *name)
{
	ETL__START(name, 1);
}

ETLPROBE_API void etlprobe_end(const char *name)
{
	ETL_OP_END(name);
}

ETLPROBE_API void etlprobe_end_records(const char *name, uint64_t records)
{
	ETL_OP_END_N(name, records);
}
