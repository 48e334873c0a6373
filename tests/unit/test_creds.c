/* The credential folders on a tree made like swanctl's (x509/, x509ca/,
 * x509crl/, pubkey/, private/, rsa/, ecdsa/, pkcs8/ and the refused ones),
 * with one report line per file; encrypted keys with secrets as the
 * secrets section gives them; lookups by identity, public key and CERTREQ
 * hash; validation through the store; the swanctl --list-certs text byte
 * for byte for one certificate, and the JSON form parsed by python3. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf/creds.h"
#include "crypto/x509_verify.h"
#include "util/mem.h"
#include "pki.h"

static char dir[64];

static void put(const char *rel, const unsigned char *data, size_t len)
{
	char path[512], sub[512];
	char *slash;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	snprintf(sub, sizeof(sub), "%s", path);
	slash = strrchr(sub, '/');
	*slash = '\0';
	mkdir(sub, 0700);
	pki_write(path, data, len);
}

static void put_free(const char *rel, unsigned char *data, size_t len)
{
	put(rel, data, len);
	mem_free_wipe(data, len);
}

static const struct creds_event *event(const struct creds_report *r, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->ev[i].path, path) == 0)
			return &r->ev[i];
	fail_msg("no report line for %s", rel);
	return NULL;
}

static void expect_ev(const struct creds_report *r, const char *rel, enum creds_outcome o, const char *sub)
{
	const struct creds_event *e = event(r, rel);

	if (e->outcome != o || (sub && !strstr(e->what, sub)))
		fail_msg("%s: outcome %d '%s', want %d with '%s'", rel, e->outcome, e->what, o, sub ? sub : "");
}

static EVP_PKEY *root_key, *im_key, *moon_key, *sun_key, *ed_key;
static X509 *root, *im, *moon, *sun, *revoked;
static const time_t T0 = 1767225600;   /* 2026-01-01 00:00:00 UTC */

