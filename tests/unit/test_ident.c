/* Identities as strongSwan parses, prints and matches them: a numbered
 * table of strings with the type and printed form strongSwan 5.9.8 gives
 * them (identification.c), DN DER checked against OpenSSL's own encoding
 * of the same name, ID payload decoding, and match qualities. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/x509.h>

#include "crypto/ident.h"
#include "hexutil.h"

static struct crypto_id P(const char *s)
{
	struct crypto_id id;
	char err[128];

	assert_int_equal(crypto_id_parse(s, &id, err, sizeof(err)), 0);
	return id;
}

static const char *F(const struct crypto_id *id)
{
	static char buf[CRYPTO_ID_STRLEN];

	return crypto_id_fmt(id, buf, sizeof(buf));
}

static void test_parse_table(void **state)
{
	static const struct { const char *in; int type; const char *out; } rows[] = {
		/*  1 */ { "", CRYPTO_ID_ANY, "%any" },
		/*  2 */ { "%any", CRYPTO_ID_ANY, "%any" },
		/*  3 */ { "*", CRYPTO_ID_ANY, "%any" },
		/*  4 */ { "0.0.0.0", CRYPTO_ID_ANY, "%any" },
		/*  5 */ { "::", CRYPTO_ID_ANY, "%any" },
		/*  6 */ { "192.0.2.1", CRYPTO_ID_IPV4_ADDR, "192.0.2.1" },
		/*  7 */ { "2001:db8::1", CRYPTO_ID_IPV6_ADDR, "2001:db8::1" },
		/*  8 */ { "10.1.2.3/8", CRYPTO_ID_IPV4_ADDR_SUBNET, "10.0.0.0/8" },
		/*  9 */ { "10.0.0.1-10.0.0.9", CRYPTO_ID_IPV4_ADDR_RANGE, "10.0.0.1-10.0.0.9" },
		/* 10 */ { "moon.strongswan.org", CRYPTO_ID_FQDN, "moon.strongswan.org" },
		/* 11 */ { "@moon.strongswan.org", CRYPTO_ID_FQDN, "moon.strongswan.org" },
		/* 12 */ { "carol@strongswan.org", CRYPTO_ID_RFC822_ADDR, "carol@strongswan.org" },
		/* 13 */ { "@@carol", CRYPTO_ID_RFC822_ADDR, "carol" },
		/* 14 */ { "@#0102ff", CRYPTO_ID_KEY_ID, "01:02:ff" },
		/* 15 */ { "not:an:address", CRYPTO_ID_KEY_ID, "not:an:address" },
		/* 16 */ { "C=CH, O=strongSwan, CN=moon.strongswan.org", CRYPTO_ID_DER_ASN1_DN,
		           "C=CH, O=strongSwan, CN=moon.strongswan.org" },
		/* 17 */ { "/C=CH/O=strongSwan/CN=moon.strongswan.org", CRYPTO_ID_DER_ASN1_DN,
		           "C=CH, O=strongSwan, CN=moon.strongswan.org" },
		/* 18 */ { "c=CH,o=strongSwan,  cn = moon  ", CRYPTO_ID_DER_ASN1_DN,
		           "C=CH, O=strongSwan, CN=moon" },
		/* 19 */ { "C=CH, emailAddress=a@b.ch, CN=x", CRYPTO_ID_DER_ASN1_DN, "C=CH, E=a@b.ch, CN=x" },
		/* 20 */ { "C=CH, Email=a@b.ch, SN=Doe, G=John, serialNumber=42, DC=org, UID=jd, OU=R&D",
		           CRYPTO_ID_DER_ASN1_DN,
		           "C=CH, E=a@b.ch, SN=Doe, G=John, serialNumber=42, DC=org, UID=jd, OU=R&D" },
		/* 21 */ { "C=CH, XX=unknown", CRYPTO_ID_KEY_ID, "C=CH, XX=unknown" },   /* strongSwan's fallback */
		/* 22 */ { "C=CH, CN=*", CRYPTO_ID_DER_ASN1_DN, "C=CH, CN=*" },
		/* 23 */ { "fqdn:gw", CRYPTO_ID_FQDN, "gw" },
		/* 24 */ { "email:x@y", CRYPTO_ID_RFC822_ADDR, "x@y" },
		/* 25 */ { "keyid:#0a0b", CRYPTO_ID_KEY_ID, "0a:0b" },
		/* 26 */ { "{11}:abc", CRYPTO_ID_KEY_ID, "abc" },
		/* 27 */ { "ipv4:#c0000201", CRYPTO_ID_IPV4_ADDR, "192.0.2.1" },
		/* 28 */ { "CN=J\xc3\xbcrg", CRYPTO_ID_DER_ASN1_DN, "CN=J??rg" },  /* UTF8String, non-ASCII as '?' */
		/* 29 */ { "CN=", CRYPTO_ID_DER_ASN1_DN, "CN=" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct crypto_id id = P(rows[i].in);
		if (id.type != rows[i].type || strcmp(F(&id), rows[i].out) != 0)
			fail_msg("row %zu '%s': type %u '%s', want %d '%s'", i + 1, rows[i].in,
			         id.type, F(&id), rows[i].type, rows[i].out);
	}
}

