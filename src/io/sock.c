/* UDP and raw ESP sockets with batched receive and send. See sock.h.
 *
 * Destination addresses come from IP_PKTINFO/IPV6_PKTINFO (the SAD is keyed
 * by destination address); source addresses are set the same way on send,
 * so replies leave from the address the state names. */
#include "io/sock.h"
#include "util/bytes.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sock_diag.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SOCK_BUF_BYTES (4 * 1024 * 1024)
#define SOCK_BATCH 64
/* A UDP GSO train: at most this many datagrams (UDP_MAX_SEGMENTS is 64 in
 * older kernels) and bytes of payload (the IP length field). */
#define SOCK_GSO_SEGS 64
#define SOCK_GSO_BYTES 65000
#define SOCK_CBUF_TX (CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(uint16_t)))

static void set_bufs(int fd)
{
	int sz = SOCK_BUF_BYTES;

	/* FORCE variants need CAP_NET_ADMIN (we have it at start); fall back. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

void sock_set_rcvbuf(struct sock *s, int bytes)
{
	if (s->fd < 0)
		return;
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0)
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}

static int set_pktinfo(int fd, int family)
{
	int one = 1;

	if (family == AF_INET)
		return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
}

static int udp_open(struct sock *s, int family, uint16_t port, bool reuseport)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, r;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->kind = family == AF_INET ? SOCK_UDP4 : SOCK_UDP6;
	s->port = port;
	s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (s->fd < 0)
		return -errno;
	if (family == AF_INET6 &&
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (set_pktinfo(s->fd, family) < 0)
		goto fail;
	if (reuseport && setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	set_bufs(s->fd);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sl = sizeof(*sin6);
	}
	if (bind(s->fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	/* UDP GSO (Linux 4.18): trains of equal-size datagrams in one send. */
	s->gso = true;
	return 0;
fail:
	r = -errno;
	close(s->fd);
	s->fd = -1;
	return r;
}

int sock_raw_esp_open(struct sock *s, int family)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->kind = family == AF_INET ? SOCK_RAW4 : SOCK_RAW6;
	s->fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 50 /* ESP */);
	if (s->fd < 0)
		return -errno;
	if (set_pktinfo(s->fd, family) < 0) {
		r = -errno;
		close(s->fd);
		s->fd = -1;
		return r;
	}
	set_bufs(s->fd);
	return 0;
}

/* Is fd a socket of this domain, type and protocol? 0 or -errno (logged). */
static int adopt_check(int fd, int family, int type, int proto, const char *name)
{
	int v[3] = { 0 }, want[3] = { family, type, proto };
	const int opt[3] = { SO_DOMAIN, SO_TYPE, SO_PROTOCOL };
	socklen_t l;

	for (int i = 0; i < 3; i++) {
		l = sizeof(v[i]);
		if (getsockopt(fd, SOL_SOCKET, opt[i], &v[i], &l) < 0) {
			log_err("handed-over %s (descriptor %d) is not a socket: %s", name, fd,
			        strerror(errno));
			return -ENOTSOCK;
		}
		if (v[i] != want[i]) {
			log_err("handed-over %s (descriptor %d) is a socket of domain %d type %d "
			        "protocol %d, want %d %d %d", name, fd, v[0], v[1], v[2], family, type,
			        proto);
			return -EINVAL;
		}
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int sock_udp_adopt(struct sock *s, int fd, int family, uint16_t port, const char *name)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	uint16_t bound;
	int v6only = 0, r;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	r = adopt_check(fd, family, SOCK_DGRAM, IPPROTO_UDP, name);
	if (r < 0)
		return r;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -errno;
	bound = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
	                                  ((struct sockaddr_in6 *)&ss)->sin6_port);
	if (bound != port) {
		log_err("handed-over %s is bound to port %u, want %u", name, bound, port);
		return -EINVAL;
	}
	if (family == AF_INET6) {
		/* without it, IPv4 would arrive as ::ffff:a.b.c.d and miss the SAD */
		sl = sizeof(v6only);
		if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &sl) < 0 || !v6only) {
			log_err("handed-over %s: IPv6 socket without IPV6_V6ONLY", name);
			return -EINVAL;
		}
	}
	if (set_pktinfo(fd, family) < 0)
		return -errno;
	set_bufs(fd);
	s->fd = fd;
	s->kind = family == AF_INET ? SOCK_UDP4 : SOCK_UDP6;
	s->port = port;
	s->gso = true;
	return 0;
}

