/* Certificate revocation lists (X509_CRL): read once, fields extracted for
 * listings; the X509_CRL itself goes into the trust store for OpenSSL's
 * CRL checks (x509_verify.c). Reference counted, immutable. */
#include "crypto/x509_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "util/log.h"

static uint8_t *int_bytes(const ASN1_INTEGER *i, size_t *len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(i, NULL);
	uint8_t *out;

	if (!bn)
		return NULL;
	*len = BN_num_bytes(bn) ? (size_t)BN_num_bytes(bn) : 1;
	out = calloc(1, *len);
	if (out)
		BN_bn2bin(bn, out);
	BN_free(bn);
	return out;
}

static struct crypto_crl *crl_wrap(X509_CRL *x, char *err, size_t errlen)
{
	struct crypto_crl *c = calloc(1, sizeof(*c));
	unsigned char *der = NULL;
	ASN1_INTEGER *num;
	AUTHORITY_KEYID *akid;
	int len, crit = 0;

	if (!c) {
		X509_CRL_free(x);
		return NULL;
	}
	atomic_init(&c->refs, 1);
	c->crl = x;
	len = i2d_X509_NAME(X509_CRL_get_issuer(x), &der);
	if (len <= 0 || crypto_id_from_dn_der(der, (size_t)len, &c->issuer)) {
		OPENSSL_free(der);
		log_reason(err, errlen, "CRL issuer malformed or too long");
		goto fail;
	}
	OPENSSL_free(der);
	c->this_update = crypto_x509_time(X509_CRL_get0_lastUpdate(x));
	c->next_update = crypto_x509_time(X509_CRL_get0_nextUpdate(x));
	if (!c->this_update) {
		log_reason(err, errlen, "CRL thisUpdate malformed");
		goto fail;
	}
	num = X509_CRL_get_ext_d2i(x, NID_crl_number, &crit, NULL);
	if (num) {
		c->number = int_bytes(num, &c->number_len);
		ASN1_INTEGER_free(num);
	}
	akid = X509_CRL_get_ext_d2i(x, NID_authority_key_identifier, &crit, NULL);
	if (akid) {
		if (akid->keyid) {
			c->akid_len = (size_t)ASN1_STRING_length(akid->keyid);
			c->akid = malloc(c->akid_len ? c->akid_len : 1);
			if (c->akid)
				memcpy(c->akid, ASN1_STRING_get0_data(akid->keyid), c->akid_len);
		}
		AUTHORITY_KEYID_free(akid);
	}
	num = X509_CRL_get_ext_d2i(x, NID_delta_crl, &crit, NULL);
	if (num) {
		c->delta = true;
		ASN1_INTEGER_free(num);
	}
	ERR_clear_error();
	return c;
fail:
	ERR_clear_error();
	crypto_crl_free(c);
	return NULL;
}

struct crypto_crl *crypto_crl_from_data(const uint8_t *data, size_t len,
                                        char *err, size_t errlen)
{
	X509_CRL *x = NULL;

	if (len == 0 || len > CRYPTO_CRL_MAX) {
		log_reason(err, errlen, "CRL of %zu bytes (at most %u)", len, CRYPTO_CRL_MAX);
		return NULL;
	}
	if (crypto_x509_is_pem(data, len)) {
		BIO *b = BIO_new_mem_buf(data, (int)len);
		if (b)
			x = PEM_read_bio_X509_CRL(b, NULL, crypto_x509_no_pass, NULL);
		BIO_free(b);
	} else {
		const unsigned char *p = data;
		x = d2i_X509_CRL(NULL, &p, (long)len);
		if (x && p != data + len) {
			X509_CRL_free(x);
			x = NULL;
		}
	}
	ERR_clear_error();
	if (!x) {
		log_reason(err, errlen, "not a CRL (PEM X509 CRL or DER CertificateList)");
		return NULL;
	}
	return crl_wrap(x, err, errlen);
}

struct crypto_crl *crypto_crl_ref(const struct crypto_crl *crl)
{
	struct crypto_crl *m = (struct crypto_crl *)crl;

	if (m)
		atomic_fetch_add(&m->refs, 1);
	return m;
}

void crypto_crl_free(struct crypto_crl *crl)
{
	if (!crl || atomic_fetch_sub(&crl->refs, 1) != 1)
		return;
	X509_CRL_free(crl->crl);
	free(crl->number);
	free(crl->akid);
	free(crl);
}

const struct crypto_id *crypto_crl_issuer(const struct crypto_crl *crl)
{
	return &crl->issuer;
}

void crypto_crl_update(const struct crypto_crl *crl, time_t *this_update, time_t *next_update)
{
	if (this_update)
		*this_update = crl->this_update;
	if (next_update)
		*next_update = crl->next_update;
}

const uint8_t *crypto_crl_number(const struct crypto_crl *crl, size_t *len)
{
	*len = crl->number_len;
	return crl->number;
}

const uint8_t *crypto_crl_akid(const struct crypto_crl *crl, size_t *len)
{
	*len = crl->akid_len;
	return crl->akid;
}

bool crypto_crl_is_delta(const struct crypto_crl *crl)
{
	return crl->delta;
}

size_t crypto_crl_revoked_count(const struct crypto_crl *crl)
{
	STACK_OF(X509_REVOKED) *r = X509_CRL_get_REVOKED(crl->crl);

	return r ? (size_t)sk_X509_REVOKED_num(r) : 0;
}

int crypto_crl_revoked(const struct crypto_crl *crl, size_t i, uint8_t *serial, size_t max,
                       time_t *when, int *reason)
{
	STACK_OF(X509_REVOKED) *rs = X509_CRL_get_REVOKED(crl->crl);
	const X509_REVOKED *r;
	ASN1_ENUMERATED *e;
	uint8_t *s;
	size_t n = 0;
	int crit = 0;

	if (!rs || i >= (size_t)sk_X509_REVOKED_num(rs))
		return -1;
	r = sk_X509_REVOKED_value(rs, (int)i);
	s = int_bytes(X509_REVOKED_get0_serialNumber(r), &n);
	if (!s || n > max) {
		free(s);
		return -1;
	}
	memcpy(serial, s, n);
	free(s);
	if (when)
		*when = crypto_x509_time(X509_REVOKED_get0_revocationDate(r));
	if (reason) {
		*reason = -1;
		e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL);
		if (e) {
			*reason = (int)ASN1_ENUMERATED_get(e);
			ASN1_ENUMERATED_free(e);
		}
	}
	ERR_clear_error();
	return (int)n;
}

const char *crypto_crl_reason_name(int reason)
{
	static const char *const names[] = {
		"unspecified", "key compromise", "ca compromise", "affiliation changed",
		"superseded", "cessation of operation", "certificate hold", "reason #7",
		"remove from crl",
	};

	if (reason < 0)
		return "unspecified";
	if ((size_t)reason < sizeof(names) / sizeof(names[0]))
		return names[reason];
	return "unknown";
}

bool crypto_crl_signed_by(const struct crypto_crl *crl, const struct crypto_cert *issuer)
{
	int r = X509_CRL_verify(crl->crl, issuer->pub->pk);

	ERR_clear_error();
	return r == 1;
}
