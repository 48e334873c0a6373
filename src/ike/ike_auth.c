/* IKE_AUTH (RFC 7296 sections 1.2, 2.15, 2.16) as a task, both roles:
 * the identities, one or more rounds of the two authenticators
 * (ike_authn.h: ours proves us, the remote one checks the peer), and the
 * first CHILD SA (2.17 keying, 2.9 selector narrowing).
 *
 *   HDR, SK {IDi, [IDr,] [AUTH,] [N(INITIAL_CONTACT),] SAi2, TSi, TSr}  -->
 *                     <--  HDR, SK {IDr, AUTH, [EAP,] [SAr2, TSi, TSr]}
 *   more rounds while an authenticator needs them (EAP):
 *   HDR, SK {EAP}  -->                            <--  HDR, SK {EAP}
 *   after EAP, the AUTH payloads keyed by the MSK (2.16):
 *   HDR, SK {AUTH}  -->                 <--  HDR, SK {AUTH, SAr2, TSi, TSr}
 *
 * With PSK on both ends it is one round trip. The CHILD SA is proposed in
 * the first request and answered in the last response. A failed CHILD SA
 * does not fail the IKE SA: the responder answers with an error notify
 * (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE) instead of SAr2/TSi/TSr, as 1.2
 * allows; so does a request that lacks some of SAi2, TSi and TSr (as
 * charon answers it). One that lacks all three asks for a childless IKE
 * SA (RFC 6023), which the connection's childless policy accepts or
 * refuses with INVALID_SYNTAX; with childless = force the initiator
 * creates its first CHILD SA after IKE_AUTH, in CREATE_CHILD_SA. Failed
 * authentication ends the IKE SA on both sides. */
#include "ike/ike_auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_authn.h"
#include "ike/ike_child.h"
#include "ike/ike_conn.h"
#include "ike/ike_cp.h"
#include "ike/ike_ctx.h"
#include "ike/ike_kdf.h"
#include "ike/ike_mgr.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_sa.h"
#include "ike/ike_task.h"
#include "ike/ike_timers.h"
#include "ike/ike_vip.h"
#include "util/bytes.h"
#include "util/mem.h"
#include "xfrm/xfrm.h"

/* a bound on EAP conversations (strongSwan allows some 10 rounds) */
#define IKE_AUTH_ROUNDS_MAX 16

/* The first CHILD SA as the initiator asked for it in the first request
 * (kept until the last response answers it). */
struct child_req {
	bool has_sa, has_tsi, has_tsr;
	bool present;                /* SA, TSi and TSr were there */
	bool malformed;
	bool transport;              /* N(USE_TRANSPORT_MODE) */
	struct ike_proposals theirs;
	struct ike_ts_list tsi, tsr;
};

/* The exchange's own state. */
struct auth_task {
	struct ike_task t;           /* first: the manager's handle */
	unsigned round;              /* IKE_AUTH exchanges so far */
	struct ike_authn *local, *remote;
	bool local_done, remote_done;
	bool run_local, run_remote;  /* not done when the round began */
	bool msk_round;              /* RFC 7296 2.16: the MSK-keyed AUTH exchange */
	struct ike_id me;            /* our ID as sent */
	uint8_t *local_octets, *peer_octets;   /* RFC 7296 2.15, for each end's AUTH */
	size_t local_octets_len, peer_octets_len;
	uint32_t child_spi;          /* initiator: inbound SPI of the CHILD SA proposed */
	bool child_deferred;         /* initiator: childless = force, CREATE_CHILD_SA after */
	struct child_req req;        /* responder */
	bool initial_contact;        /* responder: N(INITIAL_CONTACT) in the first request */
	bool peer_mobike;            /* responder: N(MOBIKE_SUPPORTED) in the first request */
	bool has_cp;                 /* responder: the first request's CP payload */
	struct ike_cp cp_req;
};

static struct auth_task *auth_of(struct ike_task *t)
{
	return (struct auth_task *)t;
}

/* ---- identities and signed octets ---- */

/* The ID payload body (type, 3 reserved bytes, data) that AUTH covers. */
static size_t id_body(const struct ike_id *id, uint8_t *buf)
{
	buf[0] = id->type;
	buf[1] = buf[2] = buf[3] = 0;
	memcpy(buf + 4, id->data, id->len);
	return 4 + (size_t)id->len;
}

static void local_id(const struct ike_sa *sa, const struct ike_conn *conn, struct ike_id *id)
{
	if (conn->cfg.local_id.type) {
		*id = conn->cfg.local_id;
		return;
	}
	memset(id, 0, sizeof(*id));
	id->type = sa->local.addr.family == AF_INET ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR;
	id->len = (uint16_t)ip_addr_len(&sa->local.addr);
	memcpy(id->data, sa->local.addr.a, id->len);
}

/* How well the peer's identity matches remote id (auth_cfg.c complies:
 * the received one against the configured pattern); 0: not at all. */
static int remote_id_match(const struct ike_conn *conn, const struct ike_id *peer)
{
	return ike_id_match(peer, &conn->cfg.remote_id);
}

static bool remote_id_ok(const struct ike_conn *conn, const struct ike_id *peer)
{
	return remote_id_match(conn, peer) > 0;
}

