/* The data path in one process: two gateways' SADs and SPDs, packets from
 * A's output fed to B's input, each drop reason and its counter, acquire
 * events, in vs fwd policy choice, and trace lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/xfrm_cmd.h"
#include "dp/dp.h"
#include "dp/trace.h"
#include "util/bytes.h"
#include "util/clock.h"
#include "xfrm/events.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"
#include "xfrm_run.h"

#define MAXP 8

struct side {
	struct sad *sad;
	struct spd *spd;
	struct xfrm_events ev;
	struct dp dp;
	/* captured output */
	unsigned ntun, nnet, nacq;
	uint8_t tun[MAXP][2048];
	uint32_t tun_len[MAXP];
	struct pkt net[MAXP];
	uint8_t netbuf[MAXP][PKT_DEFAULT_CAP];
	/* traces */
	unsigned ntrace;
	char last_trace[TRACE_MAX_LINES * TRACE_LINE_MAX];
};

static void to_tun(void *ctx, struct pkt *p)
{
	struct side *s = ctx;

	assert_true(s->ntun < MAXP);
	memcpy(s->tun[s->ntun], pkt_data(p), p->len);
	s->tun_len[s->ntun++] = p->len;
}

static void to_net(void *ctx, struct pkt **pkts, unsigned n)
{
	struct side *s = ctx;

	for (unsigned i = 0; i < n; i++) {
		struct pkt *q = &s->net[s->nnet];
		assert_true(s->nnet < MAXP);
		pkt_init(q, s->netbuf[s->nnet], PKT_DEFAULT_CAP, PKT_HEADROOM);
		assert_true(pkt_set(q, pkt_data(pkts[i]), pkts[i]->len));
		q->meta = pkts[i]->meta;
		s->nnet++;
	}
}

static void on_acquire(void *ctx, const struct spd_policy *pol, const struct xfrm_tmpl *t,
                       const struct xfrm_flow *fl)
{
	struct side *s = ctx;

	s->nacq++;
}

static void on_trace(void *ctx, const struct trace_pkt *tp)
{
	struct side *s = ctx;
	size_t off = 0;

	s->ntrace++;
	s->last_trace[0] = '\0';
	for (unsigned i = 0; i < tp->nlines; i++)
		off += (size_t)snprintf(s->last_trace + off, sizeof(s->last_trace) - off, "%s\n",
		                        tp->line[i]);
}

static void run(struct side *s, const char *cmdline)
{
	xfrm_run_line(s->sad, s->spd, cmdline);
}

#define KA "0x0102030405060708090a0b0c0d0e0f1011121314"
#define KB "0x1112131415161718191a1b1c1d1e1f2021222324"

static void side_init(struct side *s, bool is_a)
{
	struct dp_io io = { .ctx = s, .to_tun = to_tun, .to_net = to_net };

	memset(s, 0, sizeof(*s));
	s->ev = (struct xfrm_events){ .ctx = s, .acquire = on_acquire };
	s->sad = sad_new(&s->ev);
	s->spd = spd_new(&s->ev);
	assert_int_equal(dp_init(&s->dp, s->sad, s->spd, &s->ev, &io), 0);
	run(s, "state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 reqid 1 mode tunnel "
	       "aead rfc4106(gcm(aes)) " KA " 128 replay-window 32");
	run(s, "state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2001 reqid 2 mode tunnel "
	       "aead rfc4106(gcm(aes)) " KB " 128 replay-window 32");
	if (is_a) {
		run(s, "policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir out tmpl src 192.0.2.1 "
		       "dst 192.0.2.2 proto esp reqid 1 mode tunnel");
		run(s, "policy add src 10.2.0.0/24 dst 10.1.0.0/24 dir fwd tmpl src 192.0.2.2 "
		       "dst 192.0.2.1 proto esp reqid 2 mode tunnel");
	} else {
		run(s, "policy add src 10.2.0.0/24 dst 10.1.0.0/24 dir out tmpl src 192.0.2.2 "
		       "dst 192.0.2.1 proto esp reqid 2 mode tunnel");
		run(s, "policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir fwd tmpl src 192.0.2.1 "
		       "dst 192.0.2.2 proto esp reqid 1 mode tunnel");
	}
}

static void side_fini(struct side *s)
{
	dp_fini(&s->dp);
	spd_free(s->spd);
	sad_free(s->sad);
}

