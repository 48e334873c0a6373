/* Anti-replay window, RFC 4303 section 3.4.3 and Appendix A, with extended
 * sequence numbers (64-bit counters of which the low 32 bits are on the
 * wire).
 *
 * Two steps, as the RFC orders them: replay_check() before decryption
 * (cheap rejection, and ESN: infers the high 32 bits that go into the ICV),
 * replay_advance() only after the ICV has verified. Between the two the
 * window is not changed, so a forged packet cannot move it. */
#ifndef UIPSEC_XFRM_REPLAY_H
#define UIPSEC_XFRM_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_WINDOW_MAX 8192                 /* packets; must be a power of two */
/* Windows up to this many packets (the default is 32) keep their ring in
 * the struct itself; larger ones get a ring of their own (ext), sized to
 * the window rounded up to a power of two. */
#define REPLAY_INLINE_BITS 256
#define REPLAY_INLINE_WORDS (REPLAY_INLINE_BITS / 64)

struct replay_window {
	uint64_t top;      /* highest sequence number accepted (full 64 bits) */
	uint32_t size;     /* window size in packets, 0 = no replay protection */
	bool esn;          /* extended sequence numbers */
	uint32_t ring_bits;  /* bits in the ring, a power of two (0 = unset) */
	uint64_t *ext;     /* the ring if ring_bits > REPLAY_INLINE_BITS */
	uint64_t bitmap[REPLAY_INLINE_WORDS];  /* the ring otherwise; bit for
	                                        * seq s: s % ring_bits */
};

enum replay_verdict {
	REPLAY_OK = 0,
	REPLAY_DUPLICATE,   /* seen before */
	REPLAY_TOO_OLD,     /* left of the window */
	REPLAY_INVALID,     /* sequence number 0 without ESN */
};

/* size 0..REPLAY_WINDOW_MAX packets, kept exactly as given (the ring is
 * size rounded up to a power of two, at least REPLAY_INLINE_BITS; size
 * only limits how old a packet may be). Above REPLAY_INLINE_BITS the ring
 * is allocated: release it with replay_free. w need not be initialized
 * (anything it held is not freed).
 * Size 0 means no replay protection: duplicates are accepted and only top
 * is tracked (for printing, and with ESN for inferring the high bits, then
 * taking the candidate nearest top). Sequence number 0 is always refused
 * (REPLAY_INVALID). Returns false (and w zeroed) if size is too big or out of memory. */
bool replay_init(struct replay_window *w, uint32_t size, bool esn);
/* Free an allocated ring (w keeps size, top and esn, with no ring: only
 * replay_init or replay_free may follow). NULL or zeroed w: nothing. */
void replay_free(struct replay_window *w);
/* Change the size of an initialized window, keeping top and the marks of
 * the packets inside both windows. false (w unchanged) if too big or out
 * of memory. */
bool replay_resize(struct replay_window *w, uint32_t size);
/* Has seq (within the window) been marked? */
bool replay_seen(const struct replay_window *w, uint64_t seq);

/* Set the window's position (ip xfrm replay-seq / replay-seq-hi); clears
 * the bitmap, so top itself is acceptable once more, as in Linux. Without
 * ESN only the low 32 bits are kept. */
void replay_set_top(struct replay_window *w, uint64_t top);

/* Pre-decryption check of the 32 low bits seen on the wire. On REPLAY_OK
 * sets *seq to the full sequence number to authenticate (with ESN, the
 * inferred high bits per RFC 4303 Appendix A2.2). Does not change w.
 * With ESN a packet older than the window is (per the RFC) taken to be from
 * the next 2^32 subspace and returns REPLAY_OK: its ICV will then fail.
 * REPLAY_TOO_OLD with ESN only before the first subspace. */
enum replay_verdict replay_check(const struct replay_window *w, uint32_t seq_lo,
                                 uint64_t *seq);

/* Post-ICV update: marks seq as received and slides the window. Checks
 * again (a duplicate may have been decrypted in parallel) and returns the
 * verdict; REPLAY_OK means the packet is accepted. */
enum replay_verdict replay_advance(struct replay_window *w, uint64_t seq);

/* Low 32 bits of the bitmap nearest the top, for printing like ip xfrm. */
uint32_t replay_bitmap32(const struct replay_window *w);

const char *replay_verdict_name(enum replay_verdict v);

#endif
