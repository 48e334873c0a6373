/* Receive coalescing (net/gro.h): segments cut by net/gso.h come back
 * together byte for byte (IPv4 with TCP options, IPv6), at most 64 per
 * super-packet and 64 KiB; flows interleaved; what must not be merged
 * (FIN, SYN, a gap in sequence numbers, another ACK number or TTL, a short
 * segment, UDP, garbage) passes alone and in order; a full flow table
 * flushes its oldest flow; every packet comes out exactly once. UDP
 * coalescing (USO) when asked for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/gro.h"
#include "net/gso.h"
#include "net/ip.h"
#include "util/bytes.h"

#include "ip_build.h"

#define MAXOUT 256
#define SEGBUF 2048

/* What the GRO stage emitted, each output joined into one buffer. */
struct sink {
	unsigned n;
	unsigned nsegs[MAXOUT];
	struct net_gso g[MAXOUT];
	uint16_t hdr_len[MAXOUT];
	size_t len[MAXOUT];
	uint8_t *buf[MAXOUT];
	unsigned total_segs;
};

static void sink_emit(void *ctx, const struct net_gro_out *o)
{
	struct sink *s = ctx;
	size_t off = 0;
	unsigned i;

	assert_true(s->n < MAXOUT);
	assert_true(o->npieces >= 1 && o->npieces <= NET_GRO_MAX_SEGS);
	s->buf[s->n] = malloc(70000);
	for (i = 0; i < o->npieces; i++) {
		assert_true(off + o->piece_len[i] <= 70000);
		memcpy(s->buf[s->n] + off, o->piece[i], o->piece_len[i]);
		off += o->piece_len[i];
	}
	s->len[s->n] = off;
	s->nsegs[s->n] = o->nsegs;
	s->g[s->n] = o->g;
	s->hdr_len[s->n] = o->hdr_len;
	s->total_segs += o->nsegs;
	s->n++;
}

static void sink_free(struct sink *s)
{
	for (unsigned i = 0; i < s->n; i++)
		free(s->buf[i]);
	memset(s, 0, sizeof(*s));
}

/* Segments of one super-packet, each in its own buffer. */
struct segs {
	unsigned n;
	uint8_t buf[128][SEGBUF];
	uint32_t len[128];
};

static void cut(struct segs *out, const uint8_t *pkt, size_t len, uint16_t gso)
{
	struct net_gso g = { .gso_size = gso };
	struct net_gso_iter it;
	long r;

	g.type = (pkt[0] >> 4) == 4 ? NET_GSO_TCPV4 : NET_GSO_TCPV6;
	assert_true(net_gso_init(&it, pkt, len, &g));
	out->n = 0;
	while ((r = net_gso_next(&it, out->buf[out->n], SEGBUF)) > 0)
		out->len[out->n++] = (uint32_t)r;
	assert_int_equal(r, 0);
}

/* out[i] is a super-packet equal to orig (whose checksum field holds the
 * pseudo-header partial sum, as GRO writes it). */
static void assert_super(const struct sink *s, unsigned i, const uint8_t *orig, size_t len,
                         unsigned nsegs, uint16_t gso)
{
	static uint8_t tmp[70000];
	int ipv = orig[0] >> 4;
	uint16_t ip_hlen = ipv == 4 ? 20 : 40;

	assert_int_equal(s->nsegs[i], nsegs);
	assert_int_equal(s->len[i], len);
	assert_int_equal(s->g[i].type, ipv == 4 ? NET_GSO_TCPV4 : NET_GSO_TCPV6);
	assert_true(s->g[i].needs_csum);
	assert_int_equal(s->g[i].gso_size, gso);
	assert_int_equal(s->g[i].csum_start, ip_hlen);
	assert_int_equal(s->g[i].csum_offset, 16);
	assert_int_equal(s->hdr_len[i], ip_hlen + ((orig[ip_hlen + 12] >> 4) * 4));
	assert_memory_equal(s->buf[i], orig, len);
	/* and the kernel's completion of it gives correct checksums */
	memcpy(tmp, s->buf[i], len);
	assert_true(net_csum_complete(tmp, len, ip_hlen, 16));
	check_csums(tmp, len);
}