/* An ICMP echo request src -> dst (IPv4) in p. */
static void icmp4(struct pkt *p, uint8_t *buf, const char *src, const char *dst)
{
	uint8_t h[28 + 16] = { 0x45, 0, 0, 28 + 16, 0, 1, 0, 0, 64, 1 };
	struct ip_addr a;

	ip_addr_parse(src, &a);
	memcpy(h + 12, a.a, 4);
	ip_addr_parse(dst, &a);
	memcpy(h + 16, a.a, 4);
	h[20] = 8;   /* echo request */
	pkt_init(p, buf, PKT_DEFAULT_CAP, PKT_HEADROOM);
	assert_true(pkt_set(p, h, sizeof(h)));
}

static uint8_t b1[PKT_DEFAULT_CAP];

static void a_to_b(struct side *a, struct side *b, const char *src, const char *dst)
{
	struct pkt p, *pp = &p;

	icmp4(&p, b1, src, dst);
	dp_output(&a->dp, &pp, 1);
}

static uint8_t b2[PKT_DEFAULT_CAP];

static void deliver(struct side *from, unsigned i, struct side *to)
{
	struct pkt q, *p = &q;

	/* what the socket layer would hand up: a copy of the ESP packet (it
	 * is decrypted in place) with the outer addresses as received */
	pkt_init(&q, b2, PKT_DEFAULT_CAP, PKT_HEADROOM);
	assert_true(pkt_set(&q, pkt_data(&from->net[i]), from->net[i].len));
	q.meta = from->net[i].meta;
	dp_input(&to->dp, &p, 1);
}

/* The flow caches (dp.h) must not outlive a table change, whoever makes
 * it: here the IKE hook, called in the middle of a receive batch, deletes
 * the policy that admitted the flow. The packet after it, of the same
 * flow and SA, must then be dropped (XfrmInNoPols), not waved through by
 * the cache. Also: the generations move with every kind of change. */
static struct side *ike_side;

static void ike_deletes_fwd_policy(void *ctx, struct pkt *p)
{
	(void)ctx;
	(void)p;
	run(ike_side, "policy delete src 10.1.0.0/24 dst 10.2.0.0/24 dir fwd");
}

static uint8_t fb[3][PKT_DEFAULT_CAP];

static void test_flow_cache_table_change(void **state)
{
	static const uint8_t ike_msg[28] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct side a, b;
	struct pkt q[3], *pp[3] = { &q[0], &q[1], &q[2] };
	uint64_t g0, g1;

	(void)state;
	side_init(&a, true);
	side_init(&b, false);
	a_to_b(&a, &b, "10.1.0.2", "10.2.0.2");
	a_to_b(&a, &b, "10.1.0.2", "10.2.0.2");
	assert_int_equal(a.nnet, 2);
	/* ESP seq 1, an IKE message on port 500, ESP seq 2: one batch */
	for (unsigned i = 0; i < 3; i++)
		pkt_init(&q[i], fb[i], PKT_DEFAULT_CAP, PKT_HEADROOM);
	assert_true(pkt_set(&q[0], pkt_data(&a.net[0]), a.net[0].len));
	q[0].meta = a.net[0].meta;
	assert_true(pkt_set(&q[1], ike_msg, sizeof(ike_msg)));
	q[1].meta = a.net[0].meta;
	q[1].meta.udp_encap = 1;
	q[1].meta.sport = q[1].meta.dport = 500;
	assert_true(pkt_set(&q[2], pkt_data(&a.net[1]), a.net[1].len));
	q[2].meta = a.net[1].meta;
	ike_side = &b;
	b.dp.io.ike = ike_deletes_fwd_policy;
	g0 = dp_tables_gen(&b.dp);
	dp_input(&b.dp, pp, 3);
	assert_true(dp_tables_gen(&b.dp) != g0);
	assert_int_equal(b.ntun, 1);
	assert_int_equal(b.dp.stats.mib[XFRM_MIB_IN_NO_POLS], 1);

	/* every kind of change moves the generation */
	g0 = dp_tables_gen(&b.dp);
	run(&b, "state update src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 reqid 1 "
	        "mode tunnel aead rfc4106(gcm(aes)) " KA " 128 replay-window 32");
	g1 = dp_tables_gen(&b.dp);
	assert_true(g1 != g0);
	run(&b, "state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001");
	assert_true(dp_tables_gen(&b.dp) != g1);
	g1 = dp_tables_gen(&b.dp);
	run(&b, "policy flush");
	assert_true(dp_tables_gen(&b.dp) != g1);
	g1 = dp_tables_gen(&b.dp);
	run(&b, "state flush");
	assert_true(dp_tables_gen(&b.dp) != g1);
	side_fini(&a);
	side_fini(&b);
}

