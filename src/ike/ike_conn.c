/* Connections: matching an incoming IKE SA to a loaded connection, the
 * connection's current IKE SA, initiating a CHILD SA (on that IKE SA or on
 * a new one), and what happens to a connection's tunnels when an IKE SA
 * ends or the peer seems to have lost its state, as charon does it:
 * keyingtries, dpd_action and close_action, make-before-break
 * reauthentication, INITIAL_CONTACT (RFC 7296 2.4) sent and honoured, and
 * the reaction to an unknown SPI from a peer. Starting an exchange here
 * only queues tasks; the front door (ike.c) runs them once the event at
 * hand is handled. Runs on the control loop. */
#include "ike/ike_conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_child.h"
#include "ike/ike_ctx.h"
#include "ike/ike_mgr.h"
#include "ike/ike_sa.h"
#include "ike/ike_task.h"
#include "ike/ike_timers.h"

/* between two initiations because the peer seems to keep state we lack */
#define LOST_STATE_MIN_MS 2000

struct ike_conn *ike_conn_find(struct ike_ctx *ctx, const char *name)
{
	for (struct ike_conn *c = ctx->conns; c; c = c->next)
		if (!strcmp(c->cfg.name, name))
			return c;
	return NULL;
}

bool ike_conn_matches(const struct ike_conn *conn, const struct ike_endpoint *local,
                      const struct ike_endpoint *remote)
{
	const struct ike_conn_cfg *c = &conn->cfg;

	if (!ip_addr_is_zero(&c->local_addr) && !ip_addr_equal(&c->local_addr, &local->addr))
		return false;
	if (!ip_addr_is_zero(&c->remote_addr) && !ip_addr_equal(&c->remote_addr, &remote->addr))
		return false;
	return true;
}

static bool live(const struct ike_sa *sa)
{
	return sa->state != IKE_STATE_DEAD && sa->state != IKE_STATE_DELETING;
}

struct ike_sa *ike_conn_sa(struct ike_ctx *ctx, const struct ike_conn *conn)
{
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		if (sa->conn == conn && live(sa))
			return sa;
	return NULL;
}

/* Where an initiator sends from: local_addrs, or with local_addrs = %any
 * the address the routing picks to reach remote_addrs (io.route_src). */
static int local_addr_for(struct ike_ctx *ctx, const struct ike_conn *c, struct ip_addr *local)
{
	char a[IP_ADDR_STRLEN];
	int rc;

	*local = c->cfg.local_addr;
	if (ip_addr_is_zero(&c->cfg.remote_addr) || (ip_addr_is_zero(local) && !ctx->io.route_src)) {
		log_warn("ike: cannot initiate '%s': set one remote_addrs address%s", c->cfg.name,
		         ip_addr_is_zero(&c->cfg.remote_addr) ? "" : " and one local_addrs address");
		return -EDESTADDRREQ;
	}
	if (!ip_addr_is_zero(local))
		return 0;
	rc = ctx->io.route_src(ctx->io.ctx, &c->cfg.remote_addr, local);
	if (rc || ip_addr_is_zero(local) || local->family != c->cfg.remote_addr.family) {
		log_warn("ike: cannot initiate '%s': no source address to reach %s: %s", c->cfg.name,
		         ip_addr_fmt(&c->cfg.remote_addr, a), strerror(rc ? -rc : EADDRNOTAVAIL));
		return rc ? rc : -EADDRNOTAVAIL;
	}
	log_info("ike: '%s': local_addrs %%any, reaching %s from %s", c->cfg.name,
	         ip_addr_fmt(&c->cfg.remote_addr, a), ip_addr_fmt(local, (char[IP_ADDR_STRLEN]){ 0 }));
	return 0;
}

/* A new IKE SA of c that we initiate, with child config idx (-1: none)
 * in its IKE_AUTH; IKE_SA_INIT and IKE_AUTH queued. NULL (logged) if
 * there is no address to initiate from or no memory. */
static struct ike_sa *initiator_sa(struct ike_ctx *ctx, struct ike_conn *c, int idx, int *rc)
{
	struct ip_addr local;
	struct ike_sa *sa;