/* RFC 7296 2.15: the octets an end's AUTH covers, over its ID. */
static int octets(const struct ike_sa *sa, bool of_initiator, const struct ike_id *id,
                  uint8_t **out, size_t *len)
{
	uint8_t body[4 + IKE_ID_MAX];

	return ike_kdf_auth_octets(sa, of_initiator, body, id_body(id, body), out, len);
}

/* The responder's choice of connection once the peer's identity is known,
 * as charon's backend_manager.c: same addresses, remote id matching IDi,
 * local id matching IDr (either way round: the proposed IDr may be a
 * wildcard); the best sum of the two matches wins, on a tie the
 * connection IKE_SA_INIT chose, then the first. */
static struct ike_conn *conn_for_ids(struct ike_sa *sa, const struct ike_id *idi,
                                     const struct ike_id *idr)
{
	struct ike_conn *best = NULL;
	int best_score = 0;

	for (struct ike_conn *c = sa->ctx->conns; c; c = c->next) {
		int me = 1, other;

		if (!ike_conn_matches(c, &sa->local, &sa->remote))
			continue;
		other = remote_id_match(c, idi);
		if (!other)
			continue;
		if (idr && idr->type && c->cfg.local_id.type) {
			me = ike_id_match(idr, &c->cfg.local_id);
			if (!me)
				me = ike_id_match(&c->cfg.local_id, idr);
			if (!me)
				continue;
		}
		if (me + other > best_score || (me + other == best_score && c == sa->conn)) {
			best = c;
			best_score = me + other;
		}
	}
	return best;
}

/* ---- authenticator rounds ---- */

static int make_authenticators(struct auth_task *at, struct ike_sa *sa)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;

	at->local = ike_authn_new(sa->ctx, cfg->local_auth, IKE_AUTHN_LOCAL, cfg, sa);
	at->remote = ike_authn_new(sa->ctx, cfg->remote_auth, IKE_AUTHN_REMOTE, cfg, sa);
	return at->local && at->remote ? 0 : -ENOMEM;
}

/* A round starts with the first half in message order (the initiator's
 * build, the responder's process): whichever authenticator is not done
 * then takes part in both halves. */
static void round_begin(struct auth_task *at)
{
	at->run_local = !at->local_done;
	at->run_remote = !at->remote_done;
}

static void round_fill(const struct auth_task *at, const struct ike_sa *sa,
                       struct ike_authn_round *r, char *why, size_t whylen)
{
	why[0] = '\0';
	*r = (struct ike_authn_round){
		.n = at->round, .initiator = sa->initiator, .prf = sa->prf,
		.local_id = &at->me, .peer_id = at->peer_octets ? &sa->peer_id : NULL,
		.local_octets = at->local_octets, .local_octets_len = at->local_octets_len,
		.peer_octets = at->peer_octets, .peer_octets_len = at->peer_octets_len,
		.why = why, .whylen = whylen,
	};
}

/* Record one call's status; false if it failed. */
static bool step(bool *done, enum ike_authn_status st)
{
	*done = st == IKE_AUTHN_DONE;
	return st != IKE_AUTHN_FAILED;
}

/* The sender's half of a round: our authenticators add their payloads.
 * False if one failed (r->why says why). */
static bool authn_send(struct auth_task *at, const struct ike_authn_round *r, struct ike_mb *mb)
{
	if (at->run_local && !step(&at->local_done, at->local->ops->build(at->local, r, mb)))
		return false;
	if (at->run_remote && !step(&at->remote_done, at->remote->ops->build(at->remote, r, mb)))
		return false;
	return true;
}

/* The receiver's half: the peer is checked before anything else is
 * read. False if an authenticator failed; *peer_failed says whether it
 * was the peer's. */
static bool authn_receive(struct auth_task *at, const struct ike_authn_round *r,
                          const struct ike_msg *m, bool *peer_failed)
{
	*peer_failed = at->run_remote &&
	               !step(&at->remote_done, at->remote->ops->process(at->remote, r, m));
	if (*peer_failed)
		return false;
	return !at->run_local || step(&at->local_done, at->local->ops->process(at->local, r, m));
}

/* Both authenticators are done: the IKE SA is established unless an EAP
 * method asks for the MSK-keyed AUTH exchange first (RFC 7296 2.16). */
static bool authn_finished(struct auth_task *at)
{
	if (!at->local_done || !at->remote_done)
		return false;
	if (!at->msk_round && (at->local->ops->msk_auth || at->remote->ops->msk_auth)) {
		at->msk_round = true;
		return false;
	}
	return true;
}

/* RFC 7296 2.16: the AUTH payloads after EAP are keyed by the MSK; a
 * method without one uses SK_pi for the initiator's AUTH and SK_pr for
 * the responder's. */
static void msk_key(const struct auth_task *at, const struct ike_sa *sa, bool of_initiator,
                    const uint8_t **key, size_t *len)
{
	const struct ike_authn *eap = at->local->ops->msk_auth ? at->local : at->remote;

	if (eap->ops->msk && eap->ops->msk(eap, key, len) == 0)
		return;
	*key = of_initiator ? sa->sk_pi : sa->sk_pr;
	*len = sa->prf_len;
}

static int msk_auth_put(const struct auth_task *at, const struct ike_sa *sa, struct ike_mb *mb)
{
	const uint8_t *key;
	size_t len;

	msk_key(at, sa, sa->initiator, &key, &len);
	return ike_authn_shared_key_put(mb, sa->prf, key, len, at->local_octets,
	                                at->local_octets_len);
}

