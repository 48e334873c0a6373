/* Certificates, keys, CRLs and path validation against PKIs made during the
 * test (tests/unit/pki.h, OpenSSL directly): every field strongSwan shows,
 * the CERTREQ hash against the openssl command line, malformed and huge
 * certificates, every private key format with right and wrong passphrases,
 * and each refusal reason of crypto_trust_verify (expired, not yet valid,
 * unknown and wrong CA, bad signature, not a CA, revoked, revocation
 * unknown under strict/ifuri, stale CRLs, path length, a loop, a 20-deep
 * chain, keyUsage, cacerts/ca_id), plus the chain signature constraints. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/encoder.h>

#include "crypto/ident.h"
#include "crypto/sig.h"
#include "crypto/x509.h"
#include "crypto/x509_verify.h"
#include "util/mem.h"
#include "hexutil.h"
#include "pki.h"

/* ---- helpers ---- */

static struct crypto_cert *C(X509 *x)
{
	size_t n;
	unsigned char *der = pki_cert_der(x, &n);
	char err[256];
	struct crypto_cert *c = crypto_cert_from_data(der, n, err, sizeof(err));

	if (!c)
		fail_msg("cert: %s", err);
	free(der);
	return c;
}

static struct crypto_privkey *K(EVP_PKEY *k)
{
	size_t n;
	unsigned char *der = pki_key(k, PKI_PKCS8_PEM, NULL, &n);
	char err[256];
	struct crypto_privkey *p = crypto_privkey_from_data(der, n, NULL, 0, NULL, err, sizeof(err));

	if (!p)
		fail_msg("key: %s", err);
	mem_free_wipe(der, n);
	return p;
}

static const char *F(const struct crypto_id *id)
{
	static char buf[CRYPTO_ID_STRLEN];

	return crypto_id_fmt(id, buf, sizeof(buf));
}

static struct crypto_id ID(const char *s)
{
	struct crypto_id id;

	assert_int_equal(crypto_id_parse(s, &id, NULL, 0), 0);
	return id;
}

/* ---- fixture: root CA -> intermediate CA -> end entities ---- */

struct fx {
	EVP_PKEY *root_key, *im_key, *other_key, *ee_key;
	X509 *root, *im, *other_root;
	struct crypto_cert *c_root, *c_im, *c_other_root;
	struct crypto_trust *trust;
};

static struct fx fx;

static int setup(void **state)
{
	struct pki_opts ro = { .subject = "C=CH, O=strongSwan, CN=strongSwan Root CA", .ca = 1,
	                       .ku = "critical,keyCertSign,cRLSign", .not_before = -30L * 86400,
	                       .not_after = 3650L * 86400 };
	struct pki_opts io = { .subject = "C=CH, O=strongSwan, OU=Research, CN=Research CA", .ca = 1,
	                       .ku = "critical,keyCertSign,cRLSign", .not_before = -30L * 86400,
	                       .not_after = 1000L * 86400 };
	struct pki_opts oo = { .subject = "C=CH, O=Other, CN=Other Root CA", .ca = 1 };
	char err[256];

	fx.root_key = pki_rsa(2048);
	fx.im_key = pki_ec("P-256");
	fx.other_key = pki_ec("P-256");
	fx.ee_key = pki_ec("P-256");
	fx.root = pki_cert(fx.root_key, &ro, NULL, NULL);
	fx.im = pki_cert(fx.im_key, &io, fx.root, fx.root_key);
	fx.other_root = pki_cert(fx.other_key, &oo, NULL, NULL);
	fx.c_root = C(fx.root);
	fx.c_im = C(fx.im);
	fx.c_other_root = C(fx.other_root);
	fx.trust = crypto_trust_new();
	assert_int_equal(crypto_trust_add_ca(fx.trust, fx.c_root, err, sizeof(err)), 0);
	return 0;
}

static int teardown(void **state)
{
	crypto_trust_free(fx.trust);
	crypto_cert_free(fx.c_root);
	crypto_cert_free(fx.c_im);
	crypto_cert_free(fx.c_other_root);
	X509_free(fx.root);
	X509_free(fx.im);
	X509_free(fx.other_root);
	EVP_PKEY_free(fx.root_key);
	EVP_PKEY_free(fx.im_key);
	EVP_PKEY_free(fx.other_key);
	EVP_PKEY_free(fx.ee_key);
	return 0;
}

/* An end entity issued by the intermediate (or by issuer/ikey). */
static X509 *ee_make(const struct pki_opts *o, X509 *issuer, EVP_PKEY *ikey, EVP_PKEY *key)
{
	return pki_cert(key ? key : fx.ee_key, o, issuer ? issuer : fx.im, ikey ? ikey : fx.im_key);
}

static int verify(const struct crypto_trust *t, struct crypto_cert *ee, struct crypto_cert **unt, size_t n,
                  const struct crypto_verify_opts *o, struct crypto_verify_result *r)
{
	return crypto_trust_verify(t ? t : fx.trust, ee, unt, n, o, r);
}

/* Verify and check the reason; the result is cleared. */
static void expect(const struct crypto_trust *t, X509 *ee_x, struct crypto_cert **unt, size_t n,
                   const struct crypto_verify_opts *o, enum crypto_verify_status want, int depth)
{
	struct crypto_cert *ee = C(ee_x);
	struct crypto_verify_result r;
	int rc = verify(t, ee, unt, n, o, &r);

	if (r.status != want || (rc == 0) != (want == CRYPTO_VERIFY_OK) || (depth >= -1 && r.depth != depth))
		fail_msg("got %s (depth %d, rc %d: %s), want %s (depth %d)", crypto_verify_status_name(r.status),
		         r.depth, rc, r.detail, crypto_verify_status_name(want), depth);
	crypto_verify_result_clear(&r);
	crypto_cert_free(ee);
}

/* ---- certificates ---- */