static int setup(void **state)
{
	struct pki_opts ro = { .subject = "C=CH, O=strongSwan, CN=strongSwan Root CA", .ca = 1,
	                       .ku = "critical,keyCertSign,cRLSign", .serial = 1,
	                       .abs_not_before = T0 - 86400, .abs_not_after = T0 + 3650L * 86400 };
	struct pki_opts io = { .subject = "C=CH, O=strongSwan, OU=Research, CN=Research CA", .ca = 1,
	                       .pathlen_set = 1, .pathlen = 0, .serial = 2,
	                       .abs_not_before = T0 - 86400, .abs_not_after = T0 + 1000L * 86400 };
	struct pki_opts mo = { .subject = "C=CH, O=strongSwan, CN=moon.strongswan.org", .serial = 0x0a0b,
	                       .san = "DNS:moon.strongswan.org,IP:192.168.0.1", .eku = "serverAuth",
	                       .cdp = "URI:http://crl.strongswan.org/research.crl",
	                       .abs_not_before = T0, .abs_not_after = T0 + 30L * 86400 };
	struct pki_opts so = { .subject = "C=CH, O=strongSwan, CN=sun.strongswan.org", .serial = 0x0c,
	                       .abs_not_before = T0, .abs_not_after = T0 + 30L * 86400 };
	struct pki_opts vo = { .subject = "C=CH, O=strongSwan, CN=revoked.strongswan.org", .serial = 0x0d,
	                       .abs_not_before = T0, .abs_not_after = T0 + 30L * 86400 };
	struct pki_revoked rv = { 0x0d, 1 };
	X509_CRL *crl, *forged;
	EVP_PKEY *other = pki_ec("P-256"), *x25519;
	size_t n;
	struct pki_opts no = { .subject = "C=CH, CN=not a CA" };
	X509 *notca;

	strcpy(dir, "/tmp/uipsec-creds-XXXXXX");
	assert_non_null(mkdtemp(dir));
	root_key = pki_rsa(2048);
	im_key = pki_ec("P-384");
	moon_key = pki_rsa(2048);
	sun_key = pki_ec("P-256");
	ed_key = pki_ed25519();
	root = pki_cert(root_key, &ro, NULL, NULL);
	im = pki_cert(im_key, &io, root, root_key);
	moon = pki_cert(moon_key, &mo, im, im_key);
	sun = pki_cert(sun_key, &so, im, im_key);
	revoked = pki_cert(ed_key, &vo, im, im_key);
	/* valid from T0 - 10 min to T0 + 7 days, whatever the clock says */
	crl = pki_crl(im, im_key, &rv, 1, (long)(T0 - time(NULL)) - 600, (long)(T0 - time(NULL)) + 7L * 86400);
	forged = pki_crl(root, other, NULL, 0, 0, 0);
	notca = pki_cert(other, &no, root, root_key);

	{ unsigned char *d_ = pki_cert_pem(moon, &n); put_free("x509/moonCert.pem", d_, n); }
	{ unsigned char *d_ = pki_cert_der(sun, &n); put_free("x509/sunCert.der", d_, n); }
	{ unsigned char *d_ = pki_cert_pem(revoked, &n); put_free("x509/revokedCert.pem", d_, n); }
	{
		size_t a, b;
		unsigned char *p1 = pki_cert_pem(sun, &a), *p2 = pki_cert_pem(moon, &b);
		unsigned char *both = malloc(a + b);
		memcpy(both, p1, a);
		memcpy(both + a, p2, b);
		put_free("x509/zbundle.pem", both, a + b);
		free(p1);
		free(p2);
	}
	put("x509/junk.pem", (const unsigned char *)"not a certificate\n", 18);
	{
		char sub[128];
		snprintf(sub, sizeof(sub), "%s/x509/old", dir);
		mkdir(sub, 0700);
	}
	{ unsigned char *d_ = pki_cert_pem(root, &n); put_free("x509ca/strongswanCert.pem", d_, n); }
	{ unsigned char *d_ = pki_cert_der(im, &n); put_free("x509ca/researchCert.der", d_, n); }
	{ unsigned char *d_ = pki_cert_pem(notca, &n); put_free("x509ca/notca.pem", d_, n); }
	{ unsigned char *d_ = pki_crl_pem(crl, &n); put_free("x509crl/research.crl", d_, n); }
	{ unsigned char *d_ = pki_crl_der(forged, &n); put_free("x509crl/forged.crl", d_, n); }
	put("x509crl/junk.crl", (const unsigned char *)"junk", 4);
	{ unsigned char *d_ = pki_cert_pem(root, &n); put_free("x509aa/aa.pem", d_, n); }
	{ unsigned char *d_ = pki_cert_pem(root, &n); put_free("x509ocsp/ocsp.pem", d_, n); }
	put("pkcs12/moon.p12", (const unsigned char *)"\x30\x82", 2);
	put("bliss/key.der", (const unsigned char *)"\x30", 1);
	{ unsigned char *d_ = pki_pub(sun_key, 1, &n); put_free("pubkey/sun.pem", d_, n); }
	{ unsigned char *d_ = pki_key(sun_key, PKI_PKCS8_PEM, NULL, &n); put_free("pubkey/private.pem", d_, n); }
	{ unsigned char *d_ = pki_key(moon_key, PKI_TRAD_PEM, NULL, &n); put_free("private/moonKey.pem", d_, n); }
	{ unsigned char *d_ = pki_key(sun_key, PKI_PKCS8_ENC_PEM, "sun secret", &n); put_free("private/enc.pem", d_, n); }
	{ unsigned char *d_ = pki_key(sun_key, PKI_PKCS8_ENC_PEM, "other", &n); put_free("private/nosecret.pem", d_, n); }
	{ unsigned char *d_ = pki_key(sun_key, PKI_TRAD_ENC_PEM, "right", &n); put_free("private/wrongsecret.pem", d_, n); }
	{ unsigned char *d_ = pki_key(sun_key, PKI_TRAD_PEM, NULL, &n); put_free("rsa/ecKey.pem", d_, n); }
	{ unsigned char *d_ = pki_key(moon_key, PKI_TRAD_DER, NULL, &n); put_free("rsa/rsaKey.der", d_, n); }
	{ unsigned char *d_ = pki_key(sun_key, PKI_TRAD_DER, NULL, &n); put_free("ecdsa/sunKey.der", d_, n); }
	{ unsigned char *d_ = pki_key(ed_key, PKI_PKCS8_PEM, NULL, &n); put_free("pkcs8/edKey.pem", d_, n); }
	{ unsigned char *d_ = pki_key(im_key, PKI_PKCS8_ENC_DER, "pkcs8 secret", &n); put_free("pkcs8/ENCKEY.DER", d_, n); }
	x25519 = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	{ unsigned char *d_ = pki_key(x25519, PKI_PKCS8_PEM, NULL, &n); put_free("pkcs8/x25519.pem", d_, n); }
	EVP_PKEY_free(x25519);
	X509_CRL_free(crl);
	X509_CRL_free(forged);
	X509_free(notca);
	EVP_PKEY_free(other);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	X509_free(root); X509_free(im); X509_free(moon); X509_free(sun); X509_free(revoked);
	EVP_PKEY_free(root_key); EVP_PKEY_free(im_key); EVP_PKEY_free(moon_key);
	EVP_PKEY_free(sun_key); EVP_PKEY_free(ed_key);
	return 0;
}