static bool msk_auth_check(const struct auth_task *at, const struct ike_sa *sa,
                           const struct ike_msg *m, char *why, size_t whylen)
{
	const uint8_t *key;
	size_t len;
	char w[128];

	msk_key(at, sa, !sa->initiator, &key, &len);
	if (ike_authn_shared_key_check(m, sa->prf, key, len, at->peer_octets, at->peer_octets_len,
	                               w, sizeof(w)) == 0)
		return true;
	snprintf(why, whylen, "its AUTH after EAP: %s", w);
	return false;
}

static void established(struct ike_sa *sa, const struct auth_task *at)
{
	char ids[IKE_ID_STRLEN], me[IKE_ID_STRLEN], prop[256];

	ike_sa_set_state(sa, IKE_STATE_ESTABLISHED);
	sa->ctx->stats.ike_established++;
	ike_timers_established(sa);
	ike_conn_peer_seen(sa->ctx, &sa->remote.addr);
	/* the IKE_SA_INIT messages were for the AUTH payloads (RFC 7296
	 * 2.15), signed now: an established SA keeps them no longer */
	free(sa->init_req);
	free(sa->init_resp);
	sa->init_req = sa->init_resp = NULL;
	sa->init_req_len = sa->init_resp_len = 0;
	ike_id_fmt(&sa->peer_id, ids, sizeof(ids));
	ike_proposal_fmt(&sa->prop, prop, sizeof(prop));
	if (sa->initiator)
		sa_info(sa, "IKE_SA established with '%s' (%s) at %s[%u]", ids, prop,
		        ip_addr_fmt(&sa->remote.addr, (char[IP_ADDR_STRLEN]){ 0 }), sa->remote.port);
	else
		sa_info(sa, "IKE_SA established with '%s' (%s) at %s[%u], we are '%s'", ids, prop,
		        ip_addr_fmt(&sa->remote.addr, (char[IP_ADDR_STRLEN]){ 0 }), sa->remote.port,
		        ike_id_fmt(&at->me, me, sizeof(me)));
}

/* ---- the first CHILD SA ---- */

/* Initiator: propose child config sa->auth_child (if any) into mb. */
static int child_propose(struct auth_task *at, struct ike_sa *sa, struct ike_mb *mb)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	struct ike_ts_list tsi, tsr;
	struct ike_proposals props;
	struct ike_child_sa *c;

	if (sa->auth_child < 0 || (unsigned)sa->auth_child >= cfg->nchildren)
		return 0;
	const struct ike_child_cfg *cc = &cfg->children[sa->auth_child];
	c = ike_child_new(sa, cc);
	if (!c)
		return -ENOMEM;
	if (ike_child_alloc_spi(sa, &c->spi_in)) {
		ike_child_end(sa, c, CHILD_END_INTERNAL);
		return -EIO;
	}
	at->child_spi = c->spi_in;
	props = cc->esp;
	for (unsigned i = 0; i < props.n; i++) {
		props.p[i].spi_len = 4;
		put_be32(props.p[i].spi, c->spi_in);
	}
	ike_child_ts_local(sa, cc, &tsi);
	ike_child_ts_remote(sa, cc, &tsr);
	if (cc->mode == XFRM_MODE_TRANSPORT)
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	/* the first CHILD SA's keys come from the IKE SA: no KE, so no key
	 * exchange transforms (RFC 7296 1.2) */
	ike_pld_sa_put(mb, &props, true);
	ike_pld_ts_put(mb, IKE_PLD_TSI, &tsi);
	ike_pld_ts_put(mb, IKE_PLD_TSR, &tsr);
	return 0;
}

/* RFC 7296 1.2: the peer refused the first CHILD SA with err. */
static enum ike_child_end_reason child_refusal(uint16_t err)
{
	switch (err) {
	case IKE_N_NO_PROPOSAL_CHOSEN: return CHILD_END_NO_PROPOSAL;
	case IKE_N_TS_UNACCEPTABLE: return CHILD_END_TS_UNACCEPTABLE;
	case 0: return CHILD_END_INVALID_RESPONSE;
	default: return CHILD_END_REFUSED;
	}
}

