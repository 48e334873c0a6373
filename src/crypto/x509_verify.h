/* Certificate path validation on OpenSSL's X509_STORE and
 * X509_verify_cert, with strongSwan 5.9.8's rules on top
 * (credential_manager.c verify_trust_chain, revocation_validator.c,
 * auth_cfg.c complies, pubkey_authenticator.c is_compliant_cert):
 *
 *  - the chain must end at a self-signed CA certificate of the trust store
 *    (x509ca/ and remote.cacerts); intermediates come from the store and
 *    from the peer's CERT payloads; at most 7 intermediates by default
 *    (strongSwan's MAX_TRUST_PATH_LEN); loops cannot form a chain;
 *  - every certificate must be within its validity at opts.now, every
 *    issuer a CA (basicConstraints cA, and keyCertSign if it has a
 *    keyUsage: OpenSSL's rule, which strongSwan does not apply), within its
 *    pathLenConstraint and name constraints, every signature must verify;
 *  - CRLs of the store are checked for every certificate but the trust
 *    anchor; a revoked one is always refused; otherwise remote.revocation
 *    decides: strict needs a valid CRL for each, ifuri refuses only a
 *    certificate that has a crlDistributionPoint and no usable CRL, or
 *    whose CRL is stale, relaxed refuses only revoked ones. CRLs are never
 *    fetched (no network), so a certificate with a CDP and no CRL in
 *    x509crl/ is "status unknown";
 *  - the end entity must not have a keyUsage without digitalSignature and
 *    nonRepudiation (RFC 4945 5.1.3.2, strongSwan's X509_IKE_COMPLIANT);
 *    extendedKeyUsage is not checked, as in strongSwan (serverAuth or
 *    clientAuth are not required);
 *  - optionally the chain must contain one of the given CA certificates
 *    (remote.cacerts) or a CA matching an identity (remote.ca_id).
 *
 * A struct crypto_trust is built at start-up and on reload, then only read:
 * verifications may run on several threads. Nothing here logs. */
#ifndef UIPSEC_CRYPTO_X509_VERIFY_H
#define UIPSEC_CRYPTO_X509_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "crypto/ident.h"
#include "crypto/x509.h"

struct crypto_trust;

/* Longest chain validated (strongSwan: 7 intermediates). */
#define CRYPTO_VERIFY_MAX_PATH 7
#define CRYPTO_VERIFY_CHAIN_MAX 18

enum crypto_revocation {
	CRYPTO_REVOCATION_RELAXED = 0,    /* swanctl's default */
	CRYPTO_REVOCATION_IFURI,
	CRYPTO_REVOCATION_STRICT,
};

/* Why a certificate was refused. */
enum crypto_verify_status {
	CRYPTO_VERIFY_OK = 0,
	CRYPTO_VERIFY_MALFORMED,          /* unreadable field, bad or unsupported critical extension */
	CRYPTO_VERIFY_UNKNOWN_CA,         /* no path to a trust anchor */
	CRYPTO_VERIFY_BAD_SIGNATURE,      /* a signature in the chain does not verify */
	CRYPTO_VERIFY_NOT_A_CA,           /* an issuer is not a CA */
	CRYPTO_VERIFY_EXPIRED,
	CRYPTO_VERIFY_NOT_YET_VALID,
	CRYPTO_VERIFY_PATH_TOO_LONG,      /* too many intermediates, or a pathLenConstraint */
	CRYPTO_VERIFY_CONSTRAINTS,        /* name constraints or policies violated */
	CRYPTO_VERIFY_REVOKED,
	CRYPTO_VERIFY_REVOCATION_UNKNOWN, /* status not known and the policy needs it */
	CRYPTO_VERIFY_KEY_USAGE,          /* end entity may not sign (keyUsage) */
	CRYPTO_VERIFY_CA_MISMATCH,        /* not issued by remote.cacerts / remote.ca_id */
	CRYPTO_VERIFY_INVALID,            /* another reason OpenSSL gave (see detail) */
};
/* "ok", "malformed", "unknown CA", "bad signature", "not a CA", "expired",
 * "not yet valid", "path too long", "constraints violated", "revoked",
 * "revocation status unknown", "key usage", "CA mismatch", "invalid". */
