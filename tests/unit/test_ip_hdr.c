/* net/ip_hdr.c: the plain IPv4/IPv6 headers ESP output, transport-mode
 * input and captures put in front of a payload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "net/ip.h"

static const uint8_t s4[4] = { 192, 0, 2, 1 }, d4[4] = { 192, 0, 2, 2 };

static void test_ipv4(void **state)
{
	/* 45 00 | len 0x0094 (20 + 128) | id 0 | flags/frag 0 | ttl 64 | proto 50 |
	 * checksum | src | dst */
	static const uint8_t want[20] = {
		0x45, 0x00, 0x00, 0x94, 0x00, 0x00, 0x00, 0x00, 0x40, 0x32, 0x00, 0x00,
		192, 0, 2, 1, 192, 0, 2, 2,
	};
	uint8_t h[20];

	(void)state;
	memset(h, 0xee, sizeof(h));
	assert_int_equal(ip_hdr_put(h, AF_INET, s4, d4, IP_PROTO_ESP, 128), 20);
	assert_memory_equal(h, want, 10);          /* up to the checksum */
	assert_memory_equal(h + 12, want + 12, 8);
	assert_int_equal(ip_csum(h, sizeof(h)), 0); /* a correct checksum folds to 0 */
}

static void test_ipv6(void **state)
{
	uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, d6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	uint8_t h[40];

	(void)state;
	memset(h, 0xee, sizeof(h));
	assert_int_equal(ip_hdr_put(h, AF_INET6, s6, d6, IP_PROTO_UDP, 0x1234), 40);
	assert_memory_equal(h, "\x60\x00\x00\x00\x12\x34\x11\x40", 8);
	assert_memory_equal(h + 8, s6, 16);
	assert_memory_equal(h + 24, d6, 16);
}

static void test_limits(void **state)
{
	uint8_t h[40];

	(void)state;
	assert_int_equal(ip_hdr_size(AF_INET, 0xffff - 20), 20);
	assert_int_equal(ip_hdr_size(AF_INET, 0xffff - 19), 0);   /* total length overflows */
	assert_int_equal(ip_hdr_size(AF_INET6, 0xffff), 40);
	assert_int_equal(ip_hdr_size(AF_INET6, 0x10000), 0);      /* no jumbograms */
	assert_int_equal(ip_hdr_size(AF_UNIX, 10), 0);
	memset(h, 0xee, sizeof(h));
	assert_int_equal(ip_hdr_put(h, AF_INET, s4, d4, IP_PROTO_ESP, 0x10000), 0);
	assert_int_equal(h[0], 0xee);                            /* nothing written */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
