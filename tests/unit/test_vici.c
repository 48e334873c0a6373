/* VICI encoding and decoding: known bytes, round trips, and a numbered
 * table of malformed messages that must be rejected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/vici.h"

/* The example message of the VICI README, encoded by hand:
 *   key1 = value1
 *   section1 { sub-section { key2 = value2 } list1 [ item1, item2 ] }
 * as a CMD_REQUEST named "cmd". */
static const uint8_t example[] = {
	0, 0, 0, 0x52,                      /* length 82 */
	VICI_CMD_REQUEST, 3, 'c', 'm', 'd',
	VICI_KEY_VALUE, 4, 'k', 'e', 'y', '1', 0, 6, 'v', 'a', 'l', 'u', 'e', '1',
	VICI_SECTION_START, 8, 's', 'e', 'c', 't', 'i', 'o', 'n', '1',
	VICI_SECTION_START, 11, 's', 'u', 'b', '-', 's', 'e', 'c', 't', 'i', 'o', 'n',
	VICI_KEY_VALUE, 4, 'k', 'e', 'y', '2', 0, 6, 'v', 'a', 'l', 'u', 'e', '2',
	VICI_SECTION_END,
	VICI_LIST_START, 5, 'l', 'i', 's', 't', '1',
	VICI_LIST_ITEM, 0, 5, 'i', 't', 'e', 'm', '1',
	VICI_LIST_ITEM, 0, 5, 'i', 't', 'e', 'm', '2',
	VICI_LIST_END,
	VICI_SECTION_END,
};

static void build_example(struct vici_buf *b)
{
	vici_begin(b, VICI_CMD_REQUEST, "cmd");
	vici_kv_str(b, "key1", "value1");
	vici_section_start(b, "section1");
	vici_section_start(b, "sub-section");
	vici_kv_str(b, "key2", "value2");
	vici_section_end(b);
	vici_list_start(b, "list1");
	vici_list_item_str(b, "item1");
	vici_list_item_str(b, "item2");
	vici_list_end(b);
	vici_section_end(b);
}

static void test_encode_known(void **state)
{
	struct vici_buf b;

	vici_buf_init(&b);
	build_example(&b);
	assert_int_equal(vici_end(&b), 0);
	assert_int_equal(b.len, sizeof(example));
	assert_memory_equal(b.data, example, sizeof(example));
	vici_buf_free(&b);
}

static void test_decode_known(void **state)
{
	struct vici_packet pk;
	struct vici_iter it;
	struct vici_elem e;
	char val[16];
	char **argv;
	int n = 0;

	assert_int_equal(vici_frame_len(example), sizeof(example) - 4);
	assert_int_equal(vici_packet_parse(example + 4, sizeof(example) - 4, &pk), 0);
	assert_int_equal(pk.type, VICI_CMD_REQUEST);
	assert_string_equal(pk.name, "cmd");
	assert_int_equal(vici_get_str(pk.msg, pk.msg_len, "key1", val, sizeof(val)), 0);
	assert_string_equal(val, "value1");
	/* key2 is inside a section: not a top-level key */
	assert_int_equal(vici_get_str(pk.msg, pk.msg_len, "key2", val, sizeof(val)), -ENOENT);
	assert_int_equal(vici_get_str(pk.msg, pk.msg_len, "key1", val, 6), -EMSGSIZE);
	/* element depths: key1 0, section1 0, sub-section 1, key2 2, end 1,
	 * list1 1, items 1, list end 1, end 0 */
	static const int depth[10] = { 0, 0, 1, 2, 1, 1, 1, 1, 1, 0 };
	vici_iter_init(&it, pk.msg, pk.msg_len);
	while (vici_iter_next(&it, &e) == 1) {
		assert_true(n < 10);
		assert_int_equal(e.depth, depth[n]);
		n++;
	}
	assert_int_equal(n, 10);
	assert_int_equal(vici_get_list(pk.msg, pk.msg_len, "list1", &argv, 8), -ENOENT);
	vici_list_free(NULL);
}

