/* Printer for states and policies in the exact shape of iproute2 6.1's
 * `ip [-s] xfrm state|policy` (ip/ipxfrm.c: xfrm_state_info_print,
 * xfrm_policy_info_print, xfrm_xfrma_print), including its trailing
 * spaces, so scripts and eyes used to Linux read ours the same way. Also
 * writes states and policies back as commands for state files. Pure. */
#include "xfrmcli/xfrm_grammar.h"

#include <string.h>
#include <time.h>

/* Linux's XFRM_STATE_* values, in the order iproute2 prints them. */
static const struct { uint8_t bit; const char *name; } linux_flags[] = {
	{ 0x01, "noecn" }, { 0x02, "decap-dscp" }, { 0x04, "nopmtudisc" },
	{ 0x08, "wildrecv" }, { 0x10, "icmp" }, { 0x20, "af-unspec" },
	{ 0x40, "align4" }, { 0x80, "esn" },
};

uint8_t xfrm_state_flags_linux(uint8_t f)
{
	return (uint8_t)((f & SAD_FLAG_NOECN ? 0x01 : 0) | (f & SAD_FLAG_DECAP_DSCP ? 0x02 : 0) |
	                 (f & SAD_FLAG_ESN ? 0x80 : 0));
}

static const char *addr_str(const struct ip_addr *a, uint8_t family, char *buf)
{
	struct ip_addr t = *a;

	/* An unset address prints as the zero address of the family in use. */
	if (!t.family)
		t.family = family ? family : AF_INET;
	return ip_addr_fmt(&t, buf);
}

static const char *mode_str(uint8_t mode)
{
	return mode == XFRM_MODE_TUNNEL ? "tunnel" : "transport";
}

static void mask8(uint8_t v, char out[9])
{
	for (int i = 0; i < 8; i++)
		out[i] = (v & (0x80 >> i)) ? '1' : '0';
	out[8] = 0;
}

static void print_limit(FILE *out, uint64_t v)
{
	if (v == XFRM_INF)
		fputs("(INF)", out);
	else
		fprintf(out, "%llu", (unsigned long long)v);
}

static unsigned long long secs(uint64_t v)
{
	return v == XFRM_INF ? 0 : (unsigned long long)v;
}

static const char *time_str(uint64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || !localtime_r(&tt, &tm))
		return "-";
	strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

static void print_lifetime(FILE *out, const char *pfx, const struct xfrm_lifetime_cfg *l,
                           uint64_t bytes, uint64_t packets, uint64_t add, uint64_t use)
{
	char t1[32], t2[32];

	fprintf(out, "%slifetime config:\n", pfx);
	fprintf(out, "%s  limit: soft ", pfx);
	print_limit(out, l->soft_byte_limit);
	fputs("(bytes), hard ", out);
	print_limit(out, l->hard_byte_limit);
	fprintf(out, "(bytes)\n%s  limit: soft ", pfx);
	print_limit(out, l->soft_packet_limit);
	fputs("(packets), hard ", out);
	print_limit(out, l->hard_packet_limit);
	fputs("(packets)\n", out);
	fprintf(out, "%s  expire add: soft %llu(sec), hard %llu(sec)\n", pfx,
	        secs(l->soft_add_expires_seconds), secs(l->hard_add_expires_seconds));
	fprintf(out, "%s  expire use: soft %llu(sec), hard %llu(sec)\n", pfx,
	        secs(l->soft_use_expires_seconds), secs(l->hard_use_expires_seconds));
	fprintf(out, "%slifetime current:\n", pfx);
	fprintf(out, "%s  %llu(bytes), %llu(packets)\n", pfx,
	        (unsigned long long)bytes, (unsigned long long)packets);
	fprintf(out, "%s  add %s ", pfx, time_str(add, t1));
	fprintf(out, "use %s\n", time_str(use, t2));
}

