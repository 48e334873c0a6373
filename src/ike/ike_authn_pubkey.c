/* Public-key authentication as strongSwan 5.9.8 does it
 * (sa/ikev2/authenticators/pubkey_authenticator.c, tasks/ike_cert_pre.c
 * and ike_cert_post.c), on src/crypto/'s certificates, path validation and
 * signatures, with the credentials of struct ike_creds.
 *
 *   IKE_SA_INIT  HDR, SAi1, KEi, Ni, N(SIGNATURE_HASH_ALGORITHMS)  -->
 *            <-- HDR, SAr1, KEr, Nr, [CERTREQ,] [N(SIGNATURE_HASH_ALGORITHMS)]
 *   IKE_AUTH     HDR, SK {IDi, [CERT+,] [CERTREQ,] [IDr,] AUTH, ...}  -->
 *            <-- HDR, SK {IDr, [CERT+,] AUTH, ...}
 *
 * LOCAL proves us: our certificate (local.certs, the first whose private
 * key is loaded; else the loaded certificate matching our identity) or
 * raw public key, CERT payloads with it and the intermediates up to a
 * self-signed root or a CA the peer asked for (send_cert = ifasked: only
 * if the peer sent a CERTREQ), and AUTH signed as strongSwan chooses:
 * RFC 7427 (method 14) if the peer sent SIGNATURE_HASH_ALGORITHMS,
 * otherwise RSA (1) or ECDSA (9/10/11); the scheme by our auth =
 * constraints or by key type and size (crypto_sig_select_pub). REMOTE
 * checks the peer: its CERT payloads (bounded, each parsed by OpenSSL;
 * intermediates only ever untrusted), the certificate that carries its
 * identity (from CERT, or pinned by remote.certs / pubkeys, or loaded in
 * x509/), the chain to a trust anchor with revocation, cacerts and ca_id
 * (crypto_trust_verify), the AUTH signature, and the auth = constraints
 * on what it used. Every refusal names its reason.
 *
 * Ownership: an authenticator borrows its connection's configuration and
 * the credentials; certificates it parses are its own and freed at the
 * end of the call; the IKE SA keeps references to the two certificates
 * used, for listings. Runs on the control loop. */
#include "ike/ike_authn_pubkey.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ident.h"
#include "crypto/sig.h"
#include "crypto/x509.h"
#include "crypto/x509_verify.h"
#include "ike/ike_ctx.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_proto.h"
#include "ike/ike_sa.h"
#include "util/mem.h"

/* CERT payloads read from one message (strongSwan has no bound; chains
 * longer than this cannot validate anyway: CRYPTO_VERIFY_MAX_PATH). */
#define PEER_CERTS_MAX 16
/* Largest Certificate Data accepted in one CERT payload. */
#define CERT_DATA_MAX 32768
/* CAs named in one CERTREQ we send, and hashes read from the peer's. */
#define CERTREQ_OUT_MAX 64
#define CERTREQ_IN_MAX 128
/* Intermediates we send (strongSwan's MAX_TRUST_PATH_LEN). */
#define CHAIN_OUT_MAX CRYPTO_VERIFY_MAX_PATH
#define SCHEMES_MAX 16

struct pubkey {
	struct ike_authn a;              /* first: the interface */
	const struct ike_conn_cfg *cfg;  /* the connection's (borrowed) */
	const struct ike_creds *creds;   /* NULL: none configured */
	struct ike_sa *sa;
	bool done;
};

static struct pubkey *pk_of(struct ike_authn *a)
{
	return (struct pubkey *)a;
}

static const struct crypto_trust *trust_of(const struct ike_creds *cr)
{
	return cr && cr->trust ? cr->trust(cr->ctx) : NULL;
}

static const char *auth_method_name(uint8_t m)
{
	switch (m) {
	case IKE_AUTH_RSA: return "RSA signature";
	case IKE_AUTH_ECDSA_256: return "ECDSA-256 signature";
	case IKE_AUTH_ECDSA_384: return "ECDSA-384 signature";
	case IKE_AUTH_ECDSA_521: return "ECDSA-521 signature";
	case IKE_AUTH_DS: return "digital signature";
	default: return "unknown method";
	}
}

/* As strongSwan logs a signature: the scheme of method 14, else the method. */
static void sig_label(uint8_t method, const struct crypto_sig_params *p, char *buf, size_t len)
{
	if (method == IKE_AUTH_DS)
		crypto_sig_params_fmt(p, buf, len);
	else
		snprintf(buf, len, "%s", auth_method_name(method));
}

/* ---- certificate requests (RFC 7296 3.7) ---- */

static bool is_ca_hint(const struct ike_sa *sa, const struct crypto_cert *ca)
{
	const uint8_t *k = crypto_cert_keyid(ca);

	for (unsigned i = 0; i < sa->ncertreq_ca; i++)
		if (memcmp(sa->certreq_ca[i], k, CRYPTO_SHA1_LEN) == 0)
			return true;
	return false;
}

/* CERTREQ with the SHA-1 of each CA's SubjectPublicKeyInfo: those of cas
 * (remote.cacerts) if any, else every CA certificate we trust (as
 * ike_cert_pre.c build_certreqs). Nothing if there is none. */
