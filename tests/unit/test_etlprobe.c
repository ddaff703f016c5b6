// SPDX-License-Identifier: MIT
/*
 * test_etlprobe.c - libetlprobe as an FFI sees it: its ABI symbols (and
 * only them, versioned), semaphores at 0 with no tracer, calls harmless,
 * and probe sites etltrace takes its fast paths on.
 */
#include <dlfcn.h>
#include <link.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "usdt/notes.h"
#include "etlprobe.h"

static const char *const abi_functions[] = {
	"etlprobe_abi_version", "etlprobe_enabled", "etlprobe_start",
	"etlprobe_start_literal", "etlprobe_end", "etlprobe_end_records",
};

static char lib_path[512];
static void *lib;

/* The built library, as the Python package finds it: by its soname link. */
static int setup(void **state)
{
	const char *dir = getenv("ETLTRACE_BUILD");

	(void)state;
	snprintf(lib_path, sizeof(lib_path), "%s/lib/libetlprobe.so.1",
		 dir && *dir ? dir : "build");
	lib = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		fprintf(stderr, "cannot load %s: %s\n", lib_path, dlerror());
	return lib ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return dlclose(lib);
}

static void test_every_abi_symbol_is_exported_with_version_etlprobe_1(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(abi_functions) / sizeof(abi_functions[0]); i++)
		if (!dlvsym(lib, abi_functions[i], "ETLPROBE_1"))
			fail_msg("%s@ETLPROBE_1 missing", abi_functions[i]);
	assert_non_null(dlvsym(lib, "etlprobe_start_semaphore", "ETLPROBE_1"));
	assert_non_null(dlvsym(lib, "etlprobe_end_semaphore", "ETLPROBE_1"));
}

static void test_nothing_but_the_abi_is_exported(void **state)
{
	(void)state;
	/* The header's own semaphore names stay local to the library. */
	assert_null(dlsym(lib, "etl_op_start_semaphore"));
	assert_null(dlsym(lib, "etl_op_end_semaphore"));
	assert_null(dlsym(lib, "etl__touch_name"));
}

static void test_semaphores_read_0_and_enabled_is_false_with_no_tracer(void **state)
{
	volatile unsigned short *start = dlsym(lib, "etlprobe_start_semaphore");
	volatile unsigned short *end = dlsym(lib, "etlprobe_end_semaphore");
	int (*enabled)(void) = (int (*)(void))dlsym(lib, "etlprobe_enabled");

	(void)state;
	assert_non_null(start);
	assert_non_null(end);
	assert_ptr_not_equal(start, end);
	assert_int_equal(*start, 0);
	assert_int_equal(*end, 0);
	assert_int_equal(enabled(), 0);
}

static void test_abi_version_is_the_headers(void **state)
{
	unsigned (*version)(void) = (unsigned (*)(void))dlsym(lib, "etlprobe_abi_version");

	(void)state;
	assert_int_equal(version(), ETLPROBE_ABI_VERSION);
}

static void test_calls_with_no_tracer_do_nothing_and_return(void **state)
{
	void (*start)(const char *) = (void (*)(const char *))dlsym(lib, "etlprobe_start");
	void (*lit)(const char *) = (void (*)(const char *))dlsym(lib, "etlprobe_start_literal");
	void (*end)(const char *) = (void (*)(const char *))dlsym(lib, "etlprobe_end");
	void (*end_n)(const char *, uint64_t) =
		(void (*)(const char *, uint64_t))dlsym(lib, "etlprobe_end_records");

	(void)state;
	/* Unbalanced too: with no tracer nothing fires, nothing is kept. */
	start("a");
	lit("b");
	end("b");
	end_n("a", 42);
	end("never started");
}

/* File offset of the library's variable sym, as the notes give semaphores. */
static uint64_t file_offset_of(const char *sym)
{
	Dl_info info;
	struct link_map *map;
	const char *addr = dlsym(lib, sym);

	assert_non_null(addr);
	assert_int_equal(dladdr1(addr, &info, (void **)&map, RTLD_DL_LINKMAP), 1);
	(void)info;
	{
		const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)map->l_addr;
		const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(map->l_addr + eh->e_phoff);
		uint64_t vaddr = (uint64_t)(addr - (const char *)map->l_addr);

		for (int i = 0; i < eh->e_phnum; i++)
			if (ph[i].p_type == PT_LOAD && vaddr >= ph[i].p_vaddr &&
			    vaddr < ph[i].p_vaddr + ph[i].p_memsz)
				return vaddr - ph[i].p_vaddr + ph[i].p_offset;
	}
	fail_msg("%s is in no PT_LOAD segment", sym);
	return 0;
}

static void test_probe_sites_use_the_exported_semaphores_and_fast_paths(void **state)
{
	uint64_t start_sem = file_offset_of("etlprobe_start_semaphore");
	uint64_t end_sem = file_offset_of("etlprobe_end_semaphore");
	struct etl_site *sites = NULL;
	size_t n = 0;
	int bad = 0, starts = 0, literal = 0, ends = 0, counted = 0;

	(void)state;
	assert_int_equal(elf_etl_read(lib_path, &sites, &n, &bad), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		const struct etl_usdt_spec *sp = &sites[i].spec;

		/* The name in a register: etltrace's per-register programs. */
		assert_int_equal(sp->arg[0].kind, ETL_ARG_REG);
		assert_int_equal(sp->arg[0].shift, 0);
		if (sites[i].is_end) {
			ends++;
			assert_int_equal(sites[i].ref_ctr_offset, end_sem);
			counted += sp->nargs == 2;
		} else {
			starts++;
			assert_int_equal(sites[i].ref_ctr_offset, start_sem);
			/* Flags, when passed, are a constant of the note. */
			if (sp->nargs == 2) {
				assert_int_equal(sp->arg[1].kind, ETL_ARG_CONST);
				assert_int_equal(sp->arg[1].val, ETL_START_F_LITERAL);
				literal++;
			}
		}
	}
	assert_int_equal(starts, 2);
	assert_int_equal(literal, 1);
	assert_int_equal(ends, 2);
	assert_int_equal(counted, 1);
	free(sites);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_abi_symbol_is_exported_with_version_etlprobe_1),
		cmocka_unit_test(test_nothing_but_the_abi_is_exported),
		cmocka_unit_test(test_semaphores_read_0_and_enabled_is_false_with_no_tracer),
		cmocka_unit_test(test_abi_version_is_the_headers),
		cmocka_unit_test(test_calls_with_no_tracer_do_nothing_and_return),
		cmocka_unit_test(test_probe_sites_use_the_exported_semaphores_and_fast_paths),
	};

	return cmocka_run_group_tests_name("etlprobe", tests, setup, teardown);
}
