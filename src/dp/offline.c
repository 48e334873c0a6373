/* ESP over capture files (see offline.h): the input and output paths of
 * the data plane run on records of a pcap instead of sockets and TUN.
 * Single-threaded; every record is copied into one packet buffer, which is
 * reused, so nothing is allocated per packet after the first. */
#include "dp/offline.h"

#include <errno.h>
#include <string.h>

#include "esp/esp.h"
#include "net/addr.h"
#include "pkt/pkt.h"
#include "util/bytes.h"
#include "xfrm/drop.h"
#include "xfrm/lookup.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

#define UDP_ENCAP_PORT 4500

/* What the IP header says, after checking it against the captured bytes. */
struct ip_info {
	uint8_t family;
	struct ip_addr src, dst;
	uint8_t proto;      /* upper layer after IPv6 extension headers */
	uint32_t l4off;     /* offset of the upper layer */
	uint32_t len;       /* IP packet length (captured bytes beyond it are padding) */
	bool frag;
};

/* Returns NULL if well formed, or the reason. */
static const char *ip_parse(const uint8_t *p, uint32_t caplen, struct ip_info *ii)
{
	memset(ii, 0, sizeof(*ii));
	if (caplen < 1)
		return "empty packet";
	if (p[0] >> 4 == 4) {
		uint32_t ihl, tot;

		if (caplen < 20)
			return "truncated IPv4 header";
		ihl = (uint32_t)(p[0] & 0x0f) * 4;
		tot = get_be16(p + 2);
		if (ihl < 20 || ihl > caplen)
			return "bad IPv4 header length";
		if (tot < ihl || tot > caplen)
			return "IPv4 total length beyond the captured bytes";
		ii->family = AF_INET;
		ip_addr_from_bytes(&ii->src, AF_INET, p + 12);
		ip_addr_from_bytes(&ii->dst, AF_INET, p + 16);
		ii->proto = p[9];
		ii->l4off = ihl;
		ii->len = tot;
		ii->frag = (get_be16(p + 6) & 0x3fff) != 0;
		return NULL;
	}
	if (p[0] >> 4 == 6) {
		uint32_t plen, off = 40;
		uint8_t nh;

		if (caplen < 40)
			return "truncated IPv6 header";
		plen = get_be16(p + 4);
		if (plen == 0 || 40 + plen > caplen)
			return "IPv6 payload length beyond the captured bytes";
		ii->family = AF_INET6;
		ip_addr_from_bytes(&ii->src, AF_INET6, p + 8);
		ip_addr_from_bytes(&ii->dst, AF_INET6, p + 24);
		ii->len = 40 + plen;
		nh = p[6];
		for (int n = 0; n < 8 && (nh == 0 || nh == 43 || nh == 60 || nh == 44); n++) {
			if (nh == 44) {
				ii->frag = true;
				break;
			}
			if (off + 8 > ii->len)
				return "truncated IPv6 extension header";
			nh = p[off];
			off += ((uint32_t)p[off + 1] + 1) * 8;
			if (off > ii->len)
				return "IPv6 extension header runs past the packet";
		}
		ii->proto = nh;
		ii->l4off = off;
		return NULL;
	}
	return "not IPv4 or IPv6";
}

static void meta_set(struct pkt *p, const struct ip_info *ii)
{
	p->meta.family = ii->family;
	memcpy(p->meta.saddr, ii->src.a, 16);
	memcpy(p->meta.daddr, ii->dst.a, 16);
}

static void count(struct dp_offline_stats *st, enum drop_reason v)
{
	enum xfrm_mib m = drop_reason_mib(v);

	if (m < XFRM_MIB_MAX)
		st->mib.mib[m]++;
}

/* "#n malformed (why)", counted as malformed and under v. */
static void malformed(FILE *log, struct dp_offline_stats *st, unsigned long long n,
                      const char *why, enum drop_reason v)
{
	fprintf(log, "#%llu malformed (%s)\n", n, why);
	st->malformed++;
	count(st, v);
}

/* The IP packet in record n: true with *ip and *ii, or false after logging
 * and counting it as skipped (not IP) or malformed (counted under bad). */
static bool record_ip(const struct pcap_record *rec, unsigned long long n, enum drop_reason bad,
                      FILE *log, struct dp_offline_stats *st, const uint8_t **ip,
                      struct ip_info *ii)
{
	uint32_t iplen;
	const char *why;

