/* Virtual IPs in IKE_AUTH, both roles (see ike_vip.h). The gateway's
 * leases live in the context's pools (ike_pool.c), owned by the IKE SA's
 * unique id and listed in the SA (vip_remote, vip_pool) so that they go
 * offline when it ends; the client's addresses live in the SA
 * (vip_local) and reach the daemon through io->vip. Log lines follow
 * charon's ("peer requested virtual IP %any", "assigning virtual IP
 * 10.3.0.1 to peer 'carol'", "installing new virtual IP 10.3.0.1"). */
#include "ike/ike_vip.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ike/ike_ctx.h"
#include "ike/ike_pool.h"
#include "ike/ike_proto.h"
#include "ike/ike_sa.h"

static int fam_idx(int family)
{
	return family == AF_INET6 ? 1 : 0;
}

void ike_vip_request(const struct ike_sa *sa, struct ike_mb *mb)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	struct ike_cp cp = { .type = IKE_CFG_REQUEST };

	if (!cfg->nvips)
		return;
	for (unsigned i = 0; i < cfg->nvips && i < 2; i++) {
		int f = fam_idx(cfg->vip_family[i]);
		/* as charon: a specific address in the attribute, else an empty one */
		if (!ip_addr_is_zero(&cfg->vip_req[i]) && cp.naddrs < IKE_CP_ADDR_MAX) {
			cp.addrs[cp.naddrs].addr = cfg->vip_req[i];
			cp.addrs[cp.naddrs++].len = cfg->vip_family[i] == AF_INET ? 32 : 128;
		} else {
			cp.ask_addr[f] = 1;
		}
		cp.ask_dns[f] = 1;
	}
	/* a reauthentication (make-before-break) asks for the addresses the
	 * connection's other IKE SA has, as charon does, to keep them */
	for (const struct ike_sa *o = sa->ctx->sas; o; o = o->next)
		if (o != sa && o->conn == sa->conn && o->state == IKE_STATE_ESTABLISHED)
			for (unsigned i = 0; i < o->nvip_local && cp.naddrs < IKE_CP_ADDR_MAX; i++) {
				cp.addrs[cp.naddrs].addr = o->vip_local[i];
				cp.addrs[cp.naddrs++].len = o->vip_local[i].family == AF_INET ? 32 : 128;
			}
	ike_cp_put(mb, &cp);
	sa_debug(sa, "sending CFG_REQUEST for %u virtual IP(s)", cfg->nvips);
}

static struct ike_pool *pool_find(struct ike_ctx *ctx, const char *name)
{
	for (unsigned i = 0; i < ctx->npools; i++)
		if (!strcmp(ike_pool_cfg(ctx->pools[i])->name, name))
			return ctx->pools[i];
	return NULL;
}

/* The pool's attributes of family f into the reply (charon sends the
 * pool's attributes with each address it hands out). */
static void attrs_add(struct ike_cp *rep, const struct ike_pool_cfg *pc)
{
	for (unsigned i = 0; i < pc->ndns && rep->ndns < IKE_CP_LIST_MAX; i++)
		rep->dns[rep->ndns++] = pc->dns[i];
	for (unsigned i = 0; i < pc->nnbns && rep->nnbns < IKE_CP_LIST_MAX; i++)
		rep->nbns[rep->nnbns++] = pc->nbns[i];
	for (unsigned i = 0; i < pc->nsubnets && rep->nsubnets < IKE_CP_LIST_MAX; i++)
		rep->subnets[rep->nsubnets++] = pc->subnets[i];
}

/* One address of family for the peer, from the connection's pools in
 * order: 0, -ENOSPC (all exhausted), -ENOENT (no pool of the family). */
static int lease_one(struct ike_sa *sa, int family, const struct ip_addr *hint,
                     struct ike_cp *rep)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	char a[IP_ADDR_STRLEN], id[IKE_ID_MAX * 2 + 8];
	int rc = -ENOENT;

	for (unsigned i = 0; i < cfg->npools; i++) {
		struct ike_pool *p = pool_find(sa->ctx, cfg->pools[i]);
		struct ip_addr got;
		int r;

		if (!p) {
			sa_warn(sa, "pool '%s' is not loaded", cfg->pools[i]);
			continue;
		}
		r = ike_pool_acquire(p, family, ike_sa_peer_eap_id(sa), hint, sa->unique_id, &got);
		if (r == -EAFNOSUPPORT)
			continue;
		if (r == -ENOSPC) {
			sa_warn(sa, "pool '%s' is exhausted (%u addresses online)", cfg->pools[i],
			        ike_pool_online(p));
			rc = -ENOSPC;
			continue;
		}
		if (r)
			return r;
		sa_info(sa, "assigning virtual IP %s to peer '%s' from pool '%s'", ip_addr_fmt(&got, a),
		        ike_id_fmt(ike_sa_peer_eap_id(sa), id, sizeof(id)), cfg->pools[i]);
		unsigned k = sa->nvip_remote++;
		sa->vip_remote[k] = got;
		snprintf(sa->vip_pool[k], sizeof(sa->vip_pool[k]), "%s", cfg->pools[i]);
		rep->addrs[rep->naddrs].addr = got;
		rep->addrs[rep->naddrs].len = family == AF_INET ? 32 : 128;
		rep->naddrs++;
		attrs_add(rep, ike_pool_cfg(p));
		sa->ctx->stats.vips_leased++;
		return 0;
	}
	return rc;
}

