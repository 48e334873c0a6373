/* uipsecd's control commands and events, on top of the VICI control
 * socket (ctl/ctl.h). uipsec-specific names, so that strongSwan's own VICI
 * commands can be added beside them later:
 *
 *   command "uipsec-xfrm"   argv = list of words after "xfrm" (state ...,
 *                           policy ...): runs them like ip xfrm. Answer:
 *                           success yes|no, output (list of text chunks),
 *                           errmsg (one line).
 *   command "uipsec-stats"  xfrm_stat counters (/proc/net/xfrm_stat
 *                           format) and per-state counters in "output";
 *                           the counters also as section "xfrm_stat".
 *   command "uipsec-trace"  argv = filter words (dp/trace.h); sets this
 *                           connection's trace filter. Then register for
 *                           event "uipsec-trace".
 *   command "version"       as VICI's: daemon, version, sysname, release,
 *                           machine.
 *   event "uipsec-monitor"  one event per xfrm event, key "output" holding
 *                           the text ip xfrm monitor would print.
 *   event "uipsec-trace"    one event per traced packet that matches the
 *                           connection's filter: list "lines", key
 *                           "verdict".
 *
 * Threading: the daemon's loop. */
#ifndef UIPSEC_CTL_CMDS_H
#define UIPSEC_CTL_CMDS_H

#include <stdbool.h>
#include <stdint.h>

#include "xfrm/events.h"

struct ctl_server;
struct sad;
struct spd;
struct dp;

struct ctl_cmds {
	struct ctl_server *srv;
	struct sad *sad;
	struct spd *spd;
	struct dp *dp;        /* may be NULL (no data path: no trace, fewer stats) */
	uint64_t commands, errors;
};

/* Register the commands and events on srv. 0 or -errno. */
int ctl_cmds_register(struct ctl_cmds *cc);

/* xfrm events to pass on to "uipsec-monitor" listeners (call these from
 * the daemon's struct xfrm_events fan-out). */
void ctl_cmds_state_event(struct ctl_cmds *cc, enum xfrm_event_kind kind, const struct sad_sa *sa);
void ctl_cmds_policy_event(struct ctl_cmds *cc, enum xfrm_event_kind kind,
                           const struct spd_policy *pol);
void ctl_cmds_acquire_event(struct ctl_cmds *cc, const struct spd_policy *pol,
                            const struct xfrm_tmpl *t, const struct xfrm_flow *fl);
void ctl_cmds_expire_event(struct ctl_cmds *cc, const struct sad_sa *sa, bool hard);

#endif
