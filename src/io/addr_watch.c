/* rtnetlink address and route events for MOBIKE roaming (see
 * addr_watch.h). Runs on the control loop. */
#include "io/addr_watch.h"
#include "io/nl.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int addr_watch_open(void)
{
	struct sockaddr_nl sa;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE |
	               RTMGRP_IPV6_ROUTE;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

unsigned addr_watch_count(const void *buf, size_t len)
{
	unsigned n = 0;

	/* NLMSG_OK checks each header's length against what remains */
	for (const struct nlmsghdr *h = buf; h && NLMSG_OK(h, len); h = nl_next(h, &len))
		switch (h->nlmsg_type) {
		case RTM_NEWADDR:
		case RTM_DELADDR:
		case RTM_NEWROUTE:
		case RTM_DELROUTE:
			n++;
			break;
		default:
			break;
		}
	return n;
}

unsigned addr_watch_drain(int fd)
{
	/* netlink messages are aligned to 4 bytes: so is the buffer */
	union {
		struct nlmsghdr h;
		char b[8192];
	} buf;
	unsigned n = 0;

	for (;;) {
		ssize_t r = recv(fd, buf.b, sizeof(buf.b), 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				n++;       /* events were lost: look again */
				continue;
			}
			break;         /* EAGAIN: all read */
		}
		if (r == 0)
			break;
		n += addr_watch_count(buf.b, (size_t)r);
	}
	return n;
}
