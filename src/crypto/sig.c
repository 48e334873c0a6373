/* IKEv2 signatures on OpenSSL 3's EVP_DigestSign/EVP_DigestVerify:
 * PKCS#1 v1.5, RSASSA-PSS, ECDSA (DER and RFC 4754's r|s) and Ed25519;
 * RFC 7427 AlgorithmIdentifiers through X509_ALGOR and RSA_PSS_PARAMS;
 * strongSwan's scheme selection and signature constraints. No state. */
#include "crypto/sig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/x509_priv.h"
#include "util/log.h"
#include "util/mem.h"

const char *crypto_hash_name(enum crypto_hash h)
{
	switch (h) {
	case CRYPTO_HASH_SHA1: return "sha1";
	case CRYPTO_HASH_SHA256: return "sha256";
	case CRYPTO_HASH_SHA384: return "sha384";
	case CRYPTO_HASH_SHA512: return "sha512";
	case CRYPTO_HASH_IDENTITY: return "identity";
	default: return "unknown";
	}
}

static const EVP_MD *hash_md(enum crypto_hash h)
{
	switch (h) {
	case CRYPTO_HASH_SHA1: return EVP_sha1();
	case CRYPTO_HASH_SHA256: return EVP_sha256();
	case CRYPTO_HASH_SHA384: return EVP_sha384();
	case CRYPTO_HASH_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

static int hash_len(enum crypto_hash h)
{
	switch (h) {
	case CRYPTO_HASH_SHA1: return 20;
	case CRYPTO_HASH_SHA256: return 32;
	case CRYPTO_HASH_SHA384: return 48;
	case CRYPTO_HASH_SHA512: return 64;
	default: return 0;
	}
}

static int hash_nid(enum crypto_hash h)
{
	switch (h) {
	case CRYPTO_HASH_SHA1: return NID_sha1;
	case CRYPTO_HASH_SHA256: return NID_sha256;
	case CRYPTO_HASH_SHA384: return NID_sha384;
	case CRYPTO_HASH_SHA512: return NID_sha512;
	default: return NID_undef;
	}
}

static enum crypto_hash hash_from_nid(int nid)
{
	switch (nid) {
	case NID_sha1: return CRYPTO_HASH_SHA1;
	case NID_sha256: return CRYPTO_HASH_SHA256;
	case NID_sha384: return CRYPTO_HASH_SHA384;
	case NID_sha512: return CRYPTO_HASH_SHA512;
	default: return CRYPTO_HASH_NONE;
	}
}

const char *crypto_sig_scheme_name(enum crypto_sig_scheme s)
{
	switch (s) {
	case CRYPTO_SIG_RSA_PKCS1_SHA1: return "RSA_EMSA_PKCS1_SHA1";
	case CRYPTO_SIG_RSA_PKCS1_SHA256: return "RSA_EMSA_PKCS1_SHA2_256";
	case CRYPTO_SIG_RSA_PKCS1_SHA384: return "RSA_EMSA_PKCS1_SHA2_384";
	case CRYPTO_SIG_RSA_PKCS1_SHA512: return "RSA_EMSA_PKCS1_SHA2_512";
	case CRYPTO_SIG_RSA_PSS: return "RSA_EMSA_PSS";
	case CRYPTO_SIG_ECDSA_SHA1_DER: return "ECDSA_WITH_SHA1_DER";
	case CRYPTO_SIG_ECDSA_SHA256_DER: return "ECDSA_WITH_SHA256_DER";
	case CRYPTO_SIG_ECDSA_SHA384_DER: return "ECDSA_WITH_SHA384_DER";
	case CRYPTO_SIG_ECDSA_SHA512_DER: return "ECDSA_WITH_SHA512_DER";
	case CRYPTO_SIG_ECDSA_256: return "ECDSA-256";
	case CRYPTO_SIG_ECDSA_384: return "ECDSA-384";
	case CRYPTO_SIG_ECDSA_521: return "ECDSA-521";
	case CRYPTO_SIG_ED25519: return "ED25519";
	default: return "UNKNOWN";
	}
}

char *crypto_sig_params_fmt(const struct crypto_sig_params *p, char *buf, size_t len)
{
	static const char *const upper[] = { "", "SHA1", "SHA2_256", "SHA2_384", "SHA2_512", "IDENTITY" };

	if (p->scheme == CRYPTO_SIG_RSA_PSS && p->pss_hash > 0 && p->pss_hash <= CRYPTO_HASH_IDENTITY)
		snprintf(buf, len, "RSA_EMSA_PSS_%s_SALT_%d", upper[p->pss_hash], p->pss_salt);
	else
		snprintf(buf, len, "%s", crypto_sig_scheme_name(p->scheme));
	return buf;
}

enum crypto_key_type crypto_sig_key_type(const struct crypto_sig_params *p)
{
	switch (p->scheme) {
	case CRYPTO_SIG_RSA_PKCS1_SHA1:
	case CRYPTO_SIG_RSA_PKCS1_SHA256:
	case CRYPTO_SIG_RSA_PKCS1_SHA384:
	case CRYPTO_SIG_RSA_PKCS1_SHA512:
	case CRYPTO_SIG_RSA_PSS:
		return CRYPTO_KEY_RSA;
	case CRYPTO_SIG_ECDSA_SHA1_DER:
	case CRYPTO_SIG_ECDSA_SHA256_DER:
	case CRYPTO_SIG_ECDSA_SHA384_DER:
	case CRYPTO_SIG_ECDSA_SHA512_DER:
	case CRYPTO_SIG_ECDSA_256:
	case CRYPTO_SIG_ECDSA_384:
	case CRYPTO_SIG_ECDSA_521:
		return CRYPTO_KEY_ECDSA;
	case CRYPTO_SIG_ED25519:
		return CRYPTO_KEY_ED25519;
	default:
		return CRYPTO_KEY_NONE;
	}
}

enum crypto_hash crypto_sig_hash(const struct crypto_sig_params *p)
{
	switch (p->scheme) {
	case CRYPTO_SIG_RSA_PKCS1_SHA1:
	case CRYPTO_SIG_ECDSA_SHA1_DER:
		return CRYPTO_HASH_SHA1;
	case CRYPTO_SIG_RSA_PKCS1_SHA256:
	case CRYPTO_SIG_ECDSA_SHA256_DER:
	case CRYPTO_SIG_ECDSA_256:
		return CRYPTO_HASH_SHA256;
	case CRYPTO_SIG_RSA_PKCS1_SHA384:
	case CRYPTO_SIG_ECDSA_SHA384_DER:
	case CRYPTO_SIG_ECDSA_384:
		return CRYPTO_HASH_SHA384;
	case CRYPTO_SIG_RSA_PKCS1_SHA512:
	case CRYPTO_SIG_ECDSA_SHA512_DER:
	case CRYPTO_SIG_ECDSA_521:
		return CRYPTO_HASH_SHA512;
	case CRYPTO_SIG_RSA_PSS:
		return p->pss_hash;
	case CRYPTO_SIG_ED25519:
		return CRYPTO_HASH_IDENTITY;
	default:
		return CRYPTO_HASH_NONE;
	}
}

struct crypto_sig_params crypto_sig_pss(enum crypto_hash h)
{
	struct crypto_sig_params p = { CRYPTO_SIG_RSA_PSS, h, h, hash_len(h) };

	return p;
}

/* The curve size (bits) an RFC 4754 scheme is bound to, 0 otherwise. */
static int classic_ecdsa_bits(enum crypto_sig_scheme s)
{
	switch (s) {
	case CRYPTO_SIG_ECDSA_256: return 256;
	case CRYPTO_SIG_ECDSA_384: return 384;
	case CRYPTO_SIG_ECDSA_521: return 521;
	default: return 0;
	}
}

static int key_fits(const struct crypto_pubkey *pub, const struct crypto_sig_params *p,
                    char *err, size_t errlen)
{
	enum crypto_key_type kt = crypto_sig_key_type(p);
	int cb = classic_ecdsa_bits(p->scheme);

	if (kt == CRYPTO_KEY_NONE)
		return log_reason(err, errlen, "unknown signature scheme");
	if (pub->type != kt)
		return log_reason(err, errlen, "%s key cannot make %s signatures",
		                  crypto_key_type_name(pub->type), crypto_sig_scheme_name(p->scheme));
	if (cb && pub->bits != cb)
		return log_reason(err, errlen, "%s needs a %d bit curve, the key has %d bits",
		                  crypto_sig_scheme_name(p->scheme), cb, pub->bits);
	if (p->scheme == CRYPTO_SIG_RSA_PSS &&
	    (!hash_md(p->pss_hash) || !hash_md(p->pss_mgf1) || p->pss_salt < 0 ||
	     p->pss_salt > (pub->bits + 7) / 8))
		return log_reason(err, errlen, "RSASSA-PSS parameters not usable");
	return 0;
}

/* A digest-sign/verify context set up for scheme p. */
static EVP_MD_CTX *sig_ctx(EVP_PKEY *pk, const struct crypto_sig_params *p, bool sign)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md = p->scheme == CRYPTO_SIG_ED25519 ? NULL :
	                   hash_md(p->scheme == CRYPTO_SIG_RSA_PSS ? p->pss_hash : crypto_sig_hash(p));
	int ok;

	if (!m)
		return NULL;
	ok = sign ? EVP_DigestSignInit(m, &pctx, md, NULL, pk) : EVP_DigestVerifyInit(m, &pctx, md, NULL, pk);
	if (ok == 1 && p->scheme == CRYPTO_SIG_RSA_PSS)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, hash_md(p->pss_mgf1)) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, p->pss_salt) == 1;
	else if (ok == 1 && crypto_sig_key_type(p) == CRYPTO_KEY_RSA)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
	if (ok != 1) {
		EVP_MD_CTX_free(m);
		return NULL;
	}
	return m;
}

