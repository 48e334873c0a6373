/* CREATE_CHILD_SA for CHILD SAs (RFC 7296 1.3.1) with optional PFS, and
 * the rekeying of a CHILD SA (N(REKEY_SA), 1.3.3) with its collisions
 * (2.8.1): two tasks (create, rekey) sharing one set of ops, both roles.
 * Rekeying the IKE SA is the same exchange with IKE proposals, in
 * ike_rekey.c; ike_task.c routes requests between the two.
 *
 *   HDR, SK {[N(REKEY_SA)], SA, Ni, [KEi], TSi, TSr}  -->
 *                            <--  HDR, SK {SA, Nr, [KEr], TSi, TSr}
 */
#include "ike/ike_create.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/dh.h"
#include "crypto/rand.h"
#include "ike/ike_child.h"
#include "ike/ike_ctx.h"
#include "ike/ike_mgr.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_sa.h"
#include "ike/ike_task.h"
#include "util/bytes.h"
#include "util/mem.h"
#include "xfrm/xfrm.h"

#define KE_RETRIES_MAX 3

/* The exchange's own state (initiator). The CHILD SA being negotiated sits
 * on the IKE SA as CREATING, found by its inbound SPI. */
struct create_task {
	struct ike_task t;           /* first: the manager's handle */
	bool rekey;
	uint32_t spi_in;             /* of the new CHILD SA, 0 before the first build */
	uint16_t group;              /* PFS group of the request, 0: none */
	unsigned ke_retries;         /* INVALID_KE_PAYLOAD answers */
	struct crypto_dh *dh;
	uint8_t ni[IKE_NONCE_LEN];
};

static struct create_task *create_of(struct ike_task *t)
{
	return (struct create_task *)t;
}

static void set_nmin(struct ike_child_sa *c, const uint8_t *ni, size_t nilen,
                     const uint8_t *nr, size_t nrlen)
{
	bool i_lower = ike_nonce_cmp(ni, nilen, nr, nrlen) <= 0;

	c->nmin_len = (uint16_t)(i_lower ? nilen : nrlen);
	memcpy(c->nmin, i_lower ? ni : nr, c->nmin_len);
}

/* RFC 7296 2.8.1: both ends rekeyed the same CHILD SA at once, so there
 * are two new ones. The one created with the lowest of the four nonces is
 * redundant and is deleted by the end that created it. */
static void collision_check(struct ike_sa *sa, struct ike_child_sa *c)
{
	if (!c->rekeyed_spi)
		return;
	for (struct ike_child_sa *o = sa->children; o; o = o->next) {
		if (o == c || o->state != CHILD_INSTALLED || o->rekeyed_spi != c->rekeyed_spi ||
		    o->by_us == c->by_us)
			continue;
		struct ike_child_sa *lower =
			ike_nonce_cmp(c->nmin, c->nmin_len, o->nmin, o->nmin_len) < 0 ? c : o;
		sa_info(sa, "CHILD_SA %s rekey collision: %08x_i is redundant, %s",
		        c->cfg.name, lower->spi_in, lower->by_us ? "deleting it" : "the peer deletes it");
		if (lower->by_us) {
			lower->delete_reason = CHILD_END_REKEY_COLLISION;
			ike_mgr_queue(sa, IKE_TASK_CHILD_DELETE, lower->spi_in);
		}
		return;
	}
}

static uint16_t pfs_group(const struct ike_proposals *ps)
{
	for (unsigned i = 0; i < ps->n; i++) {
		uint16_t g = ike_proposal_get(&ps->p[i], IKE_TRANS_DH, NULL);
		if (g)
			return g;
	}
	return 0;
}

/* The child config this task negotiates, or NULL if it went away (the
 * CHILD SA to rekey was deleted meanwhile, the config was reloaded). */
