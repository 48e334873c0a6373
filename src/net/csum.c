/* The Internet checksum (RFC 1071) and pseudo-header checksums.
 *
 * The bulk of a buffer is summed as native 64-bit words (RFC 1071 section
 * 2: the one's complement sum does not depend on byte order, up to a final
 * byte swap, and 2^64 - 1 is a multiple of 2^16 - 1, so a 64-bit one's
 * complement sum folds to the 16-bit one). Each word is added to one of
 * four accumulators and the carry out of that addition counted apart
 * (s += w; c += s < w: gcc turns it into add, then adc or setb), so the
 * four chains are independent: no dependency on one carry flag from word
 * to word, and about two instructions per 8 bytes instead of four.
 * The bytes after the last whole 8-byte word are summed as big-endian
 * 16-bit words. Loads go through memcpy: any alignment, no aliasing
 * questions. ip_csum_partial() and ip_csum_copy() return the same value
 * for the same bytes (they share the folding, see csum_finish()). */
#include "net/ip.h"

#include <string.h>

/* Fold the 64-bit one's complement sum of the whole 8-byte words of a
 * buffer (native order) to 16 bits in network order, add sum and the
 * tail bytes (big-endian words, an odd last byte padded with zero), and
 * fold to 32 bits. The fold keeps 0 only for an all-zero bulk, so the
 * result is the same whatever order the words were added in. */
static uint32_t csum_finish(uint64_t s, const uint8_t *tail, size_t len, uint32_t sum)
{
	uint32_t f;

	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	f = (uint32_t)s;
	f = (f & 0xffff) + (f >> 16);
	f = (f & 0xffff) + (f >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	f = ((f & 0xff) << 8) | (f >> 8);
#endif
	s = (uint64_t)sum + f;
	while (len >= 2) {
		s += (uint32_t)tail[0] << 8 | tail[1];
		tail += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)tail[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/* a + b with the carry out added back in (one's complement addition). */
static inline uint64_t add_eac(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b);
}

/* Four independent sums of 64-bit words, each with its count of carries. */
struct csum_acc {
	uint64_t a, b, c, d, ca, cb, cc, cd;
};

/* s += w, counting the carry out in *carries. */
static inline void acc_add(uint64_t *s, uint64_t *carries, uint64_t w)
{
	*s += w;
	*carries += *s < w;
}

/* The 64 bytes at p, word by word into the four sums in turn. */
static inline void acc_add64(struct csum_acc *x, const uint8_t *p)
{
	acc_add(&x->a, &x->ca, load64(p));
	acc_add(&x->b, &x->cb, load64(p + 8));
	acc_add(&x->c, &x->cc, load64(p + 16));
	acc_add(&x->d, &x->cd, load64(p + 24));
	acc_add(&x->a, &x->ca, load64(p + 32));
	acc_add(&x->b, &x->cb, load64(p + 40));
	acc_add(&x->c, &x->cc, load64(p + 48));
	acc_add(&x->d, &x->cd, load64(p + 56));
}

/* Combine four accumulators and their carry counts (each count is at most
 * the number of words, so their sum does not wrap). */
static inline uint64_t csum_combine(const struct csum_acc *x)
{
	return add_eac(add_eac(add_eac(x->a, x->b), add_eac(x->c, x->d)),
	               x->ca + x->cb + x->cc + x->cd);
}

uint32_t ip_csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data, *end64 = p + (len & ~(size_t)63), *end8 = p + (len & ~(size_t)7);
	struct csum_acc x = { 0 };

	for (; p < end64; p += 64)
		acc_add64(&x, p);
	for (; p < end8; p += 8)
		acc_add(&x.a, &x.ca, load64(p));
	return csum_finish(csum_combine(&x), p, len & 7, sum);
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

uint16_t ip_csum_pseudo_sum(const uint8_t *saddr, const uint8_t *daddr, size_t alen,
                            uint8_t proto, size_t len, uint32_t l4_sum)
{
	uint64_t s;
	uint16_t c;

	/* the pseudo header: both addresses, then zero, the protocol and the
	 * length as 32 bits (covers both the IPv4 16-bit and the IPv6 32-bit
	 * form), as big-endian 16-bit words */
	if (daddr == saddr + alen)     /* as in the IP header: one call */
		s = ip_csum_partial(saddr, 2 * alen, l4_sum);
	else
		s = ip_csum_partial(daddr, alen, ip_csum_partial(saddr, alen, l4_sum));
	s += (uint64_t)proto + (uint32_t)(len >> 16 & 0xffff) + (uint32_t)(len & 0xffff);
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	c = ip_csum_fold((uint32_t)s);
	return (proto == IP_PROTO_UDP && c == 0) ? 0xffff : c;
}

uint16_t ip_csum_pseudo(const uint8_t *saddr, const uint8_t *daddr, size_t alen,
                        uint8_t proto, const void *l4, size_t len)
{
	return ip_csum_pseudo_sum(saddr, daddr, alen, proto, len, ip_csum_partial(l4, len, 0));
}

uint32_t ip_csum_copy(void *restrict dst, const void *restrict src, size_t len, uint32_t sum)
{
	const uint8_t *p = src, *end64 = p + (len & ~(size_t)63), *end8 = p + (len & ~(size_t)7);
	uint8_t *o = dst;
	struct csum_acc x = { 0 };
	uint64_t w;

	/* 64 bytes at a time: copied (gcc: four 16-byte moves), then summed
	 * from the source again, which is in L1 by then */
	for (; p < end64; p += 64, o += 64) {
		memcpy(o, p, 64);
		acc_add64(&x, p);
	}
	for (; p < end8; p += 8, o += 8) {
		w = load64(p);
		memcpy(o, &w, 8);
		acc_add(&x.a, &x.ca, w);
	}
	memcpy(o, p, len & 7);
	return csum_finish(csum_combine(&x), p, len & 7, sum);
}
