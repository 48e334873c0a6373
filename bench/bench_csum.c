/* The Internet checksum on the outbound offloaded path: ip_csum_partial()
 * on 1,400-byte and 64 KiB buffers (aligned and at an odd address), beside
 * the sum uipsec used before (native 32-bit words into two 64-bit
 * accumulators, kept here as the baseline), and net_gso_next() cutting a
 * 64 KiB TCPv4 super-packet into 1,400-byte segments (copy of headers and
 * payload, IPv4 header checksum, TCP checksum over each segment).
 *
 * Rates are per CPU second of this thread (best of 5 slices of ~0.1 s),
 * so that other load on the shared machine counts less. GB = 10^9 bytes.
 *
 * `bench_csum fixed csum|copy|gso` does a fixed amount of work instead
 * (10,000 ip_csum_partial() or ip_csum_copy() calls on 1,400 bytes, or
 * 1,000 super-packets = 47,000 segments) and prints nothing: for
 * `valgrind --tool=callgrind`, whose instruction counts do not depend on
 * the machine's load (divide the inclusive count of ip_csum_partial,
 * ip_csum_copy or net_gso_next by the calls). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/gso.h"
#include "net/ip.h"
#include "util/bytes.h"

#define SLICE_NS 100000000ull
#define SLICES 5
#define SEG_PAYLOAD 1348        /* 20 IPv4 + 32 TCP (timestamps) + 1348 = 1400 */
#define SEGS 47

static volatile uint32_t sink;

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The previous ip_csum_partial() bulk loop (main before the faster sum),
 * to compare against in the same run. Same result. */
static uint32_t csum_prev(const void *data, size_t len, uint32_t sum)
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

typedef uint32_t (*csum_fn)(const void *, size_t, uint32_t);

/* Bytes per CPU second, best slice. */
static double rate_csum(csum_fn fn, const uint8_t *buf, size_t len)
{
	double best = 0;

	for (int s = 0; s < SLICES; s++) {
		uint64_t t0 = cpu_ns(), t, bytes = 0;

		do {
			for (int i = 0; i < 64; i++)
				sink += fn(buf, len, (uint32_t)i);
			bytes += 64 * (uint64_t)len;
			t = cpu_ns() - t0;
		} while (t < SLICE_NS);
		if ((double)bytes / ((double)t / 1e9) > best)
			best = (double)bytes / ((double)t / 1e9);
	}
	return best;
}

typedef uint32_t (*copy_fn)(void *, const void *, size_t, uint32_t);

static uint32_t copy_then_prev(void *dst, const void *src, size_t len, uint32_t sum)
{
	memcpy(dst, src, len);
	return csum_prev(dst, len, sum);
}

static uint32_t copy_then_sum(void *dst, const void *src, size_t len, uint32_t sum)
{
	memcpy(dst, src, len);
	return ip_csum_partial(dst, len, sum);
}

static uint32_t copy_fused(void *dst, const void *src, size_t len, uint32_t sum)
{
	return ip_csum_copy(dst, src, len, sum);
}

/* Copy and sum 1,400-byte chunks of a 64 KiB source into one segment
 * buffer, as net_gso_next() does: bytes per CPU second, best slice. */
static double rate_copy(copy_fn fn, const uint8_t *src, size_t off, uint8_t *dst)
{
	double best = 0;

	for (int s = 0; s < SLICES; s++) {
		uint64_t t0 = cpu_ns(), t, bytes = 0;

		do {
			for (size_t pos = off; pos + 1400 <= 65536; pos += 1400)
				sink += fn(dst, src + pos, 1400, 0);
			bytes += (65536 - off) / 1400 * 1400;
			t = cpu_ns() - t0;
		} while (t < SLICE_NS);
		if ((double)bytes / ((double)t / 1e9) > best)
			best = (double)bytes / ((double)t / 1e9);
	}
	return best;
}

/* A TCPv4 super-packet: 20 + 32 + SEGS * SEG_PAYLOAD bytes, random payload,
 * the pseudo-header partial sum in the checksum field. */
static size_t build_super(uint8_t *pkt)
{
	size_t len = 20 + 32 + SEGS * SEG_PAYLOAD;

	memset(pkt, 0, 52);
	pkt[0] = 0x45;
	put_be16(pkt + 2, (uint16_t)len);
	put_be16(pkt + 6, 0x4000);
	pkt[8] = 64;
	pkt[9] = IP_PROTO_TCP;
	memcpy(pkt + 12, "\x0a\x01\x00\x02\x0a\x02\x00\x02", 8);
	put_be16(pkt + 10, ip_csum(pkt, 20));
	put_be16(pkt + 20, 40000);
	put_be16(pkt + 22, 5201);
	put_be32(pkt + 24, 0x12345678);
	pkt[32] = 0x80;                         /* data offset 32 */
	pkt[33] = 0x18;                         /* ACK PSH */
	put_be16(pkt + 34, 512);
	memcpy(pkt + 40, "\x01\x01\x08\x0a", 4);
	for (size_t i = 52; i < len; i++)
		pkt[i] = (uint8_t)rand();
	return len;
}

