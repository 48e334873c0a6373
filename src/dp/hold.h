/* Packets held while their SA is negotiated: the first packets of a
 * start_action = trap tunnel, which raise the acquire, wait here and
 * leave once the SA is up, so that the first ping of such a tunnel is
 * answered (strongSwan's libipsec, and Linux with its default
 * net.core.xfrm_larval_drop = 1, drop them).
 *
 * Modelled on Linux's policy hold queue (xfrm_policy_queue, with
 * xfrm_larval_drop = 0): at most XFRM_MAX_QUEUE_LEN (100) packets per
 * policy; here also at most DP_HOLD_MAX in all, and each at most
 * DP_HOLD_MS (the acquire's own hold, Linux's xfrm_acq_expires: after it
 * a packet raises a new acquire). Packets over either bound or held too
 * long are dropped and counted (hold_dropped; those refused at once also
 * as XfrmOutNoStates, as every packet was before; a held packet is not a
 * drop). The packets are copies; memory is taken only while something is
 * held. Only a dp whose io.held is set holds packets (uipsecd's gateway,
 * which flushes them); others drop as before.
 *
 * Threading: a struct dp_hold belongs to one dp; the control loop flushes
 * it (dp_hold_flush) while the dp's worker is outside a batch. */
#ifndef UIPSEC_DP_HOLD_H
#define UIPSEC_DP_HOLD_H

#include <stdbool.h>
#include <stdint.h>

#define DP_HOLD_PER_POLICY 100   /* Linux's XFRM_MAX_QUEUE_LEN */
#define DP_HOLD_MAX 1000
#define DP_HOLD_MS 30000         /* XFRM_ACQ_EXPIRES_DEFAULT seconds */

struct dp;
struct pkt;
struct dp_held;

struct dp_hold {
	struct dp_held *head, *tail;   /* oldest first */
	unsigned n;
	bool ready;                    /* a state arrived for some of them */
};

/* Keep a copy of p (outbound, inner packet) for policy index, template
 * reqid; now in ms. 0, or -ENOSPC (a bound is reached) / -ENOMEM: the
 * caller drops it. */
int dp_hold_add(struct dp *dp, uint32_t index, uint32_t reqid, const struct pkt *p,
                uint64_t now_ms);
/* A state for reqid (0: any) arrived: its packets may go (dp_hold_flush). */
void dp_hold_ready(struct dp *dp, uint32_t reqid);
/* Send again through dp_output what may go (packets whose state is there,
 * in the order they came; those still without one stay), drop what is
 * older than DP_HOLD_MS. */
void dp_hold_flush(struct dp *dp, uint64_t now_ms);
/* Drop everything held (counted). */
void dp_hold_clear(struct dp *dp);

#endif
