/* ESP input (RFC 4303 section 3.4), in place:
 *
 *    0                   1                   2                   3
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |               Security Parameters Index (SPI)                 |
 *   |                      Sequence Number                          |
 *   |                IV (iv_len, per algorithm)                     |
 *   ~     Payload Data, TFC padding (tunnel)    ... Padding         ~
 *   |               |  Pad Length   | Next Header   |               |
 *   ~                 Integrity Check Value (icv_len)               ~
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Order (RFC 4303 3.4.3, 3.4.4): lengths, replay check (which also infers
 * the ESN high bits that the ICV covers), ICV verification and decryption,
 * replay window update, then padding and next header. A packet that fails
 * the ICV never moves the window.
 *
 * Each stage reports itself to an observer when one is given
 * (esp_input_obs, for the packet trace); esp_input has none and compiles
 * without the reports.
 *
 * One thread at a time per state (with several workers, under the state's
 * sad_sa_lock, which the data path holds); no allocation. */
#include "esp/esp.h"
#include "esp/esp_priv.h"
#include "crypto/esp_crypto.h"
#include "net/ip.h"
#include "util/bytes.h"
#include "util/log.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static enum drop_reason replay_drop(struct sad_sa *sa, enum replay_verdict v)
{
	sa->stats.replay++;
	switch (v) {
	case REPLAY_TOO_OLD:
		sa->stats.replay_window++;
		return DROP_REPLAY_OLD;
	case REPLAY_INVALID:
		return DROP_SEQ_ZERO;
	default:
		return DROP_REPLAY;
	}
}

/* (The helpers below are inlined into both esp_input and esp_input_obs,
 * as they were into esp_input alone: the packet path pays no call.)
 *
 * Tunnel mode: the payload is an IP packet; its own length tells where TFC
 * padding (RFC 4303 section 2.7) starts. Trims p to the inner packet. */
static inline __attribute__((always_inline))
enum drop_reason tunnel_inner(struct sad_sa *sa, struct pkt *p, uint8_t nexthdr)
{
	const uint8_t *d = pkt_data(p);
	uint32_t len;

	if (nexthdr == IP_PROTO_IPIP) {
		struct ip4_hdr ip;

		if (p->len < IP4_HDR_LEN)
			goto bad_len;
		memcpy(&ip, d, sizeof(ip));
		if ((ip.ver_ihl >> 4) != 4)
			goto bad_nh;
		len = get_be16(ip.tot_len);
		if ((uint32_t)(ip.ver_ihl & 0x0f) * 4 < IP4_HDR_LEN ||
		    len < (uint32_t)(ip.ver_ihl & 0x0f) * 4)
			goto bad_len;
	} else if (nexthdr == IP_PROTO_IPV6) {
		struct ip6_hdr ip;

		if (p->len < IP6_HDR_LEN)
			goto bad_len;
		memcpy(&ip, d, sizeof(ip));
		if ((ip.vtc_flow[0] >> 4) != 6)
			goto bad_nh;
		len = (uint32_t)get_be16(ip.payload_len) + IP6_HDR_LEN;
	} else {
		goto bad_nh;
	}
	if (len > p->len)
		goto bad_len;
	pkt_trim(p, p->len - len);
	return DROP_NONE;
bad_len:
	sa->stats.malformed++;
	return DROP_BAD_LEN;
bad_nh:
	sa->stats.bad_padding++;
	return DROP_BAD_NEXT_HEADER;
}

/* Transport mode: put an IP header in front, rebuilt from the outer
 * addresses in p->meta, with protocol nexthdr. */
static inline __attribute__((always_inline))
enum drop_reason transport_header(struct sad_sa *sa, struct pkt *p, uint8_t nexthdr)
{
	const struct pkt_meta *m = &p->meta;
	uint32_t plen = p->len;
	size_t hl;
	uint8_t *h;

	if (m->family != AF_INET && m->family != AF_INET6)
		return DROP_IN_STATE_INVALID;
	hl = ip_hdr_size(m->family, plen);
	if (!hl)
		goto bad_len;
	h = pkt_push(p, hl);
	if (!h)
		return DROP_IN_NO_BUFFER;
	ip_hdr_put(h, m->family, m->saddr, m->daddr, nexthdr, plen);
	return DROP_NONE;
bad_len:
	sa->stats.malformed++;
	return DROP_BAD_LEN;
}

/* Report the stage just passed and go on to the next; obs is NULL for
 * esp_input, where the compiler drops every report. */
#define PASSED(next) \
	do { \
		if (obs) \
			obs->stage(obs->ctx, sa, stage, DROP_NONE, seq); \
		stage = (next); \
	} while (0)