int crypto_sig_sign(const struct crypto_privkey *k, const struct crypto_sig_params *p,
                    const uint8_t *data, size_t len, uint8_t *out, size_t outmax)
{
	uint8_t der[CRYPTO_SIG_MAX];
	size_t dlen = sizeof(der);
	int cb = classic_ecdsa_bits(p->scheme);
	EVP_MD_CTX *m;
	int rc = -EIO;

	if (key_fits(k->pub, p, NULL, 0))
		return -EINVAL;
	m = sig_ctx(k->pk, p, true);
	if (!m)
		goto out;
	if (EVP_DigestSign(m, NULL, &dlen, data, len) != 1 || dlen > sizeof(der)) {
		rc = dlen > sizeof(der) ? -ENOSPC : -EIO;
		goto out;
	}
	if (EVP_DigestSign(m, der, &dlen, data, len) != 1)
		goto out;
	if (cb) {
		/* RFC 4754 section 7: r and s, each as long as the curve's order */
		size_t half = (size_t)(cb + 7) / 8;
		const unsigned char *q = der;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)dlen);
		const BIGNUM *r, *s;

		if (!es)
			goto out;
		ECDSA_SIG_get0(es, &r, &s);
		if (outmax < 2 * half) {
			rc = -ENOSPC;
		} else if (BN_bn2binpad(r, out, (int)half) == (int)half &&
		           BN_bn2binpad(s, out + half, (int)half) == (int)half) {
			rc = (int)(2 * half);
		}
		ECDSA_SIG_free(es);
	} else if (dlen > outmax) {
		rc = -ENOSPC;
	} else {
		memcpy(out, der, dlen);
		rc = (int)dlen;
	}