static const struct creds_secret secrets[] = {
	{ CREDS_PRIVATE, "enc.pem", (const uint8_t *)"sun secret", 10 },
	{ CREDS_PRIVATE, "wrongsecret.pem", (const uint8_t *)"wrong", 5 },
	{ CREDS_PKCS8, "enckey.der", (const uint8_t *)"pkcs8 secret", 12 },   /* case-insensitive */
	{ CREDS_RSA, "enc.pem", (const uint8_t *)"not for private/", 16 },
};

static struct creds *load(struct creds_report *rep)
{
	struct creds *c = creds_new();
	int rc;

	assert_non_null(c);
	rc = creds_load_dir(c, dir, secrets, sizeof(secrets) / sizeof(secrets[0]), rep);
	assert_int_equal(rc, (int)rep->refused);
	return c;
}

static void test_load_tree(void **state)
{
	struct creds_report rep = { 0 };
	struct creds *c = load(&rep);
	char *text = NULL;
	size_t tl = 0;
	FILE *f;

	expect_ev(&rep, "x509/moonCert.pem", CREDS_LOADED, "end-entity certificate 'C=CH, O=strongSwan, CN=moon.strongswan.org'");
	expect_ev(&rep, "x509/sunCert.der", CREDS_LOADED, "sun.strongswan.org");
	expect_ev(&rep, "x509/junk.pem", CREDS_REFUSED, "malformed");
	expect_ev(&rep, "x509/old", CREDS_NOTE, "subfolders");
	expect_ev(&rep, "x509ca/strongswanCert.pem", CREDS_LOADED, "CA certificate");
	expect_ev(&rep, "x509ca/researchCert.der", CREDS_LOADED, "Research CA");
	expect_ev(&rep, "x509ca/notca.pem", CREDS_REFUSED, "lacks the CA basic constraint");
	expect_ev(&rep, "x509crl/research.crl", CREDS_LOADED, "CRL of 'C=CH, O=strongSwan, OU=Research, CN=Research CA' (1 revoked)");
	expect_ev(&rep, "x509crl/forged.crl", CREDS_REFUSED, "not correctly signed");
	expect_ev(&rep, "x509crl/junk.crl", CREDS_REFUSED, "not a CRL");
	expect_ev(&rep, "x509aa/aa.pem", CREDS_REFUSED, "attribute authority");
	expect_ev(&rep, "x509ocsp/ocsp.pem", CREDS_REFUSED, "OCSP");
	expect_ev(&rep, "pkcs12/moon.p12", CREDS_REFUSED, "PKCS#12");
	expect_ev(&rep, "bliss/key.der", CREDS_REFUSED, "BLISS");
	expect_ev(&rep, "pubkey/sun.pem", CREDS_LOADED, "ECDSA 256 bit public key");
	expect_ev(&rep, "pubkey/private.pem", CREDS_REFUSED, "not a public key");
	expect_ev(&rep, "private/moonKey.pem", CREDS_LOADED, "RSA 2048 bit private key");
	expect_ev(&rep, "private/enc.pem", CREDS_LOADED, "decrypted");
	/* nosecret.pem and wrongsecret.pem hold sun's key too, but cannot be
	 * decrypted: refused (test_encrypted_keys looks at them alone) */
	expect_ev(&rep, "private/nosecret.pem", CREDS_REFUSED, "no secret configured");
	expect_ev(&rep, "private/wrongsecret.pem", CREDS_REFUSED, "no configured secret decrypts it");
	expect_ev(&rep, "x509/zbundle.pem", CREDS_NOTE, "already loaded from");
	/* the bundle: first certificate taken, and said so */
	{
		bool noted = false;
		for (size_t i = 0; i < rep.n; i++)
			if (strstr(rep.ev[i].path, "zbundle.pem") && rep.ev[i].outcome == CREDS_NOTE &&
			    strstr(rep.ev[i].what, "only the first"))
				noted = true;
		assert_true(noted);
	}
	expect_ev(&rep, "rsa/ecKey.pem", CREDS_REFUSED, "ECDSA key in rsa/");
	expect_ev(&rep, "ecdsa/sunKey.der", CREDS_NOTE, "already loaded");
	expect_ev(&rep, "pkcs8/edKey.pem", CREDS_LOADED, "ED25519 256 bit private key");
	expect_ev(&rep, "pkcs8/ENCKEY.DER", CREDS_LOADED, "ECDSA 384 bit private key (decrypted");
	expect_ev(&rep, "pkcs8/x25519.pem", CREDS_REFUSED, "not supported");

	/* the report prints one line per event */
	f = open_memstream(&text, &tl);
	creds_report_print(&rep, f);
	fclose(f);
	assert_non_null(strstr(text, "refused "));
	assert_non_null(strstr(text, "loaded CA certificate 'C=CH, O=strongSwan, CN=strongSwan Root CA' from "));
	free(text);

	assert_int_equal(creds_privkey_count(c), 4);   /* moon (RSA), sun (P-256), Ed25519, Research CA (P-384) */
	assert_int_equal(creds_crl_count(c), 1);
	assert_int_equal(creds_pubkey_count(c), 1);
	assert_int_equal(crypto_trust_ca_count(creds_trust(c)), 2);
	creds_free(c);
	creds_report_free(&rep);
}

