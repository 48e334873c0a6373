/* IKE timer events. Other files report what happened (a request sent, its
 * response received, an SA established, a CHILD SA installed, an IKE
 * rekeying refused, a hint that the peer lost its state); ike_timers.c
 * decides what it means and when (retransmits and giving up, half-open
 * timeout, DPD, NAT keepalives, IKE rekeying, reauthentication and expiry,
 * CHILD SA lifetimes). Internal to src/ike/. */
#ifndef UIPSEC_IKE_IKE_TIMERS_H
#define UIPSEC_IKE_IKE_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

struct ike_child_sa;
struct xfrm_lifetime_cfg;
struct ike_req;
struct ike_sa;

/* The manager sent request r / received its response. */
void ike_timers_request_sent(struct ike_sa *sa, struct ike_req *r);
void ike_timers_response_received(struct ike_sa *sa, struct ike_req *r);
/* sa is established (or a rekeyed successor took over). */
void ike_timers_established(struct ike_sa *sa);
/* The data-plane lifetimes of c's states (lft initialised by the caller):
 * soft limits at its config's rekey_time/_bytes/_packets less a random part
 * of rand_*, hard ones at life_*; records the times on c for listings. */
void ike_timers_child_lifetimes(struct ike_sa *sa, struct ike_child_sa *c,
                                struct xfrm_lifetime_cfg *lft);
/* c was installed. */
void ike_timers_child_installed(struct ike_sa *sa, struct ike_child_sa *c);
/* An unauthenticated hint that the peer lost sa (INVALID_IKE_SPI in answer
 * to a request of ours): the requests in flight go on the quick schedule
 * and are given up soon unless an authenticated answer comes. */
void ike_timers_hint(struct ike_sa *sa);
/* A sign that the peer may have lost its state (an unknown SPI from it):
 * a liveness check on sa now, unless one ran less than 2 s ago (the rate
 * limit) or sa is not established. True if a check is under way. */
bool ike_timers_probe(struct ike_sa *sa);
/* The peer refused to rekey sa: try again after rekey_time. */
void ike_timers_ike_rekey_refused(struct ike_sa *sa);
/* Run what is due at now (monotonic ms): retransmits, give-up, half-open
 * timeout, keepalives; DPD and IKE rekeying are queued as tasks. */
void ike_timers_run(struct ike_sa *sa, uint64_t now);
/* When ike_timers_run has something to do next, UINT64_MAX if never, 0 for
 * a dead SA (to be reaped). */
uint64_t ike_timers_next(const struct ike_sa *sa);

#endif
