/* Visibility: the pcapng writer (read back by dp/pcap.h), the capture
 * taps of the data path (points, outer headers rebuilt with valid
 * checksums, drops captured as they arrived, never as unauthenticated
 * plaintext), Wireshark key lines, JSON without keys, explain's verdicts,
 * and the metrics text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/explain.h"
#include "ctl/json.h"
#include "ctl/keys.h"
#include "metrics/metrics.h"
#include "xfrmcli/xfrm_cmd.h"
#include "dp/capture.h"
#include "dp/dp.h"
#include "dp/pcap.h"
#include "dp/pcapng.h"
#include "net/ip.h"
#include "util/bytes.h"
#include "xfrm/events.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"
#include "xfrm_run.h"

#define MAXP 16

/* ---------------------------------------------------------------- pcapng */

static void test_pcapng_roundtrip(void **state)
{
	char *buf = NULL, err[128];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct pcapng_writer *w;
	struct pcap_reader *r;
	struct pcap_record rec;
	uint8_t a[5] = { 1, 2, 3, 4, 5 }, b[8] = { 0x45, 9, 9, 9, 9, 9, 9, 9 };
	int i0, i1;

	assert_non_null(f);
	w = pcapng_writer_new(f);
	assert_non_null(w);
	i0 = pcapng_add_iface(w, PCAP_LINKTYPE_ETHERNET, "esp-in");
	i1 = pcapng_add_iface(w, PCAP_LINKTYPE_RAW, "drop");
	assert_int_equal(i0, 0);
	assert_int_equal(i1, 1);
	assert_int_equal(pcapng_write(w, 0, a, 5, 5, 1700000000123456789ull, NULL), 0);
	assert_int_equal(pcapng_write(w, 1, b, 8, 100, 1700000001000000000ull,
	                              "drop in: replay (XfrmInStateSeqError)"), 0);
	assert_int_equal(pcapng_write(w, 2, b, 8, 8, 0, NULL), -EINVAL);
	assert_int_equal(pcapng_writer_close(w), 0);
	fclose(f);
	assert_int_equal(len % 4, 0);

	r = pcap_reader_open_mem(buf, len, err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(pcap_reader_format(r), "pcapng");
	assert_int_equal(pcap_reader_next(r, &rec), 1);
	assert_int_equal(rec.iface, 0);
	assert_int_equal(rec.linktype, PCAP_LINKTYPE_ETHERNET);
	assert_int_equal(rec.caplen, 5);
	assert_memory_equal(rec.data, a, 5);
	assert_true(rec.ts_ns == 1700000000123456789ull);
	assert_int_equal(pcap_reader_next(r, &rec), 1);
	assert_int_equal(rec.iface, 1);
	assert_int_equal(rec.linktype, PCAP_LINKTYPE_RAW);
	assert_int_equal(rec.caplen, 8);
	assert_int_equal(rec.origlen, 100);
	assert_int_equal(pcap_reader_next(r, &rec), 0);
	pcap_reader_close(r);
	/* the comment and the interface names are in the file */
	assert_non_null(memmem(buf, len, "XfrmInStateSeqError", 19));
	assert_non_null(memmem(buf, len, "esp-in", 6));
	free(buf);
}

/* ---------------------------------------------------------------- build */

static void test_cap_build(void **state)
{
	uint8_t store[256], out[DP_CAP_MAX_LEN];
	uint8_t esp[16] = { 0, 0, 0x10, 0x01, 0, 0, 0, 7, 0xaa, 0xbb, 0xcc, 0xdd, 1, 2, 3, 4 };
	struct pkt p;
	uint32_t n;
	uint16_t c;

	pkt_init(&p, store, sizeof(store), 64);
	assert_true(pkt_set(&p, esp, sizeof(esp)));
	p.meta.family = AF_INET;
	memcpy(p.meta.saddr, "\xc0\x00\x02\x02", 4);
	memcpy(p.meta.daddr, "\xc0\x00\x02\x01", 4);
	p.meta.udp_encap = 1;
	p.meta.sport = 4500;
	p.meta.dport = 4501;
	n = dp_cap_build(&p, true, out);
	assert_int_equal(n, 20 + 8 + 16);
	assert_int_equal(out[0], 0x45);
	assert_int_equal(get_be16(out + 2), n);
	assert_int_equal(out[9], IP_PROTO_UDP);
	assert_int_equal(ip_csum(out, 20), 0);             /* header checksum verifies */
	assert_memory_equal(out + 12, p.meta.saddr, 4);
	assert_int_equal(get_be16(out + 20), 4500);
	assert_int_equal(get_be16(out + 22), 4501);
	assert_int_equal(get_be16(out + 24), 8 + 16);
	c = get_be16(out + 26);
	put_be16(out + 26, 0);
	assert_int_equal(ip_csum_pseudo(out + 12, out + 16, 4, IP_PROTO_UDP, out + 20, 24), c);
	assert_memory_equal(out + 28, esp, sizeof(esp));

	/* IPv6, raw ESP */
	p.meta.family = AF_INET6;
	p.meta.udp_encap = 0;
	memset(p.meta.saddr, 0x20, 16);
	memset(p.meta.daddr, 0x30, 16);
	n = dp_cap_build(&p, true, out);
	assert_int_equal(n, 40 + 16);
	assert_int_equal(out[0] >> 4, 6);
	assert_int_equal(get_be16(out + 4), 16);
	assert_int_equal(out[6], IP_PROTO_ESP);
	assert_memory_equal(out + 40, esp, sizeof(esp));

	/* unknown family: nothing */
	p.meta.family = 0;
	assert_int_equal(dp_cap_build(&p, true, out), 0);
	/* inner: the bytes as they are */
	assert_int_equal(dp_cap_build(&p, false, out), 16);

	assert_string_equal(dp_cap_point_name(DP_CAP_INNER_OUT), "inner-out");
	assert_null(dp_cap_point_name(DP_CAP_MAX));
	{
		enum dp_cap_point pt;
		assert_int_equal(dp_cap_point_parse("drop", &pt), 0);
		assert_int_equal(pt, DP_CAP_DROP);
		assert_int_equal(dp_cap_point_parse("esp", &pt), -EINVAL);
	}
}

/* ---------------------------------------------------------------- taps */

struct side {
	struct sad *sad;
	struct spd *spd;
	struct xfrm_events ev;
	struct dp dp;
	unsigned nnet;
	struct pkt net[MAXP];
	uint8_t netbuf[MAXP][PKT_DEFAULT_CAP];
	/* captured */
	unsigned ncap;
	enum dp_cap_point pt[MAXP];
	enum drop_reason why[MAXP];
	uint32_t len[MAXP];
	uint8_t data[MAXP][2048];
};

static void to_tun(void *ctx, struct pkt *p) {}

static void to_net(void *ctx, struct pkt **pkts, unsigned n)
{
	struct side *s = ctx;

	for (unsigned i = 0; i < n; i++) {
		struct pkt *q = &s->net[s->nnet];
		assert_true(s->nnet < MAXP);
		pkt_init(q, s->netbuf[s->nnet], PKT_DEFAULT_CAP, PKT_HEADROOM);
		assert_true(pkt_set(q, pkt_data(pkts[i]), pkts[i]->len));
		q->meta = pkts[i]->meta;
		s->nnet++;
	}
}

static void on_cap(void *ctx, const struct dp_cap_pkt *cp)
{
	struct side *s = ctx;

	assert_true(s->ncap < MAXP);
	assert_true(cp->len <= sizeof(s->data[0]));
	assert_true(cp->ts_ns > 1500000000ull * 1000000000ull);
	s->pt[s->ncap] = cp->point;
	s->why[s->ncap] = cp->reason;
	s->len[s->ncap] = cp->len;
	memcpy(s->data[s->ncap], cp->data, cp->len);
	s->ncap++;
}

static void run(struct side *s, const char *cmdline)
{
	xfrm_run_line(s->sad, s->spd, cmdline);
}

#define KA "0x0102030405060708090a0b0c0d0e0f1011121314"
#define KB "0x1112131415161718191a1b1c1d1e1f2021222324"

static void side_init(struct side *s, bool is_a)
{
	struct dp_io io = { .ctx = s, .to_tun = to_tun, .to_net = to_net };

	memset(s, 0, sizeof(*s));
	s->sad = sad_new(NULL);
	s->spd = spd_new(NULL);
	assert_int_equal(dp_init(&s->dp, s->sad, s->spd, NULL, &io), 0);
	run(s, "state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 reqid 1 mode tunnel "
	       "aead rfc4106(gcm(aes)) " KA " 128 replay-window 32 encap espinudp 4500 4500 0.0.0.0");
	run(s, "state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2001 reqid 2 mode tunnel "
	       "aead rfc4106(gcm(aes)) " KB " 128 replay-window 32 encap espinudp 4500 4500 0.0.0.0");
	if (is_a) {
		run(s, "policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir out priority 10 tmpl src 192.0.2.1 "
		       "dst 192.0.2.2 proto esp reqid 1 mode tunnel");
		run(s, "policy add src 10.2.0.0/24 dst 10.1.0.0/24 dir fwd tmpl src 192.0.2.2 "
		       "dst 192.0.2.1 proto esp reqid 2 mode tunnel");
	} else {
		run(s, "policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir fwd tmpl src 192.0.2.1 "
		       "dst 192.0.2.2 proto esp reqid 1 mode tunnel");
	}
}

static void side_fini(struct side *s)
{
	dp_fini(&s->dp);
	spd_free(s->spd);
	sad_free(s->sad);
}

static void attach(struct side *s, unsigned points)
{
	struct dp_capturer c = { .ctx = s, .points = points, .emit = on_cap };

	assert_int_equal(dp_set_capturer(&s->dp, &c), 0);
	s->ncap = 0;
}

static uint8_t inner[28 + 16] = { 0x45, 0, 0, 28 + 16, 0, 1, 0, 0, 64, 1, 0, 0,
                                  10, 1, 0, 2, 10, 2, 0, 2, 8 };

static void send_out(struct side *a, uint8_t last_dst_octet)
{
	static uint8_t buf[PKT_DEFAULT_CAP];
	struct pkt p, *pp = &p;

	inner[19] = last_dst_octet;
	inner[17] = last_dst_octet == 2 ? 2 : 9;   /* 10.2.0.2 or 10.9.0.x */
	pkt_init(&p, buf, PKT_DEFAULT_CAP, PKT_HEADROOM);
	assert_true(pkt_set(&p, inner, sizeof(inner)));
	dp_output(&a->dp, &pp, 1);
}

static void deliver(struct side *from, unsigned i, struct side *to, int flip)
{
	static uint8_t buf[PKT_DEFAULT_CAP];
	struct pkt q, *p = &q;

	pkt_init(&q, buf, PKT_DEFAULT_CAP, PKT_HEADROOM);
	assert_true(pkt_set(&q, pkt_data(&from->net[i]), from->net[i].len));
	q.meta = from->net[i].meta;
	/* as received: source and destination seen from the receiver */
	if (flip >= 0)
		pkt_data(&q)[flip] ^= 0x01;
	dp_input(&to->dp, &p, 1);
}

static void test_capture_taps(void **state)
{
	struct side *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

	side_init(a, true);
	side_init(b, false);

	/* detached: nothing */
	send_out(a, 2);
	assert_int_equal(a->nnet, 1);
	assert_int_equal(a->ncap, 0);
	assert_int_equal(a->dp.capture_points, 0);

	/* outbound: inner-out then esp-out (ESP in UDP 4500, outer header) */
	attach(a, DP_CAP_ALL);
	send_out(a, 2);
	assert_int_equal(a->nnet, 2);
	assert_int_equal(a->ncap, 2);
	assert_int_equal(a->pt[0], DP_CAP_INNER_OUT);
	assert_int_equal(a->len[0], sizeof(inner));
	assert_memory_equal(a->data[0], inner, sizeof(inner));
	assert_int_equal(a->pt[1], DP_CAP_ESP_OUT);
	assert_int_equal(a->data[1][9], IP_PROTO_UDP);
	assert_int_equal(get_be16(a->data[1] + 22), 4500);
	assert_int_equal(get_be32(a->data[1] + 28), 0x1001);          /* SPI */
	assert_int_equal(a->len[1], 20 + 8 + a->net[1].len);

	/* outbound drop: no policy for 10.9.0.9; captured as it came */
	a->ncap = 0;
	send_out(a, 9);
	assert_int_equal(a->ncap, 2);
	assert_int_equal(a->pt[1], DP_CAP_DROP);
	assert_int_equal(a->why[1], DROP_OUT_NO_POLICY);
	assert_memory_equal(a->data[1], inner, sizeof(inner));

	/* only drops wanted: a good packet is not captured */
	attach(a, DP_CAP_BIT(DP_CAP_DROP));
	send_out(a, 2);
	assert_int_equal(a->ncap, 0);

	/* inbound at b: esp-in then inner-in */
	attach(b, DP_CAP_ALL);
	deliver(a, 1, b, -1);
	assert_int_equal(b->ncap, 2);
	assert_int_equal(b->pt[0], DP_CAP_ESP_IN);
	assert_int_equal(get_be32(b->data[0] + 28), 0x1001);
	assert_int_equal(b->pt[1], DP_CAP_INNER_IN);
	assert_memory_equal(b->data[1], inner, 20);

	/* a tampered packet: the drop shows the ESP as it arrived, not the
	 * plaintext that failed its ICV check */
	b->ncap = 0;
	deliver(a, 2, b, 20);
	assert_int_equal(b->ncap, 2);
	assert_int_equal(b->pt[0], DP_CAP_ESP_IN);
	assert_int_equal(b->pt[1], DP_CAP_DROP);
	assert_int_equal(b->why[1], DROP_AUTH_FAILED);
	assert_int_equal(b->len[1], b->len[0]);
	assert_memory_equal(b->data[1], b->data[0], b->len[0]);
	assert_null(memmem(b->data[1], b->len[1], inner + 12, 8));

	/* a replay of the first packet */
	b->ncap = 0;
	deliver(a, 1, b, -1);
	assert_int_equal(b->pt[1], DP_CAP_DROP);
	assert_int_equal(b->why[1], DROP_REPLAY);

	/* detach */
	dp_set_capturer(&b->dp, NULL);
	b->ncap = 0;
	deliver(a, 1, b, -1);
	assert_int_equal(b->ncap, 0);

	side_fini(a);
	side_fini(b);
	free(a);
	free(b);
}

/* ---------------------------------------------------------------- keys, json */

static char *capture_out(void (*fn)(void *arg, FILE *f), void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(arg, f);
	fclose(f);
	return buf;
}

static void keys_fn(void *arg, FILE *f)
{
	assert_int_equal(keys_wireshark(arg, f), 2);
}

static void test_keys(void **state)
{
	struct side *s = calloc(1, sizeof(*s));
	char *out;

	side_init(s, true);
	run(s, "state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3001 reqid 3 mode tunnel "
	       "aead rfc7539esp(chacha20,poly1305) 0x" "0102030405060708090a0b0c0d0e0f10"
	       "1112131415161718191a1b1c1d1e1f20" "01020304 128");
	run(s, "state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x4001 reqid 4 mode tunnel "
	       "enc cbc(aes) 0x000102030405060708090a0b0c0d0e0f auth-trunc hmac(sha256) "
	       "0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f 128");
	run(s, "state delete src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2001");
	out = capture_out(keys_fn, s->sad);
	assert_non_null(strstr(out,
		"\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x00001001\","
		"\"AES-GCM with 16 octet ICV [RFC4106]\",\"" KA "\",\"NULL\",\"\"\n"));
	assert_non_null(strstr(out, "# spi 0x00003001: rfc7539esp(chacha20,poly1305) has no entry"));
	assert_non_null(strstr(out,
		"\"IPv6\",\"2001:db8::1\",\"2001:db8::2\",\"0x00004001\",\"AES-CBC [RFC3602]\","
		"\"0x000102030405060708090a0b0c0d0e0f\",\"HMAC-SHA-256-128 [RFC4868]\","
		"\"0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\"\n"));
	free(out);
	side_fini(s);
	free(s);
}

static int jstate(struct sad_sa *sa, void *arg)
{
	json_state(arg, sa);
	return 0;
}

static int jpol(struct spd_policy *p, void *arg)
{
	json_policy(arg, p);
	return 0;
}

static struct side *jside;

static void json_fn(void *arg, FILE *f)
{
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j);
	json_key(&j, "states");
	json_arr_begin(&j);
	sad_walk(jside->sad, jstate, &j);
	json_arr_end(&j);
	json_key(&j, "policies");
	json_arr_begin(&j);
	spd_walk(jside->spd, jpol, &j);
	json_arr_end(&j);
	json_kstr(&j, "esc", "a\"b\\c\n\x01");
	json_key(&j, "stat");
	json_xfrm_stat(&j, &jside->dp.stats);
	json_obj_end(&j);
}

