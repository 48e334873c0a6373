/* The data path: the XFRM input and output paths of DESIGN.md between the
 * public sockets and the TUN device.
 *
 *   inbound   socket rx -> [RFC 3948 demux: IKE / keepalive / ESP]
 *             -> xfrm_input -> xfrm_state_lookup (daddr, spi, esp)
 *             -> xfrm_replay_check -> esp_input (decrypt, ICV)
 *             -> xfrm_replay_advance -> decap -> xfrm_policy_check
 *                (dir in if the inner destination is local, else fwd;
 *                 template match) -> TUN write
 *   outbound  TUN read -> xfrm_lookup (policy dir out)
 *             -> block | bypass | protect -> xfrm_state_find (template)
 *                or acquire -> esp_output (seq++, encap, encrypt)
 *             -> xfrm_output -> raw ESP or UDP 4500 send
 *
 * Each stage that drops returns an enum drop_reason; the data path counts
 * it in dp->stats (the /proc/net/xfrm_stat counters) and, when a tracer is
 * attached, in the packet's trace.
 *
 * Ownership: dp_input()/dp_output() borrow the packets; the I/O callbacks
 * (struct dp_io) are called synchronously and must not keep them. The
 * caller frees or recycles every packet afterwards.
 *
 * Threading: one thread owns a struct dp. With several workers (dp/gw.c,
 * docs/workers.md) each worker has its own struct dp; the control loop's
 * dp heads a chain of them (dp->next), and the set-up functions below,
 * called on the head by the control loop, apply to the whole chain while
 * no worker is inside a batch. SAD and SPD changes happen on the control
 * loop under the same rule. */
#ifndef UIPSEC_DP_DP_H
#define UIPSEC_DP_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "dp/capture.h"
#include "dp/hold.h"
#include "dp/trace.h"
#include "pkt/pkt.h"
#include "xfrm/drop.h"
#include "xfrm/events.h"
#include "xfrm/xfrm.h"

struct sad;
struct spd;
struct xfrm_events;
struct xfrm_acquire_limiter;
struct sad_sa;

/* Where packets leave the data path. */
struct dp_io {
	void *ctx;
	/* A decrypted inner IP packet for the TUN device. */
	void (*to_tun)(void *ctx, struct pkt *p);
	/* ESP packets for the network: p holds the ESP packet (SPI..ICV) and
	 * p->meta the outer family and addresses; udp_encap and ports say
	 * whether it goes out on the UDP socket (sport 4500 -> dport). */
	void (*to_net)(void *ctx, struct pkt **pkts, unsigned n);
	/* An IKE message arrived on UDP 500, or on 4500 behind the non-ESP
	 * marker (already stripped). p->meta holds addresses and ports.
	 * NULL: IKE datagrams are counted and dropped. */
	void (*ike)(void *ctx, struct pkt *p);
	/* A packet an outbound bypass policy (action allow, no template)
	 * lets through in clear. NULL: counted as DROP_OUT_NO_POLICY. */
	void (*bypass)(void *ctx, struct pkt *p);
	/* A packet went into the hold queue (dp/hold.h): whoever flushes it
	 * should look again within a second. NULL: nobody is told. */
	void (*held)(void *ctx);
};

/* Counters of the data path beyond xfrm_stat. */
struct dp_counters {
	uint64_t in_packets, in_bytes;     /* ESP packets that reached TUN */
	uint64_t out_packets, out_bytes;   /* ESP packets handed to the network */
	uint64_t ike_packets, ike_dropped; /* IKE datagrams (to the hook / no hook) */
	uint64_t ike_too_big;              /* IKE messages over dp->ike_max, refused */
	uint64_t keepalives;               /* RFC 3948 NAT keepalives */
	uint64_t acquires, acquires_suppressed;
	uint64_t nostate_events;           /* unknown SPIs reported (at most 1/s per source) */
	uint64_t hold_queued, hold_sent;   /* packets held for an acquire, sent once it was done */
	uint64_t hold_dropped;             /* held ones dropped: a bound or DP_HOLD_MS reached */
	uint64_t bypassed;                 /* sent in clear by a bypass policy */
	uint64_t tun_ignored;              /* link-local/multicast from the TUN, no policy */
	uint64_t tun_write_errors;         /* the kernel refused a decrypted packet */
	uint64_t send_errors;              /* ESP packets the socket did not take */