	if (pcap_link_ip(rec->linktype, rec->data, rec->caplen, ip, &iplen)) {
		fprintf(log, "#%llu skipped (not ip)\n", n);
		st->skipped++;
		return false;
	}
	if ((why = ip_parse(*ip, iplen, ii))) {
		malformed(log, st, n, why, bad);
		return false;
	}
	return true;
}

/* ---- decrypt ---- */

enum esp_where { ESP_FOUND, ESP_NOT, ESP_BAD };

/* Find the ESP packet: IP proto 50, or UDP with port 4500 that is neither
 * a NAT-T keepalive (one 0xff byte) nor IKE (non-ESP marker: 4 zero bytes,
 * RFC 3948 section 2.2). */
static enum esp_where esp_locate(const uint8_t *ip, const struct ip_info *ii, struct pkt *p,
                                 uint32_t *off, const char **why)
{
	uint32_t l4len = ii->len - ii->l4off;
	const uint8_t *l4 = ip + ii->l4off;

	p->meta.udp_encap = 0;
	p->meta.sport = p->meta.dport = 0;
	if (ii->proto == IPPROTO_ESP_) {
		*off = ii->l4off;
		return ESP_FOUND;
	}
	if (ii->proto != 17) {
		*why = "not esp";
		return ESP_NOT;
	}
	if (l4len < 8) {
		*why = "truncated UDP header";
		return ESP_BAD;
	}
	uint16_t sport = get_be16(l4), dport = get_be16(l4 + 2), ulen = get_be16(l4 + 4);
	if (sport != UDP_ENCAP_PORT && dport != UDP_ENCAP_PORT) {
		*why = "not esp (udp)";
		return ESP_NOT;
	}
	if (ulen < 8 || ulen > l4len) {
		*why = "bad UDP length";
		return ESP_BAD;
	}
	if (ulen == 9 && l4[8] == 0xff) {
		*why = "not esp (NAT-T keepalive)";
		return ESP_NOT;
	}
	if (ulen >= 12 && get_be32(l4 + 8) == 0) {
		*why = "not esp (IKE, non-ESP marker)";
		return ESP_NOT;
	}
	p->meta.udp_encap = 1;
	p->meta.sport = sport;
	p->meta.dport = dport;
	*off = ii->l4off + 8;
	return ESP_FOUND;
}

int dp_offline_decrypt(struct sad *sad, struct pcap_reader *r, struct pcap_writer *w,
                       FILE *log, struct dp_offline_stats *st)
{
	struct pkt *p = pkt_alloc(PKT_HEADROOM + PCAP_SNAPLEN + PKT_TAILROOM);
	struct pcap_record rec;
	int rc, ret = 0;

	if (!p)
		return -ENOMEM;
	while ((rc = pcap_reader_next(r, &rec)) == 1) {
		unsigned long long n = ++st->packets;
		const uint8_t *ip;
		uint32_t off = 0, espoff, len;
		struct ip_info ii;
		const char *why = NULL;
		enum drop_reason v;
		struct sad_sa *sa;
		uint32_t spi, seq;
		char a[IP_ADDR_STRLEN];

		if (!record_ip(&rec, n, DROP_BAD_LEN, log, st, &ip, &ii))
			continue;
		if (ii.frag) {
			malformed(log, st, n, "fragment: reassembly is not done", DROP_BAD_LEN);
			continue;
		}
		switch (esp_locate(ip, &ii, p, &off, &why)) {
		case ESP_NOT:
			fprintf(log, "#%llu skipped (%s)\n", n, why);
			st->skipped++;
			continue;
		case ESP_BAD:
			malformed(log, st, n, why, DROP_BAD_LEN);
			continue;
		case ESP_FOUND:
			break;
		}
		espoff = off;
		len = ii.len - espoff;
		if (len < 8) {
			malformed(log, st, n, "ESP header truncated", DROP_BAD_LEN);
			continue;
		}
		spi = get_be32(ip + espoff);
		seq = get_be32(ip + espoff + 4);
		sa = sad_lookup(sad, &ii.dst, spi, IPPROTO_ESP_);
		if (!sa) {
			fprintf(log, "#%llu no state spi 0x%08x dst %s\n", n, spi, ip_addr_fmt(&ii.dst, a));
			st->no_state++;
			count(st, DROP_NO_STATE);
			continue;
		}
		pkt_reset(p);
		if (!pkt_set(p, ip + espoff, len)) {
			malformed(log, st, n, "packet too large", DROP_BAD_LEN);
			continue;
		}
		meta_set(p, &ii);
		v = esp_input(sa, p);
		if (sa->limit_reached)
			sad_sa_report(sad, sa);   /* as uipsecd: the packet that reaches a limit */
		switch (v) {
		case DROP_NONE:
			if (pcap_write(w, pkt_data(p), p->len, rec.ts_ns) < 0) {
				ret = -EIO;
				goto out;
			}
			fprintf(log, "#%llu ok spi 0x%08x seq %u\n", n, spi, seq);
			st->ok++;
			continue;
		case DROP_NO_STATE:
		case DROP_BAD_SPI:
			fprintf(log, "#%llu no state spi 0x%08x dst %s\n", n, spi, ip_addr_fmt(&ii.dst, a));
			st->no_state++;
			break;
		case DROP_AUTH_FAILED:
			fprintf(log, "#%llu auth failed spi 0x%08x seq %u\n", n, spi, seq);
			st->auth_failed++;
			break;
		case DROP_REPLAY:
		case DROP_REPLAY_OLD:
		case DROP_SEQ_ZERO:
			fprintf(log, "#%llu replay spi 0x%08x seq %u (%s)\n", n, spi, seq,
			        drop_reason_name(v));
			st->replay++;
			break;
		case DROP_DUMMY:   /* RFC 4303 section 2.6: authentic, nothing inside */
			fprintf(log, "#%llu skipped (dummy packet) spi 0x%08x seq %u\n", n, spi, seq);
			st->skipped++;
			break;
		case DROP_BAD_LEN:
		case DROP_BAD_PADDING:
		case DROP_BAD_NEXT_HEADER:
		case DROP_NOT_ESP:
			fprintf(log, "#%llu malformed (%s) spi 0x%08x seq %u\n", n, drop_reason_name(v),
			        spi, seq);
			st->malformed++;
			break;
		default:
			fprintf(log, "#%llu dropped (%s) spi 0x%08x seq %u\n", n, drop_reason_name(v),
			        spi, seq);
			st->dropped++;
			break;
		}
		count(st, v);
	}
	if (rc < 0) {
		fprintf(log, "capture: %s\n", pcap_reader_error(r));
		ret = -EINVAL;
	}
out:
	pkt_free(p);
	return ret;
}

