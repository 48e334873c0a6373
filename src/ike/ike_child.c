/* CHILD SAs: traffic selectors and their narrowing (RFC 7296 2.9), keying
 * material (2.17), installation into the data plane through the backend
 * interface (the only place IKE touches it, like charon's kernel
 * interface), the end of a CHILD SA with its reason, and trap policies.
 * Runs on the control loop. */
#define LOG_SUBSYS LOG_SUB_CHD   /* log lines: CHILD_SAs */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_child.h"
#include "ike/ike_conn.h"
#include "ike/ike_ctx.h"
#include "ike/ike_kdf.h"
#include "ike/ike_pld.h"
#include "ike/ike_sa.h"
#include "ike/ike_vip.h"
#include "ike/ike_timers.h"
#include "util/bytes.h"
#include "util/mem.h"
#include "xfrm/backend.h"

#define SPI_LO 0xc0000000u
#define SPI_HI 0xcfffffffu

struct ike_child_sa *ike_child_find_in(struct ike_sa *sa, uint32_t spi_in)
{
	for (struct ike_child_sa *c = sa->children; c; c = c->next)
		if (c->spi_in == spi_in)
			return c;
	return NULL;
}

struct ike_child_sa *ike_child_find_out(struct ike_sa *sa, uint32_t spi_out)
{
	for (struct ike_child_sa *c = sa->children; c; c = c->next)
		if (c->spi_out == spi_out)
			return c;
	return NULL;
}

struct ike_child_sa *ike_child_new(struct ike_sa *sa, const struct ike_child_cfg *cfg)
{
	struct ike_child_sa *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->neg = malloc(sizeof(*c->neg));
	if (!c->neg) {
		free(c);
		return NULL;
	}
	*c->neg = *cfg;
	c->installed_ms = ike_now(sa->ctx);   /* made; installed: ike_timers_child_installed */
	snprintf(c->cfg.name, sizeof(c->cfg.name), "%s", cfg->name);
	c->cfg.reqid = cfg->reqid;
	c->cfg.mode = cfg->mode;
	c->cfg.start_action = cfg->start_action;
	c->cfg.close_action = cfg->close_action;
	c->cfg.dpd_action = cfg->dpd_action;
	c->unique_id = ++sa->ctx->next_child_id;
	c->state = CHILD_CREATING;
	c->next = sa->children;
	sa->children = c;
	return c;
}

void ike_child_ts_local(const struct ike_sa *sa, const struct ike_child_cfg *cfg,
                        struct ike_ts_list *out)
{
	if (cfg->local_ts.n) {
		*out = cfg->local_ts;
		return;
	}
	if (ike_vip_ts(sa, true, out))
		return;
	out->n = 1;
	ike_ts_from_addr(&out->ts[0], &sa->local.addr);
}

void ike_child_ts_remote(const struct ike_sa *sa, const struct ike_child_cfg *cfg,
                         struct ike_ts_list *out)
{
	if (cfg->remote_ts.n) {
		*out = cfg->remote_ts;
		return;
	}
	if (ike_vip_ts(sa, false, out))
		return;
	out->n = 1;
	ike_ts_from_addr(&out->ts[0], &sa->remote.addr);
}

bool ike_child_narrow(const struct ike_ts_list *theirs, const struct ike_ts_list *ours,
                      struct ike_ts_list *out)
{
	out->n = 0;
	for (unsigned i = 0; i < theirs->n; i++)
		for (unsigned j = 0; j < ours->n && out->n < IKE_TS_MAX; j++) {
			struct ike_ts t;
			if (!ike_ts_intersect(&theirs->ts[i], &ours->ts[j], &t))
				continue;
			bool dup = false;
			for (unsigned k = 0; k < out->n; k++)
				if (!memcmp(&out->ts[k], &t, sizeof(t)))
					dup = true;
			if (!dup)
				out->ts[out->n++] = t;
		}
	return out->n > 0;
}

