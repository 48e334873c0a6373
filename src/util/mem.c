/* Wiping, constant-time compare, hex helpers and a wiping memory stream
 * (libc only). */
#include "util/mem.h"

#include <errno.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mem_wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}

void mem_free_wipe(void *p, size_t n)
{
	if (!p)
		return;
	mem_wipe(p, n);
	free(p);
}

bool mem_equal_ct(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= x[i] ^ y[i];
	return acc == 0;
}

void *mem_zalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p) {
		fputs("uipsec: out of memory\n", stderr);
		abort();
	}
	return p;
}

int mem_array_grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *na;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if (*cap > SIZE_MAX / 2 || (elem && ncap > SIZE_MAX / elem))
		return -ENOMEM;
	na = realloc(*arr, ncap * elem);
	if (!na)
		return -ENOMEM;
	*arr = na;
	*cap = ncap;
	return 0;
}

int mem_grow_wipe(void **buf, size_t *cap, size_t used, size_t need, size_t first)
{
	size_t ncap = *cap ? *cap : first;
	void *nb;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	nb = malloc(ncap);
	if (!nb)
		return -ENOMEM;
	if (used)
		memcpy(nb, *buf, used);
	mem_free_wipe(*buf, *cap);
	*buf = nb;
	*cap = ncap;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mem_from_hex(const char *hex, unsigned char *out, size_t outmax)
{
	size_t len, n;

	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		hex += 2;
	len = strlen(hex);
	if (len % 2)
		return -1;
	n = len / 2;
	if (n > outmax)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (int)n;
}

void mem_to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

struct mem_stream {
	char **buf;
	size_t *len;
	size_t cap;
};

/* fopencookie write: the number of bytes taken, 0 on error (never < 0). */
static ssize_t mem_stream_write(void *cookie, const char *d, size_t n)
{
	struct mem_stream *m = cookie;
	size_t need = *m->len + n + 1;

	if (need < n || mem_grow_wipe((void **)m->buf, &m->cap, *m->len + 1, need, 256))
		return 0;
	memcpy(*m->buf + *m->len, d, n);
	*m->len += n;
	(*m->buf)[*m->len] = '\0';
	return (ssize_t)n;
}

static int mem_stream_close(void *cookie)
{
	free(cookie);
	return 0;
}

FILE *mem_stream_open(char **buf, size_t *len)
{
	cookie_io_functions_t io = { .write = mem_stream_write, .close = mem_stream_close };
	struct mem_stream *m = calloc(1, sizeof(*m));
	FILE *f;

	*buf = NULL;
	*len = 0;
	if (!m)
		return NULL;
	m->cap = 256;
	*buf = calloc(1, m->cap);
	if (!*buf) {
		free(m);
		return NULL;
	}
	m->buf = buf;
	m->len = len;
	f = fopencookie(m, "w", io);
	if (!f) {
		free(*buf);
		*buf = NULL;
		free(m);
		return NULL;
	}
	setvbuf(f, NULL, _IONBF, 0);   /* no stdio buffer holding a copy */
	return f;
}