static void test_roundtrip(void **state)
{
	struct side a, b;

	side_init(&a, true);
	side_init(&b, false);
	a_to_b(&a, &b, "10.1.0.2", "10.2.0.2");
	assert_int_equal(a.nnet, 1);
	assert_int_equal(a.net[0].meta.family, AF_INET);
	assert_int_equal(a.net[0].meta.udp_encap, 0);
	assert_int_equal(get_be32(pkt_data(&a.net[0])), 0x1001);
	deliver(&a, 0, &b);
	assert_int_equal(b.ntun, 1);
	assert_int_equal(b.tun_len[0], 44);
	assert_int_equal(b.tun[0][20], 8);
	assert_int_equal(b.dp.cnt.in_packets, 1);
	for (int m = 0; m < XFRM_MIB_MAX; m++)
		assert_int_equal(b.dp.stats.mib[m], 0);
	/* the same packet again: replay */
	deliver(&a, 0, &b);
	assert_int_equal(b.ntun, 1);
	assert_int_equal(b.dp.stats.mib[XFRM_MIB_IN_STATE_SEQ_ERROR], 1);
	side_fini(&a);
	side_fini(&b);
}

static void test_input_drops(void **state)
{
	struct side a, b;
	uint8_t *d;

	side_init(&a, true);
	side_init(&b, false);
	a_to_b(&a, &b, "10.1.0.2", "10.2.0.2");
	a_to_b(&a, &b, "10.1.0.2", "10.2.0.2");
	a_to_b(&a, &b, "10.1.0.2", "10.2.0.2");
	assert_int_equal(a.nnet, 3);
	/* flipped ciphertext bit: ICV */
	d = pkt_data(&a.net[0]);
	d[20] ^= 1;
	deliver(&a, 0, &b);
	assert_int_equal(b.dp.stats.mib[XFRM_MIB_IN_STATE_PROTO_ERROR], 1);
	/* unknown SPI */
	d = pkt_data(&a.net[1]);
	put_be32(d, 0xdead);
	deliver(&a, 1, &b);
	assert_int_equal(b.dp.stats.mib[XFRM_MIB_IN_NO_STATES], 1);
	/* arrived in UDP although the state is raw ESP */
	a.net[2].meta.udp_encap = 1;
	deliver(&a, 2, &b);
	assert_int_equal(b.dp.stats.mib[XFRM_MIB_IN_STATE_MISMATCH], 1);
	/* too short */
	a.net[2].meta.udp_encap = 0;
	a.net[2].len = 5;
	deliver(&a, 2, &b);
	assert_int_equal(b.dp.stats.mib[XFRM_MIB_IN_HDR_ERROR], 1);
	assert_int_equal(b.ntun, 0);
	side_fini(&a);
	side_fini(&b);
}

/* RFC 3948 2.2 on UDP 4500 (issue 15 item 7): the non-ESP marker and 24
 * bytes (shorter than an IKE header) go to IKE, which refuses them; they
 * are not looked up as ESP with SPI 0 (XfrmInNoStates). A 1-byte 0xff is
 * a keepalive; 5 bytes that are neither are a header error. */
static unsigned ike_seen;
static uint32_t ike_seen_len;

static void ike_count(void *ctx, struct pkt *p)
{
	(void)ctx;
	ike_seen++;
	ike_seen_len = p->len;
}