bool ike_vip_assign(struct ike_sa *sa, const struct ike_cp *req, struct ike_mb *mb)
{
	struct ike_cp rep = { .type = IKE_CFG_REPLY };
	char id[IKE_ID_MAX * 2 + 8];
	bool asked = false;

	if (!req)
		return true;
	if (req->type != IKE_CFG_REQUEST) {
		sa_info(sa, "ignoring %s (only CFG_REQUEST is answered)", ike_cp_type_name(req->type));
		return true;
	}
	ike_id_fmt(ike_sa_peer_eap_id(sa), id, sizeof(id));
	for (int f = 0; f < 2 && sa->nvip_remote < 2; f++) {
		int family = f ? AF_INET6 : AF_INET;
		const struct ip_addr *hint = NULL;

		for (unsigned i = 0; i < req->naddrs; i++)
			if (req->addrs[i].addr.family == family)
				hint = &req->addrs[i].addr;
		if (!req->ask_addr[f] && !hint)
			continue;
		asked = true;
		sa_info(sa, "peer requested virtual IP %s",
		        hint ? ip_addr_fmt(hint, (char[IP_ADDR_STRLEN]){ 0 }) : f ? "%any6" : "%any");
		int rc = lease_one(sa, family, hint, &rep);
		if (rc == -ENOENT)
			sa_info(sa, "no virtual IP found for %s requested by '%s': no pool of the family",
			        f ? "%any6" : "%any", id);
		else if (rc)
			sa_warn(sa, "no virtual IP found for %s requested by '%s': %s", f ? "%any6" : "%any",
			        id, rc == -ENOSPC ? "pool exhausted" : "out of memory");
	}
	if (!asked)
		return true;
	if (!sa->nvip_remote) {
		sa->ctx->stats.vip_failures++;
		sa_warn(sa, "no virtual IP for peer '%s', sending INTERNAL_ADDRESS_FAILURE", id);
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INTERNAL_ADDRESS_FAILURE, NULL, 0);
		return false;
	}
	ike_cp_put(mb, &rep);
	return true;
}

bool ike_vip_received(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	const struct ike_pld *p = ike_msg_find(m, IKE_PLD_CP);
	char a[IP_ADDR_STRLEN], buf[512];
	struct ike_cp cp;

	if (!cfg->nvips)
		return true;
	if (ike_msg_find_notify(m, IKE_N_INTERNAL_ADDRESS_FAILURE)) {
		sa->ctx->stats.vip_failures++;
		sa_err(sa, "gateway sent INTERNAL_ADDRESS_FAILURE: no virtual IP for us");
		return false;
	}
	/* the message parser validated the payload already */
	if (!p || ike_cp_parse(p->body, p->len, &cp) || cp.type != IKE_CFG_REPLY) {
		sa->ctx->stats.vip_failures++;
		sa_err(sa, "virtual IP requested, but the gateway sent no CFG_REPLY");
		return false;
	}
	for (unsigned i = 0; i < cp.naddrs; i++) {
		int family = cp.addrs[i].addr.family;
		bool wanted = false, dup = false;

		for (unsigned k = 0; k < cfg->nvips; k++)
			wanted |= cfg->vip_family[k] == family;
		for (unsigned k = 0; k < sa->nvip_local; k++)
			dup |= sa->vip_local[k].family == family;
		if (!wanted || dup || sa->nvip_local >= 2 || ip_addr_is_zero(&cp.addrs[i].addr)) {
			sa_info(sa, "ignoring virtual IP %s (not asked for)",
			        ip_addr_fmt(&cp.addrs[i].addr, a));
			continue;
		}
		sa->vip_local[sa->nvip_local++] = cp.addrs[i].addr;
		sa->ctx->stats.vips_received++;
		sa_info(sa, "installing new virtual IP %s", ip_addr_fmt(&cp.addrs[i].addr, a));
	}
	if (!sa->nvip_local) {
		sa->ctx->stats.vip_failures++;
		sa_err(sa, "virtual IP requested, but the CFG_REPLY assigned none (%s)",
		       ike_cp_fmt(&cp, buf, sizeof(buf)));
		return false;
	}
	sa->ndns = 0;
	for (unsigned i = 0; i < cp.ndns && sa->ndns < sizeof(sa->dns) / sizeof(sa->dns[0]); i++) {
		sa->dns[sa->ndns++] = cp.dns[i];
		sa_info(sa, "received DNS server %s", ip_addr_fmt(&cp.dns[i], a));
	}
	if (cp.nsubnets || cp.nnbns)
		sa_info(sa, "CFG_REPLY: %s", ike_cp_fmt(&cp, buf, sizeof(buf)));
	if (sa->ctx->io.vip)
		for (unsigned k = 0; k < sa->nvip_local; k++)
			sa->ctx->io.vip(sa->ctx->io.ctx, true, cfg->name, &sa->vip_local[k], sa->dns,
			                sa->ndns);
	return true;
}

