/* X.509 certificates on OpenSSL 3: parsed once (PEM_read_bio_X509 /
 * d2i_X509), then the fields strongSwan uses are extracted into plain
 * values (subject and issuer DNs, subjectAltNames as identities, flags,
 * key identifiers, CRL URIs). The X509 object is kept for signatures and
 * path validation (x509_verify.c). Objects are reference counted and
 * immutable after construction. */
#include "crypto/x509_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "util/file.h"
#include "util/log.h"
#include "util/mem.h"

#define OID_IKE_INTERMEDIATE "1.3.6.1.5.5.8.2.2"

int crypto_x509_no_pass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

bool crypto_x509_is_pem(const uint8_t *data, size_t len)
{
	static const char mark[] = "-----BEGIN ";

	for (size_t i = 0; i + sizeof(mark) - 1 <= len; i++)
		if (memcmp(data + i, mark, sizeof(mark) - 1) == 0)
			return true;
	return false;
}

time_t crypto_x509_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		return 0;
	}
	return timegm(&tm);
}

static uint8_t *dup_bytes(const void *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	if (d && n)
		memcpy(d, p, n);
	return d;
}

static int name_id(const X509_NAME *n, struct crypto_id *id)
{
	unsigned char *der = NULL;
	int len = i2d_X509_NAME(n, &der);
	int rc;

	if (len <= 0) {
		ERR_clear_error();
		return -EBADMSG;
	}
	rc = crypto_id_from_dn_der(der, (size_t)len, id);
	OPENSSL_free(der);
	return rc;
}

/* subjectAltNames as strongSwan's identities (x509_cert.c parse_generalName). */
static int parse_sans(struct crypto_cert *c)
{
	GENERAL_NAMES *gns = X509_get_ext_d2i(c->x, NID_subject_alt_name, NULL, NULL);
	int n;

	if (!gns)
		return 0;
	n = sk_GENERAL_NAME_num(gns);
	c->sans = calloc(n > 0 ? (size_t)n : 1, sizeof(*c->sans));
	if (!c->sans) {
		GENERAL_NAMES_free(gns);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gns, i);
		struct crypto_id *id = &c->sans[c->nsans];
		const ASN1_STRING *s = NULL;
		int type = 0;

		switch (gn->type) {
		case GEN_DNS: s = gn->d.dNSName; type = CRYPTO_ID_FQDN; break;
		case GEN_EMAIL: s = gn->d.rfc822Name; type = CRYPTO_ID_RFC822_ADDR; break;
		case GEN_URI: s = gn->d.uniformResourceIdentifier; type = CRYPTO_ID_DER_ASN1_GN_URI; break;
		case GEN_IPADD:
			s = gn->d.iPAddress;
			if (ASN1_STRING_length(s) == 4)
				type = CRYPTO_ID_IPV4_ADDR;
			else if (ASN1_STRING_length(s) == 16)
				type = CRYPTO_ID_IPV6_ADDR;
			break;
		case GEN_DIRNAME:
			if (name_id(gn->d.directoryName, id) == 0)
				c->nsans++;
			continue;
		default:
			break;
		}
		if (!type || !s || ASN1_STRING_length(s) > CRYPTO_ID_MAX)
			continue;
		id->type = (uint8_t)type;
		id->len = (uint16_t)ASN1_STRING_length(s);
		memcpy(id->data, ASN1_STRING_get0_data(s), id->len);
		c->nsans++;
	}
	GENERAL_NAMES_free(gns);
	return 0;
}

static int parse_crl_uris(struct crypto_cert *c)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(c->x, NID_crl_distribution_points, NULL, NULL);
	int n;

	if (!dps)
		return 0;
	n = sk_DIST_POINT_num(dps);
	for (int i = 0; i < n; i++) {
		const DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		GENERAL_NAMES *names;

		if (!dp->distpoint || dp->distpoint->type != 0)
			continue;
		names = dp->distpoint->name.fullname;
		for (int j = 0; j < sk_GENERAL_NAME_num(names); j++) {
			const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, j);
			const ASN1_STRING *u;
			char **nu;

			if (gn->type != GEN_URI)
				continue;
			u = gn->d.uniformResourceIdentifier;
			nu = realloc(c->crl_uris, (c->ncrl_uris + 1) * sizeof(*nu));
			if (!nu)
				goto nomem;
			c->crl_uris = nu;
			nu[c->ncrl_uris] = calloc(1, (size_t)ASN1_STRING_length(u) + 1);
			if (!nu[c->ncrl_uris])
				goto nomem;
			/* printable only: it goes into logs and listings */
			for (int k = 0; k < ASN1_STRING_length(u); k++) {
				unsigned char ch = ASN1_STRING_get0_data(u)[k];
				nu[c->ncrl_uris][k] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
			}
			c->ncrl_uris++;
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return 0;
nomem:
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return -ENOMEM;
}

