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


int route_link_name_parse(const void *buf, size_t len, char *name, size_t size)
{
	const struct nlmsghdr *h = buf;

	if (len < sizeof(struct nlmsghdr) || !NLMSG_OK(h, len) || h->nlmsg_type != RTM_NEWLINK ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return -EBADMSG;
	{
		const struct ifinfomsg *im = NLMSG_DATA(h);
		const struct rtattr *a = IFLA_RTA(im);
		int left = (int)IFLA_PAYLOAD(h);

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

int route_answer_parse(const void *buf, size_t len, int family, struct route_answer *out,
                       int *oif_index)
{
	const struct nlmsghdr *h = buf;
	size_t alen = family == AF_INET ? 4 : 16;

	memset(out, 0, sizeof(*out));
	*oif_index = -1;
	if (len < sizeof(struct nlmsghdr) || !NLMSG_OK(h, len))
		return -EBADMSG;
	if (h->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr e;

		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(e)))
			return -EBADMSG;
		memcpy(&e, NLMSG_DATA(h), sizeof(e));
		/* the kernel sends -errno; anything else (0 is an ACK, not a
		 * route; positive or beyond MAX_ERRNO) is malformed */
		return e.error < 0 && e.error >= -4095 ? e.error : -EBADMSG;
	}
	if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
		return -EBADMSG;
	{
		const struct rtmsg *rm = NLMSG_DATA(h);
		const struct rtattr *a = RTM_RTA(rm);
		int left = (int)RTM_PAYLOAD(h);

		out->type = rm->rtm_type;
		for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
			size_t dl = RTA_PAYLOAD(a);
			if (a->rta_type == RTA_OIF && dl >= sizeof(int)) {
				memcpy(oif_index, RTA_DATA(a), sizeof(*oif_index));
			} else if (a->rta_type == RTA_GATEWAY && dl == alen) {
				ip_addr_from_bytes(&out->gateway, family, RTA_DATA(a));
				out->has_gateway = true;
			} else if (a->rta_type == RTA_PREFSRC && dl == alen) {
				ip_addr_from_bytes(&out->prefsrc, family, RTA_DATA(a));
				out->has_prefsrc = true;
			}
		}
	}
	return 0;
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
	return route_link_name_parse(ans.buf, (size_t)n, name, size);
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
	int fd, idx, r = 0;
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
	r = route_answer_parse(ans.buf, (size_t)n, dst->family, out, &idx);
	if (r == 0 && idx >= 0 && link_name(fd, idx, out->oif, sizeof(out->oif)) < 0)
		snprintf(out->oif, sizeof(out->oif), "if%d", idx);
out:
	close(fd);
	return r;
}
