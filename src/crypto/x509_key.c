/* Public and private keys for certificate authentication: RSA, ECDSA on
 * P-256/P-384/P-521 and Ed25519, read with OSSL_DECODER (PEM or DER, any
 * of PKCS#1, SEC1, PKCS#8, encrypted PKCS#8 and legacy encrypted PEM).
 * The passphrase comes from the caller through a callback that never
 * prompts; OpenSSL frees (and cleanses) the decoded key material. */
#include "crypto/x509_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "util/log.h"
#include "util/mem.h"

const char *crypto_key_type_name(enum crypto_key_type t)
{
	switch (t) {
	case CRYPTO_KEY_RSA: return "RSA";
	case CRYPTO_KEY_ECDSA: return "ECDSA";
	case CRYPTO_KEY_ED25519: return "ED25519";
	default: return "ANY";
	}
}

int crypto_x509_sha1(const uint8_t *p, size_t n, uint8_t out[CRYPTO_SHA1_LEN])
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha1(), NULL) != 1 || len != CRYPTO_SHA1_LEN) {
		ERR_clear_error();
		return -EIO;
	}
	return 0;
}

/* Which of our key types pk is, and its size as strongSwan prints it. */
static enum crypto_key_type key_kind(EVP_PKEY *pk, int *bits, char *err, size_t errlen)
{
	char group[64];
	size_t glen = 0;

	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		*bits = EVP_PKEY_get_bits(pk);
		return CRYPTO_KEY_RSA;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
		                                   sizeof(group), &glen) != 1) {
			ERR_clear_error();
			log_reason(err, errlen, "EC key without a named curve");
			return CRYPTO_KEY_NONE;
		}
		if (strcmp(group, "prime256v1") && strcmp(group, "P-256") &&
		    strcmp(group, "secp384r1") && strcmp(group, "P-384") &&
		    strcmp(group, "secp521r1") && strcmp(group, "P-521")) {
			log_reason(err, errlen, "EC curve %s not supported (P-256, P-384, P-521)", group);
			return CRYPTO_KEY_NONE;
		}
		*bits = EVP_PKEY_get_bits(pk);
		return CRYPTO_KEY_ECDSA;
	case EVP_PKEY_ED25519:
		*bits = 256;          /* strongSwan prints "ED25519 256 bits" */
		return CRYPTO_KEY_ED25519;
	case EVP_PKEY_RSA_PSS:
		log_reason(err, errlen, "RSASSA-PSS-only keys (id-RSASSA-PSS) not supported; use rsaEncryption keys");
		return CRYPTO_KEY_NONE;
	default:
		log_reason(err, errlen, "key type %s not supported (RSA, ECDSA, Ed25519)",
		           OBJ_nid2sn(EVP_PKEY_get_base_id(pk)));
		return CRYPTO_KEY_NONE;
	}
}

struct crypto_pubkey *crypto_pubkey_wrap(EVP_PKEY *pk, char *err, size_t errlen)
{
	struct crypto_pubkey *k;
	X509_PUBKEY *xpk = NULL;
	const unsigned char *pkbytes;
	unsigned char *spki = NULL;
	int pklen, spki_len, bits = 0;
	enum crypto_key_type t = key_kind(pk, &bits, err, errlen);

	if (t == CRYPTO_KEY_NONE)
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	spki_len = i2d_PUBKEY(pk, &spki);
	if (spki_len <= 0 || X509_PUBKEY_set(&xpk, pk) != 1 ||
	    X509_PUBKEY_get0_param(NULL, &pkbytes, &pklen, NULL, xpk) != 1 ||
	    crypto_x509_sha1(spki, (size_t)spki_len, k->keyid) ||
	    crypto_x509_sha1(pkbytes, (size_t)pklen, k->subjkey)) {
		ERR_clear_error();
		log_reason(err, errlen, "cannot encode the public key");
		OPENSSL_free(spki);
		X509_PUBKEY_free(xpk);
		free(k);
		return NULL;
	}
	X509_PUBKEY_free(xpk);
	k->spki = malloc((size_t)spki_len);
	if (!k->spki) {
		OPENSSL_free(spki);
		free(k);
		return NULL;
	}
	memcpy(k->spki, spki, (size_t)spki_len);
	OPENSSL_free(spki);
	k->spki_len = (size_t)spki_len;
	atomic_init(&k->refs, 1);
	EVP_PKEY_up_ref(pk);
	k->pk = pk;
	k->type = t;
	k->bits = bits;
	return k;
}

