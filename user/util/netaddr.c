// SPDX-License-Identifier: MIT
/* netaddr.c - listening addresses, see netaddr.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/netaddr.h"

int netaddr_parse(const char *spec, char *host, size_t hostlen, unsigned int *port)
{
	const char *colon = strrchr(spec, ':'), *p = spec;
	unsigned char bin[16];
	unsigned long v;
	bool v6 = false;

	if (!colon) {
		if (hostlen < sizeof("127.0.0.1"))
			return -EINVAL;
		snprintf(host, hostlen, "127.0.0.1");
	} else {
		const char *h = spec, *e = colon;
		size_t len;

		if (*h == '[') { /* [::1]:9464 */
			if (e - h < 2 || e[-1] != ']')
				return -EINVAL;
			h++;
			e--;
			v6 = true;
		}
		len = (size_t)(e - h);
		if (!len || len >= hostlen)
			return -EINVAL;
		memcpy(host, h, len);
		host[len] = '\0';
		/* An IPv6 address only in brackets; an IPv4 one never. */
		if (inet_pton(v6 ? AF_INET6 : AF_INET, host, bin) != 1)
			return -EINVAL;
		p = colon + 1;
	}
	if (!*p || strlen(p) > 5 || strspn(p, "0123456789") != strlen(p))
		return -EINVAL;
	v = strtoul(p, NULL, 10);
	if (v < 1 || v > 65535)
		return -EINVAL;
	*port = (unsigned int)v;
	return 0;
}
