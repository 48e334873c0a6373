/* libFuzzer target for the Configuration payload (RFC 7296 3.15,
 * src/ike/ike_cp.c): the body of a CP payload, with absurd attribute
 * lengths, counts and prefix lengths. What parses is encoded again and
 * must parse to the same values (the encoder and decoder agree). Seeds:
 * a CFG_REQUEST and a CFG_REPLY as charon sends them
 * (tests/fuzz/corpus/fuzz_ike_cp). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_cp.h"
#include "ike/ike_msg.h"
#include "ike/ike_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_cp cp, again;
	struct ike_hdr h = { 0 };
	struct ike_mb mb;

	if (ike_cp_parse(data, size, &cp))
		return 0;
	ike_mb_init(&mb, &h);
	ike_cp_put(&mb, &cp);
	if (!mb.oom) {
		/* the payload follows the 28-byte header and its own 4-byte one */
		if (ike_cp_parse(mb.p + 28 + 4, mb.len - 28 - 4, &again))
			abort();
		if (again.type != cp.type || again.naddrs != cp.naddrs || again.ndns != cp.ndns ||
		    again.nnbns != cp.nnbns || again.nsubnets != cp.nsubnets ||
		    memcmp(again.addrs, cp.addrs, sizeof(cp.addrs)) ||
		    memcmp(again.dns, cp.dns, sizeof(cp.dns)) ||
		    memcmp(again.subnets, cp.subnets, sizeof(cp.subnets)))
			abort();
	}
	ike_mb_free(&mb);
	return 0;
}
