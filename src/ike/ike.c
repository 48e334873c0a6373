/* The IKE core's front door: the context, connections, the dispatch of
 * received messages (header checks, message ID window, response cache,
 * decryption, then the exchange's handler), the control commands
 * (initiate, terminate), xfrm events, timers and listings.
 * Everything runs on the control loop. */
#include "ike/ike.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/rand.h"
#include "ike/ike_auth.h"
#include "ike/ike_child.h"
#include "ike/ike_conn.h"
#include "ike/ike_ctx.h"
#include "ike/ike_info.h"
#include "ike/ike_init.h"
#include "ike/ike_rekey.h"
#include "ike/ike_sa.h"
#include "ike/ike_timers.h"
#include "util/mem.h"
#include "xfrm/sad.h"
#include "xfrm/xfrm.h"

struct ike_ctx *ike_ctx_new(const struct ike_io *io, struct sad *sad, struct spd *spd)
{
	struct ike_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	ctx->io = *io;
	ctx->sad = sad;
	ctx->spd = spd;
	ctx->next_reqid = 1;
	ctx->cookie_threshold = 10;
	ctx->half_open_max = 1000;
	if (crypto_rand(ctx->cookie_secret, sizeof(ctx->cookie_secret))) {
		free(ctx);
		return NULL;
	}
	return ctx;
}

static void reap(struct ike_ctx *ctx)
{
	struct ike_sa *sa = ctx->sas, *next;

	for (; sa; sa = next) {
		next = sa->next;
		if (sa->state == IKE_STATE_DEAD)
			ike_sa_destroy(sa);
	}
}

static void conn_free(struct ike_ctx *ctx, struct ike_conn *c)
{
	for (unsigned i = 0; i < c->cfg.nchildren; i++)
		if (c->trap_installed[i])
			ike_child_trap(ctx, c, (int)i, false);
	mem_free_wipe(c, sizeof(*c));
}

void ike_ctx_free(struct ike_ctx *ctx)
{
	if (!ctx)
		return;
	while (ctx->sas)
		ike_sa_destroy(ctx->sas);
	while (ctx->conns) {
		struct ike_conn *c = ctx->conns;
		ctx->conns = c->next;
		conn_free(ctx, c);
	}
	mem_free_wipe(ctx, sizeof(*ctx));
}

/* Send a Delete for an established IKE SA without waiting for the answer
 * (the SA is going away: shutdown, connection unloaded). */
static void delete_now(struct ike_sa *sa, const char *why)
{
	struct ike_mb mb;
	struct crypto_ike_keys k;

	if (sa->state != IKE_STATE_ESTABLISHED)
		return;
	/* past an outstanding request: the peer may drop it, but a reused ID
	 * would be taken for a retransmission */
	if (sa->req_pending)
		sa->msgid_out++;
	ike_sa_req_begin(sa, &mb, INFORMATIONAL, true);
	ike_pld_delete_put(&mb, IKE_PROTO_IKE, NULL, 0);
	ike_sa_keys_out(sa, &k);
	if (ike_mb_finish(&mb, &k) == 0)
		ike_sa_send_raw(sa, mb.p, mb.len);
	ike_mb_free(&mb);
	sa_info(sa, "%s: IKE_SA deleted", why);
}

void ike_ctx_shutdown(struct ike_ctx *ctx)
{
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		delete_now(sa, "shutting down");
}

void ike_ctx_set_cookie_threshold(struct ike_ctx *ctx, unsigned threshold, unsigned max)
{
	ctx->cookie_threshold = threshold;
	ctx->half_open_max = max;
}

const struct ike_stats *ike_ctx_stats(const struct ike_ctx *ctx)
{
	return &ctx->stats;
}

static struct ike_conn *conn_find(struct ike_ctx *ctx, const char *name)
{
	for (struct ike_conn *c = ctx->conns; c; c = c->next)
		if (!strcmp(c->cfg.name, name))
			return c;
	return NULL;
}

