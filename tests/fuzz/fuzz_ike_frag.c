/* libFuzzer target for IKE fragment reassembly (RFC 7383, ike_wire.c's
 * ike_reasm_add): a sequence of fragments, their contents taken as
 * verified and decrypted, into the two reassemblies one IKE SA has (the
 * peer's request and the response to ours), under limits the input picks.
 * What must hold on every input: no crash, no leak (ASan), the memory the
 * context counts never above its cap, no message kept beyond the size
 * limit, a whole message parses (or is refused) like any decrypted one,
 * and once the reassemblies are given up nothing is held.
 *
 * Input: 5 bytes of limits (max message, 2 bytes; memory cap in 16-byte
 * units, 2 bytes; most fragments, 1 byte, 0 = the default), then records
 * of 8 bytes: which reassembly and header variant (bit 0: response, bit 1:
 * another exchange), message ID (1), Fragment Number (2), Total Fragments
 * (2), the first fragment's Next Payload (1), content length (1), and that
 * many bytes of content. Seeds: tests/fuzz/corpus/fuzz_ike_frag. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "ike/ike_msg.h"
#include "ike/ike_proto.h"
#include "ike/ike_wire.h"
#include "util/bytes.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *ctx, const struct ike_endpoint *l, const struct ike_endpoint *r,
                 const uint8_t *m, size_t len)
{
	(void)ctx; (void)l; (void)r; (void)m; (void)len;
}

static uint64_t now(void *ctx)
{
	(void)ctx;
	return 1000;
}

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_io io = { .send = sink, .now_ms = now };
	struct ike_reasm ra[2];
	struct ike_ctx *ctx;
	const struct ike_stats *st;
	size_t max_msg, mem_max, off = 5;

	if (size < 5)
		return 0;
	log_set_level(LOG_ERR);
	ctx = ike_ctx_new(&io, NULL);
	if (!ctx)
		return 0;
	max_msg = 64 + get_be16(data);
	mem_max = 256 + (size_t)get_be16(data + 2) * 16;
	ike_ctx_set_frag_limits(ctx, max_msg, data[4], mem_max);
	if (max_msg > IKE_MSG_MAX)
		max_msg = IKE_MSG_MAX;
	st = ike_ctx_stats(ctx);
	memset(ra, 0, sizeof(ra));
	while (size - off >= 8) {
		const uint8_t *r = data + off;
		unsigned which = r[0] & 1;
		struct ike_hdr h = {
			.spi_i = 1, .spi_r = 2, .version = IKE_VERSION, .msgid = r[1],
			.exchange = (r[0] & 2) ? INFORMATIONAL : IKE_AUTH,
			.flags = which ? IKE_FLAG_RESPONSE : IKE_FLAG_INITIATOR,
		};
		size_t len = r[7];
		struct ike_msg whole;

		off += 8;
		if (len > size - off)
			len = size - off;
		enum ike_reasm_result res = ike_reasm_add(ctx, &ra[which], &h, get_be16(r + 2),
		                                          get_be16(r + 4), r[6], data + off, len, 1000,
		                                          &whole);
		off += len;
		CHECK(st->frag_bytes <= mem_max);
		CHECK(IKE_HDR_LEN + IKE_PLD_HDR_LEN + ra[which].content <= max_msg);
		if (res == IKE_REASM_DONE) {
			CHECK(!ike_reasm_busy(&ra[which]));
			CHECK(whole.reassembled && whole.hdr.msgid == h.msgid);
			CHECK(whole.hdr.length == IKE_HDR_LEN + IKE_PLD_HDR_LEN + whole.plainlen);
			ike_msg_decrypt(&whole, NULL);   /* the inner chain, as any message's */
			ike_msg_find_notify(&whole, IKE_N_COOKIE);
			ike_msg_clear(&whole);
		}
	}
	ike_reasm_discard(ctx, &ra[0]);
	ike_reasm_discard(ctx, &ra[1]);
	CHECK(st->frag_bytes == 0);
	ike_ctx_free(ctx);
	return 0;
}
