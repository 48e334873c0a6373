/* Anti-replay window (RFC 4303 section 3.4.3 and Appendix A), with
 * extended sequence numbers.
 *
 * The window is a ring of ring_bits bits (a power of two >= size) indexed by the low bits of
 * the sequence number, as in Linux's xfrm_replay_advance_esn and
 * WireGuard's counter.c: sliding the window forward only clears the bits of
 * the sequence numbers that enter it; nothing is shifted. The configured
 * size (<= REPLAY_WINDOW_MAX) only decides how far behind the top a packet
 * may be; bits further behind may be stale and are never consulted.
 *
 *          top - size + 1                top
 *   ... ------|===========================|--------> sequence numbers
 *         too old  |  checked against the bitmap  |  new: moves top
 *
 * The owner of a struct replay_window serialises access (one worker per
 * inbound SA, or a serial stage after parallel decryption). */
#include "xfrm/replay.h"

#include <stdlib.h>
#include <string.h>

/* ESN, window size 0: no replay protection, but the high bits still have to
 * be guessed. With no window to go by, take the candidate nearest the top
 * (half of the 32-bit space on either side). */
#define ESN_INFER_NO_WINDOW 0x80000000u

/* The ring: inline for the default windows (no pointer to follow). A
 * zeroed struct (ring_bits 0) uses the inline ring too. */
static inline uint64_t *ring(struct replay_window *w)
{
	return __builtin_expect(w->ext != NULL, 0) ? w->ext : w->bitmap;
}

static inline const uint64_t *ring_c(const struct replay_window *w)
{
	return __builtin_expect(w->ext != NULL, 0) ? w->ext : w->bitmap;
}

static inline uint64_t ring_mask(const struct replay_window *w)
{
	return (w->ring_bits ? w->ring_bits : REPLAY_INLINE_BITS) - 1;
}

static inline size_t ring_words(const struct replay_window *w)
{
	return (ring_mask(w) + 1) / 64;
}

static inline bool bit_test(const struct replay_window *w, uint64_t seq)
{
	uint64_t i = seq & ring_mask(w);
	return (ring_c(w)[i >> 6] >> (i & 63)) & 1;
}

static inline void bit_set(struct replay_window *w, uint64_t seq)
{
	uint64_t i = seq & ring_mask(w);
	ring(w)[i >> 6] |= (uint64_t)1 << (i & 63);
}

static uint32_t ring_bits_for(uint32_t size)
{
	uint32_t b = REPLAY_INLINE_BITS;

	while (b < size)
		b <<= 1;
	return b;
}

bool replay_init(struct replay_window *w, uint32_t size, bool esn)
{
	memset(w, 0, sizeof(*w));
	if (size > REPLAY_WINDOW_MAX)
		return false;
	w->ring_bits = ring_bits_for(size);
	if (w->ring_bits > REPLAY_INLINE_BITS) {
		w->ext = calloc(w->ring_bits / 64, sizeof(uint64_t));
		if (!w->ext) {
			memset(w, 0, sizeof(*w));
			return false;
		}
	}
	w->size = size;
	w->esn = esn;
	return true;
}

void replay_free(struct replay_window *w)
{
	if (!w)
		return;
	free(w->ext);
	w->ext = NULL;
	w->ring_bits = 0;
	memset(w->bitmap, 0, sizeof(w->bitmap));
}

bool replay_seen(const struct replay_window *w, uint64_t seq)
{
	return bit_test(w, seq);
}

bool replay_resize(struct replay_window *w, uint32_t size)
{
	struct replay_window n;
	uint32_t keep;

	if (size == w->size)
		return true;
	if (!replay_init(&n, size, w->esn))
		return false;
	n.top = w->top;
	keep = size < w->size ? size : w->size;
	for (uint64_t back = 0; back < keep && back < w->top; back++)
		if (bit_test(w, w->top - back))
			bit_set(&n, w->top - back);
	replay_free(w);
	*w = n;
	return true;
}

void replay_set_top(struct replay_window *w, uint64_t top)
{
	if (!w->esn)
		top &= UINT32_MAX;
	w->top = top;
	memset(ring(w), 0, ring_words(w) * sizeof(uint64_t));
}

