/* libFuzzer target: the gateway data path (dp_input, dp_output) with
 * manually keyed states and policies, as uipsecd runs it.
 *
 * First byte selects the mode:
 *   bit 0 clear: the rest is a datagram arriving at gateway B (bit 1: on
 *           UDP 4500 rather than the raw ESP socket; bit 2: on port 500)
 *   bit 0 set:   the rest is an IP packet read from gateway A's TUN
 *           device: A's output path seals it if a policy says so, and
 *           B's input path decrypts it and runs the policy check on
 *           whatever inner packet the fuzzer made.
 * Tracing is on for odd second bytes, so the trace formatting runs too. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "xfrmcli/xfrm_cmd.h"
#include "dp/dp.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct side {
	struct sad *sad;
	struct spd *spd;
	struct xfrm_events ev;
	struct dp dp;
	struct side *peer;
};

static struct side A, B;
static uint8_t netbuf[PKT_DEFAULT_CAP];
static unsigned traced;

static void to_tun(void *ctx, struct pkt *p)
{
	/* the kernel would get it: touch every byte */
	volatile uint8_t x = 0;
	for (uint32_t i = 0; i < p->len; i++)
		x ^= pkt_data(p)[i];
	(void)x;
}

static void to_net(void *ctx, struct pkt **pkts, unsigned n)
{
	struct side *s = ctx;

	for (unsigned i = 0; i < n; i++) {
		struct pkt q, *qp = &q;

		pkt_init(&q, netbuf, sizeof(netbuf), PKT_HEADROOM);
		if (!pkt_set(&q, pkt_data(pkts[i]), pkts[i]->len))
			continue;
		q.meta = pkts[i]->meta;
		dp_input(&s->peer->dp, &qp, 1);
	}
}

static void ike(void *ctx, struct pkt *p) { }

static void on_trace(void *ctx, const struct trace_pkt *tp) { traced += tp->nlines; }

static void run(struct side *s, const char *cmd)
{
	char line[512], *argv[64];
	const char *why;
	int argc;
	FILE *null = fopen("/dev/null", "w");

	snprintf(line, sizeof(line), "%s", cmd);
	argc = xfrm_line_split(line, argv, 64, &why);
	if (argc <= 0 || xfrm_cmd_run(s->sad, s->spd, argc, argv, null, stderr) != 0)
		abort();
	fclose(null);
}

#define STATES \
	"state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 reqid 1 mode tunnel " \
	"aead rfc4106(gcm(aes)) 0x0102030405060708090a0b0c0d0e0f1011121314 128 replay-window 64", \
	"state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2001 reqid 2 mode tunnel " \
	"aead rfc4106(gcm(aes)) 0x1112131415161718191a1b1c1d1e1f2021222324 128", \
	"state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x1006 reqid 6 mode tunnel " \
	"enc cbc(aes) 0x000102030405060708090a0b0c0d0e0f auth-trunc hmac(sha256) " \
	"0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 128 " \
	"encap espinudp 4500 4500 0.0.0.0 replay-window 32"

static void side_init(struct side *s, struct side *peer, const char *const *pols, int npols)
{
	static const char *const states[] = { STATES };
	struct dp_io io = { .ctx = s, .to_tun = to_tun, .to_net = to_net, .ike = ike };

	s->peer = peer;
	s->sad = sad_new(NULL);
	s->spd = spd_new(NULL);
	if (!s->sad || !s->spd || dp_init(&s->dp, s->sad, s->spd, NULL, &io) < 0)
		abort();
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		run(s, states[i]);
	for (int i = 0; i < npols; i++)
		run(s, pols[i]);
}

static void setup(void)
{
	static const char *const pa[] = {
		"policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir out tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel",
		"policy add src fd01::/64 dst fd02::/64 dir out tmpl src 2001:db8::1 dst 2001:db8::2 proto esp reqid 6 mode tunnel",
		"policy add src 10.1.0.0/24 dst 10.2.0.99/32 dir out priority 0 action block",
		"policy add src 10.1.0.0/24 dst 10.7.0.0/16 dir out tmpl src 192.0.2.1 dst 192.0.2.7 proto esp reqid 7 mode tunnel",
	};
	static const char *const pb[] = {
		"policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir fwd tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel",
		"policy add src 10.1.0.0/24 dst 10.2.0.1/32 dir in tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 9 mode tunnel",
		"policy add src fd01::/64 dst fd02::/64 dir fwd tmpl src 2001:db8::1 dst 2001:db8::2 proto esp reqid 6 mode tunnel",
		"policy add src 10.1.0.0/24 dst 10.2.0.66/32 dir fwd priority 0 action block",
	};

	side_init(&A, &B, pa, 4);
	side_init(&B, &A, pb, 4);
	B.dp.nlocal = 1;
	ip_addr_parse("10.2.0.1", &B.dp.local[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static uint8_t buf[PKT_DEFAULT_CAP];
	struct dp_tracer tr = { .ctx = NULL, .emit = on_trace };
	struct pkt p, *pp = &p;
	uint8_t mode;

	if (!ready) {
		setup();
		ready = true;
	}
	if (size < 2 || size - 2 > 2048)
		return 0;
	mode = data[0];
	dp_set_tracer(&A.dp, data[1] & 1 ? &tr : NULL);
	dp_set_tracer(&B.dp, data[1] & 1 ? &tr : NULL);
	pkt_init(&p, buf, sizeof(buf), PKT_HEADROOM);
	pkt_set(&p, data + 2, (uint32_t)(size - 2));
	memset(&p.meta, 0, sizeof(p.meta));
	if (mode & 1) {
		dp_output(&A.dp, &pp, 1);
		return 0;
	}
	p.meta.family = mode & 8 ? AF_INET6 : AF_INET;
	if (p.meta.family == AF_INET) {
		memcpy(p.meta.saddr, "\xc0\x00\x02\x01", 4);
		memcpy(p.meta.daddr, "\xc0\x00\x02\x02", 4);
	} else {
		memcpy(p.meta.saddr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
		memcpy(p.meta.daddr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
	}
	if (mode & 2) {
		p.meta.udp_encap = 1;
		p.meta.sport = 4500;
		p.meta.dport = mode & 4 ? 500 : 4500;
	}
	dp_input(&B.dp, &pp, 1);
	return 0;
}
