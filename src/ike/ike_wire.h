/* The message layer between the task manager and the transport: whole IKE
 * messages out (finished, protected, kept for retransmission, sent) and in
 * (verified and decrypted). Internal to src/ike/.
 *
 * IKE fragmentation (RFC 7383) happens here. Out: a protected message
 * larger than ctx->fragment_size allows leaves ike_wire_out() as several
 * Encrypted Fragment (SKF) datagrams, when the connection's fragmentation
 * setting and the peer's FRAGMENTATION_SUPPORTED say so; one struct
 * ike_wire holds them all, and they are sent and retransmitted together.
 * In: ike_wire_frag_in() verifies each fragment's ICV before keeping its
 * content, bounds what is kept (fragments per message, the message's size,
 * the memory of all reassemblies of the context), and hands back the
 * message once it is whole; the manager (ike_mgr.c) decides which
 * reassembly a fragment belongs to and whether its message ID is wanted.
 *
 * Messages passed here are bare IKE messages (no non-ESP marker). */
#ifndef UIPSEC_IKE_IKE_WIRE_H
#define UIPSEC_IKE_IKE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ike_msg.h"

struct ike_ctx;
struct ike_endpoint;
struct ike_sa;

#define IKE_FRAG_SIZE_DEFAULT 1280       /* charon.fragment_size */
#define IKE_FRAG_MAX 255                 /* fragments per message (charon's MAX_FRAGMENTS) */
#define IKE_FRAG_MEM_MAX (4u << 20)      /* all reassemblies of a context together */

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
/* The same from local to remote instead of the SA's endpoints (NULL:
 * the SA's): a response goes back where its request came from (RFC 7296
 * 2.11), which with MOBIKE need not be where the SA is (RFC 4555 3.5's
 * path checks come from an address the SA has not moved to yet). */
void ike_wire_send_to(struct ike_sa *sa, const struct ike_wire *w,
                      const struct ike_endpoint *local, const struct ike_endpoint *remote);
/* Free w's datagrams; w is empty afterwards. */
void ike_wire_free(struct ike_wire *w);
/* The first datagram of w (the whole message unless it went in
 * fragments, which IKE_SA_INIT never does), or NULL/0. */
const uint8_t *ike_wire_data(const struct ike_wire *w, size_t *len);

/* Verify and decrypt the SK payload of m with the peer's keys (RFC 7296
 * 3.14); for a message reassembled by ike_wire_frag_in, whose fragments
 * were verified one by one, parse its inner payloads. 0; -EBADMSG if the
 * ICV did not verify; -EINVAL if it cannot be decrypted (bad lengths);
 * -EPROTO if it verified but is malformed inside (ike_msg_decrypt);
 * -ENOENT if m has no SK payload. */
int ike_wire_in(struct ike_sa *sa, struct ike_msg *m);

/* One message being reassembled from its fragments (RFC 7383 2.6): the
 * decrypted contents kept so far, by fragment number. All zero: none. */
struct ike_reasm {
	struct ike_dgram *frag;      /* [total]; NULL: nothing kept */
	uint16_t total, have;
	uint32_t msgid;
	struct ike_hdr hdr;          /* the first kept fragment's (length aside) */
	uint8_t first;               /* fragment 1's Next Payload: the first inner one */
	size_t content;              /* bytes of content kept */
	size_t mem;                  /* what it holds in all, counted in stats.frag_bytes */
	uint64_t since_ms;           /* when its first fragment was kept */
};

/* Fragment m (parsed, has_skf, for sa, its message ID wanted in ra) into
 * reassembly ra: stateless checks, the ICV (ike_msg_frag_open with the
 * peer's keys), then kept, or dropped with its counter and a
 * rate-limited log line. Returns 1 when it completed the message, which
 * is then in whole (an ike_msg of its own: ike_msg_clear it; ra is
 * empty again); 0 if kept or dropped. */
int ike_wire_frag_in(struct ike_sa *sa, struct ike_reasm *ra, struct ike_msg *m,
                     struct ike_msg *whole);
/* Is m, a fragment of a request sa answered already, fragment 1 with a
 * valid ICV? (RFC 7383 2.6.1: only that one has the response resent.) */
bool ike_wire_frag_first_ok(struct ike_sa *sa, struct ike_msg *m);

enum ike_reasm_result {
	IKE_REASM_KEPT = 0,          /* kept, the message is not whole yet */
	IKE_REASM_DONE,              /* the message is whole */
	IKE_REASM_DUP,               /* dropped: that fragment is kept already */
	IKE_REASM_OVERLAP,           /* dropped: that fragment number is kept with other content */
	IKE_REASM_INVALID,           /* dropped: numbers, or not of the message kept */
	IKE_REASM_TOO_BIG,           /* dropped with all kept: the message would exceed the limit */
	IKE_REASM_LIMIT,             /* dropped: the memory of all reassemblies is in use */
	IKE_REASM_NOMEM,             /* dropped: out of memory */
};

/* The reassembly core, without keys (the fuzz target drives it alone):
 * add fragment num of total of the message with header h (its message
 * ID; any other message in ra is given up), its content already verified
 * and decrypted, SKF Next Payload first, to ra, under ctx's limits,
 * counting in ctx->stats. When DONE, the message is in whole (ike_msg_
 * clear it) and ra is empty. */
enum ike_reasm_result ike_reasm_add(struct ike_ctx *ctx, struct ike_reasm *ra,
                                    const struct ike_hdr *h, uint16_t num, uint16_t total,
                                    uint8_t first, const uint8_t *content, size_t len,
                                    uint64_t now_ms, struct ike_msg *whole);
/* Give up ra, counted as incomplete if anything was kept; ra is empty. */
void ike_reasm_discard(struct ike_ctx *ctx, struct ike_reasm *ra);
/* Does ra hold fragments? */
bool ike_reasm_busy(const struct ike_reasm *ra);

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
