/* uipsec explain: policy, SA and route decisions for a hypothetical
 * packet. See explain.h. The decisions are not copies of the data path's:
 * the outbound one is xfrm_lookup_out and the inbound policy check
 * xfrm_policy_check (xfrm/lookup.h), which dp/output.c, dp/input.c and
 * dp/offline.c ask too, with XFRM_LOOKUP_PEEK so that no hit is counted.
 * This file only turns them into sentences, which say which xfrm_stat
 * counter a drop would bump, so they can be checked against `uipsec stats`
 * afterwards. */
#include "ctl/explain.h"
#include "xfrmcli/xfrm_grammar.h"
#include "dp/flow.h"
#include "xfrm/lookup.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define NEAR_MAX 3

static int parse_proto(const char *s, uint8_t *out)
{
	static const struct { const char *n; uint8_t p; } names[] = {
		{ "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "esp", 50 }, { "gre", 47 },
		{ "ipv6-icmp", 58 }, { "icmpv6", 58 }, { "sctp", 132 }, { "any", 0 },
	};
	char *end;
	unsigned long v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].n) == 0) {
			*out = names[i].p;
			return 0;
		}
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v > 255)
		return -EINVAL;
	*out = (uint8_t)v;
	return 0;
}

static bool is_icmp(uint8_t p)
{
	return p == 1 || p == 58;
}

int explain_parse(int argc, char **argv, struct xfrm_flow *fl, char *err, size_t errlen)
{
	memset(fl, 0, sizeof(*fl));
	if (argc < 2 || argc > 4) {
		snprintf(err, errlen, "explain needs SRC DST [PROTO [PORT]]");
		return -EINVAL;
	}
	if (ip_addr_parse(argv[0], &fl->saddr) < 0) {
		snprintf(err, errlen, "explain: '%s' is not an IPv4 or IPv6 address", argv[0]);
		return -EINVAL;
	}
	if (ip_addr_parse(argv[1], &fl->daddr) < 0) {
		snprintf(err, errlen, "explain: '%s' is not an IPv4 or IPv6 address", argv[1]);
		return -EINVAL;
	}
	if (fl->saddr.family != fl->daddr.family) {
		snprintf(err, errlen, "explain: %s and %s are of different families", argv[0], argv[1]);
		return -EINVAL;
	}
	if (argc >= 3 && parse_proto(argv[2], &fl->proto) < 0) {
		snprintf(err, errlen, "explain: unknown protocol '%s' (icmp, tcp, udp, ipv6-icmp, "
		         "sctp or a number)", argv[2]);
		return -EINVAL;
	}
	if (is_icmp(fl->proto))
		fl->sport = fl->proto == 1 ? 8 : 128;   /* echo request, code 0 */
	if (argc == 4) {
		char *end;
		unsigned long v = strtoul(argv[3], &end, 10);
		if (*argv[3] == '\0' || *end != '\0' || v > 65535 ||
		    (is_icmp(fl->proto) && v > 255)) {
			snprintf(err, errlen, "explain: bad %s '%s'",
			         is_icmp(fl->proto) ? "ICMP type" : "port", argv[3]);
			return -EINVAL;
		}
		if (fl->proto == 0) {
			snprintf(err, errlen, "explain: a port needs a protocol (tcp, udp, ...)");
			return -EINVAL;
		}
		if (is_icmp(fl->proto))
			fl->sport = (uint16_t)v;
		else
			fl->dport = (uint16_t)v;
	}
	return 0;
}

/* ---- near misses: the policies of a direction that came before the
 * match in priority order (a walk, for the sentences only; the match
 * itself is spd_find's, the data path's lookup) ---- */

struct search {
	uint8_t dir;
	const struct xfrm_flow *fl;
	const struct spd_policy *best;
	const struct spd_policy *near[NEAR_MAX];
	unsigned nnear, ndir;
};

static int search_cb(struct spd_policy *pol, void *arg)
{
	struct search *s = arg;

	if (pol->dir != s->dir)
		return 0;
	s->ndir++;
	if (xfrm_selector_match(&pol->sel, s->fl)) {
		s->best = pol;
		return 1;
	}
	if (s->nnear < NEAR_MAX)
		s->near[s->nnear++] = pol;
	return 0;
}

