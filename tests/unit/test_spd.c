/* SPD: selector matching by table, the verbs (add/get/update/del/flush,
 * indexes, events, walk order), and a differential test of spd_lookup
 * against a naive linear scan on random policies and flows (the approach of
 * WireGuard's selftest/allowedips.c). */
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
#include "xfrm/events.h"
#include "xfrm/spd.h"

static struct ip_addr A(const char *s)
{
	struct ip_addr a;
	assert_int_equal(ip_addr_parse(s, &a), 0);
	return a;
}

static struct xfrm_selector SEL(const char *src, const char *dst)
{
	struct xfrm_selector sel;

	memset(&sel, 0, sizeof(sel));
	if (src) {
		assert_int_equal(ip_prefix_parse(src, &sel.saddr, &sel.prefixlen_s), 0);
		assert_int_equal(ip_prefix_parse(dst, &sel.daddr, &sel.prefixlen_d), 0);
		sel.family = sel.daddr.family;
	}
	return sel;
}

static struct xfrm_flow FLOW(const char *src, const char *dst, uint8_t proto,
                             uint16_t sport, uint16_t dport)
{
	struct xfrm_flow fl = { .saddr = A(src), .daddr = A(dst), .proto = proto,
	                        .sport = sport, .dport = dport };
	return fl;
}

static struct spd_policy POL(const char *src, const char *dst, uint8_t dir, uint32_t prio)
{
	struct spd_policy p;

	memset(&p, 0, sizeof(p));
	p.sel = SEL(src, dst);
	p.dir = dir;
	p.priority = prio;
	xfrm_lifetime_cfg_init(&p.lft);
	return p;
}

/* ---- selector matching: a numbered table ------------------------------- */

struct match_row {
	const char *ssrc, *sdst;     /* selector prefixes (NULL: family 0) */
	uint8_t proto;
	uint16_t sport, sport_mask, dport, dport_mask;
	const char *fsrc, *fdst;     /* flow */
	uint8_t fproto;
	uint16_t fsport, fdport;
	bool match;
};

