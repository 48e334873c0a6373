/* MOBIKE (RFC 4555) between two IKE instances in one process (ike_pair.h):
 * A, the initiator, changes its address and moves its IKE SA and CHILD
 * SA with UPDATE_SA_ADDRESSES; B follows in place. No rekeying: the SPIs
 * and the ESP states (keys, sequence numbers) stay, only their addresses
 * change. mobike = no on either end: nothing is announced, nothing moves.
 * Bad input: UPDATE_SA_ADDRESSES where MOBIKE was not negotiated, from
 * the original responder, with malformed NAT detection data or COOKIE2,
 * before authentication: refused and counted. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ike/ike.h"
#include "ike/ike_child.h"
#include "ike/ike_ctx.h"
#include "ike/ike_msg.h"
#include "ike/ike_proto.h"
#include "ike/ike_sa.h"
#include "util/bytes.h"
#include "xfrm/sad.h"

#include "ike_pair.h"

#define IKE_P "aes256gcm16-prfsha256-x25519"
#define ESP_P "aes128gcm16"

static void deliver_all(void)
{
	for (int i = 0; i < 100 && deliver(false); i++)
		;
	assert_int_equal(net_n, 0);
}

/* Reload p's connection with mobike on or off. */
static void set_mobike(struct peer *p, bool on)
{
	char err[256];

	p->cfg.no_mobike = !on;
	assert_int_equal(ike_conn_add(p->ike, &p->cfg, err, sizeof(err)), 0);
}

/* Up with mobike on A (as given) and B (as given). */
static void up(bool a_on, bool b_on)
{
	peers_up(IKE_P, ESP_P, IKE_P, ESP_P, NULL, NULL);
	set_mobike(&A, a_on);
	set_mobike(&B, b_on);
	assert_true(pair_establish());
}

static const struct ike_child_sa *child_of(struct peer *p)
{
	struct ike_sa *sa = pair_sa(p, NULL);

	assert_non_null(sa);
	assert_non_null(sa->children);
	return sa->children;
}

/* A's address changes from 192.0.2.1 to 192.0.2.11 (the routing now
 * picks the new one, the old is gone: what reaches it is lost). */
static void a_moves(const char *to)
{
	A.addr = pair_ip(to);
}

/* The state (daddr, spi) exists in p's SAD. */
static bool state_at(struct peer *p, const char *daddr, uint32_t spi)
{
	struct ip_addr d = pair_ip(daddr);

	return sad_lookup(p->sad, &d, spi, IPPROTO_ESP_) != NULL;
}

/* RFC 4555 3.5: the client moves; both ends keep the IKE SA and the CHILD
 * SA (same SPIs), their states now at the new address. */
static void test_move(void **state)
{
	up(true, true);
	struct ike_sa *sa_a = pair_sa(&A, NULL), *sa_b = pair_sa(&B, NULL);
	assert_true(sa_a->mobike);
	assert_true(sa_b->mobike);
	uint64_t spi_i = sa_a->spi_i, spi_r = sa_a->spi_r;
	uint32_t a_in = child_of(&A)->spi_in, a_out = child_of(&A)->spi_out;
	unsigned est_a = (unsigned)ike_ctx_stats(A.ike)->child_established;

	a_moves("192.0.2.11");
	ike_roam(A.ike);
	assert_int_equal(net_n, 1);   /* the UPDATE_SA_ADDRESSES request */
	assert_true(ip_addr_equal(&net[0].from.addr, &A.addr));
	deliver_all();

	sa_a = pair_sa(&A, NULL);
	sa_b = pair_sa(&B, NULL);
	assert_true(sa_a->spi_i == spi_i && sa_a->spi_r == spi_r);
	assert_true(ip_addr_equal(&sa_a->local.addr, &A.addr));
	assert_true(ip_addr_equal(&sa_b->remote.addr, &A.addr));
	assert_int_equal(child_of(&A)->spi_in, a_in);
	assert_int_equal(child_of(&A)->spi_out, a_out);
	assert_true(ip_addr_equal(&child_of(&B)->remote.addr, &A.addr));
	/* the states themselves moved: A's inbound is now for 192.0.2.11, B's
	 * outbound too; nothing is left at the old address */
	assert_true(state_at(&A, "192.0.2.11", a_in));
	assert_false(state_at(&A, "192.0.2.1", a_in));
	assert_int_equal(child_of(&B)->spi_out, a_in);
	assert_true(state_at(&B, "192.0.2.11", a_in));
	assert_false(state_at(&B, "192.0.2.1", a_in));
	assert_true(state_at(&B, "192.0.2.2", child_of(&B)->spi_in));
	assert_null(pair_consistent(&A));
	assert_null(pair_consistent(&B));
	/* no rekeying, nothing ended */
	assert_int_equal(ike_ctx_stats(A.ike)->child_established, est_a);
	assert_int_equal(A.nends + B.nends + A.nchild_ends + B.nchild_ends, 0);
	assert_int_equal(ike_ctx_stats(A.ike)->mobike_moves, 1);
	assert_int_equal(ike_ctx_stats(B.ike)->mobike_moves, 1);
	assert_int_equal(ike_ctx_stats(A.ike)->mobike_child_moves, 1);
	assert_int_equal(ike_ctx_stats(B.ike)->mobike_child_moves, 1);
	assert_int_equal(ike_ctx_stats(B.ike)->mobike_refused, 0);

	/* an event that changes nothing sends nothing */
	ike_roam(A.ike);
	assert_int_equal(net_n, 0);
	/* the SA still works: a liveness check from B reaches A there */
	assert_string_equal(ike_conn_state(A.ike, "gw"), "ESTABLISHED");
	assert_string_equal(ike_conn_state(B.ike, "gw"), "ESTABLISHED");
}

