/* IKE_AUTH (RFC 7296 section 1.2) with pre-shared keys (2.15), creating
 * the first CHILD SA (1.3 via 2.17 keying, 2.9 selector narrowing).
 *
 *   HDR, SK {IDi, [IDr,] AUTH, [N(INITIAL_CONTACT),] SAi2, TSi, TSr}  -->
 *                              <--  HDR, SK {IDr, AUTH, SAr2, TSi, TSr}
 *
 * A failed CHILD SA does not fail the IKE SA: the responder answers with
 * AUTH and an error notify (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE) instead of
 * SAr2/TSi/TSr, as 1.2 allows. Failed authentication kills the IKE SA on
 * both sides. */
#include "ike/ike_auth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_child.h"
#include "ike/ike_conn.h"
#include "ike/ike_ctx.h"
#include "ike/ike_kdf.h"
#include "ike/ike_mgr.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_sa.h"
#include "ike/ike_task.h"
#include "ike/ike_timers.h"
#include "util/bytes.h"
#include "util/mem.h"
#include "xfrm/xfrm.h"

/* The exchange's own state. */
struct auth_task {
	struct ike_task t;           /* first: the manager's handle */
	uint32_t child_spi;          /* initiator: inbound SPI of the CHILD SA proposed */
};

static struct auth_task *auth_of(struct ike_task *t)
{
	return (struct auth_task *)t;
}

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

static bool remote_id_ok(const struct ike_conn *conn, const struct ike_id *peer)
{
	return conn->cfg.remote_id.type == 0 || ike_id_equal(&conn->cfg.remote_id, peer);
}

static enum ike_task_status auth_build(struct ike_task *t, struct ike_sa *sa,
                                       struct ike_mb *mb)
{
	struct auth_task *at = auth_of(t);
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	struct ike_id id;
	uint8_t body[4 + IKE_ID_MAX], auth[CRYPTO_PRF_MAX];
	size_t blen;
	struct ike_child_sa *c = NULL;

	local_id(sa, sa->conn, &id);
	blen = id_body(&id, body);
	if (ike_kdf_psk_auth(sa, true, body, blen, auth))
		goto fail;
	ike_pld_id_put(mb, IKE_PLD_IDI, &id);
	if (cfg->remote_id.type)
		ike_pld_id_put(mb, IKE_PLD_IDR, &cfg->remote_id);
	ike_pld_auth_put(mb, IKE_AUTH_PSK, auth, sa->prf_len);
	mem_wipe(auth, sizeof(auth));
	ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);

	if (sa->auth_child >= 0 && (unsigned)sa->auth_child < cfg->nchildren) {
		const struct ike_child_cfg *cc = &cfg->children[sa->auth_child];
		struct ike_proposals props = cc->esp;
		struct ike_ts_list tsi, tsr;
		c = ike_child_new(sa, cc);
		if (!c)
			goto fail;
		if (ike_child_alloc_spi(sa, &c->spi_in)) {
			ike_child_end(sa, c, CHILD_END_INTERNAL);
			goto fail;
		}
		at->child_spi = c->spi_in;
		for (unsigned i = 0; i < props.n; i++) {
			props.p[i].spi_len = 4;
			put_be32(props.p[i].spi, c->spi_in);
		}
		ike_child_ts_local(sa, cc, &tsi);
		ike_child_ts_remote(sa, cc, &tsr);
		if (cc->mode == XFRM_MODE_TRANSPORT)
			ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
		/* the first CHILD SA's keys come from the IKE SA: no KE, so
		 * no key exchange transforms (RFC 7296 1.2) */
		ike_pld_sa_put(mb, &props, true);
		ike_pld_ts_put(mb, IKE_PLD_TSI, &tsi);
		ike_pld_ts_put(mb, IKE_PLD_TSR, &tsr);
	}
	ike_sa_set_state(sa, IKE_STATE_AUTH_SENT);
	return IKE_TASK_NEED_MORE;
fail:
	sa_err(sa, "cannot build IKE_AUTH request");
	ike_sa_end(sa, IKE_END_INTERNAL);
	return IKE_TASK_FAILED;
}

