/* IKE_SA_INIT (RFC 7296 section 1.2): proposal and key exchange, nonces,
 * NAT detection (2.23), cookies against floods (2.6) and the
 * INVALID_KE_PAYLOAD retry (1.2), as one task with both roles. The
 * responder keeps no state until a request passes ike_init_accept (the
 * cookie check under load, the connection, the proposal and the group);
 * the task then answers it on the new half-open SA.
 *
 *   HDR, SAi1, KEi, Ni, N(NAT_DETECTION_*), [N(FRAGMENTATION_SUPPORTED)],
 *        N(SIGNATURE_HASH_ALGORITHMS)  -->
 *        <--  HDR, SAr1, KEr, Nr, [N(CHILDLESS_IKEV2_SUPPORTED)], N(NAT_DETECTION_*),
 *             [N(FRAGMENTATION_SUPPORTED)], [CERTREQ,] [N(SIGNATURE_HASH_ALGORITHMS)]
 *
 * IKE fragmentation (RFC 7383 2.3) is announced here, as the connection's
 * fragmentation setting says; what the peer announced is kept in
 * sa->frag_supported for ike_wire.c. The RFC 7427 notify and the CERTREQ
 * belong to public-key authentication (ike_authn_pubkey.c builds and
 * reads them).
 */
#include "ike/ike_init.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/dh.h"
#include "crypto/rand.h"
#include "ike/ike_authn_pubkey.h"
#include "ike/ike_ctx.h"
#include "ike/ike_kdf.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_sa.h"
#include "ike/ike_task.h"
#include "ike/ike_wire.h"
#include "util/bytes.h"
#include "util/mem.h"

#define INIT_RETRIES_MAX 3

/* The exchange's own state: the DH key until the keys are derived, and
 * the initiator's cookie and restart count. */
struct init_task {
	struct ike_task t;           /* first: the manager's handle */
	struct crypto_dh *dh;
	uint8_t cookie[64];
	size_t cookie_len;
	unsigned retries;            /* INVALID_KE / COOKIE restarts */
};

static struct init_task *init_of(struct ike_task *t)
{
	return (struct init_task *)t;
}

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

/* Whether our NAT detection notifies claim a NAT: encap = yes, or the data
 * plane prefers ESP in UDP (ike_ctx_set_prefer_encap). */
static bool fake_nat(const struct ike_sa *sa)
{
	return sa->conn->cfg.encap || sa->ctx->prefer_encap;
}

/* Compare the peer's NAT detection notifies with what we see. spi_r is the
 * value the peer used (0 in a request). False if the peer sent none (it
 * does not do NAT-T). */
static bool natd_check(struct ike_sa *sa, const struct ike_msg *m, uint64_t spi_r)
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
		return false;   /* peer does not do NAT-T */
	sa->nat_remote = !src_match;
	sa->nat_local = !dst_match;
	if (sa->nat_remote || sa->nat_local)
		sa_info(sa, "NAT detected: %s%s%s", sa->nat_local ? "we are behind a NAT" : "",
		        sa->nat_local && sa->nat_remote ? ", " : "",
		        sa->nat_remote ? "the peer is behind a NAT (or fakes it)" : "");
	return true;
}

void ike_init_natd_put(struct ike_sa *sa, struct ike_mb *mb)
{
	put_natd(mb, sa->spi_i, sa->spi_r, &sa->local, &sa->remote, fake_nat(sa));
}

