/* libFuzzer target: RFC 7427 AlgorithmIdentifiers and AUTH payload data,
 * SIGNATURE_HASH_ALGORITHMS notify data and auth = ... constraint
 * strings. The first byte picks the AUTH method (1, 9, 10, 11, 14) and
 * the rest is Authentication Data, verified with fixed RSA, P-256 and
 * Ed25519 keys (made once at start with OpenSSL); the same bytes are also
 * decoded as an AlgorithmIdentifier, as notify data and as an auth string.
 * Nothing may crash or leak, and a decoded AlgorithmIdentifier that we can
 * encode again must encode to a decodable one of the same scheme. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/sig.h"
#include "crypto/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct crypto_pubkey *keys[3];

static struct crypto_pubkey *make(EVP_PKEY *k)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);
	struct crypto_pubkey *p = n > 0 ? crypto_pubkey_from_data(der, (size_t)n, NULL, 0) : NULL;

	OPENSSL_free(der);
	EVP_PKEY_free(k);
	return p;
}

static void init(void)
{
	keys[0] = make(EVP_RSA_gen(2048));
	keys[1] = make(EVP_EC_gen("P-256"));
	keys[2] = make(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	if (!keys[0] || !keys[1] || !keys[2])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t methods[] = { 1, 9, 10, 11, 14 };
	static const uint8_t octets[] = "signed octets";
	struct crypto_sig_params p, q;
	struct crypto_sig_constraints c;
	uint8_t enc[256];
	char err[256], name[64], *s;
	int n;

	if (!keys[0])
		init();
	if (size == 0)
		return 0;
	for (size_t k = 0; k < 3; k++)
		(void)crypto_sig_auth_verify(keys[k], methods[data[0] % 5], data + 1, size - 1, octets,
		                             sizeof(octets), &p, err, sizeof(err));
	if (crypto_sig_algid_decode(data, size, &p, err, sizeof(err)) == 0) {
		crypto_sig_params_fmt(&p, name, sizeof(name));
		n = crypto_sig_algid_encode(&p, enc, sizeof(enc));
		if (n > 0 && (crypto_sig_algid_decode(enc, (size_t)n, &q, err, sizeof(err)) != 0 ||
		              q.scheme != p.scheme || !crypto_sig_params_comply(&p, &q)))
			__builtin_trap();
	}
	(void)crypto_sig_hash_notify_parse(data, size);
	s = malloc(size + 1);
	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
		if (crypto_sig_constraints_parse(s, data[0] & 1, &c, err, sizeof(err)) == 0) {
			(void)crypto_sig_constraints_hashes(&c);
			(void)crypto_sig_constraints_allow_ike(&c, &p);
		}
		free(s);
	}
	return 0;
}
