// SPDX-License-Identifier: MIT
/* test_preflight.c - a kernel without BTF or uprobes is named, with exit 6;
 * without root, CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE are all needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <errno.h>
#include <linux/capability.h>
#include <sys/syscall.h>

#include "kernel/preflight.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

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

static int capability_sets(struct __user_cap_data_struct d[2], bool set)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return (int)syscall(set ? SYS_capset : SYS_capget, &h, d);
}

/* Only the effective set changes (the permitted one stays, so the caps
 * come back); only caps the process is permitted can be made effective.
 * Returns preflight_privileges' answer with exactly caps effective, or 1
 * if they could not be made so. */
static int answer_with(const struct __user_cap_data_struct saved[2], const int *caps, size_t n,
		       char *why, size_t len)
{
	struct __user_cap_data_struct d[2];

	memcpy(d, saved, sizeof(d));
	d[0].effective = d[1].effective = 0;
	for (size_t i = 0; i < n; i++)
		d[caps[i] / 32].effective |= 1u << (caps[i] % 32);
	if (capability_sets(d, true))
		return 1;
	return preflight_privileges(why, len);
}

static void privileges_need_cap_sys_ptrace_beside_cap_bpf_and_cap_perfmon(void **state)
{
	static const int bpf_perfmon[] = { CAP_BPF, CAP_PERFMON };
	static const int all3[] = { CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE };
	static const int admin[] = { CAP_SYS_ADMIN };
	struct __user_cap_data_struct saved[2];
	char why[256] = "", why2[256] = "";
	int none, two, three, adm;

	(void)state;
	assert_int_equal(capability_sets(saved, false), 0);
	if (geteuid() != 0) {
		/* Nothing to raise: the plain user's answer. */
		assert_int_equal(preflight_privileges(why, sizeof(why)), -EPERM);
		assert_non_null(strstr(why, "CAP_SYS_PTRACE"));
		return;
	}
	/* Every answer first, then the saved set back, then the checks (a
	 * failed assertion must not leave the process without its caps). */
	none = answer_with(saved, NULL, 0, why, sizeof(why));
	two = answer_with(saved, bpf_perfmon, 2, why2, sizeof(why2));
	three = answer_with(saved, all3, 3, why, sizeof(why));
	adm = answer_with(saved, admin, 1, why, sizeof(why));
	assert_int_equal(capability_sets(saved, true), 0);
	assert_int_equal(none, -EPERM);
	assert_int_equal(two, -EPERM);
	assert_non_null(strstr(why2, "CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE"));
	assert_int_equal(three, 0);
	assert_int_equal(adm, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kernel_without_btf_exits_6_naming_btf, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_kernel_without_uprobes_exits_6_naming_uprobes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_with_both_passes, setup, teardown),
		cmocka_unit_test(privileges_need_cap_sys_ptrace_beside_cap_bpf_and_cap_perfmon),
	};

	return cmocka_run_group_tests_name("preflight", tests, NULL, NULL);
}
