// SPDX-License-Identifier: MIT
/* test_preflight.c - a kernel without BTF or uprobes is named, with exit 6. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <errno.h>

#include "kernel/preflight.h"

/* A fake root holding the given kernel files (empty), removed by teardown. */
static char root[] = "/tmp/etltrace-preflight-XXXXXX";

static void touch(const char *rel)
{
	char path[256], *slash;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	for (slash = path + strlen(root) + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	fclose(fopen(path, "w"));
}

static int setup(void **state)
{
	(void)state;
	strcpy(root, "/tmp/etltrace-preflight-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void test_kernel_without_btf_exits_6_naming_btf(void **state)
{
	char why[256];

	(void)state;
	touch("/sys/bus/event_source/devices/uprobe/type");
	assert_int_equal(preflight_kernel_files(root, why, sizeof(why)), -EOPNOTSUPP);
	assert_non_null(strstr(why, "CONFIG_DEBUG_INFO_BTF"));
}

static void test_kernel_without_uprobes_exits_6_naming_uprobes(void **state)
{
	char why[256];

	(void)state;
	touch("/sys/kernel/btf/vmlinux");
	assert_int_equal(preflight_kernel_files(root, why, sizeof(why)), -EOPNOTSUPP);
	assert_non_null(strstr(why, "CONFIG_UPROBE_EVENTS"));
}

static void test_kernel_with_both_passes(void **state)
{
	char why[256];

	(void)state;
	touch("/sys/kernel/btf/vmlinux");
	touch("/sys/bus/event_source/devices/uprobe/type");
	assert_int_equal(preflight_kernel_files(root, why, sizeof(why)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kernel_without_btf_exits_6_naming_btf, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_kernel_without_uprobes_exits_6_naming_uprobes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_with_both_passes, setup, teardown),
	};

	return cmocka_run_group_tests_name("preflight", tests, NULL, NULL);
}
