/* Signatures for IKEv2 AUTH: RFC 4754 section 8 ECDSA vectors (verify the
 * RFC's r|s, sign and verify with the same keys), RFC 8032 7.1 test 1 for
 * Ed25519 (deterministic: byte for byte), RFC 7427 appendix A
 * AlgorithmIdentifiers byte for byte (as strongSwan encodes them) and
 * their parsing, round trips for every scheme with tampering, the
 * SIGNATURE_HASH_ALGORITHMS notify, strongSwan's auth constraints and its
 * choice of scheme. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto/sig.h"
#include "crypto/x509.h"
#include "hexutil.h"
#include "pki.h"

static struct crypto_privkey *load_priv(EVP_PKEY *k)
{
	size_t n;
	unsigned char *der = pki_key(k, PKI_PKCS8_DER, NULL, &n);
	char err[256];
	struct crypto_privkey *p = crypto_privkey_from_data(der, n, NULL, 0, NULL, err, sizeof(err));

	if (!p)
		fail_msg("load: %s", err);
	free(der);
	return p;
}

/* A P-xxx key pair from the RFC's private scalar and public point. */
static EVP_PKEY *ec_from(const char *group, const char *w_hex, const char *xy_hex)
{
	uint8_t w[80], pub[1 + 2 * 80];
	size_t wl = hx(w_hex, w, sizeof(w));
	size_t pl = hx(xy_hex, pub + 1, sizeof(pub) - 1);
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	BIGNUM *bn = BN_bin2bn(w, (int)wl, NULL);
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;
	OSSL_PARAM *p;

	pub[0] = 0x04;
	assert_non_null(b);
	OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, bn);
	OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, pl + 1);
	p = OSSL_PARAM_BLD_to_param(b);
	assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
	assert_int_equal(EVP_PKEY_fromdata(c, &k, EVP_PKEY_KEYPAIR, p), 1);
	OSSL_PARAM_free(p);
	OSSL_PARAM_BLD_free(b);
	BN_free(bn);
	EVP_PKEY_CTX_free(c);
	return k;
}

/* The public half only, through our SubjectPublicKeyInfo loader. */
static struct crypto_pubkey *pub_of(EVP_PKEY *k)
{
	size_t n;
	unsigned char *der = pki_pub(k, 0, &n);
	char err[256];
	struct crypto_pubkey *p = crypto_pubkey_from_data(der, n, err, sizeof(err));

	if (!p)
		fail_msg("pub: %s", err);
	free(der);
	return p;
}

static void rfc4754_case(const char *group, uint8_t method, const char *w, const char *xy,
                         const char *r, const char *s)
{
	EVP_PKEY *k = ec_from(group, w, xy);
	struct crypto_privkey *priv = load_priv(k);
	struct crypto_pubkey *pub = pub_of(k);
	uint8_t sig[264], auth[CRYPTO_SIG_AUTH_MAX];
	size_t rl = hx(r, sig, sizeof(sig));
	size_t sl = hx(s, sig + rl, sizeof(sig) - rl);
	struct crypto_sig_params used;
	char err[256];
	int n;

	/* the RFC's signature over "abc" */
	assert_int_equal(crypto_sig_auth_verify(pub, method, sig, rl + sl, (const uint8_t *)"abc", 3,
	                                        &used, err, sizeof(err)), 0);
	/* one bit off in r, or in the message */
	sig[5] ^= 1;
	assert_int_equal(crypto_sig_auth_verify(pub, method, sig, rl + sl, (const uint8_t *)"abc", 3,
	                                        &used, err, sizeof(err)), -EKEYREJECTED);
	sig[5] ^= 1;
	assert_int_equal(crypto_sig_auth_verify(pub, method, sig, rl + sl, (const uint8_t *)"abd", 3,
	                                        &used, err, sizeof(err)), -EKEYREJECTED);
	/* r|s is fixed-width: one byte short fails cleanly */
	assert_int_equal(crypto_sig_auth_verify(pub, method, sig, rl + sl - 1, (const uint8_t *)"abc", 3,
	                                        &used, err, sizeof(err)), -EKEYREJECTED);
	/* our own signature with the RFC's private key verifies with its public key */
	n = crypto_sig_auth_sign(priv, method, &used, (const uint8_t *)"abc", 3, auth, sizeof(auth));
	assert_int_equal(n, (int)(rl + sl));
	assert_int_equal(crypto_sig_auth_verify(pub, method, auth, (size_t)n, (const uint8_t *)"abc", 3,
	                                        &used, err, sizeof(err)), 0);
	crypto_privkey_free(priv);
	crypto_pubkey_free(pub);
	EVP_PKEY_free(k);
}