int sock_raw_esp_adopt(struct sock *s, int fd, int family, const char *name)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	r = adopt_check(fd, family, SOCK_RAW, 50, name);
	if (r < 0)
		return r;
	if (set_pktinfo(fd, family) < 0)
		return -errno;
	set_bufs(fd);
	s->fd = fd;
	s->kind = family == AF_INET ? SOCK_RAW4 : SOCK_RAW6;
	return 0;
}

int sock_udp_open(struct sock *s, int family, uint16_t port)
{
	return udp_open(s, family, port, false);
}

int sock_udp_open_reuseport(struct sock *s, int family, uint16_t port)
{
	return udp_open(s, family, port, true);
}

void sock_borrow(struct sock *s, const struct sock *from)
{
	memset(s, 0, sizeof(*s));
	s->fd = from->fd;
	s->kind = from->kind;
	s->port = from->port;
	s->gso = from->gso;
	s->borrowed = from->fd >= 0;
}

void sock_close(struct sock *s)
{
	if (s->fd >= 0 && !s->borrowed)
		close(s->fd);
	s->borrowed = false;
	s->fd = -1;
	free(s->big_buf);
	s->big_buf = NULL;
	s->big_mode = SOCK_BIG_NONE;
	s->big_ready = false;
	free(s->gro_buf);
	s->gro_buf = NULL;
	s->gro = false;
	s->gro_len = s->gro_off = 0;
}

#define SOCK_GRO_BUF 65536
#define SOCK_BIG_CAP (PKT_HEADROOM + SOCK_BIG_MAX + PKT_TAILROOM)

int sock_udp_enable_big(struct sock *s, enum sock_big which)
{
	if (s->kind != SOCK_UDP4 && s->kind != SOCK_UDP6)
		return -EINVAL;
	s->big_ready = false;
	s->big_mode = SOCK_BIG_NONE;
	if (which == SOCK_BIG_NONE)
		return 0;
	if (!s->big_buf) {
		s->big_buf = malloc(SOCK_BIG_CAP);
		if (!s->big_buf)
			return -ENOMEM;
	}
	pkt_init(&s->big, s->big_buf, SOCK_BIG_CAP, PKT_HEADROOM);
	s->big_mode = (uint8_t)which;
	return 0;
}

struct pkt *sock_recv_big(struct sock *s)
{
	if (!s->big_ready)
		return NULL;
	s->big_ready = false;
	return &s->big;
}

/* Does the datagram at d (len bytes, too large for a pool buffer) go
 * through the big buffer? One per receive call: a second waits (GRO) or
 * is lost (recvmmsg). */
static bool big_wanted(const struct sock *s, const uint8_t *d, uint32_t len)
{
	if (s->big_ready || len > SOCK_BIG_MAX)
		return false;
	switch (s->big_mode) {
	case SOCK_BIG_ALL:
		return true;
	case SOCK_BIG_MARKED:
		return len >= 4 && !d[0] && !d[1] && !d[2] && !d[3];
	default:
		return false;
	}
}

int sock_rx_fill(const struct sock *s)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);
	uint64_t fill;

	if (getsockopt(s->fd, SOL_SOCKET, SO_MEMINFO, mi, &len) < 0)
		return -errno;
	if (len < sizeof(uint32_t) * (SK_MEMINFO_RCVBUF + 1) || !mi[SK_MEMINFO_RCVBUF])
		return -EINVAL;
	fill = (uint64_t)mi[SK_MEMINFO_RMEM_ALLOC] * 256 / mi[SK_MEMINFO_RCVBUF];
	return fill > 256 ? 256 : (int)fill;
}

