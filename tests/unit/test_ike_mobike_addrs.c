/* RFC 4555 3.6 address lists (src/ike/ike_mobike.c): what
 * ike_mobike_addrs_put writes, ike_mobike_addrs_parse reads back; the
 * current address is left out; NO_ADDITIONAL_ADDRESSES when there is
 * nothing else; malformed and surplus addresses are counted drops; a list
 * that contradicts itself is refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "ike/ike_mobike.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_proto.h"

static const struct ike_hdr hdr = { .spi_i = 1, .spi_r = 2, .exchange = INFORMATIONAL,
                                    .flags = IKE_FLAG_INITIATOR };

static struct ip_addr A(const char *s)
{
	struct ip_addr a;

	assert_int_equal(ip_addr_parse(s, &a), 0);
	return a;
}

/* msg: the message mb holds, finished and parsed (mb is freed by the caller) */
static void finish(struct ike_mb *mb, struct ike_msg *m)
{
	assert_int_equal(ike_mb_finish(mb, NULL), 0);
	assert_int_equal(ike_msg_parse(mb->p, mb->len, m), 0);
}

static void test_roundtrip(void **state)
{
	struct ip_addr ours[3] = { A("192.0.2.1"), A("198.51.100.7"), A("2001:db8::5") };
	struct ike_mobike_addrs got;
	struct ike_mb mb;
	struct ike_msg m;

	ike_mb_init(&mb, &hdr);
	ike_mobike_addrs_put(&mb, ours, 3, &ours[0]);
	finish(&mb, &m);
	assert_int_equal(ike_mobike_addrs_parse(&m, &got), 0);
	assert_true(got.present);
	assert_false(got.none);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.dropped, 0);
	assert_true(ip_addr_equal(&got.addr[0], &ours[1]));
	assert_true(ip_addr_equal(&got.addr[1], &ours[2]));
	ike_msg_clear(&m);
	ike_mb_free(&mb);
}

static void test_none(void **state)
{
	struct ip_addr ours = A("192.0.2.1");
	struct ike_mobike_addrs got;
	struct ike_mb mb;
	struct ike_msg m;

	/* our only address is the one in use: NO_ADDITIONAL_ADDRESSES */
	ike_mb_init(&mb, &hdr);
	ike_mobike_addrs_put(&mb, &ours, 1, &ours);
	finish(&mb, &m);
	assert_non_null(ike_msg_find_notify(&m, IKE_N_NO_ADDITIONAL_ADDRESSES));
	assert_int_equal(ike_mobike_addrs_parse(&m, &got), 0);
	assert_true(got.present);
	assert_true(got.none);
	assert_int_equal(got.n, 0);
	ike_msg_clear(&m);
	ike_mb_free(&mb);

	/* nothing at all: not present */
	ike_mb_init(&mb, &hdr);
	ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_UPDATE_SA_ADDRESSES, NULL, 0);
	finish(&mb, &m);
	assert_int_equal(ike_mobike_addrs_parse(&m, &got), 0);
	assert_false(got.present);
	ike_msg_clear(&m);
	ike_mb_free(&mb);
}

static void test_malformed(void **state)
{
	static const uint8_t three[3] = { 10, 0, 0 }, zero4[4] = { 0 }, v6[16] = { 0x20, 1, 0xd };
	struct ike_mobike_addrs got;
	struct ike_mb mb;
	struct ike_msg m;
	uint8_t v4[4] = { 10, 0, 0, 0 };

	/* wrong length, unspecified, a duplicate, and more than the bound */
	ike_mb_init(&mb, &hdr);
	ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_ADDITIONAL_IP4_ADDRESS, three, 3);
	ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_ADDITIONAL_IP4_ADDRESS, zero4, 4);
	ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_ADDITIONAL_IP6_ADDRESS, v4, 4);
	ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_ADDITIONAL_IP6_ADDRESS, v6, 16);
	ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_ADDITIONAL_IP6_ADDRESS, v6, 16);
	for (unsigned i = 1; i <= IKE_MOBIKE_ADDRS_MAX + 2; i++) {
		v4[3] = (uint8_t)i;
		ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_ADDITIONAL_IP4_ADDRESS, v4, 4);
	}
	finish(&mb, &m);
	assert_int_equal(ike_mobike_addrs_parse(&m, &got), 0);
	assert_int_equal(got.n, IKE_MOBIKE_ADDRS_MAX);
	/* 3 malformed + (MAX + 2 + 1 distinct) - MAX over the bound */
	assert_int_equal(got.dropped, 3 + 3);
	assert_int_equal(got.addr[0].family, AF_INET6);
	ike_msg_clear(&m);
	ike_mb_free(&mb);

	/* NO_ADDITIONAL_ADDRESSES and an address: refused */
	ike_mb_init(&mb, &hdr);
	ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_NO_ADDITIONAL_ADDRESSES, NULL, 0);
	ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_ADDITIONAL_IP4_ADDRESS, v4, 4);
	finish(&mb, &m);
	assert_int_equal(ike_mobike_addrs_parse(&m, &got), -EINVAL);
	assert_int_equal(got.n, 0);
	ike_msg_clear(&m);
	ike_mb_free(&mb);

	/* NO_ADDITIONAL_ADDRESSES with data: refused */
	ike_mb_init(&mb, &hdr);
	ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_NO_ADDITIONAL_ADDRESSES, v4, 4);
	finish(&mb, &m);
	assert_int_equal(ike_mobike_addrs_parse(&m, &got), -EINVAL);
	ike_msg_clear(&m);
	ike_mb_free(&mb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