/* mobike = no on either end: MOBIKE is not negotiated, an address change
 * sends nothing. */
static void test_mobike_no(void **state)
{
	for (int k = 0; k < 2; k++) {
		up(k != 0, k == 0);
		assert_false(pair_sa(&A, NULL)->mobike);
		assert_false(pair_sa(&B, NULL)->mobike);
		a_moves("192.0.2.11");
		ike_roam(A.ike);
		assert_int_equal(net_n, 0);
		assert_int_equal(ike_ctx_stats(A.ike)->mobike_moves, 0);
		pair_down();
	}
}

/* A notify payload (no SPI) of type with data[0, dlen) at chain + off,
 * its Next Payload next. The new offset. */
static size_t notify_at(uint8_t *chain, size_t off, uint8_t next, uint16_t type,
                        const uint8_t *data, size_t dlen)
{
	uint8_t *p = chain + off;

	p[0] = next;
	p[1] = 0;
	put_be16(p + 2, (uint16_t)(8 + dlen));
	p[4] = 0;   /* protocol */
	p[5] = 0;   /* SPI size */
	put_be16(p + 6, type);
	if (dlen)
		memcpy(p + 8, data, dlen);
	return off + 8 + dlen;
}

/* An INFORMATIONAL UPDATE_SA_ADDRESSES from sender on the newest SA, with
 * NAT detection data of natd_len bytes (0: none) and a COOKIE2 of
 * cookie_len bytes (0: none), from address from. */
static int force_msgid = -1;   /* >= 0: use this message ID instead */

static void send_update(struct peer *sender, const char *from, size_t natd_len,
                        size_t cookie_len)
{
	struct ike_sa *sa = pair_sa(sender, NULL);
	uint8_t chain[512], natd[64], cookie[80];
	size_t off = 0;
	uint8_t n2 = natd_len ? IKE_PLD_NOTIFY : cookie_len ? IKE_PLD_NOTIFY : 0;
	struct ike_hdr h = { .spi_i = sa->spi_i, .spi_r = sa->spi_r, .exchange = INFORMATIONAL,
	                     .msgid = force_msgid >= 0 ? (uint32_t)force_msgid :
	                                                 pair_take_msgid(sa),
	                     .flags = sa->initiator ? IKE_FLAG_INITIATOR : 0 };
	struct pkt_q q;

	memset(natd, 0x33, sizeof(natd));
	memset(cookie, 0x44, sizeof(cookie));
	off = notify_at(chain, off, n2, IKE_N_UPDATE_SA_ADDRESSES, NULL, 0);
	if (natd_len) {
		off = notify_at(chain, off, IKE_PLD_NOTIFY, IKE_N_NAT_DETECTION_SOURCE_IP, natd,
		                natd_len);
		off = notify_at(chain, off, cookie_len ? IKE_PLD_NOTIFY : 0,
		                IKE_N_NAT_DETECTION_DESTINATION_IP, natd, natd_len);
	}
	if (cookie_len)
		off = notify_at(chain, off, 0, IKE_N_COOKIE2, cookie, cookie_len);
	memset(&q, 0, sizeof(q));
	q.len = 1;
	q.from.addr = pair_ip(from);
	q.from.port = sa->local.port;
	q.to = sa->remote;
	assert_int_equal(pair_seal(sender, &h, IKE_PLD_NOTIFY, chain, off, &q), 0);
	pair_inject(&q);
}

