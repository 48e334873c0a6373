/* Path validation: OpenSSL's X509_verify_cert does the work (chain
 * building, signatures, validity, basicConstraints, pathLen, name
 * constraints, CRLs); a verify callback records every error it reports,
 * classified, and never stops it, so that after the run the most telling
 * reason can be chosen and strongSwan's revocation policy applied per
 * certificate. Any error not explicitly accepted by policy is fatal. */
#include "crypto/x509_verify.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "crypto/x509_priv.h"
#include "util/log.h"

struct crypto_trust {
	X509_STORE *store;
	struct crypto_cert **cas;
	size_t ncas;
	struct crypto_crl **crls;
	size_t ncrls;
};

const char *crypto_verify_status_name(enum crypto_verify_status s)
{
	static const char *const names[] = {
		"ok", "malformed", "unknown CA", "bad signature", "not a CA", "expired",
		"not yet valid", "path too long", "constraints violated", "revoked",
		"revocation status unknown", "key usage", "CA mismatch", "invalid",
	};

	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "invalid";
}

const char *crypto_crl_status_name(enum crypto_crl_status s)
{
	static const char *const names[] = { "not checked", "good", "skipped", "failed", "stale", "revoked" };

	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

struct crypto_trust *crypto_trust_new(void)
{
	struct crypto_trust *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->store = X509_STORE_new();
	if (!t->store) {
		free(t);
		return NULL;
	}
	return t;
}

void crypto_trust_free(struct crypto_trust *t)
{
	if (!t)
		return;
	X509_STORE_free(t->store);
	for (size_t i = 0; i < t->ncas; i++)
		crypto_cert_free(t->cas[i]);
	for (size_t i = 0; i < t->ncrls; i++)
		crypto_crl_free(t->crls[i]);
	free(t->cas);
	free(t->crls);
	free(t);
}

int crypto_trust_add_ca(struct crypto_trust *t, const struct crypto_cert *ca, char *err, size_t errlen)
{
	struct crypto_cert **n;
	char sub[CRYPTO_ID_STRLEN];

	if (!(ca->flags & CRYPTO_CERT_CA))
		return log_reason(err, errlen, "\"%s\" is not a CA certificate (basicConstraints CA:TRUE missing)",
		                  crypto_id_fmt(&ca->subject, sub, sizeof(sub)));
	for (size_t i = 0; i < t->ncas; i++)
		if (crypto_cert_equal(t->cas[i], ca))
			return 0;
	n = realloc(t->cas, (t->ncas + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	t->cas = n;
	if (X509_STORE_add_cert(t->store, ca->x) != 1) {
		ERR_clear_error();
		return log_reason(err, errlen, "OpenSSL refused the CA certificate");
	}
	t->cas[t->ncas++] = crypto_cert_ref(ca);
	return 0;
}

int crypto_trust_add_crl(struct crypto_trust *t, const struct crypto_crl *crl, char *err, size_t errlen)
{
	struct crypto_crl **n;
	bool issuer_known = false, verified = false;
	char iss[CRYPTO_ID_STRLEN];

	for (size_t i = 0; i < t->ncas; i++)
		if (crypto_id_equal(&t->cas[i]->subject, &crl->issuer)) {
			issuer_known = true;
			if (crypto_crl_signed_by(crl, t->cas[i]))
				verified = true;
		}
	if (issuer_known && !verified)
		return log_reason(err, errlen, "CRL of \"%s\" is not correctly signed by that CA",
		                  crypto_id_fmt(&crl->issuer, iss, sizeof(iss)));
	n = realloc(t->crls, (t->ncrls + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	t->crls = n;
	if (X509_STORE_add_crl(t->store, crl->crl) != 1) {
		ERR_clear_error();
		return log_reason(err, errlen, "OpenSSL refused the CRL");
	}
	t->crls[t->ncrls++] = crypto_crl_ref(crl);
	return 0;
}

size_t crypto_trust_ca_count(const struct crypto_trust *t)
{
	return t->ncas;
}

const struct crypto_cert *crypto_trust_ca(const struct crypto_trust *t, size_t i)
{
	return i < t->ncas ? t->cas[i] : NULL;
}

const struct crypto_cert *crypto_trust_find_keyid(const struct crypto_trust *t,
                                                  const uint8_t keyid[CRYPTO_SHA1_LEN])
{
	for (size_t i = 0; i < t->ncas; i++)
		if (memcmp(t->cas[i]->pub->keyid, keyid, CRYPTO_SHA1_LEN) == 0)
			return t->cas[i];
	return NULL;
}

/* ---- verification ---- */

/* What the callback saw: the first (lowest depth) error of each class,
 * and the CRL findings per depth. */
struct verr {
	bool seen;
	int depth;
	int err;                              /* OpenSSL's code */
	char subject[256];
};

struct vstate {
	struct verr cls[CRYPTO_VERIFY_INVALID + 1];
	bool crl_error[CRYPTO_VERIFY_CHAIN_MAX];   /* a CRL problem at this depth */
	bool crl_bad[CRYPTO_VERIFY_CHAIN_MAX];     /* the CRL used could not be trusted */
	enum crypto_crl_status crl[CRYPTO_VERIFY_CHAIN_MAX];
};

/* Order in which reasons win (lower first), roughly the order in which
 * strongSwan's walk up the chain would stop; a chain cut off at the depth
 * limit is reported as too long, not as an unknown CA. */
static int rank(enum crypto_verify_status s)
{
	static const enum crypto_verify_status order[] = {
		CRYPTO_VERIFY_MALFORMED, CRYPTO_VERIFY_PATH_TOO_LONG, CRYPTO_VERIFY_UNKNOWN_CA,
		CRYPTO_VERIFY_BAD_SIGNATURE, CRYPTO_VERIFY_NOT_A_CA, CRYPTO_VERIFY_EXPIRED,
		CRYPTO_VERIFY_NOT_YET_VALID, CRYPTO_VERIFY_CONSTRAINTS, CRYPTO_VERIFY_INVALID,
		CRYPTO_VERIFY_REVOKED, CRYPTO_VERIFY_REVOCATION_UNKNOWN, CRYPTO_VERIFY_KEY_USAGE,
		CRYPTO_VERIFY_CA_MISMATCH,
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (order[i] == s)
			return (int)i;
	return 100;
}

/* -1: a revocation problem (handled by policy), otherwise the status. */
static int classify(int e)
{
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return CRYPTO_VERIFY_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return CRYPTO_VERIFY_NOT_YET_VALID;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED:
		return CRYPTO_VERIFY_UNKNOWN_CA;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
	case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
		return CRYPTO_VERIFY_BAD_SIGNATURE;
	case X509_V_ERR_INVALID_CA:
	case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
		return CRYPTO_VERIFY_NOT_A_CA;
	case X509_V_ERR_PATH_LENGTH_EXCEEDED:
	case X509_V_ERR_CERT_CHAIN_TOO_LONG:
		return CRYPTO_VERIFY_PATH_TOO_LONG;
	case X509_V_ERR_PERMITTED_VIOLATION:
	case X509_V_ERR_EXCLUDED_VIOLATION:
	case X509_V_ERR_SUBTREE_MINMAX:
	case X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE:
	case X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX:
	case X509_V_ERR_UNSUPPORTED_NAME_SYNTAX:
	case X509_V_ERR_NO_EXPLICIT_POLICY:
	case X509_V_ERR_INVALID_POLICY_EXTENSION:
		return CRYPTO_VERIFY_CONSTRAINTS;
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
	case X509_V_ERR_INVALID_EXTENSION:
	case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
		return CRYPTO_VERIFY_MALFORMED;
	case X509_V_ERR_CERT_REVOKED:
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
	case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
	case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
	case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
	case X509_V_ERR_DIFFERENT_CRL_SCOPE:
	case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
	case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
		return -1;
	default:
		return CRYPTO_VERIFY_INVALID;
	}
}

static void record(struct vstate *st, enum crypto_verify_status s, int depth, int e, X509 *x)
{
	struct verr *v = &st->cls[s];
	struct crypto_id id;

	if (v->seen && v->depth <= depth)
		return;
	v->seen = true;
	v->depth = depth;
	v->err = e;
	v->subject[0] = '\0';
	if (x) {
		unsigned char *der = NULL;
		int n = i2d_X509_NAME(X509_get_subject_name(x), &der);
		if (n > 0 && crypto_id_from_dn_der(der, (size_t)n, &id) == 0)
			crypto_id_fmt(&id, v->subject, sizeof(v->subject));
		OPENSSL_free(der);
	}
}

/* The most telling fatal error (OK if none); UNKNOWN_CA skipped if asked. */
static enum crypto_verify_status worst(const struct vstate *st, bool skip_unknown_ca)
{
	enum crypto_verify_status best = CRYPTO_VERIFY_OK;

	for (int s = CRYPTO_VERIFY_OK + 1; s <= CRYPTO_VERIFY_INVALID; s++) {
		if (!st->cls[s].seen || (skip_unknown_ca && s == CRYPTO_VERIFY_UNKNOWN_CA))
			continue;
		if (best == CRYPTO_VERIFY_OK || rank((enum crypto_verify_status)s) < rank(best))
			best = (enum crypto_verify_status)s;
	}
	return best;
}

static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct vstate *st = X509_STORE_CTX_get_app_data(ctx);
	int e, depth, cls;

	if (ok)
		return 1;
	e = X509_STORE_CTX_get_error(ctx);
	depth = X509_STORE_CTX_get_error_depth(ctx);
	if (depth < 0 || depth >= CRYPTO_VERIFY_CHAIN_MAX)
		depth = CRYPTO_VERIFY_CHAIN_MAX - 1;
	cls = classify(e);
	if (cls >= 0) {
		record(st, (enum crypto_verify_status)cls, depth, e, X509_STORE_CTX_get_current_cert(ctx));
	} else if (e == X509_V_ERR_CERT_REVOKED) {
		/* A revocation in a CRL we could not trust is not one. */
		st->crl_error[depth] = true;
		if (!st->crl_bad[depth])
			st->crl[depth] = CRYPTO_CRL_REVOKED;
	} else {
		st->crl_error[depth] = true;
		if (e == X509_V_ERR_CRL_HAS_EXPIRED) {
			if (st->crl[depth] != CRYPTO_CRL_REVOKED)
				st->crl[depth] = CRYPTO_CRL_STALE;
		} else if (e != X509_V_ERR_UNABLE_TO_GET_CRL) {
			st->crl_bad[depth] = true;
		}
	}
	/* Go on: every problem is recorded, the verdict comes afterwards. */
	return 1;
}

static struct crypto_cert *cert_for(X509 *x, const struct crypto_trust *t,
                                    const struct crypto_cert *ee,
                                    struct crypto_cert *const *unt, size_t nunt)
{
	if (x == ee->x)
		return crypto_cert_ref(ee);
	for (size_t i = 0; i < nunt; i++)
		if (unt[i]->x == x)
			return crypto_cert_ref(unt[i]);
	for (size_t i = 0; i < t->ncas; i++)
		if (t->cas[i]->x == x)
			return crypto_cert_ref(t->cas[i]);
	X509_up_ref(x);
	return crypto_cert_wrap(x, NULL, 0);
}

static void set_detail(struct crypto_verify_result *r, const struct verr *v)
{
	snprintf(r->detail, sizeof(r->detail), "certificate \"%s\" (depth %d): %s",
	         v->subject, v->depth, X509_verify_cert_error_string(v->err));
}

static int finish(struct crypto_verify_result *r, enum crypto_verify_status s, int depth,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int finish(struct crypto_verify_result *r, enum crypto_verify_status s, int depth,
                  const char *fmt, ...)
{
	va_list ap;

	r->status = s;
	r->depth = depth;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
	return -EACCES;
}

int crypto_trust_verify(const struct crypto_trust *t, const struct crypto_cert *ee,
                        struct crypto_cert *const *untrusted, size_t nuntrusted,
                        const struct crypto_verify_opts *opts, struct crypto_verify_result *r)
{
	struct crypto_verify_opts defaults = { 0 };
	struct vstate st;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *unt = NULL, *chain;
	X509_VERIFY_PARAM *vp;
	char sub[CRYPTO_ID_STRLEN];
	enum crypto_verify_status fatal;
	int maxi, anchor, rc;

	memset(r, 0, sizeof(*r));
	r->depth = -1;
	memset(&st, 0, sizeof(st));
	if (!opts)
		opts = &defaults;
	maxi = opts->max_intermediates > 0 ? opts->max_intermediates : CRYPTO_VERIFY_MAX_PATH;
	if (maxi > CRYPTO_VERIFY_CHAIN_MAX - 2)
		maxi = CRYPTO_VERIFY_CHAIN_MAX - 2;
	ctx = X509_STORE_CTX_new();
	unt = sk_X509_new_null();
	if (!ctx || !unt)
		goto internal;
	for (size_t i = 0; i < nuntrusted; i++)
		if (!sk_X509_push(unt, untrusted[i]->x))
			goto internal;
	if (X509_STORE_CTX_init(ctx, t->store, ee->x, unt) != 1)
		goto internal;
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(vp, opts->now ? opts->now : time(NULL));
	X509_VERIFY_PARAM_set_depth(vp, maxi);
	/* CRLs for every certificate; check the trust anchor's self-signature
	 * (strongSwan accepts only self-signed CAs as anchors). */
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL |
	                                X509_V_FLAG_CHECK_SS_SIGNATURE);
	X509_STORE_CTX_set_app_data(ctx, &st);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	rc = X509_verify_cert(ctx);
	if (rc < 0)
		goto internal;
	if (rc == 0 && worst(&st, false) == CRYPTO_VERIFY_OK)
		record(&st, CRYPTO_VERIFY_INVALID, 0, X509_STORE_CTX_get_error(ctx), ee->x);

	chain = X509_STORE_CTX_get0_chain(ctx);
	for (int i = 0; chain && i < sk_X509_num(chain) && r->chain_len < CRYPTO_VERIFY_CHAIN_MAX; i++) {
		struct crypto_cert *c = cert_for(sk_X509_value(chain, i), t, ee, untrusted, nuntrusted);
		if (!c)
			goto internal;
		r->chain[r->chain_len++] = c;
	}
	if (r->chain_len == 0)
		r->chain[r->chain_len++] = crypto_cert_ref(ee);
	anchor = (int)r->chain_len - 1;

	/* strongSwan's "using trusted certificate": a locally loaded end entity
	 * that is self-signed, or whose issuer is not found, is accepted as is. */
	if (opts->pretrusted && ((ee->flags & CRYPTO_CERT_SELF_SIGNED) || r->chain_len == 1)) {
		memset(st.crl, 0, sizeof(st.crl));
		goto checks;
	}
	/* pretrusted: "reached end of incomplete trust chain" is fine */
	fatal = worst(&st, opts->pretrusted);
	if (fatal != CRYPTO_VERIFY_OK) {
		r->status = fatal;
		r->depth = st.cls[fatal].depth;
		set_detail(r, &st.cls[fatal]);
		rc = -EACCES;
		goto out;
	}

	/* Revocation, certificate by certificate (not the trust anchor). */
	for (int d = 0; d < anchor; d++) {
		struct crypto_cert *c = r->chain[d];

		if (!st.crl_error[d])
			st.crl[d] = CRYPTO_CRL_GOOD;
		else if (st.crl[d] != CRYPTO_CRL_REVOKED && st.crl[d] != CRYPTO_CRL_STALE)
			st.crl[d] = c->ncrl_uris ? CRYPTO_CRL_FAILED : CRYPTO_CRL_SKIPPED;
		crypto_id_fmt(&c->subject, sub, sizeof(sub));
		if (st.crl[d] == CRYPTO_CRL_REVOKED) {
			rc = finish(r, CRYPTO_VERIFY_REVOKED, d, "certificate \"%s\" was revoked", sub);
			goto out;
		}
		if ((opts->revocation == CRYPTO_REVOCATION_STRICT && st.crl[d] != CRYPTO_CRL_GOOD) ||
		    (opts->revocation == CRYPTO_REVOCATION_IFURI &&
		     (st.crl[d] == CRYPTO_CRL_FAILED || st.crl[d] == CRYPTO_CRL_STALE))) {
			rc = finish(r, CRYPTO_VERIFY_REVOCATION_UNKNOWN, d,
			            "certificate \"%s\": revocation status %s (%s), but revocation = %s requires it",
			            sub, crypto_crl_status_name(st.crl[d]),
			            st.crl[d] == CRYPTO_CRL_STALE ? "the CRL is stale" :
			            c->ncrl_uris ? "it has a CRL URI and no usable CRL is loaded" :
			                           "no CRL of its issuer is loaded",
			            opts->revocation == CRYPTO_REVOCATION_STRICT ? "strict" : "ifuri");
			goto out;
		}
	}
checks:
	if (!(ee->flags & CRYPTO_CERT_IKE_COMPLIANT)) {
		rc = finish(r, CRYPTO_VERIFY_KEY_USAGE, 0,
		            "certificate \"%s\" has a keyUsage without digitalSignature or nonRepudiation",
		            crypto_id_fmt(&ee->subject, sub, sizeof(sub)));
		goto out;
	}
	if (opts->ncacerts) {
		bool found = false;
		for (size_t i = 1; i < r->chain_len && !found; i++)
			for (size_t j = 0; j < opts->ncacerts && !found; j++)
				found = crypto_cert_equal(r->chain[i], opts->cacerts[j]);
		if (!found) {
			rc = finish(r, CRYPTO_VERIFY_CA_MISMATCH, -1,
			            "the chain of \"%s\" does not contain any of the required CA certificates",
			            crypto_id_fmt(&ee->subject, sub, sizeof(sub)));
			goto out;
		}
	}
	if (opts->ca_id && opts->ca_id->type != CRYPTO_ID_ANY) {
		bool found = false;
		char want[CRYPTO_ID_STRLEN];
		for (size_t i = 1; i < r->chain_len && !found; i++)
			found = crypto_cert_match_id(r->chain[i], opts->ca_id) > CRYPTO_ID_MATCH_NONE;
		if (!found) {
			rc = finish(r, CRYPTO_VERIFY_CA_MISMATCH, -1,
			            "no CA in the chain of \"%s\" matches \"%s\"",
			            crypto_id_fmt(&ee->subject, sub, sizeof(sub)),
			            crypto_id_fmt(opts->ca_id, want, sizeof(want)));
			goto out;
		}
	}
	r->status = CRYPTO_VERIFY_OK;
	r->depth = -1;
	snprintf(r->detail, sizeof(r->detail), "%s",
	         opts->pretrusted && anchor == 0 ? "trusted certificate (loaded locally)" :
	         "reached a trusted self-signed CA");
	rc = 0;
	goto out;
internal:
	rc = finish(r, CRYPTO_VERIFY_INVALID, -1, "internal error during verification");
out:
	memcpy(r->crl, st.crl, sizeof(r->crl));
	sk_X509_free(unt);
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

void crypto_verify_result_clear(struct crypto_verify_result *r)
{
	for (size_t i = 0; i < r->chain_len; i++)
		crypto_cert_free(r->chain[i]);
	r->chain_len = 0;
}
