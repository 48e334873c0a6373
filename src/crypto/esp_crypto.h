/* Cipher contexts for one ESP SA, and the table of ESP algorithms by their
 * Linux crypto API names (the names ip xfrm uses). This is the only place
 * ESP cryptography touches OpenSSL.
 *
 * The xfrm layer builds a context when a state is added (sad_add) and frees
 * it (wiped) when the state goes; esp/ uses it per packet. */
#ifndef UIPSEC_CRYPTO_ESP_CRYPTO_H
#define UIPSEC_CRYPTO_ESP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

struct crypto_esp;

/* The algorithms of one state. Either aead (with its key, salt included
 * at the end as ip xfrm takes it, and ICV length), or enc + auth (auth
 * with its truncation length). NULL or "" names are absent. */
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

/* Sizes of the ESP fields for this context. */
unsigned crypto_esp_iv_len(const struct crypto_esp *c);     /* on the wire */
unsigned crypto_esp_icv_len(const struct crypto_esp *c);
unsigned crypto_esp_block_len(const struct crypto_esp *c);  /* padding alignment, >= 4 */

#endif