/* Bad input on B, the responder: each refused, counted, nothing moved,
 * the IKE SA stays up. */
static void test_refused(void **state)
{
	/* MOBIKE not negotiated (mobike = no on B) */
	up(true, false);
	send_update(&A, "192.0.2.1", 20, 0);
	assert_int_equal(ike_ctx_stats(B.ike)->mobike_refused, 1);
	assert_int_equal(ike_ctx_stats(B.ike)->mobike_moves, 0);
	deliver_all();   /* the (empty) answer */
	pair_down();

	up(true, true);
	struct ike_sa *sb = pair_sa(&B, NULL);
	struct ike_endpoint before = sb->remote;
	/* NAT detection data of the wrong length: INVALID_SYNTAX */
	send_update(&A, "192.0.2.1", 7, 0);
	assert_int_equal(ike_ctx_stats(B.ike)->mobike_refused, 1);
	assert_int_equal(net_n, 1);
	deliver_all();
	/* none at all */
	send_update(&A, "192.0.2.1", 0, 0);
	assert_int_equal(ike_ctx_stats(B.ike)->mobike_refused, 2);
	deliver_all();
	/* a COOKIE2 of 4 octets (8 to 64) and one of 65 */
	send_update(&A, "192.0.2.1", 20, 4);
	send_update(&A, "192.0.2.1", 20, 65);
	assert_int_equal(ike_ctx_stats(B.ike)->mobike_refused, 4);
	deliver_all();
	/* from the original responder (B asks A to move): refused by A */
	send_update(&B, "192.0.2.2", 20, 0);
	assert_int_equal(ike_ctx_stats(A.ike)->mobike_refused, 1);
	deliver_all();
	sb = pair_sa(&B, NULL);
	assert_true(ip_addr_equal(&sb->remote.addr, &before.addr));
	assert_int_equal(sb->remote.port, before.port);
	assert_int_equal(ike_ctx_stats(B.ike)->mobike_moves, 0);
	assert_int_equal(ike_ctx_stats(A.ike)->mobike_moves, 0);
	assert_string_equal(ike_conn_state(B.ike, "gw"), "ESTABLISHED");
	assert_string_equal(ike_conn_state(A.ike, "gw"), "ESTABLISHED");

	/* a well-formed one (random NAT detection data: a NAT in between) with
	 * a COOKIE2 of 8 is accepted and the cookie echoed */
	send_update(&A, "192.0.2.1", 20, 8);
	assert_int_equal(ike_ctx_stats(B.ike)->mobike_moves, 1);
	assert_true(pair_sa(&B, NULL)->nat_remote);
	deliver_all();
}

/* UPDATE_SA_ADDRESSES before IKE_AUTH (whoever did IKE_SA_INIT has the
 * keys): dropped unanswered, counted, nothing moved. */
static void test_before_auth(void **state)
{
	peers_up(IKE_P, ESP_P, IKE_P, ESP_P, NULL, NULL);
	assert_int_equal(ike_initiate(A.ike, "net"), 0);
	assert_true(deliver(false));   /* IKE_SA_INIT request to B */
	assert_true(deliver(false));   /* its response to A */
	assert_int_equal(net_n, 1);    /* A's IKE_AUTH request, held back */
	net_n = 0;                     /* lost */
	force_msgid = (int)pair_expected_msgid(pair_sa(&B, NULL));
	send_update(&A, "192.0.2.1", 20, 0);
	force_msgid = -1;
	assert_int_equal(ike_ctx_stats(B.ike)->drop_before_auth, 1);
	assert_int_equal(ike_ctx_stats(B.ike)->mobike_moves, 0);
	assert_int_equal(net_n, 0);
	assert_string_equal(ike_state_name(pair_sa(&B, NULL)->state), "INIT_RESPONDED");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_move, pair_teardown),
		cmocka_unit_test_teardown(test_mobike_no, pair_teardown),
		cmocka_unit_test_teardown(test_refused, pair_teardown),
		cmocka_unit_test_teardown(test_before_auth, pair_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
