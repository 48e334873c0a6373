/* The userspace data plane as a backend (xfrm/backend.h): requests become
 * states in the SAD and policies in the SPD, and the SAD's and SPD's
 * acquire and expire events (and the data path's unknown SPIs) become
 * backend events.
 *
 * The SAD and SPD have one event sink each (struct xfrm_events, given at
 * sad_new/spd_new), which the embedder shares with other listeners
 * (monitors, the data path): it hands acquire and expire on with
 * xfrm_backend_sad_acquire/_expire.
 *
 * Threading: the control loop, as the SAD and SPD changes are. */
#ifndef UIPSEC_XFRM_BACKEND_SAD_H
#define UIPSEC_XFRM_BACKEND_SAD_H

#include <stdbool.h>

#include "xfrm/backend.h"

struct sad;
struct sad_sa;
struct spd;
struct spd_policy;
struct xfrm_flow;
struct xfrm_tmpl;

/* A backend over sad and spd (borrowed: they must outlive it). NULL if
 * out of memory. */
struct xfrm_backend *xfrm_backend_sad_new(struct sad *sad, struct spd *spd);
void xfrm_backend_sad_free(struct xfrm_backend *be);

/* The SPD's acquire event (pol matched fl, its template t has no state)
 * and the SAD's expire event, as backend events. */
void xfrm_backend_sad_acquire(struct xfrm_backend *be, const struct spd_policy *pol,
                              const struct xfrm_tmpl *t, const struct xfrm_flow *fl);
void xfrm_backend_sad_expire(struct xfrm_backend *be, const struct sad_sa *sa, bool hard);
/* The data path's unknown SPI event, as a backend event. */
void xfrm_backend_sad_unknown_spi(struct xfrm_backend *be, const struct ip_addr *src,
                                  const struct ip_addr *dst, uint32_t spi);

#endif
