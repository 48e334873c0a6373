/* libFuzzer target for the MOBIKE address lists (RFC 4555 3.6,
 * src/ike/ike_mobike.c): an IKE message whose notifies are
 * ADDITIONAL_IP4/IP6_ADDRESS and NO_ADDITIONAL_ADDRESSES with any
 * lengths and counts. The list stays bounded, holds only well-formed
 * addresses, and what parses is written again and reads back the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "ike/ike_mobike.h"
#include "ike/ike_msg.h"
#include "ike/ike_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_mobike_addrs got, again;
	struct ike_hdr h = { .spi_i = 1, .spi_r = 2, .exchange = INFORMATIONAL };
	struct ike_msg m, m2;
	struct ike_mb mb;

	if (ike_msg_parse(data, size, &m))
		return 0;
	if (ike_mobike_addrs_parse(&m, &got)) {
		if (got.n)
			abort();
		ike_msg_clear(&m);
		return 0;
	}
	ike_msg_clear(&m);
	if (got.n > IKE_MOBIKE_ADDRS_MAX)
		abort();
	for (unsigned i = 0; i < got.n; i++)
		if (got.addr[i].family != AF_INET && got.addr[i].family != AF_INET6)
			abort();
	ike_mb_init(&mb, &h);
	ike_mobike_addrs_put(&mb, got.addr, got.n, NULL);
	if (!mb.oom && !ike_mb_finish(&mb, NULL)) {
		if (ike_msg_parse(mb.p, mb.len, &m2) || ike_mobike_addrs_parse(&m2, &again) ||
		    again.n != got.n || again.dropped || again.none != !got.n)
			abort();
		for (unsigned i = 0; i < got.n; i++)
			if (!ip_addr_equal(&again.addr[i], &got.addr[i]))
				abort();
		ike_msg_clear(&m2);
	}
	ike_mb_free(&mb);
	return 0;
}
