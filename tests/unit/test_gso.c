/* Userspace segmentation (net/gso.h) and the Internet checksum it relies
 * on: the fast ip_csum_partial() and ip_csum_copy() against a naive RFC
 * 1071 sum on random buffers of every length and start offset, the
 * pseudo-header checksums against an explicit pseudo header; TCPv4/TCPv6/
 * UDP super-packets cut into segments whose headers, checksums and
 * payloads are checked one by one, and whose payloads put back together
 * equal the original; flags (CWR first, FIN/PSH last), TCP options, odd
 * sizes; random payloads with exact checksum fields; partial checksum
 * completion; bad input refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/gso.h"
#include "net/ip.h"
#include "util/bytes.h"

#include "ip_build.h"

static void test_csum_random(void **state)
{
	uint8_t buf[4096 + 8];
	unsigned i, k;

	(void)state;
	srand(7);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (k = 0; k < 3000; k++) {
		size_t off = (size_t)rand() % 8, len = (size_t)rand() % 4096;
		uint32_t init = (uint32_t)rand();

		if (k < 64) {                       /* every small length once */
			off = k % 8;
			len = k;
		}
		/* partial sums may differ by folding; the folded values agree */
		assert_int_equal(fold16(ip_csum_partial(buf + off, len, init)),
		                 fold16(naive_partial(buf + off, len, init)));
	}
	/* all ones and all zeros */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(fold16(ip_csum_partial(buf, 1500, 0)), 0xffff);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ip_csum(buf, 1500), 0xffff);
}

/* Every length 0..2048 at every start offset 0..7, with random initial
 * sums, on random bytes, all ones (a carry out of every 64-bit addition)
 * and all zeros: ip_csum_partial() folds to the RFC 1071 sum of the naive
 * reference (exactly: both keep 0 only for an all-zero input, so there is
 * no 0/0xffff ambiguity), and ip_csum_copy() returns the same 32-bit value
 * as ip_csum_partial(), copies the bytes to a destination at another
 * offset and writes nothing outside them. */
static void test_csum_every_length(void **state)
{
	enum { MAXLEN = 2048, GUARD = 16 };
	static uint8_t src[MAXLEN + 8], dst[GUARD + MAXLEN + 8 + GUARD], pad[sizeof(dst)];
	static const uint32_t fixed_init[] = { 0, 1, 0xffff, 0x10000, 0xfffffffeu, 0xffffffffu };
	unsigned fill, off, doff;
	size_t len, i;

	(void)state;
	srand(1071);
	memset(pad, 0xa5, sizeof(pad));
	for (fill = 0; fill < 3; fill++) {
		for (i = 0; i < sizeof(src); i++)
			src[i] = fill == 0 ? (uint8_t)rand() : fill == 1 ? 0xff : 0;
		for (len = 0; len <= MAXLEN; len++) {
			for (off = 0; off < 8; off++) {
				const uint8_t *p = src + off;
				/* mostly random initial sums, a quarter edge values */
				uint32_t init = (len + off) % 4 ? (uint32_t)rand() << 16 ^ (uint32_t)rand()
				                                : fixed_init[(len / 4 + off) % 6];
				uint32_t got = ip_csum_partial(p, len, init);
				uint16_t want = fold16(naive_partial(p, len, init));

				if (fold16(got) != want)
					fail_msg("ip_csum_partial fill %u len %zu off %u init %#x: %#x, want %#x",
					         fill, len, off, init, fold16(got), want);
				doff = (off * 5 + (unsigned)len) % 8;
				memset(dst, 0xa5, sizeof(dst));
				if (ip_csum_copy(dst + GUARD + doff, p, len, init) != got)
					fail_msg("ip_csum_copy fill %u len %zu off %u/%u init %#x differs",
					         fill, len, off, doff, init);
				assert_memory_equal(dst + GUARD + doff, p, len);
				/* nothing written before or after */
				assert_memory_equal(dst, pad, GUARD + doff);
				assert_memory_equal(dst + GUARD + doff + len, pad,
				                    sizeof(dst) - (GUARD + doff + len));
			}
		}
	}
}

/* ip_csum_pseudo() and ip_csum_pseudo_sum() against the naive sum over an
 * explicit pseudo header (RFC 768, RFC 9293 section 3.1, RFC 8200
 * section 8.1), IPv4 and IPv6, TCP and UDP, odd and even lengths; and a
 * transport segment that sums to all ones: checksum 0 for TCP, 0xffff for
 * UDP (RFC 768: 0 means "no checksum"). */