out:
	EVP_MD_CTX_free(m);
	ERR_clear_error();
	return rc;
}

int crypto_sig_verify(const struct crypto_pubkey *k, const struct crypto_sig_params *p,
                      const uint8_t *data, size_t len, const uint8_t *sig, size_t siglen,
                      char *err, size_t errlen)
{
	int cb = classic_ecdsa_bits(p->scheme);
	unsigned char *der = NULL;
	const uint8_t *vsig = sig;
	size_t vlen = siglen;
	EVP_MD_CTX *m = NULL;
	int rc;

	rc = key_fits(k, p, err, errlen);
	if (rc)
		return rc;
	if (siglen == 0 || siglen > CRYPTO_SIG_MAX) {
		log_reason(err, errlen, "signature of %zu bytes", siglen);
		return -EKEYREJECTED;
	}
	if (cb) {
		size_t half = (size_t)(cb + 7) / 8;
		ECDSA_SIG *es;
		BIGNUM *r, *s;
		int n;

		if (siglen != 2 * half) {
			log_reason(err, errlen, "%s signature of %zu bytes (r|s is %zu)",
			           crypto_sig_scheme_name(p->scheme), siglen, 2 * half);
			return -EKEYREJECTED;
		}
		es = ECDSA_SIG_new();
		r = BN_bin2bn(sig, (int)half, NULL);
		s = BN_bin2bn(sig + half, (int)half, NULL);
		if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
			ECDSA_SIG_free(es);
			BN_free(r);
			BN_free(s);
			rc = -ENOMEM;
			goto out;
		}
		n = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		if (n <= 0) {
			rc = -ENOMEM;
			goto out;
		}
		vsig = der;
		vlen = (size_t)n;
	}
	m = sig_ctx(k->pk, p, false);
	if (!m) {
		rc = log_reason(err, errlen, "cannot set up %s verification", crypto_sig_scheme_name(p->scheme));
		goto out;
	}
	if (EVP_DigestVerify(m, vsig, vlen, data, len) == 1) {
		rc = 0;
	} else {
		log_reason(err, errlen, "%s signature does not verify", crypto_sig_scheme_name(p->scheme));
		rc = -EKEYREJECTED;
	}
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(m);
	ERR_clear_error();
	return rc;
}

/* ---- AlgorithmIdentifier ---- */

static X509_ALGOR *hash_algor(enum crypto_hash h)
{
	X509_ALGOR *a = X509_ALGOR_new();

	/* strongSwan's asn1_algorithmIdentifier(): hashes with NULL parameters */
	if (a && X509_ALGOR_set0(a, OBJ_nid2obj(hash_nid(h)), V_ASN1_NULL, NULL) != 1) {
		X509_ALGOR_free(a);
		a = NULL;
	}
	return a;
}

/* RSASSA-PSS-params (RFC 4055), DER: defaults (SHA-1, MGF1-SHA-1, salt 20,
 * trailer 1) are left out, the trailerField is never written. */
static ASN1_STRING *pss_params(const struct crypto_sig_params *p)
{
	RSA_PSS_PARAMS *pss = RSA_PSS_PARAMS_new();
	ASN1_STRING *out = NULL;
	X509_ALGOR *mh = NULL;
	unsigned char *der = NULL;
	int n;

	if (!pss)
		return NULL;
	if (p->pss_hash != CRYPTO_HASH_SHA1 && !(pss->hashAlgorithm = hash_algor(p->pss_hash)))
		goto out;
	if (p->pss_mgf1 != CRYPTO_HASH_SHA1) {
		ASN1_STRING *inner = ASN1_STRING_new();

		mh = hash_algor(p->pss_mgf1);
		n = mh ? i2d_X509_ALGOR(mh, &der) : -1;
		pss->maskGenAlgorithm = X509_ALGOR_new();
		if (!inner || n <= 0 || !pss->maskGenAlgorithm || ASN1_STRING_set(inner, der, n) != 1 ||
		    X509_ALGOR_set0(pss->maskGenAlgorithm, OBJ_nid2obj(NID_mgf1), V_ASN1_SEQUENCE, inner) != 1) {
			ASN1_STRING_free(inner);
			goto out;
		}
	}
	if (p->pss_salt != 20) {
		pss->saltLength = ASN1_INTEGER_new();
		if (!pss->saltLength || ASN1_INTEGER_set(pss->saltLength, p->pss_salt) != 1)
			goto out;
	}
	out = ASN1_item_pack(pss, ASN1_ITEM_rptr(RSA_PSS_PARAMS), NULL);
out:
	OPENSSL_free(der);
	X509_ALGOR_free(mh);
	RSA_PSS_PARAMS_free(pss);
	return out;
}

static int scheme_nid(enum crypto_sig_scheme s, int *ptype)
{
	*ptype = V_ASN1_NULL;
	switch (s) {
	case CRYPTO_SIG_RSA_PKCS1_SHA1: return NID_sha1WithRSAEncryption;
	case CRYPTO_SIG_RSA_PKCS1_SHA256: return NID_sha256WithRSAEncryption;
	case CRYPTO_SIG_RSA_PKCS1_SHA384: return NID_sha384WithRSAEncryption;
	case CRYPTO_SIG_RSA_PKCS1_SHA512: return NID_sha512WithRSAEncryption;
	case CRYPTO_SIG_RSA_PSS: *ptype = V_ASN1_SEQUENCE; return NID_rsassaPss;
	default: break;
	}
	/* ECDSA and Ed25519 identifiers carry no parameters (RFC 5758, RFC 8410) */
	*ptype = V_ASN1_UNDEF;
	switch (s) {
	case CRYPTO_SIG_ECDSA_SHA1_DER: return NID_ecdsa_with_SHA1;
	case CRYPTO_SIG_ECDSA_SHA256_DER: return NID_ecdsa_with_SHA256;
	case CRYPTO_SIG_ECDSA_SHA384_DER: return NID_ecdsa_with_SHA384;
	case CRYPTO_SIG_ECDSA_SHA512_DER: return NID_ecdsa_with_SHA512;
	case CRYPTO_SIG_ED25519: return NID_ED25519;
	default: return NID_undef;
	}
}