int ike_child_cfg_select(const struct ike_sa *sa, const struct ike_ts_list *tsi,
                         const struct ike_ts_list *tsr)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	struct ike_ts_list l, r, tmp;

	for (unsigned i = 0; i < cfg->nchildren; i++) {
		ike_child_ts_local(sa, &cfg->children[i], &l);
		ike_child_ts_remote(sa, &cfg->children[i], &r);
		/* TSi is the initiator's (= peer's) side */
		if (ike_child_narrow(tsi, &r, &tmp) && ike_child_narrow(tsr, &l, &tmp))
			return (int)i;
	}
	return -1;
}

int ike_child_cfg_index(const struct ike_sa *sa, const char *name)
{
	if (!sa->conn)
		return -1;
	for (unsigned i = 0; i < sa->conn->cfg.nchildren; i++)
		if (!strcmp(sa->conn->cfg.children[i].name, name))
			return (int)i;
	return -1;
}

int ike_child_alloc_spi(struct ike_sa *sa, uint32_t *spi)
{
	return xfrm_backend_alloc_spi(sa->ctx->be, &sa->local.addr, IPPROTO_ESP_, SPI_LO, SPI_HI,
	                              spi);
}

/* ESP algorithm names as ip xfrm spells them, and key lengths. */
static int esp_algs(const struct ike_proposal *p, struct xfrm_algo *aead, struct xfrm_algo *enc,
                    struct xfrm_algo *auth, size_t *elen, size_t *alen)
{
	uint16_t kl;
	uint16_t e = ike_proposal_get(p, IKE_TRANS_ENCR, &kl);
	uint16_t a = ike_proposal_get(p, IKE_TRANS_INTEG, NULL);

	memset(aead, 0, sizeof(*aead));
	memset(enc, 0, sizeof(*enc));
	memset(auth, 0, sizeof(*auth));
	*alen = 0;
	switch (e) {
	case 20:
		snprintf(aead->name, sizeof(aead->name), "rfc4106(gcm(aes))");
		aead->icv_bits = 128;
		*elen = kl / 8 + 4;
		return 0;
	case 28:
		snprintf(aead->name, sizeof(aead->name), "rfc7539esp(chacha20,poly1305)");
		aead->icv_bits = 128;
		*elen = 36;
		return 0;
	case 12:
		snprintf(enc->name, sizeof(enc->name), "cbc(aes)");
		*elen = kl / 8;
		break;
	default:
		return -EINVAL;
	}
	switch (a) {
	case 12: snprintf(auth->name, sizeof(auth->name), "hmac(sha256)"); auth->icv_bits = 128; *alen = 32; break;
	case 13: snprintf(auth->name, sizeof(auth->name), "hmac(sha384)"); auth->icv_bits = 192; *alen = 48; break;
	case 14: snprintf(auth->name, sizeof(auth->name), "hmac(sha512)"); auth->icv_bits = 256; *alen = 64; break;
	default: return -EINVAL;
	}
	return 0;
}

static void set_keys(struct xfrm_sa_req *st, const uint8_t *k, size_t elen, size_t alen)
{
	if (st->aead.name[0]) {
		memcpy(st->aead.key, k, elen);
		st->aead.key_len = (uint16_t)elen;
	} else {
		memcpy(st->enc.key, k, elen);
		st->enc.key_len = (uint16_t)elen;
		memcpy(st->auth.key, k + elen, alen);
		st->auth.key_len = (uint16_t)alen;
	}
}

static void sel_from(struct xfrm_selector *sel, const struct ike_ts *src, const struct ike_ts *dst)
{
	memset(sel, 0, sizeof(*sel));
	ike_ts_to_prefix(src, &sel->saddr, &sel->prefixlen_s);
	ike_ts_to_prefix(dst, &sel->daddr, &sel->prefixlen_d);
	sel->family = src->lo.family;
	sel->proto = src->proto ? src->proto : dst->proto;
	if (src->port_lo == src->port_hi) {
		sel->sport = src->port_lo;
		sel->sport_mask = 0xffff;
	}
	if (dst->port_lo == dst->port_hi) {
		sel->dport = dst->port_lo;
		sel->dport_mask = 0xffff;
	}
}