int ike_conn_add(struct ike_ctx *ctx, const struct ike_conn_cfg *cfg, char *err, size_t errlen)
{
	struct ike_conn *c, *old = conn_find(ctx, cfg->name);

	if (!cfg->name[0] || cfg->ike.n == 0 || cfg->psk_len == 0 ||
	    cfg->nchildren > IKE_CONN_MAX_CHILDREN) {
		snprintf(err, errlen, "connection '%s': needs a name, IKE proposals and a PSK",
		         cfg->name);
		return -EINVAL;
	}
	for (unsigned i = 0; i < cfg->nchildren; i++)
		if (cfg->children[i].esp.n == 0) {
			snprintf(err, errlen, "connection '%s' child '%s': no ESP proposals", cfg->name,
			         cfg->children[i].name);
			return -EINVAL;
		}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	if (!c->cfg.local_port)
		c->cfg.local_port = 500;
	if (!c->cfg.remote_port)
		c->cfg.remote_port = 500;
	for (unsigned i = 0; i < c->cfg.nchildren; i++) {
		struct ike_child_cfg *cc = &c->cfg.children[i];
		/* keep the reqid of a reloaded child so installed SAs match */
		if (!cc->reqid && old)
			for (unsigned k = 0; k < old->cfg.nchildren; k++)
				if (!strcmp(old->cfg.children[k].name, cc->name))
					cc->reqid = old->cfg.children[k].reqid;
		if (!cc->reqid)
			cc->reqid = ctx->next_reqid++;
		cc->mode = cc->transport ? XFRM_MODE_TRANSPORT : XFRM_MODE_TUNNEL;
	}
	if (old) {
		/* replace in place: SAs keep pointing at the same conn */
		for (unsigned i = 0; i < old->cfg.nchildren; i++)
			if (old->trap_installed[i])
				ike_child_trap(ctx, old, (int)i, false);
		c->next = old->next;
		memcpy(old, c, sizeof(*c));
		memset(old->trap_installed, 0, sizeof(old->trap_installed));
		mem_free_wipe(c, sizeof(*c));
		c = old;
	} else {
		c->next = ctx->conns;
		ctx->conns = c;
	}
	for (unsigned i = 0; i < c->cfg.nchildren; i++) {
		if (c->cfg.children[i].start_action == IKE_ACTION_TRAP)
			ike_child_trap(ctx, c, (int)i, true);
		else if (c->cfg.children[i].start_action == IKE_ACTION_START && !old)
			ike_initiate(ctx, c->cfg.children[i].name);
	}
	log_info("ike: loaded connection '%s' (%u children)", c->cfg.name, c->cfg.nchildren);
	return 0;
}

int ike_conn_del(struct ike_ctx *ctx, const char *name)
{
	for (struct ike_conn **pp = &ctx->conns; *pp; pp = &(*pp)->next) {
		struct ike_conn *c = *pp;
		if (strcmp(c->cfg.name, name))
			continue;
		for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
			if (sa->conn == c) {
				delete_now(sa, "connection unloaded");
				ike_sa_set_state(sa, IKE_STATE_DEAD);
				sa->conn = NULL;
			}
		reap(ctx);
		*pp = c->next;
		conn_free(ctx, c);
		return 0;
	}
	return -ENOENT;
}

unsigned ike_conn_names(struct ike_ctx *ctx, char names[][64], unsigned max)
{
	unsigned n = 0;

	for (struct ike_conn *c = ctx->conns; c && n < max; c = c->next)
		memcpy(names[n++], c->cfg.name, 64);
	return n;
}

/* Find the IKE SA a message belongs to. */
static struct ike_sa *sa_for(struct ike_ctx *ctx, const struct ike_hdr *h)
{
	if (h->exchange == IKE_SA_INIT && (h->flags & IKE_FLAG_RESPONSE)) {
		for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
			if (sa->initiator && sa->spi_i == h->spi_i && sa->state == IKE_STATE_INIT_SENT)
				return sa;
		return NULL;
	}
	return ike_sa_find(ctx, h->spi_i, h->spi_r);
}

