/* The ip xfrm grammar without a SAD: parse words into a state or policy,
 * print it, and compare with the exact text iproute2 6.1 prints for the
 * same object (policy texts were taken from Linux 6.18 + iproute2 6.1;
 * state texts follow ip/ipxfrm.c, as the test kernel has no ESP). Plus a
 * numbered table of bad words, each with its one-line error. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xfrmcli/xfrm_cmd.h"
#include "xfrmcli/xfrm_grammar.h"

static int split(char *line, char **argv)
{
	const char *why = NULL;
	int n = xfrm_line_split(line, argv, 64, &why);

	assert_true(n >= 0);
	return n;
}

static void check_state(const char *words, bool stats, const char *want)
{
	char line[1024], *argv[64], err[256] = "", *text = NULL;
	size_t len = 0;
	struct xfrm_state_req req;
	FILE *mem;
	int argc;

	snprintf(line, sizeof(line), "%s", words);
	argc = split(line, argv);
	if (xfrm_parse_state(argc, argv, XG_FULL, &req, err, sizeof(err)))
		fail_msg("parse failed: %s", err);
	mem = open_memstream(&text, &len);
	xfrm_print_state_keys(mem, &req.sa, stats, true);
	fclose(mem);
	if (strcmp(text, want)) {
		print_message("got:\n%s\nwant:\n%s\n", text, want);
		fail();
	}
	free(text);
}

static void check_policy(const char *words, bool stats, uint32_t index, const char *want)
{
	char line[1024], *argv[64], err[256] = "", *text = NULL;
	size_t len = 0;
	struct xfrm_policy_req req;
	FILE *mem;
	int argc;

	snprintf(line, sizeof(line), "%s", words);
	argc = split(line, argv);
	if (xfrm_parse_policy(argc, argv, XG_FULL, &req, err, sizeof(err)))
		fail_msg("parse failed: %s", err);
	if (index)
		req.pol.index = index;
	mem = open_memstream(&text, &len);
	xfrm_print_policy(mem, &req.pol, stats);
	fclose(mem);
	if (strcmp(text, want)) {
		print_message("got:\n%s\nwant:\n%s\n", text, want);
		fail();
	}
	free(text);
}

#define GCM_KEY "0x0102030405060708090a0b0c0d0e0f1011121314"
#define AES_KEY "0x000102030405060708090a0b0c0d0e0f"
#define SHA_KEY "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static void test_state_print(void **state)
{
	check_state("src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 mode tunnel "
	            "aead 'rfc4106(gcm(aes))' " GCM_KEY " 128", false,
	            "src 192.0.2.1 dst 192.0.2.2\n"
	            "\tproto esp spi 0x00001000 reqid 1 mode tunnel\n"
	            "\treplay-window 0 \n"
	            "\taead rfc4106(gcm(aes)) " GCM_KEY " 128\n"
	            "\tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000\n"
	            "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 \n");

	check_state("src 10.0.0.1 dst 10.0.0.2 proto esp spi 300 reqid 7 mode transport "
	            "replay-window 128 flag esn enc cbc(aes) " AES_KEY " "
	            "auth-trunc hmac(sha256) " SHA_KEY " 128 encap espinudp 4500 4500 0.0.0.0 "
	            "sel src 10.1.0.0/24 dst 10.2.0.0/24 proto tcp dport 80 "
	            "replay-seq 5 replay-oseq-hi 1 replay-oseq 2", false,
	            "src 10.0.0.1 dst 10.0.0.2\n"
	            "\tproto esp spi 0x0000012c reqid 7 mode transport\n"
	            "\treplay-window 0 flag esn\n"
	            "\tauth-trunc hmac(sha256) " SHA_KEY " 128\n"
	            "\tenc cbc(aes) " AES_KEY "\n"
	            "\tencap type espinudp sport 4500 dport 4500 addr 0.0.0.0\n"
	            "\tanti-replay esn context:\n"
	            "\t seq-hi 0x0, seq 0x5, oseq-hi 0x1, oseq 0x2\n"
	            "\t replay_window 128, bitmap-length 4\n"
	            "\t 00000000 00000000 00000000 00000000 \n"
	            "\tsel src 10.1.0.0/24 dst 10.2.0.0/24 proto tcp dport 80 \n");

	/* auth without a length: the kernel's default truncation (96 bits,
	 * even for hmac(sha256)); compat names become canonical ones. */
	check_state("src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x2000 mode tunnel "
	            "replay-window 32 flag noecn enc aes " AES_KEY " auth sha256 " SHA_KEY
	            " mark 5 mask 0xff", false,
	            "src 2001:db8::1 dst 2001:db8::2\n"
	            "\tproto esp spi 0x00002000 reqid 0 mode tunnel\n"
	            "\treplay-window 32 flag noecn\n"
	            "\tmark 0x5/0xff \n"
	            "\tauth-trunc hmac(sha256) " SHA_KEY " 96\n"
	            "\tenc cbc(aes) " AES_KEY "\n"
	            "\tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000\n"
	            "\tsel src ::/0 dst ::/0 \n");

	/* integrity only, key given as a string */
	check_state("src 192.0.2.9 dst 192.0.2.8 proto esp spi 0x3000 enc 'ecb(cipher_null)' \"\" "
	            "auth-trunc 'hmac(sha1)' \"abcdefghijklmnopqrst\" 96", false,
	            "src 192.0.2.9 dst 192.0.2.8\n"
	            "\tproto esp spi 0x00003000 reqid 0 mode transport\n"
	            "\treplay-window 0 \n"
	            "\tauth-trunc hmac(sha1) 0x6162636465666768696a6b6c6d6e6f7071727374 96\n"
	            "\tenc ecb(cipher_null) 0x\n"
	            "\tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000\n"
	            "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 \n");
}

