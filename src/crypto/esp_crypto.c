/* ESP cipher contexts: the algorithm table (Linux crypto API names) and the
 * per-packet seal/open operations on top of OpenSSL's EVP.
 *
 * Every OpenSSL context is created and keyed once in crypto_esp_new(). Per
 * packet we keep OpenSSL 3.0's parameter plumbing (OSSL_PARAM arrays that
 * the providers search with strcmp) to what its public API cannot avoid:
 *   - AES-GCM: no EVP call per packet but the AES-ECB updates that make
 *     the key stream (see gcm_run()).
 *   - The other AEADs: one EVP_CipherInit_ex2 with the nonce; on open it
 *     also carries the expected tag in its OSSL_PARAM array (no ctrl); on
 *     seal the tag comes from one EVP_CIPHER_CTX_get_params. 3.0 still
 *     asks the provider for the IV length inside every init that sets an
 *     IV, and has no other way to set one.
 *   - CBC: no init at all. The contexts keep chaining from packet to packet
 *     (CBC over several EVP_CipherUpdate calls is one long message), so we
 *     remember the chaining value (the last ciphertext block) and correct
 *     the first block by XOR with chain ^ IV (see cbc_run()).
 *   - HMAC: EVP_MAC_init with a NULL key restarts from the stored key.
 *     OpenSSL 3.0 copies its digest contexts for that and in EVP_MAC_final
 *     (two heap allocations per call, inside OpenSSL); 3.0 has no
 *     non-deprecated way to restart a digest without one.
 * Our own code allocates nothing per packet. A context is used by one
 * thread at a time (the worker that owns the state). Keys live only inside
 * the OpenSSL contexts (wiped by their free functions) and in salt[],
 * wiped here. */
#include "crypto/esp_crypto.h"
#include "crypto/rand.h"
#include "util/bytes.h"
#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/modes.h>

enum esp_kind {
	KIND_GCM,    /* AES-GCM (RFC 4106): AAD = SPI||[seq_hi]||seq; see gcm_run() */
	KIND_AEAD,   /* ChaCha20-Poly1305, the same through EVP */
	KIND_GMAC,   /* RFC 4543: all of it is AAD, nothing is encrypted */
	KIND_CBC,    /* CBC + HMAC, encrypt-then-MAC */
	KIND_NULL,   /* no encryption + HMAC */
};

struct crypto_esp {
	enum esp_kind kind;
	unsigned iv_len, icv_len, block_len;
	unsigned mac_len;              /* full HMAC output length */
	uint8_t salt[4];               /* AEAD/GMAC nonce = salt || IV */
	uint64_t iv_mask;              /* AEAD/GMAC IV = seq ^ iv_mask (random) */
	EVP_CIPHER_CTX *ectx, *dctx;   /* keyed; encrypt and decrypt */
	EVP_CIPHER_CTX *ivctx;         /* CBC IV generator (AES-128-ECB, random key) */
	uint8_t echain[16], dchain[16];/* CBC: chaining value inside ectx/dctx */
	bool echain_ok, dchain_ok;     /* ...known (else re-init before use) */
	EVP_MAC_CTX *mac;              /* keyed HMAC */
	EVP_CIPHER_CTX *ecb;           /* GCM: AES-ECB under the GCM key */
	GCM128_CONTEXT *gcm;           /* GCM: GHASH key and state (its block cipher is ecb) */
	bool gcm_err;                  /* ecb failed inside a GCM128 callback */
	bool test_iv_set;
	uint8_t test_iv[16];
	char name[80];
};

struct auth_alg {
	const char *name, *compat, *digest;
	unsigned full_bits, default_bits;
};

static const struct auth_alg auth_algs[] = {
	{ "hmac(sha1)",   "sha1",   "SHA1",    160,  96 },
	{ "hmac(sha256)", "sha256", "SHA2-256", 256, 128 },
	{ "hmac(sha384)", "sha384", "SHA2-384", 384, 192 },
	{ "hmac(sha512)", "sha512", "SHA2-512", 512, 256 },
};

static bool present(const char *s)
{
	return s && *s;
}

enum aes_mode { AES_GCM, AES_ECB, AES_CBC };

