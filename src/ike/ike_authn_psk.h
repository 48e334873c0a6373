/* The pre-shared key authenticator (RFC 7296 2.15: AUTH method 2 keyed by
 * the connection's secret). Internal to src/ike/. */
#ifndef UIPSEC_IKE_IKE_AUTHN_PSK_H
#define UIPSEC_IKE_IKE_AUTHN_PSK_H

#include "ike/ike_authn.h"

/* An ike_authn_new_fn: a PSK authenticator for role, with a copy of
 * env->cfg->psk (wiped when freed); NULL without a PSK or memory. */
struct ike_authn *ike_authn_psk_new(const struct ike_authn_env *env, enum ike_authn_role role);

#endif