static void search(struct spd *spd, uint8_t dir, const struct xfrm_flow *fl, struct search *s)
{
	memset(s, 0, sizeof(*s));
	s->dir = dir;
	s->fl = fl;
	spd_walk(spd, search_cb, s);
}

static const char *dir_name(uint8_t d)
{
	return d == XFRM_POLICY_IN ? "in" : d == XFRM_POLICY_OUT ? "out" : "fwd";
}

static void fmt_sel(const struct xfrm_selector *sel, char *buf, size_t len)
{
	char s[IP_ADDR_STRLEN], d[IP_ADDR_STRLEN], pb[8];
	int n;

	n = snprintf(buf, len, "%s/%u -> %s/%u proto %s", ip_addr_fmt(&sel->saddr, s),
	             sel->prefixlen_s, ip_addr_fmt(&sel->daddr, d), sel->prefixlen_d,
	             sel->proto ? xfrm_proto_name(sel->proto, pb) : "any");
	if (n > 0 && (size_t)n < len && sel->dport_mask)
		snprintf(buf + n, len - (size_t)n, " dport %u", sel->dport);
}

/* Why sel does not match fl: the first field that differs. */
static void why_not(const struct xfrm_selector *sel, const struct xfrm_flow *fl, FILE *out)
{
	char a[IP_ADDR_STRLEN], p[IP_ADDR_STRLEN], pb[8], qb[8];

	if (sel->family && sel->family != fl->saddr.family)
		fprintf(out, "it is for %s packets", sel->family == AF_INET ? "IPv4" : "IPv6");
	else if (!ip_prefix_match(&sel->saddr, sel->prefixlen_s, &fl->saddr))
		fprintf(out, "source %s is outside %s/%u", ip_addr_fmt(&fl->saddr, a),
		        ip_addr_fmt(&sel->saddr, p), sel->prefixlen_s);
	else if (!ip_prefix_match(&sel->daddr, sel->prefixlen_d, &fl->daddr))
		fprintf(out, "destination %s is outside %s/%u", ip_addr_fmt(&fl->daddr, a),
		        ip_addr_fmt(&sel->daddr, p), sel->prefixlen_d);
	else if (sel->proto && sel->proto != fl->proto)
		fprintf(out, "protocol %s, the policy wants %s", xfrm_proto_name(fl->proto, pb),
		        xfrm_proto_name(sel->proto, qb));
	else
		fprintf(out, "the ports (or ICMP type/code) differ");
}

static void print_near(const struct search *s, const struct xfrm_flow *fl, FILE *out)
{
	char sb[160];

	for (unsigned i = 0; i < s->nnear; i++) {
		fmt_sel(&s->near[i]->sel, sb, sizeof(sb));
		fprintf(out, "        not policy index %u (%s): ", s->near[i]->index, sb);
		why_not(&s->near[i]->sel, fl, out);
		fputc('\n', out);
	}
	if (s->ndir > s->nnear + (s->best ? 1u : 0u))
		fprintf(out, "        (and %u more dir %s policies)\n",
		        s->ndir - s->nnear - (s->best ? 1u : 0u), dir_name(s->dir));
}

static void fmt_algs(const struct sad_sa *sa, char *buf, size_t len)
{
	if (sa->aead.name[0])
		snprintf(buf, len, "%s, %u-bit key, %u-bit ICV", sa->aead.name,
		         (unsigned)(sa->aead.key_len - 4) * 8, sa->aead.icv_bits);   /* minus the salt */
	else
		snprintf(buf, len, "%s + %s", sa->enc.name[0] ? sa->enc.name : "no encryption",
		         sa->auth.name[0] ? sa->auth.name : "no integrity");
}

/* ---- one direction ---- */

struct in_find {
	const struct xfrm_tmpl *t;
	const struct sad_sa *found;
};