/* Check the peer's AUTH payload. */
static bool auth_ok(struct ike_sa *sa, const struct ike_msg *m, bool peer_is_initiator,
                    const struct ike_pld *p_id)
{
	const struct ike_pld *p_auth = ike_msg_find(m, IKE_PLD_AUTH);
	uint8_t method, want[CRYPTO_PRF_MAX];
	const uint8_t *data;
	size_t dlen;
	bool ok;

	if (!p_auth || ike_pld_auth_parse(p_auth->body, p_auth->len, &method, &data, &dlen))
		return false;
	if (method != IKE_AUTH_PSK) {
		sa_warn(sa, "peer uses authentication method %u, we only do PSK (2)", method);
		return false;
	}
	if (dlen != sa->prf_len ||
	    ike_kdf_psk_auth(sa, peer_is_initiator, p_id->body, p_id->len, want))
		return false;
	ok = mem_equal_ct(want, data, dlen);
	mem_wipe(want, sizeof(want));
	return ok;
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

/* The responder's choice of connection once the peer's identity is known:
 * same addresses, remote id matching IDi, local id matching IDr. */
static struct ike_conn *conn_for_ids(struct ike_sa *sa, const struct ike_id *idi,
                                     const struct ike_id *idr)
{
	struct ike_conn *best = NULL;

	for (struct ike_conn *c = sa->ctx->conns; c; c = c->next) {
		if (!ike_conn_matches(c, &sa->local, &sa->remote) || !remote_id_ok(c, idi))
			continue;
		if (idr && idr->type && c->cfg.local_id.type && !ike_id_equal(&c->cfg.local_id, idr))
			continue;
		if (c == sa->conn)
			return c;
		if (!best)
			best = c;
	}
	return best;
}

/* Responder side of the first CHILD SA. Adds SA/TS payloads or an error
 * notify to mb. */
static void auth_child_respond(struct ike_sa *sa, const struct ike_msg *m, struct ike_mb *mb)
{
	const struct ike_pld *p_sa = ike_msg_find(m, IKE_PLD_SA);
	const struct ike_pld *p_tsi = ike_msg_find(m, IKE_PLD_TSI);
	const struct ike_pld *p_tsr = ike_msg_find(m, IKE_PLD_TSR);
	struct ike_proposals theirs;
	struct ike_ts_list tsi, tsr, our_r, our_l, ni, nr;
	struct ike_proposal chosen;
	char b1[512], b2[512];
	int idx;

	if (!p_sa || !p_tsi || !p_tsr)
		return;   /* no CHILD SA requested */
	if (ike_pld_sa_parse(p_sa->body, p_sa->len, &theirs) ||
	    ike_pld_ts_parse(p_tsi->body, p_tsi->len, &tsi) ||
	    ike_pld_ts_parse(p_tsr->body, p_tsr->len, &tsr)) {
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	idx = ike_child_cfg_select(sa, &tsi, &tsr);
	if (idx < 0) {
		sa->ctx->stats.ts_unacceptable++;
		sa_warn(sa, "no CHILD_SA config matches peer's traffic selectors TSi %s TSr %s: "
		        "TS_UNACCEPTABLE", ike_ts_list_fmt(&tsi, b1, sizeof(b1)),
		        ike_ts_list_fmt(&tsr, b2, sizeof(b2)));
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TS_UNACCEPTABLE, NULL, 0);
		return;
	}
	const struct ike_child_cfg *cc = &sa->conn->cfg.children[idx];
	if (!ike_proposal_select(&cc->esp, &theirs, true, &chosen) || chosen.spi_len != 4) {
		sa->ctx->stats.no_proposal++;
		sa_warn(sa, "CHILD_SA %s: peer proposed %s, we accept %s: NO_PROPOSAL_CHOSEN",
		        cc->name, ike_proposals_fmt(&theirs, b1, sizeof(b1)),
		        ike_proposals_fmt(&cc->esp, b2, sizeof(b2)));
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	ike_child_ts_remote(sa, cc, &our_r);
	ike_child_ts_local(sa, cc, &our_l);
	ike_child_narrow(&tsi, &our_r, &ni);
	ike_child_narrow(&tsr, &our_l, &nr);

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
	bool transport = cc->mode == XFRM_MODE_TRANSPORT &&
	                 ike_msg_find_notify(m, IKE_N_USE_TRANSPORT_MODE);
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

static enum ike_task_status auth_respond(struct ike_task *t, struct ike_sa *sa,
                                         const struct ike_msg *m, struct ike_mb *mb)
{
	const struct ike_pld *p_idi = ike_msg_find(m, IKE_PLD_IDI);
	const struct ike_pld *p_idr = ike_msg_find(m, IKE_PLD_IDR);
	struct ike_id idi, idr, me;
	struct ike_conn *conn;
	uint8_t body[4 + IKE_ID_MAX], auth[CRYPTO_PRF_MAX];
	char ids[IKE_ID_MAX * 2 + 8], idrs[IKE_ID_MAX * 2 + 8];

	if (!p_idi || ike_pld_id_parse(p_idi->body, p_idi->len, &idi) ||
	    !ike_msg_find(m, IKE_PLD_AUTH)) {
		sa_warn(sa, "IKE_AUTH request without IDi or AUTH: INVALID_SYNTAX");
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		ike_sa_end(sa, IKE_END_PROTOCOL_ERROR);
		return IKE_TASK_FAILED;
	}
	memset(&idr, 0, sizeof(idr));
	if (p_idr)
		ike_pld_id_parse(p_idr->body, p_idr->len, &idr);
	ike_id_fmt(&idi, ids, sizeof(ids));
	conn = conn_for_ids(sa, &idi, p_idr ? &idr : NULL);
	if (!conn || !(sa->conn = conn, auth_ok(sa, m, true, p_idi))) {
		sa->ctx->stats.auth_failed++;
		if (!conn)
			sa_warn(sa, "no connection accepts peer identity '%s': AUTHENTICATION_FAILED",
			        ids);
		else
			sa_warn(sa, "peer '%s' failed PSK authentication (check that both sides use "
			        "the same secret for this identity): AUTHENTICATION_FAILED", ids);
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
		ike_sa_end(sa, IKE_END_AUTH_FAILED);
		return IKE_TASK_FAILED;
	}
	sa->peer_id = idi;
	local_id(sa, conn, &me);
	size_t blen = id_body(&me, body);
	if (ike_kdf_psk_auth(sa, false, body, blen, auth)) {
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		ike_sa_end(sa, IKE_END_INTERNAL);
		return IKE_TASK_FAILED;
	}
	ike_pld_id_put(mb, IKE_PLD_IDR, &me);
	ike_pld_auth_put(mb, IKE_AUTH_PSK, auth, sa->prf_len);
	mem_wipe(auth, sizeof(auth));
	ike_sa_set_state(sa, IKE_STATE_ESTABLISHED);
	sa->ctx->stats.ike_established++;
	ike_timers_established(sa);
	sa_info(sa, "IKE_SA established with '%s' (%s) at %s[%u], we are '%s'", ids,
	        ike_proposal_fmt(&sa->prop, (char[256]){ 0 }, 256),
	        ip_addr_fmt(&sa->remote.addr, (char[IP_ADDR_STRLEN]){ 0 }), sa->remote.port,
	        ike_id_fmt(&me, idrs, sizeof(idrs)));
	auth_child_respond(sa, m, mb);

	/* RFC 7296 2.4: INITIAL_CONTACT: the peer lost its old SAs */
	if (ike_msg_find_notify(m, IKE_N_INITIAL_CONTACT))
		for (struct ike_sa *o = sa->ctx->sas; o; o = o->next)
			if (o != sa && o->conn == sa->conn && o->state == IKE_STATE_ESTABLISHED &&
			    ike_id_equal(&o->peer_id, &idi)) {
				sa_info(o, "INITIAL_CONTACT from the peer: deleting this old IKE_SA");
				ike_sa_end(o, IKE_END_REPLACED);
			}
	return IKE_TASK_DONE;
}

static enum ike_task_status auth_process(struct ike_task *t, struct ike_sa *sa,
                                         const struct ike_msg *m)
{
	struct auth_task *at = auth_of(t);
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	const struct ike_pld *p_idr = ike_msg_find(m, IKE_PLD_IDR);
	struct ike_child_sa *c = at->child_spi ? ike_child_find_in(sa, at->child_spi) : NULL;
	struct ike_id idr;
	char ids[IKE_ID_MAX * 2 + 8], b1[512], b2[512];
	uint16_t err;

	if (ike_msg_find_notify(m, IKE_N_AUTHENTICATION_FAILED)) {
		sa->ctx->stats.auth_failed++;
		sa_err(sa, "peer rejected our authentication (AUTHENTICATION_FAILED): check the "
		       "PSK and the identities (local %s, remote %s)",
		       ike_id_fmt(&cfg->local_id, b1, sizeof(b1)),
		       ike_id_fmt(&cfg->remote_id, b2, sizeof(b2)));
		ike_sa_end(sa, IKE_END_AUTH_FAILED);
		return IKE_TASK_FAILED;
	}
	if (!p_idr || ike_pld_id_parse(p_idr->body, p_idr->len, &idr) ||
	    !ike_msg_find(m, IKE_PLD_AUTH)) {
		err = ike_msg_error_notify(m);
		sa_err(sa, "IKE_AUTH failed: %s", err ? ike_notify_name(err) : "no IDr/AUTH in response");
		ike_sa_end(sa, IKE_END_AUTH_FAILED);
		return IKE_TASK_FAILED;
	}
	ike_id_fmt(&idr, ids, sizeof(ids));
	if (!remote_id_ok(sa->conn, &idr) || !auth_ok(sa, m, false, p_idr)) {
		sa->ctx->stats.auth_failed++;
		sa_err(sa, "responder '%s' failed %s: AUTHENTICATION_FAILED", ids,
		       remote_id_ok(sa->conn, &idr) ? "PSK authentication (check the secret)" :
		       "the identity check (remote id)");
		/* RFC 7296 2.21.2: tell the responder in an INFORMATIONAL */
		struct ike_mb mb;
		ike_mgr_unanswered_begin(sa, &mb, INFORMATIONAL);
		ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
		ike_mgr_unanswered_send(sa, &mb);
		ike_sa_end(sa, IKE_END_AUTH_FAILED);
		return IKE_TASK_FAILED;
	}
	sa->peer_id = idr;
	ike_sa_set_state(sa, IKE_STATE_ESTABLISHED);
	sa->ctx->stats.ike_established++;
	ike_timers_established(sa);
	sa_info(sa, "IKE_SA established with '%s' (%s) at %s[%u]", ids,
	        ike_proposal_fmt(&sa->prop, b1, sizeof(b1)),
	        ip_addr_fmt(&sa->remote.addr, (char[IP_ADDR_STRLEN]){ 0 }), sa->remote.port);
	if (!c)
		return IKE_TASK_DONE;

	/* the first CHILD SA */
	const struct ike_pld *p_sa = ike_msg_find(m, IKE_PLD_SA);
	const struct ike_pld *p_tsi = ike_msg_find(m, IKE_PLD_TSI);
	const struct ike_pld *p_tsr = ike_msg_find(m, IKE_PLD_TSR);
	struct ike_proposals theirs;
	struct ike_ts_list tsi, tsr, our_l, our_r;
	struct ike_proposal chosen;

	if ((err = ike_msg_error_notify(m)) || !p_sa || !p_tsi || !p_tsr) {
		if (err == IKE_N_TS_UNACCEPTABLE)
			sa->ctx->stats.ts_unacceptable++;
		if (err == IKE_N_NO_PROPOSAL_CHOSEN)
			sa->ctx->stats.no_proposal++;
		ike_child_ts_local(sa, &c->cfg, &our_l);
		ike_child_ts_remote(sa, &c->cfg, &our_r);
		sa_warn(sa, "CHILD_SA %s not established: peer sent %s (we proposed %s, TSi %s, TSr %s)",
		        c->cfg.name, err ? ike_notify_name(err) : "no SA/TS payloads",
		        ike_proposals_fmt(&c->cfg.esp, b1, sizeof(b1)),
		        ike_ts_list_fmt(&our_l, b2, sizeof(b2)),
		        ike_ts_list_fmt(&our_r, ids, sizeof(ids)));
		ike_child_end(sa, c, child_refusal(err));
		return IKE_TASK_DONE;
	}
	ike_child_ts_local(sa, &c->cfg, &our_l);
	ike_child_ts_remote(sa, &c->cfg, &our_r);
	if (ike_pld_sa_parse(p_sa->body, p_sa->len, &theirs) || theirs.n != 1 ||
	    !ike_proposal_select(&c->cfg.esp, &theirs, true, &chosen) || chosen.spi_len != 4 ||
	    ike_pld_ts_parse(p_tsi->body, p_tsi->len, &tsi) ||
	    ike_pld_ts_parse(p_tsr->body, p_tsr->len, &tsr) ||
	    !ike_child_narrow(&tsi, &our_l, &c->ts_local) ||
	    !ike_child_narrow(&tsr, &our_r, &c->ts_remote)) {
		sa_warn(sa, "CHILD_SA %s: responder's choice is not what we proposed", c->cfg.name);
		ike_child_end(sa, c, CHILD_END_INVALID_RESPONSE);
		ike_mgr_queue(sa, IKE_TASK_IKE_DELETE, IKE_END_PROTOCOL_ERROR);
		return IKE_TASK_DONE;
	}
	c->spi_out = get_be32(chosen.spi);
	c->prop = chosen;
	if (c->cfg.mode == XFRM_MODE_TRANSPORT && !ike_msg_find_notify(m, IKE_N_USE_TRANSPORT_MODE))
		c->cfg.mode = XFRM_MODE_TUNNEL;
	if (ike_child_install(sa, c, true, NULL, 0, sa->ni, sa->ni_len, sa->nr, sa->nr_len))
		ike_child_end(sa, c, CHILD_END_INSTALL_FAILED);
	return IKE_TASK_DONE;
}

static void auth_destroy(struct ike_task *t, struct ike_sa *sa)
{
	struct auth_task *at = auth_of(t);
	struct ike_child_sa *c = at->child_spi ? ike_child_find_in(sa, at->child_spi) : NULL;

	/* the CHILD SA we proposed, if the exchange ended before it was set up */
	if (c && c->state == CHILD_CREATING)
		ike_child_end(sa, c, CHILD_END_IKE_ENDED);
	free(at);
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