static void certreq_put(struct ike_sa *sa, struct ike_mb *mb, struct crypto_cert *const *cas,
                        unsigned ncas, const struct crypto_trust *t)
{
	uint8_t data[CERTREQ_OUT_MAX * CRYPTO_SHA1_LEN];
	size_t n = 0, total = ncas ? ncas : (t ? crypto_trust_ca_count(t) : 0);
	char dn[IKE_ID_STRLEN];

	for (size_t i = 0; i < total; i++) {
		const struct crypto_cert *ca = ncas ? cas[i] : crypto_trust_ca(t, i);
		bool dup = false;

		if (!(crypto_cert_flags(ca) & CRYPTO_CERT_CA))
			continue;
		for (size_t k = 0; k < n && !dup; k++)
			dup = !memcmp(data + k * CRYPTO_SHA1_LEN, crypto_cert_keyid(ca), CRYPTO_SHA1_LEN);
		if (dup)
			continue;
		if (n == CERTREQ_OUT_MAX) {
			sa_warn(sa, "more than %d CAs: the CERTREQ names the first %d", CERTREQ_OUT_MAX,
			        CERTREQ_OUT_MAX);
			break;
		}
		memcpy(data + n * CRYPTO_SHA1_LEN, crypto_cert_keyid(ca), CRYPTO_SHA1_LEN);
		n++;
		sa_debug(sa, "sending cert request for '%s'",
		         crypto_id_fmt(crypto_cert_subject(ca), dn, sizeof(dn)));
	}
	if (n)
		ike_pld_certreq_put(mb, IKE_CERT_X509_SIGNATURE, data, n * CRYPTO_SHA1_LEN);
}

/* The peer's CERTREQs in m: any sets certreq_seen (send_cert = ifasked);
 * the CAs we know are kept as hints for the chain we send. */
static void certreq_read(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct crypto_trust *t = trust_of(sa->ctx->creds);
	unsigned seen = 0;
	char dn[IKE_ID_STRLEN];

	for (unsigned i = 0; i < m->npld; i++) {
		const struct ike_pld *p = &m->pld[i];
		const uint8_t *d;
		size_t dl;
		uint8_t enc;

		if (p->type != IKE_PLD_CERTREQ || ike_pld_certreq_parse(p->body, p->len, &enc, &d, &dl))
			continue;
		sa->certreq_seen = true;
		if (enc != IKE_CERT_X509_SIGNATURE) {
			sa_info(sa, "certificate request of encoding %u not supported, ignored", enc);
			continue;
		}
		for (size_t off = 0; off + CRYPTO_SHA1_LEN <= dl; off += CRYPTO_SHA1_LEN) {
			const struct crypto_cert *ca;

			if (++seen > CERTREQ_IN_MAX) {
				sa_debug(sa, "certificate requests beyond %d ignored", CERTREQ_IN_MAX);
				return;
			}
			ca = t ? crypto_trust_find_keyid(t, d + off) : NULL;
			if (!ca) {
				sa_debug(sa, "received cert request for unknown ca with keyid %02x%02x%02x%02x...",
				         d[off], d[off + 1], d[off + 2], d[off + 3]);
				continue;
			}
			sa_info(sa, "received cert request for '%s'",
			        crypto_id_fmt(crypto_cert_subject(ca), dn, sizeof(dn)));
			if (sa->ncertreq_ca < sizeof(sa->certreq_ca) / sizeof(sa->certreq_ca[0]) &&
			    !is_ca_hint(sa, ca))
				memcpy(sa->certreq_ca[sa->ncertreq_ca++], d + off, CRYPTO_SHA1_LEN);
		}
	}
}

/* ---- IKE_SA_INIT ---- */

void ike_authn_pubkey_init_out(struct ike_sa *sa, struct ike_mb *mb)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	uint8_t data[16];
	int n;

	if (sa->initiator) {
		/* the hashes our remote constraints allow, or all we support
		 * (ike_init.c send_supported_hash_algorithms) */
		n = crypto_sig_hash_notify_build(crypto_sig_constraints_hashes(&cfg->remote_pk.sig),
		                                 data, sizeof(data));
		if (n > 0)
			ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, data, (size_t)n);
		return;
	}
	/* the responder does not know the peer's connection yet: every CA */
	if (!cfg->no_certreq)
		certreq_put(sa, mb, NULL, 0, trust_of(sa->ctx->creds));
	if (sa->peer_hashes) {
		n = crypto_sig_hash_notify_build(0, data, sizeof(data));
		if (n > 0)
			ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, data, (size_t)n);
	}
}

void ike_authn_pubkey_init_in(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_pld *p = ike_msg_find_notify(m, IKE_N_SIGNATURE_HASH_ALGORITHMS);
	struct ike_notify_pld n;

	if (p && !ike_pld_notify_parse(p->body, p->len, &n)) {
		sa->peer_hashes = crypto_sig_hash_notify_parse(n.data, n.dlen);
		sa_debug(sa, "peer supports RFC 7427 signatures with hashes 0x%x", sa->peer_hashes);
	}
	if (sa->initiator)
		certreq_read(sa, m);
}

/* ---- connections and SAs ---- */

