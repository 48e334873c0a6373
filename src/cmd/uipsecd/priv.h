/* Dropping root after the TUN device and sockets are open. */
#ifndef UIPSECD_PRIV_H
#define UIPSECD_PRIV_H

#include <stdbool.h>

/* Switch to user (and its primary group, no supplementary groups). If
 * keep_net_admin, keep CAP_NET_ADMIN (effective and permitted) for route
 * changes and nothing else; otherwise no capabilities remain. Also sets
 * no_new_privs. 0 or -errno (logged). */
int priv_drop(const char *user, bool keep_net_admin);

#endif
