/* Rekeying the IKE SA (RFC 7296 sections 1.3.2 and 2.18) with a
 * CREATE_CHILD_SA exchange on the old IKE SA:
 *
 *   HDR, SK {SA, Ni, KEi}  -->          (SA: IKE proposals, SPI = new SPIi)
 *                     <--  HDR, SK {SA, Nr, KEr}   (SPI = new SPIr)
 *
 * Both sides then derive the new SA's keys from SK_d of the old one,
 * SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), move the CHILD SAs
 * over, and the side that started the rekeying deletes the old IKE SA
 * (INFORMATIONAL on the old SA). The new SA's initiator is the party that
 * started the rekeying; its message IDs start at 0.
 *
 * Collisions (both sides rekey at once, 2.8.2): a peer's rekey request
 * that arrives while ours is in flight is answered normally, and the
 * successor it creates takes the CHILD SAs for now. When our response
 * comes, there are two new IKE SAs; the one whose lower nonce is the
 * lowest of the four is redundant. Its creator deletes it, and the
 * creator of the surviving one deletes the old SA; the CHILD SAs end up
 * on the survivor on both sides. A rekey request for an SA that is
 * already replaced or being deleted gets TEMPORARY_FAILURE (2.25). */
#include "ike/ike_rekey.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/dh.h"
#include "crypto/rand.h"
#include "ike/ike_authn_pubkey.h"
#include "ike/ike_child.h"
#include "ike/ike_ctx.h"
#include "ike/ike_kdf.h"
#include "ike/ike_mgr.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_sa.h"
#include "ike/ike_vip.h"
#include "ike/ike_task.h"
#include "ike/ike_timers.h"
#include "util/bytes.h"
#include "util/mem.h"

/* The exchange's own state (initiator): the new SA's SPI, DH key and
 * nonce until the response arrives. */
struct rekey_task {
	struct ike_task t;           /* first: the manager's handle */
	struct crypto_dh *dh;
	uint64_t spi;                /* our SPI of the new IKE SA */
	uint8_t ni[IKE_NONCE_LEN];
};

static struct rekey_task *rekey_of(struct ike_task *t)
{
	return (struct rekey_task *)t;
}

/* The new SA takes over everything but the keys and message IDs. */
static struct ike_sa *successor(struct ike_sa *old, bool initiator, uint64_t spi_i,
                                uint64_t spi_r, const struct ike_proposal *chosen,
                                uint16_t group)
{
	struct ike_sa *sa = ike_sa_new(old->ctx, old->conn, initiator);

	if (!sa)
		return NULL;
	/* ike_sa_new drew our own new SPI; the peer's comes from its SA */
	if (spi_i)
		ike_sa_set_spi_i(sa, spi_i);
	if (spi_r)
		sa->spi_r = spi_r;
	sa->local = old->local;
	sa->remote = old->remote;
	sa->nat_local = old->nat_local;
	sa->nat_remote = old->nat_remote;
	sa->natt = old->natt;
	sa->mobike = old->mobike;
	sa->frag_supported = old->frag_supported;   /* kept across the rekey, as charon */
	ike_sa_set_peer_id(sa, &old->peer_id);
	if (old->peer_eap_id && ike_sa_set_peer_eap_id(sa, old->peer_eap_id)) {
		ike_sa_end(sa, IKE_END_INTERNAL);
		return NULL;
	}
	ike_authn_pubkey_sa_inherit(sa, old);   /* the certificates it was authenticated with */
	sa->dh_group = group;
	if (ike_sa_set_algs(sa, chosen)) {
		ike_sa_end(sa, IKE_END_INTERNAL);
		return NULL;
	}
	return sa;
}

static void take_over(struct ike_sa *sa, struct ike_sa *old)
{
	char b[256];

	/* a collision's survivor may already own children */
	struct ike_child_sa **tail = &sa->children;
	while (*tail)
		tail = &(*tail)->next;
	*tail = old->children;
	old->children = NULL;
	ike_vip_move(sa, old);
	old->rekeyed = true;
	/* CREATED -> ESTABLISHED is legal only for a rekeyed SA */
	ike_sa_set_state(sa, IKE_STATE_ESTABLISHED);
	ike_timers_established(sa);
	sa->ctx->stats.ike_established++;
	sa_info(sa, "IKE_SA rekeyed (old SPIs %016llx_i %016llx_r), %s",
	        (unsigned long long)old->spi_i, (unsigned long long)old->spi_r,
	        ike_proposal_fmt(&sa->prop, b, sizeof(b)));
}

