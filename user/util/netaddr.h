/* SPDX-License-Identifier: MIT */
/* netaddr.h - the listening address of the metrics endpoint (--metrics,
 * METRICS_ADDRESS), checked where it is given, before anything runs. */
#ifndef ETLTRACE_NETADDR_H
#define ETLTRACE_NETADDR_H

#include <stddef.h>

/* What a valid address looks like, for messages. */
#define NETADDR_FORMS "PORT, ADDR:PORT or [ADDR6]:PORT with a numeric ADDR " \
	"(such as 9464, 0.0.0.0:9464 or [::1]:9464)"

/* Parses "PORT" (on 127.0.0.1), "ADDR:PORT" (ADDR a numeric IPv4 address)
 * or "[ADDR6]:PORT" (a numeric IPv6 address, in brackets so that its last
 * group is never taken for the port); PORT is decimal, 1 to 65535. Writes
 * the address without brackets into host. Returns 0 or -EINVAL. */
int netaddr_parse(const char *spec, char *host, size_t hostlen, unsigned int *port);

#endif /* ETLTRACE_NETADDR_H */
