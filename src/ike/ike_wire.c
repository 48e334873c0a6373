/* Whole IKE messages in and out (see ike_wire.h): the one pair of
 * functions every request, response and retransmission of an IKE SA goes
 * through, and IKE fragmentation (RFC 7383): cutting an oversized
 * protected message into Encrypted Fragment datagrams, and putting the
 * peer's fragments back together within bounds. Runs on the control
 * loop.
 *
 * Reassembly memory: each kept fragment's decrypted content is copied
 * (and wiped when freed); a reassembly's bytes, with its table of
 * fragments, are counted in ctx->stats.frag_bytes, which never exceeds
 * ctx->frag_mem_max. */
#include "ike/ike_wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_ctx.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_sa.h"
#include "util/mem.h"

/* A warning a peer can cause at will: rate-limited per call site. */
#define frag_warn_rl(sa, ...) \
	do { \
		static struct log_ratelimit rl_; \
		if (log_ratelimit_ok(&rl_)) \
			sa_warn(sa, __VA_ARGS__); \
	} while (0)

/* ---- out ---- */

/* RFC 7383 2.3, 2.4 and charon's rule: fragment when configured to and,
 * unless forced, when the peer announced support. An SA whose connection
 * was unloaded keeps the default (yes). */
static bool frag_wanted(const struct ike_sa *sa)
{
	uint8_t mode = sa->conn ? sa->conn->cfg.fragmentation : IKE_FRAG_YES;

	return mode == IKE_FRAG_FORCE || (mode == IKE_FRAG_YES && sa->frag_supported);
}

/* The largest IKE message one datagram may carry. fragment_size is the
 * whole IP datagram, as charon.fragment_size: less the IP header (no
 * options or extension headers), UDP, and the non-ESP marker when
 * neither port is 500 (charon's arithmetic, message.c). */
static size_t frag_msg_max(const struct ike_sa *sa)
{
	bool v6 = sa->local.addr.family == AF_INET6;
	size_t size = sa->ctx->fragment_size ? sa->ctx->fragment_size : v6 ? 1280 : 576;
	size_t over = (v6 ? 40 : 20) + 8 +
	              (sa->local.port != IKE_PORT && sa->remote.port != IKE_PORT ? 4 : 0);

	return size > over ? size - over : 1;
}

/* mb as Encrypted Fragment messages of at most max bytes each into w
 * (RFC 7383 2.5). -EAGAIN if it cannot be cut that small (the caller
 * sends it whole), another negative errno on failure. */
static int fragment(struct ike_sa *sa, struct ike_mb *mb, const struct crypto_ike_keys *k,
                    size_t max, struct ike_wire *w)
{
	size_t content = ike_frag_content_max(k, max);
	unsigned n = ike_mb_frag_count(mb, k, content);
	int rc = 0;

	if (!n || n > IKE_FRAG_MAX) {
		frag_warn_rl(sa, "a %zu-byte message does not fit in %u fragments of %zu bytes "
		             "(fragment_size %u): sent whole", ike_mb_sealed_len(mb, k), IKE_FRAG_MAX,
		             max, sa->ctx->fragment_size);
		return -EAGAIN;
	}
	w->d = calloc(n, sizeof(*w->d));
	if (!w->d)
		return -ENOMEM;
	for (unsigned i = 0; i < n && !rc; i++) {
		rc = ike_mb_frag_build(mb, k, content, (uint16_t)(i + 1), (uint16_t)n, &w->d[i].p,
		                       &w->d[i].len);
		w->n = i + 1;
	}
	if (rc) {
		ike_wire_free(w);
		return rc;
	}
	sa->ctx->stats.frag_msgs_tx++;
	sa_info(sa, "splitting IKE message (%zu bytes) into %u fragments of at most %zu bytes",
	        ike_mb_sealed_len(mb, k), n, max);
	return 0;
}

