/* xfrm/lookup: the one outbound routing decision (xfrm_lookup_out) and
 * inbound policy check (xfrm_policy_check), and the acceptance test of
 * issue 14: on random SPDs and SADs and random packets, `uipsec explain`
 * (ctl/explain.c, read from its text), the daemon's output path (dp_output,
 * with and without tracing, one packet at a time and in batches that
 * repeat flows so that the flow cache is used) and `uipsec pcap encrypt`
 * (dp/offline.c, read from its log) choose the same action, policy and SA,
 * and all of them the ones a naive reference written from Linux's rules
 * (smallest priority, then oldest policy; the template's addresses or the
 * packet's in transport mode, reqid, SPI, mode and the state's selector;
 * a state that is not soft-expired beats one that is, then the newest)
 * picks. Plus a numbered table of inbound checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/explain.h"
#include "dp/dp.h"
#include "dp/flow.h"
#include "dp/offline.h"
#include "dp/pcap.h"
#include "util/bytes.h"
#include "util/log.h"
#include "xfrm/events.h"
#include "xfrm/lookup.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

#define MAX_POL 16
#define MAX_SA 12
#define NFLOWS 40
#define ROUNDS 300

static uint64_t rs;
static uint32_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs >> 16);
}
static uint32_t pick(uint32_t n)
{
	return rnd() % n;
}

/* ---- the universe: a few addresses so that selectors and flows meet ---- */

static void inner_addr(struct ip_addr *a, uint8_t family)
{
	static const char *const v4[] = { "10.0.0.1", "10.0.0.2", "10.0.1.1", "10.0.1.130",
	                                  "10.0.2.3", "10.1.0.1" };
	static const char *const v6[] = { "fd00::1", "fd00::2", "fd00:0:0:1::1", "fd00:0:0:1::82",
	                                  "fd01::3" };

	if (family == AF_INET)
		ip_addr_parse(v4[pick(6)], a);
	else
		ip_addr_parse(v6[pick(5)], a);
}

static void outer_addr(struct ip_addr *a, uint8_t family)
{
	static const char *const v4[] = { "192.0.2.1", "192.0.2.2", "192.0.2.3" };
	static const char *const v6[] = { "2001:db8::1", "2001:db8::2" };

	if (family == AF_INET)
		ip_addr_parse(v4[pick(3)], a);
	else
		ip_addr_parse(v6[pick(2)], a);
}

static uint8_t any_family(void)
{
	return pick(3) ? AF_INET : AF_INET6;
}

static void random_selector(struct xfrm_selector *sel)
{
	static const uint8_t plen4[] = { 0, 8, 16, 24, 25, 32 };
	static const uint8_t plen6[] = { 0, 16, 64, 120, 128 };
	static const uint8_t protos[] = { 0, 0, 0, 1, 6, 17, 47 };
	uint8_t fam = any_family();

	memset(sel, 0, sizeof(*sel));
	if (pick(12) == 0) {
		sel->family = 0;             /* any family, any address */
	} else {
		sel->family = fam;
		inner_addr(&sel->saddr, fam);
		inner_addr(&sel->daddr, fam);
		sel->prefixlen_s = fam == AF_INET ? plen4[pick(6)] : plen6[pick(5)];
		sel->prefixlen_d = fam == AF_INET ? plen4[pick(6)] : plen6[pick(5)];
	}
	sel->proto = protos[pick(7)];
	if (sel->family == AF_INET6 && sel->proto == 1)
		sel->proto = 58;
	if ((sel->proto == 6 || sel->proto == 17) && pick(2)) {
		static const uint16_t ports[] = { 22, 53, 80, 443 };
		sel->dport = ports[pick(4)];
		sel->dport_mask = 0xffff;
	}
	if ((sel->proto == 1 || sel->proto == 58) && pick(3) == 0) {
		sel->sport = sel->proto == 1 ? 8 : 128;
		sel->sport_mask = 0xffff;
	}
	xfrm_selector_normalize(sel);
}

