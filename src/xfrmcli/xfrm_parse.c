/* Parser for the words of `ip xfrm state ...` and `ip xfrm policy ...`
 * (iproute2's ip-xfrm(8) grammar), producing a request struct. Pure: no
 * SAD/SPD access, no globals; runs on whatever thread calls it.
 *
 * Every error is one line naming the word that was wrong. Keys are copied
 * into the request; the caller wipes it (xfrm_cmd.c does). */
#include "xfrmcli/xfrm_grammar.h"
#include "xfrmcli/xfrm_cmd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/esp_crypto.h"
#include "util/mem.h"

/* A cursor over the words, with the error buffer. */
struct cur {
	int argc;
	char **argv;
	int i;
	char *err;
	size_t errlen;
};

static int fail(struct cur *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct cur *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool more(const struct cur *c)
{
	return c->i < c->argc;
}

static const char *peek(const struct cur *c)
{
	return more(c) ? c->argv[c->i] : "";
}

/* The value after keyword kw (c->i points at kw); advances past both. */
static int value(struct cur *c, const char **v)
{
	const char *kw = c->argv[c->i];

	if (c->i + 1 >= c->argc)
		return fail(c, "missing value after '%s'", kw);
	*v = c->argv[c->i + 1];
	c->i += 2;
	return 0;
}

/* Unsigned numbers as iproute2's get_u32(..., 0): decimal, 0x hex, 0 octal. */
static int num_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s[0] || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int kw_u32(struct cur *c, const char *what, uint64_t max, uint32_t *out)
{
	const char *kw = c->argv[c->i], *v = NULL;
	uint64_t n;
	int rc = value(c, &v);

	if (rc)
		return rc;
	if (num_u64(v, max, &n))
		return fail(c, "bad %s '%s' after '%s'", what, v, kw);
	*out = (uint32_t)n;
	return 0;
}

/* Address or prefix. plen may be NULL (a plain address is required). */
static int kw_addr(struct cur *c, struct ip_addr *a, uint8_t *plen, bool prefix_ok)
{
	const char *kw = c->argv[c->i], *v = NULL;
	uint8_t len;
	int rc = value(c, &v);

	if (rc)
		return rc;
	if (ip_prefix_parse(v, a, &len))
		return fail(c, "bad address '%s' after '%s'", v, kw);
	if (!prefix_ok && len != ip_addr_len(a) * 8)
		return fail(c, "'%s' after '%s' must be an address, not a prefix", v, kw);
	if (plen)
		*plen = len;
	return 0;
}

/* ---- upper-layer protocols ---- */

static const struct { const char *name; uint8_t num; } protos[] = {
	{ "icmp", 1 }, { "igmp", 2 }, { "ipencap", 4 }, { "tcp", 6 }, { "udp", 17 },
	{ "ipv6", 41 }, { "ipv6-route", 43 }, { "ipv6-frag", 44 }, { "gre", 47 },
	{ "esp", 50 }, { "ah", 51 }, { "ipv6-icmp", 58 }, { "ipv6-nonxt", 59 },
	{ "ipv6-opts", 60 }, { "pim", 103 }, { "vrrp", 112 }, { "l2tp", 115 },
	{ "sctp", 132 }, { "dccp", 33 }, { "mobility-header", 135 }, { "udplite", 136 },
};

const char *xfrm_proto_name(uint8_t proto, char buf[8])
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].num == proto)
			return protos[i].name;
	snprintf(buf, 8, "%u", proto);
	return buf;
}

static int proto_parse(const char *s, uint8_t *out)
{
	uint64_t n;

	if (!strcmp(s, "any")) {
		*out = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(protos[i].name, s)) {
			*out = protos[i].num;
			return 0;
		}
	if (num_u64(s, 255, &n))
		return -EINVAL;
	*out = (uint8_t)n;
	return 0;
}

static bool proto_has_ports(uint8_t p)
{
	return p == 6 || p == 17 || p == 132 || p == 33 || p == 136;
}

static bool proto_has_type(uint8_t p)
{
	return p == 1 || p == 58 || p == 135;
}

/* UPSPEC := proto PROTO [ sport PORT ] [ dport PORT ] | [ type N ] [ code N ]
 * One keyword at c->i; returns 1 if it was one of these, 0 if not. */
