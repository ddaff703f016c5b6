/* SPDX-License-Identifier: MIT */
/* units.h - the report's units: seconds, and the seed's MB, which is a MiB. */
#ifndef ETLTRACE_UNITS_H
#define ETLTRACE_UNITS_H

#define NS_PER_SEC 1e9
#define BYTES_PER_MB 1048576.0

static inline double sec_of_ns(double ns)
{
	return ns / NS_PER_SEC;
}

static inline double mb_of_bytes(double bytes)
{
	return bytes / BYTES_PER_MB;
}

#endif /* ETLTRACE_UNITS_H */
