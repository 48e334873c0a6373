/* swanctl.conf -> IKE core: what uipsecd cannot run is refused where it
 * is written, by the option table (numbered table: each at its own line
 * and column, "not supported: <why>"; the same files load with
 * CONF_MODEL_ONLY, for the model), every refusal of a file at once and
 * each once; ctl_conf_to_ike maps a loaded file (ctl/ctl_conf.c) and
 * ike_ctl_apply loads a site-to-site file, reloads and removes
 * connections, and leaves nothing half-loaded on a refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "ctl/ctl_conf.h"
#include "ctl/ike_ctl.h"
#include "ike/ike.h"
#include "ike/ike_proto.h"
#include "util/log.h"
#include "xfrm/backend_sad.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

static struct conf *load_flags(const char *text, unsigned flags)
{
	struct conf *c = NULL;
	char err[2048];

	if (conf_parse_buffer(text, strlen(text), "gw.conf", CONF_NO_INCLUDE | flags, &c, err,
	                      sizeof(err))) {
		print_error("conf: %s\n", err);
		fail();
	}
	return c;
}

static struct conf *load(const char *text)
{
	return load_flags(text, 0);
}

/* The error of a file uipsecd refuses (it must refuse it). */
static const char *refused(const char *text)
{
	static char err[4096];
	struct conf *c = NULL;

	err[0] = '\0';
	if (conf_parse_buffer(text, strlen(text), "gw.conf", CONF_NO_INCLUDE, &c, err,
	                      sizeof(err)) != -EINVAL || c) {
		conf_free(c);
		fail_msg("accepted:\n%s", text);
	}
	return err;
}

struct row {
	const char *body;      /* rest of connection "c" after its local section */
	const char *err;
};

#define HEAD "connections {\n c {\n  local { auth = psk }\n"
#define TAIL "\n }\n}\nsecrets { ike { secret = s } }\n"

static const struct row rows[] = {
	/* 0 */ { "  local_addrs = 192.0.2.0/24", "gw.conf:4:3: connections.c.local_addrs: not supported: subnets and ranges here (write one address)" },
	/* 1 */ { "  local_addrs = 192.0.2.1, 192.0.2.3", "gw.conf:4:3: connections.c.local_addrs: not supported: more than one address (uipsecd takes one per side)" },
	/* 2 */ { "  local_addrs = 192.0.2.1\n remote_addrs = 192.0.2.0/24", "gw.conf:5:2: connections.c.remote_addrs: not supported: subnets and ranges here (write one address)" },
	/* 3 */ { "  local_addrs = 192.0.2.1\n remote_addrs = 192.0.2.5-192.0.2.9", "gw.conf:5:2: connections.c.remote_addrs: not supported: subnets and ranges here (write one address)" },
	/* 4 */ { "  local_addrs = 192.0.2.1\n remote_addrs = a.example, b.example", "gw.conf:5:2: connections.c.remote_addrs: not supported: more than one address (uipsecd takes one per side)" },
	/* 5 */ { "  local_addrs = 192.0.2.1\n children { x { start_action = trap|start } }", "gw.conf:5:17: connections.c.children.x.start_action: not supported: trap|start, not yet in uipsec's IKE (use trap or start)" },
	/* 6 */ { "  local_addrs = 192.0.2.1\n children { x { close_action = start|trap } }", "gw.conf:5:17: connections.c.children.x.close_action: not supported: trap|start, not yet in uipsec's IKE (use trap or start)" },
	/* 7 */ { "  local_addrs = 192.0.2.1\n children { x { local_ts = dynamic[tcp] } }", "gw.conf:5:17: connections.c.children.x.local_ts: not supported: dynamic with [proto/port], not yet in uipsec" },
	/* 8 */ { "  local_addrs = 192.0.2.1\n children { x { remote_ts = dynamic, 10.0.0.0/8 } }", "gw.conf:5:17: connections.c.children.x.remote_ts: not supported: dynamic mixed with other traffic selectors" },
	/* 9 */ { "  local_addrs = 192.0.2.1\n children { x { remote_ts = 10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4,10.0.0.5,10.0.0.6,10.0.0.7,10.0.0.8,10.0.0.9 } }", "gw.conf:5:17: connections.c.children.x.remote_ts: not supported: more than 8 traffic selectors" },
	/* 10 */ { "  rekey_time = 4294967296", "gw.conf:4:3: connections.c.rekey_time: not supported: a time longer than 136 years" },
	/* 11 */ { "  children { x { rekey_time = 4000000000 } }", "gw.conf:4:14: connections.c.children.x.life_time: not supported: a time longer than 136 years" },
	/* 12 */ { "  reauth_time = 4294967296", "gw.conf:4:3: connections.c.reauth_time: not supported: a time longer than 136 years" },
	/* 13 */ { "  over_time = 4294967296", "gw.conf:4:3: connections.c.over_time: not supported: a time longer than 136 years" },
	/* 14 */ { "  children { x { rand_time = 4294967296 } }", "gw.conf:4:18: connections.c.children.x.rand_time: not supported: a time longer than 136 years" },
	/* 15 */ { "  local_addrs = 192.0.2.1\n children { x { dpd_action = trap|restart } }", "gw.conf:5:17: connections.c.children.x.dpd_action: not supported: trap|start (a dpd_action is clear, trap or restart)" },
};

