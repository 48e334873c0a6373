/* The Configuration payload (RFC 7296 3.15), see ike_cp.h. Validate,
 * then parse: every attribute's length is checked against what remains
 * of the body and against its type before its value is read. */
#include "ike/ike_cp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ike/ike_proto.h"
#include "util/bytes.h"

/*
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   CFG Type    |                    RESERVED                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Configuration Attributes                    ~
 *            RFC 7296 Figure 23: Configuration Payload Format
 *
 * |R|         Attribute Type      |            Length             |
 * ~                             Value                             ~
 *            RFC 7296 Figure 24: Configuration Attribute Format
 */

/* The lengths RFC 7296 3.15.1 allows a known attribute (0 always):
 * a second allowed length, or 0 for "any" (unknown types). */
static int attr_len(uint16_t type)
{
	switch (type) {
	case IKE_CPA_INTERNAL_IP4_ADDRESS:
	case IKE_CPA_INTERNAL_IP4_NETMASK:
	case IKE_CPA_INTERNAL_IP4_DNS:
	case IKE_CPA_INTERNAL_IP4_NBNS:
	case IKE_CPA_INTERNAL_IP4_DHCP:
		return 4;
	case IKE_CPA_INTERNAL_IP6_DNS:
	case IKE_CPA_INTERNAL_IP6_NBNS:
	case IKE_CPA_INTERNAL_IP6_DHCP:
		return 16;
	case IKE_CPA_INTERNAL_IP6_ADDRESS:
	case IKE_CPA_INTERNAL_IP6_SUBNET:
		return 17;
	case IKE_CPA_INTERNAL_IP4_SUBNET:
		return 8;
	default:
		return -1;
	}
}

/* A contiguous netmask's length, or -1. */
static int mask_len(const uint8_t *m)
{
	uint32_t v = get_be32(m);
	int n = 0;

	while (n < 32 && (v & (0x80000000u >> n)))
		n++;
	if (n < 32 && (v << n) != 0)
		return -1;
	return n;
}

static void add_addr(struct ip_addr *list, unsigned *n, unsigned *skipped, int fam,
                     const uint8_t *v)
{
	if (*n >= IKE_CP_LIST_MAX) {
		(*skipped)++;
		return;
	}
	ip_addr_from_bytes(&list[(*n)++], fam, v);
}

static void add_prefix(struct ike_prefix *list, unsigned *n, unsigned max, unsigned *skipped,
                       int fam, const uint8_t *v, uint8_t plen)
{
	if (*n >= max) {
		(*skipped)++;
		return;
	}
	ip_addr_from_bytes(&list[*n].addr, fam, v);
	list[*n].len = plen;
	(*n)++;
}

