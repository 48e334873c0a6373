/* Random bytes for SPIs, nonces, IVs and keys: OpenSSL's RAND_bytes.
 * Tests may install a deterministic source (process-global, set before any
 * use and never in production code paths). */
#ifndef UIPSEC_CRYPTO_RAND_H
#define UIPSEC_CRYPTO_RAND_H

#include <stddef.h>

/* Fill buf with n random bytes. Returns 0 or -EIO if the RNG failed (the
 * caller must not go on with the bytes). */
int crypto_rand(void *buf, size_t n);

/* Test hook: fn replaces the RNG (NULL restores OpenSSL's). */
typedef int (*crypto_rand_fn)(void *ctx, void *buf, size_t n);
void crypto_rand_set_source(crypto_rand_fn fn, void *ctx);

#endif
