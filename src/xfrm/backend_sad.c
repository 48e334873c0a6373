/* The SAD and SPD behind the backend interface (see backend_sad.h): each
 * request is turned into the table's own struct, which is wiped after
 * use. Runs on the control loop. */
#include "xfrm/backend_sad.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

struct tables {
	struct xfrm_backend be;      /* first: the handle given out */
	struct sad *sad;
	struct spd *spd;
};

static struct tables *tables_of(void *impl)
{
	return impl;
}

static int sad_alloc(void *impl, const struct ip_addr *daddr, uint8_t proto, uint32_t lo,
                     uint32_t hi, uint32_t *spi)
{
	if (proto != IPPROTO_ESP_)
		return -EPROTONOSUPPORT;   /* the SAD holds ESP states only */
	return sad_alloc_spi(tables_of(impl)->sad, daddr, lo, hi, spi);
}

static int sad_add_req(void *impl, const struct xfrm_sa_req *req)
{
	struct sad_sa st;
	int rc;

	memset(&st, 0, sizeof(st));
	st.daddr = req->daddr;
	st.saddr = req->saddr;
	st.spi = req->spi;
	st.proto = req->proto;
	st.mode = req->mode;
	st.reqid = req->reqid;
	st.flags = req->esn ? SAD_FLAG_ESN : 0;
	st.replay.size = req->replay_window;
	st.aead = req->aead;
	st.enc = req->enc;
	st.auth = req->auth;
	st.encap = req->encap;
	st.lft = req->lft;
	st.sel = req->sel;
	rc = sad_add(tables_of(impl)->sad, &st, NULL);
	mem_wipe(&st, sizeof(st));   /* the SAD keeps its own copy of the keys */
	return rc;
}

/* A new destination is a new identity in the SAD: the state is added
 * again under it (keys, sequence numbers and byte counts carried over) and
 * the old one deleted, as charon's kernel-netlink does for UPDSA. Its
 * time limits count from the move (the SAD sets add_time on add). */
static int sad_move(struct sad *sad, const struct sad_sa *old, const struct xfrm_sa_update *upd)
{
	struct sad_sa st = *old;
	int rc;

	st.daddr = upd->daddr;
	st.saddr = upd->saddr;
	st.encap = upd->encap;
	st.crypto = NULL;
	st.user = NULL;
	rc = sad_add(sad, &st, NULL);
	mem_wipe(&st, sizeof(st));
	if (rc)
		return rc;
	return sad_del(sad, &upd->id.daddr, upd->id.spi, upd->id.proto);
}

static int sad_update_req(void *impl, const struct xfrm_sa_update *upd)
{
	struct sad *sad = tables_of(impl)->sad;
	struct sad_sa *old = sad_lookup(sad, &upd->id.daddr, upd->id.spi, upd->id.proto);
	struct sad_sa st;
	int rc;

	if (!old)
		return -ENOENT;
	if (!ip_addr_equal(&upd->daddr, &old->daddr))
		return sad_move(sad, old, upd);
	/* in place: sad_update replaces what it is given and keeps the
	 * algorithms (none named), the sequence numbers and the counters */
	memset(&st, 0, sizeof(st));
	st.daddr = old->daddr;
	st.spi = old->spi;
	st.proto = old->proto;
	st.saddr = upd->saddr;
	st.encap = upd->encap;
	st.mode = old->mode;
	st.flags = old->flags;
	st.reqid = old->reqid;
	st.sel = old->sel;
	st.lft = old->lft;
	st.mark = old->mark;
	st.mark_mask = old->mark_mask;
	rc = sad_update(sad, &st);
	mem_wipe(&st, sizeof(st));
	return rc;
}

static int sad_del_req(void *impl, const struct xfrm_sa_id *id)
{
	return sad_del(tables_of(impl)->sad, &id->daddr, id->spi, id->proto);
}

