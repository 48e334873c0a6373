/* rtnetlink routes via the TUN device and the policy routing rule that
 * leads to them. See route.h. */
#define LOG_SUBSYS LOG_SUB_KNL   /* log lines: routes and rules: the kernel interface */
#include "io/route.h"
#include "io/nl.h"
#include "util/log.h"

#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
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

/* The routes by prefix and length, hashed (chains; the table doubles
 * when it holds as many routes as it has buckets): a gateway with many
 * CHILD SAs adds one route for each, and a list walk per add made setting
 * up 10,000 of them quadratic. */
struct route_table {
	int ifindex;
	uint32_t table;
	unsigned count;
	unsigned nbuckets;               /* 0 or a power of two */
	struct route_ent **bucket;
};

static unsigned ent_hash(const struct ip_addr *prefix, uint8_t len)
{
	uint32_t h = 2166136261u ^ len;

	for (size_t i = 0; i < ip_addr_len(prefix); i++)
		h = (h ^ prefix->a[i]) * 16777619u;
	return h ^ (h >> 16);
}

/* Room for one more route; false if out of memory (the table keeps
 * working with longer chains). */
static bool grow(struct route_table *rt)
{
	unsigned n = rt->nbuckets ? rt->nbuckets * 2 : 16;
	struct route_ent **b;

	if (rt->count < rt->nbuckets)
		return true;
	b = calloc(n, sizeof(*b));
	if (!b)
		return rt->nbuckets > 0;
	for (unsigned i = 0; i < rt->nbuckets; i++)
		for (struct route_ent *e = rt->bucket[i], *next; e; e = next) {
			unsigned k = ent_hash(&e->prefix, e->len) & (n - 1);
			next = e->next;
			e->next = b[k];
			b[k] = e;
		}
	free(rt->bucket);
	rt->bucket = b;
	rt->nbuckets = n;
	return true;
}

/* Append an attribute; false if it does not fit in max bytes. */
static bool nl_attr(struct nlmsghdr *n, size_t max, int type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	if (NLMSG_ALIGN(n->nlmsg_len) + RTA_SPACE(len) > max)
		return false;
	rta->rta_type = (unsigned short)type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_SPACE(len);
	return true;
}

/* Start a request in buf: the netlink header of an add (create, exclusive)
 * or delete of type add_type/del_type, and a zeroed family header of hdr
 * bytes, which is returned; NULL if size cannot hold both. */
static void *nl_begin(void *buf, size_t size, size_t hdr, uint16_t add_type, uint16_t del_type,
                      bool add)
{
	struct nlmsghdr *n = buf;

	if (size < NLMSG_LENGTH(hdr))
		return NULL;
	memset(buf, 0, NLMSG_LENGTH(hdr));
	n->nlmsg_len = NLMSG_LENGTH(hdr);
	n->nlmsg_type = add ? add_type : del_type;
	n->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	n->nlmsg_seq = 1;
	return NLMSG_DATA(n);
}

size_t route_msg(void *buf, size_t size, bool add, int ifindex, uint32_t table,
                 const struct ip_addr *prefix, uint8_t len)
{
	struct nlmsghdr *n = buf;
	struct rtmsg *r;
	int oif = ifindex;

	r = nl_begin(buf, size, sizeof(*r), RTM_NEWROUTE, RTM_DELROUTE, add);
	if (!r)
		return 0;
	r->rtm_family = prefix->family;
	r->rtm_dst_len = len;
	/* rtm_table holds 8 bits; RTA_TABLE the full number */
	r->rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	r->rtm_protocol = RTPROT_STATIC;
	r->rtm_scope = RT_SCOPE_LINK;
	r->rtm_type = RTN_UNICAST;
	if (!nl_attr(n, size, RTA_TABLE, &table, sizeof(table)) ||
	    !nl_attr(n, size, RTA_DST, prefix->a, ip_addr_len(prefix)) ||
	    !nl_attr(n, size, RTA_OIF, &oif, sizeof(oif)))
		return 0;
	return n->nlmsg_len;
}

size_t route_rule_msg(void *buf, size_t size, bool add, const struct route_rule *rule)
{
	struct nlmsghdr *n = buf;
	struct fib_rule_hdr *f;
	uint32_t mask = 0xffffffffu;

	f = nl_begin(buf, size, sizeof(*f), RTM_NEWRULE, RTM_DELRULE, add);
	if (!f)
		return 0;
	f->family = (unsigned char)rule->family;
	f->table = rule->table < 256 ? (unsigned char)rule->table : RT_TABLE_UNSPEC;
	f->action = FR_ACT_TO_TBL;
	f->flags = FIB_RULE_INVERT;    /* "not fwmark" */
	if (!nl_attr(n, size, FRA_PRIORITY, &rule->prio, sizeof(rule->prio)) ||
	    !nl_attr(n, size, FRA_TABLE, &rule->table, sizeof(rule->table)) ||
	    !nl_attr(n, size, FRA_FWMARK, &rule->mark, sizeof(rule->mark)) ||
	    !nl_attr(n, size, FRA_FWMASK, &mask, sizeof(mask)))
		return 0;
	return n->nlmsg_len;
}

size_t route_addr_msg(void *buf, size_t size, bool add, int ifindex, const struct ip_addr *addr,
                      uint8_t plen)
{
	struct nlmsghdr *n = buf;
	struct ifaddrmsg *ifa;
	uint32_t flags = addr->family == AF_INET6 ? IFA_F_NODAD : 0;

	ifa = nl_begin(buf, size, sizeof(*ifa), RTM_NEWADDR, RTM_DELADDR, add);
	if (!ifa)
		return 0;
	ifa->ifa_family = addr->family;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_flags = (unsigned char)flags;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	if (!nl_attr(n, size, IFA_LOCAL, addr->a, ip_addr_len(addr)) ||
	    !nl_attr(n, size, IFA_ADDRESS, addr->a, ip_addr_len(addr)))
		return 0;
	return n->nlmsg_len;
}

