/* IKE SA lifecycle: states and their legal transitions, creation, the end
 * of an SA with its reason, destruction. Runs on the control loop. */
#include "ike/ike_sa.h"
#include "ike/ike_vip.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ident.h"
#include "crypto/rand.h"
#include "ike/ike_authn_pubkey.h"
#include "ike/ike_child.h"
#include "ike/ike_ctx.h"
#include "util/mem.h"

static const char *const state_names[IKE_STATE_MAX] = {
	[IKE_STATE_CREATED] = "CREATED",
	[IKE_STATE_INIT_SENT] = "INIT_SENT",
	[IKE_STATE_INIT_RESPONDED] = "INIT_RESPONDED",
	[IKE_STATE_AUTH_SENT] = "AUTH_SENT",
	[IKE_STATE_ESTABLISHED] = "ESTABLISHED",
	[IKE_STATE_DELETING] = "DELETING",
	[IKE_STATE_DEAD] = "DEAD",
};

int ike_nonce_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);

	return r ? r : (alen > blen) - (alen < blen);
}

const char *ike_state_name(enum ike_state s)
{
	return (unsigned)s < IKE_STATE_MAX ? state_names[s] : "?";
}

/* Legal transitions: from -> bit set of to. Any state may become DEAD,
 * through ike_sa_end only (so that every end has a reason). */
static const unsigned legal[IKE_STATE_MAX] = {
	/* CREATED -> ESTABLISHED: the successor of a rekeyed IKE SA */
	[IKE_STATE_CREATED] = 1u << IKE_STATE_INIT_SENT | 1u << IKE_STATE_INIT_RESPONDED |
	                      1u << IKE_STATE_ESTABLISHED,
	[IKE_STATE_INIT_SENT] = 1u << IKE_STATE_INIT_SENT | 1u << IKE_STATE_AUTH_SENT,
	[IKE_STATE_INIT_RESPONDED] = 1u << IKE_STATE_ESTABLISHED,
	[IKE_STATE_AUTH_SENT] = 1u << IKE_STATE_ESTABLISHED,
	[IKE_STATE_ESTABLISHED] = 1u << IKE_STATE_DELETING,
	[IKE_STATE_DELETING] = 0,
	[IKE_STATE_DEAD] = 0,
};

static int set_state(struct ike_sa *sa, enum ike_state to)
{
	enum ike_state from = sa->state;

	if ((unsigned)to >= IKE_STATE_MAX ||
	    (to != IKE_STATE_DEAD && !(legal[from] & (1u << to)))) {
		sa_err(sa, "refusing illegal state change %s -> %s", ike_state_name(from),
		       ike_state_name(to));
		return -EINVAL;
	}
	if (from == IKE_STATE_INIT_RESPONDED && sa->ctx->half_open)
		sa->ctx->half_open--;
	if (to == IKE_STATE_INIT_RESPONDED)
		sa->ctx->half_open++;
	sa->state = to;
	sa_debug(sa, "state %s -> %s", ike_state_name(from), ike_state_name(to));
	return 0;
}

int ike_sa_set_state(struct ike_sa *sa, enum ike_state to)
{
	if (to == IKE_STATE_DEAD) {
		sa_err(sa, "refusing to kill an IKE_SA without a reason (use ike_sa_end)");
		return -EINVAL;
	}
	return set_state(sa, to);
}

