/* The IKE_AUTH exchange (RFC 7296 1.2), both roles. Internal to
 * src/ike/. */
#ifndef UIPSEC_IKE_IKE_AUTH_H
#define UIPSEC_IKE_IKE_AUTH_H

#include "ike/ike_sa.h"

int ike_auth_start(struct ike_sa *sa);
void ike_auth_handle_request(struct ike_sa *sa, struct ike_msg *m);
void ike_auth_handle_response(struct ike_sa *sa, struct ike_msg *m);

#endif
