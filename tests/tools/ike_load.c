/* ike_load: a test initiator that sets up many IKE_SAs, each with one
 * CHILD_SA, against one responder, for the IKE load benchmark
 * (scripts/bench_ike.sh).
 *
 *   ike_load --dst ADDR --src FIRST [-n N] [--window W] [--ike PROPOSALS]
 *            [--esp PROPOSALS] [--psk SECRET] [--remote-ts PREFIX]
 *            [--inner FIRST] [--timeout S] [--hold] [--shard S]
 *            [--retransmit-timeout S]
 *
 * IKE_SA i (0 <= i < N) comes from its own address, FIRST + i (IPv4), with
 * that address as its identity (ID_IPV4_ADDR), so the responder sees N
 * distinct peers; its CHILD_SA asks for the inner address INNER + i/32
 * (default 10.64.0.1 + i) to REMOTE-TS (default 10.200.0.0/16), the form a
 * road warrior's tunnel has. The caller makes those addresses local to the
 * namespace without configuring them one by one: `ip route add local
 * 198.18.0.0/15 dev lo` (Linux "AnyIP"), and routes them back from the
 * responder. Two UDP sockets, ports 500 and 4500 on the wildcard address
 * with IP_PKTINFO, carry them all: the destination address of a datagram
 * says which IKE_SA it is for, the source address of a sent one is set
 * per datagram.
 *
 * At most W setups (default 32) are outstanding at once; as one ends
 * (established, or failed: an IKE_SA that ended before it was up) the
 * next starts. IKE itself is uipsec's IKE core (src/ike/), in shards of S
 * IKE_SAs (default 64) per IKE context, with a CHILD_SA table each behind
 * the SAD backend (no packets are protected); it follows what the
 * responder asks for (COOKIE, INVALID_KE_PAYLOAD, a move to port 4500)
 * and retransmits as uipsecd does (1 s, base 1.8; tries 3 here, so that a
 * lost setup is given up after about 9 s; --retransmit-timeout S: a first
 * retransmission after S seconds, e.g. 4 as charon's initiators do).
 *
 * When every setup has ended, or after S seconds (default 600; what is
 * still outstanding then counts as failed), one line goes to stdout:
 *   RESULT n=N established=E failed=F seconds=T rate=R retransmits=X
 *          children=C no_child=E-C send_errors=S lost=L
 * (rate: established IKE_SAs per second, from the first request to the
 * last establishment; children: CHILD_SAs installed at the end, no_child:
 * IKE_SAs up without their CHILD_SA, which the responder refused; lost:
 * SAs that went down after they were up), and per failure reason a line
 *   FAILED reason=NAME count=C
 * With --hold the SAs are then kept up (DPD and anything else answered)
 * and "HOLDING" is printed; the tool runs until SIGTERM, SIGINT or EOF
 * on stdin and exits without sending Deletes (the benchmark stops the
 * responder itself). Exit status 0 if every setup succeeded, 1 if some
 * failed, 2 on bad usage or a setup error. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ike/ike.h"
#include "ike/ike_proto.h"
#include "net/addr.h"
#include "util/log.h"
#include "xfrm/backend_sad.h"
#include "xfrm/events.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

#define BATCH 64
#define DGRAM_MAX 65536

enum setup_state { ST_IDLE = 0, ST_PENDING, ST_UP, ST_FAILED };

struct shard {
	struct ike_ctx *ike;
	struct sad *sad;
	struct spd *spd;
	struct xfrm_backend *be;
	unsigned first;      /* index of its first IKE_SA */
};

static volatile sig_atomic_t stop;
static int fd500 = -1, fd4500 = -1;
static uint32_t src_base;            /* host order */
static unsigned n_total = 100, shard_size = 64;
static uint8_t *state;
static unsigned outstanding, n_up, n_failed, n_lost;
static uint64_t fail_by[IKE_END_MAX];
static uint64_t send_errors;
static struct shard *shards;
static unsigned n_shards;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t io_now(void *ctx)
{
	(void)ctx;
	return mono_ms();
}