int ike_wire_out(struct ike_sa *sa, struct ike_mb *mb, struct ike_wire *w)
{
	struct crypto_ike_keys k;
	size_t max;
	int rc;

	memset(w, 0, sizeof(*w));
	ike_sa_keys_out(sa, &k);
	/* RFC 7383 2.5: only protected messages (never IKE_SA_INIT) */
	if (mb->sk_off && sa->keys_ready && frag_wanted(sa) &&
	    ike_mb_sealed_len(mb, &k) > (max = frag_msg_max(sa))) {
		rc = fragment(sa, mb, &k, max, w);
		if (rc != -EAGAIN)
			goto out;
	}
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
	/* a message in fragments is always more than one datagram: one
	 * fragment would be larger than the whole message */
	if (w->n > 1)
		sa->ctx->stats.frag_tx += w->n;
	for (unsigned i = 0; i < w->n; i++)
		ike_wire_send_raw(sa, w->d[i].p, w->d[i].len);
}

void ike_wire_send_to(struct ike_sa *sa, const struct ike_wire *w,
                      const struct ike_endpoint *local, const struct ike_endpoint *remote)
{
	if (!local || !remote) {
		ike_wire_send(sa, w);
		return;
	}
	if (w->n > 1)
		sa->ctx->stats.frag_tx += w->n;
	for (unsigned i = 0; i < w->n; i++) {
		sa->ctx->stats.tx++;
		sa->ctx->io.send(sa->ctx->io.ctx, local, remote, w->d[i].p, w->d[i].len);
	}
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

/* ---- in ---- */

int ike_wire_in(struct ike_sa *sa, struct ike_msg *m)
{
	struct crypto_ike_keys k;

	if (!m->has_sk)
		return -ENOENT;
	ike_sa_keys_in(sa, &k);
	return ike_msg_decrypt(m, &k);
}

/* RFC 7383 2.6: Fragment Number 1..Total; Total at least 1 and, here, at
 * most ctx->frag_max. NULL if fine, else why not. */
static const char *numbers_why(const struct ike_ctx *ctx, uint16_t num, uint16_t total)
{
	if (total == 0)
		return "Total Fragments is 0";
	if (total > ctx->frag_max)
		return "more fragments than allowed";
	if (num == 0)
		return "Fragment Number is 0";
	if (num > total)
		return "Fragment Number above Total Fragments";
	return NULL;
}

bool ike_reasm_busy(const struct ike_reasm *ra)
{
	return ra->frag != NULL;
}

static void reasm_free(struct ike_ctx *ctx, struct ike_reasm *ra)
{
	if (ra->frag) {
		for (unsigned i = 0; i < ra->total; i++)
			if (ra->frag[i].p)
				mem_free_wipe(ra->frag[i].p, ra->frag[i].len ? ra->frag[i].len : 1);
		free(ra->frag);
	}
	ctx->stats.frag_bytes -= ra->mem;
	memset(ra, 0, sizeof(*ra));
}

void ike_reasm_discard(struct ike_ctx *ctx, struct ike_reasm *ra)
{
	if (!ike_reasm_busy(ra))
		return;
	ctx->stats.frag_incomplete++;
	reasm_free(ctx, ra);
}

/* Start ra with a table for total fragments, if memory allows. */
static int reasm_start(struct ike_ctx *ctx, struct ike_reasm *ra, const struct ike_hdr *h,
                       uint16_t total, uint64_t now_ms)
{
	size_t mem = (size_t)total * sizeof(*ra->frag);

	if (ctx->stats.frag_bytes + mem > ctx->frag_mem_max)
		return -ENOSPC;
	ra->frag = calloc(total, sizeof(*ra->frag));
	if (!ra->frag)
		return -ENOMEM;
	ra->total = total;
	ra->msgid = h->msgid;
	ra->hdr = *h;
	ra->since_ms = now_ms;
	ra->mem = mem;
	ctx->stats.frag_bytes += mem;
	return 0;
}

/* The kept contents in order, as the inner payloads of one message. */
static int reasm_finish(struct ike_ctx *ctx, struct ike_reasm *ra, struct ike_msg *whole)
{
	uint8_t *buf = malloc(ra->content ? ra->content : 1);
	struct ike_hdr h = ra->hdr;
	size_t off = 0;

	if (!buf)
		return -ENOMEM;
	for (unsigned i = 0; i < ra->total; i++) {
		memcpy(buf + off, ra->frag[i].p, ra->frag[i].len);
		off += ra->frag[i].len;
	}
	/* the length the message would have had in one SK payload without
	 * IV, padding and ICV (what charon reports too) */
	h.next = IKE_PLD_SK;
	h.length = (uint32_t)(IKE_HDR_LEN + IKE_PLD_HDR_LEN + ra->content);
	ike_msg_set_reassembled(whole, &h, ra->first, buf, ra->content);
	ctx->stats.frag_reassembled++;
	reasm_free(ctx, ra);
	return 0;
}

enum ike_reasm_result ike_reasm_add(struct ike_ctx *ctx, struct ike_reasm *ra,
                                    const struct ike_hdr *h, uint16_t num, uint16_t total,
                                    uint8_t first, const uint8_t *content, size_t len,
                                    uint64_t now_ms, struct ike_msg *whole)
{
	struct ike_stats *st = &ctx->stats;
	struct ike_dgram *slot;

	if (numbers_why(ctx, num, total)) {
		st->frag_drop_invalid++;
		return IKE_REASM_INVALID;
	}
	if (ike_reasm_busy(ra) && ra->msgid != h->msgid)
		ike_reasm_discard(ctx, ra);    /* superseded by a newer message */
	if (ike_reasm_busy(ra)) {
		/* RFC 7383 2.6: a lower Total than the fragments kept is not of
		 * this message; the header is the same in every fragment */
		if (total < ra->total || h->exchange != ra->hdr.exchange ||
		    h->flags != ra->hdr.flags || h->version != ra->hdr.version ||
		    h->spi_i != ra->hdr.spi_i || h->spi_r != ra->hdr.spi_r) {
			st->frag_drop_invalid++;
			return IKE_REASM_INVALID;
		}
		/* RFC 7383 2.6: a higher Total means the sender cut the message
		 * anew (smaller): start over with this fragment */
		if (total > ra->total)
			ike_reasm_discard(ctx, ra);
	}
	if (!ike_reasm_busy(ra)) {
		int rc = reasm_start(ctx, ra, h, total, now_ms);
		if (rc) {
			st->frag_drop_limit++;
			return rc == -ENOMEM ? IKE_REASM_NOMEM : IKE_REASM_LIMIT;
		}
	}
	slot = &ra->frag[num - 1];
	if (slot->p) {
		/* authenticated by the peer's keys, so the peer's own doing: a
		 * retransmission, or (other content) a fragment that overlaps */
		if (slot->len == len && memcmp(slot->p, content, len) == 0) {
			st->frag_drop_dup++;
			return IKE_REASM_DUP;
		}
		st->frag_drop_overlap++;
		return IKE_REASM_OVERLAP;
	}
	if (IKE_HDR_LEN + IKE_PLD_HDR_LEN + ra->content + len > ctx->frag_max_message) {
		/* it can never be whole within the limit */
		st->frag_drop_limit++;
		ike_reasm_discard(ctx, ra);
		return IKE_REASM_TOO_BIG;
	}
	if (st->frag_bytes + len > ctx->frag_mem_max) {
		st->frag_drop_limit++;
		return IKE_REASM_LIMIT;
	}
	slot->p = malloc(len ? len : 1);
	if (!slot->p) {
		st->frag_drop_limit++;
		return IKE_REASM_NOMEM;
	}
	memcpy(slot->p, content, len);
	slot->len = len;
	ra->content += len;
	ra->mem += len;
	st->frag_bytes += len;
	ra->have++;
	if (num == 1)
		ra->first = first;   /* RFC 7383 2.5: only the first fragment names it */
	if (ra->have < ra->total)
		return IKE_REASM_KEPT;
	if (reasm_finish(ctx, ra, whole)) {
		st->frag_drop_limit++;
		ike_reasm_discard(ctx, ra);
		return IKE_REASM_NOMEM;
	}
	return IKE_REASM_DONE;
}

/* The checks before the ICV: one SKF alone, sane numbers. NULL or why. */
static const char *frag_why(const struct ike_sa *sa, const struct ike_msg *m)
{
	/* RFC 7383 2.5.3 lets unprotected payloads precede the SKF of the
	 * first fragment; no exchange after IKE_SA_INIT has any, and
	 * nothing here could use them */
	if (m->npld != 1)
		return "unprotected payloads beside the Encrypted Fragment payload";
	return numbers_why(sa->ctx, m->frag_num, m->frag_total);
}

int ike_wire_frag_in(struct ike_sa *sa, struct ike_reasm *ra, struct ike_msg *m,
                     struct ike_msg *whole)
{
	struct ike_stats *st = &sa->ctx->stats;
	const char *what = (m->hdr.flags & IKE_FLAG_RESPONSE) ? "response" : "request";
	uint16_t num = m->frag_num, total = m->frag_total;
	struct crypto_ike_keys k;
	const uint8_t *content;
	const char *why;
	uint8_t first;
	size_t len;
	int rc;

	if ((why = frag_why(sa, m))) {
		st->frag_drop_invalid++;
		frag_warn_rl(sa, "fragment %u of %u of %s %u dropped: %s", num, total, what,
		             m->hdr.msgid, why);
		return 0;
	}
	/* RFC 7383 2.6.1: each fragment's ICV before it is kept */
	ike_sa_keys_in(sa, &k);
	rc = ike_msg_frag_open(m, &k, &first, &content, &len);
	if (rc) {
		if (rc == -EBADMSG)
			st->drop_icv++;
		else
			st->frag_drop_invalid++;
		sa_debug(sa, "fragment %u of %u of %s %u %s, dropped", num, total, what, m->hdr.msgid,
		         rc == -EBADMSG ? "failed the integrity check" : "cannot be decrypted");
		return 0;
	}
	switch (ike_reasm_add(sa->ctx, ra, &m->hdr, num, total, first, content, len,
	                      ike_now(sa->ctx), whole)) {
	case IKE_REASM_DONE:
		sa_info(sa, "received fragment #%u of %u, reassembled fragmented IKE message "
		        "(%u bytes)", num, total, whole->hdr.length);
		return 1;
	case IKE_REASM_KEPT:
		sa_debug(sa, "received fragment #%u of %u of %s %u, waiting for the complete message",
		         num, total, what, m->hdr.msgid);
		return 0;
	case IKE_REASM_DUP:
		sa_debug(sa, "duplicate fragment #%u of %u of %s %u dropped", num, total, what,
		         m->hdr.msgid);
		return 0;
	case IKE_REASM_OVERLAP:
		frag_warn_rl(sa, "fragment #%u of %u of %s %u differs from the one kept: dropped",
		             num, total, what, m->hdr.msgid);
		return 0;
	case IKE_REASM_INVALID:
		frag_warn_rl(sa, "fragment #%u of %u of %s %u does not match the fragments kept "
		             "(Total Fragments lower, or another header): dropped", num, total, what,
		             m->hdr.msgid);
		return 0;
	case IKE_REASM_TOO_BIG:
		frag_warn_rl(sa, "fragmented %s %u would exceed %zu bytes: its fragments dropped",
		             what, m->hdr.msgid, sa->ctx->frag_max_message);
		return 0;
	default:
		frag_warn_rl(sa, "fragment #%u of %u of %s %u dropped: reassembly memory (%zu bytes "
		             "for all IKE_SAs) in use", num, total, what, m->hdr.msgid,
		             sa->ctx->frag_mem_max);
		return 0;
	}
}

bool ike_wire_frag_first_ok(struct ike_sa *sa, struct ike_msg *m)
{
	struct crypto_ike_keys k;
	const uint8_t *content;
	uint8_t first;
	size_t len;

	if (m->frag_num != 1 || frag_why(sa, m))
		return false;
	ike_sa_keys_in(sa, &k);
	return ike_msg_frag_open(m, &k, &first, &content, &len) == 0;
}

/* ---- plain sending ---- */

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