static const struct ike_child_cfg *task_cfg(struct create_task *ct, struct ike_sa *sa,
                                            uint32_t *rekey_spi)
{
	int idx;

	*rekey_spi = 0;
	if (!ct->rekey) {
		idx = (int)ct->t.arg;
	} else {
		struct ike_child_sa *old = ike_child_find_in(sa, ct->t.arg);
		if (!old || old->state != CHILD_INSTALLED)
			return NULL;
		*rekey_spi = old->spi_in;
		idx = ike_child_cfg_index(sa, old->cfg.name);
	}
	if (idx < 0 || !sa->conn || (unsigned)idx >= sa->conn->cfg.nchildren)
		return NULL;
	return &sa->conn->cfg.children[idx];
}

/* The CREATING CHILD SA of this task, made on the first build. */
static struct ike_child_sa *task_child(struct create_task *ct, struct ike_sa *sa,
                                       const struct ike_child_cfg *cc, uint32_t rekey_spi)
{
	struct ike_child_sa *c;

	if (ct->spi_in)
		return ike_child_find_in(sa, ct->spi_in);
	c = ike_child_new(sa, cc);
	if (!c)
		return NULL;
	if (ike_child_alloc_spi(sa, &c->spi_in)) {
		ike_child_end(sa, c, CHILD_END_INTERNAL);
		return NULL;
	}
	c->rekeyed_spi = rekey_spi;
	ct->spi_in = c->spi_in;
	return c;
}

static enum ike_task_status create_build(struct ike_task *t, struct ike_sa *sa,
                                         struct ike_mb *mb)
{
	struct create_task *ct = create_of(t);
	uint32_t rekey_spi;
	const struct ike_child_cfg *cc = task_cfg(ct, sa, &rekey_spi);
	struct ike_proposals props;
	struct ike_ts_list tsi, tsr;
	struct ike_child_sa *c;
	uint8_t pub[CRYPTO_DH_PUB_MAX];
	int n = 0;

	if (!cc)
		return IKE_TASK_DONE;   /* nothing left to create or rekey */
	c = task_child(ct, sa, cc, rekey_spi);
	if (!c)
		return IKE_TASK_FAILED;
	if (!ct->group)
		ct->group = pfs_group(&cc->esp);
	/* a fresh nonce and DH key for every attempt */
	crypto_dh_free(ct->dh);
	ct->dh = NULL;
	if (crypto_rand(ct->ni, IKE_NONCE_LEN))
		goto fail;
	if (ct->group) {
		ct->dh = crypto_dh_new(ct->group);
		if (!ct->dh || (n = crypto_dh_public(ct->dh, pub, sizeof(pub))) < 0)
			goto fail;
	}
	props = cc->esp;
	for (unsigned i = 0; i < props.n; i++) {
		props.p[i].spi_len = 4;
		put_be32(props.p[i].spi, c->spi_in);
	}
	ike_child_ts_local(sa, cc, &tsi);
	ike_child_ts_remote(sa, cc, &tsr);
	if (c->rekeyed_spi) {
		uint8_t spi[4];
		put_be32(spi, c->rekeyed_spi);
		ike_pld_notify_put(mb, IKE_PROTO_ESP, spi, 4, IKE_N_REKEY_SA, NULL, 0);
	}
	if (cc->mode == XFRM_MODE_TRANSPORT)
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_pld_sa_put(mb, &props, false);
	ike_pld_raw_put(mb, IKE_PLD_NONCE, ct->ni, IKE_NONCE_LEN);
	if (ct->group)
		ike_pld_ke_put(mb, ct->group, pub, (size_t)n);
	ike_pld_ts_put(mb, IKE_PLD_TSI, &tsi);
	ike_pld_ts_put(mb, IKE_PLD_TSR, &tsr);
	sa_info(sa, "%s CHILD_SA %s%s", c->rekeyed_spi ? "rekeying" : "creating", cc->name,
	        ct->group ? " with PFS" : "");
	return IKE_TASK_NEED_MORE;
fail:
	sa_err(sa, "CHILD_SA %s: no random bytes or DH key", cc->name);
	ike_child_end(sa, c, CHILD_END_INTERNAL);
	return IKE_TASK_FAILED;
}