static void test_json(void **state)
{
	char *out;
	int depth = 0;
	bool in_str = false;

	jside = calloc(1, sizeof(*jside));
	side_init(jside, true);
	out = capture_out(json_fn, NULL);
	/* well-formed nesting, outside strings */
	for (const char *p = out; *p; p++) {
		if (in_str) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				in_str = false;
			continue;
		}
		if (*p == '"')
			in_str = true;
		else if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			assert_true(--depth >= 0);
		else
			assert_true(strchr(",:0123456789truefalsn\n", *p) != NULL);
	}
	assert_int_equal(depth, 0);
	assert_non_null(strstr(out, "\"spi\":\"0x00001001\""));
	assert_non_null(strstr(out, "\"aead\":{\"name\":\"rfc4106(gcm(aes))\",\"key_bits\":160,\"icv_bits\":128}"));
	assert_non_null(strstr(out, "\"encap\":{\"type\":\"espinudp\",\"sport\":4500,\"dport\":4500}"));
	assert_non_null(strstr(out, "\"dir\":\"out\",\"sel\":{\"src\":\"10.1.0.0/24\",\"dst\":\"10.2.0.0/24\",\"proto\":\"any\"},\"priority\":10"));
	assert_non_null(strstr(out, "\"esc\":\"a\\\"b\\\\c\\n\\u0001\""));
	assert_non_null(strstr(out, "\"XfrmAcquireError\":0}"));
	/* no key material */
	assert_null(strstr(out, "0102030405060708"));
	assert_null(strstr(out, "1112131415161718"));
	free(out);
	side_fini(jside);
	free(jside);
}

