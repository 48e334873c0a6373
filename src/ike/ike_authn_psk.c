/* PSK authentication (RFC 7296 2.15) behind the authenticator interface:
 * LOCAL adds AUTH = prf(prf(PSK, "Key Pad for IKEv2"), our signed
 * octets); REMOTE checks the peer's the same way. One round. Runs on the
 * control loop. */
#include "ike/ike_authn_psk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

struct psk {
	struct ike_authn a;          /* first: the interface */
	uint8_t key[IKE_PSK_MAX];
	size_t len;
	bool done;                   /* LOCAL: AUTH sent; REMOTE: the peer's verified */
};

static struct psk *psk_of(struct ike_authn *a)
{
	return (struct psk *)a;
}

static enum ike_authn_status psk_build(struct ike_authn *a, const struct ike_authn_round *r,
                                       struct ike_mb *mb)
{
	struct psk *p = psk_of(a);

	if (a->role == IKE_AUTHN_REMOTE || p->done)
		return p->done ? IKE_AUTHN_DONE : IKE_AUTHN_NEED_MORE;   /* nothing to send */
	if (ike_authn_shared_key_put(mb, r->prf, p->key, p->len, r->local_octets,
	                             r->local_octets_len)) {
		snprintf(r->why, r->whylen, "cannot compute the PSK AUTH value");
		return IKE_AUTHN_FAILED;
	}
	p->done = true;
	return IKE_AUTHN_DONE;
}

static enum ike_authn_status psk_process(struct ike_authn *a, const struct ike_authn_round *r,
                                         const struct ike_msg *m)
{
	struct psk *p = psk_of(a);
	char why[128];
	int rc;

	if (a->role == IKE_AUTHN_LOCAL || p->done)
		return p->done ? IKE_AUTHN_DONE : IKE_AUTHN_NEED_MORE;   /* nothing to read */
	if (!r->peer_octets) {
		snprintf(r->why, r->whylen, "PSK authentication: no identity");
		return IKE_AUTHN_FAILED;
	}
	rc = ike_authn_shared_key_check(m, r->prf, p->key, p->len, r->peer_octets,
	                                r->peer_octets_len, why, sizeof(why));
	if (rc == -EACCES) {
		snprintf(r->why, r->whylen, "PSK authentication (check that both sides use the "
		         "same secret for this identity)");
		return IKE_AUTHN_FAILED;
	}
	if (rc) {
		snprintf(r->why, r->whylen, "PSK authentication: %s", why);
		return IKE_AUTHN_FAILED;
	}
	p->done = true;
	return IKE_AUTHN_DONE;
}

static void psk_destroy(struct ike_authn *a)
{
	mem_free_wipe(psk_of(a), sizeof(struct psk));
}

static const struct ike_authn_ops psk_ops = {
	.name = "psk",
	.build = psk_build,
	.process = psk_process,
	.destroy = psk_destroy,
};

struct ike_authn *ike_authn_psk_new(const struct ike_authn_env *env, enum ike_authn_role role)
{
	struct psk *p;

	if (!env->cfg || !env->cfg->psk_len || env->cfg->psk_len > sizeof(p->key))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->a.ops = &psk_ops;
	p->a.role = role;
	memcpy(p->key, env->cfg->psk, env->cfg->psk_len);
	p->len = env->cfg->psk_len;
	return &p->a;
}
