/* Test helper: hex strings as the RFCs print them (spaces and newlines
 * allowed) into bytes, decoded by the library's own mem_from_hex().
 * Header-only so that each test binary stays one file; include it after
 * <cmocka.h> (hx() asserts). */
#ifndef UIPSEC_TESTS_HEXUTIL_H
#define UIPSEC_TESTS_HEXUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* Decode hex (whitespace ignored) into out; returns the byte count, or
 * (size_t)-1 on a bad digit, odd count or overflow. */
static inline size_t hexutil_decode(const char *hex, uint8_t *out, size_t max)
{
	size_t k = 0, len = strlen(hex);
	char *s = malloc(len + 1);
	int n;

	if (!s)
		return (size_t)-1;
	for (; *hex; hex++)
		if (*hex != ' ' && *hex != '\n' && *hex != '\t')
			s[k++] = *hex;
	s[k] = '\0';
	n = mem_from_hex(s, out, max);
	free(s);
	return n < 0 ? (size_t)-1 : (size_t)n;
}

/* hexutil_decode() that fails the test on bad hex. */
static inline size_t hx(const char *hex, uint8_t *out, size_t max)
{
	size_t n = hexutil_decode(hex, out, max);

	assert_true(n != (size_t)-1);
	return n;
}

#endif