static void test_udp_marker_short(void **state)
{
	struct side b;
	struct pkt q, *p = &q;
	static uint8_t buf[PKT_DEFAULT_CAP];
	uint8_t msg[28] = { 0 };

	(void)state;
	side_init(&b, false);
	b.dp.io.ike = ike_count;
	ike_seen = 0;
	memset(msg + 4, 0x41, sizeof(msg) - 4);
	pkt_init(&q, buf, sizeof(buf), PKT_HEADROOM);
	assert_true(pkt_set(&q, msg, sizeof(msg)));
	q.meta.family = AF_INET;
	q.meta.udp_encap = 1;
	q.meta.sport = q.meta.dport = 4500;
	dp_input(&b.dp, &p, 1);
	assert_int_equal(ike_seen, 1);
	assert_int_equal(ike_seen_len, 24);           /* the marker removed */
	assert_int_equal(b.dp.cnt.ike_packets, 1);
	assert_int_equal(b.dp.stats.mib[XFRM_MIB_IN_NO_STATES], 0);
	/* keepalive */
	pkt_init(&q, buf, sizeof(buf), PKT_HEADROOM);
	assert_true(pkt_set(&q, "\xff", 1));
	q.meta.family = AF_INET;
	q.meta.udp_encap = 1;
	q.meta.dport = 4500;
	dp_input(&b.dp, &p, 1);
	assert_int_equal(b.dp.cnt.keepalives, 1);
	/* 5 bytes, not a marker: too short for ESP */
	pkt_init(&q, buf, sizeof(buf), PKT_HEADROOM);
	assert_true(pkt_set(&q, "\x01\x02\x03\x04\x05", 5));
	q.meta.family = AF_INET;
	q.meta.udp_encap = 1;
	q.meta.dport = 4500;
	dp_input(&b.dp, &p, 1);
	assert_int_equal(b.dp.stats.mib[XFRM_MIB_IN_HDR_ERROR], 1);
	assert_int_equal(b.dp.stats.mib[XFRM_MIB_IN_NO_STATES], 0);
	assert_int_equal(ike_seen, 1);
	side_fini(&b);
}

static void test_policy_check(void **state)
{
	struct side a, b;

	side_init(&a, true);
	side_init(&b, false);
	/* inner packet outside B's fwd policy: no policy (tunnel mode) */
	run(&a, "policy add src 10.1.0.0/24 dst 10.9.0.0/24 dir out tmpl src 192.0.2.1 "
	        "dst 192.0.2.2 proto esp reqid 1 mode tunnel");
	a_to_b(&a, &b, "10.1.0.2", "10.9.0.9");
	deliver(&a, 0, &b);
	assert_int_equal(b.dp.stats.mib[XFRM_MIB_IN_NO_POLS], 1);
	/* B's fwd policy asks for reqid 7: template mismatch */
	run(&b, "policy update src 10.1.0.0/24 dst 10.2.0.0/24 dir fwd tmpl src 192.0.2.1 "
	        "dst 192.0.2.2 proto esp reqid 7 mode tunnel");
	a_to_b(&a, &b, "10.1.0.2", "10.2.0.2");
	deliver(&a, 1, &b);
	assert_int_equal(b.dp.stats.mib[XFRM_MIB_IN_TMPL_MISMATCH], 1);
	/* a local inner destination takes dir in: B has no in policy */
	b.dp.nlocal = 1;
	ip_addr_parse("10.2.0.1", &b.dp.local[0]);
	a_to_b(&a, &b, "10.1.0.2", "10.2.0.1");
	deliver(&a, 2, &b);
	assert_int_equal(b.dp.stats.mib[XFRM_MIB_IN_NO_POLS], 2);
	run(&b, "policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir in tmpl src 192.0.2.1 "
	        "dst 192.0.2.2 proto esp reqid 1 mode tunnel");
	a_to_b(&a, &b, "10.1.0.2", "10.2.0.1");
	deliver(&a, 3, &b);
	assert_int_equal(b.ntun, 1);
	/* block */
	run(&b, "policy update src 10.1.0.0/24 dst 10.2.0.0/24 dir in action block");
	a_to_b(&a, &b, "10.1.0.2", "10.2.0.1");
	deliver(&a, 4, &b);
	assert_int_equal(b.dp.stats.mib[XFRM_MIB_IN_POL_BLOCK], 1);
	assert_int_equal(b.ntun, 1);
	/* the state's own selector must admit the inner packet */
	run(&b, "state update src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 reqid 1 "
	        "mode tunnel aead rfc4106(gcm(aes)) " KA " 128 sel src 10.1.0.0/24 dst 10.2.0.0/24");
	run(&a, "policy add src 10.1.0.0/24 dst 10.5.0.0/24 dir out tmpl src 192.0.2.1 "
	        "dst 192.0.2.2 proto esp reqid 1 mode tunnel");
	a_to_b(&a, &b, "10.1.0.2", "10.5.0.1");
	deliver(&a, 5, &b);
	assert_int_equal(b.dp.stats.mib[XFRM_MIB_IN_STATE_MISMATCH], 1);
	assert_int_equal(b.ntun, 1);
	side_fini(&a);
	side_fini(&b);
}