static void test_rfc4754(void **state)
{
	rfc4754_case("P-256", CRYPTO_AUTH_ECDSA_256,
	             "DC51D3866A15BACDE33D96F992FCA99DA7E6EF0934E7097559C27F1614C88A7F",
	             "2442A5CC0ECD015FA3CA31DC8E2BBC70BF42D60CBCA20085E0822CB04235E970"
	             "6FC98BD7E50211A4A27102FA3549DF79EBCB4BF246B80945CDDFE7D509BBFD7D",
	             "CB28E0999B9C7715FD0A80D8E47A77079716CBBF917DD72E97566EA1C066957C",
	             "86FA3BB4E26CAD5BF90B7F81899256CE7594BB1EA0C89212748BFF3B3D5B0315");
	rfc4754_case("P-384", CRYPTO_AUTH_ECDSA_384,
	             "0BEB646634BA87735D77AE4809A0EBEA865535DE4C1E1DCB692E84708E81A5AF"
	             "62E528C38B2A81B35309668D73524D9F",
	             "96281BF8DD5E0525CA049C048D345D3082968D10FEDF5C5ACA0C64E6465A97EA"
	             "5CE10C9DFEC21797415710721F437922447688BA94708EB6E2E4D59F6AB6D7ED"
	             "FF9301D249FE49C33096655F5D502FAD3D383B91C5E7EDAA2B714CC99D5743CA",
	             "FB017B914E29149432D8BAC29A514640B46F53DDAB2C69948084E2930F1C8F7E"
	             "08E07C9C63F2D21A07DCB56A6AF56EB3",
	             "B263A1305E057F984D38726A1B46874109F417BCA112674C528262A40A629AF1"
	             "CBB9F516CE0FA7D2FF630863A00E8B9F");
	rfc4754_case("P-521", CRYPTO_AUTH_ECDSA_521,
	             "0065FDA3409451DCAB0A0EAD45495112A3D813C17BFD34BDF8C1209D7DF58491"
	             "20597779060A7FF9D704ADF78B570FFAD6F062E95C7E0C5D5481C5B153B48B375FA1",
	             "0151518F1AF0F563517EDD5485190DF95A4BF57B5CBA4CF2A9A3F6474725A35F"
	             "7AFE0A6DDEB8BEDBCD6A197E592D40188901CECD650699C9B5E456AEA5ADD19052A8"
	             "006F3B142EA1BFFF7E2837AD44C9E4FF6D2D34C73184BBAD90026DD5E6E85317D9"
	             "DF45CAD7803C6C20035B2F3FF63AFF4E1BA64D1C077577DA3F4286C58F0AEAE643",
	             "0154FD3836AF92D0DCA57DD5341D3053988534FDE8318FC6AAAAB68E2E6F4339"
	             "B19F2F281A7E0B22C269D93CF8794A9278880ED7DBB8D9362CAEACEE544320552251",
	             "017705A7030290D1CEB605A9A1BB03FF9CDD521E87A696EC926C8C10C8362DF4"
	             "975367101F67D1CF9BCCBF2F3D239534FA509E70AAC851AE01AAC68D62F866472660");
}

/* RFC 8032 section 7.1, TEST 1 (empty message), through RFC 8420's
 * method 14 with id-Ed25519. */
static void test_ed25519_rfc8032(void **state)
{
	uint8_t sk[32], pk[32], want[64], auth[CRYPTO_SIG_AUTH_MAX];
	size_t spki_len;
	const uint8_t *spki;
	struct crypto_sig_params p = { CRYPTO_SIG_ED25519, 0, 0, 0 }, used;
	EVP_PKEY *k;
	struct crypto_privkey *priv;
	char err[256];
	int n;

	hx("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", sk, sizeof(sk));
	hx("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", pk, sizeof(pk));
	hx("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
	   want, sizeof(want));
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, sizeof(sk));
	assert_non_null(k);
	priv = load_priv(k);
	assert_int_equal(crypto_privkey_type(priv), CRYPTO_KEY_ED25519);
	assert_int_equal(crypto_privkey_bits(priv), 256);
	spki = crypto_pubkey_spki(crypto_privkey_pubkey(priv), &spki_len);
	assert_int_equal(spki_len, 44);
	assert_memory_equal(spki + 12, pk, 32);
	n = crypto_sig_auth_sign(priv, CRYPTO_AUTH_DS, &p, (const uint8_t *)"", 0, auth, sizeof(auth));
	/* | 7 | 30 05 06 03 2b 65 70 | signature | */
	assert_int_equal(n, 1 + 7 + 64);
	assert_int_equal(auth[0], 7);
	assert_memory_equal(auth + 1, "\x30\x05\x06\x03\x2b\x65\x70", 7);
	assert_memory_equal(auth + 8, want, 64);
	assert_int_equal(crypto_sig_auth_verify(crypto_privkey_pubkey(priv), CRYPTO_AUTH_DS, auth, (size_t)n,
	                                        (const uint8_t *)"", 0, &used, err, sizeof(err)), 0);
	assert_int_equal(used.scheme, CRYPTO_SIG_ED25519);
	crypto_privkey_free(priv);
	EVP_PKEY_free(k);
}