static void test_csum_pseudo(void **state)
{
	static uint8_t l4[1600], ph[40];
	unsigned k;

	(void)state;
	srand(768);
	for (k = 0; k < 400; k++) {
		size_t alen = k % 2 ? 16 : 4, len = (size_t)rand() % sizeof(l4), i, phlen;
		uint8_t proto = k % 4 < 2 ? IP_PROTO_TCP : IP_PROTO_UDP, a[16], b[16], ab[32];
		uint16_t want, got;

		for (i = 0; i < alen; i++) {
			a[i] = (uint8_t)rand();
			b[i] = (uint8_t)rand();
		}
		for (i = 0; i < len; i++)
			l4[i] = (uint8_t)rand();
		if (k % 8 >= 6 && len >= 2) {
			/* make the whole sum all ones: the checksum complements to 0 */
			uint32_t rest;

			memcpy(ph, a, alen);
			memcpy(ph + alen, b, alen);
			put_be32(ph + 2 * alen, (uint32_t)len);
			put_be32(ph + 2 * alen + 4, proto);
			l4[0] = l4[1] = 0;
			rest = fold16(naive_partial(l4, len, naive_partial(ph, 2 * alen + 8, 0)));
			put_be16(l4, (uint16_t)(0xffff - rest));
		}
		memcpy(ph, a, alen);
		memcpy(ph + alen, b, alen);
		phlen = 2 * alen;
		if (alen == 4) {
			ph[phlen++] = 0;
			ph[phlen++] = proto;
			put_be16(ph + phlen, (uint16_t)len);
			phlen += 2;
		} else {
			put_be32(ph + phlen, (uint32_t)len);
			put_be32(ph + phlen + 4, proto);
			phlen += 8;
		}
		want = (uint16_t)~fold16(naive_partial(l4, len, naive_partial(ph, phlen, 0)));
		if (proto == IP_PROTO_UDP && want == 0)
			want = 0xffff;
		if (k % 8 >= 6 && len >= 2)
			assert_int_equal(want, proto == IP_PROTO_UDP ? 0xffff : 0);
		got = ip_csum_pseudo(a, b, alen, proto, l4, len);
		assert_int_equal(got, want);
		assert_int_equal(ip_csum_pseudo_sum(a, b, alen, proto, len,
		                                    ip_csum_partial(l4, len, 0)), want);
		assert_int_equal(ip_csum_pseudo_sum(a, b, alen, proto, len,
		                                    naive_partial(l4, len, 0)), want);
		/* the addresses next to each other, as in an IP header */
		memcpy(ab, a, alen);
		memcpy(ab + alen, b, alen);
		assert_int_equal(ip_csum_pseudo(ab, ab + alen, alen, proto, l4, len), want);
		/* a partial sum near the top of 32 bits (0xffff0000 = 0xffff << 16
		 * is 0 in one's complement): the carries must not be lost */
		assert_int_equal(ip_csum_pseudo_sum(a, b, alen, proto, len,
		                                    naive_partial(l4, len, 0) + 0xffff0000u), want);
	}
}

struct seg_case {
	int ipv;
	uint8_t proto;
	size_t ihl_extra, opt_len, plen;
	uint16_t gso;
	uint8_t flags;
};