static const struct match_row match_rows[] = {
	/* 0 */ { "10.1.0.0/24", "10.2.0.0/24", 0, 0, 0, 0, 0, "10.1.0.5", "10.2.0.9", 6, 1, 2, true },
	{ "10.1.0.0/24", "10.2.0.0/24", 0, 0, 0, 0, 0, "10.1.1.5", "10.2.0.9", 6, 1, 2, false },
	{ "10.1.0.0/24", "10.2.0.0/24", 0, 0, 0, 0, 0, "10.1.0.5", "10.2.1.9", 6, 1, 2, false },
	{ "10.1.0.0/24", "10.2.0.0/24", 0, 0, 0, 0, 0, "10.2.0.9", "10.1.0.5", 6, 1, 2, false },
	{ "0.0.0.0/0", "0.0.0.0/0", 0, 0, 0, 0, 0, "192.0.2.1", "198.51.100.7", 17, 0, 0, true },
	/* 5: address family must agree */
	{ "0.0.0.0/0", "0.0.0.0/0", 0, 0, 0, 0, 0, "2001:db8::1", "2001:db8::2", 6, 0, 0, false },
	{ "::/0", "::/0", 0, 0, 0, 0, 0, "2001:db8::1", "2001:db8::2", 6, 0, 0, true },
	{ "::/0", "::/0", 0, 0, 0, 0, 0, "10.0.0.1", "10.0.0.2", 6, 0, 0, false },
	{ NULL, NULL, 0, 0, 0, 0, 0, "10.0.0.1", "10.0.0.2", 6, 0, 0, true },
	{ NULL, NULL, 0, 0, 0, 0, 0, "2001:db8::1", "2001:db8::2", 6, 0, 0, true },
	/* 10: prefix edges */
	{ "10.1.2.3/32", "10.2.0.0/31", 0, 0, 0, 0, 0, "10.1.2.3", "10.2.0.1", 0, 0, 0, true },
	{ "10.1.2.3/32", "10.2.0.0/31", 0, 0, 0, 0, 0, "10.1.2.3", "10.2.0.2", 0, 0, 0, false },
	{ "10.1.2.3/32", "10.2.0.0/31", 0, 0, 0, 0, 0, "10.1.2.2", "10.2.0.0", 0, 0, 0, false },
	{ "10.128.0.0/9", "0.0.0.0/1", 0, 0, 0, 0, 0, "10.200.0.1", "127.0.0.1", 0, 0, 0, true },
	{ "10.128.0.0/9", "0.0.0.0/1", 0, 0, 0, 0, 0, "10.127.0.1", "127.0.0.1", 0, 0, 0, false },
	/* 15 */ { "10.128.0.0/9", "0.0.0.0/1", 0, 0, 0, 0, 0, "10.200.0.1", "128.0.0.1", 0, 0, 0, false },
	{ "2001:db8:1::/48", "2001:db8:2::7/128", 0, 0, 0, 0, 0, "2001:db8:1:ffff::1", "2001:db8:2::7", 58, 0, 0, true },
	{ "2001:db8:1::/48", "2001:db8:2::7/128", 0, 0, 0, 0, 0, "2001:db8:1:ffff::1", "2001:db8:2::6", 58, 0, 0, false },
	{ "2001:db8:1::/47", "::/0", 0, 0, 0, 0, 0, "2001:db8:0::1", "::1", 58, 0, 0, true },
	{ "2001:db8:1::/47", "::/0", 0, 0, 0, 0, 0, "2001:db8:2::1", "::1", 58, 0, 0, false },
	/* 20: proto and ports */
	{ "0.0.0.0/0", "0.0.0.0/0", 6, 0, 0, 0, 0, "1.1.1.1", "2.2.2.2", 6, 5, 6, true },
	{ "0.0.0.0/0", "0.0.0.0/0", 6, 0, 0, 0, 0, "1.1.1.1", "2.2.2.2", 17, 5, 6, false },
	{ "0.0.0.0/0", "0.0.0.0/0", 6, 0, 0, 443, 0xffff, "1.1.1.1", "2.2.2.2", 6, 5, 443, true },
	{ "0.0.0.0/0", "0.0.0.0/0", 6, 0, 0, 443, 0xffff, "1.1.1.1", "2.2.2.2", 6, 443, 444, false },
	{ "0.0.0.0/0", "0.0.0.0/0", 17, 500, 0xffff, 0, 0, "1.1.1.1", "2.2.2.2", 17, 500, 9, true },
	/* 25 */ { "0.0.0.0/0", "0.0.0.0/0", 17, 500, 0xffff, 0, 0, "1.1.1.1", "2.2.2.2", 17, 501, 9, false },
	{ "0.0.0.0/0", "0.0.0.0/0", 6, 0x1000, 0xf000, 0, 0, "1.1.1.1", "2.2.2.2", 6, 0x1abc, 0, true },
	{ "0.0.0.0/0", "0.0.0.0/0", 6, 0x1000, 0xf000, 0, 0, "1.1.1.1", "2.2.2.2", 6, 0x2abc, 0, false },
	/* ports without a protocol: any protocol with those "ports" */
	{ "0.0.0.0/0", "0.0.0.0/0", 0, 0, 0, 53, 0xffff, "1.1.1.1", "2.2.2.2", 17, 9, 53, true },
	/* ICMP: type in sport, code in dport, as Linux */
	{ "0.0.0.0/0", "0.0.0.0/0", 1, 8, 0xffff, 0, 0, "1.1.1.1", "2.2.2.2", 1, 8, 0, true },
	/* 30 */ { "0.0.0.0/0", "0.0.0.0/0", 1, 8, 0xffff, 0, 0, "1.1.1.1", "2.2.2.2", 1, 0, 0, false },
	{ "0.0.0.0/0", "0.0.0.0/0", 1, 3, 0xffff, 4, 0xffff, "1.1.1.1", "2.2.2.2", 1, 3, 4, true },
	{ "0.0.0.0/0", "0.0.0.0/0", 1, 3, 0xffff, 4, 0xffff, "1.1.1.1", "2.2.2.2", 1, 3, 1, false },
	{ "::/0", "::/0", 58, 135, 0xffff, 0, 0, "fe80::1", "ff02::1", 58, 135, 0, true },
	{ "::/0", "::/0", 58, 135, 0xffff, 0, 0, "fe80::1", "ff02::1", 58, 136, 0, false },
};