/* ---- encrypt ---- */

static void flow_from(const uint8_t *ip, const struct ip_info *ii, struct xfrm_flow *f)
{
	const uint8_t *l4 = ip + ii->l4off;
	uint32_t l4len = ii->len - ii->l4off;

	memset(f, 0, sizeof(*f));
	f->saddr = ii->src;
	f->daddr = ii->dst;
	f->proto = ii->proto;
	if (ii->frag)
		return;
	if ((f->proto == 6 || f->proto == 17 || f->proto == 132 || f->proto == 33 ||
	     f->proto == 136) && l4len >= 4) {
		f->sport = get_be16(l4);
		f->dport = get_be16(l4 + 2);
	} else if ((f->proto == 1 || f->proto == 58) && l4len >= 2) {
		f->sport = l4[0];
		f->dport = l4[1];
	}
}

struct pick {
	const struct xfrm_flow *f;
	struct sad_sa *sa;
	unsigned n;
};

static int pick_cb(struct sad_sa *sa, void *arg)
{
	struct pick *pk = arg;

	if (sa->state == SAD_STATE_DEAD || !xfrm_selector_match(&sa->sel, pk->f))
		return 0;
	if (sa->mode == XFRM_MODE_TRANSPORT &&
	    (!ip_addr_equal(&sa->saddr, &pk->f->saddr) || !ip_addr_equal(&sa->daddr, &pk->f->daddr)))
		return 0;
	pk->sa = sa;
	pk->n++;
	return 0;
}

/* The state for one inner packet, or NULL with *why (and *bypass if the
 * packet goes out unprotected by policy). With policies, the decision is
 * the daemon's output path's (xfrm_lookup_out, xfrm/lookup.h): a packet no
 * policy covers is dropped as uipsecd drops it, not sent in clear. With
 * no policy at all (a file of states only), the one state whose selector
 * (and, in transport mode, addresses) match the packet. */