/* RFC 7296 1.3: INVALID_KE_PAYLOAD names the group the responder wants;
 * retry with it if we offer it and did not just propose it. */
static bool ke_retry(struct create_task *ct, struct ike_sa *sa, struct ike_child_sa *c,
                     const struct ike_msg *m)
{
	const struct ike_pld *p = ike_msg_find_notify(m, IKE_N_INVALID_KE_PAYLOAD);
	struct ike_notify_pld n;
	bool offered = false;
	uint16_t g = 0;

	if (p && !ike_pld_notify_parse(p->body, p->len, &n) && n.dlen == 2)
		g = get_be16(n.data);
	for (unsigned i = 0; i < c->neg->esp.n; i++)
		offered |= ike_proposal_has(&c->neg->esp.p[i], IKE_TRANS_DH, g);
	if (!g || !offered || g == ct->group || ++ct->ke_retries > KE_RETRIES_MAX)
		return false;
	sa_info(sa, "CHILD_SA %s: responder wants PFS group %u, retrying", c->cfg.name, g);
	ct->group = g;
	return true;
}

static enum ike_child_end_reason refusal(uint16_t err)
{
	switch (err) {
	case IKE_N_NO_PROPOSAL_CHOSEN: return CHILD_END_NO_PROPOSAL;
	case IKE_N_TS_UNACCEPTABLE: return CHILD_END_TS_UNACCEPTABLE;
	default: return CHILD_END_REFUSED;
	}
}

