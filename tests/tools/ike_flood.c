/* ike_flood: a spoofed IKE_SA_INIT flood for the reliability benchmark
 * (scripts/bench_reliability.sh, scenario "flood").
 *
 *   ike_flood --dst ADDR [--port 500] [--src PREFIX] [--rate N] [--seconds S]
 *             [--batch N]
 *
 * Sends IKE_SA_INIT requests to ADDR:PORT from random source addresses in
 * PREFIX (default 198.18.0.0/15, RFC 2544's benchmarking range) and random
 * source ports, at about N requests per second (default 100000; 0 = as fast
 * as it can) for S seconds (default 30). Each request is what a real
 * initiator sends first: a header with a random SPIi, an SA payload with
 * one IKE proposal (aes128-sha256-prfsha256-x25519, which strongSwan's and
 * uipsec's default proposals accept), a KE payload (group 31, 32 random
 * bytes) and a 32-byte nonce, so the responder has to parse it and decide
 * between a cookie, a refusal and real work.
 *
 * IPv4 only, through a raw socket with IP_HDRINCL (root or CAP_NET_RAW);
 * the kernel fills in the IP checksum and ID, the UDP checksum is 0
 * (allowed over IPv4). The replies go to the spoofed addresses: the
 * caller routes them somewhere harmless (the benchmark routes the prefix
 * to the flooder's namespace, which does not forward).
 *
 * At the end one line goes to stdout:
 *   sent N requests in T s: R requests/s (send errors E)
 * Not part of uipsec; it does not use its libraries. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX 256
#define IP_LEN 20
#define UDP_LEN 8
#define IKE_HDR_LEN 28
#define SA_LEN 48       /* payload header 4 + proposal 8 + 4 transforms (12 + 8 + 8 + 8) */
#define KE_LEN 40       /* header 4 + group/reserved 4 + 32 bytes */
#define NONCE_LEN 36    /* header 4 + 32 bytes */
#define IKE_LEN (IKE_HDR_LEN + SA_LEN + KE_LEN + NONCE_LEN)
#define PKT_LEN (IP_LEN + UDP_LEN + IKE_LEN)

static volatile sig_atomic_t stop;   /* set by SIGINT/SIGTERM: end early, still report */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fputs("usage: ike_flood --dst ADDR [--port 500] [--src PREFIX] [--rate N]\n"
	      "                 [--seconds S] [--batch N]\n", stderr);
	exit(2);
}

static uint64_t rng_state;

static uint64_t rnd(void)   /* xorshift64*: fast, not for secrets */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint8_t *transform(uint8_t *p, bool last, uint8_t type, uint16_t id, int keylen)
{
	uint16_t len = (uint16_t)(keylen ? 12 : 8);

	p[0] = last ? 0 : 3;
	p[1] = 0;
	put16(p + 2, len);
	p[4] = type;
	p[5] = 0;
	put16(p + 6, id);
	if (keylen) {
		put16(p + 8, 0x800e);   /* TV attribute 14: key length */
		put16(p + 10, (uint16_t)keylen);
	}
	return p + len;
}

/* The fixed part of one packet: IP and UDP headers with the destination,
 * the IKE_SA_INIT request with zero SPI/KE/nonce (filled per packet). */
static void template_build(uint8_t *pkt, struct in_addr dst, uint16_t dport)
{
	uint8_t *ip = pkt, *udp = pkt + IP_LEN, *ike = udp + UDP_LEN, *p;

	memset(pkt, 0, PKT_LEN);
	ip[0] = 0x45;
	put16(ip + 2, PKT_LEN);
	ip[6] = 0x40;   /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 16, &dst, 4);
	put16(udp + 2, dport);
	put16(udp + 4, UDP_LEN + IKE_LEN);
	/* IKE header: SPIi (per packet), SPIr 0, next SA (33), version 2.0,
	 * IKE_SA_INIT (34), flags Initiator, message ID 0. */
	ike[16] = 33;
	ike[17] = 0x20;
	ike[18] = 34;
	ike[19] = 0x08;
	put32(ike + 24, IKE_LEN);
	p = ike + IKE_HDR_LEN;
	/* SA payload, next KE (34) */
	p[0] = 34;
	put16(p + 2, SA_LEN);
	p += 4;
	/* one proposal: last, number 1, protocol IKE (1), no SPI, 4 transforms */
	p[0] = 0;
	put16(p + 2, SA_LEN - 4);
	p[4] = 1;
	p[5] = 1;
	p[6] = 0;
	p[7] = 4;
	p += 8;
	p = transform(p, false, 1, 12, 128);   /* ENCR_AES_CBC, 128 bits */
	p = transform(p, false, 2, 5, 0);      /* PRF_HMAC_SHA2_256 */
	p = transform(p, false, 3, 12, 0);     /* AUTH_HMAC_SHA2_256_128 */
	p = transform(p, true, 4, 31, 0);      /* DH group 31 (Curve25519) */
	/* KE payload, next Nonce (40) */
	p[0] = 40;
	put16(p + 2, KE_LEN);
	put16(p + 4, 31);
	p += KE_LEN;
	/* Nonce payload, last */
	p[0] = 0;
	put16(p + 2, NONCE_LEN);
}