static unsigned cut(const uint8_t *pkt, size_t len, uint8_t *seg)
{
	struct net_gso g = { .type = NET_GSO_TCPV4, .needs_csum = true, .gso_size = SEG_PAYLOAD };
	struct net_gso_iter it;
	unsigned n = 0;
	long r;

	if (!net_gso_init(&it, pkt, len, &g))
		abort();
	while ((r = net_gso_next(&it, seg, 2048)) > 0) {
		sink += seg[r - 1];
		n++;
	}
	if (r < 0 || n != SEGS)
		abort();
	return n;
}

/* Segments per CPU second, best slice. */
static double rate_gso(const uint8_t *pkt, size_t len, uint8_t *seg)
{
	double best = 0;

	for (int s = 0; s < SLICES; s++) {
		uint64_t t0 = cpu_ns(), t, n = 0;

		do {
			for (int i = 0; i < 16; i++)
				n += cut(pkt, len, seg);
			t = cpu_ns() - t0;
		} while (t < SLICE_NS);
		if ((double)n / ((double)t / 1e9) > best)
			best = (double)n / ((double)t / 1e9);
	}
	return best;
}

static void print_csum(const uint8_t *buf)
{
	static const size_t lens[] = { 1400, 65536 };

	printf("%-44s %10s %10s %8s\n", "checksum, GB/s per CPU second", "previous", "now",
	       "speedup");
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		for (size_t off = 0; off < 2; off++) {
			double a = rate_csum(csum_prev, buf + off, lens[k]);
			double b = rate_csum(ip_csum_partial, buf + off, lens[k]);
			char name[64];

			snprintf(name, sizeof(name), "ip_csum_partial %zu bytes%s", lens[k],
			         off ? ", odd address" : "");
			printf("%-44s %10.2f %10.2f %7.2fx\n", name, a / 1e9, b / 1e9, b / a);
		}
	}
}

static void print_copy(const uint8_t *buf, uint8_t *seg)
{
	for (size_t off = 0; off < 2; off++) {
		double a = rate_copy(copy_then_prev, buf, off, seg);
		double b = rate_copy(copy_then_sum, buf, off, seg);
		double c = rate_copy(copy_fused, buf, off, seg);

		printf("copy + sum 1400 bytes%s: memcpy + previous %.2f, memcpy + ip_csum_partial "
		       "%.2f, ip_csum_copy %.2f GB/s\n", off ? " (odd source)" : "", a / 1e9,
		       b / 1e9, c / 1e9);
	}
}

static void print_gso(const uint8_t *pkt, size_t plen, uint8_t *seg)
{
	double r = rate_gso(pkt, plen, seg);

	printf("net_gso_next, 64 KiB TCPv4 into 1400-byte segments: %.2f M segments/s, "
	       "%.2f GB/s of segments, %.0f ns per segment\n", r / 1e6, r * 1400 / 1e9, 1e9 / r);
}

int main(int argc, char **argv)
{
	static uint8_t buf[65536 + 64], pkt[65536], seg[2048];
	const char *what = argc > 1 ? argv[1] : "all";
	size_t plen;

	srand(1);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	plen = build_super(pkt);
	if (argc > 2 && strcmp(what, "fixed") == 0) {
		if (strcmp(argv[2], "csum") == 0) {
			for (int i = 0; i < 10000; i++)
				sink += ip_csum_partial(buf, 1400, 0);
		} else if (strcmp(argv[2], "copy") == 0) {
			for (int i = 0; i < 10000; i++)
				sink += ip_csum_copy(seg, buf, 1400, 0);
		} else if (strcmp(argv[2], "gso") == 0) {
			for (int i = 0; i < 1000; i++)
				cut(pkt, plen, seg);
		} else {
			goto usage;
		}
		return 0;
	}
	/* both sums must agree before either is timed */
	for (size_t len = 0; len < 3000; len++)
		if (ip_csum_fold(ip_csum_partial(buf + len % 8, len, (uint32_t)len)) !=
		    ip_csum_fold(csum_prev(buf + len % 8, len, (uint32_t)len))) {
			fprintf(stderr, "bench_csum: ip_csum_partial and the baseline disagree\n");
			return 1;
		}
	if (strcmp(what, "all") == 0) {
		print_csum(buf);
		print_copy(buf, seg);
		print_gso(pkt, plen, seg);
	} else if (strcmp(what, "csum") == 0) {
		print_csum(buf);
	} else if (strcmp(what, "copy") == 0) {
		print_copy(buf, seg);
	} else if (strcmp(what, "gso") == 0) {
		print_gso(pkt, plen, seg);
	} else {
		goto usage;
	}
	return 0;
usage:
	fprintf(stderr, "usage: bench_csum [all|csum|copy|gso]   (timed)\n"
	                "       bench_csum fixed csum|copy|gso  (for callgrind)\n");
	return 2;
}