static int upspec_word(struct cur *c, struct xfrm_selector *sel, unsigned *seen)
{
	const char *w = peek(c), *v;
	uint32_t n;
	int rc;

	if (!strcmp(w, "proto")) {
		if ((rc = value(c, &v)))
			return rc;
		if (proto_parse(v, &sel->proto))
			return fail(c, "unknown protocol '%s' after 'proto'", v);
		*seen |= 1;
	} else if (!strcmp(w, "sport") || !strcmp(w, "dport")) {
		bool s = w[0] == 's';
		if ((rc = kw_u32(c, "port", 65535, &n)))
			return rc;
		if (s) {
			sel->sport = (uint16_t)n;
			sel->sport_mask = n ? 0xffff : 0;
		} else {
			sel->dport = (uint16_t)n;
			sel->dport_mask = n ? 0xffff : 0;
		}
		*seen |= 2;
	} else if (!strcmp(w, "type") || !strcmp(w, "code")) {
		bool t = w[0] == 't';
		if ((rc = kw_u32(c, t ? "type" : "code", 255, &n)))
			return rc;
		if (t) {
			sel->sport = (uint16_t)n;
			sel->sport_mask = 0xffff;
		} else {
			sel->dport = (uint16_t)n;
			sel->dport_mask = 0xffff;
		}
		*seen |= 4;
	} else if (!strcmp(w, "dev") || !strcmp(w, "key")) {
		return fail(c, "selector '%s' is not supported", w);
	} else {
		return 0;
	}
	return 1;
}

static int upspec_check(struct cur *c, const struct xfrm_selector *sel, unsigned seen)
{
	char pb[8];

	if ((seen & 2) && !proto_has_ports(sel->proto))
		return fail(c, "'sport' and 'dport' are invalid with proto '%s'",
		            sel->proto ? xfrm_proto_name(sel->proto, pb) : "any");
	if ((seen & 4) && !proto_has_type(sel->proto))
		return fail(c, "'type' and 'code' are invalid with proto '%s'",
		            sel->proto ? xfrm_proto_name(sel->proto, pb) : "any");
	return 0;
}

static int family_check(struct cur *c, uint8_t *family, const struct ip_addr *a,
                        const char *what)
{
	if (*family && a->family != *family)
		return fail(c, "%s is not of the same address family as the other address", what);
	*family = a->family;
	return 0;
}

/* SELECTOR := [ src ADDR[/PLEN] ] [ dst ADDR[/PLEN] ] [ UPSPEC ] (state "sel") */
static int selector_parse(struct cur *c, struct xfrm_selector *sel)
{
	unsigned seen = 0;
	int start = c->i, rc;

	while (more(c)) {
		const char *w = peek(c);

		if (!strcmp(w, "src") || !strcmp(w, "dst")) {
			bool s = w[0] == 's';
			struct ip_addr a;
			uint8_t len;

			if ((rc = kw_addr(c, &a, &len, true)))
				return rc;
			if ((rc = family_check(c, &sel->family, &a, c->argv[c->i - 1])))
				return rc;
			if (s) {
				sel->saddr = a;
				sel->prefixlen_s = len;
			} else {
				sel->daddr = a;
				sel->prefixlen_d = len;
			}
			continue;
		}
		rc = upspec_word(c, sel, &seen);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
	}
	if (c->i == start)
		return fail(c, "'sel' needs a selector (src, dst, proto, ...)");
	if (!sel->family)
		return fail(c, "'sel' needs src or dst");
	return upspec_check(c, sel, seen);
}

/* LIMIT := time-soft|time-hard|time-use-soft|time-use-hard SECONDS |
 *          byte-soft|byte-hard SIZE | packet-soft|packet-hard COUNT
 * c->i points after "limit". Times of 0 mean "none" as in the kernel. */