void ike_sa_end(struct ike_sa *sa, enum ike_end_reason reason)
{
	struct ike_ctx *ctx = sa->ctx;
	bool was_up = sa->state == IKE_STATE_ESTABLISHED || sa->state == IKE_STATE_DELETING;

	if (sa->state == IKE_STATE_DEAD)
		return;
	if ((unsigned)reason >= IKE_END_MAX)
		reason = IKE_END_INTERNAL;
	sa->end_reason = reason;
	ctx->stats.ike_ended[reason]++;
	/* a rekeyed SA lives on in its successor: not a deleted tunnel */
	if (was_up && !sa->rekeyed)
		ctx->stats.ike_deleted++;
	sa_info(sa, "IKE_SA ended (%s) in state %s", ike_end_reason_name(reason),
	        ike_state_name(sa->state));
	/* its leases go offline now, so that a client reconnecting (its
	 * INITIAL_CONTACT ends this SA) gets its address back */
	ike_vip_release(sa);
	if (sa->conn) {
		sa->conn->last_end = reason;
		sa->conn->last_end_ms = ike_now(ctx);
	}
	if (ctx->io.ike_ended) {
		struct ike_end_event ev = {
			.conn = sa->conn ? sa->conn->cfg.name : "-",
			.spi_i = sa->spi_i, .spi_r = sa->spi_r, .initiator = sa->initiator,
			.established = was_up && !sa->rekeyed, .reason = reason,
			.unique_id = sa->unique_id,
		};
		ctx->io.ike_ended(ctx->io.ctx, &ev);
	}
	set_state(sa, IKE_STATE_DEAD);
	sa->ctx->ndead++;
	/* keyingtries, dpd_action: what becomes of its tunnels */
	ike_conn_sa_ended(sa, was_up);
}

/* ---- the SAs by SPIi ---- */

/* splitmix64's finalizer over the SPI mixed with the context's secret:
 * SPIi is the peer's choice, so its bucket must not be. */
static unsigned spi_bucket(const struct ike_ctx *ctx, uint64_t spi)
{
	uint64_t x = spi ^ ctx->sa_hash_key;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	x ^= x >> 31;
	return (unsigned)(x & (ctx->sa_hash_size - 1));
}

/* An identity's hash, the same for every two that ike_id_equal takes as
 * equal: FQDNs and e-mail addresses compare without case, DNs by their
 * parts (dn_compare), so only their length counts here. */