int crypto_sig_algid_encode(const struct crypto_sig_params *p, uint8_t *out, size_t outmax)
{
	int ptype, nid = scheme_nid(p->scheme, &ptype);
	X509_ALGOR *a;
	void *pval = NULL;
	unsigned char *der = NULL;
	int n, rc = -EIO;

	if (nid == NID_undef)
		return -ENOTSUP;
	if (p->scheme == CRYPTO_SIG_RSA_PSS &&
	    (!hash_md(p->pss_hash) || !hash_md(p->pss_mgf1) || p->pss_salt < 0))
		return -EINVAL;
	a = X509_ALGOR_new();
	if (!a)
		return -ENOMEM;
	if (ptype == V_ASN1_SEQUENCE && !(pval = pss_params(p)))
		goto out;
	if (X509_ALGOR_set0(a, OBJ_nid2obj(nid), ptype, pval) != 1) {
		ASN1_STRING_free(pval);
		goto out;
	}
	n = i2d_X509_ALGOR(a, &der);
	if (n <= 0)
		goto out;
	if ((size_t)n > outmax) {
		rc = -ENOSPC;
	} else {
		memcpy(out, der, (size_t)n);
		rc = n;
	}
out:
	OPENSSL_free(der);
	X509_ALGOR_free(a);
	ERR_clear_error();
	return rc;
}

/* The hash of a (hash) AlgorithmIdentifier; parameters are not looked at,
 * as strongSwan's asn1_parse_algorithmIdentifier(.., NULL) does not. */
static enum crypto_hash algor_hash(const X509_ALGOR *a)
{
	const ASN1_OBJECT *o;

	X509_ALGOR_get0(&o, NULL, NULL, a);
	return hash_from_nid(OBJ_obj2nid(o));
}

static int pss_decode(const ASN1_STRING *seq, struct crypto_sig_params *p, char *err, size_t errlen)
{
	const unsigned char *q = ASN1_STRING_get0_data(seq);
	RSA_PSS_PARAMS *pss = d2i_RSA_PSS_PARAMS(NULL, &q, ASN1_STRING_length(seq));
	int rc = -EBADMSG;

	p->scheme = CRYPTO_SIG_RSA_PSS;
	p->pss_hash = p->pss_mgf1 = CRYPTO_HASH_SHA1;
	p->pss_salt = 20;
	if (!pss || q != ASN1_STRING_get0_data(seq) + ASN1_STRING_length(seq)) {
		log_reason(err, errlen, "malformed RSASSA-PSS parameters");
		goto out;
	}
	if (pss->hashAlgorithm && !(p->pss_hash = algor_hash(pss->hashAlgorithm))) {
		log_reason(err, errlen, "RSASSA-PSS with an unsupported hash");
		rc = -ENOTSUP;
		goto out;
	}
	if (pss->maskGenAlgorithm) {
		const ASN1_OBJECT *o;
		const void *pv;
		int pt;
		X509_ALGOR *mh = NULL;

		X509_ALGOR_get0(&o, &pt, &pv, pss->maskGenAlgorithm);
		if (OBJ_obj2nid(o) != NID_mgf1 || pt != V_ASN1_SEQUENCE) {
			log_reason(err, errlen, "RSASSA-PSS with a mask generation function other than MGF1");
			rc = -ENOTSUP;
			goto out;
		}
		q = ASN1_STRING_get0_data(pv);
		mh = d2i_X509_ALGOR(NULL, &q, ASN1_STRING_length(pv));
		p->pss_mgf1 = mh ? algor_hash(mh) : CRYPTO_HASH_NONE;
		X509_ALGOR_free(mh);
		if (!p->pss_mgf1) {
			log_reason(err, errlen, "RSASSA-PSS with an unsupported MGF1 hash");
			rc = -ENOTSUP;
			goto out;
		}
	}
	if (pss->saltLength) {
		long s = ASN1_INTEGER_get(pss->saltLength);
		if (s < 0 || s > CRYPTO_SIG_MAX) {
			log_reason(err, errlen, "RSASSA-PSS salt length out of range");
			goto out;
		}
		p->pss_salt = (int)s;
	}
	if (pss->trailerField && ASN1_INTEGER_get(pss->trailerField) != 1) {
		log_reason(err, errlen, "RSASSA-PSS trailerField other than 1");
		goto out;
	}
	rc = 0;
out:
	RSA_PSS_PARAMS_free(pss);
	return rc;
}

