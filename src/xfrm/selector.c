/* Selector matching and helpers shared by the SPD and the SAD, after
 * Linux's __xfrm4_selector_match / __xfrm6_selector_match: prefixes on
 * both addresses, the IP protocol (0 = any), ports under their masks (for
 * ICMP and ICMPv6 the type in sport and the code in dport), and lifetimes.
 * Pure functions; no state. */
#include "xfrm/xfrm.h"

#include <string.h>
#include <sys/socket.h>

/* True if the first len bits of a and b agree. */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned full = len / 8, rest = len % 8;

	if (full && memcmp(a, b, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff00u >> rest);
		if ((a[full] ^ b[full]) & mask)
			return false;
	}
	return true;
}

bool xfrm_selector_match(const struct xfrm_selector *sel, const struct xfrm_flow *fl)
{
	if (sel->family) {
		/* The selector's own address family fields may be unset (a
		 * parser may leave them zero for 0.0.0.0/0); only sel->family
		 * counts, and the flow must be of that family. */
		if (fl->daddr.family != sel->family || fl->saddr.family != sel->family)
			return false;
		if (!prefix_eq(sel->daddr.a, fl->daddr.a, sel->prefixlen_d) ||
		    !prefix_eq(sel->saddr.a, fl->saddr.a, sel->prefixlen_s))
			return false;
	}
	if (sel->proto && sel->proto != fl->proto)
		return false;
	if ((fl->dport ^ sel->dport) & sel->dport_mask)
		return false;
	if ((fl->sport ^ sel->sport) & sel->sport_mask)
		return false;
	/* sel->ifindex is not matched: a flow carries no interface yet. */
	return true;
}

unsigned xfrm_family_bits(uint8_t family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

void xfrm_selector_normalize(struct xfrm_selector *sel)
{
	if (sel->family != AF_INET && sel->family != AF_INET6) {
		memset(&sel->daddr, 0, sizeof(sel->daddr));
		memset(&sel->saddr, 0, sizeof(sel->saddr));
		sel->prefixlen_d = sel->prefixlen_s = 0;
	} else {
		unsigned max = xfrm_family_bits(sel->family);
		if (sel->prefixlen_d > max)
			sel->prefixlen_d = (uint8_t)max;
		if (sel->prefixlen_s > max)
			sel->prefixlen_s = (uint8_t)max;
		sel->daddr.family = sel->saddr.family = sel->family;
		for (unsigned bit = sel->prefixlen_d; bit < 128; bit++)
			sel->daddr.a[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
		for (unsigned bit = sel->prefixlen_s; bit < 128; bit++)
			sel->saddr.a[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	}
	sel->dport &= sel->dport_mask;
	sel->sport &= sel->sport_mask;
}

bool xfrm_selector_valid(const struct xfrm_selector *sel)
{
	unsigned max;

	if (sel->family == 0)
		return sel->prefixlen_d == 0 && sel->prefixlen_s == 0 &&
		       ip_addr_is_zero(&sel->daddr) && ip_addr_is_zero(&sel->saddr);
	if (sel->family != AF_INET && sel->family != AF_INET6)
		return false;
	max = xfrm_family_bits(sel->family);
	if (sel->prefixlen_d > max || sel->prefixlen_s > max)
		return false;
	if ((sel->daddr.family && sel->daddr.family != sel->family) ||
	    (sel->saddr.family && sel->saddr.family != sel->family))
		return false;
	return true;
}

bool xfrm_selector_equal(const struct xfrm_selector *a, const struct xfrm_selector *b)
{
	return a->family == b->family && a->prefixlen_d == b->prefixlen_d &&
	       a->prefixlen_s == b->prefixlen_s && a->proto == b->proto &&
	       a->dport == b->dport && a->dport_mask == b->dport_mask &&
	       a->sport == b->sport && a->sport_mask == b->sport_mask &&
	       a->ifindex == b->ifindex &&
	       memcmp(a->daddr.a, b->daddr.a, 16) == 0 &&
	       memcmp(a->saddr.a, b->saddr.a, 16) == 0;
}

void xfrm_lifetime_cfg_init(struct xfrm_lifetime_cfg *cfg)
{
	cfg->soft_byte_limit = cfg->hard_byte_limit = XFRM_INF;
	cfg->soft_packet_limit = cfg->hard_packet_limit = XFRM_INF;
	cfg->soft_add_expires_seconds = cfg->hard_add_expires_seconds = XFRM_INF;
	cfg->soft_use_expires_seconds = cfg->hard_use_expires_seconds = XFRM_INF;
}