static void random_flow(struct xfrm_flow *fl)
{
	static const uint16_t ports[] = { 22, 53, 80, 443, 5201 };
	uint8_t fam = any_family();

	memset(fl, 0, sizeof(*fl));
	if (pick(10) == 0) {
		/* what the kernel sends into a TUN device by itself */
		if (fam == AF_INET) {
			inner_addr(&fl->saddr, fam);
			ip_addr_parse(pick(2) ? "224.0.0.5" : "255.255.255.255", &fl->daddr);
		} else {
			ip_addr_parse(pick(2) ? "fe80::1" : "fd00::1", &fl->saddr);
			ip_addr_parse(pick(2) ? "ff02::1" : "fd00::2", &fl->daddr);
		}
	} else {
		inner_addr(&fl->saddr, fam);
		inner_addr(&fl->daddr, fam);
	}
	switch (pick(4)) {
	case 0:
		fl->proto = fam == AF_INET ? 1 : 58;
		fl->sport = pick(2) ? (fam == AF_INET ? 8 : 128) : 0;   /* type */
		break;
	case 1:
		fl->proto = 6;
		fl->sport = 40000;
		fl->dport = ports[pick(5)];
		break;
	case 2:
		fl->proto = 17;
		fl->sport = 5353;
		fl->dport = ports[pick(5)];
		break;
	default:
		fl->proto = 47;   /* GRE: no ports */
		break;
	}
}

/* The IP packet of a flow (length len), as dp_flow_parse reads it back. */
static uint32_t flow_packet(const struct xfrm_flow *fl, uint8_t *b)
{
	uint32_t hl = fl->saddr.family == AF_INET ? 20 : 40, l4 = 16, len = hl + l4;

	memset(b, 0, len);
	if (fl->saddr.family == AF_INET) {
		b[0] = 0x45;
		put_be16(b + 2, (uint16_t)len);
		b[8] = 64;
		b[9] = fl->proto;
		memcpy(b + 12, fl->saddr.a, 4);
		memcpy(b + 16, fl->daddr.a, 4);
	} else {
		b[0] = 0x60;
		put_be16(b + 4, (uint16_t)l4);
		b[6] = fl->proto;
		b[7] = 64;
		memcpy(b + 8, fl->saddr.a, 16);
		memcpy(b + 24, fl->daddr.a, 16);
	}
	if (fl->proto == 6 || fl->proto == 17) {
		put_be16(b + hl, fl->sport);
		put_be16(b + hl + 2, fl->dport);
	} else if (fl->proto == 1 || fl->proto == 58) {
		b[hl] = (uint8_t)fl->sport;
		b[hl + 1] = (uint8_t)fl->dport;
	}
	return len;
}

/* ---- the tables, and the reference ---- */

struct world {
	struct sad *sad;
	struct spd *spd;
	struct spd_policy *pol[MAX_POL];   /* dir out, in the order added */
	unsigned npol;
	struct sad_sa *sa[MAX_SA];         /* in the order added */
	unsigned nsa;
};

static void add_state(struct world *w)
{
	struct sad_sa sa;
	struct sad_sa *out;
	uint8_t fam = any_family();

	memset(&sa, 0, sizeof(sa));
	sa.proto = IPPROTO_ESP_;
	sa.spi = 0x1000 + w->nsa;
	sa.reqid = 1 + pick(3);
	sa.mode = pick(3) ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT;
	if (sa.mode == XFRM_MODE_TUNNEL) {
		outer_addr(&sa.saddr, fam);
		outer_addr(&sa.daddr, fam);
	} else {
		inner_addr(&sa.saddr, fam);
		inner_addr(&sa.daddr, fam);
	}
	snprintf(sa.aead.name, sizeof(sa.aead.name), "rfc4106(gcm(aes))");
	sa.aead.key_len = 20;
	sa.aead.icv_bits = 128;
	for (unsigned i = 0; i < 20; i++)
		sa.aead.key[i] = (uint8_t)(i + w->nsa);
	sa.replay.size = 32;
	if (pick(4) == 0)
		random_selector(&sa.sel);
	if (sad_add(w->sad, &sa, &out) != 0)
		return;   /* (daddr, spi) taken: not in the reference either */
	/* Soft-expired and hard-expired (dead) states, as the lifetimes would
	 * leave them (set by hand: the test has no limits to reach). */
	switch (pick(8)) {
	case 0:
		out->state = SAD_STATE_EXPIRED_SOFT;
		break;
	case 1:
		out->state = SAD_STATE_DEAD;
		break;
	}
	w->sa[w->nsa++] = out;
}

