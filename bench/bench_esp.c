/* ESP per-packet path against OpenSSL's raw crypto on the same buffers, in
 * the same process and run, on one core.
 *
 *   out   esp_output: copy the inner packet into the buffer, then the whole
 *         output path (checks, sequence number, padding, IV, AEAD, ICV)
 *   raw   the same copy, then only the cipher: set IV, AAD, encrypt,
 *         tag (AEAD), or CBC encrypt + HMAC (CBC+HMAC), over the same
 *         number of bytes esp_output encrypts
 *   in    esp_input of a valid packet copied into the buffer (replay
 *         check and update, ICV, decrypt, trailer, inner length)
 *   raw   the same copy, then IV, AAD, decrypt, tag check (or HMAC
 *         verify + CBC decrypt)
 *
 * Each figure takes about BENCH_ESP_SECONDS (default 0.3 s), in ROUNDS
 * slices alternating with its raw counterpart; the best slice counts. The
 * targets (issue 2): whole path >= 85% of raw at 1420 bytes, >= 60% at 64. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>

#include "../tests/unit/esp_test_sa.h"
#include <time.h>

#define RING 256          /* valid inbound packets, replayed with a fresh window */
#define ROUNDS 7          /* ours and raw alternate; the best slice of each counts,
                           * which filters out other load on a shared machine */
#define MAX(a, b) ((a) > (b) ? (a) : (b))

struct bench_alg {
	const char *label;
	size_t idx;           /* into test_algs */
};

static const struct bench_alg bench_algs[] = {
	{ "aes128gcm", 0 },
	{ "aes256gcm", 3 },
	{ "chacha20poly1305", 4 },
	{ "aes128cbc-sha256", 7 },
};

static const uint32_t sizes[] = { 64, 512, 1420 };

static double seconds_per_run = 0.3;

static const uint8_t src4[4] = { 10, 1, 0, 2 }, dst4[4] = { 10, 2, 0, 2 };

/* Raw OpenSSL contexts with the same kind of keys. */
struct raw {
	EVP_CIPHER_CTX *ctx;
	EVP_MAC_CTX *mac;
	int aead;
	unsigned icv;
};

static void raw_init(struct raw *r, const struct test_alg *alg, int enc)
{
	static const uint8_t key[64] = { 1, 2, 3 };
	const EVP_CIPHER *c;

	memset(r, 0, sizeof(*r));
	r->ctx = EVP_CIPHER_CTX_new();
	r->icv = alg->bits / 8;
	if (alg->aead) {
		r->aead = 1;
		if (!strcmp(alg->aead, "rfc7539esp(chacha20,poly1305)"))
			c = EVP_chacha20_poly1305();
		else
			c = alg->enc_key_len == 20 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
	} else {
		OSSL_PARAM params[2];
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);

		c = EVP_aes_128_cbc();
		r->mac = EVP_MAC_CTX_new(mac);
		EVP_MAC_free(mac);
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		                                             (char *)"SHA2-256", 0);
		params[1] = OSSL_PARAM_construct_end();
		EVP_MAC_init(r->mac, key, 32, params);
	}
	EVP_CipherInit_ex(r->ctx, c, NULL, key, NULL, enc);
	if (!r->aead)
		EVP_CIPHER_CTX_set_padding(r->ctx, 0);
}

static void raw_free(struct raw *r)
{
	EVP_CIPHER_CTX_free(r->ctx);
	EVP_MAC_CTX_free(r->mac);
}