static void default_id(struct ike_id *id, const struct ike_pubkey_cfg *pk)
{
	struct crypto_id cid;

	if (id->type)
		return;
	if (pk->ncerts) {
		/* vici_config.c: "id not specified, defaulting to cert subject" */
		ike_id_from_crypto(crypto_cert_subject(pk->certs[0]), id);
	} else if (pk->npubkeys) {
		/* pubkey_cert.c: a raw key's subject is its key ID */
		memset(&cid, 0, sizeof(cid));
		cid.type = CRYPTO_ID_KEY_ID;
		cid.len = CRYPTO_SHA1_LEN;
		memcpy(cid.data, crypto_pubkey_keyid(pk->pubkeys[0]), CRYPTO_SHA1_LEN);
		ike_id_from_crypto(&cid, id);
	}
}

static void pk_hold(struct ike_pubkey_cfg *pk)
{
	for (unsigned i = 0; i < pk->ncerts; i++)
		pk->certs[i] = crypto_cert_ref(pk->certs[i]);
	for (unsigned i = 0; i < pk->npubkeys; i++)
		pk->pubkeys[i] = crypto_pubkey_ref(pk->pubkeys[i]);
	for (unsigned i = 0; i < pk->ncacerts; i++)
		pk->cacerts[i] = crypto_cert_ref(pk->cacerts[i]);
}

static void pk_release(struct ike_pubkey_cfg *pk)
{
	for (unsigned i = 0; i < pk->ncerts; i++)
		crypto_cert_free(pk->certs[i]);
	for (unsigned i = 0; i < pk->npubkeys; i++)
		crypto_pubkey_free(pk->pubkeys[i]);
	for (unsigned i = 0; i < pk->ncacerts; i++)
		crypto_cert_free(pk->cacerts[i]);
	pk->ncerts = pk->npubkeys = pk->ncacerts = 0;
}

void ike_authn_pubkey_cfg_hold(struct ike_conn_cfg *cfg)
{
	if (cfg->local_pk.ncerts > IKE_PUBKEY_CERTS_MAX)
		cfg->local_pk.ncerts = IKE_PUBKEY_CERTS_MAX;
	pk_hold(&cfg->local_pk);
	pk_hold(&cfg->remote_pk);
	if (cfg->local_auth == IKE_AUTH_CLASS_PUBKEY)
		default_id(&cfg->local_id, &cfg->local_pk);
	if (cfg->remote_auth == IKE_AUTH_CLASS_PUBKEY)
		default_id(&cfg->remote_id, &cfg->remote_pk);
}

void ike_authn_pubkey_cfg_release(struct ike_conn_cfg *cfg)
{
	pk_release(&cfg->local_pk);
	pk_release(&cfg->remote_pk);
}

void ike_authn_pubkey_sa_clear(struct ike_sa *sa)
{
	crypto_cert_free(sa->peer_cert);
	crypto_cert_free(sa->local_cert);
	sa->peer_cert = sa->local_cert = NULL;
}

void ike_authn_pubkey_sa_inherit(struct ike_sa *sa, const struct ike_sa *old)
{
	ike_authn_pubkey_sa_clear(sa);
	sa->peer_cert = old->peer_cert ? crypto_cert_ref(old->peer_cert) : NULL;
	sa->local_cert = old->local_cert ? crypto_cert_ref(old->local_cert) : NULL;
	memcpy(sa->peer_sig, old->peer_sig, sizeof(sa->peer_sig));
	memcpy(sa->local_sig, old->local_sig, sizeof(sa->local_sig));
	sa->peer_hashes = old->peer_hashes;
}

/* ---- LOCAL: proving us ---- */

/* What we sign with: a certificate (new reference in *cert) and its key,
 * or a raw public key (*cert NULL). False with why set if we have none. */
static bool our_key(struct pubkey *p, const struct ike_authn_round *r, struct crypto_cert **cert,
                    const struct crypto_pubkey **pub)
{
	const struct ike_pubkey_cfg *pk = &p->cfg->local_pk;
	const struct ike_creds *cr = p->creds;
	struct crypto_id id;
	char ids[IKE_ID_STRLEN];

	*cert = NULL;
	*pub = NULL;
	ike_id_fmt(r->local_id, ids, sizeof(ids));
	if (!cr) {
		snprintf(r->why, r->whylen, "no credentials loaded: no private key for '%s'", ids);
		return false;
	}
	/* credential_manager.c get_private: the configured certificates
	 * first, then raw keys, then a certificate matching our identity */
	for (unsigned i = 0; i < pk->ncerts; i++)
		if (cr->has_key(cr->ctx, crypto_cert_pubkey(pk->certs[i]))) {
			*cert = crypto_cert_ref(pk->certs[i]);
			break;
		}
	if (!*cert && pk->ncerts) {
		snprintf(r->why, r->whylen, "no private key found for '%s' (of its certificate%s in "
		         "local.certs)", ids, pk->ncerts > 1 ? "s" : "");
		return false;
	}
	for (unsigned i = 0; !*cert && !*pub && i < pk->npubkeys; i++)
		if (cr->has_key(cr->ctx, pk->pubkeys[i]))
			*pub = pk->pubkeys[i];
	if (!*cert && !*pub && pk->npubkeys) {
		snprintf(r->why, r->whylen, "no private key found for '%s' (of local.pubkeys)", ids);
		return false;
	}
	if (!*cert && !*pub) {
		ike_id_to_crypto(r->local_id, &id);
		*cert = cr->find_cert(cr->ctx, &id, true);
		if (!*cert) {
			snprintf(r->why, r->whylen, "no private key found for '%s' (no loaded certificate "
			         "with this identity and its key)", ids);
			return false;
		}
	}
	if (*cert)
		*pub = crypto_cert_pubkey(*cert);
	return true;
}