static void test_selector_match(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(match_rows) / sizeof(match_rows[0]); i++) {
		const struct match_row *r = &match_rows[i];
		struct xfrm_selector sel = SEL(r->ssrc, r->sdst);
		struct xfrm_flow fl = FLOW(r->fsrc, r->fdst, r->fproto, r->fsport, r->fdport);

		sel.proto = r->proto;
		sel.sport = r->sport;
		sel.sport_mask = r->sport_mask;
		sel.dport = r->dport;
		sel.dport_mask = r->dport_mask;
		if (xfrm_selector_match(&sel, &fl) != r->match)
			fail_msg("row %zu: want %s", i, r->match ? "match" : "no match");
		/* A selector whose address families were left unset (a parser
		 * filling only sel.family) matches the same way. */
		sel.daddr.family = sel.saddr.family = 0;
		if (xfrm_selector_match(&sel, &fl) != r->match)
			fail_msg("row %zu (families unset): want %s", i,
			         r->match ? "match" : "no match");
	}
}

static void test_selector_valid(void **state)
{
	struct xfrm_selector sel = SEL("10.0.0.0/8", "10.0.0.0/8");

	(void)state;
	assert_true(xfrm_selector_valid(&sel));
	sel.prefixlen_d = 33;
	assert_false(xfrm_selector_valid(&sel));
	sel = SEL("2001:db8::/32", "::/0");
	sel.prefixlen_s = 128;
	assert_true(xfrm_selector_valid(&sel));
	sel.prefixlen_s = 129;
	assert_false(xfrm_selector_valid(&sel));
	sel = SEL("10.0.0.0/8", "10.0.0.0/8");
	sel.daddr = A("2001:db8::1");
	assert_false(xfrm_selector_valid(&sel));       /* mixed families */
	sel = SEL(NULL, NULL);
	assert_true(xfrm_selector_valid(&sel));
	sel.prefixlen_d = 8;
	assert_false(xfrm_selector_valid(&sel));       /* family 0 with a prefix */
	sel = SEL(NULL, NULL);
	sel.family = 99;
	assert_false(xfrm_selector_valid(&sel));

	sel = SEL("10.1.2.3/16", "10.9.8.7/31");
	sel.dport = 0x1234;
	sel.dport_mask = 0xff00;
	xfrm_selector_normalize(&sel);
	assert_true(ip_addr_equal(&sel.saddr, &(struct ip_addr){ 0 }) == false);
	struct xfrm_selector want = SEL("10.1.0.0/16", "10.9.8.6/31");
	want.dport = 0x1200;
	want.dport_mask = 0xff00;
	assert_true(xfrm_selector_equal(&sel, &want));
}

/* ---- the verbs ---------------------------------------------------------- */

struct ev_count {
	int n[XFRM_EV_POLICY_FLUSH + 1];
	const struct spd_policy *last;
};

static void on_policy(void *ctx, enum xfrm_event_kind kind, const struct spd_policy *pol)
{
	struct ev_count *c = ctx;
	c->n[kind]++;
	c->last = pol;
}