static enum ike_task_status rekey_build(struct ike_task *t, struct ike_sa *sa,
                                        struct ike_mb *mb)
{
	struct rekey_task *rt = rekey_of(t);
	struct ike_proposals props = sa->conn->cfg.ike;
	uint8_t pub[CRYPTO_DH_PUB_MAX];
	uint64_t spi = 0;
	int n;

	/* a queued rekey of an SA the peer has replaced meanwhile */
	if (sa->rekeyed)
		return IKE_TASK_DONE;
	while (spi == 0)
		if (crypto_rand(&spi, sizeof(spi)))
			goto fail;
	rt->dh = crypto_dh_new(sa->dh_group);
	if (!rt->dh || (n = crypto_dh_public(rt->dh, pub, sizeof(pub))) < 0 ||
	    crypto_rand(rt->ni, IKE_NONCE_LEN))
		goto fail;
	rt->spi = spi;
	for (unsigned i = 0; i < props.n; i++) {
		props.p[i].spi_len = 8;
		put_be64(props.p[i].spi, spi);
	}
	ike_pld_sa_put(mb, &props, false);
	ike_pld_raw_put(mb, IKE_PLD_NONCE, rt->ni, IKE_NONCE_LEN);
	ike_pld_ke_put(mb, sa->dh_group, pub, (size_t)n);
	sa_info(sa, "rekeying IKE_SA");
	return IKE_TASK_NEED_MORE;
fail:
	sa_err(sa, "cannot rekey the IKE_SA: no random bytes or DH key");
	return IKE_TASK_FAILED;
}

/* Responder: the peer rekeys sa; a successor takes its CHILD SAs. */
static enum ike_task_status rekey_respond(struct ike_task *t, struct ike_sa *sa,
                                          const struct ike_msg *m, struct ike_mb *mb)
{
	const struct ike_pld *p_sa = ike_msg_find(m, IKE_PLD_SA);
	const struct ike_pld *p_ni = ike_msg_find(m, IKE_PLD_NONCE);
	const struct ike_pld *p_ke = ike_msg_find(m, IKE_PLD_KE);
	struct ike_proposal chosen;
	uint8_t pub[CRYPTO_DH_PUB_MAX], gir[CRYPTO_DH_SECRET_MAX];
	char b1[512], b2[512];
	struct crypto_dh *dh = NULL;
	struct ike_sa *nsa;
	uint16_t kg;
	const uint8_t *ke;
	size_t kelen;
	int pl, gl;
	struct ike_proposals theirs;
	enum ike_task_status st = IKE_TASK_FAILED;
	/* RFC 7296 2.8.2: we are rekeying it ourselves */
	bool collision = ike_mgr_in_flight(sa, IKE_TASK_IKE_REKEY);

	if (sa->state != IKE_STATE_ESTABLISHED) {
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		return IKE_TASK_FAILED;
	}
	/* ike_task.c routed it here for its SA payload */
	if (!p_sa || ike_pld_sa_parse(p_sa->body, p_sa->len, &theirs) || !p_ni) {
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		return IKE_TASK_FAILED;
	}
	if (sa->rekeyed || sa->coll_spi_i) {
		sa_info(sa, "IKE_SA already rekeyed: refusing the peer's rekeying (TEMPORARY_FAILURE)");
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		return IKE_TASK_FAILED;
	}
	if (!ike_proposal_select(&sa->conn->cfg.ike, &theirs, false, &chosen) ||
	    chosen.spi_len != 8) {
		sa->ctx->stats.no_proposal++;
		sa_warn(sa, "IKE_SA rekey: peer proposed %s, we accept %s: NO_PROPOSAL_CHOSEN",
		        ike_proposals_fmt(&theirs, b1, sizeof(b1)),
		        ike_proposals_fmt(&sa->conn->cfg.ike, b2, sizeof(b2)));
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return IKE_TASK_FAILED;
	}
	uint16_t group = ike_proposal_get(&chosen, IKE_TRANS_DH, NULL);
	if (!p_ke || ike_pld_ke_parse(p_ke->body, p_ke->len, &kg, &ke, &kelen) || kg != group) {
		uint8_t g[2];
		put_be16(g, group);
		sa->ctx->stats.invalid_ke_sent++;
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INVALID_KE_PAYLOAD, g, 2);
		return IKE_TASK_FAILED;
	}
	nsa = successor(sa, false, get_be64(chosen.spi), 0, &chosen, group);
	if (!nsa) {
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		return IKE_TASK_FAILED;
	}
	/* ike_sa_new drew our new SPI into spi_r (we respond) */
	dh = crypto_dh_new(group);
	if (!dh || (pl = crypto_dh_public(dh, pub, sizeof(pub))) < 0 ||
	    (gl = crypto_dh_derive(dh, ke, kelen, gir, sizeof(gir))) < 0 ||
	    crypto_rand(nsa->nr, IKE_NONCE_LEN)) {
		crypto_dh_free(dh);
		ike_sa_end(nsa, IKE_END_PROTOCOL_ERROR);
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		goto out;
	}
	crypto_dh_free(dh);
	memcpy(nsa->ni, p_ni->body, p_ni->len);
	nsa->ni_len = p_ni->len;
	nsa->nr_len = IKE_NONCE_LEN;
	if (ike_kdf_ike_sa_rekey(nsa, sa, gir, (size_t)gl)) {
		ike_sa_end(nsa, IKE_END_INTERNAL);
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		goto out;
	}
	struct ike_proposals one = { .n = 1 };
	one.p[0] = chosen;
	put_be64(one.p[0].spi, nsa->spi_r);
	ike_pld_sa_put(mb, &one, false);
	ike_pld_raw_put(mb, IKE_PLD_NONCE, nsa->nr, nsa->nr_len);
	ike_pld_ke_put(mb, group, pub, (size_t)pl);
	take_over(nsa, sa);
	st = IKE_TASK_DONE;
	if (collision) {
		/* decided when the response to our own rekeying arrives */
		sa_info(sa, "IKE_SA rekey collision: the peer rekeys too (new SPIs %016llx_i "
		        "%016llx_r)", (unsigned long long)nsa->spi_i, (unsigned long long)nsa->spi_r);
		sa->coll_spi_i = nsa->spi_i;
		sa->coll_spi_r = nsa->spi_r;
	}
	/* the peer deletes the old SA; until then it answers but starts nothing */
