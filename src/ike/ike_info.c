/* INFORMATIONAL exchanges (RFC 7296 1.4) as tasks: deleting a CHILD SA
 * (1.4.1), deleting the IKE SA, an empty liveness check (DPD, 2.4), and
 * the responder for every INFORMATIONAL request (deletes, error
 * notifies, liveness checks), including deletes in the middle of an IKE
 * rekey collision (2.8.2).
 *
 *   HDR, SK {[N,] [D,] ...}  -->
 *                       <--  HDR, SK {[N,] [D,] ...}
 */
#include "ike/ike_info.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_child.h"
#include "ike/ike_conn.h"
#include "ike/ike_ctx.h"
#include "ike/ike_mgr.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_sa.h"
#include "ike/ike_task.h"
#include "util/bytes.h"

/* INFORMATIONAL tasks keep no state of their own: what they work on is
 * their arg (a CHILD SA's inbound SPI, the reason an IKE SA ends). */
struct info_task {
	struct ike_task t;           /* first: the manager's handle */
};

/* True if another installed CHILD SA of the same config exists (c is the
 * old half of a rekeying, not a closed tunnel). */
static bool ike_child_replaced(struct ike_sa *sa, const struct ike_child_sa *c)
{
	for (struct ike_child_sa *x = sa->children; x; x = x->next)
		if (x != c && x->state == CHILD_INSTALLED && !strcmp(x->cfg.name, c->cfg.name))
			return true;
	return false;
}

static enum ike_task_status child_delete_build(struct ike_task *t, struct ike_sa *sa,
                                               struct ike_mb *mb)
{
	uint32_t spi = t->arg;
	struct ike_child_sa *c = ike_child_find_in(sa, spi);

	if (!c)
		return IKE_TASK_DONE;   /* gone meanwhile (the peer deleted it) */
	c->state = CHILD_DELETING;
	ike_pld_delete_put(mb, IKE_PROTO_ESP, &spi, 1);
	sa_info(sa, "deleting CHILD_SA %s (SPI %08x)", c->cfg.name, spi);
	return IKE_TASK_NEED_MORE;
}

static enum ike_task_status child_delete_process(struct ike_task *t, struct ike_sa *sa,
                                                 const struct ike_msg *m)
{
	struct ike_child_sa *c = ike_child_find_in(sa, t->arg);

	if (c)
		ike_child_end(sa, c, c->delete_reason ? c->delete_reason : CHILD_END_DELETED_BY_US);
	return IKE_TASK_DONE;
}

static enum ike_task_status ike_delete_build(struct ike_task *t, struct ike_sa *sa,
                                             struct ike_mb *mb)
{
	ike_pld_delete_put(mb, IKE_PROTO_IKE, NULL, 0);
	ike_sa_set_state(sa, IKE_STATE_DELETING);
	sa_info(sa, "deleting IKE_SA");
	return IKE_TASK_NEED_MORE;
}

static enum ike_task_status ike_delete_process(struct ike_task *t, struct ike_sa *sa,
                                               const struct ike_msg *m)
{
	sa_info(sa, "IKE_SA deleted");
	ike_sa_end(sa, (enum ike_end_reason)t->arg);
	return IKE_TASK_DONE;
}

static enum ike_task_status dpd_build(struct ike_task *t, struct ike_sa *sa, struct ike_mb *mb)
{
	sa_debug(sa, "sending liveness check");
	return IKE_TASK_NEED_MORE;
}

static enum ike_task_status dpd_process(struct ike_task *t, struct ike_sa *sa,
                                        const struct ike_msg *m)
{
	return IKE_TASK_DONE;   /* it answered: alive */
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
	if (sa->coll_spi_i && ike_mgr_in_flight(sa, IKE_TASK_IKE_REKEY)) {
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
		ike_sa_end(sa, IKE_END_REKEY_COLLISION);
		return true;
	}
	return false;
}

/* Why the peer's Delete ends c: a rekeyed CHILD SA's old half, or one we
 * were deleting ourselves (simultaneous delete), or a closed tunnel. */
