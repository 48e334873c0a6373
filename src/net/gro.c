/* Receive coalescing of TCP segments and UDP datagrams (see gro.h). The flow table is a
 * handful of slots searched linearly: a batch holds few flows, and the
 * search is cheaper than hashing at these sizes. */
#include "net/gro.h"
#include "net/ip.h"
#include "util/bytes.h"

#include <string.h>

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

void net_gro_init(struct net_gro *g, net_gro_emit_fn emit, void *ctx)
{
	memset(g, 0, sizeof(*g));
	g->emit = emit;
	g->ctx = ctx;
}

/* A parsed candidate: where the headers are and what they say. */
struct cand {
	uint8_t ipv;
	uint8_t proto;        /* IP_PROTO_TCP or IP_PROTO_UDP */
	uint16_t ip_hlen, hlen;
	uint32_t seq, plen;
	uint8_t flags;
	bool mergeable;       /* TCP with only ACK/PSH and payload; UDP with payload */
	bool tcp;             /* a TCP (or, with g->udp, UDP) packet we could parse */
};

static void parse(const struct net_gro *g, const uint8_t *p, uint32_t len, struct cand *c)
{
	uint32_t thl;
	const uint8_t *th;

	memset(c, 0, sizeof(*c));
	if (len < IP4_HDR_LEN)
		return;
	c->ipv = p[0] >> 4;
	if (c->ipv == 4) {
		c->proto = p[9];
		if ((p[0] & 0x0f) != 5 || get_be16(p + 2) != len || (get_be16(p + 6) & 0x3fff))
			return;
		c->ip_hlen = IP4_HDR_LEN;
	} else if (c->ipv == 6) {
		if (len < IP6_HDR_LEN || (uint32_t)get_be16(p + 4) + IP6_HDR_LEN != len)
			return;
		c->proto = p[6];
		c->ip_hlen = IP6_HDR_LEN;
	} else {
		return;
	}
	th = p + c->ip_hlen;
	if (c->proto == IP_PROTO_UDP && g->udp) {
		/* RFC 768: the UDP length must agree with the IP length */
		if (len < (uint32_t)c->ip_hlen + UDP_HDR_LEN ||
		    get_be16(th + 4) != len - c->ip_hlen)
			return;
		c->tcp = true;
		c->hlen = (uint16_t)(c->ip_hlen + UDP_HDR_LEN);
		c->plen = len - c->hlen;
		c->mergeable = c->plen > 0;
		return;
	}
	if (c->proto != IP_PROTO_TCP || len < (uint32_t)c->ip_hlen + 20)
		return;
	thl = (uint32_t)(th[12] >> 4) * 4;
	if (thl < 20 || c->ip_hlen + thl > len)
		return;
	c->tcp = true;
	c->hlen = (uint16_t)(c->ip_hlen + thl);
	c->plen = len - c->hlen;
	c->seq = get_be32(th + 4);
	c->flags = th[13];
	c->mergeable = c->plen > 0 && (c->flags & TCP_ACK) &&
	               (c->flags & (uint8_t)~(TCP_ACK | TCP_PSH)) == 0;
}

/* Same addresses and ports as the flow's first packet? */
static bool same_key(const struct net_gro_flow *f, const uint8_t *p, const struct cand *c)
{
	const uint8_t *h = f->head;

	if (f->ipv != c->ipv || f->proto != c->proto)
		return false;
	if (c->ipv == 4) {
		if (memcmp(h + 12, p + 12, 8) != 0)
			return false;
	} else if (memcmp(h + 8, p + 8, 32) != 0) {
		return false;
	}
	return memcmp(h + f->ip_hlen, p + c->ip_hlen, 4) == 0;
}

/* May p (same key) be appended to f? */
static bool can_append(const struct net_gro_flow *f, const uint8_t *p, const struct cand *c)
{
	const uint8_t *h = f->head;

	if (!c->mergeable || f->closed || f->nseg >= NET_GRO_MAX_SEGS)
		return false;
	if (c->hlen != f->hlen || c->plen > f->gso_size)
		return false;
	if (c->proto == IP_PROTO_TCP && c->seq != f->next_seq)
		return false;
	if (f->total + c->plen > 65535)
		return false;
	if (c->ipv == 4) {
		/* TOS, DF (the fragment field is zero for both), TTL */
		if (h[1] != p[1] || h[6] != p[6] || h[8] != p[8])
			return false;
	} else if (memcmp(h, p, 4) != 0 || h[7] != p[7]) {
		return false;
	}
	if (c->proto == IP_PROTO_UDP)
		return true;
	/* ACK number, then data offset and every option byte */
	if (memcmp(h + f->ip_hlen + 8, p + c->ip_hlen + 8, 5) != 0 ||
	    memcmp(h + f->ip_hlen + 20, p + c->ip_hlen + 20, (size_t)(c->hlen - c->ip_hlen - 20)) != 0)
		return false;
	return true;
}

static void emit_alone(struct net_gro *g, const uint8_t *p, uint32_t len)
{
	struct net_gro_out o;

	memset(&o.g, 0, sizeof(o.g));
	o.hdr_len = 0;
	o.nsegs = 1;
	o.npieces = 1;
	o.piece[0] = p;
	o.piece_len[0] = len;
	g->emit(g->ctx, &o);
}