static unsigned parse_eku(X509 *x)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	unsigned f = 0;

	if (!eku)
		return 0;
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
		char num[64];

		switch (OBJ_obj2nid(o)) {
		case NID_server_auth: f |= CRYPTO_CERT_SERVER_AUTH; break;
		case NID_client_auth: f |= CRYPTO_CERT_CLIENT_AUTH; break;
		case NID_OCSP_sign: f |= CRYPTO_CERT_OCSP_SIGNER; break;
		case NID_ms_smartcard_login: f |= CRYPTO_CERT_MS_SMARTCARD_LOGON; break;
		default:
			if (OBJ_obj2txt(num, sizeof(num), o, 1) > 0 && strcmp(num, OID_IKE_INTERMEDIATE) == 0)
				f |= CRYPTO_CERT_IKE_INTERMEDIATE;
			break;
		}
	}
	EXTENDED_KEY_USAGE_free(eku);
	return f;
}

/* strongSwan's X509_SELF_SIGNED: issued_by(self) — keyIdentifiers equal if
 * both are present, otherwise issuer DN == subject DN, and the signature
 * verifies with the certificate's own key. */
static bool self_signed(const struct crypto_cert *c)
{
	int r;

	if (c->akid && c->skid) {
		if (c->akid_len != c->skid_len || memcmp(c->akid, c->skid, c->akid_len) != 0)
			return false;
	} else if (X509_NAME_cmp(X509_get_subject_name(c->x), X509_get_issuer_name(c->x)) != 0) {
		return false;
	}
	r = X509_verify(c->x, X509_get0_pubkey(c->x));
	ERR_clear_error();
	return r == 1;
}

struct crypto_cert *crypto_cert_wrap(X509 *x, char *err, size_t errlen)
{
	struct crypto_cert *c = calloc(1, sizeof(*c));
	unsigned char *der = NULL;
	const ASN1_OCTET_STRING *os;
	BASIC_CONSTRAINTS *bc;
	uint32_t exf, ku;
	BIGNUM *bn;
	int len;