static void test_roundtrip(void **state)
{
	static uint8_t pkt[70000];
	static struct segs sg;
	struct sink s = { 0 };
	struct net_gro g;
	unsigned i;
	size_t len;

	(void)state;
	/* IPv4, timestamps-sized options, PSH on the original */
	len = build(pkt, 4, IP_PROTO_TCP, 0, 12, 20000, 0x10 | 0x08);
	cut(&sg, pkt, len, 1000);
	assert_int_equal(sg.n, 20);
	net_gro_init(&g, sink_emit, &s);
	for (i = 0; i < sg.n; i++)
		net_gro_add(&g, sg.buf[i], sg.len[i]);
	net_gro_flush(&g);
	assert_int_equal(s.n, 1);
	assert_super(&s, 0, pkt, len, 20, 1000);
	sink_free(&s);

	/* IPv6, odd last segment, no PSH */
	len = build(pkt, 6, IP_PROTO_TCP, 0, 0, 12345, 0x10);
	cut(&sg, pkt, len, 1300);
	net_gro_init(&g, sink_emit, &s);
	for (i = 0; i < sg.n; i++)
		net_gro_add(&g, sg.buf[i], sg.len[i]);
	net_gro_flush(&g);
	assert_int_equal(s.n, 1);
	assert_super(&s, 0, pkt, len, 10, 1300);
	sink_free(&s);

	/* a single segment comes out as it went in, without offload */
	len = build(pkt, 4, IP_PROTO_TCP, 0, 0, 100, 0x10);
	cut(&sg, pkt, len, 1000);
	net_gro_init(&g, sink_emit, &s);
	net_gro_add(&g, sg.buf[0], sg.len[0]);
	net_gro_flush(&g);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.g[0].type, NET_GSO_NONE);
	assert_int_equal(s.len[0], sg.len[0]);
	assert_memory_equal(s.buf[0], sg.buf[0], sg.len[0]);
	check_csums(s.buf[0], s.len[0]);
	sink_free(&s);
}

/* 80 segments of 500 bytes: 64 in the first super-packet, 16 in the
 * second; and 1400-byte segments stop at 64 KiB. */
static void test_limits(void **state)
{
	static uint8_t pkt[70000];
	static struct segs sg, sg2;
	struct sink s = { 0 };
	struct net_gro g;
	unsigned i;
	size_t len, pos = 0;

	(void)state;
	len = build(pkt, 4, IP_PROTO_TCP, 0, 0, 40000, 0x10);
	cut(&sg, pkt, len, 500);
	assert_int_equal(sg.n, 80);
	net_gro_init(&g, sink_emit, &s);
	for (i = 0; i < sg.n; i++)
		net_gro_add(&g, sg.buf[i], sg.len[i]);
	net_gro_flush(&g);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.nsegs[0], 64);
	assert_int_equal(s.nsegs[1], 16);
	for (i = 0; i < 2; i++) {
		assert_int_equal(s.g[i].type, NET_GSO_TCPV4);
		assert_true(net_csum_complete(s.buf[i], s.len[i], 20, 16));
		check_csums(s.buf[i], s.len[i]);
		assert_memory_equal(s.buf[i] + 40, pkt + 40 + pos, s.len[i] - 40);
		pos += s.len[i] - 40;
	}
	assert_int_equal(pos, 40000);
	sink_free(&s);

	/* two back-to-back super-packets of 1400-byte segments, the second
	 * continuing the first's sequence: 64 KiB ends the first output */
	len = build(pkt, 4, IP_PROTO_TCP, 0, 0, 60200, 0x10);
	cut(&sg, pkt, len, 1400);                 /* 43 segments */
	net_gro_init(&g, sink_emit, &s);
	for (i = 0; i < sg.n; i++)
		net_gro_add(&g, sg.buf[i], sg.len[i]);
	put_be32(pkt + 24, 0xfffff000u + 60200);
	cut(&sg2, pkt, len, 1400);
	for (i = 0; i < sg2.n; i++)
		net_gro_add(&g, sg2.buf[i], sg2.len[i]);
	net_gro_flush(&g);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.nsegs[0], 46);         /* 40 + 46 * 1400 = 64440 */
	assert_int_equal(s.len[0], 40 + 46 * 1400);
	assert_int_equal(s.total_segs, 86);
	sink_free(&s);
}