out:
	mem_wipe(gir, sizeof(gir));
	return st;
}

static int nonce_min_cmp(const struct ike_sa *a, const struct ike_sa *b)
{
	bool ai = ike_nonce_cmp(a->ni, a->ni_len, a->nr, a->nr_len) <= 0;
	bool bi = ike_nonce_cmp(b->ni, b->ni_len, b->nr, b->nr_len) <= 0;

	return ike_nonce_cmp(ai ? a->ni : a->nr, ai ? a->ni_len : a->nr_len,
	                     bi ? b->ni : b->nr, bi ? b->ni_len : b->nr_len);
}

/* RFC 7296 2.8.2: old was rekeyed twice, by us (ours) and by the peer
 * (theirs, which holds the CHILD SAs now). The SA created with the lowest
 * nonce is redundant; whoever created it deletes it, and the creator of
 * the other one deletes old. Both ends see the same four nonces and so
 * agree on the survivor. */
static void resolve_collision(struct ike_sa *old, struct ike_sa *ours, struct ike_sa *theirs)
{
	if (old->peer_deleted) {
		/* the peer deleted old: it created the survivor, whatever the
		 * nonces say; ours is redundant */
		sa_info(old, "IKE_SA rekey collision: the peer kept its own (%016llx_i %016llx_r), "
		        "deleting ours", (unsigned long long)theirs->spi_i,
		        (unsigned long long)theirs->spi_r);
		ike_sa_set_state(ours, IKE_STATE_ESTABLISHED);
		ours->rekeyed = true;
		ike_mgr_queue(ours, IKE_TASK_IKE_DELETE, IKE_END_REKEY_COLLISION);
		return;
	}
	if (nonce_min_cmp(ours, theirs) < 0) {
		sa_info(old, "IKE_SA rekey collision: ours (%016llx_i %016llx_r) is redundant, "
		        "deleting it; keeping the peer's (%016llx_i %016llx_r)",
		        (unsigned long long)ours->spi_i, (unsigned long long)ours->spi_r,
		        (unsigned long long)theirs->spi_i, (unsigned long long)theirs->spi_r);
		ike_sa_set_state(ours, IKE_STATE_ESTABLISHED);
		ours->rekeyed = true;    /* no timers, not counted: it only gets deleted */
		ike_mgr_queue(ours, IKE_TASK_IKE_DELETE, IKE_END_REKEY_COLLISION);
		/* the peer created the survivor: it deletes old */
		return;
	}
	sa_info(old, "IKE_SA rekey collision: the peer's (%016llx_i %016llx_r) is redundant, "
	        "keeping ours (%016llx_i %016llx_r)",
	        (unsigned long long)theirs->spi_i, (unsigned long long)theirs->spi_r,
	        (unsigned long long)ours->spi_i, (unsigned long long)ours->spi_r);
	/* the peer deletes its redundant SA; the children move to ours */
	take_over(ours, theirs);
	ike_mgr_queue(old, IKE_TASK_IKE_DELETE, IKE_END_REKEYED);
}

