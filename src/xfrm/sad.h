/* The Security Association Database: ESP states keyed by
 * (destination address, SPI, protocol) for input, and found by reqid (and
 * addresses) for output. The same verbs as Linux XFRM netlink:
 * add, update, delete, get, flush.
 *
 * struct sad_sa is the hot data-plane state. The control plane (IKE) keeps
 * proposals, traffic selectors and lifetimes policy in its own structs and
 * changes the SAD only through these functions.
 *
 * Threading: the SAD is changed on the control loop only. With several
 * data-path workers (dp/gw.c, docs/workers.md) the control loop changes it
 * only while no worker is inside a batch (the gateway's rwlock), and
 * workers that share a state serialize its per-packet fields (oseq,
 * replay window, curlft, stats, the crypto context) with sad_sa_lock. */
#ifndef UIPSEC_XFRM_SAD_H
#define UIPSEC_XFRM_SAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/clock.h"
#include "xfrm/xfrm.h"
#include "xfrm/replay.h"

struct crypto_esp;   /* cipher contexts, owned by the state (crypto/esp_crypto.h) */

#define SAD_FLAG_ESN        0x01   /* extended sequence numbers (flag esn) */
#define SAD_FLAG_NOECN      0x02
#define SAD_FLAG_DECAP_DSCP 0x04

/* Per-state error counters (beside lifetime_cur's bytes and packets). */
struct sad_sa_stats {
	uint64_t replay;            /* replayed or too old: XfrmInStateSeqError */
	uint64_t replay_window;     /* outside the window (too old) */
	uint64_t integrity_failed;  /* ICV did not verify: XfrmInStateProtoError */
	uint64_t bad_padding;       /* pad/pad length/next header invalid */
	uint64_t malformed;         /* too short, bad lengths */
	uint64_t expired;           /* dropped because a hard limit was hit */
	uint64_t seq_overflow;      /* outbound seq would wrap: XfrmOutStateSeqError */
	uint64_t out_packets, out_bytes;  /* split of lifetime_cur by direction */
	uint64_t in_packets, in_bytes;
};

enum sad_state {
	SAD_STATE_VALID = 0,
	SAD_STATE_EXPIRED_SOFT = 1,  /* still usable; soft expire event sent */
	SAD_STATE_DEAD = 2,          /* hard expired or deleted */
};

struct sad_sa {
	/* identity: (daddr, spi, proto) */
	struct ip_addr daddr;
	struct ip_addr saddr;
	uint32_t spi;              /* host order */
	uint8_t proto;             /* IPPROTO_ESP_ only, for now */
	uint8_t mode;              /* enum xfrm_mode */
	uint8_t state;             /* enum sad_state */
	uint8_t flags;             /* SAD_FLAG_* */
	bool limit_reached;        /* a packet made curlft reach a byte or packet
	                            * limit (sad_sa_count); the data path reports
	                            * it (sad_sa_report) and clears it */
	uint32_t reqid;

	/* algorithms as configured (for printing and re-keying the context) */
	struct xfrm_algo aead;     /* name empty if not an AEAD state */
	struct xfrm_algo enc;
	struct xfrm_algo auth;
	struct crypto_esp *crypto; /* built from the above by sad_add() */

	struct xfrm_encap encap;
	struct xfrm_selector sel;  /* optional selector of the state (sel ...) */

	/* sequence numbers: outbound 64-bit counter, inbound replay window */
	uint64_t oseq;             /* last sent; next is oseq + 1 */
	struct replay_window replay;

	struct xfrm_lifetime_cfg lft;
	struct xfrm_lifetime_cur curlft;
	struct sad_sa_stats stats;

	uint32_t mark, mark_mask;  /* not used for lookup yet, printed */
	void *user;                /* owner's cookie (e.g. the IKE child) */
};

struct sad;
struct xfrm_events;

/* Create an empty SAD. events may be NULL (no key manager). */
struct sad *sad_new(struct xfrm_events *events);
/* Free every state (keys wiped) and the table. */
void sad_free(struct sad *sad);

/* Add a copy of *sa. Builds the crypto context from the algorithms
 * (crypto_esp_new; sa->crypto is ignored). Returns 0, -EEXIST if (daddr,
 * spi, proto) is taken, -EINVAL for a bad state (proto not ESP, SPI
 * 0..255, addresses missing or of different families, unknown mode,
 * window > REPLAY_WINDOW_MAX, sequence numbers beyond 32 bits without
 * ESN, encap type not espinudp or without ports, a bad selector, aead
 * together with enc/auth, unknown algorithm, wrong key length), -ENOMEM.
 * Stored as given except: state VALID, stats zeroed, replay.esn taken
 * from SAD_FLAG_ESN (replay.size and replay.top kept, bitmap cleared),
 * curlft add times set to now and use times to 0 (bytes/packets kept),
 * sel normalized. On success *out (if non-NULL) points at the stored
 * state, valid until it is deleted. Fires XFRM_EV_STATE_ADD.
 * The caller's copy of the keys is the caller's to wipe. */