static void test_not_merged(void **state)
{
	static uint8_t pkt[70000];
	static struct segs sg;
	struct sink s = { 0 };
	struct net_gro g;
	unsigned i;
	size_t len;
	uint32_t seq0;

	(void)state;
	len = build(pkt, 4, IP_PROTO_TCP, 0, 12, 8000, 0x10);
	cut(&sg, pkt, len, 1000);   /* 8 segments */
	seq0 = get_be32(sg.buf[0] + 24);

	/* 1. FIN on segment 5: [0..4] merged, 5 alone, [6..7] merged */
	sg.buf[5][33] |= 0x01;
	net_gro_init(&g, sink_emit, &s);
	for (i = 0; i < sg.n; i++)
		net_gro_add(&g, sg.buf[i], sg.len[i]);
	net_gro_flush(&g);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.nsegs[0], 5);
	assert_int_equal(s.nsegs[1], 1);
	assert_int_equal(s.g[1].type, NET_GSO_NONE);
	assert_int_equal(s.buf[1][33] & 0x01, 0x01);
	assert_int_equal(s.nsegs[2], 2);
	assert_int_equal(get_be32(s.buf[2] + 24), seq0 + 6000);
	sink_free(&s);

	/* GRO rewrote the first segments' headers in place: cut again */
	cut(&sg, pkt, len, 1000);

	/* 2. a gap: segment 3 missing -> [0..2], then [4..7] */
	net_gro_init(&g, sink_emit, &s);
	for (i = 0; i < sg.n; i++)
		if (i != 3)
			net_gro_add(&g, sg.buf[i], sg.len[i]);
	net_gro_flush(&g);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.nsegs[0], 3);
	assert_int_equal(s.nsegs[1], 4);
	assert_int_equal(get_be32(s.buf[1] + 24), seq0 + 4000);
	sink_free(&s);

	cut(&sg, pkt, len, 1000);

	/* 3. another ACK number on 2, another TTL on 6 */
	put_be32(sg.buf[2] + 28, 99);
	sg.buf[6][8] = 7;
	net_gro_init(&g, sink_emit, &s);
	for (i = 0; i < sg.n; i++)
		net_gro_add(&g, sg.buf[i], sg.len[i]);
	net_gro_flush(&g);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.nsegs[0], 2);
	assert_int_equal(s.nsegs[1], 1);
	assert_int_equal(s.nsegs[2], 3);
	assert_int_equal(s.nsegs[3], 1);
	assert_int_equal(s.nsegs[4], 1);
	assert_int_equal(s.total_segs, 8);
	sink_free(&s);
	cut(&sg, pkt, len, 1000);

	/* 4. a short segment ends the super-packet; PSH too */
	sg.len[1] -= 10;
	put_be16(sg.buf[1] + 2, (uint16_t)sg.len[1]);
	for (i = 2; i < sg.n; i++)
		put_be32(sg.buf[i] + 24, get_be32(sg.buf[i] + 24) - 10);
	sg.buf[4][33] |= 0x08;
	net_gro_init(&g, sink_emit, &s);
	for (i = 0; i < sg.n; i++)
		net_gro_add(&g, sg.buf[i], sg.len[i]);
	net_gro_flush(&g);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.nsegs[0], 2);      /* 0, short 1 */
	assert_int_equal(s.nsegs[1], 3);      /* 2, 3, PSH 4 */
	assert_int_equal(s.buf[1][33] & 0x08, 0x08);
	assert_int_equal(s.nsegs[2], 3);
	sink_free(&s);
}