static void test_state_print_stats(void **state)
{
	check_state("src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 mode tunnel "
	            "aead 'rfc4106(gcm(aes))' " GCM_KEY " 128 limit time-hard 3600 "
	            "limit byte-soft 1000000 limit packet-hard 5000", true,
	            "src 192.0.2.1 dst 192.0.2.2\n"
	            "\tproto esp spi 0x00001000(4096) reqid 1(0x00000001) mode tunnel\n"
	            "\treplay-window 0 seq 0x00000000 flag  (0x00000000)\n"
	            "\taead rfc4106(gcm(aes)) " GCM_KEY " (160 bits) 128\n"
	            "\tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000\n"
	            "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 uid 0\n"
	            "\tlifetime config:\n"
	            "\t  limit: soft 1000000(bytes), hard (INF)(bytes)\n"
	            "\t  limit: soft (INF)(packets), hard 5000(packets)\n"
	            "\t  expire add: soft 0(sec), hard 3600(sec)\n"
	            "\t  expire use: soft 0(sec), hard 0(sec)\n"
	            "\tlifetime current:\n"
	            "\t  0(bytes), 0(packets)\n"
	            "\t  add - use -\n"
	            "\tstats:\n"
	            "\t  replay-window 0 replay 0 failed 0\n");

	check_state("src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 flag esn "
	            "aead 'rfc7539esp(chacha20,poly1305)' "
	            "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00010203 128",
	            true,
	            "src 192.0.2.1 dst 192.0.2.2\n"
	            "\tproto esp spi 0x00001000(4096) reqid 0(0x00000000) mode transport\n"
	            "\treplay-window 0 seq 0x00000000 flag esn (0x10000000)\n"
	            "\taead rfc7539esp(chacha20,poly1305) "
	            "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00010203"
	            " (288 bits) 128\n"
	            "\tanti-replay esn context:\n"
	            "\t seq-hi 0x0, seq 0x0, oseq-hi 0x0, oseq 0x0\n"
	            "\t replay_window 0, bitmap-length 0\n"
	            "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 uid 0\n"
	            "\tlifetime config:\n"
	            "\t  limit: soft (INF)(bytes), hard (INF)(bytes)\n"
	            "\t  limit: soft (INF)(packets), hard (INF)(packets)\n"
	            "\t  expire add: soft 0(sec), hard 0(sec)\n"
	            "\t  expire use: soft 0(sec), hard 0(sec)\n"
	            "\tlifetime current:\n"
	            "\t  0(bytes), 0(packets)\n"
	            "\t  add - use -\n"
	            "\tstats:\n"
	            "\t  replay-window 0 replay 0 failed 0\n");
}

