/* xfrm_cmd_run against a real SAD and SPD: add/get/list/update/delete/
 * deleteall/flush/count round trips compared with the exact ip xfrm text,
 * a table of bad commands that must each print one "Error: ..." line and
 * leave the SAD and SPD as they were, and state files (load with line
 * numbers in errors, save, reload). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "xfrmcli/xfrm_cmd.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

struct ctx {
	struct sad *sad;
	struct spd *spd;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	c->sad = sad_new(NULL);
	c->spd = spd_new(NULL);
	assert_non_null(c->sad);
	assert_non_null(c->spd);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	spd_free(c->spd);
	sad_free(c->sad);
	free(c);
	return 0;
}

/* Run one command line; return its code, output and error text. */
static int run(struct ctx *c, const char *cmdline, char **out, char **err)
{
	char line[2048], *argv[128];
	const char *why = NULL;
	size_t lo = 0, le = 0;
	FILE *fo, *fe;
	int argc, rc;

	snprintf(line, sizeof(line), "%s", cmdline);
	argc = xfrm_line_split(line, argv, 128, &why);
	assert_true(argc >= 0);
	char *o = NULL, *e = NULL;
	fo = open_memstream(&o, &lo);
	fe = open_memstream(&e, &le);
	rc = xfrm_cmd_run(c->sad, c->spd, argc, argv, fo, fe);
	fclose(fo);
	fclose(fe);
	*out = o;
	*err = e;
	return rc;
}

/* Run and expect success with exactly this output. */
static void ok(struct ctx *c, const char *cmdline, const char *want)
{
	char *out, *err;
	int rc = run(c, cmdline, &out, &err);

	if (rc != 0)
		fail_msg("'%s' failed (%d): %s", cmdline, rc, err);
	assert_string_equal(err, "");
	if (strcmp(out, want)) {
		print_message("'%s'\ngot:\n%s\nwant:\n%s\n", cmdline, out, want);
		fail();
	}
	free(out);
	free(err);
}

static void bad(struct ctx *c, const char *cmdline, int want_rc, const char *want_err)
{
	char *out, *err;
	int rc = run(c, cmdline, &out, &err);

	if (rc != want_rc)
		fail_msg("'%s': rc %d, want %d (%s)", cmdline, rc, want_rc, err);
	assert_string_equal(out, "");
	if (strcmp(err, want_err)) {
		print_message("'%s'\ngot:  %swant: %s", cmdline, err, want_err);
		fail();
	}
	free(out);
	free(err);
}

static char *capture(struct ctx *c, const char *cmdline)
{
	char *out = NULL, *err = NULL;
	int rc = run(c, cmdline, &out, &err);

	if (rc)
		fail_msg("'%s' failed (%d): %s", cmdline, rc, err);
	free(err);
	return out;
}

/* The index that "-s policy list ..." shows for the one policy listed. */
static unsigned index_of(struct ctx *c, const char *cmdline)
{
	char *o = capture(c, cmdline);
	const char *at = strstr(o, " index ");
	unsigned index = 0;
	int n = at ? sscanf(at, " index %u", &index) : 0;

	free(o);
	assert_int_equal(n, 1);
	return index;
}

#define GCM "aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128"
#define GCM_TEXT "\taead rfc4106(gcm(aes)) 0x0102030405060708090a0b0c0d0e0f1011121314 128\n"
#define CBC "enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f " \
            "auth-trunc 'hmac(sha256)' 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 128"

