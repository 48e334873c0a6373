/* The authenticator registry and the shared-key AUTH of RFC 7296 2.15,
 * used by the PSK authenticator and by the IKE_AUTH task for the
 * MSK-keyed AUTH after EAP (2.16). Runs on the control loop. */
#include "ike/ike_authn.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crypto/prf.h"
#include "ike/ike_ctx.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_proto.h"
#include "util/mem.h"

void ike_authn_register(struct ike_ctx *ctx, enum ike_auth_class cls, ike_authn_new_fn fn)
{
	if ((unsigned)cls < IKE_AUTH_CLASS_MAX)
		ctx->authn_new[cls] = fn;
}

bool ike_authn_supported(const struct ike_ctx *ctx, enum ike_auth_class cls)
{
	return (unsigned)cls < IKE_AUTH_CLASS_MAX && ctx->authn_new[cls];
}

struct ike_authn *ike_authn_new(const struct ike_ctx *ctx, enum ike_auth_class cls,
                                enum ike_authn_role role, const struct ike_conn_cfg *cfg,
                                struct ike_sa *sa)
{
	struct ike_authn_env env = { .cfg = cfg, .creds = ctx->creds, .sa = sa };
	struct ike_authn *a;

	if (!ike_authn_supported(ctx, cls))
		return NULL;
	a = ctx->authn_new[cls](&env, role);
	if (a)
		a->role = role;
	return a;
}

void ike_authn_free(struct ike_authn *a)
{
	if (a)
		a->ops->destroy(a);
}

int ike_authn_shared_key(int prf, const uint8_t *key, size_t keylen, const uint8_t *octets,
                         size_t len, uint8_t *out)
{
	static const char pad[] = "Key Pad for IKEv2";
	uint8_t k[CRYPTO_PRF_MAX];
	int rc;

	/* AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>) */
	rc = crypto_prf(prf, key, keylen, (const uint8_t *)pad, sizeof(pad) - 1, k);
	if (!rc)
		rc = crypto_prf(prf, k, crypto_prf_len(prf), octets, len, out);
	mem_wipe(k, sizeof(k));
	return rc;
}

int ike_authn_shared_key_put(struct ike_mb *mb, int prf, const uint8_t *key, size_t keylen,
                             const uint8_t *octets, size_t len)
{
	uint8_t auth[CRYPTO_PRF_MAX];
	int rc = ike_authn_shared_key(prf, key, keylen, octets, len, auth);

	if (!rc)
		ike_pld_auth_put(mb, IKE_AUTH_PSK, auth, crypto_prf_len(prf));
	mem_wipe(auth, sizeof(auth));
	return rc;
}

int ike_authn_shared_key_check(const struct ike_msg *m, int prf, const uint8_t *key,
                               size_t keylen, const uint8_t *octets, size_t len, char *why,
                               size_t whylen)
{
	const struct ike_pld *p = ike_msg_find(m, IKE_PLD_AUTH);
	uint8_t method, want[CRYPTO_PRF_MAX];
	const uint8_t *data;
	size_t dlen;
	bool ok;

	if (!p || ike_pld_auth_parse(p->body, p->len, &method, &data, &dlen)) {
		snprintf(why, whylen, "no AUTH payload");
		return -ENOENT;
	}
	/* RFC 7296 3.8: method 2 is the Shared Key Message Integrity Code */
	if (method != IKE_AUTH_PSK) {
		snprintf(why, whylen, "AUTH method %u where a shared key (2) was expected", method);
		return -EPROTO;
	}
	if (dlen != crypto_prf_len(prf) || ike_authn_shared_key(prf, key, keylen, octets, len, want)) {
		snprintf(why, whylen, "AUTH of %zu bytes where %zu were expected", dlen,
		         crypto_prf_len(prf));
		return -EMSGSIZE;
	}
	ok = mem_equal_ct(want, data, dlen);
	mem_wipe(want, sizeof(want));
	if (!ok) {
		snprintf(why, whylen, "the AUTH value does not match");
		return -EACCES;
	}
	return 0;
}