/* Each row: refused by uipsecd at the option's place (only that error),
 * and held by the model with CONF_MODEL_ONLY. */
static void test_refusals_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char text[1024];
		const char *err;

		snprintf(text, sizeof(text), HEAD "%s" TAIL, rows[i].body);
		err = refused(text);
		if (strcmp(err, rows[i].err) != 0)
			fail_msg("row %zu: got '%s'\n  expected '%s'", i, err, rows[i].err);
		conf_free(load_flags(text, CONF_MODEL_ONLY));
	}
}

/* Every refused option of a file at once, in file order, each at its own
 * line and column, each once (an option of a template that two
 * connections inherit is one place); the typo beside the real options. */
static void test_all_at_once(void **state)
{
	static const char text[] =
		"base {\n"                                   /* 1 */
		"  mediation = yes\n"                        /* 2 */
		"}\n"                                        /* 3 */
		"connections {\n"                            /* 4 */
		"  a : base {\n"                             /* 5 */
		"    local { auth = psk }\n"                 /* 6 */
		"    aggressive = yes\n"                     /* 7 */
		"    rekey_tme = 1h\n"                       /* 8 */
		"    children { net {\n"                     /* 9 */
		"      mark_in = 1\n"                        /* 10 */
		"      ipcomp = yes\n"                       /* 11 */
		"    } }\n"                                  /* 12 */
		"  }\n"                                      /* 13 */
		"  b : base { local { auth = psk\n"          /* 14 */
		"    aaa_id = x } }\n"                       /* 15 */
		"}\n"                                        /* 16 */
		"secrets { ike { secret = s\n"               /* 17 */
		"  file = k } ntlm-1 { } }\n";               /* 18 */
	const char *want =
		"gw.conf:2:3: connections.a.mediation: not supported: the IKEv2 mediation extension (uipsec takes only no)\n"
		"gw.conf:7:5: connections.a.aggressive: not supported: an IKEv1 setting (uipsec speaks IKEv2 only) (uipsec takes only no)\n"
		"gw.conf:8:5: connections.a.rekey_tme: unknown option\n"
		"gw.conf:10:7: connections.a.children.net.mark_in: not supported: marks (uipsec takes only 0 or 0/0x00000000)\n"
		"gw.conf:11:7: connections.a.children.net.ipcomp: not supported: IPComp (uipsec takes only no)\n"
		"gw.conf:15:5: connections.b.local.aaa_id: not supported: EAP through a AAA server (eap-radius)\n"
		"gw.conf:18:3: secrets.ike.file: unknown option (an ike secret has id<suffix> and secret)\n"
		"gw.conf:18:14: secrets.ntlm-1: not supported: NT hash secrets (write the password in an eap section)";
	const char *got;

	(void)state;
	got = refused(text);
	if (strcmp(got, want) != 0)
		fail_msg("got:\n%s\nexpected:\n%s", got, want);

	/* more errors than the buffer holds: the first ones, then a count */
	{
		char big[8192], err[300];
		struct conf *c = NULL;
		size_t o = (size_t)snprintf(big, sizeof(big), "connections { c { local { auth = psk }\n");

		for (int i = 0; i < 50; i++)
			o += (size_t)snprintf(big + o, sizeof(big) - o, "  typo%d = 1\n", i);
		snprintf(big + o, sizeof(big) - o, "} }\n");
		assert_int_equal(conf_parse_buffer(big, strlen(big), "gw.conf", CONF_NO_INCLUDE, &c, err,
		                                   sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "gw.conf:2:3: connections.c.typo0: unknown option\n"));
		assert_non_null(strstr(err, " more errors"));
		assert_true(strlen(err) < sizeof(err));
	}
}