static int raw_encrypt(struct raw *r, uint8_t *hdr, uint8_t *data, int len, uint8_t *icv)
{
	uint8_t nonce[16] = { 0 }, mac[64];
	int outl;
	size_t ml;

	memcpy(nonce + 4, hdr + 4, 4);
	if (EVP_CipherInit_ex(r->ctx, NULL, NULL, NULL, nonce, 1) != 1)
		return -1;
	if (r->aead) {
		if (EVP_CipherUpdate(r->ctx, NULL, &outl, hdr, 8) != 1 ||
		    EVP_CipherUpdate(r->ctx, data, &outl, data, len) != 1 ||
		    EVP_CipherFinal_ex(r->ctx, data + len, &outl) != 1 ||
		    EVP_CIPHER_CTX_ctrl(r->ctx, EVP_CTRL_AEAD_GET_TAG, (int)r->icv, icv) != 1)
			return -1;
		return 0;
	}
	if (EVP_CipherUpdate(r->ctx, data, &outl, data, len) != 1 ||
	    EVP_MAC_init(r->mac, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(r->mac, hdr, 8) != 1 ||
	    EVP_MAC_update(r->mac, nonce, 16) != 1 ||
	    EVP_MAC_update(r->mac, data, (size_t)len) != 1 ||
	    EVP_MAC_final(r->mac, mac, &ml, sizeof(mac)) != 1)
		return -1;
	memcpy(icv, mac, r->icv);
	return 0;
}

static int raw_decrypt(struct raw *r, uint8_t *hdr, uint8_t *data, int len, uint8_t *icv)
{
	uint8_t nonce[16] = { 0 }, mac[64];
	int outl;
	size_t ml;

	memcpy(nonce + 4, hdr + 4, 4);
	if (EVP_CipherInit_ex(r->ctx, NULL, NULL, NULL, nonce, 0) != 1)
		return -1;
	if (r->aead) {
		if (EVP_CIPHER_CTX_ctrl(r->ctx, EVP_CTRL_AEAD_SET_TAG, (int)r->icv, icv) != 1 ||
		    EVP_CipherUpdate(r->ctx, NULL, &outl, hdr, 8) != 1 ||
		    EVP_CipherUpdate(r->ctx, data, &outl, data, len) != 1)
			return -1;
		/* the tag is made up here, so Final fails: the work is done */
		EVP_CipherFinal_ex(r->ctx, data + len, &outl);
		return 0;
	}
	if (EVP_MAC_init(r->mac, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(r->mac, hdr, 8) != 1 ||
	    EVP_MAC_update(r->mac, nonce, 16) != 1 ||
	    EVP_MAC_update(r->mac, data, (size_t)len) != 1 ||
	    EVP_MAC_final(r->mac, mac, &ml, sizeof(mac)) != 1)
		return -1;
	(void)CRYPTO_memcmp(mac, icv, r->icv);
	if (EVP_CipherUpdate(r->ctx, data, &outl, data, len) != 1)
		return -1;
	return 0;
}

/* CPU time of this thread: on a shared machine, time spent descheduled
 * would otherwise count against whichever side was running. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Run expr in chunks until the time is up; returns packets per CPU second. */
#define TIMED(expr) ({ \
	uint64_t t0_ = cpu_ns(), t1_, n_ = 0; \
	do { \
		for (int k_ = 0; k_ < 256; k_++, n_++) { expr; } \
		t1_ = cpu_ns(); \
	} while (t1_ - t0_ < (uint64_t)(seconds_per_run * 1e9 / ROUNDS)); \
	(double)n_ * 1e9 / (double)(t1_ - t0_); })

static int failures;
static int bench_quiet;

static void report(const char *alg, uint32_t size, const char *dir, double ours, double raw)
{
	double ratio = ours / raw;
	double target = size >= 1420 ? 0.85 : size <= 64 ? 0.60 : 0.0;
	const char *verdict = target == 0.0 ? "" : ratio >= target ? "ok" : "BELOW TARGET";

	if (bench_quiet)
		return;

	printf("%-18s %5u  %-4s %10.0f %10.0f  %5.1f%%  %s\n", alg, size, dir, ours, raw,
	       ratio * 100.0, verdict);
	if (target != 0.0 && ratio < target)
		failures++;
}

