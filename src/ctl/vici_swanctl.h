/* strongSwan's own VICI commands and events (as swanctl 5.9.8 and the VICI
 * bindings use them, src/libcharon/plugins/vici/README.md), answered by
 * uipsecd on its control socket beside the uipsec-* commands (ctl/cmds.h).
 *
 * Answered:
 *   version (ctl/cmds.c), stats, get-counters, reset-counters,
 *   list-sas (list-sa events), list-conns (list-conn events), get-conns,
 *   list-policies (list-policy events: trap policies), initiate,
 *   terminate, rekey (control-log events while they run; the answer when
 *   the SA is up, has failed, or the timeout passed), reload-settings
 *   (uipsecd.conf, as charon's strongswan.conf), load-conn, unload-conn,
 *   load-shared, unload-shared, get-shared, clear-creds, and the empty
 *   answers of what uipsec has none of: get-pools, get-authorities,
 *   get-keys, list-certs, list-authorities.
 * Refused with "not supported by uipsec: ..." (success no): redirect,
 *   install, uninstall, load-key, unload-key, load-token, flush-certs,
 *   load-authority, unload-authority, load-cert, load-pool, unload-pool,
 *   get-algorithms.
 * Events: log, control-log, ike-updown, child-updown, ike-rekey,
 *   child-rekey, list-sa, list-conn, list-policy, list-cert,
 *   list-authority.
 *
 * load-conn goes through the swanctl.conf parser and builder (src/conf/):
 * the request's section tree is written back as swanctl.conf text, with
 * the shared secrets loaded so far, and parsed like a file, so that the
 * two never accept different things.
 *
 * Threading: the daemon's loop; the log tap ignores lines logged on other
 * threads (the data-path workers). */
#ifndef UIPSEC_CTL_VICI_SWANCTL_H
#define UIPSEC_CTL_VICI_SWANCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ike.h"

struct ctl_server;
struct loop;
struct loop_timer;
struct vici_secret;
struct vici_pending;
struct vici_up_sa;
struct vici_up_child;

struct ctl_creds;

struct vici_swanctl {
	/* set by the caller */
	struct ctl_server *srv;
	struct loop *loop;
	struct ike_ctx *ike;
	/* load-cert, load-key, list-certs: the store of swanctl.conf's
	 * credential folders (NULL: no certificates) */
	struct ctl_creds *creds;
	/* reload-settings: uipsecd.conf again (NULL: refused). 0 or -errno,
	 * why in err. */
	int (*reload_settings)(void *ctx, char *err, size_t errlen);
	void *reload_ctx;

	/* ours */
	struct loop_timer *timer;          /* pending answers, up/down events */
	uint64_t start_mono_ms, start_wall_s;
	struct ike_stats base;             /* reset-counters */
	struct vici_secret *secrets;       /* load-shared */
	struct ike_pool_cfg *pools;        /* load-pool (IKE_POOL_VICI) */
	unsigned npools;
	struct vici_pending *pending;      /* deferred initiate/terminate/rekey */
	unsigned log_listeners;
	struct vici_up_sa *up_sa;          /* SAs seen up (updown events), as last polled */
	struct vici_up_child *up_child;
	size_t nup_sa, nup_child, capup_sa, capup_child;
	unsigned updown_listeners;
	uint64_t loop_thread;              /* pthread_t of the loop, as an integer */
};

/* Register the commands and events on srv, create the timer (before any
 * sandbox: it needs a timerfd). 0 or -errno. */
int vici_swanctl_register(struct vici_swanctl *vs);
/* Remove the log tap, free what is ours. */
void vici_swanctl_free(struct vici_swanctl *vs);

/* Hooks for struct ike_io's ike_ended / child_ended (ike-updown and
 * child-updown "down" events, failures of pending initiates). */
void vici_swanctl_ike_ended(struct vici_swanctl *vs, const struct ike_end_event *ev);
void vici_swanctl_child_ended(struct vici_swanctl *vs, const struct ike_child_end_event *ev);

/* charon's names of IKEv2 transform IDs ("AES_GCM_16", "HMAC_SHA2_256_128",
 * "PRF_HMAC_SHA2_256", "CURVE_25519"); NULL if unknown. */
const char *vici_alg_name(uint8_t type, uint16_t id);

#endif
