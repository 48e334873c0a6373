/* INFORMATIONAL exchanges (RFC 7296 1.4), both roles, and unprotected
 * notify answers to IKE_SA_INIT requests. Internal to src/ike/. */
#ifndef UIPSEC_IKE_IKE_INFO_H
#define UIPSEC_IKE_IKE_INFO_H

#include "ike/ike_sa.h"

int ike_info_start(struct ike_sa *sa, enum ike_task task, uint32_t arg);
void ike_info_handle_request(struct ike_sa *sa, struct ike_msg *m);
void ike_info_handle_response(struct ike_sa *sa, struct ike_msg *m);
/* Answer a request without an IKE SA (IKE_SA_INIT errors, cookies). */
void ike_send_notify_plain(struct ike_ctx *ctx, const struct ike_endpoint *local,
                           const struct ike_endpoint *remote, const struct ike_hdr *req,
                           uint16_t type, const uint8_t *data, size_t dlen);

#endif
