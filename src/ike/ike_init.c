/* IKE_SA_INIT (RFC 7296 section 1.2): proposal and key exchange, nonces,
 * NAT detection (2.23), cookies against floods (2.6) and the
 * INVALID_KE_PAYLOAD retry (1.2). Both roles: the initiator's request and
 * response handling, and the responder, which keeps no state until a
 * cookie-checked request arrives while under load.
 *
 *   HDR, SAi1, KEi, Ni, N(NAT_DETECTION_*)   -->
 *                                <--  HDR, SAr1, KEr, Nr, N(NAT_DETECTION_*)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/rand.h"
#include "ike/ike_pld.h"
#include "ike/ike_auth.h"
#include "ike/ike_ctx.h"
#include "ike/ike_info.h"
#include "ike/ike_init.h"
#include "ike/ike_kdf.h"
#include "ike/ike_sa.h"
#include "ike/ike_timers.h"
#include "util/bytes.h"
#include "util/mem.h"

#define INIT_RETRIES_MAX 3

/* SHA1(SPIi | SPIr | IP | Port), RFC 7296 2.23 */
static void natd_hash(uint64_t spi_i, uint64_t spi_r, const struct ike_endpoint *ep,
                      uint8_t out[20])
{
	uint8_t spis[16], port[2];
	const uint8_t *bufs[3] = { spis, ep->addr.a, port };
	size_t lens[3] = { 16, ip_addr_len(&ep->addr), 2 };

	put_be64(spis, spi_i);
	put_be64(spis + 8, spi_r);
	put_be16(port, ep->port);
	if (crypto_sha1_v(bufs, lens, 3, out))
		memset(out, 0, 20);   /* never send uninitialised stack bytes */
}

static void put_natd(struct ike_mb *mb, uint64_t spi_i, uint64_t spi_r,
                     const struct ike_endpoint *src, const struct ike_endpoint *dst, bool fake)
{
	uint8_t h[20];

	natd_hash(spi_i, spi_r, src, h);
	/* encap = yes: pretend to be behind a NAT, as charon does; if no random
	 * bytes can be had, a flipped hash still cannot match */
	if (fake && crypto_rand(h, sizeof(h)))
		h[0] ^= 0xff;
	ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, h, 20);
	natd_hash(spi_i, spi_r, dst, h);
	ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, h, 20);
}

/* Compare the peer's NAT detection notifies with what we see. spi_r is the
 * value the peer used (0 in a request). */
static void natd_check(struct ike_sa *sa, const struct ike_msg *m, uint64_t spi_r)
{
	uint8_t h[20];
	bool have_src = false, src_match = false, dst_match = true;
	struct ike_notify_pld n;

	for (unsigned i = 0; i < m->npld; i++) {
		if (m->pld[i].type != IKE_PLD_NOTIFY ||
		    ike_pld_notify_parse(m->pld[i].body, m->pld[i].len, &n))
			continue;
		if (n.type == IKE_N_NAT_DETECTION_SOURCE_IP && n.dlen == 20) {
			have_src = true;
			natd_hash(sa->spi_i, spi_r, &sa->remote, h);
			if (mem_equal_ct(h, n.data, 20))
				src_match = true;
		} else if (n.type == IKE_N_NAT_DETECTION_DESTINATION_IP && n.dlen == 20) {
			natd_hash(sa->spi_i, spi_r, &sa->local, h);
			dst_match = mem_equal_ct(h, n.data, 20);
		}
	}
	if (!have_src)
		return;   /* peer does not do NAT-T */
	sa->nat_remote = !src_match;
	sa->nat_local = !dst_match;
	if (sa->nat_remote || sa->nat_local)
		sa_info(sa, "NAT detected: %s%s%s", sa->nat_local ? "we are behind a NAT" : "",
		        sa->nat_local && sa->nat_remote ? ", " : "",
		        sa->nat_remote ? "the peer is behind a NAT (or fakes it)" : "");
}

static int derive(struct ike_sa *sa, const uint8_t *ke, size_t kelen)
{
	uint8_t gir[CRYPTO_DH_SECRET_MAX];
	int n = crypto_dh_derive(sa->dh, ke, kelen, gir, sizeof(gir));
	int rc;

	if (n < 0)
		return n;
	rc = ike_kdf_ike_sa(sa, gir, (size_t)n);
	mem_wipe(gir, sizeof(gir));
	crypto_dh_free(sa->dh);   /* the private value is no longer needed */
	sa->dh = NULL;
	return rc;
}