struct crypto_pubkey *crypto_pubkey_from_data(const uint8_t *data, size_t len,
                                              char *err, size_t errlen)
{
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *pk = NULL, *pub = NULL;
	struct crypto_pubkey *k = NULL;
	const unsigned char *p = data;
	unsigned char *spki = NULL;
	size_t left = len;
	int n;

	if (len == 0 || len > (1u << 20)) {
		log_reason(err, errlen, "public key of %zu bytes", len);
		return NULL;
	}
	/* SubjectPublicKeyInfo ("PUBLIC KEY") or PKCS#1 RSAPublicKey ("RSA
	 * PUBLIC KEY"), PEM or DER: OpenSSL's decoders know both. */
	dctx = OSSL_DECODER_CTX_new_for_pkey(&pk, NULL, NULL, NULL, EVP_PKEY_PUBLIC_KEY, NULL, NULL);
	if (dctx && OSSL_DECODER_from_data(dctx, &p, &left) != 1) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	/* Keep the public half only, whatever the file held: re-encode as
	 * SubjectPublicKeyInfo and read that back. */
	if (pk) {
		n = i2d_PUBKEY(pk, &spki);
		p = spki;
		if (n > 0)
			pub = d2i_PUBKEY(NULL, &p, n);
		OPENSSL_free(spki);
		EVP_PKEY_free(pk);
	}
	ERR_clear_error();
	if (!pub) {
		log_reason(err, errlen, "not a public key (SubjectPublicKeyInfo or RSAPublicKey, PEM or DER)");
		return NULL;
	}
	k = crypto_pubkey_wrap(pub, err, errlen);
	EVP_PKEY_free(pub);
	return k;
}

struct crypto_pubkey *crypto_pubkey_ref(const struct crypto_pubkey *k)
{
	struct crypto_pubkey *m = (struct crypto_pubkey *)k;

	if (m)
		atomic_fetch_add(&m->refs, 1);
	return m;
}

void crypto_pubkey_free(struct crypto_pubkey *k)
{
	if (!k || atomic_fetch_sub(&k->refs, 1) != 1)
		return;
	EVP_PKEY_free(k->pk);
	free(k->spki);
	free(k);
}

enum crypto_key_type crypto_pubkey_type(const struct crypto_pubkey *k)
{
	return k->type;
}

int crypto_pubkey_bits(const struct crypto_pubkey *k)
{
	return k->bits;
}

const uint8_t *crypto_pubkey_spki(const struct crypto_pubkey *k, size_t *len)
{
	*len = k->spki_len;
	return k->spki;
}

const uint8_t *crypto_pubkey_keyid(const struct crypto_pubkey *k)
{
	return k->keyid;
}

const uint8_t *crypto_pubkey_subjkey(const struct crypto_pubkey *k)
{
	return k->subjkey;
}

bool crypto_pubkey_equal(const struct crypto_pubkey *a, const struct crypto_pubkey *b)
{
	return a->spki_len == b->spki_len && memcmp(a->spki, b->spki, a->spki_len) == 0;
}

/* ---- private keys ---- */

struct pass_state {
	const uint8_t *pass;
	size_t passlen;
	bool asked;
};

/* OSSL_PASSPHRASE_CALLBACK: hand over the configured passphrase, never
 * prompt. Being called at all tells us the key is encrypted. */