static void test_verbs(void **state)
{
	struct ev_count ev = { 0 };
	struct xfrm_events events = { .ctx = &ev, .policy = on_policy };
	struct spd *spd = spd_new(&events);
	struct spd_policy p, *out = NULL, *got;
	struct xfrm_selector sel;

	(void)state;
	assert_non_null(spd);
	p = POL("10.1.0.0/24", "10.2.0.0/24", XFRM_POLICY_OUT, 100);
	p.ntmpl = 1;
	p.tmpl[0].proto = IPPROTO_ESP_;
	p.tmpl[0].mode = XFRM_MODE_TUNNEL;
	p.tmpl[0].saddr = A("192.0.2.1");
	p.tmpl[0].daddr = A("192.0.2.2");
	p.tmpl[0].reqid = 7;
	assert_int_equal(spd_add(spd, &p, &out), 0);
	assert_non_null(out);
	assert_int_equal(out->index, 1);               /* (0 << 3) | out */
	assert_int_equal(ev.n[XFRM_EV_POLICY_ADD], 1);
	assert_ptr_equal(ev.last, out);
	assert_int_equal(spd_add(spd, &p, NULL), -EEXIST);

	/* the same selector with host bits set is the same policy */
	p.sel = SEL("10.1.0.77/24", "10.2.0.1/24");
	assert_int_equal(spd_add(spd, &p, NULL), -EEXIST);
	/* a different mark is a different policy */
	p.mark = 5;
	p.mark_mask = 0xff;
	assert_int_equal(spd_add(spd, &p, NULL), 0);
	assert_int_equal(spd_count(spd), 2);
	p.mark = p.mark_mask = 0;

	p.dir = XFRM_POLICY_IN;
	assert_int_equal(spd_add(spd, &p, &out), 0);
	assert_int_equal(out->index & 7, XFRM_POLICY_IN);
	p.dir = XFRM_POLICY_FWD;
	assert_int_equal(spd_add(spd, &p, &out), 0);
	assert_int_equal(out->index & 7, XFRM_POLICY_FWD);
	uint32_t fwd_index = out->index;
	assert_ptr_equal(spd_get_index(spd, fwd_index), out);
	assert_int_equal(spd_count(spd), 4);

	sel = SEL("10.1.0.0/24", "10.2.0.0/24");
	got = spd_get(spd, &sel, XFRM_POLICY_OUT);
	assert_non_null(got);
	assert_int_equal(got->priority, 100);
	assert_int_equal(got->tmpl[0].reqid, 7);
	struct xfrm_selector other = SEL("10.1.0.0/25", "10.2.0.0/24");
	assert_null(spd_get(spd, &other, XFRM_POLICY_OUT));

	/* update: replaces in place, keeps index */
	uint32_t out_index = got->index;
	p = POL("10.1.0.0/24", "10.2.0.0/24", XFRM_POLICY_OUT, 50);
	p.action = XFRM_POLICY_BLOCK;
	assert_int_equal(spd_update(spd, &p, &out), 0);
	assert_int_equal(ev.n[XFRM_EV_POLICY_UPDATE], 1);
	assert_int_equal(out->index, out_index);
	assert_int_equal(out->priority, 50);
	assert_int_equal(out->action, XFRM_POLICY_BLOCK);
	assert_int_equal(spd_count(spd), 4);
	/* update of an absent policy adds it */
	p = POL("10.3.0.0/24", "10.4.0.0/24", XFRM_POLICY_OUT, 50);
	assert_int_equal(spd_update(spd, &p, NULL), 0);
	assert_int_equal(ev.n[XFRM_EV_POLICY_ADD], 5);
	assert_int_equal(spd_count(spd), 5);

	/* a user-given index is kept if free and its dir bits fit */
	p = POL("10.5.0.0/24", "10.6.0.0/24", XFRM_POLICY_IN, 1);
	p.index = 800;
	assert_int_equal(spd_add(spd, &p, &out), 0);
	assert_int_equal(out->index, 800);
	p.sel = SEL("10.5.0.0/24", "10.7.0.0/24");
	assert_int_equal(spd_add(spd, &p, &out), 0);        /* taken: generated */
	assert_int_not_equal(out->index, 800);
	assert_int_equal(out->index & 7, XFRM_POLICY_IN);
	p.sel = SEL("10.5.0.0/24", "10.8.0.0/24");
	p.index = 801;                                      /* dir bits say out */
	assert_int_equal(spd_add(spd, &p, NULL), -EINVAL);

	/* delete */
	assert_int_equal(spd_del(spd, &sel, XFRM_POLICY_FWD), 0);
	assert_null(spd_get_index(spd, fwd_index));
	assert_int_equal(spd_del(spd, &sel, XFRM_POLICY_FWD), -ENOENT);
	assert_int_equal(spd_del_index(spd, fwd_index), -ENOENT);
	assert_int_equal(spd_del_index(spd, 800), 0);
	assert_int_equal(ev.n[XFRM_EV_POLICY_DEL], 2);
	assert_int_equal(spd_count(spd), 5);

	/* flush one direction, then all */
	assert_int_equal(spd_flush(spd, XFRM_POLICY_IN), 2);
	assert_int_equal(spd_count(spd), 3);
	assert_int_equal(ev.n[XFRM_EV_POLICY_FLUSH], 1);
	assert_null(ev.last);
	assert_int_equal(spd_flush(spd, XFRM_POLICY_MAX), 3);
	assert_int_equal(spd_count(spd), 0);
	assert_null(spd_lookup(spd, XFRM_POLICY_OUT, &(struct xfrm_flow){
		.saddr = A("10.1.0.1"), .daddr = A("10.2.0.1") }));
	/* usable after a full flush */
	p = POL("10.1.0.0/24", "10.2.0.0/24", XFRM_POLICY_OUT, 100);
	assert_int_equal(spd_add(spd, &p, NULL), 0);
	assert_int_equal(spd_count(spd), 1);
	spd_free(spd);
}

