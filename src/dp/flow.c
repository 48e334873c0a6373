/* Five-tuple extraction for policy lookups. See flow.h. */
#include "dp/flow.h"
#include "util/bytes.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static void ports(const uint8_t *l4, uint32_t l4len, uint8_t proto, struct xfrm_flow *fl)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		if (l4len >= 4) {
			fl->sport = get_be16(l4);
			fl->dport = get_be16(l4 + 2);
		}
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* Linux's selectors hold the ICMP type in sport, code in dport */
		if (l4len >= 2) {
			fl->sport = l4[0];
			fl->dport = l4[1];
		}
		break;
	}
}

/* RFC 791 header: version/IHL, TOS, total length, id, flags/fragment
 * offset (bytes 6-7), TTL, protocol (9), checksum, source (12), dest (16). */
static bool parse4(const uint8_t *h, uint32_t len, struct xfrm_flow *fl)
{
	uint32_t ihl, tot;

	if (len < 20)
		return false;
	ihl = (uint32_t)(h[0] & 0x0f) * 4;
	tot = get_be16(h + 2);
	if (ihl < 20 || tot < ihl || tot > len)
		return false;
	ip_addr_from_bytes(&fl->saddr, AF_INET, h + 12);
	ip_addr_from_bytes(&fl->daddr, AF_INET, h + 16);
	fl->proto = h[9];
	if ((get_be16(h + 6) & 0x1fff) == 0)   /* first fragment or whole */
		ports(h + ihl, tot - ihl, fl->proto, fl);
	return true;
}

/* RFC 8200: 40-byte fixed header (payload length at 4, next header at 6,
 * source at 8, destination at 24), then extension headers. */
static bool parse6(const uint8_t *h, uint32_t len, struct xfrm_flow *fl)
{
	uint32_t plen, off = 40, end;
	uint8_t nh;
	int guard;

	if (len < 40)
		return false;
	plen = get_be16(h + 4);
	if (40 + plen > len)
		return false;
	end = 40 + plen;
	ip_addr_from_bytes(&fl->saddr, AF_INET6, h + 8);
	ip_addr_from_bytes(&fl->daddr, AF_INET6, h + 24);
	nh = h[6];
	for (guard = 0; guard < 8; guard++) {
		if (nh == 0 || nh == 43 || nh == 60) {     /* hop-by-hop, routing, dstopts */
			if (end - off < 8)
				return false;
			nh = h[off];
			off += 8 + (uint32_t)h[off + 1] * 8;
			if (off > end)
				return false;
		} else if (nh == 44) {                   /* fragment */
			if (end - off < 8)
				return false;
			bool first = (get_be16(h + off + 2) & 0xfff8) == 0;
			nh = h[off];
			off += 8;
			if (!first) {
				fl->proto = nh;
				return true;
			}
		} else {
			break;
		}
	}
	fl->proto = nh;
	ports(h + off, end - off, nh, fl);
	return true;
}

bool dp_flow_parse(const uint8_t *pkt, uint32_t len, struct xfrm_flow *fl)
{
	memset(fl, 0, sizeof(*fl));
	if (len < 1)
		return false;
	switch (pkt[0] >> 4) {
	case 4:
		return parse4(pkt, len, fl);
	case 6:
		return parse6(pkt, len, fl);
	}
	return false;
}

const char *dp_flow_fmt(const struct xfrm_flow *fl, char *buf, unsigned len)
{
	char s[IP_ADDR_STRLEN], d[IP_ADDR_STRLEN];

	ip_addr_fmt(&fl->saddr, s);
	ip_addr_fmt(&fl->daddr, d);
	switch (fl->proto) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		snprintf(buf, len, "%s %s > %s type %u code %u",
		         fl->proto == IPPROTO_ICMP ? "icmp" : "ipv6-icmp", s, d, fl->sport, fl->dport);
		break;
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		snprintf(buf, len, "%s %s:%u > %s:%u", fl->proto == IPPROTO_TCP ? "tcp" : "udp",
		         s, fl->sport, d, fl->dport);
		break;
	default:
		snprintf(buf, len, "proto %u %s > %s", fl->proto, s, d);
	}
	return buf;
}
