/* struct ike_creds over struct creds: lookups and signatures for the
 * IKE core's pubkey authenticator. Nothing here logs or keeps state
 * beyond the store pointer; the private key is looked up for every
 * signature, so a reload that removed it is noticed (-ENOKEY). */
#include "ctl/ctl_creds.h"

#include <errno.h>
#include <string.h>

#include <stdio.h>

#include "conf/creds.h"
#include "crypto/ident.h"
#include "crypto/sig.h"
#include "crypto/x509.h"
#include "crypto/x509_verify.h"
#include "ike/ike.h"

static const struct crypto_trust *cc_trust(void *ctx)
{
	struct ctl_creds *cc = ctx;

	return cc->store ? creds_trust(cc->store) : NULL;
}

static struct crypto_cert *cc_find_cert(void *ctx, const struct crypto_id *id, bool need_key)
{
	struct ctl_creds *cc = ctx;
	const struct crypto_cert *c = cc->store ? creds_find_cert(cc->store, id, need_key) : NULL;

	return c ? crypto_cert_ref(c) : NULL;
}

static bool cc_is_local(void *ctx, const struct crypto_cert *cert)
{
	struct ctl_creds *cc = ctx;

	return cc->store && creds_is_local(cc->store, cert);
}

static bool cc_has_key(void *ctx, const struct crypto_pubkey *pub)
{
	struct ctl_creds *cc = ctx;

	return cc->store && creds_find_privkey(cc->store, pub);
}

static int cc_sign(void *ctx, const struct crypto_pubkey *pub, uint8_t method,
                   const struct crypto_sig_params *p, const uint8_t *octets, size_t len,
                   uint8_t *out, size_t outmax)
{
	struct ctl_creds *cc = ctx;
	const struct crypto_privkey *k = cc->store ? creds_find_privkey(cc->store, pub) : NULL;

	if (!k)
		return -ENOKEY;
	return crypto_sig_auth_sign(k, method, p, octets, len, out, outmax);
}

void ctl_creds_init(struct ctl_creds *cc)
{
	memset(cc, 0, sizeof(*cc));
	cc->ike = (struct ike_creds){
		.ctx = cc, .trust = cc_trust, .find_cert = cc_find_cert, .is_local = cc_is_local,
		.has_key = cc_has_key, .sign = cc_sign,
	};
}

void ctl_creds_set(struct ctl_creds *cc, struct creds *store)
{
	if (cc->store != store)
		creds_free(cc->store);
	cc->store = store;
}

void ctl_creds_free(struct ctl_creds *cc)
{
	creds_free(cc->store);
	cc->store = NULL;
}

/* ---- swanctl.conf -> struct ike_pubkey_cfg ---- */

int ctl_creds_id(const char *text, struct ike_id *out, char *err, size_t errlen)
{
	struct crypto_id cid;
	char why[256];

	memset(out, 0, sizeof(*out));
	if (crypto_id_parse(text, &cid, why, sizeof(why))) {
		snprintf(err, errlen, "identity '%s': %s", text, why);
		return -EINVAL;
	}
	ike_id_from_crypto(&cid, out);
	return 0;
}

int ctl_creds_pubkey_cfg(struct creds *store, const char *confdir, const struct ctl_pk_spec *s,
                         bool remote, struct ike_pubkey_cfg *out, char *err, size_t errlen)
{
	const char *end = remote ? "remote" : "local";
	char why[512];

	memset(out, 0, sizeof(*out));
	/* auth_cfg.c add_pubkey_constraints, with charon.rsa_pss = no */
	if (crypto_sig_constraints_parse(s->auth ? s->auth : "pubkey", false, &out->sig, why,
	                                 sizeof(why))) {
		snprintf(err, errlen, "%s.auth = %s: %s", end, s->auth ? s->auth : "pubkey", why);
		return -EINVAL;
	}
	if (s->ncerts > IKE_PUBKEY_CERTS_MAX || s->npubkeys > IKE_PUBKEY_CERTS_MAX ||
	    s->ncacerts > IKE_PUBKEY_CERTS_MAX) {
		snprintf(err, errlen, "%s: more than %d certs, pubkeys or cacerts", end,
		         IKE_PUBKEY_CERTS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < s->ncerts; i++) {
		const struct crypto_cert *c = creds_cert_for_file(store, confdir, CREDS_X509, s->certs[i],
		                                                  why, sizeof(why));
		if (!c) {
			snprintf(err, errlen, "%s.certs: %s: %s", end, s->certs[i], why);
			return -EINVAL;
		}
		out->certs[out->ncerts++] = (struct crypto_cert *)c;
	}
	for (size_t i = 0; i < s->npubkeys; i++) {
		const struct crypto_pubkey *k = creds_pubkey_for_file(store, confdir, s->pubkeys[i], why,
		                                                      sizeof(why));
		if (!k) {
			snprintf(err, errlen, "%s.pubkeys: %s: %s", end, s->pubkeys[i], why);
			return -EINVAL;
		}
		out->pubkeys[out->npubkeys++] = (struct crypto_pubkey *)k;
	}
	if (!remote)
		return 0;
	for (size_t i = 0; i < s->ncacerts; i++) {
		const struct crypto_cert *c = creds_cert_for_file(store, confdir, CREDS_X509CA,
		                                                  s->cacerts[i], why, sizeof(why));
		if (!c) {
			snprintf(err, errlen, "remote.cacerts: %s: %s", s->cacerts[i], why);
			return -EINVAL;
		}
		out->cacerts[out->ncacerts++] = (struct crypto_cert *)c;
	}
	if (s->ca_id && ctl_creds_id(s->ca_id, &out->ca_id, why, sizeof(why))) {
		snprintf(err, errlen, "remote.ca_id: %s", why);
		return -EINVAL;
	}
	out->revocation = (uint8_t)s->revocation;
	return 0;
}

const char *ctl_creds_id_check(const struct ike_pubkey_cfg *local, const struct ike_id *id,
                               char *buf, size_t len)
{
	struct crypto_id cid;
	char ids[CRYPTO_ID_STRLEN], dn[CRYPTO_ID_STRLEN];

	if (!local->ncerts || !id->type)
		return NULL;
	ike_id_to_crypto(id, &cid);
	for (unsigned i = 0; i < local->ncerts; i++)
		if (crypto_cert_match_id(local->certs[i], &cid) != CRYPTO_ID_MATCH_NONE)
			return NULL;
	snprintf(buf, len, "local.id '%s' is neither the subject nor a subjectAltName of '%s' "
	         "(local.certs): peers will refuse it", crypto_id_fmt(&cid, ids, sizeof(ids)),
	         crypto_id_fmt(crypto_cert_subject(local->certs[0]), dn, sizeof(dn)));
	return buf;
}