static void test_state_roundtrip(void **state)
{
	struct ctx *c = *state;
	const char *s1 =
		"src 192.0.2.1 dst 192.0.2.2\n"
		"\tproto esp spi 0x00001000 reqid 1 mode tunnel\n"
		"\treplay-window 32 \n"
		GCM_TEXT
		"\tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000\n"
		"\tsel src 0.0.0.0/0 dst 0.0.0.0/0 \n";
	const char *s2 =
		"src 192.0.2.2 dst 192.0.2.1\n"
		"\tproto esp spi 0x00002000 reqid 2 mode transport\n"
		"\treplay-window 0 flag esn\n"
		"\tauth-trunc hmac(sha256) 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 128\n"
		"\tenc cbc(aes) 0x000102030405060708090a0b0c0d0e0f\n"
		"\tencap type espinudp sport 4500 dport 4501 addr 0.0.0.0\n"
		"\tanti-replay esn context:\n"
		"\t seq-hi 0x0, seq 0x0, oseq-hi 0x0, oseq 0x0\n"
		"\t replay_window 128, bitmap-length 4\n"
		"\t 00000000 00000000 00000000 00000000 \n"
		"\tsel src 0.0.0.0/0 dst 0.0.0.0/0 \n";
	char both[2048];

	ok(c, "state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 mode tunnel "
	      "replay-window 32 " GCM, "");
	ok(c, "state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2000 reqid 2 "
	      "replay-window 128 flag esn " CBC " encap espinudp 4500 4501 0.0.0.0", "");
	/* keys are hidden unless -k (issue 15 item 10) */
	const char *h1 =
		"src 192.0.2.1 dst 192.0.2.2\n"
		"\tproto esp spi 0x00001000 reqid 1 mode tunnel\n"
		"\treplay-window 32 \n"
		"\taead rfc4106(gcm(aes)) [hidden] 128\n"
		"\tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000\n"
		"\tsel src 0.0.0.0/0 dst 0.0.0.0/0 \n";
	char *ko = NULL, *ke = NULL;

	snprintf(both, sizeof(both), "%s%s", s1, s2);
	ok(c, "state list -k", both);
	ok(c, "state -k", both);
	ok(c, "sa show --keys", both);
	ok(c, "state count", "\t SAD count 2\n");
	ok(c, "state get dst 192.0.2.2 proto esp spi 0x1000", h1);
	ok(c, "-k state get dst 192.0.2.2 proto esp spi 0x1000", s1);
	ok(c, "state get src 192.0.2.2 dst 192.0.2.1 proto esp spi 8192 -k", s2);
	ok(c, "state list spi 0x2000 -k", s2);
	ok(c, "state list dst 192.0.2.0/24 mode tunnel", h1);
	ok(c, "state list reqid 2 -k", s2);
	ok(c, "state list flag esn -k", s2);
	/* no key byte appears without -k */
	assert_int_equal(run(c, "state list", &ko, &ke), 0);
	assert_null(strstr(ko, "0102030405"));
	assert_null(strstr(ko, "000102030405"));
	assert_non_null(strstr(ko, "\tauth-trunc hmac(sha256) [hidden] 128\n\tenc cbc(aes) [hidden]\n"));
	free(ko);
	free(ke);
	ok(c, "state list src 10.0.0.0/8", "");

	/* update: reqid and mode change, key stays valid */
	ok(c, "state update src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 9 mode tunnel "
	      "replay-window 32 " GCM, "");
	{
		char *o = capture(c, "state get dst 192.0.2.2 proto esp spi 0x1000");
		assert_non_null(strstr(o, "\tproto esp spi 0x00001000 reqid 9 mode tunnel\n"));
		free(o);
	}

	/* -s anywhere */
	{
		char *o = capture(c, "-s state get dst 192.0.2.2 proto esp spi 0x1000");
		char *o2 = capture(c, "state get dst 192.0.2.2 proto esp spi 0x1000 -s");

		assert_non_null(strstr(o, "\tproto esp spi 0x00001000(4096) reqid 9(0x00000009) mode tunnel\n"
		                          "\treplay-window 32 seq 0x00000000 flag  (0x00000000)\n"));
		assert_non_null(strstr(o, "\tstats:\n\t  replay-window 0 replay 0 failed 0\n"));
		assert_non_null(strstr(o, "\tlifetime current:\n\t  0(bytes), 0(packets)\n\t  add 2"));
		assert_string_equal(o, o2);
		free(o);
		free(o2);
	}

	ok(c, "state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000", "");
	ok(c, "state count", "\t SAD count 1\n");
	bad(c, "state delete dst 192.0.2.2 proto esp spi 0x1000", -ENOENT,
	    "Error: no state dst 192.0.2.2 spi 0x00001000 proto esp\n");
	bad(c, "state get dst 192.0.2.2 proto esp spi 0x1000", -ENOENT,
	    "Error: no state dst 192.0.2.2 spi 0x00001000 proto esp\n");
	bad(c, "state update src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 " GCM, -ENOENT,
	    "Error: no state dst 192.0.2.2 spi 0x00001000 proto esp to update (use 'add')\n");

	ok(c, "state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 " GCM, "");
	ok(c, "state add src 192.0.2.1 dst 192.0.2.4 proto esp spi 0x3000 " GCM, "");
	ok(c, "state deleteall dst 192.0.2.3", "");
	ok(c, "state count", "\t SAD count 2\n");
	ok(c, "state deleteall src 192.0.2.1", "");
	ok(c, "state list -k", s2);
	ok(c, "state flush proto esp", "");
	ok(c, "state count", "\t SAD count 0\n");
	ok(c, "state list", "");
}