static void test_encrypted_keys(void **state)
{
	struct creds *c = creds_new();
	struct creds_report rep = { 0 };
	char path[512];

	/* alone, so that no other file has loaded the same key first */
	snprintf(path, sizeof(path), "%s/private/nosecret.pem", dir);
	assert_int_equal(creds_load_file(c, CREDS_PRIVATE, path, "nosecret.pem", secrets, 4, &rep), -EINVAL);
	expect_ev(&rep, "private/nosecret.pem", CREDS_REFUSED, "no secret configured");
	snprintf(path, sizeof(path), "%s/private/wrongsecret.pem", dir);
	assert_int_equal(creds_load_file(c, CREDS_PRIVATE, path, "wrongsecret.pem", secrets, 4, &rep), -EINVAL);
	expect_ev(&rep, "private/wrongsecret.pem", CREDS_REFUSED, "no configured secret decrypts it");
	/* the rsa-... secret for enc.pem does not apply to private/enc.pem */
	snprintf(path, sizeof(path), "%s/private/enc.pem", dir);
	assert_int_equal(creds_load_file(c, CREDS_PRIVATE, path, "enc.pem", secrets + 3, 1, &rep), -EINVAL);
	assert_int_equal(creds_load_file(c, CREDS_PRIVATE, path, "enc.pem", secrets, 1, &rep), 0);
	assert_int_equal(creds_privkey_count(c), 1);
	creds_free(c);
	creds_report_free(&rep);

	assert_int_equal(creds_secret_kind("private-moon"), CREDS_PRIVATE);
	assert_int_equal(creds_secret_kind("rsa"), CREDS_RSA);
	assert_int_equal(creds_secret_kind("ecdsa-1"), CREDS_ECDSA);
	assert_int_equal(creds_secret_kind("pkcs8-x"), CREDS_PKCS8);
	assert_int_equal(creds_secret_kind("pkcs12-y"), CREDS_PKCS12);
	assert_int_equal(creds_secret_kind("ike-1"), -1);
	assert_int_equal(creds_secret_kind("eap-carol"), -1);
}

