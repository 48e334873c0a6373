/* swanctl.conf -> IKE core: ctl_conf_check refuses, with file:line and
 * option, what the model can say but the IKE core cannot do yet (numbered
 * table), and ike_ctl_apply (ctl/ike_ctl.c) runs that check, loads a
 * site-to-site file, reloads and removes connections, and leaves nothing
 * half-loaded on a refusal. */
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

static struct conf *load(const char *text)
{
	struct conf *c = NULL;
	char err[512];

	if (conf_parse_buffer(text, strlen(text), "gw.conf", CONF_NO_INCLUDE, &c, err, sizeof(err))) {
		print_error("conf: %s\n", err);
		fail();
	}
	return c;
}

struct row {
	const char *body;      /* rest of connection "c" after its local section */
	const char *err;
};

#define HEAD "connections {\n c {\n  local { auth = psk }\n"
#define TAIL "\n }\n}\nsecrets { ike { secret = s } }\n"

static const struct row rows[] = {
	/* 0 */ { "  local_addrs = 192.0.2.0/24", "gw.conf:2: connections.c.local_addrs: subnets and ranges are not supported by uipsec here; write one address" },
	/* 1 */ { "  local_addrs = 192.0.2.1, 192.0.2.3", "gw.conf:2: connections.c.local_addrs: uipsec takes exactly one address here" },
	/* 2 */ { "  local_addrs = 192.0.2.1\n remote_addrs = 192.0.2.0/24", "gw.conf:2: connections.c.remote_addrs: subnets and ranges are not supported by uipsec here; write one address" },
	/* 3 */ { "  local_addrs = 192.0.2.1\n remote_addrs = 192.0.2.5-192.0.2.9", "gw.conf:2: connections.c.remote_addrs: subnets and ranges are not supported by uipsec here; write one address" },
	/* 4 */ { "  local_addrs = 192.0.2.1\n remote_addrs = a.example, b.example", "gw.conf:2: connections.c.remote_addrs: uipsec takes exactly one address here" },
	/* 5 */ { "  local_addrs = 192.0.2.1\n unique = replace", "gw.conf:2: connections.c.unique: keep and replace are not supported by uipsec's IKE yet (no, never)" },
	/* 6 */ { "  local_addrs = 192.0.2.1\n children { x { start_action = trap|start } }", "gw.conf:5: connections.c.children.x.start_action: trap|start is not supported by uipsec's IKE yet (use trap or start)" },
	/* 7 */ { "  local_addrs = 192.0.2.1\n children { x { close_action = start|trap } }", "gw.conf:5: connections.c.children.x.close_action: trap|start is not supported by uipsec's IKE yet (use trap or start)" },
	/* 8 */ { "  local_addrs = 192.0.2.1\n children { x { updown = /bin/true } }", "gw.conf:5: connections.c.children.x.updown: updown scripts are not supported by uipsec" },
	/* 9 */ { "  local_addrs = 192.0.2.1\n children { x { local_ts = dynamic[tcp] } }", "gw.conf:5: connections.c.children.x.local_ts: dynamic with [proto/port] is not supported by uipsec yet" },
	/* 10 */ { "  local_addrs = 192.0.2.1\n children { x { remote_ts = dynamic, 10.0.0.0/8 } }", "gw.conf:5: connections.c.children.x.remote_ts: dynamic mixed with other traffic selectors is not supported by uipsec" },
	/* 11 */ { "  local_addrs = 192.0.2.1\n children { x { remote_ts = 10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4,10.0.0.5,10.0.0.6,10.0.0.7,10.0.0.8,10.0.0.9 } }", "gw.conf:5: connections.c.children.x.remote_ts: more than 8 traffic selectors" },
	/* 12 */ { "  local_addrs = 192.0.2.1\n children { x { dpd_action = trap|restart } }", "gw.conf:5: connections.c.children.x.dpd_action: trap|start is not a dpd_action (clear, trap or restart)" },
};

static void test_check_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char text[1024], err[512] = "";
		struct conf *c;

		snprintf(text, sizeof(text), HEAD "%s" TAIL, rows[i].body);
		c = load(text);
		if (ctl_conf_check(&c->conns[0], err, sizeof(err)) != -EINVAL ||
		    strcmp(err, rows[i].err) != 0) {
			print_error("row %zu: got '%s'\n  expected '%s'\n", i, err, rows[i].err);
			fail();
		}
		conf_free(c);
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

	/* A reload without 'resp' removes it. */
	c = load("connections {\n"
	         " site { local_addrs = 192.0.2.1\n remote_addrs = 192.0.2.2\n local { auth = psk } }\n"
	         "}\nsecrets { ike { secret = s } }\n");
	assert_int_equal(ike_ctl_apply(ike, c, err, sizeof(err)), 1);
	assert_int_equal(ike_conn_names(ike, names, 8), 1);
	assert_string_equal(names[0], "site");
	conf_free(c);

	/* Every refusal of the table reaches the caller of ike_ctl_apply and
	 * loads nothing. */
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(text, sizeof(text), HEAD "%s" TAIL, rows[i].body);
		c = load(text);
		err[0] = '\0';
		assert_true(ike_ctl_apply(ike, c, err, sizeof(err)) < 0);
		assert_string_equal(err, rows[i].err);
		conf_free(c);
	}
	assert_int_equal(ike_conn_names(ike, names, 8), 0);

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
		assert_non_null(strstr(err, "connection 'c': its pre-shared key is longer than 256 bytes"));
		conf_free(c);
		c = load(HEAD "  local_addrs = 192.0.2.1\n }\n}\n");
		assert_true(ike_ctl_apply(ike, c, err, sizeof(err)) < 0);
		assert_non_null(strstr(err, "connection 'c': no pre-shared key in secrets"));
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
		cmocka_unit_test(test_check_table),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_default_proposals),
		cmocka_unit_test(test_apply_reliability),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
