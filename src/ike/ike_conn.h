/* Connections: a loaded ike_conn_cfg and what the core remembers about it
 * (its trap policies, how its last IKE SA ended), finding a connection's
 * IKE SA, initiating one of its CHILD SAs, and what becomes of its tunnels
 * when an IKE SA ends (keyingtries, dpd_action, close_action), when it is
 * reauthenticated, on INITIAL_CONTACT and when the peer keeps state we
 * lost. Internal to src/ike/.
 *
 * Ownership: the context owns the list (ike_ctx.h); an IKE SA points at its
 * connection and loses the pointer (conn = NULL) when the connection is
 * unloaded. */
#ifndef UIPSEC_IKE_IKE_CONN_H
#define UIPSEC_IKE_IKE_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "ike/ike.h"

struct ike_child_kept;
struct ike_ctx;
struct ike_sa;

/* What the core keeps per child config of a connection, beside it. */
struct ike_conn_child {
	bool trap_installed;
	/* the trap was installed only to hold traffic while dpd_action
	 * restart sets the CHILD SA up again (not configured): it goes when
	 * the new CHILD SA is installed */
	bool trap_hold;
	/* the local address the trap policies were installed with (the
	 * routing's choice when local_addr is unset), to remove them again */
	struct ip_addr trap_local;
};

struct ike_conn {
	struct ike_conn *next;
	struct ike_conn_cfg cfg;       /* cfg.children: owned, cfg.nchildren of them */
	struct ike_conn_child *child;  /* cfg.nchildren, owned */
	/* how its last IKE SA ended (IKE_END_NONE: none has), for listings */
	enum ike_end_reason last_end;
	uint64_t last_end_ms;
	/* when a sign that the peer kept state we lack (an unknown SPI) last
	 * made us initiate, for the rate limit (ike_conn_peer_has_state) */
	uint64_t lost_state_ms;
};

/* The connection named name, or NULL. */
struct ike_conn *ike_conn_find(struct ike_ctx *ctx, const char *name);
/* Is the peer address/port acceptable for conn. */
bool ike_conn_matches(const struct ike_conn *conn, const struct ike_endpoint *local,
                      const struct ike_endpoint *remote);
/* conn's IKE SA that is neither deleting nor dead, or NULL. */
struct ike_sa *ike_conn_sa(struct ike_ctx *ctx, const struct ike_conn *conn);
/* Initiate child config idx of conn (-1: the IKE SA alone): on conn's IKE
 * SA if there is one (queued behind its IKE_AUTH, or as CREATE_CHILD_SA),
 * else on a new IKE SA (IKE_SA_INIT and IKE_AUTH queued). Nothing is
 * sent until the front door runs the managers. 0 or a negative errno
 * (no address to initiate from or to, no memory). */
int ike_conn_initiate(struct ike_ctx *ctx, struct ike_conn *conn, int idx);
/* The peer closed a CHILD SA of cfg (or its IKE SA) on sa: apply the
 * child's close_action as charon does (trap: wait for traffic;
 * start: negotiate it again). */
void ike_conn_child_closed(struct ike_sa *sa, const struct ike_child_kept *cfg);

/* sa has just ended (ike_sa_end: DEAD, its CHILD SAs still attached);
 * was_up: it had been established. As charon: an initiator that could
 * not set it up because the peer did not answer tries again while
 * keyingtries allow (with the same children); an established one whose
 * peer stopped answering (dpd-dead, retransmit-giveup) applies each
 * child's dpd_action (restart: a new IKE SA; trap: trap policies). Other
 * ends do nothing here (close_action is the peer's Delete's, ike_info.c). */
void ike_conn_sa_ended(struct ike_sa *sa, bool was_up);

/* Reauthenticate sa make-before-break (strongSwan 6's default): a new IKE
 * SA with the same peer, IKE_SA_INIT and IKE_AUTH, with every CHILD SA of
 * sa; once it and they are up, sa is deleted (IKE_END_REAUTH). 0, -EALREADY
 * (under way), -ENOENT (not established), or another negative errno. */
int ike_conn_reauth(struct ike_sa *sa);
/* Called after every event for each SA: sa replaces another by
 * reauthentication and is up with its CHILD SAs (nothing queued or in
 * flight): the old one is deleted. */
void ike_conn_reauth_check(struct ike_sa *sa);

/* Send INITIAL_CONTACT in sa's IKE_AUTH: no authenticated IKE SA with
 * that peer (the connection or its address) exists, and unique is not
 * never (charon's rule). */
bool ike_conn_first_contact(const struct ike_sa *sa);
/* The peer sent INITIAL_CONTACT in sa's IKE_AUTH: every other IKE SA
 * between the same two identities ends at once (IKE_END_REPLACED), with
 * its CHILD SAs, without a Delete; not with unique = never. */
void ike_conn_initial_contact(struct ike_sa *sa);
/* swanctl's unique = keep|replace for sa, authenticated now (charon's
 * check_uniqueness, after INITIAL_CONTACT was honoured): another
 * established IKE_SA of the same connection between the same two
 * identities is deleted (replace), or sa is refused (keep: false; not
 * when the other comes from sa's peer address, maybe its reauthentication). */
bool ike_conn_unique(struct ike_sa *sa);

/* An IKE SA with the peer at a was established: its address is a known
 * peer from now on (the last IKE_RECENT_PEERS of them are kept). */
void ike_conn_peer_seen(struct ike_ctx *ctx, const struct ip_addr *a);
/* Is a a peer we know: a connection names it, an IKE SA (beyond half-open)
 * or a recent one was with it. For the IKE_SA_INIT flood limits, which
 * never hold known peers up. */
bool ike_conn_known_peer(struct ike_ctx *ctx, const struct ip_addr *a);

/* A sign that the peer at remote keeps state we do not know (an ESP
 * packet for an unknown SPI, an IKE request for an unknown IKE SA); why
 * names it for the log. With an IKE SA with that peer: a liveness check
 * on it (at most every 2 s: ike_timers_probe), which finds out quickly if
 * the peer lost the SA instead. Without one (we restarted): connections
 * to that address with children that are meant to be up (start_action
 * start or trap, dpd_action restart) initiate, at most every 2 s each, so
 * that INITIAL_CONTACT replaces the peer's stale SAs. */
void ike_conn_peer_has_state(struct ike_ctx *ctx, const struct ike_endpoint *local,
                             const struct ike_endpoint *remote, const char *why);

#endif
