/* util/mem.c: constant-time compare, hex helpers and the wiping memory
 * stream the control socket prints key-bearing text into; the growable
 * array and wiping buffer helpers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/mem.h"

static void test_equal_ct(void **state)
{
	uint8_t a[32], b[32];

	(void)state;
	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_true(mem_equal_ct(a, b, sizeof(a)));
	assert_true(mem_equal_ct(a, b, 0));
	for (size_t i = 0; i < sizeof(b); i++) {
		b[i] ^= 0x01;
		assert_false(mem_equal_ct(a, b, sizeof(a)));
		b[i] ^= 0x01;
	}
}

static void test_hex(void **state)
{
	uint8_t out[8];
	char txt[17];

	(void)state;
	assert_int_equal(mem_from_hex("0x0102a0FF", out, sizeof(out)), 4);
	assert_memory_equal(out, "\x01\x02\xa0\xff", 4);
	mem_to_hex(out, 4, txt);
	assert_string_equal(txt, "0102a0ff");
	assert_int_equal(mem_from_hex("abc", out, sizeof(out)), -1);            /* odd */
	assert_int_equal(mem_from_hex("zz", out, sizeof(out)), -1);             /* not hex */
	assert_int_equal(mem_from_hex("000000000000000000", out, sizeof(out)), -1); /* 9 > 8 */
	assert_int_equal(mem_from_hex("", out, sizeof(out)), 0);
}

/* The stream keeps the buffer and its length current and NUL-terminated, grows past its
 * first buffer without losing bytes, and is handed over on fclose. */
static void test_stream(void **state)
{
	char *buf = NULL, want[4096];
	size_t len = 0, k = 0;
	FILE *f;

	(void)state;
	f = mem_stream_open(&buf, &len);
	assert_non_null(f);
	assert_non_null(buf);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	fprintf(f, "key 0x%s\n", "00112233");
	assert_int_equal(len, strlen("key 0x00112233\n"));
	assert_string_equal(buf, "key 0x00112233\n");
	k = (size_t)snprintf(want, sizeof(want), "key 0x00112233\n");
	for (int i = 0; i < 200; i++) {
		fprintf(f, "line %03d %s\n", i, "abcdefghij");
		k += (size_t)snprintf(want + k, sizeof(want) - k, "line %03d %s\n", i, "abcdefghij");
	}
	fputc('!', f);
	want[k++] = '!';
	want[k] = '\0';
	assert_int_equal(fclose(f), 0);
	assert_int_equal(len, k);
	assert_string_equal(buf, want);
	mem_free_wipe(buf, len);
}

/* mem_array_grow: room for one more element each call, contents kept,
 * a size that would overflow refused without touching the array. */
static void test_array_grow(void **state)
{
	uint32_t *v = NULL;
	size_t cap = 0, n;
	void *before;
	(void)state;

	for (n = 0; n < 100; n++) {
		assert_int_equal(mem_array_grow((void **)&v, &cap, n, sizeof(*v)), 0);
		assert_true(cap > n);
		v[n] = (uint32_t)n * 7;
	}
	assert_int_equal(cap, 128);
	for (n = 0; n < 100; n++)
		assert_int_equal(v[n], n * 7);
	/* not full: nothing changes */
	before = v;
	assert_int_equal(mem_array_grow((void **)&v, &cap, 100, sizeof(*v)), 0);
	assert_ptr_equal(v, before);
	assert_int_equal(cap, 128);
	/* elem so large that twice cap elements overflow size_t */
	assert_int_equal(mem_array_grow((void **)&v, &cap, 128, SIZE_MAX / 200), -ENOMEM);
	assert_ptr_equal(v, before);
	assert_int_equal(cap, 128);
	free(v);
}

/* mem_grow_wipe: the used bytes move to a block large enough, doubling
 * from the first size; no change when the block is large enough already. */
static void test_grow_wipe(void **state)
{
	char *b = NULL;
	size_t cap = 0;
	void *before;
	(void)state;

	assert_int_equal(mem_grow_wipe((void **)&b, &cap, 0, 10, 16), 0);
	assert_non_null(b);
	assert_int_equal(cap, 16);
	memcpy(b, "0123456789", 10);
	before = b;
	assert_int_equal(mem_grow_wipe((void **)&b, &cap, 10, 16, 16), 0);
	assert_ptr_equal(b, before);
	assert_int_equal(mem_grow_wipe((void **)&b, &cap, 10, 100, 16), 0);
	assert_int_equal(cap, 128);
	assert_memory_equal(b, "0123456789", 10);
	assert_int_equal(mem_grow_wipe((void **)&b, &cap, 10, SIZE_MAX, 16), -ENOMEM);
	assert_int_equal(cap, 128);
	assert_memory_equal(b, "0123456789", 10);
	mem_free_wipe(b, cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_ct),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_array_grow),
		cmocka_unit_test(test_grow_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