static void test_output_drops(void **state)
{
	struct side a;
	struct pkt p, *pp = &p;

	side_init(&a, true);
	/* no policy */
	a_to_b(&a, NULL, "10.1.0.2", "10.3.0.1");
	assert_int_equal(a.dp.stats.mib[XFRM_MIB_OUT_POL_ERROR], 1);
	/* link-local chatter from the kernel is ignored, not an error */
	a_to_b(&a, NULL, "10.1.0.2", "224.0.0.22");
	assert_int_equal(a.dp.cnt.tun_ignored, 1);
	/* block */
	run(&a, "policy add src 10.1.0.0/24 dst 10.2.0.99/32 dir out priority 0 action block");
	run(&a, "policy update src 10.1.0.0/24 dst 10.2.0.0/24 dir out priority 10 tmpl "
	        "src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel");
	a_to_b(&a, NULL, "10.1.0.2", "10.2.0.99");
	assert_int_equal(a.dp.stats.mib[XFRM_MIB_OUT_POL_BLOCK], 1);
	/* protect without a state: one acquire, then held off */
	run(&a, "policy add src 10.1.0.0/24 dst 10.4.0.0/24 dir out tmpl src 192.0.2.1 "
	        "dst 192.0.2.9 proto esp reqid 4 mode tunnel");
	a_to_b(&a, NULL, "10.1.0.2", "10.4.0.1");
	a_to_b(&a, NULL, "10.1.0.2", "10.4.0.1");
	assert_int_equal(a.dp.stats.mib[XFRM_MIB_OUT_NO_STATES], 2);
	assert_int_equal(a.nacq, 1);
	assert_int_equal(a.dp.cnt.acquires_suppressed, 1);
	/* garbage from the TUN device */
	pkt_init(&p, b1, PKT_DEFAULT_CAP, PKT_HEADROOM);
	assert_true(pkt_set(&p, "\x45\x00\x00", 3));
	dp_output(&a.dp, &pp, 1);
	assert_int_equal(a.dp.stats.mib[XFRM_MIB_OUT_ERROR], 1);
	assert_int_equal(a.nnet, 0);
	side_fini(&a);
}

/* start_action = trap's first packets: held while the acquire is
 * negotiated, sent once the state is there; bounded per policy (Linux's
 * XFRM_MAX_QUEUE_LEN) and in time, the rest dropped and counted. */
static unsigned nheld;
static void on_held(void *ctx)
{
	(void)ctx;
	nheld++;
}

static void test_hold(void **state)
{
	struct side a;

	side_init(&a, true);
	a.dp.io.held = on_held;
	nheld = 0;
	run(&a, "policy add src 10.1.0.0/24 dst 10.4.0.0/24 dir out tmpl src 192.0.2.1 "
	        "dst 192.0.2.9 proto esp reqid 4 mode tunnel");
	for (int i = 0; i < 3; i++)
		a_to_b(&a, NULL, "10.1.0.2", "10.4.0.1");
	assert_int_equal(a.nacq, 1);
	assert_int_equal(a.nnet, 0);
	assert_int_equal(a.dp.cnt.hold_queued, 3);
	assert_int_equal(nheld, 3);
	assert_int_equal(a.dp.stats.mib[XFRM_MIB_OUT_NO_STATES], 0);   /* held, not dropped */
	/* a flush before the state comes sends nothing */
	dp_hold_flush(&a.dp, clock_mono_ns() / 1000000);
	assert_int_equal(a.nnet, 0);
	assert_int_equal(a.dp.hold.n, 3);
	/* the state arrives: the three leave, in order, through ESP */
	run(&a, "state add src 192.0.2.1 dst 192.0.2.9 proto esp spi 0x4001 reqid 4 mode tunnel "
	        "aead rfc4106(gcm(aes)) " KA " 128 replay-window 32");
	struct ip_addr d;
	ip_addr_parse("192.0.2.9", &d);
	dp_state_event(&a.dp, XFRM_EV_STATE_ADD, sad_lookup(a.sad, &d, 0x4001, IPPROTO_ESP_));
	assert_true(a.dp.hold.ready);
	dp_hold_flush(&a.dp, clock_mono_ns() / 1000000);
	assert_int_equal(a.nnet, 3);
	assert_int_equal(a.dp.cnt.hold_sent, 3);
	assert_int_equal(a.dp.hold.n, 0);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(get_be32(pkt_data(&a.net[i]) + 4), i + 1);   /* ESP seq 1, 2, 3 */
	/* at most 100 per policy: the 101st is dropped (and counted as before) */
	run(&a, "policy add src 10.1.0.0/24 dst 10.5.0.0/24 dir out tmpl src 192.0.2.1 "
	        "dst 192.0.2.8 proto esp reqid 5 mode tunnel");
	for (int i = 0; i < DP_HOLD_PER_POLICY + 1; i++)
		a_to_b(&a, NULL, "10.1.0.2", "10.5.0.1");
	assert_int_equal(a.dp.hold.n, DP_HOLD_PER_POLICY);
	assert_int_equal(a.dp.cnt.hold_dropped, 1);
	assert_int_equal(a.dp.stats.mib[XFRM_MIB_OUT_NO_STATES], 1);
	/* and for DP_HOLD_MS at most */
	dp_hold_flush(&a.dp, clock_mono_ns() / 1000000 + DP_HOLD_MS);
	assert_int_equal(a.dp.hold.n, 0);
	assert_int_equal(a.dp.cnt.hold_dropped, 1 + DP_HOLD_PER_POLICY);
	/* without io.held (no one flushes: uipsec pcap encrypt) nothing is held */
	a.dp.io.held = NULL;
	a_to_b(&a, NULL, "10.1.0.2", "10.5.0.1");
	assert_int_equal(a.dp.hold.n, 0);
	assert_int_equal(a.dp.stats.mib[XFRM_MIB_OUT_NO_STATES], 2);
	side_fini(&a);
}