	if (!c) {
		X509_free(x);
		return NULL;
	}
	atomic_init(&c->refs, 1);
	c->x = x;
	c->pathlen = -1;
	len = i2d_X509(x, &der);
	if (len <= 0 || (size_t)len > CRYPTO_CERT_MAX) {
		if (len > 0)
			log_reason(err, errlen, "certificate of %d bytes is too large", len);
		else
			log_reason(err, errlen, "cannot encode certificate");
		OPENSSL_free(der);
		goto fail;
	}
	c->der = dup_bytes(der, (size_t)len);
	OPENSSL_free(der);
	if (!c->der)
		goto fail_nomem;
	c->der_len = (size_t)len;
	if (crypto_x509_sha1(c->der, c->der_len, c->hash))
		goto fail_nomem;
	if (X509_get_version(x) < 0 || X509_get_version(x) > 2) {
		log_reason(err, errlen, "X.509v%ld not supported", X509_get_version(x) + 1);
		goto fail;
	}
	/* Caches and checks the extensions: unknown critical ones and
	 * malformed ones are refused, as strongSwan's parser does. */
	exf = X509_get_extension_flags(x);
	if (exf & EXFLAG_INVALID) {
		log_reason(err, errlen, "certificate has a malformed or duplicate extension");
		goto fail;
	}
	if (exf & EXFLAG_CRITICAL) {
		log_reason(err, errlen, "certificate has an unsupported critical extension");
		goto fail;
	}
	if (name_id(X509_get_subject_name(x), &c->subject) ||
	    name_id(X509_get_issuer_name(x), &c->issuer)) {
		log_reason(err, errlen, "subject or issuer name malformed or longer than %d bytes", CRYPTO_ID_MAX);
		goto fail;
	}
	c->not_before = crypto_x509_time(X509_get0_notBefore(x));
	c->not_after = crypto_x509_time(X509_get0_notAfter(x));
	if (!c->not_before || !c->not_after) {
		log_reason(err, errlen, "certificate validity malformed");
		goto fail;
	}
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	if (!bn)
		goto fail_bad;
	c->serial_len = BN_num_bytes(bn) ? (size_t)BN_num_bytes(bn) : 1;
	c->serial = calloc(1, c->serial_len);
	if (!c->serial) {
		BN_free(bn);
		goto fail_nomem;
	}
	BN_bn2bin(bn, c->serial);
	BN_free(bn);
	os = X509_get0_authority_key_id(x);
	if (os) {
		c->akid_len = (size_t)ASN1_STRING_length(os);
		c->akid = dup_bytes(ASN1_STRING_get0_data(os), c->akid_len);
		if (!c->akid)
			goto fail_nomem;
	}
	os = X509_get0_subject_key_id(x);
	if (os) {
		c->skid_len = (size_t)ASN1_STRING_length(os);
		c->skid = dup_bytes(ASN1_STRING_get0_data(os), c->skid_len);
		if (!c->skid)
			goto fail_nomem;
	}
	if (!X509_get0_pubkey(x)) {
		log_reason(err, errlen, "certificate public key unreadable");
		goto fail;
	}
	c->pub = crypto_pubkey_wrap(X509_get0_pubkey(x), err, errlen);
	if (!c->pub)
		goto fail;
	bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	if (bc) {
		if (bc->ca) {
			c->flags |= CRYPTO_CERT_CA;
			if (bc->pathlen) {
				long pl = ASN1_INTEGER_get(bc->pathlen);
				c->pathlen = (pl >= 0 && pl < 128) ? (int)pl : 127;
			}
		}
		BASIC_CONSTRAINTS_free(bc);
	}
	ku = X509_get_key_usage(x);
	if (ku == UINT32_MAX || (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)))
		c->flags |= CRYPTO_CERT_IKE_COMPLIANT;
	if (ku != UINT32_MAX && (ku & KU_CRL_SIGN))
		c->flags |= CRYPTO_CERT_CRL_SIGN;
	c->flags |= parse_eku(x);
	if (parse_sans(c) || parse_crl_uris(c))
		goto fail_nomem;
	if (self_signed(c))
		c->flags |= CRYPTO_CERT_SELF_SIGNED;
	ERR_clear_error();
	return c;
fail_bad:
	log_reason(err, errlen, "certificate malformed");
	goto fail;
fail_nomem:
	log_reason(err, errlen, "out of memory");
fail:
	ERR_clear_error();
	c->refs = 1;
	crypto_cert_free(c);
	return NULL;
}

struct crypto_cert *crypto_cert_from_data(const uint8_t *data, size_t len,
                                          char *err, size_t errlen)
{
	X509 *x = NULL;

	if (len == 0) {
		log_reason(err, errlen, "empty certificate");
		return NULL;
	}
	if (crypto_x509_is_pem(data, len)) {
		BIO *b;

		if (len > (1u << 20)) {
			log_reason(err, errlen, "PEM certificate file of %zu bytes", len);
			return NULL;
		}
		b = BIO_new_mem_buf(data, (int)len);
		if (b)
			x = PEM_read_bio_X509(b, NULL, crypto_x509_no_pass, NULL);
		BIO_free(b);
		if (!x) {
			ERR_clear_error();
			log_reason(err, errlen, "no PEM CERTIFICATE block that parses");
			return NULL;
		}
	} else {
		const unsigned char *p = data;

		if (len > CRYPTO_CERT_MAX) {
			log_reason(err, errlen, "certificate of %zu bytes is too large (at most %d)", len, CRYPTO_CERT_MAX);
			return NULL;
		}
		x = d2i_X509(NULL, &p, (long)len);
		if (x && p != data + len) {
			X509_free(x);
			x = NULL;
			ERR_clear_error();
			log_reason(err, errlen, "%zu bytes after the DER certificate", (size_t)(data + len - p));
			return NULL;
		}
		if (!x) {
			ERR_clear_error();
			log_reason(err, errlen, "malformed DER certificate");
			return NULL;
		}
	}
	return crypto_cert_wrap(x, err, errlen);
}

struct crypto_cert *crypto_cert_from_file(const char *path, char *err, size_t errlen)
{
	struct crypto_cert *c;
	uint8_t *data;
	size_t len;

	if (file_read(path, 1u << 20, &data, &len, err, errlen))
		return NULL;
	c = crypto_cert_from_data(data, len, err, errlen);
	free(data);
	return c;
}