int crypto_sig_algid_decode(const uint8_t *der, size_t len, struct crypto_sig_params *p,
                            char *err, size_t errlen)
{
	const unsigned char *q = der;
	X509_ALGOR *a;
	const ASN1_OBJECT *o;
	const void *pv;
	int pt, rc = -EBADMSG;
	char oid[80];

	memset(p, 0, sizeof(*p));
	if (len == 0 || len > 255) {
		log_reason(err, errlen, "AlgorithmIdentifier of %zu bytes", len);
		return -EBADMSG;
	}
	a = d2i_X509_ALGOR(NULL, &q, (long)len);
	if (!a || q != der + len) {
		log_reason(err, errlen, "malformed AlgorithmIdentifier");
		goto out;
	}
	X509_ALGOR_get0(&o, &pt, &pv, a);
	switch (OBJ_obj2nid(o)) {
	case NID_sha1WithRSAEncryption: p->scheme = CRYPTO_SIG_RSA_PKCS1_SHA1; break;
	case NID_sha256WithRSAEncryption: p->scheme = CRYPTO_SIG_RSA_PKCS1_SHA256; break;
	case NID_sha384WithRSAEncryption: p->scheme = CRYPTO_SIG_RSA_PKCS1_SHA384; break;
	case NID_sha512WithRSAEncryption: p->scheme = CRYPTO_SIG_RSA_PKCS1_SHA512; break;
	case NID_ecdsa_with_SHA1: p->scheme = CRYPTO_SIG_ECDSA_SHA1_DER; break;
	case NID_ecdsa_with_SHA256: p->scheme = CRYPTO_SIG_ECDSA_SHA256_DER; break;
	case NID_ecdsa_with_SHA384: p->scheme = CRYPTO_SIG_ECDSA_SHA384_DER; break;
	case NID_ecdsa_with_SHA512: p->scheme = CRYPTO_SIG_ECDSA_SHA512_DER; break;
	case NID_ED25519: p->scheme = CRYPTO_SIG_ED25519; break;
	case NID_rsassaPss:
		if (pt != V_ASN1_SEQUENCE) {
			log_reason(err, errlen, "RSASSA-PSS without parameters");
			goto out;
		}
		rc = pss_decode(pv, p, err, errlen);
		if (rc)
			memset(p, 0, sizeof(*p));
		goto out;
	default:
		if (OBJ_obj2txt(oid, sizeof(oid), o, 1) <= 0)
			snprintf(oid, sizeof(oid), "?");
		log_reason(err, errlen, "unsupported signature algorithm %s", oid);
		rc = -ENOTSUP;
		goto out;
	}
	/* As strongSwan's signature_params_parse: no parameters, or NULL. */
	if (pt != V_ASN1_UNDEF && pt != V_ASN1_NULL) {
		log_reason(err, errlen, "unexpected parameters for %s", crypto_sig_scheme_name(p->scheme));
		memset(p, 0, sizeof(*p));
		goto out;
	}
	rc = 0;
out:
	X509_ALGOR_free(a);
	ERR_clear_error();
	return rc;
}

int crypto_sig_cert_params(const struct crypto_cert *c, struct crypto_sig_params *p)
{
	const X509_ALGOR *alg = NULL;
	unsigned char *der = NULL;
	int n, rc;

	X509_get0_signature(NULL, &alg, c->x);
	n = alg ? i2d_X509_ALGOR(alg, &der) : -1;
	rc = n > 0 ? crypto_sig_algid_decode(der, (size_t)n, p, NULL, 0) : -ENOTSUP;
	OPENSSL_free(der);
	ERR_clear_error();
	return rc ? -ENOTSUP : 0;
}

/* ---- AUTH data ---- */

static int method_scheme(uint8_t method, enum crypto_sig_scheme *s)
{
	switch (method) {
	case CRYPTO_AUTH_RSA: *s = CRYPTO_SIG_RSA_PKCS1_SHA1; return 0;
	case CRYPTO_AUTH_ECDSA_256: *s = CRYPTO_SIG_ECDSA_256; return 0;
	case CRYPTO_AUTH_ECDSA_384: *s = CRYPTO_SIG_ECDSA_384; return 0;
	case CRYPTO_AUTH_ECDSA_521: *s = CRYPTO_SIG_ECDSA_521; return 0;
	default: return -ENOTSUP;
	}
}

int crypto_sig_auth_sign(const struct crypto_privkey *k, uint8_t method,
                         const struct crypto_sig_params *p, const uint8_t *octets, size_t olen,
                         uint8_t *out, size_t outmax)
{
	enum crypto_sig_scheme s;
	int alen, slen;

	if (method != CRYPTO_AUTH_DS) {
		if (method_scheme(method, &s) || s != p->scheme)
			return -EINVAL;
		return crypto_sig_sign(k, p, octets, olen, out, outmax);
	}
	/* RFC 7427 section 3: | ASN.1 Length | AlgorithmIdentifier ASN.1 | Signature | */
	if (outmax < 1)
		return -ENOSPC;
	alen = crypto_sig_algid_encode(p, out + 1, outmax - 1);
	if (alen < 0)
		return alen;
	if (alen > 255)
		return -EINVAL;
	out[0] = (uint8_t)alen;
	slen = crypto_sig_sign(k, p, octets, olen, out + 1 + alen, outmax - 1 - (size_t)alen);
	if (slen < 0)
		return slen;
	return 1 + alen + slen;
}

int crypto_sig_auth_verify(const struct crypto_pubkey *k, uint8_t method,
                           const uint8_t *auth, size_t alen, const uint8_t *octets, size_t olen,
                           struct crypto_sig_params *used, char *err, size_t errlen)
{
	struct crypto_sig_params p = { 0 };
	const uint8_t *sig = auth;
	size_t slen = alen;
	int rc;

	if (method == CRYPTO_AUTH_DS) {
		size_t l;

		if (alen < 1 || (l = auth[0]) == 0 || 1 + l > alen) {
			log_reason(err, errlen, "Digital Signature AUTH data too short for its AlgorithmIdentifier");
			return -EBADMSG;
		}
		rc = crypto_sig_algid_decode(auth + 1, l, &p, err, errlen);
		if (rc)
			return rc;
		sig = auth + 1 + l;
		slen = alen - 1 - l;
	} else if (method_scheme(method, &p.scheme)) {
		log_reason(err, errlen, "AUTH method %u not supported", method);
		return -ENOTSUP;
	}
	if (used)
		*used = p;
	if (crypto_sig_key_type(&p) != k->type) {
		log_reason(err, errlen, "peer signed with %s, but its key is %s",
		           crypto_sig_scheme_name(p.scheme), crypto_key_type_name(k->type));
		return -EINVAL;
	}
	return crypto_sig_verify(k, &p, octets, olen, sig, slen, err, errlen);
}