static int limit_parse(struct cur *c, struct xfrm_lifetime_cfg *l)
{
	static const struct { const char *name; size_t off; bool time; } lim[] = {
		{ "time-soft", offsetof(struct xfrm_lifetime_cfg, soft_add_expires_seconds), true },
		{ "time-hard", offsetof(struct xfrm_lifetime_cfg, hard_add_expires_seconds), true },
		{ "time-use-soft", offsetof(struct xfrm_lifetime_cfg, soft_use_expires_seconds), true },
		{ "time-use-hard", offsetof(struct xfrm_lifetime_cfg, hard_use_expires_seconds), true },
		{ "byte-soft", offsetof(struct xfrm_lifetime_cfg, soft_byte_limit), false },
		{ "byte-hard", offsetof(struct xfrm_lifetime_cfg, hard_byte_limit), false },
		{ "packet-soft", offsetof(struct xfrm_lifetime_cfg, soft_packet_limit), false },
		{ "packet-hard", offsetof(struct xfrm_lifetime_cfg, hard_packet_limit), false },
	};
	const char *w = peek(c), *v;
	uint64_t n;
	int rc;

	if (!more(c))
		return fail(c, "missing limit after 'limit'");
	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		if (strcmp(w, lim[i].name))
			continue;
		if ((rc = value(c, &v)))
			return rc;
		if (num_u64(v, UINT64_MAX, &n))
			return fail(c, "bad value '%s' after '%s'", v, w);
		if (lim[i].time && n == 0)
			n = XFRM_INF;
		memcpy((char *)l + lim[i].off, &n, sizeof(n));
		return 0;
	}
	return fail(c, "unknown limit '%s' (time-soft, time-hard, time-use-soft, "
	            "time-use-hard, byte-soft, byte-hard, packet-soft, packet-hard)", w);
}

static void lifetime_init(struct xfrm_lifetime_cfg *l)
{
	l->soft_byte_limit = l->hard_byte_limit = XFRM_INF;
	l->soft_packet_limit = l->hard_packet_limit = XFRM_INF;
	l->soft_add_expires_seconds = l->hard_add_expires_seconds = XFRM_INF;
	l->soft_use_expires_seconds = l->hard_use_expires_seconds = XFRM_INF;
}

static int mark_parse(struct cur *c, uint32_t *mark, uint32_t *mask)
{
	int rc = kw_u32(c, "mark", UINT32_MAX, mark);

	if (rc)
		return rc;
	*mask = 0xffffffff;
	if (!strcmp(peek(c), "mask"))
		return kw_u32(c, "mask", UINT32_MAX, mask);
	return 0;
}

static int mode_parse(struct cur *c, uint8_t *mode)
{
	const char *v;
	int rc = value(c, &v);

	if (rc)
		return rc;
	if (!strcmp(v, "transport"))
		*mode = XFRM_MODE_TRANSPORT;
	else if (!strcmp(v, "tunnel"))
		*mode = XFRM_MODE_TUNNEL;
	else if (!strcmp(v, "beet") || !strcmp(v, "ro") || !strcmp(v, "in_trigger") ||
	         !strcmp(v, "iptfs"))
		return fail(c, "mode '%s' is not supported (transport or tunnel)", v);
	else
		return fail(c, "bad mode '%s' (transport or tunnel)", v);
	return 0;
}

static int xfrm_proto_parse(struct cur *c, uint8_t *proto)
{
	const char *v;
	int rc = value(c, &v);

	if (rc)
		return rc;
	if (!strcmp(v, "esp"))
		*proto = IPPROTO_ESP_;
	else if (!strcmp(v, "ah") || !strcmp(v, "comp") || !strcmp(v, "route2") ||
	         !strcmp(v, "hao") || !strcmp(v, "ipsec-any"))
		return fail(c, "proto '%s' is not supported (only esp)", v);
	else
		return fail(c, "bad proto '%s' (esp)", v);
	return 0;
}

/* ---- algorithms ---- */

/* The kernel's compat names map to the canonical ones it reports. */
static const char *algo_canonical(const char *name)
{
	static const struct { const char *alias, *name; } al[] = {
		{ "aes", "cbc(aes)" }, { "cipher_null", "ecb(cipher_null)" },
		{ "sha1", "hmac(sha1)" }, { "sha256", "hmac(sha256)" },
		{ "sha384", "hmac(sha384)" }, { "sha512", "hmac(sha512)" },
		{ "md5", "hmac(md5)" },
	};

	for (size_t i = 0; i < sizeof(al) / sizeof(al[0]); i++)
		if (!strcmp(name, al[i].alias))
			return al[i].name;
	return name;
}

/* Truncation the kernel applies for "auth NAME KEY" (no explicit length):
 * its algorithm table's icv_truncbits, 96 even for hmac(sha256). */
static unsigned auth_default_trunc(const char *name)
{
	if (!strcmp(name, "hmac(sha384)"))
		return 192;
	if (!strcmp(name, "hmac(sha512)"))
		return 256;
	return 96;
}

/* ALGO_KEY: 0x-prefixed hex (odd length gets a leading 0, as iproute2
 * does) or the bytes of the string itself. */