	*rc = local_addr_for(ctx, c, &local);
	if (*rc)
		return NULL;
	sa = ike_sa_new(ctx, c, true);
	if (!sa) {
		*rc = -ENOMEM;
		return NULL;
	}
	sa->local.addr = local;
	sa->local.port = c->cfg.local_port;
	sa->remote.addr = c->cfg.remote_addr;
	sa->remote.port = c->cfg.remote_port;
	sa->auth_child = idx;
	sa->keyingtry = 1;
	if (ike_mgr_queue(sa, IKE_TASK_IKE_INIT, 0) || ike_mgr_queue(sa, IKE_TASK_IKE_AUTH, 0)) {
		ike_sa_end(sa, IKE_END_INTERNAL);
		*rc = -ENOMEM;
		return NULL;
	}
	return sa;
}

int ike_conn_initiate(struct ike_ctx *ctx, struct ike_conn *c, int idx)
{
	struct ike_sa *sa = ike_conn_sa(ctx, c);
	int rc;

	if (sa) {
		/* the first CHILD SA comes with IKE_AUTH; others follow it */
		if (idx >= 0 && (sa->state == IKE_STATE_ESTABLISHED || sa->auth_child != idx))
			ike_mgr_queue(sa, IKE_TASK_CHILD_CREATE, (uint32_t)idx);
		return 0;
	}
	initiator_sa(ctx, c, idx, &rc);
	return rc;
}

/* Is child config idx of conn installed or on its way on a live IKE SA
 * other than skip (so that starting it again would duplicate it). */
static bool child_active(struct ike_ctx *ctx, const struct ike_conn *conn, unsigned idx,
                         const struct ike_sa *skip)
{
	const char *name = conn->cfg.children[idx].name;

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next) {
		if (sa == skip || sa->conn != conn || !live(sa))
			continue;
		if (sa->state != IKE_STATE_ESTABLISHED && sa->auth_child == (int)idx)
			return true;
		if (ike_mgr_queued(sa, IKE_TASK_CHILD_CREATE, idx))
			return true;
		for (struct ike_child_sa *c = sa->children; c; c = c->next)
			if (c->state != CHILD_DELETING && !strcmp(c->cfg.name, name))
				return true;
	}
	return false;
}

/* Start a new IKE SA of conn with the child configs marked in want (all
 * nchildren of them; none: the IKE SA alone if alone), attempt number
 * keyingtry. Children that are up elsewhere are left out. The new SA or
 * NULL (nothing to start, or it could not be). */
static struct ike_sa *start_children(struct ike_ctx *ctx, struct ike_conn *conn, const bool *want,
                                     bool alone, uint32_t keyingtry)
{
	struct ike_sa *nsa = NULL;
	int rc;

	for (unsigned i = 0; i < conn->cfg.nchildren; i++) {
		if (!want[i] || child_active(ctx, conn, i, NULL))
			continue;
		if (!nsa) {
			nsa = initiator_sa(ctx, conn, (int)i, &rc);
			if (!nsa)
				return NULL;
		} else {
			ike_mgr_queue(nsa, IKE_TASK_CHILD_CREATE, i);
		}
	}
	if (!nsa && alone)
		nsa = initiator_sa(ctx, conn, -1, &rc);
	if (nsa)
		nsa->keyingtry = keyingtry;
	return nsa;
}

/* The child configs sa has or was about to create: installed and
 * creating CHILD SAs, the one for IKE_AUTH, queued CHILD_SA creations.
 * A calloc'ed array of conn->cfg.nchildren flags, NULL if out of memory
 * (or no children). */
static bool *children_of(struct ike_sa *sa)
{
	struct ike_conn *conn = sa->conn;
	bool *want = conn->cfg.nchildren ? calloc(conn->cfg.nchildren, sizeof(*want)) : NULL;

	if (!want)
		return NULL;
	if (sa->state != IKE_STATE_ESTABLISHED && sa->auth_child >= 0 &&
	    (unsigned)sa->auth_child < conn->cfg.nchildren)
		want[sa->auth_child] = true;
	for (struct ike_child_sa *c = sa->children; c; c = c->next) {
		int i = ike_child_cfg_index(sa, c->cfg.name);
		if (i >= 0 && c->state != CHILD_DELETING)
			want[i] = true;
	}
	for (unsigned i = 0; i < conn->cfg.nchildren; i++)
		if (ike_mgr_queued(sa, IKE_TASK_CHILD_CREATE, i))
			want[i] = true;
	return want;
}

/* charon's keyingtries: setting the IKE SA up failed because the peer did
 * not answer; try again with a new IKE SA unless the tries are used up. */