/* xfrm_selector_print: "src A/P dst A/P [proto X [ports|type/code]] " */
static void print_selector(FILE *out, const char *pfx, const struct xfrm_selector *sel,
                           uint8_t family, bool stats)
{
	char a[IP_ADDR_STRLEN], pb[8];
	uint8_t f = sel->family ? sel->family : family;

	fprintf(out, "%ssrc %s/%u ", pfx, addr_str(&sel->saddr, f, a), sel->prefixlen_s);
	fprintf(out, "dst %s/%u ", addr_str(&sel->daddr, f, a), sel->prefixlen_d);
	if (sel->proto)
		fprintf(out, "proto %s ", xfrm_proto_name(sel->proto, pb));
	if (sel->proto == 1 || sel->proto == 58) {
		if (sel->sport_mask)
			fprintf(out, "type %u ", sel->sport);
		if (sel->dport_mask)
			fprintf(out, "code %u ", sel->dport);
	} else if (sel->proto == 135) {
		if (sel->sport_mask)
			fprintf(out, "type %u ", sel->sport);
	} else if (sel->proto != 47) {
		if (sel->sport_mask)
			fprintf(out, "sport %u ", sel->sport);
		if (sel->dport_mask)
			fprintf(out, "dport %u ", sel->dport);
	}
	if (stats)
		fputs("uid 0", out);
	fputc('\n', out);
}

/* __xfrm_algo_print, with the aead/auth-trunc length after the key.
 * Without keys the key is "[hidden]" (issue 15 item 10): a line copied
 * into `xfrm state add` then fails to parse instead of installing a
 * made-up key; an empty key has nothing to hide and stays "0x". */
static void print_algo(FILE *out, const char *pfx, const char *type,
                       const struct xfrm_algo *a, bool with_bits, bool stats, bool keys)
{
	fprintf(out, "%s%s %s ", pfx, type, a->name);
	if (keys || a->key_len == 0) {
		fputs("0x", out);
		for (unsigned i = 0; i < a->key_len && i < XFRM_KEY_MAX; i++)
			fprintf(out, "%02x", a->key[i]);
	} else {
		fputs("[hidden]", out);
	}
	if (stats)
		fprintf(out, " (%u bits)", a->key_len * 8u);
	if (with_bits)
		fprintf(out, " %u", a->icv_bits);
	fputc('\n', out);
}

/* 32-bit word i of a kernel-style bitmap: bit b stands for top - (32i + b). */
static uint32_t replay_word(const struct replay_window *w, unsigned i)
{
	uint32_t v = 0;

	for (unsigned b = 0; b < 32; b++) {
		uint64_t back = (uint64_t)i * 32 + b;

		if (back >= w->size || back >= w->top)
			break;
		if (replay_seen(w, w->top - back))
			v |= 1u << b;
	}
	return v;
}

/* The kernel keeps the small legacy window (<= 32, no ESN) in struct
 * xfrm_replay_state and anything else in xfrm_replay_state_esn; iproute2
 * prints the two differently, and so do we. */
static bool uses_esn_context(const struct sad_sa *sa)
{
	return (sa->flags & SAD_FLAG_ESN) || sa->replay.size > 32;
}

static void print_replay(FILE *out, const char *pfx, const struct sad_sa *sa)
{
	const struct replay_window *w = &sa->replay;

	if (!uses_esn_context(sa)) {
		fprintf(out, "%santi-replay context: seq 0x%x, oseq 0x%x, bitmap 0x%08x\n", pfx,
		        (uint32_t)w->top, (uint32_t)sa->oseq, replay_bitmap32(w));
		return;
	}
	unsigned words = (w->size + 31) / 32;
	fprintf(out, "%santi-replay esn context:\n", pfx);
	fprintf(out, "%s seq-hi 0x%x, seq 0x%x, oseq-hi 0x%x, oseq 0x%x\n", pfx,
	        (uint32_t)(w->top >> 32), (uint32_t)w->top,
	        (uint32_t)(sa->oseq >> 32), (uint32_t)sa->oseq);
	fprintf(out, "%s replay_window %u, bitmap-length %u", pfx, w->size, words);
	for (unsigned i = words, j = 0; i; i--, j++) {
		if (j % 8 == 0)
			fprintf(out, "\n%s ", pfx);
		fprintf(out, "%08x ", replay_word(w, i - 1));
	}
	fputc('\n', out);
}

static bool selector_is_zero(const struct xfrm_selector *s)
{
	static const struct xfrm_selector zero;

	return memcmp(s, &zero, sizeof(zero)) == 0;
}

void xfrm_print_state(FILE *out, const struct sad_sa *sa, bool stats)
{
	xfrm_print_state_keys(out, sa, stats, false);
}