static int key_parse(struct cur *c, const char *type, const char *s, struct xfrm_algo *a)
{
	size_t slen = strlen(s);

	if (slen > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		char tmp[2 * XFRM_KEY_MAX + 2];
		const char *h = s + 2;
		size_t hl = slen - 2;
		int n;

		if ((hl + 1) / 2 > XFRM_KEY_MAX)
			return fail(c, "key for %s is too long (at most %d bytes)", type, XFRM_KEY_MAX);
		if (hl % 2) {
			tmp[0] = '0';
			memcpy(tmp + 1, h, hl + 1);
			h = tmp;
		}
		n = mem_from_hex(h, a->key, XFRM_KEY_MAX);
		if (h == tmp)
			mem_wipe(tmp, sizeof(tmp));
		if (n < 0)
			return fail(c, "key for %s is not valid hex", type);
		a->key_len = (uint16_t)n;
		return 0;
	}
	if (slen > XFRM_KEY_MAX)
		return fail(c, "key for %s is too long (at most %d bytes)", type, XFRM_KEY_MAX);
	memcpy(a->key, s, slen);
	a->key_len = (uint16_t)slen;
	return 0;
}

/* ALGO := { aead NAME KEY ICV | enc NAME KEY | auth NAME KEY |
 *           auth-trunc NAME KEY TRUNC } ; c->i at the type word. */
static int algo_parse(struct cur *c, struct sad_sa *sa, unsigned *seen)
{
	const char *type = peek(c);
	struct xfrm_algo *a;
	unsigned bit, need = 2;
	const char *name;
	uint64_t n;

	if (!strcmp(type, "aead")) {
		a = &sa->aead, bit = 1, need = 3;
	} else if (!strcmp(type, "enc")) {
		a = &sa->enc, bit = 2;
	} else if (!strcmp(type, "auth")) {
		a = &sa->auth, bit = 4;
	} else if (!strcmp(type, "auth-trunc")) {
		a = &sa->auth, bit = 4, need = 3;
	} else {
		return fail(c, "algorithm type '%s' is not supported", type);
	}
	if (*seen & bit)
		return fail(c, "duplicate '%s'", type);
	*seen |= bit;
	if (c->i + (int)need >= c->argc)
		return fail(c, "'%s' needs %s", type,
		            need == 3 ? (bit == 1 ? "NAME KEY ICV-BITS" : "NAME KEY TRUNC-BITS")
		                      : "NAME KEY");
	name = algo_canonical(c->argv[c->i + 1]);
	if (strlen(name) >= XFRM_ALGO_NAME_MAX)
		return fail(c, "algorithm name '%.20s...' is too long", name);
	snprintf(a->name, sizeof(a->name), "%s", name);
	if (key_parse(c, a->name, c->argv[c->i + 2], a))
		return -EINVAL;
	if (need == 3) {
		const char *v = c->argv[c->i + 3];
		if (num_u64(v, 4096, &n))
			return fail(c, "bad %s length '%s' for %s", bit == 1 ? "ICV" : "truncation",
			            v, a->name);
		a->icv_bits = (uint16_t)n;
	} else if (bit == 4) {
		a->icv_bits = (uint16_t)auth_default_trunc(a->name);
	}
	c->i += 1 + (int)need;
	return 0;
}

static int algo_check(struct cur *c, const struct sad_sa *sa, unsigned seen)
{
	struct crypto_esp_algs algs = { 0 };
	struct crypto_esp *ctx = NULL;
	int rc;

	if (!seen)
		return fail(c, "no algorithm: a state needs 'aead' or 'enc' with 'auth'");
	if ((seen & 1) && (seen & 6))
		return fail(c, "'aead' cannot be combined with 'enc' or 'auth'");
	if ((seen & 4) && !(seen & 2))
		return fail(c, "'auth' needs 'enc' (use enc 'ecb(cipher_null)' \"\" for "
		            "integrity only)");
	if (seen & 1) {
		algs.aead = sa->aead.name;
		algs.aead_key = sa->aead.key;
		algs.aead_key_len = sa->aead.key_len;
		algs.aead_icv_bits = sa->aead.icv_bits;
	} else {
		algs.enc = sa->enc.name;
		algs.enc_key = sa->enc.key;
		algs.enc_key_len = sa->enc.key_len;
		algs.auth = sa->auth.name;
		algs.auth_key = sa->auth.key;
		algs.auth_key_len = sa->auth.key_len;
		algs.auth_trunc_bits = sa->auth.icv_bits;
	}
	rc = crypto_esp_new(&algs, &ctx, c->err, c->errlen);
	crypto_esp_free(ctx);
	return rc ? -EINVAL : 0;
}