static void test_policy_roundtrip(void **state)
{
	struct ctx *c = *state;
	const char *p_in =
		"src 10.1.0.0/24 dst 10.2.0.0/24 proto tcp sport 1234 dport 80 \n"
		"\tdir in priority 100 ptype main \n"
		"\tmark 0x5/0xff \n"
		"\ttmpl src 192.0.2.2 dst 192.0.2.1\n"
		"\t\tproto esp reqid 3 mode tunnel\n"
		"\t\tlevel use \n"
		"\ttmpl src 0.0.0.0 dst 0.0.0.0\n"
		"\t\tproto esp spi 0x00001234 reqid 0 mode transport\n";
	const char *p_fwd =
		"src ::/0 dst ::/0 proto ipv6-icmp type 135 \n"
		"\tdir fwd action block priority 1 ptype main \n";
	const char *p_out =
		"src 10.2.0.0/24 dst 10.1.0.0/24 \n"
		"\tdir out priority 200 ptype main \n"
		"\ttmpl src 192.0.2.1 dst 192.0.2.2\n"
		"\t\tproto esp reqid 3 mode tunnel\n";
	char all[2048];

	ok(c, "policy add src 10.1.0.0/24 dst 10.2.0.0/24 proto tcp sport 1234 dport 80 dir in "
	      "priority 100 mark 5 mask 0xff tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 3 "
	      "mode tunnel level use tmpl proto esp spi 0x1234 mode transport", "");
	ok(c, "policy add src ::/0 dst ::/0 proto ipv6-icmp type 135 dir fwd action block priority 1", "");
	ok(c, "policy add src 10.2.0.0/24 dst 10.1.0.0/24 dir out priority 200 ptype main "
	      "tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 3 mode tunnel", "");
	/* priority order: smallest first */
	snprintf(all, sizeof(all), "%s%s%s", p_fwd, p_in, p_out);
	ok(c, "policy list", all);
	ok(c, "policy", all);
	ok(c, "policy count", "\t SPD IN  1 OUT 1 FWD 1\n");
	ok(c, "policy count -s", "\t SPD IN  1 OUT 1 FWD 1 (Sock: IN 0 OUT 0 FWD 0)\n");
	ok(c, "policy list dir out", p_out);
	ok(c, "policy list action block", p_fwd);
	ok(c, "policy list src 10.1.0.0/16", p_in);
	ok(c, "policy list priority 200", p_out);
	ok(c, "policy get src 10.1.0.0/24 dst 10.2.0.0/24 proto tcp sport 1234 dport 80 dir in", p_in);
	bad(c, "policy get src 10.1.0.0/24 dst 10.2.0.0/24 dir in", -ENOENT,
	    "Error: no policy src 10.1.0.0/24 dst 10.2.0.0/24 dir in\n");
	bad(c, "policy add src 10.2.0.0/24 dst 10.1.0.0/24 dir out", -EEXIST,
	    "Error: policy src 10.2.0.0/24 dst 10.1.0.0/24 dir out already exists "
	    "(use 'update' to change it)\n");
	ok(c, "policy update src 10.2.0.0/24 dst 10.1.0.0/24 dir out priority 200 action block", "");
	ok(c, "policy list dir out",
	   "src 10.2.0.0/24 dst 10.1.0.0/24 \n"
	   "\tdir out action block priority 200 ptype main \n");

	/* by index, as -s shows it */
	{
		char *o, cmd[96];
		unsigned index = index_of(c, "-s policy list dir out");

		assert_int_equal(index & 7, 1);
		snprintf(cmd, sizeof(cmd), "policy get index %u dir out", index);
		o = capture(c, cmd);
		assert_non_null(strstr(o, "dir out action block"));
		free(o);
		snprintf(cmd, sizeof(cmd), "policy get index %u dir in", index);
		{
			char *out, *err;
			assert_int_equal(run(c, cmd, &out, &err), -EINVAL);
			assert_non_null(strstr(err, "does not match dir"));
			free(out);
			free(err);
		}
		snprintf(cmd, sizeof(cmd), "policy delete index %u dir out", index);
		ok(c, cmd, "");
	}
	ok(c, "policy count", "\t SPD IN  1 OUT 0 FWD 1\n");
	ok(c, "policy delete src ::/0 dst ::/0 proto ipv6-icmp type 135 dir fwd", "");
	ok(c, "policy deleteall dir in", "");
	ok(c, "policy count", "\t SPD IN  0 OUT 0 FWD 0\n");
	ok(c, "policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir in", "");
	ok(c, "policy flush", "");
	ok(c, "policy list", "");
}