int ike_cp_parse(const uint8_t *body, size_t len, struct ike_cp *out)
{
	size_t off = 4;
	unsigned nattr = 0;

	memset(out, 0, sizeof(*out));
	if (len < 4)
		return -EBADMSG;
	out->type = body[0];
	while (off < len) {
		uint16_t type, alen;
		const uint8_t *v;
		int want;

		if (len - off < 4 || ++nattr > IKE_CP_ATTRS_MAX)
			return -EBADMSG;
		type = get_be16(body + off) & 0x7fff;
		alen = get_be16(body + off + 2);
		if (alen > len - off - 4)
			return -EBADMSG;
		v = body + off + 4;
		off += 4 + (size_t)alen;
		want = attr_len(type);
		if (want < 0) {
			out->nskipped++;
			continue;
		}
		if (alen != 0 && alen != want)
			return -EBADMSG;
		switch (type) {
		case IKE_CPA_INTERNAL_IP4_ADDRESS:
			if (!alen)
				out->ask_addr[0]++;
			else
				add_prefix(out->addrs, &out->naddrs, IKE_CP_ADDR_MAX, &out->nskipped, AF_INET,
				           v, 32);
			break;
		case IKE_CPA_INTERNAL_IP6_ADDRESS:
			if (!alen) {
				out->ask_addr[1]++;
				break;
			}
			if (v[16] > 128)
				return -EBADMSG;
			add_prefix(out->addrs, &out->naddrs, IKE_CP_ADDR_MAX, &out->nskipped, AF_INET6, v,
			           v[16]);
			break;
		case IKE_CPA_INTERNAL_IP4_DNS:
		case IKE_CPA_INTERNAL_IP6_DNS:
			if (!alen)
				out->ask_dns[type == IKE_CPA_INTERNAL_IP6_DNS]++;
			else
				add_addr(out->dns, &out->ndns, &out->nskipped,
				         type == IKE_CPA_INTERNAL_IP6_DNS ? AF_INET6 : AF_INET, v);
			break;
		case IKE_CPA_INTERNAL_IP4_NBNS:
		case IKE_CPA_INTERNAL_IP6_NBNS:
			if (!alen)
				out->ask_nbns[type == IKE_CPA_INTERNAL_IP6_NBNS]++;
			else
				add_addr(out->nbns, &out->nnbns, &out->nskipped,
				         type == IKE_CPA_INTERNAL_IP6_NBNS ? AF_INET6 : AF_INET, v);
			break;
		case IKE_CPA_INTERNAL_IP4_SUBNET: {
			int ml;
			if (!alen) {
				out->ask_subnet[0]++;
				break;
			}
			if ((ml = mask_len(v + 4)) < 0)
				return -EBADMSG;
			add_prefix(out->subnets, &out->nsubnets, IKE_CP_LIST_MAX, &out->nskipped, AF_INET,
			           v, (uint8_t)ml);
			break;
		}
		case IKE_CPA_INTERNAL_IP6_SUBNET:
			if (!alen) {
				out->ask_subnet[1]++;
				break;
			}
			if (v[16] > 128)
				return -EBADMSG;
			add_prefix(out->subnets, &out->nsubnets, IKE_CP_LIST_MAX, &out->nskipped, AF_INET6,
			           v, v[16]);
			break;
		default:   /* netmask, DHCP: well-formed, not used */
			out->nskipped++;
			break;
		}
	}
	return 0;
}

static void attr_put(struct ike_mb *mb, uint16_t type, const uint8_t *v, uint16_t len)
{
	uint8_t h[4];

	put_be16(h, type);
	put_be16(h + 2, len);
	ike_mb_put(mb, h, 4);
	if (len)
		ike_mb_put(mb, v, len);
}

static void addr_put(struct ike_mb *mb, uint16_t t4, uint16_t t6, const struct ip_addr *a)
{
	if (a->family == AF_INET)
		attr_put(mb, t4, a->a, 4);
	else if (a->family == AF_INET6)
		attr_put(mb, t6, a->a, 16);
}

static void prefix_put(struct ike_mb *mb, uint16_t t4, uint16_t t6, const struct ike_prefix *p,
                       bool v4_mask)
{
	uint8_t v[17];

	if (p->addr.family == AF_INET) {
		if (!v4_mask) {
			attr_put(mb, t4, p->addr.a, 4);
			return;
		}
		memcpy(v, p->addr.a, 4);
		put_be32(v + 4, p->len ? 0xffffffffu << (32 - (p->len > 32 ? 32 : p->len)) : 0);
		attr_put(mb, t4, v, 8);
	} else if (p->addr.family == AF_INET6) {
		memcpy(v, p->addr.a, 16);
		v[16] = p->len;
		attr_put(mb, t6, v, 17);
	}
}

static bool has_family(const struct ip_addr *a, size_t stride, unsigned n, int fam)
{
	for (unsigned i = 0; i < n; i++)
		if (((const struct ip_addr *)((const uint8_t *)a + i * stride))->family == fam)
			return true;
	return false;
}

