/* Test helper: hex strings as the RFCs print them (spaces and newlines
 * allowed) into bytes. Header-only so that each test binary stays one file. */
#ifndef UIPSEC_TESTS_HEXUTIL_H
#define UIPSEC_TESTS_HEXUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline int hexutil_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex (whitespace ignored) into out; returns the byte count, or
 * (size_t)-1 on a bad digit, odd count or overflow. */
static inline size_t hexutil_decode(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v;

		if (*hex == ' ' || *hex == '\n' || *hex == '\t')
			continue;
		v = hexutil_nibble(*hex);
		if (v < 0)
			return (size_t)-1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= max)
			return (size_t)-1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? n : (size_t)-1;
}

#endif
