/* PSK authentication (RFC 7296 2.15) behind the authenticator interface:
 * LOCAL adds AUTH = prf(prf(PSK, "Key Pad for IKEv2"), our signed
 * octets); REMOTE checks the peer's the same way. One round. Runs on the
 * control loop.
 *
 * Which PSK: with a table (ike_psks_set, ike_authn_psk_set: the daemon's secrets section)
 * the one whose owners best match the identities of this IKE SA, looked
 * up when AUTH is built or checked, as charon's credential manager finds
 * a shared key (get_shared: the best match of the other end's identity,
 * then of ours; a key without owners matches anyone). So a responder
 * checks the AUTH of a client with the secret of the identity in its
 * IDi, whatever the connection. Without a table, the connection's own
 * key (ike_conn_cfg.psk). */
#include "ike/ike_authn_psk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ike/ike_ctx.h"
#include "ike/ike_pld.h"
#include "ike/ike_proto.h"
#include "ike/ike_sa.h"
#include "util/mem.h"

/* One key of the table, with copies of its owners. */
struct ike_psk {
	struct ike_id *ids;
	unsigned nids;
	uint8_t key[IKE_PSK_MAX];
	size_t len;
	uint8_t type;                /* enum ike_shared_type */
};

struct psk {
	struct ike_authn a;          /* first: the interface */
	const struct ike_ctx *ctx;   /* its table, if it has one */
	struct ike_id remote_id;     /* the connection's: the peer before its ID came */
	uint8_t key[IKE_PSK_MAX];    /* without a table: the connection's */
	size_t len;
	bool done;                   /* LOCAL: AUTH sent; REMOTE: the peer's verified */
};

static void psks_free(struct ike_psk *t, unsigned n)
{
	for (unsigned i = 0; t && i < n; i++) {
		free(t[i].ids);
		mem_wipe(t[i].key, sizeof(t[i].key));
	}
	free(t);
}

void ike_authn_psk_clear(struct ike_ctx *ctx)
{
	for (unsigned i = 0; i < IKE_PSK_SOURCES; i++) {
		psks_free(ctx->psks[i], ctx->npsks[i]);
		ctx->psks[i] = NULL;
		ctx->npsks[i] = 0;
	}
	ctx->psks_set = false;
}

int ike_authn_psk_set(struct ike_ctx *ctx, enum ike_psk_source source,
                      const struct ike_psk_cfg *psks, unsigned n)
{
	struct ike_psk *t;

	if ((unsigned)source >= IKE_PSK_SOURCES)
		return -EINVAL;
	if (!(t = calloc(n ? n : 1, sizeof(*t))))
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		if (psks[i].len > IKE_PSK_MAX || (psks[i].nids && !psks[i].ids) ||
		    psks[i].type > IKE_SHARED_EAP) {
			psks_free(t, n);
			return -EINVAL;
		}
		if (psks[i].nids && !(t[i].ids = calloc(psks[i].nids, sizeof(*t[i].ids)))) {
			psks_free(t, n);
			return -ENOMEM;
		}
		if (psks[i].nids)
			memcpy(t[i].ids, psks[i].ids, psks[i].nids * sizeof(*t[i].ids));
		t[i].nids = psks[i].nids;
		memcpy(t[i].key, psks[i].key, psks[i].len);
		t[i].len = psks[i].len;
		t[i].type = psks[i].type;
	}
	psks_free(ctx->psks[source], ctx->npsks[source]);
	ctx->psks[source] = t;
	ctx->npsks[source] = n;
	ctx->psks_set = true;
	return 0;
}

/* How well one of k's owners matches id (an unset id: not at all; no
 * owners: anyone, with the lowest score). */
static int owner_match(const struct ike_psk *k, const struct ike_id *id)
{
	int best = 0;

	if (!k->nids)
		return 1;
	if (!id || !id->type)
		return 0;
	for (unsigned i = 0; i < k->nids; i++) {
		int m = ike_id_match(id, &k->ids[i]);
		if (m > best)
			best = m;
	}
	return best;
}

/* The key for me and other (credential_manager.c get_shared): the
 * best match of other, then of me; neither matching: not that key. */
