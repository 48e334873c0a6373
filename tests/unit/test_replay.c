/* Anti-replay window: a numbered table of edge cases (in the manner of
 * WireGuard's selftest/counter.c), then a differential run against a naive
 * model on random sequence numbers, with and without ESN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xfrm/replay.h"

enum op {
	RESET,   /* replay_init(size, esn) + replay_set_top(top) */
	CHECK,   /* replay_check only: verdict and inferred full seq */
	ADV,     /* replay_check, and on OK replay_advance (both must agree) */
	ADVRAW,  /* replay_advance on a full seq without a check first */
	TOP,     /* assert w.top == seq */
};

struct row {
	enum op op;
	uint64_t seq;            /* CHECK/ADV: low 32 bits go on the wire */
	enum replay_verdict v;   /* expected verdict */
	uint64_t full;           /* expected full seq on OK (0: same as seq) */
	uint32_t size;           /* RESET */
	int esn;                 /* RESET */
};

#define R(sz, e, top)   { RESET, (top), REPLAY_OK, 0, (sz), (e) }
#define C(s, v)         { CHECK, (s), (v), 0, 0, 0 }
#define CF(s, v, f)     { CHECK, (s), (v), (f), 0, 0 }
#define A(s, v)         { ADV, (s), (v), 0, 0, 0 }
#define AF(s, v, f)     { ADV, (s), (v), (f), 0, 0 }
#define AR(s, v)        { ADVRAW, (s), (v), 0, 0, 0 }
#define T(s)            { TOP, (s), REPLAY_OK, 0, 0, 0 }

#define OK   REPLAY_OK
#define DUP  REPLAY_DUPLICATE
#define OLD  REPLAY_TOO_OLD
#define INV  REPLAY_INVALID

/* The window edges for a size S, without ESN: top = S + 10, so the oldest
 * acceptable is 11 and 10 is just outside. */
#define EDGES(S) \
	R(S, 0, 0), \
	A(1, OK), A(1, DUP), A(2, OK), \
	A((S) + 10, OK), T((S) + 10), \
	C(11, OK),                      /* diff S-1: just inside */ \
	C(10, OLD),                     /* diff S: just outside */ \
	C(1, OLD), C(2, OLD), \
	A(11, OK), A(11, DUP), \
	A((S) + 10, DUP), A((S) + 9, OK), A((S) + 9, DUP), \
	A((S) + 11, OK), C(11, OLD), C(12, OK), \
	A((S) + 11 + (S), OK),          /* jump by exactly the window */ \
	C((S) + 11, OLD), C((S) + 12, OK), C((S) + 11 + (S), DUP)