static void dispatch(struct ike_ctx *ctx, const struct ike_endpoint *local,
                     const struct ike_endpoint *remote, struct ike_msg *m)
{
	const struct ike_hdr *h = &m->hdr;
	bool response = h->flags & IKE_FLAG_RESPONSE;
	struct ike_sa *sa;
	struct crypto_ike_keys k;
	int rc;

	if (h->exchange == IKE_SA_INIT && !response) {
		if (h->spi_r != 0 || h->msgid != 0 || !(h->flags & IKE_FLAG_INITIATOR)) {
			ctx->stats.drop_malformed++;
			return;
		}
		if (m->unsupported_critical) {
			ctx->stats.unsupported_critical++;
			uint8_t t = m->unsupported_critical;
			ike_send_notify_plain(ctx, local, remote, h, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD,
			                      &t, 1);
			return;
		}
		ike_init_handle_request(ctx, local, remote, m);
		return;
	}
	sa = sa_for(ctx, h);
	if (!sa) {
		ctx->stats.drop_no_sa++;
		log_debug_rl("ike: message for unknown SPIs %016llx_i %016llx_r dropped",
		             (unsigned long long)h->spi_i, (unsigned long long)h->spi_r);
		return;
	}
	/* the I flag names the original initiator as the sender */
	if (!!(h->flags & IKE_FLAG_INITIATOR) == sa->initiator) {
		ctx->stats.drop_unexpected++;
		return;
	}
	if (response) {
		if (!sa->req_pending || h->msgid != sa->msgid_out) {
			ctx->stats.drop_msgid++;
			return;
		}
	} else {
		if (sa->resp_buf && h->msgid + 1 == sa->msgid_in) {
			/* RFC 7296 2.1: a retransmitted request gets the same response */
			ctx->stats.resent_responses++;
			sa_debug(sa, "retransmitted request %u, resending response", h->msgid);
			ike_sa_send_raw(sa, sa->resp_buf, sa->resp_len);
			return;
		}
		if (h->msgid != sa->msgid_in) {
			ctx->stats.drop_msgid++;
			return;
		}
	}
	if (h->exchange == IKE_SA_INIT) {
		ike_init_handle_response(sa, m);
		return;
	}
	/* everything after IKE_SA_INIT is protected (RFC 7296 3.14) */
	if (!sa->keys_ready || !m->has_sk) {
		ctx->stats.drop_unprotected++;
		sa_debug(sa, "unprotected %s dropped", response ? "response" : "request");
		return;
	}
	ike_sa_keys_in(sa, &k);
	rc = ike_msg_decrypt(m, &k);
	if (rc) {
		if (rc == -EBADMSG)
			ctx->stats.drop_icv++;
		else
			ctx->stats.drop_malformed++;
		sa_debug(sa, "message %u failed integrity or decryption, dropped", h->msgid);
		return;
	}
	sa->last_rx_ms = ike_now(ctx);
	/* follow the peer to its new address/port (NAT-T, RFC 7296 2.23) */
	if (!response && (!ip_addr_equal(&sa->remote.addr, &remote->addr) ||
	                  sa->remote.port != remote->port || sa->local.port != local->port)) {
		sa_debug(sa, "peer now at %s[%u]", ip_addr_fmt(&remote->addr, (char[IP_ADDR_STRLEN]){ 0 }),
		         remote->port);
		sa->remote = *remote;
		sa->local = *local;
		sa->natt = local->port == IKE_NATT_PORT;
	}
	if (m->unsupported_critical && !response) {
		uint8_t t = m->unsupported_critical;
		ctx->stats.unsupported_critical++;
		sa->msgid_in++;
		ike_sa_resp_notify(sa, m, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, &t, 1);
		return;
	}
	if (response) {
		ike_timers_response_received(sa);
		sa->msgid_out++;
		switch (h->exchange) {
		case IKE_AUTH: ike_auth_handle_response(sa, m); break;
		case CREATE_CHILD_SA:
			if (sa->req_task == TASK_IKE_REKEY)
				ike_rekey_handle_response(sa, m);
			else
				ike_child_handle_response(sa, m);
			break;
		case INFORMATIONAL: ike_info_handle_response(sa, m); break;
		default: ctx->stats.drop_unexpected++; break;
		}
	} else {
		sa->msgid_in++;
		switch (h->exchange) {
		case IKE_AUTH: ike_auth_handle_request(sa, m); break;
		case CREATE_CHILD_SA: ike_child_handle_request(sa, m); break;
		case INFORMATIONAL: ike_info_handle_request(sa, m); break;
		default:
			ctx->stats.drop_unexpected++;
			sa->msgid_in--;
			break;
		}
	}
	if (sa->state != IKE_STATE_DEAD)
		ike_sa_run_tasks(sa);
}

void ike_input(struct ike_ctx *ctx, const struct ike_endpoint *local,
               const struct ike_endpoint *remote, const uint8_t *msg, size_t len)
{
	struct ike_msg m;
	int rc;

	ctx->stats.rx++;
	rc = ike_msg_parse(msg, len, &m);
	if (rc) {
		ctx->stats.drop_malformed++;
		log_debug_rl("ike: malformed message from %s dropped (%s)",
		             ip_addr_fmt(&remote->addr, (char[IP_ADDR_STRLEN]){ 0 }), strerror(-rc));
		return;
	}
	dispatch(ctx, local, remote, &m);
	ike_msg_clear(&m);
	reap(ctx);
}

