/* CREATE_CHILD_SA for CHILD SAs (RFC 7296 1.3.1, 1.3.3) as tasks, both
 * roles. Internal to src/ike/. */
#ifndef UIPSEC_IKE_IKE_CREATE_H
#define UIPSEC_IKE_IKE_CREATE_H

#include <stdint.h>

struct ike_sa;
struct ike_task;

/* A new CHILD SA of child config arg (initiator), or the responder. */
struct ike_task *ike_create_task_new(struct ike_sa *sa, uint32_t arg);
/* Rekey the CHILD SA with inbound SPI arg (initiator), or the responder
 * to N(REKEY_SA). */
struct ike_task *ike_create_rekey_task_new(struct ike_sa *sa, uint32_t arg);

#endif