/* Replay bitmaps: the legacy 32-bit one and the ESN words, newest last. */
static void test_replay_bitmap_print(void **state)
{
	char line[512], *argv[64], err[256], *text = NULL;
	size_t len = 0;
	struct xfrm_state_req req;
	uint64_t seq;
	FILE *mem;
	int argc;

	snprintf(line, sizeof(line), "src 1.1.1.1 dst 2.2.2.2 proto esp spi 0x1000 "
	         "replay-window 64 aead 'rfc4106(gcm(aes))' " GCM_KEY " 128");
	argc = split(line, argv);
	assert_int_equal(xfrm_parse_state(argc, argv, XG_FULL, &req, err, sizeof(err)), 0);
	for (uint64_t s = 1; s <= 40; s++) {
		if (s == 10)
			continue;
		assert_int_equal(replay_check(&req.sa.replay, (uint32_t)s, &seq), REPLAY_OK);
		assert_int_equal(replay_advance(&req.sa.replay, seq), REPLAY_OK);
	}
	mem = open_memstream(&text, &len);
	xfrm_print_state_keys(mem, &req.sa, false, true);
	fclose(mem);
	/* top 40; 1..40 seen except 10 (bit 30); bits beyond seq 1 stay clear */
	assert_non_null(strstr(text, "\treplay-window 0 \n"));
	assert_non_null(strstr(text, "\t seq-hi 0x0, seq 0x28, oseq-hi 0x0, oseq 0x0\n"
	                             "\t replay_window 64, bitmap-length 2\n"
	                             "\t 000000ff bfffffff \n"));
	free(text);
}

static void test_policy_print(void **state)
{
	const char *words = "src 10.1.0.0/24 dst 10.2.0.0/24 proto tcp sport 1234 dport 80 "
	                    "dir in priority 100 mark 5 mask 0xff "
	                    "tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 3 mode tunnel level use "
	                    "tmpl proto esp spi 0x1234 mode transport";

	check_policy(words, false, 0,
	             "src 10.1.0.0/24 dst 10.2.0.0/24 proto tcp sport 1234 dport 80 \n"
	             "\tdir in priority 100 ptype main \n"
	             "\tmark 0x5/0xff \n"
	             "\ttmpl src 192.0.2.2 dst 192.0.2.1\n"
	             "\t\tproto esp reqid 3 mode tunnel\n"
	             "\t\tlevel use \n"
	             "\ttmpl src 0.0.0.0 dst 0.0.0.0\n"
	             "\t\tproto esp spi 0x00001234 reqid 0 mode transport\n");
	check_policy(words, true, 8,
	             "src 10.1.0.0/24 dst 10.2.0.0/24 proto tcp sport 1234 dport 80 uid 0\n"
	             "\tdir in action allow index 8 priority 100 ptype main share any flag  (0x00000000)\n"
	             "\tlifetime config:\n"
	             "\t  limit: soft (INF)(bytes), hard (INF)(bytes)\n"
	             "\t  limit: soft (INF)(packets), hard (INF)(packets)\n"
	             "\t  expire add: soft 0(sec), hard 0(sec)\n"
	             "\t  expire use: soft 0(sec), hard 0(sec)\n"
	             "\tlifetime current:\n"
	             "\t  0(bytes), 0(packets)\n"
	             "\t  add - use -\n"
	             "\tmark 0x5/0xff \n"
	             "\ttmpl src 192.0.2.2 dst 192.0.2.1\n"
	             "\t\tproto esp spi 0x00000000(0) reqid 3(0x00000003) mode tunnel\n"
	             "\t\tlevel use share any \n"
	             "\t\tenc-mask ffffffff auth-mask ffffffff comp-mask ffffffff\n"
	             "\ttmpl src 0.0.0.0 dst 0.0.0.0\n"
	             "\t\tproto esp spi 0x00001234(4660) reqid 0(0x00000000) mode transport\n"
	             "\t\tlevel required share any \n"
	             "\t\tenc-mask ffffffff auth-mask ffffffff comp-mask ffffffff\n");
	check_policy("src ::/0 dst ::/0 proto ipv6-icmp type 135 dir fwd action block priority 1",
	             false, 0,
	             "src ::/0 dst ::/0 proto ipv6-icmp type 135 \n"
	             "\tdir fwd action block priority 1 ptype main \n");
	check_policy("src 0.0.0.0/0 dst 0.0.0.0/0 proto icmp type 8 code 0 dir out limit time-hard 60",
	             true, 17,
	             "src 0.0.0.0/0 dst 0.0.0.0/0 proto icmp type 8 code 0 uid 0\n"
	             "\tdir out action allow index 17 priority 0 ptype main share any flag  (0x00000000)\n"
	             "\tlifetime config:\n"
	             "\t  limit: soft (INF)(bytes), hard (INF)(bytes)\n"
	             "\t  limit: soft (INF)(packets), hard (INF)(packets)\n"
	             "\t  expire add: soft 0(sec), hard 60(sec)\n"
	             "\t  expire use: soft 0(sec), hard 0(sec)\n"
	             "\tlifetime current:\n"
	             "\t  0(bytes), 0(packets)\n"
	             "\t  add - use -\n");
	check_policy("src 10.9.0.1 dst 10.8.0.0/16 proto 47 dir out", false, 0,
	             "src 10.9.0.1/32 dst 10.8.0.0/16 proto gre \n"
	             "\tdir out priority 0 ptype main \n");
	check_policy("src 10.9.0.2 dst 10.8.0.0/16 proto sctp dport 5 dir out", false, 0,
	             "src 10.9.0.2/32 dst 10.8.0.0/16 proto sctp dport 5 \n"
	             "\tdir out priority 0 ptype main \n");
}

