/* Rekeying the IKE SA with CREATE_CHILD_SA (RFC 7296 1.3.2, 2.18) as a
 * task, both roles, with rekey collisions (2.8.2). Internal to src/ike/. */
#ifndef UIPSEC_IKE_IKE_REKEY_H
#define UIPSEC_IKE_IKE_REKEY_H

#include <stdint.h>

struct ike_sa;
struct ike_task;

/* The IKE_SA rekey task (initiator: queued by ike_timers.c after
 * rekey_time; responder: a CREATE_CHILD_SA with IKE proposals). */
struct ike_task *ike_rekey_task_new(struct ike_sa *sa, uint32_t arg);

#endif