static void test_list_roundtrip(void **state)
{
	struct vici_buf b;
	struct vici_packet pk;
	char **argv;
	char big[300];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	vici_buf_init(&b);
	vici_begin(&b, VICI_CMD_REQUEST, "uipsec-xfrm");
	vici_list_start(&b, "argv");
	vici_list_item_str(&b, "state");
	vici_list_item_str(&b, "");
	vici_list_item_str(&b, big);
	vici_list_end(&b);
	assert_int_equal(vici_end(&b), 0);
	assert_int_equal(vici_frame_len(b.data), (long)b.len - 4);
	assert_int_equal(vici_packet_parse(b.data + 4, b.len - 4, &pk), 0);
	assert_string_equal(pk.name, "uipsec-xfrm");
	assert_int_equal(vici_get_list(pk.msg, pk.msg_len, "argv", &argv, 8), 3);
	assert_string_equal(argv[0], "state");
	assert_string_equal(argv[1], "");
	assert_string_equal(argv[2], big);
	assert_null(argv[3]);
	vici_list_free(argv);
	assert_int_equal(vici_get_list(pk.msg, pk.msg_len, "argv", &argv, 2), -E2BIG);
	vici_buf_free(&b);
}

static void test_unnamed_and_empty(void **state)
{
	struct vici_buf b;
	struct vici_packet pk;
	static const uint8_t confirm[] = { 0, 0, 0, 1, VICI_EVENT_CONFIRM };

	vici_buf_init(&b);
	vici_begin(&b, VICI_EVENT_CONFIRM, NULL);
	assert_int_equal(vici_end(&b), 0);
	assert_memory_equal(b.data, confirm, sizeof(confirm));
	vici_begin(&b, VICI_EVENT_REGISTER, "uipsec-trace");
	assert_int_equal(vici_end(&b), 0);
	assert_int_equal(vici_packet_parse(b.data + 4, b.len - 4, &pk), 0);
	assert_int_equal(pk.type, VICI_EVENT_REGISTER);
	assert_string_equal(pk.name, "uipsec-trace");
	assert_int_equal(pk.msg_len, 0);
	/* encoder misuse is an error, not a malformed packet */
	vici_begin(&b, VICI_EVENT_CONFIRM, "x");
	assert_int_equal(vici_end(&b), -EINVAL);
	vici_begin(&b, VICI_CMD_REQUEST, NULL);
	assert_int_equal(vici_end(&b), -EINVAL);
	vici_begin(&b, VICI_CMD_RESPONSE, NULL);
	vici_section_start(&b, "s");
	assert_int_equal(vici_end(&b), -EINVAL);
	vici_begin(&b, VICI_CMD_RESPONSE, NULL);
	vici_list_item_str(&b, "orphan");
	assert_int_equal(vici_end(&b), -EINVAL);
	vici_begin(&b, VICI_CMD_RESPONSE, NULL);
	vici_section_end(&b);
	assert_int_equal(vici_end(&b), -EINVAL);
	vici_buf_free(&b);
}

static void test_value_too_long(void **state)
{
	struct vici_buf b;
	char *v = malloc(70000);

	memset(v, 'a', 70000);
	vici_buf_init(&b);
	vici_begin(&b, VICI_CMD_RESPONSE, NULL);
	vici_kv(&b, "output", v, 70000);
	assert_int_equal(vici_end(&b), -EMSGSIZE);
	vici_begin(&b, VICI_CMD_RESPONSE, NULL);
	for (int i = 0; i < 9; i++)
		vici_kv(&b, "output", v, 65535);
	assert_int_equal(vici_end(&b), -EMSGSIZE);   /* over 512 KiB */
	vici_buf_free(&b);
	free(v);
}

/* Malformed packets (after the length prefix), each must be rejected. */
struct bad_case {
	int row;
	size_t len;
	uint8_t d[24];
};