/* Rewrite the first packet's headers for the whole super-packet and emit
 * it; free the slot. */
static void flow_flush(struct net_gro *g, struct net_gro_flow *f)
{
	struct net_gro_out o;
	uint8_t *h = f->head, *th = h + f->ip_hlen;
	uint32_t sum, l4len = f->total - f->ip_hlen;
	unsigned i;

	if (!f->used)
		return;
	f->used = false;
	if (f->nseg == 1) {
		emit_alone(g, f->head, f->head_len);
		return;
	}
	if (f->ipv == 4) {
		put_be16(h + 2, (uint16_t)f->total);
		put_be16(h + 10, 0);
		put_be16(h + 10, ip_csum(h, IP4_HDR_LEN));
		sum = ip_csum_partial(h + 12, 8, 0);
	} else {
		put_be16(h + 4, (uint16_t)l4len);
		sum = ip_csum_partial(h + 8, 32, 0);
	}
	/* CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum
	 * (not complemented), as tcp_v4_send_check() leaves it for TSO and
	 * udp_send_skb() for UDP GSO (with the UDP length of the whole). */
	sum += (uint32_t)f->proto + l4len;
	memset(&o, 0, sizeof(o));
	if (f->proto == IP_PROTO_UDP) {
		put_be16(th + 4, (uint16_t)l4len);
		put_be16(th + 6, (uint16_t)~ip_csum_fold(sum));
		o.g.type = NET_GSO_UDP_L4;
		o.g.csum_offset = 6;
	} else {
		th[13] |= f->last_flags & TCP_PSH;
		put_be16(th + 16, (uint16_t)~ip_csum_fold(sum));
		o.g.type = f->ipv == 4 ? NET_GSO_TCPV4 : NET_GSO_TCPV6;
		o.g.csum_offset = 16;
	}
	o.g.needs_csum = true;
	o.g.csum_start = f->ip_hlen;
	o.g.gso_size = f->gso_size;
	o.hdr_len = f->hlen;
	o.nsegs = f->nseg;
	o.piece[0] = f->head;
	o.piece_len[0] = f->head_len;
	for (i = 1; i < f->nseg; i++) {
		o.piece[i] = f->pl[i];
		o.piece_len[i] = f->pl_len[i];
	}
	o.npieces = f->nseg;
	g->emit(g->ctx, &o);
}

static void flow_start(struct net_gro *g, struct net_gro_flow *f, uint8_t *p, uint32_t len,
                       const struct cand *c)
{
	f->used = true;
	f->closed = c->proto == IP_PROTO_TCP && (c->flags & TCP_PSH) != 0;
	f->ipv = c->ipv;
	f->proto = c->proto;
	f->ip_hlen = c->ip_hlen;
	f->hlen = c->hlen;
	f->gso_size = (uint16_t)c->plen;
	f->head = p;
	f->head_len = len;
	f->next_seq = c->seq + c->plen;
	f->total = len;
	f->last_flags = c->flags;
	f->nseg = 1;
	f->age = g->clock++;
}

void net_gro_add(struct net_gro *g, uint8_t *p, uint32_t len)
{
	struct net_gro_flow *f = NULL, *slot = NULL;
	struct cand c;
	unsigned i;

	parse(g, p, len, &c);
	if (!c.tcp) {
		emit_alone(g, p, len);
		return;
	}
	for (i = 0; i < NET_GRO_FLOWS; i++) {
		struct net_gro_flow *x = &g->flow[i];

		if (!x->used) {
			if (!slot)
				slot = x;
		} else if (same_key(x, p, &c)) {
			f = x;
			break;
		}
	}
	if (f && can_append(f, p, &c)) {
		f->pl[f->nseg] = p + c.hlen;
		f->pl_len[f->nseg] = c.plen;
		f->nseg++;
		f->total += c.plen;
		f->next_seq += c.plen;
		f->last_flags = c.flags;
		if (c.plen < f->gso_size || (c.proto == IP_PROTO_TCP && (c.flags & TCP_PSH)))
			f->closed = true;
		return;
	}
	if (f) {
		/* the flow's held data goes first, then this packet */
		flow_flush(g, f);
		slot = f;
	}
	if (!c.mergeable || c.plen + c.hlen > 65535u) {
		emit_alone(g, p, len);
		return;
	}
	if (!slot) {
		/* table full: the oldest flow goes out */
		slot = &g->flow[0];
		for (i = 1; i < NET_GRO_FLOWS; i++)
			if (g->flow[i].age < slot->age)
				slot = &g->flow[i];
		flow_flush(g, slot);
	}
	flow_start(g, slot, p, len, &c);
}

void net_gro_flush(struct net_gro *g)
{
	struct net_gro_flow *order[NET_GRO_FLOWS];
	unsigned i, j, n = 0;

	/* oldest first, so a batch comes out in about the order it came in */
	for (i = 0; i < NET_GRO_FLOWS; i++) {
		if (!g->flow[i].used)
			continue;
		for (j = n; j > 0 && order[j - 1]->age > g->flow[i].age; j--)
			order[j] = order[j - 1];
		order[j] = &g->flow[i];
		n++;
	}
	for (i = 0; i < n; i++)
		flow_flush(g, order[i]);
}