static void test_flows(void **state)
{
	static uint8_t pkt[70000];
	static struct segs sa, sb;
	static uint8_t orig_a[70000], orig_b[70000], junk[64];
	static uint8_t many[NET_GRO_FLOWS + 3][2][SEGBUF];
	struct sink s = { 0 };
	struct net_gro g;
	unsigned i;
	size_t la, lb;

	(void)state;
	la = build(orig_a, 4, IP_PROTO_TCP, 0, 12, 6000, 0x10);
	lb = build(orig_b, 4, IP_PROTO_TCP, 0, 12, 6000, 0x10);
	put_be16(orig_b + 20, 40001);          /* another source port */
	cut(&sa, orig_a, la, 1000);
	cut(&sb, orig_b, lb, 1000);
	net_gro_init(&g, sink_emit, &s);
	for (i = 0; i < 6; i++) {
		net_gro_add(&g, sa.buf[i], sa.len[i]);
		net_gro_add(&g, sb.buf[i], sb.len[i]);
		if (i == 2) {
			/* UDP and garbage pass at once, alone */
			size_t ul = build(pkt, 4, IP_PROTO_UDP, 0, 0, 50, 0);
			net_gro_add(&g, pkt, (uint32_t)ul);
			memset(junk, 0xab, sizeof(junk));
			net_gro_add(&g, junk, 3);
			net_gro_add(&g, junk, sizeof(junk));
			assert_int_equal(s.n, 3);
		}
	}
	net_gro_flush(&g);
	assert_int_equal(s.n, 5);
	assert_super(&s, 3, orig_a, la, 6, 1000);   /* oldest first */
	assert_super(&s, 4, orig_b, lb, 6, 1000);
	sink_free(&s);

	cut(&sa, orig_a, la, 1000);

	/* more flows than slots: every packet still comes out once */
	net_gro_init(&g, sink_emit, &s);
	for (i = 0; i < NET_GRO_FLOWS + 3; i++) {
		memcpy(many[i][0], sa.buf[0], sa.len[0]);
		memcpy(many[i][1], sa.buf[1], sa.len[1]);
		put_be16(many[i][0] + 20, (uint16_t)(1000 + i));
		put_be16(many[i][1] + 20, (uint16_t)(1000 + i));
		net_gro_add(&g, many[i][0], sa.len[0]);
		net_gro_add(&g, many[i][1], sa.len[1]);
		if (i >= NET_GRO_FLOWS)
			assert_int_equal(s.n, i - NET_GRO_FLOWS + 1);
	}
	net_gro_flush(&g);
	assert_int_equal(s.n, NET_GRO_FLOWS + 3);
	assert_int_equal(s.total_segs, 2 * (NET_GRO_FLOWS + 3));
	for (i = 0; i < s.n; i++)
		assert_int_equal(get_be16(s.buf[i] + 20), 1000 + i);
	sink_free(&s);
	net_gro_flush(&g);                     /* nothing held: nothing out */
	assert_int_equal(s.n, 0);
}

/* UDP (g.udp): a USO super-packet cut by gso.c comes back whole as
 * GSO_UDP_L4; without g.udp every datagram passes alone; sizes that grow
 * start a new super-packet; TCP and UDP with the same ports stay apart. */