static uint32_t id_hash(const struct ike_ctx *ctx, const struct ike_id *id)
{
	uint32_t h = (2166136261u ^ (uint32_t)ctx->sa_hash_key ^ id->type) * 16777619u;

	h = (h ^ id->len) * 16777619u;
	if (id->type == CRYPTO_ID_DER_ASN1_DN)
		return h;
	for (unsigned i = 0; i < id->len && i < sizeof(id->data); i++) {
		uint8_t c = id->data[i];
		if ((id->type == CRYPTO_ID_FQDN || id->type == CRYPTO_ID_RFC822_ADDR) &&
		    c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
	}
	return h ^ (h >> 15);
}

static void hash_link(struct ike_sa *sa)
{
	struct ike_ctx *ctx = sa->ctx;
	struct ike_sa **b = &ctx->sa_hash[spi_bucket(ctx, sa->spi_i)];

	sa->hnext = *b;
	*b = sa;
	b = &ctx->id_hash[sa->idh & (ctx->sa_hash_size - 1)];
	sa->idnext = *b;
	*b = sa;
}

static void id_unlink(struct ike_sa *sa)
{
	struct ike_ctx *ctx = sa->ctx;

	for (struct ike_sa **pp = &ctx->id_hash[sa->idh & (ctx->sa_hash_size - 1)]; *pp;
	     pp = &(*pp)->idnext)
		if (*pp == sa) {
			*pp = sa->idnext;
			break;
		}
	sa->idnext = NULL;
}

static void hash_unlink(struct ike_sa *sa)
{
	struct ike_ctx *ctx = sa->ctx;

	for (struct ike_sa **pp = &ctx->sa_hash[spi_bucket(ctx, sa->spi_i)]; *pp; pp = &(*pp)->hnext)
		if (*pp == sa) {
			*pp = sa->hnext;
			break;
		}
	sa->hnext = NULL;
	id_unlink(sa);
}

/* Room for one more SA: the table doubles once it holds as many SAs as
 * it has buckets. -ENOMEM if the first table cannot be had (a failed
 * growth keeps the old one: longer chains, still right). */
static int hash_grow(struct ike_ctx *ctx)
{
	unsigned n = ctx->sa_hash_size ? ctx->sa_hash_size * 2 : 64;
	struct ike_sa **old = ctx->sa_hash, **by_id, **by_spi;
	unsigned old_size = ctx->sa_hash_size;

	if (ctx->nsas < ctx->sa_hash_size)
		return 0;
	if (!ctx->sa_hash_key && crypto_rand(&ctx->sa_hash_key, sizeof(ctx->sa_hash_key)))
		return -EIO;
	by_spi = calloc(n, sizeof(*by_spi));
	by_id = calloc(n, sizeof(*by_id));
	if (!by_spi || !by_id) {
		free(by_spi);
		free(by_id);
		return old ? 0 : -ENOMEM;
	}
	free(ctx->id_hash);
	ctx->sa_hash = by_spi;
	ctx->id_hash = by_id;
	ctx->sa_hash_size = n;
	for (unsigned i = 0; i < old_size; i++)
		for (struct ike_sa *sa = old[i], *next; sa; sa = next) {
			next = sa->hnext;
			hash_link(sa);
		}
	free(old);
	return 0;
}

void ike_sa_set_spi_i(struct ike_sa *sa, uint64_t spi_i)
{
	hash_unlink(sa);
	sa->spi_i = spi_i;
	hash_link(sa);
}

const struct ike_id *ike_sa_peer_eap_id(const struct ike_sa *sa)
{
	return sa->peer_eap_id ? sa->peer_eap_id : &sa->peer_id;
}

static void id_link(struct ike_sa *sa)
{
	sa->idh = id_hash(sa->ctx, ike_sa_peer_eap_id(sa));
	struct ike_sa **b = &sa->ctx->id_hash[sa->idh & (sa->ctx->sa_hash_size - 1)];
	sa->idnext = *b;
	*b = sa;
}

int ike_sa_set_peer_eap_id(struct ike_sa *sa, const struct ike_id *id)
{
	if (!sa->peer_eap_id && !(sa->peer_eap_id = malloc(sizeof(*sa->peer_eap_id))))
		return -ENOMEM;
	id_unlink(sa);
	*sa->peer_eap_id = *id;
	id_link(sa);
	return 0;
}

void ike_sa_set_peer_id(struct ike_sa *sa, const struct ike_id *id)
{
	id_unlink(sa);
	sa->peer_id = *id;
	id_link(sa);
}

struct ike_sa *ike_sa_by_peer_id(struct ike_ctx *ctx, const struct ike_id *id, struct ike_sa *after)
{
	uint32_t h;
	struct ike_sa *sa;

	if (!ctx->sa_hash_size)
		return NULL;
	h = id_hash(ctx, id);
	sa = after ? after->idnext : ctx->id_hash[h & (ctx->sa_hash_size - 1)];
	for (; sa; sa = sa->idnext)
		if (sa->idh == h)
			return sa;
	return NULL;
}

struct ike_sa *ike_sa_by_spi_i(struct ike_ctx *ctx, uint64_t spi_i, struct ike_sa *after)
{
	struct ike_sa *sa;

	if (!ctx->sa_hash_size)
		return NULL;
	sa = after ? after->hnext : ctx->sa_hash[spi_bucket(ctx, spi_i)];
	for (; sa; sa = sa->hnext)
		if (sa->spi_i == spi_i)
			return sa;
	return NULL;
}

/* ---- SAs with work (ike.c, run_all) ---- */

void ike_sa_want_run(struct ike_sa *sa)
{
	struct ike_ctx *ctx = sa->ctx;

	if (sa->work_pprev)
		return;
	sa->work_next = ctx->work;
	if (ctx->work)
		ctx->work->work_pprev = &sa->work_next;
	sa->work_pprev = &ctx->work;
	ctx->work = sa;
}

void ike_sa_work_done(struct ike_sa *sa)
{
	if (!sa->work_pprev)
		return;
	*sa->work_pprev = sa->work_next;
	if (sa->work_next)
		sa->work_next->work_pprev = sa->work_pprev;
	sa->work_next = NULL;
	sa->work_pprev = NULL;
}

struct ike_sa *ike_sa_new(struct ike_ctx *ctx, struct ike_conn *conn, bool initiator)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));
	uint64_t spi = 0;

	if (!sa)
		return NULL;
	/* an SPI of zero means "not yet known" on the wire */
	while (spi == 0)
		if (crypto_rand(&spi, sizeof(spi))) {
			free(sa);
			return NULL;
		}
	if (hash_grow(ctx)) {
		free(sa);
		return NULL;
	}
	sa->ctx = ctx;
	sa->conn = conn;
	sa->unique_id = ++ctx->next_unique_id;
	sa->initiator = initiator;
	if (initiator)
		sa->spi_i = spi;
	else
		sa->spi_r = spi;
	sa->auth_child = -1;
	sa->created_ms = sa->last_rx_ms = ike_now(ctx);
	sa->next = ctx->sas;
	if (ctx->sas)
		ctx->sas->pprev = &sa->next;
	sa->pprev = &ctx->sas;
	ctx->sas = sa;
	sa->idh = id_hash(ctx, &sa->peer_id);
	hash_link(sa);
	ctx->nsas++;
	return sa;
}

