/* INFORMATIONAL exchanges (RFC 7296 1.4) as tasks. Internal to src/ike/. */
#ifndef UIPSEC_IKE_IKE_INFO_H
#define UIPSEC_IKE_IKE_INFO_H

#include <stdint.h>

struct ike_sa;
struct ike_task;

/* Delete the CHILD SA with inbound SPI arg; it ends with its
 * delete_reason (or deleted-by-us) once the peer answers. */
struct ike_task *ike_info_child_delete_new(struct ike_sa *sa, uint32_t arg);
/* Delete the IKE SA; it ends with reason arg (enum ike_end_reason). */
struct ike_task *ike_info_ike_delete_new(struct ike_sa *sa, uint32_t arg);
/* An empty INFORMATIONAL: the peer's answer shows it is alive. */
struct ike_task *ike_info_dpd_new(struct ike_sa *sa, uint32_t arg);
/* Answers any INFORMATIONAL request. */
struct ike_task *ike_info_responder_new(struct ike_sa *sa, uint32_t arg);

#endif