static struct sad_sa *out_state(struct sad *sad, struct spd *spd, const struct xfrm_flow *f,
                                bool *bypass, const char **why, enum drop_reason *v)
{
	*bypass = false;
	if (spd && spd_count(spd)) {
		struct xfrm_out_decision d;

		*v = xfrm_lookup_out(spd, sad, f, 0, &d);
		switch (d.action) {
		case XFRM_OUT_PROTECT:
			return d.sa;
		case XFRM_OUT_BYPASS:
			*bypass = true;
			*why = "policy without template: bypass";
			break;
		case XFRM_OUT_IGNORE:
			*why = "link-local or multicast, no policy: ignored";
			break;
		case XFRM_OUT_NO_POLICY:
			*why = "no dir out policy";
			break;
		case XFRM_OUT_BLOCK:
			*why = "policy block";
			break;
		case XFRM_OUT_ACQUIRE:
			*why = "no state for the policy's template";
			break;
		}
		return NULL;
	}
	struct pick pk = { .f = f };
	sad_walk(sad, pick_cb, &pk);
	if (pk.n == 1)
		return pk.sa;
	*v = DROP_OUT_NO_STATE;
	*why = pk.n ? "several states match: add an 'xfrm policy add ... dir out tmpl ...' line"
	            : "no state matches the packet";
	return NULL;
}

int dp_offline_encrypt(struct sad *sad, struct spd *spd, struct pcap_reader *r,
                       struct pcap_writer *w, FILE *log, struct dp_offline_stats *st)
{
	struct pkt *p = pkt_alloc(PKT_HEADROOM + PCAP_SNAPLEN + PKT_TAILROOM);
	struct pcap_record rec;
	int rc, ret = 0;

	if (!p)
		return -ENOMEM;
	while ((rc = pcap_reader_next(r, &rec)) == 1) {
		unsigned long long n = ++st->packets;
		const uint8_t *ip;
		struct ip_info ii;
		struct xfrm_flow f;
		enum drop_reason v = DROP_NONE;
		const char *why = NULL;
		struct sad_sa *sa;
		bool bypass;

		if (!record_ip(&rec, n, DROP_OUT_BAD_PACKET, log, st, &ip, &ii))
			continue;
		flow_from(ip, &ii, &f);
		sa = out_state(sad, spd, &f, &bypass, &why, &v);
		if (!sa) {
			if (bypass) {
				if (pcap_write(w, ip, ii.len, rec.ts_ns) < 0) {
					ret = -EIO;
					goto out;
				}
				fprintf(log, "#%llu skipped (%s)\n", n, why);
				st->skipped++;
			} else if (v == DROP_NONE) {
				/* ignored, as uipsecd ignores it: not written */
				fprintf(log, "#%llu skipped (%s)\n", n, why);
				st->skipped++;
			} else {
				fprintf(log, "#%llu %s (%s)\n", n,
				        v == DROP_OUT_NO_STATE ? "no state" : "dropped", why);
				if (v == DROP_OUT_NO_STATE)
					st->no_state++;
				else
					st->dropped++;
				count(st, v);
			}
			continue;
		}
		pkt_reset(p);
		if (!pkt_set(p, ip, ii.len)) {
			malformed(log, st, n, "packet too large", DROP_OUT_BAD_PACKET);
			continue;
		}
		meta_set(p, &ii);
		v = esp_output(sa, p);
		if (sa->limit_reached)
			sad_sa_report(sad, sa);
		if (v == DROP_NONE)
			v = esp_push_outer(sa, p);
		if (v != DROP_NONE) {
			fprintf(log, "#%llu dropped (%s) spi 0x%08x\n", n, drop_reason_name(v), sa->spi);
			if (v == DROP_OUT_BAD_PACKET)
				st->malformed++;
			else
				st->dropped++;
			count(st, v);
			continue;
		}
		if (pcap_write(w, pkt_data(p), p->len, rec.ts_ns) < 0) {
			ret = -EIO;
			goto out;
		}
		fprintf(log, "#%llu ok spi 0x%08x seq %llu\n", n, sa->spi,
		        (unsigned long long)sa->oseq);
		st->ok++;
	}
	if (rc < 0) {
		fprintf(log, "capture: %s\n", pcap_reader_error(r));
		ret = -EINVAL;
	}
out:
	pkt_free(p);
	return ret;
}

void dp_offline_print_stats(FILE *out, const struct dp_offline_stats *st)
{
	fprintf(out, "%llu packets: %llu ok, %llu no state, %llu auth failed, %llu replay, "
	        "%llu malformed, %llu dropped, %llu skipped\n",
	        (unsigned long long)st->packets, (unsigned long long)st->ok,
	        (unsigned long long)st->no_state, (unsigned long long)st->auth_failed,
	        (unsigned long long)st->replay, (unsigned long long)st->malformed,
	        (unsigned long long)st->dropped, (unsigned long long)st->skipped);
	for (int m = 0; m < XFRM_MIB_MAX; m++)
		fprintf(out, "%-24s\t%llu\n", xfrm_mib_name((enum xfrm_mib)m),
		        (unsigned long long)st->mib.mib[m]);
}
