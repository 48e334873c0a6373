/* The data path per packet, above ESP: dp_output (flow parse, the flow
 * cache or the policy lookup and state choice, esp_output, trace and
 * capture tests) and dp_input (state lookup, esp_input, the inner flow,
 * the policy check), with AES-128-GCM, on one core, in batches of 64 as
 * the gateway calls them. Beside 1,000 other policies, so that a lookup is
 * a real one:
 *
 *   out 1 flow    every packet of a batch the same flow (the flow cache)
 *   out 64 flows  each packet of a batch another flow (a lookup each)
 *   in  1 flow / in 64 flows   the same, inbound
 *
 * Output: one line per case, packets per second of this thread's CPU time,
 * the best of ROUNDS slices of about 0.2 s each (so that other load on a
 * shared machine counts less). BENCH_DP_SECONDS changes the slice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "dp/dp.h"
#include "util/bytes.h"
#include "util/log.h"
#include "xfrm/replay.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"
#if __has_include("xfrmcli/xfrm_cmd.h")
#include "xfrmcli/xfrm_cmd.h"
#else
#include "ctl/xfrm_cmd.h"   /* before the grammar moved (for before/after runs) */
#endif

#define ROUNDS 7
#define BATCH 64
#define RING 1024

static double slice = 0.2;

struct side {
	struct sad *sad;
	struct spd *spd;
	struct dp dp;
	uint8_t (*net)[2048];   /* what to_net got, for the inbound cases */
	uint32_t *net_len;
	unsigned nnet, cap;
	uint64_t sent;
};

static void to_tun(void *ctx, struct pkt *p)
{
	(void)ctx;
	(void)p;
}

static void to_net(void *ctx, struct pkt **pkts, unsigned n)
{
	struct side *s = ctx;

	s->sent += n;
	for (unsigned i = 0; i < n && s->nnet < s->cap; i++) {
		memcpy(s->net[s->nnet], pkt_data(pkts[i]), pkts[i]->len);
		s->net_len[s->nnet++] = pkts[i]->len;
	}
}

static void run(struct side *s, const char *cmd)
{
	char line[512], *argv[64];
	const char *why = NULL;
	int argc;

	snprintf(line, sizeof(line), "%s", cmd);
	argc = xfrm_line_split(line, argv, 64, &why);
	if (argc <= 0 || xfrm_cmd_run(s->sad, s->spd, argc, argv, stdout, stderr) != 0) {
		fprintf(stderr, "bench_dp: '%s' failed\n", cmd);
		exit(1);
	}
}

#define KEY "0x0102030405060708090a0b0c0d0e0f1011121314"

static void side_init(struct side *s, bool out)
{
	struct dp_io io = { .ctx = s, .to_tun = to_tun, .to_net = to_net };
	char cmd[512];
	uint32_t x = 0x12345;

	memset(s, 0, sizeof(*s));
	s->sad = sad_new(NULL);
	s->spd = spd_new(NULL);
	if (dp_init(&s->dp, s->sad, s->spd, NULL, &io)) {
		fprintf(stderr, "bench_dp: dp_init failed\n");
		exit(1);
	}
	run(s, "state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 reqid 1 mode tunnel "
	       "replay-window 1024 aead rfc4106(gcm(aes)) " KEY " 128");
	/* 1,000 other policies of both directions around the one that matters */
	for (int i = 0; i < 1000; i++) {
		x = x * 1103515245u + 12345u;
		snprintf(cmd, sizeof(cmd), "policy add src 172.%u.%u.0/24 dst 10.%u.%u.0/24 dir %s "
		         "priority %u tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 9 mode tunnel",
		         16 + (x >> 8) % 16, (x >> 12) % 256, 100 + (x >> 16) % 100, (x >> 20) % 256,
		         i % 2 ? "out" : "fwd", 100 + (x >> 4) % 50);
		run(s, cmd);
	}
	run(s, out ? "policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out priority 200 tmpl "
	             "src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel"
	           : "policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir fwd priority 200 tmpl "
	             "src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel");
}

