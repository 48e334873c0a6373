/* Test PKIs made during the test with OpenSSL directly (tests may call
 * OpenSSL; the code under test may not outside src/crypto/): keys,
 * certificates with chosen extensions and validity, CRLs, and their PEM or
 * DER encodings in memory or in files. Header-only; every function aborts
 * the test on an OpenSSL failure (these are our own bugs, not cases). */
#ifndef UIPSEC_TESTS_PKI_H
#define UIPSEC_TESTS_PKI_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define PKI_CHECK(x) do { if (!(x)) { fprintf(stderr, "%s:%d: pki: %s failed\n", __FILE__, __LINE__, #x); abort(); } } while (0)

static inline EVP_PKEY *pki_rsa(int bits)
{
	EVP_PKEY *k = EVP_RSA_gen((unsigned)bits);
	PKI_CHECK(k);
	return k;
}

static inline EVP_PKEY *pki_ec(const char *curve)
{
	EVP_PKEY *k = EVP_EC_gen(curve);
	PKI_CHECK(k);
	return k;
}

static inline EVP_PKEY *pki_ed25519(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	PKI_CHECK(k);
	return k;
}

struct pki_opts {
	const char *subject;        /* "C=CH, O=strongSwan, CN=moon.strongswan.org" */
	long not_before;            /* seconds from now (default -3600) */
	long not_after;             /* seconds from now (default 0: +30 days) */
	int ca;                     /* 1: basicConstraints critical CA:TRUE */
	int pathlen_set;            /* with ca: add pathLenConstraint = pathlen */
	int pathlen;
	const char *san;            /* "DNS:a,email:b,IP:1.2.3.4" */
	const char *ku;             /* "digitalSignature,keyCertSign" */
	const char *eku;            /* "serverAuth,1.3.6.1.5.5.8.2.2" */
	const char *cdp;            /* "URI:http://crl.example/ca.crl" */
	const char *ext_oid;        /* an extra extension's OID ... */
	int ext_critical;           /* ... critical? */
	size_t ext_len;             /* ... with this many bytes of OCTET STRING content */
	long serial;                /* default: counter */
	const char *md;             /* signature hash "sha256" (default), "sha1", ... */
	int pss;                    /* sign with RSASSA-PSS */
	int no_akid;
	time_t abs_not_before, abs_not_after;   /* absolute times instead (UNIX) */
};

static inline X509_NAME *pki_name(const char *dn)
{
	X509_NAME *n = X509_NAME_new();
	char buf[1024], *save = NULL;

	PKI_CHECK(n && strlen(dn) < sizeof(buf));
	strcpy(buf, dn);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq;
		while (*t == ' ')
			t++;
		eq = strchr(t, '=');
		PKI_CHECK(eq);
		*eq = '\0';
		PKI_CHECK(X509_NAME_add_entry_by_txt(n, t, MBSTRING_ASC, (unsigned char *)eq + 1, -1, -1, 0));
	}
	return n;
}

static inline void pki_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	PKI_CHECK(e);
	PKI_CHECK(X509_add_ext(x, e, -1));
	X509_EXTENSION_free(e);
}

