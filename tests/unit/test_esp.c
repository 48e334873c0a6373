/* esp/: round trips for every algorithm, mode, inner/outer family, ESN and
 * UDP encapsulation over payload sizes 0..1500; and bad input, each with
 * its drop reason and counter: truncation, short packets, bad padding,
 * bad next header, dummy packets, TFC padding, every flipped bit, replay,
 * sequence number exhaustion, expired states, no room. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "esp/udp_encap.h"
#include "esp_test_sa.h"

static uint8_t bufmem[PKT_DEFAULT_CAP];

static const uint8_t v4_in_src[4] = { 10, 1, 0, 2 }, v4_in_dst[4] = { 10, 2, 0, 2 };
static const uint8_t v6_in_src[16] = { 0xfd, 0, 1, [15] = 2 };
static const uint8_t v6_in_dst[16] = { 0xfd, 0, 2, [15] = 2 };

struct pair {
	struct sad_sa out, in;
};

static void pair_init(struct pair *sp, const struct test_alg *alg, int mode, int family,
                      bool esn, bool encap)
{
	assert_int_equal(test_sa_init(&sp->out, alg, mode, family, esn, encap, 0xc0de0001, 7), 0);
	assert_int_equal(test_sa_init(&sp->in, alg, mode, family, esn, encap, 0xc0de0001, 7), 0);
}

static void pair_free(struct pair *sp)
{
	crypto_esp_free(sp->out.crypto);
	crypto_esp_free(sp->in.crypto);
}

/* Build the inner packet for the pair's mode into p; returns its length
 * and copies it to orig. */
static uint32_t make_inner(struct pair *sp, struct pkt *p, int inner_family, uint32_t n,
                           uint8_t *orig, uint8_t fill)
{
	uint8_t tmp[2048];
	uint32_t len;

	if (sp->out.mode == XFRM_MODE_TRANSPORT)
		len = test_inner_packet(tmp, sp->out.daddr.family, n, sp->out.saddr.a,
		                        sp->out.daddr.a, fill);
	else if (inner_family == AF_INET)
		len = test_inner_packet(tmp, AF_INET, n, v4_in_src, v4_in_dst, fill);
	else
		len = test_inner_packet(tmp, AF_INET6, n, v6_in_src, v6_in_dst, fill);
	pkt_init(p, bufmem, sizeof(bufmem), PKT_HEADROOM);
	assert_true(pkt_set(p, tmp, len));
	if (orig)
		memcpy(orig, tmp, len);
	return len;
}

/* What the receiving side does: strip the outer IP (and UDP) header that
 * esp_push_outer() wrote, checking it, and fill meta from it. */
static void receive_outer(struct pair *sp, struct pkt *p)
{
	const uint8_t *d = pkt_data(p);
	uint8_t proto;
	uint32_t hl;

	if ((d[0] >> 4) == 4) {
		assert_int_equal(ip_csum(d, IP4_HDR_LEN), 0);
		assert_int_equal(get_be16(d + 2), p->len);
		proto = d[9];
		p->meta.family = AF_INET;
		memset(p->meta.saddr, 0, 16);
		memset(p->meta.daddr, 0, 16);
		memcpy(p->meta.saddr, d + 12, 4);
		memcpy(p->meta.daddr, d + 16, 4);
		hl = IP4_HDR_LEN;
	} else {
		assert_int_equal((d[0] >> 4), 6);
		assert_int_equal(get_be16(d + 4) + IP6_HDR_LEN, p->len);
		proto = d[6];
		p->meta.family = AF_INET6;
		memcpy(p->meta.saddr, d + 8, 16);
		memcpy(p->meta.daddr, d + 24, 16);
		hl = IP6_HDR_LEN;
	}
	assert_int_equal(p->meta.family, sp->in.daddr.family);
	assert_memory_equal(p->meta.daddr, sp->in.daddr.a, 16);
	if (sp->in.encap.type) {
		assert_int_equal(proto, IP_PROTO_UDP);
		d += hl;
		assert_int_equal(get_be16(d), 4500);
		assert_int_equal(get_be16(d + 2), 4500);
		assert_int_equal(get_be16(d + 4), p->len - hl);
		if (p->meta.family == AF_INET)
			assert_int_equal(get_be16(d + 6), 0);
		else
			assert_int_equal(ip_csum_fold(ip_csum_partial(d, p->len - hl,
			        ip_csum_partial(p->meta.saddr, 32, IP_PROTO_UDP + p->len - hl))), 0);
		assert_int_equal(udp_encap_classify(d + UDP_HDR_LEN, p->len - hl - UDP_HDR_LEN),
		                 UDP_ENCAP_KIND_ESP);
		hl += UDP_HDR_LEN;
		p->meta.udp_encap = 1;
	} else {
		assert_int_equal(proto, IP_PROTO_ESP);
	}
	assert_non_null(pkt_pull(p, hl));
}

