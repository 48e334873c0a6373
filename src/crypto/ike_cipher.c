/* SK payload encryption for IKEv2 on EVP. Stateless: a fresh
 * EVP_CIPHER_CTX per message (the control plane handles few messages),
 * so no key schedule outlives the call. */
#include "crypto/ike_cipher.h"

#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/prf.h"
#include "crypto/rand.h"
#include "util/mem.h"

int crypto_encr_is_aead(int encr)
{
	return encr == CRYPTO_ENCR_AES_GCM_16 || encr == CRYPTO_ENCR_CHACHA20_POLY1305;
}

size_t crypto_encr_key_len(int encr, unsigned keybits)
{
	switch (encr) {
	case CRYPTO_ENCR_AES_CBC:
		return keybits == 128 || keybits == 192 || keybits == 256 ? keybits / 8 : 0;
	case CRYPTO_ENCR_AES_GCM_16:
		return keybits == 128 || keybits == 192 || keybits == 256 ? keybits / 8 + 4 : 0;
	case CRYPTO_ENCR_CHACHA20_POLY1305:
		return keybits == 256 || keybits == 0 ? 36 : 0;
	default:
		return 0;
	}
}

size_t crypto_encr_iv_len(int encr)
{
	return encr == CRYPTO_ENCR_AES_CBC ? 16 : crypto_encr_is_aead(encr) ? 8 : 0;
}

size_t crypto_encr_block_len(int encr)
{
	return encr == CRYPTO_ENCR_AES_CBC ? 16 : 1;
}

size_t crypto_ike_icv_len(int encr, int integ)
{
	if (crypto_encr_is_aead(encr))
		return 16;
	return crypto_integ_icv_len(integ);
}

static const EVP_CIPHER *cipher(int encr, size_t keylen)
{
	switch (encr) {
	case CRYPTO_ENCR_AES_CBC:
		return keylen == 16 ? EVP_aes_128_cbc() : keylen == 24 ? EVP_aes_192_cbc() :
		       keylen == 32 ? EVP_aes_256_cbc() : NULL;
	case CRYPTO_ENCR_AES_GCM_16:
		return keylen == 20 ? EVP_aes_128_gcm() : keylen == 28 ? EVP_aes_192_gcm() :
		       keylen == 36 ? EVP_aes_256_gcm() : NULL;
	case CRYPTO_ENCR_CHACHA20_POLY1305:
		return keylen == 36 ? EVP_chacha20_poly1305() : NULL;
	default:
		return NULL;
	}
}

/* Common checks; sets the pointers into msg. */
static int layout(const struct crypto_ike_keys *k, size_t len, size_t sk_off,
                  size_t *ivlen, size_t *icvlen, size_t *ptlen)
{
	if (!cipher(k->encr, k->enc_key_len))
		return -EINVAL;
	if (!crypto_encr_is_aead(k->encr) &&
	    (crypto_integ_key_len(k->integ) == 0 || k->integ_key_len != crypto_integ_key_len(k->integ)))
		return -EINVAL;
	*ivlen = crypto_encr_iv_len(k->encr);
	*icvlen = crypto_ike_icv_len(k->encr, k->integ);
	if (len < sk_off + *ivlen + *icvlen + 1)
		return -EINVAL;
	*ptlen = len - sk_off - *ivlen - *icvlen;
	if (*ptlen % crypto_encr_block_len(k->encr))
		return -EINVAL;
	return 0;
}

static int run(const struct crypto_ike_keys *k, uint8_t *msg, size_t len, size_t sk_off, int enc)
{
	size_t ivlen, icvlen, ptlen;
	uint8_t *iv, *pt, *icv;
	uint8_t nonce[12], mac[CRYPTO_PRF_MAX];
	const EVP_CIPHER *c;
	EVP_CIPHER_CTX *ctx = NULL;
	int aead = crypto_encr_is_aead(k->encr);
	size_t ekey = aead ? k->enc_key_len - 4 : k->enc_key_len;
	int outl, rc;

	rc = layout(k, len, sk_off, &ivlen, &icvlen, &ptlen);
	if (rc)
		return rc;
	c = cipher(k->encr, k->enc_key_len);
	iv = msg + sk_off;
	pt = iv + ivlen;
	icv = pt + ptlen;
	rc = -EIO;
	if (enc && crypto_rand(iv, ivlen))
		goto out;
	if (!aead && !enc) {
		/* encrypt-then-MAC: verify before decrypting */
		if (crypto_integ(k->integ, k->integ_key, k->integ_key_len, msg, len - icvlen, mac))
			goto out;
		if (CRYPTO_memcmp(mac, icv, icvlen) != 0) {
			rc = -EBADMSG;
			goto out;
		}
	}
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_CipherInit_ex(ctx, c, NULL, NULL, NULL, enc) != 1)
		goto out;
	if (aead) {
		memcpy(nonce, k->enc_key + ekey, 4);
		memcpy(nonce + 4, iv, 8);
		if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
		    EVP_CipherInit_ex(ctx, NULL, NULL, k->enc_key, nonce, enc) != 1)
			goto out;
		if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, icv) != 1)
			goto out;
		if (EVP_CipherUpdate(ctx, NULL, &outl, msg, (int)sk_off) != 1)
			goto out;
	} else {
		if (EVP_CipherInit_ex(ctx, NULL, NULL, k->enc_key, iv, enc) != 1)
			goto out;
		EVP_CIPHER_CTX_set_padding(ctx, 0);
	}
	if (EVP_CipherUpdate(ctx, pt, &outl, pt, (int)ptlen) != 1 || (size_t)outl != ptlen)
		goto out;
	if (EVP_CipherFinal_ex(ctx, pt + outl, &outl) != 1) {
		/* for AEAD decryption: the tag did not verify */
		if (aead && !enc) {
			mem_wipe(pt, ptlen);
			rc = -EBADMSG;
		}
		goto out;
	}
	if (aead && enc) {
		if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, icv) != 1)
			goto out;
	} else if (!aead && enc) {
		if (crypto_integ(k->integ, k->integ_key, k->integ_key_len, msg, len - icvlen, mac))
			goto out;
		memcpy(icv, mac, icvlen);
	}
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	mem_wipe(nonce, sizeof(nonce));
	mem_wipe(mac, sizeof(mac));
	return rc;
}

int crypto_ike_seal(const struct crypto_ike_keys *k, uint8_t *msg, size_t len, size_t sk_off)
{
	return run(k, msg, len, sk_off, 1);
}

int crypto_ike_open(const struct crypto_ike_keys *k, uint8_t *msg, size_t len, size_t sk_off)
{
	return run(k, msg, len, sk_off, 0);
}
