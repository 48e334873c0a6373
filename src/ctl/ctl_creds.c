/* struct ike_creds over struct creds: lookups and signatures for the
 * IKE core's pubkey authenticator. Nothing here logs or keeps state
 * beyond the store pointer; the private key is looked up for every
 * signature, so a reload that removed it is noticed (-ENOKEY). */
#include "ctl/ctl_creds.h"

#include <errno.h>
#include <string.h>

#include "conf/creds.h"
#include "crypto/sig.h"
#include "crypto/x509.h"

static const struct crypto_trust *cc_trust(void *ctx)
{
	struct ctl_creds *cc = ctx;

	return cc->store ? creds_trust(cc->store) : NULL;
}

static struct crypto_cert *cc_find_cert(void *ctx, const struct crypto_id *id, bool need_key)
{
	struct ctl_creds *cc = ctx;
	const struct crypto_cert *c = cc->store ? creds_find_cert(cc->store, id, need_key) : NULL;

	return c ? crypto_cert_ref(c) : NULL;
}

static bool cc_is_local(void *ctx, const struct crypto_cert *cert)
{
	struct ctl_creds *cc = ctx;

	return cc->store && creds_is_local(cc->store, cert);
}

static bool cc_has_key(void *ctx, const struct crypto_pubkey *pub)
{
	struct ctl_creds *cc = ctx;

	return cc->store && creds_find_privkey(cc->store, pub);
}

static int cc_sign(void *ctx, const struct crypto_pubkey *pub, uint8_t method,
                   const struct crypto_sig_params *p, const uint8_t *octets, size_t len,
                   uint8_t *out, size_t outmax)
{
	struct ctl_creds *cc = ctx;
	const struct crypto_privkey *k = cc->store ? creds_find_privkey(cc->store, pub) : NULL;

	if (!k)
		return -ENOKEY;
	return crypto_sig_auth_sign(k, method, p, octets, len, out, outmax);
}

void ctl_creds_init(struct ctl_creds *cc)
{
	memset(cc, 0, sizeof(*cc));
	cc->ike = (struct ike_creds){
		.ctx = cc, .trust = cc_trust, .find_cert = cc_find_cert, .is_local = cc_is_local,
		.has_key = cc_has_key, .sign = cc_sign,
	};
}

void ctl_creds_set(struct ctl_creds *cc, struct creds *store)
{
	if (cc->store != store)
		creds_free(cc->store);
	cc->store = store;
}

void ctl_creds_free(struct ctl_creds *cc)
{
	creds_free(cc->store);
	cc->store = NULL;
}
