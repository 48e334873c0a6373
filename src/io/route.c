/* rtnetlink routes via the TUN device. See route.h. */
#include "io/route.h"
#include "util/log.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct route_ent {
	struct route_ent *next;
	struct ip_addr prefix;
	uint8_t len;
	unsigned refs;
};

struct route_table {
	int ifindex;
	unsigned count;
	struct route_ent *head;
};

static void nl_attr(struct nlmsghdr *n, size_t max, int type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	if (NLMSG_ALIGN(n->nlmsg_len) + RTA_SPACE(len) > max)
		abort();   /* our own bug: the request buffer is sized for these */
	rta->rta_type = (unsigned short)type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_SPACE(len);
}

int route_netlink(bool add, int ifindex, const struct ip_addr *prefix, uint8_t len)
{
	struct {
		struct nlmsghdr n;
		struct rtmsg r;
		char attrs[128];
	} req;
	char ans[1024];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlmsghdr *h;
	ssize_t got;
	int fd, r = 0, oif = ifindex;

	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.n.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	req.n.nlmsg_seq = 1;
	req.r.rtm_family = prefix->family;
	req.r.rtm_dst_len = len;
	req.r.rtm_table = RT_TABLE_MAIN;
	req.r.rtm_protocol = RTPROT_STATIC;
	req.r.rtm_scope = RT_SCOPE_LINK;
	req.r.rtm_type = RTN_UNICAST;
	nl_attr(&req.n, sizeof(req), RTA_DST, prefix->a, ip_addr_len(prefix));
	nl_attr(&req.n, sizeof(req), RTA_OIF, &oif, sizeof(oif));

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, req.n.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	got = recv(fd, ans, sizeof(ans), 0);
	if (got < 0) {
		r = -errno;
		goto out;
	}
	for (h = (struct nlmsghdr *)ans; NLMSG_OK(h, (size_t)got); h = NLMSG_NEXT(h, got)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr e;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(e))) {
				r = -EPROTO;
				break;
			}
			memcpy(&e, NLMSG_DATA(h), sizeof(e));
			r = e.error;   /* 0 is the ACK */
			break;
		}
	}
out:
	close(fd);
	return r;
}

struct route_table *route_table_new(int ifindex)
{
	struct route_table *rt = calloc(1, sizeof(*rt));

	if (rt)
		rt->ifindex = ifindex;
	return rt;
}

static struct route_ent **find(struct route_table *rt, const struct ip_addr *prefix, uint8_t len)
{
	struct route_ent **pp;

	for (pp = &rt->head; *pp; pp = &(*pp)->next)
		if ((*pp)->len == len && ip_addr_equal(&(*pp)->prefix, prefix))
			return pp;
	return NULL;
}

int route_table_add(struct route_table *rt, const struct ip_addr *prefix, uint8_t len)
{
	struct route_ent **pp = find(rt, prefix, len), *e;
	char buf[IP_ADDR_STRLEN];
	int r;

	if (pp) {
		(*pp)->refs++;
		return 0;
	}
	r = route_netlink(true, rt->ifindex, prefix, len);
	if (r < 0) {
		log_warn("route: add %s/%u: %s", ip_addr_fmt(prefix, buf), len, strerror(-r));
		return r;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		route_netlink(false, rt->ifindex, prefix, len);
		return -ENOMEM;
	}
	e->prefix = *prefix;
	e->len = len;
	e->refs = 1;
	e->next = rt->head;
	rt->head = e;
	rt->count++;
	log_info("route: %s/%u via interface %d added", ip_addr_fmt(prefix, buf), len, rt->ifindex);
	return 0;
}

int route_table_del(struct route_table *rt, const struct ip_addr *prefix, uint8_t len)
{
	struct route_ent **pp = find(rt, prefix, len), *e;
	char buf[IP_ADDR_STRLEN];
	int r;

	if (!pp)
		return -ENOENT;
	e = *pp;
	if (--e->refs)
		return 0;
	*pp = e->next;
	rt->count--;
	r = route_netlink(false, rt->ifindex, prefix, len);
	if (r < 0 && r != -ESRCH)
		log_warn("route: delete %s/%u: %s", ip_addr_fmt(prefix, buf), len, strerror(-r));
	else
		log_info("route: %s/%u removed", ip_addr_fmt(prefix, buf), len);
	free(e);
	return 0;
}

unsigned route_table_count(const struct route_table *rt)
{
	return rt->count;
}

void route_table_free(struct route_table *rt)
{
	struct route_ent *e, *n;
	char buf[IP_ADDR_STRLEN];

	if (!rt)
		return;
	for (e = rt->head; e; e = n) {
		n = e->next;
		if (route_netlink(false, rt->ifindex, &e->prefix, e->len) == 0)
			log_info("route: %s/%u removed", ip_addr_fmt(&e->prefix, buf), e->len);
		free(e);
	}
	free(rt);
}
