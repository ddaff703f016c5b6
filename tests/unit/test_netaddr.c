// SPDX-License-Identifier: MIT
/*
 * test_netaddr.c - the metrics endpoint's listening address
 * (user/util/netaddr.c): the forms accepted, the host and port they give,
 * and what is refused (names, unbracketed IPv6, ports out of range).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/netaddr.h"

static void accepted(const char *spec, const char *host, unsigned int port)
{
	char h[64] = "";
	unsigned int p = 0;

	if (netaddr_parse(spec, h, sizeof(h), &p))
		fail_msg("'%s' was refused", spec);
	assert_string_equal(h, host);
	assert_int_equal(p, port);
}

static void a_port_alone_listens_on_loopback(void **state)
{
	(void)state;
	accepted("9464", "127.0.0.1", 9464);
	accepted("1", "127.0.0.1", 1);
	accepted("65535", "127.0.0.1", 65535);
}

static void numeric_ipv4_and_bracketed_ipv6_addresses_are_taken(void **state)
{
	(void)state;
	accepted("0.0.0.0:9464", "0.0.0.0", 9464);
	accepted("127.0.0.1:19464", "127.0.0.1", 19464);
	accepted("[::1]:9464", "::1", 9464);
	accepted("[::]:80", "::", 80);
	accepted("[2001:db8::1]:9464", "2001:db8::1", 9464);
}

static void anything_else_is_refused(void **state)
{
	static const char *const bad[] = {
		"", "0", "65536", "99999", "123456", "-1", "+9464", " 9464", "9464 ", "0x10",
		"9464.0", "abc", ":9464", "127.0.0.1:", "127.0.0.1:0", "localhost:9464",
		"example.com:9464", "::1:9464", "2001:db8::1:80", "[::1]", "[::1]9464", "[]:9464",
		"[127.0.0.1]:9464", "::1", "1.2.3:9464", "1.2.3.4.5:9464", "[::1:9464",
		"::1]:9464", "[fe80::1%lo]:9464", "127.0.0.1:9464:1",
	};
	char h[64];
	unsigned int p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (netaddr_parse(bad[i], h, sizeof(h), &p) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
}

static void a_host_longer_than_the_buffer_is_refused(void **state)
{
	char h[8];
	unsigned int p;

	(void)state;
	assert_int_equal(netaddr_parse("[2001:db8::1]:9464", h, sizeof(h), &p), -EINVAL);
	assert_int_equal(netaddr_parse("9464", h, 4, &p), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_port_alone_listens_on_loopback),
		cmocka_unit_test(numeric_ipv4_and_bracketed_ipv6_addresses_are_taken),
		cmocka_unit_test(anything_else_is_refused),
		cmocka_unit_test(a_host_longer_than_the_buffer_is_refused),
	};

	return cmocka_run_group_tests_name("netaddr", tests, NULL, NULL);
}
