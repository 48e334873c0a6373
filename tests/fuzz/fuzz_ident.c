/* libFuzzer target: identities. The input is taken as an identity string
 * (strongSwan's syntax: DNs, @fqdn, @#hex, prefixes ...) and, separately,
 * as an ID payload (first byte the ID type, the rest its data). Each
 * parsed identity is printed, must match itself, and is matched against
 * the other and against wildcard patterns. Must not crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ident.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void use(const struct crypto_id *id)
{
	static char buf[CRYPTO_ID_STRLEN];
	static const char *const pats[] = { "%any", "C=CH, O=strongSwan, CN=*", "*.example.org", "10.0.0.0/8",
	                                    "*@example.org", "C=*, CN=*" };
	struct crypto_id p;

	crypto_id_fmt(id, buf, sizeof(buf));
	(void)crypto_id_has_wildcards(id);
	(void)crypto_id_dn_count(id);
	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
		if (crypto_id_parse(pats[i], &p, NULL, 0) == 0)
			(void)crypto_id_match(id, &p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crypto_id a, b;
	char err[128];
	char *s = malloc(size + 1);
	bool ha = false, hb = false;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (crypto_id_parse(s, &a, err, sizeof(err)) == 0) {
		ha = true;
		use(&a);
		/* an identity without wildcards matches itself perfectly */
		if (a.type != CRYPTO_ID_ANY && a.type != CRYPTO_ID_DER_ASN1_GN &&
		    !crypto_id_has_wildcards(&a) && (a.type != CRYPTO_ID_DER_ASN1_DN || crypto_id_dn_count(&a) >= 0) &&
		    crypto_id_match(&a, &a) != CRYPTO_ID_MATCH_PERFECT && a.type != CRYPTO_ID_FQDN &&
		    a.type != CRYPTO_ID_RFC822_ADDR)
			__builtin_trap();
	}
	if (size >= 1 && crypto_id_from_payload(data[0], data + 1, size - 1, &b, err, sizeof(err)) == 0) {
		hb = true;
		use(&b);
		if (b.type == CRYPTO_ID_DER_ASN1_DN && crypto_id_dn_count(&b) < 0)
			__builtin_trap();   /* accepted DNs are well-formed */
	}
	if (ha && hb) {
		(void)crypto_id_match(&a, &b);
		(void)crypto_id_match(&b, &a);
		(void)crypto_id_equal(&a, &b);
	}
	free(s);
	return 0;
}