/* A certificate for key, signed by issuer_key (self-signed if issuer is NULL). */
static inline X509 *pki_cert(EVP_PKEY *key, const struct pki_opts *o, X509 *issuer, EVP_PKEY *issuer_key)
{
	static long counter = 1000;
	X509 *x = X509_new();
	X509_NAME *n = pki_name(o->subject);
	const EVP_MD *md = NULL;
	char buf[64];

	PKI_CHECK(x);
	PKI_CHECK(X509_set_version(x, 2));
	PKI_CHECK(ASN1_INTEGER_set(X509_get_serialNumber(x), o->serial ? o->serial : counter++));
	PKI_CHECK(X509_set_subject_name(x, n));
	PKI_CHECK(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n));
	X509_NAME_free(n);
	PKI_CHECK(X509_gmtime_adj(X509_getm_notBefore(x), o->not_before ? o->not_before : -3600));
	PKI_CHECK(X509_gmtime_adj(X509_getm_notAfter(x), o->not_after ? o->not_after : 30L * 86400));
	if (o->abs_not_before)
		PKI_CHECK(ASN1_TIME_set(X509_getm_notBefore(x), o->abs_not_before));
	if (o->abs_not_after)
		PKI_CHECK(ASN1_TIME_set(X509_getm_notAfter(x), o->abs_not_after));
	PKI_CHECK(X509_set_pubkey(x, key));
	if (o->ca) {
		if (o->pathlen_set)
			snprintf(buf, sizeof(buf), "critical,CA:TRUE,pathlen:%d", o->pathlen);
		else
			snprintf(buf, sizeof(buf), "critical,CA:TRUE");
		pki_ext(x, issuer, NID_basic_constraints, buf);
	}
	pki_ext(x, issuer, NID_subject_key_identifier, "hash");
	if (!o->no_akid && issuer)
		pki_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	if (o->san)
		pki_ext(x, issuer, NID_subject_alt_name, o->san);
	if (o->ku)
		pki_ext(x, issuer, NID_key_usage, o->ku);
	if (o->eku)
		pki_ext(x, issuer, NID_ext_key_usage, o->eku);
	if (o->cdp)
		pki_ext(x, issuer, NID_crl_distribution_points, o->cdp);
	if (o->ext_oid) {
		ASN1_OBJECT *obj = OBJ_txt2obj(o->ext_oid, 1);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		unsigned char *data = calloc(1, o->ext_len + 16);
		X509_EXTENSION *e;
		/* the extension value: an OCTET STRING holding an OCTET STRING */
		ASN1_OCTET_STRING *inner = ASN1_OCTET_STRING_new();
		unsigned char *der = NULL;
		int dl;
		PKI_CHECK(obj && os && data && inner);
		memset(data, 'A', o->ext_len);
		PKI_CHECK(ASN1_OCTET_STRING_set(inner, data, (int)o->ext_len));
		dl = i2d_ASN1_OCTET_STRING(inner, &der);
		PKI_CHECK(dl > 0 && ASN1_OCTET_STRING_set(os, der, dl));
		e = X509_EXTENSION_create_by_OBJ(NULL, obj, o->ext_critical, os);
		PKI_CHECK(e && X509_add_ext(x, e, -1));
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(os);
		ASN1_OCTET_STRING_free(inner);
		ASN1_OBJECT_free(obj);
		OPENSSL_free(der);
		free(data);
	}
	if (!issuer_key)
		issuer_key = key;
	if (EVP_PKEY_get_base_id(issuer_key) != EVP_PKEY_ED25519)
		md = EVP_get_digestbyname(o->md ? o->md : "sha256");
	if (o->pss) {
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		EVP_PKEY_CTX *p = NULL;
		PKI_CHECK(m && EVP_DigestSignInit(m, &p, md, NULL, issuer_key) == 1);
		PKI_CHECK(EVP_PKEY_CTX_set_rsa_padding(p, RSA_PKCS1_PSS_PADDING) == 1);
		PKI_CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(p, RSA_PSS_SALTLEN_DIGEST) == 1);
		PKI_CHECK(X509_sign_ctx(x, m) > 0);
		EVP_MD_CTX_free(m);
	} else {
		PKI_CHECK(X509_sign(x, issuer_key, md) > 0);
	}
	return x;
}

struct pki_revoked {
	long serial;
	int reason;                 /* CRL_REASON_*, -1 for none */
};

/* A CRL of issuer listing the given serials. */
static inline X509_CRL *pki_crl(X509 *issuer, EVP_PKEY *issuer_key, const struct pki_revoked *rv,
                                size_t n, long this_update, long next_update)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	PKI_CHECK(c && t);
	PKI_CHECK(X509_CRL_set_version(c, 1));
	PKI_CHECK(X509_CRL_set_issuer_name(c, X509_get_subject_name(issuer)));
	PKI_CHECK(X509_gmtime_adj(t, this_update ? this_update : -600));
	PKI_CHECK(X509_CRL_set1_lastUpdate(c, t));
	PKI_CHECK(X509_gmtime_adj(t, next_update ? next_update : 7L * 86400));
	PKI_CHECK(X509_CRL_set1_nextUpdate(c, t));
	for (size_t i = 0; i < n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();
		PKI_CHECK(r && s && ASN1_INTEGER_set(s, rv[i].serial));
		PKI_CHECK(X509_REVOKED_set_serialNumber(r, s));
		PKI_CHECK(X509_gmtime_adj(t, -300));
		PKI_CHECK(X509_REVOKED_set_revocationDate(r, t));
		if (rv[i].reason >= 0) {
			ASN1_ENUMERATED *en = ASN1_ENUMERATED_new();
			PKI_CHECK(en && ASN1_ENUMERATED_set(en, rv[i].reason));
			PKI_CHECK(X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, en, 0, 0));
			ASN1_ENUMERATED_free(en);
		}
		PKI_CHECK(X509_CRL_add0_revoked(c, r));
		ASN1_INTEGER_free(s);
	}
	X509V3_set_ctx(&ctx, issuer, NULL, NULL, c, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	PKI_CHECK(e && X509_CRL_add_ext(c, e, -1));
	X509_EXTENSION_free(e);
	PKI_CHECK(X509_CRL_sort(c));
	PKI_CHECK(X509_CRL_sign(c, issuer_key, EVP_PKEY_get_base_id(issuer_key) == EVP_PKEY_ED25519 ?
	                        NULL : EVP_sha256()) > 0);
	ASN1_TIME_free(t);
	return c;
}

