/* The EAP authenticator (RFC 7296 2.16) with EAP-MSCHAPv2 as its method
 * (RFC 2759, draft-kamath-pppext-eap-mschapv2; strongSwan's eap-mschapv2
 * plugin is the behavioural reference): as LOCAL the EAP peer (a road
 * warrior proving itself with its password), as REMOTE the EAP server
 * (a gateway asking for the peer's EAP-Identity when remote.eap_id says
 * so, then MS-CHAPv2). The MSK it ends with keys the AUTH payloads the
 * IKE_AUTH task exchanges after it (ops.msk_auth). Internal to src/ike/. */
#ifndef UIPSEC_IKE_IKE_AUTHN_EAP_H
#define UIPSEC_IKE_IKE_AUTHN_EAP_H

#include <stddef.h>

#include "ike/ike_authn.h"

/* An ike_authn_new_fn: an EAP authenticator for role on env->sa (whose
 * connection it reads the EAP identities and secrets from when it needs
 * them). NULL without memory. */
struct ike_authn *ike_authn_eap_new(const struct ike_authn_env *env, enum ike_authn_role role);

/* Can cfg's EAP be run: the method known, MD4 and DES to be had (OpenSSL's
 * legacy provider)? 0, or -EINVAL with a line for err. */
int ike_authn_eap_check(const struct ike_conn_cfg *cfg, char *err, size_t errlen);

#endif
