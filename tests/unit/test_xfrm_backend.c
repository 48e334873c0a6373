/* The SAD/SPD backend (xfrm/backend_sad.h) behind the backend interface:
 * what a request becomes in the tables, counters, moving a state in place
 * (same destination) and to a new destination (MOBIKE), policies, and the
 * SAD's and SPD's events turned into backend events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "net/addr.h"
#include "xfrm/backend.h"
#include "xfrm/backend_sad.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

static struct ip_addr A(const char *s)
{
	struct ip_addr a;

	assert_int_equal(ip_addr_parse(s, &a), 0);
	return a;
}

static struct sad *sad;
static struct spd *spd;
static struct xfrm_backend *be;

static int setup(void **state)
{
	sad = sad_new(NULL);
	spd = spd_new(NULL);
	be = xfrm_backend_sad_new(sad, spd);
	assert_non_null(be);
	return 0;
}

static int teardown(void **state)
{
	xfrm_backend_sad_free(be);
	spd_free(spd);
	sad_free(sad);
	return 0;
}

static struct xfrm_sa_req req_for(const char *src, const char *dst, uint32_t spi)
{
	struct xfrm_sa_req r;

	memset(&r, 0, sizeof(r));
	r.saddr = A(src);
	r.daddr = A(dst);
	r.spi = spi;
	r.proto = IPPROTO_ESP_;
	r.mode = XFRM_MODE_TUNNEL;
	r.reqid = 7;
	r.esn = true;
	r.replay_window = 128;
	snprintf(r.aead.name, sizeof(r.aead.name), "rfc4106(gcm(aes))");
	r.aead.key_len = 20;
	r.aead.icv_bits = 128;
	memset(r.aead.key, 0x3c, 20);
	r.encap.type = UDP_ENCAP_ESPINUDP_;
	r.encap.sport = 4500;
	r.encap.dport = 4500;
	xfrm_lifetime_cfg_init(&r.lft);
	r.lft.soft_add_expires_seconds = 3600;
	return r;
}

static void test_state(void **state)
{
	struct xfrm_sa_req r = req_for("192.0.2.1", "192.0.2.2", 0xc0000001);
	struct xfrm_sa_id id = { A("192.0.2.2"), 0xc0000001, IPPROTO_ESP_ };
	struct xfrm_sa_counters n;
	uint32_t spi;

	assert_int_equal(xfrm_backend_add_sa(be, &r), 0);
	assert_int_equal(xfrm_backend_add_sa(be, &r), -EEXIST);
	xfrm_sa_req_wipe(&r);
	for (size_t i = 0; i < sizeof(r); i++)
		assert_int_equal(((uint8_t *)&r)[i], 0);

	struct sad_sa *st = sad_lookup(sad, &id.daddr, id.spi, IPPROTO_ESP_);
	assert_non_null(st);
	assert_string_equal(st->aead.name, "rfc4106(gcm(aes))");
	assert_int_equal(st->aead.key[0], 0x3c);
	assert_true(st->flags & SAD_FLAG_ESN);
	assert_int_equal(st->replay.size, 128);
	assert_int_equal(st->reqid, 7);
	assert_int_equal(st->encap.dport, 4500);
	assert_int_equal(st->lft.soft_add_expires_seconds, 3600);

	/* counters as the data path left them */
	st->curlft.bytes = 1000;
	st->curlft.packets = 10;
	assert_int_equal(xfrm_backend_query_sa(be, &id, &n), 0);
	assert_int_equal(n.bytes, 1000);
	assert_int_equal(n.packets, 10);

	/* only ESP; a free SPI in range */
	assert_int_equal(xfrm_backend_alloc_spi(be, &id.daddr, 51, 0x100, 0x1ff, &spi),
	                 -EPROTONOSUPPORT);
	assert_int_equal(xfrm_backend_alloc_spi(be, &id.daddr, IPPROTO_ESP_, 0xc0000001,
	                                        0xc0000002, &spi), 0);
	assert_int_equal(spi, 0xc0000002);

	assert_int_equal(xfrm_backend_del_sa(be, &id), 0);
	assert_int_equal(xfrm_backend_del_sa(be, &id), -ENOENT);
	assert_int_equal(xfrm_backend_query_sa(be, &id, &n), -ENOENT);
	assert_int_equal(n.bytes, 0);
}