static void test_cert_fields(void **state)
{
	struct pki_opts o = { .subject = "C=CH, O=strongSwan, CN=moon.strongswan.org",
	                      .san = "DNS:moon.strongswan.org,email:moon@strongswan.org,IP:192.168.0.1,IP:2001:db8::1,URI:https://moon.example/,dirName:dir_sect",
	                      .ku = "digitalSignature,keyEncipherment", .eku = "serverAuth,1.3.6.1.5.5.8.2.2",
	                      .cdp = "URI:http://crl.strongswan.org/research.crl", .serial = 0x1234567 };
	X509 *x;
	struct crypto_cert *c, *c2;
	unsigned char *pem, *der;
	size_t pl, dl, n;
	char err[256], path[] = "/tmp/uipsec-x509-XXXXXX", cmd[512], line[128];
	const uint8_t *p;
	time_t nb, na;
	FILE *f;
	int fd;

	/* dirName needs a config section: build the SAN without it instead */
	o.san = "DNS:moon.strongswan.org,email:moon@strongswan.org,IP:192.168.0.1,IP:2001:db8::1,URI:https://moon.example/";
	x = ee_make(&o, NULL, NULL, NULL);
	pem = pki_cert_pem(x, &pl);
	der = pki_cert_der(x, &dl);
	c = crypto_cert_from_data(pem, pl, err, sizeof(err));
	c2 = crypto_cert_from_data(der, dl, err, sizeof(err));
	assert_non_null(c);
	assert_non_null(c2);
	assert_true(crypto_cert_equal(c, c2));
	p = crypto_cert_der(c, &n);
	assert_int_equal(n, dl);
	assert_memory_equal(p, der, dl);

	assert_string_equal(F(crypto_cert_subject(c)), "C=CH, O=strongSwan, CN=moon.strongswan.org");
	assert_string_equal(F(crypto_cert_issuer(c)), "C=CH, O=strongSwan, OU=Research, CN=Research CA");
	assert_int_equal(crypto_cert_san_count(c), 5);
	assert_string_equal(F(crypto_cert_san(c, 0)), "moon.strongswan.org");
	assert_int_equal(crypto_cert_san(c, 0)->type, CRYPTO_ID_FQDN);
	assert_int_equal(crypto_cert_san(c, 1)->type, CRYPTO_ID_RFC822_ADDR);
	assert_string_equal(F(crypto_cert_san(c, 2)), "192.168.0.1");
	assert_string_equal(F(crypto_cert_san(c, 3)), "2001:db8::1");
	assert_int_equal(crypto_cert_san(c, 4)->type, CRYPTO_ID_DER_ASN1_GN_URI);
	assert_int_equal(crypto_cert_flags(c), CRYPTO_CERT_SERVER_AUTH | CRYPTO_CERT_IKE_INTERMEDIATE |
	                                        CRYPTO_CERT_IKE_COMPLIANT);
	assert_int_equal(crypto_cert_flags(fx.c_root) & (CRYPTO_CERT_CA | CRYPTO_CERT_SELF_SIGNED | CRYPTO_CERT_CRL_SIGN),
	                 CRYPTO_CERT_CA | CRYPTO_CERT_SELF_SIGNED | CRYPTO_CERT_CRL_SIGN);
	assert_int_equal(crypto_cert_pathlen(fx.c_root), -1);
	assert_int_equal(crypto_cert_crl_uri_count(c), 1);
	assert_string_equal(crypto_cert_crl_uri(c, 0), "http://crl.strongswan.org/research.crl");
	p = crypto_cert_serial(c, &n);
	assert_int_equal(n, 4);
	assert_memory_equal(p, "\x01\x23\x45\x67", 4);
	crypto_cert_validity(c, &nb, &na);
	assert_true(nb < time(NULL) && na > time(NULL) + 29 * 86400);
	/* authorityKeyIdentifier = issuer's subjectKeyIdentifier = SHA-1 of its key (OpenSSL's "hash") */
	{
		size_t al, sl;
		const uint8_t *ak = crypto_cert_akid(c, &al), *sk = crypto_cert_skid(fx.c_im, &sl);
		assert_int_equal(al, 20);
		assert_int_equal(sl, 20);
		assert_memory_equal(ak, sk, 20);
		assert_memory_equal(sk, crypto_pubkey_subjkey(crypto_cert_pubkey(fx.c_im)), 20);
	}
	assert_int_equal(crypto_pubkey_type(crypto_cert_pubkey(c)), CRYPTO_KEY_ECDSA);
	assert_int_equal(crypto_pubkey_bits(crypto_cert_pubkey(c)), 256);

	/* The CERTREQ hash / keyid: SHA-1 of the SubjectPublicKeyInfo, as
	 * openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha1sum */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	pki_write(path, pem, pl);
	snprintf(cmd, sizeof(cmd), "openssl x509 -in %s -pubkey -noout | openssl pkey -pubin -outform DER | sha1sum", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	pclose(f);
	{
		char hex[41];
		mem_to_hex(crypto_cert_keyid(c), 20, hex);
		assert_memory_equal(line, hex, 40);
	}
	/* and for the RSA root */
	free(pem);
	pem = pki_cert_pem(fx.root, &pl);
	pki_write(path, pem, pl);
	f = popen(cmd, "r");
	assert_non_null(fgets(line, sizeof(line), f));
	pclose(f);
	{
		char hex[41];
		mem_to_hex(crypto_cert_keyid(fx.c_root), 20, hex);
		assert_memory_equal(line, hex, 40);
	}
	c2 = (crypto_cert_free(c2), crypto_cert_from_file(path, err, sizeof(err)));
	assert_non_null(c2);
	assert_true(crypto_cert_equal(c2, fx.c_root));
	unlink(path);

	/* identities the certificate answers to */
	{
		struct crypto_id id;
		id = ID("C=CH, O=strongSwan, CN=moon.strongswan.org");
		assert_int_equal(crypto_cert_match_id(c, &id), CRYPTO_ID_MATCH_PERFECT);
		id = ID("C=CH, O=strongSwan, CN=*");
		assert_int_equal(crypto_cert_match_id(c, &id), CRYPTO_ID_MATCH_ONE_WILDCARD);
		id = ID("moon.strongswan.org");
		assert_int_equal(crypto_cert_match_id(c, &id), CRYPTO_ID_MATCH_PERFECT);
		id = ID("*.strongswan.org");
		assert_int_equal(crypto_cert_match_id(c, &id), CRYPTO_ID_MATCH_ONE_WILDCARD);
		id = ID("moon@strongswan.org");
		assert_int_equal(crypto_cert_match_id(c, &id), CRYPTO_ID_MATCH_PERFECT);
		id = ID("192.168.0.1");
		assert_int_equal(crypto_cert_match_id(c, &id), CRYPTO_ID_MATCH_PERFECT);
		id = ID("2001:db8::1");
		assert_int_equal(crypto_cert_match_id(c, &id), CRYPTO_ID_MATCH_PERFECT);
		/* identities not in the certificate */
		id = ID("sun.strongswan.org");
		assert_int_equal(crypto_cert_match_id(c, &id), CRYPTO_ID_MATCH_NONE);
		id = ID("C=CH, O=strongSwan, CN=sun.strongswan.org");
		assert_int_equal(crypto_cert_match_id(c, &id), CRYPTO_ID_MATCH_NONE);
		id = ID("192.168.0.2");
		assert_int_equal(crypto_cert_match_id(c, &id), CRYPTO_ID_MATCH_NONE);
		/* KEY_ID: keyid, subjkey, SHA-1 of the DER, serial */
		id.type = CRYPTO_ID_KEY_ID;
		id.len = 20;
		memcpy(id.data, crypto_cert_keyid(c), 20);
		assert_int_equal(crypto_cert_match_id(c, &id), CRYPTO_ID_MATCH_PERFECT);
		memcpy(id.data, crypto_cert_hash(c), 20);
		assert_int_equal(crypto_cert_match_id(c, &id), CRYPTO_ID_MATCH_PERFECT);
		id.data[0] ^= 1;
		assert_int_equal(crypto_cert_match_id(c, &id), CRYPTO_ID_MATCH_NONE);
	}
	assert_true(crypto_cert_signed_by(c, fx.c_im));
	assert_false(crypto_cert_signed_by(c, fx.c_root));
	crypto_cert_free(c);
	crypto_cert_free(c2);
	free(pem);
	free(der);
	X509_free(x);
}

static void test_cert_malformed(void **state)
{
	struct pki_opts o = { .subject = "C=CH, CN=big" };
	char err[256];
	unsigned char *der;
	size_t n;
	X509 *x;
	struct crypto_cert *c;

	assert_null(crypto_cert_from_data((const uint8_t *)"", 0, err, sizeof(err)));
	assert_null(crypto_cert_from_data((const uint8_t *)"\x30\x03\x02\x01\x00", 5, err, sizeof(err)));
	assert_null(crypto_cert_from_data((const uint8_t *)"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	                                  60, err, sizeof(err)));
	x = ee_make(&o, NULL, NULL, NULL);
	der = pki_cert_der(x, &n);
	assert_null(crypto_cert_from_data(der, n - 1, err, sizeof(err)));      /* truncated */
	der = realloc(der, n + 1);
	der[n] = 0;
	assert_null(crypto_cert_from_data(der, n + 1, err, sizeof(err)));      /* trailing byte */
	assert_non_null(strstr(err, "after the DER"));
	der[40] ^= 0xff;                                                       /* garbled inside */
	c = crypto_cert_from_data(der, n, err, sizeof(err));
	crypto_cert_free(c);                                                   /* parses or not: no crash */
	free(der);
	X509_free(x);

	/* a large certificate that a CERT payload can still carry */
	o.ext_oid = "1.3.6.1.4.1.99999.1";
	o.ext_len = 30000;
	x = ee_make(&o, NULL, NULL, NULL);
	c = C(x);
	crypto_cert_free(c);
	X509_free(x);
	/* a huge one (over 64 KiB): refused */
	o.ext_len = 70000;
	x = ee_make(&o, NULL, NULL, NULL);
	der = pki_cert_der(x, &n);
	assert_null(crypto_cert_from_data(der, n, err, sizeof(err)));
	assert_non_null(strstr(err, "too large"));
	free(der);
	X509_free(x);
	/* an unknown critical extension: refused, as strongSwan does */
	o.ext_len = 8;
	o.ext_critical = 1;
	x = ee_make(&o, NULL, NULL, NULL);
	der = pki_cert_der(x, &n);
	assert_null(crypto_cert_from_data(der, n, err, sizeof(err)));
	assert_non_null(strstr(err, "critical"));
	free(der);
	X509_free(x);
}

/* ---- keys ---- */

static void test_keys(void **state)
{
	EVP_PKEY *keys[6] = { pki_rsa(2048), pki_rsa(3072), pki_ec("P-256"), pki_ec("P-384"),
	                      pki_ec("P-521"), pki_ed25519() };
	static const enum crypto_key_type types[6] = { CRYPTO_KEY_RSA, CRYPTO_KEY_RSA, CRYPTO_KEY_ECDSA,
	                                               CRYPTO_KEY_ECDSA, CRYPTO_KEY_ECDSA, CRYPTO_KEY_ED25519 };
	static const int bits[6] = { 2048, 3072, 256, 384, 521, 256 };
	const char *pass = "very secret passphrase";
	char err[256];
	int why;

	for (int i = 0; i < 6; i++) {
		struct pki_opts o = { .subject = "C=CH, CN=key test" };
		X509 *x = pki_cert(keys[i], &o, NULL, NULL);
		struct crypto_cert *c = C(x);
		struct crypto_privkey *other = K(keys[(i + 2) % 6]);

		assert_int_equal(crypto_pubkey_type(crypto_cert_pubkey(c)), types[i]);
		assert_int_equal(crypto_pubkey_bits(crypto_cert_pubkey(c)), bits[i]);
		for (int f = PKI_PKCS8_PEM; f <= PKI_TRAD_ENC_PEM; f++) {
			bool enc = f >= PKI_PKCS8_ENC_PEM;
			size_t n;
			unsigned char *d;
			struct crypto_privkey *k;

			/* Ed25519 has no "traditional" format */
			if (types[i] == CRYPTO_KEY_ED25519 && (f == PKI_TRAD_PEM || f == PKI_TRAD_DER || f == PKI_TRAD_ENC_PEM))
				continue;
			d = pki_key(keys[i], (enum pki_keyfmt)f, enc ? pass : NULL, &n);
			k = crypto_privkey_from_data(d, n, enc ? (const uint8_t *)pass : NULL, enc ? strlen(pass) : 0,
			                             &why, err, sizeof(err));
			if (!k)
				fail_msg("key %d format %d: %s", i, f, err);
			assert_int_equal(why, 0);
			assert_int_equal(crypto_privkey_type(k), types[i]);
			assert_int_equal(crypto_privkey_bits(k), bits[i]);
			assert_true(crypto_privkey_matches(k, crypto_cert_pubkey(c)));
			assert_true(crypto_pubkey_equal(crypto_privkey_pubkey(k), crypto_cert_pubkey(c)));
			crypto_privkey_free(k);
			if (enc) {
				/* wrong passphrase, no passphrase */
				assert_null(crypto_privkey_from_data(d, n, (const uint8_t *)"wrong", 5, &why, err, sizeof(err)));
				assert_int_equal(why, -EKEYREJECTED);
				assert_null(crypto_privkey_from_data(d, n, NULL, 0, &why, err, sizeof(err)));
				assert_int_equal(why, -ENOKEY);
				assert_non_null(strstr(err, "no passphrase"));
			}
			mem_free_wipe(d, n);
		}
		/* the wrong private key for this certificate */
		assert_false(crypto_privkey_matches(other, crypto_cert_pubkey(c)));
		/* public keys: SPKI PEM */
		{
			size_t n;
			unsigned char *d = pki_pub(keys[i], 1, &n);
			struct crypto_pubkey *pk = crypto_pubkey_from_data(d, n, err, sizeof(err));
			assert_non_null(pk);
			assert_true(crypto_pubkey_equal(pk, crypto_cert_pubkey(c)));
			assert_memory_equal(crypto_pubkey_keyid(pk), crypto_cert_keyid(c), 20);
			crypto_pubkey_free(pk);
			free(d);
			/* a private key is not a public key file (as in strongSwan's pubkey/) */
			d = pki_key(keys[i], PKI_PKCS8_DER, NULL, &n);
			assert_null(crypto_pubkey_from_data(d, n, err, sizeof(err)));
			mem_free_wipe(d, n);
		}
		crypto_privkey_free(other);
		crypto_cert_free(c);
		X509_free(x);
	}
	/* PKCS#1 "RSA PUBLIC KEY" */
	{
		OSSL_ENCODER_CTX *e = OSSL_ENCODER_CTX_new_for_pkey(keys[0], EVP_PKEY_PUBLIC_KEY, "PEM", "type-specific", NULL);
		unsigned char *d = NULL;
		size_t n = 0;
		struct crypto_pubkey *pk;
		assert_int_equal(OSSL_ENCODER_to_data(e, &d, &n), 1);
		assert_non_null(strstr((char *)d, "RSA PUBLIC KEY"));
		pk = crypto_pubkey_from_data(d, n, err, sizeof(err));
		assert_non_null(pk);
		assert_int_equal(crypto_pubkey_bits(pk), 2048);
		crypto_pubkey_free(pk);
		OPENSSL_free(d);
		OSSL_ENCODER_CTX_free(e);
	}
	/* keys we cannot sign IKE AUTH with, and junk */
	{
		EVP_PKEY *x25519 = EVP_PKEY_Q_keygen(NULL, NULL, "X25519"), *p224 = pki_ec("P-224");
		size_t n;
		unsigned char *d = pki_key(x25519, PKI_PKCS8_PEM, NULL, &n);
		assert_null(crypto_privkey_from_data(d, n, NULL, 0, &why, err, sizeof(err)));
		assert_int_equal(why, -ENOTSUP);
		mem_free_wipe(d, n);
		d = pki_key(p224, PKI_TRAD_PEM, NULL, &n);
		assert_null(crypto_privkey_from_data(d, n, NULL, 0, &why, err, sizeof(err)));
		assert_int_equal(why, -ENOTSUP);
		assert_non_null(strstr(err, "curve"));
		mem_free_wipe(d, n);
		assert_null(crypto_privkey_from_data((const uint8_t *)"garbage", 7, NULL, 0, &why, err, sizeof(err)));
		assert_int_equal(why, -EBADMSG);
		EVP_PKEY_free(x25519);
		EVP_PKEY_free(p224);
	}
	for (int i = 0; i < 6; i++)
		EVP_PKEY_free(keys[i]);
}

/* ---- CRLs ---- */

static void test_crl(void **state)
{
	struct pki_revoked rv[2] = { { 0x42, 1 }, { 0x1000, -1 } };
	X509_CRL *x = pki_crl(fx.im, fx.im_key, rv, 2, 0, 0);
	size_t pl, dl, n;
	unsigned char *pem = pki_crl_pem(x, &pl), *der = pki_crl_der(x, &dl);
	char err[256];
	struct crypto_crl *c = crypto_crl_from_data(pem, pl, err, sizeof(err)), *c2;
	uint8_t serial[32];
	time_t tu, nu, when;
	int reason;

	assert_non_null(c);
	c2 = crypto_crl_from_data(der, dl, err, sizeof(err));
	assert_non_null(c2);
	assert_string_equal(F(crypto_crl_issuer(c)), "C=CH, O=strongSwan, OU=Research, CN=Research CA");
	crypto_crl_update(c, &tu, &nu);
	assert_true(tu < time(NULL) && nu > time(NULL));
	assert_int_equal(crypto_crl_revoked_count(c), 2);
	assert_int_equal(crypto_crl_revoked(c, 0, serial, sizeof(serial), &when, &reason), 1);
	assert_int_equal(serial[0], 0x42);
	assert_string_equal(crypto_crl_reason_name(reason), "key compromise");
	assert_int_equal(crypto_crl_revoked(c, 1, serial, sizeof(serial), &when, &reason), 2);
	assert_int_equal(reason, -1);
	assert_int_equal(crypto_crl_revoked(c, 2, serial, sizeof(serial), &when, &reason), -1);
	assert_non_null(crypto_crl_akid(c, &n));
	assert_int_equal(n, 20);
	assert_false(crypto_crl_is_delta(c));
	assert_true(crypto_crl_signed_by(c, fx.c_im));
	assert_false(crypto_crl_signed_by(c, fx.c_root));
	assert_null(crypto_crl_from_data(der, dl - 1, err, sizeof(err)));
	assert_null(crypto_crl_from_data((const uint8_t *)"xx", 2, err, sizeof(err)));
	crypto_crl_free(c);
	crypto_crl_free(c2);
	free(pem);
	free(der);
	X509_CRL_free(x);
}

/* ---- path validation ---- */

static void test_verify_ok(void **state)
{
	EVP_PKEY *keys[6] = { pki_rsa(2048), pki_rsa(3072), pki_ec("P-256"), pki_ec("P-384"),
	                      pki_ec("P-521"), pki_ed25519() };
	struct crypto_cert *unt[1] = { fx.c_im };

	for (int i = 0; i < 6; i++) {
		struct pki_opts o = { .subject = "C=CH, O=strongSwan, CN=carol@strongswan.org", .ku = "digitalSignature" };
		X509 *x = ee_make(&o, NULL, NULL, keys[i]);
		X509 *direct = ee_make(&o, fx.root, fx.root_key, keys[i]);
		struct crypto_cert *c = C(x);
		struct crypto_verify_result r;

		assert_int_equal(verify(NULL, c, unt, 1, NULL, &r), 0);
		assert_int_equal(r.status, CRYPTO_VERIFY_OK);
		assert_int_equal(r.chain_len, 3);
		assert_true(crypto_cert_equal(r.chain[0], c));
		assert_true(crypto_cert_equal(r.chain[1], fx.c_im));
		assert_true(crypto_cert_equal(r.chain[2], fx.c_root));
		/* relaxed: no CRLs loaded, no CDPs: "skipped", the anchor unchecked */
		assert_int_equal(r.crl[0], CRYPTO_CRL_SKIPPED);
		assert_int_equal(r.crl[1], CRYPTO_CRL_SKIPPED);
		assert_int_equal(r.crl[2], CRYPTO_CRL_NONE);
		crypto_verify_result_clear(&r);
		/* without the intermediate: no path */
		expect(NULL, x, NULL, 0, NULL, CRYPTO_VERIFY_UNKNOWN_CA, 0);
		/* issued by the root directly */
		expect(NULL, direct, NULL, 0, NULL, CRYPTO_VERIFY_OK, -1);
		crypto_cert_free(c);
		X509_free(x);
		X509_free(direct);
		EVP_PKEY_free(keys[i]);
	}
}

static void test_verify_refusals(void **state)
{
	struct crypto_cert *unt[4] = { fx.c_im };
	struct pki_opts o = { .subject = "C=CH, O=strongSwan, CN=moon.strongswan.org" };
	struct crypto_verify_opts vo = { 0 };
	X509 *x;

	/* expired, not yet valid (and both seen through an injected clock) */
	o.not_before = -10L * 86400;
	o.not_after = -86400;
	x = ee_make(&o, NULL, NULL, NULL);
	expect(NULL, x, unt, 1, NULL, CRYPTO_VERIFY_EXPIRED, 0);
	vo.now = time(NULL) - 5L * 86400;
	expect(NULL, x, unt, 1, &vo, CRYPTO_VERIFY_OK, -1);
	X509_free(x);
	o.not_before = 86400;
	o.not_after = 10L * 86400;
	x = ee_make(&o, NULL, NULL, NULL);
	expect(NULL, x, unt, 1, NULL, CRYPTO_VERIFY_NOT_YET_VALID, 0);
	vo.now = time(NULL) + 2L * 86400;
	expect(NULL, x, unt, 1, &vo, CRYPTO_VERIFY_OK, -1);
	vo.now = time(NULL) + 20L * 86400;
	expect(NULL, x, unt, 1, &vo, CRYPTO_VERIFY_EXPIRED, 0);
	X509_free(x);
	o.not_before = o.not_after = 0;
	vo.now = 0;

	/* wrong CA: issued by a root we do not trust */
	x = ee_make(&o, fx.other_root, fx.other_key, NULL);
	expect(NULL, x, unt, 1, NULL, CRYPTO_VERIFY_UNKNOWN_CA, 0);
	/* ... even if the peer sends that root along */
	unt[1] = fx.c_other_root;
	expect(NULL, x, unt, 2, NULL, CRYPTO_VERIFY_UNKNOWN_CA, 1);
	X509_free(x);

	/* a self-signed end entity: unknown, unless loaded locally */
	{
		EVP_PKEY *k = pki_ec("P-256");
		X509 *ss = pki_cert(k, &o, NULL, NULL);
		vo.pretrusted = true;
		expect(NULL, ss, NULL, 0, NULL, CRYPTO_VERIFY_UNKNOWN_CA, 0);
		expect(NULL, ss, NULL, 0, &vo, CRYPTO_VERIFY_OK, -1);
		vo.pretrusted = false;
		X509_free(ss);
		EVP_PKEY_free(k);
	}

	/* bad signature: names and keyIdentifier of the intermediate, signed by another key */
	x = ee_make(&o, fx.im, fx.other_key, NULL);
	expect(NULL, x, unt, 1, NULL, CRYPTO_VERIFY_BAD_SIGNATURE, 0);
	X509_free(x);

	/* not a CA: an end entity used as issuer */
	{
		struct pki_opts eo = { .subject = "C=CH, O=strongSwan, CN=not a ca" };
		EVP_PKEY *k = pki_ec("P-256");
		X509 *fake = pki_cert(k, &eo, fx.root, fx.root_key);
		struct crypto_cert *cf = C(fake);
		char err[256];
		unt[1] = cf;
		x = ee_make(&o, fake, k, NULL);
		expect(NULL, x, unt, 2, NULL, CRYPTO_VERIFY_NOT_A_CA, 1);
		/* and it cannot be a trust anchor */
		assert_int_equal(crypto_trust_add_ca(fx.trust, cf, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "not a CA"));
		X509_free(x);
		X509_free(fake);
		crypto_cert_free(cf);
		EVP_PKEY_free(k);
	}

	/* keyUsage without digitalSignature/nonRepudiation (RFC 4945) */
	o.ku = "keyEncipherment";
	x = ee_make(&o, NULL, NULL, NULL);
	expect(NULL, x, unt, 1, NULL, CRYPTO_VERIFY_KEY_USAGE, 0);
	X509_free(x);
	o.ku = "nonRepudiation";
	x = ee_make(&o, NULL, NULL, NULL);
	expect(NULL, x, unt, 1, NULL, CRYPTO_VERIFY_OK, -1);
	X509_free(x);
	/* extendedKeyUsage is not checked, as in strongSwan */
	o.ku = NULL;
	o.eku = "clientAuth";
	x = ee_make(&o, NULL, NULL, NULL);
	expect(NULL, x, unt, 1, NULL, CRYPTO_VERIFY_OK, -1);
	X509_free(x);
	o.eku = "critical,emailProtection";
	x = ee_make(&o, NULL, NULL, NULL);
	expect(NULL, x, unt, 1, NULL, CRYPTO_VERIFY_OK, -1);
	X509_free(x);
	o.eku = NULL;

	/* cacerts and ca_id constraints */
	x = ee_make(&o, NULL, NULL, NULL);
	{
		struct crypto_cert *want[1] = { fx.c_root }, *other[1] = { fx.c_other_root };
		struct crypto_id id = ID("C=CH, O=strongSwan, OU=Research, CN=Research CA"), bad = ID("C=CH, O=Other, CN=*");
		vo.cacerts = want;
		vo.ncacerts = 1;
		expect(NULL, x, unt, 1, &vo, CRYPTO_VERIFY_OK, -1);
		vo.cacerts = other;
		expect(NULL, x, unt, 1, &vo, CRYPTO_VERIFY_CA_MISMATCH, -1);
		vo.ncacerts = 0;
		vo.ca_id = &id;
		expect(NULL, x, unt, 1, &vo, CRYPTO_VERIFY_OK, -1);
		vo.ca_id = &bad;
		expect(NULL, x, unt, 1, &vo, CRYPTO_VERIFY_CA_MISMATCH, -1);
		vo.ca_id = NULL;
	}
	X509_free(x);

	/* an expired intermediate */
	{
		struct pki_opts io = { .subject = "C=CH, O=strongSwan, CN=Old CA", .ca = 1,
		                       .not_before = -20L * 86400, .not_after = -86400 };
		EVP_PKEY *k = pki_ec("P-256");
		X509 *old = pki_cert(k, &io, fx.root, fx.root_key);
		struct crypto_cert *co = C(old);
		unt[1] = co;
		x = ee_make(&o, old, k, NULL);
		expect(NULL, x, unt + 1, 1, NULL, CRYPTO_VERIFY_EXPIRED, 1);
		X509_free(x);
		X509_free(old);
		crypto_cert_free(co);
		EVP_PKEY_free(k);
	}
}

/* A trust store with the root and CRLs of the given issuers. */
static struct crypto_trust *trust_with(X509_CRL **crls, size_t n)
{
	struct crypto_trust *t = crypto_trust_new();
	char err[256];

	assert_int_equal(crypto_trust_add_ca(t, fx.c_root, err, sizeof(err)), 0);
	for (size_t i = 0; i < n; i++) {
		size_t dl;
		unsigned char *der = pki_crl_der(crls[i], &dl);
		struct crypto_crl *c = crypto_crl_from_data(der, dl, err, sizeof(err));
		assert_non_null(c);
		if (crypto_trust_add_crl(t, c, err, sizeof(err)))
			fail_msg("crl: %s", err);
		crypto_crl_free(c);
		free(der);
	}
	return t;
}

static void test_revocation(void **state)
{
	struct crypto_cert *unt[1] = { fx.c_im };
	struct pki_opts o = { .subject = "C=CH, O=strongSwan, CN=revoked.strongswan.org", .serial = 0x77 };
	struct pki_opts oc = { .subject = "C=CH, O=strongSwan, CN=cdp.strongswan.org", .serial = 0x78,
	                       .cdp = "URI:http://crl.strongswan.org/research.crl" };
	struct pki_opts og = { .subject = "C=CH, O=strongSwan, CN=good.strongswan.org", .serial = 0x79 };
	struct pki_revoked rv = { 0x77, 1 };
	struct crypto_verify_opts strict = { .revocation = CRYPTO_REVOCATION_STRICT };
	struct crypto_verify_opts ifuri = { .revocation = CRYPTO_REVOCATION_IFURI };
	struct crypto_verify_opts relaxed = { .revocation = CRYPTO_REVOCATION_RELAXED };
	X509 *revoked = ee_make(&o, NULL, NULL, NULL), *cdp = ee_make(&oc, NULL, NULL, NULL),
	     *good = ee_make(&og, NULL, NULL, NULL);
	X509_CRL *im_crl = pki_crl(fx.im, fx.im_key, &rv, 1, 0, 0);
	X509_CRL *root_crl = pki_crl(fx.root, fx.root_key, NULL, 0, 0, 0);
	X509_CRL *stale = pki_crl(fx.im, fx.im_key, NULL, 0, -10L * 86400, -86400);
	X509_CRL *both[2] = { im_crl, root_crl };
	struct crypto_trust *t_none = trust_with(NULL, 0), *t_im = trust_with(&im_crl, 1),
	                    *t_both = trust_with(both, 2), *t_stale = trust_with(&stale, 1);

	/* revoked: refused under every policy */
	expect(t_im, revoked, unt, 1, &relaxed, CRYPTO_VERIFY_REVOKED, 0);
	expect(t_im, revoked, unt, 1, &ifuri, CRYPTO_VERIFY_REVOKED, 0);
	expect(t_both, revoked, unt, 1, &strict, CRYPTO_VERIFY_REVOKED, 0);
	expect(t_none, revoked, unt, 1, &relaxed, CRYPTO_VERIFY_OK, -1);   /* no CRL, no way to know */
	/* strict: a valid CRL for every certificate but the anchor */
	expect(t_none, good, unt, 1, &strict, CRYPTO_VERIFY_REVOCATION_UNKNOWN, 0);
	expect(t_im, good, unt, 1, &strict, CRYPTO_VERIFY_REVOCATION_UNKNOWN, 1);   /* the intermediate's is missing */
	{
		struct crypto_cert *c = C(good);
		struct crypto_verify_result r;
		assert_int_equal(verify(t_both, c, unt, 1, &strict, &r), 0);
		assert_int_equal(r.crl[0], CRYPTO_CRL_GOOD);
		assert_int_equal(r.crl[1], CRYPTO_CRL_GOOD);
		crypto_verify_result_clear(&r);
		crypto_cert_free(c);
	}
	/* ifuri: only a certificate with a CDP needs its CRL */
	expect(t_none, good, unt, 1, &ifuri, CRYPTO_VERIFY_OK, -1);
	expect(t_none, cdp, unt, 1, &ifuri, CRYPTO_VERIFY_REVOCATION_UNKNOWN, 0);
	expect(t_im, cdp, unt, 1, &ifuri, CRYPTO_VERIFY_OK, -1);
	expect(t_none, cdp, unt, 1, &relaxed, CRYPTO_VERIFY_OK, -1);
	/* a stale CRL: refused by ifuri and strict, fine for relaxed */
	expect(t_stale, good, unt, 1, &ifuri, CRYPTO_VERIFY_REVOCATION_UNKNOWN, 0);
	expect(t_stale, good, unt, 1, &relaxed, CRYPTO_VERIFY_OK, -1);
	/* a CRL not signed by its issuer is refused when loaded */
	{
		X509_CRL *forged = pki_crl(fx.im, fx.other_key, &rv, 1, 0, 0);
		size_t dl;
		unsigned char *der = pki_crl_der(forged, &dl);
		char err[256];
		struct crypto_trust *t = trust_with(NULL, 0);
		struct crypto_crl *c = crypto_crl_from_data(der, dl, err, sizeof(err));
		/* issuer unknown to the store (the intermediate is not in it): kept ... */
		assert_int_equal(crypto_trust_add_crl(t, c, err, sizeof(err)), 0);
		/* ... but OpenSSL finds its signature bad: the revocation in it does not count */
		expect(t, revoked, unt, 1, &relaxed, CRYPTO_VERIFY_OK, -1);
		expect(t, revoked, unt, 1, &strict, CRYPTO_VERIFY_REVOCATION_UNKNOWN, 0);
		crypto_trust_free(t);
		crypto_crl_free(c);
		free(der);
		X509_CRL_free(forged);
		/* a forged CRL of a CA in the store: refused at load */
		forged = pki_crl(fx.root, fx.other_key, NULL, 0, 0, 0);
		der = pki_crl_der(forged, &dl);
		c = crypto_crl_from_data(der, dl, err, sizeof(err));
		assert_int_equal(crypto_trust_add_crl(t_none, c, err, sizeof(err)), -EINVAL);
		crypto_crl_free(c);
		free(der);
		X509_CRL_free(forged);
	}
	crypto_trust_free(t_none);
	crypto_trust_free(t_im);
	crypto_trust_free(t_both);
	crypto_trust_free(t_stale);
	X509_CRL_free(im_crl);
	X509_CRL_free(root_crl);
	X509_CRL_free(stale);
	X509_free(revoked);
	X509_free(cdp);
	X509_free(good);
}

/* A chain root -> n intermediates -> end entity; unt gets the intermediates. */
static X509 *long_chain(int n, struct crypto_cert **unt, EVP_PKEY **keys, X509 **ims)
{
	X509 *issuer = fx.root;
	EVP_PKEY *ikey = fx.root_key;
	struct pki_opts eo = { .subject = "C=CH, O=strongSwan, CN=deep" };

	for (int i = 0; i < n; i++) {
		char name[64];
		struct pki_opts io = { .subject = name, .ca = 1 };
		snprintf(name, sizeof(name), "C=CH, O=strongSwan, CN=Level %d CA", i + 1);
		keys[i] = pki_ec("P-256");
		ims[i] = pki_cert(keys[i], &io, issuer, ikey);
		unt[i] = C(ims[i]);
		issuer = ims[i];
		ikey = keys[i];
	}
	return ee_make(&eo, issuer, ikey, NULL);
}

static void test_path_length(void **state)
{
	struct crypto_cert *unt[20];
	EVP_PKEY *keys[20];
	X509 *ims[20], *x;
	struct crypto_verify_opts vo = { .max_intermediates = 16 };

	x = long_chain(20, unt, keys, ims);
	expect(NULL, x, unt, 20, NULL, CRYPTO_VERIFY_PATH_TOO_LONG, -2);
	expect(NULL, x, unt, 20, &vo, CRYPTO_VERIFY_PATH_TOO_LONG, -2);
	X509_free(x);
	/* strongSwan's limit: 7 intermediates pass, 8 do not */
	{
		struct pki_opts eo = { .subject = "C=CH, O=strongSwan, CN=seven" };
		X509 *e7 = ee_make(&eo, ims[6], keys[6], NULL), *e8 = ee_make(&eo, ims[7], keys[7], NULL);
		expect(NULL, e7, unt, 7, NULL, CRYPTO_VERIFY_OK, -1);
		expect(NULL, e8, unt, 8, NULL, CRYPTO_VERIFY_PATH_TOO_LONG, -2);
		expect(NULL, e8, unt, 8, &vo, CRYPTO_VERIFY_OK, -1);
		X509_free(e7);
		X509_free(e8);
	}
	for (int i = 0; i < 20; i++) {
		crypto_cert_free(unt[i]);
		X509_free(ims[i]);
		EVP_PKEY_free(keys[i]);
	}
	/* a pathLenConstraint of 0 on the root forbids an intermediate */
	{
		struct pki_opts ro = { .subject = "C=CH, CN=Strict Root", .ca = 1, .pathlen_set = 1, .pathlen = 0 };
		struct pki_opts io = { .subject = "C=CH, CN=Sub CA", .ca = 1 };
		struct pki_opts eo = { .subject = "C=CH, CN=leaf" };
		EVP_PKEY *rk = pki_ec("P-256"), *ik = pki_ec("P-256");
		X509 *r = pki_cert(rk, &ro, NULL, NULL), *im = pki_cert(ik, &io, r, rk), *e = pki_cert(fx.ee_key, &eo, im, ik);
		X509 *direct = pki_cert(fx.ee_key, &eo, r, rk);
		struct crypto_cert *cr = C(r), *ci = C(im);
		struct crypto_trust *t = crypto_trust_new();
		assert_int_equal(crypto_cert_pathlen(cr), 0);
		assert_int_equal(crypto_trust_add_ca(t, cr, NULL, 0), 0);
		expect(t, e, &ci, 1, NULL, CRYPTO_VERIFY_PATH_TOO_LONG, -2);
		expect(t, direct, NULL, 0, NULL, CRYPTO_VERIFY_OK, -1);
		crypto_trust_free(t);
		crypto_cert_free(cr);
		crypto_cert_free(ci);
		X509_free(r); X509_free(im); X509_free(e); X509_free(direct);
		EVP_PKEY_free(rk); EVP_PKEY_free(ik);
	}
}

/* Two CAs that issued each other: no chain forms, no hang. */
static void test_loop(void **state)
{
	struct pki_opts ao = { .subject = "C=CH, CN=Loop A", .ca = 1 };
	struct pki_opts bo = { .subject = "C=CH, CN=Loop B", .ca = 1 };
	struct pki_opts eo = { .subject = "C=CH, CN=looped" };
	EVP_PKEY *ak = pki_ec("P-256"), *bk = pki_ec("P-256");
	X509 *b_self = pki_cert(bk, &bo, NULL, NULL);
	X509 *a = pki_cert(ak, &ao, b_self, bk);     /* A issued by B */
	X509 *b = pki_cert(bk, &bo, a, ak);          /* B issued by A */
	X509 *e = pki_cert(fx.ee_key, &eo, a, ak);
	struct crypto_cert *unt[2] = { C(a), C(b) };

	expect(NULL, e, unt, 2, NULL, CRYPTO_VERIFY_UNKNOWN_CA, -2);
	crypto_cert_free(unt[0]);
	crypto_cert_free(unt[1]);
	X509_free(a); X509_free(b); X509_free(b_self); X509_free(e);
	EVP_PKEY_free(ak); EVP_PKEY_free(bk);
}

static void test_trust_lookup_and_constraints(void **state)
{
	struct crypto_cert *unt[1] = { fx.c_im };
	struct pki_opts o = { .subject = "C=CH, O=strongSwan, CN=moon" };
	X509 *x = ee_make(&o, NULL, NULL, NULL);
	struct crypto_cert *c = C(x);
	struct crypto_verify_result r;
	struct crypto_sig_constraints sc;
	struct crypto_sig_params sp;
	char err[256];

	/* CERTREQ: the root by its SubjectPublicKeyInfo hash */
	assert_ptr_equal(crypto_trust_find_keyid(fx.trust, crypto_cert_keyid(fx.c_root)), fx.c_root);
	assert_null(crypto_trust_find_keyid(fx.trust, crypto_cert_keyid(fx.c_im)));
	assert_int_equal(crypto_trust_ca_count(fx.trust), 1);
	assert_int_equal(crypto_trust_add_ca(fx.trust, fx.c_root, err, sizeof(err)), 0);   /* duplicate */
	assert_int_equal(crypto_trust_ca_count(fx.trust), 1);

	assert_int_equal(verify(NULL, c, unt, 1, NULL, &r), 0);
	/* every signature in the chain is sha256WithRSAEncryption or ecdsa-with-SHA256 */
	assert_int_equal(crypto_sig_cert_params(c, &sp), 0);
	assert_int_equal(sp.scheme, CRYPTO_SIG_ECDSA_SHA256_DER);
	assert_int_equal(crypto_sig_cert_params(fx.c_im, &sp), 0);
	assert_int_equal(sp.scheme, CRYPTO_SIG_RSA_PKCS1_SHA256);
	assert_int_equal(crypto_sig_constraints_parse("pubkey-sha256", false, &sc, err, sizeof(err)), 0);
	assert_int_equal(crypto_sig_constraints_check_chain(&sc, r.chain, r.chain_len, err, sizeof(err)), 0);
	assert_int_equal(crypto_sig_constraints_parse("pubkey-sha384", false, &sc, err, sizeof(err)), 0);
	assert_int_equal(crypto_sig_constraints_check_chain(&sc, r.chain, r.chain_len, err, sizeof(err)), -EACCES);
	assert_int_equal(crypto_sig_constraints_parse("rsa-sha256", false, &sc, err, sizeof(err)), 0);
	assert_int_equal(crypto_sig_constraints_check_chain(&sc, r.chain, r.chain_len, err, sizeof(err)), -EACCES);
	/* key strengths: the RSA-2048 root and the P-256 keys */
	assert_int_equal(crypto_sig_constraints_parse("rsa-2048-ecdsa-256", false, &sc, err, sizeof(err)), 0);
	assert_int_equal(crypto_sig_constraints_check_chain(&sc, r.chain, r.chain_len, err, sizeof(err)), 0);
	assert_int_equal(crypto_sig_constraints_parse("rsa-3072-ecdsa-256", false, &sc, err, sizeof(err)), 0);
	assert_int_equal(crypto_sig_constraints_check_chain(&sc, r.chain, r.chain_len, err, sizeof(err)), -EACCES);
	assert_int_equal(crypto_sig_constraints_parse("rsa-2048", false, &sc, err, sizeof(err)), 0);
	assert_int_equal(crypto_sig_constraints_check_chain(&sc, r.chain, r.chain_len, err, sizeof(err)), -EACCES);
	crypto_verify_result_clear(&r);

	/* an RSASSA-PSS signed certificate */
	{
		struct pki_opts po = { .subject = "C=CH, CN=pss", .pss = 1 };
		X509 *px = pki_cert(fx.ee_key, &po, fx.root, fx.root_key);
		struct crypto_cert *pc = C(px);
		assert_int_equal(crypto_sig_cert_params(pc, &sp), 0);
		assert_int_equal(sp.scheme, CRYPTO_SIG_RSA_PSS);
		assert_int_equal(sp.pss_hash, CRYPTO_HASH_SHA256);
		assert_int_equal(sp.pss_salt, 32);
		expect(NULL, px, NULL, 0, NULL, CRYPTO_VERIFY_OK, -1);
		crypto_cert_free(pc);
		X509_free(px);
	}
	crypto_cert_free(c);
	X509_free(x);
}


/* DN strings as strongSwan encodes them: pki --self --dn STRING (its
 * atodn()) gives the same subject DER as crypto_id_parse(STRING). */
static void test_dn_like_strongswan(void **state)
{
	static const char *const dns[] = {
		"C=CH, O=strongSwan, CN=moon.strongswan.org",
		"/C=CH/O=strongSwan/OU=Research/CN=Research CA",
		"c=CH,o=strongSwan,  cn = spaced value  ",
		"C=CH, O=Linux strongSwan, E=moon@strongswan.org, CN=moon",
		"C=CH, O=R&D, CN=J\xc3\xbcrg",
		"C=CH, SN=Doe, G=John, serialNumber=1234, UID=jdoe, DC=example, DC=org, T=Dr, CN=*",
		"CN=",
	};
	char dir[] = "/tmp/uipsec-dn-XXXXXX", cmd[1024], path[128];

	if (system("command -v pki >/dev/null 2>&1") != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "pki --gen --type ecdsa --size 256 > %s/k.der 2>/dev/null", dir);
	assert_int_equal(system(cmd), 0);
	for (size_t i = 0; i < sizeof(dns) / sizeof(dns[0]); i++) {
		struct crypto_id id = ID(dns[i]);
		struct crypto_cert *c;
		char err[256];

		snprintf(path, sizeof(path), "%s/c%zu.der", dir, i);
		snprintf(cmd, sizeof(cmd), "pki --self --in %s/k.der --type ecdsa --dn '%s' --outform der > %s 2>/dev/null",
		         dir, dns[i], path);
		assert_int_equal(system(cmd), 0);
		c = crypto_cert_from_file(path, err, sizeof(err));
		if (!c)
			fail_msg("%s: %s", dns[i], err);
		if (id.len != crypto_cert_subject(c)->len || memcmp(id.data, crypto_cert_subject(c)->data, id.len))
			fail_msg("'%s': our DER differs from pki's ('%s')", dns[i], F(crypto_cert_subject(c)));
		crypto_cert_free(c);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_fields),
		cmocka_unit_test(test_cert_malformed),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_verify_ok),
		cmocka_unit_test(test_verify_refusals),
		cmocka_unit_test(test_revocation),
		cmocka_unit_test(test_path_length),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_trust_lookup_and_constraints),
		cmocka_unit_test(test_dn_like_strongswan),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