/* Writing a state/policy as a command and parsing it again gives the same
 * printout. */
static void test_write_cmd_roundtrip(void **state)
{
	static const char *const states[] = {
		"src 10.0.0.1 dst 10.0.0.2 proto esp spi 300 reqid 7 mode tunnel "
		"replay-window 128 flag esn noecn enc cbc(aes) " AES_KEY " "
		"auth-trunc hmac(sha512) " SHA_KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 256 encap espinudp 4500 4501 0.0.0.0 "
		"sel src 10.1.0.0/24 dst 10.2.0.0/24 proto udp sport 53 "
		"replay-seq 5 replay-seq-hi 3 replay-oseq-hi 1 replay-oseq 2 "
		"limit time-soft 10 limit packet-hard 99 mark 0 mask 0xf",
		"src 192.0.2.9 dst 192.0.2.8 proto esp spi 0x3000 enc 'ecb(cipher_null)' \"\" "
		"auth-trunc 'hmac(sha1)' \"abcdefghijklmnopqrst\" 96",
	};
	static const char *const policies[] = {
		"src 10.1.0.0/24 dst 10.2.0.0/24 proto tcp sport 1234 dport 80 "
		"dir in priority 100 mark 5 mask 0xff index 8 action block limit byte-soft 5 "
		"tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 3 mode tunnel level use "
		"tmpl proto esp spi 0x1234 mode transport",
		"src ::/0 dst 2001:db8::/32 proto ipv6-icmp type 1 code 4 dir out",
	};

	for (size_t i = 0; i < 2; i++) {
		char line[1024], line2[1024], *argv[64], err[256], *a = NULL, *b = NULL, *cmd = NULL;
		size_t la = 0, lb = 0, lc = 0;
		struct xfrm_state_req r1, r2;
		FILE *m;
		int argc;

		snprintf(line, sizeof(line), "%s", states[i]);
		argc = split(line, argv);
		assert_int_equal(xfrm_parse_state(argc, argv, XG_FULL, &r1, err, sizeof(err)), 0);
		m = open_memstream(&cmd, &lc);
		xfrm_write_state_cmd(m, &r1.sa);
		fclose(m);
		assert_true(strncmp(cmd, "xfrm state add ", 15) == 0);
		snprintf(line2, sizeof(line2), "%s", cmd + 15);
		argc = split(line2, argv);
		if (xfrm_parse_state(argc, argv, XG_FULL, &r2, err, sizeof(err)))
			fail_msg("reparse of '%s' failed: %s", cmd, err);
		m = open_memstream(&a, &la);
		xfrm_print_state_keys(m, &r1.sa, true, true);
		fclose(m);
		m = open_memstream(&b, &lb);
		xfrm_print_state_keys(m, &r2.sa, true, true);
		fclose(m);
		assert_string_equal(a, b);
		free(a);
		free(b);
		free(cmd);
	}
	for (size_t i = 0; i < 2; i++) {
		char line[1024], line2[1024], *argv[64], err[256], *a = NULL, *b = NULL, *cmd = NULL;
		size_t la = 0, lb = 0, lc = 0;
		struct xfrm_policy_req r1, r2;
		FILE *m;
		int argc;

		snprintf(line, sizeof(line), "%s", policies[i]);
		argc = split(line, argv);
		assert_int_equal(xfrm_parse_policy(argc, argv, XG_FULL, &r1, err, sizeof(err)), 0);
		m = open_memstream(&cmd, &lc);
		xfrm_write_policy_cmd(m, &r1.pol);
		fclose(m);
		assert_true(strncmp(cmd, "xfrm policy add ", 16) == 0);
		snprintf(line2, sizeof(line2), "%s", cmd + 16);
		argc = split(line2, argv);
		if (xfrm_parse_policy(argc, argv, XG_FULL, &r2, err, sizeof(err)))
			fail_msg("reparse of '%s' failed: %s", cmd, err);
		m = open_memstream(&a, &la);
		xfrm_print_policy(m, &r1.pol, true);
		fclose(m);
		m = open_memstream(&b, &lb);
		xfrm_print_policy(m, &r2.pol, true);
		fclose(m);
		assert_string_equal(a, b);
		free(a);
		free(b);
		free(cmd);
	}
}