/* In, out and fwd policies for every pair of local/remote selectors. */
static void policies(struct ike_ctx *ctx, const struct ike_ts_list *l, const struct ike_ts_list *r,
                     const struct ip_addr *laddr, const struct ip_addr *raddr, uint8_t mode,
                     uint32_t reqid, bool install)
{
	for (unsigned i = 0; i < l->n; i++)
		for (unsigned j = 0; j < r->n; j++) {
			if (l->ts[i].type != r->ts[j].type)
				continue;
			for (int dir = 0; dir < XFRM_POLICY_MAX; dir++) {
				struct xfrm_policy_req pol;
				bool out = dir == XFRM_POLICY_OUT;
				memset(&pol, 0, sizeof(pol));
				if (out)
					sel_from(&pol.sel, &l->ts[i], &r->ts[j]);
				else
					sel_from(&pol.sel, &r->ts[j], &l->ts[i]);
				if (!install) {
					xfrm_backend_del_policy(ctx->be, &pol.sel, (uint8_t)dir);
					continue;
				}
				pol.dir = (uint8_t)dir;
				pol.action = XFRM_POLICY_ALLOW;
				/* more specific selectors first, like charon */
				pol.priority = 2000u - pol.sel.prefixlen_s - pol.sel.prefixlen_d;
				pol.has_tmpl = true;
				pol.tmpl.proto = IPPROTO_ESP_;
				pol.tmpl.mode = mode;
				pol.tmpl.reqid = reqid;
				if (mode == XFRM_MODE_TUNNEL) {
					pol.tmpl.saddr = out ? *laddr : *raddr;
					pol.tmpl.daddr = out ? *raddr : *laddr;
				}
				int rc = xfrm_backend_update_policy(ctx->be, &pol);
				if (rc)
					log_warn("ike: cannot install %s policy (reqid %u): %s",
					         dir == 0 ? "in" : out ? "out" : "fwd", reqid, strerror(-rc));
			}
		}
}

void ike_child_trap(struct ike_ctx *ctx, struct ike_conn *conn, int i, bool install)
{
	const struct ike_child_cfg *cc = &conn->cfg.children[i];
	struct ike_ts_list l = cc->local_ts, r = cc->remote_ts;
	struct ip_addr laddr = conn->cfg.local_addr;
	char a[IP_ADDR_STRLEN];

	if (!r.n && ip_addr_is_zero(&conn->cfg.remote_addr))
		return;
	if (!install) {
		if (!conn->child[i].trap_installed)
			return;
		laddr = conn->child[i].trap_local;
	} else if (ip_addr_is_zero(&laddr) && !ip_addr_is_zero(&conn->cfg.remote_addr)) {
		/* local_addrs = %any: the address we would initiate from */
		int rc = ctx->io.route_src ? ctx->io.route_src(ctx->io.ctx, &conn->cfg.remote_addr, &laddr)
		                           : -EDESTADDRREQ;
		if (rc || laddr.family != conn->cfg.remote_addr.family) {
			log_warn("ike: no trap policies for '%s': no source address to reach %s",
			         cc->name, ip_addr_fmt(&conn->cfg.remote_addr, a));
			return;
		}
	}
	if (!l.n) {
		l.n = 1;
		ike_ts_from_addr(&l.ts[0], &laddr);
	}
	if (!r.n) {
		r.n = 1;
		ike_ts_from_addr(&r.ts[0], &conn->cfg.remote_addr);
	}
	policies(ctx, &l, &r, &laddr, &conn->cfg.remote_addr, cc->mode, cc->reqid, install);
	conn->child[i].trap_installed = install;
	conn->child[i].trap_local = laddr;
}

/* The hold trap of a restart (ike_conn.c dpd_action) has done its work
 * once c, of the same child config, is installed: the policies are c's
 * now if its selectors are the config's (the trap's), else the trap's
 * own go. */
