/* The IKE_SA_INIT exchange (RFC 7296 1.2), both roles. Internal to
 * src/ike/. */
#ifndef UIPSEC_IKE_IKE_INIT_H
#define UIPSEC_IKE_IKE_INIT_H

#include "ike/ike_sa.h"

int ike_init_start(struct ike_sa *sa);
void ike_init_handle_request(struct ike_ctx *ctx, const struct ike_endpoint *local,
                             const struct ike_endpoint *remote, struct ike_msg *m);
void ike_init_handle_response(struct ike_sa *sa, struct ike_msg *m);

#endif
