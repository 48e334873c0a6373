/* Signatures for IKEv2 public-key authentication:
 *   AUTH method 1  RSA Digital Signature: RSASSA-PKCS1-v1_5 with SHA-1 (RFC 7296 3.8)
 *   AUTH method 9/10/11  ECDSA with SHA-256/P-256, SHA-384/P-384, SHA-512/P-521,
 *                  signature r | s, each zero-padded to the curve size (RFC 4754)
 *   AUTH method 14 Digital Signature (RFC 7427): 1-byte length, ASN.1
 *                  AlgorithmIdentifier, signature; schemes sha{1,256,384,512}
 *                  WithRSAEncryption, RSASSA-PSS (any of SHA-1/256/384/512 for
 *                  hash and MGF1, any salt), ecdsa-with-SHA{1,256,384,512}
 *                  (DER ECDSA-Sig-Value) and id-Ed25519 (RFC 8420)
 * plus RFC 7427 section 4's SIGNATURE_HASH_ALGORITHMS, strongSwan's choice
 * of scheme (pubkey_authenticator.c select_signature_schemes) and its
 * signature constraints in auth = pubkey-..., rsa/pss-..., ike:... strings
 * (auth_cfg.c add_pubkey_constraints, complies).
 *
 * AlgorithmIdentifiers are built and read with OpenSSL (X509_ALGOR,
 * RSA_PSS_PARAMS); ours are byte for byte strongSwan's (DER: PSS
 * parameters with defaults left out, the trailerField never written).
 * Stateless; keys are borrowed. */
#ifndef UIPSEC_CRYPTO_SIG_H
#define UIPSEC_CRYPTO_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/x509.h"

/* IKEv2 AUTH methods (RFC 7296 3.8, RFC 4754, RFC 7427). */
enum crypto_auth_method {
	CRYPTO_AUTH_RSA = 1,
	CRYPTO_AUTH_ECDSA_256 = 9,
	CRYPTO_AUTH_ECDSA_384 = 10,
	CRYPTO_AUTH_ECDSA_521 = 11,
	CRYPTO_AUTH_DS = 14,
};

/* IANA "IKEv2 Hash Algorithms" (RFC 7427 section 7). */
enum crypto_hash {
	CRYPTO_HASH_NONE = 0,
	CRYPTO_HASH_SHA1 = 1,
	CRYPTO_HASH_SHA256 = 2,
	CRYPTO_HASH_SHA384 = 3,
	CRYPTO_HASH_SHA512 = 4,
	CRYPTO_HASH_IDENTITY = 5,
};
/* A set of hashes: bit (1 << enum crypto_hash). */
#define CRYPTO_HASH_BIT(h) (1u << (h))
/* The hashes RFC 7427 negotiation uses (strongSwan's hasher_algorithm_for_ikev2). */
#define CRYPTO_HASHES_IKEV2 (CRYPTO_HASH_BIT(CRYPTO_HASH_SHA256) | CRYPTO_HASH_BIT(CRYPTO_HASH_SHA384) | \
                             CRYPTO_HASH_BIT(CRYPTO_HASH_SHA512) | CRYPTO_HASH_BIT(CRYPTO_HASH_IDENTITY))
/* "sha1", "sha256", "sha384", "sha512", "identity". */
const char *crypto_hash_name(enum crypto_hash h);

enum crypto_sig_scheme {
	CRYPTO_SIG_NONE = 0,
	CRYPTO_SIG_RSA_PKCS1_SHA1,        /* method 1, or sha1WithRSAEncryption */
	CRYPTO_SIG_RSA_PKCS1_SHA256,
	CRYPTO_SIG_RSA_PKCS1_SHA384,
	CRYPTO_SIG_RSA_PKCS1_SHA512,
	CRYPTO_SIG_RSA_PSS,               /* with pss_hash, pss_mgf1, pss_salt */
	CRYPTO_SIG_ECDSA_SHA1_DER,
	CRYPTO_SIG_ECDSA_SHA256_DER,      /* ecdsa-with-SHA256: DER ECDSA-Sig-Value, any curve */
	CRYPTO_SIG_ECDSA_SHA384_DER,
	CRYPTO_SIG_ECDSA_SHA512_DER,
	CRYPTO_SIG_ECDSA_256,             /* RFC 4754 r|s, P-256 + SHA-256 (method 9) */
	CRYPTO_SIG_ECDSA_384,             /* P-384 + SHA-384 (method 10) */
	CRYPTO_SIG_ECDSA_521,             /* P-521 + SHA-512 (method 11) */
	CRYPTO_SIG_ED25519,               /* pure Ed25519 (RFC 8420), hash "identity" */
};

struct crypto_sig_params {
	enum crypto_sig_scheme scheme;
	/* RSA_PSS only (zero otherwise): */
	enum crypto_hash pss_hash, pss_mgf1;
	int pss_salt;                     /* salt length in bytes */
};