	/* Batching and offloads, counted by the gateway (dp/gw.c), so that
	 * `uipsec stats` shows whether the fast paths are taken. */
	uint64_t tun_reads;                /* TUN reads that returned a packet */
	uint64_t tun_gso_reads;            /* of which TCP/UDP super-packets (TSO/USO) */
	uint64_t gso_segments;             /* packets cut from super-packets */
	uint64_t gso_errors;               /* super-packets that could not be cut (dropped) */
	uint64_t csum_completed;           /* partial checksums completed in userspace */
	uint64_t tun_writes;               /* TUN write calls */
	uint64_t gro_writes;               /* coalesced TCP super-packets written */
	uint64_t gro_packets;              /* packets that went into them */
	uint64_t sock_rx_calls, sock_rx_packets;   /* receive calls / datagrams (batch size) */
	uint64_t sock_tx_calls, sock_tx_packets;   /* send calls / datagrams */
	uint64_t sock_tx_errors;
	uint64_t udp_gso_sends;            /* sends with UDP_SEGMENT (one train each) */
	uint64_t udp_gso_packets;          /* datagrams in those trains */
	uint64_t udp_gso_fallbacks;        /* trains the kernel refused, sent one by one */
	uint64_t udp_gro_trains;           /* trains received whole (UDP_GRO) */
	uint64_t udp_gro_packets;          /* datagrams in those trains */
	uint64_t udp_big_packets;          /* datagrams too large for a pool buffer taken
	                                    * whole (IKE; io/sock.h sock_udp_enable_big) */
	uint64_t udp_big_lost;             /* of those, lost: two in one receive batch */
	uint64_t pool_empty;               /* packets dropped: no free buffer */
	uint64_t relay_dropped;            /* worker to control loop records dropped: queue full */
};

#define DP_MAX_LOCAL 64
/* The largest IKE message handed to IKE by default: the largest an IKE
 * header can announce in 16 bits, more than any UDP datagram carries
 * after the non-ESP marker (65,503 bytes over IPv4). */
#define DP_IKE_MAX_DEFAULT 65535
#define DP_ACQ_SLOTS 256
/* sources whose last unknown-SPI report is remembered (a hash table) */
#define DP_NOSTATE_SLOTS 64

struct dp {
	struct sad *sad;
	struct spd *spd;
	struct xfrm_events *events;    /* acquire goes to events->acquire */
	struct dp_io io;

	struct xfrm_stats stats;       /* XfrmInNoStates, ... (global) */
	struct dp_counters cnt;
	/* IKE messages (marker removed) longer than this are refused,
	 * counted (ike_too_big) and logged (warn, rate-limited); dp_init
	 * sets DP_IKE_MAX_DEFAULT. */
	uint32_t ike_max;

	/* Tracing: a single flag tested on the packet path. */
	bool tracing;
	struct dp_tracer tracer;
	struct trace_pkt tp;           /* the packet being traced */

	/* Capture taps (dp/capture.h): the set of points wanted, 0 when no
	 * capture is attached (the single test on the packet path). */
	unsigned capture_points;
	struct dp_capturer capturer;
	uint8_t *cap_buf, *cap_snap;   /* DP_CAP_MAX_LEN each, while attached */
	uint32_t cap_snap_len;         /* the packet as it entered, for drops */

	/* Local addresses: an inner destination among them takes policy
	 * dir in, any other dir fwd (refreshed by dp_refresh_local()). */
	unsigned nlocal;
	struct ip_addr local[DP_MAX_LOCAL];

	/* One-entry flow caches for dp_output (oc) and dp_input (ic): a
	 * packet of the same flow as the one before (the segments of a
	 * super-packet) reuses its policy and state instead of looking them
	 * up again, as long as the SAD and SPD generations are those the
	 * entry was made under (dp_tables_gen), i.e. nothing was added,
	 * changed or removed since, whoever changed it. Not used while
	 * tracing (the trace shows every lookup). */
	struct dp_flow_cache {
		bool valid;
		uint64_t gen;
		struct xfrm_flow fl;
		struct spd_policy *pol;
		struct sad_sa *sa;
	} oc, ic;

