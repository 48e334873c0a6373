/* The gateway: a data path (dp.h) wired to real I/O. Owns the TUN device,
 * the public sockets (UDP 4500 and 500, raw ESP; IPv4 and IPv6), the
 * packet pool and the routes through the TUN device, and serves them from
 * one event loop.
 *
 * Routes (cfg->routes): in a routing table of uipsecd's own with a policy
 * routing rule "not fwmark MARK lookup TABLE" (io/route.h), installed by
 * gw_open and removed by gw_close; the public sockets carry MARK, and so
 * does the raw socket on which packets of outbound bypass policies leave
 * in clear (io/clear.h). Without routes there is no clear path: bypassed
 * packets are dropped as DROP_OUT_NO_POLICY.
 *
 * Life cycle: gw_open() (needs privileges: TUN, raw sockets, port 500),
 * then drop privileges, gw_attach() to a loop, ... gw_close() (removes
 * routes, closes the TUN device and sockets; the SAD and SPD are the
 * caller's).
 *
 * IKE: the IKE daemon does not open sockets of its own. It registers a
 * receive callback with gw_set_ike_handler() and gets every datagram
 * that arrives on UDP 500 and every one on UDP 4500 that starts with the
 * non-ESP marker (marker stripped); it sends with gw_ike_send(), which adds
 * the marker when the source port is 4500. All on the gateway's loop.
 *
 * Threading: without workers (cfg->workers 0 or 1) everything here runs
 * on one loop, the daemon's. With N workers (docs/workers.md) gw_attach
 * starts N threads, each with its own loop, TUN queue, UDP 4500 socket
 * and data path; the daemon's loop keeps UDP 500, IKE and the control
 * socket, and from gw_attach on it runs each batch of callbacks under the
 * gateway's write lock (loop_set_guard), while workers take the read
 * lock per batch: SAD and SPD changes from the daemon's loop never meet
 * a worker's batch. What a worker has for the control plane (IKE
 * messages on UDP 4500, acquires, traces, captures) it queues to the
 * daemon's loop. Call gw_stop after loop_run returns and before anything
 * outside the loop touches the SAD or SPD. */
#ifndef UIPSEC_DP_GW_H
#define UIPSEC_DP_GW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp/dp.h"
#include "net/addr.h"
#include "xfrm/events.h"

struct loop;
struct spd_policy;
struct io_fds;

#define GW_DEFAULT_TUN "ipsec0"
#define GW_OUTER_MTU 1500
/* Worst-case per-packet overhead: outer IPv6 (40) + UDP (8) + ESP header
 * (8) + IV (16) + padding to a 16-byte block (15) + pad length and next
 * header (2) + ICV (32: HMAC-SHA-512/256, the largest RFC default). */
#define GW_ESP_OVERHEAD_MAX (40 + 8 + 8 + 16 + 15 + 2 + 32)
#define GW_DEFAULT_MTU (GW_OUTER_MTU - GW_ESP_OVERHEAD_MAX)

struct gw_config {
	const char *tun_name;   /* NULL: GW_DEFAULT_TUN */
	uint32_t mtu;           /* 0: GW_DEFAULT_MTU */
	bool routes;            /* install routes for outbound protect policies, in
	                         * route_table, with the rule below; and send
	                         * bypassed packets in clear (io/clear.h) */
	uint32_t route_table;   /* 0: ROUTE_DEFAULT_TABLE (220) */
	uint32_t rule_prio;     /* 0: ROUTE_DEFAULT_PRIO (220) */
	uint32_t fwmark;        /* 0: ROUTE_DEFAULT_MARK; on our sockets, exempt from the rule */
	uint16_t nat_port;      /* 0: 4500 */
	uint16_t ike_port;      /* 0: 500 */
	bool no_tun_offload;    /* TUN without vnet header: no TSO/GRO, one packet per call */
	bool no_udp_gso;        /* no UDP GSO trains on the UDP 4500 sockets */
	unsigned workers;       /* data-path threads; 0 or 1: none, all on the daemon's loop */
	uint32_t ike_max;       /* 0: DP_IKE_MAX_DEFAULT; longer IKE messages are refused */
	struct io_fds *fds;     /* NULL, or descriptors handed over (io/inherit.h): each
	                         * one taken is set to -1; a raw ESP socket that cannot
	                         * be opened is then left out (ESP in UDP only) */
	struct loop *loop;      /* the loop gw_attach will get, for the timers gw_open
	                         * makes (before the sandbox forbids timerfd_create);
	                         * NULL: no hold queue for packets awaiting an SA */
};

#define GW_MAX_WORKERS 16

/* Received IKE datagram (marker already stripped). msg is valid during
 * the call only. */
typedef void (*gw_ike_fn)(void *ctx, const uint8_t *msg, size_t len,
                          const struct ip_addr *src, uint16_t sport,
                          const struct ip_addr *dst, uint16_t dport);

struct gw;

/* Open the TUN device and the sockets. sad/spd/events are borrowed.
 * 0 or -errno (logged with what failed). */
int gw_open(struct gw **out, const struct gw_config *cfg, struct sad *sad,
            struct spd *spd, struct xfrm_events *events);
/* Start serving the descriptors on loop. 0 or -errno. */
int gw_attach(struct gw *gw, struct loop *loop);
/* Stop and join the worker threads (none: nothing to do). Afterwards the
 * daemon's thread is the only one touching the SAD, SPD and sockets. */
void gw_stop(struct gw *gw);
/* Remove our routes and rules, close TUN and sockets, free (gw_stop
 * first if still running). NULL is fine. */
void gw_close(struct gw *gw);

struct dp *gw_dp(struct gw *gw);
const char *gw_tun_name(const struct gw *gw);
uint32_t gw_tun_mtu(const struct gw *gw);
unsigned gw_route_count(const struct gw *gw);
unsigned gw_workers(const struct gw *gw);

/* Feed policy events here (from the daemon's xfrm_events fan-out) so that
 * routes follow the outbound protect policies. */
void gw_policy_event(struct gw *gw, enum xfrm_event_kind kind, const struct spd_policy *pol);
/* A state came or went (the daemon's xfrm events): the data paths are
 * told (dp_state_event), and packets held for a new state are sent right
 * after the event, on the control loop (dp/hold.h). */
void gw_state_event(struct gw *gw, enum xfrm_event_kind kind, const struct sad_sa *sa);

void gw_set_ike_handler(struct gw *gw, gw_ike_fn fn, void *ctx);
/* Inside the IKE callback: true while the socket the datagram came from
 * is falling behind (its receive queue over a quarter full, until it is
 * under an eighth again), so that the kernel will soon drop what arrives,
 * whoever sent it. The IKE core then sheds what it can (ike_ctx_set_behind)
 * before the kernel drops what it must not. */
bool gw_ike_backlog(const struct gw *gw);
/* Send an IKE message from src:sport (sport 500 or 4500; src may be
 * unset) to dst:dport. 0 or -errno. */
int gw_ike_send(struct gw *gw, const struct ip_addr *src, uint16_t sport,
                const struct ip_addr *dst, uint16_t dport, const void *msg, size_t len);
/* Send a NAT keepalive (one 0xff byte, RFC 3948 2.3) from src:4500 to
 * dst:dport. 0 or -errno. */
int gw_nat_keepalive(struct gw *gw, const struct ip_addr *src, const struct ip_addr *dst,
                     uint16_t dport);

#endif
