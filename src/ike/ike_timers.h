/* IKE timer events. Other files report what happened (a request sent, its
 * response received, an SA established, a CHILD SA installed, an IKE
 * rekeying refused); ike_timers.c decides what it means and when
 * (retransmits and giving up, half-open timeout, DPD, NAT keepalives, IKE
 * rekeying). Internal to src/ike/. */
#ifndef UIPSEC_IKE_IKE_TIMERS_H
#define UIPSEC_IKE_IKE_TIMERS_H

#include <stdint.h>

struct ike_child_sa;
struct ike_req;
struct ike_sa;

/* The manager sent request r / received its response. */
void ike_timers_request_sent(struct ike_sa *sa, struct ike_req *r);
void ike_timers_response_received(struct ike_sa *sa, struct ike_req *r);
/* sa is established (or a rekeyed successor took over). */
void ike_timers_established(struct ike_sa *sa);
/* c was installed. */
void ike_timers_child_installed(struct ike_sa *sa, struct ike_child_sa *c);
/* The peer refused to rekey sa: try again after rekey_time. */
void ike_timers_ike_rekey_refused(struct ike_sa *sa);
/* Run what is due at now (monotonic ms): retransmits, give-up, half-open
 * timeout, keepalives; DPD and IKE rekeying are queued as tasks. */
void ike_timers_run(struct ike_sa *sa, uint64_t now);
/* When ike_timers_run has something to do next, UINT64_MAX if never, 0 for
 * a dead SA (to be reaped). */
uint64_t ike_timers_next(const struct ike_sa *sa);

#endif
