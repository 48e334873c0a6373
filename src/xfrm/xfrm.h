/* Types shared by the SAD and the SPD, named after Linux's <linux/xfrm.h>:
 * selectors, lifetimes, algorithms, UDP encapsulation, the xfrm_stat MIB
 * and the key manager events (acquire, expire). */
#ifndef UIPSEC_XFRM_XFRM_H
#define UIPSEC_XFRM_XFRM_H

#include <stdbool.h>
#include <stdint.h>

#include "net/addr.h"

#define IPPROTO_ESP_ 50   /* avoid depending on the libc spelling */
#define XFRM_INF UINT64_MAX

enum xfrm_mode {
	XFRM_MODE_TRANSPORT = 0,
	XFRM_MODE_TUNNEL = 1,
};

enum xfrm_dir {
	XFRM_POLICY_IN = 0,
	XFRM_POLICY_OUT = 1,
	XFRM_POLICY_FWD = 2,
	XFRM_POLICY_MAX = 3,
};

enum xfrm_action {
	XFRM_POLICY_ALLOW = 0,
	XFRM_POLICY_BLOCK = 1,
};

/* Traffic selector, as struct xfrm_selector. Ports are host order; for ICMP
 * and ICMPv6 the type sits in sport and the code in dport, as in Linux.
 * A mask of 0 means any port; proto 0 means any protocol; family 0 any. */
struct xfrm_selector {
	struct ip_addr daddr;
	struct ip_addr saddr;
	uint16_t dport, dport_mask;
	uint16_t sport, sport_mask;
	uint8_t family;
	uint8_t prefixlen_d;
	uint8_t prefixlen_s;
	uint8_t proto;
	uint32_t ifindex;
};

/* What a selector is matched against: the five tuple of one packet. */
struct xfrm_flow {
	struct ip_addr saddr;
	struct ip_addr daddr;
	uint8_t proto;
	uint16_t sport;   /* host order; ICMP type */
	uint16_t dport;   /* host order; ICMP code */
};

/* True if fl matches sel (Linux's xfrm_selector_match): same family (a
 * selector of family 0 matches every address), both prefixes, proto (0 =
 * any), ports under their masks. sel->ifindex is not matched. */
bool xfrm_selector_match(const struct xfrm_selector *sel, const struct xfrm_flow *fl);
/* True if sel is well-formed: family 0 (then no addresses or prefixes),
 * AF_INET or AF_INET6; prefix lengths within the family; address families
 * unset or equal to sel->family. */
bool xfrm_selector_valid(const struct xfrm_selector *sel);
/* Canonical form, as stored by the SPD: address bits beyond the prefixes
 * and port bits outside the masks cleared, address families = sel->family. */
void xfrm_selector_normalize(struct xfrm_selector *sel);
/* Field-by-field equality (of normalized selectors). */
bool xfrm_selector_equal(const struct xfrm_selector *a, const struct xfrm_selector *b);
/* 32, 128, or 0 for an unknown family. */
unsigned xfrm_family_bits(uint8_t family);

/* Lifetime limits, as struct xfrm_lifetime_cfg. XFRM_INF and 0 both mean
 * "no limit" (Linux uses XFRM_INF for bytes/packets and 0 for seconds; a
 * zero-initialised config thus has no limits). */
struct xfrm_lifetime_cfg {
	uint64_t soft_byte_limit, hard_byte_limit;
	uint64_t soft_packet_limit, hard_packet_limit;
	uint64_t soft_add_expires_seconds, hard_add_expires_seconds;
	uint64_t soft_use_expires_seconds, hard_use_expires_seconds;
};

/* Current use, as struct xfrm_lifetime_cur. Times are monotonic seconds
 * (add_time also kept as wall time for printing). */
struct xfrm_lifetime_cur {
	uint64_t bytes;
	uint64_t packets;
	uint64_t add_time;      /* monotonic seconds */
	uint64_t use_time;      /* monotonic seconds of first use, 0 = unused */
	uint64_t add_time_wall; /* epoch seconds */
	uint64_t use_time_wall;
};

void xfrm_lifetime_cfg_init(struct xfrm_lifetime_cfg *cfg); /* all XFRM_INF */

