/* The Security Policy Database: policies with selectors, a direction
 * (in, out, fwd), a priority, an action (allow, block) and templates that
 * say how matching traffic must be protected. Same verbs as ip xfrm policy.
 *
 * Priority follows Linux: the numerically smallest priority wins; among
 * equal priorities the policy added first wins.
 *
 * Threading: changed on the control loop only. */
#ifndef UIPSEC_XFRM_SPD_H
#define UIPSEC_XFRM_SPD_H

#include <stdbool.h>
#include <stdint.h>

#include "xfrm/xfrm.h"

#define SPD_MAX_TMPL 4

/* How traffic matching a policy must be protected (struct xfrm_user_tmpl).
 * Zero/unset fields match anything. */
struct xfrm_tmpl {
	struct ip_addr saddr;     /* tunnel endpoints (tunnel mode) */
	struct ip_addr daddr;
	uint32_t spi;             /* 0 = any */
	uint8_t proto;            /* IPPROTO_ESP_ */
	uint8_t mode;             /* enum xfrm_mode */
	uint8_t optional;         /* level use: not required inbound */
	uint32_t reqid;           /* 0 = any */
};
/* spd_add refuses (-EINVAL) a template whose proto is not 0 or ESP (AH and
 * IPComp are not implemented; 0 is taken as ESP), whose mode is unknown, or
 * whose saddr and daddr are of different families. */

struct spd_policy {
	struct xfrm_selector sel;
	uint8_t dir;              /* enum xfrm_dir */
	uint8_t action;           /* enum xfrm_action */
	uint32_t priority;
	uint32_t index;           /* assigned by spd_add if 0: (gen << 3) | dir */
	uint32_t ntmpl;
	struct xfrm_tmpl tmpl[SPD_MAX_TMPL];
	struct xfrm_lifetime_cfg lft;
	uint64_t add_time_wall;
	uint64_t use_time_wall;   /* not set by spd_lookup: the caller may */
	uint64_t hits;            /* packets matched (spd_lookup counts with
	                           * relaxed atomic load/store: approximate if
	                           * several threads look up concurrently) */
	uint32_t mark, mark_mask;
	void *user;               /* owner's cookie (e.g. the IKE child) */
};

struct spd;
struct xfrm_events;

struct spd *spd_new(struct xfrm_events *events);
void spd_free(struct spd *spd);

/* Add a copy of *pol. -EEXIST if a policy with the same selector, dir (and
 * mark) exists (use spd_update), -EINVAL for a bad policy (see
 * xfrm_selector_valid, the template rule above, dir/action out of range,
 * ntmpl > SPD_MAX_TMPL, or an index whose low 3 bits are not dir). The
 * selector is stored normalized (xfrm_selector_normalize). A given index is
 * kept unless taken (then one is generated, as Linux does); hits and times
 * are reset. On success *out (if non-NULL) points at the stored policy
 * (index filled in), valid until it is deleted. Fires XFRM_EV_POLICY_ADD. */
int spd_add(struct spd *spd, const struct spd_policy *pol, struct spd_policy **out);
/* Replace the policy with the same selector, dir and mark, or add it
 * (XFRM_EV_POLICY_UPDATE, or _ADD if it was new). A replaced policy keeps
 * its index, its place among equal priorities, add time and hits. */
int spd_update(struct spd *spd, const struct spd_policy *pol, struct spd_policy **out);
/* Delete by selector and dir (any mark: the first in priority order).
 * -ENOENT if absent. Fires XFRM_EV_POLICY_DEL before the policy is freed. */
int spd_del(struct spd *spd, const struct xfrm_selector *sel, uint8_t dir);
int spd_del_index(struct spd *spd, uint32_t index);
/* Exact selector+dir lookup (ip xfrm policy get); any mark. */
struct spd_policy *spd_get(struct spd *spd, const struct xfrm_selector *sel, uint8_t dir);
struct spd_policy *spd_get_index(struct spd *spd, uint32_t index);
/* Remove every policy (dir XFRM_POLICY_MAX = all). Returns how many.
 * Fires one XFRM_EV_POLICY_FLUSH (pol NULL), no per-policy events. */
int spd_flush(struct spd *spd, int dir);

/* The packet-path lookup: the best policy for dir matching fl, or NULL.
 * Fast with many policies (see bench/bench_spd.c). Counts a hit. */
struct spd_policy *spd_lookup(struct spd *spd, uint8_t dir, const struct xfrm_flow *fl);
/* The same answer without counting a hit (uipsec explain). */
struct spd_policy *spd_find(struct spd *spd, uint8_t dir, const struct xfrm_flow *fl);
/* Count a hit on pol as spd_lookup does, for a caller that reuses the
 * policy it found for the packet before (dp's flow cache). */
void spd_policy_hit(struct spd_policy *pol);
/* A number that changes whenever a policy is added, changed or removed
 * (as sad_generation). */
uint64_t spd_generation(const struct spd *spd);

/* Iterate in priority order (smallest priority first, then oldest), all
 * directions together. Returning nonzero from fn stops and returns that
 * value (-ENOMEM if the snapshot cannot be allocated). fn may delete the
 * policy it is given, no other. */
int spd_walk(struct spd *spd, int (*fn)(struct spd_policy *pol, void *arg), void *arg);
unsigned spd_count(const struct spd *spd);

#endif
