/* Credentials in swanctl's layout: the folders next to swanctl.conf
 * (x509/, x509ca/, x509crl/, pubkey/, private/, rsa/, ecdsa/, pkcs8/, and
 * the ones uipsec refuses with a reason: x509aa/, x509ac/, x509ocsp/,
 * pkcs12/, bliss/), loaded as `swanctl --load-creds` does, into one store:
 * certificates with where they came from, trust anchors, CRLs, private
 * keys (wiped when freed) and raw public keys. Every file gets a line in a
 * report: what was loaded, or why not. Nothing is silently skipped.
 *
 * Only src/crypto/ touches OpenSSL; this file uses its opaque API.
 * A struct creds is built at start-up or reload on the control loop, then
 * read; lookups do not modify it (except creds_cert_for_file and
 * creds_pubkey_for_file, which load on first use: call them while the
 * configuration is being applied, not from other threads). */
#ifndef UIPSEC_CONF_CREDS_H
#define UIPSEC_CONF_CREDS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "crypto/ident.h"
#include "crypto/x509.h"
#include "crypto/x509_verify.h"

/* swanctl's credential folders (swanctl.h), in the order it loads them. */
enum creds_kind {
	CREDS_X509 = 0,       /* end-entity certificates (a CA certificate here is a CA too) */
	CREDS_X509CA,         /* trust anchors and intermediates: basicConstraints CA required */
	CREDS_X509OCSP,       /* OCSP signers: noted, not used (no OCSP) */
	CREDS_X509AA,         /* attribute authorities: refused */
	CREDS_X509AC,         /* attribute certificates: refused */
	CREDS_X509CRL,
	CREDS_PUBKEY,         /* raw public keys (local.pubkeys / remote.pubkeys) */
	CREDS_PRIVATE,        /* private keys of any type */
	CREDS_RSA,            /* RSA private keys */
	CREDS_ECDSA,          /* ECDSA private keys */
	CREDS_BLISS,          /* refused */
	CREDS_PKCS8,          /* PKCS#8 private keys of any type */
	CREDS_PKCS12,         /* refused */
	CREDS_KIND_MAX,
};

/* The folder name ("x509ca", ...). */
const char *creds_kind_dir(enum creds_kind k);

/* A decryption secret from swanctl.conf's secrets section, as swanctl
 * reads it: a section whose name starts with the type ("private-moon",
 * "rsa-1", "ecdsa", "pkcs8-x", "pkcs12-y") holds file = NAME (the file's
 * name inside that folder, compared case-insensitively) and secret = ...
 * (any number of secret<suffix> keys: each becomes one entry here). The
 * caller owns the strings and wipes the secret. */
struct creds_secret {
	enum creds_kind kind;     /* CREDS_PRIVATE, _RSA, _ECDSA, _PKCS8 or _PKCS12 */
	const char *file;
	const uint8_t *secret;
	size_t secret_len;
};

/* The kind a secrets section name selects ("private-x" -> CREDS_PRIVATE,
 * ...), -1 for other secret types (ike, eap, xauth, ppk, token). */
int creds_secret_kind(const char *section);

/* ---- the report ---- */

enum creds_outcome {
	CREDS_LOADED,             /* loaded; what says what */
	CREDS_REFUSED,            /* not loaded: what says why */
	CREDS_NOTE,               /* loaded with a remark, or a folder note */
};

struct creds_event {
	enum creds_outcome outcome;
	char path[PATH_MAX];
	char what[512];
};

struct creds_report {
	struct creds_event *ev;
	size_t n, cap;
	size_t loaded, refused;
};

void creds_report_free(struct creds_report *r);
/* One line per event: "loaded certificate 'C=CH, CN=x' from /etc/...",
 * "refused /etc/...: reason". */
void creds_report_print(const struct creds_report *r, FILE *out);
/* The same lines to the log: loaded at info, refused and notes at warn. */
void creds_report_log(const struct creds_report *r);

/* ---- the store ---- */

struct creds;

struct creds *creds_new(void);
/* Frees everything; private keys are wiped. */
void creds_free(struct creds *c);

/* Load every folder of swanctl's layout under confdir (the directory of
 * swanctl.conf). Missing folders are fine (a note), unreadable ones and
 * every file not loaded are reported. secrets decrypt encrypted private
 * keys. Returns the number of files refused (0: all loaded), or a
 * negative errno if confdir itself cannot be read. */
int creds_load_dir(struct creds *c, const char *confdir,
                   const struct creds_secret *secrets, size_t nsecrets,
                   struct creds_report *rep);
/* The same for a reload by a daemon that has dropped its privileges
 * (docs/certificates.md): a file or folder it may no longer read (EACCES,
 * not running as root) keeps what prev loaded from that path (private
 * keys are moved out of prev, which is about to be freed), with a note
 * saying so and how to make it readable; a path prev had nothing from is
 * refused with that advice. prev may be NULL. */
int creds_load_dir_keep(struct creds *c, const char *confdir,
                        const struct creds_secret *secrets, size_t nsecrets,
                        struct creds *prev, struct creds_report *rep);
/* Load one file as a credential of kind (used by creds_load_dir; also for
 * single files). 0, or -EINVAL if refused (reported). */
