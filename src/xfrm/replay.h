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

#define REPLAY_WINDOW_MAX 8192                 /* packets; must be a multiple of 64 */
#define REPLAY_WORDS (REPLAY_WINDOW_MAX / 64)

struct replay_window {
	uint64_t top;      /* highest sequence number accepted (full 64 bits) */
	uint32_t size;     /* window size in packets, 0 = no replay protection */
	bool esn;          /* extended sequence numbers */
	uint64_t bitmap[REPLAY_WORDS];  /* bit for seq s: (s % REPLAY_WINDOW_MAX) */
};

enum replay_verdict {
	REPLAY_OK = 0,
	REPLAY_DUPLICATE,   /* seen before */
	REPLAY_TOO_OLD,     /* left of the window */
	REPLAY_INVALID,     /* sequence number 0 without ESN */
};

/* size 0..REPLAY_WINDOW_MAX packets, kept exactly as given (the bitmap is
 * always REPLAY_WINDOW_MAX bits; size only limits how old a packet may be).
 * Size 0 means no replay protection: duplicates are accepted and only top
 * is tracked (for printing, and with ESN for inferring the high bits, then
 * taking the candidate nearest top). Sequence number 0 is always refused
 * (REPLAY_INVALID). Returns false (and w zeroed) if size is too big. */
bool replay_init(struct replay_window *w, uint32_t size, bool esn);

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