/* ENCAP := espinudp SPORT DPORT OADDR ; c->i at "encap". */
static int encap_parse(struct cur *c, struct xfrm_encap *e)
{
	uint64_t n;
	const char *w;

	if (c->i + 4 >= c->argc)
		return fail(c, "'encap' needs espinudp SPORT DPORT OADDR");
	w = c->argv[c->i + 1];
	if (!strcmp(w, "espinudp-nonike") || !strcmp(w, "espintcp"))
		return fail(c, "encap type '%s' is not supported (espinudp)", w);
	if (strcmp(w, "espinudp"))
		return fail(c, "bad encap type '%s' (espinudp)", w);
	e->type = UDP_ENCAP_ESPINUDP_;
	w = c->argv[c->i + 2];
	if (num_u64(w, 65535, &n))
		return fail(c, "bad encap sport '%s'", w);
	e->sport = (uint16_t)n;
	w = c->argv[c->i + 3];
	if (num_u64(w, 65535, &n))
		return fail(c, "bad encap dport '%s'", w);
	e->dport = (uint16_t)n;
	w = c->argv[c->i + 4];
	if (ip_addr_parse(w, &e->oa))
		return fail(c, "bad encap address '%s'", w);
	c->i += 5;
	return 0;
}

static int flag_parse(struct cur *c, uint8_t *flags)
{
	const char *w;
	uint64_t n;
	int count = 0;

	c->i++;   /* "flag" */
	if (!more(c))
		return fail(c, "missing value after 'flag'");
	w = peek(c);
	if (w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) {
		if (num_u64(w, 255, &n))
			return fail(c, "bad flag value '%s'", w);
		if (n & ~0x83u)
			return fail(c, "flag value '%s' has flags that are not supported "
			            "(noecn 0x1, decap-dscp 0x2, esn 0x80)", w);
		*flags = (uint8_t)((n & 1 ? SAD_FLAG_NOECN : 0) | (n & 2 ? SAD_FLAG_DECAP_DSCP : 0) |
		                   (n & 0x80 ? SAD_FLAG_ESN : 0));
		c->i++;
		return 0;
	}
	while (more(c)) {
		w = peek(c);
		if (!strcmp(w, "esn"))
			*flags |= SAD_FLAG_ESN;
		else if (!strcmp(w, "noecn"))
			*flags |= SAD_FLAG_NOECN;
		else if (!strcmp(w, "decap-dscp"))
			*flags |= SAD_FLAG_DECAP_DSCP;
		else if (!strcmp(w, "nopmtudisc") || !strcmp(w, "wildrecv") ||
		         !strcmp(w, "icmp") || !strcmp(w, "af-unspec") || !strcmp(w, "align4"))
			return fail(c, "flag '%s' is not supported (esn, noecn, decap-dscp)", w);
		else
			break;
		c->i++;
		count++;
	}
	if (!count)
		return fail(c, "bad flag '%s' (esn, noecn, decap-dscp)", peek(c));
	return 0;
}

static const char *const unsupported_words[] = {
	"if_id", "output-mark", "ctx", "coa", "offload", "tfcpad", "extra-flag",
	"dev", "comp", "nokeys",
};

static int unknown(struct cur *c, const char *what)
{
	const char *w = peek(c);

	for (size_t i = 0; i < sizeof(unsupported_words) / sizeof(unsupported_words[0]); i++)
		if (!strcmp(w, unsupported_words[i]))
			return fail(c, "'%s' is not supported", w);
	return fail(c, "unknown %s keyword '%s'", what, w);
}

/* ---- state ---- */

int xfrm_parse_state(int argc, char **argv, enum xg_mode mode,
                     struct xfrm_state_req *req, char *err, size_t errlen)
{
	struct cur c = { argc, argv, 0, err, errlen };
	struct sad_sa *sa = &req->sa;
	unsigned algos = 0;
	uint8_t family = 0;
	int rc;

	memset(req, 0, sizeof(*req));
	lifetime_init(&sa->lft);
	sa->mode = XFRM_MODE_TRANSPORT;

