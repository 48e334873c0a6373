/* The reference Internet checksum the checksum tests and fuzz_gso compare
 * against: RFC 1071 summed 16 bits at a time, as plainly as it can be
 * written (net/csum.c is the fast one). */
#ifndef UIPSEC_TEST_CSUM_REF_H
#define UIPSEC_TEST_CSUM_REF_H

#include <stddef.h>
#include <stdint.h>

/* The ones'-complement sum of p[0..len) added to sum, folded to 16 bits. */
static inline uint32_t naive_partial(const uint8_t *p, size_t len, uint32_t sum)
{
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

static inline uint16_t fold16(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

#endif
