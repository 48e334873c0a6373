/* ESP output (RFC 4303 section 3.3): one IP packet in, one ESP packet
 * (SPI to ICV) out, in place in the same buffer.
 *
 *   tunnel:     [inner IP packet]         -> [ESP hdr|IV|inner IP|pad|pl|nh|ICV]
 *   transport:  [IP hdr|payload]          -> [ESP hdr|IV|payload|pad|pl|nh|ICV]
 *
 * The outer IP (and UDP) header is not written here: p->meta says what it
 * must be, and the socket (or esp_push_outer() for captures) adds it. In
 * transport mode the original IP header is removed; its addresses go to
 * p->meta (IPv4 options and IPv6 extension headers travel inside the
 * protected payload, IPv4 options are dropped: documented limitation).
 *
 * One thread at a time per state (with several workers, under the state's
 * sad_sa_lock, which the data path holds); no allocation. */
#include "esp/esp.h"
#include "esp/esp_priv.h"
#include "crypto/esp_crypto.h"
#include "net/ip.h"
#include "util/bytes.h"
#include "util/log.h"

#include <string.h>
#include <sys/socket.h>

/* Check the packet handed to us and find where the protected part starts.
 * Returns DROP_NONE and sets *hdrlen (bytes of IP header to strip in
 * transport mode), *nexthdr and the meta addresses. */
static enum drop_reason parse_inner(struct sad_sa *sa, struct pkt *p,
                                    uint32_t *hdrlen, uint8_t *nexthdr)
{
	const uint8_t *d = pkt_data(p);
	struct pkt_meta *m = &p->meta;
	bool tunnel = sa->mode == XFRM_MODE_TUNNEL;

	if (p->len < 1)
		return DROP_OUT_BAD_PACKET;
	if ((d[0] >> 4) == 4) {
		struct ip4_hdr ip;
		uint32_t ihl;

		if (p->len < IP4_HDR_LEN)
			return DROP_OUT_BAD_PACKET;
		memcpy(&ip, d, sizeof(ip));
		ihl = (uint32_t)(ip.ver_ihl & 0x0f) * 4;
		if (ihl < IP4_HDR_LEN || get_be16(ip.tot_len) != p->len || ihl > p->len)
			return DROP_OUT_BAD_PACKET;
		if (tunnel) {
			*nexthdr = IP_PROTO_IPIP;
			*hdrlen = 0;
		} else {
			*nexthdr = ip.proto;
			*hdrlen = ihl;
			m->family = AF_INET;
			memset(m->saddr, 0, 16);
			memset(m->daddr, 0, 16);
			memcpy(m->saddr, ip.saddr, 4);
			memcpy(m->daddr, ip.daddr, 4);
		}
	} else if ((d[0] >> 4) == 6) {
		struct ip6_hdr ip;

		if (p->len < IP6_HDR_LEN)
			return DROP_OUT_BAD_PACKET;
		memcpy(&ip, d, sizeof(ip));
		if ((uint32_t)get_be16(ip.payload_len) + IP6_HDR_LEN != p->len)
			return DROP_OUT_BAD_PACKET;
		if (tunnel) {
			*nexthdr = IP_PROTO_IPV6;
			*hdrlen = 0;
		} else {
			*nexthdr = ip.nexthdr;
			*hdrlen = IP6_HDR_LEN;
			m->family = AF_INET6;
			memcpy(m->saddr, ip.saddr, 16);
			memcpy(m->daddr, ip.daddr, 16);
		}
	} else {
		return DROP_OUT_BAD_PACKET;
	}
	if (tunnel) {
		m->family = sa->daddr.family;
		memcpy(m->saddr, sa->saddr.a, 16);
		memcpy(m->daddr, sa->daddr.a, 16);
	}
	return DROP_NONE;
}

enum drop_reason esp_output(struct sad_sa *sa, struct pkt *p)
{
	struct crypto_esp *c = sa->crypto;
	bool esn = sa->flags & SAD_FLAG_ESN;
	uint32_t hdrlen, ivlen, icvlen, block, inner_len, plen, padlen, i;
	uint8_t nexthdr, *esph, *tail;
	uint64_t seq;
	enum drop_reason r;

	if (!c)
		return DROP_OUT_CRYPTO_ERROR;
	if (sad_sa_hard_reached(sa)) {
		sa->stats.expired++;
		return DROP_OUT_EXPIRED;
	}
	r = parse_inner(sa, p, &hdrlen, &nexthdr);
	if (r)
		return r;
	ivlen = crypto_esp_iv_len(c);
	icvlen = crypto_esp_icv_len(c);
	block = crypto_esp_block_len(c);
	inner_len = p->len;

	/* RFC 4303 section 3.3.3: never let the counter cycle. */
	if (esn ? sa->oseq == UINT64_MAX : sa->oseq >= UINT32_MAX) {
		sa->stats.seq_overflow++;
		log_debug_rl("esp: SPI 0x%08x: outbound sequence number exhausted", sa->spi);
		return DROP_OUT_SEQ_OVERFLOW;
	}

	/* Room first, so that a short buffer leaves p unchanged. */
	plen = p->len - hdrlen;
	padlen = (block - (plen + ESP_TRAILER_LEN) % block) % block;
	if (pkt_tailroom(p) < padlen + ESP_TRAILER_LEN + icvlen ||
	    pkt_headroom(p) + hdrlen < ESP_HDR_LEN + ivlen)
		return DROP_OUT_NO_ROOM;

	seq = ++sa->oseq;

	/* Trailer: monotonic padding 1, 2, 3, ... (RFC 4303 section 2.4). */
	tail = pkt_put(p, padlen + ESP_TRAILER_LEN);
	for (i = 0; i < padlen; i++)
		tail[i] = (uint8_t)(i + 1);
	tail[padlen] = (uint8_t)padlen;
	tail[padlen + 1] = nexthdr;

	/* Header: transport mode overwrites the IP header it removes. */
	pkt_pull(p, hdrlen);
	esph = pkt_push(p, ESP_HDR_LEN + ivlen);
	put_be32(esph, sa->spi);
	put_be32(esph + 4, (uint32_t)seq);
	if (crypto_esp_iv_next(c, seq, esph + ESP_HDR_LEN))
		goto crypto_error;

	tail = pkt_put(p, icvlen);
	if (crypto_esp_seal(c, esph, (uint32_t)(seq >> 32), esn, esph + ESP_HDR_LEN,
	                    esph + ESP_HDR_LEN + ivlen, plen + padlen + ESP_TRAILER_LEN,
	                    tail))
		goto crypto_error;

	if (sa->encap.type) {
		p->meta.udp_encap = 1;
		p->meta.sport = sa->encap.sport;
		p->meta.dport = sa->encap.dport;
	} else {
		p->meta.udp_encap = 0;
		p->meta.sport = p->meta.dport = 0;
	}
	sad_sa_count(sa, inner_len, 1);
	return DROP_NONE;

crypto_error:
	/* The sequence number is spent; the packet is garbage now. */
	log_debug_rl("esp: SPI 0x%08x: encryption failed", sa->spi);
	return DROP_OUT_CRYPTO_ERROR;
}