static const struct row rows[] = {
	/* 0: basics, window 64, no ESN */
	R(64, 0, 0),
	C(0, INV), A(0, INV),                 /* seq 0 is never valid */
	A(1, OK), A(1, DUP), A(2, OK), A(3, OK), A(2, DUP), A(1, DUP),
	A(5, OK), A(4, OK), A(4, DUP), A(5, DUP), T(5),
	A(0xffffffff, OK), T(0xffffffff),     /* the last usable number */
	C(0xffffffff, DUP), C(0xffffffff - 63, OK), C(0xffffffff - 64, OLD),
	AR(0x100000000ull, INV),              /* no ESN: 32 bits only */

	/* out of order inside the window */
	R(64, 0, 0),
	A(10, OK), A(8, OK), A(9, OK), A(7, OK), A(10, DUP), A(8, DUP),
	A(70, OK), C(7, DUP), C(6, OLD), A(8, DUP), A(69, OK),
	A(71, OK), C(7, OLD), A(8, DUP), C(8, DUP), A(72, OK), C(8, OLD),

	/* the edges, for each size */
	EDGES(32), EDGES(64), EDGES(128), EDGES(4096), EDGES(8192),
	EDGES(100),
	/* window 1: only the top itself is checked */
	R(1, 0, 0),
	A(1, OK), A(1, DUP), A(2, OK), C(1, OLD), C(2, DUP), C(3, OK),
	A(5, OK), C(4, OLD), C(5, DUP),

	/* large jumps and the ring: bit positions shared by s and s+8192 */
	R(8192, 0, 0),
	A(200, OK), A(200 + 8191, OK), C(200, DUP),   /* still in window */
	A(200 + 8192, OK), C(200, OLD), C(201, OK), C(200 + 8192, DUP),
	A(201, OK), A(201, DUP),
	A(1000000, OK), C(200 + 8192, OLD), C(1000000 - 8191, OK),
	A(1000000 - 8191, OK), A(1000000 - 8191, DUP), C(1000000 - 8192, OLD),
	A(3000000000u, OK), C(1000000, OLD), C(3000000000u - 1, OK),
	R(64, 0, 0),
	A(1, OK), A(63, OK), A(64, OK), A(65, OK), A(128, OK), A(129, OK),
	C(1, OLD), C(64, OLD), C(65, OLD), C(66, OK), A(128, DUP), A(66, OK),
	A(129 + 64 * 5 + 3, OK), C(129, OLD), C(129 + 64 * 4 + 4, OK),
	A(129 + 64 * 4 + 4, OK), C(129 + 64 * 4 + 3, OLD),

	/* replay_set_top: Linux semantics, the bitmap starts empty */
	R(64, 0, 1000),
	C(1000, OK), C(937, OK), C(936, OLD), A(1001, OK), A(1000, OK), A(1000, DUP),

	/* window 0: no check, top still tracked, seq 0 still refused */
	R(0, 0, 0),
	A(5, OK), A(5, OK), A(1, OK), A(0, INV), T(5), A(9, OK), A(2, OK), T(9),

	/* ESN: crossing 2^32 upward, then looking back (hi - 1) */
	R(64, 1, 0xfffffff0),
	AF(0xfffffff5, OK, 0xfffffff5),
	AF(0x3, OK, 0x100000003),             /* case A: below bottom -> hi + 1 */
	T(0x100000003),
	CF(0xfffffff0, OK, 0xfffffff0),       /* case B: above bottom -> hi - 1 */
	AF(0xfffffff0, OK, 0xfffffff0),
	A(0xfffffff5, DUP), A(0xfffffff0, DUP), A(0x3, DUP),
	CF(0xffffffc4, OK, 0xffffffc4),       /* diff 63: just inside */
	CF(0xffffffc3, OK, 0x1ffffffc3),      /* below bottom: next subspace */
	CF(0x4, OK, 0x100000004),
	CF(0x0, OK, 0x100000000),             /* lo 0 is fine with hi 1 */
	AF(0x0, OK, 0x100000000), A(0x0, DUP),
	CF(0xffffffff, OK, 0xffffffff), AF(0xffffffff, OK, 0xffffffff),
	A(0xffffffff, DUP),

	/* ESN: window entirely in one subspace, far from any boundary */
	R(128, 1, 0x500001000ull),
	CF(0x1000, OK, 0x500001000ull),      /* empty bitmap */
	AF(0x1000, OK, 0x500001000ull),
	CF(0x1000 - 127, OK, 0x500001000ull - 127),
	CF(0x1000 - 128, OK, 0x600001000ull - 128),         /* hi + 1 */
	CF(0x2000, OK, 0x500002000ull),
	AF(0x2000, OK, 0x500002000ull), CF(0x1000, OK, 0x600001000ull), A(0x2000, DUP),

	/* ESN: the first subspace has nothing below it */
	R(64, 1, 0),
	C(0, INV), C(0xfffffff0, OLD), CF(1, OK, 1), AF(1, OK, 1), A(1, DUP),
	C(0xffffffc2, OLD), C(0xffffffff, OLD),
	A(100, OK), CF(0xfffffff0, OK, 0xfffffff0),         /* now case A */
	R(64, 1, 63),                                      /* tl == W - 1 */
	C(0, INV), CF(1, OK, 1),

	/* ESN: the last subspace has nothing above it */
	R(64, 1, 0xfffffffffffffff0ull),
	C(5, INV), CF(0xfffffff8, OK, 0xfffffffffffffff8ull),
	AF(0xffffffff, OK, 0xffffffffffffffffull), A(0xffffffff, DUP),

	/* ESN, window 8192 straddling the boundary */
	R(8192, 1, 0x200000010ull),
	CF(0xffffe011, OK, 0x1ffffe011ull),   /* bottom: diff 8191 */
	CF(0xffffe010, OK, 0x2ffffe010ull),   /* just below: next subspace */
	AF(0xfffffff0, OK, 0x1fffffff0ull), A(0xfffffff0, DUP),
	AF(0x10, OK, 0x200000010ull), A(0x10, DUP),
	AF(0x2010, OK, 0x200002010ull),       /* window now in one subspace */
	CF(0x11, OK, 0x200000011ull), CF(0x10, OK, 0x300000010ull),
	CF(0xfffffff0, OK, 0x2fffffff0ull),   /* gone: next subspace */

	/* ESN, window 0: inference by nearest, no duplicate check */
	R(0, 1, 0x100000010ull),
	CF(0xfffffff0, OK, 0xfffffff0ull), CF(0x20, OK, 0x100000020ull),
	CF(0x80000010, OK, 0x180000010ull), CF(0x80000011, OK, 0x80000011ull),
	AF(0x10, OK, 0x100000010ull), AF(0x10, OK, 0x100000010ull),
	R(0, 1, 0x1f0000000ull),
	CF(0x10, OK, 0x200000010ull), CF(0xe0000000, OK, 0x1e0000000ull),
};

