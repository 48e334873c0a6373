/* The pre-shared key authenticator (RFC 7296 2.15: AUTH method 2 keyed by
 * the secret of both identities). Internal to src/ike/. */
#ifndef UIPSEC_IKE_IKE_AUTHN_PSK_H
#define UIPSEC_IKE_IKE_AUTHN_PSK_H

#include "ike/ike_authn.h"

/* An ike_authn_new_fn: a PSK authenticator for role. With a PSK table
 * (ike_psks_set) it looks the key up by our identity and the peer's
 * when it builds or checks AUTH (the peer's as received, or before that
 * the connection's remote id); without one it uses a copy of
 * env->cfg->psk (wiped when freed). NULL without a key or memory. */
struct ike_authn *ike_authn_psk_new(const struct ike_authn_env *env, enum ike_authn_role role);

/* ike_psks_set (ike.h): replace source's table of keys. */
int ike_authn_psk_set(struct ike_ctx *ctx, enum ike_psk_source source,
                      const struct ike_psk_cfg *psks, unsigned n);
/* The shared secret of type for me and other, as charon's get_shared
 * (the best match of other's identity, then of mine; a secret without
 * owners matches anyone): 0 with *key and *len (the table's, valid until the
 * next ike_psks_set), or -ENOENT. */
int ike_authn_shared_get(const struct ike_ctx *ctx, enum ike_shared_type type,
                         const struct ike_id *me, const struct ike_id *other,
                         const uint8_t **key, size_t *len);
/* Free every source's table, wiping the keys. */
void ike_authn_psk_clear(struct ike_ctx *ctx);

#endif