static enum ike_task_status rekey_process(struct ike_task *t, struct ike_sa *sa,
                                          const struct ike_msg *m)
{
	struct rekey_task *rt = rekey_of(t);
	const struct ike_pld *p_sa = ike_msg_find(m, IKE_PLD_SA);
	const struct ike_pld *p_nr = ike_msg_find(m, IKE_PLD_NONCE);
	const struct ike_pld *p_ke = ike_msg_find(m, IKE_PLD_KE);
	struct ike_proposals theirs;
	struct ike_proposal chosen;
	uint8_t gir[CRYPTO_DH_SECRET_MAX];
	uint16_t err, kg;
	const uint8_t *ke;
	size_t kelen;
	int gl;
	struct ike_sa *nsa, *peer_nsa;

	peer_nsa = sa->coll_spi_i ? ike_sa_find(sa->ctx, sa->coll_spi_i, sa->coll_spi_r) : NULL;
	sa->coll_spi_i = sa->coll_spi_r = 0;
	if ((err = ike_msg_error_notify(m))) {
		sa_warn(sa, "IKE_SA rekeying refused: peer sent %s; trying again after rekey_time",
		        ike_notify_name(err));
		ike_timers_ike_rekey_refused(sa);
		goto out;
	}
	if (!p_sa || !p_nr || !p_ke || ike_pld_sa_parse(p_sa->body, p_sa->len, &theirs) ||
	    theirs.n != 1 || !ike_proposal_select(&sa->conn->cfg.ike, &theirs, false, &chosen) ||
	    chosen.spi_len != 8 || ike_pld_ke_parse(p_ke->body, p_ke->len, &kg, &ke, &kelen) ||
	    kg != crypto_dh_group(rt->dh) ||
	    ike_proposal_get(&chosen, IKE_TRANS_DH, NULL) != kg ||
	    (gl = crypto_dh_derive(rt->dh, ke, kelen, gir, sizeof(gir))) < 0) {
		sa_warn(sa, "IKE_SA rekeying: malformed or unacceptable response");
		ike_timers_ike_rekey_refused(sa);
		goto out;
	}
	nsa = successor(sa, true, rt->spi, get_be64(chosen.spi), &chosen, kg);
	if (!nsa)
		goto out;
	memcpy(nsa->ni, rt->ni, IKE_NONCE_LEN);
	nsa->ni_len = IKE_NONCE_LEN;
	memcpy(nsa->nr, p_nr->body, p_nr->len);
	nsa->nr_len = p_nr->len;
	if (ike_kdf_ike_sa_rekey(nsa, sa, gir, (size_t)gl)) {
		ike_sa_end(nsa, IKE_END_INTERNAL);
		goto out;
	}
	if (peer_nsa && peer_nsa->state == IKE_STATE_ESTABLISHED) {
		resolve_collision(sa, nsa, peer_nsa);
		goto out;
	}
	if (sa->peer_deleted) {
		/* the peer's SA of the collision went away meanwhile: ours is all
		 * there is, and the peer deleted the old one already (below) */
		take_over(nsa, sa);
		goto out;
	}
	take_over(nsa, sa);
	/* RFC 7296 2.18: the initiator of the rekeying deletes the old SA */
	ike_mgr_queue(sa, IKE_TASK_IKE_DELETE, IKE_END_REKEYED);
out:
	crypto_dh_free(rt->dh);
	rt->dh = NULL;
	mem_wipe(gir, sizeof(gir));
	if (sa->peer_deleted) {
		sa_info(sa, "IKE_SA deleted by the peer");
		ike_sa_end(sa, IKE_END_REKEYED);
	}
	return IKE_TASK_DONE;
}

static void rekey_destroy(struct ike_task *t, struct ike_sa *sa)
{
	struct rekey_task *rt = rekey_of(t);

	crypto_dh_free(rt->dh);
	mem_free_wipe(rt, sizeof(*rt));
}

static const struct ike_task_ops rekey_ops = {
	.name = "IKE_SA rekey",
	.exchange = CREATE_CHILD_SA,
	.build = rekey_build,
	.process = rekey_process,
	.respond = rekey_respond,
	.destroy = rekey_destroy,
};

struct ike_task *ike_rekey_task_new(struct ike_sa *sa, uint32_t arg)
{
	struct rekey_task *rt = calloc(1, sizeof(*rt));

	if (!rt)
		return NULL;
	rt->t.ops = &rekey_ops;
	return &rt->t;
}