void ike_cp_put(struct ike_mb *mb, const struct ike_cp *cp)
{
	static const uint16_t ask[4][2] = {
		{ IKE_CPA_INTERNAL_IP4_ADDRESS, IKE_CPA_INTERNAL_IP6_ADDRESS },
		{ IKE_CPA_INTERNAL_IP4_DNS, IKE_CPA_INTERNAL_IP6_DNS },
		{ IKE_CPA_INTERNAL_IP4_NBNS, IKE_CPA_INTERNAL_IP6_NBNS },
		{ IKE_CPA_INTERNAL_IP4_SUBNET, IKE_CPA_INTERNAL_IP6_SUBNET },
	};
	const uint8_t *asks[4] = { cp->ask_addr, cp->ask_dns, cp->ask_nbns, cp->ask_subnet };
	bool answered[4][2];
	uint8_t h[4] = { cp->type, 0, 0, 0 };
	size_t off = ike_mb_open(mb, IKE_PLD_CP, false);

	ike_mb_put(mb, h, 4);
	for (unsigned i = 0; i < cp->naddrs; i++)
		prefix_put(mb, IKE_CPA_INTERNAL_IP4_ADDRESS, IKE_CPA_INTERNAL_IP6_ADDRESS, &cp->addrs[i],
		           false);
	for (unsigned i = 0; i < cp->ndns; i++)
		addr_put(mb, IKE_CPA_INTERNAL_IP4_DNS, IKE_CPA_INTERNAL_IP6_DNS, &cp->dns[i]);
	for (unsigned i = 0; i < cp->nnbns; i++)
		addr_put(mb, IKE_CPA_INTERNAL_IP4_NBNS, IKE_CPA_INTERNAL_IP6_NBNS, &cp->nbns[i]);
	for (unsigned i = 0; i < cp->nsubnets; i++)
		prefix_put(mb, IKE_CPA_INTERNAL_IP4_SUBNET, IKE_CPA_INTERNAL_IP6_SUBNET,
		           &cp->subnets[i], true);
	for (int f = 0; f < 2; f++) {
		int fam = f ? AF_INET6 : AF_INET;
		answered[0][f] = has_family(&cp->addrs[0].addr, sizeof(cp->addrs[0]), cp->naddrs, fam);
		answered[1][f] = has_family(cp->dns, sizeof(cp->dns[0]), cp->ndns, fam);
		answered[2][f] = has_family(cp->nbns, sizeof(cp->nbns[0]), cp->nnbns, fam);
		answered[3][f] = has_family(&cp->subnets[0].addr, sizeof(cp->subnets[0]), cp->nsubnets,
		                            fam);
	}
	for (int k = 0; k < 4; k++)
		for (int f = 0; f < 2; f++)
			if (asks[k][f] && !answered[k][f])
				attr_put(mb, ask[k][f], NULL, 0);
	ike_mb_close(mb, off);
}

const char *ike_cp_type_name(uint8_t type)
{
	static char buf[16];

	switch (type) {
	case IKE_CFG_REQUEST: return "CFG_REQUEST";
	case IKE_CFG_REPLY: return "CFG_REPLY";
	case IKE_CFG_SET: return "CFG_SET";
	case IKE_CFG_ACK: return "CFG_ACK";
	default:
		snprintf(buf, sizeof(buf), "CFG_TYPE_%u", type);
		return buf;
	}
}

char *ike_cp_fmt(const struct ike_cp *cp, char *buf, size_t len)
{
	char a[IP_ADDR_STRLEN];
	size_t n = 0;

	buf[0] = 0;
#define OUT(...) do { if (n < len) { int w = snprintf(buf + n, len - n, __VA_ARGS__); \
		if (w > 0) n += (size_t)w; } } while (0)
	for (unsigned i = 0; i < cp->naddrs; i++)
		OUT("%s%s", n ? " " : "", ip_addr_fmt(&cp->addrs[i].addr, a));
	for (unsigned i = 0; i < cp->ndns; i++)
		OUT("%sdns %s", n ? " " : "", ip_addr_fmt(&cp->dns[i], a));
	for (unsigned i = 0; i < cp->nnbns; i++)
		OUT("%snbns %s", n ? " " : "", ip_addr_fmt(&cp->nbns[i], a));
	for (unsigned i = 0; i < cp->nsubnets; i++)
		OUT("%ssubnet %s/%u", n ? " " : "", ip_addr_fmt(&cp->subnets[i].addr, a),
		    cp->subnets[i].len);
	if (!n)
		OUT("(empty)");
#undef OUT
	return buf;
}