static void test_lookups(void **state)
{
	struct creds_report rep = { 0 };
	struct creds *c = load(&rep);
	struct crypto_id id;
	const struct crypto_cert *mc, *rc, *sc, *cc;
	struct crypto_verify_result r;
	struct crypto_verify_opts strict = { .revocation = CRYPTO_REVOCATION_STRICT, .now = T0 + 86400 };
	struct crypto_verify_opts relaxed = { .now = T0 + 86400 };
	char err[256], path[512];

	assert_int_equal(crypto_id_parse("C=CH, O=strongSwan, CN=moon.strongswan.org", &id, NULL, 0), 0);
	mc = creds_find_cert(c, &id, true);
	assert_non_null(mc);
	assert_non_null(creds_find_privkey(c, crypto_cert_pubkey(mc)));
	assert_true(creds_is_local(c, mc));
	assert_int_equal(crypto_id_parse("moon.strongswan.org", &id, NULL, 0), 0);
	assert_ptr_equal(creds_find_cert(c, &id, true), mc);
	assert_int_equal(crypto_id_parse("C=CH, O=strongSwan, CN=Research CA", &id, NULL, 0), 0);
	assert_null(creds_find_cert(c, &id, false));         /* OU missing: not the same DN */
	assert_int_equal(crypto_id_parse("C=CH, O=strongSwan, OU=*, CN=Research CA", &id, NULL, 0), 0);
	cc = creds_find_cert(c, &id, true);                 /* a CA, and we hold its key (pkcs8/) */
	assert_non_null(cc);
	assert_int_equal(crypto_id_parse("unknown.example.org", &id, NULL, 0), 0);
	assert_null(creds_find_cert(c, &id, false));

	/* CERTREQ: the root by its keyid; the intermediate is in the trust store too */
	{
		size_t n;
		unsigned char *der = pki_cert_der(root, &n);
		struct crypto_cert *x = crypto_cert_from_data(der, n, err, sizeof(err));
		const struct crypto_cert *found = creds_find_ca(c, crypto_cert_keyid(x));
		assert_non_null(found);
		assert_true(crypto_cert_equal(found, x));
		crypto_cert_free(x);
		free(der);
	}

	/* connection options naming files */
	assert_ptr_equal(creds_cert_for_file(c, dir, CREDS_X509, "moonCert.pem", err, sizeof(err)), mc);
	rc = creds_cert_for_file(c, dir, CREDS_X509, "revokedCert.pem", err, sizeof(err));
	assert_non_null(rc);
	sc = creds_cert_for_file(c, dir, CREDS_X509CA, "strongswanCert.pem", err, sizeof(err));
	assert_non_null(sc);
	assert_null(creds_cert_for_file(c, dir, CREDS_X509CA, "../x509/moonCert.pem", err, sizeof(err)));
	assert_non_null(strstr(err, "CA"));
	assert_null(creds_cert_for_file(c, dir, CREDS_X509, "missing.pem", err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open"));
	snprintf(path, sizeof(path), "%s/x509/sunCert.der", dir);
	assert_non_null(creds_cert_for_file(c, "/nonexistent", CREDS_X509, path, err, sizeof(err)));  /* absolute */
	assert_non_null(creds_pubkey_for_file(c, dir, "sun.pem", err, sizeof(err)));
	assert_null(creds_pubkey_for_file(c, dir, "private.pem", err, sizeof(err)));

	/* validation through the store: the CRL is there, the root's CRL not */
	{
		size_t n;
		unsigned char *der = pki_cert_der(im, &n);
		struct crypto_cert *imc = crypto_cert_from_data(der, n, err, sizeof(err));
		struct crypto_cert *unt[1] = { imc };
		struct crypto_cert *const want[1] = { (struct crypto_cert *)sc };
		struct crypto_verify_opts ca = relaxed;

		free(der);
		assert_int_equal(crypto_trust_verify(creds_trust(c), mc, NULL, 0, &relaxed, &r), 0);  /* the intermediate is trusted */
		assert_int_equal(r.chain_len, 3);
		assert_int_equal(r.crl[0], CRYPTO_CRL_GOOD);
		crypto_verify_result_clear(&r);
		assert_int_equal(crypto_trust_verify(creds_trust(c), rc, unt, 1, &relaxed, &r), -EACCES);
		assert_int_equal(r.status, CRYPTO_VERIFY_REVOKED);
		crypto_verify_result_clear(&r);
		assert_int_equal(crypto_trust_verify(creds_trust(c), mc, NULL, 0, &strict, &r), -EACCES);
		assert_int_equal(r.status, CRYPTO_VERIFY_REVOCATION_UNKNOWN);
		assert_int_equal(r.depth, 1);
		crypto_verify_result_clear(&r);
		ca.cacerts = want;
		ca.ncacerts = 1;
		assert_int_equal(crypto_trust_verify(creds_trust(c), mc, NULL, 0, &ca, &r), 0);
		crypto_verify_result_clear(&r);
		crypto_cert_free(imc);
	}
	creds_free(c);
	creds_report_free(&rep);
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		sprintf(out + strlen(out), i ? ":%02x" : "%02x", p[i]);
}

static void test_list_certs(void **state)
{
	struct creds_report rep = { 0 };
	struct creds *c = load(&rep);
	struct creds_list_opts o = { .now = T0 + 10L * 86400, .utc = true };
	struct crypto_id id;
	const struct crypto_cert *mc;
	char *text = NULL, want[4096], kid[64], sk[64], ak[64], ski[64];
	const uint8_t *p;
	size_t tl = 0, n;
	FILE *f;

	assert_int_equal(crypto_id_parse("C=CH, O=strongSwan, CN=moon.strongswan.org", &id, NULL, 0), 0);
	mc = creds_find_cert(c, &id, false);
	hex(kid, crypto_cert_keyid(mc), 20);
	hex(sk, crypto_pubkey_subjkey(crypto_cert_pubkey(mc)), 20);
	p = crypto_cert_akid(mc, &n);
	hex(ak, p, n);
	p = crypto_cert_skid(mc, &n);
	hex(ski, p, n);
	f = open_memstream(&text, &tl);
	creds_list_certs(c, f, &o);
	fclose(f);
	/* swanctl --list-certs --utc, field for field */
	snprintf(want, sizeof(want),
	         "\nList of X.509 End Entity Certificates\n"
	         "\n"
	         "  subject:  \"C=CH, O=strongSwan, CN=moon.strongswan.org\"\n"
	         "  issuer:   \"C=CH, O=strongSwan, OU=Research, CN=Research CA\"\n"
	         "  validity:  not before Jan 01 00:00:00 UTC 2026, ok\n"
	         "             not after  Jan 31 00:00:00 UTC 2026, ok (expires in 20 days)\n"
	         "  serial:    0a:0b\n"
	         "  altNames:  moon.strongswan.org, 192.168.0.1\n"
	         "  flags:     serverAuth \n"
	         "  CRL URIs:  http://crl.strongswan.org/research.crl\n"
	         "  authkeyId: %s\n"
	         "  subjkeyId: %s\n"
	         "  pubkey:    RSA 2048 bits, has private key\n"
	         "  keyid:     %s\n"
	         "  subjkey:   %s\n"
	         "  source:    %s/x509/moonCert.pem\n",
	         ak, ski, kid, sk, dir);
	if (strncmp(text, want, strlen(want)) != 0)
		fail_msg("got:\n%s\nwant:\n%s", text, want);
	assert_non_null(strstr(text, "\nList of X.509 CA Certificates\n"));
	assert_non_null(strstr(text, "  flags:     CA CRLSign self-signed \n"));
	assert_non_null(strstr(text, "  pathlen:   0\n"));
	assert_non_null(strstr(text, "\nList of X.509 CRLs\n"));
	assert_non_null(strstr(text, "  1 revoked certificate:\n    0d: "));
	assert_non_null(strstr(text, ", key compromise\n"));
	assert_non_null(strstr(text, "\nList of Raw Public Keys\n"));
	assert_non_null(strstr(text, "  pubkey:    ECDSA 256 bits, has private key\n"));
	free(text);

	/* JSON: well-formed (python3 parses it) and with the same facts */
	{
		char jpath[512], cmd[1024];
		int rc;
		snprintf(jpath, sizeof(jpath), "%s/certs.json", dir);
		f = fopen(jpath, "w");
		assert_non_null(f);
		creds_list_certs_json(c, f, &o);
		fclose(f);
		snprintf(cmd, sizeof(cmd),
		         "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
		         "m=[x for x in d if x.get(\"subject\")==\"C=CH, O=strongSwan, CN=moon.strongswan.org\"][0]; "
		         "assert m[\"not_after\"]==\"2026-01-31T00:00:00Z\" and m[\"pubkey\"][\"bits\"]==2048 and "
		         "m[\"has_private_key\"] and m[\"keyid\"]==sys.argv[2] and \"serverAuth\" in m[\"flags\"]; "
		         "assert [x[\"type\"] for x in d].count(\"crl\")==1'"
		         " %s %s", jpath, kid);
		rc = system(cmd);
		assert_int_equal(rc, 0);
	}
	creds_free(c);
	creds_report_free(&rep);
}


/* The listing of one credential, without caption, "has private key" and
 * "source:" lines: what strongSwan's own certificate printer (pki --print,
 * the code behind swanctl --list-certs) shows for the same file. */
static char *our_block(enum creds_kind kind, const char *path)
{
	struct creds *c = creds_new();
	struct creds_report rep = { 0 };
	struct creds_list_opts o = { 0 };
	char *text = NULL, *out, *line, *save = NULL, *w;
	size_t tl = 0;
	FILE *f;

	assert_int_equal(creds_load_file(c, kind, path, "x", NULL, 0, &rep), 0);
	f = open_memstream(&text, &tl);
	creds_list_certs(c, f, &o);
	fclose(f);
	out = calloc(1, tl + 1);
	w = out;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "List of", 7) || !strncmp(line, "  source:", 9))
			continue;
		w += sprintf(w, "%s\n", line);
	}
	free(text);
	creds_free(c);
	creds_report_free(&rep);
	return out;
}