	while (more(&c)) {
		const char *w = peek(&c);

		if (!strcmp(w, "src") || !strcmp(w, "dst")) {
			bool s = w[0] == 's';
			if ((rc = kw_addr(&c, s ? &sa->saddr : &sa->daddr,
			                  s ? &req->src_plen : &req->dst_plen, mode == XG_FILTER)))
				return rc;
			if ((rc = family_check(&c, &family, s ? &sa->saddr : &sa->daddr, w)))
				return rc;
			req->have |= s ? XG_SRC : XG_DST;
		} else if (!strcmp(w, "proto")) {
			if ((rc = xfrm_proto_parse(&c, &sa->proto)))
				return rc;
			req->have |= XG_PROTO;
		} else if (!strcmp(w, "spi")) {
			if ((rc = kw_u32(&c, "SPI", UINT32_MAX, &sa->spi)))
				return rc;
			req->have |= XG_SPI;
		} else if (!strcmp(w, "mode")) {
			if ((rc = mode_parse(&c, &sa->mode)))
				return rc;
			req->have |= XG_MODE;
		} else if (!strcmp(w, "reqid")) {
			if ((rc = kw_u32(&c, "reqid", UINT32_MAX, &sa->reqid)))
				return rc;
			req->have |= XG_REQID;
		} else if (!strcmp(w, "seq")) {
			uint32_t ignored;   /* the acquire sequence; nothing to match */
			if ((rc = kw_u32(&c, "seq", UINT32_MAX, &ignored)))
				return rc;
		} else if (!strcmp(w, "replay-window")) {
			if ((rc = kw_u32(&c, "replay-window", UINT32_MAX, &req->window)))
				return rc;
			if (req->window > REPLAY_WINDOW_MAX)
				return fail(&c, "replay-window %u is too large (at most %u)",
				            req->window, REPLAY_WINDOW_MAX);
			req->have |= XG_WINDOW;
		} else if (!strcmp(w, "replay-seq") || !strcmp(w, "replay-oseq") ||
		           !strcmp(w, "replay-seq-hi") || !strcmp(w, "replay-oseq-hi")) {
			uint32_t *dst = !strcmp(w, "replay-seq") ? &req->seq :
			                !strcmp(w, "replay-oseq") ? &req->oseq :
			                !strcmp(w, "replay-seq-hi") ? &req->seq_hi : &req->oseq_hi;
			if ((rc = kw_u32(&c, w, UINT32_MAX, dst)))
				return rc;
			req->have |= XG_REPLAY;
		} else if (!strcmp(w, "flag")) {
			if ((rc = flag_parse(&c, &sa->flags)))
				return rc;
			req->have |= XG_FLAGS;
		} else if (!strcmp(w, "sel")) {
			c.i++;
			memset(&sa->sel, 0, sizeof(sa->sel));
			if ((rc = selector_parse(&c, &sa->sel)))
				return rc;
			req->have |= XG_SEL;
		} else if (!strcmp(w, "limit")) {
			c.i++;
			if ((rc = limit_parse(&c, &sa->lft)))
				return rc;
		} else if (!strcmp(w, "encap")) {
			if ((rc = encap_parse(&c, &sa->encap)))
				return rc;
		} else if (!strcmp(w, "mark")) {
			if ((rc = mark_parse(&c, &sa->mark, &sa->mark_mask)))
				return rc;
		} else if (!strcmp(w, "aead") || !strcmp(w, "enc") || !strcmp(w, "auth") ||
		           !strcmp(w, "auth-trunc") || !strcmp(w, "comp")) {
			if (mode != XG_FULL)
				return fail(&c, "'%s' is not allowed here", w);
			if ((rc = algo_parse(&c, sa, &algos)))
				return rc;
			req->have |= XG_ALGO;
		} else {
			return unknown(&c, "state");
		}
	}

	if (mode == XG_FULL) {
		const char *missing = !(req->have & XG_SRC) ? "src" : !(req->have & XG_DST) ? "dst" :
		                      !(req->have & XG_PROTO) ? "proto" :
		                      !(req->have & XG_SPI) ? "spi" : NULL;
		if (missing)
			return fail(&c, "a state needs src, dst, proto esp and spi: '%s' is missing",
			            missing);
	} else if (mode == XG_ID) {
		const char *missing = !(req->have & XG_DST) ? "dst" :
		                      !(req->have & XG_PROTO) ? "proto" :
		                      !(req->have & XG_SPI) ? "spi" : NULL;
		if (missing)
			return fail(&c, "a state is named by dst, proto esp and spi: '%s' is missing",
			            missing);
	}
	if (mode != XG_FILTER || (req->have & XG_SPI)) {
		if (sa->spi == 0 && mode != XG_FILTER)
			return fail(&c, "SPI 0x00000000 is not valid");
		if (sa->spi < 256 && mode == XG_FULL)
			return fail(&c, "SPI 0x%08x is reserved (1..255)", sa->spi);
	}
	if (mode != XG_FULL)
		return 0;

