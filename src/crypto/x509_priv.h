/* Internal to src/crypto/: the layouts behind x509.h's opaque types, for
 * x509.c, x509_key.c, x509_crl.c, x509_verify.c and sig.c. Nothing outside
 * src/crypto/ includes this (it names OpenSSL types). */
#ifndef UIPSEC_CRYPTO_X509_PRIV_H
#define UIPSEC_CRYPTO_X509_PRIV_H

#include <stdatomic.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/x509.h"

struct crypto_pubkey {
	atomic_int refs;
	EVP_PKEY *pk;                  /* public part only, or shared with a privkey */
	enum crypto_key_type type;
	int bits;
	uint8_t *spki;
	size_t spki_len;
	uint8_t keyid[CRYPTO_SHA1_LEN];
	uint8_t subjkey[CRYPTO_SHA1_LEN];
};

struct crypto_privkey {
	EVP_PKEY *pk;                  /* freed with EVP_PKEY_free: cleansed by OpenSSL */
	struct crypto_pubkey *pub;
};

struct crypto_cert {
	atomic_int refs;
	X509 *x;
	uint8_t *der;
	size_t der_len;
	uint8_t hash[CRYPTO_SHA1_LEN];
	struct crypto_id subject, issuer;
	struct crypto_id *sans;
	size_t nsans;
	time_t not_before, not_after;
	uint8_t *serial;
	size_t serial_len;
	uint8_t *akid, *skid;
	size_t akid_len, skid_len;
	struct crypto_pubkey *pub;
	unsigned flags;
	int pathlen;
	char **crl_uris;
	size_t ncrl_uris;
};

struct crypto_crl {
	atomic_int refs;
	X509_CRL *crl;
	struct crypto_id issuer;
	time_t this_update, next_update;
	uint8_t *number, *akid;
	size_t number_len, akid_len;
	bool delta;
};

/* A crypto_pubkey around pk (one reference of pk is taken). NULL with a
 * reason for key types we do not support. */
struct crypto_pubkey *crypto_pubkey_wrap(EVP_PKEY *pk, char *err, size_t errlen);
/* A crypto_cert around x (takes over x's reference). NULL with a reason. */
struct crypto_cert *crypto_cert_wrap(X509 *x, char *err, size_t errlen);
/* SHA-1 helper. */
int crypto_x509_sha1(const uint8_t *p, size_t n, uint8_t out[CRYPTO_SHA1_LEN]);
/* Time of an ASN1_TIME, 0 if unusable. */
time_t crypto_x509_time(const ASN1_TIME *t);
/* True if data looks like PEM (has a "-----BEGIN " line). */
bool crypto_x509_is_pem(const uint8_t *data, size_t len);
/* A PEM password callback that never asks (certificates and CRLs). */
int crypto_x509_no_pass(char *buf, int size, int rwflag, void *u);

#endif