static void retry_keying(struct ike_sa *sa)
{
	struct ike_conn *conn = sa->conn;
	uint32_t tries = conn->cfg.keyingtries;
	struct ike_sa *nsa;
	bool *want;

	if (tries && sa->keyingtry >= tries) {
		sa_info(sa, "establishing IKE_SA failed, peer not responding (keyingtries %u used)",
		        tries);
		return;
	}
	want = children_of(sa);
	if (!want && conn->cfg.nchildren)
		return;
	nsa = start_children(sa->ctx, conn, want, true, sa->keyingtry + 1);
	free(want);
	if (!nsa)
		return;
	nsa->reauth_spi_i = sa->reauth_spi_i;
	nsa->reauth_spi_r = sa->reauth_spi_r;
	if (nsa->reauth_spi_i)
		ike_sa_want_run(nsa);
	if (tries)
		sa_info(sa, "peer not responding, trying again (%u/%u)", nsa->keyingtry, tries);
	else
		sa_info(sa, "peer not responding, trying again (%u, keyingtries 0: forever)",
		        nsa->keyingtry);
}

/* charon's dpd_action for an established IKE SA whose peer stopped
 * answering: restart (a new IKE SA with those CHILD SAs), trap (trap
 * policies: the next packet negotiates them again), clear (nothing). */
static void dpd_action(struct ike_sa *sa)
{
	struct ike_conn *conn = sa->conn;
	bool *want = children_of(sa), any = false;

	if (!want)
		return;
	for (unsigned i = 0; i < conn->cfg.nchildren; i++) {
		const struct ike_child_cfg *cc = &conn->cfg.children[i];
		if (!want[i])
			continue;
		want[i] = false;
		if (cc->dpd_action == IKE_ACTION_START) {
			want[i] = any = true;
			/* keep the policies (and so the route to the remote site)
			 * while the new IKE SA comes up: what is sent meanwhile
			 * is held (the data plane's hold queue) and goes out on
			 * the new CHILD SA, instead of getting net unreachable */
			if (!conn->child[i].trap_installed) {
				ike_child_trap(sa->ctx, conn, (int)i, true);
				conn->child[i].trap_hold = conn->child[i].trap_installed;
			}
		} else if (cc->dpd_action == IKE_ACTION_TRAP && !conn->child[i].trap_installed) {
			sa_info(sa, "CHILD_SA %s: peer not responding, dpd_action trap", cc->name);
			ike_child_trap(sa->ctx, conn, (int)i, true);
		}
	}
	if (any && start_children(sa->ctx, conn, want, false, 1))
		sa_info(sa, "peer not responding: dpd_action restart, initiating a new IKE_SA");
	free(want);
}

void ike_conn_sa_ended(struct ike_sa *sa, bool was_up)
{
	enum ike_end_reason why = sa->end_reason;

	if (!sa->conn || sa->rekeyed)
		return;
	if (!was_up && sa->initiator && why == IKE_END_RETRANSMIT_GIVEUP) {
		retry_keying(sa);
		return;
	}
	if (was_up && (why == IKE_END_DPD_DEAD || why == IKE_END_RETRANSMIT_GIVEUP))
		dpd_action(sa);
}

/* ---- make-before-break reauthentication ---- */

static struct ike_sa *reauth_successor(struct ike_ctx *ctx, const struct ike_sa *old)
{
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		if (sa != old && live(sa) && sa->reauth_spi_i == old->spi_i &&
		    sa->reauth_spi_r == old->spi_r)
			return sa;
	return NULL;
}

int ike_conn_reauth(struct ike_sa *old)
{
	struct ike_conn *conn = old->conn;
	struct ike_sa *nsa;
	bool *want;
	int rc;

	if (!conn || old->state != IKE_STATE_ESTABLISHED || old->rekeyed)
		return -ENOENT;
	if (reauth_successor(old->ctx, old))
		return -EALREADY;
	if (ip_addr_is_zero(&conn->cfg.remote_addr)) {
		sa_warn(old, "cannot reauthenticate: no remote_addrs to initiate to");
		return -EDESTADDRREQ;
	}
	want = children_of(old);
	if (!want && conn->cfg.nchildren)
		return -ENOMEM;
	/* the new IKE SA takes every child the old one has, even though they
	 * are "active" (on the old one): make before break */
	nsa = NULL;
	for (unsigned i = 0; i < conn->cfg.nchildren; i++) {
		if (!want[i])
			continue;
		if (!nsa) {
			nsa = initiator_sa(old->ctx, conn, (int)i, &rc);
			if (!nsa)
				break;
		} else {
			ike_mgr_queue(nsa, IKE_TASK_CHILD_CREATE, i);
		}
	}
	free(want);
	if (!nsa && !(nsa = initiator_sa(old->ctx, conn, -1, &rc)))
		return rc;
	nsa->reauth_spi_i = old->spi_i;
	nsa->reauth_spi_r = old->spi_r;
	ike_sa_want_run(nsa);
	sa_info(old, "reauthenticating: a new IKE_SA (%016llx_i) replaces this one once it and "
	        "its CHILD_SAs are up (make-before-break)", (unsigned long long)nsa->spi_i);
	return 0;
}