static void expect_algid(const struct crypto_sig_params *p, const char *hex)
{
	uint8_t want[128], got[128];
	size_t wl = hx(hex, want, sizeof(want));
	int n = crypto_sig_algid_encode(p, got, sizeof(got));
	struct crypto_sig_params back;
	char err[128];

	assert_int_equal(n, (int)wl);
	assert_memory_equal(got, want, wl);
	assert_int_equal(crypto_sig_algid_decode(want, wl, &back, err, sizeof(err)), 0);
	assert_int_equal(back.scheme, p->scheme);
	assert_int_equal(back.pss_hash, p->pss_hash);
	assert_int_equal(back.pss_mgf1, p->pss_mgf1);
	assert_int_equal(back.pss_salt, p->pss_salt);
}

/* RFC 7427 appendix A (and the errata's DER form for RSASSA-PSS, which is
 * what strongSwan sends). */
static void test_algid(void **state)
{
	struct crypto_sig_params p = { 0 };
	uint8_t buf[128];
	char err[128];
	size_t n;

	p.scheme = CRYPTO_SIG_RSA_PKCS1_SHA1;     /* A.1.1 sha1WithRSAEncryption */
	expect_algid(&p, "300d06092a864886f70d0101050500");
	p.scheme = CRYPTO_SIG_RSA_PKCS1_SHA256;   /* A.1.2 sha256WithRSAEncryption */
	expect_algid(&p, "300d06092a864886f70d01010b0500");
	p.scheme = CRYPTO_SIG_RSA_PKCS1_SHA384;   /* A.1.3 */
	expect_algid(&p, "300d06092a864886f70d01010c0500");
	p.scheme = CRYPTO_SIG_RSA_PKCS1_SHA512;   /* A.1.4 */
	expect_algid(&p, "300d06092a864886f70d01010d0500");
	p.scheme = CRYPTO_SIG_ECDSA_SHA256_DER;   /* A.3.1 ecdsa-with-SHA256 */
	expect_algid(&p, "300a06082a8648ce3d040302");
	p.scheme = CRYPTO_SIG_ECDSA_SHA384_DER;   /* A.3.2 */
	expect_algid(&p, "300a06082a8648ce3d040303");
	p.scheme = CRYPTO_SIG_ECDSA_SHA512_DER;   /* A.3.3 */
	expect_algid(&p, "300a06082a8648ce3d040304");
	p.scheme = CRYPTO_SIG_ED25519;            /* RFC 8420 section 2 */
	expect_algid(&p, "300506032b6570");
	/* RSASSA-PSS SHA-256/MGF1-SHA-256/salt 32: RFC 7427 A.4.3 as corrected
	 * (no trailerField), byte for byte strongSwan's */
	p = crypto_sig_pss(CRYPTO_HASH_SHA256);
	expect_algid(&p, "3041 06092a864886f70d01010a 3034"
	                 "a00f 300d 0609608648016503040201 0500"
	                 "a11c 301a 06092a864886f70d010108 300d 0609608648016503040201 0500"
	                 "a203 020120");
	p = crypto_sig_pss(CRYPTO_HASH_SHA384);
	expect_algid(&p, "3041 06092a864886f70d01010a 3034"
	                 "a00f 300d 0609608648016503040202 0500"
	                 "a11c 301a 06092a864886f70d010108 300d 0609608648016503040202 0500"
	                 "a203 020130");
	p = crypto_sig_pss(CRYPTO_HASH_SHA512);
	expect_algid(&p, "3041 06092a864886f70d01010a 3034"
	                 "a00f 300d 0609608648016503040203 0500"
	                 "a11c 301a 06092a864886f70d010108 300d 0609608648016503040203 0500"
	                 "a203 020140");
	/* all defaults: an empty SEQUENCE (RFC 7427 A.4.1) */
	p = crypto_sig_pss(CRYPTO_HASH_SHA1);
	expect_algid(&p, "300d06092a864886f70d01010a3000");
	/* classic ECDSA has no AlgorithmIdentifier */
	p.scheme = CRYPTO_SIG_ECDSA_256;
	assert_int_equal(crypto_sig_algid_encode(&p, buf, sizeof(buf)), -ENOTSUP);

	/* RFC 7427 A.4.3 as printed, with trailerField 1: same scheme */
	n = hx("3046 06092a864886f70d01010a 3039"
	       "a00f 300d 0609608648016503040201 0500"
	       "a11c 301a 06092a864886f70d010108 300d 0609608648016503040201 0500"
	       "a203 020120 a303 020101", buf, sizeof(buf));
	assert_int_equal(crypto_sig_algid_decode(buf, n, &p, err, sizeof(err)), 0);
	assert_int_equal(p.scheme, CRYPTO_SIG_RSA_PSS);
	assert_int_equal(p.pss_hash, CRYPTO_HASH_SHA256);
	assert_int_equal(p.pss_salt, 32);
	/* RFC 7427 A.4.2: the defaults spelt out */
	n = hx("303e06092a864886f70d01010a3031a00b300906052b0e03021a0500a118301606092a864886f70d010108"
	       "300906052b0e03021a0500a203020114a303020101", buf, sizeof(buf));
	assert_int_equal(crypto_sig_algid_decode(buf, n, &p, err, sizeof(err)), 0);
	assert_int_equal(p.pss_hash, CRYPTO_HASH_SHA1);
	assert_int_equal(p.pss_mgf1, CRYPTO_HASH_SHA1);
	assert_int_equal(p.pss_salt, 20);
	/* ECDSA with explicit NULL parameters is accepted (as strongSwan) */
	n = hx("300c06082a8648ce3d0403020500", buf, sizeof(buf));
	assert_int_equal(crypto_sig_algid_decode(buf, n, &p, err, sizeof(err)), 0);
	/* refused: trailer 2, unknown MGF, unknown hash, unknown algorithm,
	 * parameters where none belong, trailing bytes, truncation */
	n = hx("301206092a864886f70d01010a3005a303020102", buf, sizeof(buf));
	assert_int_equal(crypto_sig_algid_decode(buf, n, &p, err, sizeof(err)), -EBADMSG);
	n = hx("302b06092a864886f70d01010a301ea11c301a06092a864886f70d010100300d06096086480165030402010500", buf, sizeof(buf));
	assert_int_equal(crypto_sig_algid_decode(buf, n, &p, err, sizeof(err)), -ENOTSUP);
	n = hx("301e06092a864886f70d01010a3011a00f300d06096086480165030402000500", buf, sizeof(buf));
	assert_int_equal(crypto_sig_algid_decode(buf, n, &p, err, sizeof(err)), -ENOTSUP);
	n = hx("300b06072a8648ce3804030500", buf, sizeof(buf));      /* dsa-with-sha1 */
	assert_int_equal(crypto_sig_algid_decode(buf, n, &p, err, sizeof(err)), -ENOTSUP);
	assert_non_null(strstr(err, "1.2.840.10040.4.3"));
	n = hx("300e06082a8648ce3d0403020402abcd", buf, sizeof(buf));
	assert_int_equal(crypto_sig_algid_decode(buf, n, &p, err, sizeof(err)), -EBADMSG);
	n = hx("300a06082a8648ce3d04030200", buf, sizeof(buf));
	assert_int_equal(crypto_sig_algid_decode(buf, n, &p, err, sizeof(err)), -EBADMSG);
	assert_int_equal(crypto_sig_algid_decode(buf, 5, &p, err, sizeof(err)), -EBADMSG);
}