struct crypto_cert *crypto_cert_ref(const struct crypto_cert *c)
{
	struct crypto_cert *m = (struct crypto_cert *)c;

	if (m)
		atomic_fetch_add(&m->refs, 1);
	return m;
}

void crypto_cert_free(struct crypto_cert *c)
{
	if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	X509_free(c->x);
	free(c->der);
	free(c->sans);
	free(c->serial);
	free(c->akid);
	free(c->skid);
	crypto_pubkey_free(c->pub);
	for (size_t i = 0; i < c->ncrl_uris; i++)
		free(c->crl_uris[i]);
	free(c->crl_uris);
	free(c);
}

const uint8_t *crypto_cert_der(const struct crypto_cert *c, size_t *len)
{
	*len = c->der_len;
	return c->der;
}

bool crypto_cert_equal(const struct crypto_cert *a, const struct crypto_cert *b)
{
	return a == b || (a->der_len == b->der_len && memcmp(a->der, b->der, a->der_len) == 0);
}

const uint8_t *crypto_cert_hash(const struct crypto_cert *c)
{
	return c->hash;
}

const struct crypto_id *crypto_cert_subject(const struct crypto_cert *c)
{
	return &c->subject;
}

const struct crypto_id *crypto_cert_issuer(const struct crypto_cert *c)
{
	return &c->issuer;
}

size_t crypto_cert_san_count(const struct crypto_cert *c)
{
	return c->nsans;
}

const struct crypto_id *crypto_cert_san(const struct crypto_cert *c, size_t i)
{
	return i < c->nsans ? &c->sans[i] : NULL;
}

void crypto_cert_validity(const struct crypto_cert *c, time_t *not_before, time_t *not_after)
{
	if (not_before)
		*not_before = c->not_before;
	if (not_after)
		*not_after = c->not_after;
}

const uint8_t *crypto_cert_serial(const struct crypto_cert *c, size_t *len)
{
	*len = c->serial_len;
	return c->serial;
}

const uint8_t *crypto_cert_akid(const struct crypto_cert *c, size_t *len)
{
	*len = c->akid_len;
	return c->akid;
}

const uint8_t *crypto_cert_skid(const struct crypto_cert *c, size_t *len)
{
	*len = c->skid_len;
	return c->skid;
}

const struct crypto_pubkey *crypto_cert_pubkey(const struct crypto_cert *c)
{
	return c->pub;
}

const uint8_t *crypto_cert_keyid(const struct crypto_cert *c)
{
	return c->pub->keyid;
}

unsigned crypto_cert_flags(const struct crypto_cert *c)
{
	return c->flags;
}

int crypto_cert_pathlen(const struct crypto_cert *c)
{
	return c->pathlen;
}

size_t crypto_cert_crl_uri_count(const struct crypto_cert *c)
{
	return c->ncrl_uris;
}

const char *crypto_cert_crl_uri(const struct crypto_cert *c, size_t i)
{
	return i < c->ncrl_uris ? c->crl_uris[i] : NULL;
}

static bool bytes_eq(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	return a && al == bl && memcmp(a, b, al) == 0;
}

enum crypto_id_match crypto_cert_match_id(const struct crypto_cert *c, const struct crypto_id *pattern)
{
	enum crypto_id_match best, m;

	if (pattern->type == CRYPTO_ID_KEY_ID) {
		const uint8_t *k = pattern->data;
		size_t n = pattern->len;

		if (bytes_eq(c->hash, CRYPTO_SHA1_LEN, k, n) ||
		    bytes_eq(c->skid, c->skid_len, k, n) ||
		    bytes_eq(c->pub->keyid, CRYPTO_SHA1_LEN, k, n) ||
		    bytes_eq(c->pub->subjkey, CRYPTO_SHA1_LEN, k, n) ||
		    bytes_eq(c->serial, c->serial_len, k, n))
			return CRYPTO_ID_MATCH_PERFECT;
	}
	best = crypto_id_match(&c->subject, pattern);
	for (size_t i = 0; i < c->nsans; i++) {
		m = crypto_id_match(&c->sans[i], pattern);
		if (m > best)
			best = m;
	}
	return best;
}

bool crypto_cert_signed_by(const struct crypto_cert *cert, const struct crypto_cert *issuer)
{
	int r = X509_verify(cert->x, issuer->pub->pk);

	ERR_clear_error();
	return r == 1;
}
