/* The inbound path (Linux: xfrm_input, esp_input, xfrm_policy_check), from
 * the public sockets to the TUN device. Runs on the data-path loop.
 *
 * Every stage either passes the packet on or returns a drop reason; the
 * reason is counted once, at the end, in dp->stats (and per state by
 * esp_input), and recorded in the trace when tracing. */
#include "dp/dp.h"
#include "dp/flow.h"
#include "esp/esp.h"
#include "esp/udp_encap.h"
#include "util/bytes.h"
#include "util/log.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

#include <netinet/in.h>
#include <string.h>

#define TRACE(dp, stage, ...) \
	do { \
		if (__builtin_expect((dp)->tracing, 0)) \
			trace_pkt_line(&(dp)->tp, stage, __VA_ARGS__); \
	} while (0)

/* RFC 3948 section 2: what arrived on UDP 4500 (esp/udp_encap.h). Port
 * 500 carries IKE without a marker. */
static enum udp_encap_kind udp_classify(const struct pkt *p)
{
	if (p->meta.dport == 500)
		return UDP_ENCAP_KIND_IKE;
	return udp_encap_classify(pkt_data(p), p->len);
}

static void to_ike(struct dp *dp, struct pkt *p)
{
	if (p->meta.dport != 500)
		pkt_pull(p, UDP_ENCAP_NON_ESP_MARKER_LEN);
	if (p->len > dp->ike_max) {
		/* a peer's choice, so warn rate-limited: the administrator
		 * set the limit (--max-packet) and should see it bite */
		struct ip_addr src;
		char ab[IP_ADDR_STRLEN];

		ip_addr_from_bytes(&src, p->meta.family, p->meta.saddr);
		dp->cnt.ike_too_big++;
		log_warn_rl("IKE message of %u bytes from %s port %u refused: larger than the "
		            "limit of %u (--max-packet)", p->len, ip_addr_fmt(&src, ab),
		            p->meta.sport, dp->ike_max);
		return;
	}
	if (dp->io.ike) {
		dp->cnt.ike_packets++;
		dp->io.ike(dp->io.ctx, p);
	} else {
		dp->cnt.ike_dropped++;
	}
}

/* Does state sa satisfy template t (xfrm_state_ok in Linux)? */
static bool tmpl_ok(const struct xfrm_tmpl *t, const struct sad_sa *sa)
{
	if (t->proto && t->proto != sa->proto)
		return false;
	if (t->spi && t->spi != sa->spi)
		return false;
	if (t->reqid && t->reqid != sa->reqid)
		return false;
	if (t->mode != sa->mode)
		return false;
	if (sa->mode == XFRM_MODE_TUNNEL) {
		if (!ip_addr_is_zero(&t->saddr) && !ip_addr_equal(&t->saddr, &sa->saddr))
			return false;
		if (!ip_addr_is_zero(&t->daddr) && !ip_addr_equal(&t->daddr, &sa->daddr))
			return false;
	}
	return true;
}

/* xfrm_policy_check: the decrypted packet must be allowed by a policy of
 * the right direction whose templates the state satisfies (Linux
 * __xfrm_policy_check: no policy after a tunnel-mode state is
 * XfrmInNoPols; a required template not met, or a tunnel-mode state no
 * template asked for, is XfrmInTmplMismatch). */