static void add_policy(struct world *w, uint8_t dir)
{
	struct spd_policy p, *out;
	unsigned kind = pick(20);

	memset(&p, 0, sizeof(p));
	random_selector(&p.sel);
	p.dir = dir;
	p.priority = pick(4);
	if (kind < 3) {
		p.action = XFRM_POLICY_BLOCK;
	} else if (kind < 5) {
		p.action = XFRM_POLICY_ALLOW;    /* bypass */
	} else {
		struct xfrm_tmpl *t = &p.tmpl[0];
		uint8_t fam = any_family();

		p.action = XFRM_POLICY_ALLOW;
		p.ntmpl = 1;
		t->proto = IPPROTO_ESP_;
		t->mode = pick(3) ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT;
		if (w->nsa && pick(2)) {
			/* aimed at a state (which may still not fit: its
			 * selector, its state, another with the same reqid) */
			const struct sad_sa *sa = w->sa[pick(w->nsa)];

			t->mode = sa->mode;
			t->reqid = pick(3) ? sa->reqid : 0;
			if (sa->mode == XFRM_MODE_TUNNEL || pick(4) == 0) {
				t->saddr = sa->saddr;
				t->daddr = sa->daddr;
			}
			if (pick(4) == 0)
				t->spi = sa->spi;
		} else {
			if (t->mode == XFRM_MODE_TUNNEL) {
				outer_addr(&t->saddr, fam);
				outer_addr(&t->daddr, fam);
			} else if (pick(4) == 0) {
				inner_addr(&t->saddr, fam);
				inner_addr(&t->daddr, fam);
			}
			t->reqid = pick(4);                  /* 0: any */
			if (w->nsa && pick(4) == 0)
				t->spi = w->sa[pick(w->nsa)]->spi;
		}
	}
	if (spd_add(w->spd, &p, &out) != 0)
		return;   /* same selector twice: the first stays */
	if (dir == XFRM_POLICY_OUT)
		w->pol[w->npol++] = out;
}

static void world_init(struct world *w, struct xfrm_events *ev)
{
	unsigned nsa = pick(4) ? 2 + pick(MAX_SA - 1) : pick(2), npol = 1 + pick(MAX_POL);

	memset(w, 0, sizeof(*w));
	w->sad = sad_new(ev);
	w->spd = spd_new(ev);
	for (unsigned i = 0; i < nsa; i++)
		add_state(w);
	for (unsigned i = 0; i < npol; i++)
		add_policy(w, XFRM_POLICY_OUT);
	for (unsigned i = 0; i < 3; i++)
		add_policy(w, pick(2) ? XFRM_POLICY_FWD : XFRM_POLICY_IN);   /* not for output */
}

static void world_fini(struct world *w)
{
	spd_free(w->spd);
	sad_free(w->sad);
}

/* What a packet gets: the action, the policy (index, 0 if none) and the
 * state (SPI, 0 if none). */
struct verdict {
	enum xfrm_out_action action;
	uint32_t pol;
	uint32_t spi;
};

static bool is_chatter(const struct xfrm_flow *fl)
{
	const uint8_t *s = fl->saddr.a, *d = fl->daddr.a;

	if (fl->daddr.family == AF_INET6)
		return d[0] == 0xff || (s[0] == 0xfe && (s[1] & 0xc0) == 0x80);
	return d[0] >= 224;
}

static bool ref_state_ok(const struct sad_sa *sa, const struct xfrm_tmpl *t,
                         const struct xfrm_flow *fl)
{
	const struct ip_addr *s = t->saddr.family ? &t->saddr : NULL;
	const struct ip_addr *d = t->daddr.family ? &t->daddr : NULL;

	if (t->mode == XFRM_MODE_TRANSPORT) {
		s = s ? s : &fl->saddr;
		d = d ? d : &fl->daddr;
	}
	return sa->state != SAD_STATE_DEAD && sa->mode == t->mode &&
	       (!t->reqid || sa->reqid == t->reqid) && (!t->spi || sa->spi == t->spi) &&
	       (!s || ip_addr_equal(s, &sa->saddr)) && (!d || ip_addr_equal(d, &sa->daddr)) &&
	       (!sa->sel.family || xfrm_selector_match(&sa->sel, fl));
}

static struct verdict reference(const struct world *w, const struct xfrm_flow *fl)
{
	struct verdict v = { 0 };
	const struct spd_policy *best = NULL;
	const struct sad_sa *sa = NULL;

