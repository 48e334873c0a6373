/* Authenticators: how one end of an IKE SA proves who it is in IKE_AUTH
 * (RFC 7296 2.15, 2.16), behind one small interface that the IKE_AUTH
 * task (ike_auth.c) drives. Internal to src/ike/. Model: strongSwan's
 * sa/ikev2/authenticators/.
 *
 * Each IKE SA has two: a LOCAL one that proves us (adds our AUTH and
 * whatever it needs: CERT, an EAP client's responses) and a REMOTE one
 * that verifies the peer (checks its AUTH and CERT; sends CERTREQ, or an
 * EAP server's requests). Their class comes from the connection
 * (ike_conn_cfg.local_auth, .remote_auth: psk, pubkey, eap).
 *
 * Rounds. IKE_AUTH may take several exchanges (EAP). In each round, every
 * authenticator that is not done yet gets both calls, in message order:
 * the sender of a message calls build() (LOCAL first, then REMOTE), its
 * receiver process() (REMOTE first, then LOCAL); the initiator builds a
 * request and processes its response, the responder processes a request
 * and builds its response. An authenticator is done when its last call
 * returned DONE; the IKE SA is established when both are, and, if one of
 * them is an EAP method (ops.msk_auth), the IKE_AUTH task then exchanges
 * the AUTH payloads keyed by its MSK itself (RFC 7296 2.16): an EAP method
 * only does EAP.
 *
 * Implemented: psk (ike_authn_psk.c) and pubkey (ike_authn_pubkey.c:
 * certificates and raw public keys, CERT, CERTREQ, RFC 7427 signatures;
 * its credentials come through struct ike_creds below) and eap
 * (ike_authn_eap.c: EAP-MSCHAPv2, client and server). */
#ifndef UIPSEC_IKE_IKE_AUTHN_H
#define UIPSEC_IKE_IKE_AUTHN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ike.h"

struct ike_ctx;
struct ike_mb;
struct ike_msg;

enum ike_authn_role {
	IKE_AUTHN_LOCAL = 0,    /* proves us to the peer */
	IKE_AUTHN_REMOTE,       /* verifies the peer */
};

enum ike_authn_status {
	IKE_AUTHN_DONE = 0,     /* nothing more to send or check */
	IKE_AUTHN_NEED_MORE,    /* another round, please */
	IKE_AUTHN_FAILED,       /* the peer is not who it claims (or we cannot prove we are) */
};

/* What an authenticator is given in each round. The signed octets are
 * built by the IKE_AUTH task (RFC 7296 2.15):
 *   InitiatorSignedOctets = RealMessage1 | NonceRData | prf(SK_pi, IDi')
 *   ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, IDr')
 * so that an authenticator never sees the IKE SA's keys. */
struct ike_authn_round {
	unsigned n;                      /* IKE_AUTH exchange of this SA, from 1 */
	bool initiator;                  /* we initiated the IKE SA */
	int prf;                         /* negotiated PRF (crypto/prf.h) */
	const struct ike_id *local_id;   /* as sent in our ID payload */
	const struct ike_id *peer_id;    /* as received; NULL until its ID payload came */
	const uint8_t *local_octets;     /* what our AUTH covers */
	size_t local_octets_len;
	const uint8_t *peer_octets;      /* what the peer's AUTH covers; NULL with peer_id */
	size_t peer_octets_len;
	char *why;                       /* FAILED: one line for the log, no secrets */
	size_t whylen;
};

struct ike_authn;

struct ike_authn_ops {
	const char *name;                /* "psk", for logs and listings */
	bool msk_auth;                   /* an EAP method: ends with MSK-keyed AUTH payloads */
	/* Add this end's payloads to the IKE_AUTH message being built (SK
	 * open, after the ID payload). */
	enum ike_authn_status (*build)(struct ike_authn *a, const struct ike_authn_round *r,
	                               struct ike_mb *mb);
	/* Read the peer's IKE_AUTH message m (decrypted). */
	enum ike_authn_status (*process)(struct ike_authn *a, const struct ike_authn_round *r,
	                                 const struct ike_msg *m);
	/* The MSK the EAP conversation established (RFC 3748, RFC 7296 2.16):
	 * 0 with *msk and *len (owned by a), or -ENOENT (none: a method that
	 * makes no key, or not yet). NULL for authenticators without EAP. */
	int (*msk)(const struct ike_authn *a, const uint8_t **msk, size_t *len);
	/* Free a, wiping any secret it holds. */
	void (*destroy)(struct ike_authn *a);
};

/* Every authenticator embeds this as its first member. */
struct ike_authn {
	const struct ike_authn_ops *ops;
	enum ike_authn_role role;
};