/* The CA that issued c among the trust store's, or NULL. */
static const struct crypto_cert *issuer_of(const struct crypto_trust *t, const struct crypto_cert *c)
{
	size_t n = t ? crypto_trust_ca_count(t) : 0;

	for (size_t i = 0; i < n; i++) {
		const struct crypto_cert *ca = crypto_trust_ca(t, i);
		if (!crypto_cert_equal(ca, c) &&
		    crypto_id_equal(crypto_cert_subject(ca), crypto_cert_issuer(c)) &&
		    crypto_cert_signed_by(c, ca))
			return ca;
	}
	return NULL;
}

/* CERT payloads: our certificate, then the intermediates of its chain up
 * to a self-signed root or a CA the peer asked for, neither sent
 * (credential_manager.c build_trustchain, ike_cert_post.c build_certs). */
static void certs_put(struct pubkey *p, const struct crypto_cert *cert, struct ike_mb *mb)
{
	const struct crypto_trust *t = trust_of(p->creds);
	const struct crypto_cert *cur = cert;
	char dn[IKE_ID_STRLEN];
	const uint8_t *der;
	size_t len;

	der = crypto_cert_der(cert, &len);
	ike_pld_cert_put(mb, IKE_CERT_X509_SIGNATURE, der, len);
	sa_info(p->sa, "sending end entity cert '%s'",
	        crypto_id_fmt(crypto_cert_subject(cert), dn, sizeof(dn)));
	for (int depth = 0; depth < CHAIN_OUT_MAX; depth++) {
		const struct crypto_cert *iss;

		if (crypto_cert_flags(cur) & CRYPTO_CERT_SELF_SIGNED)
			break;
		iss = issuer_of(t, cur);
		if (!iss || is_ca_hint(p->sa, iss) || (crypto_cert_flags(iss) & CRYPTO_CERT_SELF_SIGNED))
			break;
		der = crypto_cert_der(iss, &len);
		ike_pld_cert_put(mb, IKE_CERT_X509_SIGNATURE, der, len);
		sa_info(p->sa, "sending issuer cert '%s'",
		        crypto_id_fmt(crypto_cert_subject(iss), dn, sizeof(dn)));
		cur = iss;
	}
}

static bool send_certs(const struct pubkey *p)
{
	switch (p->cfg->send_cert) {
	case IKE_SEND_CERT_ALWAYS: return true;
	case IKE_SEND_CERT_NEVER: return false;
	default: return p->sa->certreq_seen;
	}
}

/* No scheme fits: say why as strongSwan would. */
static void no_scheme(const struct pubkey *p, const struct crypto_pubkey *pub,
                      const struct ike_authn_round *r)
{
	enum crypto_key_type kt = crypto_pubkey_type(pub);

	if (p->sa->peer_hashes)
		snprintf(r->why, r->whylen, "no common hash algorithm found to create signature with "
		         "%s key (the peer's SIGNATURE_HASH_ALGORITHMS and our auth = constraints)",
		         crypto_key_type_name(kt));
	else if (kt == CRYPTO_KEY_ED25519)
		snprintf(r->why, r->whylen, "an Ed25519 key needs RFC 7427 signatures, and the peer "
		         "sent no SIGNATURE_HASH_ALGORITHMS");
	else
		snprintf(r->why, r->whylen, "%d bit %s private key not supported without RFC 7427",
		         crypto_pubkey_bits(pub), crypto_key_type_name(kt));
}

static enum ike_authn_status local_build(struct pubkey *p, const struct ike_authn_round *r,
                                         struct ike_mb *mb)
{
	struct crypto_sig_choice ch[SCHEMES_MAX];
	struct crypto_cert *cert = NULL;
	const struct crypto_pubkey *pub;
	uint8_t auth[CRYPTO_SIG_AUTH_MAX];
	char ids[IKE_ID_STRLEN], label[48];
	size_t n;
	int len = -ENOENT;

	if (!our_key(p, r, &cert, &pub))
		return IKE_AUTHN_FAILED;
	n = crypto_sig_select_pub(pub, &p->cfg->local_pk.sig, false, p->sa->peer_hashes, ch,
	                          SCHEMES_MAX);
	if (!n) {
		no_scheme(p, pub, r);
		crypto_cert_free(cert);
		return IKE_AUTHN_FAILED;
	}
	if (cert && send_certs(p))
		certs_put(p, cert, mb);
	/* pubkey_authenticator.c sign_signature_auth: the first scheme that
	 * signs */
	for (size_t i = 0; i < n && len < 0; i++) {
		len = p->creds->sign(p->creds->ctx, pub, ch[i].method, &ch[i].params, r->local_octets,
		                     r->local_octets_len, auth, sizeof(auth));
		if (len >= 0) {
			ike_pld_auth_put(mb, ch[i].method, auth, (size_t)len);
			sig_label(ch[i].method, &ch[i].params, label, sizeof(label));
		}
	}
	mem_wipe(auth, sizeof(auth));
	ike_id_fmt(r->local_id, ids, sizeof(ids));
	if (len < 0) {
		snprintf(r->why, r->whylen, "authentication of '%s' (myself) failed: %s", ids,
		         len == -ENOKEY ? "the private key is gone" : "cannot sign");
		crypto_cert_free(cert);
		return IKE_AUTHN_FAILED;
	}
	sa_info(p->sa, "authentication of '%s' (myself) with %s successful", ids, label);
	crypto_cert_free(p->sa->local_cert);
	p->sa->local_cert = cert;
	snprintf(p->sa->local_sig, sizeof(p->sa->local_sig), "%s", label);
	p->done = true;
	return IKE_AUTHN_DONE;
}