static void test_udp(void **state)
{
	static uint8_t pkt[70000], tpkt[4000];
	static struct segs sg, st;
	struct net_gso gu = { .type = NET_GSO_UDP_L4, .gso_size = 1400 };
	struct net_gso_iter it;
	struct sink s = { 0 };
	struct net_gro g;
	unsigned i, v;
	size_t len, tlen;
	long r;

	(void)state;
	for (v = 4; v <= 6; v += 2) {
		len = build(pkt, (int)v, IP_PROTO_UDP, 0, 0, 9000, 0);
		assert_true(net_gso_init(&it, pkt, len, &gu));
		sg.n = 0;
		while ((r = net_gso_next(&it, sg.buf[sg.n], SEGBUF)) > 0)
			sg.len[sg.n++] = (uint32_t)r;
		assert_int_equal(sg.n, 7);
		net_gro_init(&g, sink_emit, &s);
		g.udp = true;
		for (i = 0; i < sg.n; i++)
			net_gro_add(&g, sg.buf[i], sg.len[i]);
		net_gro_flush(&g);
		assert_int_equal(s.n, 1);
		assert_int_equal(s.nsegs[0], 7);
		assert_int_equal(s.g[0].type, NET_GSO_UDP_L4);
		assert_int_equal(s.g[0].gso_size, 1400);
		assert_int_equal(s.g[0].csum_offset, 6);
		assert_int_equal(s.hdr_len[0], (v == 4 ? 20 : 40) + 8);
		assert_int_equal(s.len[0], len);
		assert_memory_equal(s.buf[0], pkt, len);
		assert_true(net_csum_complete(s.buf[0], s.len[0], v == 4 ? 20 : 40, 6));
		check_csums(s.buf[0], s.len[0]);
		sink_free(&s);
	}

	/* without g.udp: one by one, untouched */
	len = build(pkt, 4, IP_PROTO_UDP, 0, 0, 9000, 0);
	assert_true(net_gso_init(&it, pkt, len, &gu));
	sg.n = 0;
	while ((r = net_gso_next(&it, sg.buf[sg.n], SEGBUF)) > 0)
		sg.len[sg.n++] = (uint32_t)r;
	net_gro_init(&g, sink_emit, &s);
	for (i = 0; i < sg.n; i++)
		net_gro_add(&g, sg.buf[i], sg.len[i]);
	assert_int_equal(s.n, 7);
	for (i = 0; i < s.n; i++) {
		assert_int_equal(s.g[i].type, NET_GSO_NONE);
		assert_memory_equal(s.buf[i], sg.buf[i], sg.len[i]);
	}
	sink_free(&s);

	/* a larger datagram after smaller ones starts anew; TCP with the
	 * same ports is its own flow */
	tlen = build(tpkt, 4, IP_PROTO_TCP, 0, 0, 2000, 0x10);
	cut(&st, tpkt, tlen, 1000);
	assert_true(net_gso_init(&it, pkt, len, &gu));
	sg.n = 0;
	while ((r = net_gso_next(&it, sg.buf[sg.n], SEGBUF)) > 0)
		sg.len[sg.n++] = (uint32_t)r;
	net_gro_init(&g, sink_emit, &s);
	g.udp = true;
	net_gro_add(&g, sg.buf[6], sg.len[6]);        /* the short last one: 600 bytes */
	net_gro_add(&g, st.buf[0], st.len[0]);
	net_gro_add(&g, sg.buf[0], sg.len[0]);        /* 1400: larger, a new flow */
	net_gro_add(&g, st.buf[1], st.len[1]);
	net_gro_add(&g, sg.buf[1], sg.len[1]);
	net_gro_flush(&g);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.nsegs[0], 1);              /* the 600-byte datagram */
	assert_int_equal(s.len[0], sg.len[6]);
	assert_int_equal(s.g[1].type, NET_GSO_TCPV4); /* TCP, older than the new UDP flow */
	assert_int_equal(s.nsegs[1], 2);
	assert_int_equal(s.g[2].type, NET_GSO_UDP_L4);
	assert_int_equal(s.nsegs[2], 2);
	assert_int_equal(get_be16(s.buf[2] + 24), 8 + 2 * 1400);   /* UDP length of the whole */
	sink_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_not_merged),
		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_udp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