static void send_from(const struct ike_endpoint *local, const struct ike_endpoint *remote,
                      const uint8_t *pre, size_t prelen, const uint8_t *msg, size_t len)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(remote->port) };
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov[2] = { { (void *)pre, prelen }, { (void *)msg, len } };
	struct msghdr mh = { .msg_name = &dst, .msg_namelen = sizeof(dst), .msg_iov = iov,
	                     .msg_iovlen = 2, .msg_control = cbuf.buf,
	                     .msg_controllen = sizeof(cbuf.buf) };
	struct cmsghdr *cm;
	struct in_pktinfo pi = { 0 };

	if (remote->addr.family != AF_INET || local->addr.family != AF_INET) {
		send_errors++;
		return;
	}
	memcpy(&dst.sin_addr, remote->addr.a, 4);
	memcpy(&pi.ipi_spec_dst, local->addr.a, 4);
	memset(cbuf.buf, 0, sizeof(cbuf.buf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	if (sendmsg(local->port == 4500 ? fd4500 : fd500, &mh, 0) < 0)
		send_errors++;
}

static void io_send(void *ctx, const struct ike_endpoint *local, const struct ike_endpoint *remote,
                    const uint8_t *msg, size_t len)
{
	static const uint8_t marker[4];

	(void)ctx;
	/* from port 4500 an IKE message carries the non-ESP marker */
	send_from(local, remote, marker, local->port == 4500 ? 4 : 0, msg, len);
}

static void io_keepalive(void *ctx, const struct ike_endpoint *local,
                         const struct ike_endpoint *remote)
{
	static const uint8_t ka = 0xff;

	(void)ctx;
	send_from(local, remote, NULL, 0, &ka, 1);
}

/* "c<index>" -> index, or -1 */
static long conn_index(const char *name)
{
	char *end;
	long i;

	if (!name || name[0] != 'c')
		return -1;
	i = strtol(name + 1, &end, 10);
	if (*end || i < 0 || (unsigned long)i >= n_total)
		return -1;
	return i;
}

static void io_ike_ended(void *ctx, const struct ike_end_event *ev)
{
	long i = conn_index(ev->conn);

	(void)ctx;
	if (i < 0 || !ev->initiator)
		return;
	if (state[i] == ST_PENDING && !ev->established) {
		state[i] = ST_FAILED;
		n_failed++;
		outstanding--;
		fail_by[ev->reason < IKE_END_MAX ? ev->reason : IKE_END_INTERNAL]++;
	} else if (state[i] == ST_UP) {
		n_lost++;   /* went down after it was up (counted apart) */
	}
}

static void ip4_of(uint32_t host, struct ip_addr *a)
{
	uint32_t be = htonl(host);

	ip_addr_from_bytes(a, AF_INET, &be);
}

static int parse_ip4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

static int udp_socket(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	int buf = 8 << 20;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A datagram for IKE_SA idx arrived: feed its shard, note an establishment. */
static void deliver(unsigned idx, const struct ike_endpoint *local, const struct ike_endpoint *remote,
                    const uint8_t *msg, size_t len)
{
	struct shard *sh = &shards[idx / shard_size];
	char name[24];

	ike_input(sh->ike, local, remote, msg, len);
	if (state[idx] != ST_PENDING)
		return;
	snprintf(name, sizeof(name), "c%u", idx);
	if (!strcmp(ike_conn_state(sh->ike, name), "ESTABLISHED")) {
		state[idx] = ST_UP;
		n_up++;
		outstanding--;
	}
}

static void drain(int fd, uint16_t port, uint64_t *last_up_ms)
{
	static uint8_t bufs[BATCH][2048];
	static union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} cbufs[BATCH];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in from[BATCH];
	int n;

	for (;;) {
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
			mm[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof(from[i]),
			                                 .msg_iov = &iov[i], .msg_iovlen = 1,
			                                 .msg_control = cbufs[i].buf,
			                                 .msg_controllen = sizeof(cbufs[i].buf) };
		}
		n = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			struct ike_endpoint local = { .port = port }, remote;
			const uint8_t *msg = bufs[i];
			size_t len = mm[i].msg_len;
			bool have_dst = false;
			uint32_t dst = 0;
			unsigned before = n_up;

			for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mm[i].msg_hdr); cm;
			     cm = CMSG_NXTHDR(&mm[i].msg_hdr, cm))
				if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
					struct in_pktinfo pi;
					memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
					dst = ntohl(pi.ipi_addr.s_addr);
					have_dst = true;
				}
			if (!have_dst || dst < src_base || dst - src_base >= n_total)
				continue;
			if (port == 4500) {
				/* IKE behind the non-ESP marker; ESP and keepalives are not ours */
				if (len < 4 || memcmp(msg, "\0\0\0\0", 4))
					continue;
				msg += 4;
				len -= 4;
			}
			ip4_of(dst, &local.addr);
			ip_addr_from_sockaddr(&remote.addr, &remote.port, (struct sockaddr *)&from[i]);
			deliver(dst - src_base, &local, &remote, msg, len);
			if (n_up != before)
				*last_up_ms = mono_ms();
		}
	}
}

