/* Test helper: two IKE instances in one process, A (192.0.2.1) and B
 * (192.0.2.2), over an in-memory network with a deterministic random
 * source and a fake clock, each with its own SAD/SPD behind the SAD/SPD
 * backend. Shared by the two-party unit tests (test_ike_exchange.c) and
 * the stateful IKE fuzzer (tests/fuzz/fuzz_ike_stateful.c), so it uses no
 * cmocka: a broken expectation of the harness itself aborts (PAIR_CHECK).
 *
 * It also lets a test speak as one of the peers past IKE_SA_INIT: read
 * the plaintext of a queued, SK-protected message with the sender's keys
 * (pair_open) and seal a payload chain of one's own choosing into a
 * correctly encrypted and integrity-protected message (pair_seal), so
 * that what is behind the integrity check can be reached on purpose.
 *
 * The state is global (one pair per process), which the tests are built
 * around; pair_up() starts it afresh, pair_down() frees it. */
#ifndef UIPSEC_TESTS_IKE_PAIR_H
#define UIPSEC_TESTS_IKE_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ike/ike.h"
#include "ike/ike_msg.h"
#include "xfrm/events.h"

struct ike_sa;
struct sad;
struct spd;
struct xfrm_backend;

#define PAIR_CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: harness check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* One datagram in flight. */
struct pkt_q {
	struct ike_endpoint from, to;
	size_t len;
	uint8_t data[4096];
};
#define NET_MAX 2048

#define ENDS_MAX 16
struct peer {
	struct ike_ctx *ike;
	struct sad *sad;
	struct spd *spd;
	struct xfrm_backend *be;       /* the SAD/SPD backend */
	struct xfrm_backend *ike_be;   /* the one IKE uses: be, or pair_wrap_a's */
	struct ip_addr addr;
	struct ike_conn_cfg cfg;
	struct ike_child_cfg kids[8];  /* cfg.children (conn_cfg points it here) */
	struct xfrm_events ev;         /* the SAD's: expire goes to IKE, as in uipsecd */
	/* what io.ike_ended / io.child_ended reported, oldest first */
	unsigned nends, nchild_ends;
	struct ike_end_event ends[ENDS_MAX];
	struct ike_child_end_event child_ends[ENDS_MAX];
	/* what io.vip reported: additions, removals, the last address and
	 * the DNS servers that came with it */
	unsigned nvip_add, nvip_del;
	struct ip_addr vip_last;
	unsigned vip_ndns;
	struct ip_addr vip_dns[8];
};

extern struct peer A, B;
/* the network: datagrams in the order sent, not yet delivered */
extern struct pkt_q *net;
extern unsigned net_n;
extern uint64_t now_ms;
/* an optional NAT in front of A: A's packets leave with source nat_pub
 * and port + 10000, answers to nat_pub go back to A */
extern bool nat_on;
extern struct ip_addr nat_pub;
extern unsigned keepalives;          /* NAT keepalives sent */
/* the "routing" for local_addrs = %any: calls counted, route_err fails it */
extern unsigned route_calls;
extern int route_err;
/* If set before peers_up, A's IKE uses the backend it returns (put in
 * front of A's SAD/SPD backend, which is passed). */
extern struct xfrm_backend *(*pair_wrap_a)(struct xfrm_backend *below);

/* A connection "gw" with child "net" from local to remote, one TS each
 * way, the given proposals and PSK; its children are kids (room for 8,
 * zeroed), keyingtries 1 as swanctl.conf's default. */
void conn_cfg(struct ike_conn_cfg *c, struct ike_child_cfg *kids, const char *local, const char *remote, const char *lts,
              const char *rts, const char *ike, const char *esp, const char *psk);
/* Both peers afresh (RNG and clock reset to their start, empty network), A with
 * ike_a/esp_a, B with ike_b/esp_b, B's PSK psk_b (NULL: the same) and
 * remote TS rts_b (NULL: A's local TS); connections loaded. */
void peers_up(const char *ike_a, const char *esp_a, const char *ike_b, const char *esp_b,
              const char *psk_b, const char *rts_b);
/* kill -9 and a restart of p: every SA and state is gone (a new IKE core
 * and tables), the same connection p->cfg is loaded again. */