/* ---- REMOTE: checking the peer ---- */

/* The peer's CERT payloads, parsed: certs[0] is the first (its end
 * entity, RFC 7296 3.6), the rest are intermediates for path building.
 * False (counted, why set) if one is refused. */
struct peer_certs {
	struct crypto_cert *c[PEER_CERTS_MAX];
	size_t n;
};

static void peer_certs_free(struct peer_certs *pc)
{
	for (size_t i = 0; i < pc->n; i++)
		crypto_cert_free(pc->c[i]);
	pc->n = 0;
}

static bool peer_certs_read(struct pubkey *p, const struct ike_msg *m, struct peer_certs *pc,
                            const struct ike_authn_round *r)
{
	unsigned idx = 0;
	char err[256], dn[IKE_ID_STRLEN];

	pc->n = 0;
	for (unsigned i = 0; i < m->npld; i++) {
		const struct ike_pld *pl = &m->pld[i];
		const uint8_t *d;
		size_t dl;
		uint8_t enc;

		if (pl->type != IKE_PLD_CERT)
			continue;
		idx++;
		if (ike_pld_cert_parse(pl->body, pl->len, &enc, &d, &dl))
			goto malformed;
		if (enc != IKE_CERT_X509_SIGNATURE) {
			/* ike_cert_pre.c: "certificate encoding %N not supported" */
			sa_info(p->sa, "CERT payload %u: certificate encoding %u not supported, ignored",
			        idx, enc);
			continue;
		}
		if (pc->n == PEER_CERTS_MAX) {
			snprintf(r->why, r->whylen, "pubkey authentication: more than %d CERT payloads "
			         "(a chain that long cannot be validated)", PEER_CERTS_MAX);
			goto refused;
		}
		if (dl > CERT_DATA_MAX) {
			snprintf(r->why, r->whylen, "pubkey authentication: CERT payload %u holds %zu "
			         "bytes, more than the %d accepted", idx, dl, CERT_DATA_MAX);
			goto refused;
		}
		pc->c[pc->n] = crypto_cert_from_data(d, dl, err, sizeof(err));
		if (!pc->c[pc->n]) {
			snprintf(r->why, r->whylen, "pubkey authentication: CERT payload %u is not a "
			         "certificate we accept: %s", idx, err);
			goto refused;
		}
		sa_info(p->sa, "received %s cert '%s'", pc->n ? "issuer" : "end entity",
		        crypto_id_fmt(crypto_cert_subject(pc->c[pc->n]), dn, sizeof(dn)));
		pc->n++;
	}
	return true;
malformed:
	snprintf(r->why, r->whylen, "pubkey authentication: CERT payload %u is malformed", idx);
refused:
	p->sa->ctx->stats.cert_malformed++;
	peer_certs_free(pc);
	return false;
}

/* Why the first candidate failed, kept for the log. */
struct verdict {
	char why[768];
	bool set;
};