/* Bad commands: one error line each, and nothing changes. */
static const struct { const char *cmd; int rc; const char *err; } bad_cmds[] = {
	/*  1 */ { "state add src 1.1.1.1 dst 2.2.2.2 proto esp spi 5 " GCM, -EINVAL,
	           "Error: SPI 0x00000005 is reserved (1..255)\n" },
	/*  2 */ { "state add src 1.1.1.1 dst 2.2.2.2 proto esp spi 0x1000 enc 'cbc(foo)' "
	           "0x000102030405060708090a0b0c0d0e0f auth-trunc 'hmac(sha1)' 0x00 96", -EINVAL,
	           "Error: unknown enc algorithm 'cbc(foo)'\n" },
	/*  3 */ { "state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 " GCM, -EEXIST,
	           "Error: state dst 192.0.2.2 spi 0x00001000 proto esp already exists "
	           "(use 'update' to change it)\n" },
	/*  4 */ { "state add src 1.1.1.1 dst 2.2.2.2 proto esp spi 0x1000 aead 'rfc4106(gcm(aes))' "
	           "0x0102030405060708090a0b0c0d0e0f10 128", -EINVAL,
	           "Error: key for rfc4106(gcm(aes)) must be 20, 28 or 36 bytes (with salt), got 16\n" },
	/*  5 */ { "state frobnicate", -EINVAL,
	           "Error: unknown command 'state frobnicate' (add, update, get, delete, deleteall, "
	           "list, flush, count, help)\n" },
	/*  6 */ { "tunnel list", -EINVAL, "Error: unknown object 'tunnel' (state or policy)\n" },
	/*  7 */ { "state get dst 192.0.2.2 spi 0x1000", -EINVAL,
	           "Error: a state is named by dst, proto esp and spi: 'proto' is missing\n" },
	/*  8 */ { "state flush proto ah", -EINVAL, "Error: 'state flush' takes only 'proto esp', not 'proto'\n" },
	/*  9 */ { "state count x", -EINVAL, "Error: unknown word 'x' after 'state count'\n" },
	/* 10 */ { "state list " GCM, -EINVAL, "Error: 'aead' is not allowed here\n" },
	/* 11 */ { "policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir in index 1234", -EINVAL,
	           "Error: policy index 1234 does not match dir (index % 8 must be 0)\n" },
	/* 12 */ { "policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir in", -EEXIST,
	           "Error: policy src 10.1.0.0/24 dst 10.2.0.0/24 dir in already exists "
	           "(use 'update' to change it)\n" },
	/* 13 */ { "policy delete src 10.9.0.0/24 dst 10.2.0.0/24 dir in", -ENOENT,
	           "Error: no policy src 10.9.0.0/24 dst 10.2.0.0/24 dir in\n" },
	/* 14 */ { "policy flush everything", -EINVAL,
	           "Error: 'policy flush' takes only 'ptype main', not 'everything'\n" },
	/* 15 */ { "policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir in tmpl proto esp mode x", -EINVAL,
	           "Error: bad mode 'x' (transport or tunnel)\n" },
	/* 16 */ { "", -EINVAL, "Error: missing 'state' or 'policy'\n" },
	/* 17 */ { "state add src 1.1.1.1 dst 2.2.2.2 proto esp spi 0x1000 " GCM " replay-window 100000",
	           -EINVAL, "Error: replay-window 100000 is too large (at most 8192)\n" },
	/* 18 */ { "policy get dir in", -EINVAL,
	           "Error: a policy is named by its selector and dir, or by index and dir\n" },
};