void ike_sa_destroy(struct ike_sa *sa)
{
	struct ike_ctx *ctx = sa->ctx;

	/* tasks first: one may still hold a CHILD SA it was creating */
	ike_mgr_clear(sa);
	while (sa->children)
		ike_child_end(sa, sa->children, CHILD_END_IKE_ENDED);
	if (sa->state == IKE_STATE_INIT_RESPONDED && ctx->half_open)
		ctx->half_open--;
	if (sa->state == IKE_STATE_DEAD && ctx->ndead)
		ctx->ndead--;
	*sa->pprev = sa->next;
	if (sa->next)
		sa->next->pprev = sa->pprev;
	hash_unlink(sa);
	ctx->nsas--;
	ike_sa_work_done(sa);
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->peer_eap_id);
	ike_authn_pubkey_sa_clear(sa);
	mem_free_wipe(sa, sizeof(*sa));
}

struct ike_sa *ike_sa_find(struct ike_ctx *ctx, uint64_t spi_i, uint64_t spi_r)
{
	for (struct ike_sa *sa = ike_sa_by_spi_i(ctx, spi_i, NULL); sa;
	     sa = ike_sa_by_spi_i(ctx, spi_i, sa))
		if (sa->spi_r == spi_r && sa->state != IKE_STATE_DEAD)
			return sa;
	return NULL;
}

void ike_sa_keys_out(const struct ike_sa *sa, struct crypto_ike_keys *k)
{
	k->encr = sa->encr;
	k->enc_key = sa->initiator ? sa->sk_ei : sa->sk_er;
	k->enc_key_len = sa->enc_len;
	k->integ = sa->integ;
	k->integ_key = sa->initiator ? sa->sk_ai : sa->sk_ar;
	k->integ_key_len = sa->integ_len;
}

void ike_sa_keys_in(const struct ike_sa *sa, struct crypto_ike_keys *k)
{
	k->encr = sa->encr;
	k->enc_key = sa->initiator ? sa->sk_er : sa->sk_ei;
	k->enc_key_len = sa->enc_len;
	k->integ = sa->integ;
	k->integ_key = sa->initiator ? sa->sk_ar : sa->sk_ai;
	k->integ_key_len = sa->integ_len;
}

int ike_sa_set_algs(struct ike_sa *sa, const struct ike_proposal *p)
{
	uint16_t kl;

	sa->prop = *p;
	sa->encr = ike_proposal_get(p, IKE_TRANS_ENCR, &kl);
	sa->encr_bits = kl;
	sa->integ = ike_proposal_get(p, IKE_TRANS_INTEG, NULL);
	sa->prf = ike_proposal_get(p, IKE_TRANS_PRF, NULL);
	sa->enc_len = crypto_encr_key_len(sa->encr, kl);
	sa->integ_len = crypto_integ_key_len(sa->integ);
	if (!sa->enc_len || !crypto_prf_len(sa->prf) ||
	    (!crypto_encr_is_aead(sa->encr) && !sa->integ_len))
		return -EINVAL;
	return 0;
}