static void test_invalid(void **state)
{
	struct spd *spd = spd_new(NULL);
	struct spd_policy p = POL("10.1.0.0/24", "10.2.0.0/24", XFRM_POLICY_OUT, 1);
	struct spd_policy q;

	(void)state;
	q = p; q.dir = 3;
	assert_int_equal(spd_add(spd, &q, NULL), -EINVAL);
	q = p; q.action = 2;
	assert_int_equal(spd_add(spd, &q, NULL), -EINVAL);
	q = p; q.ntmpl = SPD_MAX_TMPL + 1;
	assert_int_equal(spd_add(spd, &q, NULL), -EINVAL);
	q = p; q.sel.prefixlen_d = 40;
	assert_int_equal(spd_add(spd, &q, NULL), -EINVAL);
	q = p; q.ntmpl = 1; q.tmpl[0].proto = 51;          /* AH */
	assert_int_equal(spd_add(spd, &q, NULL), -EINVAL);
	q = p; q.ntmpl = 1; q.tmpl[0].proto = IPPROTO_ESP_; q.tmpl[0].mode = 4;
	assert_int_equal(spd_add(spd, &q, NULL), -EINVAL);
	q = p; q.ntmpl = 1; q.tmpl[0].saddr = A("192.0.2.1"); q.tmpl[0].daddr = A("2001:db8::1");
	assert_int_equal(spd_add(spd, &q, NULL), -EINVAL);
	assert_int_equal(spd_count(spd), 0);
	assert_null(spd_lookup(spd, 7, &(struct xfrm_flow){ 0 }));
	spd_free(spd);
	spd_free(NULL);
}

/* Linux order: smallest priority wins (not the longest prefix); ties go to
 * the policy added first; an update keeps its place among ties. */
static void test_priority(void **state)
{
	struct spd *spd = spd_new(NULL);
	struct spd_policy p, *wide, *mid, *host, *any, *got;
	struct xfrm_flow fl = FLOW("192.0.2.1", "10.1.2.3", 6, 1000, 22);

	(void)state;
	p = POL("0.0.0.0/0", "10.0.0.0/8", XFRM_POLICY_OUT, 300);
	assert_int_equal(spd_add(spd, &p, &wide), 0);
	p = POL("0.0.0.0/0", "10.1.0.0/16", XFRM_POLICY_OUT, 200);
	assert_int_equal(spd_add(spd, &p, &mid), 0);
	p = POL("192.0.2.1/32", "10.1.2.3/32", XFRM_POLICY_OUT, 100);
	assert_int_equal(spd_add(spd, &p, &host), 0);
	assert_ptr_equal(spd_lookup(spd, XFRM_POLICY_OUT, &fl), host);
	assert_null(spd_lookup(spd, XFRM_POLICY_IN, &fl));
	assert_int_equal(host->hits, 1);

	/* the wide one gets the best priority: it wins despite its prefix */
	p = POL("0.0.0.0/0", "10.0.0.0/8", XFRM_POLICY_OUT, 50);
	assert_int_equal(spd_update(spd, &p, &got), 0);
	assert_ptr_equal(got, wide);
	assert_ptr_equal(spd_lookup(spd, XFRM_POLICY_OUT, &fl), wide);

	/* ties: all at 10, the first added wins, also after updates */
	p = POL("0.0.0.0/0", "10.0.0.0/8", XFRM_POLICY_OUT, 10);
	assert_int_equal(spd_update(spd, &p, NULL), 0);
	p = POL("0.0.0.0/0", "10.1.0.0/16", XFRM_POLICY_OUT, 10);
	assert_int_equal(spd_update(spd, &p, NULL), 0);
	p = POL("192.0.2.1/32", "10.1.2.3/32", XFRM_POLICY_OUT, 10);
	assert_int_equal(spd_update(spd, &p, NULL), 0);
	assert_ptr_equal(spd_lookup(spd, XFRM_POLICY_OUT, &fl), wide);
	assert_int_equal(spd_del(spd, &wide->sel, XFRM_POLICY_OUT), 0);
	assert_ptr_equal(spd_lookup(spd, XFRM_POLICY_OUT, &fl), mid);

	/* a family-0 selector (any address) competes on priority too */
	p = POL(NULL, NULL, XFRM_POLICY_OUT, 10);
	assert_int_equal(spd_add(spd, &p, &any), 0);
	assert_ptr_equal(spd_lookup(spd, XFRM_POLICY_OUT, &fl), mid);
	p.priority = 9;
	assert_int_equal(spd_update(spd, &p, NULL), 0);
	assert_ptr_equal(spd_lookup(spd, XFRM_POLICY_OUT, &fl), any);
	fl = FLOW("2001:db8::1", "2001:db8::2", 17, 1, 2);
	assert_ptr_equal(spd_lookup(spd, XFRM_POLICY_OUT, &fl), any);
	spd_free(spd);
}