static void verdict_set(struct verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void verdict_set(struct verdict *v, const char *fmt, ...)
{
	va_list ap;

	if (v->set)
		return;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
	v->set = true;
}

/* Do the auth = key strength constraints hold for a raw key? */
static bool raw_key_strong(const struct crypto_sig_constraints *c, const struct crypto_pubkey *k)
{
	enum crypto_key_type t = crypto_pubkey_type(k);

	if (t == CRYPTO_KEY_RSA && c->rsa_bits && crypto_pubkey_bits(k) < c->rsa_bits)
		return false;
	if (t == CRYPTO_KEY_ECDSA && c->ecdsa_bits && crypto_pubkey_bits(k) < c->ecdsa_bits)
		return false;
	return true;
}

/* Verify the peer's AUTH with pub; on success the constraints on what it
 * used. 0, or -EACCES with the verdict set. */
static int check_signature(struct pubkey *p, const struct ike_authn_round *r,
                           const struct crypto_pubkey *pub, const char *whose, uint8_t method,
                           const uint8_t *data, size_t dlen, struct crypto_sig_params *used,
                           struct verdict *v)
{
	char err[256], lab[64];
	int rc;

	rc = crypto_sig_auth_verify(pub, method, data, dlen, r->peer_octets, r->peer_octets_len,
	                            used, err, sizeof(err));
	if (rc == -EKEYREJECTED) {
		verdict_set(v, "signature invalid: its AUTH (%s) does not verify with the key of %s",
		            auth_method_name(method), whose);
		return -EACCES;
	}
	if (rc == -EINVAL) {
		verdict_set(v, "its AUTH (%s) does not fit the %s key of %s: %s",
		            auth_method_name(method), crypto_key_type_name(crypto_pubkey_type(pub)),
		            whose, err);
		return -EACCES;
	}
	if (rc) {
		verdict_set(v, "its AUTH payload is invalid: %s", err);
		return -EACCES;
	}
	if (!crypto_sig_constraints_allow_ike(&p->cfg->remote_pk.sig, used)) {
		sig_label(method, used, lab, sizeof(lab));
		verdict_set(v, "constraint check failed: it signed with %s, which our remote auth = "
		            "does not allow", lab);
		return -EACCES;
	}
	return 0;
}

/* A certificate candidate: its chain, then its signature. */
static int check_cert(struct pubkey *p, const struct ike_authn_round *r, struct crypto_cert *cert,
                      const struct peer_certs *pc, uint8_t method, const uint8_t *data,
                      size_t dlen, struct crypto_sig_params *used, struct verdict *v)
{
	const struct ike_pubkey_cfg *pk = &p->cfg->remote_pk;
	const struct crypto_trust *t = trust_of(p->creds);
	struct crypto_trust *empty = NULL;
	struct crypto_cert *unt[PEER_CERTS_MAX];
	struct crypto_verify_opts o = { 0 };
	struct crypto_verify_result res;
	struct crypto_id caid;
	size_t nunt = 0;
	char dn[IKE_ID_STRLEN], who[IKE_ID_STRLEN + 16], err[512];
	int rc;

	crypto_id_fmt(crypto_cert_subject(cert), dn, sizeof(dn));
	snprintf(who, sizeof(who), "'%s'", dn);
	for (size_t i = 0; i < pc->n; i++)
		if (pc->c[i] != cert)
			unt[nunt++] = pc->c[i];
	o.revocation = (enum crypto_revocation)pk->revocation;
	o.cacerts = pk->cacerts;
	o.ncacerts = pk->ncacerts;
	if (pk->ca_id.type) {
		ike_id_to_crypto(&pk->ca_id, &caid);
		o.ca_id = &caid;
	}
	o.pretrusted = p->creds && p->creds->is_local(p->creds->ctx, cert);
	if (!t)
		t = empty = crypto_trust_new();
	if (!t) {
		verdict_set(v, "no memory to validate certificate %s", who);
		return -EACCES;
	}
	rc = crypto_trust_verify(t, cert, unt, nunt, &o, &res);
	crypto_trust_free(empty);
	if (rc) {
		p->sa->ctx->stats.cert_refused++;
		verdict_set(v, "certificate %s not trusted: %s (%s)", who,
		            crypto_verify_status_name(res.status), res.detail);
		crypto_verify_result_clear(&res);
		return -EACCES;
	}
	rc = crypto_sig_constraints_check_chain(&pk->sig, res.chain, res.chain_len, err, sizeof(err));
	if (rc) {
		verdict_set(v, "certificate %s: %s", who, err);
		crypto_verify_result_clear(&res);
		return -EACCES;
	}
	rc = check_signature(p, r, crypto_cert_pubkey(cert), who, method, data, dlen, used, v);
	if (!rc) {
		char anchor[IKE_ID_STRLEN];
		const struct crypto_cert *top = res.chain[res.chain_len - 1];
		crypto_id_fmt(crypto_cert_subject(top), anchor, sizeof(anchor));
		if (res.chain_len > 1)
			sa_info(p->sa, "certificate '%s' trusted: a path of %zu to '%s'%s", dn,
			        res.chain_len, anchor, o.pretrusted ? " (loaded locally)" : "");
		else
			sa_info(p->sa, "using trusted certificate '%s'", dn);
		for (size_t d = 0; d + 1 < res.chain_len; d++)
			sa_debug(p->sa, "certificate status of '%s': %s",
			         crypto_id_fmt(crypto_cert_subject(res.chain[d]), anchor, sizeof(anchor)),
			         crypto_crl_status_name(res.crl[d]));
	}
	crypto_verify_result_clear(&res);
	return rc;
}

/* A raw public key matches the peer's identity if its connection names
 * one (checked against remote id already), or the identity is its key ID
 * (pubkey_cert.c has_subject). */
static bool raw_key_matches(const struct pubkey *p, const struct crypto_pubkey *k,
                            const struct crypto_id *peer)
{
	if (peer->type != CRYPTO_ID_KEY_ID)
		return p->cfg->remote_id.type != 0 && p->cfg->remote_id.type != CRYPTO_ID_KEY_ID;
	return peer->len == CRYPTO_SHA1_LEN &&
	       (!memcmp(peer->data, crypto_pubkey_keyid(k), CRYPTO_SHA1_LEN) ||
	        !memcmp(peer->data, crypto_pubkey_subjkey(k), CRYPTO_SHA1_LEN));
}

static enum ike_authn_status remote_process(struct pubkey *p, const struct ike_authn_round *r,
                                            const struct ike_msg *m)
{
	const struct ike_pubkey_cfg *pk = &p->cfg->remote_pk;
	const struct ike_pld *pa = ike_msg_find(m, IKE_PLD_AUTH);
	struct crypto_cert *cands[IKE_PUBKEY_CERTS_MAX + 2];
	struct crypto_sig_params used;
	struct peer_certs pc;
	struct crypto_id peer;
	struct verdict v = { .set = false };
	struct crypto_cert *winner = NULL;
	const uint8_t *data;
	size_t dlen, ncand = 0;
	uint8_t method;
	char ids[IKE_ID_STRLEN], lab[48], dn[IKE_ID_STRLEN];
	bool ok = false;

	if (!r->peer_id || !r->peer_octets) {
		snprintf(r->why, r->whylen, "pubkey authentication: no identity");
		return IKE_AUTHN_FAILED;
	}
	if (!pa || ike_pld_auth_parse(pa->body, pa->len, &method, &data, &dlen)) {
		snprintf(r->why, r->whylen, "pubkey authentication: no AUTH payload");
		return IKE_AUTHN_FAILED;
	}
	if (method != IKE_AUTH_RSA && method != IKE_AUTH_ECDSA_256 && method != IKE_AUTH_ECDSA_384 &&
	    method != IKE_AUTH_ECDSA_521 && method != IKE_AUTH_DS) {
		snprintf(r->why, r->whylen, "pubkey authentication: AUTH method %u is not a signature "
		         "(%s)", method, method == IKE_AUTH_PSK ? "a pre-shared key" : "unknown");
		return IKE_AUTHN_FAILED;
	}
	if (!peer_certs_read(p, m, &pc, r))
		return IKE_AUTHN_FAILED;
	ike_id_to_crypto(r->peer_id, &peer);
	crypto_id_fmt(&peer, ids, sizeof(ids));

	/* raw public keys (remote.pubkeys): only those */
	if (pk->npubkeys) {
		for (unsigned i = 0; i < pk->npubkeys && !ok; i++) {
			const struct crypto_pubkey *k = pk->pubkeys[i];
			if (!raw_key_matches(p, k, &peer)) {
				verdict_set(&v, "identity mismatch: '%s' is not the identity of the raw "
				            "public key in remote.pubkeys", ids);
				continue;
			}
			if (!raw_key_strong(&pk->sig, k)) {
				verdict_set(&v, "constraint check failed: its %d bit %s key is weaker than "
				            "auth = requires", crypto_pubkey_bits(k),
				            crypto_key_type_name(crypto_pubkey_type(k)));
				continue;
			}
			ok = !check_signature(p, r, k, "its raw public key", method, data, dlen, &used, &v);
		}
		goto done;
	}
	/* certificates: the pinned ones (remote.certs), else the end entity
	 * of its CERT payloads and a loaded one, each if it holds the
	 * identity (subject or subjectAltName) */
	if (pk->ncerts) {
		for (unsigned i = 0; i < pk->ncerts; i++)
			if (crypto_cert_match_id(pk->certs[i], &peer) != CRYPTO_ID_MATCH_NONE)
				cands[ncand++] = crypto_cert_ref(pk->certs[i]);
		if (!ncand)
			verdict_set(&v, "identity mismatch: '%s' is neither the subject nor a "
			            "subjectAltName of the certificate%s in remote.certs", ids,
			            pk->ncerts > 1 ? "s" : "");
	} else {
		if (pc.n && crypto_cert_match_id(pc.c[0], &peer) != CRYPTO_ID_MATCH_NONE)
			cands[ncand++] = crypto_cert_ref(pc.c[0]);
		else if (pc.n)
			verdict_set(&v, "identity mismatch: '%s' is neither the subject nor a "
			            "subjectAltName of its certificate '%s'", ids,
			            crypto_id_fmt(crypto_cert_subject(pc.c[0]), dn, sizeof(dn)));
		struct crypto_cert *local = p->creds ? p->creds->find_cert(p->creds->ctx, &peer, false)
		                                     : NULL;
		if (local && (!ncand || !crypto_cert_equal(local, cands[0])) &&
		    !(crypto_cert_flags(local) & CRYPTO_CERT_CA))
			cands[ncand++] = local;
		else
			crypto_cert_free(local);
		if (!ncand && !pc.n)
			verdict_set(&v, "no certificate: it sent no CERT payload and none with identity "
			            "'%s' is loaded (did it receive our CERTREQ? send_cert?)", ids);
	}
	for (size_t i = 0; i < ncand && !winner; i++)
		if (!check_cert(p, r, cands[i], &pc, method, data, dlen, &used, &v))
			winner = crypto_cert_ref(cands[i]);
	ok = winner != NULL;
	for (size_t i = 0; i < ncand; i++)
		crypto_cert_free(cands[i]);
done:
	peer_certs_free(&pc);
	if (!ok) {
		/* pubkey_authenticator.c: "no trusted %N public key found for '%Y'" */
		snprintf(r->why, r->whylen, "pubkey authentication: %s",
		         v.set ? v.why : "no trusted public key found");
		return IKE_AUTHN_FAILED;
	}
	sig_label(method, &used, lab, sizeof(lab));
	sa_info(p->sa, "authentication of '%s' with %s successful", ids, lab);
	crypto_cert_free(p->sa->peer_cert);
	p->sa->peer_cert = winner;
	snprintf(p->sa->peer_sig, sizeof(p->sa->peer_sig), "%s", lab);
	p->done = true;
	return IKE_AUTHN_DONE;
}

/* ---- listings ---- */

const char *ike_authn_pubkey_class_name(uint8_t cls)
{
	switch (cls) {
	case IKE_AUTH_CLASS_PSK: return "pre-shared key";
	case IKE_AUTH_CLASS_PUBKEY: return "public key";
	case IKE_AUTH_CLASS_EAP: return "EAP";
	default: return "unspecified";
	}
}

char *ike_authn_pubkey_certs_fmt(const struct ike_pubkey_cfg *pk, bool ca, char *buf, size_t len)
{
	struct crypto_cert *const *certs = ca ? pk->cacerts : pk->certs;
	unsigned n = ca ? pk->ncacerts : pk->ncerts;
	char dn[IKE_ID_STRLEN];
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && off + 1 < len; i++) {
		int k = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		                 crypto_id_fmt(crypto_cert_subject(certs[i]), dn, sizeof(dn)));
		if (k > 0)
			off += (size_t)k;
	}
	if (!ca)
		for (unsigned i = 0; i < pk->npubkeys && off + 1 < len; i++) {
			const uint8_t *kid = crypto_pubkey_keyid(pk->pubkeys[i]);
			int k = snprintf(buf + off, len - off, "%s%s key %02x:%02x:%02x:%02x...",
			                 off ? ", " : "", crypto_key_type_name(crypto_pubkey_type(pk->pubkeys[i])),
			                 kid[0], kid[1], kid[2], kid[3]);
			if (k > 0)
				off += (size_t)k;
		}
	return buf;
}