int sock_udp_enable_gro(struct sock *s)
{
	int one = 1;

	if (s->kind != SOCK_UDP4 && s->kind != SOCK_UDP6)
		return -EINVAL;
	if (!s->gro_buf) {
		s->gro_buf = malloc(SOCK_GRO_BUF);
		if (!s->gro_buf)
			return -ENOMEM;
	}
	if (setsockopt(s->fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) < 0) {
		int r = -errno;
		free(s->gro_buf);
		s->gro_buf = NULL;
		return r;
	}
	s->gro = true;
	s->gro_len = s->gro_off = 0;
	return 0;
}

/* Fill meta->daddr from the PKTINFO control message. */
static void cmsg_daddr(struct msghdr *mh, struct pkt_meta *m)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(m->daddr, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(m->daddr, &pi.ipi6_addr, 16);
		}
	}
}

/* The raw IPv4 socket hands us the IP header (RFC 791):
 *   0                   1                   2                   3
 *  |Version|  IHL  |Type of Service|          Total Length         |
 *  ...                  Source Address / Destination Address (12..19)
 * Validate it against what was received, take the addresses, strip it. */
static void raw4_strip(struct pkt *p)
{
	const uint8_t *h = pkt_data(p);
	uint32_t ihl, tot;

	if (p->len < 20 || (h[0] >> 4) != 4)
		goto bad;
	ihl = (uint32_t)(h[0] & 0x0f) * 4;
	tot = get_be16(h + 2);
	if (ihl < 20 || ihl > p->len || tot < ihl || tot > p->len)
		goto bad;
	memcpy(p->meta.saddr, h + 12, 4);
	memcpy(p->meta.daddr, h + 16, 4);
	p->len = tot;          /* ignore trailing bytes beyond the IP length */
	pkt_pull(p, ihl);
	return;
bad:
	p->len = 0;
}

/* Receive one datagram (maybe a GRO train) into s->gro_buf. 1, 0 if none
 * pending, or -errno. */
static int gro_fill(struct sock *s)
{
	struct sockaddr_storage from;
	struct iovec iov = { s->gro_buf, SOCK_GRO_BUF };
	union { char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
	        struct cmsghdr align; } cbuf;
	struct msghdr mh;
	struct cmsghdr *c;
	struct pkt_meta *m = &s->gro_meta;
	ssize_t r;
	int seg = 0;

	for (;;) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		r = recvmsg(s->fd, &mh, MSG_DONTWAIT);
		s->rx_calls++;
		if (r < 0)
			return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
		if (!(mh.msg_flags & MSG_TRUNC))
			break;
		/* larger than 64 KiB: nothing we accept; count it as a bad packet */
		r = 0;
		break;
	}
	memset(m, 0, sizeof(*m));
	cmsg_daddr(&mh, m);
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO)
			memcpy(&seg, CMSG_DATA(c), sizeof(seg));
	if (s->kind == SOCK_UDP4) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&from;
		m->family = AF_INET;
		memcpy(m->saddr, &sin->sin_addr, 4);
		m->sport = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&from;
		m->family = AF_INET6;
		memcpy(m->saddr, &sin6->sin6_addr, 16);
		m->sport = ntohs(sin6->sin6_port);
	}
	m->udp_encap = 1;
	m->dport = s->port;
	s->gro_len = (uint32_t)r;
	s->gro_off = 0;
	s->gro_seg = (seg > 0 && seg < r) ? (uint16_t)seg : 0;
	if (s->gro_seg)
		s->gro_trains++;
	return 1;
}

/* sock_recv_batch for a UDP GRO socket: hand out the segments of the
 * trains one per buffer (a datagram without a train is one segment). */