static void hold_done(struct ike_sa *sa, const struct ike_child_sa *c)
{
	int i = sa->conn ? ike_child_cfg_index(sa, c->cfg.name) : -1;
	struct ike_conn_child *cc;
	char t1[256], t2[256];

	if (i < 0 || !sa->conn->child[i].trap_hold)
		return;
	cc = &sa->conn->child[i];
	const struct ike_child_cfg *cfg = &sa->conn->cfg.children[i];
	bool same = cfg->local_ts.n && cfg->remote_ts.n &&
	            !strcmp(ike_ts_list_fmt(&cfg->local_ts, t1, sizeof(t1)),
	                    ike_ts_list_fmt(&c->ts_local, t2, sizeof(t2))) &&
	            !strcmp(ike_ts_list_fmt(&cfg->remote_ts, t1, sizeof(t1)),
	                    ike_ts_list_fmt(&c->ts_remote, t2, sizeof(t2))) &&
	            ip_addr_equal(&cc->trap_local, &sa->local.addr) &&
	            ip_addr_equal(&sa->conn->cfg.remote_addr, &sa->remote.addr);
	cc->trap_hold = false;
	if (same)
		cc->trap_installed = false;   /* the same policies, c's now */
	else
		ike_child_trap(sa->ctx, sa->conn, i, false);
	sa_debug(sa, "CHILD_SA %s: restarted, the policies that held its traffic %s", c->cfg.name,
	         same ? "are its own now" : "removed");
}

/* io->child_up for an installed c (its negotiated config still there). */
static void child_up(struct ike_sa *sa, struct ike_child_sa *c)
{
	struct ike_ctx *ctx = sa->ctx;
	char lid[IKE_ID_STRLEN], rid[IKE_ID_STRLEN], eid[IKE_ID_STRLEN];

	if (!ctx->io.child_up)
		return;
	struct ike_id me = sa->conn ? sa->conn->cfg.local_id : (struct ike_id){ 0 };
	struct ike_child_up_event ev = {
		.conn = sa->conn ? sa->conn->cfg.name : "-", .child = c->cfg.name,
		.updown = c->neg ? c->neg->updown : "", .hostaccess = c->neg && c->neg->hostaccess,
		.ike_unique_id = sa->unique_id, .unique_id = c->unique_id, .reqid = c->cfg.reqid,
		.spi_in = c->spi_in, .spi_out = c->spi_out, .rekeyed_spi = c->rekeyed_spi,
		.transport = c->cfg.mode == XFRM_MODE_TRANSPORT, .encap = c->encap,
		.local = c->local, .remote = c->remote,
		.local_id = ike_id_fmt(&me, lid, sizeof(lid)),
		.remote_id = ike_id_fmt(&sa->peer_id, rid, sizeof(rid)),
		/* charon's PLUTO_XAUTH_ID: whenever the peer authenticated with EAP */
		.remote_eap_id = sa->peer_eap_id ? ike_id_fmt(sa->peer_eap_id, eid, sizeof(eid)) : NULL,
		.ts_local = &c->ts_local, .ts_remote = &c->ts_remote,
		.vip_local = sa->vip_local, .nvip_local = sa->nvip_local,
		.vip_remote = sa->vip_remote, .nvip_remote = sa->nvip_remote,
		.dns = sa->dns, .ndns = sa->ndns,
	};
	ctx->io.child_up(ctx->io.ctx, &ev);
}

static bool ts_list_equal(const struct ike_ts_list *a, const struct ike_ts_list *b)
{
	return a->n == b->n && !memcmp(a->ts, b->ts, a->n * sizeof(a->ts[0]));
}

/* The reqid ties a CHILD SA's policies to its states; the data plane
 * picks the outbound state by (reqid, addresses). Two CHILD SAs of one
 * config with other traffic selectors (two road warriors on one gateway
 * connection, each with its virtual IP) need their own reqids when their
 * addresses are the same too (both behind one NAT, told apart by port
 * only), as charon allocates a reqid per set of selectors. A rekeyed
 * CHILD SA keeps the one of the SA it replaces. */