static void ts_all(struct ike_ts *ts, int family)
{
	memset(ts, 0, sizeof(*ts));
	ts->type = family == AF_INET ? IKE_TS_IPV4_ADDR_RANGE : IKE_TS_IPV6_ADDR_RANGE;
	ts->port_hi = 65535;
	ts->lo.family = ts->hi.family = (uint8_t)family;
	memset(ts->hi.a, 0xff, family == AF_INET ? 4 : 16);
}

bool ike_vip_ts(const struct ike_sa *sa, bool local, struct ike_ts_list *out)
{
	const struct ip_addr *v = local ? sa->vip_local : sa->vip_remote;
	unsigned n = local ? sa->nvip_local : sa->nvip_remote;

	out->n = 0;
	if (n) {
		for (unsigned i = 0; i < n; i++)
			ike_ts_from_addr(&out->ts[out->n++], &v[i]);
		return true;
	}
	/* a client that asks: any address of the family (the gateway
	 * narrows it to the one it assigns) */
	if (local && sa->initiator && sa->conn && sa->conn->cfg.nvips) {
		for (unsigned i = 0; i < sa->conn->cfg.nvips && i < 2; i++)
			ts_all(&out->ts[out->n++], sa->conn->cfg.vip_family[i]);
		return true;
	}
	return false;
}

/* A live IKE SA other than sa has a as its virtual IP (its successor
 * after a reauthentication). */
static bool vip_in_use(const struct ike_sa *sa, const struct ip_addr *a)
{
	for (const struct ike_sa *o = sa->ctx->sas; o; o = o->next)
		if (o != sa && o->state != IKE_STATE_DEAD)
			for (unsigned i = 0; i < o->nvip_local; i++)
				if (ip_addr_equal(&o->vip_local[i], a))
					return true;
	return false;
}

void ike_vip_release(struct ike_sa *sa)
{
	char a[IP_ADDR_STRLEN];

	for (unsigned i = 0; i < sa->nvip_remote; i++) {
		struct ike_pool *p = pool_find(sa->ctx, sa->vip_pool[i]);
		if (p && !ike_pool_release(p, &sa->vip_remote[i], sa->unique_id))
			sa_info(sa, "lease %s of pool '%s' released (kept for '%s')",
			        ip_addr_fmt(&sa->vip_remote[i], a), sa->vip_pool[i],
			        ike_id_fmt(ike_sa_peer_eap_id(sa), (char[IKE_ID_MAX * 2 + 8]){ 0 }, IKE_ID_MAX * 2 + 8));
	}
	sa->nvip_remote = 0;
	for (unsigned i = 0; i < sa->nvip_local; i++) {
		if (vip_in_use(sa, &sa->vip_local[i])) {
			sa_info(sa, "virtual IP %s stays: another IKE_SA has it",
			        ip_addr_fmt(&sa->vip_local[i], a));
			continue;
		}
		sa_info(sa, "removing virtual IP %s", ip_addr_fmt(&sa->vip_local[i], a));
		if (sa->ctx->io.vip)
			sa->ctx->io.vip(sa->ctx->io.ctx, false, sa->conn ? sa->conn->cfg.name : "-",
			                &sa->vip_local[i], sa->dns, sa->ndns);
	}
	sa->nvip_local = 0;
	sa->ndns = 0;
}

void ike_vip_move(struct ike_sa *to, struct ike_sa *from)
{
	for (unsigned i = 0; i < from->nvip_remote && to->nvip_remote < 2; i++) {
		struct ike_pool *p = pool_find(from->ctx, from->vip_pool[i]);
		if (p)
			ike_pool_reown(p, &from->vip_remote[i], from->unique_id, to->unique_id);
		to->vip_remote[to->nvip_remote] = from->vip_remote[i];
		memcpy(to->vip_pool[to->nvip_remote], from->vip_pool[i], sizeof(to->vip_pool[0]));
		to->nvip_remote++;
	}
	from->nvip_remote = 0;
	for (unsigned i = 0; i < from->nvip_local && to->nvip_local < 2; i++)
		to->vip_local[to->nvip_local++] = from->vip_local[i];
	from->nvip_local = 0;
	memcpy(to->dns, from->dns, sizeof(to->dns));
	to->ndns = from->ndns;
	from->ndns = 0;
}