int creds_load_file(struct creds *c, enum creds_kind kind, const char *path, const char *name,
                    const struct creds_secret *secrets, size_t nsecrets,
                    struct creds_report *rep);

/* Credentials that VICI's load-cert / load-key bring (data, PEM or DER,
 * in memory) carry this prefix instead of a path ("vici:load-cert",
 * "vici:load-key"); creds_load_dir_keep keeps them across a reload, as
 * charon keeps them until clear-creds. */
#define CREDS_VICI_PREFIX "vici:"
/* One credential from VICI: kind CREDS_X509 (flag NONE), CREDS_X509CA
 * (CA), CREDS_X509AA / CREDS_X509OCSP (refused with the reason),
 * CREDS_X509CRL, or a private key (CREDS_PRIVATE any, CREDS_RSA,
 * CREDS_ECDSA; unencrypted: swanctl decrypts before sending). 0, or
 * -EINVAL with the reason in rep. */
int creds_load_vici(struct creds *c, enum creds_kind kind, const uint8_t *data, size_t len,
                    struct creds_report *rep);
/* clear-creds: a new store with everything of c except what came over
 * VICI (c's private keys move to it; free c after). NULL: no memory. */
struct creds *creds_without_vici(struct creds *c);
/* Remove the private key loaded over VICI whose public key has keyid
 * (SHA-1 of the SubjectPublicKeyInfo). 0 or -ENOENT. */
int creds_unload_key(struct creds *c, const uint8_t keyid[CRYPTO_SHA1_LEN]);

/* The certificate of a connection option: local.certs / remote.certs
 * (kind CREDS_X509: names relative to x509/) or remote.cacerts
 * (CREDS_X509CA: relative to x509ca/; the CA also joins the trust store).
 * Absolute paths are used as they are. Reuses the certificate if that
 * file was loaded already. Borrowed pointer (valid until creds_free), or
 * NULL with the reason in err. */
const struct crypto_cert *creds_cert_for_file(struct creds *c, const char *confdir, enum creds_kind kind,
                                              const char *name, char *err, size_t errlen);
/* local.pubkeys / remote.pubkeys: a raw public key file relative to
 * pubkey/ (or absolute). Borrowed, or NULL with a reason. */
const struct crypto_pubkey *creds_pubkey_for_file(struct creds *c, const char *confdir,
                                                  const char *name, char *err, size_t errlen);

/* The trust store: every CA certificate (x509ca/, CA certificates from
 * x509/, remote.cacerts) and every CRL. */
const struct crypto_trust *creds_trust(const struct creds *c);

/* The certificate that best matches id (crypto_cert_match_id), end
 * entities before CAs; with need_key only those we hold the private key
 * of (local.id without local.certs). NULL if none matches. */
const struct crypto_cert *creds_find_cert(const struct creds *c, const struct crypto_id *id, bool need_key);
/* The private key for a public key (of our certificate, or local.pubkeys). */
const struct crypto_privkey *creds_find_privkey(const struct creds *c, const struct crypto_pubkey *pub);
/* A trust anchor by the SHA-1 of its SubjectPublicKeyInfo (CERTREQ). */
const struct crypto_cert *creds_find_ca(const struct creds *c, const uint8_t keyid[CRYPTO_SHA1_LEN]);
/* True if cert was loaded locally (x509/, x509ca/ or a connection's
 * certs): strongSwan trusts such a peer certificate itself
 * (crypto_verify_opts.pretrusted). */
bool creds_is_local(const struct creds *c, const struct crypto_cert *cert);

/* Enumeration (for listings). */
size_t creds_cert_count(const struct creds *c);
const struct crypto_cert *creds_cert_at(const struct creds *c, size_t i,
                                        enum creds_kind *origin, const char **path);
size_t creds_crl_count(const struct creds *c);
const struct crypto_crl *creds_crl_at(const struct creds *c, size_t i, const char **path);
size_t creds_pubkey_count(const struct creds *c);
const struct crypto_pubkey *creds_pubkey_at(const struct creds *c, size_t i, const char **path);
size_t creds_privkey_count(const struct creds *c);
const struct crypto_privkey *creds_privkey_at(const struct creds *c, size_t i, const char **path);

/* ---- uipsec list-certs ---- */

struct creds_list_opts {
	time_t now;               /* 0: time(NULL) */
	bool utc;                 /* times in UTC (swanctl --utc), else local time */
};

/* The store's certificates as `swanctl --list-certs` prints them:
 * "List of X.509 End Entity Certificates", "... CA Certificates",
 * "... CRLs", "... Raw Public Keys", each entry with subject, issuer,
 * validity, serial, altNames, flags, CRL URIs, pathlen, authkeyId,
 * subjkeyId, pubkey (type, bits, has private key), keyid, subjkey; uipsec
 * adds one line, "source:", with the file it came from. */
void creds_list_certs(const struct creds *c, FILE *out, const struct creds_list_opts *o);
/* The same as one JSON array of objects (times in ISO 8601 UTC, key
 * identifiers in hex with ':'). */
void creds_list_certs_json(const struct creds *c, FILE *out, const struct creds_list_opts *o);

#endif