static const struct bad_case bad[] = {
	{ 1, 0, { 0 } },                                   /* empty */
	{ 2, 1, { 8 } },                                   /* unknown type */
	{ 3, 1, { VICI_CMD_REQUEST } },                    /* name missing */
	{ 4, 3, { VICI_CMD_REQUEST, 5, 'a' } },            /* name truncated */
	{ 5, 3, { VICI_CMD_REQUEST, 1, 0 } },              /* NUL in name */
	{ 6, 2, { VICI_EVENT_CONFIRM, VICI_SECTION_END } },/* message where none */
	{ 7, 3, { VICI_CMD_RESPONSE, VICI_SECTION_START, 1 } },       /* name short */
	{ 8, 4, { VICI_CMD_RESPONSE, VICI_SECTION_START, 1, 'a' } },  /* not closed */
	{ 9, 2, { VICI_CMD_RESPONSE, VICI_SECTION_END } },            /* unbalanced */
	{ 10, 6, { VICI_CMD_RESPONSE, VICI_KEY_VALUE, 1, 'k', 0, 5 } }, /* value overrun */
	{ 11, 5, { VICI_CMD_RESPONSE, VICI_KEY_VALUE, 1, 'k', 0 } },  /* length cut */
	{ 12, 4, { VICI_CMD_RESPONSE, VICI_LIST_ITEM, 0, 0 } },       /* item outside list */
	{ 13, 6, { VICI_CMD_RESPONSE, VICI_LIST_START, 1, 'l', VICI_SECTION_START, 0 } },
	{ 14, 4, { VICI_CMD_RESPONSE, VICI_LIST_START, 1, 'l' } },    /* list not closed */
	{ 15, 2, { VICI_CMD_RESPONSE, VICI_LIST_END } },
	{ 16, 2, { VICI_CMD_RESPONSE, 7 } },                          /* unknown element */
	{ 17, 2, { VICI_CMD_RESPONSE, 0 } },
	{ 18, 9, { VICI_CMD_RESPONSE, VICI_LIST_START, 1, 'l', VICI_KEY_VALUE, 1, 'k', 0, 0 } },
	{ 19, 8, { VICI_CMD_RESPONSE, VICI_LIST_START, 1, 'l', VICI_LIST_START, 1, 'm', VICI_LIST_END } },
	{ 20, 3, { VICI_CMD_UNKNOWN, 0, 0 } },
};

static void test_malformed_table(void **state)
{
	struct vici_packet pk;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vici_packet_parse(bad[i].d, bad[i].len, &pk) != -EBADMSG)
			fail_msg("row %d accepted", bad[i].row);
	}
}

static void test_depth_limit(void **state)
{
	uint8_t m[1 + 3 * (VICI_MAX_DEPTH + 1) + VICI_MAX_DEPTH + 1];
	struct vici_packet pk;
	size_t n = 0;
	int i, depth;

	for (depth = VICI_MAX_DEPTH; depth <= VICI_MAX_DEPTH + 1; depth++) {
		n = 0;
		m[n++] = VICI_CMD_RESPONSE;
		for (i = 0; i < depth; i++) {
			m[n++] = VICI_SECTION_START;
			m[n++] = 1;
			m[n++] = 's';
		}
		for (i = 0; i < depth; i++)
			m[n++] = VICI_SECTION_END;
		assert_int_equal(vici_packet_parse(m, n, &pk),
		                 depth <= VICI_MAX_DEPTH ? 0 : -EBADMSG);
	}
}

static void test_frame_len(void **state)
{
	static const uint8_t zero[4] = { 0, 0, 0, 0 };
	static const uint8_t max[4] = { 0, 8, 0, 0 };     /* 512 KiB */
	static const uint8_t over[4] = { 0, 8, 0, 1 };
	static const uint8_t huge[4] = { 0xff, 0xff, 0xff, 0xff };

	assert_int_equal(vici_frame_len(zero), -EMSGSIZE);
	assert_int_equal(vici_frame_len(max), 512 * 1024);
	assert_int_equal(vici_frame_len(over), -EMSGSIZE);
	assert_int_equal(vici_frame_len(huge), -EMSGSIZE);
}

/* Every truncation of a valid packet is either valid or rejected, never
 * read past its end (ASan). */
static void test_truncations(void **state)
{
	struct vici_packet pk;
	size_t n;

	for (n = 0; n <= sizeof(example) - 4; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, example + 4, n);
		int r = vici_packet_parse(copy, n, &pk);
		assert_true(r == 0 || r == -EBADMSG);
		/* cut anywhere inside section1 (it opens at byte 19): unbalanced */
		if (n > 19 && n < sizeof(example) - 4)
			assert_int_equal(r, -EBADMSG);
		if (n == 5 + 14)   /* right after key1 = value1: a whole message */
			assert_int_equal(r, 0);
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_known),
		cmocka_unit_test(test_decode_known),
		cmocka_unit_test(test_list_roundtrip),
		cmocka_unit_test(test_unnamed_and_empty),
		cmocka_unit_test(test_value_too_long),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_frame_len),
		cmocka_unit_test(test_truncations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