/* OpenSSL's AES in mode m for a 16-, 24- or 32-byte key, else NULL. */
static const EVP_CIPHER *aes_for(enum aes_mode m, size_t keylen)
{
	static const EVP_CIPHER *(*const ciphers[][3])(void) = {
		[AES_GCM] = { EVP_aes_128_gcm, EVP_aes_192_gcm, EVP_aes_256_gcm },
		[AES_ECB] = { EVP_aes_128_ecb, EVP_aes_192_ecb, EVP_aes_256_ecb },
		[AES_CBC] = { EVP_aes_128_cbc, EVP_aes_192_cbc, EVP_aes_256_cbc },
	};

	if (keylen != 16 && keylen != 24 && keylen != 32)
		return NULL;
	return ciphers[m][keylen / 8 - 2]();
}

/* Create ectx and dctx keyed with key. */
static int cipher_setup(struct crypto_esp *c, const EVP_CIPHER *cipher,
                        const uint8_t *key)
{
	c->ectx = EVP_CIPHER_CTX_new();
	c->dctx = EVP_CIPHER_CTX_new();
	if (!c->ectx || !c->dctx)
		return -ENOMEM;
	if (EVP_CipherInit_ex(c->ectx, cipher, NULL, key, NULL, 1) != 1 ||
	    EVP_CipherInit_ex(c->dctx, cipher, NULL, key, NULL, 0) != 1)
		return -EIO;
	if (c->kind == KIND_CBC &&
	    (EVP_CIPHER_CTX_set_padding(c->ectx, 0) != 1 ||
	     EVP_CIPHER_CTX_set_padding(c->dctx, 0) != 1))
		return -EIO;
	return 0;
}

/* AES-GCM goes through OpenSSL's GCM128 API (openssl/modes.h: GHASH with
 * PCLMULQDQ, the GCM state machine, the tag) with AES itself from an EVP
 * AES-ECB context (AES-NI, several blocks at a time), not through EVP's
 * AES-GCM. Through EVP, OpenSSL 3.0 spends a fixed ~200-300 ns per packet
 * in its parameter plumbing (every nonce is an EVP_CipherInit_ex2 that
 * asks the provider for the IV length, every tag a get_params), which
 * GCM128 avoids: most of the cost of a 64-byte packet, and more than EVP's
 * stitched AES+GHASH code saves on the longest packets a pool buffer holds
 * (bench_esp, 2026-11-28, two builds alternating: GCM128 ~20% ahead at
 * 1,024, 1,420 and 1,900 bytes; EVP's only lead, 5-10% at 1,280-1,420,
 * went when the key stream's wipe became explicit_bzero instead of
 * OPENSSL_cleanse: 910 instructions of 5,900 at 1,420 bytes). Both give
 * the same bytes (test_gcm_vs_evp, test_esp_vectors, scapy and strongSwan
 * interop). */

static void gcm_block(const unsigned char in[16], unsigned char out[16], const void *key)
{
	struct crypto_esp *c = (struct crypto_esp *)(uintptr_t)key;
	int outl;

	if (EVP_EncryptUpdate(c->ecb, out, &outl, in, 16) != 1 || outl != 16)
		c->gcm_err = true;
}

/* ctr128_f: out = in ^ AES(counter blocks), the counter being the last 32
 * bits of ivec, big-endian, incremented per block. */
static void gcm_ctr32(const unsigned char *in, unsigned char *out, size_t blocks,
                      const void *key, const unsigned char ivec[16])
{
	typedef uint8_t v16 __attribute__((vector_size(16)));
	struct crypto_esp *c = (struct crypto_esp *)(uintptr_t)key;
	uint8_t ks[128 * 16];
	uint32_t ctr = get_be32(ivec + 12);
	size_t i, n, used = 0;
	int outl;

	while (blocks) {
		n = blocks > 128 ? 128 : blocks;
		if (16 * n > used)
			used = 16 * n;
		for (i = 0; i < n; i++) {
			memcpy(ks + 16 * i, ivec, 12);
			put_be32(ks + 16 * i + 12, ctr + (uint32_t)i);
		}
		if (EVP_EncryptUpdate(c->ecb, ks, &outl, ks, (int)(16 * n)) != 1 ||
		    (size_t)outl != 16 * n) {
			c->gcm_err = true;
			memset(ks, 0, 16 * n);
		}
		for (i = 0; i < 16 * n; i += 16) {
			v16 a, k;

			memcpy(&a, in + i, 16);
			memcpy(&k, ks + i, 16);
			a ^= k;
			memcpy(out + i, &a, 16);
		}
		in += 16 * n;
		out += 16 * n;
		blocks -= n;
		ctr += (uint32_t)n;
	}
	mem_wipe(ks, used);   /* the key stream made (not all of ks: per packet) */
}