	for (unsigned i = 0; i < w->npol; i++)
		if (xfrm_selector_match(&w->pol[i]->sel, fl) &&
		    (!best || w->pol[i]->priority < best->priority))
			best = w->pol[i];
	if (!best) {
		v.action = is_chatter(fl) ? XFRM_OUT_IGNORE : XFRM_OUT_NO_POLICY;
		return v;
	}
	v.pol = best->index;
	if (best->action == XFRM_POLICY_BLOCK) {
		v.action = XFRM_OUT_BLOCK;
		return v;
	}
	if (!best->ntmpl) {
		v.action = XFRM_OUT_BYPASS;
		return v;
	}
	for (unsigned i = 0; i < w->nsa; i++) {
		const struct sad_sa *c = w->sa[i];
		bool c_valid = c->state == SAD_STATE_VALID;

		if (!ref_state_ok(c, &best->tmpl[0], fl))
			continue;
		/* later is newer: it wins unless it is dying and sa is not */
		if (!sa || c_valid || sa->state != SAD_STATE_VALID)
			sa = c;
	}
	if (!sa) {
		v.action = XFRM_OUT_ACQUIRE;
		return v;
	}
	v.action = XFRM_OUT_PROTECT;
	v.spi = sa->spi;
	return v;
}

static void fmt_verdict(const struct verdict *v, char *buf, size_t len)
{
	snprintf(buf, len, "%s policy %u spi 0x%x", xfrm_out_action_name(v->action), v->pol,
	         v->spi);
}

/* ---- the three callers, observed from outside ---- */

/* explain: the sentences of the first "leaving through the tunnel" part. */
static struct verdict ask_explain(struct world *w, const struct xfrm_flow *fl)
{
	struct explain_env env = { .sad = w->sad, .spd = w->spd, .tun_name = "ipsec0" };
	struct verdict v = { 0 };
	char *text = NULL, *end;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *p;

	assert_non_null(f);
	assert_int_equal(explain_flow(&env, fl, f), 0);
	fclose(f);
	p = strstr(text, "leaving through the tunnel");
	assert_non_null(p);
	end = strstr(p, "arriving through the tunnel");
	assert_non_null(end);
	*end = '\0';
	if ((p = strstr(text, "\n      policy index ")))
		v.pol = (uint32_t)strtoul(p + 20, NULL, 10);
	if (strstr(text, "link-local or multicast"))
		v.action = XFRM_OUT_IGNORE;
	else if (strstr(text, "no policy matches"))
		v.action = XFRM_OUT_NO_POLICY;
	else if (strstr(text, " blocks it"))
		v.action = XFRM_OUT_BLOCK;
	else if (strstr(text, "without protection (bypass)"))
		v.action = XFRM_OUT_BYPASS;
	else if (strstr(text, "no SA yet"))
		v.action = XFRM_OUT_ACQUIRE;
	else if ((p = strstr(text, "SA spi 0x"))) {
		v.action = XFRM_OUT_PROTECT;
		v.spi = (uint32_t)strtoul(p + 7, NULL, 16);
	} else {
		fail_msg("explain said something else:\n%s", text);
	}
	free(text);
	return v;
}

struct daemon {
	struct dp dp;
	unsigned nacq;
	uint32_t spis[PKT_BATCH_MAX];      /* ESP sent, in order */
	unsigned nnet;
	unsigned nbypass;
	uint8_t bypassed[PKT_BATCH_MAX];   /* which packets (by their index byte) */
	char trace[TRACE_MAX_LINES * TRACE_LINE_MAX];
};

static void d_to_tun(void *ctx, struct pkt *p)
{
	(void)ctx;
	(void)p;
	fail_msg("the output path wrote to the TUN device");
}

static void d_to_net(void *ctx, struct pkt **pkts, unsigned n)
{
	struct daemon *d = ctx;

	for (unsigned i = 0; i < n; i++) {
		assert_true(d->nnet < PKT_BATCH_MAX);
		d->spis[d->nnet++] = get_be32(pkt_data(pkts[i]));
	}
}

static void d_bypass(void *ctx, struct pkt *p)
{
	struct daemon *d = ctx;
	const uint8_t *b = pkt_data(p);

	/* the last payload byte carries the packet's number in the batch */
	d->bypassed[d->nbypass++] = b[p->len - 1];
}

static void d_acquire(void *ctx, const struct spd_policy *pol, const struct xfrm_tmpl *t,
                      const struct xfrm_flow *fl)
{
	struct daemon *d = ctx;

	(void)pol;
	(void)t;
	(void)fl;
	d->nacq++;
}

