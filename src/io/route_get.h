/* Ask the kernel which route a packet would take, like `ip route get`:
 * one RTM_GETROUTE over rtnetlink, answered with the output interface,
 * the gateway and the preferred source address. Needs no privileges.
 * For `uipsec explain`. */
#ifndef UIPSEC_IO_ROUTE_GET_H
#define UIPSEC_IO_ROUTE_GET_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "net/addr.h"

struct route_answer {
	char oif[IF_NAMESIZE];      /* output interface name ("" if none) */
	bool has_gateway, has_prefsrc;
	struct ip_addr gateway;
	struct ip_addr prefsrc;
	unsigned char type;         /* RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE, ... */
};

/* Route to dst (from src if src is non-NULL and set: then the kernel
 * treats the packet as sent by this host from src). 0, or -errno from the
 * kernel (-ENETUNREACH: no route, -EHOSTUNREACH, ...). */
int route_get(const struct ip_addr *dst, const struct ip_addr *src, struct route_answer *out);

/* Pure parsers of the kernel's answers, for route_get and the fuzzer
 * (tests/fuzz/fuzz_netlink.c). route_answer_parse: an RTM_NEWROUTE (or
 * NLMSG_ERROR) answer in buf (len bytes) for a destination of family;
 * fills out except oif and sets *oif_index to RTA_OIF's index (-1 if
 * none). 0, the kernel's -errno, or -EBADMSG. route_link_name_parse: an
 * RTM_NEWLINK answer's IFLA_IFNAME into name (size bytes, terminated).
 * 0, -EBADMSG or -ENOENT. */
int route_answer_parse(const void *buf, size_t len, int family, struct route_answer *out,
                       int *oif_index);
int route_link_name_parse(const void *buf, size_t len, char *name, size_t size);

/* "unicast", "local", "unreachable", ... */
const char *route_type_name(unsigned char type);

#endif