/* ---- SIGNATURE_HASH_ALGORITHMS ---- */

int crypto_sig_hash_notify_build(uint32_t set, uint8_t *out, size_t outmax)
{
	size_t n = 0;

	if (!set)
		set = CRYPTO_HASHES_IKEV2;
	set &= CRYPTO_HASHES_IKEV2;
	for (unsigned h = 1; h <= CRYPTO_HASH_IDENTITY; h++) {
		if (!(set & CRYPTO_HASH_BIT(h)))
			continue;
		if (n + 2 > outmax)
			return -ENOSPC;
		out[n++] = 0;
		out[n++] = (uint8_t)h;
	}
	return (int)n;
}

uint32_t crypto_sig_hash_notify_parse(const uint8_t *data, size_t len)
{
	uint32_t set = 0;

	for (size_t i = 0; i + 2 <= len; i += 2) {
		uint16_t h = (uint16_t)(data[i] << 8 | data[i + 1]);
		if (h <= CRYPTO_HASH_IDENTITY && (CRYPTO_HASH_BIT(h) & CRYPTO_HASHES_IKEV2))
			set |= CRYPTO_HASH_BIT(h);
	}
	return set;
}

/* ---- constraints ---- */

bool crypto_sig_auth_is_pubkey(const char *auth)
{
	static const char *const pfx[] = { "ike:", "pubkey", "rsa", "ecdsa", "bliss" };

	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
		if (strncmp(auth, pfx[i], strlen(pfx[i])) == 0)
			return true;
	return false;
}

static int add_params(struct crypto_sig_constraints *c, bool ike, const struct crypto_sig_params *p,
                      char *err, size_t errlen)
{
	size_t *n = ike ? &c->nike : &c->nsig;

	if (*n >= CRYPTO_SIG_CONSTRAINTS_MAX)
		return log_reason(err, errlen, "more than %d signature constraints", CRYPTO_SIG_CONSTRAINTS_MAX);
	(ike ? c->ike : c->sig)[(*n)++] = *p;
	return 0;
}

static enum crypto_hash hash_token(const char *t)
{
	for (unsigned h = CRYPTO_HASH_SHA1; h <= CRYPTO_HASH_IDENTITY; h++)
		if (strcmp(t, crypto_hash_name(h)) == 0)
			return h;
	return CRYPTO_HASH_NONE;
}

int crypto_sig_constraints_parse(const char *auth, bool rsa_pss,
                                 struct crypto_sig_constraints *c, char *err, size_t errlen)
{
	/* strongSwan's schemes[] table: a hash token adds every scheme of that
	 * hash for the expected key type. */
	static const struct { enum crypto_hash h; enum crypto_sig_scheme s; } table[] = {
		{ CRYPTO_HASH_SHA1, CRYPTO_SIG_RSA_PKCS1_SHA1 },
		{ CRYPTO_HASH_SHA256, CRYPTO_SIG_RSA_PKCS1_SHA256 },
		{ CRYPTO_HASH_SHA384, CRYPTO_SIG_RSA_PKCS1_SHA384 },
		{ CRYPTO_HASH_SHA512, CRYPTO_SIG_RSA_PKCS1_SHA512 },
		{ CRYPTO_HASH_SHA1, CRYPTO_SIG_ECDSA_SHA1_DER },
		{ CRYPTO_HASH_SHA256, CRYPTO_SIG_ECDSA_SHA256_DER },
		{ CRYPTO_HASH_SHA384, CRYPTO_SIG_ECDSA_SHA384_DER },
		{ CRYPTO_HASH_SHA512, CRYPTO_SIG_ECDSA_SHA512_DER },
		{ CRYPTO_HASH_SHA256, CRYPTO_SIG_ECDSA_256 },
		{ CRYPTO_HASH_SHA384, CRYPTO_SIG_ECDSA_384 },
		{ CRYPTO_HASH_SHA512, CRYPTO_SIG_ECDSA_521 },
		{ CRYPTO_HASH_IDENTITY, CRYPTO_SIG_ED25519 },
	};
	enum { KEY_UNSET = -1, KEY_ANY = 0 };
	int expected = KEY_UNSET;           /* KEY_ANY or an enum crypto_key_type */
	int *strength = NULL;
	const char *key_token = NULL;
	bool ike_added = false;
	char buf[128], *save = NULL, *tok;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (strlen(auth) >= sizeof(buf))
		return log_reason(err, errlen, "auth value too long");
	if (!crypto_sig_auth_is_pubkey(auth))
		return log_reason(err, errlen, "'%s' is not a public key auth value", auth);
	strcpy(buf, auth);
	for (tok = buf; tok && rc == 0; tok = save) {
		char *dash = strchr(tok, '-');
		bool ike, pss;
		enum crypto_hash h;

		if (dash)
			*dash = '\0';
		save = dash ? dash + 1 : NULL;
		if (strength) {
			char *end;
			long v = strtol(tok, &end, 10);
			int *st = strength;

			strength = NULL;
			if (end != tok && *end == '\0') {
				if (v <= 0 || v > 65536) {
					rc = log_reason(err, errlen, "key size '%s' out of range", tok);
					break;
				}
				if (!*st || v < *st)
					*st = (int)v;
				continue;
			}
		}
		if (!strcmp(tok, "rsa") || !strcmp(tok, "ike:rsa") ||
		    !strcmp(tok, "rsa/pss") || !strcmp(tok, "ike:rsa/pss")) {
			key_token = tok;
			expected = CRYPTO_KEY_RSA;
			strength = &c->rsa_bits;
			continue;
		}
		if (!strcmp(tok, "ecdsa") || !strcmp(tok, "ike:ecdsa")) {
			key_token = tok;
			expected = CRYPTO_KEY_ECDSA;
			strength = &c->ecdsa_bits;
			continue;
		}
		if (!strcmp(tok, "ed25519") || !strcmp(tok, "ike:ed25519")) {
			key_token = tok;
			expected = CRYPTO_KEY_ED25519;
			continue;
		}
		if (!strcmp(tok, "pubkey") || !strcmp(tok, "ike:pubkey")) {
			key_token = tok;
			expected = KEY_ANY;
			continue;
		}
		if (!strcmp(tok, "bliss") || !strcmp(tok, "ike:bliss") ||
		    !strcmp(tok, "ed448") || !strcmp(tok, "ike:ed448")) {
			rc = log_reason(err, errlen, "auth token '%s' not supported by uipsec", tok);
			break;
		}
		ike = key_token && strncmp(key_token, "ike:", 4) == 0;
		pss = key_token && strlen(key_token) >= 3 && !strcmp(key_token + strlen(key_token) - 3, "pss");
		h = hash_token(tok);
		if (pss) {
			struct crypto_sig_params p;

			if (!h || h == CRYPTO_HASH_IDENTITY) {
				rc = log_reason(err, errlen, "auth token '%s' is not a hash for %s", tok, key_token);
				break;
			}
			p = crypto_sig_pss(h);
			rc = add_params(c, ike, &p, err, errlen);
			ike_added |= ike;
			continue;
		}
		if (!h) {
			if (!strcmp(tok, "md5") || !strcmp(tok, "sha224") || !strncmp(tok, "sha3_", 5))
				rc = log_reason(err, errlen, "auth token '%s' not supported by uipsec", tok);
			else
				rc = log_reason(err, errlen, "invalid auth token '%s'", tok);
			break;
		}
		if (rsa_pss && (expected == KEY_ANY || expected == CRYPTO_KEY_RSA) &&
		    h != CRYPTO_HASH_IDENTITY) {
			struct crypto_sig_params p = crypto_sig_pss(h);

			rc = add_params(c, ike, &p, err, errlen);
			ike_added |= ike;
		}
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]) && rc == 0; i++) {
			struct crypto_sig_params p = { table[i].s, 0, 0, 0 };

			if (table[i].h != h)
				continue;
			if (expected == KEY_ANY || expected == (int)crypto_sig_key_type(&p)) {
				rc = add_params(c, ike, &p, err, errlen);
				ike_added |= ike;
			}
		}
	}
	/* charon.signature_authentication_constraints (default yes): without
	 * explicit ike: constraints, the chain's also constrain the AUTH. */
	if (rc == 0 && !ike_added)
		for (size_t i = 0; i < c->nsig && rc == 0; i++)
			rc = add_params(c, true, &c->sig[i], err, errlen);
	if (rc)
		memset(c, 0, sizeof(*c));
	return rc;
}

