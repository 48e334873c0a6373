/* Test helper: build ESP states (struct sad_sa with its crypto context)
 * without a SAD, and inner packets whose headers esp_input() rebuilds
 * exactly (TTL 64, no options), so that round trips compare whole packets.
 * Header-only, shared by the esp unit tests, the fuzz target and the bench. */
#ifndef UIPSEC_TESTS_ESP_TEST_SA_H
#define UIPSEC_TESTS_ESP_TEST_SA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto/esp_crypto.h"
#include "esp/esp.h"
#include "net/ip.h"
#include "util/bytes.h"
#include "xfrm/sad.h"

struct test_alg {
	const char *label;
	const char *aead, *enc, *auth;
	unsigned enc_key_len, auth_key_len, bits;   /* bits: ICV or truncation */
};

static const struct test_alg test_algs[] = {
	{ "aes128gcm",  "rfc4106(gcm(aes))", NULL, NULL, 20, 0, 128 },
	{ "aes192gcm12", "rfc4106(gcm(aes))", NULL, NULL, 28, 0, 96 },
	{ "aes256gcm8", "rfc4106(gcm(aes))", NULL, NULL, 36, 0, 64 },
	{ "aes256gcm",  "rfc4106(gcm(aes))", NULL, NULL, 36, 0, 128 },
	{ "chacha20poly1305", "rfc7539esp(chacha20,poly1305)", NULL, NULL, 36, 0, 128 },
	{ "aes128gmac", "rfc4543(gcm(aes))", NULL, NULL, 20, 0, 128 },
	{ "aes128cbc-sha1", NULL, "cbc(aes)", "hmac(sha1)", 16, 20, 96 },
	{ "aes128cbc-sha256", NULL, "cbc(aes)", "hmac(sha256)", 16, 32, 128 },
	{ "aes192cbc-sha384", NULL, "cbc(aes)", "hmac(sha384)", 24, 48, 192 },
	{ "aes256cbc-sha512", NULL, "cbc(aes)", "hmac(sha512)", 32, 64, 256 },
	{ "null-sha256", NULL, "ecb(cipher_null)", "hmac(sha256)", 0, 32, 128 },
};
#define TEST_NALGS (sizeof(test_algs) / sizeof(test_algs[0]))

/* Fill sa (zeroed first) for alg with deterministic keys; seed varies them. */
static inline int test_sa_init(struct sad_sa *sa, const struct test_alg *alg, int mode,
                               int family, bool esn, bool encap, uint32_t spi,
                               uint8_t seed)
{
	uint8_t ekey[64], akey[64];
	struct crypto_esp_algs a = { 0 };

	memset(sa, 0, sizeof(*sa));
	for (int i = 0; i < 64; i++) {
		ekey[i] = (uint8_t)(seed + i * 3);
		akey[i] = (uint8_t)(seed ^ (i * 11));
	}
	if (alg->aead) {
		a.aead = alg->aead;
		a.aead_key = ekey;
		a.aead_key_len = alg->enc_key_len;
		a.aead_icv_bits = alg->bits;
	} else {
		a.enc = alg->enc;
		a.enc_key = ekey;
		a.enc_key_len = alg->enc_key_len;
		a.auth = alg->auth;
		a.auth_key = akey;
		a.auth_key_len = alg->auth_key_len;
		a.auth_trunc_bits = alg->bits;
	}
	if (crypto_esp_new(&a, &sa->crypto, NULL, 0))
		return -1;
	sa->spi = spi;
	sa->proto = IPPROTO_ESP_;
	sa->mode = (uint8_t)mode;
	sa->flags = esn ? SAD_FLAG_ESN : 0;
	if (family == AF_INET) {
		ip_addr_parse("192.0.2.1", &sa->saddr);
		ip_addr_parse("192.0.2.2", &sa->daddr);
	} else {
		ip_addr_parse("2001:db8::1", &sa->saddr);
		ip_addr_parse("2001:db8::2", &sa->daddr);
	}
	if (encap) {
		sa->encap.type = UDP_ENCAP_ESPINUDP_;
		sa->encap.sport = 4500;
		sa->encap.dport = 4500;
	}
	/* lft all zero: no limits (xfrm_lifetime_cfg_init sets XFRM_INF) */
	replay_init(&sa->replay, 128, esn);
	return 0;
}

/* Write an IPv4 or IPv6 packet with n payload bytes (protocol 253, the
 * experimental number) into buf; returns its length. In transport mode
 * the addresses must be the SA's so the rebuilt header matches. */