static int recv_gro(struct sock *s, struct pkt **pkts, unsigned n)
{
	unsigned got = 0;
	int r;

	while (got < n) {
		struct pkt *p = pkts[got];
		uint32_t len, room;

		if (s->gro_off >= s->gro_len) {
			r = gro_fill(s);
			if (r <= 0)
				return got ? (int)got : r;
			if (s->gro_len == 0) {           /* truncated: an empty packet */
				pkt_reset(p);
				p->meta = s->gro_meta;
				got++;
				continue;
			}
		}
		len = s->gro_len - s->gro_off;
		if (s->gro_seg && len > s->gro_seg)
			len = s->gro_seg;
		pkt_reset(p);
		p->meta = s->gro_meta;
		room = p->cap - p->off - (PKT_TAILROOM < p->cap - p->off ? PKT_TAILROOM : 0);
		if (len <= room) {
			memcpy(pkt_data(p), s->gro_buf + s->gro_off, len);
			p->len = len;
		} else if (big_wanted(s, s->gro_buf + s->gro_off, len)) {
			/* too large for p (a big IKE message): into the socket's
			 * own buffer, and the batch ends here so that the caller
			 * takes it (sock_recv_big) before another can come */
			pkt_reset(&s->big);
			memcpy(pkt_data(&s->big), s->gro_buf + s->gro_off, len);
			s->big.len = len;
			s->big.meta = s->gro_meta;
			s->big_ready = true;
			s->big_pkts++;
			if (s->gro_seg)
				s->gro_pkts++;
			s->gro_off += len;
			s->rx_pkts++;
			return (int)got;
		}                                     /* else: len 0, counted as bad */
		if (s->gro_seg)
			s->gro_pkts++;
		s->gro_off += len;
		s->rx_pkts++;
		got++;
	}
	return (int)got;
}

/* After a recvmmsg with big datagrams on (sock_udp_enable_big): each of
 * pkts[0..r) whose datagram ran past its buffer (room[i]) into the shared
 * overflow at big_buf + PKT_HEADROOM + room[i]. Only the last of them is
 * whole (each later one overwrote the overflow): it becomes s->big, the
 * earlier ones are counted lost; both leave the batch, moved behind the
 * packets returned. Returns the new count. */
static int take_big(struct sock *s, struct pkt **pkts, int r, const uint32_t *room)
{
	struct pkt *keep[SOCK_BATCH], *out[SOCK_BATCH];
	int i, last = -1;
	unsigned k = 0, o = 0;

	for (i = 0; i < r; i++)
		if (pkts[i]->len > room[i])
			last = i;
	if (last < 0)
		return r;
	for (i = 0; i < r; i++) {
		struct pkt *p = pkts[i];

		if (p->len <= room[i]) {
			keep[k++] = p;
		} else if (i < last) {
			s->big_lost++;
			out[o++] = p;
		} else if (big_wanted(s, pkt_data(p), p->len)) {
			pkt_reset(&s->big);
			memcpy(pkt_data(&s->big), pkt_data(p), room[i]);   /* the rest is there */
			s->big.len = p->len;
			s->big.meta = p->meta;
			s->big_ready = true;
			s->big_pkts++;
			out[o++] = p;
		} else {
			p->len = 0;            /* not one we take whole: counted as bad */
			keep[k++] = p;
		}
	}
	memcpy(pkts, keep, k * sizeof(*pkts));
	memcpy(pkts + k, out, o * sizeof(*pkts));
	return (int)k;
}

