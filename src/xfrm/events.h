/* Events from the xfrm layer to whoever manages keys (IKE) and to monitors
 * (uipsec xfrm monitor): the netlink multicast messages of Linux XFRM.
 * Callbacks run synchronously on the thread that caused the event; a
 * callback must not change the SAD or SPD it is called from. */
#ifndef UIPSEC_XFRM_EVENTS_H
#define UIPSEC_XFRM_EVENTS_H

#include <stdbool.h>

#include "net/addr.h"
#include "xfrm/xfrm.h"

struct sad_sa;
struct spd_policy;
struct xfrm_tmpl;

enum xfrm_event_kind {
	XFRM_EV_STATE_ADD,
	XFRM_EV_STATE_UPDATE,
	XFRM_EV_STATE_DEL,
	XFRM_EV_STATE_FLUSH,
	XFRM_EV_POLICY_ADD,
	XFRM_EV_POLICY_UPDATE,
	XFRM_EV_POLICY_DEL,
	XFRM_EV_POLICY_FLUSH,
};

struct xfrm_events {
	void *ctx;
	/* Outbound traffic fl matched pol, whose template t has no state. */
	void (*acquire)(void *ctx, const struct spd_policy *pol,
	                const struct xfrm_tmpl *t, const struct xfrm_flow *fl);
	/* A soft (hard == false) or hard limit of sa was reached. For a hard
	 * expire the state is already SAD_STATE_DEAD (no longer found by
	 * lookups) and is freed by sad_expire_tick: right after the callback
	 * returns if the tick raised it, at the next tick if the packet path
	 * did (sad_sa_account). Do not keep sa after a hard expire. */
	void (*expire)(void *ctx, const struct sad_sa *sa, bool hard);
	/* An ESP packet from src to dst carried an SPI no state has
	 * (XfrmInNoStates): a sign that src kept an SA we lost. Rate-limited
	 * by whoever raises it (the data path: once a second per source). */
	void (*unknown_spi)(void *ctx, const struct ip_addr *src, const struct ip_addr *dst,
	                    uint32_t spi);
	/* State or policy added, updated or deleted (sa/pol NULL for flush). */
	void (*state)(void *ctx, enum xfrm_event_kind kind, const struct sad_sa *sa);
	void (*policy)(void *ctx, enum xfrm_event_kind kind, const struct spd_policy *pol);
};

#endif