static inline uint32_t test_inner_packet(uint8_t *buf, int family, uint32_t n,
                                         const uint8_t *src, const uint8_t *dst,
                                         uint8_t fill)
{
	uint32_t hl = family == AF_INET ? IP4_HDR_LEN : IP6_HDR_LEN;

	for (uint32_t i = 0; i < n; i++)
		buf[hl + i] = (uint8_t)(fill + i);
	if (family == AF_INET) {
		struct ip4_hdr ip = { 0 };

		ip.ver_ihl = 0x45;
		put_be16(ip.tot_len, (uint16_t)(n + hl));
		ip.ttl = IP_DEFAULT_TTL;
		ip.proto = 253;
		memcpy(ip.saddr, src, 4);
		memcpy(ip.daddr, dst, 4);
		put_be16(ip.csum, ip_csum(&ip, sizeof(ip)));
		memcpy(buf, &ip, sizeof(ip));
	} else {
		struct ip6_hdr ip = { 0 };

		ip.vtc_flow[0] = 0x60;
		put_be16(ip.payload_len, (uint16_t)n);
		ip.nexthdr = 253;
		ip.hop_limit = IP_DEFAULT_TTL;
		memcpy(ip.saddr, src, 16);
		memcpy(ip.daddr, dst, 16);
		memcpy(buf, &ip, sizeof(ip));
	}
	return n + hl;
}

/* The stages esp_input_obs reported for one packet (esp.h), and the check
 * that they are what esp.h promises: ESP_IN_CHECK, ESP_IN_REPLAY_CHECK, ...
 * in order without a gap, every one but the last passed (DROP_NONE), the
 * last carrying the verdict esp_input returned, ESP_IN_DECAP last for a
 * packet that passed, and each drop reason at the stage that can decide it.
 * A stage that stops reporting itself, or a new exit that does not report,
 * breaks one of these for some packet. */
struct esp_stage_log {
	unsigned n;
	enum esp_in_stage stage[8];
	enum drop_reason r[8];
};

static inline void esp_stage_log_add(void *ctx, const struct sad_sa *sa,
                                     enum esp_in_stage stage, enum drop_reason r,
                                     uint64_t seq)
{
	struct esp_stage_log *l = (struct esp_stage_log *)ctx;

	(void)sa;
	(void)seq;
	if (l->n < 8) {
		l->stage[l->n] = stage;
		l->r[l->n] = r;
	}
	l->n++;
}

/* NULL if the log fits the contract for verdict r, else what is wrong. */
static inline const char *esp_stage_log_check(const struct esp_stage_log *l, enum drop_reason r)
{
	enum esp_in_stage last;

	if (l->n == 0)
		return "no stage reported";
	if (l->n > ESP_IN_DECAP + 1)
		return "more stages than there are";
	for (unsigned i = 0; i < l->n; i++) {
		if (l->stage[i] != (enum esp_in_stage)i)
			return "stages out of order or one missing";
		if (i + 1 < l->n && l->r[i] != DROP_NONE)
			return "a stage after a drop";
	}
	if (l->r[l->n - 1] != r)
		return "the last stage's verdict is not esp_input's";
	last = l->stage[l->n - 1];
	switch (r) {
	case DROP_NONE:
	case DROP_BAD_PADDING:
	case DROP_BAD_NEXT_HEADER:
	case DROP_DUMMY:
	case DROP_IN_NO_BUFFER:
		return last == ESP_IN_DECAP ? NULL : "decided before the decapsulation";
	case DROP_IN_EXPIRED:
	case DROP_BAD_SPI:
		return last == ESP_IN_CHECK ? NULL : "state or SPI checked late";
	case DROP_IN_STATE_INVALID:   /* no cipher context; transport: no family */
		return last == ESP_IN_CHECK || last == ESP_IN_DECAP ? NULL : "state-invalid elsewhere";
	case DROP_BAD_LEN:            /* short; CBC blocks; the inner length */
		return last == ESP_IN_CHECK || last == ESP_IN_DECRYPT || last == ESP_IN_DECAP
		       ? NULL : "bad-length elsewhere";
	case DROP_REPLAY:
	case DROP_REPLAY_OLD:
	case DROP_SEQ_ZERO:
		return last == ESP_IN_REPLAY_CHECK || last == ESP_IN_REPLAY_ADVANCE
		       ? NULL : "a replay decided outside the replay stages";
	case DROP_AUTH_FAILED:
	case DROP_IN_CRYPTO_ERROR:
		return last == ESP_IN_DECRYPT ? NULL : "an ICV verdict outside the decryption";
	default:
		return "a verdict esp_input does not give";
	}
}

#endif