/* strongSwan's signature_scheme_names ("RSA_EMSA_PSS", "ECDSA-256", ...). */
const char *crypto_sig_scheme_name(enum crypto_sig_scheme s);
/* For logs: the name, for PSS as strongSwan logs it, "RSA_EMSA_PSS_SHA2_256_SALT_32". */
char *crypto_sig_params_fmt(const struct crypto_sig_params *p, char *buf, size_t len);
/* The key type a scheme signs with, and its hash (IDENTITY for Ed25519;
 * for PSS the pss_hash). */
enum crypto_key_type crypto_sig_key_type(const struct crypto_sig_params *p);
enum crypto_hash crypto_sig_hash(const struct crypto_sig_params *p);
/* RSASSA-PSS with hash for message and MGF1 and a salt as long as the hash
 * (strongSwan's rsa/pss constraints and its PSS signatures). */
struct crypto_sig_params crypto_sig_pss(enum crypto_hash h);

/* Largest signature or AUTH data we produce or accept (RSA-16384). */
#define CRYPTO_SIG_MAX 2048
#define CRYPTO_SIG_AUTH_MAX (CRYPTO_SIG_MAX + 256)

/* Sign data (a message, hashed inside) with scheme p. The key must fit the
 * scheme (RSA for RSA schemes, the curve for ECDSA_256/384/521, Ed25519).
 * Returns the signature length, or -EINVAL (key and scheme do not fit),
 * -ENOSPC (outmax too small), -EIO. */
int crypto_sig_sign(const struct crypto_privkey *k, const struct crypto_sig_params *p,
                    const uint8_t *data, size_t len, uint8_t *out, size_t outmax);
/* Verify sig over data. 0 if valid; -EKEYREJECTED if the signature does not
 * verify; -EINVAL if key and scheme do not fit (reason in err). */
int crypto_sig_verify(const struct crypto_pubkey *k, const struct crypto_sig_params *p,
                      const uint8_t *data, size_t len, const uint8_t *sig, size_t siglen,
                      char *err, size_t errlen);

/* The DER AlgorithmIdentifier of a scheme (RFC 7427 appendix A, as
 * strongSwan encodes them). Returns the length, -ENOTSUP for schemes that
 * have none (ECDSA_256/384/521), -ENOSPC. */
int crypto_sig_algid_encode(const struct crypto_sig_params *p, uint8_t *out, size_t outmax);
/* Parse a DER AlgorithmIdentifier (all len bytes) into a scheme. 0, or
 * -EBADMSG (malformed, unexpected parameters) / -ENOTSUP (an algorithm we
 * do not know) with a reason in err. */
int crypto_sig_algid_decode(const uint8_t *der, size_t len, struct crypto_sig_params *p,
                            char *err, size_t errlen);
/* The signature scheme of a certificate's own signature (for the chain
 * constraints of pubkey-sha256 and the like). 0 or -ENOTSUP. */
int crypto_sig_cert_params(const struct crypto_cert *c, struct crypto_sig_params *p);

/* ---- AUTH payload data ---- */

/* Build the Authentication Data of an AUTH payload: method 1 (p must be
 * RSA_PKCS1_SHA1), 9/10/11 (ECDSA_256/384/521) or 14 (p any scheme with an
 * AlgorithmIdentifier). octets is RFC 7296 2.15's InitiatorSignedOctets or
 * ResponderSignedOctets. Returns the length or a negative errno. */
int crypto_sig_auth_sign(const struct crypto_privkey *k, uint8_t method,
                         const struct crypto_sig_params *p, const uint8_t *octets, size_t olen,
                         uint8_t *out, size_t outmax);
/* Verify received Authentication Data of the given method with the peer's
 * public key. *used gets the scheme the peer used (for the constraint check
 * crypto_sig_constraints_allow_ike). 0 if valid; otherwise, with a reason in
 * err: -ENOTSUP unknown method or algorithm, -EBADMSG malformed data,
 * -EINVAL key type does not fit the method/algorithm, -EKEYREJECTED bad
 * signature. */
int crypto_sig_auth_verify(const struct crypto_pubkey *k, uint8_t method,
                           const uint8_t *auth, size_t alen, const uint8_t *octets, size_t olen,
                           struct crypto_sig_params *used, char *err, size_t errlen);

/* ---- SIGNATURE_HASH_ALGORITHMS (RFC 7427 section 4) ---- */

/* Notification data listing the hashes in set (ascending 16-bit IDs, as
 * strongSwan sends them); set 0 means every hash we support
 * (CRYPTO_HASHES_IKEV2). Returns the length or -ENOSPC. */
int crypto_sig_hash_notify_build(uint32_t set, uint8_t *out, size_t outmax);
/* The peer's notification: the IKEv2 hashes it lists (unknown IDs and
 * SHA-1 ignored, as strongSwan does; an odd trailing byte too). A result
 * of 0 means RFC 7427 authentication is not enabled with this peer. */
uint32_t crypto_sig_hash_notify_parse(const uint8_t *data, size_t len);

/* ---- auth = ... constraints ---- */

#define CRYPTO_SIG_CONSTRAINTS_MAX 32

