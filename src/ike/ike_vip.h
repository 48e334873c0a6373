/* Virtual IPs in IKE_AUTH (RFC 7296 2.19, 3.15), both roles, as charon's
 * ike_config task does them: the client's CFG_REQUEST, the gateway's
 * leases from the connection's pools and its CFG_REPLY, the client's
 * use of the reply, the traffic selectors a virtual IP stands in for
 * ("dynamic" on the side that has one), and the leases' end with their
 * IKE SA. Internal to src/ike/; called by ike_auth.c, ike_child.c,
 * ike_rekey.c and ike_sa.c. */
#ifndef UIPSEC_IKE_IKE_VIP_H
#define UIPSEC_IKE_IKE_VIP_H

#include <stdbool.h>

#include "ike/ike_cp.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"

struct ike_sa;

/* Client: a CFG_REQUEST into mb for the connection's vips (an empty
 * INTERNAL_IP4/6_ADDRESS per family, and DNS for each); nothing if the
 * connection has none. */
void ike_vip_request(const struct ike_sa *sa, struct ike_mb *mb);
/* Gateway: answer req (the request's CP, NULL if it had none) into mb:
 * an address per family asked for, from the connection's pools in order,
 * with the pool's DNS, NBNS and subnet attributes in a CFG_REPLY. False
 * if the peer asked for an address and gets none: N(INTERNAL_ADDRESS_
 * FAILURE) is in mb instead, logged and counted, and the caller creates
 * no CHILD SA. */
bool ike_vip_assign(struct ike_sa *sa, const struct ike_cp *req, struct ike_mb *mb);
/* Client: the IKE_AUTH response m; takes the assigned addresses and DNS
 * servers (logged, io->vip told). False if we asked and got none
 * (logged): the caller ends the IKE SA. */
bool ike_vip_received(struct ike_sa *sa, const struct ike_msg *m);
/* The traffic selectors of our side (local) or the peer's that
 * "dynamic" stands for when a virtual IP is involved: the assigned
 * addresses, or, for a client still asking, the whole address space of
 * each family it asks for (charon's 0.0.0.0/0, ::/0). False if no
 * virtual IP is involved (dynamic is the IKE address). */
bool ike_vip_ts(const struct ike_sa *sa, bool local, struct ike_ts_list *out);
/* The IKE SA ends: the gateway's leases go offline in their pools, the
 * client's addresses are taken back (io->vip). Idempotent. */
void ike_vip_release(struct ike_sa *sa);
/* A rekeyed IKE SA's successor takes over its virtual IPs and leases. */
void ike_vip_move(struct ike_sa *to, struct ike_sa *from);

#endif
