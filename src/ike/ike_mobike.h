/* MOBIKE (RFC 4555): moving an IKE SA and its CHILD SAs to new addresses
 * with INFORMATIONAL UPDATE_SA_ADDRESSES, as a task (both roles), and the
 * check the front door runs when the host's addresses change. Internal
 * to src/ike/. */
#ifndef UIPSEC_IKE_IKE_MOBIKE_H
#define UIPSEC_IKE_IKE_MOBIKE_H

#include <stdbool.h>
#include <stdint.h>

struct ike_sa;
struct ike_task;

/* The MOBIKE task (initiator: queued by ike_mobike_roam; responder:
 * answers an INFORMATIONAL with N(UPDATE_SA_ADDRESSES)). */
struct ike_task *ike_mobike_task_new(struct ike_sa *sa, uint32_t arg);

/* sa's addresses may have changed: if sa is an established IKE SA we
 * initiated with MOBIKE and the routing now reaches its peer from another
 * local address, queue the move (a request in flight is sent again from
 * the new address at once). True if queued. */
bool ike_mobike_roam(struct ike_sa *sa);

#endif