struct keyset {
	EVP_PKEY *k;
	struct crypto_privkey *priv;
};

static void roundtrip(struct crypto_privkey *priv, uint8_t method, const struct crypto_sig_params *p,
                      const struct crypto_pubkey *other)
{
	static const uint8_t octets[] = "InitiatorSignedOctets: message | nonce | prf(SK_pi, IDi')";
	uint8_t auth[CRYPTO_SIG_AUTH_MAX];
	struct crypto_sig_params used;
	char err[256], name[64];
	int n = crypto_sig_auth_sign(priv, method, p, octets, sizeof(octets), auth, sizeof(auth));

	if (n <= 0)
		fail_msg("sign %s with method %u: %d", crypto_sig_params_fmt(p, name, sizeof(name)), method, n);
	assert_int_equal(crypto_sig_auth_verify(crypto_privkey_pubkey(priv), method, auth, (size_t)n,
	                                        octets, sizeof(octets), &used, err, sizeof(err)), 0);
	assert_true(crypto_sig_params_comply(p, &used));
	/* tampered signature, tampered octets, another key of the same type */
	auth[n - 3] ^= 0x40;
	assert_int_equal(crypto_sig_auth_verify(crypto_privkey_pubkey(priv), method, auth, (size_t)n,
	                                        octets, sizeof(octets), &used, err, sizeof(err)), -EKEYREJECTED);
	auth[n - 3] ^= 0x40;
	assert_int_equal(crypto_sig_auth_verify(crypto_privkey_pubkey(priv), method, auth, (size_t)n,
	                                        octets, sizeof(octets) - 1, &used, err, sizeof(err)), -EKEYREJECTED);
	if (other)
		assert_int_not_equal(crypto_sig_auth_verify(other, method, auth, (size_t)n, octets,
		                                            sizeof(octets), &used, err, sizeof(err)), 0);
}

