/* Trace collection, formatting and filtering. See trace.h. Runs on the
 * data-path thread. */
#include "dp/trace.h"
#include "dp/flow.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t next_id;   /* trace ids, shared by the data-path workers */

void trace_pkt_begin(struct trace_pkt *tp, bool out)
{
	tp->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
	tp->out = out;
	tp->has_outer = tp->has_spi = tp->has_inner = false;
	tp->verdict = DROP_NONE;
	tp->nlines = 0;
}

void trace_pkt_line(struct trace_pkt *tp, const char *stage, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *l;

	if (tp->nlines >= TRACE_MAX_LINES)
		return;
	l = tp->line[tp->nlines++];
	n = snprintf(l, TRACE_LINE_MAX, "%-18s ", stage);
	if (n < 0 || n >= TRACE_LINE_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(l + n, TRACE_LINE_MAX - (size_t)n, fmt, ap);
	va_end(ap);
}

const char *trace_fmt_sa(const struct sad_sa *sa, char *buf, size_t len)
{
	snprintf(buf, len, "spi 0x%08x reqid %u mode %s", sa->spi, sa->reqid,
	         sa->mode == XFRM_MODE_TUNNEL ? "tunnel" : "transport");
	return buf;
}

static const char *dir_name(uint8_t dir)
{
	switch (dir) {
	case XFRM_POLICY_IN: return "in";
	case XFRM_POLICY_OUT: return "out";
	case XFRM_POLICY_FWD: return "fwd";
	}
	return "?";
}

const char *trace_fmt_pol(const struct spd_policy *pol, char *buf, size_t len)
{
	char s[IP_ADDR_STRLEN], d[IP_ADDR_STRLEN];

	snprintf(buf, len, "index %u dir %s %s/%u -> %s/%u proto %u action %s",
	         pol->index, dir_name(pol->dir), ip_addr_fmt(&pol->sel.saddr, s),
	         pol->sel.prefixlen_s, ip_addr_fmt(&pol->sel.daddr, d), pol->sel.prefixlen_d,
	         pol->sel.proto, pol->action == XFRM_POLICY_BLOCK ? "block" : "allow");
	return buf;
}

const char *trace_fmt_verdict(enum drop_reason r, char *buf, size_t len)
{
	if (r == DROP_NONE)
		snprintf(buf, len, "ok");
	else
		snprintf(buf, len, "drop %s (%s)", drop_reason_name(r),
		         xfrm_mib_name(drop_reason_mib(r)) ? xfrm_mib_name(drop_reason_mib(r)) : "-");
	return buf;
}

static int parse_proto(const char *s, uint8_t *out)
{
	static const struct { const char *n; uint8_t p; } names[] = {
		{ "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "esp", 50 },
		{ "ipv6-icmp", 58 }, { "icmpv6", 58 }, { "sctp", 132 },
	};
	char *end;
	unsigned long v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].n) == 0) {
			*out = names[i].p;
			return 0;
		}
	v = strtoul(s, &end, 0);
	if (*s == '\0' || *end != '\0' || v > 255)
		return -EINVAL;
	*out = (uint8_t)v;
	return 0;
}

int trace_filter_parse(int argc, char **argv, struct trace_filter *f, char *err, size_t errlen)
{
	int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v) {
			snprintf(err, errlen, "trace filter: '%s' needs a value", k);
			return -EINVAL;
		}
		i++;
		if (strcmp(k, "host") == 0 || strcmp(k, "src") == 0 || strcmp(k, "dst") == 0) {
			struct ip_addr *a = k[0] == 'h' ? &f->host : k[0] == 's' ? &f->src : &f->dst;
			uint8_t *l = k[0] == 'h' ? &f->host_len : k[0] == 's' ? &f->src_len : &f->dst_len;
			if (ip_prefix_parse(v, a, l) < 0) {
				snprintf(err, errlen, "trace filter: bad address or prefix '%s'", v);
				return -EINVAL;
			}
			*(k[0] == 'h' ? &f->has_host : k[0] == 's' ? &f->has_src : &f->has_dst) = true;
		} else if (strcmp(k, "spi") == 0) {
			char *end;
			unsigned long long s = strtoull(v, &end, 0);
			if (*v == '\0' || *end != '\0' || s > 0xffffffffull) {
				snprintf(err, errlen, "trace filter: bad SPI '%s'", v);
				return -EINVAL;
			}
			f->spi = (uint32_t)s;
			f->has_spi = true;
		} else if (strcmp(k, "proto") == 0) {
			if (parse_proto(v, &f->proto) < 0) {
				snprintf(err, errlen, "trace filter: unknown protocol '%s'", v);
				return -EINVAL;
			}
			f->has_proto = true;
		} else {
			snprintf(err, errlen,
			         "trace filter: unknown keyword '%s' (host, src, dst, spi, proto)", k);
			return -EINVAL;
		}
	}
	return 0;
}

bool trace_filter_match(const struct trace_filter *f, const struct trace_pkt *tp)
{
	const struct ip_addr *s, *d;

	if (f->has_spi && (!tp->has_spi || tp->spi != f->spi))
		return false;
	if (f->has_proto) {
		if (f->proto == 50) {
			if (!tp->has_spi)
				return false;
		} else if (!tp->has_inner || tp->inner.proto != f->proto) {
			return false;
		}
	}
	if (f->has_host) {
		bool m = false;
		if (tp->has_inner)
			m = ip_prefix_match(&f->host, f->host_len, &tp->inner.saddr) ||
			    ip_prefix_match(&f->host, f->host_len, &tp->inner.daddr);
		if (!m && tp->has_outer)
			m = ip_prefix_match(&f->host, f->host_len, &tp->outer_src) ||
			    ip_prefix_match(&f->host, f->host_len, &tp->outer_dst);
		if (!m)
			return false;
	}
	s = tp->has_inner ? &tp->inner.saddr : tp->has_outer ? &tp->outer_src : NULL;
	d = tp->has_inner ? &tp->inner.daddr : tp->has_outer ? &tp->outer_dst : NULL;
	if (f->has_src && (!s || !ip_prefix_match(&f->src, f->src_len, s)))
		return false;
	if (f->has_dst && (!d || !ip_prefix_match(&f->dst, f->dst_len, d)))
		return false;
	return true;
}