/* The newest live state the template admits (xfrm_tmpl_admits, as the
 * input path's policy check applies it): which inbound SA would carry
 * the flow. The input path finds it by the SPI of the packet; this is
 * explain's guess at that SPI. */
static int in_find_cb(struct sad_sa *sa, void *arg)
{
	struct in_find *f = arg;

	if (sa->state != SAD_STATE_DEAD && xfrm_tmpl_admits(f->t, sa))
		f->found = sa;   /* the newest wins: keep walking */
	return 0;
}

/* Does a policy of dir protect/accept fl? (to say which side a flow is on) */
static bool covered(const struct explain_env *env, uint8_t dir, const struct xfrm_flow *fl)
{
	const struct spd_policy *p = spd_find(env->spd, dir, fl);

	return p && p->action == XFRM_POLICY_ALLOW && p->ntmpl;
}

static void show_out(const struct explain_env *env, const struct xfrm_flow *fl, FILE *out,
                     int *problems)
{
	struct xfrm_out_decision d;
	struct search s;
	char sb[160], ab[IP_ADDR_STRLEN], bb[IP_ADDR_STRLEN], algs[160];
	const struct spd_policy *pol;
	const struct xfrm_tmpl *t;
	const struct sad_sa *sa;

	fprintf(out, "    leaving through the tunnel (policy dir out):\n");
	xfrm_lookup_out(env->spd, env->sad, fl, XFRM_LOOKUP_PEEK, &d);
	pol = d.pol;
	if (d.action == XFRM_OUT_NO_POLICY || d.action == XFRM_OUT_IGNORE) {
		if (d.action == XFRM_OUT_IGNORE)
			fprintf(out, "      no policy matches, and it is link-local or multicast: if it "
			        "comes from %s, uipsec ignores it (not sent, counted as TunIgnored, not "
			        "an xfrm error).\n", env->tun_name);
		else
			fprintf(out, "      no policy matches: if it is routed into %s, uipsec drops it "
			        "(no-policy-out, XfrmOutPolError); Linux would send it in clear.\n",
			        env->tun_name);
		if (covered(env, XFRM_POLICY_FWD, fl) || covered(env, XFRM_POLICY_IN, fl)) {
			fprintf(out, "      (fine: this gateway receives this flow from the tunnel, "
			        "see below)\n");
		} else {
			search(env->spd, XFRM_POLICY_OUT, fl, &s);
			print_near(&s, fl, out);
		}
		return;
	}
	fmt_sel(&pol->sel, sb, sizeof(sb));
	fprintf(out, "      policy index %u (%s, priority %u)", pol->index, sb, pol->priority);
	if (d.action == XFRM_OUT_BLOCK) {
		fprintf(out, " blocks it: dropped (policy-block, XfrmOutPolBlock).\n");
		(*problems)++;
		return;
	}
	if (d.action == XFRM_OUT_BYPASS) {
		fprintf(out, " allows it without protection (bypass): sent in clear.\n");
		return;
	}
	t = d.tmpl;
	fprintf(out, " protects it: esp %s %s -> %s reqid %u",
	        t->mode == XFRM_MODE_TUNNEL ? "tunnel" : "transport",
	        ip_addr_fmt(&t->saddr, ab), ip_addr_fmt(&t->daddr, bb), t->reqid);
	if (t->spi)
		fprintf(out, " spi 0x%08x", t->spi);
	fprintf(out, ".\n");
	if (d.action == XFRM_OUT_ACQUIRE) {
		fprintf(out, "      no SA yet for reqid %u: the first packet raises an acquire (the "
		        "IKE daemon negotiates a CHILD_SA); until it is installed packets are "
		        "dropped (no-state-out, XfrmOutNoStates). Check 'uipsec list-sas' or add "
		        "a state with 'uipsec xfrm state add ... reqid %u'.\n", t->reqid, t->reqid);
		(*problems)++;
		return;
	}
	sa = d.sa;
	fmt_algs(sa, algs, sizeof(algs));
	fprintf(out, "      SA spi 0x%08x (%s -> %s, %s%s), %llu packets so far: encrypted "
	        "and sent to %s%s.\n", sa->spi, ip_addr_fmt(&sa->saddr, ab),
	        ip_addr_fmt(&sa->daddr, bb), algs,
	        sa->state == SAD_STATE_EXPIRED_SOFT ? ", soft-expired: being rekeyed" : "",
	        (unsigned long long)sa->stats.out_packets, bb,
	        sa->encap.type ? " in UDP" : " as raw ESP");
}

