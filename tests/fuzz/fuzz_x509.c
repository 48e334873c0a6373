/* libFuzzer target: certificates, CRLs and path validation. The input is
 * a list of chunks, each a 2-byte big-endian length and that many bytes:
 * the first is offered as a trust anchor, the second is the end entity,
 * the others are the peer's intermediates; any chunk that parses as a CRL
 * joins the store. Every parsed certificate is printed, matched against
 * identities (its own subject and altNames, wildcards, a KEY_ID) and the
 * chain is validated under each revocation policy at a fixed time, so
 * that results are reproducible. Must not crash, hang or leak. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/ident.h"
#include "crypto/sig.h"
#include "crypto/x509.h"
#include "crypto/x509_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CHUNKS 12

static void walk(const struct crypto_cert *c)
{
	static char buf[CRYPTO_ID_STRLEN];
	struct crypto_id pat;
	struct crypto_sig_params p;
	const uint8_t *d;
	size_t n;
	time_t nb, na;

	crypto_id_fmt(crypto_cert_subject(c), buf, sizeof(buf));
	crypto_id_fmt(crypto_cert_issuer(c), buf, sizeof(buf));
	(void)crypto_cert_match_id(c, crypto_cert_subject(c));
	for (size_t i = 0; i < crypto_cert_san_count(c); i++) {
		const struct crypto_id *san = crypto_cert_san(c, i);

		crypto_id_fmt(san, buf, sizeof(buf));
		/* a certificate matches its own address altNames (names with NUL
		 * bytes never match, as in strongSwan, so only addresses here) */
		if ((san->type == CRYPTO_ID_IPV4_ADDR || san->type == CRYPTO_ID_IPV6_ADDR) &&
		    crypto_cert_match_id(c, san) != CRYPTO_ID_MATCH_PERFECT)
			__builtin_trap();
	}
	if (crypto_id_parse("C=CH, O=strongSwan, CN=*", &pat, NULL, 0) == 0)
		(void)crypto_cert_match_id(c, &pat);
	if (crypto_id_parse("*.strongswan.org", &pat, NULL, 0) == 0)
		(void)crypto_cert_match_id(c, &pat);
	pat.type = CRYPTO_ID_KEY_ID;
	pat.len = CRYPTO_SHA1_LEN;
	memcpy(pat.data, crypto_cert_keyid(c), CRYPTO_SHA1_LEN);
	if (crypto_cert_match_id(c, &pat) != CRYPTO_ID_MATCH_PERFECT)
		__builtin_trap();
	d = crypto_cert_serial(c, &n);
	(void)d;
	crypto_cert_validity(c, &nb, &na);
	for (size_t i = 0; i < crypto_cert_crl_uri_count(c); i++)
		(void)crypto_cert_crl_uri(c, i);
	(void)crypto_sig_cert_params(c, &p);
	(void)crypto_cert_der(c, &n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crypto_cert *certs[MAX_CHUNKS] = { 0 };
	struct crypto_cert *unt[MAX_CHUNKS];
	struct crypto_trust *t = crypto_trust_new();
	size_t nc = 0, nunt = 0, off = 0;
	char err[256];

	if (!t)
		return 0;
	while (off + 2 <= size && nc < MAX_CHUNKS) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		struct crypto_crl *crl;

		off += 2;
		if (len > size - off)
			len = size - off;
		certs[nc] = crypto_cert_from_data(data + off, len, err, sizeof(err));
		if (!certs[nc] && !err[0])
			__builtin_trap();   /* a refusal always says why */
		crl = crypto_crl_from_data(data + off, len, err, sizeof(err));
		if (crl) {
			time_t tu, nu;
			uint8_t serial[64];
			crypto_crl_update(crl, &tu, &nu);
			for (size_t i = 0; i < crypto_crl_revoked_count(crl) && i < 16; i++)
				(void)crypto_crl_revoked(crl, i, serial, sizeof(serial), NULL, NULL);
			(void)crypto_trust_add_crl(t, crl, err, sizeof(err));
			crypto_crl_free(crl);
		}
		off += len;
		nc++;
	}
	for (size_t i = 0; i < nc; i++)
		if (certs[i])
			walk(certs[i]);
	if (nc > 0 && certs[0])
		(void)crypto_trust_add_ca(t, certs[0], err, sizeof(err));
	for (size_t i = 2; i < nc; i++)
		if (certs[i])
			unt[nunt++] = certs[i];
	if (nc > 1 && certs[1]) {
		for (int pol = CRYPTO_REVOCATION_RELAXED; pol <= CRYPTO_REVOCATION_STRICT; pol++) {
			struct crypto_verify_opts o = { .now = 1800000000, .revocation = (enum crypto_revocation)pol,
			                                .pretrusted = pol == CRYPTO_REVOCATION_IFURI };
			struct crypto_verify_result r;
			int rc = crypto_trust_verify(t, certs[1], unt, nunt, &o, &r);

			if ((rc == 0) != (r.status == CRYPTO_VERIFY_OK) || (rc && !r.detail[0]))
				__builtin_trap();
			if (rc == 0 && (r.chain_len == 0 || !crypto_cert_equal(r.chain[0], certs[1])))
				__builtin_trap();
			crypto_verify_result_clear(&r);
		}
	}
	for (size_t i = 0; i < nc; i++)
		crypto_cert_free(certs[i]);
	crypto_trust_free(t);
	return 0;
}
