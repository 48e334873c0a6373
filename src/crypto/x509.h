/* X.509 certificates, CRLs, public and private keys, on OpenSSL 3
 * (PEM_read_bio_X509, d2i_X509, OSSL_DECODER, X509_CRL; no hand-written
 * ASN.1). Every type is opaque; no OpenSSL type appears here.
 *
 * Ownership: the *_from_* constructors return an object with one
 * reference; *_ref() adds one, *_free() drops one (NULL is fine). Borrowed
 * pointers returned by accessors (subject, public key, DER) live as long
 * as the object. Private keys are freed with EVP_PKEY_free, which cleanses
 * the key material; passphrases and key file bytes handed in are the
 * caller's to wipe (they are only read). Nothing here logs.
 *
 * Objects are immutable after construction and may be shared by threads
 * (reference counts are OpenSSL's atomic ones). */
#ifndef UIPSEC_CRYPTO_X509_H
#define UIPSEC_CRYPTO_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "crypto/ident.h"

struct crypto_cert;
struct crypto_crl;
struct crypto_pubkey;
struct crypto_privkey;

/* Largest certificate accepted: a CERT payload cannot carry more. */
#define CRYPTO_CERT_MAX 65535
/* Largest CRL file accepted. */
#define CRYPTO_CRL_MAX (16u << 20)
/* SHA-1 length (keyids, CERTREQ authority hashes). */
#define CRYPTO_SHA1_LEN 20

/* ---- public keys ---- */

enum crypto_key_type {
	CRYPTO_KEY_NONE = 0,
	CRYPTO_KEY_RSA,
	CRYPTO_KEY_ECDSA,     /* P-256, P-384, P-521 */
	CRYPTO_KEY_ED25519,
};

/* "RSA", "ECDSA", "ED25519" (strongSwan's key_type_names), "ANY" for NONE. */
const char *crypto_key_type_name(enum crypto_key_type t);

/* A public key from a PEM or DER SubjectPublicKeyInfo ("PUBLIC KEY"), or a
 * PKCS#1 RSAPublicKey ("RSA PUBLIC KEY"): the files of swanctl's pubkey/.
 * Keys of other types (DSA, DH, X25519, other curves) are refused.
 * NULL with a reason in err. */
struct crypto_pubkey *crypto_pubkey_from_data(const uint8_t *data, size_t len,
                                              char *err, size_t errlen);
struct crypto_pubkey *crypto_pubkey_ref(const struct crypto_pubkey *k);
void crypto_pubkey_free(struct crypto_pubkey *k);
enum crypto_key_type crypto_pubkey_type(const struct crypto_pubkey *k);
/* Key size as strongSwan prints it: RSA modulus bits, curve bits
 * (256/384/521), 256 for Ed25519. */
int crypto_pubkey_bits(const struct crypto_pubkey *k);
/* DER SubjectPublicKeyInfo (borrowed). */
const uint8_t *crypto_pubkey_spki(const struct crypto_pubkey *k, size_t *len);
/* SHA-1 of the DER SubjectPublicKeyInfo: strongSwan's "keyid"
 * (KEYID_PUBKEY_INFO_SHA1) and, for a CA, the RFC 7296 3.7 CERTREQ
 * Certification Authority hash. */
const uint8_t *crypto_pubkey_keyid(const struct crypto_pubkey *k);
/* SHA-1 of the subjectPublicKey BIT STRING's contents: strongSwan's
 * "subjkey" (KEYID_PUBKEY_SHA1), the usual subjectKeyIdentifier. */
const uint8_t *crypto_pubkey_subjkey(const struct crypto_pubkey *k);
/* Same key (parameters and public value). */
bool crypto_pubkey_equal(const struct crypto_pubkey *a, const struct crypto_pubkey *b);

/* ---- private keys ---- */

