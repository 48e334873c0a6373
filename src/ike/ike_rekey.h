/* Rekeying the IKE SA with CREATE_CHILD_SA (RFC 7296 1.3.2, 2.18), both
 * roles. Internal to src/ike/. */
#ifndef UIPSEC_IKE_IKE_REKEY_H
#define UIPSEC_IKE_IKE_REKEY_H

#include "ike/ike_sa.h"

int ike_rekey_start(struct ike_sa *sa);
void ike_rekey_handle_request(struct ike_sa *sa, struct ike_msg *m,
                              const struct ike_proposals *theirs);
void ike_rekey_handle_response(struct ike_sa *sa, struct ike_msg *m);

#endif