static struct ike_sa *sa_of_conn(struct ike_ctx *ctx, struct ike_conn *c)
{
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		if (sa->conn == c && sa->state != IKE_STATE_DEAD && sa->state != IKE_STATE_DELETING)
			return sa;
	return NULL;
}

static int initiate_child(struct ike_ctx *ctx, struct ike_conn *c, int idx)
{
	struct ike_sa *sa = sa_of_conn(ctx, c);

	if (sa) {
		if (sa->state == IKE_STATE_ESTABLISHED || sa->auth_child != idx)
			ike_sa_queue(sa, TASK_CHILD_CREATE, (uint32_t)idx);
		return 0;
	}
	struct ip_addr local = c->cfg.local_addr;
	char a[IP_ADDR_STRLEN];
	if (ip_addr_is_zero(&c->cfg.remote_addr) ||
	    (ip_addr_is_zero(&local) && !ctx->io.route_src)) {
		log_warn("ike: cannot initiate '%s': set one remote_addrs address%s", c->cfg.name,
		         ip_addr_is_zero(&c->cfg.remote_addr) ? "" : " and one local_addrs address");
		return -EDESTADDRREQ;
	}
	if (ip_addr_is_zero(&local)) {
		/* local_addrs = %any: where the routing sends our packets from */
		int rc = ctx->io.route_src(ctx->io.ctx, &c->cfg.remote_addr, &local);
		if (rc || ip_addr_is_zero(&local) || local.family != c->cfg.remote_addr.family) {
			log_warn("ike: cannot initiate '%s': no source address to reach %s: %s",
			         c->cfg.name, ip_addr_fmt(&c->cfg.remote_addr, a),
			         strerror(rc ? -rc : EADDRNOTAVAIL));
			return rc ? rc : -EADDRNOTAVAIL;
		}
		log_info("ike: '%s': local_addrs %%any, reaching %s from %s", c->cfg.name,
		         ip_addr_fmt(&c->cfg.remote_addr, a), ip_addr_fmt(&local, (char[IP_ADDR_STRLEN]){ 0 }));
	}
	sa = ike_sa_new(ctx, c, true);
	if (!sa)
		return -ENOMEM;
	sa->local.addr = local;
	sa->local.port = c->cfg.local_port;
	sa->remote.addr = c->cfg.remote_addr;
	sa->remote.port = c->cfg.remote_port;
	sa->auth_child = idx;
	int rc = ike_init_start(sa);
	if (rc)
		ike_sa_set_state(sa, IKE_STATE_DEAD);
	/* No reap here: we may be called from inside another SA's handler
	 * (close_action start), which must not see its SA freed under it.
	 * ike_input() and ike_tick() reap dead SAs on their way out. */
	return rc;
}

int ike_initiate(struct ike_ctx *ctx, const char *name)
{
	int rc = -ENOENT;

	for (struct ike_conn *c = ctx->conns; c; c = c->next) {
		bool whole = !strcmp(c->cfg.name, name);
		for (unsigned i = 0; i < c->cfg.nchildren; i++)
			if (whole || !strcmp(c->cfg.children[i].name, name)) {
				rc = initiate_child(ctx, c, (int)i);
				if (rc)
					return rc;
			}
		if (whole && c->cfg.nchildren == 0)
			rc = initiate_child(ctx, c, -1);
	}
	return rc;
}

int ike_terminate_ike(struct ike_ctx *ctx, const char *name)
{
	struct ike_conn *c = conn_find(ctx, name);
	int n = 0;

	if (!c)
		return -ENOENT;
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next) {
		if (sa->conn != c)
			continue;
		n++;
		if (sa->state == IKE_STATE_ESTABLISHED)
			ike_sa_queue(sa, TASK_IKE_DELETE, 0);
		else if (sa->state != IKE_STATE_DELETING)
			ike_sa_set_state(sa, IKE_STATE_DEAD);
	}
	reap(ctx);
	return n ? 0 : -ENOENT;
}

int ike_terminate_child(struct ike_ctx *ctx, const char *name)
{
	int n = 0;

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		for (struct ike_child_sa *c = sa->children; c; c = c->next)
			if (!strcmp(c->cfg.name, name) && c->state == CHILD_INSTALLED) {
				ike_sa_queue(sa, TASK_CHILD_DELETE, c->spi_in);
				n++;
			}
	return n ? 0 : -ENOENT;
}