/* A private key, PEM or DER: PKCS#1 RSA ("RSA PRIVATE KEY"), SEC1 EC
 * ("EC PRIVATE KEY"), PKCS#8 ("PRIVATE KEY", also Ed25519) and encrypted
 * PKCS#8 ("ENCRYPTED PRIVATE KEY") or legacy encrypted PEM with the
 * passphrase pass (passlen bytes; NULL if none is configured). Never asks
 * on a terminal. NULL with err set and *why:
 *   -ENOKEY        encrypted, but no passphrase given
 *   -EKEYREJECTED  encrypted, and the passphrase is wrong
 *   -ENOTSUP       a key of a type we cannot sign with
 *   -EBADMSG       not a private key we can read
 * (why may be NULL.) */
struct crypto_privkey *crypto_privkey_from_data(const uint8_t *data, size_t len,
                                                const uint8_t *pass, size_t passlen,
                                                int *why, char *err, size_t errlen);
void crypto_privkey_free(struct crypto_privkey *k);
enum crypto_key_type crypto_privkey_type(const struct crypto_privkey *k);
int crypto_privkey_bits(const struct crypto_privkey *k);
/* The public half (borrowed). */
const struct crypto_pubkey *crypto_privkey_pubkey(const struct crypto_privkey *k);
/* True if pub is the public half of k. */
bool crypto_privkey_matches(const struct crypto_privkey *k, const struct crypto_pubkey *pub);

/* ---- certificates ---- */

/* The first certificate in data: PEM ("CERTIFICATE") or DER (the whole
 * buffer must be one Certificate). At most CRYPTO_CERT_MAX bytes of DER.
 * Unknown critical extensions are refused, as strongSwan's x509 plugin
 * does. NULL with a reason in err. */
struct crypto_cert *crypto_cert_from_data(const uint8_t *data, size_t len,
                                          char *err, size_t errlen);
/* The same from a file (read whole, at most 1 MiB). */
struct crypto_cert *crypto_cert_from_file(const char *path, char *err, size_t errlen);
struct crypto_cert *crypto_cert_ref(const struct crypto_cert *c);
void crypto_cert_free(struct crypto_cert *c);

/* DER encoding (borrowed): the Certificate Data of a CERT payload with
 * encoding 4, "X.509 Certificate - Signature" (RFC 7296 3.6). */
const uint8_t *crypto_cert_der(const struct crypto_cert *c, size_t *len);
/* Same DER encoding. */
bool crypto_cert_equal(const struct crypto_cert *a, const struct crypto_cert *b);
/* SHA-1 of the DER encoding (strongSwan matches a KEY_ID identity with it). */
const uint8_t *crypto_cert_hash(const struct crypto_cert *c);

/* Subject and issuer as DER_ASN1_DN identities (borrowed); print with
 * crypto_id_fmt: "C=CH, O=strongSwan, CN=moon.strongswan.org". */
const struct crypto_id *crypto_cert_subject(const struct crypto_cert *c);
const struct crypto_id *crypto_cert_issuer(const struct crypto_cert *c);
/* subjectAltNames that strongSwan turns into identities: dNSName (FQDN),
 * rfc822Name (RFC822_ADDR), iPAddress (IPV4/IPV6), directoryName
 * (DER_ASN1_DN), URI (DER_ASN1_GN_URI); others are skipped. */
size_t crypto_cert_san_count(const struct crypto_cert *c);
const struct crypto_id *crypto_cert_san(const struct crypto_cert *c, size_t i);

/* notBefore and notAfter as UNIX times. */
void crypto_cert_validity(const struct crypto_cert *c, time_t *not_before, time_t *not_after);
/* serialNumber as unsigned big-endian bytes without leading zeros (at least
 * one byte), borrowed. */
const uint8_t *crypto_cert_serial(const struct crypto_cert *c, size_t *len);
/* authorityKeyIdentifier keyIdentifier and subjectKeyIdentifier (borrowed;
 * NULL with *len 0 if absent). */
const uint8_t *crypto_cert_akid(const struct crypto_cert *c, size_t *len);
const uint8_t *crypto_cert_skid(const struct crypto_cert *c, size_t *len);
/* The subject's public key (borrowed). */
const struct crypto_pubkey *crypto_cert_pubkey(const struct crypto_cert *c);
/* Shortcut: crypto_pubkey_keyid(crypto_cert_pubkey(c)). */
const uint8_t *crypto_cert_keyid(const struct crypto_cert *c);