#define ST "src 1.1.1.1 dst 2.2.2.2 proto esp "
#define GCM " aead 'rfc4106(gcm(aes))' " GCM_KEY " 128"

/* Bad words for state add: each row is one numbered case with the exact
 * error. */
static const struct { const char *words; const char *err; } bad_states[] = {
	/*  1 */ { ST "spi 5" GCM, "SPI 0x00000005 is reserved (1..255)" },
	/*  2 */ { ST "spi 0" GCM, "SPI 0x00000000 is not valid" },
	/*  3 */ { ST "spi 255" GCM, "SPI 0x000000ff is reserved (1..255)" },
	/*  4 */ { ST "spi zz" GCM, "bad SPI 'zz' after 'spi'" },
	/*  5 */ { ST "spi 0x100000000" GCM, "bad SPI '0x100000000' after 'spi'" },
	/*  6 */ { ST "spi 0x1000 enc 'cbc(foo)' " AES_KEY " auth 'hmac(sha1)' 0x00",
	           "unknown enc algorithm 'cbc(foo)'" },
	/*  7 */ { ST "spi 0x1000 aead 'rfc4106(gcm(aes))' " AES_KEY " 128",
	           "key for rfc4106(gcm(aes)) must be 20, 28 or 36 bytes (with salt), got 16" },
	/*  8 */ { ST "spi 0x1000 enc 'cbc(aes)' 0x0011 auth-trunc 'hmac(sha256)' " SHA_KEY " 128",
	           "key for cbc(aes) must be 16, 24 or 32 bytes, got 2" },
	/*  9 */ { ST "spi 0x1000 aead 'gcm(foo)' " GCM_KEY " 128", "unknown aead algorithm 'gcm(foo)'" },
	/* 10 */ { ST "spi 0x1000", "no algorithm: a state needs 'aead' or 'enc' with 'auth'" },
	/* 11 */ { ST "spi 0x1000" GCM " enc aes " AES_KEY,
	           "'aead' cannot be combined with 'enc' or 'auth'" },
	/* 12 */ { ST "spi 0x1000" GCM GCM, "duplicate 'aead'" },
	/* 13 */ { ST "spi 0x1000 aead 'rfc4106(gcm(aes))' 0xzz 128", "key for rfc4106(gcm(aes)) is not valid hex" },
	/* 14 */ { ST "spi 0x1000 aead 'rfc4106(gcm(aes))' " GCM_KEY, "'aead' needs NAME KEY ICV-BITS" },
	/* 15 */ { ST "spi 0x1000 aead 'rfc4106(gcm(aes))' " GCM_KEY " abc",
	           "bad ICV length 'abc' for rfc4106(gcm(aes))" },
	/* 16 */ { ST "spi 0x1000 mode beet" GCM, "mode 'beet' is not supported (transport or tunnel)" },
	/* 17 */ { ST "spi 0x1000 mode sideways" GCM, "bad mode 'sideways' (transport or tunnel)" },
	/* 18 */ { "src 1.1.1.1 dst 2.2.2.2 proto ah spi 0x1000" GCM, "proto 'ah' is not supported (only esp)" },
	/* 19 */ { "src 1.1.1.1 dst 2001:db8::1 proto esp spi 0x1000" GCM,
	           "dst is not of the same address family as the other address" },
	/* 20 */ { "src 1.1.1.300 dst 2.2.2.2 proto esp spi 0x1000" GCM, "bad address '1.1.1.300' after 'src'" },
	/* 21 */ { "src 1.1.1.0/24 dst 2.2.2.2 proto esp spi 0x1000" GCM,
	           "'1.1.1.0/24' after 'src' must be an address, not a prefix" },
	/* 22 */ { "src 1.1.1.1 dst 2.2.2.2 proto esp" GCM, "a state needs src, dst, proto esp and spi: 'spi' is missing" },
	/* 23 */ { "src 1.1.1.1 proto esp spi 0x1000" GCM, "a state needs src, dst, proto esp and spi: 'dst' is missing" },
	/* 24 */ { ST "spi 0x1000" GCM " replay-window 9000", "replay-window 9000 is too large (at most 8192)" },
	/* 25 */ { ST "spi 0x1000" GCM " replay-window", "missing value after 'replay-window'" },
	/* 26 */ { ST "spi 0x1000" GCM " replay-seq-hi 1", "replay-seq-hi and replay-oseq-hi need flag esn" },
	/* 27 */ { ST "spi 0x1000" GCM " flag wildrecv", "flag 'wildrecv' is not supported (esn, noecn, decap-dscp)" },
	/* 28 */ { ST "spi 0x1000" GCM " flag bogus", "bad flag 'bogus' (esn, noecn, decap-dscp)" },
	/* 29 */ { ST "spi 0x1000" GCM " encap espinudp-nonike 4500 4500 0.0.0.0",
	           "encap type 'espinudp-nonike' is not supported (espinudp)" },
	/* 30 */ { ST "spi 0x1000" GCM " encap espinudp 70000 4500 0.0.0.0", "bad encap sport '70000'" },
	/* 31 */ { ST "spi 0x1000" GCM " encap espinudp 4500 4500", "'encap' needs espinudp SPORT DPORT OADDR" },
	/* 32 */ { ST "spi 0x1000" GCM " sel src 10.0.0.0/8 dst 10.1.0.0/16 proto icmp sport 5",
	           "'sport' and 'dport' are invalid with proto 'icmp'" },
	/* 33 */ { ST "spi 0x1000" GCM " sel src 10.0.0.0/8 dst 10.1.0.0/16 proto tcp type 5",
	           "'type' and 'code' are invalid with proto 'tcp'" },
	/* 34 */ { ST "spi 0x1000" GCM " sel src 10.0.0.0/33", "bad address '10.0.0.0/33' after 'src'" },
	/* 35 */ { ST "spi 0x1000" GCM " limit time-later 5",
	           "unknown limit 'time-later' (time-soft, time-hard, time-use-soft, time-use-hard, "
	           "byte-soft, byte-hard, packet-soft, packet-hard)" },
	/* 36 */ { ST "spi 0x1000" GCM " limit byte-hard -1", "bad value '-1' after 'byte-hard'" },
	/* 37 */ { ST "spi 0x1000" GCM " bogus", "unknown state keyword 'bogus'" },
	/* 38 */ { ST "spi 0x1000" GCM " if_id 5", "'if_id' is not supported" },
	/* 39 */ { ST "spi 0x1000 enc aes " AES_KEY, "enc cbc(aes) needs an auth algorithm" },
	/* 40 */ { ST "spi 0x1000 auth sha1 0x00", "'auth' needs 'enc' (use enc 'ecb(cipher_null)' \"\" for integrity only)" },
	/* 41 */ { ST "spi 0x1000 aead 'rfc4106(gcm(aes))' 0x"
	           "000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f"
	           "000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f"
	           "000102030405060708090a0b0c0d0e0f 128",
	           "key for rfc4106(gcm(aes)) is too long (at most 68 bytes)" },
	/* 42 */ { ST "spi 0x1000 aead 'rfc4106(gcm(aes))' " GCM_KEY " 96 mark", "missing value after 'mark'" },
	/* 43 */ { ST "spi 0x1000 aead 'rfc4106(gcm(aes))' " GCM_KEY " 100",
	           "ICV of rfc4106(gcm(aes)) must be 64, 96 or 128 bits, got 100" },
};

