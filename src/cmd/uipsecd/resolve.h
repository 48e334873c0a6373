/* DNS servers a client receives (INTERNAL_IP4/6_DNS), handed to the
 * system's resolver as charon's resolve plugin does: with resolvconf(8)
 * (`resolvconf -a IFACE` with "nameserver X" lines on stdin, `resolvconf
 * -d IFACE` when the last goes) when a resolvconf binary is on PATH at
 * start, else with systemd-resolved (`resolvectl dns TUN X...`,
 * `resolvectl revert TUN`) when resolvectl is, else only logged.
 *
 * The tool runs in uipsecd's one helper process (ctl/runner.h), forked at
 * start before the privilege drop and the seccomp filter (which allow no
 * fork or exec in the daemon), which found the tool on PATH then: it keeps
 * the privileges uipsecd started with, its input is a DNS request (a name
 * and a list of addresses; it formats them itself), in the same queue as
 * the updown scripts, so one runs after the other; the tool gets
 * RESOLVE_TOOL_TIMEOUT_S, then SIGTERM, then SIGKILL; the helper logs its
 * output and outcome. The daemon never waits for it: it sends the current
 * set of servers (the union over every virtual IP that has some). When the
 * daemon goes (or dies), the helper runs what was queued (the "down"
 * scripts), removes what it added and exits. */
#ifndef UIPSECD_RESOLVE_H
#define UIPSECD_RESOLVE_H

#include <stdbool.h>

#include "ctl/runner.h"
#include "net/addr.h"

#define RESOLVE_TOOL_TIMEOUT_S RUNNER_DNS_TIMEOUT_S
#define RESOLVE_SERVERS_MAX RUNNER_DNS_MAX   /* servers in one set (the union) */
#define RESOLVE_VIPS_MAX 16      /* virtual IPs with DNS servers at once */

struct resolve;

/* Hand DNS servers to the tool run found (enable false: none, DNS servers
 * are only logged). iface: resolvconf's record name, "" for TUN.uipsec.
 * NULL only when disabled, no tool was found, the helper is not there or
 * the name cannot be one (logged); resolve_set(NULL, ...) does nothing. */
struct resolve *resolve_start(struct runner *run, bool enable, const char *tun, const char *iface);
/* The DNS servers that came with virtual IP vip (n 0: vip went). */
void resolve_set(struct resolve *r, const struct ip_addr *vip, const struct ip_addr *dns,
                 unsigned n);
/* Free the daemon's side (the helper removes what it added when
 * runner_stop closes its socket, after the queued updown scripts). */
void resolve_free(struct resolve *r);

#endif