void ike_tick(struct ike_ctx *ctx)
{
	uint64_t now = ike_now(ctx);

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		ike_timers_run(sa, now);
	reap(ctx);
}

uint64_t ike_next_timer(struct ike_ctx *ctx)
{
	uint64_t next = UINT64_MAX;

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next) {
		uint64_t t = ike_timers_next(sa);
		if (t < next)
			next = t;
	}
	return next;
}

void ike_acquire(struct ike_ctx *ctx, uint32_t reqid)
{
	for (struct ike_conn *c = ctx->conns; c; c = c->next)
		for (unsigned i = 0; i < c->cfg.nchildren; i++) {
			if (c->cfg.children[i].reqid != reqid)
				continue;
			/* already being negotiated? */
			struct ike_sa *sa = sa_of_conn(ctx, c);
			if (sa) {
				for (struct ike_child_sa *x = sa->children; x; x = x->next)
					if (x->cfg.reqid == reqid)
						return;
				if (sa->state != IKE_STATE_ESTABLISHED && sa->auth_child == (int)i)
					return;
			}
			log_info("ike: acquire for reqid %u: initiating %s", reqid,
			         c->cfg.children[i].name);
			initiate_child(ctx, c, (int)i);
			return;
		}
}

void ike_expire(struct ike_ctx *ctx, const struct sad_sa *st, bool hard)
{
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		for (struct ike_child_sa *c = sa->children; c; c = c->next) {
			if (c->state != CHILD_INSTALLED || (c->spi_in != st->spi && c->spi_out != st->spi))
				continue;
			if (sa->state != IKE_STATE_ESTABLISHED)
				return;
			if (hard) {
				sa_info(sa, "CHILD_SA %s (SPI %08x) hard expired", c->cfg.name, c->spi_in);
				ike_sa_queue(sa, TASK_CHILD_DELETE, c->spi_in);
			} else {
				/* both states of a child expire: rekey once */
				for (struct ike_child_sa *x = sa->children; x; x = x->next)
					if (x->rekeyed_spi == c->spi_in)
						return;
				ike_sa_queue(sa, TASK_CHILD_REKEY, c->spi_in);
			}
			return;
		}
}

const char *ike_conn_state(struct ike_ctx *ctx, const char *name)
{
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		if (sa->conn && !strcmp(sa->conn->cfg.name, name))
			return ike_state_name(sa->state);
	return "NONE";
}

unsigned ike_sa_count(const struct ike_ctx *ctx)
{
	unsigned n = 0;

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		n++;
	return n;
}

unsigned ike_child_count(const struct ike_ctx *ctx)
{
	unsigned n = 0;

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		for (struct ike_child_sa *c = sa->children; c; c = c->next)
			n += c->state == CHILD_INSTALLED;
	return n;
}

void ike_list_conns(struct ike_ctx *ctx, FILE *out)
{
	char a[IP_ADDR_STRLEN], b[IP_ADDR_STRLEN], buf[1024], id1[600], id2[600];

	for (struct ike_conn *c = ctx->conns; c; c = c->next) {
		const struct ike_conn_cfg *cf = &c->cfg;
		fprintf(out, "%s: IKEv2, %s[%u]...%s[%u]\n", cf->name, ip_addr_fmt(&cf->local_addr, a),
		        cf->local_port, ip_addr_is_zero(&cf->remote_addr) ? "%any" :
		        ip_addr_fmt(&cf->remote_addr, b), cf->remote_port);
		fprintf(out, "  proposals: %s\n", ike_proposals_fmt(&cf->ike, buf, sizeof(buf)));
		fprintf(out, "  local:  psk, id %s\n", ike_id_fmt(&cf->local_id, id1, sizeof(id1)));
		fprintf(out, "  remote: psk, id %s\n", ike_id_fmt(&cf->remote_id, id2, sizeof(id2)));
		for (unsigned i = 0; i < cf->nchildren; i++) {
			const struct ike_child_cfg *cc = &cf->children[i];
			struct ike_ts_list l = cc->local_ts, r = cc->remote_ts;
			fprintf(out, "  %s: %s, reqid %u, start_action %s\n", cc->name,
			        cc->mode == XFRM_MODE_TRANSPORT ? "TRANSPORT" : "TUNNEL", cc->reqid,
			        cc->start_action == IKE_ACTION_TRAP ? "trap" :
			        cc->start_action == IKE_ACTION_START ? "start" : "none");
			fprintf(out, "    esp proposals: %s\n", ike_proposals_fmt(&cc->esp, buf, sizeof(buf)));
			fprintf(out, "    local:  %s\n", l.n ? ike_ts_list_fmt(&l, id1, sizeof(id1)) : "dynamic");
			fprintf(out, "    remote: %s\n", r.n ? ike_ts_list_fmt(&r, id2, sizeof(id2)) : "dynamic");
		}
	}
}