	/* Acquire rate limit (xfrm/acquire.h): one per policy and template
	 * until a state arrives or the hold time passes. */
	struct xfrm_acquire_limiter *acq;
	/* Packets waiting for the SA their acquire negotiates (dp/hold.h). */
	struct dp_hold hold;
	/* Unknown SPI reports (events->unknown_spi): once a second per source
	 * address at most (hashed; a collision at worst lets one more out). */
	struct dp_nostate {
		struct ip_addr src;
		uint64_t sec;
	} nostate[DP_NOSTATE_SLOTS];

	/* Workers. next: the chain headed by the control loop's dp. A dp
	 * whose worker runs on a thread of its own has relays: when a
	 * tracer or capturer is set on the head, such a dp gets the relay
	 * instead (same points), which queues a copy of each record for the
	 * control loop (dp/gw.c). sa_locking: states are shared between
	 * threads; esp_input/esp_output run under sad_sa_lock, held across
	 * a run of packets of one state (held). */
	struct dp *next;
	struct dp_tracer relay_tracer;
	struct dp_capturer relay_capturer;
	bool sa_locking;
	struct sad_sa *held;
};

/* Set up dp over the tables (borrowed: they outlive dp). events may be
 * NULL (no acquire). 0 or -ENOMEM. */
int dp_init(struct dp *dp, struct sad *sad, struct spd *spd,
            struct xfrm_events *events, const struct dp_io *io);

/* Free what dp_init allocated (not the tables). */
void dp_fini(struct dp *dp);

/* Tell the data path a state came or went (from the daemon's xfrm events):
 * a new state for a template ends the hold on its acquires, and marks its
 * held packets ready (dp_hold_flush sends them; dp->hold.ready says so). */
void dp_state_event(struct dp *dp, enum xfrm_event_kind kind, const struct sad_sa *sa);

/* Attach (tracer non-NULL) or detach the tracer, on dp and every dp
 * chained after it (through their relays, if they have one). */
void dp_set_tracer(struct dp *dp, const struct dp_tracer *tracer);

/* The counters of dp and every dp chained after it, added up. */
void dp_sum(const struct dp *dp, struct xfrm_stats *st, struct dp_counters *cnt);
/* How many dps the chain has (1 without workers). */
unsigned dp_chain_len(const struct dp *dp);

/* Lock sa for this thread's use unless it is held already (releasing
 * the one held before); dp_sa_release drops the held one. No-ops unless
 * dp->sa_locking. */
void dp_sa_hold(struct dp *dp, struct sad_sa *sa);
void dp_sa_release(struct dp *dp);

/* Re-read the host's addresses (getifaddrs), for dp and its chain.
 * Control loop, about once a second. 0 or -errno. */
int dp_refresh_local(struct dp *dp);
bool dp_is_local(const struct dp *dp, const struct ip_addr *a);

/* Inbound: packets from the public sockets (p->meta filled by io/sock.c:
 * udp_encap, ports, outer addresses). */
void dp_input(struct dp *dp, struct pkt **pkts, unsigned n);
/* Outbound: IP packets read from the TUN device. */
void dp_output(struct dp *dp, struct pkt **pkts, unsigned n);

static inline bool dp_flow_same(const struct xfrm_flow *a, const struct xfrm_flow *b)
{
	return a->proto == b->proto && a->sport == b->sport && a->dport == b->dport &&
	       ip_addr_equal(&a->saddr, &b->saddr) && ip_addr_equal(&a->daddr, &b->daddr);
}

/* The SAD and SPD generations together (the flow caches' key). */
uint64_t dp_tables_gen(const struct dp *dp);

/* An ESP packet from src to dst had an SPI no state has: tell
 * events->unknown_spi, at most once a second per source. */
void dp_nostate(struct dp *dp, const struct ip_addr *src, const struct ip_addr *dst,
                uint32_t spi);

/* Count a drop in the xfrm_stat counters. */
static inline void dp_count_drop(struct dp *dp, enum drop_reason r)
{
	enum xfrm_mib m = drop_reason_mib(r);
	if (m < XFRM_MIB_MAX)
		dp->stats.mib[m]++;
}

#endif