static const char site[] =
	"connections {\n"
	"  site {\n"
	"    local_addrs = 192.0.2.1\n"
	"    remote_addrs = 192.0.2.2\n"
	"    proposals = aes256gcm16-prfsha256-x25519\n"
	"    dpd_delay = 30s\n"
	"    local { auth = psk\n id = gwa.example.org }\n"
	"    remote { auth = psk\n id = gwb.example.org }\n"
	"    children {\n"
	"      net {\n"
	"        local_ts = 10.1.0.0/24\n"
	"        remote_ts = 10.2.0.0/24[tcp/80], 10.3.0.1-10.3.0.9\n"
	"        esp_proposals = aes128gcm16, aes256-sha256-modp2048-noesn\n"
	"        close_action = start\n"
	"        rekey_time = 20m\n"
	"        replay_window = 128\n"
	"      }\n"
	"      host { mode = transport }\n"
	"    }\n"
	"  }\n"
	"  resp { local_addrs = 192.0.2.1\n remote_addrs = %any\n local { auth = psk\n id = gwa.example.org } }\n"
	"}\n"
	"secrets {\n"
	"  ike-site { id-a = gwa.example.org\n id-b = gwb.example.org\n secret = 0x736563726574 }\n"
	"}\n";

static void sink(void *ctx, const struct ike_endpoint *l, const struct ike_endpoint *r,
                 const uint8_t *msg, size_t len)
{
	(void)ctx; (void)l; (void)r; (void)msg; (void)len;
}

static uint64_t now(void *ctx)
{
	(void)ctx;
	return 1000;
}

