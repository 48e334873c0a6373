/* The IKE core's public-key credentials (struct ike_creds, ike/ike_authn.h)
 * on the credential store of swanctl's folders (conf/creds.h): the daemon
 * gives ctl_creds.ike to ike_ctx_set_creds once and swaps the store behind
 * it on every reload. Private keys stay in the store: the IKE core asks
 * for signatures by public key.
 *
 * Runs on the control loop; the store is replaced only between events. */
#ifndef UIPSEC_CTL_CTL_CREDS_H
#define UIPSEC_CTL_CTL_CREDS_H

#include <stdbool.h>
#include <stddef.h>

#include "ike/ike_authn.h"

struct creds;

struct ctl_creds {
	struct ike_creds ike;        /* the table for ike_ctx_set_creds (ctx = this) */
	struct creds *store;         /* owned; NULL until the first load */
};

/* Fill in the table; no store yet. */
void ctl_creds_init(struct ctl_creds *cc);
/* Use store from now on (owned: freed with the next one or by
 * ctl_creds_free). The old store's certificates stay valid where the IKE
 * core holds references to them (connections, SAs). */
void ctl_creds_set(struct ctl_creds *cc, struct creds *store);
void ctl_creds_free(struct ctl_creds *cc);

/* ---- swanctl.conf -> struct ike_pubkey_cfg ---- */

struct crypto_id;
struct ike_id;
struct ike_pubkey_cfg;

/* One end's public-key options as swanctl.conf writes them (the strings
 * are the caller's). */
struct ctl_pk_spec {
	const char *auth;                 /* auth = (pubkey, rsa/pss-sha256, ike:...); NULL: pubkey */
	char *const *certs;   size_t ncerts;     /* certs: in x509/ (or absolute) */
	char *const *pubkeys; size_t npubkeys;   /* pubkeys: in pubkey/ */
	char *const *cacerts; size_t ncacerts;   /* remote.cacerts: in x509ca/ */
	const char *ca_id;                /* remote.ca_id; NULL: none */
	int revocation;                   /* enum crypto_revocation */
};

/* Fill out from s with the certificates and keys of store (loaded from
 * confdir's folders; a file named here that the folders did not hold is
 * loaded now, as swanctl's vici does): borrowed references, valid while
 * store is (ike_conn_add takes its own). remote: the peer's end (cacerts,
 * ca_id and revocation apply). 0, or -EINVAL with "option: reason" in err. */
int ctl_creds_pubkey_cfg(struct creds *store, const char *confdir, const struct ctl_pk_spec *s,
                         bool remote, struct ike_pubkey_cfg *out, char *err, size_t errlen);
/* An identity as strongSwan writes it (DNs, @fqdn, email, addresses, %any,
 * patterns) into an IKE ID. 0 or -EINVAL with the reason in err. */
int ctl_creds_id(const char *text, struct ike_id *out, char *err, size_t errlen);
/* A warning line (NULL if none) when our identity is not in our own
 * certificate: the peer will refuse it ("identity mismatch"), as charon's
 * would. buf holds the line. */
const char *ctl_creds_id_check(const struct ike_pubkey_cfg *local, const struct ike_id *id,
                               char *buf, size_t len);

#endif
