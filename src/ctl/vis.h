/* The visibility commands of uipsecd's control socket (beside ctl/cmds.h):
 *
 *   command "uipsec-capture"  argv [POINTS, FILTER...]: POINTS comma-
 *                             separated (esp-in, inner-in, inner-out,
 *                             esp-out, drop), then the filter words of
 *                             dp/trace.h (host, src, dst, spi, proto),
 *                             applied to each packet as captured at its
 *                             point. Sets this connection's capture; then
 *                             register for event "uipsec-capture".
 *   event "uipsec-capture"    one per captured packet: point, dir (in|out),
 *                             ts (ns since the epoch), len (on the path),
 *                             data (the IP packet, at most 65535 bytes),
 *                             and for drops reason and mib.
 *   command "uipsec-keys"     argv ["wireshark", esp|ike|all]: output =
 *                             Wireshark ESP SA table lines (ctl/keys.h)
 *                             and/or IKEv2 decryption table lines
 *                             (ike/ike_export.h); "all" puts a '#' line
 *                             naming the table before each block; count.
 *   command "uipsec-explain"  argv SRC DST [PROTO [PORT]]: output = the
 *                             explanation (ctl/explain.h).
 *   command "uipsec-json"     argv ["state"|"policy", "list", FILTER...],
 *                             ["stats"], ["list-sas"], ["list-conns"] or
 *                             ["list-certs"]: output = JSON (ctl/json.h,
 *                             ike/ike_export.h, conf/creds.h).
 *
 * Answers carry success yes|no and errmsg like ctl/cmds.h.
 *
 * Threading: the daemon's loop. */
#ifndef UIPSEC_CTL_VIS_H
#define UIPSEC_CTL_VIS_H

#include <stdint.h>

struct ctl_creds;
struct ctl_server;
struct sad;
struct spd;
struct dp;
struct cap_sub;
struct ike_ctx;

struct ctl_vis {
	struct ctl_server *srv;
	struct sad *sad;
	struct spd *spd;
	struct dp *dp;           /* may be NULL: no capture, no local addresses */
	const char *tun_name;    /* for explain ("ipsec0") */
	struct ike_ctx *ike;     /* may be NULL: no IKE SA keys */
	struct ctl_creds *creds; /* may be NULL: no list-certs */
	/* internal */
	struct cap_sub *subs;    /* connections with a capture set */
	unsigned listeners;      /* registered for "uipsec-capture" */
	uint64_t captured, capture_dropped;
};

/* Register the commands and the event. 0 or -ENOSPC. */
int ctl_vis_register(struct ctl_vis *v);

#endif
