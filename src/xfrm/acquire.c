/* Acquire rate limiting (see acquire.h): a fixed open-addressed table of
 * pending acquires, probed linearly over a short window. An entry is live
 * while now < expires; dead entries are reused. */
#include "xfrm/acquire.h"

#include <stdlib.h>
#include <string.h>

#include "xfrm/spd.h"

#define PROBE 8u

struct acq_entry {
	uint64_t expires;        /* 0 = free */
	uint32_t pol_index;
	uint32_t reqid;
	struct ip_addr daddr;
};

struct xfrm_acquire_limiter {
	struct acq_entry *v;
	unsigned mask;
	unsigned hold;
	uint64_t suppressed;
};

struct xfrm_acquire_limiter *xfrm_acquire_limiter_new(unsigned slots, unsigned hold_seconds)
{
	struct xfrm_acquire_limiter *l = calloc(1, sizeof(*l));
	unsigned n = 16;

	if (!l)
		return NULL;
	while (n < slots && n < (1u << 24))
		n <<= 1;
	l->v = calloc(n, sizeof(*l->v));
	if (!l->v) {
		free(l);
		return NULL;
	}
	l->mask = n - 1;
	l->hold = hold_seconds ? hold_seconds : XFRM_ACQ_EXPIRES_DEFAULT;
	return l;
}

void xfrm_acquire_limiter_free(struct xfrm_acquire_limiter *l)
{
	if (!l)
		return;
	free(l->v);
	free(l);
}

static unsigned slot_of(uint32_t pol_index, uint32_t reqid, const struct ip_addr *d)
{
	uint64_t w0, w1, h;

	memcpy(&w0, d->a, 8);
	memcpy(&w1, d->a + 8, 8);
	h = ((uint64_t)pol_index << 32 | reqid) * 0x9e3779b97f4a7c15ull ^
	    w0 * 0xc2b2ae3d27d4eb4full ^ w1 * 0x165667b19e3779f9ull;
	h ^= h >> 29;
	return (unsigned)(h ^ (h >> 32));
}

bool xfrm_acquire_should_send(struct xfrm_acquire_limiter *l, const struct spd_policy *pol,
                              const struct xfrm_tmpl *t, uint64_t now)
{
	struct acq_entry *victim = NULL;
	unsigned s = slot_of(pol->index, t->reqid, &t->daddr);

	for (unsigned i = 0; i < PROBE; i++) {
		struct acq_entry *e = &l->v[(s + i) & l->mask];
		bool live = e->expires > now;

		if (e->expires && e->pol_index == pol->index && e->reqid == t->reqid &&
		    ip_addr_equal(&e->daddr, &t->daddr)) {
			if (live) {
				l->suppressed++;
				return false;
			}
			victim = e;       /* its own expired entry: renew it */
			break;
		}
		/* Prefer a dead slot; else the one that expires first. */
		if (!victim || (!live && victim->expires > now) ||
		    (live == (victim->expires > now) && e->expires < victim->expires))
			victim = e;
	}
	victim->expires = now + l->hold;
	victim->pol_index = pol->index;
	victim->reqid = t->reqid;
	victim->daddr = t->daddr;
	return true;
}

unsigned xfrm_acquire_forget(struct xfrm_acquire_limiter *l, uint32_t reqid,
                             const struct ip_addr *daddr)
{
	unsigned n = 0;

	for (unsigned i = 0; i <= l->mask; i++) {
		struct acq_entry *e = &l->v[i];

		if (!e->expires)
			continue;
		if (reqid && e->reqid != reqid)
			continue;
		if (daddr && daddr->family && !ip_addr_equal(&e->daddr, daddr))
			continue;
		memset(e, 0, sizeof(*e));
		n++;
	}
	return n;
}

uint64_t xfrm_acquire_suppressed(const struct xfrm_acquire_limiter *l)
{
	return l->suppressed;
}