static uint64_t ext_before[REPLAY_WINDOW_MAX / 64];

static void test_table(void **state)
{
	struct replay_window w;
	size_t i;

	(void)state;
	memset(&w, 0, sizeof(w));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		enum replay_verdict v = OK;
		uint64_t full = 0xdeadbeef;
		uint64_t want_full = r->full ? r->full : r->seq;
		struct replay_window before;

		switch (r->op) {
		case RESET:
			replay_free(&w);
			assert_true(replay_init(&w, r->size, r->esn));
			/* the default windows keep their ring inline */
			assert_true((w.ext != NULL) == (r->size > REPLAY_INLINE_BITS));
			replay_set_top(&w, r->seq);
			continue;
		case TOP:
			if (w.top != r->seq)
				fail_msg("row %zu: top %#llx, want %#llx", i,
				         (unsigned long long)w.top, (unsigned long long)r->seq);
			continue;
		case ADVRAW:
			v = replay_advance(&w, r->seq);
			if (v != r->v)
				fail_msg("row %zu: advance %#llx: %s, want %s", i,
				         (unsigned long long)r->seq, replay_verdict_name(v),
				         replay_verdict_name(r->v));
			continue;
		case CHECK:
		case ADV:
			memcpy(&before, &w, sizeof(w));
			if (w.ext)
				memcpy(ext_before, w.ext, w.ring_bits / 8);
			v = replay_check(&w, (uint32_t)r->seq, &full);
			if (memcmp(&before, &w, sizeof(w)) != 0 ||
			    (w.ext && memcmp(ext_before, w.ext, w.ring_bits / 8) != 0))
				fail_msg("row %zu: replay_check changed the window", i);
			if (v != r->v)
				fail_msg("row %zu: check %#llx: %s, want %s", i,
				         (unsigned long long)r->seq, replay_verdict_name(v),
				         replay_verdict_name(r->v));
			if (v == OK && full != want_full)
				fail_msg("row %zu: check %#llx: full %#llx, want %#llx", i,
				         (unsigned long long)r->seq, (unsigned long long)full,
				         (unsigned long long)want_full);
			if (v != OK && full != 0xdeadbeef)
				fail_msg("row %zu: *seq written on refusal", i);
			if (r->op == ADV && v == OK) {
				v = replay_advance(&w, full);
				if (v != OK)
					fail_msg("row %zu: advance after OK check: %s", i,
					         replay_verdict_name(v));
			}
			break;
		}
	}
	replay_free(&w);
}