static void pick_reqid(struct ike_sa *sa, struct ike_child_sa *c)
{
	struct ike_ctx *ctx = sa->ctx;
	struct ike_child_sa *old = c->rekeyed_spi ? ike_child_find_in(sa, c->rekeyed_spi) : NULL;

	if (old) {
		c->cfg.reqid = old->cfg.reqid;
		return;
	}
	for (struct ike_sa *o = ctx->sas; o; o = o->next)
		for (struct ike_child_sa *x = o->children; x; x = x->next) {
			if (x == c || x->state == CHILD_CREATING || x->cfg.reqid != c->cfg.reqid ||
			    (ts_list_equal(&x->ts_local, &c->ts_local) &&
			     ts_list_equal(&x->ts_remote, &c->ts_remote)))
				continue;
			c->cfg.reqid = ctx->next_reqid++;
			sa_debug(sa, "CHILD_SA %s: reqid %u (its config's is taken by other selectors)",
			         c->cfg.name, c->cfg.reqid);
			return;
		}
}

int ike_child_install(struct ike_sa *sa, struct ike_child_sa *c, bool exchange_initiator,
                      const uint8_t *gir, size_t girlen, const uint8_t *ni, size_t nilen,
                      const uint8_t *nr, size_t nrlen)
{
	struct ike_ctx *ctx = sa->ctx;
	struct xfrm_sa_req in, out;
	size_t elen, alen;
	uint8_t km[2 * (36 + 64)];
	bool esn = ike_proposal_get(&c->prop, IKE_TRANS_ESN, NULL) == 1;
	int rc;

	memset(&in, 0, sizeof(in));
	rc = esp_algs(&c->prop, &in.aead, &in.enc, &in.auth, &elen, &alen);
	if (rc) {
		sa_warn(sa, "CHILD_SA %s: unsupported ESP algorithms", c->cfg.name);
		return rc;
	}
	/* KEYMAT: initiator->responder keys (encryption, then integrity)
	 * first, then responder->initiator */
	rc = ike_kdf_child(sa, gir, girlen, ni, nilen, nr, nrlen, km, 2 * (elen + alen));
	if (rc)
		goto out;
	const uint8_t *k_ir = km, *k_ri = km + elen + alen;

	c->local = sa->local;
	c->remote = sa->remote;
	c->encap = sa->natt || sa->nat_local || sa->nat_remote;
	pick_reqid(sa, c);
	in.proto = IPPROTO_ESP_;
	in.mode = c->cfg.mode;
	in.reqid = c->cfg.reqid;
	in.esn = esn;
	in.replay_window = c->neg->replay_window ? c->neg->replay_window : 32;
	xfrm_lifetime_cfg_init(&in.lft);
	/* rand_time makes the two ends' soft limits differ, so that usually
	 * only one starts the rekeying (RFC 7296 2.8) */
	ike_timers_child_lifetimes(sa, c, &in.lft);
	out = in;
	/* inbound: peer -> us */
	in.daddr = sa->local.addr;
	in.saddr = sa->remote.addr;
	in.spi = c->spi_in;
	set_keys(&in, exchange_initiator ? k_ri : k_ir, elen, alen);
	/* outbound: us -> peer */
	out.daddr = sa->remote.addr;
	out.saddr = sa->local.addr;
	out.spi = c->spi_out;
	set_keys(&out, exchange_initiator ? k_ir : k_ri, elen, alen);
	if (c->encap) {
		in.encap.type = out.encap.type = UDP_ENCAP_ESPINUDP_;
		in.encap.sport = sa->remote.port;
		in.encap.dport = sa->local.port;
		out.encap.sport = sa->local.port;
		out.encap.dport = sa->remote.port;
	}
	rc = xfrm_backend_add_sa(ctx->be, &in);
	if (rc) {
		sa_err(sa, "CHILD_SA %s: cannot add inbound state %08x: %s", c->cfg.name, c->spi_in,
		       strerror(-rc));
		goto out;
	}
	rc = xfrm_backend_add_sa(ctx->be, &out);
	if (rc) {
		struct xfrm_sa_id id = { .daddr = in.daddr, .spi = in.spi, .proto = IPPROTO_ESP_ };
		sa_err(sa, "CHILD_SA %s: cannot add outbound state %08x: %s", c->cfg.name, c->spi_out,
		       strerror(-rc));
		xfrm_backend_del_sa(ctx->be, &id);
		goto out;
	}
	policies(ctx, &c->ts_local, &c->ts_remote, &sa->local.addr, &sa->remote.addr,
	         c->cfg.mode, c->cfg.reqid, true);
	c->state = CHILD_INSTALLED;
	ctx->stats.child_established++;
	ike_timers_child_installed(sa, c);
	hold_done(sa, c);
	child_up(sa, c);
	free(c->neg);   /* negotiated: the rest of the config is not needed */
	c->neg = NULL;
	char b1[256], b2[256], b3[128];
	sa_info(sa, "CHILD_SA %s established: SPIs %08x_i %08x_o, %s, %s %s === %s, reqid %u%s",
	        c->cfg.name, c->spi_in, c->spi_out, ike_proposal_fmt(&c->prop, b3, sizeof(b3)),
	        c->cfg.mode == XFRM_MODE_TUNNEL ? "tunnel" : "transport",
	        ike_ts_list_fmt(&c->ts_local, b1, sizeof(b1)),
	        ike_ts_list_fmt(&c->ts_remote, b2, sizeof(b2)), c->cfg.reqid,
	        c->encap ? ", UDP-encapsulated" : "");
out:
	/* the keys are the data plane's now: none stays here */
	mem_wipe(km, sizeof(km));
	xfrm_sa_req_wipe(&in);
	xfrm_sa_req_wipe(&out);
	return rc;
}

