/* Packet trace: one line per stage of a packet's way through the data
 * path, named after the Linux function the stage stands for (xfrm_input,
 * xfrm_state_lookup, xfrm_replay_check, esp_input, xfrm_replay_advance,
 * xfrm_policy_check on the way in; xfrm_lookup, xfrm_state_find,
 * esp_output, xfrm_output on the way out), each with the SA (SPI, reqid),
 * the policy (index, selector), the verdict and the drop reason.
 *
 * The data path collects a packet's lines in one struct trace_pkt and
 * hands it to the tracer when the packet is done, so that a filter can
 * look at everything known about it (outer addresses, SPI, inner flow).
 * With no tracer attached each trace point costs one predictable branch
 * (dp->tracing); nothing is formatted. */
#ifndef UIPSEC_DP_TRACE_H
#define UIPSEC_DP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xfrm/drop.h"
#include "xfrm/xfrm.h"

struct sad_sa;
struct spd_policy;

#define TRACE_MAX_LINES 16
#define TRACE_LINE_MAX 256

struct trace_pkt {
	uint64_t id;              /* packet number, shared by its lines */
	bool out;                 /* outbound (TUN -> network) */
	bool has_outer;
	struct ip_addr outer_src, outer_dst;
	bool has_spi;
	uint32_t spi;
	bool has_inner;
	struct xfrm_flow inner;
	enum drop_reason verdict;
	unsigned nlines;
	char line[TRACE_MAX_LINES][TRACE_LINE_MAX];
};

/* Who receives finished packet traces (the control socket). Called on the
 * data-path thread; must not block. */
struct dp_tracer {
	void *ctx;
	void (*emit)(void *ctx, const struct trace_pkt *tp);
};

/* uipsec trace [host PREFIX] [src PREFIX] [dst PREFIX] [spi SPI]
 *              [proto icmp|tcp|udp|esp|ipv6-icmp|NUM]
 * host matches any outer or inner address; src/dst the inner (or, for
 * packets that never got decrypted, outer) source/destination; proto the
 * inner protocol (esp: every packet with an SPI). All given must match. */
struct trace_filter {
	bool has_host, has_src, has_dst, has_spi, has_proto;
	struct ip_addr host, src, dst;
	uint8_t host_len, src_len, dst_len;
	uint32_t spi;
	uint8_t proto;
};

/* Parse argv (argc words). 0, or -EINVAL with a one-line reason in err. */
int trace_filter_parse(int argc, char **argv, struct trace_filter *f, char *err, size_t errlen);
bool trace_filter_match(const struct trace_filter *f, const struct trace_pkt *tp);

/* Start a packet's trace (clears tp, assigns the next id). */
void trace_pkt_begin(struct trace_pkt *tp, bool out);
/* Append "STAGE: details" (truncated to TRACE_LINE_MAX; extra lines are
 * dropped). */
void trace_pkt_line(struct trace_pkt *tp, const char *stage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "spi 0x00001000 reqid 1 mode tunnel" */
const char *trace_fmt_sa(const struct sad_sa *sa, char *buf, size_t len);
/* "index 9 dir in 10.1.0.0/24 -> 10.2.0.0/24 proto any action allow" */
const char *trace_fmt_pol(const struct spd_policy *pol, char *buf, size_t len);
/* "ok" or "drop replay (XfrmInStateSeqError)" */
const char *trace_fmt_verdict(enum drop_reason r, char *buf, size_t len);

#endif