/* The ECB context and the GCM128 state for c (c->ecb keyed already when
 * key is NULL: crypto_esp_dup). */
static int gcm_setup(struct crypto_esp *c, const EVP_CIPHER *ecb, const uint8_t *key)
{
	if (key) {
		c->ecb = EVP_CIPHER_CTX_new();
		if (!c->ecb)
			return -ENOMEM;
		if (EVP_EncryptInit_ex(c->ecb, ecb, NULL, key, NULL) != 1 ||
		    EVP_CIPHER_CTX_set_padding(c->ecb, 0) != 1)
			return -EIO;
	}
	c->gcm_err = false;
	c->gcm = CRYPTO_gcm128_new(c, gcm_block);   /* computes H = AES(0) */
	if (!c->gcm)
		return -ENOMEM;
	return c->gcm_err ? -EIO : 0;
}

static int new_aead(struct crypto_esp *c, const struct crypto_esp_algs *a,
                    char *err, size_t errlen)
{
	const EVP_CIPHER *cipher;
	const char *n = a->aead;
	size_t klen = a->aead_key_len;
	unsigned icv = a->aead_icv_bits ? a->aead_icv_bits : 128;

	if (present(a->enc) || present(a->auth))
		return log_reason(err, errlen, "aead %s cannot be combined with enc or auth", n);
	if (!a->aead_key && klen)
		return log_reason(err, errlen, "no key for %s", n);
	if (!strcmp(n, "rfc4106(gcm(aes))") || !strcmp(n, "rfc4543(gcm(aes))")) {
		bool gmac = n[6] == '3';

		cipher = klen >= 4 ? aes_for(AES_GCM, klen - 4) : NULL;
		if (!cipher)
			return log_reason(err, errlen, "key for %s must be 20, 28 or 36 bytes "
			            "(with salt), got %zu", n, klen);
		if (gmac ? icv != 128 : (icv != 64 && icv != 96 && icv != 128))
			return log_reason(err, errlen, "ICV of %s must be %s bits, got %u", n,
			            gmac ? "128" : "64, 96 or 128", icv);
		c->kind = gmac ? KIND_GMAC : KIND_GCM;
		snprintf(c->name, sizeof(c->name), "%s", n);
	} else if (!strcmp(n, "rfc7539esp(chacha20,poly1305)")) {
		if (klen != 36)
			return log_reason(err, errlen, "key for %s must be 36 bytes (with salt), "
			            "got %zu", n, klen);
		if (icv != 128)
			return log_reason(err, errlen, "ICV of %s must be 128 bits, got %u", n, icv);
		cipher = EVP_chacha20_poly1305();
		c->kind = KIND_AEAD;
		snprintf(c->name, sizeof(c->name), "%s", n);
	} else {
		return log_reason(err, errlen, "unknown aead algorithm '%s'", n);
	}
	c->iv_len = 8;
	c->icv_len = icv / 8;
	c->block_len = 4;
	memcpy(c->salt, a->aead_key + klen - 4, 4);
	if (c->kind == KIND_GCM)   /* GCM128 + AES-ECB: no EVP AES-GCM contexts */
		return gcm_setup(c, aes_for(AES_ECB, klen - 4), a->aead_key);
	return cipher_setup(c, cipher, a->aead_key);
}

