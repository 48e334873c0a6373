/* Whole IKE messages in and out (see ike_wire.h): the one pair of
 * functions every request, response and retransmission of an IKE SA goes
 * through, where RFC 7383 fragmentation will go. Runs on the control
 * loop. */
#include "ike/ike_wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_ctx.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_sa.h"

int ike_wire_out(struct ike_sa *sa, struct ike_mb *mb, struct ike_wire *w)
{
	struct crypto_ike_keys k;
	int rc;

	memset(w, 0, sizeof(*w));
	ike_sa_keys_out(sa, &k);
	rc = ike_mb_finish(mb, &k);
	if (rc)
		goto out;
	/* a copy of exactly the message: the builder's buffer, which held
	 * the plaintext before encryption, is wiped by ike_mb_free */
	w->d = calloc(1, sizeof(*w->d));
	if (w->d)
		w->d[0].p = malloc(mb->len);
	if (!w->d || !w->d[0].p) {
		free(w->d);
		w->d = NULL;
		rc = -ENOMEM;
		goto out;
	}
	memcpy(w->d[0].p, mb->p, mb->len);
	w->d[0].len = mb->len;
	w->n = 1;
out:
	if (rc)
		sa_err(sa, "cannot build message: %s", strerror(-rc));
	ike_mb_free(mb);
	return rc;
}

void ike_wire_send(struct ike_sa *sa, const struct ike_wire *w)
{
	for (unsigned i = 0; i < w->n; i++)
		ike_wire_send_raw(sa, w->d[i].p, w->d[i].len);
}

void ike_wire_free(struct ike_wire *w)
{
	for (unsigned i = 0; i < w->n; i++)
		free(w->d[i].p);
	free(w->d);
	memset(w, 0, sizeof(*w));
}

const uint8_t *ike_wire_data(const struct ike_wire *w, size_t *len)
{
	*len = w->n ? w->d[0].len : 0;
	return w->n ? w->d[0].p : NULL;
}

int ike_wire_in(struct ike_sa *sa, struct ike_msg *m)
{
	struct crypto_ike_keys k;

	if (!m->has_sk)
		return -ENOENT;
	ike_sa_keys_in(sa, &k);
	return ike_msg_decrypt(m, &k);
}

void ike_wire_send_raw(struct ike_sa *sa, const uint8_t *buf, size_t len)
{
	sa->ctx->stats.tx++;
	sa->ctx->io.send(sa->ctx->io.ctx, &sa->local, &sa->remote, buf, len);
}

void ike_wire_notify_invalid_spi(struct ike_ctx *ctx, const struct ike_endpoint *local,
                                 const struct ike_endpoint *remote, const struct ike_hdr *req)
{
	/* RFC 7296 2.21.4: same SPIs and message ID; the I flag says we are
	 * the other end of the sender (3.1), so that the peer finds its SA */
	struct ike_hdr h = {
		.spi_i = req->spi_i, .spi_r = req->spi_r, .exchange = req->exchange,
		.flags = (uint8_t)(IKE_FLAG_RESPONSE |
		                   ((req->flags & IKE_FLAG_INITIATOR) ? 0 : IKE_FLAG_INITIATOR)),
		.msgid = req->msgid,
	};
	struct ike_mb mb;

	ike_mb_init(&mb, &h);
	ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_INVALID_IKE_SPI, NULL, 0);
	if (ike_mb_finish(&mb, NULL) == 0) {
		ctx->stats.tx++;
		ctx->io.send(ctx->io.ctx, local, remote, mb.p, mb.len);
	}
	ike_mb_free(&mb);
}

void ike_wire_notify_plain(struct ike_ctx *ctx, const struct ike_endpoint *local,
                           const struct ike_endpoint *remote, const struct ike_hdr *req,
                           uint16_t type, const uint8_t *data, size_t dlen)
{
	struct ike_hdr h = {
		.spi_i = req->spi_i, .spi_r = 0, .exchange = req->exchange,
		.flags = IKE_FLAG_RESPONSE, .msgid = req->msgid,
	};
	struct ike_mb mb;

	ike_mb_init(&mb, &h);
	ike_pld_notify_put(&mb, 0, NULL, 0, type, data, dlen);
	if (ike_mb_finish(&mb, NULL) == 0) {
		ctx->stats.tx++;
		ctx->io.send(ctx->io.ctx, local, remote, mb.p, mb.len);
	}
	ike_mb_free(&mb);
}