static enum drop_reason policy_check(struct dp *dp, struct sad_sa *sa,
                                     const struct xfrm_flow *fl)
{
	uint8_t dir = dp_is_local(dp, &fl->daddr) ? XFRM_POLICY_IN : XFRM_POLICY_FWD;
	struct spd_policy *pol;
	enum drop_reason r = DROP_NONE;
	unsigned i, required = 0;
	bool matched = false;
	char pb[160], vb[64];

	/* The state's own selector must admit the decrypted packet (Linux
	 * __xfrm_policy_check: XfrmInStateMismatch). */
	if (dp->ic.valid && dp->ic.sa == sa && !dp->tracing && dp_flow_same(&dp->ic.fl, fl) &&
	    dp->ic.gen == dp_tables_gen(dp)) {
		/* the flow and state of the packet before: it passed */
		spd_policy_hit(dp->ic.pol);
		return DROP_NONE;
	}
	if (sa->sel.family && !xfrm_selector_match(&sa->sel, fl)) {
		r = DROP_IN_STATE_MISMATCH;
		TRACE(dp, "xfrm_policy_check", "state selector does not match the inner packet: %s",
		      trace_fmt_verdict(r, vb, sizeof(vb)));
		return r;
	}
	pol = spd_lookup(dp->spd, dir, fl);

	if (!pol) {
		if (sa->mode == XFRM_MODE_TUNNEL)
			r = DROP_IN_NO_POLICY;
		TRACE(dp, "xfrm_policy_check", "dir %s no policy: %s", dir == XFRM_POLICY_IN ?
		      "in" : "fwd", trace_fmt_verdict(r, vb, sizeof(vb)));
		return r;
	}
	if (pol->action == XFRM_POLICY_BLOCK) {
		r = DROP_IN_POL_BLOCK;
	} else {
		for (i = 0; i < pol->ntmpl; i++) {
			if (!pol->tmpl[i].optional)
				required++;
			if (!matched && tmpl_ok(&pol->tmpl[i], sa))
				matched = true;
		}
		/* One state was applied: it must match a template, and no
		 * second required template can be met. */
		if (pol->ntmpl == 0 ? sa->mode == XFRM_MODE_TUNNEL : (!matched || required > 1))
			r = DROP_IN_TMPL_MISMATCH;
	}
	TRACE(dp, "xfrm_policy_check", "policy %s: %s", trace_fmt_pol(pol, pb, sizeof(pb)),
	      trace_fmt_verdict(r, vb, sizeof(vb)));
	if (r == DROP_NONE)
		dp->ic = (struct dp_flow_cache){ .valid = true, .gen = dp_tables_gen(dp), .fl = *fl,
		                                 .pol = pol, .sa = sa };
	return r;
}

/* esp_input() runs the RFC 4303 steps in order (replay check, ICV,
 * replay advance, trailer, decapsulation); show each as its own stage,
 * up to the one that decided. */
static void trace_esp_input(struct dp *dp, const struct sad_sa *sa, enum drop_reason r,
                            uint32_t seq, uint32_t len)
{
	char sb[96], vb[64];

	if (r == DROP_REPLAY || r == DROP_REPLAY_OLD || r == DROP_SEQ_ZERO) {
		TRACE(dp, "xfrm_replay_check", "seq %u window %u: %s", seq, sa->replay.size,
		      trace_fmt_verdict(r, vb, sizeof(vb)));
		return;
	}
	TRACE(dp, "xfrm_replay_check", "seq %u window %u: ok", seq, sa->replay.size);
	if (r == DROP_AUTH_FAILED || r == DROP_IN_CRYPTO_ERROR || r == DROP_BAD_LEN ||
	    r == DROP_IN_EXPIRED || r == DROP_IN_STATE_INVALID || r == DROP_BAD_SPI) {
		TRACE(dp, "esp_input", "%s len %u: %s", trace_fmt_sa(sa, sb, sizeof(sb)), len,
		      trace_fmt_verdict(r, vb, sizeof(vb)));
		return;
	}
	TRACE(dp, "esp_input", "%s len %u: icv ok", trace_fmt_sa(sa, sb, sizeof(sb)), len);
	TRACE(dp, "xfrm_replay_advance", "seq %u top %llu: ok", seq,
	      (unsigned long long)sa->replay.top);
	TRACE(dp, sa->mode == XFRM_MODE_TUNNEL ? "xfrm_inner_mode_input" : "xfrm_transport_input",
	      "%s", r ? trace_fmt_verdict(r, vb, sizeof(vb)) : "decapsulated");
}

static enum drop_reason input_one(struct dp *dp, struct pkt *p)
{
	struct ip_addr daddr, saddr;
	struct sad_sa *sa;
	struct xfrm_flow fl;
	enum drop_reason r;
	uint32_t spi, seq, outer_len = p->len;
	char sb[96], vb[64], ab[IP_ADDR_STRLEN], bb[IP_ADDR_STRLEN], fb[128];