/* RFC 4303 Appendix A2.2: the high 32 bits for a received low half, from
 * where the window sits. Returns REPLAY_TOO_OLD if the guess falls before
 * the first subspace and REPLAY_INVALID if past the last one. */
static enum replay_verdict esn_infer(const struct replay_window *w, uint32_t seq_lo,
                                     uint64_t *seq)
{
	uint32_t tl = (uint32_t)w->top, th = (uint32_t)(w->top >> 32);
	uint32_t wsize = w->size ? w->size : ESN_INFER_NO_WINDOW;
	uint32_t bottom = tl - wsize + 1;   /* mod 2^32 */
	uint32_t hi = th;

	if (tl >= wsize - 1) {
		/* Case A: the window lies within one 2^32 subspace. Anything
		 * below its bottom is taken to be from the next subspace. */
		if (seq_lo < bottom) {
			if (th == UINT32_MAX)
				return REPLAY_INVALID;
			hi = th + 1;
		}
	} else {
		/* Case B: the window straddles a 2^32 boundary; its bottom is
		 * in the previous subspace. */
		if (seq_lo >= bottom) {
			if (th == 0)
				return REPLAY_TOO_OLD;
			hi = th - 1;
		}
	}
	*seq = (uint64_t)hi << 32 | seq_lo;
	return REPLAY_OK;
}

/* The window test for a full sequence number; shared by check and advance. */
static enum replay_verdict window_test(const struct replay_window *w, uint64_t seq)
{
	uint64_t diff;

	if (seq == 0)
		return REPLAY_INVALID;
	if (seq > w->top || w->size == 0)
		return REPLAY_OK;
	diff = w->top - seq;
	if (diff >= w->size)
		return REPLAY_TOO_OLD;
	return bit_test(w, seq) ? REPLAY_DUPLICATE : REPLAY_OK;
}

enum replay_verdict replay_check(const struct replay_window *w, uint32_t seq_lo,
                                 uint64_t *seq)
{
	uint64_t full = seq_lo;
	enum replay_verdict v;

	if (w->esn) {
		v = esn_infer(w, seq_lo, &full);
		if (v != REPLAY_OK)
			return v;
	}
	/* Sequence number 0 never comes from a conforming sender (the first
	 * packet carries 1 and the counter must not cycle, RFC 4303 3.3.3);
	 * window_test() rejects it, also with window size 0. */
	v = window_test(w, full);
	if (v == REPLAY_OK)
		*seq = full;
	return v;
}

enum replay_verdict replay_advance(struct replay_window *w, uint64_t seq)
{
	enum replay_verdict v;

	if (!w->esn && seq > UINT32_MAX)
		return REPLAY_INVALID;
	v = window_test(w, seq);
	if (v != REPLAY_OK)
		return v;
	if (seq > w->top) {
		uint64_t n = seq - w->top;

		uint64_t *r = ring(w), mask = ring_mask(w);

		if (n > mask) {
			memset(r, 0, ring_words(w) * sizeof(uint64_t));
		} else {
			/* Clear the ring positions of top+1 .. seq: first the
			 * bits up to a word boundary, then whole words, then
			 * the rest. */
			uint64_t s = w->top + 1;
			while (n && (s & 63)) {
				uint64_t i = s & mask;
				r[i >> 6] &= ~((uint64_t)1 << (i & 63));
				s++, n--;
			}
			while (n >= 64) {
				r[(s & mask) >> 6] = 0;
				s += 64, n -= 64;
			}
			while (n) {
				uint64_t i = s & mask;
				r[i >> 6] &= ~((uint64_t)1 << (i & 63));
				s++, n--;
			}
		}
		w->top = seq;
	}
	if (w->size)
		bit_set(w, seq);
	return REPLAY_OK;
}

uint32_t replay_bitmap32(const struct replay_window *w)
{
	uint32_t out = 0;
	unsigned n = w->size < 32 ? w->size : 32;

	for (unsigned i = 0; i < n && i < w->top; i++)
		if (bit_test(w, w->top - i))
			out |= 1u << i;
	return out;
}

const char *replay_verdict_name(enum replay_verdict v)
{
	switch (v) {
	case REPLAY_OK:        return "ok";
	case REPLAY_DUPLICATE: return "replay";
	case REPLAY_TOO_OLD:   return "replay-too-old";
	case REPLAY_INVALID:   return "seq-invalid";
	}
	return "?";
}
