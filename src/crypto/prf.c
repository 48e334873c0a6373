/* HMAC-SHA2 PRFs, prf+ and truncated HMAC integrity on OpenSSL's one-shot
 * HMAC(); SHA digests via EVP. Stateless: every call owns only its stack,
 * which is wiped before returning. */
#include "crypto/prf.h"

#include <errno.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <stdlib.h>

#include "util/mem.h"

static const EVP_MD *prf_md(int alg, size_t *len)
{
	switch (alg) {
	case CRYPTO_PRF_HMAC_SHA1: *len = 20; return EVP_sha1();
	case CRYPTO_PRF_HMAC_SHA2_256: *len = 32; return EVP_sha256();
	case CRYPTO_PRF_HMAC_SHA2_384: *len = 48; return EVP_sha384();
	case CRYPTO_PRF_HMAC_SHA2_512: *len = 64; return EVP_sha512();
	default: *len = 0; return NULL;
	}
}

size_t crypto_prf_len(int alg)
{
	size_t len;

	prf_md(alg, &len);
	return len;
}

static int hmac(const EVP_MD *md, const uint8_t *key, size_t keylen,
                const uint8_t *data, size_t len, uint8_t *out)
{
	unsigned int olen = 0;
	static const uint8_t empty;

	if (!HMAC(md, keylen ? key : &empty, (int)keylen, len ? data : &empty, len, out, &olen))
		return -EIO;
	return 0;
}

int crypto_prf(int alg, const uint8_t *key, size_t keylen,
               const uint8_t *data, size_t len, uint8_t *out)
{
	size_t olen;
	const EVP_MD *md = prf_md(alg, &olen);

	if (!md || keylen > 1024)
		return -EINVAL;
	return hmac(md, key, keylen, data, len, out);
}

struct crypto_prf_key {
	EVP_MAC_CTX *ctx;    /* keyed; re-initialised (same key) per call */
	size_t olen;
};

struct crypto_prf_key *crypto_prf_key_new(int alg, const uint8_t *key, size_t keylen)
{
	size_t olen;
	const EVP_MD *md = prf_md(alg, &olen);
	struct crypto_prf_key *k;
	EVP_MAC *mac;
	OSSL_PARAM params[2];
	static const uint8_t empty;

	if (!md || keylen > 1024)
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->olen = olen;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	k->ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);             /* the context holds its own reference */
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	                                             (char *)EVP_MD_get0_name(md), 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!k->ctx || !EVP_MAC_init(k->ctx, keylen ? key : &empty, keylen, params)) {
		crypto_prf_key_free(k);
		return NULL;
	}
	return k;
}

int crypto_prf_keyed(struct crypto_prf_key *k, const uint8_t *data, size_t len, uint8_t *out)
{
	size_t got = 0;
	static const uint8_t empty;

	/* with no key given, HMAC starts again from the key kept in the
	 * context (its hashed pads): EVP_MAC_init(3), EVP_MAC-HMAC(7) */
	if (!EVP_MAC_init(k->ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(k->ctx, len ? data : &empty, len) ||
	    !EVP_MAC_final(k->ctx, out, &got, k->olen) || got != k->olen)
		return -EIO;
	return 0;
}

void crypto_prf_key_free(struct crypto_prf_key *k)
{
	if (!k)
		return;
	EVP_MAC_CTX_free(k->ctx);      /* OpenSSL clears the key material it frees */
	free(k);
}

int crypto_prf_plus(int alg, const uint8_t *key, size_t keylen,
                    const uint8_t *seed, size_t seedlen, uint8_t *out, size_t outlen)
{
	size_t blen;
	const EVP_MD *md = prf_md(alg, &blen);
	uint8_t t[CRYPTO_PRF_MAX] = { 0 };   /* T0 is empty; zeroed for the analysers */
	uint8_t *in = NULL;
	size_t inlen, done = 0, tlen = 0;
	int rc = -EINVAL;

	if (!md || outlen > 255 * blen || seedlen > 65536)
		return -EINVAL;
	/* in = Tn-1 | S | n, with room for the largest Tn-1 */
	in = OPENSSL_malloc(blen + seedlen + 1);
	if (!in)
		return -ENOMEM;
	for (unsigned n = 1; done < outlen; n++) {
		memcpy(in, t, tlen);
		memcpy(in + tlen, seed, seedlen);
		in[tlen + seedlen] = (uint8_t)n;
		inlen = tlen + seedlen + 1;
		rc = hmac(md, key, keylen, in, inlen, t);
		if (rc)
			goto out;
		tlen = blen;
		size_t take = outlen - done < blen ? outlen - done : blen;
		memcpy(out + done, t, take);
		done += take;
	}
	rc = 0;
out:
	mem_wipe(t, sizeof(t));
	OPENSSL_clear_free(in, blen + seedlen + 1);
	return rc;
}

static const EVP_MD *integ_md(int alg, size_t *keylen, size_t *icvlen)
{
	switch (alg) {
	case CRYPTO_INTEG_HMAC_SHA2_256_128: *keylen = 32; *icvlen = 16; return EVP_sha256();
	case CRYPTO_INTEG_HMAC_SHA2_384_192: *keylen = 48; *icvlen = 24; return EVP_sha384();
	case CRYPTO_INTEG_HMAC_SHA2_512_256: *keylen = 64; *icvlen = 32; return EVP_sha512();
	default: *keylen = 0; *icvlen = 0; return NULL;
	}
}

size_t crypto_integ_key_len(int alg)
{
	size_t k, i;

	integ_md(alg, &k, &i);
	return k;
}

size_t crypto_integ_icv_len(int alg)
{
	size_t k, i;

	integ_md(alg, &k, &i);
	return i;
}

int crypto_integ(int alg, const uint8_t *key, size_t keylen,
                 const uint8_t *data, size_t len, uint8_t *icv)
{
	size_t klen, ilen;
	const EVP_MD *md = integ_md(alg, &klen, &ilen);
	uint8_t full[CRYPTO_PRF_MAX];
	int rc;

	if (!md || keylen != klen)
		return -EINVAL;
	rc = hmac(md, key, keylen, data, len, full);
	if (!rc)
		memcpy(icv, full, ilen);
	mem_wipe(full, sizeof(full));
	return rc;
}

static int digest_v(const EVP_MD *md, const uint8_t *const *bufs, const size_t *lens,
                    size_t n, uint8_t *out)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int rc = -EIO;

	if (!c)
		return -ENOMEM;
	if (EVP_DigestInit_ex(c, md, NULL) != 1)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (lens[i] && EVP_DigestUpdate(c, bufs[i], lens[i]) != 1)
			goto out;
	if (EVP_DigestFinal_ex(c, out, NULL) != 1)
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(c);
	return rc;
}

int crypto_sha1_v(const uint8_t *const *bufs, const size_t *lens, size_t n, uint8_t out[20])
{
	return digest_v(EVP_sha1(), bufs, lens, n, out);
}

int crypto_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
	const uint8_t *b[1] = { data };
	size_t l[1] = { len };

	return digest_v(EVP_sha256(), b, l, 1, out);
}
