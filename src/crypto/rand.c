/* RAND_bytes with a test hook (process-global: tests set it before use). */
#include "crypto/rand.h"

#include <errno.h>
#include <limits.h>
#include <openssl/rand.h>

static crypto_rand_fn test_fn;
static void *test_ctx;

void crypto_rand_set_source(crypto_rand_fn fn, void *ctx)
{
	test_fn = fn;
	test_ctx = ctx;
}

int crypto_rand(void *buf, size_t n)
{
	if (test_fn)
		return test_fn(test_ctx, buf, n);
	if (n > INT_MAX || RAND_bytes(buf, (int)n) != 1)
		return -EIO;
	return 0;
}
