/* RTM_GETROUTE: see route_get.h. One request, one answer, blocking; the
 * socket lives for the call only. */
#define LOG_SUBSYS LOG_SUB_KNL   /* log lines: route lookups: the kernel interface */
#include "io/route_get.h"

#include <errno.h>
#include <stdio.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static void add_attr(struct nlmsghdr *n, unsigned short type, const void *d, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), d, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

const char *route_type_name(unsigned char type)
{
	switch (type) {
	case RTN_UNICAST: return "unicast";
	case RTN_LOCAL: return "local";
	case RTN_BROADCAST: return "broadcast";
	case RTN_MULTICAST: return "multicast";
	case RTN_BLACKHOLE: return "blackhole";
	case RTN_UNREACHABLE: return "unreachable";
	case RTN_PROHIBIT: return "prohibit";
	case RTN_THROW: return "throw";
	}
	return "other";
}


/* The name of interface idx, asked over the same netlink socket
 * (RTM_GETLINK, IFLA_IFNAME) rather than with if_indextoname(): that
 * opens a UNIX socket and makes an ioctl, neither of which uipsecd's
 * seccomp filter allows after start-up (cmd/uipsecd/sandbox.c). */
static int link_name(int fd, int idx, char *name, size_t size)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct { struct nlmsghdr n; struct ifinfomsg i; } req;
	union { struct nlmsghdr n; char buf[4096]; } ans;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.n.nlmsg_type = RTM_GETLINK;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.n.nlmsg_seq = 2;
	req.i.ifi_family = AF_UNSPEC;
	req.i.ifi_index = idx;
	if (sendto(fd, &req, req.n.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	n = recv(fd, &ans, sizeof(ans), 0);
	if (n < 0)
		return -errno;
	if ((size_t)n < sizeof(struct nlmsghdr) || !NLMSG_OK(&ans.n, (unsigned)n) ||
	    ans.n.nlmsg_type != RTM_NEWLINK || ans.n.nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return -EBADMSG;
	{
		struct ifinfomsg *im = NLMSG_DATA(&ans.n);
		struct rtattr *a = IFLA_RTA(im);
		int left = (int)IFLA_PAYLOAD(&ans.n);

		for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
			size_t dl = RTA_PAYLOAD(a);

			if (a->rta_type == IFLA_IFNAME && dl > 0 && dl <= size) {
				memcpy(name, RTA_DATA(a), dl);
				name[dl - 1] = '\0';
				return 0;
			}
		}
	}
	return -ENOENT;
}

int route_get(const struct ip_addr *dst, const struct ip_addr *src, struct route_answer *out)
{
	struct {
		struct nlmsghdr n;
		struct rtmsg r;
		char buf[256];
	} req;
	union {
		struct nlmsghdr n;
		char buf[8192];
	} ans;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 2 };
	size_t alen = dst->family == AF_INET ? 4 : 16;
	int fd, r = 0;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	if (dst->family != AF_INET && dst->family != AF_INET6)
		return -EAFNOSUPPORT;
	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.n.nlmsg_type = RTM_GETROUTE;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.n.nlmsg_seq = 1;
	req.r.rtm_family = dst->family;
	req.r.rtm_dst_len = (unsigned char)(alen * 8);
	add_attr(&req.n, RTA_DST, dst->a, alen);
	if (src && src->family == dst->family) {
		req.r.rtm_src_len = (unsigned char)(alen * 8);
		add_attr(&req.n, RTA_SRC, src->a, alen);
	}

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, &req, req.n.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	n = recv(fd, &ans, sizeof(ans), 0);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	if ((size_t)n < sizeof(struct nlmsghdr) || !NLMSG_OK(&ans.n, (unsigned)n)) {
		r = -EBADMSG;
		goto out;
	}
	if (ans.n.nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(&ans.n);
		r = ans.n.nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error ? e->error : -EBADMSG;
		goto out;
	}
	if (ans.n.nlmsg_type != RTM_NEWROUTE ||
	    ans.n.nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg))) {
		r = -EBADMSG;
		goto out;
	}
	{
		struct rtmsg *rm = NLMSG_DATA(&ans.n);
		struct rtattr *a = RTM_RTA(rm);
		int left = (int)RTM_PAYLOAD(&ans.n);

		out->type = rm->rtm_type;
		for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
			size_t dl = RTA_PAYLOAD(a);
			if (a->rta_type == RTA_OIF && dl >= sizeof(int)) {
				int idx;
				memcpy(&idx, RTA_DATA(a), sizeof(idx));
				if (link_name(fd, idx, out->oif, sizeof(out->oif)) < 0)
					snprintf(out->oif, sizeof(out->oif), "if%d", idx);
			} else if (a->rta_type == RTA_GATEWAY && dl == alen) {
				ip_addr_from_bytes(&out->gateway, dst->family, RTA_DATA(a));
				out->has_gateway = true;
			} else if (a->rta_type == RTA_PREFSRC && dl == alen) {
				ip_addr_from_bytes(&out->prefsrc, dst->family, RTA_DATA(a));
				out->has_prefsrc = true;
			}
		}
	}
out:
	close(fd);
	return r;
}
