/* updown scripts as charon's updown plugin runs them (swanctl.conf
 * connections.<conn>.children.<child>.updown): when a CHILD SA comes up
 * and when it goes down, the command runs through `/bin/sh -c`, once per
 * pair of local and remote traffic selectors, with PLUTO_VERB (up-client,
 * down-client, up-host, down-host, and -v6 for IPv6) and the PLUTO_*
 * environment strongSwan 5.9.8 sets (docs/updown.md has the list).
 * A rekeying runs nothing (charon's child_updown is not raised for it):
 * the successor takes its predecessor's place for the later "down".
 *
 * The scripts are not run by the daemon: its sandbox (no exec, no fork,
 * no privileges) would fail them. uipsecd's one helper process (runner.h),
 * forked at start-up before the privileges are dropped, runs them one
 * after the other, in order (with the DNS changes of resolve.h in the same
 * queue), each bounded to UPDOWN_TIMEOUT_S (then its process group gets
 * SIGTERM, and SIGKILL UPDOWN_KILL_S later), their stdout and stderr
 * logged line by line ("updown: ..."), as charon does. The daemon only
 * sends it the command and the environment over a socket, never blocking
 * the IKE thread: a full queue drops the request, logged and counted.
 *
 * Threading: the daemon side runs on the control loop (the IKE core's
 * io->child_up / child_ended callbacks). */
#ifndef UIPSEC_CTL_UPDOWN_H
#define UIPSEC_CTL_UPDOWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl/runner.h"
#include "ike/ike.h"

#define UPDOWN_TIMEOUT_S RUNNER_UPDOWN_TIMEOUT_S
#define UPDOWN_KILL_S RUNNER_KILL_S
/* the largest request (command and environment) */
#define UPDOWN_MSG_MAX RUNNER_MSG_MAX

/* What the up event said about a CHILD SA, kept for its "down". */
struct updown_child {
	char conn[64], child[64];
	char updown[sizeof(((struct ike_child_cfg *)0)->updown)];
	bool hostaccess, transport, encap;
	uint32_t ike_unique_id, unique_id, reqid, spi_in, spi_out;
	struct ike_endpoint local, remote;
	char local_id[256], remote_id[256], eap_id[256];   /* eap_id "": none */
	struct ike_ts_list ts_local, ts_remote;
	struct ip_addr vip_local[2], vip_remote[2], dns[8];
	unsigned nvip_local, nvip_remote, ndns;
};

/* Copy what ev says (lists beyond the arrays are cut). */
void updown_child_set(struct updown_child *u, const struct ike_child_up_event *ev);

/* The environment for the pair (local_ts li, remote_ts ri) of u, as
 * charon's updown plugin builds it: "NAME=value" strings, each ended by
 * a NUL, into buf. iface: PLUTO_INTERFACE (uipsec's TUN device); path:
 * PATH (NULL: none). Returns the bytes written, -ENOSPC if buf is too
 * small, -EINVAL if li or ri is out of range. */
int updown_env(const struct updown_child *u, bool up, unsigned li, unsigned ri,
               const char *iface, const char *path, char *buf, size_t len);

/* PLUTO_VERB for the pair: "up-client", "down-host-v6", ... into buf (16
 * bytes). */
const char *updown_verb(const struct updown_child *u, bool up, unsigned li, char *buf);

struct updown {
	struct runner *run;         /* the helper; NULL or its fd -1: no scripts run */
	char iface[32];             /* PLUTO_INTERFACE */
	struct updown_child *kept;  /* CHILD SAs up with an updown, for their "down" */
	size_t nkept, capkept;
	uint64_t runs, dropped;     /* requests sent to the helper; lost (full, too large) */
};

/* The hooks for struct ike_io's child_up and child_ended. */
void updown_child_up(struct updown *ud, const struct ike_child_up_event *ev);
void updown_child_ended(struct updown *ud, const struct ike_child_end_event *ev);

/* Free what was kept (the helper is stopped with runner_stop, which runs
 * the "down" requests already sent). */
void updown_free(struct updown *ud);

#endif