/* A duplicate that passed the check twice (decrypted in parallel) is caught
 * by the second advance. */
static void test_parallel_duplicate(void **state)
{
	struct replay_window w;
	uint64_t s1, s2;

	(void)state;
	assert_true(replay_init(&w, 64, false));
	assert_int_equal(replay_check(&w, 7, &s1), OK);
	assert_int_equal(replay_check(&w, 7, &s2), OK);
	assert_int_equal(replay_advance(&w, s1), OK);
	assert_int_equal(replay_advance(&w, s2), DUP);
	/* and one that fell out of the window meanwhile */
	assert_int_equal(replay_check(&w, 8, &s1), OK);
	assert_int_equal(replay_advance(&w, 100), OK);
	assert_int_equal(replay_advance(&w, s1), OLD);
}

static void test_init_limits(void **state)
{
	struct replay_window w;

	(void)state;
	assert_true(replay_init(&w, REPLAY_WINDOW_MAX, true));
	assert_int_equal(w.size, REPLAY_WINDOW_MAX);
	assert_int_equal(w.ring_bits, REPLAY_WINDOW_MAX);
	replay_free(&w);
	assert_true(replay_init(&w, 32, false));     /* the default: inline */
	assert_null(w.ext);
	assert_true(replay_init(&w, 4096, false));
	assert_non_null(w.ext);
	assert_int_equal(w.ring_bits, 4096);
	replay_free(&w);
	assert_false(replay_init(&w, REPLAY_WINDOW_MAX + 1, false));
	assert_false(replay_init(&w, UINT32_MAX, false));
	assert_true(replay_init(&w, 33, false));
	assert_int_equal(w.size, 33);              /* kept as given */
	replay_set_top(&w, 0x123456789ull);        /* no ESN: 32 bits */
	assert_int_equal(w.top, 0x23456789u);
}

static void test_bitmap32(void **state)
{
	struct replay_window w;

	(void)state;
	assert_true(replay_init(&w, 64, false));
	assert_int_equal(replay_bitmap32(&w), 0);
	assert_int_equal(replay_advance(&w, 1), OK);
	assert_int_equal(replay_bitmap32(&w), 0x1);
	assert_int_equal(replay_advance(&w, 3), OK);
	assert_int_equal(replay_bitmap32(&w), 0x5);       /* 3 and 1 */
	assert_int_equal(replay_advance(&w, 40), OK);
	assert_int_equal(replay_bitmap32(&w), 0x1);       /* 3 is 37 behind */
	assert_int_equal(replay_advance(&w, 9), OK);
	assert_int_equal(replay_bitmap32(&w), 0x80000001u);
	assert_true(replay_init(&w, 4, false));
	for (uint64_t s = 1; s <= 10; s++)
		assert_int_equal(replay_advance(&w, s), OK);
	assert_int_equal(replay_bitmap32(&w), 0xf);       /* masked to size */
	assert_string_equal(replay_verdict_name(DUP), "replay");
	assert_string_equal(replay_verdict_name(OLD), "replay-too-old");
}

/* Naive reference: a top and a set of accepted numbers near base. */
#define SPAN 40000
struct naive {
	uint64_t top, base;
	uint32_t size;
	bool seen[SPAN];
};

