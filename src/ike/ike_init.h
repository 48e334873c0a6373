/* The IKE_SA_INIT exchange (RFC 7296 1.2) as a task, both roles, and the
 * responder's stateless first look at a request. Internal to src/ike/. */
#ifndef UIPSEC_IKE_IKE_INIT_H
#define UIPSEC_IKE_IKE_INIT_H

#include <stdbool.h>
#include <stdint.h>

struct ike_ctx;
struct ike_mb;
struct ike_endpoint;
struct ike_msg;
struct ike_sa;
struct ike_task;

/* The IKE_SA_INIT task (initiator: queued first on a new IKE SA;
 * responder: answers the request ike_init_accept let in). */
struct ike_task *ike_init_task_new(struct ike_sa *sa, uint32_t arg);

/* A new IKE_SA_INIT request m (header checked) from remote to local:
 * answer a retransmission from its half-open SA, demand a cookie under
 * load (RFC 7296 2.6), find the connection, choose the proposal, ask for
 * another group (INVALID_KE_PAYLOAD) - all without keeping state - and
 * then create the half-open IKE SA for the manager to answer m on. NULL
 * if m was answered or dropped here. */
struct ike_sa *ike_init_accept(struct ike_ctx *ctx, const struct ike_endpoint *local,
                               const struct ike_endpoint *remote, const struct ike_msg *m);

/* NAT detection (RFC 7296 2.23) on an IKE SA with both SPIs, for MOBIKE
 * (RFC 4555 3.5, 3.8): put N(NAT_DETECTION_SOURCE_IP) and
 * N(NAT_DETECTION_DESTINATION_IP) for sa->local and sa->remote now (the
 * source faked as for IKE_SA_INIT when encap = yes or the data plane
 * prefers ESP in UDP); and compare the peer's with sa->local and
 * sa->remote, setting nat_local and nat_remote. The check is false if m
 * has no NAT_DETECTION_SOURCE_IP of 20 bytes (nothing changed then). */
void ike_init_natd_put(struct ike_sa *sa, struct ike_mb *mb);
bool ike_init_natd_check(struct ike_sa *sa, const struct ike_msg *m);

#endif