void xfrm_print_state_keys(FILE *out, const struct sad_sa *sa, bool stats, bool keys)
{
	const char *pfx = "\t";
	uint8_t family = sa->daddr.family;
	uint8_t lf = xfrm_state_flags_linux(sa->flags);
	char a[IP_ADDR_STRLEN], m[9];

	/* xfrm_id_info_print */
	fprintf(out, "src %s ", addr_str(&sa->saddr, family, a));
	fprintf(out, "dst %s\n", addr_str(&sa->daddr, family, a));
	fprintf(out, "\tproto esp spi 0x%08x", sa->spi);
	if (stats)
		fprintf(out, "(%u)", sa->spi);
	fprintf(out, " reqid %u", sa->reqid);
	if (stats)
		fprintf(out, "(0x%08x)", sa->reqid);
	fprintf(out, " mode %s\n", mode_str(sa->mode));

	fprintf(out, "\treplay-window %u ", uses_esn_context(sa) ? 0 : sa->replay.size);
	if (stats)
		fputs("seq 0x00000000 ", out);
	if (stats || lf) {
		uint8_t left = lf;

		fputs("flag ", out);
		for (size_t i = 0; i < sizeof(linux_flags) / sizeof(linux_flags[0]); i++) {
			if (!(left & linux_flags[i].bit))
				continue;
			left &= (uint8_t)~linux_flags[i].bit;
			fprintf(out, "%s%s", linux_flags[i].name, left ? " " : "");
		}
	}
	if (stats) {
		mask8(lf, m);
		fprintf(out, " (0x%s)", m);
	}
	fputc('\n', out);

	/* xfrm_xfrma_print */
	if (sa->mark || sa->mark_mask)
		fprintf(out, "\tmark %#x/%#x \n", sa->mark, sa->mark_mask);
	if (sa->auth.name[0])
		print_algo(out, pfx, "auth-trunc", &sa->auth, true, stats, keys);
	if (sa->aead.name[0])
		print_algo(out, pfx, "aead", &sa->aead, true, stats, keys);
	if (sa->enc.name[0])
		print_algo(out, pfx, "enc", &sa->enc, false, stats, keys);
	if (sa->encap.type) {
		fprintf(out, "%sencap type espinudp sport %u dport %u ", pfx,
		        sa->encap.sport, sa->encap.dport);
		fprintf(out, "addr %s\n", addr_str(&sa->encap.oa, family, a));
	}
	print_replay(out, pfx, sa);

	if (!selector_is_zero(&sa->sel))
		print_selector(out, "\tsel ", &sa->sel, family, stats);
	if (stats) {
		print_lifetime(out, pfx, &sa->lft, sa->curlft.bytes, sa->curlft.packets,
		               sa->curlft.add_time_wall, sa->curlft.use_time_wall);
		fprintf(out, "%sstats:\n", pfx);
		fprintf(out, "%s  replay-window %llu replay %llu failed %llu\n", pfx,
		        (unsigned long long)sa->stats.replay_window,
		        (unsigned long long)sa->stats.replay,
		        (unsigned long long)sa->stats.integrity_failed);
	}
}

static void print_tmpl(FILE *out, const struct xfrm_tmpl *t, uint8_t family, bool stats)
{
	char a[IP_ADDR_STRLEN];
	uint8_t f = t->daddr.family ? t->daddr.family : t->saddr.family ? t->saddr.family : family;

	fprintf(out, "\ttmpl src %s ", addr_str(&t->saddr, f, a));
	fprintf(out, "dst %s\n", addr_str(&t->daddr, f, a));
	fputs("\t\tproto esp ", out);
	if (stats || t->spi) {
		fprintf(out, "spi 0x%08x", t->spi);
		if (stats)
			fprintf(out, "(%u)", t->spi);
		fputc(' ', out);
	}
	fprintf(out, "reqid %u", t->reqid);
	if (stats)
		fprintf(out, "(0x%08x)", t->reqid);
	fprintf(out, " mode %s\n", mode_str(t->mode));
	if (stats || t->optional) {
		fputs("\t\t", out);
		if (t->optional)
			fputs("level use ", out);
		else
			fputs("level required ", out);
		if (stats)
			fputs("share any ", out);
		fputc('\n', out);
	}
	if (stats)
		fputs("\t\tenc-mask ffffffff auth-mask ffffffff comp-mask ffffffff\n", out);
}