static int give_pass(char *buf, size_t size, size_t *outlen, const OSSL_PARAM params[], void *arg)
{
	struct pass_state *st = arg;

	(void)params;
	st->asked = true;
	if (!st->pass || st->passlen > size)
		return 0;
	memcpy(buf, st->pass, st->passlen);
	*outlen = st->passlen;
	return 1;
}

static bool looks_encrypted(const uint8_t *data, size_t len)
{
	static const char *const marks[] = { "ENCRYPTED PRIVATE KEY", "Proc-Type: 4,ENCRYPTED" };
	const unsigned char *p = data;
	X509_SIG *sig;

	for (size_t m = 0; m < 2; m++) {
		size_t ml = strlen(marks[m]);
		for (size_t i = 0; i + ml <= len; i++)
			if (memcmp(data + i, marks[m], ml) == 0)
				return true;
	}
	/* DER EncryptedPrivateKeyInfo */
	sig = d2i_X509_SIG(NULL, &p, (long)len);
	if (sig) {
		X509_SIG_free(sig);
		return true;
	}
	ERR_clear_error();
	return false;
}

struct crypto_privkey *crypto_privkey_from_data(const uint8_t *data, size_t len,
                                                const uint8_t *pass, size_t passlen,
                                                int *why, char *err, size_t errlen)
{
	struct pass_state st = { pass, passlen, false };
	struct crypto_privkey *k = NULL;
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *pk = NULL;
	const unsigned char *p = data;
	size_t left = len;
	int dummy;

	if (!why)
		why = &dummy;
	*why = -EBADMSG;
	if (len == 0 || len > (1u << 20)) {
		log_reason(err, errlen, "private key file of %zu bytes", len);
		return NULL;
	}
	dctx = OSSL_DECODER_CTX_new_for_pkey(&pk, NULL, NULL, NULL, EVP_PKEY_KEYPAIR, NULL, NULL);
	if (!dctx || OSSL_DECODER_CTX_set_passphrase_cb(dctx, give_pass, &st) != 1) {
		OSSL_DECODER_CTX_free(dctx);
		ERR_clear_error();
		log_reason(err, errlen, "no OpenSSL decoder for private keys");
		return NULL;
	}
	if (OSSL_DECODER_from_data(dctx, &p, &left) != 1 || !pk) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	ERR_clear_error();
	if (!pk) {
		if (st.asked || looks_encrypted(data, len)) {
			if (!pass) {
				*why = -ENOKEY;
				log_reason(err, errlen, "encrypted private key and no passphrase configured (secrets: private-<name> { file = ...; secret = ... })");
			} else {
				*why = -EKEYREJECTED;
				log_reason(err, errlen, "encrypted private key: the configured passphrase is wrong");
			}
		} else {
			log_reason(err, errlen, "not a private key (PKCS#1, SEC1 or PKCS#8, PEM or DER)");
		}
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pk);
		return NULL;
	}
	k->pk = pk;
	k->pub = crypto_pubkey_wrap(pk, err, errlen);
	if (!k->pub) {
		*why = -ENOTSUP;
		crypto_privkey_free(k);
		return NULL;
	}
	*why = 0;
	return k;
}

void crypto_privkey_free(struct crypto_privkey *k)
{
	if (!k)
		return;
	crypto_pubkey_free(k->pub);
	EVP_PKEY_free(k->pk);
	mem_free_wipe(k, sizeof(*k));
}

enum crypto_key_type crypto_privkey_type(const struct crypto_privkey *k)
{
	return k->pub->type;
}

int crypto_privkey_bits(const struct crypto_privkey *k)
{
	return k->pub->bits;
}

const struct crypto_pubkey *crypto_privkey_pubkey(const struct crypto_privkey *k)
{
	return k->pub;
}

bool crypto_privkey_matches(const struct crypto_privkey *k, const struct crypto_pubkey *pub)
{
	int r = EVP_PKEY_eq(k->pk, pub->pk);

	ERR_clear_error();
	return r == 1;
}