int sock_recv_batch(struct sock *s, struct pkt **pkts, unsigned n)
{
	struct mmsghdr mm[SOCK_BATCH];
	struct iovec iov[SOCK_BATCH][2];
	uint32_t room[SOCK_BATCH];
	struct sockaddr_storage from[SOCK_BATCH];
	union { char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))]; struct cmsghdr align; }
		cbuf[SOCK_BATCH];
	int r, i;
	int family = (s->kind == SOCK_UDP4 || s->kind == SOCK_RAW4) ? AF_INET : AF_INET6;

	if (n > SOCK_BATCH)
		n = SOCK_BATCH;
	s->big_ready = false;        /* the last one's time is over */
	if (s->gro)
		return recv_gro(s, pkts, n);
	memset(mm, 0, sizeof(mm[0]) * n);
	for (i = 0; i < (int)n; i++) {
		struct pkt *p = pkts[i];
		pkt_reset(p);
		room[i] = p->cap - p->off - (PKT_TAILROOM < p->cap - p->off ? PKT_TAILROOM : 0);
		iov[i][0].iov_base = pkt_data(p);
		iov[i][0].iov_len = room[i];
		mm[i].msg_hdr.msg_iov = iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		if (s->big_mode && room[i] < SOCK_BIG_MAX) {
			/* the overflow, shared by the batch (take_big) */
			iov[i][1].iov_base = s->big_buf + PKT_HEADROOM + room[i];
			iov[i][1].iov_len = SOCK_BIG_MAX - room[i];
			mm[i].msg_hdr.msg_iovlen = 2;
		}
		mm[i].msg_hdr.msg_name = &from[i];
		mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
		mm[i].msg_hdr.msg_control = cbuf[i].buf;
		mm[i].msg_hdr.msg_controllen = sizeof(cbuf[i].buf);
	}
	r = recvmmsg(s->fd, mm, n, MSG_DONTWAIT, NULL);
	s->rx_calls++;
	if (r > 0)
		s->rx_pkts += (unsigned)r;
	if (r < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
	for (i = 0; i < r; i++) {
		struct pkt *p = pkts[i];
		struct pkt_meta *m = &p->meta;

		memset(m, 0, sizeof(*m));
		m->family = (uint8_t)family;
		p->len = mm[i].msg_len;
		if (mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
			p->len = 0;    /* larger than any packet we accept */
			continue;
		}
		cmsg_daddr(&mm[i].msg_hdr, m);
		if (family == AF_INET) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)&from[i];
			memcpy(m->saddr, &sin->sin_addr, 4);
			m->sport = ntohs(sin->sin_port);
		} else {
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&from[i];
			memcpy(m->saddr, &sin6->sin6_addr, 16);
			m->sport = ntohs(sin6->sin6_port);
		}
		if (s->kind == SOCK_UDP4 || s->kind == SOCK_UDP6) {
			m->udp_encap = 1;
			m->dport = s->port;
		} else {
			m->sport = 0;
			if (s->kind == SOCK_RAW4)
				raw4_strip(p);
		}
	}
	if (s->big_mode)
		r = take_big(s, pkts, r, room);
	return r;
}

/* Can pkts a and b go in one UDP GSO train? Same destination, source and
 * port; the train's segment size is a's length. */
static bool same_flow(const struct pkt *a, const struct pkt *b)
{
	return a->meta.dport == b->meta.dport &&
	       memcmp(a->meta.daddr, b->meta.daddr, 16) == 0 &&
	       memcmp(a->meta.saddr, b->meta.saddr, 16) == 0;
}

/* Set the PKTINFO source (if m->saddr is set) and, for a train of more than
 * one datagram, UDP_SEGMENT, in mh's control buffer. */
static void fill_cmsg(struct msghdr *mh, char *cbuf, const struct pkt_meta *m, int family,
                      uint16_t gso_size)
{
	static const uint8_t zero[16];
	struct cmsghdr *c;
	size_t used = 0;

	mh->msg_control = cbuf;
	mh->msg_controllen = SOCK_CBUF_TX;
	c = CMSG_FIRSTHDR(mh);
	if (memcmp(m->saddr, zero, family == AF_INET ? 4 : 16) != 0) {
		if (family == AF_INET) {
			struct in_pktinfo pi;
			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi_spec_dst, m->saddr, 4);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			used += CMSG_SPACE(sizeof(pi));
		} else {
			struct in6_pktinfo pi;
			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi6_addr, m->saddr, 16);
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			used += CMSG_SPACE(sizeof(pi));
		}
		c = (struct cmsghdr *)(void *)(cbuf + used);
	}
	if (gso_size) {
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		memcpy(CMSG_DATA(c), &gso_size, sizeof(gso_size));
		used += CMSG_SPACE(sizeof(uint16_t));
	}
	mh->msg_controllen = used;
	if (!used)
		mh->msg_control = NULL;
}

