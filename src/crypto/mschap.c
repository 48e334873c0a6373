/* MS-CHAPv2 and MPPE key derivation (RFC 2759, RFC 3079) on OpenSSL 3.
 * MD4 and DES come from the legacy provider, loaded (with the default
 * provider beside it) into a library context owned by this file: a
 * process-wide singleton made once (pthread_once) and never freed, the
 * one piece of global state here, so that no other caller of OpenSSL gets
 * legacy algorithms by accident. SHA-1 comes from the same context.
 * Everything else is stack, wiped before returning. */
#include "crypto/mschap.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "util/mem.h"

static pthread_once_t legacy_once = PTHREAD_ONCE_INIT;
static OSSL_LIB_CTX *legacy_ctx;      /* NULL if the providers did not load */
static EVP_MD *md4, *sha1;
static EVP_CIPHER *des_ecb;
static char legacy_why[256];

static void legacy_init(void)
{
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();
	const char *dir = NULL;

	if (!ctx) {
		snprintf(legacy_why, sizeof(legacy_why), "no memory for an OpenSSL library context");
		return;
	}
	if (!OSSL_PROVIDER_load(ctx, "default") || !OSSL_PROVIDER_load(ctx, "legacy")) {
		dir = getenv("OPENSSL_MODULES");
		if (!dir)
			dir = OPENSSL_info(OPENSSL_INFO_MODULES_DIR);
		snprintf(legacy_why, sizeof(legacy_why),
		         "OpenSSL's legacy provider (MD4, DES) did not load from %s "
		         "(Debian's libssl3 has it as ossl-modules/legacy.so)", dir ? dir : "its default folder");
		goto fail;
	}
	md4 = EVP_MD_fetch(ctx, "MD4", NULL);
	sha1 = EVP_MD_fetch(ctx, "SHA1", NULL);
	des_ecb = EVP_CIPHER_fetch(ctx, "DES-ECB", NULL);
	if (!md4 || !sha1 || !des_ecb) {
		snprintf(legacy_why, sizeof(legacy_why),
		         "OpenSSL's legacy provider loaded, but has no %s", !md4 ? "MD4" :
		         !sha1 ? "SHA-1" : "DES-ECB");
		goto fail;
	}
	legacy_ctx = ctx;
	ERR_clear_error();
	return;
fail:
	EVP_MD_free(md4);
	EVP_MD_free(sha1);
	EVP_CIPHER_free(des_ecb);
	md4 = sha1 = NULL;
	des_ecb = NULL;
	OSSL_LIB_CTX_free(ctx);
	ERR_clear_error();
}

bool crypto_mschap_available(char *why, size_t whylen)
{
	pthread_once(&legacy_once, legacy_init);
	if (!legacy_ctx && why && whylen)
		snprintf(why, whylen, "%s", legacy_why);
	return legacy_ctx != NULL;
}

/* out = md(parts...), up to three parts (NULL ends). */
static int digest(EVP_MD *md, const void *a, size_t alen, const void *b, size_t blen,
                  const void *c, size_t clen, uint8_t *out)
{
	EVP_MD_CTX *x;
	int rc = -EIO;

	if (!crypto_mschap_available(NULL, 0))
		return -ENOSYS;
	x = EVP_MD_CTX_new();
	if (!x)
		return -ENOMEM;
	if (EVP_DigestInit_ex2(x, md, NULL) && EVP_DigestUpdate(x, a, alen) &&
	    (!b || EVP_DigestUpdate(x, b, blen)) && (!c || EVP_DigestUpdate(x, c, clen)) &&
	    EVP_DigestFinal_ex(x, out, NULL))
		rc = 0;
	EVP_MD_CTX_free(x);
	return rc;
}

int crypto_mschap_nt_hash(const uint8_t *pw, size_t len, uint8_t out[CRYPTO_MSCHAP_HASH_LEN])
{
	uint8_t uni[512];
	int rc;

	if (len > sizeof(uni) / 2)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		uni[2 * i] = pw[i];
		uni[2 * i + 1] = 0;
	}
	rc = digest(md4, uni, 2 * len, NULL, 0, NULL, 0, out);
	mem_wipe(uni, sizeof(uni));
	return rc;
}