/* A NAT mapping changed (new ports), then the peer moved (MOBIKE, a new
 * destination): keys, sequence numbers and counters go along. */
static void test_update(void **state)
{
	struct xfrm_sa_req r = req_for("192.0.2.1", "192.0.2.2", 0xc0000010);
	struct xfrm_sa_update u;
	struct xfrm_sa_counters n;

	assert_int_equal(xfrm_backend_add_sa(be, &r), 0);
	struct sad_sa *st = sad_lookup(sad, &r.daddr, r.spi, IPPROTO_ESP_);
	st->oseq = 41;
	st->curlft.bytes = 500;

	memset(&u, 0, sizeof(u));
	u.id = (struct xfrm_sa_id){ r.daddr, r.spi, IPPROTO_ESP_ };
	u.saddr = r.saddr;
	u.daddr = r.daddr;
	u.encap = r.encap;
	u.encap.dport = 14500;
	assert_int_equal(xfrm_backend_update_sa(be, &u), 0);
	assert_ptr_equal(sad_lookup(sad, &r.daddr, r.spi, IPPROTO_ESP_), st);   /* in place */
	assert_int_equal(st->encap.dport, 14500);
	assert_int_equal(st->oseq, 41);
	assert_int_equal(st->aead.key[0], 0x3c);
	assert_int_equal(st->reqid, 7);
	assert_int_equal(st->lft.soft_add_expires_seconds, 3600);

	u.daddr = A("198.51.100.7");
	u.encap.dport = 4500;
	assert_int_equal(xfrm_backend_update_sa(be, &u), 0);
	assert_null(sad_lookup(sad, &r.daddr, r.spi, IPPROTO_ESP_));
	st = sad_lookup(sad, &u.daddr, r.spi, IPPROTO_ESP_);
	assert_non_null(st);
	assert_int_equal(st->oseq, 41);
	assert_int_equal(st->aead.key[0], 0x3c);
	assert_int_equal(st->encap.dport, 4500);
	assert_true(st->flags & SAD_FLAG_ESN);
	struct xfrm_sa_id moved = { u.daddr, r.spi, IPPROTO_ESP_ };
	assert_int_equal(xfrm_backend_query_sa(be, &moved, &n), 0);
	assert_int_equal(n.bytes, 500);
	assert_int_equal(sad_count(sad), 1);

	/* what is not there cannot move */
	assert_int_equal(xfrm_backend_update_sa(be, &u), -ENOENT);
	xfrm_sa_req_wipe(&r);
}

static void test_policy(void **state)
{
	struct xfrm_policy_req p;
	struct xfrm_flow fl = { 0 };

	memset(&p, 0, sizeof(p));
	p.sel.family = AF_INET;
	p.sel.saddr = A("10.1.0.0");
	p.sel.daddr = A("10.2.0.0");
	p.sel.prefixlen_s = p.sel.prefixlen_d = 24;
	p.dir = XFRM_POLICY_OUT;
	p.action = XFRM_POLICY_ALLOW;
	p.priority = 1952;
	p.has_tmpl = true;
	p.tmpl.saddr = A("192.0.2.1");
	p.tmpl.daddr = A("192.0.2.2");
	p.tmpl.proto = IPPROTO_ESP_;
	p.tmpl.mode = XFRM_MODE_TUNNEL;
	p.tmpl.reqid = 7;
	assert_int_equal(xfrm_backend_add_policy(be, &p), 0);
	assert_int_equal(xfrm_backend_add_policy(be, &p), -EEXIST);
	p.tmpl.reqid = 8;
	assert_int_equal(xfrm_backend_update_policy(be, &p), 0);
	assert_int_equal(spd_count(spd), 1);
	fl.saddr = A("10.1.0.5");
	fl.daddr = A("10.2.0.9");
	struct spd_policy *pol = spd_lookup(spd, XFRM_POLICY_OUT, &fl);
	assert_non_null(pol);
	assert_int_equal(pol->ntmpl, 1);
	assert_int_equal(pol->tmpl[0].reqid, 8);
	assert_int_equal(pol->priority, 1952);
	assert_int_equal(xfrm_backend_del_policy(be, &p.sel, XFRM_POLICY_OUT), 0);
	assert_int_equal(xfrm_backend_del_policy(be, &p.sel, XFRM_POLICY_OUT), -ENOENT);
}