static void test_bad_commands(void **state)
{
	struct ctx *c = *state;
	char *before_s, *before_p, *after_s, *after_p;

	ok(c, "state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 " GCM, "");
	ok(c, "policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir in", "");
	before_s = capture(c, "-s state list");
	before_p = capture(c, "policy list");
	for (size_t i = 0; i < sizeof(bad_cmds) / sizeof(bad_cmds[0]); i++) {
		char *out, *err;
		int rc = run(c, bad_cmds[i].cmd, &out, &err);

		if (rc != bad_cmds[i].rc)
			fail_msg("row %zu: rc %d, want %d (%s)", i + 1, rc, bad_cmds[i].rc, err);
		if (strcmp(err, bad_cmds[i].err))
			fail_msg("row %zu: got %s want %s", i + 1, err, bad_cmds[i].err);
		assert_string_equal(out, "");
		free(out);
		free(err);
		after_s = capture(c, "-s state list");
		after_p = capture(c, "policy list");
		if (strcmp(before_s, after_s) || strcmp(before_p, after_p))
			fail_msg("row %zu changed the SAD or SPD", i + 1);
		free(after_s);
		free(after_p);
	}
	free(before_s);
	free(before_p);
	ok(c, "state flush", "");
	ok(c, "policy flush", "");
}

static void test_modifies(void **state)
{
	char *a1[] = { "state", "add" }, *a2[] = { "-s", "state", "list" }, *a3[] = { "policy", "flush" },
	     *a4[] = { "state", "get" }, *a5[] = { "policy", "-s", "deleteall" }, *a6[] = { "foo", "add" },
	     *a7[] = { "policy", "del" };

	assert_true(xfrm_cmd_modifies(2, a1));
	assert_false(xfrm_cmd_modifies(3, a2));
	assert_true(xfrm_cmd_modifies(2, a3));
	assert_false(xfrm_cmd_modifies(2, a4));
	assert_true(xfrm_cmd_modifies(3, a5));
	assert_false(xfrm_cmd_modifies(2, a6));
	assert_true(xfrm_cmd_modifies(2, a7));
	assert_false(xfrm_cmd_modifies(1, a1));
}