/* ---------------------------------------------------------------- explain */

static const char *fake_oif = "ipsec0";

static int fake_route(const struct ip_addr *dst, const struct ip_addr *src,
                      struct route_answer *ra)
{
	memset(ra, 0, sizeof(*ra));
	if (!fake_oif)
		return -ENETUNREACH;
	snprintf(ra->oif, sizeof(ra->oif), "%s", fake_oif);
	ra->type = RTN_UNICAST;
	return 0;
}

static bool not_local(void *ctx, const struct ip_addr *a)
{
	return false;
}

static struct explain_env xenv;
static const char *xargs[4];
static int xargc;

static void explain_fn(void *arg, FILE *f)
{
	struct xfrm_flow fl;
	char err[160];

	assert_int_equal(explain_parse(xargc, (char **)xargs, &fl, err, sizeof(err)), 0);
	assert_int_equal(explain_flow(&xenv, &fl, f), 0);
}

static char *explain(const char *src, const char *dst, const char *proto, const char *port)
{
	xargc = 0;
	xargs[xargc++] = src;
	xargs[xargc++] = dst;
	if (proto)
		xargs[xargc++] = proto;
	if (port)
		xargs[xargc++] = port;
	return capture_out(explain_fn, NULL);
}

static void test_explain(void **state)
{
	struct side *s = calloc(1, sizeof(*s));
	struct xfrm_flow fl;
	char err[160], *out, *bad[] = { "10.1.0.2", "::1" }, *bad2[] = { "10.1.0.2", "10.2.0.2", "tcp", "99999" };

	side_init(s, true);
	xenv = (struct explain_env){ .sad = s->sad, .spd = s->spd, .tun_name = "ipsec0",
	                             .is_local = not_local, .route = fake_route };

	out = explain("10.1.0.2", "10.2.0.2", "icmp", NULL);
	assert_non_null(strstr(out, "packet: icmp 10.1.0.2 > 10.2.0.2 type 8 code 0"));
	assert_non_null(strstr(out, "SA spi 0x00001001 (192.0.2.1 -> 192.0.2.2"));
	assert_non_null(strstr(out, "in UDP"));
	assert_non_null(strstr(out, "SA spi 0x00002001 (192.0.2.2 -> 192.0.2.1)"));
	assert_non_null(strstr(out, "into ipsec0, so uipsec's outbound path above applies"));
	assert_non_null(strstr(out, "nothing in uipsec stops this traffic"));
	free(out);

	/* explain counts nothing */
	{
		struct spd_policy *p = NULL;
		struct xfrm_selector sel = { 0 };
		ip_prefix_parse("10.1.0.0/24", &sel.saddr, &sel.prefixlen_s);
		ip_prefix_parse("10.2.0.0/24", &sel.daddr, &sel.prefixlen_d);
		sel.family = AF_INET;
		p = spd_get(s->spd, &sel, XFRM_POLICY_OUT);
		assert_non_null(p);
		assert_int_equal(p->hits, 0);
	}

	/* the route bypasses the TUN device */
	fake_oif = "eth1";
	out = explain("10.1.0.2", "10.2.0.2", "tcp", "22");
	assert_non_null(strstr(out, "NOT into ipsec0: uipsec never sees this packet"));
	assert_non_null(strstr(out, "ip route add 10.2.0.2 dev ipsec0"));
	free(out);
	fake_oif = NULL;
	out = explain("10.1.0.2", "10.2.0.2", NULL, NULL);
	assert_non_null(strstr(out, "has no route to 10.2.0.2"));
	free(out);
	fake_oif = "ipsec0";

	/* selector mismatch */
	out = explain("10.1.0.2", "10.3.0.2", "udp", "53");
	assert_non_null(strstr(out, "not policy index"));
	assert_non_null(strstr(out, "destination 10.3.0.2 is outside 10.2.0.0/24"));
	free(out);

	/* no SA yet: acquire */
	run(s, "state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001");
	out = explain("10.1.0.2", "10.2.0.2", "icmp", NULL);
	assert_non_null(strstr(out, "no SA yet for reqid 1: the first packet raises an acquire"));
	assert_non_null(strstr(out, "XfrmOutNoStates"));
	assert_non_null(strstr(out, "1 thing above stops"));
	free(out);

	/* block */
	run(s, "policy add src 10.1.0.5/32 dst 10.2.0.0/24 dir out priority 1 action block");
	out = explain("10.1.0.5", "10.2.0.2", NULL, NULL);
	assert_non_null(strstr(out, "blocks it: dropped (policy-block, XfrmOutPolBlock)"));
	free(out);

	/* bad input */
	assert_int_equal(explain_parse(2, bad, &fl, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "different families"));
	assert_int_equal(explain_parse(4, bad2, &fl, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad port '99999'"));
	assert_int_equal(explain_parse(1, bad, &fl, err, sizeof(err)), -EINVAL);

	side_fini(s);
	free(s);
}

/* ---------------------------------------------------------------- metrics */

static struct metrics_src msrc;
static bool mom;

static void metrics_fn(void *arg, FILE *f)
{
	metrics_render(&msrc, f, mom);
}

static void test_metrics(void **state)
{
	struct side *s = calloc(1, sizeof(*s));
	char *out, *p;
	int n = 0;

	side_init(s, true);
	send_out(s, 2);
	send_out(s, 9);
	msrc = (struct metrics_src){ .sad = s->sad, .spd = s->spd, .dp = &s->dp };
	mom = false;
	out = capture_out(metrics_fn, NULL);
	assert_non_null(strstr(out, "\nuipsec_sas 2\n"));
	assert_non_null(strstr(out, "\nuipsec_policies 2\n"));
	for (p = out; (p = strstr(p, "uipsec_xfrm_stat_total{name=")); p++)
		n++;
	assert_int_equal(n, XFRM_MIB_MAX);
	assert_non_null(strstr(out, "uipsec_xfrm_stat_total{name=\"XfrmOutPolError\"} 1\n"));
	assert_non_null(strstr(out, "uipsec_sa_packets_total{spi=\"0x00001001\",src=\"192.0.2.1\","
	                            "dst=\"192.0.2.2\",reqid=\"1\",dir=\"out\"} 1\n"));
	assert_non_null(strstr(out, "# TYPE uipsec_sa_bytes_total counter\n"));
	assert_null(strstr(out, "# EOF"));
	free(out);
	mom = true;
	out = capture_out(metrics_fn, NULL);
	assert_non_null(strstr(out, "# TYPE uipsec_sa_bytes counter\n"));
	assert_int_equal(strcmp(out + strlen(out) - 6, "# EOF\n"), 0);
	free(out);
	side_fini(s);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcapng_roundtrip),
		cmocka_unit_test(test_cap_build),
		cmocka_unit_test(test_capture_taps),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_metrics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