/* The DER of a parsed DN is what OpenSSL encodes for the same name
 * (PrintableString values, UTF8String where not printable, IA5String E). */
static void test_dn_der(void **state)
{
	struct crypto_id id = P("C=CH, O=strongSwan, CN=moon.strongswan.org, E=m@strongswan.org");
	X509_NAME *n = X509_NAME_new();
	unsigned char *der = NULL;
	int len;

	X509_NAME_add_entry_by_txt(n, "C", V_ASN1_PRINTABLESTRING, (const unsigned char *)"CH", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", V_ASN1_PRINTABLESTRING, (const unsigned char *)"strongSwan", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", V_ASN1_PRINTABLESTRING, (const unsigned char *)"moon.strongswan.org", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "emailAddress", V_ASN1_IA5STRING, (const unsigned char *)"m@strongswan.org", -1, -1, 0);
	len = i2d_X509_NAME(n, &der);
	assert_int_equal(id.len, len);
	assert_memory_equal(id.data, der, (size_t)len);
	/* the start as bytes: SEQUENCE, SET { SEQUENCE { OID 2.5.4.6, PrintableString "CH" } } */
	{
		uint8_t want[16];
		size_t wl = hx("310b3009060355040613024348", want, sizeof(want));
		assert_memory_equal(id.data + 2, want, wl);
	}
	OPENSSL_free(der);
	X509_NAME_free(n);
	assert_int_equal(crypto_id_dn_count(&id), 4);
}

static void test_payload(void **state)
{
	struct crypto_id dn = P("C=CH, O=strongSwan, CN=moon.strongswan.org"), id;
	char err[128];
	uint8_t v4[4] = { 192, 0, 2, 1 };

	assert_int_equal(crypto_id_from_payload(CRYPTO_ID_DER_ASN1_DN, dn.data, dn.len, &id, err, sizeof(err)), 0);
	assert_string_equal(F(&id), "C=CH, O=strongSwan, CN=moon.strongswan.org");
	assert_true(crypto_id_equal(&id, &dn));
	/* truncated, trailing garbage, junk */
	assert_int_equal(crypto_id_from_payload(CRYPTO_ID_DER_ASN1_DN, dn.data, dn.len - 1, &id, err, sizeof(err)), -EBADMSG);
	dn.data[dn.len] = 0;
	assert_int_equal(crypto_id_from_payload(CRYPTO_ID_DER_ASN1_DN, dn.data, dn.len + 1u, &id, err, sizeof(err)), -EBADMSG);
	assert_int_equal(crypto_id_from_payload(CRYPTO_ID_DER_ASN1_DN, (const uint8_t *)"abc", 3, &id, err, sizeof(err)), -EBADMSG);
	assert_int_equal(crypto_id_from_payload(CRYPTO_ID_IPV4_ADDR, v4, 3, &id, err, sizeof(err)), -EBADMSG);
	assert_int_equal(crypto_id_from_payload(CRYPTO_ID_IPV4_ADDR, v4, 4, &id, err, sizeof(err)), 0);
	assert_string_equal(F(&id), "192.0.2.1");
	assert_int_equal(crypto_id_from_payload(CRYPTO_ID_FQDN, (const uint8_t *)"a\x01z", 3, &id, err, sizeof(err)), 0);
	assert_string_equal(F(&id), "a?z");
	assert_int_equal(crypto_id_from_payload(0, v4, 4, &id, err, sizeof(err)), -EBADMSG);
}

