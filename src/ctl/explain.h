/* uipsec explain SRC DST [PROTO [PORT]]: what would happen to such a
 * packet, without sending one. For the flow and its reply it says which
 * policy matches leaving through the tunnel (dir out) and arriving from it
 * (dir fwd, or in for a local destination), which SA that policy would use
 * or why there is none (no SA yet: the first packet raises an acquire; a
 * block policy; no policy, with the nearest policies and the field that
 * did not match), and the route the kernel gives the destination (into
 * the TUN device or not), in sentences that say what to do.
 *
 * It reads the SAD and SPD only: no counters change. Its decisions are the
 * data path's own functions (xfrm_lookup_out, xfrm_policy_check in
 * xfrm/lookup.h, asked with XFRM_LOOKUP_PEEK, which counts no hits), so it
 * names the policy and SA a packet would really get.
 *
 * Threading: the daemon's loop (the SAD/SPD owner). */
#ifndef UIPSEC_CTL_EXPLAIN_H
#define UIPSEC_CTL_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "io/route_get.h"
#include "xfrm/xfrm.h"

struct sad;
struct spd;

struct explain_env {
	struct sad *sad;
	struct spd *spd;
	const char *tun_name;   /* "ipsec0" */
	void *ctx;
	/* Is a one of this host's addresses? (decides dir in or fwd) */
	bool (*is_local)(void *ctx, const struct ip_addr *a);
	/* Route lookup (io/route_get.h); NULL: routes are not shown. */
	int (*route)(const struct ip_addr *dst, const struct ip_addr *src,
	             struct route_answer *out);
};

/* Parse "SRC DST [PROTO [PORT]]" into a flow (PORT: destination port, or
 * the ICMP type; ICMP defaults to echo request). 0, or -EINVAL with a
 * one-line reason in err. */
int explain_parse(int argc, char **argv, struct xfrm_flow *fl, char *err, size_t errlen);

/* Write the explanation of fl to out. 0, or -errno. */
int explain_flow(const struct explain_env *env, const struct xfrm_flow *fl, FILE *out);

#endif