static void d_trace(void *ctx, const struct trace_pkt *tp)
{
	struct daemon *d = ctx;
	size_t off = 0;

	d->trace[0] = '\0';
	for (unsigned i = 0; i < tp->nlines; i++)
		off += (size_t)snprintf(d->trace + off, sizeof(d->trace) - off, "%s\n", tp->line[i]);
}

static uint64_t hits_of(const struct world *w, uint32_t index)
{
	for (unsigned i = 0; i < w->npol; i++)
		if (w->pol[i]->index == index)
			return w->pol[i]->hits;
	return 0;
}

static void snap_hits(const struct world *w, uint64_t *h)
{
	for (unsigned i = 0; i < w->npol; i++)
		h[i] = w->pol[i]->hits;
}

/* The one policy whose hits went up by one since h (0 if none did). */
static uint32_t hit_policy(const struct world *w, const uint64_t *h)
{
	uint32_t found = 0;

	for (unsigned i = 0; i < w->npol; i++) {
		if (w->pol[i]->hits == h[i])
			continue;
		assert_int_equal(w->pol[i]->hits, h[i] + 1);
		assert_int_equal(found, 0);
		found = w->pol[i]->index;
	}
	return found;
}

static void daemon_send(struct daemon *d, const struct xfrm_flow *const *fl, unsigned n)
{
	static uint8_t bufs[PKT_BATCH_MAX][PKT_DEFAULT_CAP];
	struct pkt pk[PKT_BATCH_MAX], *pp[PKT_BATCH_MAX];

	for (unsigned i = 0; i < n; i++) {
		uint8_t b[64];
		uint32_t len = flow_packet(fl[i], b);

		b[len - 1] = (uint8_t)i;   /* the packet's number, in its payload */
		pkt_init(&pk[i], bufs[i], PKT_DEFAULT_CAP, PKT_HEADROOM);
		assert_true(pkt_set(&pk[i], b, len));
		pp[i] = &pk[i];
	}
	d->nnet = d->nbypass = 0;
	dp_output(&d->dp, pp, n);
}

/* One packet through dp_output: what happened, from the counters, the
 * policy hits and what left. */
static struct verdict ask_daemon(struct world *w, struct daemon *d, const struct xfrm_flow *fl)
{
	struct xfrm_stats before = d->dp.stats;
	uint64_t ignored = d->dp.cnt.tun_ignored, h[MAX_POL];
	unsigned acq = d->nacq + (unsigned)d->dp.cnt.acquires_suppressed;
	struct verdict v = { 0 };
	const struct xfrm_flow *one = fl;

	snap_hits(w, h);
	daemon_send(d, &one, 1);
	v.pol = hit_policy(w, h);
	if (d->nnet) {
		assert_int_equal(d->nnet, 1);
		v.action = XFRM_OUT_PROTECT;
		v.spi = d->spis[0];
	} else if (d->nbypass) {
		v.action = XFRM_OUT_BYPASS;
	} else if (d->dp.cnt.tun_ignored != ignored) {
		v.action = XFRM_OUT_IGNORE;
	} else if (d->dp.stats.mib[XFRM_MIB_OUT_POL_BLOCK] != before.mib[XFRM_MIB_OUT_POL_BLOCK]) {
		v.action = XFRM_OUT_BLOCK;
	} else if (d->dp.stats.mib[XFRM_MIB_OUT_NO_STATES] != before.mib[XFRM_MIB_OUT_NO_STATES]) {
		v.action = XFRM_OUT_ACQUIRE;
		assert_int_equal(d->nacq + (unsigned)d->dp.cnt.acquires_suppressed, acq + 1);
	} else if (d->dp.stats.mib[XFRM_MIB_OUT_POL_ERROR] != before.mib[XFRM_MIB_OUT_POL_ERROR]) {
		v.action = XFRM_OUT_NO_POLICY;
	} else {
		fail_msg("the output path did nothing countable");
	}
	return v;
}

/* pcap encrypt on a capture of the one packet: its log line and the hits. */
static struct verdict ask_offline(struct world *w, const struct xfrm_flow *fl)
{
	struct dp_offline_stats st;
	struct pcap_writer *pw;
	struct pcap_reader *r;
	char *cap = NULL, *out = NULL, *log = NULL, err[128];
	size_t caplen = 0, outlen = 0, loglen = 0;
	FILE *cf = open_memstream(&cap, &caplen), *of, *lf;
	uint64_t h[MAX_POL];
	struct verdict v = { 0 };
	uint8_t b[64];
	uint32_t len = flow_packet(fl, b);
	const char *p;