int sad_add(struct sad *sad, const struct sad_sa *sa, struct sad_sa **out);
/* The same, with a one-line reason for -EINVAL in err (may be NULL), e.g.
 * "SPI 0x10 is reserved (0..255)" or crypto_esp_new's key length message. */
int sad_add_err(struct sad *sad, const struct sad_sa *sa, struct sad_sa **out,
                char *err, size_t errlen);
/* Change the state with the same (daddr, spi, proto) in place (pointers to
 * it stay valid). Replaced: saddr, mode, flags, reqid, encap, sel, lft,
 * mark; algorithms and keys only if sa names any (a new crypto context;
 * the old one is freed: callers sharing the state with other threads must
 * quiesce them first); user only if non-NULL. Kept unless sa sets them
 * (nonzero): oseq, replay.size, replay.top (setting top clears the
 * bitmap); always kept: counters (curlft, stats). An update cannot switch
 * replay protection off or change flag esn (-EINVAL). The state becomes
 * VALID again (a soft expire may fire anew under the new limits).
 * -ENOENT if absent or hard expired (dead); -EINVAL as for sad_add (the
 * state is then unchanged).
 * Fires XFRM_EV_STATE_UPDATE. */
int sad_update(struct sad *sad, const struct sad_sa *sa);
int sad_update_err(struct sad *sad, const struct sad_sa *sa, char *err, size_t errlen);
/* Remove and free (keys wiped). -ENOENT if absent. Fires XFRM_EV_STATE_DEL
 * (before the state is freed). */
int sad_del(struct sad *sad, const struct ip_addr *daddr, uint32_t spi, uint8_t proto);
/* Remove every state (proto 0 = all), keys wiped. Returns how many were
 * removed. Fires one XFRM_EV_STATE_FLUSH (sa NULL). */
int sad_flush(struct sad *sad, uint8_t proto);

/* O(1) input lookup: (daddr, spi, proto). NULL if none or dead (hard
 * expired, waiting for sad_expire_tick to free it). */
struct sad_sa *sad_lookup(struct sad *sad, const struct ip_addr *daddr,
                          uint32_t spi, uint8_t proto);
/* Output lookup for a template: a valid state with this reqid (if nonzero),
 * addresses (if non-NULL and set) and mode. The newest wins, as in
 * Linux (so a rekeyed SA takes over), but a state that is not soft
 * expired beats one that is. O(states with this reqid); reqid 0 scans all
 * states. For a transport-mode template without addresses, pass the
 * flow's addresses, as Linux's xfrm_tmpl_resolve_one does. The state's
 * own selector (sa->sel) is not checked here. NULL if none. */
struct sad_sa *sad_lookup_out(struct sad *sad, uint32_t reqid,
                              const struct ip_addr *saddr,
                              const struct ip_addr *daddr, uint8_t mode);
/* The same for a policy template and the packet's flow, as Linux's
 * xfrm_tmpl_resolve_one + xfrm_state_find: template addresses if set,
 * else (transport mode) the flow's; t->reqid and t->spi if nonzero;
 * t->mode; and a state with a selector (sa->sel.family set) only if the
 * selector matches fl. Prefer this on the output path: with IKE both
 * directions share a reqid, and in transport mode only the addresses tell
 * the outbound state from the inbound one. */
struct xfrm_tmpl;
struct sad_sa *sad_lookup_out_flow(struct sad *sad, const struct xfrm_tmpl *t,
                                   const struct xfrm_flow *fl);

/* Serialize the per-packet use of a stored state (one returned by the
 * lookups) between data-path threads: esp_input/esp_output under it. A
 * plain mutex per state, uncontended when each SA stays on one worker;
 * the data path holds it across a run of packets of the same state, not
 * per packet. Single-threaded users need not call these. */
void sad_sa_lock(struct sad_sa *sa);
void sad_sa_unlock(struct sad_sa *sa);

/* Iterate in insertion order (dead states included). Returning nonzero
 * from fn stops and returns that value. fn may delete the state it is
 * given, no other. */
int sad_walk(struct sad *sad, int (*fn)(struct sad_sa *sa, void *arg), void *arg);
unsigned sad_count(const struct sad *sad);
/* A number that changes whenever a state is added, changed, expired or
 * removed: a pointer to a state found while it had one value is still
 * valid, and still the answer of the same lookup, while it has it. */
uint64_t sad_generation(const struct sad *sad);

