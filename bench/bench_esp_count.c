/* Per-packet costs of the ESP cipher contexts that do not depend on the
 * machine's load: OpenSSL heap allocations per packet (counted through
 * CRYPTO_set_mem_functions), and, under callgrind, instructions per packet.
 *
 *   bench_esp_count                  allocations per packet, every algorithm
 *   bench_esp_count LABEL SIZE       one algorithm and size (for callgrind)
 *
 * Each packet is crypto_esp_iv_next + crypto_esp_seal + crypto_esp_open on
 * the same buffer, laid out as on the wire (open must succeed), inside
 * packets(), the only function callgrind should collect:
 *
 *   valgrind --tool=callgrind --toggle-collect='packets*' \
 *       build/bench/bench_esp_count aes128gcm 64
 *
 * scripts/bench_esp_insn.sh runs that for the main algorithms and sizes and
 * prints instructions per packet. SIZE is the inner IPv4 packet in tunnel
 * mode, as in bench_esp: the encrypted part is SIZE + 2 rounded up to the
 * block. BENCH_ESP_COUNT_N sets the packets per run (default 2000). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "../tests/unit/esp_test_sa.h"

static const char *const labels[] = {
	"aes128gcm", "aes256gcm", "chacha20poly1305", "aes128gmac",
	"aes128cbc-sha1", "aes128cbc-sha256", "null-sha256",
};
static const uint32_t sizes[] = { 64, 1420 };

/* Counted OpenSSL allocations (this process is single-threaded). */
static unsigned long long n_alloc;

static void *count_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	n_alloc++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	n_alloc++;
	return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

/* n packets in pkt, laid out as on the wire (SPI||seq, IV, data, ICV);
 * returns the number that failed. noinline: callgrind's --toggle-collect
 * names it (packets* : GCC may clone it). */
__attribute__((noinline)) static unsigned packets(struct crypto_esp *c, uint8_t *pkt,
                                                  size_t len, uint32_t first, unsigned n)
{
	uint8_t *iv = pkt + 8, *data = iv + crypto_esp_iv_len(c), *icv = data + len;
	unsigned bad = 0;

	for (unsigned i = 0; i < n; i++) {
		put_be32(pkt + 4, first + i);
		bad += crypto_esp_iv_next(c, first + i, iv) != 0;
		bad += crypto_esp_seal(c, pkt, 0, 0, iv, data, len, icv) != 0;
		bad += crypto_esp_open(c, pkt, 0, 0, iv, data, len, icv) != 0;
	}
	return bad;
}

static const struct test_alg *find_alg(const char *label)
{
	for (size_t i = 0; i < TEST_NALGS; i++)
		if (!strcmp(test_algs[i].label, label))
			return &test_algs[i];
	return NULL;
}

/* Returns 0, or -1 on a setup error or a failed packet. */
static int run(const char *label, uint32_t size, unsigned n, int print)
{
	const struct test_alg *alg = find_alg(label);
	static uint8_t buf[2048];
	struct sad_sa sa;
	unsigned long long a0;
	uint32_t blk;
	size_t len;
	unsigned bad;

	if (!alg || size < 20 || size > 1500 ||
	    test_sa_init(&sa, alg, XFRM_MODE_TUNNEL, AF_INET, false, false, 0x1000, 1)) {
		fprintf(stderr, "bench_esp_count: cannot set up %s/%u\n", label, size);
		return -1;
	}
	blk = crypto_esp_block_len(sa.crypto);
	len = (size + 2 + blk - 1) / blk * blk;
	memset(buf, 0x5a, sizeof(buf));
	put_be32(buf, 0x1000);
	/* allocations: after a warm-up (OpenSSL's lazy set-up); callgrind:
	 * none, so that packets() runs exactly n times (the one-time costs,
	 * such as binding PLT entries, are a few thousand instructions) */
	bad = print ? packets(sa.crypto, buf, len, 1, 16) : 0;
	a0 = n_alloc;
	bad += packets(sa.crypto, buf, len, 17, n);
	if (print)
		printf("%-18s %5u  %6.2f\n", label, size, (double)(n_alloc - a0) / n);
	crypto_esp_free(sa.crypto);
	if (bad)
		fprintf(stderr, "bench_esp_count: %u failures in %s/%u\n", bad, label, size);
	return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *s = getenv("BENCH_ESP_COUNT_N");
	unsigned n = s && atoi(s) > 0 ? (unsigned)atoi(s) : 2000;
	int r = 0;

	/* before anything allocates through OpenSSL */
	if (!CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free)) {
		fprintf(stderr, "bench_esp_count: cannot count OpenSSL allocations\n");
		return 1;
	}
	if (argc == 3)
		return run(argv[1], (uint32_t)atoi(argv[2]), n, 0) ? 1 : 0;
	if (argc != 1) {
		fprintf(stderr, "usage: bench_esp_count [LABEL SIZE]\n");
		return 2;
	}
	printf("OpenSSL allocations per packet (iv_next + seal + open), %u packets\n", n);
	printf("%-18s %5s  %6s\n", "algorithm", "bytes", "allocs");
	for (size_t a = 0; a < sizeof(labels) / sizeof(labels[0]); a++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			r |= run(labels[a], sizes[i], n, 1);
	return r ? 1 : 0;
}