	if ((rc = algo_check(&c, sa, algos)))
		return rc;
	if (!(sa->flags & SAD_FLAG_ESN) && (req->seq_hi || req->oseq_hi))
		return fail(&c, "replay-seq-hi and replay-oseq-hi need flag esn");
	/* Size and position only: sad_add and sad_update build the ring. */
	if (req->window > REPLAY_WINDOW_MAX)
		return fail(&c, "replay-window %u is not valid", req->window);
	memset(&sa->replay, 0, sizeof(sa->replay));
	sa->replay.size = req->window;
	sa->replay.esn = sa->flags & SAD_FLAG_ESN;
	sa->replay.top = (uint64_t)req->seq_hi << 32 | req->seq;
	if (!sa->replay.esn)
		sa->replay.top &= UINT32_MAX;
	sa->oseq = (uint64_t)req->oseq_hi << 32 | req->oseq;
	/* As the kernel: a state without a selector gets one of its family. */
	if (!(req->have & XG_SEL))
		sa->sel.family = sa->daddr.family;
	return 0;
}

/* ---- policy ---- */

/* TMPL := tmpl [ src ADDR ] [ dst ADDR ] proto esp [ spi SPI ]
 *         [ mode MODE ] [ reqid REQID ] [ level required|use ] ; c->i after "tmpl". */
static int tmpl_parse(struct cur *c, struct xfrm_tmpl *t)
{
	uint8_t family = 0;
	int start = c->i, rc;

	while (more(c)) {
		const char *w = peek(c);

		if (!strcmp(w, "src") || !strcmp(w, "dst")) {
			struct ip_addr *a = w[0] == 's' ? &t->saddr : &t->daddr;
			if ((rc = kw_addr(c, a, NULL, false)))
				return rc;
			if ((rc = family_check(c, &family, a, w)))
				return rc;
		} else if (!strcmp(w, "proto")) {
			if ((rc = xfrm_proto_parse(c, &t->proto)))
				return rc;
		} else if (!strcmp(w, "spi")) {
			if ((rc = kw_u32(c, "SPI", UINT32_MAX, &t->spi)))
				return rc;
		} else if (!strcmp(w, "mode")) {
			if ((rc = mode_parse(c, &t->mode)))
				return rc;
		} else if (!strcmp(w, "reqid")) {
			if ((rc = kw_u32(c, "reqid", UINT32_MAX, &t->reqid)))
				return rc;
		} else if (!strcmp(w, "level")) {
			const char *v;
			if ((rc = value(c, &v)))
				return rc;
			if (!strcmp(v, "required"))
				t->optional = 0;
			else if (!strcmp(v, "use"))
				t->optional = 1;
			else
				return fail(c, "bad level '%s' (required or use)", v);
		} else {
			break;
		}
	}
	if (c->i == start)
		return fail(c, "'tmpl' needs a template (proto esp ...)");
	if (!t->proto)
		return fail(c, "template needs 'proto esp'");
	return 0;
}

int xfrm_parse_policy(int argc, char **argv, enum xg_mode mode,
                      struct xfrm_policy_req *req, char *err, size_t errlen)
{
	struct cur c = { argc, argv, 0, err, errlen };
	struct spd_policy *p = &req->pol;
	unsigned seen = 0;
	int rc;

	memset(req, 0, sizeof(*req));
	lifetime_init(&p->lft);