/* Lifetime limits: XFRM_INF or 0 = none. A packet passes if the counters
 * before it were below the hard limits (as in Linux), so with
 * hard_packet_limit N exactly N packets pass. Soft expire fires once, when
 * a counter reaches its soft limit; hard expire when it reaches the hard
 * one: the state is marked SAD_STATE_DEAD (sad_lookup and sad_lookup_out
 * skip it) and freed by the next sad_expire_tick. The packet path never
 * frees a state.
 *
 * One implementation, in three parts, which the data path (esp_input,
 * esp_output, dp) and the unit tests share:
 *   sad_sa_hard_reached  before a packet: drop it (dead, or a hard byte or
 *                        packet limit already reached);
 *   sad_sa_count         after a packet passed: curlft (bytes, packets,
 *                        first use), stats in or out; the packet that makes
 *                        a counter reach a soft or hard limit sets
 *                        sa->limit_reached (no lock, no event: it runs on
 *                        any data-path thread, under the state's
 *                        sad_sa_lock when states are shared);
 *   sad_sa_report        on the thread that owns the SAD (the data path's
 *                        loop without workers; the control loop, relayed,
 *                        with them): clears limit_reached and raises the
 *                        soft/hard expire events (sad_sa_check_limits).
 * So the packet that crosses a soft limit raises the expire event, not
 * the next 1-second tick; sad_expire_tick still checks every state
 * (limits lowered by sad_update below the counters, time limits). */

/* First use of a state: use_time (monotonic, never 0) and its wall time. */
static inline void sad_sa_first_use(struct sad_sa *sa, uint64_t now)
{
	sa->curlft.use_time = now ? now : 1;   /* 0 means unused */
	sa->curlft.use_time_wall = clock_wall_sec();
}

static inline bool sad_sa_hard_reached(const struct sad_sa *sa)
{
	const struct xfrm_lifetime_cfg *l = &sa->lft;
	const struct xfrm_lifetime_cur *c = &sa->curlft;

	return sa->state == SAD_STATE_DEAD ||
	       (l->hard_packet_limit && c->packets >= l->hard_packet_limit) ||
	       (l->hard_byte_limit && c->bytes >= l->hard_byte_limit);
}

/* Count one packet of len (inner) bytes that passed; dir 0 in, 1 out. */
static inline void sad_sa_count(struct sad_sa *sa, uint32_t len, int dir)
{
	const struct xfrm_lifetime_cfg *l = &sa->lft;
	struct xfrm_lifetime_cur *c = &sa->curlft;
	uint64_t b0 = c->bytes;

	if (__builtin_expect(!c->use_time, 0))
		sad_sa_first_use(sa, clock_mono_sec());
	c->bytes = b0 + len;
	c->packets++;
	if (dir) {
		sa->stats.out_packets++;
		sa->stats.out_bytes += len;
	} else {
		sa->stats.in_packets++;
		sa->stats.in_bytes += len;
	}
	/* This packet made a counter reach a limit (0 and XFRM_INF: none;
	 * b0 < limit <= bytes is the crossing, so each fires once). */
	if (__builtin_expect(c->packets == l->soft_packet_limit ||
	                     c->packets == l->hard_packet_limit ||
	                     (b0 < l->soft_byte_limit && c->bytes >= l->soft_byte_limit) ||
	                     (b0 < l->hard_byte_limit && c->bytes >= l->hard_byte_limit), 0))
		sa->limit_reached = true;
}

/* Clear sa->limit_reached and check the byte and packet limits
 * (sad_sa_check_limits). The thread that owns the SAD only. */
void sad_sa_report(struct sad *sad, struct sad_sa *sa);

/* The three above for one packet, in one call, for single-threaded users
 * (tests, tools): false (and stats.expired counted) if sad_sa_hard_reached;
 * else sad_sa_count, with the first use stamped from the SAD's clock
 * (sad_set_clock), and sad_sa_report if a limit was reached. */
bool sad_sa_account(struct sad *sad, struct sad_sa *sa, uint32_t len, int dir);
/* Check the byte and packet limits against sa's counters as they are:
 * soft once (state EXPIRED_SOFT, expire event), hard marks the state DEAD
 * (expire event). Returns false if the state is (now) dead. */
bool sad_sa_check_limits(struct sad *sad, struct sad_sa *sa);

/* Check every state against now (monotonic seconds, the clock of
 * sad_set_clock): time limits since add and since first use, and byte and
 * packet limits (so limits are enforced within a tick even if the packet
 * path does not check). Soft: expire event, once. Hard: expire event, then
 * the state is freed (keys wiped) without a separate delete event, as in
 * Linux. Also frees states the packet path marked dead. Call about once a
 * second from the control loop. Returns the number of states removed. */
int sad_expire_tick(struct sad *sad, uint64_t now);

/* Replace the monotonic clock (seconds) used for add_time and use_time;
 * NULL restores clock_mono_sec(). For tests. */
void sad_set_clock(struct sad *sad, uint64_t (*now)(void *ctx), void *ctx);

/* Allocate an unused SPI in [lo, hi] for daddr (like XFRM_MSG_ALLOCSPI),
 * drawn with crypto_rand; lo below 256 is raised to 256. The SPI is not
 * reserved: add the state with it (sad_add says -EEXIST in the unlikely
 * case that it was taken meanwhile). Returns 0 and sets *spi, -EINVAL if
 * the range is empty, -EIO if the RNG failed, -EAGAIN if none free. */
int sad_alloc_spi(struct sad *sad, const struct ip_addr *daddr, uint32_t lo,
                  uint32_t hi, uint32_t *spi);

#endif