/* Initiator: the responder's answer to our CHILD SA, in the last response. */
static void child_answered(struct auth_task *at, struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_child_sa *c = at->child_spi ? ike_child_find_in(sa, at->child_spi) : NULL;
	const struct ike_pld *p_sa = ike_msg_find(m, IKE_PLD_SA);
	const struct ike_pld *p_tsi = ike_msg_find(m, IKE_PLD_TSI);
	const struct ike_pld *p_tsr = ike_msg_find(m, IKE_PLD_TSR);
	struct ike_proposals theirs;
	struct ike_ts_list tsi, tsr, our_l, our_r;
	struct ike_proposal chosen;
	char b1[512], b2[512], b3[512];
	uint16_t err;

	if (!c)
		return;
	ike_child_ts_local(sa, c->neg, &our_l);
	ike_child_ts_remote(sa, c->neg, &our_r);
	if ((err = ike_msg_error_notify(m)) || !p_sa || !p_tsi || !p_tsr) {
		if (err == IKE_N_TS_UNACCEPTABLE)
			sa->ctx->stats.ts_unacceptable++;
		if (err == IKE_N_NO_PROPOSAL_CHOSEN)
			sa->ctx->stats.no_proposal++;
		sa_warn(sa, "CHILD_SA %s not established: peer sent %s (we proposed %s, TSi %s, TSr %s)",
		        c->cfg.name, err ? ike_notify_name(err) : "no SA/TS payloads",
		        ike_proposals_fmt(&c->neg->esp, b1, sizeof(b1)),
		        ike_ts_list_fmt(&our_l, b2, sizeof(b2)), ike_ts_list_fmt(&our_r, b3, sizeof(b3)));
		ike_child_end(sa, c, child_refusal(err));
		return;
	}
	if (ike_pld_sa_parse(p_sa->body, p_sa->len, &theirs) || theirs.n != 1 ||
	    !ike_proposal_select(&c->neg->esp, &theirs, true, &chosen) || chosen.spi_len != 4 ||
	    ike_pld_ts_parse(p_tsi->body, p_tsi->len, &tsi) ||
	    ike_pld_ts_parse(p_tsr->body, p_tsr->len, &tsr) ||
	    !ike_child_narrow(&tsi, &our_l, &c->ts_local) ||
	    !ike_child_narrow(&tsr, &our_r, &c->ts_remote)) {
		sa_warn(sa, "CHILD_SA %s: responder's choice is not what we proposed", c->cfg.name);
		ike_child_end(sa, c, CHILD_END_INVALID_RESPONSE);
		ike_mgr_queue(sa, IKE_TASK_IKE_DELETE, IKE_END_PROTOCOL_ERROR);
		return;
	}
	c->spi_out = get_be32(chosen.spi);
	c->prop = chosen;
	if (c->cfg.mode == XFRM_MODE_TRANSPORT && !ike_msg_find_notify(m, IKE_N_USE_TRANSPORT_MODE))
		c->cfg.mode = XFRM_MODE_TUNNEL;
	if (ike_child_install(sa, c, true, NULL, 0, sa->ni, sa->ni_len, sa->nr, sa->nr_len))
		ike_child_end(sa, c, CHILD_END_INSTALL_FAILED);
}

/* Responder: what the first request asked for. */
static void child_request_keep(struct child_req *req, const struct ike_msg *m)
{
	const struct ike_pld *p_sa = ike_msg_find(m, IKE_PLD_SA);
	const struct ike_pld *p_tsi = ike_msg_find(m, IKE_PLD_TSI);
	const struct ike_pld *p_tsr = ike_msg_find(m, IKE_PLD_TSR);

	req->has_sa = p_sa != NULL;
	req->has_tsi = p_tsi != NULL;
	req->has_tsr = p_tsr != NULL;
	req->present = p_sa && p_tsi && p_tsr;
	if (!req->present)
		return;   /* childless, or a CHILD SA that cannot be: child_respond says */
	req->malformed = ike_pld_sa_parse(p_sa->body, p_sa->len, &req->theirs) ||
	                 ike_pld_ts_parse(p_tsi->body, p_tsi->len, &req->tsi) ||
	                 ike_pld_ts_parse(p_tsr->body, p_tsr->len, &req->tsr);
	req->transport = ike_msg_find_notify(m, IKE_N_USE_TRANSPORT_MODE) != NULL;
}

/* Responder side of the first CHILD SA, in the last response: SA/TS
 * payloads or an error notify into mb. */
