/* Why a packet was dropped. Every drop on the packet path returns one of
 * these (0 means pass); each maps to the xfrm_stat counter Linux would bump
 * and to a short name that trace, captures and logs print. */
#ifndef UIPSEC_XFRM_DROP_H
#define UIPSEC_XFRM_DROP_H

#include "xfrm/xfrm.h"

#define DROP_REASON_LIST(X) \
	X(NONE,            "ok",              XFRM_MIB_MAX) \
	X(NO_STATE,        "no-state",        XFRM_MIB_IN_NO_STATES) \
	X(BAD_LEN,         "bad-length",      XFRM_MIB_IN_HDR_ERROR) \
	X(BAD_SPI,         "bad-spi",         XFRM_MIB_IN_NO_STATES) \
	X(REPLAY,          "replay",          XFRM_MIB_IN_STATE_SEQ_ERROR) \
	X(REPLAY_OLD,      "replay-too-old",  XFRM_MIB_IN_STATE_SEQ_ERROR) \
	X(SEQ_ZERO,        "seq-zero",        XFRM_MIB_IN_STATE_SEQ_ERROR) \
	X(AUTH_FAILED,     "auth-failed",     XFRM_MIB_IN_STATE_PROTO_ERROR) \
	X(BAD_PADDING,     "bad-padding",     XFRM_MIB_IN_STATE_PROTO_ERROR) \
	X(BAD_NEXT_HEADER, "bad-next-header", XFRM_MIB_IN_STATE_MODE_ERROR) \
	X(IN_EXPIRED,      "state-expired",   XFRM_MIB_IN_STATE_EXPIRED) \
	X(IN_STATE_INVALID,"state-invalid",   XFRM_MIB_IN_STATE_INVALID) \
	X(IN_NO_POLICY,    "no-policy",       XFRM_MIB_IN_NO_POLS) \
	X(IN_POL_BLOCK,    "policy-block-in", XFRM_MIB_IN_POL_BLOCK) \
	X(IN_TMPL_MISMATCH,"tmpl-mismatch",   XFRM_MIB_IN_TMPL_MISMATCH) \
	X(IN_NO_BUFFER,    "no-buffer-in",    XFRM_MIB_IN_BUFFER_ERROR) \
	X(IN_CRYPTO_ERROR, "crypto-error-in", XFRM_MIB_IN_ERROR) \
	X(OUT_NO_STATE,    "no-state-out",    XFRM_MIB_OUT_NO_STATES) \
	X(OUT_POL_BLOCK,   "policy-block",    XFRM_MIB_OUT_POL_BLOCK) \
	X(OUT_SEQ_OVERFLOW,"seq-overflow",    XFRM_MIB_OUT_STATE_SEQ_ERROR) \
	X(OUT_EXPIRED,     "state-expired-out", XFRM_MIB_OUT_STATE_EXPIRED) \
	X(OUT_NO_ROOM,     "no-room-out",     XFRM_MIB_OUT_ERROR) \
	X(OUT_BAD_PACKET,  "bad-inner-packet",XFRM_MIB_OUT_ERROR) \
	X(OUT_CRYPTO_ERROR,"crypto-error-out",XFRM_MIB_OUT_ERROR) \
	X(OUT_MODE_ERROR,  "mode-error-out",  XFRM_MIB_OUT_STATE_MODE_ERROR) \
	X(NOT_ESP,         "not-esp",         XFRM_MIB_IN_HDR_ERROR) \
	X(DUMMY,           "dummy-packet",    XFRM_MIB_MAX) \
	X(IN_STATE_MISMATCH,"state-mismatch", XFRM_MIB_IN_STATE_MISMATCH) \
	X(OUT_NO_POLICY,   "no-policy-out",   XFRM_MIB_OUT_POL_ERROR)

enum drop_reason {
#define X(id, name, mib) DROP_##id,
	DROP_REASON_LIST(X)
#undef X
	DROP_MAX
};
/* DROP_IN_STATE_MISMATCH: the state's UDP encapsulation does not match how
 * the packet arrived (raw ESP for an espinudp state or the reverse), as
 * Linux's xfrm_input counts it.
 * DROP_OUT_NO_POLICY: a packet was routed into the TUN device but no
 * outbound policy covers it (Linux would send it in clear; uipsec has no
 * clear path from the TUN device). */

/* "replay" for DROP_REPLAY; "?" if out of range. */
const char *drop_reason_name(enum drop_reason r);
/* The xfrm_stat counter a drop bumps (XFRM_MIB_MAX for DROP_NONE and for
 * DROP_DUMMY: an authenticated ESP dummy packet, next header 59, RFC 4303
 * section 2.6, is discarded as the RFC says but is not an error). */
enum xfrm_mib drop_reason_mib(enum drop_reason r);

#endif
