/* DNS servers a client receives (INTERNAL_IP4/6_DNS), handed to the
 * system's resolver as charon's resolve plugin does: with resolvconf(8)
 * (`resolvconf -a IFACE` with "nameserver X" lines on stdin, `resolvconf
 * -d IFACE` when the last goes) when a resolvconf binary is on PATH at
 * start, else with systemd-resolved (`resolvectl dns TUN X...`,
 * `resolvectl revert TUN`) when resolvectl is, else only logged.
 *
 * The tool runs in a helper process forked at start, before the
 * privilege drop and the seccomp filter (which allow no fork or exec in
 * the daemon): it keeps the privileges uipsecd started with, its only
 * input is a list of addresses on a socketpair (it formats them itself),
 * and it runs one tool at a time, killed after RESOLVE_TOOL_TIMEOUT_S. The
 * daemon never waits for it: it writes the current set of servers (the
 * union over every virtual IP that has some) and logs the helper's
 * answers from its loop. When the daemon goes (or dies), the helper
 * removes what it added and exits. */
#ifndef UIPSECD_RESOLVE_H
#define UIPSECD_RESOLVE_H

#include <stdbool.h>

#include "io/loop.h"
#include "net/addr.h"

#define RESOLVE_TOOL_TIMEOUT_S 10
#define RESOLVE_SERVERS_MAX 16   /* servers in one set (the union) */
#define RESOLVE_VIPS_MAX 16      /* virtual IPs with DNS servers at once */

struct resolve;

/* Find the tool and fork the helper (enable false: none, DNS servers are
 * only logged). iface: resolvconf's record name, "" for TUN.uipsec.
 * NULL only when disabled, no tool was found or the helper could not be
 * made (logged); resolve_set(NULL, ...) does nothing. Call before
 * threads exist and before the privilege drop. */
struct resolve *resolve_start(struct loop *l, bool enable, const char *tun, const char *iface);
/* The DNS servers that came with virtual IP vip (n 0: vip went). */
void resolve_set(struct resolve *r, const struct ip_addr *vip, const struct ip_addr *dns,
                 unsigned n);
/* Close the helper's socket (it removes what it added and exits). */
void resolve_free(struct resolve *r);

#endif