/* ChallengeHash (RFC 2759 8.2): the first 8 bytes of
 * SHA1(PeerChallenge | AuthenticatorChallenge | UserName). */
static int challenge_hash(const uint8_t *peer_chal, const uint8_t *auth_chal, const uint8_t *user,
                          size_t ulen, uint8_t out[8])
{
	uint8_t d[20];
	int rc = digest(sha1, peer_chal, CRYPTO_MSCHAP_CHAL_LEN, auth_chal, CRYPTO_MSCHAP_CHAL_LEN,
	                ulen ? user : (const uint8_t *)"", ulen, d);

	if (!rc)
		memcpy(out, d, 8);
	mem_wipe(d, sizeof(d));
	return rc;
}

/* DesEncrypt (RFC 2759 8.6): 7 key bytes spread over 8 (parity bits
 * left clear: OpenSSL ignores them). */
static int des_encrypt(const uint8_t in[8], const uint8_t key7[7], uint8_t out[8])
{
	uint8_t k[8];
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n = 0, rc = -EIO;

	if (!x)
		return -ENOMEM;
	k[0] = key7[0] & 0xfe;
	for (int i = 1; i < 7; i++)
		k[i] = (uint8_t)(((key7[i - 1] << (8 - i)) | (key7[i] >> i)) & 0xfe);
	k[7] = (uint8_t)(key7[6] << 1);
	if (EVP_EncryptInit_ex2(x, des_ecb, k, NULL, NULL) && EVP_CIPHER_CTX_set_padding(x, 0) &&
	    EVP_EncryptUpdate(x, out, &n, in, 8) && n == 8)
		rc = 0;
	EVP_CIPHER_CTX_free(x);
	mem_wipe(k, sizeof(k));
	return rc;
}

int crypto_mschap_nt_response(const uint8_t nt_hash[CRYPTO_MSCHAP_HASH_LEN],
                              const uint8_t auth_chal[CRYPTO_MSCHAP_CHAL_LEN],
                              const uint8_t peer_chal[CRYPTO_MSCHAP_CHAL_LEN],
                              const uint8_t *user, size_t ulen,
                              uint8_t out[CRYPTO_MSCHAP_NT_RESP_LEN])
{
	uint8_t chal[8], z[21] = { 0 };
	int rc;

	if (!crypto_mschap_available(NULL, 0))
		return -ENOSYS;
	rc = challenge_hash(peer_chal, auth_chal, user, ulen, chal);
	/* ChallengeResponse (8.5): the hash zero-padded to 21 bytes, three keys */
	memcpy(z, nt_hash, CRYPTO_MSCHAP_HASH_LEN);
	for (int i = 0; !rc && i < 3; i++)
		rc = des_encrypt(chal, z + 7 * i, out + 8 * i);
	mem_wipe(z, sizeof(z));
	mem_wipe(chal, sizeof(chal));
	return rc;
}

