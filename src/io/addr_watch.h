/* Address and route change events from the kernel (rtnetlink multicast
 * groups RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR, RTMGRP_IPV4_ROUTE,
 * RTMGRP_IPV6_ROUTE), as charon's kernel-netlink plugin listens to them
 * to roam with MOBIKE: a socket to watch in the event loop, and a drain
 * that says whether anything relevant arrived.
 *
 * Threading: control loop only. Needs no privileges (the groups of the
 * daemon's own network namespace). */
#ifndef UIPSEC_IO_ADDR_WATCH_H
#define UIPSEC_IO_ADDR_WATCH_H

#include <stdbool.h>
#include <stddef.h>

/* A non-blocking rtnetlink socket subscribed to the groups above. The
 * descriptor, or -errno. */
int addr_watch_open(void);
/* Read every message queued on fd. How many address or route messages
 * (RTM_NEWADDR, RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE) were among
 * them; a lost event (ENOBUFS: the socket overflowed) counts as one,
 * since the caller must look again anyway. */
unsigned addr_watch_drain(int fd);
/* The same count for the messages in buf (len bytes), pure: for tests. */
unsigned addr_watch_count(const void *buf, size_t len);

#endif