const char *crypto_verify_status_name(enum crypto_verify_status s);

/* strongSwan's cert_validation_t for one certificate of the chain. */
enum crypto_crl_status {
	CRYPTO_CRL_NONE = 0,              /* not checked (trust anchor) */
	CRYPTO_CRL_GOOD,                  /* a valid CRL of its issuer does not list it */
	CRYPTO_CRL_SKIPPED,               /* no CRL and no crlDistributionPoint */
	CRYPTO_CRL_FAILED,                /* a crlDistributionPoint but no usable CRL */
	CRYPTO_CRL_STALE,                 /* only an expired CRL */
	CRYPTO_CRL_REVOKED,
};
const char *crypto_crl_status_name(enum crypto_crl_status s);

struct crypto_verify_opts {
	time_t now;                       /* 0: time(NULL) */
	enum crypto_revocation revocation;
	int max_intermediates;            /* 0: CRYPTO_VERIFY_MAX_PATH; at most CRYPTO_VERIFY_CHAIN_MAX - 2 */
	struct crypto_cert *const *cacerts;  /* remote.cacerts: the chain must hold one */
	size_t ncacerts;
	const struct crypto_id *ca_id;    /* remote.ca_id: a CA of the chain must match it */
	/* The end entity was loaded locally (x509/, remote.certs): as
	 * strongSwan's "trusted certificate", it is accepted when it is
	 * self-signed or no issuer is found; a chain found is still checked. */
	bool pretrusted;
};

struct crypto_verify_result {
	enum crypto_verify_status status;
	int depth;                        /* certificate concerned (0 = end entity), -1 if none */
	char detail[CRYPTO_ID_STRLEN / 2];
	size_t chain_len;                 /* end entity first, trust anchor last */
	struct crypto_cert *chain[CRYPTO_VERIFY_CHAIN_MAX];  /* references: crypto_verify_result_clear */
	enum crypto_crl_status crl[CRYPTO_VERIFY_CHAIN_MAX];
};

struct crypto_trust *crypto_trust_new(void);
void crypto_trust_free(struct crypto_trust *t);
/* Add a trust anchor or trusted intermediate (it must be a CA:
 * basicConstraints cA TRUE, as swanctl requires for x509ca/). Duplicates
 * are ignored. 0 or -EINVAL with a reason. */
int crypto_trust_add_ca(struct crypto_trust *t, const struct crypto_cert *ca, char *err, size_t errlen);
/* Add a CRL. Refused (-EINVAL with a reason) if its issuer is a CA of the
 * store and the CRL's signature does not verify with it. */
int crypto_trust_add_crl(struct crypto_trust *t, const struct crypto_crl *crl, char *err, size_t errlen);
size_t crypto_trust_ca_count(const struct crypto_trust *t);
const struct crypto_cert *crypto_trust_ca(const struct crypto_trust *t, size_t i);
/* The CA whose SubjectPublicKeyInfo hashes to keyid (a CERTREQ entry). */
const struct crypto_cert *crypto_trust_find_keyid(const struct crypto_trust *t,
                                                  const uint8_t keyid[CRYPTO_SHA1_LEN]);

/* Validate ee with the peer's other certificates (untrusted, any order).
 * Fills r (always; clear it with crypto_verify_result_clear) and returns 0
 * if trusted, -EACCES if not (r->status, r->detail say why). */
int crypto_trust_verify(const struct crypto_trust *t, const struct crypto_cert *ee,
                        struct crypto_cert *const *untrusted, size_t nuntrusted,
                        const struct crypto_verify_opts *opts, struct crypto_verify_result *r);
void crypto_verify_result_clear(struct crypto_verify_result *r);

#endif
