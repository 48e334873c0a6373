/* ESP per-state helpers that are neither input nor output: overhead, the
 * outer IP/UDP header for captures and raw sockets, and the batch loops.
 * One thread at a time per state (with several workers, under the state's
 * sad_sa_lock, which the data path holds); no allocation. */
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
	size_t hl;
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
	hl = ip_hdr_size(m->family, l4len);
	if (!hl || !(h = pkt_push(p, hl)))
		goto no_room;
	ip_hdr_put(h, m->family, m->saddr, m->daddr, proto, l4len);
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
