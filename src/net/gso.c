/* Userspace segmentation of TCP/UDP super-packets and completion of
 * partial checksums (see gso.h). Mirrors what Linux does in
 * tcp_gso_segment(), __udp_gso_segment() and inet_gso_segment(). */
#include "net/gso.h"
#include "net/ip.h"
#include "util/bytes.h"

#include <string.h>

/* TCP header (RFC 9293 section 3.1), the fields we touch:
 *   4..7 sequence number, 12 data offset (high nibble), 13 flags,
 *   16..17 checksum. */
#define TCP_OFF_SEQ 4
#define TCP_OFF_FLAGS 13
#define TCP_OFF_CSUM 16
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80
#define UDP_OFF_LEN 4
#define UDP_OFF_CSUM 6

bool net_csum_complete(uint8_t *pkt, size_t len, uint16_t csum_start, uint16_t csum_offset)
{
	size_t field = (size_t)csum_start + csum_offset;

	if (csum_start >= len || field + 2 > len)
		return false;
	/* The field holds the folded pseudo-header sum: sum it with the
	 * rest and store the complement (Linux skb_checksum_help()). */
	put_be16(pkt + field, ip_csum_fold(ip_csum_partial(pkt + csum_start, len - csum_start, 0)));
	return true;
}

bool net_gso_init(struct net_gso_iter *it, const uint8_t *pkt, size_t len,
                  const struct net_gso *g)
{
	size_t l4len, payload;
	uint8_t proto;

	memset(it, 0, sizeof(*it));
	if (!g->gso_size || len < IP4_HDR_LEN)
		return false;
	it->ipv = pkt[0] >> 4;
	if (it->ipv == 4) {
		it->ip_hlen = (uint16_t)((pkt[0] & 0x0f) * 4);
		if (it->ip_hlen < IP4_HDR_LEN || it->ip_hlen > len || get_be16(pkt + 2) != len)
			return false;
		if (get_be16(pkt + 6) & 0x3fff)        /* MF or a fragment offset */
			return false;
		proto = pkt[9];
	} else if (it->ipv == 6) {
		it->ip_hlen = IP6_HDR_LEN;
		if (len < IP6_HDR_LEN || (size_t)get_be16(pkt + 4) + IP6_HDR_LEN != len)
			return false;
		proto = pkt[6];
	} else {
		return false;
	}
	switch (g->type) {
	case NET_GSO_TCPV4:
		if (it->ipv != 4 || proto != IP_PROTO_TCP)
			return false;
		break;
	case NET_GSO_TCPV6:
		if (it->ipv != 6 || proto != IP_PROTO_TCP)
			return false;
		break;
	case NET_GSO_UDP_L4:
		if (proto != IP_PROTO_UDP)
			return false;
		break;
	default:
		return false;
	}
	if (proto == IP_PROTO_TCP) {
		if (len < (size_t)it->ip_hlen + 20)
			return false;
		l4len = (size_t)(pkt[it->ip_hlen + 12] >> 4) * 4;
		if (l4len < 20)
			return false;
	} else {
		l4len = UDP_HDR_LEN;
	}
	if ((size_t)it->ip_hlen + l4len > len || (size_t)it->ip_hlen + l4len + g->gso_size > 65535)
		return false;
	it->pkt = pkt;
	it->len = len;
	it->l4 = proto;
	it->hlen = (uint16_t)(it->ip_hlen + l4len);
	it->gso_size = g->gso_size;
	payload = len - it->hlen;
	it->count = payload ? (unsigned)((payload + g->gso_size - 1) / g->gso_size) : 1;
	return true;
}

long net_gso_next(struct net_gso_iter *it, uint8_t *out, size_t cap)
{
	size_t payload = it->len - it->hlen, seg, total, l4len;
	size_t alen = it->ipv == 4 ? 4 : 16, l4hlen = (size_t)(it->hlen - it->ip_hlen);
	const uint8_t *saddr = out + (it->ipv == 4 ? 12 : 8), *daddr = saddr + alen;
	uint8_t *l4 = out + it->ip_hlen;
	uint32_t psum;
	bool first, last;

	if (it->index >= it->count)
		return 0;
	seg = payload - it->pos < it->gso_size ? payload - it->pos : it->gso_size;
	total = it->hlen + seg;
	if (total > cap)
		return -1;
	memcpy(out, it->pkt, it->hlen);
	/* the payload is summed while it is copied (read once); the TCP/UDP
	 * header, whose length is even, is added once it is fixed up */
	psum = ip_csum_copy(out + it->hlen, it->pkt + it->hlen + it->pos, seg, 0);
	first = it->index == 0;
	last = it->index + 1 == it->count;
	l4len = total - it->ip_hlen;

	if (it->ipv == 4) {
		put_be16(out + 2, (uint16_t)total);
		put_be16(out + 4, (uint16_t)(get_be16(it->pkt + 4) + it->index));
		put_be16(out + 10, 0);
		put_be16(out + 10, ip_csum(out, it->ip_hlen));
	} else {
		put_be16(out + 4, (uint16_t)l4len);
	}
	if (it->l4 == IP_PROTO_TCP) {
		uint8_t flags = l4[TCP_OFF_FLAGS];

		put_be32(l4 + TCP_OFF_SEQ, get_be32(it->pkt + it->ip_hlen + TCP_OFF_SEQ) +
		                           (uint32_t)it->pos);
		if (!last)
			flags &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (!first)
			flags &= (uint8_t)~TCP_CWR;
		l4[TCP_OFF_FLAGS] = flags;
		put_be16(l4 + TCP_OFF_CSUM, 0);
		put_be16(l4 + TCP_OFF_CSUM,
		         ip_csum_pseudo_sum(saddr, daddr, alen, IP_PROTO_TCP, l4len,
		                            ip_csum_partial(l4, l4hlen, psum)));
	} else {
		put_be16(l4 + UDP_OFF_LEN, (uint16_t)l4len);
		put_be16(l4 + UDP_OFF_CSUM, 0);
		put_be16(l4 + UDP_OFF_CSUM,
		         ip_csum_pseudo_sum(saddr, daddr, alen, IP_PROTO_UDP, l4len,
		                            ip_csum_partial(l4, l4hlen, psum)));
	}
	it->pos += seg;
	it->index++;
	return (long)total;
}
