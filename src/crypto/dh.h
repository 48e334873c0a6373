/* Key exchange for IKEv2: x25519 (RFC 7748/8031), NIST P-256/P-384
 * (RFC 5903: public value x | y, shared secret x) and MODP groups 14/15
 * (RFC 3526: public value and shared secret padded to the prime's length).
 * Peer values are validated: points must be on the curve, MODP values must
 * satisfy 1 < y < p-1.
 *
 * A struct crypto_dh owns one private key; crypto_dh_free wipes it. */
#ifndef UIPSEC_CRYPTO_DH_H
#define UIPSEC_CRYPTO_DH_H

#include <stddef.h>
#include <stdint.h>

/* IANA "Transform Type 4 - Key Exchange Method Transform IDs". */
enum crypto_dh_group {
	CRYPTO_DH_NONE = 0,
	CRYPTO_DH_MODP2048 = 14,
	CRYPTO_DH_MODP3072 = 15,
	CRYPTO_DH_ECP256 = 19,
	CRYPTO_DH_ECP384 = 20,
	CRYPTO_DH_X25519 = 31,
};

#define CRYPTO_DH_PUB_MAX 384     /* modp3072 */
#define CRYPTO_DH_SECRET_MAX 384

struct crypto_dh;

/* True if the group is supported. */
int crypto_dh_supported(int group);
/* Length of the public value on the wire (the KE payload's data). */
size_t crypto_dh_pub_len(int group);

/* New key pair for group. The private key is drawn from crypto_rand()
 * (x25519, ECP; so tests with a deterministic RNG are deterministic) or
 * OpenSSL's RNG (MODP). NULL on failure. */
struct crypto_dh *crypto_dh_new(int group);
/* Key pair from a given private value (known-answer tests): x25519 takes
 * 32 raw bytes, ECP the big-endian scalar. NULL on failure. */
struct crypto_dh *crypto_dh_new_priv(int group, const uint8_t *priv, size_t len);
void crypto_dh_free(struct crypto_dh *dh);
int crypto_dh_group(const struct crypto_dh *dh);

/* Our public value (crypto_dh_pub_len bytes) into out (outmax bytes).
 * Returns the length or a negative errno. */
int crypto_dh_public(const struct crypto_dh *dh, uint8_t *out, size_t outmax);

/* Validate the peer's public value and compute the shared secret into
 * secret (secretmax bytes). Returns the secret's length, -EINVAL if the
 * peer value has the wrong length, is not on the curve or out of range,
 * -EIO on other failures. The caller wipes secret. */
int crypto_dh_derive(const struct crypto_dh *dh, const uint8_t *peer, size_t peerlen,
                     uint8_t *secret, size_t secretmax);

#endif