static int sad_query(void *impl, const struct xfrm_sa_id *id, struct xfrm_sa_counters *out)
{
	const struct sad_sa *st = sad_lookup(tables_of(impl)->sad, &id->daddr, id->spi, id->proto);

	if (!st)
		return -ENOENT;
	out->bytes = st->curlft.bytes;
	out->packets = st->curlft.packets;
	out->use_time = st->curlft.use_time;
	return 0;
}

static void policy_of(const struct xfrm_policy_req *req, struct spd_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	pol->sel = req->sel;
	pol->dir = req->dir;
	pol->action = req->action;
	pol->priority = req->priority;
	if (req->has_tmpl) {
		pol->ntmpl = 1;
		pol->tmpl[0].saddr = req->tmpl.saddr;
		pol->tmpl[0].daddr = req->tmpl.daddr;
		pol->tmpl[0].proto = req->tmpl.proto;
		pol->tmpl[0].mode = req->tmpl.mode;
		pol->tmpl[0].reqid = req->tmpl.reqid;
	}
	xfrm_lifetime_cfg_init(&pol->lft);
}

static int spd_add_req(void *impl, const struct xfrm_policy_req *req)
{
	struct spd_policy pol;

	policy_of(req, &pol);
	return spd_add(tables_of(impl)->spd, &pol, NULL);
}

static int spd_update_req(void *impl, const struct xfrm_policy_req *req)
{
	struct spd_policy pol;

	policy_of(req, &pol);
	return spd_update(tables_of(impl)->spd, &pol, NULL);
}

static int spd_del_req(void *impl, const struct xfrm_selector *sel, uint8_t dir)
{
	return spd_del(tables_of(impl)->spd, sel, dir);
}

static const struct xfrm_backend_ops sad_ops = {
	.name = "userspace SAD/SPD",
	.alloc_spi = sad_alloc,
	.add_sa = sad_add_req,
	.update_sa = sad_update_req,
	.del_sa = sad_del_req,
	.query_sa = sad_query,
	.add_policy = spd_add_req,
	.update_policy = spd_update_req,
	.del_policy = spd_del_req,
};

struct xfrm_backend *xfrm_backend_sad_new(struct sad *sad, struct spd *spd)
{
	struct tables *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->sad = sad;
	t->spd = spd;
	t->be.ops = &sad_ops;
	t->be.impl = t;
	return &t->be;
}

void xfrm_backend_sad_free(struct xfrm_backend *be)
{
	free(be);
}

/* Linux's acquire carries a selector built from the packet's flow. */
static void sel_of_flow(const struct xfrm_flow *fl, struct xfrm_selector *sel)
{
	memset(sel, 0, sizeof(*sel));
	sel->saddr = fl->saddr;
	sel->daddr = fl->daddr;
	sel->family = fl->saddr.family;
	sel->prefixlen_s = sel->prefixlen_d = (uint8_t)xfrm_family_bits(sel->family);
	sel->proto = fl->proto;
	if (fl->proto) {
		sel->sport = fl->sport;
		sel->dport = fl->dport;
		sel->sport_mask = sel->dport_mask = 0xffff;
	}
}

void xfrm_backend_sad_acquire(struct xfrm_backend *be, const struct spd_policy *pol,
                              const struct xfrm_tmpl *t, const struct xfrm_flow *fl)
{
	struct xfrm_selector sel;

	if (!be || !t)
		return;   /* without a template there is no reqid to negotiate for */
	if (fl)
		sel_of_flow(fl, &sel);
	else
		sel = pol->sel;
	xfrm_backend_acquired(be, t->reqid, &sel);
}

void xfrm_backend_sad_expire(struct xfrm_backend *be, const struct sad_sa *sa, bool hard)
{
	struct xfrm_sa_id id = { .daddr = sa->daddr, .spi = sa->spi, .proto = sa->proto };

	if (be)
		xfrm_backend_expired(be, &id, hard);
}

void xfrm_backend_sad_unknown_spi(struct xfrm_backend *be, const struct ip_addr *src,
                                  const struct ip_addr *dst, uint32_t spi)
{
	if (be)
		xfrm_backend_unknown_spi(be, src, dst, spi);
}