static void test_state_file(void **state)
{
	struct ctx *c = *state;
	char dir[] = "/tmp/test_xfrm_cmd.XXXXXX", path[128], cmd[512];
	char *s1, *p1, *s2, *p2, *msg = NULL;
	size_t msglen = 0;
	struct stat st;
	FILE *f, *e;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/states", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("# manual keys\n"
	      "\n"
	      "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 mode tunnel "
	      "replay-window 64 flag esn replay-seq-hi 2 replay-seq 7 replay-oseq 9 " GCM "\n"
	      "   xfrm state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x2000 " CBC
	      " sel src 2001:db8:1::/48 dst 2001:db8:2::/48 proto udp dport 53 limit time-hard 60  # trailing comment\n"
	      "ip -4 xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir out priority 7 "
	      "tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel\n"
	      "state add src 192.0.2.1 dst 192.0.2.9 proto esp spi 0x3000 " GCM "\n"
	      "ip xfrm state delete src 192.0.2.1 dst 192.0.2.9 proto esp spi 0x3000\n", f);
	fclose(f);
	e = open_memstream(&msg, &msglen);
	{
		int rc = xfrm_state_file_load(c->sad, c->spd, path, false, e);
		fclose(e);
		if (rc)
			fail_msg("load: %d %s", rc, msg);
	}
	assert_string_equal(msg, "");
	free(msg);
	s1 = capture(c, "state list -k");
	p1 = capture(c, "policy list");
	assert_non_null(strstr(s1, "\t seq-hi 0x2, seq 0x7, oseq-hi 0x0, oseq 0x9\n"));
	assert_non_null(strstr(s1, "\tsel src 2001:db8:1::/48 dst 2001:db8:2::/48 proto udp dport 53 \n"));
	assert_null(strstr(s1, "192.0.2.9"));

	/* save, check the mode, reload into a fresh SAD/SPD, compare */
	chmod(path, 0640);
	assert_int_equal(xfrm_state_file_save(c->sad, c->spd, path, stderr), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);   /* an existing file keeps its mode */
	unlink(path);
	assert_int_equal(xfrm_state_file_save(c->sad, c->spd, path, stderr), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);   /* a new one is private: it holds keys */
	{
		struct ctx *n;

		setup((void **)&n);

		assert_int_equal(xfrm_state_file_load(n->sad, n->spd, path, false, stderr), 0);
		s2 = capture(n, "state list -k");
		p2 = capture(n, "policy list");
		assert_string_equal(s1, s2);
		assert_string_equal(p1, p2);
		free(s2);
		free(p2);
		teardown((void **)&n);
	}
	free(s1);
	free(p1);

	/* errors name the file and line */
	{
		struct ctx *n;
		setup((void **)&n);
		f = fopen(path, "w");
		fputs("# one\nip xfrm state add src 1.1.1.1 dst 2.2.2.2 proto esp spi 0x1000 " GCM "\n"
		      "ip xfrm state add src 1.1.1.1 dst 2.2.2.3 proto esp spi 7 " GCM "\n", f);
		fclose(f);
		msg = NULL;
		e = open_memstream(&msg, &msglen);
		assert_int_equal(xfrm_state_file_load(n->sad, n->spd, path, false, e), -EINVAL);
		fclose(e);
		snprintf(cmd, sizeof(cmd), "Error: %s:3: SPI 0x00000007 is reserved (1..255)\n", path);
		assert_string_equal(msg, cmd);
		free(msg);

		f = fopen(path, "w");
		fputs("ip xfrm state list\n", f);
		fclose(f);
		msg = NULL;
		e = open_memstream(&msg, &msglen);
		assert_int_equal(xfrm_state_file_load(n->sad, n->spd, path, false, e), -EINVAL);
		fclose(e);
		assert_non_null(strstr(msg, ":1: expected 'ip xfrm state|policy add|update|delete|flush ...'"));
		free(msg);

		f = fopen(path, "w");
		fputs("ip xfrm state add enc 'cbc(aes)\n", f);
		fclose(f);
		msg = NULL;
		e = open_memstream(&msg, &msglen);
		assert_int_equal(xfrm_state_file_load(n->sad, n->spd, path, false, e), -EINVAL);
		fclose(e);
		assert_non_null(strstr(msg, ":1: unterminated quote"));
		free(msg);

		/* missing file: an error, unless missing_ok */
		unlink(path);
		msg = NULL;
		e = open_memstream(&msg, &msglen);
		assert_int_equal(xfrm_state_file_load(n->sad, n->spd, path, false, e), -ENOENT);
		assert_int_equal(xfrm_state_file_load(n->sad, n->spd, path, true, e), 0);
		fclose(e);
		free(msg);
		teardown((void **)&n);
	}
	rmdir(dir);
	ok(c, "state flush", "");
	ok(c, "policy flush", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_roundtrip),
		cmocka_unit_test(test_policy_roundtrip),
		cmocka_unit_test(test_bad_commands),
		cmocka_unit_test(test_modifies),
		cmocka_unit_test(test_state_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
