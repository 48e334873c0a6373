/* IKE SA keys for Wireshark. See ike_export.h. Reads the SA list of the
 * core (ike_sa.h) without changing anything. */
#include "ike/ike_export.h"
#include "crypto/ident.h"
#include "crypto/ike_cipher.h"
#include "crypto/prf.h"
#include "crypto/x509.h"
#include "ike/ike_authn_pubkey.h"
#include "ike/ike_pld.h"
#include "ike/ike_proposal.h"
#include "ike/ike_child.h"
#include "ike/ike_conn.h"
#include "ike/ike_ctx.h"
#include "ike/ike_sa.h"
#include "xfrm/backend.h"
#include "util/mem.h"

#include <stdbool.h>
#include <string.h>

static const char *encr_name(int encr, unsigned bits)
{
	if (encr == CRYPTO_ENCR_AES_CBC)
		return bits == 128 ? "AES-CBC-128 [RFC3602]" : bits == 192 ? "AES-CBC-192 [RFC3602]" :
		       bits == 256 ? "AES-CBC-256 [RFC3602]" : NULL;
	if (encr == CRYPTO_ENCR_AES_GCM_16)
		return bits == 128 ? "AES-GCM-128 with 16 octet ICV [RFC5282]" :
		       bits == 192 ? "AES-GCM-192 with 16 octet ICV [RFC5282]" :
		       bits == 256 ? "AES-GCM-256 with 16 octet ICV [RFC5282]" : NULL;
	return NULL;
}

static const char *integ_name(int integ)
{
	switch (integ) {
	case CRYPTO_INTEG_NONE: return "NONE [RFC4306]";
	case CRYPTO_INTEG_HMAC_SHA2_256_128: return "HMAC_SHA2_256_128 [RFC4868]";
	case CRYPTO_INTEG_HMAC_SHA2_384_192: return "HMAC_SHA2_384_192 [RFC4868]";
	case CRYPTO_INTEG_HMAC_SHA2_512_256: return "HMAC_SHA2_512_256 [RFC4868]";
	}
	return NULL;
}

static void hex(FILE *out, const uint8_t *k, size_t n)
{
	char buf[2 * 64 + 1];

	if (n > 64)
		n = 64;
	mem_to_hex(k, n, buf);
	fputs(buf, out);      /* a UAT byte field: bare hex, no quotes */
	mem_wipe(buf, sizeof(buf));
}

int ike_export_wireshark(struct ike_ctx *ctx, FILE *out)
{
	int n = 0;

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next) {
		const char *e, *i;
		bool aead;

		if (!sa->keys_ready)
			continue;
		e = encr_name(sa->encr, sa->encr_bits);
		i = integ_name(sa->integ);
		if (!e || !i) {
			fprintf(out, "# IKE SA %016llx_i %016llx_r: its cipher has no entry in "
			        "Wireshark's IKEv2 decryption table\n",
			        (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r);
			continue;
		}
		aead = sa->integ == CRYPTO_INTEG_NONE;
		fprintf(out, "%016llx,%016llx,", (unsigned long long)sa->spi_i,
		        (unsigned long long)sa->spi_r);
		hex(out, sa->sk_ei, sa->enc_len);
		fputc(',', out);
		hex(out, sa->sk_er, sa->enc_len);
		fprintf(out, ",\"%s\",", e);
		hex(out, sa->sk_ai, aead ? 0 : sa->integ_len);
		fputc(',', out);
		hex(out, sa->sk_ar, aead ? 0 : sa->integ_len);
		fprintf(out, ",\"%s\"\n", i);
		n++;
	}
	return n;
}

static void counters(struct ike_ctx *ctx, const struct ip_addr *d, uint32_t spi,
                     uint64_t *bytes, uint64_t *pkts)
{
	struct xfrm_sa_id id = { .daddr = *d, .spi = spi, .proto = IPPROTO_ESP_ };
	struct xfrm_sa_counters n;

	xfrm_backend_query_sa(ctx->be, &id, &n);
	*bytes = n.bytes;
	*pkts = n.packets;
}

