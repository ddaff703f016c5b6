// SPDX-License-Identifier: MIT
/* test_usdt_args.c - USDT argument strings as gcc and clang emit them. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/user.h>
#include <asm/ptrace.h>

#include <cmocka.h>

#include "usdt/args.h"

#define OFF(r) offsetof(struct user_regs_struct, r)

static void test_register_operand_reads_the_whole_register(void **state)
{
	struct etl_usdt_spec s;

	(void)state;
	assert_int_equal(usdt_parse_args("8@%rax", &s), 0);
	assert_int_equal(s.nargs, 1);
	assert_int_equal(s.arg[0].kind, ETL_ARG_REG);
	assert_int_equal(s.arg[0].reg_off, OFF(rax));
	assert_int_equal(s.arg[0].shift, 0);
	assert_false(s.arg[0].is_signed);
}

static void test_low_parts_map_to_their_full_register_with_a_shift(void **state)
{
	struct etl_usdt_spec s;

	(void)state;
	assert_int_equal(usdt_parse_args("-4@%r12d 1@%sil 2@%bp", &s), 0);
	assert_int_equal(s.nargs, 3);
	assert_int_equal(s.arg[0].reg_off, OFF(r12));
	assert_int_equal(s.arg[0].shift, 32);
	assert_true(s.arg[0].is_signed);
	assert_int_equal(s.arg[1].reg_off, OFF(rsi));
	assert_int_equal(s.arg[1].shift, 56);
}

static void test_memory_operands_with_and_without_offset(void **state)
{
	struct etl_usdt_spec s;

	(void)state;
	assert_int_equal(usdt_parse_args("8@-16(%rbp) -4@(%rsp)", &s), 0);
	assert_int_equal(s.arg[0].kind, ETL_ARG_REG_DEREF);
	assert_int_equal(s.arg[0].reg_off, OFF(rbp));
	assert_int_equal(s.arg[0].val, -16);
	assert_int_equal(s.arg[1].kind, ETL_ARG_REG_DEREF);
	assert_int_equal(s.arg[1].reg_off, OFF(rsp));
	assert_int_equal(s.arg[1].val, 0);
}

static void test_constants_decimal_and_negative(void **state)
{
	struct etl_usdt_spec s;

	(void)state;
	assert_int_equal(usdt_parse_args("8@%rdi 8@$1000", &s), 0);
	assert_int_equal(s.arg[1].kind, ETL_ARG_CONST);
	assert_int_equal(s.arg[1].val, 1000);
	assert_int_equal(usdt_parse_args("-8@$-5", &s), 0);
	assert_int_equal(s.arg[0].val, -5);
}

static void test_extra_arguments_are_counted_but_not_decoded(void **state)
{
	struct etl_usdt_spec s;

	(void)state;
	assert_int_equal(usdt_parse_args("8@%rax 8@%rbx 8@%rcx", &s), 0);
	assert_int_equal(s.nargs, 3);
	assert_int_equal(s.arg[1].reg_off, OFF(rbx));
}

static void test_empty_string_has_no_arguments(void **state)
{
	struct etl_usdt_spec s;

	(void)state;
	assert_int_equal(usdt_parse_args("", &s), 0);
	assert_int_equal(s.nargs, 0);
}

static void test_unsupported_operands_are_rejected(void **state)
{
	static const char *const bad[] = {
		"8@sym(%rip)", "8@%ah", "3@%rax", "8@%xmm0", "8%rax", "8@(%rax", "8@%raxx",
		"8@$", "@%rax", "8@%rax,8@%rbx",
		/* white space inside an operand (strtoll would skip it), and a
		 * size whose absolute value overflows */
		"8@$ 5", "2@$ 0", "8@ -4(%rbp)", "8@$\t5", "\t8@%rax", "8@%rax \n8@%rbx",
		"-9223372036854775808@%rax",
	};
	struct etl_usdt_spec s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (usdt_parse_args(bad[i], &s) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
}

/* The one register list (ETL_REGS) decodes every name of every register
 * to the offset of the register in the kernel's pt_regs: user_regs_struct,
 * which the decoder and the tracer's program table use, has pt_regs's
 * layout, as the BPF programs read it. */
static void test_every_register_name_of_the_list_decodes_to_its_pt_regs_offset(void **state)
{
	static const struct {
		const char *names[4];
		size_t user_off, kernel_off;
	} regs[] = {
#define REG(field, r64, r32, r16, r8)                                                    \
		{ { #r64, #r32, #r16, #r8 }, offsetof(struct user_regs_struct, r64),     \
		  offsetof(struct pt_regs, r64) },
		ETL_REGS(REG)
#undef REG
	};
	static const int sizes[4] = { 8, 4, 2, 1 };

	(void)state;
	assert_int_equal(sizeof(regs) / sizeof(regs[0]), 16);
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		assert_int_equal(regs[i].user_off, regs[i].kernel_off);
		for (int k = 0; k < 4; k++) {
			struct etl_usdt_spec s;
			char arg[32];

			snprintf(arg, sizeof(arg), "%d@%%%s", sizes[k], regs[i].names[k]);
			assert_int_equal(usdt_parse_args(arg, &s), 0);
			assert_int_equal(s.arg[0].reg_off, regs[i].kernel_off);
			assert_int_equal(s.arg[0].shift, 64 - 8 * sizes[k]);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_operand_reads_the_whole_register),
		cmocka_unit_test(test_every_register_name_of_the_list_decodes_to_its_pt_regs_offset),
		cmocka_unit_test(test_low_parts_map_to_their_full_register_with_a_shift),
		cmocka_unit_test(test_memory_operands_with_and_without_offset),
		cmocka_unit_test(test_constants_decimal_and_negative),
		cmocka_unit_test(test_extra_arguments_are_counted_but_not_decoded),
		cmocka_unit_test(test_empty_string_has_no_arguments),
		cmocka_unit_test(test_unsupported_operands_are_rejected),
	};

	return cmocka_run_group_tests_name("usdt_args", tests, NULL, NULL);
}
