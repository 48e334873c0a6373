/* The IKE_AUTH exchange (RFC 7296 1.2) as a task, both roles: it
 * authenticates both ends and creates the first CHILD SA. Internal to
 * src/ike/. */
#ifndef UIPSEC_IKE_IKE_AUTH_H
#define UIPSEC_IKE_IKE_AUTH_H

#include <stdint.h>

struct ike_sa;
struct ike_task;

/* The IKE_AUTH task (initiator: queued behind IKE_SA_INIT, proposes
 * child config sa->auth_child; responder: answers a half-open SA). */
struct ike_task *ike_auth_task_new(struct ike_sa *sa, uint32_t arg);

#endif
