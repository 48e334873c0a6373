/* IKE SA lifecycle: states and their legal transitions, creation, the end
 * of an SA with its reason, destruction. Runs on the control loop. */
#include "ike/ike_sa.h"
#include "ike/ike_vip.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	/* keyingtries, dpd_action: what becomes of its tunnels */
	ike_conn_sa_ended(sa, was_up);
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
	ctx->sas = sa;
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
	for (struct ike_sa **pp = &ctx->sas; *pp; pp = &(*pp)->next)
		if (*pp == sa) {
			*pp = sa->next;
			break;
		}
	free(sa->init_req);
	free(sa->init_resp);
	ike_authn_pubkey_sa_clear(sa);
	mem_free_wipe(sa, sizeof(*sa));
}

struct ike_sa *ike_sa_find(struct ike_ctx *ctx, uint64_t spi_i, uint64_t spi_r)
{
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		if (sa->spi_i == spi_i && sa->spi_r == spi_r && sa->state != IKE_STATE_DEAD)
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

