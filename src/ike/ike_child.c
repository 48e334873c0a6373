/* CHILD SAs: traffic selectors and their narrowing (RFC 7296 2.9), keying
 * material (2.17), installation into the SAD and SPD (the only place IKE
 * touches the data plane, like charon's kernel interface), trap policies,
 * and the CREATE_CHILD_SA exchange (1.3.1) with optional PFS and the
 * rekeying of CHILD SAs (REKEY_SA, 1.3.3).
 *
 *   HDR, SK {[N(REKEY_SA)], SA, Ni, [KEi], TSi, TSr}  -->
 *                            <--  HDR, SK {SA, Nr, [KEr], TSi, TSr}
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/rand.h"
#include "ike/ike_pld.h"
#include "ike/ike_child.h"
#include "ike/ike_ctx.h"
#include "ike/ike_kdf.h"
#include "ike/ike_rekey.h"
#include "ike/ike_sa.h"
#include "ike/ike_timers.h"
#include "util/bytes.h"
#include "util/mem.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

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

void ike_child_ts_local(const struct ike_sa *sa, const struct ike_child_cfg *cfg,
                        struct ike_ts_list *out)
{
	if (cfg->local_ts.n) {
		*out = cfg->local_ts;
		return;
	}
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

int ike_child_alloc_spi(struct ike_sa *sa, uint32_t *spi)
{
	return sad_alloc_spi(sa->ctx->sad, &sa->local.addr, SPI_LO, SPI_HI, spi);
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

static void set_keys(struct sad_sa *st, const uint8_t *k, size_t elen, size_t alen)
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
				struct spd_policy pol;
				bool out = dir == XFRM_POLICY_OUT;
				memset(&pol, 0, sizeof(pol));
				if (out)
					sel_from(&pol.sel, &l->ts[i], &r->ts[j]);
				else
					sel_from(&pol.sel, &r->ts[j], &l->ts[i]);
				if (!install) {
					spd_del(ctx->spd, &pol.sel, (uint8_t)dir);
					continue;
				}
				pol.dir = (uint8_t)dir;
				pol.action = XFRM_POLICY_ALLOW;
				/* more specific selectors first, like charon */
				pol.priority = 2000u - pol.sel.prefixlen_s - pol.sel.prefixlen_d;
				pol.ntmpl = 1;
				pol.tmpl[0].proto = IPPROTO_ESP_;
				pol.tmpl[0].mode = mode;
				pol.tmpl[0].reqid = reqid;
				if (mode == XFRM_MODE_TUNNEL) {
					pol.tmpl[0].saddr = out ? *laddr : *raddr;
					pol.tmpl[0].daddr = out ? *raddr : *laddr;
				}
				xfrm_lifetime_cfg_init(&pol.lft);
				int rc = spd_update(ctx->spd, &pol, NULL);
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
		if (!conn->trap_installed[i])
			return;
		laddr = conn->trap_local[i];
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
	conn->trap_installed[i] = install;
	conn->trap_local[i] = laddr;
}