static void test_apply(void **state)
{
	struct ike_io io = { .send = sink, .now_ms = now };
	struct sad *sad = sad_new(NULL);
	struct spd *spd = spd_new(NULL);
	struct xfrm_backend *be = xfrm_backend_sad_new(sad, spd);
	struct ike_ctx *ike = ike_ctx_new(&io, be);
	char names[8][64], err[512], text[1024];
	struct conf *c;

	(void)state;
	log_set_level(LOG_ERR);
	c = load(site);
	assert_int_equal(ike_ctl_apply(ike, c, err, sizeof(err)), 2);
	assert_int_equal(ike_conn_names(ike, names, 8), 2);
	conf_free(c);

	/* fragmentation = force is charon's IKEv2 behaviour too (fragments
	 * without the peer's FRAGMENTATION_SUPPORTED): loaded, not refused */
	for (int i = 0; i < 4; i++) {
		static const char *const v[] = { "yes", "accept", "force", "no" };
		snprintf(text, sizeof(text), HEAD "  local_addrs = 192.0.2.1\n fragmentation = %s" TAIL,
		         v[i]);
		c = load(text);
		assert_int_equal(ike_ctl_apply(ike, c, err, sizeof(err)), 1);
		conf_free(c);
	}
	c = load(site);
	assert_int_equal(ike_ctl_apply(ike, c, err, sizeof(err)), 2);
	conf_free(c);

	/* what main's reliability and fragmentation work made IKE run is
	 * accepted by the table, not refused: any number of children,
	 * childless, keyingtries, reauth_time, dpd_action, volume limits */
	c = load(HEAD "  local_addrs = 192.0.2.1\n childless = force\n keyingtries = 0\n"
	         " reauth_time = 1h\n over_time = 5m\n rand_time = 1m\n unique = never\n"
	         " children { a{} b{} c{} d{} e{} f{} g{} h{} i{ dpd_action = restart\n"
	         " rekey_bytes = 1g\n life_packets = 10\n rand_bytes = 1k } }" TAIL);
	assert_int_equal(ike_ctl_apply(ike, c, err, sizeof(err)), 1);
	conf_free(c);
	c = load(site);
	assert_int_equal(ike_ctl_apply(ike, c, err, sizeof(err)), 2);
	conf_free(c);

	/* A reload without 'resp' removes it. */
	c = load("connections {\n"
	         " site { local_addrs = 192.0.2.1\n remote_addrs = 192.0.2.2\n local { auth = psk } }\n"
	         "}\nsecrets { ike { secret = s } }\n");
	assert_int_equal(ike_ctl_apply(ike, c, err, sizeof(err)), 1);
	assert_int_equal(ike_conn_names(ike, names, 8), 1);
	assert_string_equal(names[0], "site");
	conf_free(c);

	/* A model read with CONF_MODEL_ONLY may hold what the IKE core
	 * cannot carry: ike_ctl_apply loads nothing from it. */
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(text, sizeof(text), HEAD "%s" TAIL, rows[i].body);
		c = load_flags(text, CONF_MODEL_ONLY);
		err[0] = '\0';
		assert_true(ike_ctl_apply(ike, c, err, sizeof(err)) < 0);
		assert_non_null(strstr(err, "connections.c: read for the model only, not for uipsecd"));
		conf_free(c);
	}
	assert_int_equal(ike_conn_names(ike, names, 8), 0);

	/* What only IKE knows, at the option's place: its proposal parser;
	 * one line per failed connection, the good one still loaded. */
	c = load("connections {\n"
	         " a { local_addrs = 192.0.2.1\n local { auth = psk }\n  proposals = aes999-sha1-x25519 }\n"
	         " b { local_addrs = 192.0.2.1\n local { auth = psk }\n children { n {\n esp_proposals = nope } } }\n"
	         " c { local_addrs = 192.0.2.1\n local { auth = psk } }\n"
	         "}\nsecrets { ike { secret = s } }\n");
	assert_int_equal(ike_ctl_apply(ike, c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "gw.conf:4:3: connections.a.proposals: "));
	assert_non_null(strstr(err, "\ngw.conf:8:2: connections.b.children.n.esp_proposals: "));
	assert_null(strchr(strchr(err, '\n') + 1, '\n'));   /* two lines */
	assert_int_equal(ike_conn_names(ike, names, 8), 1);
	assert_string_equal(names[0], "c");
	conf_free(c);
	/* every error of one connection at once, each at its own place */
	c = load("connections {\n"
	         " a { local_addrs = 192.0.2.1\n local { auth = psk }\n  proposals = aes999-sha1-x25519\n"
	         " children { n {\n esp_proposals = nope }\n m {\n  esp_proposals = nope2 } } }\n"
	         "}\n");
	assert_int_equal(ike_ctl_apply(ike, c, err, sizeof(err)), -EINVAL);
	{
		const char *l1 = err, *l2 = strchr(l1, '\n'), *l3 = l2 ? strchr(l2 + 1, '\n') : NULL,
		           *l4 = l3 ? strchr(l3 + 1, '\n') : NULL;

		assert_non_null(l4);
		assert_null(strchr(l4 + 1, '\n'));   /* four lines */
		assert_true(strncmp(l1, "gw.conf:4:3: connections.a.proposals: ", 38) == 0);
		assert_true(strncmp(l2 + 1, "gw.conf:2:2: connections.a: no pre-shared key in secrets", 56) == 0);
		assert_true(strncmp(l3 + 1, "gw.conf:6:2: connections.a.children.n.esp_proposals: ", 53) == 0);
		assert_true(strncmp(l4 + 1, "gw.conf:8:3: connections.a.children.m.esp_proposals: ", 53) == 0);
	}
	assert_int_equal(ike_conn_names(ike, names, 8), 0);   /* a not loaded, c gone from the file */
	conf_free(c);
	c = load("connections { }\n");
	assert_int_equal(ike_ctl_apply(ike, c, err, sizeof(err)), 0);
	conf_free(c);


	/* A pre-shared key longer than the IKE core holds is named as such,
	 * not as a missing one; a missing one is. */
	{
		char psk[IKE_PSK_MAX + 2];

		memset(psk, 'k', IKE_PSK_MAX + 1);
		psk[IKE_PSK_MAX + 1] = '\0';
		snprintf(text, sizeof(text), HEAD "  local_addrs = 192.0.2.1\n }\n}\n"
		         "secrets { ike { secret = %s } }\n", psk);
		c = load(text);
		assert_true(ike_ctl_apply(ike, c, err, sizeof(err)) < 0);
		assert_non_null(strstr(err, "gw.conf:2:2: connections.c: its pre-shared key (secrets.ike) is longer than 256 bytes"));
		conf_free(c);
		c = load(HEAD "  local_addrs = 192.0.2.1\n }\n}\n");
		assert_true(ike_ctl_apply(ike, c, err, sizeof(err)) < 0);
		assert_non_null(strstr(err, "gw.conf:2:2: connections.c: no pre-shared key in secrets"));
		conf_free(c);
	}
	assert_int_equal(ike_conn_names(ike, names, 8), 0);

	ike_ctx_free(ike);
	xfrm_backend_sad_free(be);
	spd_free(spd);
	sad_free(sad);
}

