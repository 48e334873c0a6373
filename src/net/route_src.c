/* The source address the kernel would use to reach a destination: connect
 * a UDP socket (no packet is sent) and read its local address back, the way
 * charon picks one for an initiator without local_addrs. Runs in the
 * calling thread's network namespace. */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/addr.h"

int ip_route_src(const struct ip_addr *dst, struct ip_addr *src)
{
	return ip_route_src_mark(dst, 0, src);
}

int ip_route_src_mark(const struct ip_addr *dst, uint32_t mark, struct ip_addr *src)
{
	struct sockaddr_storage ss, me;
	socklen_t sl, ml = sizeof(me);
	uint16_t port;
	int fd, rc = 0;

	if (!dst || !src || (dst->family != AF_INET && dst->family != AF_INET6) ||
	    ip_addr_is_zero(dst))
		return -EINVAL;
	fd = socket(dst->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* as the daemon's own IKE packets will be routed (best effort: without
	 * CAP_NET_ADMIN the lookup is the unmarked one) */
	if (mark) {
		unsigned int m = mark;
		(void)setsockopt(fd, SOL_SOCKET, SO_MARK, &m, sizeof(m));
	}
	/* the port only has to be nonzero for connect() */
	ip_addr_to_sockaddr(dst, 500, &ss, &sl);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    getsockname(fd, (struct sockaddr *)&me, &ml) < 0)
		rc = -errno;
	else if (me.ss_family != dst->family)
		rc = -EAFNOSUPPORT;
	else
		ip_addr_from_sockaddr(src, &port, (struct sockaddr *)&me);
	close(fd);
	if (!rc && ip_addr_is_zero(src))
		rc = -ENETUNREACH;
	return rc;
}
