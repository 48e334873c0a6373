/* UDP and raw ESP sockets with batched receive and send. See sock.h.
 *
 * Destination addresses come from IP_PKTINFO/IPV6_PKTINFO (the SAD is keyed
 * by destination address); source addresses are set the same way on send,
 * so replies leave from the address the state names. */
#include "io/sock.h"
#include "util/bytes.h"

#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SOCK_BUF_BYTES (4 * 1024 * 1024)
#define SOCK_BATCH 64

static void set_bufs(int fd)
{
	int sz = SOCK_BUF_BYTES;

	/* FORCE variants need CAP_NET_ADMIN (we have it at start); fall back. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

static int set_pktinfo(int fd, int family)
{
	int one = 1;

	if (family == AF_INET)
		return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
}

int sock_udp_open(struct sock *s, int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, r;

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

	s->kind = family == AF_INET ? SOCK_RAW4 : SOCK_RAW6;
	s->port = 0;
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

void sock_close(struct sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
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

int sock_recv_batch(struct sock *s, struct pkt **pkts, unsigned n)
{
	struct mmsghdr mm[SOCK_BATCH];
	struct iovec iov[SOCK_BATCH];
	struct sockaddr_storage from[SOCK_BATCH];
	union { char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))]; struct cmsghdr align; }
		cbuf[SOCK_BATCH];
	int r, i;
	int family = (s->kind == SOCK_UDP4 || s->kind == SOCK_RAW4) ? AF_INET : AF_INET6;

	if (n > SOCK_BATCH)
		n = SOCK_BATCH;
	memset(mm, 0, sizeof(mm[0]) * n);
	for (i = 0; i < (int)n; i++) {
		struct pkt *p = pkts[i];
		pkt_reset(p);
		iov[i].iov_base = pkt_data(p);
		iov[i].iov_len = p->cap - p->off - (PKT_TAILROOM < p->cap - p->off ? PKT_TAILROOM : 0);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = &from[i];
		mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
		mm[i].msg_hdr.msg_control = cbuf[i].buf;
		mm[i].msg_hdr.msg_controllen = sizeof(cbuf[i].buf);
	}
	r = recvmmsg(s->fd, mm, n, MSG_DONTWAIT, NULL);
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
	return r;
}

int sock_send_batch(struct sock *s, struct pkt **pkts, unsigned n)
{
	struct mmsghdr mm[SOCK_BATCH];
	struct iovec iov[SOCK_BATCH];
	struct sockaddr_storage to[SOCK_BATCH];
	union { char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))]; struct cmsghdr align; }
		cbuf[SOCK_BATCH];
	unsigned i, sent = 0, ok = 0;
	int r;
	int family = (s->kind == SOCK_UDP4 || s->kind == SOCK_RAW4) ? AF_INET : AF_INET6;
	bool udp = s->kind == SOCK_UDP4 || s->kind == SOCK_UDP6;

	if (n > SOCK_BATCH)
		n = SOCK_BATCH;
	memset(mm, 0, sizeof(mm[0]) * n);
	for (i = 0; i < n; i++) {
		const struct pkt_meta *m = &pkts[i]->meta;
		struct msghdr *mh = &mm[i].msg_hdr;
		struct cmsghdr *c;
		static const uint8_t zero[16];

		iov[i].iov_base = pkt_data(pkts[i]);
		iov[i].iov_len = pkts[i]->len;
		mh->msg_iov = &iov[i];
		mh->msg_iovlen = 1;
		memset(&to[i], 0, sizeof(to[i]));
		mh->msg_name = &to[i];
		if (family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&to[i];
			sin->sin_family = AF_INET;
			/* raw sockets take the protocol in the port field: must be 0 */
			sin->sin_port = udp ? htons(m->dport) : 0;
			memcpy(&sin->sin_addr, m->daddr, 4);
			mh->msg_namelen = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to[i];
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = udp ? htons(m->dport) : 0;
			memcpy(&sin6->sin6_addr, m->daddr, 16);
			mh->msg_namelen = sizeof(*sin6);
		}
		if (memcmp(m->saddr, zero, family == AF_INET ? 4 : 16) == 0)
			continue;
		mh->msg_control = cbuf[i].buf;
		if (family == AF_INET) {
			struct in_pktinfo pi;
			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi_spec_dst, m->saddr, 4);
			mh->msg_controllen = CMSG_SPACE(sizeof(pi));
			c = CMSG_FIRSTHDR(mh);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		} else {
			struct in6_pktinfo pi;
			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi6_addr, m->saddr, 16);
			mh->msg_controllen = CMSG_SPACE(sizeof(pi));
			c = CMSG_FIRSTHDR(mh);
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		}
	}
	while (sent < n) {
		r = sendmmsg(s->fd, mm + sent, n - sent, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* This message failed (no route, buffer full, ...): skip it. */
			sent++;
			continue;
		}
		if (r == 0)
			break;
		sent += (unsigned)r;
		ok += (unsigned)r;
	}
	return (int)ok;
}