static void test_roundtrips(void **state)
{
	struct crypto_sig_params p;
	EVP_PKEY *keys[6] = { pki_rsa(2048), pki_rsa(3072), pki_ec("P-256"), pki_ec("P-384"),
	                      pki_ec("P-521"), pki_ed25519() };
	struct crypto_privkey *priv[6];
	EVP_PKEY *other_rsa = pki_rsa(2048), *other_ec = pki_ec("P-256");
	struct crypto_privkey *orsa = load_priv(other_rsa), *oec = load_priv(other_ec);
	uint8_t auth[CRYPTO_SIG_AUTH_MAX];
	char err[256];

	for (int i = 0; i < 6; i++)
		priv[i] = load_priv(keys[i]);
	assert_int_equal(crypto_privkey_bits(priv[0]), 2048);
	assert_int_equal(crypto_privkey_bits(priv[1]), 3072);
	assert_int_equal(crypto_privkey_bits(priv[4]), 521);
	/* RSA: method 1 and every RFC 7427 RSA scheme */
	for (int i = 0; i < 2; i++) {
		static const enum crypto_sig_scheme rs[] = { CRYPTO_SIG_RSA_PKCS1_SHA1, CRYPTO_SIG_RSA_PKCS1_SHA256,
		                                             CRYPTO_SIG_RSA_PKCS1_SHA384, CRYPTO_SIG_RSA_PKCS1_SHA512 };
		p = (struct crypto_sig_params){ CRYPTO_SIG_RSA_PKCS1_SHA1, 0, 0, 0 };
		roundtrip(priv[i], CRYPTO_AUTH_RSA, &p, crypto_privkey_pubkey(orsa));
		for (size_t j = 0; j < 4; j++) {
			p = (struct crypto_sig_params){ rs[j], 0, 0, 0 };
			roundtrip(priv[i], CRYPTO_AUTH_DS, &p, crypto_privkey_pubkey(orsa));
		}
		for (int h = CRYPTO_HASH_SHA256; h <= CRYPTO_HASH_SHA512; h++) {
			p = crypto_sig_pss((enum crypto_hash)h);
			roundtrip(priv[i], CRYPTO_AUTH_DS, &p, crypto_privkey_pubkey(orsa));
		}
	}
	/* ECDSA: the curve's classic method and every DER scheme */
	for (int i = 2; i < 5; i++) {
		static const uint8_t m[] = { CRYPTO_AUTH_ECDSA_256, CRYPTO_AUTH_ECDSA_384, CRYPTO_AUTH_ECDSA_521 };
		static const enum crypto_sig_scheme cs[] = { CRYPTO_SIG_ECDSA_256, CRYPTO_SIG_ECDSA_384, CRYPTO_SIG_ECDSA_521 };
		p = (struct crypto_sig_params){ cs[i - 2], 0, 0, 0 };
		roundtrip(priv[i], m[i - 2], &p, crypto_privkey_pubkey(oec));
		for (int s = CRYPTO_SIG_ECDSA_SHA256_DER; s <= CRYPTO_SIG_ECDSA_SHA512_DER; s++) {
			p = (struct crypto_sig_params){ (enum crypto_sig_scheme)s, 0, 0, 0 };
			roundtrip(priv[i], CRYPTO_AUTH_DS, &p, crypto_privkey_pubkey(oec));
		}
	}
	p = (struct crypto_sig_params){ CRYPTO_SIG_ED25519, 0, 0, 0 };
	roundtrip(priv[5], CRYPTO_AUTH_DS, &p, crypto_privkey_pubkey(oec));

	/* key and scheme that do not fit */
	p = (struct crypto_sig_params){ CRYPTO_SIG_ECDSA_384, 0, 0, 0 };
	assert_int_equal(crypto_sig_auth_sign(priv[2], CRYPTO_AUTH_ECDSA_384, &p, auth, 4, auth, sizeof(auth)), -EINVAL);
	p = (struct crypto_sig_params){ CRYPTO_SIG_RSA_PKCS1_SHA256, 0, 0, 0 };
	assert_int_equal(crypto_sig_auth_sign(priv[5], CRYPTO_AUTH_DS, &p, auth, 4, auth, sizeof(auth)), -EINVAL);
	/* an RSA signature presented for an ECDSA key */
	{
		int n = crypto_sig_auth_sign(priv[0], CRYPTO_AUTH_DS, &p, auth, 4, auth, sizeof(auth));
		assert_true(n > 0);
		assert_int_equal(crypto_sig_auth_verify(crypto_privkey_pubkey(priv[2]), CRYPTO_AUTH_DS, auth,
		                                        (size_t)n, auth, 4, NULL, err, sizeof(err)), -EINVAL);
	}
	/* method 9 with a P-384 key */
	assert_int_equal(crypto_sig_auth_verify(crypto_privkey_pubkey(priv[3]), CRYPTO_AUTH_ECDSA_256, auth, 64,
	                                        auth, 4, NULL, err, sizeof(err)), -EINVAL);
	/* unknown method, malformed method 14 data */
	assert_int_equal(crypto_sig_auth_verify(crypto_privkey_pubkey(priv[0]), 2, auth, 64, auth, 4, NULL, err,
	                                        sizeof(err)), -ENOTSUP);
	auth[0] = 200;
	assert_int_equal(crypto_sig_auth_verify(crypto_privkey_pubkey(priv[0]), CRYPTO_AUTH_DS, auth, 50, auth, 4,
	                                        NULL, err, sizeof(err)), -EBADMSG);
	assert_int_equal(crypto_sig_auth_verify(crypto_privkey_pubkey(priv[0]), CRYPTO_AUTH_DS, auth, 0, auth, 4,
	                                        NULL, err, sizeof(err)), -EBADMSG);
	for (int i = 0; i < 6; i++) {
		crypto_privkey_free(priv[i]);
		EVP_PKEY_free(keys[i]);
	}
	crypto_privkey_free(orsa);
	crypto_privkey_free(oec);
	EVP_PKEY_free(other_rsa);
	EVP_PKEY_free(other_ec);
}