bool ike_init_natd_check(struct ike_sa *sa, const struct ike_msg *m)
{
	return natd_check(sa, m, sa->spi_r);
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

/* Cookie = prf(secret, Ni | IPi | SPIi), RFC 7296 2.6, with the PRF keyed
 * once (ike_ctx_new): computed for every IKE_SA_INIT of a flood. 0 or
 * -EIO. */
static int cookie_make(struct ike_ctx *ctx, const struct ike_endpoint *remote,
                       uint64_t spi_i, const uint8_t *ni, size_t nilen, uint8_t out[32])
{
	uint8_t buf[IKE_NONCE_MAX + 16 + 8];
	size_t al = ip_addr_len(&remote->addr);

	memcpy(buf, ni, nilen);
	memcpy(buf + nilen, remote->addr.a, al);
	put_be64(buf + nilen + al, spi_i);
	return crypto_prf_keyed(ctx->cookie_prf, buf, nilen + al + 8, out);
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

/* RFC 7296 2.1: a retransmitted IKE_SA_INIT request (same SPIi from the
 * same peer) is answered from the half-open SA, not with a new one. True
 * if m was such a request (answered or dropped). */
static bool init_retransmitted(struct ike_ctx *ctx, const struct ike_endpoint *remote,
                               const struct ike_msg *m)
{
	for (struct ike_sa *sa = ike_sa_by_spi_i(ctx, m->hdr.spi_i, NULL); sa;
	     sa = ike_sa_by_spi_i(ctx, m->hdr.spi_i, sa)) {
		if (sa->initiator || !sa->init_req ||
		    !ip_addr_equal(&sa->remote.addr, &remote->addr))
			continue;
		if (sa->init_req_len == m->rawlen && memcmp(sa->init_req, m->raw, m->rawlen) == 0 &&
		    sa->init_resp) {
			ctx->stats.resent_responses++;
			sa_debug(sa, "retransmitted IKE_SA_INIT, resending response");
			ike_wire_send_raw(sa, sa->init_resp, sa->init_resp_len);
		} else {
			ctx->stats.drop_unexpected++;
		}
		return true;
	}
	return false;
}

/* RFC 7296 2.6: under load, demand a cookie before keeping state. True if
 * the request may go on. */
static bool cookie_ok(struct ike_ctx *ctx, const struct ike_endpoint *local,
                      const struct ike_endpoint *remote, const struct ike_msg *m,
                      const struct ike_pld *p_ni)
{
	uint8_t want[32];
	const struct ike_pld *pc;
	struct ike_notify_pld nc;

	if (ctx->half_open < ctx->cookie_threshold)
		return true;
	pc = ike_msg_find_notify(m, IKE_N_COOKIE);
	if (cookie_make(ctx, remote, m->hdr.spi_i, p_ni->body, p_ni->len, want)) {
		log_warn_rl("ike: cannot compute a cookie: IKE_SA_INIT dropped");
		return false;
	}
	if (pc && !ike_pld_notify_parse(pc->body, pc->len, &nc) && nc.dlen == 32 &&
	    mem_equal_ct(want, nc.data, 32))
		return true;
	if (pc)
		ctx->stats.cookies_bad++;
	ctx->stats.cookies_sent++;
	ike_wire_notify_plain(ctx, local, remote, &m->hdr, IKE_N_COOKIE, want, 32);
	return false;
}

struct ike_sa *ike_init_accept(struct ike_ctx *ctx, const struct ike_endpoint *local,
                               const struct ike_endpoint *remote, const struct ike_msg *m)
{
	const struct ike_pld *p_sa = ike_msg_find(m, IKE_PLD_SA);
	const struct ike_pld *p_ke = ike_msg_find(m, IKE_PLD_KE);
	const struct ike_pld *p_ni = ike_msg_find(m, IKE_PLD_NONCE);
	struct ike_proposals theirs;
	struct ike_proposal chosen;
	struct ike_conn *conn;
	struct ike_sa *sa;
	uint16_t group, want_group;
	const uint8_t *ke;
	size_t kelen;
	char a[IP_ADDR_STRLEN], pt[1024], po[1024];

	if (init_retransmitted(ctx, remote, m))
		return NULL;
	/* (the address is formatted for the log only past the cookie check:
	 * a flood's requests end there, at 100,000 a second) */
	if (!p_sa || !p_ke || !p_ni) {
		ip_addr_fmt(&remote->addr, a);
		/* (rate-limited: anyone can send these, as fast as they like) */
		log_warn_rl("ike: IKE_SA_INIT from %s lacks SA, KE or Nonce: INVALID_SYNTAX", a);
		ike_wire_notify_plain(ctx, local, remote, &m->hdr, IKE_N_INVALID_SYNTAX, NULL, 0);
		return NULL;
	}
	if (ctx->half_open >= ctx->half_open_max) {
		ctx->stats.half_open_refused++;
		log_debug_rl("ike: %u half-open IKE SAs, ignoring IKE_SA_INIT from %s",
		             ctx->half_open, ip_addr_fmt(&remote->addr, a));
		return NULL;
	}
	if (!cookie_ok(ctx, local, remote, m, p_ni))
		return NULL;
	ip_addr_fmt(&remote->addr, a);
	if (ike_pld_sa_parse(p_sa->body, p_sa->len, &theirs) ||
	    ike_pld_ke_parse(p_ke->body, p_ke->len, &group, &ke, &kelen)) {
		ike_wire_notify_plain(ctx, local, remote, &m->hdr, IKE_N_INVALID_SYNTAX, NULL, 0);
		return NULL;
	}
	conn = conn_for(ctx, local, remote, &theirs);
	if (!conn) {
		log_warn_rl("ike: no connection for IKE_SA_INIT from %s to %s: NO_PROPOSAL_CHOSEN", a,
		         ip_addr_fmt(&local->addr, pt));
		ctx->stats.no_proposal++;
		ike_wire_notify_plain(ctx, local, remote, &m->hdr, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return NULL;
	}
	if (!ike_proposal_select(&conn->cfg.ike, &theirs, false, &chosen)) {
		ctx->stats.no_proposal++;
		log_warn_rl("ike: [%s] peer %s proposed %s, we accept %s: NO_PROPOSAL_CHOSEN",
		         conn->cfg.name, a, ike_proposals_fmt(&theirs, pt, sizeof(pt)),
		         ike_proposals_fmt(&conn->cfg.ike, po, sizeof(po)));
		ike_wire_notify_plain(ctx, local, remote, &m->hdr, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return NULL;
	}
	want_group = ike_proposal_get(&chosen, IKE_TRANS_DH, NULL);
	if (group != want_group) {
		uint8_t g[2];
		put_be16(g, want_group);
		ctx->stats.invalid_ke_sent++;
		static struct log_ratelimit rl;
		if (log_ratelimit_ok(&rl))
			log_info("ike: [%s] peer %s sent a key exchange for group %u, asking for %u "
			         "(INVALID_KE_PAYLOAD)", conn->cfg.name, a, group, want_group);
		ike_wire_notify_plain(ctx, local, remote, &m->hdr, IKE_N_INVALID_KE_PAYLOAD, g, 2);
		return NULL;
	}
	sa = ike_sa_new(ctx, conn, false);
	if (!sa)
		return NULL;
	ike_sa_set_spi_i(sa, m->hdr.spi_i);
	sa->local = *local;
	sa->remote = *remote;
	sa->natt = local->port == IKE_NATT_PORT;
	sa->dh_group = group;
	if (ike_sa_set_algs(sa, &chosen)) {
		ike_sa_end(sa, IKE_END_INTERNAL);
		return NULL;
	}
	return sa;
}

/* g^ir and the SA's keys (RFC 7296 2.14); the private value is freed. */
static int derive(struct ike_sa *sa, struct init_task *it, const uint8_t *ke, size_t kelen)
{
	uint8_t gir[CRYPTO_DH_SECRET_MAX];
	int n = crypto_dh_derive(it->dh, ke, kelen, gir, sizeof(gir));
	int rc;

	crypto_dh_free(it->dh);   /* the private value is no longer needed */
	it->dh = NULL;
	if (n < 0)
		return n;
	rc = ike_kdf_ike_sa(sa, gir, (size_t)n);
	mem_wipe(gir, sizeof(gir));
	return rc;
}

/* A DH key for the group, and its public value into pub. Length or -errno. */
static int dh_public(struct init_task *it, uint16_t group, uint8_t *pub, size_t len)
{
	if (!it->dh || crypto_dh_group(it->dh) != group) {
		crypto_dh_free(it->dh);
		it->dh = crypto_dh_new(group);
		if (!it->dh)
			return -EIO;
	}
	return crypto_dh_public(it->dh, pub, len);
}

static enum ike_task_status init_build(struct ike_task *t, struct ike_sa *sa, struct ike_mb *mb)
{
	struct init_task *it = init_of(t);
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	uint8_t pub[CRYPTO_DH_PUB_MAX];
	char props[512];
	int n;

	if (!sa->dh_group)
		sa->dh_group = first_group(&cfg->ike);
	/* Ni stays the same across restarts */
	if (!sa->ni_len) {
		if (crypto_rand(sa->ni, IKE_NONCE_LEN))
			goto fail;
		sa->ni_len = IKE_NONCE_LEN;
	}
	n = dh_public(it, sa->dh_group, pub, sizeof(pub));
	if (n < 0)
		goto fail;
	if (it->cookie_len)  /* RFC 7296 2.6: the cookie goes first */
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_COOKIE, it->cookie, it->cookie_len);
	ike_pld_sa_put(mb, &cfg->ike, false);
	ike_pld_ke_put(mb, sa->dh_group, pub, (size_t)n);
	ike_pld_raw_put(mb, IKE_PLD_NONCE, sa->ni, sa->ni_len);
	put_natd(mb, sa->spi_i, 0, &sa->local, &sa->remote, fake_nat(sa));
	/* RFC 7383 2.3: unless fragmentation = no */
	if (cfg->fragmentation != IKE_FRAG_NO)
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_FRAGMENTATION_SUPPORTED, NULL, 0);
	ike_authn_pubkey_init_out(sa, mb);   /* N(SIGNATURE_HASH_ALGORITHMS) */
	ike_sa_set_state(sa, IKE_STATE_INIT_SENT);
	sa_info(sa, "initiating IKE_SA to %s, proposing %s",
	        ip_addr_fmt(&sa->remote.addr, (char[IP_ADDR_STRLEN]){ 0 }),
	        ike_proposals_fmt(&cfg->ike, props, sizeof(props)));
	return IKE_TASK_NEED_MORE;
fail:
	sa_err(sa, "cannot start IKE_SA_INIT: no random bytes or DH key");
	ike_sa_end(sa, IKE_END_INTERNAL);
	return IKE_TASK_FAILED;
}

/* RFC 7296 2.6 and 1.2: the responder asks for a cookie or another group.
 * NEED_MORE to send IKE_SA_INIT again, FAILED (SA ended) if we cannot
 * oblige, DONE if the response is neither. */
static enum ike_task_status init_restart(struct init_task *it, struct ike_sa *sa,
                                         const struct ike_msg *m)
{
	const struct ike_pld *p;
	struct ike_notify_pld n;

	if ((p = ike_msg_find_notify(m, IKE_N_COOKIE)) &&
	    ike_pld_notify_parse(p->body, p->len, &n) == 0) {
		if (n.dlen < 1 || n.dlen > sizeof(it->cookie) || ++it->retries > INIT_RETRIES_MAX) {
			sa_warn(sa, "bad or repeated COOKIE from the responder, giving up");
			goto fail;
		}
		memcpy(it->cookie, n.data, n.dlen);
		it->cookie_len = n.dlen;
		sa_info(sa, "responder demands a cookie, retrying IKE_SA_INIT");
		goto again;
	}
	if ((p = ike_msg_find_notify(m, IKE_N_INVALID_KE_PAYLOAD)) &&
	    ike_pld_notify_parse(p->body, p->len, &n) == 0) {
		uint16_t g = n.dlen == 2 ? get_be16(n.data) : 0;
		if (!g || !offers_group(&sa->conn->cfg.ike, g) || g == sa->dh_group ||
		    ++it->retries > INIT_RETRIES_MAX) {
			sa_warn(sa, "responder wants key exchange group %u, which we do not propose", g);
			goto fail;
		}
		sa_info(sa, "responder wants key exchange group %u instead of %u, retrying", g,
		        sa->dh_group);
		sa->dh_group = g;
		goto again;
	}
	return IKE_TASK_DONE;
again:
	sa->spi_r = 0;   /* a restart is a new first request (RFC 7296 2.6) */
	return IKE_TASK_NEED_MORE;
fail:
	ike_sa_end(sa, IKE_END_INIT_FAILED);
	return IKE_TASK_FAILED;
}

static enum ike_task_status init_process(struct ike_task *t, struct ike_sa *sa,
                                         const struct ike_msg *m)
{
	struct init_task *it = init_of(t);
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	struct ike_proposals theirs;
	struct ike_proposal chosen;
	enum ike_task_status st;
	uint16_t group, err;
	bool peer_natt;
	const uint8_t *ke;
	size_t kelen;
	char pt[1024], po[1024];

	st = init_restart(it, sa, m);
	if (st != IKE_TASK_DONE)
		return st;
	if ((err = ike_msg_error_notify(m))) {
		sa_warn(sa, "IKE_SA_INIT failed: peer sent %s; we proposed %s", ike_notify_name(err),
		        ike_proposals_fmt(&cfg->ike, po, sizeof(po)));
		if (err == IKE_N_NO_PROPOSAL_CHOSEN) {
			sa->ctx->stats.no_proposal++;
			ike_sa_end(sa, IKE_END_NO_PROPOSAL);
			return IKE_TASK_FAILED;
		}
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
	sa->spi_r = m->hdr.spi_r;
	if (ike_sa_set_algs(sa, &chosen))
		goto fail;
	memcpy(sa->nr, p_nr->body, p_nr->len);
	sa->nr_len = p_nr->len;
	if (derive(sa, it, ke, kelen)) {
		sa_warn(sa, "responder's key exchange value is invalid");
		goto fail;
	}
	peer_natt = natd_check(sa, m, sa->spi_r);
	/* RFC 6023: the responder accepts IKE_AUTH without a CHILD SA */
	sa->peer_childless = ike_msg_find_notify(m, IKE_N_CHILDLESS_IKEV2_SUPPORTED) != NULL;
	sa->frag_supported = ike_msg_find_notify(m, IKE_N_FRAGMENTATION_SUPPORTED) != NULL;
	ike_authn_pubkey_init_in(sa, m);     /* its hash algorithms, CERTREQ */
	/* RFC 7296 2.23: after NAT detection, move to port 4500; a faked NAT
	 * (prefer_encap) only with a peer that does NAT-T, which then sees it */
	if ((sa->nat_local || sa->nat_remote || cfg->encap || (peer_natt && fake_nat(sa))) &&
	    !sa->natt) {
		sa->natt = true;
		sa->local.port = IKE_NATT_PORT;
		if (sa->remote.port == IKE_PORT)
			sa->remote.port = IKE_NATT_PORT;
		sa_info(sa, "switching to port %u", IKE_NATT_PORT);
	}
	sa_info(sa, "IKE_SA_INIT done with %s", ike_proposal_fmt(&chosen, po, sizeof(po)));
	return IKE_TASK_DONE;   /* IKE_AUTH is queued behind us */
fail:
	ike_sa_end(sa, IKE_END_INIT_FAILED);
	return IKE_TASK_FAILED;
}

/* Responder: the request passed ike_init_accept, which created sa with
 * the chosen proposal. Our DH share, Nr, the keys, NAT detection. */
static enum ike_task_status init_respond(struct ike_task *t, struct ike_sa *sa,
                                         const struct ike_msg *m, struct ike_mb *mb)
{
	struct init_task *it = init_of(t);
	const struct ike_pld *p_ke = ike_msg_find(m, IKE_PLD_KE);
	const struct ike_pld *p_ni = ike_msg_find(m, IKE_PLD_NONCE);
	uint8_t pub[CRYPTO_DH_PUB_MAX];
	char a[IP_ADDR_STRLEN], pt[1024], po[1024];
	struct ike_proposals theirs, one = { .n = 1 };
	uint16_t group;
	bool peer_natt;
	const uint8_t *ke;
	size_t kelen;
	int n;

	/* ike_init_accept checked these */
	ike_pld_ke_parse(p_ke->body, p_ke->len, &group, &ke, &kelen);
	memcpy(sa->ni, p_ni->body, p_ni->len);
	sa->ni_len = p_ni->len;
	if (crypto_rand(sa->nr, IKE_NONCE_LEN) ||
	    (n = dh_public(it, group, pub, sizeof(pub))) < 0) {
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		ike_sa_end(sa, IKE_END_INTERNAL);
		return IKE_TASK_FAILED;
	}
	sa->nr_len = IKE_NONCE_LEN;
	if (derive(sa, it, ke, kelen)) {
		sa_warn(sa, "peer's key exchange value for group %u is invalid: INVALID_SYNTAX", group);
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		ike_sa_end(sa, IKE_END_INIT_FAILED);
		return IKE_TASK_FAILED;
	}
	/* a NAT-T initiator follows our fake, if any, to 4500 */
	peer_natt = natd_check(sa, m, 0);
	ike_authn_pubkey_init_in(sa, m);     /* its hash algorithms */
	one.p[0] = sa->prop;
	ike_pld_sa_put(mb, &one, false);
	ike_pld_ke_put(mb, group, pub, (size_t)n);
	ike_pld_raw_put(mb, IKE_PLD_NONCE, sa->nr, sa->nr_len);
	if (sa->conn->cfg.childless != IKE_CHILDLESS_NEVER)   /* RFC 6023, as charon */
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_CHILDLESS_IKEV2_SUPPORTED, NULL, 0);
	/* answered only to an initiator that does NAT-T, as charon */
	if (peer_natt)
		put_natd(mb, sa->spi_i, sa->spi_r, &sa->local, &sa->remote, fake_nat(sa));
	/* RFC 7383 2.3: answered in kind, unless fragmentation = no */
	sa->frag_supported = ike_msg_find_notify(m, IKE_N_FRAGMENTATION_SUPPORTED) != NULL;
	if (sa->frag_supported && sa->conn->cfg.fragmentation != IKE_FRAG_NO)
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_FRAGMENTATION_SUPPORTED, NULL, 0);
	ike_authn_pubkey_init_out(sa, mb);   /* CERTREQ, N(SIGNATURE_HASH_ALGORITHMS) */
	ike_sa_set_state(sa, IKE_STATE_INIT_RESPONDED);
	theirs.n = 0;
	const struct ike_pld *p_sa = ike_msg_find(m, IKE_PLD_SA);
	ike_pld_sa_parse(p_sa->body, p_sa->len, &theirs);
	sa_info(sa, "IKE_SA_INIT from %s: peer proposed %s, we chose %s",
	        ip_addr_fmt(&sa->remote.addr, a), ike_proposals_fmt(&theirs, pt, sizeof(pt)),
	        ike_proposal_fmt(&sa->prop, po, sizeof(po)));
	return IKE_TASK_DONE;
}

static void init_destroy(struct ike_task *t, struct ike_sa *sa)
{
	struct init_task *it = init_of(t);

	crypto_dh_free(it->dh);
	mem_free_wipe(it, sizeof(*it));
}

static const struct ike_task_ops init_ops = {
	.name = "IKE_SA_INIT",
	.exchange = IKE_SA_INIT,
	.before_auth = true,
	.build = init_build,
	.process = init_process,
	.respond = init_respond,
	.destroy = init_destroy,
};

struct ike_task *ike_init_task_new(struct ike_sa *sa, uint32_t arg)
{
	struct init_task *it = calloc(1, sizeof(*it));

	if (!it)
		return NULL;
	it->t.ops = &init_ops;
	return &it->t;
}
