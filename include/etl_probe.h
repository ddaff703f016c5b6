/* SPDX-License-Identifier: MIT */
/*
 * etl_probe.h - mark the operations of an ETL program for etltrace.
 *
 * Header-only. Include it (before any other user of <sys/sdt.h> in the same
 * file) and mark operations:
 *
 *     ETL_OP_START("extract");
 *     ...
 *     ETL_OP_END("extract");
 *
 *     {
 *         ETL_OP_SCOPE("transform_batch");   // ends when the block exits
 *         ...
 *     }
 *
 *     ETL_OP_END_N("load", rows_written);    // end with a record count
 *
 *     if (ETL_PROBE_ENABLED()) { ...work that only feeds the probes... }
 *
 * The probe ABI (stable; any language that can emit USDT probes may use it):
 *   provider "etl"; probe "op_start" with arg1 = operation name (NUL-terminated
 *   char *) and an optional arg2 = flags (bit 0: the name is a string
 *   literal, its bytes never change); probe "op_end" with arg1 = the same
 *   name and an optional arg2 = record count (unsigned 64-bit). Ends pair
 *   with the innermost open start of the same thread whose name is equal.
 *
 * Cost: with no tracer attached a marker is one load of a 2-byte semaphore
 * and a not-taken branch (the probe site itself is a single-byte nop that
 * only runs when a tracer is attached). When traced, a name that is not a
 * string literal is first read whole so its pages are resident: the kernel
 * cannot fault pages in from BPF, and a name on a never-touched page would
 * be unreadable. A literal is not read at all: the marker says it is one,
 * and etltrace reads it once, from user space.
 *
 * Names may be string literals (cheapest) or any other string, also one
 * rebuilt in a reused buffer for each operation; it must stay unchanged
 * from an operation's start to its end. Up to 63 bytes are reported.
 */
#ifndef ETL_PROBE_H
#define ETL_PROBE_H

#if defined(_SYS_SDT_H) && !defined(_SDT_HAS_SEMAPHORES)
#error "include <etl_probe.h> before <sys/sdt.h>: etl probes need USDT semaphores"
#endif
#ifndef _SDT_HAS_SEMAPHORES
#define _SDT_HAS_SEMAPHORES 1
#endif
#include <sys/sdt.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One semaphore per probe and per object (executable or shared library):
 * the kernel increments it while a tracer is attached to that object. Weak
 * so that every file including this header shares one definition, hidden so
 * that each shared object keeps its own. */
__extension__ unsigned short etl_op_start_semaphore
	__attribute__((weak, used, section(".probes"), visibility("hidden")));
__extension__ unsigned short etl_op_end_semaphore
	__attribute__((weak, used, section(".probes"), visibility("hidden")));

/* True while a tracer is attached to this object's etl probes. */
#define ETL_PROBE_ENABLED() \
	(__builtin_expect(etl_op_start_semaphore | etl_op_end_semaphore, 0))

/* Reads every byte of name so that its pages are resident when the probe
 * fires. Only called while traced. */
static inline void etl__touch_name(const char *name)
{
	const volatile char *p = name;

	while (*p)
		p++;
}

/* op_start of name (already evaluated into etl__n); lit is a constant, true
 * when name is a string literal. A literal's bytes never change, so the
 * probe says so (second argument, ETL_START_F_LITERAL) and etltrace reads
 * it once per address instead of at every start; other names are read at
 * each start, and touched first so their pages are resident. */
#define ETL__START(etl__n, lit)                                           \
	do {                                                              \
		if (__builtin_expect(etl_op_start_semaphore, 0)) {        \
			if (lit) {                                        \
				STAP_PROBE2(etl, op_start, etl__n, 1);    \
			} else {                                          \
				etl__touch_name(etl__n);                  \
				STAP_PROBE1(etl, op_start, etl__n);       \
			}                                                 \
		}                                                         \
	} while (0)

#define ETL_OP_START(name)                                                \
	do {                                                              \
		const char *etl__n = (name);                              \
		ETL__START(etl__n, __builtin_constant_p(name));           \
	} while (0)

#define ETL_OP_END(name)                                                  \
	do {                                                              \
		const char *etl__n = (name);                              \
		if (__builtin_expect(etl_op_end_semaphore, 0)) {          \
			etl__touch_name(etl__n);                          \
			STAP_PROBE1(etl, op_end, etl__n);                 \
		}                                                         \
	} while (0)

/* Ends an operation and reports how many records it processed; etltrace
 * shows records/s for operations ended this way. */
#define ETL_OP_END_N(name, records)                                       \
	do {                                                              \
		const char *etl__n = (name);                              \
		unsigned long long etl__r = (records);                    \
		if (__builtin_expect(etl_op_end_semaphore, 0)) {          \
			etl__touch_name(etl__n);                          \
			STAP_PROBE2(etl, op_end, etl__n, etl__r);         \
		}                                                         \
	} while (0)

static inline void etl__scope_end(const char *const *name)
{
	ETL_OP_END(*name);
}

#define ETL__CAT2(a, b) a##b
#define ETL__CAT(a, b) ETL__CAT2(a, b)

/* Starts an operation that ends when the enclosing block exits (by falling
 * off its end, return, break or goto). At most one per line. */
#define ETL_OP_SCOPE(name)                                                \
	const char *const ETL__CAT(etl__scope_, __LINE__)                 \
		__attribute__((cleanup(etl__scope_end), unused)) = ({     \
			const char *etl__n = (name);                      \
			ETL__START(etl__n, __builtin_constant_p(name));   \
			etl__n;                                           \
		})

#ifdef __cplusplus
}
#endif

#endif /* ETL_PROBE_H */
