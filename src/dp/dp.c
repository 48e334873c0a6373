/* Data-path context: set-up, tracer attachment, local addresses. */
#include "dp/dp.h"
#include "xfrm/acquire.h"
#include "xfrm/sad.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>

int dp_init(struct dp *dp, struct sad *sad, struct spd *spd,
            struct xfrm_events *events, const struct dp_io *io)
{
	memset(dp, 0, sizeof(*dp));
	dp->sad = sad;
	dp->spd = spd;
	dp->events = events;
	dp->io = *io;
	dp->acq = xfrm_acquire_limiter_new(DP_ACQ_SLOTS, 0);
	return dp->acq ? 0 : -ENOMEM;
}

void dp_fini(struct dp *dp)
{
	xfrm_acquire_limiter_free(dp->acq);
	dp->acq = NULL;
	dp_capture_fini(dp);
}

void dp_state_event(struct dp *dp, enum xfrm_event_kind kind, const struct sad_sa *sa)
{
	if (!dp->acq)
		return;
	if (kind == XFRM_EV_STATE_ADD || kind == XFRM_EV_STATE_UPDATE)
		xfrm_acquire_forget(dp->acq, sa ? sa->reqid : 0, sa ? &sa->daddr : NULL);
}

void dp_set_tracer(struct dp *dp, const struct dp_tracer *tracer)
{
	if (tracer && tracer->emit) {
		dp->tracer = *tracer;
		dp->tracing = true;
	} else {
		dp->tracing = false;
		memset(&dp->tracer, 0, sizeof(dp->tracer));
	}
}

int dp_refresh_local(struct dp *dp)
{
	struct ifaddrs *ifa, *i;
	unsigned n = 0;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i && n < DP_MAX_LOCAL; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6)
			continue;
		ip_addr_from_sockaddr(&dp->local[n++], NULL, i->ifa_addr);
	}
	dp->nlocal = n;
	freeifaddrs(ifa);
	return 0;
}

bool dp_is_local(const struct dp *dp, const struct ip_addr *a)
{
	unsigned i;

	for (i = 0; i < dp->nlocal; i++)
		if (ip_addr_equal(&dp->local[i], a))
			return true;
	return false;
}