static void bench_one(const struct bench_alg *ba, uint32_t size)
{
	const struct test_alg *alg = &test_algs[ba->idx];
	static uint8_t inner[2048], work[PKT_DEFAULT_CAP], ring[RING][2048];
	static uint32_t ring_len[RING];
	struct sad_sa out, in;
	struct raw re, rd;
	struct pkt p;
	uint32_t ilen, enc_len, ivlen, esplen;
	uint64_t drops = 0;
	uint32_t ri = 0, rj = 0;
	double o, r;

	if (test_sa_init(&out, alg, XFRM_MODE_TUNNEL, AF_INET, false, false, 0x1000, 1) ||
	    test_sa_init(&in, alg, XFRM_MODE_TUNNEL, AF_INET, false, false, 0x1000, 1)) {
		fprintf(stderr, "bench_esp: cannot set up %s\n", alg->label);
		exit(1);
	}
	replay_init(&in.replay, 1024, false);
	raw_init(&re, alg, 1);
	raw_init(&rd, alg, 0);
	/* size is the inner packet on the wire of the tunnel */
	ilen = test_inner_packet(inner, AF_INET, size - IP4_HDR_LEN, src4, dst4, 0);
	ivlen = crypto_esp_iv_len(out.crypto);
	{
		uint32_t blk = crypto_esp_block_len(out.crypto);

		enc_len = (ilen + 2 + blk - 1) / blk * blk;
	}

	/* outbound */
	o = r = 0;
	for (int round = 0; round < ROUNDS; round++) {
	o = MAX(o, TIMED({
		pkt_init(&p, work, sizeof(work), PKT_HEADROOM);
		pkt_set(&p, inner, ilen);
		drops += esp_output(&out, &p) != DROP_NONE;
	}));
	r = MAX(r, TIMED({
		uint8_t *d = work + PKT_HEADROOM;
		memcpy(d + 8 + ivlen, inner, ilen);
		put_be32(d + 4, (uint32_t)n_);
		drops += raw_encrypt(&re, d, d + 8 + ivlen, (int)enc_len,
		                     d + 8 + ivlen + enc_len) != 0;
	}));
	}
	report(ba->label, size, "out", o, r);

	/* inbound: a ring of valid packets, window reset each lap */
	for (uint32_t i = 0; i < RING; i++) {
		pkt_init(&p, work, sizeof(work), PKT_HEADROOM);
		pkt_set(&p, inner, ilen);
		esp_output(&out, &p);
		memcpy(ring[i], pkt_data(&p), p.len);
		ring_len[i] = p.len;
	}
	esplen = ring_len[0];
	replay_init(&in.replay, 1024, false);
	replay_set_top(&in.replay, out.oseq - RING);
	o = r = 0;
	for (int round = 0; round < ROUNDS; round++) {
	o = MAX(o, TIMED({
		if (ri == RING) {
			ri = 0;
			replay_init(&in.replay, 1024, false);
			replay_set_top(&in.replay, out.oseq - RING);
		}
		pkt_init(&p, work, sizeof(work), PKT_HEADROOM);
		pkt_set(&p, ring[ri], ring_len[ri]);
		ri++;
		drops += esp_input(&in, &p) != DROP_NONE;
	}));
	r = MAX(r, TIMED({
		uint8_t *d = work + PKT_HEADROOM;
		memcpy(d, ring[rj], esplen);
		rj = (rj + 1) % RING;
		drops += raw_decrypt(&rd, d, d + 8 + ivlen, (int)enc_len,
		                     d + 8 + ivlen + enc_len) != 0;
	}));
	}
	report(ba->label, size, "in", o, r);
	if (drops) {
		fprintf(stderr, "bench_esp: %llu packets dropped in %s/%u: bench is wrong\n",
		        (unsigned long long)drops, ba->label, size);
		failures++;
	}
	raw_free(&re);
	raw_free(&rd);
	crypto_esp_free(out.crypto);
	crypto_esp_free(in.crypto);
}

int main(int argc, char **argv)
{
	const char *s = getenv("BENCH_ESP_SECONDS");

	if (s && atof(s) > 0)
		seconds_per_run = atof(s);
	printf("ESP path vs raw OpenSSL (%s), one core (thread CPU time), tunnel mode IPv4, %.1f s per figure\n",
	       OpenSSL_version(OPENSSL_VERSION), seconds_per_run);
	printf("%-18s %5s  %-4s %10s %10s  %6s\n", "algorithm", "bytes", "dir",
	       "esp pkt/s", "raw pkt/s", "ratio");
	{
		/* warm up (CPU frequency, caches, OpenSSL's lazy init) */
		double save = seconds_per_run;

		seconds_per_run = 0.1;
		bench_quiet = 1;
		bench_one(&bench_algs[0], 512);
		bench_quiet = 0;
		failures = 0;
		seconds_per_run = save;
	}
	for (size_t a = 0; a < sizeof(bench_algs) / sizeof(bench_algs[0]); a++) {
		if (argc > 1 && !strstr(bench_algs[a].label, argv[1]))
			continue;
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			bench_one(&bench_algs[a], sizes[i]);
	}
	printf("targets: >= 85%% of raw at 1420 bytes, >= 60%% at 64 bytes: %s\n",
	       failures ? "NOT MET" : "met");
	return 0;
}