static int new_enc_auth(struct crypto_esp *c, const struct crypto_esp_algs *a,
                        char *err, size_t errlen)
{
	const struct auth_alg *aa = NULL;
	const char *en = a->enc;
	unsigned trunc;
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	int r;

	if (!present(a->auth))
		return log_reason(err, errlen, "enc %s needs an auth algorithm", en);
	for (size_t i = 0; i < sizeof(auth_algs) / sizeof(auth_algs[0]); i++)
		if (!strcmp(a->auth, auth_algs[i].name) || !strcmp(a->auth, auth_algs[i].compat))
			aa = &auth_algs[i];
	if (!aa)
		return log_reason(err, errlen, "unknown auth algorithm '%s'", a->auth);
	trunc = a->auth_trunc_bits ? a->auth_trunc_bits : aa->default_bits;
	if (trunc % 8 || trunc < 96 || trunc > aa->full_bits)
		return log_reason(err, errlen, "truncation of %s must be a multiple of 8 in "
		            "96..%u bits, got %u", aa->name, aa->full_bits, trunc);
	if (!a->auth_key || !a->auth_key_len)
		return log_reason(err, errlen, "no key for %s", aa->name);

	if (!strcmp(en, "cbc(aes)") || !strcmp(en, "aes")) {
		const EVP_CIPHER *cipher = aes_for(AES_CBC, a->enc_key_len);

		if (!cipher || !a->enc_key)
			return log_reason(err, errlen, "key for cbc(aes) must be 16, 24 or 32 "
			            "bytes, got %zu", a->enc_key_len);
		c->kind = KIND_CBC;
		c->iv_len = 16;
		c->block_len = 16;
		r = cipher_setup(c, cipher, a->enc_key);
		if (r)
			return r;
	} else if (!strcmp(en, "ecb(cipher_null)") || !strcmp(en, "cipher_null")) {
		if (a->enc_key_len)
			return log_reason(err, errlen, "ecb(cipher_null) takes no key, got %zu bytes",
			            a->enc_key_len);
		c->kind = KIND_NULL;
		c->iv_len = 0;
		c->block_len = 4;
	} else {
		return log_reason(err, errlen, "unknown enc algorithm '%s'", en);
	}
	c->icv_len = trunc / 8;
	c->mac_len = aa->full_bits / 8;
	snprintf(c->name, sizeof(c->name), "%s+%s",
	         c->kind == KIND_CBC ? "cbc(aes)" : "ecb(cipher_null)", aa->name);

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return -EIO;
	c->mac = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (!c->mac)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	                                             (char *)aa->digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(c->mac, a->auth_key, a->auth_key_len, params) != 1)
		return -EIO;
	return 0;
}

/* The CBC IV generator: AES-128-ECB under a fresh random key. */
static int ivgen_setup(struct crypto_esp *c)
{
	uint8_t key[16];
	int r = -EIO;

	if (crypto_rand(key, sizeof(key)))
		goto out;
	c->ivctx = EVP_CIPHER_CTX_new();
	if (!c->ivctx) {
		r = -ENOMEM;
		goto out;
	}
	if (EVP_EncryptInit_ex(c->ivctx, EVP_aes_128_ecb(), NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c->ivctx, 0) != 1)
		goto out;
	r = 0;
out:
	mem_wipe(key, sizeof(key));
	return r;
}

int crypto_esp_new(const struct crypto_esp_algs *algs, struct crypto_esp **out,
                   char *err, size_t errlen)
{
	struct crypto_esp *c;
	int r;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (present(algs->aead))
		r = new_aead(c, algs, err, errlen);
	else if (present(algs->enc))
		r = new_enc_auth(c, algs, err, errlen);
	else if (present(algs->auth))
		r = log_reason(err, errlen, "auth %s without enc: use enc ecb(cipher_null) "
		         "for authentication only", algs->auth);
	else
		r = log_reason(err, errlen, "no algorithm (need aead, or enc and auth)");
	if (!r && c->kind == KIND_CBC)
		r = ivgen_setup(c);
	if (!r && (c->kind == KIND_AEAD || c->kind == KIND_GMAC || c->kind == KIND_GCM) &&
	    crypto_rand(&c->iv_mask, sizeof(c->iv_mask)))
		r = -EIO;
	if (r) {
		if (r != -EINVAL)
			log_reason(err, errlen, "cannot set up %s: %s",
			     c->name[0] ? c->name : "ESP algorithms",
			     r == -ENOMEM ? "out of memory" : "OpenSSL error");
		crypto_esp_free(c);
		return r;
	}
	*out = c;
	return 0;
}

void crypto_esp_free(struct crypto_esp *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->ectx);   /* cleanses the key schedule */
	EVP_CIPHER_CTX_free(c->dctx);
	EVP_CIPHER_CTX_free(c->ivctx);
	EVP_CIPHER_CTX_free(c->ecb);
	CRYPTO_gcm128_release(c->gcm);  /* cleanses H and the GHASH state */
	EVP_MAC_CTX_free(c->mac);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