static char *pki_print(const char *type, const char *path)
{
	char cmd[1024], buf[4096];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "pki --print --type %s --in %s 2>/dev/null", type, path);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	pclose(f);
	return strdup(buf);
}

/* Cut the relative times ("ok (expires in 29 days)", "(valid in ...)",
 * "(... ago)") out of a listing: ours and pki's are taken a moment apart,
 * and a certificate made with a lifetime of whole days is then "30 days"
 * in one and "29 days" in the other. put_delta's own output is checked
 * with a fixed clock in test_list_certs. */
static void cut_deltas(char *s)
{
	char *p;

	while ((p = strstr(s, " (")) != NULL) {
		char *e = strchr(p, ')');
		if (!e)
			break;
		memmove(p, e + 1, strlen(e + 1) + 1);
	}
}

static void same_as_pki(enum creds_kind kind, const char *type, const char *rel)
{
	char path[512];
	char *ours, *theirs;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ours = our_block(kind, path);
	theirs = pki_print(type, path);
	cut_deltas(ours);
	cut_deltas(theirs);
	if (strcmp(ours, theirs) != 0)
		fail_msg("%s:\nours:\n%s\npki --print:\n%s", rel, ours, theirs);
	free(ours);
	free(theirs);
}

static void test_same_as_strongswan(void **state)
{
	struct pki_opts ko = { .subject = "C=CH, O=strongSwan, CN=keyEncipherment only", .ku = "keyEncipherment",
	                       .eku = "clientAuth,OCSPSigning" };
	struct pki_opts po = { .subject = "C=CH, O=strongSwan, CN=pss", .pss = 1, .san = "email:pss@strongswan.org" };
	struct pki_revoked rv[2] = { { 0x0d, 1 }, { 0x1234, 5 } };
	X509 *k = pki_cert(sun_key, &ko, im, im_key), *ps = pki_cert(ed_key, &po, root, root_key);
	X509_CRL *crl = pki_crl(im, im_key, rv, 2, 0, 0);
	unsigned char *d;
	size_t n;

	if (system("command -v pki >/dev/null 2>&1") != 0)
		skip();   /* strongswan-pki: scripts/deps.sh installs it */
	d = pki_cert_pem(k, &n); put_free("cmp/ku.pem", d, n);
	d = pki_cert_der(ps, &n); put_free("cmp/pss.der", d, n);
	d = pki_crl_pem(crl, &n); put_free("cmp/two.crl", d, n);
	same_as_pki(CREDS_X509, "x509", "x509/moonCert.pem");
	same_as_pki(CREDS_X509, "x509", "x509/sunCert.der");
	same_as_pki(CREDS_X509, "x509", "x509/revokedCert.pem");
	same_as_pki(CREDS_X509CA, "x509", "x509ca/strongswanCert.pem");
	same_as_pki(CREDS_X509CA, "x509", "x509ca/researchCert.der");
	same_as_pki(CREDS_X509, "x509", "cmp/ku.pem");
	same_as_pki(CREDS_X509, "x509", "cmp/pss.der");
	same_as_pki(CREDS_X509CRL, "crl", "cmp/two.crl");
	same_as_pki(CREDS_PUBKEY, "pub", "pubkey/sun.pem");
	X509_free(k);
	X509_free(ps);
	X509_CRL_free(crl);
}

