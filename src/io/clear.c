/* Raw sockets for packets sent in clear. See clear.h. */
#include "io/clear.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36   /* linux/in6.h, Linux 4.5 */
#endif

int io_set_mark(int fd, uint32_t mark)
{
	unsigned int m = mark;

	return setsockopt(fd, SOL_SOCKET, SO_MARK, &m, sizeof(m)) < 0 ? -errno : 0;
}

static int open_one(int family, uint32_t mark)
{
	int fd, one = 1, r;

	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return -errno;
	/* IPPROTO_RAW implies the header comes with the data; IPv6 says so
	 * explicitly where the kernel knows the option */
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof(one)) < 0 && errno != ENOPROTOOPT) {
		r = -errno;
		goto fail;
	}
	r = io_set_mark(fd, mark);
	if (r < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return r;
}

int clear_open(struct clear_sock *c, uint32_t mark)
{
	int fd;

	c->fd4 = c->fd6 = -1;
	fd = open_one(AF_INET, mark);
	if (fd < 0)
		return fd;
	c->fd4 = fd;
	fd = open_one(AF_INET6, mark);
	if (fd >= 0)
		c->fd6 = fd;
	return 0;
}

void clear_close(struct clear_sock *c)
{
	if (c->fd4 >= 0)
		close(c->fd4);
	if (c->fd6 >= 0)
		close(c->fd6);
	c->fd4 = c->fd6 = -1;
}

int clear_dest(const uint8_t *pkt, size_t len, int *family, uint8_t dst[16])
{
	if (len >= 20 && pkt[0] >> 4 == 4 && (size_t)(pkt[0] & 0x0f) * 4 >= 20 &&
	    (size_t)(pkt[0] & 0x0f) * 4 <= len) {
		*family = AF_INET;
		memset(dst, 0, 16);
		memcpy(dst, pkt + 16, 4);
		return 0;
	}
	if (len >= 40 && pkt[0] >> 4 == 6) {
		*family = AF_INET6;
		memcpy(dst, pkt + 24, 16);
		return 0;
	}
	return -EINVAL;
}

int clear_send(struct clear_sock *c, const uint8_t *pkt, size_t len)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	uint8_t dst[16];
	int family, r;
	ssize_t n;

	r = clear_dest(pkt, len, &family, dst);
	if (r < 0)
		return r;
	if (family == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, dst, 4);
		n = c->fd4 < 0 ? (errno = EAFNOSUPPORT, -1) :
		    sendto(c->fd4, pkt, len, 0, (struct sockaddr *)&sin, sizeof(sin));
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, dst, 16);
		n = c->fd6 < 0 ? (errno = EAFNOSUPPORT, -1) :
		    sendto(c->fd6, pkt, len, 0, (struct sockaddr *)&sin6, sizeof(sin6));
	}
	return n < 0 ? -errno : 0;
}