	assert_non_null(cf);
	pw = pcap_writer_new(cf, PCAP_LINKTYPE_RAW);
	assert_int_equal(pcap_write(pw, b, len, 0), 0);
	assert_int_equal(pcap_writer_close(pw), 0);
	fclose(cf);
	r = pcap_reader_open_mem(cap, caplen, err, sizeof(err));
	assert_non_null(r);
	of = open_memstream(&out, &outlen);
	lf = open_memstream(&log, &loglen);
	pw = pcap_writer_new(of, PCAP_LINKTYPE_RAW);
	memset(&st, 0, sizeof(st));
	snap_hits(w, h);
	assert_int_equal(dp_offline_encrypt(w->sad, w->spd, r, pw, lf, &st), 0);
	assert_int_equal(pcap_writer_close(pw), 0);
	fclose(of);
	fclose(lf);
	pcap_reader_close(r);
	v.pol = hit_policy(w, h);
	if ((p = strstr(log, " ok spi 0x"))) {
		v.action = XFRM_OUT_PROTECT;
		v.spi = (uint32_t)strtoul(p + 8, NULL, 16);
	} else if (strstr(log, "skipped (policy without template: bypass)")) {
		v.action = XFRM_OUT_BYPASS;
	} else if (strstr(log, "skipped (link-local or multicast")) {
		v.action = XFRM_OUT_IGNORE;
	} else if (strstr(log, "dropped (policy block)")) {
		v.action = XFRM_OUT_BLOCK;
	} else if (strstr(log, "no state (no state for the policy's template)")) {
		v.action = XFRM_OUT_ACQUIRE;
	} else if (strstr(log, "dropped (no dir out policy)")) {
		v.action = XFRM_OUT_NO_POLICY;
	} else {
		fail_msg("pcap encrypt said: %s", log);
	}
	/* only a protected or bypassed packet is written */
	assert_int_equal(st.ok + (v.action == XFRM_OUT_BYPASS), outlen > 24 ? 1 : 0);
	free(cap);
	free(out);
	free(log);
	return v;
}

static void same(const char *who, unsigned round, const struct xfrm_flow *fl,
                 const struct verdict *want, const struct verdict *got)
{
	char a[96], b[96], fb[128];

	if (want->action == got->action && want->pol == got->pol && want->spi == got->spi)
		return;
	fmt_verdict(want, a, sizeof(a));
	fmt_verdict(got, b, sizeof(b));
	fail_msg("round %u, %s: %s: reference says %s, %s says %s", round,
	         dp_flow_fmt(fl, fb, sizeof(fb)), who, a, who, b);
}