/* The body of esp_input and esp_input_obs. Every exit goes through out:,
 * which reports the stage that decided (the trace shows where a packet
 * stopped because this says so, not because the caller guesses it from
 * the drop reason). */
static inline __attribute__((always_inline))
enum drop_reason input(struct sad_sa *sa, struct pkt *p, const struct esp_in_obs *obs)
{
	struct crypto_esp *c = sa->crypto;
	bool esn = sa->flags & SAD_FLAG_ESN;
	enum esp_in_stage stage = ESP_IN_CHECK;
	uint32_t ivlen, icvlen, clen, padlen, payload_len, i;
	enum replay_verdict v;
	enum drop_reason r;
	uint8_t *d, nexthdr;
	uint64_t seq = 0;
	int rc;

	if (!c) {
		r = DROP_IN_STATE_INVALID;
		goto out;
	}
	if (sad_sa_hard_reached(sa)) {
		sa->stats.expired++;
		r = DROP_IN_EXPIRED;
		goto out;
	}
	ivlen = crypto_esp_iv_len(c);
	icvlen = crypto_esp_icv_len(c);
	/* The encrypted part holds at least pad length and next header. */
	if (p->len < ESP_HDR_LEN + ivlen + ESP_TRAILER_LEN + icvlen)
		goto drop_bad_len;
	d = pkt_data(p);
	clen = p->len - ESP_HDR_LEN - ivlen - icvlen;
	if (get_be32(d) != sa->spi) {
		r = DROP_BAD_SPI;
		goto out;
	}
	PASSED(ESP_IN_REPLAY_CHECK);

	v = replay_check(&sa->replay, get_be32(d + 4), &seq);
	if (v != REPLAY_OK) {
		r = replay_drop(sa, v);
		goto out;
	}
	PASSED(ESP_IN_DECRYPT);

	rc = crypto_esp_open(c, d, (uint32_t)(seq >> 32), esn, d + ESP_HDR_LEN,
	                     d + ESP_HDR_LEN + ivlen, clen, d + ESP_HDR_LEN + ivlen + clen);
	if (rc == -EBADMSG) {
		sa->stats.integrity_failed++;
		log_debug_rl("esp: SPI 0x%08x seq %llu: ICV did not verify", sa->spi,
		             (unsigned long long)seq);
		r = DROP_AUTH_FAILED;
		goto out;
	}
	if (rc == -EINVAL)
		goto drop_bad_len;   /* CBC: not a whole number of blocks */
	if (rc) {
		r = DROP_IN_CRYPTO_ERROR;
		goto out;
	}
	PASSED(ESP_IN_REPLAY_ADVANCE);

	/* Authenticated: now, and only now, the window moves. */
	v = replay_advance(&sa->replay, seq);
	if (v != REPLAY_OK) {
		r = replay_drop(sa, v);
		goto out;
	}
	PASSED(ESP_IN_DECAP);

	/* Trailer (RFC 4303 section 2.4): pad length, then padding 1, 2, ... */
	d += ESP_HDR_LEN + ivlen;
	padlen = d[clen - 2];
	nexthdr = d[clen - 1];
	if (padlen + ESP_TRAILER_LEN > clen)
		goto drop_bad_padding;
	payload_len = clen - ESP_TRAILER_LEN - padlen;
	for (i = 0; i < padlen; i++)
		if (d[payload_len + i] != (uint8_t)(i + 1))
			goto drop_bad_padding;

	/* Dummy packet (RFC 4303 section 2.6): authentic, but discarded. */
	if (nexthdr == IP_PROTO_NONE) {
		r = DROP_DUMMY;
		goto out;
	}

	pkt_pull(p, ESP_HDR_LEN + ivlen);
	pkt_trim(p, p->len - payload_len);
	if (sa->mode == XFRM_MODE_TUNNEL)
		r = tunnel_inner(sa, p, nexthdr);
	else
		r = transport_header(sa, p, nexthdr);
	if (r == DROP_NONE)
		sad_sa_count(sa, p->len, 0);
out:
	if (obs)
		obs->stage(obs->ctx, sa, stage, r, seq);
	return r;

drop_bad_len:
	sa->stats.malformed++;
	r = DROP_BAD_LEN;
	goto out;
drop_bad_padding:
	sa->stats.bad_padding++;
	log_debug_rl("esp: SPI 0x%08x seq %llu: bad padding", sa->spi,
	             (unsigned long long)seq);
	r = DROP_BAD_PADDING;
	goto out;
}

#undef PASSED

enum drop_reason esp_input(struct sad_sa *sa, struct pkt *p)
{
	return input(sa, p, NULL);
}

enum drop_reason esp_input_obs(struct sad_sa *sa, struct pkt *p, const struct esp_in_obs *obs)
{
	return input(sa, p, obs);
}
