/* Test helpers shared by test_gso.c and test_gro.c: a naive RFC 1071
 * sum, a builder of TCP/UDP super-packets (IPv4 with options or IPv6,
 * TCP options, a pattern payload, the pseudo-header partial sum in the
 * checksum field as the kernel leaves it), and a checksum verifier. */
#ifndef UIPSEC_TEST_IP_BUILD_H
#define UIPSEC_TEST_IP_BUILD_H

#include <stdint.h>
#include <string.h>

#include "net/ip.h"
#include "csum_ref.h"
#include "util/bytes.h"

/* ---------------------------------------------------------------- builders */

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80

static const uint8_t A4[4] = { 10, 1, 0, 2 }, B4[4] = { 10, 2, 0, 2 };
static const uint8_t A6[16] = { 0xfd, 0, 0, 1, [15] = 2 }, B6[16] = { 0xfd, 0, 0, 2, [15] = 2 };

/* Build a super-packet: IP (v4 with ihl_extra option bytes, or v6),
 * TCP (with opt_len option bytes) or UDP, payload of plen pattern bytes.
 * The L4 checksum field holds the pseudo-header partial sum (as the
 * kernel leaves it with NEEDS_CSUM). Returns the length. */
static size_t build(uint8_t *pkt, int ipv, uint8_t proto, size_t ihl_extra, size_t opt_len,
                    size_t plen, uint8_t flags)
{
	size_t ip_hlen = ipv == 4 ? 20 + ihl_extra : 40;
	size_t l4_hlen = proto == IP_PROTO_TCP ? 20 + opt_len : 8;
	size_t len = ip_hlen + l4_hlen + plen, i;
	uint8_t *l4 = pkt + ip_hlen;
	uint32_t ps;

	memset(pkt, 0, ip_hlen + l4_hlen);
	if (ipv == 4) {
		pkt[0] = (uint8_t)(0x40 | (ip_hlen / 4));
		put_be16(pkt + 2, (uint16_t)len);
		put_be16(pkt + 4, 0xfff0);          /* wraps during segmentation */
		put_be16(pkt + 6, 0x4000);          /* DF */
		pkt[8] = 64;
		pkt[9] = proto;
		for (i = 20; i < ip_hlen; i++)
			pkt[i] = 1;                 /* IP option NOP */
		memcpy(pkt + 12, A4, 4);
		memcpy(pkt + 16, B4, 4);
		put_be16(pkt + 10, ip_csum(pkt, ip_hlen));
	} else {
		pkt[0] = 0x60;
		put_be16(pkt + 4, (uint16_t)(len - 40));
		pkt[6] = proto;
		pkt[7] = 64;
		memcpy(pkt + 8, A6, 16);
		memcpy(pkt + 24, B6, 16);
	}
	put_be16(l4, 40000);
	put_be16(l4 + 2, 5201);
	if (proto == IP_PROTO_TCP) {
		put_be32(l4 + 4, 0xfffff000u);      /* wraps during segmentation */
		put_be32(l4 + 8, 12345);
		l4[12] = (uint8_t)((l4_hlen / 4) << 4);
		l4[13] = flags;
		put_be16(l4 + 14, 501);
		for (i = 20; i < l4_hlen; i++)
			l4[i] = (uint8_t)(i == 20 || i == 21 ? 1 : 0x42);   /* NOP NOP junk */
	} else {
		put_be16(l4 + 4, (uint16_t)(l4_hlen + plen));
	}
	for (i = 0; i < plen; i++)
		pkt[ip_hlen + l4_hlen + i] = (uint8_t)(i * 7 + i / 251);
	/* the pseudo-header partial sum, folded, not complemented */
	ps = naive_partial(pkt + (ipv == 4 ? 12 : 8), ipv == 4 ? 8 : 32, 0);
	ps += proto + (uint32_t)(l4_hlen + plen);
	put_be16(l4 + (proto == IP_PROTO_TCP ? 16 : 6), fold16(ps));
	return len;
}

/* Verify a packet's IPv4 header checksum and its TCP/UDP checksum. */
static void check_csums(const uint8_t *p, size_t len)
{
	int ipv = p[0] >> 4;
	size_t ip_hlen = ipv == 4 ? (size_t)(p[0] & 15) * 4 : 40;
	uint32_t s;

	if (ipv == 4) {
		assert_int_equal(ip_csum(p, ip_hlen), 0);
		assert_int_equal(get_be16(p + 2), len);
	} else {
		assert_int_equal(get_be16(p + 4) + 40, len);
	}
	s = naive_partial(p + (ipv == 4 ? 12 : 8), ipv == 4 ? 8 : 32, 0);
	s += (ipv == 4 ? p[9] : p[6]) + (uint32_t)(len - ip_hlen);
	s = naive_partial(p + ip_hlen, len - ip_hlen, s);
	assert_int_equal(fold16(s), 0xffff);   /* a correct checksum sums to all ones */
}

#endif
