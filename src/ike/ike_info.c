/* INFORMATIONAL exchanges (RFC 7296 1.4): deleting IKE and CHILD SAs,
 * empty liveness checks (DPD), error notifies; and unprotected notify
 * answers to IKE_SA_INIT requests (no IKE SA exists for them).
 *
 *   HDR, SK {[N,] [D,] ...}  -->
 *                       <--  HDR, SK {[N,] [D,] ...}
 */
#include <errno.h>
#include <string.h>

#include "ike/ike_pld.h"
#include "ike/ike_child.h"
#include "ike/ike_ctx.h"
#include "ike/ike_info.h"
#include "ike/ike_sa.h"
#include "util/bytes.h"

/* True if another installed CHILD SA of the same config exists (c is the
 * old half of a rekeying, not a closed tunnel). */
static bool ike_child_replaced(struct ike_sa *sa, const struct ike_child_sa *c)
{
	for (struct ike_child_sa *x = sa->children; x; x = x->next)
		if (x != c && x->state == CHILD_INSTALLED && !strcmp(x->cfg.name, c->cfg.name))
			return true;
	return false;
}

int ike_info_start(struct ike_sa *sa, enum ike_task task, uint32_t arg)
{
	struct ike_mb mb;

	ike_sa_req_begin(sa, &mb, INFORMATIONAL, true);
	switch (task) {
	case TASK_IKE_DELETE:
		ike_pld_delete_put(&mb, IKE_PROTO_IKE, NULL, 0);
		ike_sa_set_state(sa, IKE_STATE_DELETING);
		sa_info(sa, "deleting IKE_SA");
		break;
	case TASK_CHILD_DELETE: {
		struct ike_child_sa *c = ike_child_find_in(sa, arg);
		if (!c) {
			ike_mb_free(&mb);
			return -ENOENT;
		}
		c->state = CHILD_DELETING;
		ike_pld_delete_put(&mb, IKE_PROTO_ESP, &arg, 1);
		sa_info(sa, "deleting CHILD_SA %s (SPI %08x)", c->cfg.name, arg);
		break;
	}
	case TASK_DPD:
		sa_debug(sa, "sending liveness check");
		break;
	default:
		ike_mb_free(&mb);
		return -EINVAL;
	}
	return ike_sa_req_send(sa, &mb, task, arg);
}

/* The peer deletes an IKE SA in the middle of an IKE rekey collision
 * (RFC 7296 2.8.2), before the response to our own rekey request arrived
 * (reordering). True if handled here:
 * - sa is the old SA: the peer's new SA survived. Keep sa until our
 *   response comes, so that we learn (and delete) our redundant one.
 * - sa is the peer's redundant new SA, holding the CHILD SAs for now:
 *   they go back to the old SA, which our response then rekeys as if
 *   there had been no collision. */
static bool rekey_collision_delete(struct ike_sa *sa)
{
	if (sa->coll_spi_i && sa->req_pending && sa->req_task == TASK_IKE_REKEY) {
		sa_info(sa, "peer deleted the IKE_SA during a rekey collision: waiting for the "
		        "response to our rekeying");
		sa->peer_deleted = true;
		return true;
	}
	for (struct ike_sa *old = sa->ctx->sas; old; old = old->next) {
		if (old == sa || old->state == IKE_STATE_DEAD || old->coll_spi_i != sa->spi_i ||
		    old->coll_spi_r != sa->spi_r)
			continue;
		sa_info(sa, "peer deleted its redundant IKE_SA of a rekey collision: its CHILD_SAs "
		        "go back to %016llx_i %016llx_r", (unsigned long long)old->spi_i,
		        (unsigned long long)old->spi_r);
		struct ike_child_sa **tail = &old->children;
		while (*tail)
			tail = &(*tail)->next;
		*tail = sa->children;
		sa->children = NULL;
		old->coll_spi_i = old->coll_spi_r = 0;
		old->rekeyed = false;
		sa->rekeyed = true;
		ike_sa_set_state(sa, IKE_STATE_DEAD);
		return true;
	}
	return false;
}