static uint16_t first_group(const struct ike_proposals *ps)
{
	for (unsigned i = 0; i < ps->n; i++) {
		uint16_t g = ike_proposal_get(&ps->p[i], IKE_TRANS_DH, NULL);
		if (g)
			return g;
	}
	return 0;
}

static bool offers_group(const struct ike_proposals *ps, uint16_t g)
{
	for (unsigned i = 0; i < ps->n; i++)
		if (ike_proposal_has(&ps->p[i], IKE_TRANS_DH, g))
			return true;
	return false;
}

int ike_init_start(struct ike_sa *sa)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	uint8_t pub[CRYPTO_DH_PUB_MAX];
	struct ike_mb mb;
	int n, rc;

	if (!sa->dh_group)
		sa->dh_group = first_group(&cfg->ike);
	if (!sa->dh || crypto_dh_group(sa->dh) != sa->dh_group) {
		crypto_dh_free(sa->dh);
		sa->dh = crypto_dh_new(sa->dh_group);
		if (!sa->dh)
			return -EIO;
	}
	if (!sa->ni_len) {
		if (crypto_rand(sa->ni, IKE_NONCE_LEN))
			return -EIO;
		sa->ni_len = IKE_NONCE_LEN;
	}
	n = crypto_dh_public(sa->dh, pub, sizeof(pub));
	if (n < 0)
		return n;
	sa->spi_r = 0;
	sa->msgid_out = 0;
	ike_sa_req_begin(sa, &mb, IKE_SA_INIT, false);
	if (sa->cookie_len)  /* RFC 7296 2.6: the cookie goes first */
		ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_COOKIE, sa->cookie, sa->cookie_len);
	ike_pld_sa_put(&mb, &cfg->ike, false);
	ike_pld_ke_put(&mb, sa->dh_group, pub, (size_t)n);
	ike_pld_raw_put(&mb, IKE_PLD_NONCE, sa->ni, sa->ni_len);
	put_natd(&mb, sa->spi_i, 0, &sa->local, &sa->remote, cfg->encap);
	ike_sa_set_state(sa, IKE_STATE_INIT_SENT);
	/* keep RealMessage1 for the AUTH payload */
	rc = ike_mb_finish(&mb, NULL);
	if (rc) {
		ike_mb_free(&mb);
		return rc;
	}
	free(sa->init_req);
	sa->init_req = malloc(mb.len);
	if (!sa->init_req) {
		ike_mb_free(&mb);
		return -ENOMEM;
	}
	memcpy(sa->init_req, mb.p, mb.len);
	sa->init_req_len = mb.len;
	char props[512];
	sa_info(sa, "initiating IKE_SA to %s, proposing %s", 
	        ip_addr_fmt(&sa->remote.addr, (char[IP_ADDR_STRLEN]){ 0 }),
	        ike_proposals_fmt(&cfg->ike, props, sizeof(props)));
	return ike_sa_req_send(sa, &mb, TASK_NONE, 0);
}

/* Cookie = prf(secret, Ni | IPi | SPIi), RFC 7296 2.6 */
static void cookie_make(struct ike_ctx *ctx, const struct ike_endpoint *remote,
                        uint64_t spi_i, const uint8_t *ni, size_t nilen, uint8_t out[32])
{
	uint8_t buf[IKE_NONCE_MAX + 16 + 8];
	size_t al = ip_addr_len(&remote->addr);

	memcpy(buf, ni, nilen);
	memcpy(buf + nilen, remote->addr.a, al);
	put_be64(buf + nilen + al, spi_i);
	crypto_prf(CRYPTO_PRF_HMAC_SHA2_256, ctx->cookie_secret, sizeof(ctx->cookie_secret),
	           buf, nilen + al + 8, out);
}

/* The connection for an IKE_SA_INIT: its addresses match and, among those,
 * the first whose IKE proposals have something in common with the peer's
 * (connections naming the peer's address before wildcards). If none
 * matches on proposals, the first by address (for the log line). */