void ike_authn_pubkey_list_auth(const struct ike_conn_cfg *cfg, bool local, FILE *out)
{
	const struct ike_pubkey_cfg *pk = local ? &cfg->local_pk : &cfg->remote_pk;
	uint8_t cls = local ? cfg->local_auth : cfg->remote_auth;
	const struct ike_id *id = local ? &cfg->local_id : &cfg->remote_id;
	char buf[2048];

	/* swanctl list_conns.c */
	fprintf(out, "  %s %s authentication:\n", local ? "local" : "remote",
	        ike_authn_pubkey_class_name(cls));
	if (id->type)
		fprintf(out, "    id: %s\n", ike_id_fmt(id, buf, sizeof(buf)));
	if (cls != IKE_AUTH_CLASS_PUBKEY)
		return;
	if (pk->ca_id.type)
		fprintf(out, "    ca_id: %s\n", ike_id_fmt(&pk->ca_id, buf, sizeof(buf)));
	if (pk->ncerts || pk->npubkeys)
		fprintf(out, "    certs: %s\n", ike_authn_pubkey_certs_fmt(pk, false, buf, sizeof(buf)));
	if (pk->ncacerts)
		fprintf(out, "    cacerts: %s\n", ike_authn_pubkey_certs_fmt(pk, true, buf, sizeof(buf)));
	if (!local && pk->revocation)
		fprintf(out, "    revocation: %s\n",
		        pk->revocation == CRYPTO_REVOCATION_STRICT ? "strict" : "ifuri");
}

