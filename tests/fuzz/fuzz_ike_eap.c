/* libFuzzer target for the EAP payload and EAP-MSCHAPv2 (src/ike/ike_eap.c):
 * the body of an EAP payload, with lying Length and MS-Length fields,
 * odd codes, types and OpCodes. What parses is encoded again through
 * ike_eap_put (and, for MSCHAPv2 Challenges and Responses, the
 * builders) and must parse to the same values. Seeds: an EAP-Identity
 * request, an MSCHAPv2 Challenge, Response, Success request and the
 * peer's Success (tests/fuzz/corpus/fuzz_ike_eap). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_eap.h"
#include "ike/ike_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_eap e, again;
	struct ike_mschap m, m2;
	struct ike_hdr h = { 0 };
	struct ike_mb mb;
	uint8_t buf[IKE_EAP_MSG_MAX];
	size_t n = 0;

	if (ike_eap_parse(data, size, &e))
		return 0;
	ike_mb_init(&mb, &h);
	ike_eap_put(&mb, e.code, e.id, e.type, e.data, e.dlen);
	if (!mb.oom) {
		/* the payload follows the 28-byte header and its own 4-byte one */
		if (mb.len - 28 - 4 != size || memcmp(mb.p + 28 + 4, data, size))
			abort();
	}
	ike_mb_free(&mb);
	if (e.type != IKE_EAP_MSCHAPV2 || ike_mschap_parse(&e, &m))
		return 0;
	if (m.op == IKE_MSCHAP_CHALLENGE && m.name_len < 64) {
		char name[64];

		memcpy(name, m.name, m.name_len);
		name[m.name_len] = '\0';
		if (!memchr(m.name, 0, m.name_len))
			n = ike_mschap_build_challenge(m.ms_id, m.chal, name, buf);
	} else if (m.op == IKE_MSCHAP_RESPONSE && !m.flags) {
		n = ike_mschap_build_response(m.ms_id, m.chal, m.nt_resp, m.name, m.name_len, buf);
	}
	if (!n)
		return 0;
	again = e;
	again.data = buf;
	again.dlen = n;
	if (ike_mschap_parse(&again, &m2) || m2.op != m.op || m2.ms_id != m.ms_id ||
	    m2.name_len != m.name_len || memcmp(m2.chal, m.chal, 16) ||
	    memcmp(m2.name, m.name, m.name_len) || n != e.dlen || memcmp(buf, e.data, n))
		abort();
	return 0;
}