static void test_trace(void **state)
{
	struct side a, b;
	struct dp_tracer ta = { .ctx = &a, .emit = on_trace };
	struct dp_tracer tb = { .ctx = &b, .emit = on_trace };
	struct trace_filter f;
	char err[128];
	char *words[] = { "host", "10.2.0.0/24", "proto", "icmp", "spi", "0x1001" };

	side_init(&a, true);
	side_init(&b, false);
	/* nothing traced without a tracer */
	a_to_b(&a, &b, "10.1.0.2", "10.2.0.2");
	assert_int_equal(a.ntrace, 0);
	dp_set_tracer(&a.dp, &ta);
	dp_set_tracer(&b.dp, &tb);
	a_to_b(&a, &b, "10.1.0.2", "10.2.0.2");
	assert_int_equal(a.ntrace, 1);
	assert_non_null(strstr(a.last_trace, "xfrm_lookup"));
	assert_non_null(strstr(a.last_trace, "xfrm_state_find    spi 0x00001001 reqid 1"));
	assert_non_null(strstr(a.last_trace, "esp_output"));
	deliver(&a, 1, &b);
	assert_int_equal(b.ntrace, 1);
	assert_non_null(strstr(b.last_trace, "xfrm_replay_check  seq 2"));
	assert_non_null(strstr(b.last_trace, "esp_input"));
	assert_non_null(strstr(b.last_trace, "xfrm_policy_check  policy index"));
	assert_non_null(strstr(b.last_trace, "dir fwd"));
	assert_non_null(strstr(b.last_trace, "tun_write"));
	/* a replay shows where it stopped */
	deliver(&a, 1, &b);
	assert_non_null(strstr(b.last_trace, "xfrm_replay_check  seq 2 window 32: drop replay"));
	assert_null(strstr(b.last_trace, "esp_input"));
	/* filters */
	assert_int_equal(trace_filter_parse(6, words, &f, err, sizeof(err)), 0);
	assert_int_equal(trace_filter_parse(1, words, &f, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "needs a value"));
	{
		char *bad[] = { "port", "1" };
		assert_int_equal(trace_filter_parse(2, bad, &f, err, sizeof(err)), -EINVAL);
	}
	{
		struct trace_pkt tp;
		trace_pkt_begin(&tp, false);
		tp.has_spi = true;
		tp.spi = 0x1001;
		tp.has_inner = true;
		ip_addr_parse("10.1.0.2", &tp.inner.saddr);
		ip_addr_parse("10.2.0.2", &tp.inner.daddr);
		tp.inner.proto = 1;
		assert_int_equal(trace_filter_parse(6, words, &f, err, sizeof(err)), 0);
		assert_true(trace_filter_match(&f, &tp));
		tp.spi = 0x2001;
		assert_false(trace_filter_match(&f, &tp));
	}
	dp_set_tracer(&a.dp, NULL);
	a_to_b(&a, &b, "10.1.0.2", "10.2.0.2");
	assert_int_equal(a.ntrace, 1);
	side_fini(&a);
	side_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_input_drops),
		cmocka_unit_test(test_udp_marker_short),
		cmocka_unit_test(test_policy_check),
		cmocka_unit_test(test_output_drops),
		cmocka_unit_test(test_hold),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_flow_cache_table_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