	while (more(&c)) {
		const char *w = peek(&c);

		if (!strcmp(w, "src") || !strcmp(w, "dst")) {
			bool s = w[0] == 's';
			struct ip_addr a;
			uint8_t len;

			if ((rc = kw_addr(&c, &a, &len, true)))
				return rc;
			if ((rc = family_check(&c, &p->sel.family, &a, w)))
				return rc;
			if (s) {
				p->sel.saddr = a;
				p->sel.prefixlen_s = len;
			} else {
				p->sel.daddr = a;
				p->sel.prefixlen_d = len;
			}
			req->have |= s ? XG_SRC : XG_DST;
		} else if ((rc = upspec_word(&c, &p->sel, &seen)) != 0) {
			if (rc < 0)
				return rc;
			req->have |= XG_SEL;
		} else if (!strcmp(w, "dir")) {
			const char *v;
			if ((rc = value(&c, &v)))
				return rc;
			if (!strcmp(v, "in"))
				p->dir = XFRM_POLICY_IN;
			else if (!strcmp(v, "out"))
				p->dir = XFRM_POLICY_OUT;
			else if (!strcmp(v, "fwd"))
				p->dir = XFRM_POLICY_FWD;
			else
				return fail(&c, "bad dir '%s' (in, out or fwd)", v);
			req->have |= XG_DIR;
		} else if (!strcmp(w, "index")) {
			if ((rc = kw_u32(&c, "index", UINT32_MAX, &p->index)))
				return rc;
			req->have |= XG_INDEX;
		} else if (!strcmp(w, "priority")) {
			if ((rc = kw_u32(&c, "priority", UINT32_MAX, &p->priority)))
				return rc;
			req->have |= XG_PRIORITY;
		} else if (!strcmp(w, "action")) {
			const char *v;
			if ((rc = value(&c, &v)))
				return rc;
			if (!strcmp(v, "allow"))
				p->action = XFRM_POLICY_ALLOW;
			else if (!strcmp(v, "block"))
				p->action = XFRM_POLICY_BLOCK;
			else
				return fail(&c, "bad action '%s' (allow or block)", v);
			req->have |= XG_ACTION;
		} else if (!strcmp(w, "ptype")) {
			const char *v;
			if ((rc = value(&c, &v)))
				return rc;
			if (strcmp(v, "main"))
				return fail(&c, "ptype '%s' is not supported (main)", v);
		} else if (!strcmp(w, "limit")) {
			c.i++;
			if ((rc = limit_parse(&c, &p->lft)))
				return rc;
		} else if (!strcmp(w, "mark")) {
			if ((rc = mark_parse(&c, &p->mark, &p->mark_mask)))
				return rc;
		} else if (!strcmp(w, "tmpl")) {
			if (mode != XG_FULL)
				return fail(&c, "'tmpl' is not allowed here");
			if (p->ntmpl >= SPD_MAX_TMPL)
				return fail(&c, "too many templates (at most %d)", SPD_MAX_TMPL);
			c.i++;
			if ((rc = tmpl_parse(&c, &p->tmpl[p->ntmpl])))
				return rc;
			p->ntmpl++;
		} else if (!strcmp(w, "flag")) {
			return fail(&c, "policy flags are not supported");
		} else {
			return unknown(&c, "policy");
		}
	}

	if ((rc = upspec_check(&c, &p->sel, seen)))
		return rc;
	if (mode != XG_FILTER && !(req->have & XG_DIR))
		return fail(&c, "a policy needs 'dir in|out|fwd'");
	if (mode == XG_FULL && !(req->have & (XG_SRC | XG_DST)))
		return fail(&c, "a policy needs a selector: src PREFIX dst PREFIX");
	if (mode == XG_ID && !(req->have & (XG_SRC | XG_DST | XG_INDEX)))
		return fail(&c, "a policy is named by its selector and dir, or by index and dir");
	if ((req->have & XG_INDEX) && (req->have & XG_DIR) && mode != XG_FILTER &&
	    (p->index & 7) != p->dir)
		return fail(&c, "policy index %u does not match dir (index %% 8 must be %u)",
		            p->index, p->dir);
	/* An unset side of the selector is "any" of the other side's family. */
	if (p->sel.family && !p->sel.saddr.family)
		p->sel.saddr.family = p->sel.family;
	if (p->sel.family && !p->sel.daddr.family)
		p->sel.daddr.family = p->sel.family;
	return 0;
}

/* ---- words of a line (state files, control messages) ---- */

int xfrm_line_split(char *line, char **argv, int max, const char **why)
{
	char *p = line;
	int n = 0;

	for (;;) {
		char *dst;

		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			break;
		if (n == max) {
			*why = "too many words";
			return -1;
		}
		argv[n++] = dst = p;
		/* A word runs to the next unquoted blank; quotes may sit anywhere
		 * in it ('rfc4106(gcm(aes))', "my key", a'b'c). */
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			if (*p == '\'' || *p == '"') {
				char q = *p++;

				while (*p && *p != q)
					*dst++ = *p++;
				if (*p != q) {
					*why = "unterminated quote";
					return -1;
				}
				p++;
			} else {
				*dst++ = *p++;
			}
		}
		if (*p)
			p++;
		*dst = 0;
	}
	return n;
}
