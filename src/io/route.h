/* Routes through the TUN device, added and removed over rtnetlink, for the
 * destination prefixes of outbound protect policies (what strongSwan's
 * charon does with its routing table 220, here with plain routes in the
 * main table since the TUN device is the way into the tunnel).
 *
 * The table remembers which routes it added (reference counted by prefix),
 * so it removes only those, and all of them at shutdown. A route that
 * already existed (EEXIST) is not ours and is left alone.
 *
 * Threading: control loop only. Needs CAP_NET_ADMIN. */
#ifndef UIPSEC_IO_ROUTE_H
#define UIPSEC_IO_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "net/addr.h"

struct route_table;

/* Routes go via interface ifindex. NULL on failure. */
struct route_table *route_table_new(int ifindex);
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

#endif