/* strongSwan's AUTH_RULE_SIGNATURE_SCHEME (chain: every certificate
 * signature but the trust anchor's must comply with one of sig[] if any is
 * given), AUTH_RULE_IKE_SIGNATURE_SCHEME (the peer's AUTH must comply with
 * one of ike[] if any; ours is chosen from them) and the RSA/ECDSA key
 * strengths (rsa-2048, ecdsa-384). */
struct crypto_sig_constraints {
	size_t nsig, nike;
	struct crypto_sig_params sig[CRYPTO_SIG_CONSTRAINTS_MAX];
	struct crypto_sig_params ike[CRYPTO_SIG_CONSTRAINTS_MAX];
	int rsa_bits, ecdsa_bits;       /* minimum key sizes, 0 = none */
};

/* True if an auth value selects public-key authentication in swanctl
 * (it starts with "pubkey", "rsa", "ecdsa", "ike:" or "bliss"). */
bool crypto_sig_auth_is_pubkey(const char *auth);
/* Parse an auth value as strongSwan's add_pubkey_constraints(.., ike = TRUE):
 * '-' separated tokens; key tokens pubkey rsa rsa/pss ecdsa ed25519 (and
 * ike: forms, which constrain only the IKE AUTH); a number after rsa/ecdsa
 * is a minimum key size; hash tokens sha1 sha256 sha384 sha512 identity
 * add the schemes of that hash for the key type (after rsa/pss: RSASSA-PSS;
 * with rsa_pss, strongSwan's charon.rsa_pss, plain RSA hashes add PSS
 * too). Without any ike: token the chain constraints also constrain the
 * IKE AUTH (charon.signature_authentication_constraints = yes).
 * Unlike strongSwan, which logs and ignores them, tokens we do not know or
 * support (bliss, ed448, md5, sha224, sha3_*) are refused: 0 or -EINVAL
 * with a reason in err. */
int crypto_sig_constraints_parse(const char *auth, bool rsa_pss,
                                 struct crypto_sig_constraints *c, char *err, size_t errlen);
/* strongSwan's signature_params_comply(): same scheme; for PSS the same
 * hash and MGF1 hash (the salt may differ). */
bool crypto_sig_params_comply(const struct crypto_sig_params *constraint,
                              const struct crypto_sig_params *used);
/* True if the scheme the peer used for its AUTH is allowed (no IKE
 * constraints: everything is). */
bool crypto_sig_constraints_allow_ike(const struct crypto_sig_constraints *c,
                                      const struct crypto_sig_params *used);
/* Check a verified chain (end entity first, trust anchor last) against the
 * chain signature and key strength constraints. 0 or -EACCES with a
 * reason in err. */
int crypto_sig_constraints_check_chain(const struct crypto_sig_constraints *c,
                                       struct crypto_cert *const *chain, size_t n,
                                       char *err, size_t errlen);
/* The hashes the IKE constraints use (for our SIGNATURE_HASH_ALGORITHMS;
 * 0 if there are none, meaning all). */
uint32_t crypto_sig_constraints_hashes(const struct crypto_sig_constraints *c);

/* ---- choosing our signature ---- */

struct crypto_sig_choice {
	uint8_t method;                   /* enum crypto_auth_method */
	struct crypto_sig_params params;
};

/* The schemes to try, best first, for signing our AUTH with key k, as
 * strongSwan chooses them. peer_hashes is what the peer's
 * SIGNATURE_HASH_ALGORITHMS listed (crypto_sig_hash_notify_parse):
 *  - 0: classic methods: RSA -> method 1 (SHA-1), ECDSA -> 9/10/11 by curve,
 *    Ed25519 -> none (it needs RFC 7427);
 *  - otherwise method 14: with IKE constraints (c), those for the key's
 *    type whose hash the peer supports, in the configured order; without,
 *    by key type and size (RSA <= 3072 bits: SHA-256, SHA-384, SHA-512;
 *    <= 7680: SHA-384, SHA-512, then SHA-256; larger: SHA-512, SHA-384,
 *    SHA-256; RSASSA-PSS before PKCS#1 only if rsa_pss; ECDSA: DER ECDSA
 *    with the curve's hash and larger ones; Ed25519: identity), keeping
 *    those the peer supports.
 * Returns the number written to out (0: nothing fits; the caller fails the
 * exchange with "no common hash algorithm"). */
size_t crypto_sig_select(const struct crypto_privkey *k, const struct crypto_sig_constraints *c,
                         bool rsa_pss, uint32_t peer_hashes,
                         struct crypto_sig_choice *out, size_t max);
/* The same from the public half of the key (its type and size are all
 * the choice needs): for a signer whose private key sits behind another
 * interface (the IKE core's struct ike_creds). */
size_t crypto_sig_select_pub(const struct crypto_pubkey *k, const struct crypto_sig_constraints *c,
                             bool rsa_pss, uint32_t peer_hashes,
                             struct crypto_sig_choice *out, size_t max);

#endif