static const struct ike_psk *psk_find(const struct ike_ctx *ctx, enum ike_shared_type type,
                                      const struct ike_id *me, const struct ike_id *other)
{
	const struct ike_psk *found = NULL;
	int best_me = 0, best_other = 0;

	for (unsigned src = 0; src < IKE_PSK_SOURCES; src++)
		for (unsigned i = 0; i < ctx->npsks[src]; i++) {
			const struct ike_psk *k = &ctx->psks[src][i];
			int m_me, m_other;

			if (k->type != type)
				continue;
			m_me = owner_match(k, me);
			m_other = owner_match(k, other);
			if (!m_me && !m_other)
				continue;
			if (!found || m_other > best_other ||
			    (m_other == best_other && m_me > best_me)) {
				found = k;
				best_me = m_me;
				best_other = m_other;
			}
		}
	return found;
}

int ike_authn_shared_get(const struct ike_ctx *ctx, enum ike_shared_type type,
                         const struct ike_id *me, const struct ike_id *other,
                         const uint8_t **key, size_t *len)
{
	const struct ike_psk *k = ctx ? psk_find(ctx, type, me, other) : NULL;

	if (!k || !k->len)
		return -ENOENT;
	*key = k->key;
	*len = k->len;
	return 0;
}

/* This round's key and its length; false (with why) if there is none. */
static bool psk_key(const struct psk *p, const struct ike_authn_round *r, const uint8_t **key,
                    size_t *len)
{
	const struct ike_id *other = r->peer_id ? r->peer_id : &p->remote_id;
	const struct ike_psk *k;
	char a[256], b[256];

	if (!p->ctx || !p->ctx->psks_set) {
		*key = p->key;
		*len = p->len;
		return p->len > 0;
	}
	k = psk_find(p->ctx, IKE_SHARED_IKE, r->local_id, other);
	if (!k || !k->len) {
		snprintf(r->why, r->whylen, "no shared key found for '%s' - '%s'",
		         ike_id_fmt(r->local_id, a, sizeof(a)), ike_id_fmt(other, b, sizeof(b)));
		return false;
	}
	*key = k->key;
	*len = k->len;
	return true;
}

static struct psk *psk_of(struct ike_authn *a)
{
	return (struct psk *)a;
}

static enum ike_authn_status psk_build(struct ike_authn *a, const struct ike_authn_round *r,
                                       struct ike_mb *mb)
{
	struct psk *p = psk_of(a);
	const uint8_t *key;
	size_t len;

	if (a->role == IKE_AUTHN_REMOTE || p->done)
		return p->done ? IKE_AUTHN_DONE : IKE_AUTHN_NEED_MORE;   /* nothing to send */
	if (!psk_key(p, r, &key, &len))
		return IKE_AUTHN_FAILED;
	if (ike_authn_shared_key_put(mb, r->prf, key, len, r->local_octets,
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
	const uint8_t *key;
	size_t len;
	char why[128];
	int rc;

	if (a->role == IKE_AUTHN_LOCAL || p->done)
		return p->done ? IKE_AUTHN_DONE : IKE_AUTHN_NEED_MORE;   /* nothing to read */
	if (!r->peer_octets) {
		snprintf(r->why, r->whylen, "PSK authentication: no identity");
		return IKE_AUTHN_FAILED;
	}
	if (!psk_key(p, r, &key, &len))
		return IKE_AUTHN_FAILED;
	rc = ike_authn_shared_key_check(m, r->prf, key, len, r->peer_octets,
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
	const struct ike_ctx *ctx = env->sa ? env->sa->ctx : NULL;
	bool table = ctx && ctx->psks_set;
	struct psk *p;

	if (!env->cfg || env->cfg->psk_len > sizeof(p->key) || (!table && !env->cfg->psk_len))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->a.ops = &psk_ops;
	p->a.role = role;
	p->ctx = ctx;
	p->remote_id = env->cfg->remote_id;
	/* no remote id: the peer's address stands for it until its ID comes,
	 * as the lookup when the connection was loaded had it */
	if (!p->remote_id.type && env->sa && env->sa->remote.addr.family) {
		const struct ip_addr *ra = &env->sa->remote.addr;

		p->remote_id.type = ra->family == AF_INET ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR;
		p->remote_id.len = (uint16_t)ip_addr_len(ra);
		memcpy(p->remote_id.data, ra->a, p->remote_id.len);
	}
	memcpy(p->key, env->cfg->psk, env->cfg->psk_len);
	p->len = env->cfg->psk_len;
	return &p->a;
}