/* An algorithm and its key, as struct xfrm_algo / xfrm_algo_aead /
 * xfrm_algo_auth. Names are the Linux crypto API names ip xfrm uses:
 * "rfc4106(gcm(aes))", "rfc7539esp(chacha20,poly1305)", "rfc4543(gcm(aes))",
 * "cbc(aes)", "ecb(cipher_null)", "hmac(sha256)", ... For AEADs and GMAC the
 * key includes the 4-byte salt at its end, exactly as ip xfrm takes it.
 * An empty name means "not present". */
#define XFRM_ALGO_NAME_MAX 64
#define XFRM_KEY_MAX 68
struct xfrm_algo {
	char name[XFRM_ALGO_NAME_MAX];
	uint16_t key_len;    /* bytes */
	uint16_t icv_bits;   /* AEAD ICV or auth truncation length, bits */
	uint8_t key[XFRM_KEY_MAX];
};

/* UDP encapsulation (RFC 3948), as struct xfrm_encap_tmpl. */
#define UDP_ENCAP_ESPINUDP_ 2
struct xfrm_encap {
	uint16_t type;       /* 0 = none, UDP_ENCAP_ESPINUDP_ */
	uint16_t sport;      /* host order */
	uint16_t dport;
	struct ip_addr oa;   /* original address (NAT-OA), may be zero */
};

/* The /proc/net/xfrm_stat counters, in the kernel's order. */
#define XFRM_MIB_LIST(X) \
	X(IN_ERROR, "XfrmInError") \
	X(IN_BUFFER_ERROR, "XfrmInBufferError") \
	X(IN_HDR_ERROR, "XfrmInHdrError") \
	X(IN_NO_STATES, "XfrmInNoStates") \
	X(IN_STATE_PROTO_ERROR, "XfrmInStateProtoError") \
	X(IN_STATE_MODE_ERROR, "XfrmInStateModeError") \
	X(IN_STATE_SEQ_ERROR, "XfrmInStateSeqError") \
	X(IN_STATE_EXPIRED, "XfrmInStateExpired") \
	X(IN_STATE_MISMATCH, "XfrmInStateMismatch") \
	X(IN_STATE_INVALID, "XfrmInStateInvalid") \
	X(IN_TMPL_MISMATCH, "XfrmInTmplMismatch") \
	X(IN_NO_POLS, "XfrmInNoPols") \
	X(IN_POL_BLOCK, "XfrmInPolBlock") \
	X(IN_POL_ERROR, "XfrmInPolError") \
	X(OUT_ERROR, "XfrmOutError") \
	X(OUT_BUNDLE_GEN_ERROR, "XfrmOutBundleGenError") \
	X(OUT_BUNDLE_CHECK_ERROR, "XfrmOutBundleCheckError") \
	X(OUT_NO_STATES, "XfrmOutNoStates") \
	X(OUT_STATE_PROTO_ERROR, "XfrmOutStateProtoError") \
	X(OUT_STATE_MODE_ERROR, "XfrmOutStateModeError") \
	X(OUT_STATE_SEQ_ERROR, "XfrmOutStateSeqError") \
	X(OUT_STATE_EXPIRED, "XfrmOutStateExpired") \
	X(OUT_POL_BLOCK, "XfrmOutPolBlock") \
	X(OUT_POL_DEAD, "XfrmOutPolDead") \
	X(OUT_POL_ERROR, "XfrmOutPolError") \
	X(FWD_HDR_ERROR, "XfrmFwdHdrError") \
	X(OUT_STATE_INVALID, "XfrmOutStateInvalid") \
	X(ACQUIRE_ERROR, "XfrmAcquireError")

enum xfrm_mib {
#define X(id, name) XFRM_MIB_##id,
	XFRM_MIB_LIST(X)
#undef X
	XFRM_MIB_MAX
};

/* "XfrmInNoStates" for XFRM_MIB_IN_NO_STATES; NULL if out of range. */
const char *xfrm_mib_name(enum xfrm_mib mib);

struct xfrm_stats {
	uint64_t mib[XFRM_MIB_MAX];
};

#endif