int crypto_esp_dup(const struct crypto_esp *c, struct crypto_esp **out)
{
	struct crypto_esp *d;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	/* the scalars: sizes, salt, IV mask (the same IVs for the same
	 * sequence numbers, see the header), test IV, name */
	*d = *c;
	d->ectx = d->dctx = d->ivctx = d->ecb = NULL;
	d->gcm = NULL;
	d->mac = NULL;
	/* CBC: re-initialise the chaining before the first packet rather
	 * than rely on what EVP_CIPHER_CTX_copy copies of it */
	d->echain_ok = d->dchain_ok = false;
	if ((c->ectx && !(d->ectx = EVP_CIPHER_CTX_new())) ||
	    (c->dctx && !(d->dctx = EVP_CIPHER_CTX_new())) ||
	    (c->ivctx && !(d->ivctx = EVP_CIPHER_CTX_new())) ||
	    (c->mac && !(d->mac = EVP_MAC_CTX_dup(c->mac))) ||
	    (c->ectx && EVP_CIPHER_CTX_copy(d->ectx, c->ectx) != 1) ||
	    (c->dctx && EVP_CIPHER_CTX_copy(d->dctx, c->dctx) != 1) ||
	    (c->ivctx && EVP_CIPHER_CTX_copy(d->ivctx, c->ivctx) != 1) ||
	    (c->ecb && !(d->ecb = EVP_CIPHER_CTX_new())) ||
	    (c->ecb && EVP_CIPHER_CTX_copy(d->ecb, c->ecb) != 1) ||
	    (c->gcm && gcm_setup(d, NULL, NULL) != 0)) {
		crypto_esp_free(d);
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

unsigned crypto_esp_iv_len(const struct crypto_esp *c) { return c->iv_len; }
unsigned crypto_esp_icv_len(const struct crypto_esp *c) { return c->icv_len; }
unsigned crypto_esp_block_len(const struct crypto_esp *c) { return c->block_len; }
const char *crypto_esp_name(const struct crypto_esp *c) { return c->name; }

void crypto_esp_set_test_iv(struct crypto_esp *c, const uint8_t *iv, size_t len)
{
	c->test_iv_set = iv && len == c->iv_len && len <= sizeof(c->test_iv);
	if (c->test_iv_set)
		memcpy(c->test_iv, iv, len);
}

int crypto_esp_iv_next(struct crypto_esp *c, uint64_t seq, uint8_t *iv)
{
	uint8_t block[16] = { 0 };
	int outl;

	if (c->test_iv_set) {
		memcpy(iv, c->test_iv, c->iv_len);
		return 0;
	}
	switch (c->kind) {
	case KIND_GCM:
	case KIND_AEAD:
	case KIND_GMAC:
		/* Unique per context since seq never repeats; the random mask
		 * keeps two contexts with the same key and salt (manual keys
		 * reused for both directions) from using the same nonces, as
		 * Linux's seqiv does. */
		put_be64(iv, seq ^ c->iv_mask);
		return 0;
	case KIND_CBC:
		put_be64(block, seq);
		if (EVP_EncryptUpdate(c->ivctx, iv, &outl, block, 16) != 1 || outl != 16)
			return -EIO;
		return 0;
	case KIND_NULL:
		return 0;
	}
	return -EIO;
}

/* AAD of the AEADs: SPI || seq (8 bytes), or with ESN SPI || seq_hi || seq_lo
 * (RFC 4106 section 5). Returns its length. */
static size_t build_aad(uint8_t aad[12], const uint8_t esph[8], uint32_t seq_hi, int esn)
{
	memcpy(aad, esph, 4);
	if (!esn) {
		memcpy(aad + 4, esph + 4, 4);
		return 8;
	}
	put_be32(aad + 4, seq_hi);
	memcpy(aad + 8, esph + 4, 4);
	return 12;
}

static void build_nonce(const struct crypto_esp *c, uint8_t nonce[12], const uint8_t *iv)
{
	memcpy(nonce, c->salt, 4);
	memcpy(nonce + 4, iv, 8);
}

/* HMAC over SPI||seq||IV||ciphertext[||seq_hi] (RFC 4303 2.2.1), full length. */
static int hmac_compute(struct crypto_esp *c, const uint8_t esph[8], uint32_t seq_hi,
                        int esn, const uint8_t *iv, const uint8_t *data, size_t len,
                        uint8_t *out)
{
	uint8_t hi[4];
	size_t outl;

	if (EVP_MAC_init(c->mac, NULL, 0, NULL) != 1)
		return -EIO;
	if ((!c->iv_len || iv == esph + 8) && data == esph + 8 + c->iv_len) {
		/* adjacent, as in a packet: one update (each costs a trip
		 * through the MAC and digest layers) */
		if (EVP_MAC_update(c->mac, esph, 8 + c->iv_len + len) != 1)
			return -EIO;
	} else if (EVP_MAC_update(c->mac, esph, 8) != 1 ||
	           (c->iv_len && EVP_MAC_update(c->mac, iv, c->iv_len) != 1) ||
	           EVP_MAC_update(c->mac, data, len) != 1) {
		return -EIO;
	}
	if (esn) {
		put_be32(hi, seq_hi);
		if (EVP_MAC_update(c->mac, hi, 4) != 1)
			return -EIO;
	}
	if (EVP_MAC_final(c->mac, out, &outl, 64) != 1 || outl != c->mac_len)
		return -EIO;
	return 0;
}

static int aead_run(struct crypto_esp *c, EVP_CIPHER_CTX *ctx, int enc,
                    const uint8_t esph[8], uint32_t seq_hi, int esn,
                    const uint8_t *iv, uint8_t *data, size_t len, uint8_t *icv)
{
	uint8_t aad[12], nonce[12];
	size_t aadlen = build_aad(aad, esph, seq_hi, esn);
	/* The tag: read after EVP_CipherFinal_ex on seal, handed to the
	 * provider with the nonce on open (the same as EVP_CTRL_AEAD_SET_TAG,
	 * without the ctrl-to-params translation). */
	OSSL_PARAM tag[2] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, icv, c->icv_len),
		OSSL_PARAM_END
	};
	int outl, tmpl;

	if (len > INT32_MAX)
		return -EINVAL;
	build_nonce(c, nonce, iv);
	if (EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, enc, enc ? NULL : tag) != 1)
		return -EIO;
	if (EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aadlen) != 1)
		return -EIO;
	if (c->kind == KIND_GMAC) {
		/* RFC 4543 section 3.3: AAD = SPI, seq, IV, then the whole
		 * plaintext; the ciphertext is empty. */
		if (EVP_CipherUpdate(ctx, NULL, &outl, iv, (int)c->iv_len) != 1 ||
		    (len && EVP_CipherUpdate(ctx, NULL, &outl, data, (int)len) != 1))
			return -EIO;
	} else if (len) {
		if (EVP_CipherUpdate(ctx, data, &outl, data, (int)len) != 1 ||
		    (size_t)outl != len)
			return -EIO;
	}
	if (EVP_CipherFinal_ex(ctx, data + len, &tmpl) != 1)
		return enc ? -EIO : -EBADMSG;
	if (enc && EVP_CIPHER_CTX_get_params(ctx, tag) != 1)
		return -EIO;
	return 0;
}