/* A UDP packet of len bytes from 10.1.0.2:sport to 10.2.0.2:5201. */
static void udp4(uint8_t *b, uint32_t len, uint16_t sport)
{
	memset(b, 0, len);
	b[0] = 0x45;
	put_be16(b + 2, (uint16_t)len);
	b[8] = 64;
	b[9] = 17;
	b[12] = 10, b[13] = 1, b[14] = 0, b[15] = 2;
	b[16] = 10, b[17] = 2, b[18] = 0, b[19] = 2;
	put_be16(b + 20, sport);
	put_be16(b + 22, 5201);
	put_be16(b + 24, (uint16_t)(len - 20));
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t bufs[BATCH][PKT_DEFAULT_CAP];

static double bench_out(uint32_t size, unsigned flows)
{
	struct side s;
	struct pkt pk[BATCH], *pp[BATCH];
	uint8_t inner[BATCH][2048];
	double best = 0;

	side_init(&s, true);
	for (unsigned i = 0; i < BATCH; i++)
		udp4(inner[i], size, (uint16_t)(40000 + (flows > 1 ? i : 0)));
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = cpu_now(), t;
		uint64_t n = 0;

		do {
			for (unsigned i = 0; i < BATCH; i++) {
				pkt_init(&pk[i], bufs[i], PKT_DEFAULT_CAP, PKT_HEADROOM);
				pkt_set(&pk[i], inner[i], size);
				pp[i] = &pk[i];
			}
			dp_output(&s.dp, pp, BATCH);
			n += BATCH;
			t = cpu_now() - t0;
		} while (t < slice);
		if (n / t > best)
			best = n / t;
		if (r == 0 && s.sent != n) {
			fprintf(stderr, "bench_dp: output dropped packets\n");
			exit(1);
		}
	}
	dp_fini(&s.dp);
	spd_free(s.spd);
	sad_free(s.sad);
	return best;
}

static double bench_in(uint32_t size, unsigned flows)
{
	static uint8_t ring[RING][2048];
	static uint32_t ring_len[RING];
	struct side a, b;
	struct pkt pk[BATCH], *pp[BATCH];
	struct sad_sa *sa;
	struct ip_addr dst;
	double best = 0;
	uint64_t top;

	/* RING encrypted packets from an outbound side with the same key */
	side_init(&a, true);
	a.net = ring;
	a.net_len = ring_len;
	a.cap = RING;
	for (unsigned k = 0; k < RING / BATCH; k++) {
		uint8_t inner[2048];

		for (unsigned i = 0; i < BATCH; i++) {
			udp4(inner, size, (uint16_t)(40000 + (flows > 1 ? i : 0)));
			pkt_init(&pk[i], bufs[i], PKT_DEFAULT_CAP, PKT_HEADROOM);
			pkt_set(&pk[i], inner, size);
			pp[i] = &pk[i];
		}
		dp_output(&a.dp, pp, BATCH);
	}
	if (a.nnet != RING) {
		fprintf(stderr, "bench_dp: could not make the inbound packets\n");
		exit(1);
	}
	side_init(&b, false);
	ip_addr_parse("192.0.2.2", &dst);
	sa = sad_lookup(b.sad, &dst, 0x1001, IPPROTO_ESP_);
	top = 0;
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = cpu_now(), t;
		uint64_t n = 0;

		do {
			for (unsigned k = 0; k < RING; k += BATCH) {
				if (k == 0) {
					/* the same packets again, to a fresh window */
					replay_init(&sa->replay, 1024, false);
					replay_set_top(&sa->replay, top);
				}
				for (unsigned i = 0; i < BATCH; i++) {
					struct pkt *p = &pk[i];

					pkt_init(p, bufs[i], PKT_DEFAULT_CAP, PKT_HEADROOM);
					pkt_set(p, ring[k + i], ring_len[k + i]);
					p->meta.family = AF_INET;
					memcpy(p->meta.saddr, (uint8_t[16]){ 192, 0, 2, 1 }, 16);
					memcpy(p->meta.daddr, (uint8_t[16]){ 192, 0, 2, 2 }, 16);
					pp[i] = p;
				}
				dp_input(&b.dp, pp, BATCH);
				n += BATCH;
			}
			t = cpu_now() - t0;
		} while (t < slice);
		if (n / t > best)
			best = n / t;
	}
	if (b.dp.cnt.in_packets == 0) {
		fprintf(stderr, "bench_dp: input passed nothing\n");
		exit(1);
	}
	dp_fini(&a.dp);
	dp_fini(&b.dp);
	spd_free(a.spd);
	spd_free(b.spd);
	sad_free(a.sad);
	sad_free(b.sad);
	return best;
}

int main(void)
{
	const char *e = getenv("BENCH_DP_SECONDS");

	if (e && atof(e) > 0)
		slice = atof(e);
	log_set_level(LOG_ERR);
	printf("%-22s %14s\n", "case", "packets/s");
	printf("%-22s %14.0f\n", "out 1 flow 64 B", bench_out(64, 1));
	printf("%-22s %14.0f\n", "out 64 flows 64 B", bench_out(64, 64));
	printf("%-22s %14.0f\n", "out 1 flow 1420 B", bench_out(1420, 1));
	printf("%-22s %14.0f\n", "in 1 flow 64 B", bench_in(64, 1));
	printf("%-22s %14.0f\n", "in 64 flows 64 B", bench_in(64, 64));
	printf("%-22s %14.0f\n", "in 1 flow 1420 B", bench_in(1420, 1));
	return 0;
}