static void test_hash_notify(void **state)
{
	uint8_t out[16], in[16];
	size_t n;

	assert_int_equal(crypto_sig_hash_notify_build(0, out, sizeof(out)), 8);
	assert_memory_equal(out, "\x00\x02\x00\x03\x00\x04\x00\x05", 8);
	assert_int_equal(crypto_sig_hash_notify_build(CRYPTO_HASH_BIT(CRYPTO_HASH_SHA384), out, sizeof(out)), 2);
	assert_memory_equal(out, "\x00\x03", 2);
	assert_int_equal(crypto_sig_hash_notify_build(0, out, 7), -ENOSPC);
	/* SHA-1, unknown 255 and the odd byte are ignored */
	n = hx("0001 0002 0005 00ff 07", in, sizeof(in));
	assert_int_equal(crypto_sig_hash_notify_parse(in, n),
	                 CRYPTO_HASH_BIT(CRYPTO_HASH_SHA256) | CRYPTO_HASH_BIT(CRYPTO_HASH_IDENTITY));
	n = hx("0001", in, sizeof(in));
	assert_int_equal(crypto_sig_hash_notify_parse(in, n), 0);
}

static void expect_c(const char *auth, bool pss, size_t nsig, size_t nike, const enum crypto_sig_scheme *ike)
{
	struct crypto_sig_constraints c;
	char err[256];

	if (crypto_sig_constraints_parse(auth, pss, &c, err, sizeof(err)))
		fail_msg("'%s': %s", auth, err);
	if (c.nsig != nsig || c.nike != nike)
		fail_msg("'%s': %zu/%zu constraints, want %zu/%zu", auth, c.nsig, c.nike, nsig, nike);
	for (size_t i = 0; i < nike; i++)
		assert_int_equal(c.ike[i].scheme, ike[i]);
}