static int collect(struct spd_policy *pol, void *arg)
{
	uint32_t **w = arg;
	*(*w)++ = pol->priority;
	return 0;
}

static int stop_at_two(struct spd_policy *pol, void *arg)
{
	int *n = arg;
	return ++*n == 2 ? 42 : 0;
}

static int delete_self(struct spd_policy *pol, void *arg)
{
	return spd_del_index(arg, pol->index);
}

static void test_walk(void **state)
{
	struct spd *spd = spd_new(NULL);
	static const uint32_t prios[] = { 5, 1, 9, 1, 3, 0 };
	uint32_t seen[6], *w = seen;
	int n = 0;
	char buf[32];

	(void)state;
	for (int i = 0; i < 6; i++) {
		snprintf(buf, sizeof(buf), "10.%d.0.0/16", i);
		struct spd_policy p = POL("0.0.0.0/0", buf, (uint8_t)(i % 3), prios[i]);
		assert_int_equal(spd_add(spd, &p, NULL), 0);
	}
	assert_int_equal(spd_walk(spd, collect, &w), 0);
	assert_int_equal(w - seen, 6);
	for (int i = 0; i < 5; i++)
		assert_true(seen[i] <= seen[i + 1]);
	assert_int_equal(spd_walk(spd, stop_at_two, &n), 42);
	assert_int_equal(n, 2);
	assert_int_equal(spd_walk(spd, delete_self, spd), 0);
	assert_int_equal(spd_count(spd), 0);
	spd_free(spd);
}

/* ---- differential: spd_lookup against a linear scan -------------------- */

struct ref_pol {
	struct spd_policy pol;       /* normalized selector, as stored */
	uint64_t seq;
	uint32_t index;
	bool live;
};

#define REF_MAX 6000
static struct ref_pol ref[REF_MAX];
static unsigned nref;
static uint64_t ref_seq;

static uint64_t rs = 0x243f6a8885a308d3ull;
static uint32_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs >> 16);
}
#define PICK(arr) (arr)[rnd() % (sizeof(arr) / sizeof((arr)[0]))]

static void rand_addr(struct ip_addr *a, uint8_t family)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == AF_INET) {
		/* 10.0.0.0/14 with a sparse third and fourth byte: overlaps */
		a->a[0] = 10;
		a->a[1] = (uint8_t)(rnd() % 4);
		a->a[2] = (uint8_t)(rnd() % 4 * 64 + rnd() % 3);
		a->a[3] = (uint8_t)(rnd() % 8 * 32 + rnd() % 4);
	} else {
		a->a[0] = 0x20; a->a[1] = 0x01; a->a[2] = 0x0d; a->a[3] = 0xb8;
		a->a[7] = (uint8_t)(rnd() % 3);
		a->a[8] = (uint8_t)(rnd() % 2 * 0x80);
		a->a[14] = (uint8_t)(rnd() % 3);
		a->a[15] = (uint8_t)(rnd() % 8 * 32 + rnd() % 4);
	}
}

