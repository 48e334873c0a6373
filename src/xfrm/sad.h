/* The Security Association Database: ESP states keyed by
 * (destination address, SPI, protocol) for input, and found by reqid (and
 * addresses) for output. The same verbs as Linux XFRM netlink:
 * add, update, delete, get, flush.
 *
 * struct sad_sa is the hot data-plane state. The control plane (IKE) keeps
 * proposals, traffic selectors and lifetimes policy in its own structs and
 * changes the SAD only through these functions.
 *
 * Threading: the SAD is changed on the control loop only. */
#ifndef UIPSEC_XFRM_SAD_H
#define UIPSEC_XFRM_SAD_H

#include <stdbool.h>
#include <stdint.h>

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

/* Add a copy of *sa. Builds the crypto context from the algorithms.
 * Returns 0, -EEXIST if (daddr, spi, proto) is taken, -EINVAL for a bad
 * state (SPI 0..255, unknown algorithm, wrong key length, window too big),
 * -ENOMEM. On success *out (if non-NULL) points at the stored state. */
int sad_add(struct sad *sad, const struct sad_sa *sa, struct sad_sa **out);
/* Replace the state with the same (daddr, spi, proto), keeping counters and
 * sequence numbers unless the new one sets them. -ENOENT if absent. */
int sad_update(struct sad *sad, const struct sad_sa *sa);
/* Remove and free (keys wiped). -ENOENT if absent. */
int sad_del(struct sad *sad, const struct ip_addr *daddr, uint32_t spi, uint8_t proto);
/* Remove every state (proto 0 = all). Returns how many were removed. */
int sad_flush(struct sad *sad, uint8_t proto);

/* O(1) input lookup: (daddr, spi, proto). NULL if none or dead. */
struct sad_sa *sad_lookup(struct sad *sad, const struct ip_addr *daddr,
                          uint32_t spi, uint8_t proto);
/* Output lookup for a template: a valid state with this reqid (if nonzero),
 * addresses (if set in the template) and mode. The newest wins, as in
 * Linux (so a rekeyed SA takes over). NULL if none. */
struct sad_sa *sad_lookup_out(struct sad *sad, uint32_t reqid,
                              const struct ip_addr *saddr,
                              const struct ip_addr *daddr, uint8_t mode);

/* Iterate in insertion order. Returning nonzero from fn stops. */
int sad_walk(struct sad *sad, int (*fn)(struct sad_sa *sa, void *arg), void *arg);
unsigned sad_count(const struct sad *sad);

/* Account for one packet of len bytes (dir: 0 in, 1 out) and check the
 * lifetime limits; raises soft/hard expire events. Returns false if the
 * state is (now) hard expired and the packet must be dropped. */
bool sad_sa_account(struct sad *sad, struct sad_sa *sa, uint32_t len, int dir);

/* Check time-based lifetimes of every state against now (monotonic
 * seconds): soft expire events, hard expire deletes. Call about once a
 * second from the control loop. Returns the number of states removed. */
int sad_expire_tick(struct sad *sad, uint64_t now);

/* Allocate an unused SPI in [lo, hi] for daddr (like XFRM_MSG_ALLOCSPI).
 * Returns 0 and sets *spi, or -EAGAIN if none free. */
int sad_alloc_spi(struct sad *sad, const struct ip_addr *daddr, uint32_t lo,
                  uint32_t hi, uint32_t *spi);

#endif
