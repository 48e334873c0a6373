/* libFuzzer target: esp_input on arbitrary bytes for fixed states.
 *
 * data[0] picks the state: bits 0-3 the algorithm (tests/unit/esp_test_sa.h,
 * modulo their number), bit 4 transport mode, bit 5 ESN, bit 6 IPv6 outer.
 * Bit 7 picks what the rest is:
 *   0  an ESP packet (SPI, seq, IV, ...), checked as it comes: almost all
 *      fail the ICV, which exercises the length and replay checks;
 *   1  4 bytes of sequence number, then a plaintext (payload, padding,
 *      pad length, next header) that the harness seals with the state's
 *      own keys, so the checks after the ICV (trailer, next header, inner
 *      length, TFC, transport header) see fuzzed input too.
 * Every verdict must leave p inside its buffer; on DROP_NONE p holds an IP
 * packet whose length field fits what is there; the stages esp_input_obs
 * reports must fit the verdict (esp_stage_log_check). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/esp_test_sa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sad_sa states[TEST_NALGS][8];
static int ready;

static void setup(void)
{
	for (size_t a = 0; a < TEST_NALGS; a++)
		for (int v = 0; v < 8; v++)
			if (test_sa_init(&states[a][v], &test_algs[a],
			                 (v & 1) ? XFRM_MODE_TRANSPORT : XFRM_MODE_TUNNEL,
			                 (v & 4) ? AF_INET6 : AF_INET, v & 2, false, 0x1000, 5))
				abort();
	ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[PKT_HEADROOM + 70000 + PKT_TAILROOM];
	struct sad_sa *sa;
	struct pkt p;
	enum drop_reason r;
	size_t a;
	int v;

	if (!ready)
		setup();
	if (size < 1 || size > 65000)
		return 0;
	a = (data[0] & 0x0f) % TEST_NALGS;
	v = ((data[0] >> 4) & 1) | (((data[0] >> 5) & 1) << 1) | (((data[0] >> 6) & 1) << 2);
	sa = &states[a][v];
	replay_init(&sa->replay, 128, v & 2);
	replay_set_top(&sa->replay, 1000);
	pkt_init(&p, buf, sizeof(buf), PKT_HEADROOM);

	if (data[0] & 0x80) {
		struct crypto_esp *c = sa->crypto;
		uint32_t iv = crypto_esp_iv_len(c), icv = crypto_esp_icv_len(c);
		uint32_t seq, blen;
		uint8_t *d;

		if (size < 5)
			return 0;
		seq = get_be32(data + 1);
		blen = (uint32_t)(size - 5);
		d = pkt_put(&p, 8 + iv + blen + icv);
		if (!d)
			return 0;
		put_be32(d, sa->spi);
		put_be32(d + 4, seq);
		crypto_esp_iv_next(c, seq, d + 8);
		memcpy(d + 8 + iv, data + 5, blen);
		/* ESN: the high half the window will infer for seq */
		if (crypto_esp_seal(c, d, (v & 2) && seq < 1000 - 128 + 1 ? 1 : 0, v & 2, d + 8,
		                    d + 8 + iv, blen, d + 8 + iv + blen))
			return 0;   /* CBC body not a whole number of blocks */
	} else {
		if (!pkt_set(&p, data + 1, (uint32_t)(size - 1)))
			return 0;
	}
	p.meta.family = sa->daddr.family;
	memcpy(p.meta.saddr, sa->saddr.a, 16);
	memcpy(p.meta.daddr, sa->daddr.a, 16);

	{
		/* through the trace's observer: the stages must say what
		 * happened (esp_stage_log_check) */
		struct esp_stage_log log = { 0 };
		struct esp_in_obs obs = { .ctx = &log, .stage = esp_stage_log_add };

		r = esp_input_obs(sa, &p, &obs);
		if (esp_stage_log_check(&log, r))
			abort();
	}
	if (p.off > p.cap || p.len > p.cap - p.off)
		abort();
	if (r == DROP_NONE) {
		const uint8_t *d = pkt_data(&p);

		if (p.len < 20)
			abort();
		if ((d[0] >> 4) == 4 && get_be16(d + 2) != p.len)
			abort();
		if ((d[0] >> 4) == 6 && (uint32_t)get_be16(d + 4) + 40 != p.len)
			abort();
	}
	return 0;
}