/* c's state spi (named by its destination as it is now) to saddr ->
 * daddr with encapsulation encap, in place. */
static int move_state(struct ike_ctx *ctx, const struct ip_addr *old_daddr, uint32_t spi,
                      const struct ip_addr *saddr, const struct ip_addr *daddr,
                      const struct xfrm_encap *encap)
{
	struct xfrm_sa_update u;

	memset(&u, 0, sizeof(u));
	u.id.daddr = *old_daddr;
	u.id.spi = spi;
	u.id.proto = IPPROTO_ESP_;
	u.saddr = *saddr;
	u.daddr = *daddr;
	u.encap = *encap;
	return xfrm_backend_update_sa(ctx->be, &u);
}

unsigned ike_child_move_all(struct ike_sa *sa)
{
	struct ike_ctx *ctx = sa->ctx;
	bool encap = sa->natt || sa->nat_local || sa->nat_remote;
	unsigned moved = 0;
	char a[IP_ADDR_STRLEN], b[IP_ADDR_STRLEN];

	for (struct ike_child_sa *c = sa->children; c; c = c->next) {
		struct xfrm_encap ein, eout;
		int rc;

		if (c->state == CHILD_CREATING)
			continue;
		if (ip_addr_equal(&c->local.addr, &sa->local.addr) &&
		    ip_addr_equal(&c->remote.addr, &sa->remote.addr) && c->encap == encap &&
		    (!encap || (c->local.port == sa->local.port && c->remote.port == sa->remote.port)))
			continue;
		if (c->cfg.mode != XFRM_MODE_TUNNEL) {
			/* its selectors are the old addresses themselves (RFC 4555
			 * moves tunnel mode SAs; charon does not move these either) */
			sa_warn(sa, "CHILD_SA %s (SPIs %08x_i %08x_o) is in transport mode: not moved",
			        c->cfg.name, c->spi_in, c->spi_out);
			continue;
		}
		memset(&ein, 0, sizeof(ein));
		memset(&eout, 0, sizeof(eout));
		if (encap) {
			ein.type = eout.type = UDP_ENCAP_ESPINUDP_;
			ein.sport = sa->remote.port;
			ein.dport = sa->local.port;
			eout.sport = sa->local.port;
			eout.dport = sa->remote.port;
		}
		rc = move_state(ctx, &c->local.addr, c->spi_in, &sa->remote.addr, &sa->local.addr,
		                &ein);
		if (!rc)
			rc = move_state(ctx, &c->remote.addr, c->spi_out, &sa->local.addr,
			                &sa->remote.addr, &eout);
		if (rc) {
			sa_err(sa, "CHILD_SA %s: cannot move its states %08x_i %08x_o: %s", c->cfg.name,
			       c->spi_in, c->spi_out, strerror(-rc));
			continue;
		}
		/* the templates' tunnel endpoints (the selectors stay) */
		policies(ctx, &c->ts_local, &c->ts_remote, &sa->local.addr, &sa->remote.addr,
		         c->cfg.mode, c->cfg.reqid, true);
		c->local = sa->local;
		c->remote = sa->remote;
		c->encap = encap;
		ctx->stats.mobike_child_moves++;
		moved++;
		sa_info(sa, "CHILD_SA %s with SPIs %08x_i %08x_o moved to %s[%u] === %s[%u]%s",
		        c->cfg.name, c->spi_in, c->spi_out, ip_addr_fmt(&sa->local.addr, a),
		        sa->local.port, ip_addr_fmt(&sa->remote.addr, b), sa->remote.port,
		        encap ? ", UDP-encapsulated" : "");
	}
	return moved;
}