	ip_addr_from_bytes(&daddr, p->meta.family, p->meta.daddr);
	ip_addr_from_bytes(&saddr, p->meta.family, p->meta.saddr);
	if (dp->tracing) {
		dp->tp.has_outer = true;
		dp->tp.outer_src = saddr;
		dp->tp.outer_dst = daddr;
	}
	if (p->len < 8) {
		r = DROP_BAD_LEN;
		TRACE(dp, "xfrm_input", "%s > %s len %u: %s", ip_addr_fmt(&saddr, ab),
		      ip_addr_fmt(&daddr, bb), p->len, trace_fmt_verdict(r, vb, sizeof(vb)));
		return r;
	}
	spi = get_be32(pkt_data(p));
	seq = get_be32(pkt_data(p) + 4);
	if (dp->tracing) {
		dp->tp.has_spi = true;
		dp->tp.spi = spi;
	}
	TRACE(dp, "xfrm_input", "%s %s > %s spi 0x%08x seq %u len %u",
	      p->meta.udp_encap ? "esp-in-udp" : "esp", ip_addr_fmt(&saddr, ab),
	      ip_addr_fmt(&daddr, bb), spi, seq, p->len);

	sa = sad_lookup(dp->sad, &daddr, spi, IPPROTO_ESP_);
	if (!sa) {
		r = DROP_NO_STATE;
		dp_nostate(dp, &saddr, &daddr, spi);   /* the peer may keep an SA we lost */
		TRACE(dp, "xfrm_state_lookup", "spi 0x%08x: %s", spi,
		      trace_fmt_verdict(r, vb, sizeof(vb)));
		return r;
	}
	/* Linux xfrm_input: the state's encapsulation must match how the
	 * packet came (XfrmInStateMismatch). */
	if ((sa->encap.type != 0) != (p->meta.udp_encap != 0))
		r = DROP_IN_STATE_MISMATCH;
	else
		r = DROP_NONE;
	TRACE(dp, "xfrm_state_lookup", "%s: %s", trace_fmt_sa(sa, sb, sizeof(sb)),
	      trace_fmt_verdict(r, vb, sizeof(vb)));
	if (r)
		return r;

	dp_sa_hold(dp, sa);
	r = esp_input(sa, p);
	if (__builtin_expect(dp->tracing, 0))
		trace_esp_input(dp, sa, r, seq, outer_len);
	if (r)
		return r;

	if (!dp_flow_parse(pkt_data(p), p->len, &fl)) {
		r = DROP_BAD_NEXT_HEADER;
		TRACE(dp, "xfrm_policy_check", "inner packet malformed: %s",
		      trace_fmt_verdict(r, vb, sizeof(vb)));
		return r;
	}
	if (dp->tracing) {
		dp->tp.has_inner = true;
		dp->tp.inner = fl;
	}
	r = policy_check(dp, sa, &fl);
	if (r)
		return r;

	TRACE(dp, "tun_write", "%s len %u", dp_flow_fmt(&fl, fb, sizeof(fb)), p->len);
	dp->cnt.in_packets++;
	dp->cnt.in_bytes += p->len;
	if (__builtin_expect(dp->capture_points, 0))
		dp_cap_tap(dp, DP_CAP_INNER_IN, p);
	dp->io.to_tun(dp->io.ctx, p);
	return DROP_NONE;
}

void dp_input(struct dp *dp, struct pkt **pkts, unsigned n)
{
	unsigned i;

	dp->ic.valid = false;
	for (i = 0; i < n; i++) {
		struct pkt *p = pkts[i];
		enum drop_reason r;

		if (p->meta.udp_encap) {
			switch (udp_classify(p)) {
			case UDP_ENCAP_KIND_IKE:
				to_ike(dp, p);
				continue;
			case UDP_ENCAP_KIND_KEEPALIVE:
				dp->cnt.keepalives++;
				continue;
			case UDP_ENCAP_KIND_INVALID:   /* counted as bad length below */
			case UDP_ENCAP_KIND_ESP:
				break;
			}
		}
		if (__builtin_expect(dp->tracing, 0))
			trace_pkt_begin(&dp->tp, false);
		if (__builtin_expect(dp->capture_points, 0))
			dp_cap_in_begin(dp, p);
		r = input_one(dp, p);
		if (r) {
			dp_count_drop(dp, r);
			if (__builtin_expect(dp->capture_points, 0))
				dp_cap_in_drop(dp, p, r);
			log_debug_rl("input: drop %s", drop_reason_name(r));
		}
		if (__builtin_expect(dp->tracing, 0)) {
			dp->tp.verdict = r;
			dp->tracer.emit(dp->tracer.ctx, &dp->tp);
		}
	}
	dp_sa_release(dp);
}