static void child_counters(struct ike_ctx *ctx, const struct ip_addr *d, uint32_t spi,
                           uint64_t *bytes, uint64_t *pkts)
{
	struct sad_sa *st = sad_lookup(ctx->sad, d, spi, IPPROTO_ESP_);

	*bytes = st ? st->curlft.bytes : 0;
	*pkts = st ? st->curlft.packets : 0;
}

void ike_list_sas(struct ike_ctx *ctx, FILE *out)
{
	char a[IP_ADDR_STRLEN], b[IP_ADDR_STRLEN], buf[512], id1[600], id2[600];
	uint64_t now = ike_now(ctx);

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next) {
		struct ike_id me = sa->conn ? sa->conn->cfg.local_id : (struct ike_id){ 0 };
		fprintf(out, "%s: %s, IKEv2, %016llx_i%s %016llx_r%s\n",
		        sa->conn ? sa->conn->cfg.name : "-", ike_state_name(sa->state),
		        (unsigned long long)sa->spi_i, sa->initiator ? "*" : "",
		        (unsigned long long)sa->spi_r, sa->initiator ? "" : "*");
		fprintf(out, "  local  '%s' @ %s[%u]%s\n", ike_id_fmt(&me, id1, sizeof(id1)),
		        ip_addr_fmt(&sa->local.addr, a), sa->local.port, sa->nat_local ? " (behind NAT)" : "");
		fprintf(out, "  remote '%s' @ %s[%u]%s\n", ike_id_fmt(&sa->peer_id, id2, sizeof(id2)),
		        ip_addr_fmt(&sa->remote.addr, b), sa->remote.port,
		        sa->nat_remote ? " (behind NAT)" : "");
		if (sa->keys_ready)
			fprintf(out, "  %s\n", ike_proposal_fmt(&sa->prop, buf, sizeof(buf)));
		if (sa->state == IKE_STATE_ESTABLISHED) {
			fprintf(out, "  established %llus ago",
			        (unsigned long long)((now - sa->established_ms) / 1000));
			if (sa->conn && sa->conn->cfg.rekey_time && !sa->rekeyed) {
				int64_t left = (int64_t)(sa->established_ms + sa->conn->cfg.rekey_time * 1000ull) -
				               (int64_t)now;
				fprintf(out, ", rekeying in %llds", (long long)(left > 0 ? left / 1000 : 0));
			}
			fputc('\n', out);
		}
		for (struct ike_child_sa *c = sa->children; c; c = c->next) {
			uint64_t bi, pi, bo, po;
			child_counters(ctx, &c->local.addr, c->spi_in, &bi, &pi);
			child_counters(ctx, &c->remote.addr, c->spi_out, &bo, &po);
			fprintf(out, "  %s: %s, reqid %u, %s%s, ESP:%s\n", c->cfg.name,
			        c->state == CHILD_INSTALLED ? "INSTALLED" :
			        c->state == CHILD_CREATING ? "CREATING" : "DELETING", c->cfg.reqid,
			        c->cfg.mode == XFRM_MODE_TRANSPORT ? "TRANSPORT" : "TUNNEL",
			        c->encap ? "-in-UDP" : "", ike_proposal_fmt(&c->prop, buf, sizeof(buf)));
			if (c->state != CHILD_INSTALLED)
				continue;
			fprintf(out, "    installed %llus ago", (unsigned long long)((now - c->installed_ms) / 1000));
			if (c->rekey_ms)
				fprintf(out, ", rekeying in %llds", (long long)((int64_t)(c->rekey_ms - now) / 1000));
			fprintf(out, "\n    in  %08x, %llu bytes, %llu packets\n", c->spi_in,
			        (unsigned long long)bi, (unsigned long long)pi);
			fprintf(out, "    out %08x, %llu bytes, %llu packets\n", c->spi_out,
			        (unsigned long long)bo, (unsigned long long)po);
			fprintf(out, "    local  %s\n", ike_ts_list_fmt(&c->ts_local, id1, sizeof(id1)));
			fprintf(out, "    remote %s\n", ike_ts_list_fmt(&c->ts_remote, id2, sizeof(id2)));
		}
	}
}
