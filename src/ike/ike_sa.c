/* IKE SA lifecycle: states and their legal transitions, creation and
 * destruction, the request window (size 1) with its retransmission buffer,
 * the response cache, and the queue of tasks waiting for the window.
 * Runs on the control loop. */
#include "ike/ike_sa.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/rand.h"
#include "ike/ike_child.h"
#include "ike/ike_ctx.h"
#include "ike/ike_info.h"
#include "ike/ike_pld.h"
#include "ike/ike_rekey.h"
#include "ike/ike_timers.h"
#include "util/bytes.h"
#include "util/mem.h"
#include "xfrm/sad.h"

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

/* Legal transitions: from -> bit set of to. Any state may become DEAD. */
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

int ike_sa_set_state(struct ike_sa *sa, enum ike_state to)
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

	while (sa->children)
		ike_child_destroy(sa, sa->children);
	if (sa->state == IKE_STATE_INIT_RESPONDED && ctx->half_open)
		ctx->half_open--;
	for (struct ike_sa **pp = &ctx->sas; *pp; pp = &(*pp)->next)
		if (*pp == sa) {
			*pp = sa->next;
			break;
		}
	if ((sa->state == IKE_STATE_ESTABLISHED || sa->state == IKE_STATE_DELETING) && !sa->rekeyed)
		ctx->stats.ike_deleted++;
	crypto_dh_free(sa->dh);
	crypto_dh_free(sa->rekey_dh);
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->req_buf);
	free(sa->resp_buf);
	mem_free_wipe(sa, sizeof(*sa));
}

struct ike_sa *ike_sa_find(struct ike_ctx *ctx, uint64_t spi_i, uint64_t spi_r)
{
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		if (sa->spi_i == spi_i && sa->spi_r == spi_r && sa->state != IKE_STATE_DEAD)
			return sa;
	return NULL;
}

void ike_sa_send_raw(struct ike_sa *sa, const uint8_t *buf, size_t len)
{
	sa->ctx->stats.tx++;
	sa->ctx->io.send(sa->ctx->io.ctx, &sa->local, &sa->remote, buf, len);
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

void ike_sa_req_begin(struct ike_sa *sa, struct ike_mb *mb, uint8_t exchange, bool encrypted)
{
	struct ike_hdr h = {
		.spi_i = sa->spi_i, .spi_r = sa->spi_r, .exchange = exchange,
		.flags = sa->initiator ? IKE_FLAG_INITIATOR : 0, .msgid = sa->msgid_out,
	};

	ike_mb_init(mb, &h);
	if (encrypted)
		ike_mb_sk_open(mb, sa->encr);
}

int ike_sa_req_send(struct ike_sa *sa, struct ike_mb *mb, enum ike_task task, uint32_t arg)
{
	struct crypto_ike_keys k;
	int rc;

	ike_sa_keys_out(sa, &k);
	rc = ike_mb_finish(mb, &k);
	if (rc) {
		sa_err(sa, "cannot build request: %s", strerror(-rc));
		ike_mb_free(mb);
		return rc;
	}
	free(sa->req_buf);
	sa->req_buf = malloc(mb->len);
	if (!sa->req_buf) {
		ike_mb_free(mb);
		return -ENOMEM;
	}
	memcpy(sa->req_buf, mb->p, mb->len);
	sa->req_len = mb->len;
	ike_mb_free(mb);
	sa->req_pending = true;
	sa->req_task = task;
	sa->req_arg = arg;
	ike_sa_send_raw(sa, sa->req_buf, sa->req_len);
	ike_timers_request_sent(sa);
	return 0;
}

void ike_sa_resp_begin(struct ike_sa *sa, struct ike_mb *mb, const struct ike_msg *m,
                       bool encrypted)
{
	struct ike_hdr h = {
		.spi_i = sa->spi_i, .spi_r = sa->spi_r, .exchange = m->hdr.exchange,
		.flags = (uint8_t)(IKE_FLAG_RESPONSE | (sa->initiator ? IKE_FLAG_INITIATOR : 0)),
		.msgid = m->hdr.msgid,
	};

	ike_mb_init(mb, &h);
	if (encrypted)
		ike_mb_sk_open(mb, sa->encr);
}

int ike_sa_resp_send(struct ike_sa *sa, struct ike_mb *mb)
{
	struct crypto_ike_keys k;
	int rc;

	ike_sa_keys_out(sa, &k);
	rc = ike_mb_finish(mb, &k);
	if (rc) {
		sa_err(sa, "cannot build response: %s", strerror(-rc));
		ike_mb_free(mb);
		return rc;
	}
	free(sa->resp_buf);
	sa->resp_buf = malloc(mb->len);
	if (sa->resp_buf) {
		memcpy(sa->resp_buf, mb->p, mb->len);
		sa->resp_len = mb->len;
	}
	ike_sa_send_raw(sa, mb->p, mb->len);
	ike_mb_free(mb);
	return 0;
}

int ike_sa_resp_notify(struct ike_sa *sa, const struct ike_msg *m, uint16_t type,
                       const uint8_t *data, size_t dlen)
{
	struct ike_mb mb;

	ike_sa_resp_begin(sa, &mb, m, true);
	ike_pld_notify_put(&mb, 0, NULL, 0, type, data, dlen);
	return ike_sa_resp_send(sa, &mb);
}

void ike_sa_queue(struct ike_sa *sa, enum ike_task task, uint32_t arg)
{
	for (unsigned i = 0; i < sa->ntasks; i++)
		if (sa->tasks[i] == task && sa->task_args[i] == arg)
			return;
	if (sa->req_pending && sa->req_task == task && sa->req_arg == arg)
		return;
	if (sa->ntasks >= IKE_TASKS_MAX) {
		sa_warn(sa, "task queue full, dropping a task");
		return;
	}
	sa->tasks[sa->ntasks] = task;
	sa->task_args[sa->ntasks] = arg;
	sa->ntasks++;
	ike_sa_run_tasks(sa);
}

void ike_sa_run_tasks(struct ike_sa *sa)
{
	while (!sa->req_pending && sa->ntasks && sa->state == IKE_STATE_ESTABLISHED) {
		enum ike_task t = sa->tasks[0];
		uint32_t arg = sa->task_args[0];
		memmove(sa->tasks, sa->tasks + 1, (sa->ntasks - 1) * sizeof(sa->tasks[0]));
		memmove(sa->task_args, sa->task_args + 1, (sa->ntasks - 1) * sizeof(sa->task_args[0]));
		sa->ntasks--;
		switch (t) {
		case TASK_CHILD_CREATE:
			ike_child_create_start(sa, (int)arg, 0);
			break;
		case TASK_CHILD_REKEY: {
			struct ike_child_sa *c = ike_child_find_in(sa, arg);
			if (c && c->state == CHILD_INSTALLED) {
				int idx = -1;
				for (unsigned i = 0; i < sa->conn->cfg.nchildren; i++)
					if (!strcmp(sa->conn->cfg.children[i].name, c->cfg.name))
						idx = (int)i;
				if (idx >= 0)
					ike_child_create_start(sa, idx, arg);
			}
			break;
		}
		case TASK_IKE_REKEY:
			ike_rekey_start(sa);
			break;
		case TASK_CHILD_DELETE:
		case TASK_IKE_DELETE:
		case TASK_DPD:
			ike_info_start(sa, t, arg);
			break;
		default:
			break;
		}
		if (sa->state == IKE_STATE_DEAD)
			return;
	}
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