static enum ike_task_status create_process(struct ike_task *t, struct ike_sa *sa,
                                           const struct ike_msg *m)
{
	struct create_task *ct = create_of(t);
	struct ike_child_sa *c = ct->spi_in ? ike_child_find_in(sa, ct->spi_in) : NULL;
	const struct ike_pld *p_sa = ike_msg_find(m, IKE_PLD_SA);
	const struct ike_pld *p_nr = ike_msg_find(m, IKE_PLD_NONCE);
	const struct ike_pld *p_ke = ike_msg_find(m, IKE_PLD_KE);
	const struct ike_pld *p_tsi = ike_msg_find(m, IKE_PLD_TSI);
	const struct ike_pld *p_tsr = ike_msg_find(m, IKE_PLD_TSR);
	struct ike_proposals theirs;
	struct ike_ts_list tsi, tsr, our_l, our_r;
	struct ike_proposal chosen;
	enum ike_task_status st = IKE_TASK_FAILED;
	uint8_t gir[CRYPTO_DH_SECRET_MAX];
	int gl = 0;
	uint16_t err;

	if (!c || c->state != CHILD_CREATING) {
		sa->ctx->stats.drop_unexpected++;
		return IKE_TASK_FAILED;
	}
	if ((err = ike_msg_error_notify(m)) == IKE_N_INVALID_KE_PAYLOAD && ke_retry(ct, sa, c, m))
		return IKE_TASK_NEED_MORE;
	if (err == IKE_N_CHILD_SA_NOT_FOUND && c->rekeyed_spi) {
		/* the peer rekeyed or deleted it meanwhile (2.25): nothing to do */
		sa_info(sa, "CHILD_SA %s: the peer no longer has the SA we rekey (CHILD_SA_NOT_FOUND)",
		        c->cfg.name);
		ike_child_end(sa, c, CHILD_END_REKEY_COLLISION);
		return IKE_TASK_DONE;
	}
	if (err) {
		sa_warn(sa, "CREATE_CHILD_SA for %s failed: peer sent %s", c->cfg.name,
		        ike_notify_name(err));
		if (err == IKE_N_TS_UNACCEPTABLE)
			sa->ctx->stats.ts_unacceptable++;
		if (err == IKE_N_NO_PROPOSAL_CHOSEN)
			sa->ctx->stats.no_proposal++;
		ike_child_end(sa, c, refusal(err));
		return IKE_TASK_FAILED;
	}
	ike_child_ts_local(sa, c->neg, &our_l);
	ike_child_ts_remote(sa, c->neg, &our_r);
	if (!p_sa || !p_nr || !p_tsi || !p_tsr ||
	    ike_pld_sa_parse(p_sa->body, p_sa->len, &theirs) || theirs.n != 1 ||
	    !ike_proposal_select(&c->neg->esp, &theirs, false, &chosen) || chosen.spi_len != 4 ||
	    ike_pld_ts_parse(p_tsi->body, p_tsi->len, &tsi) ||
	    ike_pld_ts_parse(p_tsr->body, p_tsr->len, &tsr) ||
	    !ike_child_narrow(&tsi, &our_l, &c->ts_local) ||
	    !ike_child_narrow(&tsr, &our_r, &c->ts_remote)) {
		sa_warn(sa, "CREATE_CHILD_SA for %s: malformed or unacceptable response", c->cfg.name);
		ike_child_end(sa, c, CHILD_END_INVALID_RESPONSE);
		return IKE_TASK_FAILED;
	}
	uint16_t group = ike_proposal_get(&chosen, IKE_TRANS_DH, NULL);
	if (group) {
		uint16_t kg;
		const uint8_t *ke;
		size_t kelen;
		if (!ct->dh || crypto_dh_group(ct->dh) != group || !p_ke ||
		    ike_pld_ke_parse(p_ke->body, p_ke->len, &kg, &ke, &kelen) || kg != group ||
		    (gl = crypto_dh_derive(ct->dh, ke, kelen, gir, sizeof(gir))) < 0) {
			sa_warn(sa, "CREATE_CHILD_SA for %s: bad key exchange in response", c->cfg.name);
			ike_child_end(sa, c, CHILD_END_INVALID_RESPONSE);
			goto out;
		}
	}
	c->spi_out = get_be32(chosen.spi);
	c->prop = chosen;
	c->by_us = true;
	set_nmin(c, ct->ni, IKE_NONCE_LEN, p_nr->body, p_nr->len);
	if (c->cfg.mode == XFRM_MODE_TRANSPORT && !ike_msg_find_notify(m, IKE_N_USE_TRANSPORT_MODE))
		c->cfg.mode = XFRM_MODE_TUNNEL;
	if (ike_child_install(sa, c, true, gir, group ? (size_t)gl : 0, ct->ni, IKE_NONCE_LEN,
	                      p_nr->body, p_nr->len)) {
		ike_child_end(sa, c, CHILD_END_INSTALL_FAILED);
		goto out;
	}
	/* the rekeying initiator deletes the old CHILD SA (RFC 7296 2.8) */
	if (c->rekeyed_spi) {
		struct ike_child_sa *old;
		collision_check(sa, c);
		if ((old = ike_child_find_in(sa, c->rekeyed_spi))) {
			old->delete_reason = CHILD_END_REKEYED;
			ike_mgr_queue(sa, IKE_TASK_CHILD_DELETE, c->rekeyed_spi);
		}
	}
	st = IKE_TASK_DONE;
out:
	mem_wipe(gir, sizeof(gir));
	return st;
}

/* Responder: a new CHILD SA, or the successor of the one N(REKEY_SA)
 * names. */