static void round_trip(struct pair *sp, int inner_family, uint32_t n)
{
	uint8_t orig[2048];
	struct pkt p;
	uint32_t len = make_inner(sp, &p, inner_family, n, orig, (uint8_t)n);
	struct crypto_esp *c = sp->out.crypto;
	uint32_t iv = crypto_esp_iv_len(c), icv = crypto_esp_icv_len(c);
	uint32_t blk = crypto_esp_block_len(c), plen, expect;
	uint64_t seq = sp->out.oseq + 1;

	plen = sp->out.mode == XFRM_MODE_TRANSPORT ?
	       len - (sp->out.daddr.family == AF_INET ? IP4_HDR_LEN : IP6_HDR_LEN) : len;
	expect = 8 + iv + (plen + 2 + blk - 1) / blk * blk + icv;
	assert_int_equal(esp_output(&sp->out, &p), DROP_NONE);
	assert_int_equal(p.len, expect);
	/* on the wire the packet grows by (p.len - plen) plus a new outer
	 * header in tunnel mode and UDP when encapsulated */
	assert_true(p.len - plen + (sp->out.mode == XFRM_MODE_TUNNEL ?
	            (sp->out.daddr.family == AF_INET ? 20 : 40) : 0) +
	            (sp->out.encap.type ? 8 : 0) <= esp_overhead(&sp->out));
	assert_int_equal(get_be32(pkt_data(&p)), 0xc0de0001);
	assert_int_equal(get_be32(pkt_data(&p) + 4), (uint32_t)seq);
	assert_int_equal(p.meta.family, sp->out.daddr.family);
	assert_memory_equal(p.meta.daddr, sp->out.daddr.a, 16);
	assert_memory_equal(p.meta.saddr, sp->out.saddr.a, 16);
	assert_int_equal(p.meta.udp_encap, sp->out.encap.type ? 1 : 0);
	if (sp->out.encap.type)
		assert_int_equal(p.meta.dport, 4500);

	assert_int_equal(esp_push_outer(&sp->out, &p), DROP_NONE);
	memset(&p.meta, 0, sizeof(p.meta));
	receive_outer(sp, &p);
	assert_int_equal(esp_input(&sp->in, &p), DROP_NONE);
	assert_int_equal(p.len, len);
	assert_memory_equal(pkt_data(&p), orig, len);
	assert_int_equal(sp->in.replay.top, seq);
}

static void test_roundtrip_all_sizes(void **state)
{
	/* aes128gcm and aes128cbc-sha256: every size, both modes */
	static const size_t algs[] = { 0, 7 };

	for (size_t a = 0; a < 2; a++)
		for (int mode = 0; mode <= 1; mode++) {
			struct pair sp;

			pair_init(&sp, &test_algs[algs[a]], mode, AF_INET, false, false);
			for (uint32_t n = 0; n <= 1500; n++)
				round_trip(&sp, AF_INET, n);
			assert_int_equal(sp.out.stats.out_packets, 1501);
			assert_int_equal(sp.in.stats.in_packets, 1501);
			pair_free(&sp);
		}
}

static const uint32_t some_sizes[] = { 0, 1, 2, 3, 4, 13, 14, 15, 16, 17, 31, 64, 100,
                                       255, 512, 999, 1024, 1400, 1420, 1499, 1500 };

static void test_roundtrip_matrix(void **state)
{
	static const int fams[] = { AF_INET, AF_INET6 };

	for (size_t a = 0; a < TEST_NALGS; a++)
		for (int mode = 0; mode <= 1; mode++)
			for (int of = 0; of < 2; of++)
				for (int inf = 0; inf < 2; inf++)
					for (int esn = 0; esn <= 1; esn++)
						for (int encap = 0; encap <= 1; encap++) {
							struct pair sp;

							if (mode == XFRM_MODE_TRANSPORT && inf != of)
								continue;
							pair_init(&sp, &test_algs[a], mode, fams[of], esn, encap);
							if (esn) {
								/* cross the 2^32 boundary on the way */
								sp.out.oseq = 0xfffffff8ull;
								replay_set_top(&sp.in.replay, 0xfffffff8ull);
							}
							for (size_t s = 0; s < sizeof(some_sizes) / 4; s++)
								round_trip(&sp, fams[inf], some_sizes[s]);
							if (esn)
								assert_true(sp.in.replay.top > 0xffffffffull);
							pair_free(&sp);
						}
}

/* ESN: the high bits are authenticated, so a receiver that guessed them
 * wrong (a window far behind) rejects the packet instead of accepting it. */
static void test_esn_high_bits_authenticated(void **state)
{
	for (size_t a = 0; a < TEST_NALGS; a++) {
		struct pair sp;
		struct pkt p;

		pair_init(&sp, &test_algs[a], XFRM_MODE_TUNNEL, AF_INET, true, false);
		sp.out.oseq = 0x500000000ull;
		replay_set_top(&sp.in.replay, 0x300000000ull);
		make_inner(&sp, &p, AF_INET, 40, NULL, 1);
		assert_int_equal(esp_output(&sp.out, &p), DROP_NONE);
		assert_int_equal(esp_input(&sp.in, &p), DROP_AUTH_FAILED);
		assert_int_equal(sp.in.stats.integrity_failed, 1);
		assert_int_equal(sp.in.replay.top, 0x300000000ull);
		pair_free(&sp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_all_sizes),
		cmocka_unit_test(test_roundtrip_matrix),
		cmocka_unit_test(test_esn_high_bits_authenticated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
