/* The backend interface (see backend.h): dispatch to the implementation's
 * table, and events from it to the one listener. Runs on the control
 * loop. */
#include "xfrm/backend.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "util/mem.h"

int xfrm_backend_alloc_spi(struct xfrm_backend *be, const struct ip_addr *daddr, uint8_t proto,
                           uint32_t lo, uint32_t hi, uint32_t *spi)
{
	return be ? be->ops->alloc_spi(be->impl, daddr, proto, lo, hi, spi) : -ENODEV;
}

int xfrm_backend_add_sa(struct xfrm_backend *be, const struct xfrm_sa_req *req)
{
	return be ? be->ops->add_sa(be->impl, req) : -ENODEV;
}

int xfrm_backend_update_sa(struct xfrm_backend *be, const struct xfrm_sa_update *upd)
{
	return be ? be->ops->update_sa(be->impl, upd) : -ENODEV;
}

int xfrm_backend_del_sa(struct xfrm_backend *be, const struct xfrm_sa_id *id)
{
	return be ? be->ops->del_sa(be->impl, id) : -ENODEV;
}

int xfrm_backend_query_sa(struct xfrm_backend *be, const struct xfrm_sa_id *id,
                          struct xfrm_sa_counters *out)
{
	memset(out, 0, sizeof(*out));
	return be ? be->ops->query_sa(be->impl, id, out) : -ENODEV;
}

int xfrm_backend_add_policy(struct xfrm_backend *be, const struct xfrm_policy_req *req)
{
	return be ? be->ops->add_policy(be->impl, req) : -ENODEV;
}

int xfrm_backend_update_policy(struct xfrm_backend *be, const struct xfrm_policy_req *req)
{
	return be ? be->ops->update_policy(be->impl, req) : -ENODEV;
}

int xfrm_backend_del_policy(struct xfrm_backend *be, const struct xfrm_selector *sel,
                            uint8_t dir)
{
	return be ? be->ops->del_policy(be->impl, sel, dir) : -ENODEV;
}

void xfrm_backend_listen(struct xfrm_backend *be, const struct xfrm_backend_events *ev)
{
	if (ev)
		be->events = *ev;
	else
		memset(&be->events, 0, sizeof(be->events));
}

void xfrm_backend_acquired(struct xfrm_backend *be, uint32_t reqid,
                           const struct xfrm_selector *sel)
{
	if (be->events.acquire)
		be->events.acquire(be->events.ctx, reqid, sel);
}

void xfrm_backend_expired(struct xfrm_backend *be, const struct xfrm_sa_id *id, bool hard)
{
	if (be->events.expire)
		be->events.expire(be->events.ctx, id, hard);
}

void xfrm_backend_unknown_spi(struct xfrm_backend *be, const struct ip_addr *src,
                              const struct ip_addr *dst, uint32_t spi)
{
	if (be->events.unknown_spi)
		be->events.unknown_spi(be->events.ctx, src, dst, spi);
}

void xfrm_sa_req_wipe(struct xfrm_sa_req *req)
{
	mem_wipe(req, sizeof(*req));
}