/* Encodings into malloc'd buffers (*len set). */
static inline unsigned char *pki_bio_take(BIO *b, size_t *len)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	unsigned char *out = malloc(n > 0 ? (size_t)n + 1 : 1);

	PKI_CHECK(out);
	if (n > 0)
		memcpy(out, p, (size_t)n);
	out[n > 0 ? n : 0] = 0;
	*len = n > 0 ? (size_t)n : 0;
	BIO_free(b);
	return out;
}

static inline unsigned char *pki_cert_der(X509 *x, size_t *len)
{
	unsigned char *der = NULL, *out;
	int n = i2d_X509(x, &der);

	PKI_CHECK(n > 0);
	out = malloc((size_t)n);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return out;
}

static inline unsigned char *pki_cert_pem(X509 *x, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());

	PKI_CHECK(b && PEM_write_bio_X509(b, x));
	return pki_bio_take(b, len);
}

static inline unsigned char *pki_crl_pem(X509_CRL *c, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());

	PKI_CHECK(b && PEM_write_bio_X509_CRL(b, c));
	return pki_bio_take(b, len);
}

static inline unsigned char *pki_crl_der(X509_CRL *c, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());

	PKI_CHECK(b && i2d_X509_CRL_bio(b, c));
	return pki_bio_take(b, len);
}

enum pki_keyfmt {
	PKI_PKCS8_PEM,            /* "PRIVATE KEY" */
	PKI_PKCS8_DER,
	PKI_TRAD_PEM,             /* "RSA PRIVATE KEY" / "EC PRIVATE KEY" */
	PKI_TRAD_DER,
	PKI_PKCS8_ENC_PEM,        /* "ENCRYPTED PRIVATE KEY", AES-256-CBC */
	PKI_PKCS8_ENC_DER,
	PKI_TRAD_ENC_PEM,         /* Proc-Type: 4,ENCRYPTED */
};

static inline unsigned char *pki_key(EVP_PKEY *k, enum pki_keyfmt f, const char *pass, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int plen = pass ? (int)strlen(pass) : 0;

	PKI_CHECK(b);
	switch (f) {
	case PKI_PKCS8_PEM: PKI_CHECK(PEM_write_bio_PKCS8PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)); break;
	case PKI_PKCS8_DER: PKI_CHECK(i2d_PKCS8PrivateKey_bio(b, k, NULL, NULL, 0, NULL, NULL)); break;
	case PKI_TRAD_PEM: PKI_CHECK(PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL)); break;
	case PKI_TRAD_DER: PKI_CHECK(i2d_PrivateKey_bio(b, k)); break;
	case PKI_PKCS8_ENC_PEM:
		PKI_CHECK(PEM_write_bio_PKCS8PrivateKey(b, k, EVP_aes_256_cbc(), (char *)pass, plen, NULL, NULL));
		break;
	case PKI_PKCS8_ENC_DER:
		PKI_CHECK(i2d_PKCS8PrivateKey_bio(b, k, EVP_aes_256_cbc(), (char *)pass, plen, NULL, NULL));
		break;
	case PKI_TRAD_ENC_PEM:
		PKI_CHECK(PEM_write_bio_PrivateKey_traditional(b, k, EVP_aes_128_cbc(), (unsigned char *)pass, plen, NULL, NULL));
		break;
	}
	return pki_bio_take(b, len);
}

static inline unsigned char *pki_pub(EVP_PKEY *k, int pem, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());

	PKI_CHECK(b && (pem ? PEM_write_bio_PUBKEY(b, k) : i2d_PUBKEY_bio(b, k)));
	return pki_bio_take(b, len);
}

static inline void pki_write(const char *path, const unsigned char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	PKI_CHECK(f && fwrite(data, 1, len, f) == len);
	fclose(f);
}

#endif
