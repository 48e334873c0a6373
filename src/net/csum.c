/* The Internet checksum (RFC 1071) and pseudo-header checksums. */
#include "net/ip.h"

#include <string.h>

/* The bulk is summed as native 32-bit words into a 64-bit accumulator
 * (RFC 1071 section 2: the sum does not depend on byte order, up to a
 * final byte swap), eight bytes per step; the tail as big-endian words. */
uint32_t ip_csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t s = 0, s2 = 0;
	size_t i, bulk = len & ~(size_t)7;
	uint32_t f;

	for (i = 0; i < bulk; i += 8) {
		uint32_t a, b;
		memcpy(&a, p + i, 4);
		memcpy(&b, p + i + 4, 4);
		s += a;
		s2 += b;
	}
	s += s2;
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	f = (uint32_t)s;
	f = (f & 0xffff) + (f >> 16);
	f = (f & 0xffff) + (f >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	f = ((f & 0xff) << 8) | (f >> 8);
#endif
	s = (uint64_t)sum + f;
	p += bulk;
	len -= bulk;
	while (len >= 2) {
		s += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t ip_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t ip_csum(const void *data, size_t len)
{
	return ip_csum_fold(ip_csum_partial(data, len, 0));
}

uint16_t ip_csum_pseudo(const uint8_t *saddr, const uint8_t *daddr, size_t alen,
                        uint8_t proto, const void *l4, size_t len)
{
	/* zero, protocol, then the length as 32 bits (covers both the IPv4
	 * 16-bit and the IPv6 32-bit form) */
	uint8_t tail[6] = { 0, proto, (uint8_t)(len >> 24), (uint8_t)(len >> 16),
	                    (uint8_t)(len >> 8), (uint8_t)len };
	uint32_t sum;
	uint16_t c;

	sum = ip_csum_partial(saddr, alen, 0);
	sum = ip_csum_partial(daddr, alen, sum);
	sum = ip_csum_partial(tail, sizeof(tail), sum);
	sum = ip_csum_partial(l4, len, sum);
	c = ip_csum_fold(sum);
	return (proto == IP_PROTO_UDP && c == 0) ? 0xffff : c;
}