static void test_match(void **state)
{
	static const struct { const char *id, *pattern; int want; } rows[] = {
		/*  1 */ { "C=CH, O=strongSwan, CN=moon", "C=CH, O=strongSwan, CN=moon", CRYPTO_ID_MATCH_PERFECT },
		/*  2 */ { "C=CH, O=strongSwan, CN=moon", "c=ch, o=STRONGSWAN, cn=MOON", CRYPTO_ID_MATCH_PERFECT },
		/*  3 */ { "C=CH, O=strongSwan, CN=moon", "C=CH, O=strongSwan, CN=*", 19 },
		/*  4 */ { "C=CH, O=strongSwan, CN=moon", "C=*, O=*, CN=*", 17 },
		/*  5 */ { "C=CH, O=strongSwan, CN=moon", "C=CH, O=strongSwan", CRYPTO_ID_MATCH_NONE },   /* count differs */
		/*  6 */ { "C=CH, O=strongSwan, CN=moon", "O=strongSwan, C=CH, CN=moon", CRYPTO_ID_MATCH_NONE }, /* order */
		/*  7 */ { "C=CH, O=strongSwan, CN=moon", "C=CH, O=strongSwan, CN=sun", CRYPTO_ID_MATCH_NONE },
		/*  8 */ { "C=CH, O=strongSwan, CN=moon", "%any", CRYPTO_ID_MATCH_ANY },
		/*  9 */ { "moon.strongswan.org", "MOON.strongswan.ORG", CRYPTO_ID_MATCH_PERFECT },
		/* 10 */ { "moon.strongswan.org", "*.strongswan.org", CRYPTO_ID_MATCH_ONE_WILDCARD },
		/* 11 */ { "moon.strongswan.org", "*.example.org", CRYPTO_ID_MATCH_NONE },
		/* 12 */ { "moon.strongswan.org", "@*", CRYPTO_ID_MATCH_ANY },
		/* 13 */ { "a@strongswan.org", "*@strongswan.org", CRYPTO_ID_MATCH_ONE_WILDCARD },
		/* 14 */ { "moon.strongswan.org", "a@strongswan.org", CRYPTO_ID_MATCH_NONE },  /* type */
		/* 15 */ { "10.1.0.5", "10.1.0.5", CRYPTO_ID_MATCH_PERFECT },
		/* 16 */ { "10.1.0.5", "10.1.0.0/16", CRYPTO_ID_MATCH_ONE_WILDCARD },
		/* 17 */ { "10.2.0.5", "10.1.0.0/16", CRYPTO_ID_MATCH_NONE },
		/* 18 */ { "10.2.0.5", "0.0.0.0/0", CRYPTO_ID_MATCH_MAX_WILDCARDS },
		/* 19 */ { "10.1.0.5", "10.1.0.1-10.1.0.9", CRYPTO_ID_MATCH_ONE_WILDCARD },
		/* 20 */ { "10.1.0.10", "10.1.0.1-10.1.0.9", CRYPTO_ID_MATCH_NONE },
		/* 21 */ { "@#0102", "@#0102", CRYPTO_ID_MATCH_PERFECT },
		/* 22 */ { "@#0102", "@#0103", CRYPTO_ID_MATCH_NONE },
		/* 23 */ { "CN=Moon", "CN=moon", CRYPTO_ID_MATCH_PERFECT },   /* PrintableString: case-insensitive */
		/* 24 */ { "CN=J\xc3\xbcrg", "CN=j\xc3\xbcrg", CRYPTO_ID_MATCH_NONE },  /* UTF8String: exact */
		/* 25 */ { "E=A@b.ch", "E=a@B.CH", CRYPTO_ID_MATCH_PERFECT },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct crypto_id a = P(rows[i].id), b = P(rows[i].pattern);
		int got = crypto_id_match(&a, &b);
		if (got != rows[i].want)
			fail_msg("row %zu: '%s' vs '%s': %d, want %d", i + 1, rows[i].id, rows[i].pattern, got, rows[i].want);
	}
}

static void test_wildcards_and_limits(void **state)
{
	struct crypto_id id;
	char err[128], big[2 * CRYPTO_ID_MAX + 8];
	char many[512] = "C=CH";

	id = P("C=CH, CN=*");
	assert_true(crypto_id_has_wildcards(&id));
	id = P("C=CH, CN=moon");
	assert_false(crypto_id_has_wildcards(&id));
	id = P("*.example.org");
	assert_true(crypto_id_has_wildcards(&id));
	id = P("%any");
	assert_true(crypto_id_has_wildcards(&id));
	/* too long */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(crypto_id_parse(big, &id, err, sizeof(err)), -EINVAL);
	assert_int_equal(crypto_id_parse("@#0g", &id, err, sizeof(err)), -EINVAL);
	/* 21 RDNs: beyond strongSwan's RDN_MAX (20), so not a DN but a KEY_ID */
	for (int i = 0; i < 20; i++)
		strcat(many, ", OU=x");
	id = P(many);
	assert_int_equal(id.type, CRYPTO_ID_KEY_ID);
	many[strlen(many) - 6] = '\0';
	id = P(many);
	assert_int_equal(id.type, CRYPTO_ID_DER_ASN1_DN);
	assert_int_equal(crypto_id_dn_count(&id), 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_dn_der),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_wildcards_and_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