/* AES-GCM seal (enc) or open through GCM128 (see gcm_setup). On open the
 * tag is checked in constant time (CRYPTO_gcm128_finish: CRYPTO_memcmp)
 * after the in-place decryption; a packet that fails is dropped whole. */
static int gcm_run(struct crypto_esp *c, int enc, const uint8_t esph[8], uint32_t seq_hi,
                   int esn, const uint8_t *iv, uint8_t *data, size_t len, uint8_t *icv)
{
	uint8_t aad[12], nonce[12], tag[16];
	size_t aadlen = build_aad(aad, esph, seq_hi, esn);
	int r = 0;

	build_nonce(c, nonce, iv);
	c->gcm_err = false;
	CRYPTO_gcm128_setiv(c->gcm, nonce, sizeof(nonce));
	if (CRYPTO_gcm128_aad(c->gcm, aad, aadlen) != 0)
		return -EIO;
	if (enc) {
		if (len && CRYPTO_gcm128_encrypt_ctr32(c->gcm, data, data, len, gcm_ctr32) != 0)
			return -EIO;
		CRYPTO_gcm128_tag(c->gcm, tag, sizeof(tag));
		memcpy(icv, tag, c->icv_len);
		OPENSSL_cleanse(tag, sizeof(tag));
	} else {
		if (len && CRYPTO_gcm128_decrypt_ctr32(c->gcm, data, data, len, gcm_ctr32) != 0)
			return -EIO;
		if (CRYPTO_gcm128_finish(c->gcm, icv, c->icv_len) != 0)
			r = -EBADMSG;
	}
	return c->gcm_err ? -EIO : r;
}