static struct {
	unsigned acquires, expires;
	uint32_t reqid;
	struct xfrm_selector sel;
	struct xfrm_sa_id id;
	bool hard;
} seen;

static void on_acquire(void *ctx, uint32_t reqid, const struct xfrm_selector *sel)
{
	seen.acquires++;
	seen.reqid = reqid;
	seen.sel = *sel;
}

static void on_expire(void *ctx, const struct xfrm_sa_id *id, bool hard)
{
	seen.expires++;
	seen.id = *id;
	seen.hard = hard;
}

/* The tables' events reach the one listener, as backend events. */
static void test_events(void **state)
{
	struct xfrm_backend_events ev = { .acquire = on_acquire, .expire = on_expire };
	struct spd_policy pol;
	struct xfrm_tmpl t = { .proto = IPPROTO_ESP_, .reqid = 9 };
	struct xfrm_flow fl = { .proto = 6, .sport = 40000, .dport = 443 };
	struct sad_sa st;

	memset(&seen, 0, sizeof(seen));
	memset(&pol, 0, sizeof(pol));
	fl.saddr = A("10.1.0.5");
	fl.daddr = A("10.2.0.9");
	xfrm_backend_sad_acquire(be, &pol, &t, &fl);   /* nobody listens yet */
	assert_int_equal(seen.acquires, 0);
	xfrm_backend_listen(be, &ev);
	xfrm_backend_sad_acquire(be, &pol, &t, &fl);
	assert_int_equal(seen.acquires, 1);
	assert_int_equal(seen.reqid, 9);
	assert_true(ip_addr_equal(&seen.sel.saddr, &fl.saddr));
	assert_int_equal(seen.sel.prefixlen_s, 32);
	assert_int_equal(seen.sel.prefixlen_d, 32);
	assert_int_equal(seen.sel.proto, 6);
	assert_int_equal(seen.sel.dport, 443);
	assert_int_equal(seen.sel.dport_mask, 0xffff);
	xfrm_backend_sad_acquire(be, &pol, NULL, &fl);   /* no template: no reqid */
	assert_int_equal(seen.acquires, 1);

	memset(&st, 0, sizeof(st));
	st.daddr = A("192.0.2.2");
	st.spi = 0xc0000020;
	st.proto = IPPROTO_ESP_;
	xfrm_backend_sad_expire(be, &st, true);
	assert_int_equal(seen.expires, 1);
	assert_int_equal(seen.id.spi, 0xc0000020);
	assert_true(ip_addr_equal(&seen.id.daddr, &st.daddr));
	assert_true(seen.hard);
	xfrm_backend_listen(be, NULL);
	xfrm_backend_sad_expire(be, &st, false);
	assert_int_equal(seen.expires, 1);
}

/* No backend: every operation says so. */
static void test_none(void **state)
{
	struct xfrm_sa_req r = req_for("192.0.2.1", "192.0.2.2", 0xc0000030);
	struct xfrm_sa_counters n = { 1, 1, 1 };
	struct xfrm_sa_id id = { r.daddr, r.spi, IPPROTO_ESP_ };

	assert_int_equal(xfrm_backend_add_sa(NULL, &r), -ENODEV);
	assert_int_equal(xfrm_backend_query_sa(NULL, &id, &n), -ENODEV);
	assert_int_equal(n.bytes + n.packets + n.use_time, 0);
	xfrm_sa_req_wipe(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test(test_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
