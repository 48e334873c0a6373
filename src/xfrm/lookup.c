/* The routing decisions of the packet path (see lookup.h): outbound
 * policy, action and state (xfrm_lookup_out itself is inline in lookup.h;
 * its rare no-policy half is here); inbound policy check. Pure readers of
 * the SAD and SPD apart from the policy hit counter (which
 * XFRM_LOOKUP_PEEK leaves alone). */
#include "xfrm/lookup.h"

#include <netinet/in.h>
#include <string.h>

#include "xfrm/sad.h"
#include "xfrm/spd.h"

/* Traffic the kernel itself sends into the TUN device without anyone
 * asking to protect it: IPv6 multicast (neighbour discovery, MLD),
 * link-local or unspecified sources, IPv4 multicast and broadcast. */
static bool link_local_chatter(const struct xfrm_flow *fl)
{
	const uint8_t *s = fl->saddr.a, *d = fl->daddr.a;

	if (fl->daddr.family == AF_INET6)
		return d[0] == 0xff || (s[0] == 0xfe && (s[1] & 0xc0) == 0x80) ||
		       ip_addr_is_zero(&fl->saddr);
	return (d[0] & 0xf0) == 0xe0 || (d[0] == 255 && d[1] == 255 && d[2] == 255 && d[3] == 255);
}

enum xfrm_out_action xfrm_lookup_no_policy(const struct xfrm_flow *fl)
{
	return link_local_chatter(fl) ? XFRM_OUT_IGNORE : XFRM_OUT_NO_POLICY;
}

const char *xfrm_out_action_name(enum xfrm_out_action a)
{
	switch (a) {
	case XFRM_OUT_PROTECT:   return "protect";
	case XFRM_OUT_BYPASS:    return "bypass";
	case XFRM_OUT_ACQUIRE:   return "acquire";
	case XFRM_OUT_BLOCK:     return "block";
	case XFRM_OUT_NO_POLICY: return "no-policy";
	case XFRM_OUT_IGNORE:    return "ignore";
	}
	return "?";
}

bool xfrm_tmpl_admits(const struct xfrm_tmpl *t, const struct sad_sa *sa)
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

enum drop_reason xfrm_policy_check(struct spd *spd, const struct sad_sa *sa, uint8_t dir,
                                   const struct xfrm_flow *fl, unsigned flags,
                                   struct spd_policy **polp)
{
	struct spd_policy *pol;
	unsigned i, required = 0;
	bool matched = false;

	*polp = NULL;
	/* The state's own selector must admit the decrypted packet (Linux
	 * __xfrm_policy_check: XfrmInStateMismatch). */
	if (sa->sel.family && !xfrm_selector_match(&sa->sel, fl))
		return DROP_IN_STATE_MISMATCH;
	pol = (flags & XFRM_LOOKUP_PEEK) ? spd_find(spd, dir, fl) : spd_lookup(spd, dir, fl);
	*polp = pol;
	/* Linux __xfrm_policy_check: no policy after a tunnel-mode state is
	 * XfrmInNoPols; a required template not met, or a tunnel-mode state
	 * no template asked for, is XfrmInTmplMismatch. */
	if (!pol)
		return sa->mode == XFRM_MODE_TUNNEL ? DROP_IN_NO_POLICY : DROP_NONE;
	if (pol->action == XFRM_POLICY_BLOCK)
		return DROP_IN_POL_BLOCK;
	for (i = 0; i < pol->ntmpl; i++) {
		if (!pol->tmpl[i].optional)
			required++;
		if (!matched && xfrm_tmpl_admits(&pol->tmpl[i], sa))
			matched = true;
	}
	/* One state was applied: it must match a template, and no second
	 * required template can be met. */
	if (pol->ntmpl == 0 ? sa->mode == XFRM_MODE_TUNNEL : (!matched || required > 1))
		return DROP_IN_TMPL_MISMATCH;
	return DROP_NONE;
}