static void rand_policy(struct spd_policy *p)
{
	static const uint8_t plen4[] = { 0, 8, 14, 16, 18, 24, 26, 30, 32, 32, 32, 24, 24, 31 };
	static const uint8_t plen6[] = { 0, 32, 56, 64, 120, 123, 126, 128, 128, 128, 120, 127 };
	static const uint8_t protos[] = { 0, 0, 6, 17, 1, 58 };
	static const uint16_t ports[] = { 0, 22, 53, 443, 8 };
	static const uint16_t masks[] = { 0, 0, 0xffff, 0xff00 };
	static const uint32_t prios[] = { 0, 1, 2, 2, 5, 10, 100, 4000000000u };
	uint32_t f = rnd() % 20;

	memset(p, 0, sizeof(*p));
	p->dir = (uint8_t)(rnd() % 3);
	p->priority = PICK(prios);
	p->action = (uint8_t)(rnd() % 2);
	if (f == 0) {
		p->sel.family = 0;                  /* any address */
	} else if (f < 12) {
		p->sel.family = AF_INET;
		rand_addr(&p->sel.daddr, AF_INET);
		rand_addr(&p->sel.saddr, AF_INET);
		p->sel.prefixlen_d = PICK(plen4) | 8;   /* no /0: see below */
		p->sel.prefixlen_s = PICK(plen4);
	} else {
		p->sel.family = AF_INET6;
		rand_addr(&p->sel.daddr, AF_INET6);
		rand_addr(&p->sel.saddr, AF_INET6);
		p->sel.prefixlen_d = PICK(plen6) | 32;
		p->sel.prefixlen_s = PICK(plen6);
	}
	/* Catch-all policies would make every lookup match; keep some misses:
	 * destination prefixes are never /0, and any-address (family 0)
	 * policies always name a protocol and port. */
	if (f == 0) {
		p->sel.proto = rnd() % 2 ? 6 : 17;
		p->sel.dport_mask = 0xffff;
		p->sel.dport = PICK(ports);
	} else if (rnd() % 2) {
		p->sel.proto = PICK(protos);
		p->sel.dport_mask = PICK(masks);
		p->sel.dport = PICK(ports);
		p->sel.sport_mask = PICK(masks);
		p->sel.sport = PICK(ports);
	}
	xfrm_selector_normalize(&p->sel);
}

static void rand_flow(struct xfrm_flow *fl)
{
	static const uint8_t protos[] = { 6, 17, 1, 58, 50 };
	static const uint16_t ports[] = { 0, 22, 53, 443, 8, 0x1bb, 0x0116, 9999 };
	uint8_t fam = rnd() % 2 ? AF_INET : AF_INET6;

	memset(fl, 0, sizeof(*fl));
	rand_addr(&fl->daddr, fam);
	rand_addr(&fl->saddr, fam);
	if (rnd() % 4 == 0)
		fl->daddr.a[0] ^= 0x80;   /* outside the policies' universe */
	if (rnd() % 4 == 0)
		fl->saddr.a[1] ^= 0x40;
	fl->proto = PICK(protos);
	fl->sport = PICK(ports);
	fl->dport = PICK(ports);
}

static int ref_find(const struct spd_policy *p)
{
	for (unsigned i = 0; i < nref; i++)
		if (ref[i].live && ref[i].pol.dir == p->dir &&
		    xfrm_selector_equal(&ref[i].pol.sel, &p->sel))
			return (int)i;
	return -1;
}

static const struct ref_pol *ref_lookup(uint8_t dir, const struct xfrm_flow *fl)
{
	const struct ref_pol *best = NULL;

	for (unsigned i = 0; i < nref; i++) {
		const struct ref_pol *r = &ref[i];
		if (!r->live || r->pol.dir != dir || !xfrm_selector_match(&r->pol.sel, fl))
			continue;
		if (!best || r->pol.priority < best->pol.priority ||
		    (r->pol.priority == best->pol.priority && r->seq < best->seq))
			best = r;
	}
	return best;
}

