/* The outbound path (Linux: xfrm_lookup, xfrm_state_find, esp_output,
 * xfrm_output), from the TUN device to the public sockets. Runs on the
 * data-path loop. */
#include "dp/dp.h"
#include "dp/flow.h"
#include "esp/esp.h"
#include "util/clock.h"
#include "util/log.h"
#include "xfrm/acquire.h"
#include "xfrm/events.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

#include <netinet/in.h>
#include <string.h>

#define TRACE(dp, stage, ...) \
	do { \
		if (__builtin_expect((dp)->tracing, 0)) \
			trace_pkt_line(&(dp)->tp, stage, __VA_ARGS__); \
	} while (0)

/* Raise an acquire for (pol, tmpl) unless one is pending: the key
 * manager needs one per negotiation, not one per packet (Linux holds
 * further acquires off with a larval state; xfrm/acquire.h). */
static void acquire(struct dp *dp, const struct spd_policy *pol, const struct xfrm_tmpl *t,
                    const struct xfrm_flow *fl)
{
	if (!dp->events || !dp->events->acquire)
		return;
	if (dp->acq && !xfrm_acquire_should_send(dp->acq, pol, t, clock_mono_sec())) {
		dp->cnt.acquires_suppressed++;
		return;
	}
	dp->cnt.acquires++;
	dp->events->acquire(dp->events->ctx, pol, t, fl);
}

static bool link_local_chatter(const struct xfrm_flow *fl)
{
	const uint8_t *s = fl->saddr.a, *d = fl->daddr.a;

	if (fl->daddr.family == AF_INET6)
		return d[0] == 0xff || (s[0] == 0xfe && (s[1] & 0xc0) == 0x80) ||
		       ip_addr_is_zero(&fl->saddr);
	return (d[0] & 0xf0) == 0xe0 || (d[0] == 255 && d[1] == 255 && d[2] == 255 && d[3] == 255);
}

/* Everything up to a packet ready to send; returns the verdict. */
static enum drop_reason output_one(struct dp *dp, struct pkt *p, bool *ready)
{
	struct xfrm_flow fl;
	struct spd_policy *pol;
	const struct xfrm_tmpl *t;
	struct sad_sa *sa;
	enum drop_reason r;
	uint32_t inner_len = p->len;

	*ready = false;
	char fb[128], pb[160], sb[96], vb[64], ab[IP_ADDR_STRLEN], bb[IP_ADDR_STRLEN];

	if (!dp_flow_parse(pkt_data(p), p->len, &fl)) {
		r = DROP_OUT_BAD_PACKET;
		TRACE(dp, "xfrm_lookup", "len %u: %s", p->len, trace_fmt_verdict(r, vb, sizeof(vb)));
		return r;
	}
	if (dp->tracing) {
		dp->tp.has_inner = true;
		dp->tp.inner = fl;
	}
	TRACE(dp, "tun_read", "%s len %u", dp_flow_fmt(&fl, fb, sizeof(fb)), p->len);

	if (dp->oc.valid && !dp->tracing && dp_flow_same(&dp->oc.fl, &fl) &&
	    dp->oc.gen == dp_tables_gen(dp)) {
		/* the flow of the packet before: same policy, same state */
		spd_policy_hit(dp->oc.pol);
		sa = dp->oc.sa;
		goto encrypt;
	}
	pol = spd_lookup(dp->spd, XFRM_POLICY_OUT, &fl);
	if (!pol && link_local_chatter(&fl)) {
		/* the kernel's own IPv6 neighbour discovery and MLD on the TUN
		 * device, or multicast: no one asked to protect it, and it is
		 * not an xfrm error either */
		dp->cnt.tun_ignored++;
		TRACE(dp, "xfrm_lookup", "link-local or multicast, no policy: ignored");
		return DROP_NONE;
	}
	if (!pol) {
		r = DROP_OUT_NO_POLICY;
		TRACE(dp, "xfrm_lookup", "dir out no policy: %s", trace_fmt_verdict(r, vb, sizeof(vb)));
		return r;
	}
	if (pol->action == XFRM_POLICY_BLOCK) {
		r = DROP_OUT_POL_BLOCK;
		TRACE(dp, "xfrm_lookup", "policy %s: %s", trace_fmt_pol(pol, pb, sizeof(pb)),
		      trace_fmt_verdict(r, vb, sizeof(vb)));
		return r;
	}
	if (pol->ntmpl == 0) {
		/* bypass: allowed in clear */
		if (!dp->io.bypass) {
			r = DROP_OUT_NO_POLICY;
			TRACE(dp, "xfrm_lookup", "policy %s: bypass, no clear path: %s",
			      trace_fmt_pol(pol, pb, sizeof(pb)), trace_fmt_verdict(r, vb, sizeof(vb)));
			return r;
		}
		TRACE(dp, "xfrm_lookup", "policy %s: bypass", trace_fmt_pol(pol, pb, sizeof(pb)));
		dp->cnt.bypassed++;
		dp->io.bypass(dp->io.ctx, p);
		return DROP_NONE;
	}
	TRACE(dp, "xfrm_lookup", "policy %s: protect", trace_fmt_pol(pol, pb, sizeof(pb)));