/* Remove c's states, and its policies unless another installed CHILD SA
 * of the same reqid (a rekeyed one) or a trap still needs them. */
static void uninstall(struct ike_sa *sa, struct ike_child_sa *c)
{
	struct ike_ctx *ctx = sa->ctx;
	int i = ike_child_cfg_index(sa, c->cfg.name);
	/* trap policies (start_action trap, or a dpd_action or close_action
	 * trap that installed them) take the place of the child's own */
	bool keep = c->cfg.start_action == IKE_ACTION_TRAP ||
	            (i >= 0 && sa->conn->child[i].trap_installed);
	struct xfrm_sa_id in = { .daddr = c->local.addr, .spi = c->spi_in, .proto = IPPROTO_ESP_ };
	struct xfrm_sa_id out = { .daddr = c->remote.addr, .spi = c->spi_out, .proto = IPPROTO_ESP_ };

	xfrm_backend_del_sa(ctx->be, &in);
	xfrm_backend_del_sa(ctx->be, &out);
	for (struct ike_sa *o = ctx->sas; o && !keep; o = o->next)
		for (struct ike_child_sa *x = o->children; x; x = x->next)
			if (x != c && x->state != CHILD_CREATING && x->cfg.reqid == c->cfg.reqid)
				keep = true;
	if (!keep)
		policies(ctx, &c->ts_local, &c->ts_remote, &c->local.addr, &c->remote.addr,
		         c->cfg.mode, c->cfg.reqid, false);
}

void ike_child_end(struct ike_sa *sa, struct ike_child_sa *c, enum ike_child_end_reason reason)
{
	struct ike_ctx *ctx = sa->ctx;
	bool installed = c->state != CHILD_CREATING;

	if ((unsigned)reason >= CHILD_END_MAX)
		reason = CHILD_END_INTERNAL;
	for (struct ike_child_sa **pp = &sa->children; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	ctx->stats.child_ended[reason]++;
	if (installed) {
		uninstall(sa, c);
		ctx->stats.child_deleted++;
		sa_info(sa, "CHILD_SA %s with SPIs %08x_i %08x_o deleted (%s)", c->cfg.name,
		        c->spi_in, c->spi_out, ike_child_end_reason_name(reason));
	} else {
		sa_info(sa, "CHILD_SA %s not established (%s)", c->cfg.name,
		        ike_child_end_reason_name(reason));
	}
	if (ctx->io.child_ended) {
		struct ike_child_end_event ev = {
			.conn = sa->conn ? sa->conn->cfg.name : "-", .child = c->cfg.name,
			.ike_spi_i = sa->spi_i, .ike_spi_r = sa->spi_r,
			.spi_in = c->spi_in, .spi_out = c->spi_out, .reqid = c->cfg.reqid,
			.installed = installed, .reason = reason,
			.ike_unique_id = sa->unique_id, .unique_id = c->unique_id,
		};
		ctx->io.child_ended(ctx->io.ctx, &ev);
	}
	free(c->neg);
	mem_free_wipe(c, sizeof(*c));
}