void ike_conn_reauth_check(struct ike_sa *sa)
{
	struct ike_sa *old;

	if (!sa->reauth_spi_i || sa->state != IKE_STATE_ESTABLISHED || ike_mgr_waiting(sa) ||
	    sa->mgr.queue)
		return;
	old = ike_sa_find(sa->ctx, sa->reauth_spi_i, sa->reauth_spi_r);
	sa->reauth_spi_i = sa->reauth_spi_r = 0;
	if (!old || old->state != IKE_STATE_ESTABLISHED)
		return;
	sa_info(old, "reauthenticated as %016llx_i %016llx_r: deleting the old IKE_SA",
	        (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r);
	/* its CHILD SAs go with it; the policies stay for the new ones */
	ike_mgr_queue(old, IKE_TASK_IKE_DELETE, IKE_END_REAUTH);
}

/* ---- INITIAL_CONTACT (RFC 7296 2.4) ---- */

bool ike_conn_first_contact(const struct ike_sa *sa)
{
	if (!sa->conn || sa->conn->cfg.unique_never)
		return false;
	/* as charon: only if no authenticated IKE SA with that peer exists
	 * (so never on a reauthentication, which must not cut the old one) */
	for (const struct ike_sa *o = sa->ctx->sas; o; o = o->next)
		if (o != sa && (o->state == IKE_STATE_ESTABLISHED || o->state == IKE_STATE_DELETING) &&
		    (o->conn == sa->conn || ip_addr_equal(&o->remote.addr, &sa->remote.addr)))
			return false;
	return true;
}

static bool same_local_id(const struct ike_conn *a, const struct ike_conn *b)
{
	return a == b || (a && b && ike_id_equal(&a->cfg.local_id, &b->cfg.local_id));
}

void ike_conn_initial_contact(struct ike_sa *sa)
{
	if (!sa->conn || sa->conn->cfg.unique_never)
		return;
	/* the peer says it lost every SA with us: those between the same two
	 * identities go at once, without a Delete (it would not know them) */
	const struct ike_id *id = ike_sa_peer_eap_id(sa);   /* as charon: the EAP identity */

	for (struct ike_sa *o = ike_sa_by_peer_id(sa->ctx, id, NULL); o;
	     o = ike_sa_by_peer_id(sa->ctx, id, o)) {
		if (o == sa || o->state == IKE_STATE_DEAD || !o->peer_id.type ||
		    !ike_id_equal(ike_sa_peer_eap_id(o), id) || !same_local_id(o->conn, sa->conn))
			continue;
		sa_info(o, "INITIAL_CONTACT from the peer (%016llx_i %016llx_r): deleting this "
		        "old IKE_SA and its CHILD_SAs", (unsigned long long)sa->spi_i,
		        (unsigned long long)sa->spi_r);
		ike_sa_end(o, IKE_END_REPLACED);   /* no dpd_action: ike_conn_sa_ended */
	}
}

bool ike_conn_unique(struct ike_sa *sa)
{
	char ids[IKE_ID_STRLEN];

	if (!sa->conn || (!sa->conn->cfg.unique_keep && !sa->conn->cfg.unique_replace))
		return true;
	/* as charon's check_uniqueness: the peer's EAP identity if it has one */
	const struct ike_id *id = ike_sa_peer_eap_id(sa);

	for (struct ike_sa *o = ike_sa_by_peer_id(sa->ctx, id, NULL); o;
	     o = ike_sa_by_peer_id(sa->ctx, id, o)) {
		if (o == sa || o->conn != sa->conn || o->state != IKE_STATE_ESTABLISHED ||
		    !ike_id_equal(ike_sa_peer_eap_id(o), id) ||
		    (sa->reauth_spi_i && sa->reauth_spi_i == o->spi_i))
			continue;
		ike_id_fmt(id, ids, sizeof(ids));
		if (sa->conn->cfg.unique_keep) {
			if (ip_addr_equal(&o->remote.addr, &sa->remote.addr))
				continue;   /* as charon: perhaps the peer reauthenticates */
			sa_info(sa, "cancelling IKE_SA setup due to uniqueness policy (unique = keep): "
			        "'%s' has an IKE_SA already", ids);
			return false;
		}
		sa_info(o, "deleting duplicate IKE_SA for peer '%s' due to uniqueness policy "
		        "(unique = replace)", ids);
		ike_mgr_queue(o, IKE_TASK_IKE_DELETE, IKE_END_REPLACED);
	}
	return true;
}

/* ---- known peers (the IKE_SA_INIT flood limits, ike.c) ---- */

void ike_conn_peer_seen(struct ike_ctx *ctx, const struct ip_addr *a)
{
	for (unsigned i = 0; i < IKE_RECENT_PEERS; i++)
		if (ip_addr_equal(&ctx->recent[i], a))
			return;
	ctx->recent[ctx->recent_next] = *a;
	ctx->recent_next = (ctx->recent_next + 1) % IKE_RECENT_PEERS;
}

bool ike_conn_known_peer(struct ike_ctx *ctx, const struct ip_addr *a)
{
	for (struct ike_conn *c = ctx->conns; c; c = c->next)
		if (ip_addr_equal(&c->cfg.remote_addr, a))
			return true;
	for (unsigned i = 0; i < IKE_RECENT_PEERS; i++)
		if (ip_addr_equal(&ctx->recent[i], a))
			return true;
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		if (sa->state != IKE_STATE_DEAD && sa->state != IKE_STATE_INIT_RESPONDED &&
		    ip_addr_equal(&sa->remote.addr, a))
			return true;
	return false;
}

/* ---- the peer keeps state we do not know ---- */

void ike_conn_peer_has_state(struct ike_ctx *ctx, const struct ike_endpoint *local,
                             const struct ike_endpoint *remote, const char *why)
{
	uint64_t now = ike_now(ctx);
	bool probed = false;
	char a[IP_ADDR_STRLEN];

	/* an IKE SA with the peer: is it (still) alive? A spoofed sign costs
	 * one liveness check at most every 2 s, never an SA */
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		if (live(sa) && ip_addr_equal(&sa->remote.addr, &remote->addr)) {
			if (sa->state == IKE_STATE_ESTABLISHED && ike_timers_probe(sa))
				sa_info(sa, "%s from the peer: liveness check", why);
			probed = true;
		}
	if (probed)
		return;
	/* none: we lost ours (a restart) while the peer kept its. Connections
	 * to that address whose children are meant to be up start again, so
	 * that INITIAL_CONTACT clears the peer's stale SAs now, not after its
	 * DPD gives up */
	ip_addr_fmt(&remote->addr, a);
	for (struct ike_conn *c = ctx->conns; c; c = c->next) {
		bool *want, any = false;
		if (ip_addr_is_zero(&c->cfg.remote_addr) || !ike_conn_matches(c, local, remote) ||
		    ike_conn_sa(ctx, c) || !c->cfg.nchildren)
			continue;
		if (c->lost_state_ms && now - c->lost_state_ms < LOST_STATE_MIN_MS)
			continue;
		want = calloc(c->cfg.nchildren, sizeof(*want));
		if (!want)
			return;
		for (unsigned i = 0; i < c->cfg.nchildren; i++) {
			const struct ike_child_cfg *cc = &c->cfg.children[i];
			want[i] = cc->start_action != IKE_ACTION_NONE || cc->dpd_action == IKE_ACTION_START;
			any |= want[i];
		}
		if (any) {
			c->lost_state_ms = now;
			log_info("ike: [%s] %s from %s, which has no IKE_SA with us: the peer kept state "
			         "we lost, initiating", c->cfg.name, why, a);
			start_children(ctx, c, want, false, 1);
		}
		free(want);
	}
}

void ike_conn_child_closed(struct ike_sa *sa, const struct ike_child_kept *cfg)
{
	struct ike_conn *conn = sa->conn;
	int i;

	if (!conn || cfg->close_action == IKE_ACTION_NONE)
		return;
	i = ike_child_cfg_index(sa, cfg->name);
	if (i < 0)
		return;
	/* up on another IKE SA (the old one of a reauthentication went) */
	if (child_active(sa->ctx, conn, (unsigned)i, sa))
		return;
	if (cfg->close_action == IKE_ACTION_TRAP) {
		sa_info(sa, "CHILD_SA %s closed by the peer: close_action trap", cfg->name);
		ike_child_trap(sa->ctx, conn, i, true);
	} else {
		sa_info(sa, "CHILD_SA %s closed by the peer: close_action start", cfg->name);
		ike_conn_initiate(sa->ctx, conn, i);
	}
}