static void usage(void)
{
	fputs("usage: ike_load --dst ADDR --src FIRST [-n N] [--window W] [--ike PROPOSALS]\n"
	      "                [--esp PROPOSALS] [--psk SECRET] [--remote-ts PREFIX] [--inner FIRST]\n"
	      "                [--timeout S] [--hold] [--shard S] [--retransmit-timeout S]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst", required_argument, NULL, 'd' },    { "src", required_argument, NULL, 's' },
		{ "n", required_argument, NULL, 'n' },      { "window", required_argument, NULL, 'w' },
		{ "ike", required_argument, NULL, 'i' },    { "esp", required_argument, NULL, 'e' },
		{ "psk", required_argument, NULL, 'p' },    { "remote-ts", required_argument, NULL, 'r' },
		{ "inner", required_argument, NULL, 'I' },  { "timeout", required_argument, NULL, 't' },
		{ "hold", no_argument, NULL, 'H' },         { "shard", required_argument, NULL, 'S' },
		{ "retransmit-timeout", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dst_s = NULL, *src_s = NULL, *ike_s = "aes128gcm16-prfsha256-x25519";
	const char *esp_s = "aes128gcm16", *psk = "bench-ike-psk", *rts = "10.200.0.0/16";
	const char *inner_s = "10.64.0.1";
	unsigned window = 32, timeout = 600;
	double retx_timeout = 0;
	bool hold = false;
	uint32_t inner_base;
	struct ip_addr dst;
	struct ike_conn_cfg cfg;
	struct ike_child_cfg child;
	struct ike_retransmit_cfg rc;
	char err[256];
	int c;

	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dst_s = optarg; break;
		case 's': src_s = optarg; break;
		case 'n': n_total = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': window = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'i': ike_s = optarg; break;
		case 'e': esp_s = optarg; break;
		case 'p': psk = optarg; break;
		case 'r': rts = optarg; break;
		case 'I': inner_s = optarg; break;
		case 't': timeout = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'H': hold = true; break;
		case 'S': shard_size = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'R': retx_timeout = strtod(optarg, NULL); break;
		default: usage();
		}
	}
	if (!dst_s || !src_s || !n_total || n_total > 1000000 || !window || !shard_size ||
	    ip_addr_parse(dst_s, &dst) || dst.family != AF_INET || parse_ip4(src_s, &src_base) ||
	    parse_ip4(inner_s, &inner_base) || strlen(psk) > IKE_PSK_MAX)
		usage();
	log_set_level(LOG_ERR);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	fd500 = udp_socket(500);
	fd4500 = udp_socket(4500);
	if (fd500 < 0 || fd4500 < 0) {
		fprintf(stderr, "ike_load: cannot bind UDP 500/4500: %s\n", strerror(errno));
		return 2;
	}
	state = calloc(n_total, 1);
	n_shards = (n_total + shard_size - 1) / shard_size;
	shards = calloc(n_shards, sizeof(*shards));
	if (!state || !shards)
		return 2;

	/* one connection per IKE_SA: its own address, identity and inner address */
	memset(&cfg, 0, sizeof(cfg));
	memset(&child, 0, sizeof(child));
	cfg.keyingtries = 1;
	cfg.remote_addr = dst;
	cfg.psk_len = strlen(psk);
	memcpy(cfg.psk, psk, cfg.psk_len);
	cfg.nchildren = 1;
	cfg.children = &child;
	if (ike_proposals_parse(ike_s, IKE_PROTO_IKE, &cfg.ike, err, sizeof(err)) ||
	    ike_proposals_parse(esp_s, IKE_PROTO_ESP, &child.esp, err, sizeof(err))) {
		fprintf(stderr, "ike_load: proposals: %s\n", err);
		return 2;
	}
	snprintf(child.name, sizeof(child.name), "net");
	child.local_ts.n = child.remote_ts.n = 1;
	if (ike_ts_parse(rts, &child.remote_ts.ts[0])) {
		fprintf(stderr, "ike_load: bad --remote-ts %s\n", rts);
		return 2;
	}
	ike_retransmit_defaults(&rc);
	rc.tries = 3;
	if (retx_timeout > 0)
		rc.timeout = retx_timeout;

	struct ike_io io = { .send = io_send, .now_ms = io_now, .keepalive = io_keepalive,
	                     .ike_ended = io_ike_ended };
	for (unsigned s = 0; s < n_shards; s++) {
		struct shard *sh = &shards[s];
		sh->first = s * shard_size;
		sh->sad = sad_new(NULL);
		sh->spd = spd_new(NULL);
		sh->be = sh->sad && sh->spd ? xfrm_backend_sad_new(sh->sad, sh->spd) : NULL;
		io.ctx = sh;
		sh->ike = sh->be ? ike_ctx_new(&io, sh->be) : NULL;
		if (!sh->ike) {
			fprintf(stderr, "ike_load: out of memory setting up shard %u\n", s);
			return 2;
		}
		if (ike_ctx_set_retransmit(sh->ike, &rc)) {
			fprintf(stderr, "ike_load: bad --retransmit-timeout\n");
			return 2;
		}
		for (unsigned i = sh->first; i < n_total && i < sh->first + shard_size; i++) {
			char ts[32];
			uint32_t in = htonl(inner_base + i);
			snprintf(cfg.name, sizeof(cfg.name), "c%u", i);
			snprintf(child.name, sizeof(child.name), "c%u", i);
			ip4_of(src_base + i, &cfg.local_addr);
			inet_ntop(AF_INET, &in, ts, sizeof(ts));
			strcat(ts, "/32");
			if (ike_ts_parse(ts, &child.local_ts.ts[0]) ||
			    ike_conn_add(sh->ike, &cfg, err, sizeof(err))) {
				fprintf(stderr, "ike_load: connection c%u: %s\n", i, err);
				return 2;
			}
		}
	}

	uint64_t t0 = mono_ms(), last_up = t0, deadline = t0 + (uint64_t)timeout * 1000;
	unsigned next = 0;
	struct pollfd pf[3] = { { fd500, POLLIN, 0 }, { fd4500, POLLIN, 0 }, { 0, POLLIN, 0 } };

	while (!stop && n_up + n_failed < n_total) {
		uint64_t now = mono_ms(), wake = now + 100;
		char name[24];

		if (now >= deadline)
			break;
		while (outstanding < window && next < n_total) {
			unsigned i = next++;
			snprintf(name, sizeof(name), "c%u", i);
			state[i] = ST_PENDING;
			outstanding++;
			if (ike_initiate(shards[i / shard_size].ike, name)) {
				state[i] = ST_FAILED;
				outstanding--;
				n_failed++;
				fail_by[IKE_END_INTERNAL]++;
			}
		}
		for (unsigned s = 0; s < n_shards; s++) {
			uint64_t t = ike_next_timer(shards[s].ike);
			if (t <= now) {
				ike_tick(shards[s].ike);
				t = ike_next_timer(shards[s].ike);
			}
			if (t < wake)
				wake = t;
		}
		if (poll(pf, 2, wake > now ? (int)(wake - now) : 0) > 0) {
			drain(fd500, 500, &last_up);
			drain(fd4500, 4500, &last_up);
		}
	}
	/* what is still outstanding is given up */
	unsigned timed_out = 0;
	for (unsigned i = 0; i < n_total; i++)
		if (state[i] == ST_PENDING || state[i] == ST_IDLE) {
			timed_out++;
			state[i] = ST_FAILED;
		}
	n_failed += timed_out;

	uint64_t retx = 0;
	unsigned children = 0;
	for (unsigned s = 0; s < n_shards; s++) {
		retx += ike_ctx_stats(shards[s].ike)->retransmits;
		children += ike_child_count(shards[s].ike);
	}
	double secs = (double)(last_up - t0) / 1000.0;
	/* an IKE_SA up without its CHILD_SA (the responder refused it) failed too */
	unsigned no_child = children < n_up ? n_up - children : 0;
	printf("RESULT n=%u established=%u failed=%u seconds=%.3f rate=%.1f retransmits=%llu "
	       "children=%u no_child=%u send_errors=%llu lost=%u\n",
	       n_total, n_up, n_failed, secs, secs > 0 ? n_up / secs : 0.0,
	       (unsigned long long)retx, children, no_child, (unsigned long long)send_errors, n_lost);
	for (int r = 0; r < IKE_END_MAX; r++)
		if (fail_by[r])
			printf("FAILED reason=%s count=%llu\n", ike_end_reason_name((enum ike_end_reason)r),
			       (unsigned long long)fail_by[r]);
	if (timed_out)
		printf("FAILED reason=timeout count=%u\n", timed_out);
	fflush(stdout);

	if (hold && !stop) {
		printf("HOLDING\n");
		fflush(stdout);
		while (!stop) {
			uint64_t now = mono_ms(), wake = now + 1000;
			for (unsigned s = 0; s < n_shards; s++) {
				uint64_t t = ike_next_timer(shards[s].ike);
				if (t <= now) {
					ike_tick(shards[s].ike);
					t = ike_next_timer(shards[s].ike);
				}
				if (t < wake)
					wake = t;
			}
			if (poll(pf, 3, (int)(wake > now ? wake - now : 0)) > 0) {
				if (pf[2].revents) {
					char b[64];
					if (read(0, b, sizeof(b)) <= 0)
						break;
				}
				drain(fd500, 500, &last_up);
				drain(fd4500, 4500, &last_up);
			}
		}
	}
	for (unsigned s = 0; s < n_shards; s++) {
		ike_ctx_free(shards[s].ike);
		xfrm_backend_sad_free(shards[s].be);
		sad_free(shards[s].sad);
		spd_free(shards[s].spd);
	}
	free(shards);
	free(state);
	close(fd500);
	close(fd4500);
	return n_failed || no_child ? 1 : 0;
}
