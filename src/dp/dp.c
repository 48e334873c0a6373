/* Data-path context: set-up, tracer attachment, local addresses. */
#include "dp/dp.h"
#include "util/clock.h"
#include "xfrm/acquire.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

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
	dp->ike_max = DP_IKE_MAX_DEFAULT;
	dp->acq = xfrm_acquire_limiter_new(DP_ACQ_SLOTS, 0);
	return dp->acq ? 0 : -ENOMEM;
}

void dp_fini(struct dp *dp)
{
	xfrm_acquire_limiter_free(dp->acq);
	dp->acq = NULL;
	dp_hold_clear(dp);
	dp_capture_fini(dp);
}

void dp_state_event(struct dp *dp, enum xfrm_event_kind kind, const struct sad_sa *sa)
{
	for (; dp; dp = dp->next) {
		if (!dp->acq)
			continue;   /* not set up (dp_init failed) */
		if (kind == XFRM_EV_STATE_ADD || kind == XFRM_EV_STATE_UPDATE) {
			xfrm_acquire_forget(dp->acq, sa ? sa->reqid : 0, sa ? &sa->daddr : NULL);
			dp_hold_ready(dp, sa ? sa->reqid : 0);
		}
	}
}

static void set_tracer_one(struct dp *dp, const struct dp_tracer *tracer)
{
	if (tracer && tracer->emit) {
		dp->tracer = *tracer;
		dp->tracing = true;
	} else {
		dp->tracing = false;
		memset(&dp->tracer, 0, sizeof(dp->tracer));
	}
}

void dp_set_tracer(struct dp *dp, const struct dp_tracer *tracer)
{
	struct dp *d;

	set_tracer_one(dp, tracer);
	for (d = dp->next; d; d = d->next)
		set_tracer_one(d, tracer && tracer->emit && d->relay_tracer.emit ?
		                  &d->relay_tracer : tracer);
}

static void add_u64s(uint64_t *to, const uint64_t *from, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		to[i] += from[i];
}

void dp_sum(const struct dp *dp, struct xfrm_stats *st, struct dp_counters *cnt)
{
	_Static_assert(sizeof(struct dp_counters) % sizeof(uint64_t) == 0,
	               "struct dp_counters holds uint64_t only");
	memset(st, 0, sizeof(*st));
	memset(cnt, 0, sizeof(*cnt));
	for (; dp; dp = dp->next) {
		add_u64s(st->mib, dp->stats.mib, XFRM_MIB_MAX);
		add_u64s((uint64_t *)(void *)cnt, (const uint64_t *)(const void *)&dp->cnt,
		         sizeof(*cnt) / sizeof(uint64_t));
	}
}

unsigned dp_chain_len(const struct dp *dp)
{
	unsigned n = 0;

	for (; dp; dp = dp->next)
		n++;
	return n;
}

uint64_t dp_tables_gen(const struct dp *dp)
{
	/* both only grow: the sum changes when either does */
	return sad_generation(dp->sad) + spd_generation(dp->spd);
}

void dp_sa_hold(struct dp *dp, struct sad_sa *sa)
{
	if (!dp->sa_locking || dp->held == sa)
		return;
	if (dp->held)
		sad_sa_unlock(dp->held);
	sad_sa_lock(sa);
	dp->held = sa;
}

void dp_sa_release(struct dp *dp)
{
	if (dp->held) {
		sad_sa_unlock(dp->held);
		dp->held = NULL;
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
	for (struct dp *d = dp->next; d; d = d->next) {
		memcpy(d->local, dp->local, sizeof(dp->local[0]) * n);
		d->nlocal = n;
	}
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

void dp_nostate(struct dp *dp, const struct ip_addr *src, const struct ip_addr *dst,
                uint32_t spi)
{
	uint32_t h = 2166136261u;
	uint64_t now;
	struct dp_nostate *e;

	if (!dp->events || !dp->events->unknown_spi)
		return;
	for (unsigned i = 0; i < ip_addr_len(src); i++)
		h = (h ^ src->a[i]) * 16777619u;
	e = &dp->nostate[h % DP_NOSTATE_SLOTS];
	now = clock_mono_sec();
	if (e->sec && e->sec == now && ip_addr_equal(&e->src, src))
		return;
	e->src = *src;
	e->sec = now;
	dp->cnt.nostate_events++;
	dp->events->unknown_spi(dp->events->ctx, src, dst, spi);
}