static enum ike_child_end_reason peer_delete_reason(struct ike_sa *sa,
                                                    const struct ike_child_sa *c)
{
	if (c->state == CHILD_DELETING)
		return c->delete_reason ? c->delete_reason : CHILD_END_DELETED_BY_US;
	return ike_child_replaced(sa, c) ? CHILD_END_REKEYED : CHILD_END_DELETED_BY_PEER;
}

/* The peer deleted sa (or told us it failed our authentication): its
 * CHILD SAs go, and their close_action applies. */
static void peer_ended_ike(struct ike_sa *sa, uint16_t err)
{
	enum ike_end_reason why = err == IKE_N_AUTHENTICATION_FAILED ? IKE_END_AUTH_FAILED :
	                          sa->rekeyed ? IKE_END_REKEYED : IKE_END_DELETED_BY_PEER;

	sa_info(sa, "peer deleted the IKE_SA");
	ike_sa_end(sa, why);
	/* not for the old SA of a rekeying: its children moved on */
	while (sa->children) {
		struct ike_child_kept cfg = sa->children->cfg;
		bool up = sa->children->state == CHILD_INSTALLED;
		ike_child_end(sa, sa->children, CHILD_END_DELETED_BY_PEER);
		if (up)
			ike_conn_child_closed(sa, &cfg);
	}
}

static enum ike_task_status info_respond(struct ike_task *t, struct ike_sa *sa,
                                         const struct ike_msg *m, struct ike_mb *mb)
{
	uint32_t ours[IKE_DEL_MAX];
	unsigned nours = 0;
	bool delete_ike = false;
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
			enum ike_child_end_reason why = peer_delete_reason(sa, c);
			struct ike_child_kept cfg = c->cfg;
			if (c->state != CHILD_DELETING && nours < IKE_DEL_MAX)
				ours[nours++] = c->spi_in;
			ike_child_end(sa, c, why);
			if (why == CHILD_END_DELETED_BY_PEER)
				ike_conn_child_closed(sa, &cfg);
		}
	}
	if ((err = ike_msg_error_notify(m)))
		sa_warn(sa, "peer sent %s in an INFORMATIONAL", ike_notify_name(err));
	if (nours)
		ike_pld_delete_put(mb, IKE_PROTO_ESP, ours, nours);
	if (delete_ike && rekey_collision_delete(sa))
		return IKE_TASK_DONE;
	if (delete_ike || err == IKE_N_AUTHENTICATION_FAILED)
		peer_ended_ike(sa, err);
	return IKE_TASK_DONE;
}

static void info_destroy(struct ike_task *t, struct ike_sa *sa)
{
	free(t);
}

static const struct ike_task_ops child_delete_ops = {
	.name = "CHILD_SA delete", .exchange = INFORMATIONAL,
	.build = child_delete_build, .process = child_delete_process, .destroy = info_destroy,
};

static const struct ike_task_ops ike_delete_ops = {
	.name = "IKE_SA delete", .exchange = INFORMATIONAL,
	.build = ike_delete_build, .process = ike_delete_process, .destroy = info_destroy,
};

static const struct ike_task_ops dpd_ops = {
	.name = "liveness check", .exchange = INFORMATIONAL,
	.build = dpd_build, .process = dpd_process, .destroy = info_destroy,
};

static const struct ike_task_ops responder_ops = {
	.name = "INFORMATIONAL", .exchange = INFORMATIONAL,
	.respond = info_respond, .destroy = info_destroy,
};

static struct ike_task *info_new(const struct ike_task_ops *ops)
{
	struct info_task *it = calloc(1, sizeof(*it));

	if (!it)
		return NULL;
	it->t.ops = ops;
	return &it->t;
}

struct ike_task *ike_info_child_delete_new(struct ike_sa *sa, uint32_t arg)
{
	return info_new(&child_delete_ops);
}

struct ike_task *ike_info_ike_delete_new(struct ike_sa *sa, uint32_t arg)
{
	return info_new(&ike_delete_ops);
}

struct ike_task *ike_info_dpd_new(struct ike_sa *sa, uint32_t arg)
{
	return info_new(&dpd_ops);
}

struct ike_task *ike_info_responder_new(struct ike_sa *sa, uint32_t arg)
{
	return info_new(&responder_ops);
}