static int send_batch(struct sock *s, struct pkt **pkts, unsigned n, bool trains)
{
	struct mmsghdr mm[SOCK_BATCH];
	struct iovec iov[SOCK_BATCH];
	struct sockaddr_storage to[SOCK_BATCH];
	union { char buf[SOCK_CBUF_TX]; struct cmsghdr align; } cbuf[SOCK_BATCH];
	unsigned first[SOCK_BATCH], count[SOCK_BATCH];
	unsigned i, nm = 0, sent = 0, ok = 0;
	int r;
	int family = (s->kind == SOCK_UDP4 || s->kind == SOCK_RAW4) ? AF_INET : AF_INET6;
	bool udp = s->kind == SOCK_UDP4 || s->kind == SOCK_UDP6;

	if (n > SOCK_BATCH)
		n = SOCK_BATCH;
	for (i = 0; i < n; nm++) {
		const struct pkt_meta *m = &pkts[i]->meta;
		struct msghdr *mh = &mm[nm].msg_hdr;
		unsigned k = 1;
		size_t total = pkts[i]->len;

		/* A UDP GSO train: equal lengths, the last may be shorter
		 * (Linux __udp_gso_segment cuts it that way). */
		if (udp && s->gso && trains) {
			while (i + k < n && k < SOCK_GSO_SEGS && pkts[i + k - 1]->len == pkts[i]->len &&
			       pkts[i + k]->len <= pkts[i]->len && pkts[i + k]->len > 0 &&
			       total + pkts[i + k]->len <= SOCK_GSO_BYTES && same_flow(pkts[i], pkts[i + k])) {
				total += pkts[i + k]->len;
				k++;
			}
		}
		memset(mh, 0, sizeof(*mh));
		first[nm] = i;
		count[nm] = k;
		for (unsigned j = 0; j < k; j++) {
			iov[i + j].iov_base = pkt_data(pkts[i + j]);
			iov[i + j].iov_len = pkts[i + j]->len;
		}
		mh->msg_iov = &iov[i];
		mh->msg_iovlen = k;
		memset(&to[nm], 0, sizeof(to[nm]));
		mh->msg_name = &to[nm];
		if (family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&to[nm];
			sin->sin_family = AF_INET;
			/* raw sockets take the protocol in the port field: must be 0 */
			sin->sin_port = udp ? htons(m->dport) : 0;
			memcpy(&sin->sin_addr, m->daddr, 4);
			mh->msg_namelen = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to[nm];
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = udp ? htons(m->dport) : 0;
			memcpy(&sin6->sin6_addr, m->daddr, 16);
			mh->msg_namelen = sizeof(*sin6);
		}
		fill_cmsg(mh, cbuf[nm].buf, m, family, k > 1 ? (uint16_t)pkts[i]->len : 0);
		i += k;
	}
	while (sent < nm) {
		r = sendmmsg(s->fd, mm + sent, nm - sent, MSG_DONTWAIT);
		s->tx_calls++;
		if (r < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			if (count[sent] > 1) {
				/* The kernel refused the train (no checksum offload on
				 * the way out, an old kernel): stop using GSO on this
				 * socket and send its datagrams one by one. */
				s->gso = false;
				s->gso_fallbacks++;
				r = send_batch(s, pkts + first[sent], count[sent], false);
				if (r > 0) {
					ok += (unsigned)r;
					s->tx_pkts -= (unsigned)r;   /* counted below */
				}
				sent++;
				continue;
			}
			/* This message failed (no route, buffer full, ...): skip it. */
			s->tx_errors++;
			sent++;
			continue;
		}
		if (r == 0)
			break;
		for (int j = 0; j < r; j++) {
			unsigned c = count[sent + (unsigned)j];

			ok += c;
			if (c > 1) {
				s->gso_sends++;
				s->gso_pkts += c;
			}
		}
		sent += (unsigned)r;
	}
	s->tx_pkts += ok;
	return (int)ok;
}

int sock_send_batch(struct sock *s, struct pkt **pkts, unsigned n)
{
	return send_batch(s, pkts, n, true);
}

int sock_send_each(struct sock *s, struct pkt **pkts, unsigned n)
{
	return send_batch(s, pkts, n, false);
}