int crypto_mschap_auth_response(const uint8_t nt_hash[CRYPTO_MSCHAP_HASH_LEN],
                                const uint8_t nt_resp[CRYPTO_MSCHAP_NT_RESP_LEN],
                                const uint8_t auth_chal[CRYPTO_MSCHAP_CHAL_LEN],
                                const uint8_t peer_chal[CRYPTO_MSCHAP_CHAL_LEN],
                                const uint8_t *user, size_t ulen,
                                char out[CRYPTO_MSCHAP_AUTH_RESP_LEN + 1])
{
	static const char magic1[] = "Magic server to client signing constant";
	static const char magic2[] = "Pad to make it do more than one iteration";
	static const char hexd[] = "0123456789ABCDEF";
	uint8_t hh[CRYPTO_MSCHAP_HASH_LEN], d[20], chal[8];
	int rc;

	rc = digest(md4, nt_hash, CRYPTO_MSCHAP_HASH_LEN, NULL, 0, NULL, 0, hh);
	if (!rc)
		rc = digest(sha1, hh, sizeof(hh), nt_resp, CRYPTO_MSCHAP_NT_RESP_LEN, magic1,
		            sizeof(magic1) - 1, d);
	if (!rc)
		rc = challenge_hash(peer_chal, auth_chal, user, ulen, chal);
	if (!rc)
		rc = digest(sha1, d, sizeof(d), chal, sizeof(chal), magic2, sizeof(magic2) - 1, d);
	if (!rc) {
		out[0] = 'S';
		out[1] = '=';
		for (int i = 0; i < 20; i++) {
			out[2 + 2 * i] = hexd[d[i] >> 4];
			out[3 + 2 * i] = hexd[d[i] & 15];
		}
		out[CRYPTO_MSCHAP_AUTH_RESP_LEN] = '\0';
	}
	mem_wipe(hh, sizeof(hh));
	mem_wipe(d, sizeof(d));
	mem_wipe(chal, sizeof(chal));
	return rc;
}

int crypto_mschap_msk(const uint8_t nt_hash[CRYPTO_MSCHAP_HASH_LEN],
                      const uint8_t nt_resp[CRYPTO_MSCHAP_NT_RESP_LEN],
                      uint8_t msk[CRYPTO_MSCHAP_MSK_LEN])
{
	static const char magic1[] = "This is the MPPE Master Key";
	/* RFC 3079 3.4: the server's receive key is magic 2, its send key 3 */
	static const char magic2[] = "On the client side, this is the send key; "
	                             "on the server side, it is the receive key.";
	static const char magic3[] = "On the client side, this is the receive key; "
	                             "on the server side, it is the send key.";
	uint8_t hh[CRYPTO_MSCHAP_HASH_LEN], mk[20], k[20], pad1[40], pad2[40];
	EVP_MD_CTX *x = NULL;
	int rc;

	memset(pad1, 0x00, sizeof(pad1));
	memset(pad2, 0xf2, sizeof(pad2));
	memset(msk, 0, CRYPTO_MSCHAP_MSK_LEN);
	rc = digest(md4, nt_hash, CRYPTO_MSCHAP_HASH_LEN, NULL, 0, NULL, 0, hh);
	/* GetMasterKey (3.4): SHA1(PasswordHashHash | NTResponse | Magic1), 16 bytes */
	if (!rc)
		rc = digest(sha1, hh, sizeof(hh), nt_resp, CRYPTO_MSCHAP_NT_RESP_LEN, magic1,
		            sizeof(magic1) - 1, mk);
	/* GetAsymmetricStartKey (3.4): SHA1(MasterKey | Pad1 | magic | Pad2), 16 bytes */
	for (int i = 0; !rc && i < 2; i++) {
		const char *m = i == 0 ? magic2 : magic3;
		size_t mlen = i == 0 ? sizeof(magic2) - 1 : sizeof(magic3) - 1;

		rc = -ENOMEM;
		if (!(x = EVP_MD_CTX_new()))
			break;
		rc = EVP_DigestInit_ex2(x, sha1, NULL) && EVP_DigestUpdate(x, mk, 16) &&
		     EVP_DigestUpdate(x, pad1, sizeof(pad1)) && EVP_DigestUpdate(x, m, mlen) &&
		     EVP_DigestUpdate(x, pad2, sizeof(pad2)) && EVP_DigestFinal_ex(x, k, NULL) ? 0 : -EIO;
		EVP_MD_CTX_free(x);
		if (!rc)
			memcpy(msk + 16 * i, k, 16);
	}
	if (rc)
		mem_wipe(msk, CRYPTO_MSCHAP_MSK_LEN);
	mem_wipe(hh, sizeof(hh));
	mem_wipe(mk, sizeof(mk));
	mem_wipe(k, sizeof(k));
	return rc;
}
