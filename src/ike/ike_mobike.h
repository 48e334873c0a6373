/* MOBIKE (RFC 4555): moving an IKE SA and its CHILD SAs to new addresses
 * with INFORMATIONAL UPDATE_SA_ADDRESSES, as a task (both roles), and the
 * check the front door runs when the host's addresses change. Internal
 * to src/ike/. */
#ifndef UIPSEC_IKE_IKE_MOBIKE_H
#define UIPSEC_IKE_IKE_MOBIKE_H

#include <stdbool.h>
#include <stdint.h>

#include "net/addr.h"

struct ike_sa;
struct ike_task;
struct ike_mb;
struct ike_msg;

/* RFC 4555 3.6: a peer's additional addresses, from its
 * N(ADDITIONAL_IP4_ADDRESS), N(ADDITIONAL_IP6_ADDRESS) and
 * N(NO_ADDITIONAL_ADDRESSES). At most IKE_MOBIKE_ADDRS_MAX are kept;
 * more, and malformed ones (wrong length, unspecified address), are
 * counted in dropped; duplicates are kept once. */
#define IKE_MOBIKE_ADDRS_MAX 8
struct ike_mobike_addrs {
	bool present;       /* the message carried any of the three notifies */
	bool none;          /* N(NO_ADDITIONAL_ADDRESSES) */
	unsigned n;
	unsigned dropped;
	struct ip_addr addr[IKE_MOBIKE_ADDRS_MAX];
};

/* Parse the address list of decrypted message m into out. Returns 0, or
 * -EINVAL if the list contradicts itself (NO_ADDITIONAL_ADDRESSES with
 * addresses, or NO_ADDITIONAL_ADDRESSES with data): then out->n is 0. */
int ike_mobike_addrs_parse(const struct ike_msg *m, struct ike_mobike_addrs *out);

/* Append our additional addresses (n of them; NO_ADDITIONAL_ADDRESSES if
 * none) to mb, skipping the one the IKE SA uses (current, may be NULL). */
void ike_mobike_addrs_put(struct ike_mb *mb, const struct ip_addr *addrs, unsigned n,
                          const struct ip_addr *current);

/* The MOBIKE task (initiator: queued by ike_mobike_roam; responder:
 * answers an INFORMATIONAL with N(UPDATE_SA_ADDRESSES)). */
struct ike_task *ike_mobike_task_new(struct ike_sa *sa, uint32_t arg);

/* sa's addresses may have changed: if sa is an established IKE SA we
 * initiated with MOBIKE and the routing now reaches its peer from another
 * local address, queue the move (a request in flight is sent again from
 * the new address at once). True if queued. */
bool ike_mobike_roam(struct ike_sa *sa);

#endif