static void test_callers_agree(void **state)
{
	unsigned counts[XFRM_OUT_IGNORE + 1] = { 0 };

	(void)state;
	log_set_level(LOG_ERR);
	for (unsigned round = 0; round < ROUNDS; round++) {
		struct daemon dm;
		struct xfrm_events ev = { .ctx = &dm, .acquire = d_acquire };
		struct dp_io io = { .ctx = &dm, .to_tun = d_to_tun, .to_net = d_to_net,
		                    .bypass = d_bypass };
		struct dp_tracer tr = { .ctx = &dm, .emit = d_trace };
		struct xfrm_flow flows[NFLOWS];
		struct verdict want[NFLOWS];
		struct world w;

		rs = 0x9e3779b97f4a7c15ull ^ ((uint64_t)round * 0x100000001b3ull);
		memset(&dm, 0, sizeof(dm));
		world_init(&w, &ev);
		assert_int_equal(dp_init(&dm.dp, w.sad, w.spd, &ev, &io), 0);

		for (unsigned i = 0; i < NFLOWS; i++) {
			struct xfrm_out_decision d;
			struct verdict v;

			random_flow(&flows[i]);
			want[i] = reference(&w, &flows[i]);
			counts[want[i].action]++;

			/* the function itself */
			xfrm_lookup_out(w.spd, w.sad, &flows[i], XFRM_LOOKUP_PEEK, &d);
			v.action = d.action;
			v.pol = d.pol ? d.pol->index : 0;
			v.spi = d.sa ? d.sa->spi : 0;
			same("xfrm_lookup_out", round, &flows[i], &want[i], &v);

			v = ask_explain(&w, &flows[i]);
			same("explain", round, &flows[i], &want[i], &v);
			v = ask_offline(&w, &flows[i]);
			same("pcap encrypt", round, &flows[i], &want[i], &v);
			v = ask_daemon(&w, &dm, &flows[i]);
			same("uipsecd output", round, &flows[i], &want[i], &v);
		}

		/* Traced, the stages name the same policy and SA. */
		dp_set_tracer(&dm.dp, &tr);
		for (unsigned i = 0; i < NFLOWS; i++) {
			struct verdict v = ask_daemon(&w, &dm, &flows[i]);
			char needle[64];

			same("uipsecd output (traced)", round, &flows[i], &want[i], &v);
			if (want[i].pol) {
				snprintf(needle, sizeof(needle), "policy index %u ", want[i].pol);
				if (!strstr(dm.trace, needle))
					fail_msg("round %u: trace lacks '%s':\n%s", round, needle, dm.trace);
			}
			if (want[i].spi) {
				snprintf(needle, sizeof(needle), "xfrm_state_find    spi 0x%08x", want[i].spi);
				if (!strstr(dm.trace, needle))
					fail_msg("round %u: trace lacks '%s':\n%s", round, needle, dm.trace);
			}
		}
		dp_set_tracer(&dm.dp, NULL);

		/* A batch with each flow twice in a row (the second from the
		 * flow cache): the same SPIs in order, the same bypasses, hits
		 * and drops. */
		{
			const struct xfrm_flow *batch[PKT_BATCH_MAX];
			uint32_t spis[PKT_BATCH_MAX];
			uint64_t h[MAX_POL];
			struct xfrm_stats before = dm.dp.stats;
			unsigned n = 0, nspi = 0, nbyp = 0, nblock = 0, nacq = 0, nnopol = 0;

			snap_hits(&w, h);
			for (unsigned i = 0; i < NFLOWS && n + 2 <= PKT_BATCH_MAX; i++) {
				for (int k = 0; k < 2; k++) {
					if (want[i].action == XFRM_OUT_PROTECT)
						spis[nspi++] = want[i].spi;
					else if (want[i].action == XFRM_OUT_BYPASS)
						assert_true(nbyp++ < PKT_BATCH_MAX);
					nblock += want[i].action == XFRM_OUT_BLOCK;
					nacq += want[i].action == XFRM_OUT_ACQUIRE;
					nnopol += want[i].action == XFRM_OUT_NO_POLICY;
					batch[n++] = &flows[i];
				}
			}
			daemon_send(&dm, batch, n);
			assert_int_equal(dm.nnet, nspi);
			for (unsigned i = 0; i < nspi; i++)
				assert_int_equal(dm.spis[i], spis[i]);
			assert_int_equal(dm.nbypass, nbyp);
			for (unsigned i = 0; i < dm.nbypass; i++)
				assert_int_equal(want[dm.bypassed[i] / 2].action, XFRM_OUT_BYPASS);
			assert_int_equal(dm.dp.stats.mib[XFRM_MIB_OUT_POL_BLOCK] -
			                 before.mib[XFRM_MIB_OUT_POL_BLOCK], nblock);
			assert_int_equal(dm.dp.stats.mib[XFRM_MIB_OUT_NO_STATES] -
			                 before.mib[XFRM_MIB_OUT_NO_STATES], nacq);
			assert_int_equal(dm.dp.stats.mib[XFRM_MIB_OUT_POL_ERROR] -
			                 before.mib[XFRM_MIB_OUT_POL_ERROR], nnopol);
			for (unsigned j = 0; j < w.npol; j++) {
				uint64_t expect = 0;

				for (unsigned i = 0; i < n / 2; i++)
					expect += want[i].pol == w.pol[j]->index ? 2 : 0;
				assert_int_equal(hits_of(&w, w.pol[j]->index) - h[j], expect);
			}
		}
		dp_fini(&dm.dp);
		world_fini(&w);
	}
	print_message("outcomes: protect %u bypass %u acquire %u block %u no-policy %u ignore %u\n",
	              counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
	/* the tables are random, but every outcome must have been tried */
	for (unsigned a = 0; a <= XFRM_OUT_IGNORE; a++)
		if (counts[a] < 20)
			fail_msg("only %u flows got '%s'", counts[a],
			         xfrm_out_action_name((enum xfrm_out_action)a));
}

/* ---- the inbound check, numbered ---- */

static void test_policy_check_table(void **state)
{
	struct {
		uint8_t sa_mode;
		bool sa_sel;          /* the state has a selector for 10.1.0.0/24 only */
		int pol;              /* -1 none, 0 block, 1 allow without tmpl, 2 tmpl ok,
		                       * 3 tmpl other reqid, 4 two required tmpls, 5 optional + ok */
		enum drop_reason want;
	} rows[] = {
		/* 0 */ { XFRM_MODE_TUNNEL, false, -1, DROP_IN_NO_POLICY },
		/* 1 */ { XFRM_MODE_TRANSPORT, false, -1, DROP_NONE },
		/* 2 */ { XFRM_MODE_TUNNEL, false, 0, DROP_IN_POL_BLOCK },
		/* 3 */ { XFRM_MODE_TUNNEL, false, 1, DROP_IN_TMPL_MISMATCH },
		/* 4 */ { XFRM_MODE_TRANSPORT, false, 1, DROP_NONE },
		/* 5 */ { XFRM_MODE_TUNNEL, false, 2, DROP_NONE },
		/* 6 */ { XFRM_MODE_TUNNEL, false, 3, DROP_IN_TMPL_MISMATCH },
		/* 7 */ { XFRM_MODE_TUNNEL, false, 4, DROP_IN_TMPL_MISMATCH },
		/* 8 */ { XFRM_MODE_TUNNEL, false, 5, DROP_NONE },
		/* 9 */ { XFRM_MODE_TUNNEL, true, 2, DROP_IN_STATE_MISMATCH },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct spd *spd = spd_new(NULL);
		struct sad_sa sa;
		struct spd_policy p, *got;
		struct xfrm_flow fl;
		enum drop_reason r;

		memset(&sa, 0, sizeof(sa));
		sa.proto = IPPROTO_ESP_;
		sa.spi = 0x1234;
		sa.reqid = 7;
		sa.mode = rows[i].sa_mode;
		ip_addr_parse("192.0.2.2", &sa.saddr);
		ip_addr_parse("192.0.2.1", &sa.daddr);
		if (rows[i].sa_sel) {
			sa.sel.family = AF_INET;
			ip_addr_parse("10.1.0.0", &sa.sel.saddr);
			ip_addr_parse("0.0.0.0", &sa.sel.daddr);
			sa.sel.prefixlen_s = 24;
		}
		memset(&fl, 0, sizeof(fl));
		ip_addr_parse("10.2.0.2", &fl.saddr);
		ip_addr_parse("10.1.0.2", &fl.daddr);
		fl.proto = 1;
		if (rows[i].pol >= 0) {
			memset(&p, 0, sizeof(p));
			p.dir = XFRM_POLICY_FWD;
			p.action = rows[i].pol == 0 ? XFRM_POLICY_BLOCK : XFRM_POLICY_ALLOW;
			if (rows[i].pol >= 2) {
				p.ntmpl = rows[i].pol >= 4 ? 2 : 1;
				for (unsigned k = 0; k < p.ntmpl; k++) {
					p.tmpl[k].proto = IPPROTO_ESP_;
					p.tmpl[k].mode = XFRM_MODE_TUNNEL;
					p.tmpl[k].reqid = rows[i].pol == 3 || k == 1 ? 8 : 7;
				}
				if (rows[i].pol == 5)
					p.tmpl[1].optional = 1;
			}
			assert_int_equal(spd_add(spd, &p, NULL), 0);
		}
		r = xfrm_policy_check(spd, &sa, XFRM_POLICY_FWD, &fl, XFRM_LOOKUP_PEEK, &got);
		if (r != rows[i].want)
			fail_msg("row %zu: %s, want %s", i, drop_reason_name(r),
			         drop_reason_name(rows[i].want));
		assert_true((got != NULL) == (rows[i].pol >= 0 && !rows[i].sa_sel));
		if (got)
			assert_int_equal(got->hits, 0);   /* peek */
		r = xfrm_policy_check(spd, &sa, XFRM_POLICY_FWD, &fl, 0, &got);
		if (got)
			assert_int_equal(got->hits, 1);
		spd_free(spd);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_callers_agree),
		cmocka_unit_test(test_policy_check_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