static void child_respond(struct ike_sa *sa, const struct child_req *req, struct ike_mb *mb)
{
	struct ike_ts_list our_r, our_l, ni, nr;
	struct ike_proposal chosen;
	char b1[512], b2[512];
	int idx;

	if (!req->has_sa && !req->has_tsi && !req->has_tsr) {
		sa_info(sa, "childless IKE_SA (RFC 6023): the peer asked for no CHILD_SA in IKE_AUTH");
		return;
	}
	if (!req->has_tsi || !req->has_tsr) {
		/* charon's answer too: no traffic selectors, no config matches */
		sa->ctx->stats.ts_unacceptable++;
		sa_warn(sa, "IKE_AUTH request without %s: no CHILD_SA (TS_UNACCEPTABLE)",
		        !req->has_tsi && !req->has_tsr ? "TSi and TSr" : !req->has_tsi ? "TSi" : "TSr");
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TS_UNACCEPTABLE, NULL, 0);
		return;
	}
	if (!req->has_sa) {
		sa->ctx->stats.no_proposal++;
		sa_warn(sa, "IKE_AUTH request with TSi and TSr but no SA payload: no CHILD_SA "
		        "(NO_PROPOSAL_CHOSEN)");
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (req->malformed) {
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	idx = ike_child_cfg_select(sa, &req->tsi, &req->tsr);
	if (idx < 0) {
		sa->ctx->stats.ts_unacceptable++;
		sa_warn(sa, "no CHILD_SA config matches peer's traffic selectors TSi %s TSr %s: "
		        "TS_UNACCEPTABLE", ike_ts_list_fmt(&req->tsi, b1, sizeof(b1)),
		        ike_ts_list_fmt(&req->tsr, b2, sizeof(b2)));
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TS_UNACCEPTABLE, NULL, 0);
		return;
	}
	const struct ike_child_cfg *cc = &sa->conn->cfg.children[idx];
	if (!ike_proposal_select(&cc->esp, &req->theirs, true, &chosen) || chosen.spi_len != 4) {
		sa->ctx->stats.no_proposal++;
		sa_warn(sa, "CHILD_SA %s: peer proposed %s, we accept %s: NO_PROPOSAL_CHOSEN",
		        cc->name, ike_proposals_fmt(&req->theirs, b1, sizeof(b1)),
		        ike_proposals_fmt(&cc->esp, b2, sizeof(b2)));
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	ike_child_ts_remote(sa, cc, &our_r);
	ike_child_ts_local(sa, cc, &our_l);
	ike_child_narrow(&req->tsi, &our_r, &ni);
	ike_child_narrow(&req->tsr, &our_l, &nr);

	struct ike_child_sa *c = ike_child_new(sa, cc);
	if (!c || ike_child_alloc_spi(sa, &c->spi_in)) {
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		if (c)
			ike_child_end(sa, c, CHILD_END_INTERNAL);
		return;
	}
	c->spi_out = get_be32(chosen.spi);
	c->prop = chosen;
	c->ts_remote = ni;
	c->ts_local = nr;
	bool transport = cc->mode == XFRM_MODE_TRANSPORT && req->transport;
	c->cfg.mode = transport ? XFRM_MODE_TRANSPORT : XFRM_MODE_TUNNEL;
	if (ike_child_install(sa, c, false, NULL, 0, sa->ni, sa->ni_len, sa->nr, sa->nr_len)) {
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		ike_child_end(sa, c, CHILD_END_INSTALL_FAILED);
		return;
	}
	struct ike_proposals one = { .n = 1 };
	one.p[0] = chosen;
	one.p[0].spi_len = 4;
	put_be32(one.p[0].spi, c->spi_in);
	if (transport)
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_pld_sa_put(mb, &one, true);
	ike_pld_ts_put(mb, IKE_PLD_TSI, &ni);
	ike_pld_ts_put(mb, IKE_PLD_TSR, &nr);
}

/* ---- initiator ---- */

static enum ike_task_status fail(struct ike_sa *sa, enum ike_end_reason why)
{
	ike_sa_end(sa, why);
	return IKE_TASK_FAILED;
}

/* The first request's own part: identities and our signed octets. */
static int first_request(struct auth_task *at, struct ike_sa *sa, struct ike_mb *mb)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;

	local_id(sa, sa->conn, &at->me);
	if (octets(sa, true, &at->me, &at->local_octets, &at->local_octets_len) ||
	    make_authenticators(at, sa))
		return -ENOMEM;
	ike_pld_id_put(mb, IKE_PLD_IDI, &at->me);
	/* IDr is optional; a pattern (CN=*, *.example.org, %any) is not sent */
	if (cfg->remote_id.type && !ike_id_has_wildcards(&cfg->remote_id))
		ike_pld_id_put(mb, IKE_PLD_IDR, &cfg->remote_id);
	return 0;
}

/* RFC 6023 as the initiator, as charon does it: with childless = force
 * the first CHILD SA waits for CREATE_CHILD_SA, which needs a responder
 * that announced childless support; without a CHILD SA to create, IKE_AUTH
 * goes childless whatever the responder said. False (logged) if it
 * cannot go on. */
static bool childless_ok(struct auth_task *at, struct ike_sa *sa)
{
	bool child = sa->auth_child >= 0 && (unsigned)sa->auth_child < sa->conn->cfg.nchildren;

	if (child && sa->conn->cfg.childless == IKE_CHILDLESS_FORCE) {
		if (!sa->peer_childless) {
			sa_err(sa, "childless = force, but the responder did not announce "
			       "CHILDLESS_IKEV2_SUPPORTED (RFC 6023) in IKE_SA_INIT: giving up");
			return false;
		}
		at->child_deferred = true;
		sa_info(sa, "childless IKE_SA (childless = force): CHILD_SA %s follows IKE_AUTH",
		        sa->conn->cfg.children[sa->auth_child].name);
	} else if (!child && !sa->peer_childless) {
		sa_info(sa, "no CHILD_SA to create in IKE_AUTH, but the responder did not announce "
		        "childless support (RFC 6023): it may refuse");
	}
	return true;
}

static enum ike_task_status auth_build(struct ike_task *t, struct ike_sa *sa,
                                       struct ike_mb *mb)
{
	struct auth_task *at = auth_of(t);
	struct ike_authn_round r;
	char why[1024];

	if (++at->round > IKE_AUTH_ROUNDS_MAX) {
		sa_warn(sa, "IKE_AUTH takes more than %d rounds, giving up", IKE_AUTH_ROUNDS_MAX);
		return fail(sa, IKE_END_AUTH_FAILED);
	}
	if (at->round == 1 && first_request(at, sa, mb)) {
		sa_err(sa, "cannot build IKE_AUTH request");
		return fail(sa, IKE_END_INTERNAL);
	}
	if (at->msk_round) {
		if (msk_auth_put(at, sa, mb))
			return fail(sa, IKE_END_INTERNAL);
		return IKE_TASK_NEED_MORE;
	}
	round_begin(at);
	round_fill(at, sa, &r, why, sizeof(why));
	if (!authn_send(at, &r, mb)) {
		sa_err(sa, "cannot authenticate ourselves with %s: %s", at->local->ops->name, why);
		return fail(sa, IKE_END_AUTH_FAILED);
	}
	if (at->round == 1) {
		/* RFC 7296 2.4: the first IKE SA with this peer says so */
		if (ike_conn_first_contact(sa))
			ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
		/* RFC 4555 4.1 */
		if (!sa->conn->cfg.no_mobike)
			ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_MOBIKE_SUPPORTED, NULL, 0);
		/* RFC 5998: an EAP client says it could do without the
		 * responder's AUTH (charon sends it in every first IKE_AUTH);
		 * eap_only_refused below decides what an answer without one
		 * means */
		if (sa->conn->cfg.local_auth == IKE_AUTH_CLASS_EAP)
			ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_EAP_ONLY_AUTHENTICATION, NULL, 0);
		ike_vip_request(sa, mb);
		if (!childless_ok(at, sa))
			return fail(sa, IKE_END_INIT_FAILED);
		if (!at->child_deferred && child_propose(at, sa, mb)) {
			sa_err(sa, "cannot build IKE_AUTH request");
			return fail(sa, IKE_END_INTERNAL);
		}
		ike_sa_set_state(sa, IKE_STATE_AUTH_SENT);
	}
	return IKE_TASK_NEED_MORE;
}

