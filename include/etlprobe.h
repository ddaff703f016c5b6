/* SPDX-License-Identifier: MIT */
/*
 * etlprobe.h - libetlprobe, the etl probes behind a small, stable C ABI.
 *
 * For languages that cannot expand <etl_probe.h>'s macros (Python through
 * ctypes, Ruby, Java through the FFM API, ...): each function fires the
 * same USDT probe (provider "etl", probes "op_start" / "op_end") from one
 * site in the library, so `etltrace` traces any process that has the
 * library loaded. C programs should prefer <etl_probe.h>: its markers cost
 * nothing but a semaphore load when untraced and need no library.
 *
 *     if (etlprobe_start_semaphore)          // no call at all when untraced
 *             etlprobe_start_literal("extract");
 *     ...
 *     if (etlprobe_end_semaphore)
 *             etlprobe_end_records("extract", rows);
 *
 * Link with `pkg-config --cflags --libs libetlprobe`. Every symbol below is
 * versioned ETLPROBE_1; the soname is libetlprobe.so.1.
 *
 * Names are NUL-terminated byte strings (UTF-8 by convention); etltrace
 * keeps 63 bytes. A name must stay unchanged from its operation's start
 * to its end; an end closes the innermost open operation of the same
 * thread with an equal name. The functions are async-signal-safe and
 * thread-safe: they keep no state.
 */
#ifndef ETLPROBE_H
#define ETLPROBE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes; etlprobe_abi_version() returns
 * the library's. */
#define ETLPROBE_ABI_VERSION 1

/* Non-zero while a tracer is attached to the library's op_start
 * (resp. op_end) probe: the kernel raises them when etltrace attaches and
 * lowers them when it detaches. Read them (never write) to skip a call
 * when nothing listens; an FFI that reads variables can do the same
 * (Python: ctypes.c_ushort.in_dll(lib, "etlprobe_start_semaphore")). */
extern volatile unsigned short etlprobe_start_semaphore;
extern volatile unsigned short etlprobe_end_semaphore;

/* Returns ETLPROBE_ABI_VERSION as the library was built. */
unsigned int etlprobe_abi_version(void);

/* Returns 1 while a tracer is attached (either semaphore raised), else 0. */
int etlprobe_enabled(void);

/* Starts operation `name`, whose bytes may change after its end (a
 * buffer reused for other names): the tracer reads them at each start. */
void etlprobe_start(const char *name);

/* Starts operation `name`, promising that its bytes never change and stay
 * at this address for the life of the process, in a file's read-only data
 * (a string literal of a program or library): the tracer reads each such
 * address once, later, from the process or, once it has exited, from the
 * file. A name on the heap, even never freed, must use etlprobe_start: a
 * process that exits before the tracer reads it would leave it unreadable.
 * Breaking the promise reports operations under a stale name. */
void etlprobe_start_literal(const char *name);

/* Ends the innermost open operation named `name` on this thread. */
void etlprobe_end(const char *name);

/* The same, reporting that it processed `records` records (the tracer
 * shows records/s). */
void etlprobe_end_records(const char *name, uint64_t records);

#ifdef __cplusplus
}
#endif

#endif /* ETLPROBE_H */