static struct ike_conn *conn_for(struct ike_ctx *ctx, const struct ike_endpoint *local,
                                 const struct ike_endpoint *remote,
                                 const struct ike_proposals *theirs)
{
	struct ike_conn *first = NULL;
	struct ike_proposal tmp;

	for (int pass = 0; pass < 2; pass++)
		for (struct ike_conn *c = ctx->conns; c; c = c->next) {
			if (!ike_conn_matches(c, local, remote) ||
			    ip_addr_is_zero(&c->cfg.remote_addr) != (pass == 1))
				continue;
			if (!first)
				first = c;
			if (ike_proposal_select(&c->cfg.ike, theirs, false, &tmp))
				return c;
		}
	return first;
}

void ike_init_handle_request(struct ike_ctx *ctx, const struct ike_endpoint *local,
                             const struct ike_endpoint *remote, struct ike_msg *m)
{
	const struct ike_pld *p_sa = ike_msg_find(m, IKE_PLD_SA);
	const struct ike_pld *p_ke = ike_msg_find(m, IKE_PLD_KE);
	const struct ike_pld *p_ni = ike_msg_find(m, IKE_PLD_NONCE);
	struct ike_proposals theirs;
	struct ike_proposal chosen;
	struct ike_conn *conn;
	struct ike_sa *sa;
	uint16_t group;
	const uint8_t *ke;
	size_t kelen;
	char a[IP_ADDR_STRLEN], pt[1024], po[1024];
	uint8_t pub[CRYPTO_DH_PUB_MAX];
	struct ike_mb mb;
	int n;

	/* a retransmitted request: answer from the cache */
	for (sa = ctx->sas; sa; sa = sa->next)
		if (!sa->initiator && sa->spi_i == m->hdr.spi_i &&
		    ip_addr_equal(&sa->remote.addr, &remote->addr) && sa->init_req) {
			if (sa->init_req_len == m->rawlen &&
			    memcmp(sa->init_req, m->raw, m->rawlen) == 0 && sa->init_resp) {
				ctx->stats.resent_responses++;
				sa_debug(sa, "retransmitted IKE_SA_INIT, resending response");
				ike_sa_send_raw(sa, sa->init_resp, sa->init_resp_len);
			} else {
				ctx->stats.drop_unexpected++;
			}
			return;
		}
	ip_addr_fmt(&remote->addr, a);
	if (!p_sa || !p_ke || !p_ni) {
		log_warn("ike: IKE_SA_INIT from %s lacks SA, KE or Nonce: INVALID_SYNTAX", a);
		ike_send_notify_plain(ctx, local, remote, &m->hdr, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	if (ctx->half_open >= ctx->half_open_max) {
		ctx->stats.half_open_refused++;
		log_debug_rl("ike: %u half-open IKE SAs, ignoring IKE_SA_INIT from %s",
		             ctx->half_open, a);
		return;
	}
	/* RFC 7296 2.6: under load, demand a cookie before keeping state */
	if (ctx->half_open >= ctx->cookie_threshold) {
		uint8_t want[32];
		const struct ike_pld *pc = ike_msg_find_notify(m, IKE_N_COOKIE);
		struct ike_notify_pld nc;
		cookie_make(ctx, remote, m->hdr.spi_i, p_ni->body, p_ni->len, want);
		if (!pc || ike_pld_notify_parse(pc->body, pc->len, &nc) || nc.dlen != 32 ||
		    !mem_equal_ct(want, nc.data, 32)) {
			if (pc)
				ctx->stats.cookies_bad++;
			ctx->stats.cookies_sent++;
			ike_send_notify_plain(ctx, local, remote, &m->hdr, IKE_N_COOKIE, want, 32);
			return;
		}
	}
	if (ike_pld_sa_parse(p_sa->body, p_sa->len, &theirs) ||
	    ike_pld_ke_parse(p_ke->body, p_ke->len, &group, &ke, &kelen)) {
		ike_send_notify_plain(ctx, local, remote, &m->hdr, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	conn = conn_for(ctx, local, remote, &theirs);
	if (!conn) {
		log_warn("ike: no connection for IKE_SA_INIT from %s to %s: NO_PROPOSAL_CHOSEN", a,
		         ip_addr_fmt(&local->addr, pt));
		ctx->stats.no_proposal++;
		ike_send_notify_plain(ctx, local, remote, &m->hdr, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (!ike_proposal_select(&conn->cfg.ike, &theirs, false, &chosen)) {
		ctx->stats.no_proposal++;
		log_warn("ike: [%s] peer %s proposed %s, we accept %s: NO_PROPOSAL_CHOSEN",
		         conn->cfg.name, a, ike_proposals_fmt(&theirs, pt, sizeof(pt)),
		         ike_proposals_fmt(&conn->cfg.ike, po, sizeof(po)));
		ike_send_notify_plain(ctx, local, remote, &m->hdr, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	uint16_t want_group = ike_proposal_get(&chosen, IKE_TRANS_DH, NULL);
	if (group != want_group) {
		uint8_t g[2];
		put_be16(g, want_group);
		ctx->stats.invalid_ke_sent++;
		log_info("ike: [%s] peer %s sent a key exchange for group %u, asking for %u "
		         "(INVALID_KE_PAYLOAD)", conn->cfg.name, a, group, want_group);
		ike_send_notify_plain(ctx, local, remote, &m->hdr, IKE_N_INVALID_KE_PAYLOAD, g, 2);
		return;
	}

	sa = ike_sa_new(ctx, conn, false);
	if (!sa)
		return;
	sa->spi_i = m->hdr.spi_i;
	sa->local = *local;
	sa->remote = *remote;
	sa->natt = local->port == IKE_NATT_PORT;
	sa->dh_group = group;
	if (ike_sa_set_algs(sa, &chosen))
		goto fail;
	sa->dh = crypto_dh_new(group);
	if (!sa->dh)
		goto fail;
	memcpy(sa->ni, p_ni->body, p_ni->len);
	sa->ni_len = p_ni->len;
	if (crypto_rand(sa->nr, IKE_NONCE_LEN))
		goto fail;
	sa->nr_len = IKE_NONCE_LEN;
	n = crypto_dh_public(sa->dh, pub, sizeof(pub));
	if (n < 0)
		goto fail;
	if (derive(sa, ke, kelen)) {
		sa_warn(sa, "peer's key exchange value for group %u is invalid: INVALID_SYNTAX", group);
		ike_send_notify_plain(ctx, local, remote, &m->hdr, IKE_N_INVALID_SYNTAX, NULL, 0);
		goto fail;
	}
	natd_check(sa, m, 0);
	sa->init_req = malloc(m->rawlen);
	if (!sa->init_req)
		goto fail;
	memcpy(sa->init_req, m->raw, m->rawlen);
	sa->init_req_len = m->rawlen;

	ike_sa_resp_begin(sa, &mb, m, false);
	struct ike_proposals one = { .n = 1 };
	one.p[0] = chosen;
	ike_pld_sa_put(&mb, &one, false);
	ike_pld_ke_put(&mb, group, pub, (size_t)n);
	ike_pld_raw_put(&mb, IKE_PLD_NONCE, sa->nr, sa->nr_len);
	put_natd(&mb, sa->spi_i, sa->spi_r, &sa->local, &sa->remote, conn->cfg.encap);
	if (ike_mb_finish(&mb, NULL)) {
		ike_mb_free(&mb);
		goto fail;
	}
	sa->init_resp = malloc(mb.len);
	if (!sa->init_resp) {
		ike_mb_free(&mb);
		goto fail;
	}
	memcpy(sa->init_resp, mb.p, mb.len);
	sa->init_resp_len = mb.len;
	sa->msgid_in = 1;
	ike_sa_set_state(sa, IKE_STATE_INIT_RESPONDED);
	sa_info(sa, "IKE_SA_INIT from %s: peer proposed %s, we chose %s", a,
	        ike_proposals_fmt(&theirs, pt, sizeof(pt)), ike_proposal_fmt(&chosen, po, sizeof(po)));
	ike_sa_send_raw(sa, mb.p, mb.len);
	ike_mb_free(&mb);
	return;
fail:
	ike_sa_destroy(sa);
}

void ike_init_handle_response(struct ike_sa *sa, struct ike_msg *m)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	const struct ike_pld *p;
	struct ike_notify_pld n;
	struct ike_proposals theirs;
	struct ike_proposal chosen;
	uint16_t group, err;
	const uint8_t *ke;
	size_t kelen;
	char pt[1024], po[1024];

	if (sa->state != IKE_STATE_INIT_SENT) {
		sa->ctx->stats.drop_unexpected++;
		return;
	}
	if ((p = ike_msg_find_notify(m, IKE_N_COOKIE)) &&
	    ike_pld_notify_parse(p->body, p->len, &n) == 0) {
		if (n.dlen < 1 || n.dlen > sizeof(sa->cookie) || ++sa->init_retries > INIT_RETRIES_MAX) {
			sa_warn(sa, "bad or repeated COOKIE from the responder, giving up");
			goto fail;
		}
		memcpy(sa->cookie, n.data, n.dlen);
		sa->cookie_len = n.dlen;
		sa_info(sa, "responder demands a cookie, retrying IKE_SA_INIT");
		ike_timers_response_received(sa);
		if (ike_init_start(sa))
			goto fail;
		return;
	}
	if ((p = ike_msg_find_notify(m, IKE_N_INVALID_KE_PAYLOAD)) &&
	    ike_pld_notify_parse(p->body, p->len, &n) == 0) {
		uint16_t g = n.dlen == 2 ? get_be16(n.data) : 0;
		if (!g || !offers_group(&cfg->ike, g) || g == sa->dh_group ||
		    ++sa->init_retries > INIT_RETRIES_MAX) {
			sa_warn(sa, "responder wants key exchange group %u, which we do not propose", g);
			goto fail;
		}
		sa_info(sa, "responder wants key exchange group %u instead of %u, retrying", g,
		        sa->dh_group);
		sa->dh_group = g;
		ike_timers_response_received(sa);
		if (ike_init_start(sa))
			goto fail;
		return;
	}
	if ((err = ike_msg_error_notify(m))) {
		sa_warn(sa, "IKE_SA_INIT failed: peer sent %s; we proposed %s", ike_notify_name(err),
		        ike_proposals_fmt(&cfg->ike, po, sizeof(po)));
		if (err == IKE_N_NO_PROPOSAL_CHOSEN)
			sa->ctx->stats.no_proposal++;
		goto fail;
	}
	const struct ike_pld *p_sa = ike_msg_find(m, IKE_PLD_SA);
	const struct ike_pld *p_ke = ike_msg_find(m, IKE_PLD_KE);
	const struct ike_pld *p_nr = ike_msg_find(m, IKE_PLD_NONCE);
	if (!p_sa || !p_ke || !p_nr || m->hdr.spi_r == 0 ||
	    ike_pld_sa_parse(p_sa->body, p_sa->len, &theirs) || theirs.n != 1 ||
	    ike_pld_ke_parse(p_ke->body, p_ke->len, &group, &ke, &kelen)) {
		sa_warn(sa, "malformed IKE_SA_INIT response");
		goto fail;
	}
	/* the responder must pick one of our transforms, one per type */
	if (!ike_proposal_select(&cfg->ike, &theirs, false, &chosen) ||
	    chosen.ntrans != theirs.p[0].ntrans) {
		sa_warn(sa, "responder chose %s, which we did not propose (%s)",
		        ike_proposal_fmt(&theirs.p[0], pt, sizeof(pt)),
		        ike_proposals_fmt(&cfg->ike, po, sizeof(po)));
		goto fail;
	}
	if (group != sa->dh_group || ike_proposal_get(&chosen, IKE_TRANS_DH, NULL) != group) {
		sa_warn(sa, "responder's key exchange group %u does not match %u", group, sa->dh_group);
		goto fail;
	}
	ike_timers_response_received(sa);
	sa->spi_r = m->hdr.spi_r;
	if (ike_sa_set_algs(sa, &chosen))
		goto fail;
	memcpy(sa->nr, p_nr->body, p_nr->len);
	sa->nr_len = p_nr->len;
	if (derive(sa, ke, kelen)) {
		sa_warn(sa, "responder's key exchange value is invalid");
		goto fail;
	}
	sa->init_resp = malloc(m->rawlen);
	if (!sa->init_resp)
		goto fail;
	memcpy(sa->init_resp, m->raw, m->rawlen);
	sa->init_resp_len = m->rawlen;
	natd_check(sa, m, sa->spi_r);
	/* RFC 7296 2.23: after NAT detection, move to port 4500 */
	if ((sa->nat_local || sa->nat_remote || cfg->encap) && !sa->natt) {
		sa->natt = true;
		sa->local.port = IKE_NATT_PORT;
		if (sa->remote.port == IKE_PORT)
			sa->remote.port = IKE_NATT_PORT;
		sa_info(sa, "switching to port %u", IKE_NATT_PORT);
	}
	sa_info(sa, "IKE_SA_INIT done with %s", ike_proposal_fmt(&chosen, po, sizeof(po)));
	sa->msgid_out = 1;
	if (ike_auth_start(sa))
		goto fail;
	return;
fail:
	ike_sa_set_state(sa, IKE_STATE_DEAD);
}