/* strongSwan's x509 flags (x509.h), as the certificate says them. */
enum crypto_cert_flag {
	CRYPTO_CERT_CA = 1 << 0,               /* basicConstraints cA TRUE */
	CRYPTO_CERT_CRL_SIGN = 1 << 1,         /* keyUsage cRLSign */
	CRYPTO_CERT_OCSP_SIGNER = 1 << 2,      /* EKU id-kp-OCSPSigning */
	CRYPTO_CERT_SERVER_AUTH = 1 << 3,      /* EKU serverAuth */
	CRYPTO_CERT_CLIENT_AUTH = 1 << 4,      /* EKU clientAuth */
	CRYPTO_CERT_IKE_INTERMEDIATE = 1 << 5, /* EKU 1.3.6.1.5.5.8.2.2 */
	CRYPTO_CERT_MS_SMARTCARD_LOGON = 1 << 6,
	CRYPTO_CERT_SELF_SIGNED = 1 << 7,      /* issuer == subject and the self-signature verifies */
	CRYPTO_CERT_IKE_COMPLIANT = 1 << 8,    /* no keyUsage, or digitalSignature/nonRepudiation (RFC 4945) */
};
unsigned crypto_cert_flags(const struct crypto_cert *c);
/* basicConstraints pathLenConstraint, -1 if none. */
int crypto_cert_pathlen(const struct crypto_cert *c);
/* crlDistributionPoints URIs (fullName URIs only). */
size_t crypto_cert_crl_uri_count(const struct crypto_cert *c);
const char *crypto_cert_crl_uri(const struct crypto_cert *c, size_t i);

/* How well the certificate matches an identity, as strongSwan's
 * has_subject(): a KEY_ID matches the SHA-1 of the DER, the
 * subjectKeyIdentifier, the keyid or subjkey of the public key, or the
 * serial; otherwise the best of the subject DN and each subjectAltName
 * against the pattern (crypto_id_match). */
enum crypto_id_match crypto_cert_match_id(const struct crypto_cert *c, const struct crypto_id *pattern);

/* True if cert's signature verifies with issuer's public key (no other
 * checks: paths are crypto_trust_verify's job). */
bool crypto_cert_signed_by(const struct crypto_cert *cert, const struct crypto_cert *issuer);

/* ---- CRLs ---- */

/* A CRL, PEM ("X509 CRL") or DER. NULL with a reason in err. */
struct crypto_crl *crypto_crl_from_data(const uint8_t *data, size_t len,
                                        char *err, size_t errlen);
struct crypto_crl *crypto_crl_ref(const struct crypto_crl *crl);
void crypto_crl_free(struct crypto_crl *crl);
const struct crypto_id *crypto_crl_issuer(const struct crypto_crl *crl);
/* thisUpdate and nextUpdate (0 if absent). */
void crypto_crl_update(const struct crypto_crl *crl, time_t *this_update, time_t *next_update);
/* cRLNumber bytes (NULL if absent) and authorityKeyIdentifier (NULL if absent). */
const uint8_t *crypto_crl_number(const struct crypto_crl *crl, size_t *len);
const uint8_t *crypto_crl_akid(const struct crypto_crl *crl, size_t *len);
/* True for a delta CRL (deltaCRLIndicator). */
bool crypto_crl_is_delta(const struct crypto_crl *crl);
size_t crypto_crl_revoked_count(const struct crypto_crl *crl);
/* Entry i: serial (into serial, up to max bytes; returns its length or -1),
 * revocation time and CRLReason (-1 if absent). */
int crypto_crl_revoked(const struct crypto_crl *crl, size_t i, uint8_t *serial, size_t max,
                       time_t *when, int *reason);
/* strongSwan's crl_reason_names ("unspecified", "key compromise", ...). */
const char *crypto_crl_reason_name(int reason);
/* True if crl's signature verifies with the certificate's public key. */
bool crypto_crl_signed_by(const struct crypto_crl *crl, const struct crypto_cert *issuer);

#endif