static enum ike_task_status create_respond(struct ike_task *t, struct ike_sa *sa,
                                           const struct ike_msg *m, struct ike_mb *mb)
{
	const struct ike_pld *p_sa = ike_msg_find(m, IKE_PLD_SA);
	const struct ike_pld *p_ni = ike_msg_find(m, IKE_PLD_NONCE);
	const struct ike_pld *p_ke = ike_msg_find(m, IKE_PLD_KE);
	const struct ike_pld *p_tsi = ike_msg_find(m, IKE_PLD_TSI);
	const struct ike_pld *p_tsr = ike_msg_find(m, IKE_PLD_TSR);
	struct ike_proposals theirs;
	struct ike_ts_list tsi, tsr, our_l, our_r, ni_l, nr_l;
	struct ike_proposal chosen;
	uint8_t nr[IKE_NONCE_LEN], pub[CRYPTO_DH_PUB_MAX], gir[CRYPTO_DH_SECRET_MAX];
	int gl = 0, pl = 0;
	char b1[512], b2[512];
	enum ike_task_status st = IKE_TASK_FAILED;

	if (sa->state != IKE_STATE_ESTABLISHED) {
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		return IKE_TASK_FAILED;
	}
	if (!p_sa || !p_ni || ike_pld_sa_parse(p_sa->body, p_sa->len, &theirs)) {
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		return IKE_TASK_FAILED;
	}
	if (!p_tsi || !p_tsr || ike_pld_ts_parse(p_tsi->body, p_tsi->len, &tsi) ||
	    ike_pld_ts_parse(p_tsr->body, p_tsr->len, &tsr)) {
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		return IKE_TASK_FAILED;
	}
	int idx = ike_child_cfg_select(sa, &tsi, &tsr);
	if (idx < 0) {
		sa->ctx->stats.ts_unacceptable++;
		sa_warn(sa, "CREATE_CHILD_SA: no config matches TSi %s TSr %s: TS_UNACCEPTABLE",
		        ike_ts_list_fmt(&tsi, b1, sizeof(b1)), ike_ts_list_fmt(&tsr, b2, sizeof(b2)));
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TS_UNACCEPTABLE, NULL, 0);
		return IKE_TASK_FAILED;
	}
	const struct ike_child_cfg *cc = &sa->conn->cfg.children[idx];
	/* RFC 7296 2.25: a rekeying of a CHILD SA we no longer have (we
	 * rekeyed or deleted it meanwhile) gets CHILD_SA_NOT_FOUND, not a
	 * new CHILD SA beside its successor */
	const struct ike_pld *p_rk = ike_msg_find_notify(m, IKE_N_REKEY_SA);
	struct ike_notify_pld rk;
	struct ike_child_sa *old = NULL;
	if (p_rk) {
		bool spi_ok = !ike_pld_notify_parse(p_rk->body, p_rk->len, &rk) && rk.spi_len == 4;
		if (spi_ok)
			old = ike_child_find_out(sa, get_be32(rk.spi));   /* its inbound: our outbound */
		if (!old || old->state != CHILD_INSTALLED) {
			sa_info(sa, "CHILD_SA %s: peer rekeys an SA we no longer have: CHILD_SA_NOT_FOUND",
			        cc->name);
			ike_pld_notify_put(mb, IKE_PROTO_ESP, spi_ok ? rk.spi : NULL, spi_ok ? 4 : 0,
			                   IKE_N_CHILD_SA_NOT_FOUND, NULL, 0);
			return IKE_TASK_FAILED;
		}
	}
	if (!ike_proposal_select(&cc->esp, &theirs, false, &chosen) || chosen.spi_len != 4) {
		sa->ctx->stats.no_proposal++;
		sa_warn(sa, "CHILD_SA %s: peer proposed %s, we accept %s: NO_PROPOSAL_CHOSEN",
		        cc->name, ike_proposals_fmt(&theirs, b1, sizeof(b1)),
		        ike_proposals_fmt(&cc->esp, b2, sizeof(b2)));
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return IKE_TASK_FAILED;
	}
	uint16_t group = ike_proposal_get(&chosen, IKE_TRANS_DH, NULL);
	struct crypto_dh *dh = NULL;
	if (group) {
		uint16_t kg = 0;
		const uint8_t *ke = NULL;
		size_t kelen = 0;
		if (!p_ke || ike_pld_ke_parse(p_ke->body, p_ke->len, &kg, &ke, &kelen) || kg != group) {
			uint8_t g[2];
			put_be16(g, group);
			sa->ctx->stats.invalid_ke_sent++;
			sa_info(sa, "CHILD_SA %s: peer's KE group %u, we want %u: INVALID_KE_PAYLOAD",
			        cc->name, kg, group);
			ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INVALID_KE_PAYLOAD, g, 2);
			return IKE_TASK_FAILED;
		}
		dh = crypto_dh_new(group);
		if (!dh || (pl = crypto_dh_public(dh, pub, sizeof(pub))) < 0 ||
		    (gl = crypto_dh_derive(dh, ke, kelen, gir, sizeof(gir))) < 0) {
			crypto_dh_free(dh);
			ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
			return IKE_TASK_FAILED;
		}
		crypto_dh_free(dh);
	}
	if (crypto_rand(nr, sizeof(nr))) {
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		goto out;
	}
	ike_child_ts_remote(sa, cc, &our_r);
	ike_child_ts_local(sa, cc, &our_l);
	ike_child_narrow(&tsi, &our_r, &ni_l);
	ike_child_narrow(&tsr, &our_l, &nr_l);
	struct ike_child_sa *c = ike_child_new(sa, cc);
	if (!c || ike_child_alloc_spi(sa, &c->spi_in)) {
		if (c)
			ike_child_end(sa, c, CHILD_END_INTERNAL);
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		goto out;
	}
	c->spi_out = get_be32(chosen.spi);
	c->prop = chosen;
	c->ts_remote = ni_l;
	c->ts_local = nr_l;
	c->by_us = false;
	set_nmin(c, p_ni->body, p_ni->len, nr, sizeof(nr));
	if (old)
		c->rekeyed_spi = old->spi_in;
	bool transport = cc->mode == XFRM_MODE_TRANSPORT &&
	                 ike_msg_find_notify(m, IKE_N_USE_TRANSPORT_MODE);
	c->cfg.mode = transport ? XFRM_MODE_TRANSPORT : XFRM_MODE_TUNNEL;
	if (ike_child_install(sa, c, false, gir, group ? (size_t)gl : 0, p_ni->body, p_ni->len,
	                      nr, sizeof(nr))) {
		ike_child_end(sa, c, CHILD_END_INSTALL_FAILED);
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		goto out;
	}
	struct ike_proposals one = { .n = 1 };
	one.p[0] = chosen;
	put_be32(one.p[0].spi, c->spi_in);
	if (transport)
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_pld_sa_put(mb, &one, false);
	ike_pld_raw_put(mb, IKE_PLD_NONCE, nr, sizeof(nr));
	if (group)
		ike_pld_ke_put(mb, group, pub, (size_t)pl);
	ike_pld_ts_put(mb, IKE_PLD_TSI, &ni_l);
	ike_pld_ts_put(mb, IKE_PLD_TSR, &nr_l);
	collision_check(sa, c);
	st = IKE_TASK_DONE;