void xfrm_print_policy(FILE *out, const struct spd_policy *p, bool stats)
{
	static const char *const dirs[] = { "in", "out", "fwd" };

	print_selector(out, "", &p->sel, p->sel.family, stats);
	fprintf(out, "\tdir %s ", p->dir < 3 ? dirs[p->dir] : "?");
	if (p->action == XFRM_POLICY_BLOCK)
		fputs("action block ", out);
	else if (stats)
		fputs("action allow ", out);
	if (stats)
		fprintf(out, "index %u ", p->index);
	fprintf(out, "priority %u ptype main ", p->priority);
	if (stats)
		fputs("share any flag  (0x00000000)", out);
	fputc('\n', out);
	if (stats)
		print_lifetime(out, "\t", &p->lft, 0, p->hits, p->add_time_wall, p->use_time_wall);
	if (p->mark || p->mark_mask)
		fprintf(out, "\tmark %#x/%#x \n", p->mark, p->mark_mask);
	for (uint32_t i = 0; i < p->ntmpl && i < SPD_MAX_TMPL; i++)
		print_tmpl(out, &p->tmpl[i], p->sel.family, stats);
}

/* ---- commands for state files ---- */

static void write_key(FILE *out, const struct xfrm_algo *a)
{
	if (a->key_len == 0) {
		fputs(" \"\"", out);   /* "0x" alone would be read as a 2-byte string */
		return;
	}
	fputs(" 0x", out);
	for (unsigned i = 0; i < a->key_len && i < XFRM_KEY_MAX; i++)
		fprintf(out, "%02x", a->key[i]);
}

static void write_limits(FILE *out, const struct xfrm_lifetime_cfg *l)
{
	static const struct { const char *name; size_t off; } lim[] = {
		{ "time-soft", offsetof(struct xfrm_lifetime_cfg, soft_add_expires_seconds) },
		{ "time-hard", offsetof(struct xfrm_lifetime_cfg, hard_add_expires_seconds) },
		{ "time-use-soft", offsetof(struct xfrm_lifetime_cfg, soft_use_expires_seconds) },
		{ "time-use-hard", offsetof(struct xfrm_lifetime_cfg, hard_use_expires_seconds) },
		{ "byte-soft", offsetof(struct xfrm_lifetime_cfg, soft_byte_limit) },
		{ "byte-hard", offsetof(struct xfrm_lifetime_cfg, hard_byte_limit) },
		{ "packet-soft", offsetof(struct xfrm_lifetime_cfg, soft_packet_limit) },
		{ "packet-hard", offsetof(struct xfrm_lifetime_cfg, hard_packet_limit) },
	};

	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		uint64_t v;

		memcpy(&v, (const char *)l + lim[i].off, sizeof(v));
		if (v != XFRM_INF)
			fprintf(out, " limit %s %llu", lim[i].name, (unsigned long long)v);
	}
}

static void write_upspec(FILE *out, const struct xfrm_selector *sel)
{
	char pb[8];
	bool icmp = sel->proto == 1 || sel->proto == 58 || sel->proto == 135;

	if (sel->proto)
		fprintf(out, " proto %s", xfrm_proto_name(sel->proto, pb));
	if (sel->sport_mask)
		fprintf(out, " %s %u", icmp ? "type" : "sport", sel->sport);
	if (sel->dport_mask)
		fprintf(out, " %s %u", icmp ? "code" : "dport", sel->dport);
}