/* RFC 7296 2.21.2: the initiator tells the responder it rejected it, in
 * an INFORMATIONAL nobody waits for. */
static enum ike_task_status reject_responder(struct ike_sa *sa, const char *ids, const char *why)
{
	struct ike_mb mb;

	sa->ctx->stats.auth_failed++;
	sa_err(sa, "responder '%s' failed %s: AUTHENTICATION_FAILED", ids, why);
	ike_mgr_unanswered_begin(sa, &mb, INFORMATIONAL);
	ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
	ike_mgr_unanswered_send(sa, &mb);
	return fail(sa, IKE_END_AUTH_FAILED);
}

/* The first response names the responder: IDr, checked against remote
 * id. False (SA ended) if it is missing or not who we want. */
static bool peer_identified(struct auth_task *at, struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_pld *p_idr = ike_msg_find(m, IKE_PLD_IDR);
	char ids[IKE_ID_STRLEN];
	struct ike_id idr;
	uint16_t err;

	if (!p_idr || ike_pld_id_parse(p_idr->body, p_idr->len, &idr)) {
		err = ike_msg_error_notify(m);
		sa_err(sa, "IKE_AUTH failed: %s", err == IKE_N_INVALID_SYNTAX ?
		       "peer sent INVALID_SYNTAX (it found our request malformed)" :
		       err ? ike_notify_name(err) : "no IDr in response");
		fail(sa, err == IKE_N_INVALID_SYNTAX ? IKE_END_PROTOCOL_ERROR : IKE_END_AUTH_FAILED);
		return false;
	}
	if (!remote_id_ok(sa->conn, &idr)) {
		reject_responder(sa, ike_id_fmt(&idr, ids, sizeof(ids)), "the identity check (remote id)");
		return false;
	}
	ike_sa_set_peer_id(sa, &idr);
	if (octets(sa, false, &sa->peer_id, &at->peer_octets, &at->peer_octets_len)) {
		fail(sa, IKE_END_INTERNAL);
		return false;
	}
	return true;
}

/* RFC 5998 as charon 5.9.8 takes it (ike_auth.c process_i): a first
 * response with IDr and EAP but no AUTH is the responder going EAP-only,
 * which an EAP client allows only with a mutual, key-deriving method
 * (charon: EAP-TLS, -TTLS, -PEAP, -AKA, -SIM). EAP-MSCHAPv2, uipsec's one
 * method, is not mutual in charon (eap_mschapv2.c is_mutual), so it is
 * refused (AUTHENTICATION_FAILED) as charon refuses it; the EAP-Identity
 * round does not change that (charon then insists once EAP is done). True
 * (logged, counted, SA ended) if refused. */
static bool eap_only_refused(struct auth_task *at, struct ike_sa *sa, const struct ike_msg *m)
{
	char ids[IKE_ID_STRLEN];

	if (at->round != 1 || sa->conn->cfg.local_auth != IKE_AUTH_CLASS_EAP ||
	    ike_msg_find(m, IKE_PLD_AUTH) || !ike_msg_find(m, IKE_PLD_EAP))
		return false;
	sa_err(sa, "responder omitted its AUTH (EAP-only authentication, RFC 5998), but "
	       "EAP-MSCHAPv2 is not a mutual EAP method: do not allow non-mutual EAP-only "
	       "authentication");
	reject_responder(sa, ike_id_fmt(&sa->peer_id, ids, sizeof(ids)),
	                 "to authenticate itself (EAP-only with a non-mutual method)");
	return true;
}

