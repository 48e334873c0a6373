/* The routing decisions of the packet path, written once.
 *
 * Outbound (Linux xfrm_lookup): the best policy of dir out for the
 * packet's flow; its action (block, bypass, protect); for protect, the
 * state its template resolves to (xfrm_tmpl_resolve_one + xfrm_state_find:
 * template addresses, or the packet's in transport mode, reqid, SPI, mode,
 * and the state's own selector), or an acquire when there is none.
 * Inbound (Linux xfrm_policy_check): whether a packet decrypted by a state
 * may arrive, by the state's selector and the policy of dir in or fwd.
 *
 * The daemon's output and input paths (dp/output.c, dp/input.c), `uipsec
 * pcap encrypt` (dp/offline.c) and `uipsec explain` (ctl/explain.c) all ask
 * these functions instead of keeping their own copies, so they cannot
 * disagree; tests/unit/test_lookup.c checks that they do not on random
 * tables. What a caller does with a decision (send, count, raise the
 * acquire, print a sentence) stays with the caller.
 *
 * Threading: a reader of the SAD and SPD (the data path under the rules of
 * sad.h and spd.h, or the control loop). Nothing is allocated. */
#ifndef UIPSEC_XFRM_LOOKUP_H
#define UIPSEC_XFRM_LOOKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "xfrm/drop.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"
#include "xfrm/xfrm.h"

enum xfrm_out_action {
	XFRM_OUT_PROTECT,    /* encrypt with d->sa */
	XFRM_OUT_BYPASS,     /* an allow policy without templates: in clear */
	XFRM_OUT_ACQUIRE,    /* protect, but no state for the template: drop
	                      * (DROP_OUT_NO_STATE); the key manager is asked */
	XFRM_OUT_BLOCK,      /* a block policy: DROP_OUT_POL_BLOCK */
	XFRM_OUT_NO_POLICY,  /* no policy: DROP_OUT_NO_POLICY */
	XFRM_OUT_IGNORE,     /* no policy, and link-local or multicast (the
	                      * kernel's neighbour discovery and MLD on the TUN
	                      * device): not sent, not an error */
};

struct xfrm_out_decision {
	enum xfrm_out_action action;
	enum drop_reason drop;          /* BLOCK, ACQUIRE, NO_POLICY; else DROP_NONE */
	struct spd_policy *pol;         /* the policy; NULL for NO_POLICY and IGNORE */
	const struct xfrm_tmpl *tmpl;   /* PROTECT, ACQUIRE: the template used */
	struct sad_sa *sa;              /* PROTECT: the state */
};

/* flags */
#define XFRM_LOOKUP_PEEK 1u   /* count no policy hit (explain: a question, not a packet) */

/* Decide for an outbound packet of flow fl. One template per policy is
 * used (no nested bundles): the first. Fills *d and returns d->drop.
 * Inline, below: it is the packet path's per-flow decision (a flow cache
 * miss), and a call more there costs (bench_dp "out 64 flows"). */
static inline enum drop_reason xfrm_lookup_out(struct spd *spd, struct sad *sad,
                                               const struct xfrm_flow *fl, unsigned flags,
                                               struct xfrm_out_decision *d);

/* The no-policy half of xfrm_lookup_out: XFRM_OUT_IGNORE for traffic the
 * kernel itself sends into the TUN device unasked (IPv6 multicast:
 * neighbour discovery, MLD; link-local or unspecified sources; IPv4
 * multicast and broadcast), else XFRM_OUT_NO_POLICY. */
enum xfrm_out_action xfrm_lookup_no_policy(const struct xfrm_flow *fl);

/* "protect", "bypass", "acquire", "block", "no-policy", "ignore". */
const char *xfrm_out_action_name(enum xfrm_out_action a);

/* Does state sa satisfy template t (Linux xfrm_state_ok): proto, SPI and
 * reqid if the template sets them, the mode, and in tunnel mode the
 * template's addresses if set. */
bool xfrm_tmpl_admits(const struct xfrm_tmpl *t, const struct sad_sa *sa);

/* xfrm_policy_check for a packet of flow fl that state sa decrypted, with
 * the policy of dir (XFRM_POLICY_IN for a local destination, else
 * XFRM_POLICY_FWD; the caller knows its addresses). Returns
 *   DROP_IN_STATE_MISMATCH  the state has a selector and fl is outside it
 *                           (*pol NULL: no policy was looked up);
 *   DROP_IN_NO_POLICY       no policy after a tunnel-mode state (*pol NULL;
 *                           after a transport-mode state no policy is
 *                           DROP_NONE, as in Linux);
 *   DROP_IN_POL_BLOCK       a block policy;
 *   DROP_IN_TMPL_MISMATCH   the state satisfies none of the policy's
 *                           templates, or a second required template
 *                           cannot be met, or a tunnel-mode state reached
 *                           a policy without templates;
 *   DROP_NONE               allowed.
 * *pol is the policy found (NULL if none). flags: XFRM_LOOKUP_PEEK. */
enum drop_reason xfrm_policy_check(struct spd *spd, const struct sad_sa *sa, uint8_t dir,
                                   const struct xfrm_flow *fl, unsigned flags,
                                   struct spd_policy **pol);

static inline enum drop_reason xfrm_lookup_out(struct spd *spd, struct sad *sad,
                                               const struct xfrm_flow *fl, unsigned flags,
                                               struct xfrm_out_decision *d)
{
	struct spd_policy *pol = (flags & XFRM_LOOKUP_PEEK) ? spd_find(spd, XFRM_POLICY_OUT, fl)
	                                                     : spd_lookup(spd, XFRM_POLICY_OUT, fl);

	d->pol = pol;
	d->tmpl = NULL;
	d->sa = NULL;
	d->drop = DROP_NONE;
	if (__builtin_expect(!pol, 0)) {
		d->action = xfrm_lookup_no_policy(fl);
		if (d->action == XFRM_OUT_NO_POLICY)
			d->drop = DROP_OUT_NO_POLICY;
		return d->drop;
	}
	if (pol->action == XFRM_POLICY_BLOCK) {
		d->action = XFRM_OUT_BLOCK;
		d->drop = DROP_OUT_POL_BLOCK;
		return d->drop;
	}
	if (pol->ntmpl == 0) {
		d->action = XFRM_OUT_BYPASS;
		return DROP_NONE;
	}
	/* One template (no nested bundles): the state that satisfies it, as
	 * xfrm_tmpl_resolve_one + xfrm_state_find (sad_lookup_out_flow: a
	 * transport template without addresses takes the packet's, which
	 * tells the outbound state from the inbound one when both carry the
	 * same reqid, as with IKE). */
	d->tmpl = &pol->tmpl[0];
	d->sa = sad_lookup_out_flow(sad, d->tmpl, fl);
	if (!d->sa) {
		d->action = XFRM_OUT_ACQUIRE;
		d->drop = DROP_OUT_NO_STATE;
		return d->drop;
	}
	d->action = XFRM_OUT_PROTECT;
	return DROP_NONE;
}

#endif
