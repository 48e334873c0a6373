/* The Configuration payload codec (RFC 7296 3.15, src/ike/ike_cp.c):
 * a CFG_REPLY as bytes decoded and encoded again byte for byte, a
 * CFG_REQUEST's empty attributes, and malformed bodies refused (run
 * under ASan: no read past the body). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ike/ike_cp.h"
#include "ike/ike_msg.h"
#include "ike/ike_proto.h"

/* CFG_REPLY: 10.3.0.1, DNS 10.1.0.53, subnet 10.1.0.0/24, fd00::1/128 */
static const uint8_t reply[] = {
	0x02, 0, 0, 0,
	0x00, 0x01, 0x00, 0x04, 10, 3, 0, 1,
	0x00, 0x0f, 0x00, 0x11, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 128,
	0x00, 0x03, 0x00, 0x04, 10, 1, 0, 53,
	0x00, 0x0d, 0x00, 0x08, 10, 1, 0, 0, 255, 255, 255, 0,
};

static void test_reply(void **state)
{
	struct ike_cp cp;
	struct ike_hdr h = { 0 };
	struct ike_mb mb;
	char buf[256];

	assert_int_equal(ike_cp_parse(reply, sizeof(reply), &cp), 0);
	assert_int_equal(cp.type, IKE_CFG_REPLY);
	assert_int_equal(cp.naddrs, 1);
	assert_int_equal(cp.ndns, 1);
	assert_int_equal(cp.nsubnets, 2);
	assert_int_equal(cp.subnets[0].len, 128);   /* the IPv6 subnet came first */
	assert_int_equal(cp.subnets[1].len, 24);
	assert_string_equal(ike_cp_fmt(&cp, buf, sizeof(buf)),
	                    "10.3.0.1 dns 10.1.0.53 subnet fd00::1/128 subnet 10.1.0.0/24");
	/* encoded: values in the order address, DNS, NBNS, subnets */
	ike_mb_init(&mb, &h);
	ike_cp_put(&mb, &cp);
	assert_false(mb.oom);
	assert_int_equal(mb.len, IKE_HDR_LEN + 4 + sizeof(reply));
	assert_int_equal(mb.p[16], IKE_PLD_CP);
	assert_memory_equal(mb.p + IKE_HDR_LEN + 4, reply, 12);
	struct ike_cp again;
	assert_int_equal(ike_cp_parse(mb.p + IKE_HDR_LEN + 4, mb.len - IKE_HDR_LEN - 4, &again), 0);
	assert_memory_equal(&again.subnets, &cp.subnets, sizeof(cp.subnets));
	ike_mb_free(&mb);
}

static void test_request(void **state)
{
	struct ike_cp cp = { .type = IKE_CFG_REQUEST }, got;
	struct ike_hdr h = { 0 };
	struct ike_mb mb;
	static const uint8_t want[] = {
		0x01, 0, 0, 0,
		0x00, 0x01, 0, 0,   /* INTERNAL_IP4_ADDRESS */
		0x00, 0x08, 0, 0,   /* INTERNAL_IP6_ADDRESS */
		0x00, 0x03, 0, 0,   /* INTERNAL_IP4_DNS */
	};

	cp.ask_addr[0] = cp.ask_addr[1] = 1;
	cp.ask_dns[0] = 1;
	ike_mb_init(&mb, &h);
	ike_cp_put(&mb, &cp);
	assert_int_equal(mb.len, IKE_HDR_LEN + 4 + sizeof(want));
	assert_memory_equal(mb.p + IKE_HDR_LEN + 4, want, sizeof(want));
	assert_int_equal(ike_cp_parse(want, sizeof(want), &got), 0);
	assert_int_equal(got.ask_addr[0], 1);
	assert_int_equal(got.ask_addr[1], 1);
	assert_int_equal(got.ask_dns[0], 1);
	assert_int_equal(got.naddrs, 0);
	ike_mb_free(&mb);
}

static void test_malformed(void **state)
{
	struct ike_cp cp;
	uint8_t b[512];

	assert_int_equal(ike_cp_parse(reply, 3, &cp), -EBADMSG);         /* no header */
	assert_int_equal(ike_cp_parse(reply, 6, &cp), -EBADMSG);         /* half an attribute */
	assert_int_equal(ike_cp_parse(reply, 10, &cp), -EBADMSG);        /* value overruns */
	memcpy(b, reply, sizeof(reply));
	b[7] = 3;                                                         /* IP4 address of 3 */
	assert_int_equal(ike_cp_parse(b, sizeof(reply), &cp), -EBADMSG);
	memcpy(b, reply, sizeof(reply));
	b[32] = 129;                                                      /* /129 */
	assert_int_equal(ike_cp_parse(b, sizeof(reply), &cp), -EBADMSG);
	memcpy(b, reply, sizeof(reply));
	b[sizeof(reply) - 2] = 0x0f;                                      /* mask 255.255.15.0 */
	assert_int_equal(ike_cp_parse(b, sizeof(reply), &cp), -EBADMSG);
	/* absurd length: 0xffff */
	memcpy(b, reply, sizeof(reply));
	b[6] = b[7] = 0xff;
	assert_int_equal(ike_cp_parse(b, sizeof(reply), &cp), -EBADMSG);
	/* 65 empty attributes: too many; 64 are fine */
	memset(b, 0, sizeof(b));
	b[0] = IKE_CFG_REQUEST;
	for (int i = 0; i < 65; i++)
		b[4 + 4 * i + 1] = IKE_CPA_APPLICATION_VERSION;
	assert_int_equal(ike_cp_parse(b, 4 + 4 * 64, &cp), 0);
	assert_int_equal(cp.nskipped, 64);
	assert_int_equal(ike_cp_parse(b, 4 + 4 * 65, &cp), -EBADMSG);
	/* unknown types with any length are skipped, the R bit ignored */
	uint8_t u[] = { 2, 0, 0, 0, 0xff, 0x00, 0, 2, 1, 2, 0x80, 0x01, 0, 4, 10, 3, 0, 7 };
	assert_int_equal(ike_cp_parse(u, sizeof(u), &cp), 0);
	assert_int_equal(cp.nskipped, 1);
	assert_int_equal(cp.naddrs, 1);
	/* more DNS servers than kept: counted, not an error */
	memset(b, 0, sizeof(b));
	b[0] = IKE_CFG_REPLY;
	for (int i = 0; i < 10; i++) {
		uint8_t *a = b + 4 + 8 * i;
		a[1] = IKE_CPA_INTERNAL_IP4_DNS;
		a[3] = 4;
		a[4] = 10;
		a[7] = (uint8_t)i;
	}
	assert_int_equal(ike_cp_parse(b, 4 + 80, &cp), 0);
	assert_int_equal(cp.ndns, IKE_CP_LIST_MAX);
	assert_int_equal(cp.nskipped, 10 - IKE_CP_LIST_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