static enum replay_verdict naive_test(const struct naive *n, uint64_t seq)
{
	if (seq == 0)
		return INV;
	if (seq > n->top || n->size == 0)
		return OK;
	if (n->top - seq >= n->size)
		return OLD;
	return n->seen[seq - n->base] ? DUP : OK;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void run_random(uint32_t size, bool esn, uint64_t base);

/* Resizing keeps top and the marks inside both windows; a grown window
 * then refuses old duplicates it could not see before, a shrunk one
 * refuses what fell out. */
static void test_resize(void **state)
{
	struct replay_window w;
	uint64_t s;

	(void)state;
	assert_true(replay_init(&w, 32, false));
	for (s = 1; s <= 100; s += 2)
		assert_int_equal(replay_advance(&w, s), OK);
	assert_true(replay_resize(&w, 4096));
	assert_non_null(w.ext);
	assert_int_equal(w.size, 4096);
	assert_int_equal(w.top, 99);
	assert_int_equal(replay_check(&w, 99, &s), DUP);
	assert_int_equal(replay_check(&w, 69, &s), DUP);    /* 30 behind: kept */
	assert_int_equal(replay_check(&w, 70, &s), OK);
	assert_int_equal(replay_check(&w, 1, &s), OK);      /* was too old, unseen */
	for (s = 100; s <= 5000; s++)
		assert_int_equal(replay_advance(&w, s), OK);
	assert_int_equal(replay_check(&w, 1000, &s), DUP);  /* 4000 behind */
	assert_true(replay_resize(&w, 64));
	assert_null(w.ext);
	assert_int_equal(replay_check(&w, 1000, &s), OLD);
	assert_int_equal(replay_check(&w, 4990, &s), DUP);
	assert_int_equal(replay_check(&w, 4937, &s), DUP);  /* 63 behind: the edge */
	assert_int_equal(replay_check(&w, 4936, &s), OLD);
	assert_false(replay_resize(&w, REPLAY_WINDOW_MAX + 1));
	assert_int_equal(w.size, 64);
	replay_free(&w);
}

static void run_random(uint32_t size, bool esn, uint64_t base)
{
	static struct naive n;
	struct replay_window w;
	uint64_t cur = base + SPAN / 4;

	memset(&n, 0, sizeof(n));
	n.size = size;
	n.base = base;
	n.top = base + 1;
	assert_true(replay_init(&w, size, esn));
	replay_set_top(&w, n.top);
	for (int i = 0; i < 60000; i++) {
		uint64_t r = rnd(), seq, full = 0;
		enum replay_verdict want, got;

		/* mostly near the top, sometimes far back, sometimes ahead */
		switch (r % 8) {
		case 0: seq = cur + (r >> 8) % 20000; break;
		case 1: case 2: seq = n.top - (r >> 8) % (size + 2 > 4 ? size + 2 : 4); break;
		default: seq = n.top + 1 - (r >> 8) % 40; break;
		}
		if (seq < base + 1 || seq >= base + SPAN)
			continue;
		want = naive_test(&n, seq);
		got = replay_check(&w, (uint32_t)seq, &full);
		if (esn && want == OK && got == OK && full != seq)
			fail_msg("size %u: seq %#llx inferred as %#llx", size,
			         (unsigned long long)seq, (unsigned long long)full);
		if (!esn || want != OLD) {
			if (got != want)
				fail_msg("size %u esn %d: seq %#llx: %s, want %s", size, esn,
				         (unsigned long long)seq, replay_verdict_name(got),
				         replay_verdict_name(want));
		} else {
			/* ESN: an old one is guessed to be 2^32 ahead (ICV fails) */
			assert_int_equal(got, OK);
			assert_true(full > w.top);
			continue;
		}
		if (got == OK && r % 3) {
			assert_int_equal(replay_advance(&w, full), OK);
			n.seen[seq - base] = true;
			if (seq > n.top)
				n.top = seq;
			if (seq > cur)
				cur = seq;
		}
		assert_true(w.top == n.top);
	}
	replay_free(&w);
}

static void test_random(void **state)
{
	static const uint32_t sizes[] = { 0, 1, 2, 31, 32, 63, 64, 65, 100, 128, 1000,
	                                  4096, 8000, 8192 };
	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		run_random(sizes[i], false, 0);
		run_random(sizes[i], true, 0);
		/* across 2^32, and across 2^33 */
		run_random(sizes[i], true, 0x100000000ull - SPAN / 2);
		run_random(sizes[i], true, 0x200000000ull - SPAN / 3);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_parallel_duplicate),
		cmocka_unit_test(test_init_limits),
		cmocka_unit_test(test_bitmap32),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_resize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