/* What changes per packet: source address and port, SPIi, KE data, nonce. */
static void packet_vary(uint8_t *pkt, uint32_t src_net, uint32_t src_mask)
{
	uint8_t *ike = pkt + IP_LEN + UDP_LEN;
	uint8_t *ke = ike + IKE_HDR_LEN + SA_LEN + 8;
	uint8_t *nonce = ike + IKE_HDR_LEN + SA_LEN + KE_LEN + 4;
	uint64_t r = rnd();
	uint32_t src = src_net | ((uint32_t)r & ~src_mask);
	uint16_t sport = (uint16_t)(1024 + (r >> 32) % 64512);
	uint64_t spi = rnd() | 1;   /* SPIi must not be zero */

	put32(pkt + 12, src);
	put16(pkt + IP_LEN, sport);
	memcpy(ike, &spi, 8);
	for (int i = 0; i < 32; i += 8) {
		uint64_t v = rnd(), w = rnd();
		memcpy(ke + i, &v, 8);
		memcpy(nonce + i, &w, 8);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "src", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	static uint8_t pkts[BATCH_MAX][PKT_LEN];
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	struct sockaddr_in to;
	struct in_addr dst = { 0 }, srcnet;
	const char *src_prefix = "198.18.0.0/15";
	double rate = 100000, seconds = 30, t0, t, end;
	unsigned long long sent = 0, errors = 0;
	unsigned port = 500, batch = 32, plen;
	uint32_t src_net, src_mask;
	char buf[64], *slash;
	int c, fd, one = 1;
	bool have_dst = false;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (inet_pton(AF_INET, optarg, &dst) != 1)
				usage();
			have_dst = true;
			break;
		case 'p':
			port = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			src_prefix = optarg;
			break;
		case 'r':
			rate = strtod(optarg, NULL);
			break;
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		case 'b':
			batch = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (!have_dst || optind != argc || port == 0 || port > 65535 || rate < 0 ||
	    seconds <= 0 || batch == 0 || batch > BATCH_MAX)
		usage();
	snprintf(buf, sizeof(buf), "%s", src_prefix);
	slash = strchr(buf, '/');
	if (!slash)
		usage();
	*slash = 0;
	plen = (unsigned)strtoul(slash + 1, NULL, 10);
	if (inet_pton(AF_INET, buf, &srcnet) != 1 || plen < 8 || plen > 32)
		usage();
	src_mask = plen == 32 ? 0xffffffffu : ~(0xffffffffu >> plen);
	src_net = ntohl(srcnet.s_addr) & src_mask;

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0) {
		fprintf(stderr, "ike_flood: raw socket: %s (needs root)\n", strerror(errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rng_state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr = dst;
	for (unsigned i = 0; i < batch; i++) {
		template_build(pkts[i], dst, (uint16_t)port);
		iov[i].iov_base = pkts[i];
		iov[i].iov_len = PKT_LEN;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_s();
	end = t0 + seconds;
	while (!stop && (t = now_s()) < end) {
		int n;

		/* Pace: never ahead of rate * elapsed; sleep off a lead. */
		if (rate > 0 && (double)sent >= rate * (t - t0)) {
			double lead = ((double)sent - rate * (t - t0)) / rate;
			struct timespec ts = { 0, (long)(lead * 1e9) };

			if (ts.tv_nsec > 0)
				nanosleep(&ts, NULL);
			continue;
		}
		for (unsigned i = 0; i < batch; i++)
			packet_vary(pkts[i], src_net, src_mask);
		n = sendmmsg(fd, msgs, batch, 0);
		if (n < 0) {
			errors++;
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "ike_flood: sendmmsg: %s\n", strerror(errno));
				break;
			}
			continue;
		}
		sent += (unsigned long long)n;
		if ((unsigned)n < batch)
			errors++;
	}
	t = now_s() - t0;
	printf("sent %llu requests in %.2f s: %.0f requests/s (send errors %llu)\n", sent, t,
	       t > 0 ? (double)sent / t : 0.0, errors);
	close(fd);
	return 0;
}