void ike_info_handle_request(struct ike_sa *sa, struct ike_msg *m)
{
	uint32_t ours[IKE_DEL_MAX];
	unsigned nours = 0;
	bool delete_ike = false;
	struct ike_mb mb;
	uint16_t err;

	for (unsigned i = 0; i < m->npld; i++) {
		struct ike_delete_pld d;
		if (m->pld[i].type != IKE_PLD_DELETE ||
		    ike_pld_delete_parse(m->pld[i].body, m->pld[i].len, &d))
			continue;
		if (d.protocol == IKE_PROTO_IKE) {
			delete_ike = true;
			continue;
		}
		if (d.protocol != IKE_PROTO_ESP)
			continue;
		for (unsigned k = 0; k < d.nspi; k++) {
			/* the peer names its inbound SPI: our outbound */
			struct ike_child_sa *c = ike_child_find_out(sa, d.spi[k]);
			if (!c)
				continue;
			sa_info(sa, "peer deletes CHILD_SA %s (SPI %08x)", c->cfg.name, d.spi[k]);
			/* RFC 7296 1.4.1: answer with our SPI, unless we are
			 * deleting it ourselves (simultaneous delete) */
			bool peer_closed = c->state != CHILD_DELETING &&
			                   !ike_child_replaced(sa, c);
			struct ike_child_cfg cfg = c->cfg;
			if (c->state != CHILD_DELETING && nours < IKE_DEL_MAX)
				ours[nours++] = c->spi_in;
			ike_child_destroy(sa, c);
			if (peer_closed)
				ike_child_closed(sa, &cfg);
		}
	}
	if ((err = ike_msg_error_notify(m)))
		sa_warn(sa, "peer sent %s in an INFORMATIONAL", ike_notify_name(err));
	ike_sa_resp_begin(sa, &mb, m, true);
	if (nours)
		ike_pld_delete_put(&mb, IKE_PROTO_ESP, ours, nours);
	ike_sa_resp_send(sa, &mb);
	if (delete_ike && rekey_collision_delete(sa))
		return;
	if (delete_ike || err == IKE_N_AUTHENTICATION_FAILED) {
		sa_info(sa, "peer deleted the IKE_SA");
		ike_sa_set_state(sa, IKE_STATE_DEAD);
		/* not for the old SA of a rekeying: its children moved on */
		while (sa->children) {
			struct ike_child_cfg cfg = sa->children->cfg;
			bool up = sa->children->state == CHILD_INSTALLED;
			ike_child_destroy(sa, sa->children);
			if (up)
				ike_child_closed(sa, &cfg);
		}
	}
}

void ike_info_handle_response(struct ike_sa *sa, struct ike_msg *m)
{
	switch (sa->req_task) {
	case TASK_IKE_DELETE:
		sa_info(sa, "IKE_SA deleted");
		ike_sa_set_state(sa, IKE_STATE_DEAD);
		break;
	case TASK_CHILD_DELETE: {
		struct ike_child_sa *c = ike_child_find_in(sa, sa->req_arg);
		if (c)
			ike_child_destroy(sa, c);
		break;
	}
	default:
		break;
	}
}

void ike_send_notify_plain(struct ike_ctx *ctx, const struct ike_endpoint *local,
                           const struct ike_endpoint *remote, const struct ike_hdr *req,
                           uint16_t type, const uint8_t *data, size_t dlen)
{
	struct ike_hdr h = {
		.spi_i = req->spi_i, .spi_r = 0, .exchange = req->exchange,
		.flags = IKE_FLAG_RESPONSE, .msgid = req->msgid,
	};
	struct ike_mb mb;

	ike_mb_init(&mb, &h);
	ike_pld_notify_put(&mb, 0, NULL, 0, type, data, dlen);
	if (ike_mb_finish(&mb, NULL) == 0) {
		ctx->stats.tx++;
		ctx->io.send(ctx->io.ctx, local, remote, mb.p, mb.len);
	}
	ike_mb_free(&mb);
}
