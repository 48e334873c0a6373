/* IKE timer events. The exchanges report what happened; ike_timers.c
 * decides what it means (retransmits, half-open timeout, DPD, NAT
 * keepalives, IKE rekeying). Internal to src/ike/. */
#ifndef UIPSEC_IKE_IKE_TIMERS_H
#define UIPSEC_IKE_IKE_TIMERS_H

#include "ike/ike_sa.h"
#include "ike/ike_child.h"

void ike_timers_request_sent(struct ike_sa *sa);
void ike_timers_response_received(struct ike_sa *sa);
void ike_timers_established(struct ike_sa *sa);
void ike_timers_child_installed(struct ike_sa *sa, struct ike_child_sa *c);
void ike_timers_run(struct ike_sa *sa, uint64_t now);
uint64_t ike_timers_next(const struct ike_sa *sa);

#endif