int ike_child_install(struct ike_sa *sa, struct ike_child_sa *c, bool exchange_initiator,
                      const uint8_t *gir, size_t girlen, const uint8_t *ni, size_t nilen,
                      const uint8_t *nr, size_t nrlen)
{
	struct ike_ctx *ctx = sa->ctx;
	struct sad_sa in, out;
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
	in.proto = IPPROTO_ESP_;
	in.mode = c->cfg.mode;
	in.reqid = c->cfg.reqid;
	in.flags = esn ? SAD_FLAG_ESN : 0;
	in.replay.size = c->cfg.replay_window ? c->cfg.replay_window : 32;
	xfrm_lifetime_cfg_init(&in.lft);
	if (c->cfg.rekey_time) {
		uint64_t life = c->cfg.life_time ? c->cfg.life_time : c->cfg.rekey_time * 11ull / 10;
		/* the responder's soft limit a little later, so that usually
		 * only one side starts the rekeying (RFC 7296 2.8) */
		in.lft.soft_add_expires_seconds = c->cfg.rekey_time + (exchange_initiator ? 0 : 10);
		in.lft.hard_add_expires_seconds = life;
	}
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
	rc = sad_add(ctx->sad, &in, NULL);
	if (rc) {
		sa_err(sa, "CHILD_SA %s: cannot add inbound state %08x: %s", c->cfg.name, c->spi_in,
		       strerror(-rc));
		goto out;
	}
	rc = sad_add(ctx->sad, &out, NULL);
	if (rc) {
		sa_err(sa, "CHILD_SA %s: cannot add outbound state %08x: %s", c->cfg.name, c->spi_out,
		       strerror(-rc));
		sad_del(ctx->sad, &in.daddr, in.spi, IPPROTO_ESP_);
		goto out;
	}
	policies(ctx, &c->ts_local, &c->ts_remote, &sa->local.addr, &sa->remote.addr,
	         c->cfg.mode, c->cfg.reqid, true);
	c->state = CHILD_INSTALLED;
	ctx->stats.child_established++;
	ike_timers_child_installed(sa, c);
	char b1[256], b2[256], b3[128];
	sa_info(sa, "CHILD_SA %s established: SPIs %08x_i %08x_o, %s, %s %s === %s, reqid %u%s",
	        c->cfg.name, c->spi_in, c->spi_out, ike_proposal_fmt(&c->prop, b3, sizeof(b3)),
	        c->cfg.mode == XFRM_MODE_TUNNEL ? "tunnel" : "transport",
	        ike_ts_list_fmt(&c->ts_local, b1, sizeof(b1)),
	        ike_ts_list_fmt(&c->ts_remote, b2, sizeof(b2)), c->cfg.reqid,
	        c->encap ? ", UDP-encapsulated" : "");
out:
	mem_wipe(km, sizeof(km));
	mem_wipe(&in, sizeof(in));
	mem_wipe(&out, sizeof(out));
	return rc;
}