void ike_view_sas(struct ike_ctx *ctx, void (*sa_fn)(void *arg, const struct ike_view_sa *v),
                  void (*child_fn)(void *arg, const struct ike_view_child *v), void *arg)
{
	char id1[IKE_ID_STRLEN], id2[IKE_ID_STRLEN], prop[512], lts[1024], rts[1024];
	char lc[IKE_ID_STRLEN], li[IKE_ID_STRLEN], rc[IKE_ID_STRLEN], ri[IKE_ID_STRLEN];
	char eid[IKE_ID_STRLEN];
	uint64_t now = ike_now(ctx);

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next) {
		struct ike_id me = sa->conn ? sa->conn->cfg.local_id : (struct ike_id){ 0 };
		lc[0] = li[0] = rc[0] = ri[0] = '\0';
		if (sa->local_cert) {
			crypto_id_fmt(crypto_cert_subject(sa->local_cert), lc, sizeof(lc));
			crypto_id_fmt(crypto_cert_issuer(sa->local_cert), li, sizeof(li));
		}
		if (sa->peer_cert) {
			crypto_id_fmt(crypto_cert_subject(sa->peer_cert), rc, sizeof(rc));
			crypto_id_fmt(crypto_cert_issuer(sa->peer_cert), ri, sizeof(ri));
		}
		struct ike_view_sa v = {
			.conn = sa->conn ? sa->conn->cfg.name : "-",
			.state = ike_state_name(sa->state),
			.initiator = sa->initiator, .spi_i = sa->spi_i, .spi_r = sa->spi_r,
			.local = sa->local.addr, .remote = sa->remote.addr,
			.local_port = sa->local.port, .remote_port = sa->remote.port,
			.nat_local = sa->nat_local, .nat_remote = sa->nat_remote,
			.local_id = ike_id_fmt(&me, id1, sizeof(id1)),
			.remote_id = ike_id_fmt(&sa->peer_id, id2, sizeof(id2)),
			.remote_eap_id = sa->peer_eap_id && !ike_id_equal(sa->peer_eap_id, &sa->peer_id) ?
			                 ike_id_fmt(sa->peer_eap_id, eid, sizeof(eid)) : "",
			.proposal = sa->keys_ready ? ike_proposal_fmt(&sa->prop, prop, sizeof(prop)) : "",
			.established_s = sa->state == IKE_STATE_ESTABLISHED ?
			                 (int64_t)((now - sa->established_ms) / 1000) : -1,
			.local_sig = sa->local_sig, .local_cert = lc, .local_cert_issuer = li,
			.remote_sig = sa->peer_sig, .remote_cert = rc, .remote_cert_issuer = ri,
			.unique_id = sa->unique_id,
			.prop = sa->keys_ready ? &sa->prop : NULL,
			.rekey_in_s = sa->state == IKE_STATE_ESTABLISHED && !sa->rekeyed && sa->conn &&
			              sa->conn->cfg.rekey_time ?
			              ((int64_t)sa->established_ms + sa->conn->cfg.rekey_time * 1000ll -
			               (int64_t)now) / 1000 : -1,
		};
		if (v.rekey_in_s < -1)
			v.rekey_in_s = 0;
		if (sa_fn)
			sa_fn(arg, &v);
		for (struct ike_child_sa *c = sa->children; c && child_fn; c = c->next) {
			struct ike_view_child cv = {
				.name = c->cfg.name,
				.state = c->state == CHILD_INSTALLED ? "INSTALLED" :
				         c->state == CHILD_CREATING ? "CREATING" : "DELETING",
				.reqid = c->cfg.reqid,
				.mode = c->cfg.mode == XFRM_MODE_TRANSPORT ? "transport" : "tunnel",
				.encap = c->encap,
				.proposal = ike_proposal_fmt(&c->prop, prop, sizeof(prop)),
				.spi_in = c->spi_in, .spi_out = c->spi_out,
				.installed_s = c->state == CHILD_INSTALLED ? (now - c->installed_ms) / 1000 : 0,
				.rekey_in_s = c->rekey_ms ? (int64_t)(c->rekey_ms - now) / 1000 : -1,
				.local_ts = ike_ts_list_fmt(&c->ts_local, lts, sizeof(lts)),
				.remote_ts = ike_ts_list_fmt(&c->ts_remote, rts, sizeof(rts)),
				.unique_id = c->unique_id, .prop = &c->prop,
				.ts_local = &c->ts_local, .ts_remote = &c->ts_remote,
				.expire_in_s = c->expire_ms ? ((int64_t)c->expire_ms - (int64_t)now) / 1000 : -1,
			};
			if (cv.rekey_in_s < -1)
				cv.rekey_in_s = 0;
			if (cv.expire_in_s < -1)
				cv.expire_in_s = 0;
			counters(ctx, &c->local.addr, c->spi_in, &cv.in_bytes, &cv.in_packets);
			counters(ctx, &c->remote.addr, c->spi_out, &cv.out_bytes, &cv.out_packets);
			child_fn(arg, &cv);
		}
	}
}

