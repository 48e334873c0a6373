/* Connections: matching an incoming IKE SA to a loaded connection, the
 * connection's current IKE SA, initiating a CHILD SA (on that IKE SA or on
 * a new one) and the close_action. Starting an exchange here only queues
 * tasks; the front door (ike.c) runs them once the event at hand is
 * handled. Runs on the control loop. */
#include "ike/ike_conn.h"

#include <errno.h>
#include <string.h>

#include "ike/ike_child.h"
#include "ike/ike_ctx.h"
#include "ike/ike_mgr.h"
#include "ike/ike_sa.h"
#include "ike/ike_task.h"

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

struct ike_sa *ike_conn_sa(struct ike_ctx *ctx, const struct ike_conn *conn)
{
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		if (sa->conn == conn && sa->state != IKE_STATE_DEAD && sa->state != IKE_STATE_DELETING)
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

int ike_conn_initiate(struct ike_ctx *ctx, struct ike_conn *c, int idx)
{
	struct ike_sa *sa = ike_conn_sa(ctx, c);
	struct ip_addr local;
	int rc;

	if (sa) {
		/* the first CHILD SA comes with IKE_AUTH; others follow it */
		if (idx >= 0 && (sa->state == IKE_STATE_ESTABLISHED || sa->auth_child != idx))
			ike_mgr_queue(sa, IKE_TASK_CHILD_CREATE, (uint32_t)idx);
		return 0;
	}
	rc = local_addr_for(ctx, c, &local);
	if (rc)
		return rc;
	sa = ike_sa_new(ctx, c, true);
	if (!sa)
		return -ENOMEM;
	sa->local.addr = local;
	sa->local.port = c->cfg.local_port;
	sa->remote.addr = c->cfg.remote_addr;
	sa->remote.port = c->cfg.remote_port;
	sa->auth_child = idx;
	if (ike_mgr_queue(sa, IKE_TASK_IKE_INIT, 0) || ike_mgr_queue(sa, IKE_TASK_IKE_AUTH, 0)) {
		ike_sa_end(sa, IKE_END_INTERNAL);
		return -ENOMEM;
	}
	return 0;
}

void ike_conn_child_closed(struct ike_sa *sa, const struct ike_child_cfg *cfg)
{
	struct ike_conn *conn = sa->conn;
	int i;

	if (!conn || cfg->close_action == IKE_ACTION_NONE)
		return;
	i = ike_child_cfg_index(sa, cfg->name);
	if (i < 0)
		return;
	if (cfg->close_action == IKE_ACTION_TRAP) {
		sa_info(sa, "CHILD_SA %s closed by the peer: close_action trap", cfg->name);
		ike_child_trap(sa->ctx, conn, i, true);
	} else {
		sa_info(sa, "CHILD_SA %s closed by the peer: close_action start", cfg->name);
		ike_conn_initiate(sa->ctx, conn, i);
	}
}