bool crypto_sig_params_comply(const struct crypto_sig_params *constraint,
                              const struct crypto_sig_params *used)
{
	if (constraint->scheme != used->scheme)
		return false;
	if (constraint->scheme == CRYPTO_SIG_RSA_PSS)
		return constraint->pss_hash == used->pss_hash && constraint->pss_mgf1 == used->pss_mgf1;
	return true;
}

bool crypto_sig_constraints_allow_ike(const struct crypto_sig_constraints *c,
                                      const struct crypto_sig_params *used)
{
	if (!c || c->nike == 0)
		return true;
	for (size_t i = 0; i < c->nike; i++)
		if (crypto_sig_params_comply(&c->ike[i], used))
			return true;
	return false;
}

int crypto_sig_constraints_check_chain(const struct crypto_sig_constraints *c,
                                       struct crypto_cert *const *chain, size_t n,
                                       char *err, size_t errlen)
{
	char sub[CRYPTO_ID_STRLEN];

	if (!c)
		return 0;
	/* Signatures of every certificate but the trust anchor (whose
	 * self-signature is not a link of the chain). */
	for (size_t i = 0; c->nsig && i + 1 < n; i++) {
		struct crypto_sig_params p;
		bool ok = false;

		if (crypto_sig_cert_params(chain[i], &p) == 0)
			for (size_t j = 0; j < c->nsig && !ok; j++)
				ok = crypto_sig_params_comply(&c->sig[j], &p);
		if (!ok) {
			log_reason(err, errlen, "constraint check failed: certificate \"%s\" is signed with %s, not an allowed signature scheme",
			           crypto_id_fmt(crypto_cert_subject(chain[i]), sub, sizeof(sub)),
			           crypto_sig_scheme_name(p.scheme));
			return -EACCES;
		}
	}
	if (!c->rsa_bits && !c->ecdsa_bits)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct crypto_pubkey *k = crypto_cert_pubkey(chain[i]);
		int need;

		if (k->type == CRYPTO_KEY_RSA)
			need = c->rsa_bits;
		else if (k->type == CRYPTO_KEY_ECDSA)
			need = c->ecdsa_bits;
		else
			continue;
		if (!need || need > k->bits) {
			log_reason(err, errlen, "constraint check failed: %s key of \"%s\" has %d bits%s",
			           crypto_key_type_name(k->type),
			           crypto_id_fmt(crypto_cert_subject(chain[i]), sub, sizeof(sub)), k->bits,
			           need ? ", less than required" : ", but no strength is allowed for this key type");
			return -EACCES;
		}
	}
	return 0;
}

uint32_t crypto_sig_constraints_hashes(const struct crypto_sig_constraints *c)
{
	uint32_t set = 0;

	for (size_t i = 0; c && i < c->nike; i++) {
		enum crypto_hash h = crypto_sig_hash(&c->ike[i]);
		if (h && (CRYPTO_HASH_BIT(h) & CRYPTO_HASHES_IKEV2))
			set |= CRYPTO_HASH_BIT(h);
	}
	return set;
}