static enum ike_task_status auth_process(struct ike_task *t, struct ike_sa *sa,
                                         const struct ike_msg *m)
{
	struct auth_task *at = auth_of(t);
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	struct ike_authn_round r;
	char ids[IKE_ID_STRLEN], why[1024], b1[IKE_ID_STRLEN], b2[IKE_ID_STRLEN];
	bool peer_failed;

	if (ike_msg_find_notify(m, IKE_N_AUTHENTICATION_FAILED)) {
		sa->ctx->stats.auth_failed++;
		sa_err(sa, "peer rejected our authentication (AUTHENTICATION_FAILED): check the "
		       "%s and the identities (local %s, remote %s)",
		       cfg->local_auth == IKE_AUTH_CLASS_PSK ? "PSK" : "credentials",
		       ike_id_fmt(&cfg->local_id, b1, sizeof(b1)),
		       ike_id_fmt(&cfg->remote_id, b2, sizeof(b2)));
		return fail(sa, IKE_END_AUTH_FAILED);
	}
	if (!at->peer_octets && !peer_identified(at, sa, m))
		return IKE_TASK_FAILED;
	if (eap_only_refused(at, sa, m))
		return IKE_TASK_FAILED;
	/* RFC 4555 4.1: in its (last) IKE_AUTH response, as charon sends it */
	if (!cfg->no_mobike && ike_msg_find_notify(m, IKE_N_MOBIKE_SUPPORTED))
		sa->mobike = true;
	ike_id_fmt(&sa->peer_id, ids, sizeof(ids));
	if (at->msk_round) {
		if (!msk_auth_check(at, sa, m, why, sizeof(why)))
			return reject_responder(sa, ids, why);
	} else {
		round_fill(at, sa, &r, why, sizeof(why));   /* the round began in auth_build */
		if (!authn_receive(at, &r, m, &peer_failed)) {
			if (peer_failed)
				return reject_responder(sa, ids, why);
			sa_err(sa, "our %s authentication failed: %s", at->local->ops->name, why);
			return fail(sa, IKE_END_AUTH_FAILED);
		}
		if (!authn_finished(at))
			return IKE_TASK_NEED_MORE;
	}
	if (!ike_conn_unique(sa)) {
		established(sa, at);   /* the peer has it: a Delete ends it on both ends */
		ike_mgr_queue(sa, IKE_TASK_IKE_DELETE, IKE_END_REPLACED);
		return IKE_TASK_DONE;
	}
	established(sa, at);
	/* RFC 7296 2.19: the virtual IP first, our side of the CHILD SA's
	 * traffic selectors narrows to it */
	if (!ike_vip_received(sa, m)) {
		ike_mgr_queue(sa, IKE_TASK_IKE_DELETE, IKE_END_NO_VIP);
		return IKE_TASK_DONE;
	}
	if (at->child_deferred)
		ike_mgr_queue(sa, IKE_TASK_CHILD_CREATE, (uint32_t)sa->auth_child);
	else
		child_answered(at, sa, m);
	return IKE_TASK_DONE;
}

/* ---- responder ---- */

/* RFC 6023 as the responder, by the connection's childless policy (as
 * charon 5.9.8): an IKE_AUTH without SA, TSi and TSr is childless, which
 * never refuses; one with any of them is not, which force refuses. True
 * (INVALID_SYNTAX into mb, logged) if refused. */
static bool childless_refused(struct ike_sa *sa, const struct child_req *req, struct ike_mb *mb)
{
	bool none = !req->has_sa && !req->has_tsi && !req->has_tsr;
	uint8_t policy = sa->conn->cfg.childless;

	if (none && policy == IKE_CHILDLESS_NEVER)
		sa_warn(sa, "peer initiated a childless IKE_SA (no SA, TSi or TSr in IKE_AUTH), which "
		        "childless = never refuses: INVALID_SYNTAX");
	else if (!none && policy == IKE_CHILDLESS_FORCE)
		sa_warn(sa, "peer proposed a CHILD_SA in IKE_AUTH, but childless = force accepts only "
		        "childless IKE_SAs (RFC 6023): INVALID_SYNTAX");
	else
		return false;
	ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
	return true;
}

/* The first request: who the peer is, which connection, its octets and
 * ours, the authenticators, and the CHILD SA it asks for. An error
 * notify into mb and FAILED if it cannot go on. */
static enum ike_task_status first_request_in(struct auth_task *at, struct ike_sa *sa,
                                             const struct ike_msg *m, struct ike_mb *mb)
{
	const struct ike_pld *p_idi = ike_msg_find(m, IKE_PLD_IDI);
	const struct ike_pld *p_idr = ike_msg_find(m, IKE_PLD_IDR);
	char ids[IKE_ID_STRLEN];
	struct ike_id idi, idr;
	struct ike_conn *conn;

	if (!p_idi || ike_pld_id_parse(p_idi->body, p_idi->len, &idi)) {
		sa_warn(sa, "IKE_AUTH request without IDi: INVALID_SYNTAX");
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		return fail(sa, IKE_END_PROTOCOL_ERROR);
	}
	memset(&idr, 0, sizeof(idr));
	if (p_idr)
		ike_pld_id_parse(p_idr->body, p_idr->len, &idr);
	conn = conn_for_ids(sa, &idi, p_idr ? &idr : NULL);
	if (!conn) {
		sa->ctx->stats.auth_failed++;
		sa_warn(sa, "no connection accepts peer identity '%s': AUTHENTICATION_FAILED",
		        ike_id_fmt(&idi, ids, sizeof(ids)));
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
		return fail(sa, IKE_END_AUTH_FAILED);
	}
	sa->conn = conn;
	ike_sa_set_peer_id(sa, &idi);
	local_id(sa, conn, &at->me);
	if (octets(sa, true, &sa->peer_id, &at->peer_octets, &at->peer_octets_len) ||
	    octets(sa, false, &at->me, &at->local_octets, &at->local_octets_len) ||
	    make_authenticators(at, sa)) {
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		return fail(sa, IKE_END_INTERNAL);
	}
	child_request_keep(&at->req, m);
	if (childless_refused(sa, &at->req, mb))
		return fail(sa, IKE_END_PROTOCOL_ERROR);
	at->initial_contact = ike_msg_find_notify(m, IKE_N_INITIAL_CONTACT) != NULL;
	at->peer_mobike = ike_msg_find_notify(m, IKE_N_MOBIKE_SUPPORTED) != NULL;
	/* RFC 5998: charon's gateway goes EAP-only only where its own auth
	 * is EAP, and its clients accept that only with a mutual method.
	 * uipsec's one method, EAP-MSCHAPv2, is not (a connection with EAP on
	 * both ends is refused when it is loaded): the gateway always sends
	 * its AUTH (pubkey or psk) */
	if (ike_msg_find_notify(m, IKE_N_EAP_ONLY_AUTHENTICATION) &&
	    conn->cfg.remote_auth == IKE_AUTH_CLASS_EAP)
		sa_debug(sa, "peer supports EAP-only authentication (RFC 5998); EAP-MSCHAPv2 is not "
		         "mutual: authenticating with %s", at->local->ops->name);
	const struct ike_pld *p_cp = ike_msg_find(m, IKE_PLD_CP);
	/* validated with the message (ike_pld_validate) */
	at->has_cp = p_cp && !ike_cp_parse(p_cp->body, p_cp->len, &at->cp_req);
	return IKE_TASK_NEED_MORE;
}