static void run_case(const struct seg_case *c)
{
	static uint8_t pkt[70000], seg[70000], joined[70000];
	struct net_gso g = { .type = c->proto == IP_PROTO_UDP ? NET_GSO_UDP_L4 :
	                     c->ipv == 4 ? NET_GSO_TCPV4 : NET_GSO_TCPV6,
	                     .needs_csum = true, .gso_size = c->gso };
	struct net_gso_iter it;
	size_t len = build(pkt, c->ipv, c->proto, c->ihl_extra, c->opt_len, c->plen, c->flags);
	size_t ip_hlen = c->ipv == 4 ? 20 + c->ihl_extra : 40;
	size_t hlen = ip_hlen + (c->proto == IP_PROTO_TCP ? 20 + c->opt_len : 8);
	size_t got = 0, want_n = c->plen ? (c->plen + c->gso - 1) / c->gso : 1;
	unsigned i = 0;
	long r;

	assert_true(net_gso_init(&it, pkt, len, &g));
	assert_int_equal(it.count, want_n);
	assert_int_equal(net_gso_max_seg(&it), hlen + c->gso);
	while ((r = net_gso_next(&it, seg, sizeof(seg))) > 0) {
		size_t slen = (size_t)r, pl = slen - hlen;
		bool first = i == 0, last = i + 1 == want_n;
		const uint8_t *l4 = seg + ip_hlen;

		assert_true(pl == (last ? c->plen - (want_n - 1) * c->gso : c->gso));
		check_csums(seg, slen);
		/* headers other than the fixed-up fields are unchanged */
		if (c->ipv == 4) {
			assert_int_equal(get_be16(seg + 4), (uint16_t)(0xfff0 + i));
			assert_memory_equal(seg + 6, pkt + 6, 4);      /* flags, ttl, proto */
			assert_memory_equal(seg + 12, pkt + 12, ip_hlen - 12);
		} else {
			assert_memory_equal(seg, pkt, 4);
			assert_memory_equal(seg + 6, pkt + 6, 34);
		}
		if (c->proto == IP_PROTO_TCP) {
			uint8_t f = c->flags;

			assert_int_equal(get_be32(l4 + 4), (uint32_t)(0xfffff000u + got));
			if (!last)
				f &= (uint8_t)~(TCP_FIN | TCP_PSH);
			if (!first)
				f &= (uint8_t)~TCP_CWR;
			assert_int_equal(l4[13], f);
			assert_memory_equal(l4 + 8, pkt + ip_hlen + 8, 5);     /* ack, offset */
			assert_memory_equal(l4 + 14, pkt + ip_hlen + 14, 2);   /* window */
			assert_memory_equal(l4 + 20, pkt + ip_hlen + 20, c->opt_len);
		} else {
			assert_int_equal(get_be16(l4 + 4), slen - ip_hlen);
			assert_memory_equal(l4, pkt + ip_hlen, 4);
		}
		memcpy(joined + got, seg + hlen, pl);
		got += pl;
		i++;
	}
	assert_int_equal(r, 0);
	assert_int_equal(i, want_n);
	assert_int_equal(got, c->plen);
	assert_memory_equal(joined, pkt + hlen, c->plen);
	assert_int_equal(net_gso_next(&it, seg, sizeof(seg)), 0);   /* stays done */
}

static void test_segment_table(void **state)
{
	static const struct seg_case cases[] = {
		/* 1 */ { 4, IP_PROTO_TCP, 0, 12, 64000, 1327, TCP_ACK | TCP_PSH },
		/* 2 */ { 4, IP_PROTO_TCP, 0, 0, 13270, 1327, TCP_ACK },          /* exact multiple */
		/* 3 */ { 4, IP_PROTO_TCP, 8, 12, 5000, 1000, TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR },
		/* 4 */ { 4, IP_PROTO_TCP, 0, 40, 500, 1000, TCP_ACK | TCP_FIN | TCP_CWR }, /* one */
		/* 5 */ { 6, IP_PROTO_TCP, 0, 12, 60001, 1307, TCP_ACK | TCP_PSH | TCP_CWR },
		/* 6 */ { 6, IP_PROTO_TCP, 0, 0, 1, 1307, TCP_ACK },
		/* 7 */ { 4, IP_PROTO_UDP, 0, 0, 9000, 1400, 0 },
		/* 8 */ { 6, IP_PROTO_UDP, 0, 0, 2800, 1400, 0 },
		/* 9 */ { 4, IP_PROTO_TCP, 0, 12, 65535 - 52, 536, TCP_ACK }, /* 123 segments */
		/* 10 */ { 4, IP_PROTO_TCP, 0, 0, 0, 1000, TCP_ACK | TCP_FIN },  /* no payload */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case %zu\n", i + 1);
		run_case(&cases[i]);
	}
}

/* Super-packets with random payloads (TCPv4, TCPv6, UDP over both, random
 * payload and segment sizes, odd ones included): each segment's TCP/UDP
 * checksum field equals, exactly, the complement of the naive sum over the
 * pseudo header and the segment with the field zeroed (0xffff for a UDP
 * 0), and the payloads put back together equal the original. */
