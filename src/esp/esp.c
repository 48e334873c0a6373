/* ESP per-state helpers that are neither input nor output: overhead, the
 * outer IP/UDP header for captures and raw sockets, and the batch loops.
 * Runs on whichever worker owns the state; no locks, no allocation. */
#include "esp/esp.h"
#include "esp/esp_priv.h"
#include "crypto/esp_crypto.h"
#include "net/ip.h"
#include "util/bytes.h"

#include <string.h>
#include <sys/socket.h>

uint32_t esp_overhead(const struct sad_sa *sa)
{
	uint32_t n = ESP_HDR_LEN + ESP_TRAILER_LEN;

	if (sa->crypto)
		n += crypto_esp_iv_len(sa->crypto) + crypto_esp_icv_len(sa->crypto) +
		     crypto_esp_block_len(sa->crypto) - 1;
	if (sa->mode == XFRM_MODE_TUNNEL)
		n += sa->daddr.family == AF_INET6 ? IP6_HDR_LEN : IP4_HDR_LEN;
	if (sa->encap.type)
		n += UDP_HDR_LEN;
	return n;
}

enum drop_reason esp_push_outer(const struct sad_sa *sa, struct pkt *p)
{
	const struct pkt_meta *m = &p->meta;
	bool udp = m->udp_encap || sa->encap.type;
	uint8_t proto = udp ? IP_PROTO_UDP : IP_PROTO_ESP;
	uint32_t l4len = p->len + (udp ? UDP_HDR_LEN : 0);
	uint8_t *h;

	if (m->family != AF_INET && m->family != AF_INET6)
		return DROP_OUT_BAD_PACKET;
	if (udp) {
		struct udp_hdr u;
		uint16_t sport = m->udp_encap ? m->sport : sa->encap.sport;
		uint16_t dport = m->udp_encap ? m->dport : sa->encap.dport;

		if (l4len > 0xffff)
			return DROP_OUT_NO_ROOM;
		h = pkt_push(p, UDP_HDR_LEN);
		if (!h)
			return DROP_OUT_NO_ROOM;
		put_be16(u.sport, sport);
		put_be16(u.dport, dport);
		put_be16(u.len, (uint16_t)l4len);
		memset(u.csum, 0, 2);   /* RFC 3948 section 2.1: 0 over IPv4 */
		memcpy(h, &u, sizeof(u));
		if (m->family == AF_INET6) {
			/* IPv6 has no zero UDP checksum here (RFC 8200 8.1) */
			put_be16(u.csum, ip_csum_pseudo(m->saddr, m->daddr, 16,
			                                IP_PROTO_UDP, h, l4len));
			memcpy(h, &u, sizeof(u));
		}
	}
	if (m->family == AF_INET) {
		struct ip4_hdr ip = { 0 };

		if (l4len + IP4_HDR_LEN > 0xffff)
			goto no_room;
		h = pkt_push(p, IP4_HDR_LEN);
		if (!h)
			goto no_room;
		ip.ver_ihl = 0x45;
		put_be16(ip.tot_len, (uint16_t)(l4len + IP4_HDR_LEN));
		ip.ttl = IP_DEFAULT_TTL;
		ip.proto = proto;
		memcpy(ip.saddr, m->saddr, 4);
		memcpy(ip.daddr, m->daddr, 4);
		put_be16(ip.csum, ip_csum(&ip, sizeof(ip)));
		memcpy(h, &ip, sizeof(ip));
	} else {
		struct ip6_hdr ip = { 0 };

		if (l4len > 0xffff)
			goto no_room;
		h = pkt_push(p, IP6_HDR_LEN);
		if (!h)
			goto no_room;
		ip.vtc_flow[0] = 0x60;
		put_be16(ip.payload_len, (uint16_t)l4len);
		ip.nexthdr = proto;
		ip.hop_limit = IP_DEFAULT_TTL;
		memcpy(ip.saddr, m->saddr, 16);
		memcpy(ip.daddr, m->daddr, 16);
		memcpy(h, &ip, sizeof(ip));
	}
	return DROP_NONE;
no_room:
	if (udp)
		pkt_pull(p, UDP_HDR_LEN);
	return DROP_OUT_NO_ROOM;
}

void esp_output_batch(struct sad_sa *sa, struct pkt **pkts, uint32_t n,
                      enum drop_reason *verdicts)
{
	for (uint32_t i = 0; i < n; i++)
		verdicts[i] = esp_output(sa, pkts[i]);
}

void esp_input_batch(struct sad_sa *sa, struct pkt **pkts, uint32_t n,
                     enum drop_reason *verdicts)
{
	for (uint32_t i = 0; i < n; i++)
		verdicts[i] = esp_input(sa, pkts[i]);
}