static enum ike_task_status refuse_peer(struct ike_sa *sa, struct ike_mb *mb, const char *why)
{
	char ids[IKE_ID_STRLEN];

	sa->ctx->stats.auth_failed++;
	sa_warn(sa, "peer '%s' failed %s: AUTHENTICATION_FAILED",
	        ike_id_fmt(&sa->peer_id, ids, sizeof(ids)), why);
	ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
	return fail(sa, IKE_END_AUTH_FAILED);
}

static enum ike_task_status auth_respond(struct ike_task *t, struct ike_sa *sa,
                                         const struct ike_msg *m, struct ike_mb *mb)
{
	struct auth_task *at = auth_of(t);
	struct ike_authn_round r;
	enum ike_task_status st;
	char why[1024];
	bool peer_failed;

	if (++at->round > IKE_AUTH_ROUNDS_MAX)
		return refuse_peer(sa, mb, "to finish IKE_AUTH in time (too many rounds)");
	if (at->round == 1 && (st = first_request_in(at, sa, m, mb)) == IKE_TASK_FAILED)
		return st;
	if (at->msk_round) {
		if (!msk_auth_check(at, sa, m, why, sizeof(why)))
			return refuse_peer(sa, mb, why);
		if (msk_auth_put(at, sa, mb)) {
			ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
			return fail(sa, IKE_END_INTERNAL);
		}
	} else {
		round_begin(at);
		round_fill(at, sa, &r, why, sizeof(why));
		if (!authn_receive(at, &r, m, &peer_failed)) {
			if (peer_failed)
				return refuse_peer(sa, mb, why);
			sa_err(sa, "our %s authentication failed: %s", at->local->ops->name, why);
			ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
			return fail(sa, IKE_END_AUTH_FAILED);
		}
		if (at->round == 1)
			ike_pld_id_put(mb, IKE_PLD_IDR, &at->me);
		if (!authn_send(at, &r, mb)) {
			sa_err(sa, "cannot authenticate ourselves with %s: %s", at->local->ops->name, why);
			ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
			return fail(sa, IKE_END_AUTH_FAILED);
		}
		if (!authn_finished(at))
			return IKE_TASK_NEED_MORE;   /* the manager keeps us for the next round */
	}
	/* the old SAs of a peer that starts over go first, so that their
	 * leases are offline again when this one asks (its own address back) */
	if (at->initial_contact)
		ike_conn_initial_contact(sa);   /* RFC 7296 2.4: the peer lost its old SAs */
	if (!ike_conn_unique(sa))
		return refuse_peer(sa, mb, "the uniqueness policy (unique = keep)");
	established(sa, at);
	if (ike_vip_assign(sa, at->has_cp ? &at->cp_req : NULL, mb))
		child_respond(sa, &at->req, mb);
	/* RFC 4555 4.1: announced back in the last response (after the
	 * CHILD SA's payloads: an error notify about it comes first) */
	if (at->peer_mobike && !sa->conn->cfg.no_mobike) {
		sa->mobike = true;
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_MOBIKE_SUPPORTED, NULL, 0);
	}
	return IKE_TASK_DONE;
}

static void auth_destroy(struct ike_task *t, struct ike_sa *sa)
{
	struct auth_task *at = auth_of(t);
	struct ike_child_sa *c = at->child_spi ? ike_child_find_in(sa, at->child_spi) : NULL;

	/* the CHILD SA we proposed, if the exchange ended before it was set up */
	if (c && c->state == CHILD_CREATING)
		ike_child_end(sa, c, CHILD_END_IKE_ENDED);
	ike_authn_free(at->local);
	ike_authn_free(at->remote);
	free(at->local_octets);
	free(at->peer_octets);
	mem_free_wipe(at, sizeof(*at));
}

static const struct ike_task_ops auth_ops = {
	.name = "IKE_AUTH",
	.exchange = IKE_AUTH,
	.before_auth = true,
	.build = auth_build,
	.process = auth_process,
	.respond = auth_respond,
	.destroy = auth_destroy,
};

struct ike_task *ike_auth_task_new(struct ike_sa *sa, uint32_t arg)
{
	struct auth_task *at = calloc(1, sizeof(*at));

	if (!at)
		return NULL;
	at->t.ops = &auth_ops;
	return &at->t;
}