static void show_in(const struct explain_env *env, const struct xfrm_flow *fl, FILE *out,
                    int *problems)
{
	bool local = env->is_local && env->is_local(env->ctx, &fl->daddr);
	uint8_t dir = local ? XFRM_POLICY_IN : XFRM_POLICY_FWD;
	const struct spd_policy *pol = spd_find(env->spd, dir, fl);
	char sb[160], ab[IP_ADDR_STRLEN], bb[IP_ADDR_STRLEN];
	struct spd_policy *checked;
	struct search s;
	struct in_find f;
	enum drop_reason r;

	fprintf(out, "    arriving through the tunnel, after decryption (policy dir %s%s):\n",
	        dir_name(dir), local ? ": the destination is this host" : "");
	if (!pol) {
		fprintf(out, "      no policy matches: a packet decrypted from a tunnel-mode SA is "
		        "dropped (no-policy, XfrmInNoPols).\n");
		if (covered(env, XFRM_POLICY_OUT, fl)) {
			fprintf(out, "      (fine: this gateway sends this flow into the tunnel, see "
			        "above)\n");
		} else {
			search(env->spd, dir, fl, &s);
			print_near(&s, fl, out);
		}
		return;
	}
	fmt_sel(&pol->sel, sb, sizeof(sb));
	fprintf(out, "      policy index %u (%s, priority %u)", pol->index, sb, pol->priority);
	if (pol->action == XFRM_POLICY_BLOCK) {
		fprintf(out, " blocks it: dropped after decryption (policy-block-in, "
		        "XfrmInPolBlock).\n");
		(*problems)++;
		return;
	}
	if (pol->ntmpl == 0) {
		fprintf(out, " allows it, but only in clear: one that arrives through a tunnel-mode SA "
		        "is dropped (tmpl-mismatch, XfrmInTmplMismatch).\n");
		return;
	}
	fprintf(out, " accepts it from esp %s %s -> %s reqid %u.\n",
	        pol->tmpl[0].mode == XFRM_MODE_TUNNEL ? "tunnel" : "transport",
	        ip_addr_fmt(&pol->tmpl[0].saddr, ab), ip_addr_fmt(&pol->tmpl[0].daddr, bb),
	        pol->tmpl[0].reqid);
	f.t = &pol->tmpl[0];
	f.found = NULL;
	sad_walk(env->sad, in_find_cb, &f);
	if (!f.found) {
		fprintf(out, "      no inbound SA for it yet: ESP from %s would be dropped before "
		        "decryption (no-state, XfrmInNoStates) until one is installed.\n",
		        ip_addr_fmt(&pol->tmpl[0].saddr, ab));
		(*problems)++;
		return;
	}
	/* The input path's own check, with that state. */
	r = xfrm_policy_check(env->spd, f.found, dir, fl, XFRM_LOOKUP_PEEK, &checked);
	if (r != DROP_NONE) {
		fprintf(out, "      SA spi 0x%08x (%s -> %s) would carry it, but the policy check "
		        "after decryption drops it (%s, %s)%s.\n", f.found->spi,
		        ip_addr_fmt(&f.found->saddr, ab), ip_addr_fmt(&f.found->daddr, bb),
		        drop_reason_name(r), xfrm_mib_name(drop_reason_mib(r)),
		        r == DROP_IN_STATE_MISMATCH ? ": the flow is outside the SA's own selector" :
		        r == DROP_IN_TMPL_MISMATCH ? ": the policy needs more than one SA" : "");
		(*problems)++;
		return;
	}
	fprintf(out, "      SA spi 0x%08x (%s -> %s), %llu packets so far: decrypted and "
	        "written to %s.\n", f.found->spi, ip_addr_fmt(&f.found->saddr, ab),
	        ip_addr_fmt(&f.found->daddr, bb), (unsigned long long)f.found->stats.in_packets,
	        env->tun_name);
}