static void test_bad_states(void **state)
{
	for (size_t i = 0; i < sizeof(bad_states) / sizeof(bad_states[0]); i++) {
		char line[1024], *argv[64], err[256] = "";
		struct xfrm_state_req req;
		int argc;

		snprintf(line, sizeof(line), "%s", bad_states[i].words);
		argc = split(line, argv);
		if (xfrm_parse_state(argc, argv, XG_FULL, &req, err, sizeof(err)) != -EINVAL)
			fail_msg("row %zu: accepted: %s", i + 1, bad_states[i].words);
		if (strcmp(err, bad_states[i].err))
			fail_msg("row %zu: got \"%s\", want \"%s\"", i + 1, err, bad_states[i].err);
	}
}

static const struct { const char *words; const char *err; } bad_policies[] = {
	/*  1 */ { "src 10.1.0.0/24 dst 2001:db8::/32 dir in",
	           "dst is not of the same address family as the other address" },
	/*  2 */ { "src 10.1.0.0/24 dst 10.2.0.0/24 proto icmp sport 5 dir in",
	           "'sport' and 'dport' are invalid with proto 'icmp'" },
	/*  3 */ { "src 10.1.0.0/24 dst 10.2.0.0/24 dir sideways", "bad dir 'sideways' (in, out or fwd)" },
	/*  4 */ { "src 10.1.0.0/24 dst 10.2.0.0/24 dir in bogus", "unknown policy keyword 'bogus'" },
	/*  5 */ { "src 10.1.0.0/33 dst 10.2.0.0/24 dir in", "bad address '10.1.0.0/33' after 'src'" },
	/*  6 */ { "src 10.1.0.0/24 dst 10.2.0.0/24 dir in priority x", "bad priority 'x' after 'priority'" },
	/*  7 */ { "src 10.1.0.0/24 dst 10.2.0.0/24", "a policy needs 'dir in|out|fwd'" },
	/*  8 */ { "dir in", "a policy needs a selector: src PREFIX dst PREFIX" },
	/*  9 */ { "src 10.1.0.0/24 dst 10.2.0.0/24 dir in index 1234",
	           "policy index 1234 does not match dir (index % 8 must be 0)" },
	/* 10 */ { "src 10.1.0.0/24 dst 10.2.0.0/24 dir in action deny", "bad action 'deny' (allow or block)" },
	/* 11 */ { "src 10.1.0.0/24 dst 10.2.0.0/24 dir in tmpl mode tunnel", "template needs 'proto esp'" },
	/* 12 */ { "src 10.1.0.0/24 dst 10.2.0.0/24 dir in tmpl proto ah", "proto 'ah' is not supported (only esp)" },
	/* 13 */ { "src 10.1.0.0/24 dst 10.2.0.0/24 dir in tmpl proto esp level maybe",
	           "bad level 'maybe' (required or use)" },
	/* 14 */ { "src 10.1.0.0/24 dst 10.2.0.0/24 dir in tmpl proto esp tmpl proto esp "
	           "tmpl proto esp tmpl proto esp tmpl proto esp", "too many templates (at most 4)" },
	/* 15 */ { "src 10.1.0.0/24 dst 10.2.0.0/24 dir in ptype sub", "ptype 'sub' is not supported (main)" },
	/* 16 */ { "src 10.1.0.0/24 dst 10.2.0.0/24 proto nosuch dir in",
	           "unknown protocol 'nosuch' after 'proto'" },
	/* 17 */ { "src 10.1.0.0/24 dst 10.2.0.0/24 dir in tmpl src 1.1.1.1 dst ::1 proto esp",
	           "dst is not of the same address family as the other address" },
	/* 18 */ { "src 10.1.0.0/24 dst 10.2.0.0/24 proto udp dport 65536 dir in",
	           "bad port '65536' after 'dport'" },
	/* 19 */ { "src 10.1.0.0/24 dst 10.2.0.0/24 proto icmp type 256 dir in",
	           "bad type '256' after 'type'" },
	/* 20 */ { "src 10.1.0.0/24 dst 10.2.0.0/24 dir in dev eth0", "selector 'dev' is not supported" },
};