void ike_view_conns(struct ike_ctx *ctx, void (*conn_fn)(void *arg, const struct ike_view_conn *v),
                    void (*child_fn)(void *arg, const struct ike_view_child_cfg *v), void *arg)
{
	char id1[IKE_ID_STRLEN], id2[IKE_ID_STRLEN], prop[1024], lts[1024], rts[1024];
	char lcert[2048], rcert[2048], rca[2048];

	for (struct ike_conn *c = ctx->conns; c; c = c->next) {
		const struct ike_conn_cfg *cf = &c->cfg;
		struct ike_view_conn v = {
			.name = cf->name, .local = cf->local_addr, .remote = cf->remote_addr,
			.local_port = cf->local_port ? cf->local_port : 500,
			.remote_port = cf->remote_port ? cf->remote_port : 500,
			.proposals = ike_proposals_fmt(&cf->ike, prop, sizeof(prop)),
			.local_id = ike_id_fmt(&cf->local_id, id1, sizeof(id1)),
			.remote_id = ike_id_fmt(&cf->remote_id, id2, sizeof(id2)),
			.encap = cf->encap,
			.local_auth = ike_auth_class_name(cf->local_auth),
			.remote_auth = ike_auth_class_name(cf->remote_auth),
			.local_certs = ike_authn_pubkey_certs_fmt(&cf->local_pk, false, lcert, sizeof(lcert)),
			.remote_certs = ike_authn_pubkey_certs_fmt(&cf->remote_pk, false, rcert, sizeof(rcert)),
			.remote_cacerts = ike_authn_pubkey_certs_fmt(&cf->remote_pk, true, rca, sizeof(rca)),
			.dpd_delay = cf->dpd_delay, .rekey_time = cf->rekey_time,
			.any_remote = !cf->remote_addr.family,
		};
		if (conn_fn)
			conn_fn(arg, &v);
		for (unsigned i = 0; i < cf->nchildren && child_fn; i++) {
			const struct ike_child_cfg *cc = &cf->children[i];
			struct ike_view_child_cfg cv = {
				.name = cc->name, .reqid = cc->reqid,
				.mode = cc->mode == XFRM_MODE_TRANSPORT ? "transport" : "tunnel",
				.start_action = cc->start_action == IKE_ACTION_TRAP ? "trap" :
				                cc->start_action == IKE_ACTION_START ? "start" : "none",
				.esp_proposals = ike_proposals_fmt(&cc->esp, prop, sizeof(prop)),
				.local_ts = cc->local_ts.n ? ike_ts_list_fmt(&cc->local_ts, lts, sizeof(lts))
				                           : "dynamic",
				.remote_ts = cc->remote_ts.n ? ike_ts_list_fmt(&cc->remote_ts, rts, sizeof(rts))
				                             : "dynamic",
				.close_action = cc->close_action == IKE_ACTION_TRAP ? "trap" :
				                cc->close_action == IKE_ACTION_START ? "start" : "none",
				.rekey_time = cc->rekey_time, .life_time = cc->life_time,
				.ts_local = &cc->local_ts, .ts_remote = &cc->remote_ts,
			};
			child_fn(arg, &cv);
		}
	}
}
