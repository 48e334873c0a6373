/* Ask the kernel which route a packet would take, like `ip route get`:
 * one RTM_GETROUTE over rtnetlink, answered with the output interface,
 * the gateway and the preferred source address. Needs no privileges.
 * For `uipsec explain`. */
#ifndef UIPSEC_IO_ROUTE_GET_H
#define UIPSEC_IO_ROUTE_GET_H

#include <net/if.h>
#include <stdbool.h>

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

/* "unicast", "local", "unreachable", ... */
const char *route_type_name(unsigned char type);

#endif
