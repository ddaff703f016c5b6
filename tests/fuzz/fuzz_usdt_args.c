// SPDX-License-Identifier: MIT
/*
 * fuzz_usdt_args.c - the USDT argument decoder (usdt/args.c): the input, cut
 * at its first NUL, is the argument string of a note in a file the traced
 * process maps. Checked on success: one argument per space-separated token,
 * each decoded one of a known kind, size and pt_regs offset, and the
 * decoded arguments written back in canonical form decode to the same.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/user.h>

#include "fuzz.h"
#include "usdt/args.h"

static const struct {
	const char *name;
	size_t off;
} regs[] = {
#define REG(field, r64, r32, r16, r8) { #r64, offsetof(struct user_regs_struct, r64) },
	ETL_REGS(REG)
#undef REG
};

static const char *reg_name(uint32_t off)
{
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (regs[i].off == off)
			return regs[i].name;
	return NULL;
}

static unsigned tokens(const char *s)
{
	unsigned n = 0;

	for (size_t i = 0; s[i]; i++)
		if (s[i] != ' ' && (i == 0 || s[i - 1] == ' '))
			n++;
	return n;
}

/* Appends the canonical "SIZE@OPERAND" of a to buf. */
static void canonical(char *buf, size_t cap, const struct etl_usdt_arg *a)
{
	int size = (64 - a->shift) / 8 * (a->is_signed ? -1 : 1);
	size_t len = strlen(buf);
	const char *r = reg_name(a->reg_off);

	switch (a->kind) {
	case ETL_ARG_CONST:
		snprintf(buf + len, cap - len, "%d@$%lld ", size, (long long)a->val);
		break;
	case ETL_ARG_REG:
		snprintf(buf + len, cap - len, "%d@%%%s ", size, r);
		break;
	default:
		snprintf(buf + len, cap - len, "%d@%lld(%%%s) ", size, (long long)a->val, r);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *args = fuzz_cstr(data, size), again[256] = "";
	struct etl_usdt_spec spec, back;
	unsigned kept;
	int rc;

	memset(&spec, 0xa5, sizeof(spec));
	rc = usdt_parse_args(args, &spec);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL, "returned %d", rc);
	if (rc) {
		free(args);
		return 0;
	}
	FUZZ_CHECK(spec.nargs == tokens(args), "%u arguments in \"%s\"", spec.nargs, args);
	kept = spec.nargs < ETL_USDT_ARGS ? spec.nargs : ETL_USDT_ARGS;
	for (unsigned i = 0; i < kept; i++) {
		const struct etl_usdt_arg *a = &spec.arg[i];

		FUZZ_CHECK(a->kind >= ETL_ARG_CONST && a->kind <= ETL_ARG_REG_DEREF, "kind %u",
			   a->kind);
		FUZZ_CHECK(a->shift == 0 || a->shift == 32 || a->shift == 48 || a->shift == 56,
			   "shift %u", a->shift);
		FUZZ_CHECK(a->is_signed <= 1, "is_signed %u", a->is_signed);
		if (a->kind != ETL_ARG_CONST)
			FUZZ_CHECK(reg_name(a->reg_off), "pt_regs offset %u", a->reg_off);
		else
			FUZZ_CHECK(a->reg_off == 0, "a constant with a register");
		if (a->kind == ETL_ARG_REG)
			FUZZ_CHECK(a->val == 0, "a register operand with a value");
		canonical(again, sizeof(again), a);
	}
	for (unsigned i = kept; i < ETL_USDT_ARGS; i++)
		FUZZ_CHECK(spec.arg[i].kind == ETL_ARG_NONE, "argument %u set beyond nargs", i);
	FUZZ_CHECK(usdt_parse_args(again, &back) == 0, "canonical \"%s\" rejected", again);
	FUZZ_CHECK(back.nargs == kept && !memcmp(back.arg, spec.arg, sizeof(spec.arg)),
		   "\"%s\" and its canonical form \"%s\" differ", args, again);
	free(args);
	return 0;
}
