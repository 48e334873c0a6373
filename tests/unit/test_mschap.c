/* Known answers for MS-CHAPv2 (crypto/mschap.c): the example of RFC 2759
 * section 9.2 (user "User", password "clientPass") for the NT password
 * hash, the NT-Response and the authenticator response, and RFC 3079
 * section 3.5.3 for the MPPE keys inside the 64-byte MSK. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/mschap.h"
#include "hexutil.h"

static const char *user = "User";
static const char *pw = "clientPass";

static void want_hex(const uint8_t *got, size_t len, const char *want)
{
	uint8_t w[128];

	assert_int_equal(hx(want, w, sizeof(w)), len);
	assert_memory_equal(got, w, len);
}

static void chals(uint8_t auth[16], uint8_t peer[16])
{
	hx("5B5D7C7D7B3F2F3E3C2C602132262628", auth, 16);
	hx("21402324255E262A28295F2B3A337C7E", peer, 16);
}

static void test_available(void **state)
{
	char why[256] = "";

	(void)state;
	/* Debian 12's libssl3 ships ossl-modules/legacy.so */
	assert_true(crypto_mschap_available(why, sizeof(why)));
}

static void test_rfc2759(void **state)
{
	uint8_t h[16], ac[16], pc[16], r[24];
	char s[CRYPTO_MSCHAP_AUTH_RESP_LEN + 1];

	(void)state;
	chals(ac, pc);
	assert_int_equal(crypto_mschap_nt_hash((const uint8_t *)pw, strlen(pw), h), 0);
	want_hex(h, 16, "44EBBA8D5312B8D611474411F56989AE");
	assert_int_equal(crypto_mschap_nt_response(h, ac, pc, (const uint8_t *)user, strlen(user), r), 0);
	want_hex(r, 24, "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");
	assert_int_equal(crypto_mschap_auth_response(h, r, ac, pc, (const uint8_t *)user,
	                                             strlen(user), s), 0);
	assert_string_equal(s, "S=407A5589115FD0D6209F510FE9C04566932CDA56");
	/* a wrong password gives another response (the check that can fail) */
	assert_int_equal(crypto_mschap_nt_hash((const uint8_t *)"clientPasx", 10, h), 0);
	assert_int_equal(crypto_mschap_nt_response(h, ac, pc, (const uint8_t *)user, strlen(user), r), 0);
	assert_memory_not_equal(r, "\x82\x30\x9E\xCD\x8D\x70\x8B\x5E", 8);
}

static void test_rfc3079_msk(void **state)
{
	uint8_t h[16], r[24], msk[64], zero[32] = { 0 };

	(void)state;
	hx("44EBBA8D5312B8D611474411F56989AE", h, 16);
	hx("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF", r, 24);
	assert_int_equal(crypto_mschap_msk(h, r, msk), 0);
	/* MSK = server receive key | server send key (RFC 3079's SendStartKey128) | 0^32 */
	want_hex(msk + 16, 16, "8B7CDC149B993A1BA118CB153F56DCCB");
	assert_memory_not_equal(msk, msk + 16, 16);
	assert_memory_equal(msk + 32, zero, 32);
}

static void test_limits(void **state)
{
	uint8_t big[300] = { 0 }, h[16];

	(void)state;
	assert_int_equal(crypto_mschap_nt_hash(big, sizeof(big), h), -EINVAL);
	assert_int_equal(crypto_mschap_nt_hash(big, 0, h), 0);
	/* MD4 of the empty string */
	want_hex(h, 16, "31D6CFE0D16AE931B73C59D7E0C089C0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_available),
		cmocka_unit_test(test_rfc2759),
		cmocka_unit_test(test_rfc3079_msk),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
