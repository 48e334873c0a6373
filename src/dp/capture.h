/* Capture taps: copies of packets at chosen points of the data path, for
 * `uipsec capture` (pcap/pcapng files readable by tcpdump and Wireshark).
 *
 *   esp-in     an ESP packet as it arrived (before xfrm_input)
 *   inner-in   the decrypted inner packet on its way to the TUN device
 *   inner-out  an inner packet read from the TUN device (before xfrm_lookup)
 *   esp-out    an ESP packet as it leaves (after esp_output)
 *   drop       every packet the data path drops, with its reason
 *
 * ESP packets reach the data path without their outer headers (the socket
 * took them off); the tap puts back an outer IPv4/IPv6 header, and a UDP
 * header for ESP-in-UDP, built from p->meta, so the capture shows what was
 * on the wire (IP options and the original IP ID/TTL are not known).
 *
 * Drops: an inbound packet is captured as it arrived (ESP, never the
 * unauthenticated plaintext of a packet that failed its ICV check), except
 * when the policy check after decryption refused it, where the decrypted
 * inner packet is what explains the drop. An outbound packet is captured
 * as it came from the TUN device.
 *
 * Cost: with no capture attached, one test of dp->capture_points per packet
 * and tap site; nothing is copied.
 *
 * Threading: the data-path thread (the daemon's loop). */
#ifndef UIPSEC_DP_CAPTURE_H
#define UIPSEC_DP_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xfrm/drop.h"

struct dp;
struct pkt;

enum dp_cap_point {
	DP_CAP_ESP_IN = 0,
	DP_CAP_INNER_IN = 1,
	DP_CAP_INNER_OUT = 2,
	DP_CAP_ESP_OUT = 3,
	DP_CAP_DROP = 4,
	DP_CAP_MAX
};

#define DP_CAP_BIT(pt) (1u << (pt))
#define DP_CAP_ALL ((1u << DP_CAP_MAX) - 1)

/* Largest packet a tap hands out: a 16-bit IP packet plus the outer IPv6
 * and UDP headers the tap adds. */
#define DP_CAP_MAX_LEN (65535u + 40u + 8u)

/* One captured packet, valid during the emit call only. */
struct dp_cap_pkt {
	enum dp_cap_point point;
	bool out;                  /* outbound path (TUN -> network) */
	const uint8_t *data;       /* a whole IP packet */
	uint32_t len;
	enum drop_reason reason;   /* DP_CAP_DROP: why; else DROP_NONE */
	uint64_t ts_ns;            /* wall clock, nanoseconds since the epoch */
};

/* Who receives captured packets (the control socket). points is the set
 * of DP_CAP_BIT()s wanted (0: detach). Called on the data-path thread;
 * must not block. */
struct dp_capturer {
	void *ctx;
	unsigned points;
	void (*emit)(void *ctx, const struct dp_cap_pkt *cp);
};

/* "esp-in", ...; NULL out of range. */
const char *dp_cap_point_name(enum dp_cap_point pt);
/* Parse a point name; -EINVAL if unknown. */
int dp_cap_point_parse(const char *s, enum dp_cap_point *out);

/* Attach (c->points nonzero) or detach the capturer. 0 or -ENOMEM (the
 * snapshot buffer for drops could not be allocated). */
int dp_set_capturer(struct dp *dp, const struct dp_capturer *c);
/* Free the tap's buffers (dp_fini). */
void dp_capture_fini(struct dp *dp);

/* Build the IP packet a tap shows into out (size DP_CAP_MAX_LEN): for
 * esp true the outer IP (+UDP) header from p->meta followed by p's bytes;
 * else p's bytes. Returns the length, or 0 if it does not fit or the
 * family is unknown. Exposed for the unit test. */
uint32_t dp_cap_build(const struct pkt *p, bool esp, uint8_t *out);

/* The taps, called by the data path only when dp->capture_points is set.
 * dp_cap_in_begin: a packet from the public sockets (esp-in; snapshot
 * for a drop). dp_cap_in_drop: it was dropped with r (decrypted: p holds
 * the inner packet). dp_cap_out_begin: a packet from the TUN device
 * (inner-out; snapshot). dp_cap_out_drop: dropped with r.
 * dp_cap_tap: p at point pt as it is (inner-in, esp-out). */
void dp_cap_in_begin(struct dp *dp, const struct pkt *p);
void dp_cap_in_drop(struct dp *dp, const struct pkt *p, enum drop_reason r);
void dp_cap_out_begin(struct dp *dp, const struct pkt *p);
void dp_cap_out_drop(struct dp *dp, enum drop_reason r);
void dp_cap_tap(struct dp *dp, enum dp_cap_point pt, const struct pkt *p);

#endif
