/* libFuzzer target: userspace segmentation and checksum completion
 * (net/gso.c) and the checksum routines under them (net/csum.c), checked
 * against a naive RFC 1071 sum.
 *
 * Input: byte 0 the GSO type (low 2 bits), bytes 1..2 gso_size, 3..4
 * csum_start, 5..6 csum_offset (big-endian), then the packet as a TUN
 * read would return it. For every input:
 *   - ip_csum_copy() and ip_csum_partial() on the packet give the same
 *     value, the copy is exact, and the sum folds to the naive one;
 *   - net_csum_complete() either refuses the offsets or stores the
 *     complement of the naive sum;
 *   - if net_gso_init() accepts the packet, every segment fits the
 *     buffer net_gso_max_seg() asks for (allocated to size, so ASan sees
 *     any overrun), its TCP/UDP checksum field is exactly the naive
 *     value, an IPv4 header checksum verifies, and the payloads put back
 *     together are the original payload.
 * A disagreement aborts. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/gso.h"
#include "net/ip.h"
#include "../unit/csum_ref.h"
#include "util/bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void fuzz_csum(const uint8_t *p, size_t len, uint32_t init)
{
	uint8_t *dst = malloc(len ? len : 1);
	uint32_t a, b;

	check(dst != NULL);
	a = ip_csum_partial(p, len, init);
	b = ip_csum_copy(dst, p, len, init);
	check(a == b);
	check(memcmp(dst, p, len) == 0);
	check(fold16(a) == fold16(naive_partial(p, len, init)));
	free(dst);
}

static void fuzz_complete(const uint8_t *pkt, size_t len, uint16_t start, uint16_t off)
{
	uint8_t *p = malloc(len ? len : 1);
	size_t field = (size_t)start + off;

	check(p != NULL);
	memcpy(p, pkt, len);
	if (net_csum_complete(p, len, start, off)) {
		check(start < len && field + 2 <= len);
		check(get_be16(p + field) ==
		      (uint16_t)~fold16(naive_partial(pkt + start, len - start, 0)));
		p[field] = pkt[field];
		p[field + 1] = pkt[field + 1];
		check(memcmp(p, pkt, len) == 0);          /* only the field changed */
	}
	free(p);
}

static void fuzz_segment(const uint8_t *pkt, size_t len, const struct net_gso *g)
{
	struct net_gso_iter it;
	size_t cap, got = 0, hlen;
	unsigned n = 0;
	uint8_t *seg;
	long r;

	if (!net_gso_init(&it, pkt, len, g))
		return;
	hlen = it.hlen;
	cap = net_gso_max_seg(&it);
	seg = malloc(cap);
	check(seg != NULL);
	if (len - hlen >= it.gso_size)      /* a full first segment: one byte short */
		check(net_gso_next(&it, seg, cap - 1) == -1);
	while ((r = net_gso_next(&it, seg, cap)) > 0) {
		size_t slen = (size_t)r, ip_hlen = it.ip_hlen, l4len = slen - ip_hlen, field;
		int v4 = it.ipv == 4;
		uint8_t *tmp;
		uint32_t ps;
		uint16_t want;

		check(slen <= cap && slen >= hlen);
		field = ip_hlen + (it.l4 == IP_PROTO_TCP ? 16 : 6);
		tmp = malloc(slen);
		check(tmp != NULL);
		memcpy(tmp, seg, slen);
		tmp[field] = tmp[field + 1] = 0;
		ps = naive_partial(seg + (v4 ? 12 : 8), v4 ? 8 : 32, 0);
		ps += it.l4 + (uint32_t)l4len;
		want = (uint16_t)~fold16(naive_partial(tmp + ip_hlen, l4len, ps));
		if (it.l4 == IP_PROTO_UDP && want == 0)
			want = 0xffff;
		check(get_be16(seg + field) == want);
		if (v4)
			check(ip_csum(seg, ip_hlen) == 0);
		check(memcmp(seg + hlen, pkt + hlen + got, slen - hlen) == 0);
		got += slen - hlen;
		free(tmp);
		n++;
	}
	check(r == 0 && got == len - hlen && n == it.count);
	free(seg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum net_gso_type types[4] = {
		NET_GSO_NONE, NET_GSO_TCPV4, NET_GSO_TCPV6, NET_GSO_UDP_L4,
	};
	struct net_gso g = { 0 };
	const uint8_t *pkt;
	uint8_t *copy;
	size_t len;

	if (size < 7)
		return 0;
	g.type = types[data[0] & 3];
	g.needs_csum = true;
	g.gso_size = get_be16(data + 1);
	g.csum_start = get_be16(data + 3);
	g.csum_offset = get_be16(data + 5);
	len = size - 7;
	/* a heap copy of exactly len bytes: ASan catches any read past it */
	copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 7, len);
	pkt = copy;
	fuzz_csum(pkt, len, (uint32_t)data[1] << 24 | (uint32_t)data[3] << 8 | data[5]);
	if (len > 1)
		fuzz_csum(pkt + 1, len - 1, 0xffffffffu);
	fuzz_complete(pkt, len, g.csum_start, g.csum_offset);
	fuzz_segment(pkt, len, &g);
	free(copy);
	return 0;
}