/* Public-key credentials for the pubkey authenticator (RFC 7296 2.15,
 * 3.6-3.8; RFC 7427), provided by the embedder (uipsecd: the credential
 * store of swanctl's folders, ctl/ike_creds.c) and set with
 * ike_ctx_set_creds. The IKE core reads certificates and the trust store
 * through it and validates and verifies with src/crypto/ itself; private
 * keys never leave it: the core asks for a signature by public key, so
 * the keys could live in another process.
 *
 * Every pointer returned is valid until the call returns (trust) or is a
 * new reference (find_cert). The embedder replaces its store (reload) only
 * between events, never during an exchange's call. */
struct crypto_cert;
struct crypto_id;
struct crypto_pubkey;
struct crypto_sig_params;
struct crypto_trust;

struct ike_creds {
	void *ctx;
	/* The CA certificates (trust anchors and intermediates) and CRLs the
	 * peer's chain is validated against and CERTREQ names; NULL: none. */
	const struct crypto_trust *(*trust)(void *ctx);
	/* The loaded certificate that best matches id (crypto_cert_match_id):
	 * with need_key only one whose private key is loaded (ours), else any
	 * (a peer certificate kept in x509/). A new reference, or NULL. */
	struct crypto_cert *(*find_cert)(void *ctx, const struct crypto_id *id, bool need_key);
	/* Was cert loaded locally (x509/, x509ca/, a connection's certs)? Such
	 * a peer certificate is trusted as strongSwan trusts it
	 * (crypto_verify_opts.pretrusted). */
	bool (*is_local)(void *ctx, const struct crypto_cert *cert);
	/* Is the private key of pub loaded? */
	bool (*has_key)(void *ctx, const struct crypto_pubkey *pub);
	/* The Authentication Data of an AUTH payload of method with scheme p
	 * (crypto_sig_auth_sign) over octets, signed with the private key of
	 * pub; at most outmax bytes. Length, or -ENOKEY (no such key) or
	 * another negative errno. */
	int (*sign)(void *ctx, const struct crypto_pubkey *pub, uint8_t method,
	            const struct crypto_sig_params *p, const uint8_t *octets, size_t len,
	            uint8_t *out, size_t outmax);
};

/* What a constructor gets: the connection (its secrets: psk; its
 * certificates: pubkey), the public-key credentials (NULL: none) and the
 * IKE SA it authenticates (pubkey keeps what it learned there: the peer's
 * hash algorithms and CERTREQs, the certificates used). */
struct ike_sa;
struct ike_authn_env {
	const struct ike_conn_cfg *cfg;
	const struct ike_creds *creds;
	struct ike_sa *sa;
};

typedef struct ike_authn *(*ike_authn_new_fn)(const struct ike_authn_env *env,
                                              enum ike_authn_role role);

/* Make cls's authenticators with fn (NULL: cls is not supported, and a
 * connection using it is refused by ike_conn_add). ike_ctx_new registers
 * psk. */
void ike_authn_register(struct ike_ctx *ctx, enum ike_auth_class cls, ike_authn_new_fn fn);
/* Is cls supported by ctx. */
bool ike_authn_supported(const struct ike_ctx *ctx, enum ike_auth_class cls);
/* A new authenticator of cls for role, or NULL (unsupported, no memory). */
struct ike_authn *ike_authn_new(const struct ike_ctx *ctx, enum ike_auth_class cls,
                                enum ike_authn_role role, const struct ike_conn_cfg *cfg,
                                struct ike_sa *sa);
void ike_authn_free(struct ike_authn *a);

/* RFC 7296 2.15 AUTH keyed by a shared secret (a PSK, or an EAP MSK):
 * prf(prf(key, "Key Pad for IKEv2"), octets), crypto_prf_len(prf) bytes
 * into out. 0 or -errno. */
int ike_authn_shared_key(int prf, const uint8_t *key, size_t keylen, const uint8_t *octets,
                         size_t len, uint8_t *out);
/* Add an AUTH payload of method 2 (shared key MIC) over octets. */
int ike_authn_shared_key_put(struct ike_mb *mb, int prf, const uint8_t *key, size_t keylen,
                             const uint8_t *octets, size_t len);
/* Does m's AUTH payload hold the shared-key MIC of key over octets
 * (compared in constant time)? 0 if so; else why says what was wrong:
 * -ENOENT no AUTH payload, -EPROTO another method, -EMSGSIZE the wrong
 * length, -EACCES the wrong value. */
int ike_authn_shared_key_check(const struct ike_msg *m, int prf, const uint8_t *key,
                               size_t keylen, const uint8_t *octets, size_t len, char *why,
                               size_t whylen);

#endif