out:
	mem_wipe(gir, sizeof(gir));
	return st;
}


static void create_destroy(struct ike_task *t, struct ike_sa *sa)
{
	struct create_task *ct = create_of(t);
	struct ike_child_sa *c = ct->spi_in ? ike_child_find_in(sa, ct->spi_in) : NULL;

	/* a CHILD SA still being negotiated goes with its exchange */
	if (c && c->state == CHILD_CREATING)
		ike_child_end(sa, c, CHILD_END_IKE_ENDED);
	crypto_dh_free(ct->dh);
	mem_free_wipe(ct, sizeof(*ct));
}

static const struct ike_task_ops create_ops = {
	.name = "CHILD_SA create",
	.exchange = CREATE_CHILD_SA,
	.build = create_build,
	.process = create_process,
	.respond = create_respond,
	.destroy = create_destroy,
};

static struct ike_task *task_new(bool rekey)
{
	struct create_task *ct = calloc(1, sizeof(*ct));

	if (!ct)
		return NULL;
	ct->t.ops = &create_ops;
	ct->rekey = rekey;
	return &ct->t;
}

struct ike_task *ike_create_task_new(struct ike_sa *sa, uint32_t arg)
{
	return task_new(false);
}

struct ike_task *ike_create_rekey_task_new(struct ike_sa *sa, uint32_t arg)
{
	return task_new(true);
}