static int nl_talk(const void *req, size_t len);

int route_addr_netlink(bool add, int ifindex, const struct ip_addr *addr, uint8_t plen)
{
	char req[256];
	size_t n = route_addr_msg(req, sizeof(req), add, ifindex, addr, plen);

	return n ? nl_talk(req, n) : -EINVAL;
}

int route_ack_parse(const void *buf, size_t len)
{
	const struct nlmsghdr *h;

	for (h = buf; h && NLMSG_OK(h, len); h = nl_next(h, &len)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr e;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(e)))
				break;
			memcpy(&e, NLMSG_DATA(h), sizeof(e));
			/* 0 is the ACK, -errno a refusal; a positive number or
			 * one beyond MAX_ERRNO is malformed, never success */
			return e.error <= 0 && e.error >= -4095 ? e.error : -EPROTO;
		}
	}
	return -EPROTO;
}

/* Send one request and wait for its ACK. 0 or -errno. */
static int nl_talk(const void *req, size_t len)
{
	/* aligned like struct nlmsghdr, since the answer is read as one */
	union {
		struct nlmsghdr h;
		char b[1024];
	} ans;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t got;
	int fd, r = -EPROTO;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, req, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	got = recv(fd, ans.b, sizeof(ans.b), 0);
	if (got < 0) {
		r = -errno;
		goto out;
	}
	r = route_ack_parse(ans.b, (size_t)got);
out:
	close(fd);
	return r;
}

int route_netlink_table(bool add, int ifindex, uint32_t table, const struct ip_addr *prefix,
                        uint8_t len)
{
	char req[256];
	size_t n = route_msg(req, sizeof(req), add, ifindex, table, prefix, len);

	return n ? nl_talk(req, n) : -EINVAL;
}

int route_netlink(bool add, int ifindex, const struct ip_addr *prefix, uint8_t len)
{
	return route_netlink_table(add, ifindex, RT_TABLE_MAIN, prefix, len);
}

int route_rule_netlink(bool add, const struct route_rule *rule)
{
	char req[256];
	size_t n = route_rule_msg(req, sizeof(req), add, rule);

	return n ? nl_talk(req, n) : -EINVAL;
}

static const char *fam_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

int route_rule_install(const struct route_rule *rule)
{
	int r, stale = 0;

	/* A daemon that died left its rule behind: drop every copy (bounded,
	 * in case the kernel keeps answering 0), then add ours. */
	while (stale < 64 && route_rule_netlink(false, rule) == 0)
		stale++;
	if (stale)
		log_info("rule: removed %d stale %s rule(s) pref %u", stale, fam_name(rule->family),
		         rule->prio);
	r = route_rule_netlink(true, rule);
	if (r < 0)
		log_warn("rule: add %s pref %u not fwmark 0x%x lookup %u: %s", fam_name(rule->family),
		         rule->prio, rule->mark, rule->table, strerror(-r));
	else
		log_info("rule: %s pref %u not fwmark 0x%x lookup %u added", fam_name(rule->family),
		         rule->prio, rule->mark, rule->table);
	return r;
}

int route_rule_remove(const struct route_rule *rule)
{
	int r, n = 0;

	while (n < 64 && (r = route_rule_netlink(false, rule)) == 0)
		n++;
	if (n)
		log_info("rule: %s pref %u lookup %u removed", fam_name(rule->family), rule->prio,
		         rule->table);
	return n ? 0 : r;
}

struct route_table *route_table_new_in(int ifindex, uint32_t table)
{
	struct route_table *rt = calloc(1, sizeof(*rt));

	if (rt) {
		rt->ifindex = ifindex;
		rt->table = table;
	}
	return rt;
}

struct route_table *route_table_new(int ifindex)
{
	return route_table_new_in(ifindex, RT_TABLE_MAIN);
}

static struct route_ent **find(struct route_table *rt, const struct ip_addr *prefix, uint8_t len)
{
	struct route_ent **pp;

	if (!rt->nbuckets)
		return NULL;
	for (pp = &rt->bucket[ent_hash(prefix, len) & (rt->nbuckets - 1)]; *pp; pp = &(*pp)->next)
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
	r = route_netlink_table(true, rt->ifindex, rt->table, prefix, len);
	if (r < 0) {
		log_warn("route: add %s/%u: %s", ip_addr_fmt(prefix, buf), len, strerror(-r));
		return r;
	}
	e = grow(rt) ? calloc(1, sizeof(*e)) : NULL;
	if (!e) {
		route_netlink_table(false, rt->ifindex, rt->table, prefix, len);
		return -ENOMEM;
	}
	e->prefix = *prefix;
	e->len = len;
	e->refs = 1;
	pp = &rt->bucket[ent_hash(prefix, len) & (rt->nbuckets - 1)];
	e->next = *pp;
	*pp = e;
	rt->count++;
	log_info("route: %s/%u via interface %d table %u added", ip_addr_fmt(prefix, buf), len,
	         rt->ifindex, rt->table);
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
	r = route_netlink_table(false, rt->ifindex, rt->table, prefix, len);
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
	for (unsigned i = 0; i < rt->nbuckets; i++)
		for (e = rt->bucket[i]; e; e = n) {
			n = e->next;
			if (route_netlink_table(false, rt->ifindex, rt->table, &e->prefix, e->len) == 0)
				log_info("route: %s/%u removed", ip_addr_fmt(&e->prefix, buf), e->len);
			free(e);
		}
	free(rt->bucket);
	free(rt);
}
