/* Routes through the TUN device, added and removed over rtnetlink, for the
 * destination prefixes of outbound protect policies. As strongSwan's charon
 * does on Linux, they live in a routing table of their own (default 220)
 * that a policy routing rule (default priority 220) consults for every
 * packet that does not carry uipsecd's firewall mark:
 *
 *   ip rule add pref 220 not fwmark MARK lookup 220
 *
 * uipsecd marks its own sockets (ESP, IKE, and the raw socket that sends
 * bypassed packets in clear), so those take the main table and never loop
 * back into the TUN device, even when the peer lies inside a protected
 * prefix.
 *
 * The table remembers which routes it added (reference counted by prefix),
 * so it removes only those, and all of them at shutdown. A route that
 * already existed (EEXIST) is not ours and is left alone.
 *
 * Threading: control loop only. Needs CAP_NET_ADMIN. */
#ifndef UIPSEC_IO_ROUTE_H
#define UIPSEC_IO_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

struct route_table;

#define ROUTE_DEFAULT_TABLE 220u
#define ROUTE_DEFAULT_PRIO 220u
/* "uipsec" would not fit; any non-zero value that no one else uses */
#define ROUTE_DEFAULT_MARK 0x220u

/* Routes go via interface ifindex into the main table. NULL on failure. */
struct route_table *route_table_new(int ifindex);
/* Routes go via interface ifindex into routing table `table` (1..2^32-1,
 * not 253..255's local/main/default unless you mean it). NULL on failure. */
struct route_table *route_table_new_in(int ifindex, uint32_t table);
/* Remove every route we added, then free. */
void route_table_free(struct route_table *rt);

/* Add a route to prefix/len via the device (or take a reference on one we
 * added before). 0, or -errno (-EEXIST: someone else's route exists). */
int route_table_add(struct route_table *rt, const struct ip_addr *prefix, uint8_t len);
/* Drop a reference; the last one removes the route. 0 or -ENOENT. */
int route_table_del(struct route_table *rt, const struct ip_addr *prefix, uint8_t len);
unsigned route_table_count(const struct route_table *rt);

/* One rtnetlink request: add (true) or delete a route prefix/len dev
 * ifindex. 0 or -errno. */
int route_netlink(bool add, int ifindex, const struct ip_addr *prefix, uint8_t len);
/* The same in routing table `table`. */
int route_netlink_table(bool add, int ifindex, uint32_t table, const struct ip_addr *prefix,
                        uint8_t len);

/* Build the RTM_NEWADDR/RTM_DELADDR request for addr/plen on ifindex
 * (IPv6: without duplicate address detection, IFA_F_NODAD, so that it
 * is usable at once). Its length, or 0 if size is too small. Pure. */
size_t route_addr_msg(void *buf, size_t size, bool add, int ifindex, const struct ip_addr *addr,
                      uint8_t plen);
/* One rtnetlink request: add (true) or delete addr/plen on ifindex (a
 * client's virtual IP on the TUN device). 0 or -errno (-EEXIST). */
int route_addr_netlink(bool add, int ifindex, const struct ip_addr *addr, uint8_t plen);

/* The policy routing rule "pref prio not fwmark mark/0xffffffff lookup
 * table" for family (AF_INET or AF_INET6). */
struct route_rule {
	int family;
	uint32_t prio, table, mark;
};

/* Build the rtnetlink request that adds (RTM_NEWRULE, exclusive) or
 * deletes (RTM_DELRULE) the rule into buf. Returns its length, or 0 if
 * size is too small. Pure: no socket, for tests. */
size_t route_rule_msg(void *buf, size_t size, bool add, const struct route_rule *rule);
/* Build the RTM_NEWROUTE/RTM_DELROUTE request for prefix/len dev ifindex
 * in table. Returns its length, or 0 if size is too small. */
size_t route_msg(void *buf, size_t size, bool add, int ifindex, uint32_t table,
                 const struct ip_addr *prefix, uint8_t len);

/* One rtnetlink request: add (true) or delete the rule. 0 or -errno
 * (-EEXIST on add: an identical rule is there; -ENOENT on delete). */
int route_rule_netlink(bool add, const struct route_rule *rule);
/* Install the rule: first remove identical ones (left by a daemon that
 * died without cleaning up), then add it. 0 or -errno. */
int route_rule_install(const struct route_rule *rule);
/* Remove the rule (every identical copy). 0, or -errno. */
int route_rule_remove(const struct route_rule *rule);

/* The kernel's answer to one request in buf (len bytes, pure, for the
 * fuzzer): the first NLMSG_ERROR's error (0 is the ACK), or -EPROTO. */
int route_ack_parse(const void *buf, size_t len);

#endif