void ike_authn_pubkey_list_sa(const struct ike_sa *sa, bool local, FILE *out)
{
	const struct crypto_cert *c = local ? sa->local_cert : sa->peer_cert;
	const char *sig = local ? sa->local_sig : sa->peer_sig;
	char dn[IKE_ID_STRLEN], is[IKE_ID_STRLEN];

	if (!sig[0])
		return;
	if (c)
		fprintf(out, "    %s, cert '%s' issued by '%s'\n", sig,
		        crypto_id_fmt(crypto_cert_subject(c), dn, sizeof(dn)),
		        crypto_id_fmt(crypto_cert_issuer(c), is, sizeof(is)));
	else
		fprintf(out, "    %s, raw public key\n", sig);
}

/* ---- the interface ---- */

static enum ike_authn_status pk_build(struct ike_authn *a, const struct ike_authn_round *r,
                                      struct ike_mb *mb)
{
	struct pubkey *p = pk_of(a);

	if (p->done)
		return IKE_AUTHN_DONE;
	if (a->role == IKE_AUTHN_LOCAL)
		return local_build(p, r, mb);
	/* REMOTE: the initiator asks for the peer's certificate in its first
	 * IKE_AUTH request (the responder did in IKE_SA_INIT) */
	if (r->initiator && r->n == 1 && !p->cfg->no_certreq)
		certreq_put(p->sa, mb, p->cfg->remote_pk.cacerts, p->cfg->remote_pk.ncacerts,
		            trust_of(p->creds));
	return IKE_AUTHN_NEED_MORE;
}

static enum ike_authn_status pk_process(struct ike_authn *a, const struct ike_authn_round *r,
                                        const struct ike_msg *m)
{
	struct pubkey *p = pk_of(a);

	if (p->done)
		return IKE_AUTHN_DONE;
	if (a->role == IKE_AUTHN_REMOTE)
		return remote_process(p, r, m);
	/* LOCAL on the responder: the initiator's CERTREQs, before we answer */
	if (!r->initiator && r->n == 1)
		certreq_read(p->sa, m);
	return IKE_AUTHN_NEED_MORE;
}

static void pk_destroy(struct ike_authn *a)
{
	free(pk_of(a));
}

static const struct ike_authn_ops pubkey_ops = {
	.name = "pubkey",
	.build = pk_build,
	.process = pk_process,
	.destroy = pk_destroy,
};

struct ike_authn *ike_authn_pubkey_new(const struct ike_authn_env *env, enum ike_authn_role role)
{
	struct pubkey *p;

	if (!env->cfg || !env->sa)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->a.ops = &pubkey_ops;
	p->a.role = role;
	p->cfg = env->cfg;
	p->creds = env->creds;
	p->sa = env->sa;
	return &p->a;
}