/* ---- our choice ---- */

static bool has_algid(enum crypto_sig_scheme s)
{
	int pt;

	return scheme_nid(s, &pt) != NID_undef;
}

static size_t push(struct crypto_sig_choice *out, size_t n, size_t max, uint8_t method,
                   const struct crypto_sig_params *p)
{
	for (size_t i = 0; i < n; i++)
		if (out[i].method == method && out[i].params.scheme == p->scheme &&
		    (p->scheme != CRYPTO_SIG_RSA_PSS || out[i].params.pss_hash == p->pss_hash))
			return n;
	if (n < max) {
		out[n].method = method;
		out[n].params = *p;
		n++;
	}
	return n;
}

size_t crypto_sig_select(const struct crypto_privkey *k, const struct crypto_sig_constraints *c,
                         bool rsa_pss, uint32_t peer_hashes,
                         struct crypto_sig_choice *out, size_t max)
{
	return crypto_sig_select_pub(crypto_privkey_pubkey(k), c, rsa_pss, peer_hashes, out, max);
}

size_t crypto_sig_select_pub(const struct crypto_pubkey *k, const struct crypto_sig_constraints *c,
                             bool rsa_pss, uint32_t peer_hashes,
                             struct crypto_sig_choice *out, size_t max)
{
	enum crypto_key_type kt = crypto_pubkey_type(k);
	int bits = crypto_pubkey_bits(k);
	size_t n = 0;

	if (!peer_hashes) {
		/* No RFC 7427: pubkey_authenticator.c sign_classic() */
		struct crypto_sig_params p = { 0 };
		uint8_t m = 0;

		if (kt == CRYPTO_KEY_RSA) {
			p.scheme = CRYPTO_SIG_RSA_PKCS1_SHA1;
			m = CRYPTO_AUTH_RSA;
		} else if (kt == CRYPTO_KEY_ECDSA && bits == 256) {
			p.scheme = CRYPTO_SIG_ECDSA_256;
			m = CRYPTO_AUTH_ECDSA_256;
		} else if (kt == CRYPTO_KEY_ECDSA && bits == 384) {
			p.scheme = CRYPTO_SIG_ECDSA_384;
			m = CRYPTO_AUTH_ECDSA_384;
		} else if (kt == CRYPTO_KEY_ECDSA && bits == 521) {
			p.scheme = CRYPTO_SIG_ECDSA_521;
			m = CRYPTO_AUTH_ECDSA_521;
		}
		return m ? push(out, 0, max, m, &p) : 0;
	}
	if (c && c->nike) {
		for (size_t i = 0; i < c->nike; i++) {
			const struct crypto_sig_params *p = &c->ike[i];
			enum crypto_hash h = crypto_sig_hash(p);

			if (crypto_sig_key_type(p) == kt && has_algid(p->scheme) &&
			    (peer_hashes & CRYPTO_HASH_BIT(h)))
				n = push(out, n, max, CRYPTO_AUTH_DS, p);
		}
		return n;
	}
	/* public_key.c scheme_map[] by key size, then the RSA fallbacks */
	if (kt == CRYPTO_KEY_RSA) {
		static const struct { int max; enum crypto_hash h; } rsa[] = {
			{ 3072, CRYPTO_HASH_SHA256 }, { 7680, CRYPTO_HASH_SHA384 }, { 0, CRYPTO_HASH_SHA512 },
		};
		static const enum crypto_sig_scheme pkcs1[] = {
			CRYPTO_SIG_RSA_PKCS1_SHA256, CRYPTO_SIG_RSA_PKCS1_SHA384, CRYPTO_SIG_RSA_PKCS1_SHA512,
		};
		for (int pass = rsa_pss ? 0 : 1; pass < 2; pass++)
			for (size_t i = 0; i < 3; i++) {
				struct crypto_sig_params p = pass ? (struct crypto_sig_params){ pkcs1[i], 0, 0, 0 }
				                                  : crypto_sig_pss(rsa[i].h);
				if ((rsa[i].max && bits > rsa[i].max) || !(peer_hashes & CRYPTO_HASH_BIT(rsa[i].h)))
					continue;
				n = push(out, n, max, CRYPTO_AUTH_DS, &p);
			}
		for (size_t i = 2; i-- > 0;) {
			struct crypto_sig_params p = { pkcs1[i], 0, 0, 0 };
			if (peer_hashes & CRYPTO_HASH_BIT(rsa[i].h))
				n = push(out, n, max, CRYPTO_AUTH_DS, &p);
		}
	} else if (kt == CRYPTO_KEY_ECDSA) {
		static const struct { int max; enum crypto_hash h; enum crypto_sig_scheme s; } ec[] = {
			{ 256, CRYPTO_HASH_SHA256, CRYPTO_SIG_ECDSA_SHA256_DER },
			{ 384, CRYPTO_HASH_SHA384, CRYPTO_SIG_ECDSA_SHA384_DER },
			{ 0, CRYPTO_HASH_SHA512, CRYPTO_SIG_ECDSA_SHA512_DER },
		};
		for (size_t i = 0; i < 3; i++) {
			struct crypto_sig_params p = { ec[i].s, 0, 0, 0 };
			if ((ec[i].max && bits > ec[i].max) || !(peer_hashes & CRYPTO_HASH_BIT(ec[i].h)))
				continue;
			n = push(out, n, max, CRYPTO_AUTH_DS, &p);
		}
	} else if (kt == CRYPTO_KEY_ED25519) {
		struct crypto_sig_params p = { CRYPTO_SIG_ED25519, 0, 0, 0 };
		if (peer_hashes & CRYPTO_HASH_BIT(CRYPTO_HASH_IDENTITY))
			n = push(out, n, max, CRYPTO_AUTH_DS, &p);
	}
	return n;
}