static void xor16(uint8_t *dst, const uint8_t *a, const uint8_t *b)
{
	for (int i = 0; i < 16; i++)
		dst[i] ^= a[i] ^ b[i];
}

/* CBC without a per-packet init. ctx chains on from the last block it
 * processed, whose ciphertext is kept in chain[]: it computes
 * E(P1 ^ chain) for the first block, and D(C1) ^ chain on decryption.
 * ESP wants E(P1 ^ IV) and D(C1) ^ IV, so encryption feeds it
 * P1 ^ IV ^ chain, and decryption XORs chain ^ IV into its first output
 * block. Every other block chains on its predecessor in the packet, as
 * usual. The result is the same as re-initialising with the IV; the
 * known-answer tests (one packet per context) and
 * test_same_context_many_packets (many) check it. chain_ok is false until
 * the first packet, and after an OpenSSL failure, which may leave ctx's
 * chaining value unknown: then one EVP_CipherInit_ex with a zero IV makes
 * it known again. */
static int cbc_run(EVP_CIPHER_CTX *ctx, int enc, uint8_t chain[16], bool *chain_ok,
                   const uint8_t *iv, uint8_t *data, size_t len)
{
	static const uint8_t zero[16];
	uint8_t last[16];
	int outl;

	if (len > INT32_MAX || len % 16)
		return -EINVAL;
	if (!len)
		return 0;
	if (!*chain_ok) {
		if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, zero, enc) != 1)
			return -EIO;
		memset(chain, 0, 16);
	}
	*chain_ok = false;
	if (enc)
		xor16(data, iv, chain);
	else
		memcpy(last, data + len - 16, 16);   /* decrypted in place */
	if (EVP_CipherUpdate(ctx, data, &outl, data, (int)len) != 1 ||
	    (size_t)outl != len)
		return -EIO;
	if (enc) {
		memcpy(chain, data + len - 16, 16);
	} else {
		xor16(data, iv, chain);
		memcpy(chain, last, 16);
	}
	*chain_ok = true;
	return 0;
}

int crypto_esp_seal(struct crypto_esp *c, const uint8_t esph[8], uint32_t seq_hi,
                    int esn, const uint8_t *iv, uint8_t *data, size_t len,
                    uint8_t *icv)
{
	uint8_t mac[64];
	int r;

	switch (c->kind) {
	case KIND_GCM:
		return gcm_run(c, 1, esph, seq_hi, esn, iv, data, len, icv);
	case KIND_AEAD:
	case KIND_GMAC:
		return aead_run(c, c->ectx, 1, esph, seq_hi, esn, iv, data, len, icv);
	case KIND_CBC:
		r = cbc_run(c->ectx, 1, c->echain, &c->echain_ok, iv, data, len);
		if (r)
			return r;
		/* encrypt-then-MAC */
		__attribute__((fallthrough));
	case KIND_NULL:
		r = hmac_compute(c, esph, seq_hi, esn, iv, data, len, mac);
		if (!r)
			memcpy(icv, mac, c->icv_len);
		OPENSSL_cleanse(mac, sizeof(mac));
		return r;
	}
	return -EIO;
}

int crypto_esp_open(struct crypto_esp *c, const uint8_t esph[8], uint32_t seq_hi,
                    int esn, const uint8_t *iv, uint8_t *data, size_t len,
                    const uint8_t *icv)
{
	uint8_t mac[64];
	int r;

	switch (c->kind) {
	case KIND_GCM:
		return gcm_run(c, 0, esph, seq_hi, esn, iv, data, len, (uint8_t *)icv);
	case KIND_AEAD:
	case KIND_GMAC:
		return aead_run(c, c->dctx, 0, esph, seq_hi, esn, iv, data, len,
		                (uint8_t *)icv);
	case KIND_CBC:
	case KIND_NULL:
		/* Verify before decrypting (RFC 4303 section 3.4.4). */
		r = hmac_compute(c, esph, seq_hi, esn, iv, data, len, mac);
		if (!r && CRYPTO_memcmp(mac, icv, c->icv_len) != 0)
			r = -EBADMSG;
		OPENSSL_cleanse(mac, sizeof(mac));
		if (r || c->kind == KIND_NULL)
			return r;
		return cbc_run(c->dctx, 0, c->dchain, &c->dchain_ok, iv, data, len);
	}
	return -EIO;
}
