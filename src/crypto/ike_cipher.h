/* Protection of IKEv2 messages: the Encrypted payload (SK, RFC 7296 3.14)
 * with AES-CBC + HMAC-SHA2, AES-GCM with a 16-byte ICV (RFC 5282) and
 * ChaCha20-Poly1305 (RFC 7634).
 *
 * Both functions work on a whole IKE message in a caller-owned buffer:
 *
 *   msg: | IKE header | ... | SK generic header | IV | plaintext | ICV |
 *        0                                   sk_off                  len
 *
 * For AEADs the associated data is msg[0, sk_off) (RFC 5282 section 5.1),
 * the nonce is salt | IV; for CBC the ICV covers msg[0, len - icv). */
#ifndef UIPSEC_CRYPTO_IKE_CIPHER_H
#define UIPSEC_CRYPTO_IKE_CIPHER_H

#include <stddef.h>
#include <stdint.h>

/* IANA "Transform Type 1 - Encryption Algorithm Transform IDs". */
enum crypto_encr_alg {
	CRYPTO_ENCR_AES_CBC = 12,
	CRYPTO_ENCR_AES_GCM_16 = 20,
	CRYPTO_ENCR_CHACHA20_POLY1305 = 28,
};

/* One direction's keys. For AEADs enc_key ends with the 4-byte salt and
 * integ is CRYPTO_INTEG_NONE. Borrowed by the calls. */
struct crypto_ike_keys {
	int encr;              /* enum crypto_encr_alg */
	const uint8_t *enc_key;
	size_t enc_key_len;    /* with salt for AEADs */
	int integ;             /* enum crypto_integ_alg */
	const uint8_t *integ_key;
	size_t integ_key_len;
};

/* True if the algorithm is an AEAD. */
int crypto_encr_is_aead(int encr);
/* Key length in bytes for keybits (salt included for AEADs); 0 if the
 * algorithm/key size is unsupported. */
size_t crypto_encr_key_len(int encr, unsigned keybits);
size_t crypto_encr_iv_len(int encr);
/* Plaintext must be a multiple of this (1 for AEADs). */
size_t crypto_encr_block_len(int encr);
/* ICV length for encr (AEAD) or integ. */
size_t crypto_ike_icv_len(int encr, int integ);

/* Fill the IV (from crypto_rand), encrypt the plaintext in place and write
 * the ICV. Plaintext length must be a multiple of the block length.
 * Returns 0, -EINVAL or -EIO. */
int crypto_ike_seal(const struct crypto_ike_keys *k, uint8_t *msg, size_t len, size_t sk_off);

/* Verify the ICV and decrypt in place. Returns 0, -EBADMSG if the ICV
 * does not verify (nothing is decrypted), -EINVAL for bad lengths. */
int crypto_ike_open(const struct crypto_ike_keys *k, uint8_t *msg, size_t len, size_t sk_off);

#endif
