// SPDX-License-Identifier: MIT
/* args.c - USDT argument strings to etl_usdt_spec. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/user.h>

#include "usdt/args.h"

/* struct user_regs_struct is the ptrace view of the kernel's x86-64
 * struct pt_regs, field for field, so its offsets are pt_regs offsets. */
static const struct {
	const char *names[4]; /* 64, 32, 16, 8-bit low part */
	size_t off;
} regs[] = {
#define REG(field, r64, r32, r16, r8) \
	{ { #r64, #r32, #r16, #r8 }, offsetof(struct user_regs_struct, r64) },
	ETL_REGS(REG)
#undef REG
};

/* Parses "%name" at *p (advancing it); returns the pt_regs offset or -1. */
static long parse_reg(const char **p)
{
	const char *s = *p;
	size_t len = 0;

	if (*s != '%')
		return -1;
	s++;
	while ((s[len] >= 'a' && s[len] <= 'z') || (s[len] >= '0' && s[len] <= '9'))
		len++;
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		for (size_t j = 0; j < 4; j++)
			if (strlen(regs[i].names[j]) == len && !strncmp(regs[i].names[j], s, len)) {
				*p = s + len;
				return (long)regs[i].off;
			}
	return -1;
}

/* Parses a signed decimal or 0x-hex integer at *p (advancing it). No
 * leading white space (strtoll would skip it): a space ends an operand. */
static int parse_int(const char **p, long long *out)
{
	char *end;

	if (isspace((unsigned char)**p))
		return -1;
	errno = 0;
	*out = strtoll(*p, &end, 0);
	if (end == *p || errno)
		return -1;
	*p = end;
	return 0;
}

/* Parses one "SIZE@OPERAND" at *p into a (may be NULL: only validated). */
static int parse_one(const char **p, struct etl_usdt_arg *a)
{
	struct etl_usdt_arg tmp = {};
	long long size, v = 0;
	const char *s = *p;
	long reg;

	if (parse_int(&s, &size) || *s++ != '@')
		return -EINVAL;
	if (size < -8 || size > 8) /* llabs(LLONG_MIN) is undefined */
		return -EINVAL;
	tmp.is_signed = size < 0;
	size = llabs(size);
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	tmp.shift = (__u8)(64 - 8 * size);
	if (*s == '$') {
		s++;
		if (parse_int(&s, &v))
			return -EINVAL;
		tmp.kind = ETL_ARG_CONST;
		tmp.val = v;
	} else if (*s == '%') {
		reg = parse_reg(&s);
		if (reg < 0)
			return -EINVAL;
		tmp.kind = ETL_ARG_REG;
		tmp.reg_off = (__u32)reg;
	} else {
		if (*s != '(' && parse_int(&s, &v))
			return -EINVAL;
		if (*s++ != '(')
			return -EINVAL;
		reg = parse_reg(&s);
		if (reg < 0 || *s++ != ')')
			return -EINVAL;
		tmp.kind = ETL_ARG_REG_DEREF;
		tmp.reg_off = (__u32)reg;
		tmp.val = v;
	}
	if (*s && *s != ' ')
		return -EINVAL;
	if (a)
		*a = tmp;
	*p = s;
	return 0;
}

int usdt_parse_args(const char *args, struct etl_usdt_spec *spec)
{
	const char *p = args;

	memset(spec, 0, sizeof(*spec));
	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			return 0;
		if (parse_one(&p, spec->nargs < ETL_USDT_ARGS ? &spec->arg[spec->nargs] : NULL))
			return -EINVAL;
		spec->nargs++;
	}
}

int usdt_parse_arg(const char *args, unsigned int n, struct etl_usdt_arg *out,
		   unsigned int *nargs)
{
	const char *p = args;
	struct etl_usdt_arg a;

	*nargs = 0;
	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			return *nargs > n ? 0 : -ENOENT;
		if (parse_one(&p, &a))
			return -EINVAL;
		if (*nargs == n)
			*out = a;
		(*nargs)++;
	}
}