static void test_constraints(void **state)
{
	static const enum crypto_sig_scheme s256[] = { CRYPTO_SIG_RSA_PKCS1_SHA256, CRYPTO_SIG_ECDSA_SHA256_DER,
	                                               CRYPTO_SIG_ECDSA_256 };
	static const enum crypto_sig_scheme pss[] = { CRYPTO_SIG_RSA_PSS };
	static const enum crypto_sig_scheme pss256[] = { CRYPTO_SIG_RSA_PSS, CRYPTO_SIG_RSA_PKCS1_SHA256,
	                                                 CRYPTO_SIG_ECDSA_SHA256_DER, CRYPTO_SIG_ECDSA_256 };
	static const enum crypto_sig_scheme e384[] = { CRYPTO_SIG_ECDSA_SHA384_DER, CRYPTO_SIG_ECDSA_384 };
	static const enum crypto_sig_scheme ed[] = { CRYPTO_SIG_ED25519 };
	static const char *const bad[] = { "pubkey-foo", "pubkey-md5", "pubkey-sha224", "bliss", "psk",
	                                   "rsa/pss-identity", "pubkey--sha256", "ike:ed448", "eap" };
	struct crypto_sig_constraints c;
	struct crypto_sig_params used;
	char err[256];

	expect_c("pubkey", false, 0, 0, NULL);
	expect_c("rsa", false, 0, 0, NULL);
	expect_c("pubkey-sha256", false, 3, 3, s256);
	expect_c("pubkey-sha256", true, 4, 4, pss256);
	expect_c("rsa/pss-sha256", false, 1, 1, pss);
	expect_c("ike:rsa/pss-sha256", false, 0, 1, pss);
	expect_c("ecdsa-384-sha384", false, 2, 2, e384);
	expect_c("pubkey-identity", false, 1, 1, ed);
	expect_c("pubkey-sha256-ike:rsa/pss-sha384", false, 3, 1, pss);
	assert_int_equal(crypto_sig_constraints_parse("rsa-2048-sha256", false, &c, err, sizeof(err)), 0);
	assert_int_equal(c.rsa_bits, 2048);
	assert_int_equal(c.nsig, 1);
	assert_int_equal(c.sig[0].scheme, CRYPTO_SIG_RSA_PKCS1_SHA256);
	assert_int_equal(crypto_sig_constraints_parse("ecdsa-384", false, &c, err, sizeof(err)), 0);
	assert_int_equal(c.ecdsa_bits, 384);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (crypto_sig_constraints_parse(bad[i], false, &c, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	assert_true(crypto_sig_auth_is_pubkey("ike:rsa/pss"));
	assert_false(crypto_sig_auth_is_pubkey("ed25519"));   /* swanctl 5.9.8 does not accept it either */
	assert_false(crypto_sig_auth_is_pubkey("psk"));

	/* matching the peer's scheme: PSS ignores the salt, needs the hashes */
	assert_int_equal(crypto_sig_constraints_parse("rsa/pss-sha256", false, &c, err, sizeof(err)), 0);
	used = crypto_sig_pss(CRYPTO_HASH_SHA256);
	used.pss_salt = 20;
	assert_true(crypto_sig_constraints_allow_ike(&c, &used));
	used.pss_mgf1 = CRYPTO_HASH_SHA1;
	assert_false(crypto_sig_constraints_allow_ike(&c, &used));
	used = (struct crypto_sig_params){ CRYPTO_SIG_RSA_PKCS1_SHA256, 0, 0, 0 };
	assert_false(crypto_sig_constraints_allow_ike(&c, &used));
	assert_true(crypto_sig_constraints_allow_ike(NULL, &used));
	assert_int_equal(crypto_sig_constraints_hashes(&c), CRYPTO_HASH_BIT(CRYPTO_HASH_SHA256));
}

static void expect_sel(struct crypto_privkey *k, const char *auth, bool pss, uint32_t peer,
                       size_t n, const uint8_t *methods, const struct crypto_sig_params *want)
{
	struct crypto_sig_constraints c;
	struct crypto_sig_choice out[16];
	char err[128];
	size_t got;

	if (auth)
		assert_int_equal(crypto_sig_constraints_parse(auth, pss, &c, err, sizeof(err)), 0);
	got = crypto_sig_select(k, auth ? &c : NULL, pss, peer, out, 16);
	if (got != n)
		fail_msg("%s/%s: %zu schemes, want %zu", crypto_key_type_name(crypto_privkey_type(k)),
		         auth ? auth : "-", got, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(out[i].method, methods[i]);
		assert_int_equal(out[i].params.scheme, want[i].scheme);
		assert_int_equal(out[i].params.pss_hash, want[i].pss_hash);
	}
}

#define S(x) { CRYPTO_SIG_##x, 0, 0, 0 }

static void test_select(void **state)
{
	EVP_PKEY *r2 = pki_rsa(2048), *r4 = pki_rsa(4096), *e256 = pki_ec("P-256"),
	         *e384 = pki_ec("P-384"), *e521 = pki_ec("P-521"), *ed = pki_ed25519();
	struct crypto_privkey *kr2 = load_priv(r2), *kr4 = load_priv(r4), *ke256 = load_priv(e256),
	                      *ke384 = load_priv(e384), *ke521 = load_priv(e521), *ked = load_priv(ed);
	const uint32_t all = CRYPTO_HASHES_IKEV2;
	const uint8_t ds[] = { 14, 14, 14, 14, 14, 14 };
	const struct crypto_sig_params rsa256[] = { S(RSA_PKCS1_SHA256), S(RSA_PKCS1_SHA384), S(RSA_PKCS1_SHA512) };
	const struct crypto_sig_params rsa4k[] = { S(RSA_PKCS1_SHA384), S(RSA_PKCS1_SHA512), S(RSA_PKCS1_SHA256) };
	const struct crypto_sig_params rsapss[] = { crypto_sig_pss(CRYPTO_HASH_SHA256), crypto_sig_pss(CRYPTO_HASH_SHA384),
	                                            crypto_sig_pss(CRYPTO_HASH_SHA512), S(RSA_PKCS1_SHA256),
	                                            S(RSA_PKCS1_SHA384), S(RSA_PKCS1_SHA512) };
	const struct crypto_sig_params only384[] = { S(RSA_PKCS1_SHA384) };
	const struct crypto_sig_params ec256[] = { S(ECDSA_SHA256_DER), S(ECDSA_SHA384_DER), S(ECDSA_SHA512_DER) };
	const struct crypto_sig_params ec384[] = { S(ECDSA_SHA384_DER), S(ECDSA_SHA512_DER) };
	const struct crypto_sig_params ec521[] = { S(ECDSA_SHA512_DER) };
	const struct crypto_sig_params edp[] = { S(ED25519) };
	const struct crypto_sig_params pss256[] = { crypto_sig_pss(CRYPTO_HASH_SHA256) };
	const struct crypto_sig_params classic_rsa[] = { S(RSA_PKCS1_SHA1) };
	const struct crypto_sig_params classic_384[] = { S(ECDSA_384) };
	const uint8_t m1[] = { 1 }, m10[] = { 10 };

	expect_sel(kr2, NULL, false, all, 3, ds, rsa256);
	expect_sel(kr2, NULL, true, all, 6, ds, rsapss);
	expect_sel(kr4, NULL, false, all, 3, ds, rsa4k);
	expect_sel(kr2, NULL, false, CRYPTO_HASH_BIT(CRYPTO_HASH_SHA384), 1, ds, only384);
	expect_sel(ke256, NULL, false, all, 3, ds, ec256);
	expect_sel(ke384, NULL, false, all, 2, ds, ec384);
	expect_sel(ke521, NULL, false, all, 1, ds, ec521);
	expect_sel(ked, NULL, false, all, 1, ds, edp);
	expect_sel(ked, NULL, false, CRYPTO_HASH_BIT(CRYPTO_HASH_SHA256), 0, ds, edp);
	/* the peer sent no SIGNATURE_HASH_ALGORITHMS: RFC 7296 / RFC 4754 methods */
	expect_sel(kr2, NULL, false, 0, 1, m1, classic_rsa);
	expect_sel(ke384, NULL, false, 0, 1, m10, classic_384);
	expect_sel(ked, NULL, false, 0, 0, m1, classic_rsa);
	/* configured: rsa/pss-sha256 for RSA, nothing for ECDSA */
	expect_sel(kr2, "rsa/pss-sha256", false, all, 1, ds, pss256);
	expect_sel(ke256, "rsa/pss-sha256", false, all, 0, ds, pss256);
	expect_sel(ke256, "pubkey-sha256", false, all, 1, ds, ec256);
	expect_sel(kr2, "pubkey-sha256", false, all, 1, ds, rsa256);
	expect_sel(kr2, "pubkey-sha256", false, CRYPTO_HASH_BIT(CRYPTO_HASH_SHA384), 0, ds, rsa256);

	crypto_privkey_free(kr2); crypto_privkey_free(kr4); crypto_privkey_free(ke256);
	crypto_privkey_free(ke384); crypto_privkey_free(ke521); crypto_privkey_free(ked);
	EVP_PKEY_free(r2); EVP_PKEY_free(r4); EVP_PKEY_free(e256);
	EVP_PKEY_free(e384); EVP_PKEY_free(e521); EVP_PKEY_free(ed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4754),
		cmocka_unit_test(test_ed25519_rfc8032),
		cmocka_unit_test(test_algid),
		cmocka_unit_test(test_roundtrips),
		cmocka_unit_test(test_hash_notify),
		cmocka_unit_test(test_constraints),
		cmocka_unit_test(test_select),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