void pair_restart(struct peer *p);
/* Free both peers and the network; NAT, routing and wrap settings reset.
 * Doing it twice is harmless. */
void pair_down(void);
/* pair_down() as a cmocka teardown (state unused); returns 0. */
int pair_teardown(void **state);
/* The address s (a literal the test wrote: a parse failure aborts). */
struct ip_addr pair_ip(const char *s);

/* Deliver the oldest datagram (drop it if drop). False if none. */
bool deliver(bool drop);
/* Deliver datagram i ahead of the others (reordering). */
void deliver_nth(unsigned i);
/* Deliver until the network is empty (at most max datagrams); the
 * number delivered. */
unsigned pair_deliver_all(unsigned max);
/* Advance the clock by ms and run both peers' timers. */
void tick(uint64_t ms);

/* IKE_SA_INIT then IKE_AUTH from A ("net"), each message delivered in
 * order. True if both ends ended up ESTABLISHED with nothing in flight. */
bool pair_establish(void);

/* ---- speaking as a peer past IKE_SA_INIT ---- */

/* p's live IKE SA with the SPIs of header h (NULL: p's newest one). */
struct ike_sa *pair_sa(struct peer *p, const struct ike_hdr *h);
/* Message ID of p's next request on sa, taken (as a request nobody waits
 * for an answer to would take it). */
uint32_t pair_take_msgid(struct ike_sa *sa);
/* sa's SPIs; false if the responder's is not known yet. */
bool pair_sa_spis(const struct ike_sa *sa, uint64_t *spi_i, uint64_t *spi_r);
/* The message ID sa expects of the peer's next request. */
uint32_t pair_expected_msgid(const struct ike_sa *sa);
/* The message ID of sa's own request in flight; false if none. */
bool pair_in_flight(const struct ike_sa *sa, uint32_t *msgid);
/* The data plane tells p that the i-th state of its SAD (in insertion
 * order) reached a soft or hard limit. False if there is no such state. */
bool pair_expire(struct peer *p, unsigned i, bool hard);
/* The plaintext inside q's SK payload, read with the keys of p's IKE SA
 * (p sent q or is to receive it): the inner payload chain into chain
 * (cap bytes), its first payload type into *first, the header into *h.
 * The chain's length, or -1 (no SA, no SK, does not verify, does not
 * fit). */
int pair_open(struct peer *p, const struct pkt_q *q, struct ike_hdr *h, uint8_t *first,
              uint8_t *chain, size_t cap);
/* Seal: header h (length filled in), an SK payload holding chain[0, len)
 * whose first payload is first, encrypted and integrity-protected with
 * sender's outbound keys of the SA h names. Into q (addresses kept if
 * q->len is set, else sender -> the other peer on the SA's ports).
 * 0, or -1 (no SA, too big). */
int pair_seal(struct peer *sender, const struct ike_hdr *h, uint8_t first, const uint8_t *chain,
              size_t len, struct pkt_q *q);
/* The same for an Encrypted Fragment message (RFC 7383): its content
 * (the piece of the inner chain it carries) into content, its SKF Next
 * Payload into *first, its numbers into *num and *total. The content's
 * length, or -1. */
int pair_frag_open(struct peer *p, const struct pkt_q *q, struct ike_hdr *h, uint8_t *first,
                   uint16_t *num, uint16_t *total, uint8_t *content, size_t cap);
/* Seal fragment num of total carrying content[0, len), SKF Next Payload
 * first, as sender would (its outbound keys of the SA h names), into q as
 * pair_seal does. 0, or -1. */
int pair_frag_seal(struct peer *sender, const struct ike_hdr *h, uint8_t first, uint16_t num,
                   uint16_t total, const uint8_t *content, size_t len, struct pkt_q *q);
/* Hand q to its destination as if it came off the network. */
void pair_inject(const struct pkt_q *q);

/* ---- invariants ---- */

/* The data plane matches IKE on p: every installed CHILD SA has both its
 * states in p's SAD, and the SAD holds no other state. Returns NULL or
 * what is wrong. */
const char *pair_consistent(struct peer *p);

#endif