void xfrm_write_state_cmd(FILE *out, const struct sad_sa *sa)
{
	char a[IP_ADDR_STRLEN], b[IP_ADDR_STRLEN];
	uint8_t f = sa->daddr.family;

	fprintf(out, "xfrm state add src %s dst %s proto esp spi 0x%08x reqid %u mode %s",
	        addr_str(&sa->saddr, f, a), addr_str(&sa->daddr, f, b), sa->spi, sa->reqid,
	        mode_str(sa->mode));
	if (sa->replay.size)
		fprintf(out, " replay-window %u", sa->replay.size);
	if (sa->flags & (SAD_FLAG_ESN | SAD_FLAG_NOECN | SAD_FLAG_DECAP_DSCP)) {
		fputs(" flag", out);
		if (sa->flags & SAD_FLAG_NOECN)
			fputs(" noecn", out);
		if (sa->flags & SAD_FLAG_DECAP_DSCP)
			fputs(" decap-dscp", out);
		if (sa->flags & SAD_FLAG_ESN)
			fputs(" esn", out);
	}
	if ((uint32_t)sa->replay.top)
		fprintf(out, " replay-seq 0x%x", (uint32_t)sa->replay.top);
	if (sa->replay.top >> 32)
		fprintf(out, " replay-seq-hi 0x%x", (uint32_t)(sa->replay.top >> 32));
	if ((uint32_t)sa->oseq)
		fprintf(out, " replay-oseq 0x%x", (uint32_t)sa->oseq);
	if (sa->oseq >> 32)
		fprintf(out, " replay-oseq-hi 0x%x", (uint32_t)(sa->oseq >> 32));
	if (sa->aead.name[0]) {
		fprintf(out, " aead '%s'", sa->aead.name);
		write_key(out, &sa->aead);
		fprintf(out, " %u", sa->aead.icv_bits);
	}
	if (sa->enc.name[0]) {
		fprintf(out, " enc '%s'", sa->enc.name);
		write_key(out, &sa->enc);
	}
	if (sa->auth.name[0]) {
		fprintf(out, " auth-trunc '%s'", sa->auth.name);
		write_key(out, &sa->auth);
		fprintf(out, " %u", sa->auth.icv_bits);
	}
	if (sa->encap.type)
		fprintf(out, " encap espinudp %u %u %s", sa->encap.sport, sa->encap.dport,
		        addr_str(&sa->encap.oa, f, a));
	if (sa->sel.family && !(sa->sel.prefixlen_s == 0 && sa->sel.prefixlen_d == 0 &&
	                        sa->sel.proto == 0 && sa->sel.family == f)) {
		fprintf(out, " sel src %s/%u", addr_str(&sa->sel.saddr, sa->sel.family, a),
		        sa->sel.prefixlen_s);
		fprintf(out, " dst %s/%u", addr_str(&sa->sel.daddr, sa->sel.family, a),
		        sa->sel.prefixlen_d);
		write_upspec(out, &sa->sel);
	}
	write_limits(out, &sa->lft);
	if (sa->mark || sa->mark_mask)
		fprintf(out, " mark %#x mask %#x", sa->mark, sa->mark_mask);
	fputc('\n', out);
}

void xfrm_write_policy_cmd(FILE *out, const struct spd_policy *p)
{
	static const char *const dirs[] = { "in", "out", "fwd" };
	char a[IP_ADDR_STRLEN];
	uint8_t f = p->sel.family;

	fprintf(out, "xfrm policy add src %s/%u", addr_str(&p->sel.saddr, f, a), p->sel.prefixlen_s);
	fprintf(out, " dst %s/%u", addr_str(&p->sel.daddr, f, a), p->sel.prefixlen_d);
	write_upspec(out, &p->sel);
	fprintf(out, " dir %s priority %u", p->dir < 3 ? dirs[p->dir] : "in", p->priority);
	if (p->action == XFRM_POLICY_BLOCK)
		fputs(" action block", out);
	if (p->index)
		fprintf(out, " index %u", p->index);
	write_limits(out, &p->lft);
	if (p->mark || p->mark_mask)
		fprintf(out, " mark %#x mask %#x", p->mark, p->mark_mask);
	for (uint32_t i = 0; i < p->ntmpl && i < SPD_MAX_TMPL; i++) {
		const struct xfrm_tmpl *t = &p->tmpl[i];

		fputs(" tmpl", out);
		if (t->saddr.family)
			fprintf(out, " src %s", ip_addr_fmt(&t->saddr, a));
		if (t->daddr.family)
			fprintf(out, " dst %s", ip_addr_fmt(&t->daddr, a));
		fputs(" proto esp", out);
		if (t->spi)
			fprintf(out, " spi 0x%08x", t->spi);
		fprintf(out, " reqid %u mode %s", t->reqid, mode_str(t->mode));
		if (t->optional)
			fputs(" level use", out);
	}
	fputc('\n', out);
}
