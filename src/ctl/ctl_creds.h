/* The IKE core's public-key credentials (struct ike_creds, ike/ike_authn.h)
 * on the credential store of swanctl's folders (conf/creds.h): the daemon
 * gives ctl_creds.ike to ike_ctx_set_creds once and swaps the store behind
 * it on every reload. Private keys stay in the store: the IKE core asks
 * for signatures by public key.
 *
 * Runs on the control loop; the store is replaced only between events. */
#ifndef UIPSEC_CTL_CTL_CREDS_H
#define UIPSEC_CTL_CTL_CREDS_H

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

#endif