/* A reload after the privilege drop: a key file the daemon can no longer
 * read keeps the key loaded before (moved from the previous store), with a
 * note; a new unreadable file is refused with the advice. Run in a child
 * that is no longer root (nobody), or, for a non-root run, with the file
 * made unreadable. */
static void test_reload_unreadable(void **state)
{
	char d2[64] = "/tmp/uipsec-creds-reload-XXXXXX", path[256];
	struct creds *prev = creds_new();
	struct creds_report rep = { 0 };
	unsigned char *pem;
	size_t n;
	int status;
	pid_t pid;

	assert_non_null(mkdtemp(d2));
	assert_int_equal(chmod(d2, 0755), 0);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", d2, i ? "private" : "x509ca");
		assert_int_equal(mkdir(path, 0755), 0);
	}
	snprintf(path, sizeof(path), "%s/x509ca/root.pem", d2);
	pem = pki_cert_pem(root, &n);
	pki_write(path, pem, n);
	free(pem);
	chmod(path, 0644);
	snprintf(path, sizeof(path), "%s/private/moon.pem", d2);
	pem = pki_key(moon_key, PKI_PKCS8_PEM, NULL, &n);
	pki_write(path, pem, n);
	free(pem);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(creds_load_dir(prev, d2, NULL, 0, &rep), 0);
	assert_int_equal(creds_privkey_count(prev), 1);
	creds_report_free(&rep);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct creds *c = creds_new();
		bool ok;
		if (geteuid() == 0 ? setresuid(65534, 65534, 65534) != 0 : chmod(path, 0) != 0)
			_exit(2);
		/* the key is kept; a second unreadable key file is refused */
		ok = creds_load_dir_keep(c, d2, NULL, 0, prev, &rep) == 0 && creds_privkey_count(c) == 1 &&
		     creds_privkey_count(prev) == 0 && creds_cert_count(c) == 1;
		for (size_t i = 0; ok && i < rep.n; i++)
			if (strstr(rep.ev[i].path, "moon.pem"))
				ok = rep.ev[i].outcome == CREDS_NOTE &&
				     strstr(rep.ev[i].what, "kept the 1 credential loaded from it before");
		creds_free(c);
		creds_report_free(&rep);
		c = creds_new();
		ok = ok && creds_load_dir_keep(c, d2, NULL, 0, NULL, &rep) == 1 &&
		     rep.refused == 1 && strstr(rep.ev[rep.n - 1].what, "0640 root:uipsec");
		creds_free(c);
		creds_report_free(&rep);
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	creds_free(prev);
	snprintf(path, sizeof(path), "rm -rf '%s'", d2);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_tree),
		cmocka_unit_test(test_encrypted_keys),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_list_certs),
		cmocka_unit_test(test_same_as_strongswan),
		cmocka_unit_test(test_reload_unreadable),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
