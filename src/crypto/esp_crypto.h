/* Cipher contexts for one ESP SA, and the table of ESP algorithms by their
 * Linux crypto API names (the names ip xfrm uses). This is the only place
 * ESP cryptography touches OpenSSL.
 *
 * The xfrm layer builds a context when a state is added (sad_add) and frees
 * it (wiped) when the state goes; esp/ uses it per packet. A context is not
 * thread safe: one thread at a time (states are one-directional, so the
 * worker that owns a state owns its context). */
#ifndef UIPSEC_CRYPTO_ESP_CRYPTO_H
#define UIPSEC_CRYPTO_ESP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

struct crypto_esp;

/* The algorithms of one state. Either aead (with its key, salt included
 * at the end as ip xfrm takes it, and ICV length), or enc + auth (auth
 * with its truncation length). NULL or "" names are absent.
 *
 * Accepted (Linux names, and the kernel's compat aliases in brackets):
 *   aead rfc4106(gcm(aes))              key 20/28/36, ICV 64/96/128
 *   aead rfc7539esp(chacha20,poly1305)  key 36, ICV 128
 *   aead rfc4543(gcm(aes))              key 20/28/36, ICV 128 (GMAC:
 *                                       authenticated, not encrypted)
 *   enc  cbc(aes) [aes]                 key 16/24/32
 *   enc  ecb(cipher_null) [cipher_null] key 0
 *   auth hmac(sha1) [sha1]              trunc 96..160
 *   auth hmac(sha256) [sha256]          trunc 96..256 (RFC 4868: 128)
 *   auth hmac(sha384) [sha384]          trunc 96..384 (RFC 4868: 192)
 *   auth hmac(sha512) [sha512]          trunc 96..512 (RFC 4868: 256)
 * enc needs auth. auth_trunc_bits/aead_icv_bits 0 means the RFC default
 * (96 for sha1, half the digest for SHA-2, 128 for AEADs). */
struct crypto_esp_algs {
	const char *aead;
	const uint8_t *aead_key;
	size_t aead_key_len;
	unsigned aead_icv_bits;

	const char *enc;
	const uint8_t *enc_key;
	size_t enc_key_len;

	const char *auth;
	const uint8_t *auth_key;
	size_t auth_key_len;
	unsigned auth_trunc_bits;
};

/* Validate the algorithms and build the contexts. Returns 0, or -EINVAL
 * with a one-line reason in err ("unknown algorithm 'cbc(foo)'", "key for
 * rfc4106(gcm(aes)) must be 20, 28 or 36 bytes (with salt), got 16").
 * err may be NULL. */
int crypto_esp_new(const struct crypto_esp_algs *algs, struct crypto_esp **out,
                   char *err, size_t errlen);
/* Free and wipe every key. NULL is fine. */
void crypto_esp_free(struct crypto_esp *c);

/* A second context for the same state, for another thread (one context
 * per worker per state): the same keys, and the same IV generator, so it
 * makes the same IV as c for the same sequence number. That is what keeps
 * an outbound state's nonces unique when several contexts share its
 * sequence counter (each number used once, by one context): do not give
 * such contexts their own crypto_esp_new() instead, whose random IV masks
 * could make two different sequence numbers produce the same AEAD nonce.
 * c must not be in use by another thread during the call; afterwards the
 * two are independent (either may be freed first). Returns 0, or -ENOMEM
 * (OpenSSL could not copy a context). */
int crypto_esp_dup(const struct crypto_esp *c, struct crypto_esp **out);

/* Sizes of the ESP fields for this context. */
unsigned crypto_esp_iv_len(const struct crypto_esp *c);     /* on the wire */
unsigned crypto_esp_icv_len(const struct crypto_esp *c);
unsigned crypto_esp_block_len(const struct crypto_esp *c);  /* padding alignment, >= 4 */

/* Per-packet operations. The ESP packet on the wire is
 *
 *   | SPI (4) | seq low (4) | IV (iv_len) | payload ... trailer | ICV |
 *
 * esph points at the 8 bytes SPI||seq low, iv at the IV, data/len at the
 * encrypted part (payload, padding, pad length, next header), icv at the
 * ICV (icv_len bytes). With extended sequence numbers (esn nonzero) seq_hi
 * is authenticated but not sent: in the AAD as SPI||seq_hi||seq_lo for
 * AEADs (RFC 4106 section 5, RFC 4543 section 3.3, RFC 7634 section 2.1),
 * after the ciphertext in the HMAC input (RFC 4303 section 2.2.1).
 * These functions allocate nothing themselves; OpenSSL 3.0 does, inside
 * the HMAC (two small allocations per call, none for the AEADs; see
 * build/bench/bench_esp_count).
 *
 * crypto_esp_seal() encrypts data in place and writes the ICV.
 * Returns 0, or -EINVAL (len not a multiple of the block for CBC), -EIO
 * (OpenSSL failed). */
int crypto_esp_seal(struct crypto_esp *c, const uint8_t esph[8], uint32_t seq_hi,
                    int esn, const uint8_t *iv, uint8_t *data, size_t len,
                    uint8_t *icv);

/* Verifies the ICV and decrypts data in place (HMAC: verify with
 * CRYPTO_memcmp first, then decrypt; AEAD: the tag is checked by
 * EVP_DecryptFinal_ex). Returns 0, -EBADMSG if the ICV did not verify
 * (data is then garbage), -EINVAL (len not a multiple of the block for
 * CBC), -EIO (OpenSSL failed). */
int crypto_esp_open(struct crypto_esp *c, const uint8_t esph[8], uint32_t seq_hi,
                    int esn, const uint8_t *iv, uint8_t *data, size_t len,
                    const uint8_t *icv);

/* Write the IV (iv_len bytes) for the packet with 64-bit sequence number
 * seq. Counter-based AEADs (GCM, GMAC, ChaCha20-Poly1305) use the sequence
 * number XOR a random per-context 64-bit mask: unique per context as long
 * as the sequence number never repeats (RFC 4106 section 3.1), and
 * different between two contexts that share a key (the same manual key in
 * both directions), except a context and its crypto_esp_dup() copies. CBC encrypts the sequence number under a random
 * per-context key, which makes it unpredictable (NIST SP 800-38A
 * Appendix C). Returns 0 or -EIO. */
int crypto_esp_iv_next(struct crypto_esp *c, uint64_t seq, uint8_t *iv);

/* Test hook for known-answer tests: every following IV is iv (len must
 * equal iv_len, else ignored); NULL restores generation. Tests only. */
void crypto_esp_set_test_iv(struct crypto_esp *c, const uint8_t *iv, size_t len);

/* Short description for logs, e.g. "rfc4106(gcm(aes))". */
const char *crypto_esp_name(const struct crypto_esp *c);

#endif