static void show_route(const struct explain_env *env, const struct xfrm_flow *fl, FILE *out,
                       int *problems)
{
	struct route_answer ra;
	char ab[IP_ADDR_STRLEN], bb[IP_ADDR_STRLEN];
	struct xfrm_out_decision d;
	const struct spd_policy *pol;
	bool protect;
	int r;

	if (!env->route)
		return;
	r = env->route(&fl->daddr, NULL, &ra);
	fprintf(out, "    route: ");
	if (r < 0) {
		fprintf(out, "the kernel has no route to %s (%s): the packet goes nowhere; add one.\n",
		        ip_addr_fmt(&fl->daddr, ab), strerror(-r));
		(*problems)++;
		return;
	}
	fprintf(out, "%s %s", route_type_name(ra.type), ip_addr_fmt(&fl->daddr, ab));
	if (ra.has_gateway)
		fprintf(out, " via %s", ip_addr_fmt(&ra.gateway, bb));
	if (ra.oif[0])
		fprintf(out, " dev %s", ra.oif);
	if (ra.has_prefsrc)
		fprintf(out, " src %s", ip_addr_fmt(&ra.prefsrc, bb));
	fprintf(out, ": ");
	xfrm_lookup_out(env->spd, env->sad, fl, XFRM_LOOKUP_PEEK, &d);
	pol = d.pol;
	protect = d.action == XFRM_OUT_PROTECT || d.action == XFRM_OUT_ACQUIRE;
	if (ra.type == RTN_LOCAL) {
		fprintf(out, "delivered to this host.\n");
	} else if (strcmp(ra.oif, env->tun_name) == 0) {
		if (protect)
			fprintf(out, "into %s, so uipsec's outbound path above applies.\n",
			        env->tun_name);
		else
			fprintf(out, "into %s, but no outbound protect policy covers it (see above).\n",
			        env->tun_name);
	} else if (protect) {
		fprintf(out, "NOT into %s: uipsec never sees this packet and it leaves in clear "
		        "although policy index %u wants it protected. Route it into the tunnel "
		        "(uipsecd adds routes for outbound policies unless --no-routes): "
		        "ip route add %s dev %s\n", env->tun_name, pol->index,
		        ip_addr_fmt(&fl->daddr, bb), env->tun_name);
		(*problems)++;
	} else {
		fprintf(out, "not into the tunnel: it leaves via %s as it is (also where a packet "
		        "for %s goes after decryption).\n", ra.oif[0] ? ra.oif : "the kernel's route",
		        ip_addr_fmt(&fl->daddr, bb));
	}
}

static void show_flow(const struct explain_env *env, const char *what,
                      const struct xfrm_flow *fl, FILE *out, int *problems)
{
	char fb[128];

	fprintf(out, "%s: %s\n", what, dp_flow_fmt(fl, fb, sizeof(fb)));
	show_out(env, fl, out, problems);
	show_in(env, fl, out, problems);
	show_route(env, fl, out, problems);
}

int explain_flow(const struct explain_env *env, const struct xfrm_flow *fl, FILE *out)
{
	struct xfrm_flow rev = *fl;
	int problems = 0;

	rev.saddr = fl->daddr;
	rev.daddr = fl->saddr;
	rev.sport = fl->dport;
	rev.dport = fl->sport;
	if (fl->proto == 1 && fl->sport == 8)
		rev.sport = 0, rev.dport = 0;      /* echo reply */
	else if (fl->proto == 58 && fl->sport == 128)
		rev.sport = 129, rev.dport = 0;
	show_flow(env, "packet", fl, out, &problems);
	show_flow(env, "reply", &rev, out, &problems);
	if (problems)
		fprintf(out, "=> %d thing%s above stop%s this traffic; see the lines that say what "
		        "to do.\n", problems, problems == 1 ? "" : "s", problems == 1 ? "s" : "");
	else
		fprintf(out, "=> nothing in uipsec stops this traffic.\n");
	return 0;
}