static void test_segment_random(void **state)
{
	static uint8_t pkt[70000], seg[70000], tmp[70000];
	unsigned k;

	(void)state;
	srand(9293);
	for (k = 0; k < 80; k++) {
		int ipv = k % 2 ? 6 : 4;
		uint8_t proto = k % 4 < 2 ? IP_PROTO_TCP : IP_PROTO_UDP;
		size_t opt = proto == IP_PROTO_TCP ? (size_t)(rand() % 11) * 4 : 0;
		size_t ihl = ipv == 4 ? (size_t)(rand() % 3) * 4 : 0;
		size_t ip_hlen = ipv == 4 ? 20 + ihl : 40;
		size_t hlen = ip_hlen + (proto == IP_PROTO_TCP ? 20 + opt : 8);
		size_t plen = (size_t)rand() % (65535 - 100 - hlen + 1), len, i, got = 0;
		struct net_gso g = { .type = proto == IP_PROTO_UDP ? NET_GSO_UDP_L4 :
		                     ipv == 4 ? NET_GSO_TCPV4 : NET_GSO_TCPV6,
		                     .needs_csum = true,
		                     .gso_size = (uint16_t)(1 + rand() % 1500) };
		struct net_gso_iter it;
		long r;

		len = build(pkt, ipv, proto, ihl, opt, plen, TCP_ACK);
		for (i = hlen; i < len; i++)
			pkt[i] = (uint8_t)rand();
		assert_true(net_gso_init(&it, pkt, len, &g));
		while ((r = net_gso_next(&it, seg, sizeof(seg))) > 0) {
			size_t slen = (size_t)r, l4len = slen - ip_hlen, field;
			uint32_t ps;
			uint16_t want;

			field = ip_hlen + (proto == IP_PROTO_TCP ? 16 : 6);
			memcpy(tmp, seg, slen);
			tmp[field] = tmp[field + 1] = 0;
			ps = naive_partial(seg + (ipv == 4 ? 12 : 8), ipv == 4 ? 8 : 32, 0);
			ps += proto + (uint32_t)l4len;
			want = (uint16_t)~fold16(naive_partial(tmp + ip_hlen, l4len, ps));
			if (proto == IP_PROTO_UDP && want == 0)
				want = 0xffff;
			assert_int_equal(get_be16(seg + field), want);
			if (ipv == 4)
				assert_int_equal(ip_csum(seg, ip_hlen), 0);
			assert_memory_equal(seg + hlen, pkt + hlen + got, slen - hlen);
			got += slen - hlen;
		}
		assert_int_equal(r, 0);
		assert_int_equal(got, plen);
	}
}

static void test_segment_bad(void **state)
{
	static uint8_t pkt[4000], seg[2000];
	struct net_gso g = { .type = NET_GSO_TCPV4, .gso_size = 1000 };
	struct net_gso_iter it;
	size_t len = build(pkt, 4, IP_PROTO_TCP, 0, 0, 3000, TCP_ACK);

	(void)state;
	assert_true(net_gso_init(&it, pkt, len, &g));
	assert_int_equal(net_gso_next(&it, seg, 100), -1);       /* too small: no advance */
	assert_int_equal(net_gso_next(&it, seg, sizeof(seg)), 1040);
	assert_false(net_gso_init(&it, pkt, len - 1, &g));       /* IP length lies */
	assert_false(net_gso_init(&it, pkt, 19, &g));
	g.gso_size = 0;
	assert_false(net_gso_init(&it, pkt, len, &g));
	g.gso_size = 1000;
	g.type = NET_GSO_TCPV6;                                   /* version mismatch */
	assert_false(net_gso_init(&it, pkt, len, &g));
	g.type = NET_GSO_UDP_L4;                                  /* protocol mismatch */
	assert_false(net_gso_init(&it, pkt, len, &g));
	g.type = NET_GSO_NONE;
	assert_false(net_gso_init(&it, pkt, len, &g));
	g.type = NET_GSO_TCPV4;
	put_be16(pkt + 6, 0x2000);                                /* a fragment */
	assert_false(net_gso_init(&it, pkt, len, &g));
	put_be16(pkt + 6, 0x4000);
	pkt[32] = 0x10;                                           /* TCP data offset 4 bytes */
	assert_false(net_gso_init(&it, pkt, len, &g));
	pkt[32] = 0xf0;                                           /* 60 bytes: fine */
	assert_true(net_gso_init(&it, pkt, len, &g));
	pkt[0] = 0x4f;                                            /* IHL 60 */
	pkt[32] = 0x50;
	assert_false(net_gso_init(&it, pkt, 60, &g));
	pkt[0] = 0x55;                                            /* version 5 */
	assert_false(net_gso_init(&it, pkt, len, &g));
}

static void test_csum_complete(void **state)
{
	static uint8_t pkt[3000];
	size_t len;

	(void)state;
	len = build(pkt, 4, IP_PROTO_TCP, 0, 12, 1200, TCP_ACK);
	assert_true(net_csum_complete(pkt, len, 20, 16));
	check_csums(pkt, len);
	len = build(pkt, 6, IP_PROTO_UDP, 0, 0, 777, 0);
	assert_true(net_csum_complete(pkt, len, 40, 6));
	check_csums(pkt, len);
	assert_false(net_csum_complete(pkt, len, (uint16_t)len, 0));
	assert_false(net_csum_complete(pkt, len, (uint16_t)(len - 1), 0));
	assert_false(net_csum_complete(pkt, len, 40, (uint16_t)(len - 41)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_random),
		cmocka_unit_test(test_csum_every_length),
		cmocka_unit_test(test_csum_pseudo),
		cmocka_unit_test(test_segment_table),
		cmocka_unit_test(test_segment_random),
		cmocka_unit_test(test_segment_bad),
		cmocka_unit_test(test_csum_complete),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