	/* One template (no nested bundles): the state that satisfies it. */
	t = &pol->tmpl[0];
	/* As xfrm_tmpl_resolve_one: a transport template without addresses
	 * takes the packet's, which is what tells the outbound state from the
	 * inbound one when both carry the same reqid (as with IKE). */
	sa = sad_lookup_out_flow(dp->sad, t, &fl);
	if (!sa) {
		r = DROP_OUT_NO_STATE;
		acquire(dp, pol, t, &fl);
		/* held until the SA is up (dp/hold.h) where someone flushes the
		 * queue (io.held), or dropped as before */
		if (dp->io.held && dp_hold_add(dp, pol->index, t->reqid, p, clock_mono_ns() / 1000000) == 0) {
			dp->io.held(dp->io.ctx);
			TRACE(dp, "xfrm_state_find", "reqid %u %s -> %s: acquire, held", t->reqid,
			      ip_addr_fmt(&t->saddr, ab), ip_addr_fmt(&t->daddr, bb));
			return DROP_NONE;
		}
		if (dp->io.held)
			dp->cnt.hold_dropped++;
		TRACE(dp, "xfrm_state_find", "reqid %u %s -> %s: acquire, %s", t->reqid,
		      ip_addr_fmt(&t->saddr, ab), ip_addr_fmt(&t->daddr, bb),
		      trace_fmt_verdict(r, vb, sizeof(vb)));
		return r;
	}
	if (dp->tracing) {
		dp->tp.has_spi = true;
		dp->tp.spi = sa->spi;
		dp->tp.has_outer = true;
		dp->tp.outer_src = sa->saddr;
		dp->tp.outer_dst = sa->daddr;
	}
	TRACE(dp, "xfrm_state_find", "%s: ok", trace_fmt_sa(sa, sb, sizeof(sb)));
	dp->oc = (struct dp_flow_cache){ .valid = true, .gen = dp_tables_gen(dp), .fl = fl,
	                                  .pol = pol, .sa = sa };

encrypt:
	dp_sa_hold(dp, sa);
	r = esp_output(sa, p);
	if (r)
		dp->oc.valid = false;   /* e.g. hard expired: look again next time */
	TRACE(dp, "esp_output", "%s seq %llu len %u -> %u: %s", trace_fmt_sa(sa, sb, sizeof(sb)),
	      (unsigned long long)sa->oseq, inner_len, p->len, trace_fmt_verdict(r, vb, sizeof(vb)));
	if (r)
		return r;
	TRACE(dp, "xfrm_output", "%s %s > %s", p->meta.udp_encap ? "esp-in-udp" : "esp",
	      ip_addr_fmt(&sa->saddr, ab), ip_addr_fmt(&sa->daddr, bb));
	*ready = true;
	return DROP_NONE;
}

void dp_output(struct dp *dp, struct pkt **pkts, unsigned n)
{
	struct pkt *send[PKT_BATCH_MAX];
	unsigned i, ns = 0;

	dp->oc.valid = false;

	for (i = 0; i < n; i++) {
		struct pkt *p = pkts[i];
		enum drop_reason r;
		bool ready;

		if (__builtin_expect(dp->tracing, 0))
			trace_pkt_begin(&dp->tp, true);
		if (__builtin_expect(dp->capture_points, 0))
			dp_cap_out_begin(dp, p);
		r = output_one(dp, p, &ready);
		if (r) {
			dp_count_drop(dp, r);
			if (__builtin_expect(dp->capture_points, 0))
				dp_cap_out_drop(dp, r);
			log_debug_rl("output: drop %s", drop_reason_name(r));
		} else if (ready) {
			if (__builtin_expect(dp->capture_points, 0))
				dp_cap_tap(dp, DP_CAP_ESP_OUT, p);
			send[ns++] = p;
			dp->cnt.out_packets++;
			dp->cnt.out_bytes += p->len;
		}
		if (__builtin_expect(dp->tracing, 0)) {
			dp->tp.verdict = r;
			dp->tracer.emit(dp->tracer.ctx, &dp->tp);
		}
		if (ns == PKT_BATCH_MAX) {
			dp_sa_release(dp);   /* not across a system call */
			dp->io.to_net(dp->io.ctx, send, ns);
			ns = 0;
		}
	}
	dp_sa_release(dp);
	if (ns)
		dp->io.to_net(dp->io.ctx, send, ns);
}