void ike_child_destroy(struct ike_sa *sa, struct ike_child_sa *c)
{
	struct ike_ctx *ctx = sa->ctx;

	for (struct ike_child_sa **pp = &sa->children; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (c->state != CHILD_CREATING) {
		sad_del(ctx->sad, &c->local.addr, c->spi_in, IPPROTO_ESP_);
		sad_del(ctx->sad, &c->remote.addr, c->spi_out, IPPROTO_ESP_);
		/* keep the policies while another CHILD SA (a rekeyed one)
		 * of the same reqid is installed, or as trap policies */
		bool keep = c->cfg.start_action == IKE_ACTION_TRAP;
		for (struct ike_sa *o = ctx->sas; o && !keep; o = o->next)
			for (struct ike_child_sa *x = o->children; x; x = x->next)
				if (x != c && x->state != CHILD_CREATING && x->cfg.reqid == c->cfg.reqid)
					keep = true;
		if (!keep)
			policies(ctx, &c->ts_local, &c->ts_remote, &c->local.addr, &c->remote.addr,
			         c->cfg.mode, c->cfg.reqid, false);
		ctx->stats.child_deleted++;
		sa_info(sa, "CHILD_SA %s with SPIs %08x_i %08x_o deleted", c->cfg.name, c->spi_in,
		        c->spi_out);
	}
	crypto_dh_free(c->dh);
	mem_free_wipe(c, sizeof(*c));
}

/* ---- CREATE_CHILD_SA ---- */

static void set_nmin(struct ike_child_sa *c, const uint8_t *ni, size_t nilen,
                     const uint8_t *nr, size_t nrlen)
{
	bool i_lower = ike_nonce_cmp(ni, nilen, nr, nrlen) <= 0;

	c->nmin_len = (uint16_t)(i_lower ? nilen : nrlen);
	memcpy(c->nmin, i_lower ? ni : nr, c->nmin_len);
}

/* RFC 7296 2.8.1: both ends rekeyed the same CHILD SA at once, so there
 * are two new ones. The one created with the lowest of the four nonces is
 * redundant and is deleted by the end that created it. */
static void collision_check(struct ike_sa *sa, struct ike_child_sa *c)
{
	if (!c->rekeyed_spi)
		return;
	for (struct ike_child_sa *o = sa->children; o; o = o->next) {
		if (o == c || o->state != CHILD_INSTALLED || o->rekeyed_spi != c->rekeyed_spi ||
		    o->by_us == c->by_us)
			continue;
		struct ike_child_sa *lower =
			ike_nonce_cmp(c->nmin, c->nmin_len, o->nmin, o->nmin_len) < 0 ? c : o;
		sa_info(sa, "CHILD_SA %s rekey collision: %08x_i is redundant, %s",
		        c->cfg.name, lower->spi_in, lower->by_us ? "deleting it" : "the peer deletes it");
		if (lower->by_us)
			ike_sa_queue(sa, TASK_CHILD_DELETE, lower->spi_in);
		return;
	}
}

static uint16_t pfs_group(const struct ike_proposals *ps)
{
	for (unsigned i = 0; i < ps->n; i++) {
		uint16_t g = ike_proposal_get(&ps->p[i], IKE_TRANS_DH, NULL);
		if (g)
			return g;
	}
	return 0;
}

static int create_start(struct ike_sa *sa, int idx, uint32_t rekey_spi, uint16_t want_group)
{
	const struct ike_child_cfg *cc = &sa->conn->cfg.children[idx];
	struct ike_proposals props = cc->esp;
	struct ike_ts_list tsi, tsr;
	struct ike_child_sa *c = calloc(1, sizeof(*c));
	uint8_t pub[CRYPTO_DH_PUB_MAX];
	uint16_t group = want_group ? want_group : pfs_group(&cc->esp);
	struct ike_mb mb;
	int n = 0;

	if (!c)
		return -ENOMEM;
	c->cfg = *cc;
	c->rekeyed_spi = rekey_spi;
	if (ike_child_alloc_spi(sa, &c->spi_in) || crypto_rand(c->ni, IKE_NONCE_LEN))
		goto fail;
	if (group) {
		c->dh = crypto_dh_new(group);
		if (!c->dh || (n = crypto_dh_public(c->dh, pub, sizeof(pub))) < 0)
			goto fail;
	}
	c->next = sa->children;
	sa->children = c;
	for (unsigned i = 0; i < props.n; i++) {
		props.p[i].spi_len = 4;
		put_be32(props.p[i].spi, c->spi_in);
	}
	ike_child_ts_local(sa, cc, &tsi);
	ike_child_ts_remote(sa, cc, &tsr);
	ike_sa_req_begin(sa, &mb, CREATE_CHILD_SA, true);
	if (rekey_spi) {
		uint8_t spi[4];
		put_be32(spi, rekey_spi);
		ike_pld_notify_put(&mb, IKE_PROTO_ESP, spi, 4, IKE_N_REKEY_SA, NULL, 0);
	}
	if (cc->mode == XFRM_MODE_TRANSPORT)
		ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_pld_sa_put(&mb, &props, false);
	ike_pld_raw_put(&mb, IKE_PLD_NONCE, c->ni, IKE_NONCE_LEN);
	if (group)
		ike_pld_ke_put(&mb, group, pub, (size_t)n);
	ike_pld_ts_put(&mb, IKE_PLD_TSI, &tsi);
	ike_pld_ts_put(&mb, IKE_PLD_TSR, &tsr);
	sa_info(sa, "%s CHILD_SA %s%s", rekey_spi ? "rekeying" : "creating", cc->name,
	        group ? " with PFS" : "");
	return ike_sa_req_send(sa, &mb, TASK_CHILD_CREATE, c->spi_in);
fail:
	crypto_dh_free(c->dh);
	mem_free_wipe(c, sizeof(*c));
	return -EIO;
}

int ike_child_create_start(struct ike_sa *sa, int idx, uint32_t rekey_spi)
{
	return create_start(sa, idx, rekey_spi, 0);
}

void ike_child_handle_request(struct ike_sa *sa, struct ike_msg *m)
{
	const struct ike_pld *p_sa = ike_msg_find(m, IKE_PLD_SA);
	const struct ike_pld *p_ni = ike_msg_find(m, IKE_PLD_NONCE);
	const struct ike_pld *p_ke = ike_msg_find(m, IKE_PLD_KE);
	const struct ike_pld *p_tsi = ike_msg_find(m, IKE_PLD_TSI);
	const struct ike_pld *p_tsr = ike_msg_find(m, IKE_PLD_TSR);
	struct ike_proposals theirs;
	struct ike_ts_list tsi, tsr, our_l, our_r, ni_l, nr_l;
	struct ike_proposal chosen;
	uint8_t nr[IKE_NONCE_LEN], pub[CRYPTO_DH_PUB_MAX], gir[CRYPTO_DH_SECRET_MAX];
	int gl = 0, pl = 0;
	char b1[512], b2[512];
	struct ike_mb mb;

	if (sa->state != IKE_STATE_ESTABLISHED) {
		ike_sa_resp_notify(sa, m, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	if (!p_sa || !p_ni || ike_pld_sa_parse(p_sa->body, p_sa->len, &theirs)) {
		ike_sa_resp_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	if (theirs.n && theirs.p[0].protocol == IKE_PROTO_IKE) {
		ike_rekey_handle_request(sa, m, &theirs);
		return;
	}
	if (!p_tsi || !p_tsr || ike_pld_ts_parse(p_tsi->body, p_tsi->len, &tsi) ||
	    ike_pld_ts_parse(p_tsr->body, p_tsr->len, &tsr)) {
		ike_sa_resp_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	int idx = ike_child_cfg_select(sa, &tsi, &tsr);
	if (idx < 0) {
		sa->ctx->stats.ts_unacceptable++;
		sa_warn(sa, "CREATE_CHILD_SA: no config matches TSi %s TSr %s: TS_UNACCEPTABLE",
		        ike_ts_list_fmt(&tsi, b1, sizeof(b1)), ike_ts_list_fmt(&tsr, b2, sizeof(b2)));
		ike_sa_resp_notify(sa, m, IKE_N_TS_UNACCEPTABLE, NULL, 0);
		return;
	}
	const struct ike_child_cfg *cc = &sa->conn->cfg.children[idx];
	if (!ike_proposal_select(&cc->esp, &theirs, false, &chosen) || chosen.spi_len != 4) {
		sa->ctx->stats.no_proposal++;
		sa_warn(sa, "CHILD_SA %s: peer proposed %s, we accept %s: NO_PROPOSAL_CHOSEN",
		        cc->name, ike_proposals_fmt(&theirs, b1, sizeof(b1)),
		        ike_proposals_fmt(&cc->esp, b2, sizeof(b2)));
		ike_sa_resp_notify(sa, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	uint16_t group = ike_proposal_get(&chosen, IKE_TRANS_DH, NULL);
	struct crypto_dh *dh = NULL;
	if (group) {
		uint16_t kg = 0;
		const uint8_t *ke = NULL;
		size_t kelen = 0;
		if (!p_ke || ike_pld_ke_parse(p_ke->body, p_ke->len, &kg, &ke, &kelen) || kg != group) {
			uint8_t g[2];
			put_be16(g, group);
			sa->ctx->stats.invalid_ke_sent++;
			sa_info(sa, "CHILD_SA %s: peer's KE group %u, we want %u: INVALID_KE_PAYLOAD",
			        cc->name, kg, group);
			ike_sa_resp_notify(sa, m, IKE_N_INVALID_KE_PAYLOAD, g, 2);
			return;
		}
		dh = crypto_dh_new(group);
		if (!dh || (pl = crypto_dh_public(dh, pub, sizeof(pub))) < 0 ||
		    (gl = crypto_dh_derive(dh, ke, kelen, gir, sizeof(gir))) < 0) {
			crypto_dh_free(dh);
			ike_sa_resp_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
			return;
		}
		crypto_dh_free(dh);
	}
	if (crypto_rand(nr, sizeof(nr))) {
		ike_sa_resp_notify(sa, m, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		goto out;
	}
	ike_child_ts_remote(sa, cc, &our_r);
	ike_child_ts_local(sa, cc, &our_l);
	ike_child_narrow(&tsi, &our_r, &ni_l);
	ike_child_narrow(&tsr, &our_l, &nr_l);
	struct ike_child_sa *c = calloc(1, sizeof(*c));
	if (!c || ike_child_alloc_spi(sa, &c->spi_in)) {
		free(c);
		ike_sa_resp_notify(sa, m, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		goto out;
	}
	c->cfg = *cc;
	c->spi_out = get_be32(chosen.spi);
	c->prop = chosen;
	c->ts_remote = ni_l;
	c->ts_local = nr_l;
	c->by_us = false;
	set_nmin(c, p_ni->body, p_ni->len, nr, sizeof(nr));
	const struct ike_pld *p_rk = ike_msg_find_notify(m, IKE_N_REKEY_SA);
	struct ike_notify_pld rk;
	if (p_rk && !ike_pld_notify_parse(p_rk->body, p_rk->len, &rk) && rk.spi_len == 4) {
		/* the peer names its inbound SPI of the old SA: our outbound */
		struct ike_child_sa *old = ike_child_find_out(sa, get_be32(rk.spi));
		if (old)
			c->rekeyed_spi = old->spi_in;
	}
	bool transport = cc->mode == XFRM_MODE_TRANSPORT &&
	                 ike_msg_find_notify(m, IKE_N_USE_TRANSPORT_MODE);
	c->cfg.mode = transport ? XFRM_MODE_TRANSPORT : XFRM_MODE_TUNNEL;
	c->next = sa->children;
	sa->children = c;
	if (ike_child_install(sa, c, false, gir, group ? (size_t)gl : 0, p_ni->body, p_ni->len,
	                      nr, sizeof(nr))) {
		ike_child_destroy(sa, c);
		ike_sa_resp_notify(sa, m, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		goto out;
	}
	struct ike_proposals one = { .n = 1 };
	one.p[0] = chosen;
	put_be32(one.p[0].spi, c->spi_in);
	ike_sa_resp_begin(sa, &mb, m, true);
	if (transport)
		ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_pld_sa_put(&mb, &one, false);
	ike_pld_raw_put(&mb, IKE_PLD_NONCE, nr, sizeof(nr));
	if (group)
		ike_pld_ke_put(&mb, group, pub, (size_t)pl);
	ike_pld_ts_put(&mb, IKE_PLD_TSI, &ni_l);
	ike_pld_ts_put(&mb, IKE_PLD_TSR, &nr_l);
	ike_sa_resp_send(sa, &mb);
	collision_check(sa, c);
out:
	mem_wipe(gir, sizeof(gir));
}

void ike_child_handle_response(struct ike_sa *sa, struct ike_msg *m)
{
	struct ike_child_sa *c = ike_child_find_in(sa, sa->req_arg);
	const struct ike_pld *p_sa = ike_msg_find(m, IKE_PLD_SA);
	const struct ike_pld *p_nr = ike_msg_find(m, IKE_PLD_NONCE);
	const struct ike_pld *p_ke = ike_msg_find(m, IKE_PLD_KE);
	const struct ike_pld *p_tsi = ike_msg_find(m, IKE_PLD_TSI);
	const struct ike_pld *p_tsr = ike_msg_find(m, IKE_PLD_TSR);
	struct ike_proposals theirs;
	struct ike_ts_list tsi, tsr, our_l, our_r;
	struct ike_proposal chosen;
	uint8_t gir[CRYPTO_DH_SECRET_MAX];
	int gl = 0;
	uint16_t err;

	if (!c || c->state != CHILD_CREATING) {
		sa->ctx->stats.drop_unexpected++;
		return;
	}
	if ((err = ike_msg_error_notify(m)) == IKE_N_INVALID_KE_PAYLOAD) {
		/* RFC 7296 1.3: retry with the group the responder asks for,
		 * if we offer it (once: the new request carries that group) */
		const struct ike_pld *p = ike_msg_find_notify(m, IKE_N_INVALID_KE_PAYLOAD);
		struct ike_notify_pld n;
		uint16_t g = 0;
		if (p && !ike_pld_notify_parse(p->body, p->len, &n) && n.dlen == 2)
			g = get_be16(n.data);
		bool offered = false;
		for (unsigned i = 0; i < c->cfg.esp.n; i++)
			offered |= ike_proposal_has(&c->cfg.esp.p[i], IKE_TRANS_DH, g);
		int idx = -1;
		for (unsigned i = 0; i < sa->conn->cfg.nchildren; i++)
			if (!strcmp(sa->conn->cfg.children[i].name, c->cfg.name))
				idx = (int)i;
		if (g && offered && idx >= 0 && (!c->dh || crypto_dh_group(c->dh) != g)) {
			uint32_t rekey = c->rekeyed_spi;
			sa_info(sa, "CHILD_SA %s: responder wants PFS group %u, retrying", c->cfg.name, g);
			ike_child_destroy(sa, c);
			create_start(sa, idx, rekey, g);
			return;
		}
	}
	if (err) {
		sa_warn(sa, "CREATE_CHILD_SA for %s failed: peer sent %s", c->cfg.name,
		        ike_notify_name(err));
		if (err == IKE_N_TS_UNACCEPTABLE)
			sa->ctx->stats.ts_unacceptable++;
		if (err == IKE_N_NO_PROPOSAL_CHOSEN)
			sa->ctx->stats.no_proposal++;
		ike_child_destroy(sa, c);
		return;
	}
	ike_child_ts_local(sa, &c->cfg, &our_l);
	ike_child_ts_remote(sa, &c->cfg, &our_r);
	if (!p_sa || !p_nr || !p_tsi || !p_tsr ||
	    ike_pld_sa_parse(p_sa->body, p_sa->len, &theirs) || theirs.n != 1 ||
	    !ike_proposal_select(&c->cfg.esp, &theirs, false, &chosen) || chosen.spi_len != 4 ||
	    ike_pld_ts_parse(p_tsi->body, p_tsi->len, &tsi) ||
	    ike_pld_ts_parse(p_tsr->body, p_tsr->len, &tsr) ||
	    !ike_child_narrow(&tsi, &our_l, &c->ts_local) ||
	    !ike_child_narrow(&tsr, &our_r, &c->ts_remote)) {
		sa_warn(sa, "CREATE_CHILD_SA for %s: malformed or unacceptable response", c->cfg.name);
		ike_child_destroy(sa, c);
		return;
	}
	uint16_t group = ike_proposal_get(&chosen, IKE_TRANS_DH, NULL);
	if (group) {
		uint16_t kg;
		const uint8_t *ke;
		size_t kelen;
		if (!c->dh || crypto_dh_group(c->dh) != group || !p_ke ||
		    ike_pld_ke_parse(p_ke->body, p_ke->len, &kg, &ke, &kelen) || kg != group ||
		    (gl = crypto_dh_derive(c->dh, ke, kelen, gir, sizeof(gir))) < 0) {
			sa_warn(sa, "CREATE_CHILD_SA for %s: bad key exchange in response", c->cfg.name);
			ike_child_destroy(sa, c);
			goto out;
		}
	}
	c->spi_out = get_be32(chosen.spi);
	c->prop = chosen;
	c->by_us = true;
	set_nmin(c, c->ni, IKE_NONCE_LEN, p_nr->body, p_nr->len);
	if (c->cfg.mode == XFRM_MODE_TRANSPORT && !ike_msg_find_notify(m, IKE_N_USE_TRANSPORT_MODE))
		c->cfg.mode = XFRM_MODE_TUNNEL;
	if (ike_child_install(sa, c, true, gir, group ? (size_t)gl : 0, c->ni, IKE_NONCE_LEN,
	                      p_nr->body, p_nr->len)) {
		ike_child_destroy(sa, c);
		goto out;
	}
	crypto_dh_free(c->dh);
	c->dh = NULL;
	/* the rekeying initiator deletes the old CHILD SA (RFC 7296 2.8) */
	if (c->rekeyed_spi) {
		collision_check(sa, c);
		if (ike_child_find_in(sa, c->rekeyed_spi))
			ike_sa_queue(sa, TASK_CHILD_DELETE, c->rekeyed_spi);
	}
out:
	mem_wipe(gir, sizeof(gir));
}

/* The peer closed a CHILD SA of cfg (or its IKE SA): close_action says
 * whether to start it again or to wait for traffic (trap), as charon does. */
void ike_child_closed(struct ike_sa *sa, const struct ike_child_cfg *cfg)
{
	struct ike_conn *conn = sa->conn;
	char name[64];

	if (!conn || cfg->close_action == IKE_ACTION_NONE)
		return;
	for (unsigned i = 0; i < conn->cfg.nchildren; i++) {
		if (strcmp(conn->cfg.children[i].name, cfg->name))
			continue;
		if (cfg->close_action == IKE_ACTION_TRAP) {
			sa_info(sa, "CHILD_SA %s closed by the peer: close_action trap", cfg->name);
			ike_child_trap(sa->ctx, conn, (int)i, true);
		} else {
			sa_info(sa, "CHILD_SA %s closed by the peer: close_action start", cfg->name);
			memcpy(name, cfg->name, sizeof(name));
			ike_initiate(sa->ctx, name);
		}
		return;
	}
}