static void test_bad_policies(void **state)
{
	for (size_t i = 0; i < sizeof(bad_policies) / sizeof(bad_policies[0]); i++) {
		char line[1024], *argv[64], err[256] = "";
		struct xfrm_policy_req req;
		int argc;

		snprintf(line, sizeof(line), "%s", bad_policies[i].words);
		argc = split(line, argv);
		if (xfrm_parse_policy(argc, argv, XG_FULL, &req, err, sizeof(err)) != -EINVAL)
			fail_msg("row %zu: accepted: %s", i + 1, bad_policies[i].words);
		if (strcmp(err, bad_policies[i].err))
			fail_msg("row %zu: got \"%s\", want \"%s\"", i + 1, err, bad_policies[i].err);
	}
}

static void test_line_split(void **state)
{
	char line[256], *argv[8];
	const char *why = NULL;

	snprintf(line, sizeof(line), "  ip xfrm  state add enc 'cbc(aes)' \"a key\" x'y'z # comment");
	assert_int_equal(xfrm_line_split(line, argv, 8, &why), 8);
	assert_string_equal(argv[4], "enc");
	assert_string_equal(argv[7], "xyz");
	assert_string_equal(argv[5], "cbc(aes)");
	assert_string_equal(argv[6], "a key");
	snprintf(line, sizeof(line), "a 'b c");
	assert_int_equal(xfrm_line_split(line, argv, 8, &why), -1);
	assert_string_equal(why, "unterminated quote");
	snprintf(line, sizeof(line), "1 2 3 4 5 6 7 8 9");
	assert_int_equal(xfrm_line_split(line, argv, 8, &why), -1);
	assert_string_equal(why, "too many words");
	snprintf(line, sizeof(line), "# only a comment");
	assert_int_equal(xfrm_line_split(line, argv, 8, &why), 0);
	snprintf(line, sizeof(line), "k \"\"");
	assert_int_equal(xfrm_line_split(line, argv, 8, &why), 2);
	assert_string_equal(argv[1], "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_print),
		cmocka_unit_test(test_state_print_stats),
		cmocka_unit_test(test_replay_bitmap_print),
		cmocka_unit_test(test_policy_print),
		cmocka_unit_test(test_write_cmd_roundtrip),
		cmocka_unit_test(test_bad_states),
		cmocka_unit_test(test_bad_policies),
		cmocka_unit_test(test_line_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