/* The reliability options reach the IKE core as written (list-conns shows
 * them), with charon's defaults where they are left out. */
static void test_apply_reliability(void **state)
{
	struct ike_io io = { .send = sink, .now_ms = now };
	struct ike_ctx *ike = ike_ctx_new(&io, NULL);
	char err[512], *buf = NULL;
	size_t len = 0;
	struct conf *c;
	FILE *f;

	(void)state;
	log_set_level(LOG_ERR);
	c = load("connections {\n"
	         " a { local_addrs = 192.0.2.1\n remote_addrs = 192.0.2.2\n dpd_delay = 10s\n"
	         "  dpd_timeout = 60s\n keyingtries = 0\n reauth_time = 2h\n rekey_time = 1h\n"
	         "  unique = never\n local { auth = psk }\n"
	         "  children { x { dpd_action = restart\n close_action = trap\n rekey_time = 10m\n"
	         "   rand_time = 30s\n rekey_bytes = 1m\n rekey_packets = 1000 } } }\n"
	         " b { local_addrs = 192.0.2.1\n remote_addrs = 192.0.2.3\n local { auth = psk }\n"
	         "  children { y { dpd_action = trap } } }\n"
	         "}\nsecrets { ike { secret = s } }\n");
	assert_int_equal(ike_ctl_apply(ike, c, err, sizeof(err)), 2);
	conf_free(c);
	f = open_memstream(&buf, &len);
	ike_list_conns(ike, f);
	fclose(f);
	/* a: over_time 10% of the longer time, rand_time its smaller part */
	assert_non_null(strstr(buf, "dpd_delay 10s, keyingtries 0, rekey_time 3600s, reauth_time 7200s, "
	                            "over_time 720s, rand_time 720s, unique never"));
	assert_non_null(strstr(buf, "close_action trap, dpd_action restart, rekey_time 600s, "
	                            "life_time 660s, rand_time 30s"));
	assert_non_null(strstr(buf, "rekey_bytes 1048576, life_bytes 1153433, rand_bytes 104857, "
	                            "rekey_packets 1000, life_packets 1100, rand_packets 100"));
	/* b: charon's defaults */
	assert_non_null(strstr(buf, "dpd_delay 0s, keyingtries 1, rekey_time 14400s, reauth_time 0s, "
	                            "over_time 1440s, rand_time 1440s\n"));
	assert_non_null(strstr(buf, "close_action clear, dpd_action trap, rekey_time 3600s, "
	                            "life_time 3960s, rand_time 360s"));
	free(buf);
	ike_ctx_free(ike);
}

/* The "default" proposals must parse with the IKE core's parser. */
static void test_default_proposals(void **state)
{
	struct ike_proposals ps;
	char err[256];

	(void)state;
	assert_int_equal(ike_proposals_parse(IKE_CTL_DEFAULT_IKE, IKE_PROTO_IKE, &ps, err, sizeof(err)), 0);
	assert_int_equal(ps.n, 2);
	assert_int_equal(ike_proposals_parse(IKE_CTL_DEFAULT_ESP, IKE_PROTO_ESP, &ps, err, sizeof(err)), 0);
	assert_int_equal(ps.n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals_table),
		cmocka_unit_test(test_all_at_once),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_default_proposals),
		cmocka_unit_test(test_apply_reliability),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
