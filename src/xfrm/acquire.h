/* Rate limit for acquire events. Outbound traffic that matches a protect
 * policy with no state would raise an acquire per packet; the key manager
 * needs one per negotiation. Linux holds further acquires off with a larval
 * state that lives net.core.xfrm_acq_expires seconds (30); this table does
 * the same without touching the SAD: one entry per (policy index, template
 * destination, reqid), held for hold_seconds.
 *
 * Not thread-safe: one table per thread that raises acquires, or the
 * caller's lock. Memory is fixed at creation (no allocation per packet). */
#ifndef UIPSEC_XFRM_ACQUIRE_H
#define UIPSEC_XFRM_ACQUIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "net/addr.h"

#define XFRM_ACQ_EXPIRES_DEFAULT 30   /* seconds, Linux's xfrm_acq_expires */

struct spd_policy;
struct xfrm_tmpl;
struct xfrm_acquire_limiter;

/* slots: how many pending acquires are remembered (rounded up to a power
 * of two, at least 16); hold_seconds 0 = XFRM_ACQ_EXPIRES_DEFAULT.
 * NULL if out of memory. */
struct xfrm_acquire_limiter *xfrm_acquire_limiter_new(unsigned slots, unsigned hold_seconds);
void xfrm_acquire_limiter_free(struct xfrm_acquire_limiter *l);

/* True if an acquire for (pol->index, t->daddr, t->reqid) should go out
 * now (monotonic seconds), and remember it until now + hold; false if one
 * went out less than hold seconds ago (counted in suppressed). When the
 * table is full the entry that expires first is replaced, so at worst an
 * extra acquire goes out, never one too few. */
bool xfrm_acquire_should_send(struct xfrm_acquire_limiter *l, const struct spd_policy *pol,
                              const struct xfrm_tmpl *t, uint64_t now);

/* Forget pending acquires for reqid (0 = any) towards daddr (NULL = any),
 * e.g. when the state for them was added or the negotiation failed, so
 * that the next packet may ask again at once. Returns how many. */
unsigned xfrm_acquire_forget(struct xfrm_acquire_limiter *l, uint32_t reqid,
                             const struct ip_addr *daddr);

/* Acquires held back so far. */
uint64_t xfrm_acquire_suppressed(const struct xfrm_acquire_limiter *l);

#endif
