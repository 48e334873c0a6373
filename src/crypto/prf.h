/* Pseudo-random functions and integrity checks for IKEv2 (RFC 7296, RFC 4868):
 * HMAC-SHA2-256/384/512 as PRF, prf+ (RFC 7296 section 2.13), truncated
 * HMAC-SHA2 as integrity algorithm, and SHA-1 for NAT detection hashes.
 * Callers own every buffer; nothing is kept between calls, except in a
 * keyed PRF (crypto_prf_key_new), which keeps its key for many calls. */
#ifndef UIPSEC_CRYPTO_PRF_H
#define UIPSEC_CRYPTO_PRF_H

#include <stddef.h>
#include <stdint.h>

/* IANA "Transform Type 2 - Pseudorandom Function Transform IDs". */
enum crypto_prf_alg {
	CRYPTO_PRF_HMAC_SHA1 = 2,       /* legacy; only for known-answer tests and interop */
	CRYPTO_PRF_HMAC_SHA2_256 = 5,
	CRYPTO_PRF_HMAC_SHA2_384 = 6,
	CRYPTO_PRF_HMAC_SHA2_512 = 7,
};

/* IANA "Transform Type 3 - Integrity Algorithm Transform IDs". */
enum crypto_integ_alg {
	CRYPTO_INTEG_NONE = 0,
	CRYPTO_INTEG_HMAC_SHA2_256_128 = 12,
	CRYPTO_INTEG_HMAC_SHA2_384_192 = 13,
	CRYPTO_INTEG_HMAC_SHA2_512_256 = 14,
};

#define CRYPTO_PRF_MAX 64    /* largest PRF output (SHA-512) */

/* Output (and preferred key) length of the PRF in bytes, 0 if unknown. */
size_t crypto_prf_len(int alg);
/* out (crypto_prf_len bytes) = prf(key, data). Returns 0 or -EINVAL/-EIO. */
int crypto_prf(int alg, const uint8_t *key, size_t keylen,
               const uint8_t *data, size_t len, uint8_t *out);
/* prf+ (RFC 7296 2.13): T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n);
 * out = T1 | T2 | ... truncated to outlen (at most 255 blocks).
 * Returns 0, -EINVAL (too long) or -EIO. Intermediate blocks are wiped. */
int crypto_prf_plus(int alg, const uint8_t *key, size_t keylen,
                    const uint8_t *seed, size_t seedlen, uint8_t *out, size_t outlen);

/* A PRF keyed once and computed many times with that key (the cookie
 * of RFC 7296 2.6, computed for every IKE_SA_INIT under a flood): the
 * key's inner and outer pads are hashed once, here, instead of on every
 * call, and nothing is allocated per call. NULL on a bad algorithm or
 * without memory. Not for two threads at once. */
struct crypto_prf_key;
struct crypto_prf_key *crypto_prf_key_new(int alg, const uint8_t *key, size_t keylen);
/* out (crypto_prf_len bytes) = prf(key, data). 0 or -EIO. */
int crypto_prf_keyed(struct crypto_prf_key *k, const uint8_t *data, size_t len, uint8_t *out);
/* Frees k and wipes the key state with it (NULL is fine). */
void crypto_prf_key_free(struct crypto_prf_key *k);

/* Key length and ICV (truncated) length of an integrity algorithm. */
size_t crypto_integ_key_len(int alg);
size_t crypto_integ_icv_len(int alg);
/* icv (crypto_integ_icv_len bytes) = truncated HMAC(key, data). */
int crypto_integ(int alg, const uint8_t *key, size_t keylen,
                 const uint8_t *data, size_t len, uint8_t *icv);

/* SHA-1 (20 bytes) over the concatenation of n buffers (NAT detection). */
int crypto_sha1_v(const uint8_t *const *bufs, const size_t *lens, size_t n, uint8_t out[20]);
/* SHA-256 (32 bytes) of one buffer. */
int crypto_sha256(const uint8_t *data, size_t len, uint8_t out[32]);

#endif
