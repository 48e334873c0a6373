/* The message layer between the task manager and the transport: whole IKE
 * messages out (finished, protected, kept for retransmission, sent) and in
 * (verified and decrypted). Internal to src/ike/.
 *
 * This is the seam for IKE fragmentation (RFC 7383): a protected message
 * larger than the path allows would leave ike_wire_out() as several SKF
 * datagrams (one struct ike_wire holding them all, sent and retransmitted
 * together), and ike_wire_in() would keep fragments until a message is
 * whole. Neither is implemented yet: every message is one datagram, and an
 * SKF payload is not taken apart (the message is dropped as unprotected).
 *
 * Messages passed here are bare IKE messages (no non-ESP marker). */
#ifndef UIPSEC_IKE_IKE_WIRE_H
#define UIPSEC_IKE_IKE_WIRE_H

#include <stddef.h>
#include <stdint.h>

struct ike_ctx;
struct ike_endpoint;
struct ike_hdr;
struct ike_mb;
struct ike_msg;
struct ike_sa;

struct ike_dgram {
	uint8_t *p;
	size_t len;
};

/* One message as it goes on the wire: its datagrams, owned. */
struct ike_wire {
	struct ike_dgram *d;
	unsigned n;
};

/* Finish mb (built with sa's header; its SK payload, if open, encrypted
 * with sa's outbound keys) into w, which owns the result. Consumes mb on
 * every path. 0 or a negative errno (w is then empty). */
int ike_wire_out(struct ike_sa *sa, struct ike_mb *mb, struct ike_wire *w);
/* Send every datagram of w from sa's local to its remote endpoint. */
void ike_wire_send(struct ike_sa *sa, const struct ike_wire *w);
/* Free w's datagrams; w is empty afterwards. */
void ike_wire_free(struct ike_wire *w);
/* The first datagram of w (the whole message today), or NULL/0. */
const uint8_t *ike_wire_data(const struct ike_wire *w, size_t *len);

/* Verify and decrypt the SK payload of m with the peer's keys (RFC 7296
 * 3.14). 0; -EBADMSG if the ICV did not verify; -EINVAL if it cannot be
 * decrypted (bad lengths); -EPROTO if it verified but is malformed
 * inside (ike_msg_decrypt); -ENOENT if m has no SK payload. */
int ike_wire_in(struct ike_sa *sa, struct ike_msg *m);

/* Send buf as it is on sa's endpoints (an IKE_SA_INIT response resent). */
void ike_wire_send_raw(struct ike_sa *sa, const uint8_t *buf, size_t len);
/* Answer request req without an IKE SA (IKE_SA_INIT errors, cookies):
 * an unprotected response with one notify, responder SPI zero. */
void ike_wire_notify_plain(struct ike_ctx *ctx, const struct ike_endpoint *local,
                           const struct ike_endpoint *remote, const struct ike_hdr *req,
                           uint16_t type, const uint8_t *data, size_t dlen);

/* Answer request req for an IKE SA we do not know with an unprotected
 * INVALID_IKE_SPI (RFC 7296 2.21.4): its SPIs and message ID, R set, I
 * the opposite of the request's. The caller limits the rate. */
void ike_wire_notify_invalid_spi(struct ike_ctx *ctx, const struct ike_endpoint *local,
                                 const struct ike_endpoint *remote, const struct ike_hdr *req);

#endif