static unsigned compare_lookups(struct spd *spd, int queries)
{
	unsigned hits = 0;

	for (int q = 0; q < queries; q++) {
		struct xfrm_flow fl;
		uint8_t dir = (uint8_t)(rnd() % 3);
		const struct ref_pol *want;
		const struct spd_policy *got;

		rand_flow(&fl);
		want = ref_lookup(dir, &fl);
		got = spd_lookup(spd, dir, &fl);
		if (!want != !got || (want && want->index != got->index)) {
			char s[IP_ADDR_STRLEN], d[IP_ADDR_STRLEN];
			fail_msg("query %d dir %u %s -> %s proto %u %u/%u: want index %u, got %u", q,
			         dir, ip_addr_fmt(&fl.saddr, s), ip_addr_fmt(&fl.daddr, d), fl.proto,
			         fl.sport, fl.dport, want ? want->index : 0, got ? got->index : 0);
		}
		hits += got != NULL;
	}
	return hits;
}

static void test_differential(void **state)
{
	struct spd *spd = spd_new(NULL);
	unsigned matched = 0;

	(void)state;
	nref = 0;
	ref_seq = 0;
	for (int round = 0; round < 12; round++) {
		/* mostly adds, some updates and deletes */
		for (int op = 0; op < 500; op++) {
			struct spd_policy p, *out;
			uint32_t k = rnd() % 10;
			int i;

			if (k < 7 && nref < REF_MAX) {
				rand_policy(&p);
				i = ref_find(&p);
				int rc = spd_add(spd, &p, &out);
				if (i >= 0) {
					assert_int_equal(rc, -EEXIST);
					continue;
				}
				assert_int_equal(rc, 0);
				ref[nref] = (struct ref_pol){ .pol = p, .seq = ref_seq++,
				                              .index = out->index, .live = true };
				nref++;
			} else if (k < 9 && nref) {
				/* update: an existing one (new priority and action,
				 * same place among ties) or a new one (added) */
				static const uint32_t prios[] = { 0, 1, 2, 5, 10 };
				if (k == 7) {
					i = (int)(rnd() % nref);
					if (!ref[i].live)
						continue;
					p = ref[i].pol;
				} else {
					rand_policy(&p);
					i = ref_find(&p);
				}
				p.priority = PICK(prios);
				p.action = (uint8_t)(rnd() % 2);
				assert_int_equal(spd_update(spd, &p, &out), 0);
				if (i >= 0) {
					assert_int_equal(out->index, ref[i].index);
					ref[i].pol.priority = p.priority;
					ref[i].pol.action = p.action;
				} else if (nref < REF_MAX) {
					ref[nref] = (struct ref_pol){ .pol = p, .seq = ref_seq++,
					                              .index = out->index, .live = true };
					nref++;
				} else {
					assert_int_equal(spd_del_index(spd, out->index), 0);
				}
			} else if (nref) {
				i = (int)(rnd() % nref);
				if (!ref[i].live)
					continue;
				if (rnd() % 2)
					assert_int_equal(spd_del(spd, &ref[i].pol.sel, ref[i].pol.dir), 0);
				else
					assert_int_equal(spd_del_index(spd, ref[i].index), 0);
				ref[i].live = false;
			}
		}
		unsigned live = 0;
		for (unsigned i = 0; i < nref; i++)
			live += ref[i].live;
		assert_int_equal(spd_count(spd), live);
		matched += compare_lookups(spd, 4000);
	}
	/* drain: delete nearly everything in random order (cells leave
	 * their tables by backward shift, tables shrink, groups go away),
	 * comparing as it goes */
	for (int left = 1; left; ) {
		unsigned live = 0, pick;
		for (unsigned i = 0; i < nref; i++)
			live += ref[i].live;
		if (live <= 20)
			break;
		pick = rnd() % live;
		for (unsigned i = 0; i < nref; i++) {
			if (!ref[i].live || pick--)
				continue;
			assert_int_equal(spd_del_index(spd, ref[i].index), 0);
			ref[i].live = false;
			break;
		}
		if (live % 97 == 0)
			compare_lookups(spd, 300);
	}
	compare_lookups(spd, 2000);
	/* the random input must exercise both outcomes */
	assert_true(matched > 12 * 4000 / 10);
	print_message("%u of %u lookups matched\n", matched, 12 * 4000);
	assert_true(matched < 12 * 4000 * 97 / 100);
	spd_free(spd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selector_match),
		cmocka_unit_test(test_selector_valid),
		cmocka_unit_test(test_verbs),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_differential),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
