/* swanctl.conf parser and model: a realistic site-to-site file, every
 * supported option, strongSwan's defaults, includes (relative, glob,
 * nested, missing), section references, the settings syntax (strings,
 * escapes, comments, merging), and numbered tables of syntax errors, type
 * errors and unsupported options, each with the exact file:line:col. */
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

#include "conf/conf.h"
#include "conf/conf_pools.h"
#include "conf/conf_value.h"
#include <arpa/inet.h>
#include <errno.h>

static struct conf *parse_ok(const char *text)
{
	struct conf *c = NULL;
	char err[512] = "";
	int rc = conf_parse_buffer(text, strlen(text), "t.conf", CONF_NO_INCLUDE | CONF_MODEL_ONLY,
	                           &c, err, sizeof(err));

	if (rc) {
		print_error("unexpected error: %s\n", err);
		fail();
	}
	assert_non_null(c);
	return c;
}

/* Returns the error message; asserts that parsing failed. */
static const char *parse_err(const char *text)
{
	static char err[512];
	struct conf *c = NULL;
	int rc;

	err[0] = '\0';
	rc = conf_parse_buffer(text, strlen(text), "t.conf", CONF_NO_INCLUDE | CONF_MODEL_ONLY,
	                       &c, err, sizeof(err));
	if (rc == 0) {
		print_error("parsed but should not have:\n%s\n", text);
		conf_free(c);
		fail();
	}
	assert_int_equal(rc, -EINVAL);
	assert_null(c);
	return err;
}

static void assert_prefix(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) != 0) {
		print_error("got      '%s'\nexpected '%s...'\n", s, prefix);
		fail();
	}
}

static void assert_contains(const char *s, const char *sub)
{
	if (!strstr(s, sub)) {
		print_error("'%s' does not contain '%s'\n", s, sub);
		fail();
	}
}

static void assert_addr(const struct ip_addr *a, const char *text)
{
	char buf[IP_ADDR_STRLEN];
	assert_string_equal(ip_addr_fmt(a, buf), text);
}

static void assert_ts(const struct conf_ts *ts, const char *text)
{
	char buf[128];
	assert_string_equal(conf_ts_fmt(ts, buf, sizeof(buf)), text);
}

static void assert_id(const struct conf_id *id, unsigned type, const char *text)
{
	char buf[300];
	assert_int_equal(id->type, type);
	assert_string_equal(conf_id_fmt(id, buf, sizeof(buf)), text);
}

/* ---- a realistic site-to-site file ---- */

static const char site_to_site[] =
	"# gwa: site A (10.1.0.0/24) to site B (10.2.0.0/24)\n"
	"connections {\n"
	"\n"
	"   gw-gw {\n"
	"      local_addrs  = 192.0.2.1\n"
	"      remote_addrs = 192.0.2.2\n"
	"\n"
	"      local {\n"
	"         auth = psk\n"
	"         id = gwa.example.org\n"
	"      }\n"
	"      remote {\n"
	"         auth = psk\n"
	"         id = gwb.example.org\n"
	"      }\n"
	"      children {\n"
	"         net-net {\n"
	"            local_ts  = 10.1.0.0/24\n"
	"            remote_ts = 10.2.0.0/24\n"
	"\n"
	"            updown = /usr/lib/ipsec/_updown iptables\n"
	"            rekey_time = 5400\n"
	"            rekey_bytes = 500000000\n"
	"            rekey_packets = 1000000\n"
	"            esp_proposals = aes128gcm16-x25519\n"
	"            start_action = trap\n"
	"         }\n"
	"      }\n"
	"      version = 2\n"
	"      mobike = no\n"
	"      reauth_time = 10800\n"
	"      proposals = aes256gcm16-prfsha256-x25519, aes128-sha256-modp2048\n"
	"   }\n"
	"}\n"
	"\n"
	"secrets {\n"
	"   ike-1 {\n"
	"      id-1 = gwa.example.org\n"
	"      id-2 = gwb.example.org\n"
	"      secret = 0sFpZAZqEN6Ti9sqt4ZP5EWcqx\n"
	"   }\n"
	"}\n";

static void test_site_to_site(void **state)
{
	struct conf *c = parse_ok(site_to_site);
	const struct conf_conn *cn;
	const struct conf_child *ch;
	static const uint8_t psk[] = {
		0x16, 0x96, 0x40, 0x66, 0xa1, 0x0d, 0xe9, 0x38, 0xbd, 0xb2, 0xab, 0x78,
		0x64, 0xfe, 0x44, 0x59, 0xca, 0xb1,
	};

	(void)state;
	assert_int_equal(c->nconns, 1);
	cn = conf_conn_find(c, "gw-gw");
	assert_ptr_equal(cn, &c->conns[0]);
	assert_null(conf_conn_find(c, "nope"));
	assert_string_equal(cn->file, "t.conf");
	assert_int_equal(cn->line, 4);
	assert_int_equal(cn->version, 2);
	assert_int_equal(cn->nlocal_addrs, 1);
	assert_int_equal(cn->local_addrs[0].kind, CONF_ADDR_IP);
	assert_addr(&cn->local_addrs[0].from, "192.0.2.1");
	assert_int_equal(cn->nremote_addrs, 1);
	assert_addr(&cn->remote_addrs[0].from, "192.0.2.2");
	assert_int_equal(cn->local_port, 500);
	assert_int_equal(cn->remote_port, 500);
	assert_int_equal(cn->nproposals, 2);
	assert_string_equal(cn->proposals[0], "aes256gcm16-prfsha256-x25519");
	assert_string_equal(cn->proposals[1], "aes128-sha256-modp2048");
	assert_false(cn->mobike);
	assert_false(cn->encap);
	assert_int_equal(cn->fragmentation, CONF_FRAG_YES);
	assert_int_equal(cn->childless, CONF_CHILDLESS_ALLOW);
	assert_int_equal(cn->unique, CONF_UNIQUE_NO);
	assert_int_equal(cn->keyingtries, 1);
	assert_int_equal(cn->dpd_delay, 0);
	/* reauth_time set and rekey_time not: rekeying is off (charon). */
	assert_int_equal(cn->reauth_time, 10800);
	assert_int_equal(cn->rekey_time, 0);
	assert_int_equal(cn->over_time, 1080);
	assert_int_equal(cn->rand_time, 1080);
	assert_int_equal(cn->local.method, CONF_AUTH_PSK);
	assert_true(cn->local.has_id);
	assert_id(&cn->local.id, CONF_ID_FQDN, "gwa.example.org");
	assert_true(cn->remote.has_id);
	assert_id(&cn->remote.id, CONF_ID_FQDN, "gwb.example.org");

	assert_int_equal(cn->nchildren, 1);
	ch = conf_child_find(cn, "net-net");
	assert_non_null(ch);
	assert_null(conf_child_find(cn, "x"));
	assert_int_equal(ch->line, 17);
	assert_int_equal(ch->nlocal_ts, 1);
	assert_ts(&ch->local_ts[0], "10.1.0.0/24");
	assert_ts(&ch->remote_ts[0], "10.2.0.0/24");
	assert_addr(&ch->remote_ts[0].to, "10.2.0.255");
	assert_string_equal(ch->updown, "/usr/lib/ipsec/_updown iptables");
	assert_int_equal(ch->rekey_time, 5400);
	assert_int_equal(ch->life_time, 5940);
	assert_int_equal(ch->rand_time, 540);
	assert_int_equal(ch->rekey_bytes, 500000000);
	assert_int_equal(ch->life_bytes, 550000000);
	assert_int_equal(ch->rand_bytes, 50000000);
	assert_int_equal(ch->rekey_packets, 1000000);
	assert_int_equal(ch->life_packets, 1100000);
	assert_int_equal(ch->nesp_proposals, 1);
	assert_string_equal(ch->esp_proposals[0], "aes128gcm16-x25519");
	assert_int_equal(ch->start_action, CONF_START_TRAP);
	assert_int_equal(ch->close_action, CONF_ACTION_NONE);
	assert_int_equal(ch->dpd_action, CONF_ACTION_NONE);
	assert_int_equal(ch->mode, CONF_MODE_TUNNEL);
	assert_int_equal(ch->replay_window, 32);

	assert_int_equal(c->nsecrets, 1);
	assert_string_equal(c->secrets[0].name, "ike-1");
	assert_int_equal(c->secrets[0].nids, 2);
	assert_id(&c->secrets[0].ids[1], CONF_ID_FQDN, "gwb.example.org");
	assert_int_equal(c->secrets[0].secret_len, sizeof(psk));
	assert_memory_equal(c->secrets[0].secret, psk, sizeof(psk));
	assert_ptr_equal(conf_secret_find_ike(c, &cn->local.id, &cn->remote.id), &c->secrets[0]);
	conf_free(c);
}

/* ---- defaults (swanctl.conf(5), charon's vici plugin) ---- */

static void test_defaults(void **state)
{
	struct conf *c = parse_ok(
		"connections { c { local { auth = psk } children { x { } } } }\n");
	const struct conf_conn *cn = &c->conns[0];
	const struct conf_child *ch = &cn->children[0];

	(void)state;
	assert_int_equal(cn->version, 0);
	assert_int_equal(cn->nlocal_addrs, 1);
	assert_int_equal(cn->local_addrs[0].kind, CONF_ADDR_ANY);
	assert_int_equal(cn->local_addrs[0].family, 0);
	assert_int_equal(cn->nremote_addrs, 1);
	assert_int_equal(cn->remote_addrs[0].kind, CONF_ADDR_ANY);
	assert_int_equal(cn->local_port, 500);
	assert_int_equal(cn->remote_port, 500);
	assert_int_equal(cn->nproposals, 1);
	assert_string_equal(cn->proposals[0], "default");
	assert_false(cn->encap);
	assert_true(cn->mobike);
	assert_int_equal(cn->fragmentation, CONF_FRAG_YES);
	assert_int_equal(cn->unique, CONF_UNIQUE_NO);
	assert_int_equal(cn->keyingtries, 1);
	assert_int_equal(cn->dpd_delay, 0);
	assert_int_equal(cn->dpd_timeout, 0);
	assert_int_equal(cn->rekey_time, 4 * 3600);
	assert_int_equal(cn->reauth_time, 0);
	assert_int_equal(cn->over_time, 1440);
	assert_int_equal(cn->rand_time, 1440);
	assert_false(cn->local.has_id);
	assert_int_equal(cn->remote.method, CONF_AUTH_PSK);   /* no remote section */
	assert_false(cn->remote.has_id);

	assert_int_equal(ch->nlocal_ts, 1);
	assert_true(ch->local_ts[0].dynamic);
	assert_ts(&ch->local_ts[0], "dynamic");
	assert_true(ch->remote_ts[0].dynamic);
	assert_int_equal(ch->nesp_proposals, 1);
	assert_string_equal(ch->esp_proposals[0], "default");
	assert_int_equal(ch->mode, CONF_MODE_TUNNEL);
	assert_int_equal(ch->start_action, 0);
	assert_int_equal(ch->close_action, CONF_ACTION_NONE);
	assert_int_equal(ch->dpd_action, CONF_ACTION_NONE);
	assert_int_equal(ch->rekey_time, 3600);
	assert_int_equal(ch->life_time, 3960);
	assert_int_equal(ch->rand_time, 360);
	assert_int_equal(ch->rekey_bytes, 0);
	assert_int_equal(ch->life_bytes, 0);
	assert_int_equal(ch->rand_bytes, 0);
	assert_int_equal(ch->rekey_packets, 0);
	assert_int_equal(ch->replay_window, 32);
	assert_null(ch->updown);
	assert_int_equal(c->nsecrets, 0);
	conf_free(c);

	/* Lifetime completion; every expected value below is what charon
	 * 5.9.8 logs (cfg level 2) for the same file. "key =" restores the
	 * default. */
	c = parse_ok(
		"connections {\n"
		" r { reauth_time = 10800\n local { auth = psk } }\n"
		" b { reauth_time = 3h\n rekey_time = 1h\n local { auth = psk } }\n"
		" a { rekey_time = 0\n local { auth = psk }\n"
		"  children { c1 { rekey_time = 0 } c2 { rekey_time = 3600\n life_time = 1800 }\n"
		"   c3 { rekey_time = 100 } c4 { rekey_bytes = 1000 } c5 { rekey_time = 19 }\n"
		"   c6 { life_time = 7200\n rand_time =\n } c7 { life_bytes = 1000\n life_packets = 100 } } }\n"
		" o { over_time = 3h\n local { auth = psk } }\n"
		" s { rekey_time = 7\n local { auth = psk } }\n"
		" d { rekey_time = 2h\n reauth_time = 1h\n local { auth = psk } }\n"
		"}\n");
	{
		static const struct { const char *conn; uint64_t rekey, reauth, over, rand; } ike[] = {
			{ "r", 0, 10800, 1080, 1080 },   { "b", 3600, 10800, 1080, 1080 },
			{ "a", 0, 0, 0, 0 },             { "o", 14400, 0, 10800, 7200 },
			{ "s", 7, 0, 0, 0 },             { "d", 7200, 3600, 720, 720 },
		};
		static const struct { const char *child; uint64_t t[9]; } kids[] = {
			/* rekey/life/rand time, bytes, packets */
			{ "c1", { 0, 0, 0, 0, 0, 0, 0, 0, 0 } },
			{ "c2", { 3600, 1800, 0, 0, 0, 0, 0, 0, 0 } },
			{ "c3", { 100, 110, 10, 0, 0, 0, 0, 0, 0 } },
			{ "c4", { 3600, 3960, 360, 1000, 1100, 100, 0, 0, 0 } },
			{ "c5", { 19, 20, 1, 0, 0, 0, 0, 0, 0 } },
			{ "c6", { 3600, 7200, 3600, 0, 0, 0, 0, 0, 0 } },
			{ "c7", { 3600, 3960, 360, 0, 1000, 1000, 0, 100, 100 } },
		};
		for (size_t i = 0; i < sizeof(ike) / sizeof(ike[0]); i++) {
			cn = conf_conn_find(c, ike[i].conn);
			assert_non_null(cn);
			assert_int_equal(cn->rekey_time, ike[i].rekey);
			assert_int_equal(cn->reauth_time, ike[i].reauth);
			assert_int_equal(cn->over_time, ike[i].over);
			assert_int_equal(cn->rand_time, ike[i].rand);
		}
		cn = conf_conn_find(c, "a");
		for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++) {
			const uint64_t *t = kids[i].t;

			ch = conf_child_find(cn, kids[i].child);
			assert_non_null(ch);
			assert_int_equal(ch->rekey_time, t[0]);
			assert_int_equal(ch->life_time, t[1]);
			assert_int_equal(ch->rand_time, t[2]);
			assert_int_equal(ch->rekey_bytes, t[3]);
			assert_int_equal(ch->life_bytes, t[4]);
			assert_int_equal(ch->rand_bytes, t[5]);
			assert_int_equal(ch->rekey_packets, t[6]);
			assert_int_equal(ch->life_packets, t[7]);
			assert_int_equal(ch->rand_packets, t[8]);
		}
	}
	conf_free(c);

	/* No connections at all is a valid (empty) file. */
	c = parse_ok("# nothing\n");
	assert_int_equal(c->nconns, 0);
	conf_free(c);
}

/* ---- every supported option with a non-default value ---- */

static void test_every_option(void **state)
{
	struct conf *c = parse_ok(
		"connections {\n"
		"  all {\n"
		"    version = 0\n"
		"    local_addrs = 192.0.2.1, 2001:db8::/64, 10.0.0.1-10.0.0.9, %any6, gw.example.org\n"
		"    remote_addrs = %any4\n"
		"    local_port = 4500\n"
		"    remote_port = 4501\n"
		"    proposals = aes128-sha256-ecp256,chacha20poly1305-prfsha512-modp3072\n"
		"    encap = yes\n"
		"    mobike = false\n"
		"    fragmentation = accept\n"
		"    unique = replace\n"
		"    childless = force\n"
		"    keyingtries = 0\n"
		"    dpd_delay = 30s\n"
		"    dpd_timeout = 2m\n"
		"    rekey_time = 2h\n"
		"    reauth_time = 1d\n"
		"    over_time = 0x10\n"
		"    rand_time = 5 m\n"
		"    local-1 { auth = PSK\n id = user@example.org\n round = 1 }\n"
		"    remote-x { auth = psk\n id = 198.51.100.7 }\n"
		"    children {\n"
		"      a {\n"
		"        local_ts = 10.1.0.0/24[tcp/http], 10.1.1.5-10.1.1.9[udp/1000-2000]\n"
		"        remote_ts = fd02::/64[ipv6-icmp], 10.9.0.0/16[47], 0.0.0.0/0[any/opaque]\n"
		"        esp_proposals = aes256gcm16-ecp384-esn, aes128-sha256-noesn\n"
		"        mode = transport\n"
		"        start_action = start|trap\n"
		"        close_action = restart\n"
		"        dpd_action = trap | start\n"
		"        rekey_time = 20m\n"
		"        life_time = 30m\n"
		"        rand_time = 1m\n"
		"        rekey_bytes = 1g\n"
		"        life_bytes = 2G\n"
		"        rand_bytes = 10k\n"
		"        rekey_packets = 1000\n"
		"        life_packets = 0x2000\n"
		"        rand_packets = 7\n"
		"        replay_window = 8192\n"
		"        updown = \"/bin/true\"\n"
		"      }\n"
		"      b { start_action = start\n close_action = trap\n dpd_action = restart\n mode = tunnel }\n"
		"      c { start_action = route\n close_action = clear\n dpd_action = none }\n"
		"    }\n"
		"  }\n"
		"}\n");
	const struct conf_conn *cn = &c->conns[0];
	const struct conf_child *a = &cn->children[0], *b = &cn->children[1];

	(void)state;
	assert_int_equal(cn->version, 0);
	assert_int_equal(cn->nlocal_addrs, 5);
	assert_int_equal(cn->local_addrs[0].kind, CONF_ADDR_IP);
	assert_int_equal(cn->local_addrs[1].kind, CONF_ADDR_PREFIX);
	assert_int_equal(cn->local_addrs[1].prefixlen, 64);
	assert_addr(&cn->local_addrs[1].to, "2001:db8::ffff:ffff:ffff:ffff");
	assert_int_equal(cn->local_addrs[2].kind, CONF_ADDR_RANGE);
	assert_addr(&cn->local_addrs[2].to, "10.0.0.9");
	assert_int_equal(cn->local_addrs[3].kind, CONF_ADDR_ANY);
	assert_int_equal(cn->local_addrs[3].family, AF_INET6);
	assert_int_equal(cn->local_addrs[4].kind, CONF_ADDR_DNS);
	assert_string_equal(cn->local_addrs[4].dns, "gw.example.org");
	assert_int_equal(cn->remote_addrs[0].family, AF_INET);
	assert_int_equal(cn->local_port, 4500);
	assert_int_equal(cn->remote_port, 4501);
	assert_int_equal(cn->nproposals, 2);
	assert_string_equal(cn->proposals[1], "chacha20poly1305-prfsha512-modp3072");
	assert_true(cn->encap);
	assert_false(cn->mobike);
	assert_int_equal(cn->fragmentation, CONF_FRAG_ACCEPT);
	assert_int_equal(cn->unique, CONF_UNIQUE_REPLACE);
	assert_int_equal(cn->childless, CONF_CHILDLESS_FORCE);
	assert_int_equal(cn->keyingtries, 0);
	assert_int_equal(cn->dpd_delay, 30);
	assert_int_equal(cn->dpd_timeout, 120);
	assert_int_equal(cn->rekey_time, 7200);
	assert_int_equal(cn->reauth_time, 86400);
	assert_int_equal(cn->over_time, 16);
	assert_int_equal(cn->rand_time, 300);
	assert_id(&cn->local.id, CONF_ID_RFC822_ADDR, "user@example.org");
	assert_id(&cn->remote.id, CONF_ID_IPV4_ADDR, "198.51.100.7");

	assert_int_equal(cn->nchildren, 3);
	assert_string_equal(a->name, "a");
	assert_int_equal(a->nlocal_ts, 2);
	assert_ts(&a->local_ts[0], "10.1.0.0/24[6/80]");
	assert_ts(&a->local_ts[1], "10.1.1.5-10.1.1.9[17/1000-2000]");
	assert_int_equal(a->nremote_ts, 3);
	assert_ts(&a->remote_ts[0], "fd02::/64[58]");
	assert_ts(&a->remote_ts[1], "10.9.0.0/16[47]");
	assert_ts(&a->remote_ts[2], "0.0.0.0/0[0/opaque]");
	assert_int_equal(a->nesp_proposals, 2);
	assert_string_equal(a->esp_proposals[0], "aes256gcm16-ecp384-esn");
	assert_int_equal(a->mode, CONF_MODE_TRANSPORT);
	assert_int_equal(a->start_action, CONF_START_TRAP | CONF_START_START);
	assert_int_equal(a->close_action, CONF_ACTION_START);
	assert_int_equal(a->dpd_action, CONF_ACTION_TRAP | CONF_ACTION_START);
	assert_int_equal(a->rekey_time, 1200);
	assert_int_equal(a->life_time, 1800);
	assert_int_equal(a->rand_time, 60);
	assert_int_equal(a->rekey_bytes, 1ull << 30);
	assert_int_equal(a->life_bytes, 2ull << 30);
	assert_int_equal(a->rand_bytes, 10240);
	assert_int_equal(a->rekey_packets, 1000);
	assert_int_equal(a->life_packets, 0x2000);
	assert_int_equal(a->rand_packets, 7);
	assert_int_equal(a->replay_window, 8192);
	assert_string_equal(a->updown, "/bin/true");
	assert_int_equal(b->start_action, CONF_START_START);
	assert_int_equal(b->close_action, CONF_ACTION_TRAP);
	assert_int_equal(b->dpd_action, CONF_ACTION_START);
	assert_int_equal(b->mode, CONF_MODE_TUNNEL);
	assert_int_equal(cn->children[2].start_action, CONF_ACTION_TRAP);
	assert_int_equal(cn->children[2].close_action, CONF_ACTION_NONE);
	assert_int_equal(cn->children[2].dpd_action, CONF_ACTION_NONE);
	conf_free(c);
}

/* ---- settings syntax ---- */

static void test_syntax(void **state)
{
	struct conf *c;
	const struct conf_conn *cn;

	(void)state;
	/* Comments everywhere, a brace on the next line, several words joined
	 * by one space, a quoted string with escapes over two lines, a value
	 * ended by '}' and '#', later definitions merging and overriding. */
	c = parse_ok(
		"connections   # the connections\n"
		"{\n"
		"  c {\n"
		"    proposals = aes128-sha256-x25519 ,   aes256-sha384-ecp384   # two\n"
		"    local { auth = psk }\n"
		"    children { x { updown = \"/a b\\tc\\\"q\\\\ \\\n"
		"d\"} }\n"
		"    dpd_delay = 1m#comment\n"
		"  }\n"
		"}\n"
		"connections {\n"
		"  c { dpd_delay = 2m\n  children { x { local_ts = 10.0.0.0/8 } y { } } }\n"
		"  d { local { auth = psk\n id = \"quoted id\" } }\n"
		"}\n");
	assert_int_equal(c->nconns, 2);
	cn = &c->conns[0];
	assert_string_equal(cn->name, "c");
	assert_int_equal(cn->nproposals, 2);
	assert_string_equal(cn->proposals[0], "aes128-sha256-x25519");
	assert_string_equal(cn->proposals[1], "aes256-sha384-ecp384");
	assert_int_equal(cn->dpd_delay, 120);
	assert_int_equal(cn->nchildren, 2);
	assert_string_equal(cn->children[0].updown, "/a b\tc\"q\\ d");
	assert_ts(&cn->children[0].local_ts[0], "10.0.0.0/8");
	assert_string_equal(cn->children[1].name, "y");
	assert_id(&c->conns[1].local.id, CONF_ID_FQDN, "quoted id");
	conf_free(c);

	/* An unquoted '#' starts a comment, also inside a value: hex
	 * identities like @#0a0b must be quoted. */
	c = parse_ok("secrets { ike { secret = abc#def\n id = \"@#0a0b\" } }\n");
	assert_int_equal(c->secrets[0].secret_len, 3);
	assert_memory_equal(c->secrets[0].secret, "abc", 3);
	assert_id(&c->secrets[0].ids[0], CONF_ID_KEY_ID, "#0a0b");
	conf_free(c);

	/* CRLF line ends; "include" used as an ordinary key name is still a
	 * key (and an unknown option here). */
	c = parse_ok("connections {\r\n c {\r\n  local {\r\n   auth = psk\r\n  }\r\n }\r\n}\r\n");
	assert_int_equal(c->nconns, 1);
	conf_free(c);
	assert_string_equal(parse_err("connections {\n c {\n  include = x\n } }\n"),
	                    "t.conf:2:2: connections.c: no local section: uipsec needs local { auth = psk }\n"
	                    "t.conf:3:3: connections.c.include: unknown option");
}

/* ---- section references (strongswan.conf(5)) ---- */

static void test_references(void **state)
{
	struct conf *c;
	const struct conf_conn *cn;

	(void)state;
	c = parse_ok(
		"conn-defaults {\n"
		"  local_addrs = 192.0.2.1\n"
		"  proposals = aes128gcm16-prfsha256-x25519\n"
		"  local { auth = psk\n id = gwa }\n"
		"  children { net { esp_proposals = aes128gcm16\n local_ts = 10.1.0.0/24 } }\n"
		"}\n"
		"child-defaults { rekey_time = 10m }\n"
		"connections {\n"
		"  a : conn-defaults {\n"
		"    remote_addrs = 192.0.2.2\n"
		"    proposals = aes256gcm16-prfsha384-ecp384\n"
		"    children { net : child-defaults { remote_ts = 10.2.0.0/24 } }\n"
		"  }\n"
		"  b : connections.a, conn-defaults {\n"
		"    remote_addrs = 192.0.2.3\n"
		"  }\n"
		"}\n");
	assert_int_equal(c->nconns, 2);
	cn = conf_conn_find(c, "a");
	assert_addr(&cn->local_addrs[0].from, "192.0.2.1");
	assert_addr(&cn->remote_addrs[0].from, "192.0.2.2");
	assert_string_equal(cn->proposals[0], "aes256gcm16-prfsha384-ecp384");   /* own wins */
	assert_id(&cn->local.id, CONF_ID_FQDN, "gwa");
	assert_int_equal(cn->nchildren, 1);
	assert_ts(&cn->children[0].local_ts[0], "10.1.0.0/24");
	assert_ts(&cn->children[0].remote_ts[0], "10.2.0.0/24");
	assert_string_equal(cn->children[0].esp_proposals[0], "aes128gcm16");
	assert_int_equal(cn->children[0].rekey_time, 600);
	cn = conf_conn_find(c, "b");
	assert_addr(&cn->remote_addrs[0].from, "192.0.2.3");
	assert_string_equal(cn->proposals[0], "aes256gcm16-prfsha384-ecp384");   /* via a */
	assert_int_equal(cn->children[0].rekey_time, 600);
	conf_free(c);

	assert_string_equal(parse_err("connections { a : nowhere { } }\n"),
	                    "t.conf:1:19: section 'a' references 'nowhere', which does not exist");
	assert_prefix(parse_err("x : y { }\ny : x { }\nconnections { c : x { } }\n"),
	              "t.conf:");
	assert_contains(parse_err("x : y { }\ny : x { }\nconnections { c : x { } }\n"),
	                "reference loop");
	assert_string_equal(parse_err("x : x { }\n"), "t.conf:1:5: section 'x' references itself");
	/* An unreferenced top-level section is not a template but a mistake. */
	assert_string_equal(parse_err("tmpl { a = b }\nconnections { }\n"),
	                    "t.conf:1:1: tmpl: unknown section (expected connections or secrets, "
	                    "or a template that a section references)");
}

/* ---- numbered error tables ---- */

struct err_row {
	const char *text;
	const char *err;         /* the exact message */
};

static void run_err_table(const struct err_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *got = parse_err(rows[i].text);

		if (strcmp(got, rows[i].err) != 0) {
			print_error("row %zu:\n  input    %s\n  got      %s\n  expected %s\n", i,
			            rows[i].text, got, rows[i].err);
			fail();
		}
	}
}

static void test_syntax_errors(void **state)
{
	static const struct err_row rows[] = {
		/* 0 */ { "connections {\n", "t.conf:1:1: section 'connections' is not closed before the end of the file" },
		/* 1 */ { "}\n", "t.conf:1:1: '}' without a section to close" },
		/* 2 */ { "a\n", "t.conf:2:1: expected '=' or '{' after 'a', found end of file" },
		/* 3 */ { "a b = c\n", "t.conf:1:3: expected '=' or '{' after 'a', found a name" },
		/* 4 */ { "a.b = c\n", "t.conf:1:2: expected '=' or '{' after 'a', found '.' (not allowed in names)" },
		/* 5 */ { "= c\n", "t.conf:1:1: unexpected '='" },
		/* 6 */ { "\"a\" = c\n", "t.conf:1:1: unexpected a string (only values may be quoted)" },
		/* 7 */ { "a = \"open\n\n", "t.conf:1:5: unterminated string" },
		/* 8 */ { "a = \"x\\", "t.conf:1:5: unterminated string" },
		/* 9 */ { "a { b : { } }\n", "t.conf:1:9: expected the name of a section to reference" },
		/* 10 */ { "a : b c { }\n", "t.conf:1:7: expected '{' after the references of section 'a', found a name" },
		/* 11 */ { "include foo.conf\n", "t.conf:1:1: include is not allowed here" },
		/* 12 */ { "a {\n b = 1\n c = 2\n}}\n", "t.conf:4:2: '}' without a section to close" },
		/* 13 */ { "a = x\0y", "t.conf:1:1: NUL byte in configuration file" },
		/* 14 */ { ", = 1\n", "t.conf:1:1: unexpected ','" },
		/* 15 */ { "connections {\n  c {\n    local { auth = psk\n  }\n}\n",
		           "t.conf:1:1: section 'connections' is not closed before the end of the file" },
	};
	(void)state;
	/* Row 13 has a NUL inside: strlen() stops before it, so check it
	 * separately with an explicit length. */
	run_err_table(rows, 13);
	run_err_table(rows + 14, 2);
	{
		static const char text[] = "a = x\ny\0z";
		char err[256];
		struct conf *c = NULL;

		assert_int_equal(conf_parse_buffer(text, sizeof(text) - 1, "t.conf", 0, &c, err, sizeof(err)),
		                 -EINVAL);
		assert_string_equal(err, "t.conf:2:2: NUL byte in configuration file");
	}
}

static void test_type_errors(void **state)
{
#define CONN(body) "connections {\n gw {\n  local { auth = psk }\n  " body "\n }\n}\n"
#define CHILD(body) "connections {\n gw {\n  local { auth = psk }\n  children { net {\n   " body "\n  } }\n }\n}\n"
	static const struct err_row rows[] = {
		/* 0 */ { CONN("rekey_time = 4x"), "t.conf:4:3: connections.gw.rekey_time: invalid time '4x' (seconds, or a number with s, m, h or d)" },
		/* 1 */ { CONN("rekey_time = -1"), "t.conf:4:3: connections.gw.rekey_time: invalid time '-1' (seconds, or a number with s, m, h or d)" },
		/* 2 */ { CONN("dpd_delay = 99999999999999999999999"), "t.conf:4:3: connections.gw.dpd_delay: invalid time '99999999999999999999999' (seconds, or a number with s, m, h or d)" },
		/* 3 */ { CONN("mobike = maybe"), "t.conf:4:3: connections.gw.mobike: invalid value 'maybe' (expected yes or no)" },
		/* 4 */ { CONN("local_port = 0"), "t.conf:4:3: connections.gw.local_port: invalid number '0' (expected 1 to 65535)" },
		/* 5 */ { CONN("remote_port = 65536"), "t.conf:4:3: connections.gw.remote_port: invalid number '65536' (expected 1 to 65535)" },
		/* 6 */ { CONN("version = 1"), "t.conf:4:3: connections.gw.version: not supported: IKEv1 (uipsec speaks IKEv2 only: use 2, or 0 for the default)" },
		/* 7 */ { CONN("version = 3"), "t.conf:4:3: connections.gw.version: invalid number '3' (expected 0 to 2)" },
		/* 8 */ { CONN("local_addrs = 10.1.0.300"), "t.conf:4:3: connections.gw.local_addrs: invalid address '10.1.0.300' (an IP address, subnet, range a-b, host name, %any, %any4 or %any6)" },
		/* 9 */ { CONN("remote_addrs = 10.0.0.0/33"), "t.conf:4:3: connections.gw.remote_addrs: invalid address '10.0.0.0/33' (an IP address, subnet, range a-b, host name, %any, %any4 or %any6)" },
		/* 10 */ { CONN("remote_addrs = 10.0.0.9-10.0.0.1"), "t.conf:4:3: connections.gw.remote_addrs: invalid address '10.0.0.9-10.0.0.1' (an IP address, subnet, range a-b, host name, %any, %any4 or %any6)" },
		/* 11 */ { CONN("proposals = aes128-sha256-x25519,,aes256"), "t.conf:4:3: connections.gw.proposals: empty item in the comma-separated list 'aes128-sha256-x25519,,aes256'" },
		/* 12 */ { CONN("fragmentation = sometimes"), "t.conf:4:3: connections.gw.fragmentation: invalid value 'sometimes' (expected yes, accept, force or no)" },
		/* 13 */ { CONN("unique = always"), "t.conf:4:3: connections.gw.unique: invalid value 'always' (expected no, never, keep or replace)" },
		/* 14 */ { CONN("keyingtries = 4294967296"), "t.conf:4:3: connections.gw.keyingtries: invalid number '4294967296' (expected 0 to 4294967295)" },
		/* 15 */ { CHILD("local_ts = 10.1.0.0/24[tcp"), "t.conf:5:4: connections.gw.children.net.local_ts: invalid traffic selector '10.1.0.0/24[tcp': unbalanced [proto/port]" },
		/* 16 */ { CHILD("remote_ts = 10.1.0.0/24[nosuchproto]"), "t.conf:5:4: connections.gw.children.net.remote_ts: invalid traffic selector '10.1.0.0/24[nosuchproto]': unknown protocol in [proto/port]" },
		/* 17 */ { CHILD("remote_ts = 10.1.0.0/24[tcp/70000]"), "t.conf:5:4: connections.gw.children.net.remote_ts: invalid traffic selector '10.1.0.0/24[tcp/70000]': bad port in [proto/port] (a number, a service name, a range a-b, any or opaque)" },
		/* 18 */ { CHILD("local_ts = gw.example.org"), "t.conf:5:4: connections.gw.children.net.local_ts: invalid traffic selector 'gw.example.org': expected a subnet (10.1.0.0/24), an address, a range (a-b) or dynamic" },
		/* 19 */ { CHILD("mode = beet"), "t.conf:5:4: connections.gw.children.net.mode: not supported: BEET mode (uipsec has tunnel and transport)" },
		/* 20 */ { CHILD("mode = tunel"), "t.conf:5:4: connections.gw.children.net.mode: invalid value 'tunel' (expected tunnel or transport)" },
		/* 21 */ { CHILD("start_action = always"), "t.conf:5:4: connections.gw.children.net.start_action: invalid value 'always' (expected none, trap, start or trap|start)" },
		/* 22 */ { CHILD("close_action = hold"), "t.conf:5:4: connections.gw.children.net.close_action: invalid value 'hold' (expected none, trap, start or trap|start)" },
		/* 23 */ { CHILD("replay_window = 8193"), "t.conf:5:4: connections.gw.children.net.replay_window: invalid number '8193' (expected 0 to 8192)" },
		/* 24 */ { CHILD("rekey_bytes = 10t"), "t.conf:5:4: connections.gw.children.net.rekey_bytes: invalid volume '10t' (a number, optionally with k, m or g)" },
		/* 25 */ { CHILD("life_time = 1w"), "t.conf:5:4: connections.gw.children.net.life_time: invalid time '1w' (seconds, or a number with s, m, h or d)" },
		/* 26 */ { "connections { gw { local { auth = psk\n id = \"asn1dn:#3000\" } } }\n", "t.conf:2:2: connections.gw.local.id: invalid identity 'asn1dn:#3000': asn1dn: and asn1gn: identities (DER in hex) are not supported by uipsec; write a distinguished name as text" },
		/* 27 */ { "connections { gw { local { auth = psk\n id = \"keyid:#0g\" } } }\n", "t.conf:2:2: connections.gw.local.id: invalid identity 'keyid:#0g': bad hex digits after '#'" },
		/* 28 */ { "connections { gw { local { auth = psk\n round = x } } }\n", "t.conf:2:2: connections.gw.local.round: invalid number 'x' (expected 0 to 4294967295)" },
		/* 29 */ { "secrets { ike-a { secret = 0xabc } }\n", "t.conf:1:19: secrets.ike-a.secret: invalid secret (text, 0x followed by hex, or 0s followed by base64; not empty)" },
		/* 30 */ { "secrets { ike-a { secret = 0s@@ } }\n", "t.conf:1:19: secrets.ike-a.secret: invalid secret (text, 0x followed by hex, or 0s followed by base64; not empty)" },
		/* 31 */ { "secrets { ike-a { id = x } }\n", "t.conf:1:11: secrets.ike-a: no secret" },
		/* 32 */ { "secrets { ike-a { secret = s\n id = \"ipv4:#01020\" } }\n", "t.conf:2:2: secrets.ike-a.id: invalid identity 'ipv4:#01020': bad hex digits after '#'" },
		/* 33 */ { CHILD("dpd_action = trap|"), "t.conf:5:4: connections.gw.children.net.dpd_action: invalid value 'trap|' (expected none, trap, start or trap|start)" },
		/* 34 */ { CONN("childless = prefer"), "t.conf:4:3: connections.gw.childless: invalid value 'prefer' (expected allow, force or never)" },
	};
	(void)state;
	run_err_table(rows, sizeof(rows) / sizeof(rows[0]));
}

/* The remote-access options: a pools section (prefix, range, IPv6,
 * attributes), vips and pools on connections. */
static void test_pools(void **state)
{
	struct conf *c = parse_ok(
		"pools {\n"
		" rw4 { addrs = 10.3.0.0/24\n dns = 10.1.0.53, 10.1.0.54\n nbns = 10.1.0.9\n"
		"  subnet = 10.1.0.0/16, 10.2.0.0/24 }\n"
		" rw6 { addrs = fd00:3::1-fd00:3::ff\n dns = fd00:1::53 }\n"
		"}\n"
		"connections {\n"
		" srv { pools = rw4, rw6\n local { auth = psk }\n remote { auth = psk } }\n"
		" cli { vips = 0.0.0.0, ::\n local { auth = psk }\n remote { auth = psk } }\n"
		"}\n"
		"secrets { ike { secret = x } }\n");
	char a[IP_ADDR_STRLEN];

	(void)state;
	assert_int_equal(c->npools, 2);
	assert_string_equal(c->pools[0].name, "rw4");
	assert_int_equal(c->pools[0].addrs.kind, CONF_ADDR_PREFIX);
	assert_int_equal(c->pools[0].addrs.prefixlen, 24);
	assert_int_equal(c->pools[0].ndns, 2);
	assert_string_equal(ip_addr_fmt(&c->pools[0].dns[1], a), "10.1.0.54");
	assert_int_equal(c->pools[0].nnbns, 1);
	assert_int_equal(c->pools[0].nsubnets, 2);
	assert_int_equal(c->pools[0].subnets[0].prefixlen, 16);
	assert_int_equal(c->pools[1].addrs.kind, CONF_ADDR_RANGE);
	assert_string_equal(ip_addr_fmt(&c->pools[1].addrs.to, a), "fd00:3::ff");
	const struct conf_conn *srv = conf_conn_find(c, "srv"), *cli = conf_conn_find(c, "cli");
	assert_int_equal(srv->npools, 2);
	assert_string_equal(srv->pools[1], "rw6");
	assert_int_equal(srv->nvips, 0);
	assert_int_equal(cli->nvips, 2);
	assert_int_equal(cli->vips[0], AF_INET);
	assert_int_equal(cli->vips[1], AF_INET6);
	char err[256];
	assert_int_equal(conf_pools_check(c, err, sizeof(err)), 0);
	conf_free(c);
	/* vips with an address: the family, and the address to ask for */
	c = parse_ok("connections { cli { vips = 10.99.0.5, ::\n local { auth = psk }\n"
	             " remote { auth = psk } } }\nsecrets { ike { secret = x } }\n");
	cli = conf_conn_find(c, "cli");
	assert_int_equal(cli->nvips, 2);
	assert_int_equal(cli->vips[0], AF_INET);
	assert_string_equal(ip_addr_fmt(&cli->vip_req[0], a), "10.99.0.5");
	assert_int_equal(cli->vips[1], AF_INET6);
	assert_true(ip_addr_is_zero(&cli->vip_req[1]));
	conf_free(c);
	/* a connection naming a pool the file lacks parses (VICI load-conn
	 * sends connections alone), and the whole-file check says so */
	c = parse_ok("connections { gw { pools = nope\n local { auth = psk } } }\n");
	assert_int_equal(conf_pools_check(c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:1: connections.gw.pools: no pool 'nope' in the pools section");
	conf_free(c);
}

static void test_unsupported(void **state)
{
	static const struct err_row rows[] = {
		/* 0 */ { CONN("aggressive = yes"), "t.conf:4:3: connections.gw.aggressive: not supported: an IKEv1 setting (uipsec speaks IKEv2 only) (uipsec takes only no)" },
		/* 1 */ { CONN("rekey_tme = 1h"), "t.conf:4:3: connections.gw.rekey_tme: unknown option" },
		/* 2 */ { CONN("vips = 10.3.0.5, 0.0.0.0"), "t.conf:4:3: connections.gw.vips: 0.0.0.0: a second virtual IP of its family (uipsec requests one IPv4 and one IPv6 address at most)" },
		/* 3 */ { CHILD("inactivity = 30s"), "t.conf:5:4: connections.gw.children.net.inactivity: not supported: closing idle CHILD_SAs, not yet in uipsec (uipsec takes only 0 or 0s)" },
		/* 4 */ { CHILD("mark_in = 42"), "t.conf:5:4: connections.gw.children.net.mark_in: not supported: marks (uipsec takes only 0 or 0/0x00000000)" },
		/* 5 */ { CHILD("ipcomp = yes"), "t.conf:5:4: connections.gw.children.net.ipcomp: not supported: IPComp (uipsec takes only no)" },
		/* 6 */ { CHILD("foo { }"), "t.conf:5:4: connections.gw.children.net.foo: unknown section" },
		/* 7 */ { "connections { gw { local { auth = bliss } } }\n", "t.conf:1:28: connections.gw.local.auth: not supported: BLISS signatures (strongSwan's post-quantum scheme, removed in 5.9.x) ('bliss'; uipsec: psk, pubkey, rsa, ecdsa, ike:, eap-mschapv2 or eap)" },
		/* 8 */ { "connections { gw { local { auth = eap-md5 } } }\n", "t.conf:1:28: connections.gw.local.auth: not supported: this EAP method (uipsec has EAP-MSCHAPv2: auth = eap-mschapv2) ('eap-md5'; uipsec: psk, pubkey, rsa, ecdsa, ike:, eap-mschapv2 or eap)" },
		/* 9 */ { "connections { gw { local { auth = magic } } }\n", "t.conf:1:28: connections.gw.local.auth: unknown auth method 'magic' (uipsec supports psk, pubkey, rsa, ecdsa, ike:, eap-mschapv2 or eap)" },
		/* 10 */ { "connections { gw { local { auth = psk }\n remote { revocation = sometimes } } }\n", "t.conf:2:11: connections.gw.remote.revocation: invalid value 'sometimes' (expected strict, ifuri or relaxed)" },
		/* 11 */ { "secrets { pkcs12-k { file = k.p12 } }\n", "t.conf:1:11: secrets.pkcs12-k: not supported: PKCS#12 containers (put the certificate into x509/ and the key into private/)" },
		/* 12 */ { "connections { gw { local { auth = psk\n aaa_id = x } } }\n", "t.conf:2:2: connections.gw.local.aaa_id: not supported: EAP through a AAA server (eap-radius)" },
		/* 13 */ { "connections { gw { local { auth = psk }\n local-2 { auth = psk } } }\n", "t.conf:2:2: connections.gw.local-2: a second local authentication round (also 'local'): uipsec supports one" },
		/* 14 */ { "connections { gw { remote { auth = psk } } }\n", "t.conf:1:15: connections.gw: no local section: uipsec needs local { auth = psk }" },
		/* 15 */ { "connections { gw { local { auth = psk }\n pools = 1,2,3,4,5 } }\n", "t.conf:2:2: connections.gw.pools: more than 4 pools (uipsec's limit)" },
		/* 16 */ { "connections { gw { local { auth = psk }\n extra { } } }\n", "t.conf:2:2: connections.gw.extra: unknown section" },
		/* 17 */ { "connections { gw { local { auth = psk }\n children { x = 1 } } }\n", "t.conf:2:13: connections.gw.children.x: unknown option (children holds one section per CHILD_SA)" },
		/* 18 */ { "connections { x = 1 }\n", "t.conf:1:15: connections.x: unknown option (connections holds one section per connection)" },
		/* 19 */ { "pools { p { addrs = dhcp } }\n", "t.conf:1:13: pools.p.addrs: addresses from dhcp are not supported by uipsec (a prefix or a range)" },
		/* 20 */ { "authorities { }\n", "t.conf:1:1: authorities: not supported: this form of certificate configuration (uipsec reads certificates from certs = and cacerts = and swanctl's x509 folders)" },
		/* 21 */ { "charon { }\n", "t.conf:1:1: charon: unknown section (expected connections or secrets, or a template that a section references)" },
		/* 22 */ { "a = b\n", "t.conf:1:1: a: unknown option at the top level" },
		/* 23 */ { "secrets { ntlm-x { secret = a } }\n", "t.conf:1:11: secrets.ntlm-x: not supported: NT hash secrets (write the password in an eap section)" },
		/* 24 */ { "secrets { private-k { file = k.pem } }\n", "t.conf:1:11: secrets.private-k: no secret" },
		/* 25 */ { "secrets { psk-x { secret = a } }\n", "t.conf:1:11: secrets.psk-x: unknown secret type (section names start with the type, e.g. ike-gw)" },
		/* 26 */ { "secrets { ike-x { secret = a\n file = b } }\n", "t.conf:2:2: secrets.ike-x.file: unknown option (an ike secret has id<suffix> and secret)" },
		/* 27 */ { "secrets { x = 1 }\n", "t.conf:1:11: secrets.x: unknown option (secrets holds one section per secret)" },
		/* 28 */ { CHILD("ah_proposals = sha256"), "t.conf:5:4: connections.gw.children.net.ah_proposals: not supported: AH (uipsec has ESP only)" },
		/* 29 */ { "connections { gw { local { auth = psk\n cert-1 { file = x } } } }\n", "t.conf:2:2: connections.gw.local.cert-1: not supported: this form of certificate configuration (uipsec reads certificates from certs = and cacerts = and swanctl's x509 folders)" },
		/* 30 */ { "pools { p { addrs = 10.3.0.0/24\n split_include = 10.1.0.0/16 } }\n", "t.conf:2:2: pools.p.split_include: not supported: Cisco Unity attributes (use subnet)" },
		/* 31 */ { "pools { p { dns = 10.1.0.53 } }\n", "t.conf:1:9: pools.p: no addrs: a pool needs addrs = prefix or range" },
		/* 32 */ { "pools { p { addrs = %any } }\n", "t.conf:1:13: pools.p.addrs: invalid addrs '%any' (a prefix such as 10.3.0.0/24 or a range such as 10.3.0.1-10.3.0.100)" },
		/* 33 */ { "pools { p { addrs = 10.3.0.0/24\n dns = bogus } }\n", "t.conf:2:2: pools.p.dns: invalid address 'bogus'" },
		/* 34 */ { "pools { p { addrs = 10.3.0.0/24\n 25 = 1.2.3.4 } }\n", "t.conf:2:2: pools.p.25: not supported: numeric attribute types" },
		/* 35 */ { CONN("vips = 0.0.0.0, 0.0.0.0"), "t.conf:4:3: connections.gw.vips: 0.0.0.0 is listed twice" },
		/* 36 */ { "pools { p { addrs = 10.3.0.0/24\n x { } } }\n", "t.conf:2:2: pools.p.x: unknown section (a pool has options only)" },
		/* 37 */ { "connections { gw { local { auth = psk\n pools = p } } }\n", "t.conf:2:2: connections.gw.local.pools: unknown option (pools is a connection option: connections.<conn>.pools)" },
		/* 38 */ { "secrets { private-k { file = a/k.pem\n secret = x } }\n", "t.conf:1:11: secrets.private-k: file 'a/k.pem': a name in the key's folder, not a path" },
		/* 39 */ { "secrets { rsa-k { secret = x } }\n", "t.conf:1:11: secrets.rsa-k: no file (the key file this passphrase is for)" },
		/* 40 */ { "connections { gw { local { auth = psk }\n send_cert = sometimes } }\n", "t.conf:2:2: connections.gw.send_cert: invalid value 'sometimes' (expected ifasked, always or never)" },
	};
	(void)state;
	run_err_table(rows, sizeof(rows) / sizeof(rows[0]));
}

/* ---- value parsers ---- */

static void test_ids(void **state)
{
	static const struct {
		const char *in;
		unsigned type;
		const char *out;       /* conf_id_fmt */
		size_t len;
	} rows[] = {
		/* 0 */ { "", CONF_ID_ANY, "%any", 0 },
		/* 1 */ { "%any", CONF_ID_ANY, "%any", 0 },
		/* 2 */ { "%any6", CONF_ID_ANY, "%any", 0 },
		/* 3 */ { "*", CONF_ID_ANY, "%any", 0 },
		/* 4 */ { "0.0.0.0", CONF_ID_ANY, "%any", 0 },
		/* 5 */ { "::", CONF_ID_ANY, "%any", 0 },
		/* 6 */ { "192.0.2.1", CONF_ID_IPV4_ADDR, "192.0.2.1", 4 },
		/* 7 */ { "2001:db8::1", CONF_ID_IPV6_ADDR, "2001:db8::1", 16 },
		/* 8 */ { "gw.example.org", CONF_ID_FQDN, "gw.example.org", 14 },
		/* 9 */ { "@gw.example.org", CONF_ID_FQDN, "gw.example.org", 14 },
		/* 10 */ { "user@example.org", CONF_ID_RFC822_ADDR, "user@example.org", 16 },
		/* 11 */ { "@@user", CONF_ID_RFC822_ADDR, "user", 4 },
		/* 12 */ { "@#0a0B0c", CONF_ID_KEY_ID, "#0a0b0c", 3 },
		/* 13 */ { "not:an:ip", CONF_ID_KEY_ID, "not:an:ip", 9 },
		/* 14 */ { "fqdn:x.org", CONF_ID_FQDN, "x.org", 5 },
		/* 15 */ { "dns:x.org", CONF_ID_FQDN, "x.org", 5 },
		/* 16 */ { "email:a@b", CONF_ID_RFC822_ADDR, "a@b", 3 },
		/* 17 */ { "userfqdn:a@b", CONF_ID_RFC822_ADDR, "a@b", 3 },
		/* 18 */ { "keyid:abc", CONF_ID_KEY_ID, "abc", 3 },
		/* 19 */ { "keyid:#00:01", CONF_ID_KEY_ID, "#0001", 2 },
		/* 20 */ { "ipv4:#c0000201", CONF_ID_IPV4_ADDR, "192.0.2.1", 4 },
		/* 21 */ { "ipv4:10.0.0.1", CONF_ID_IPV4_ADDR, "(invalid address identity)", 8 },  /* as charon: text as is */
		/* 22 */ { "{11}:raw", CONF_ID_KEY_ID, "raw", 3 },
		/* 23 */ { "{0x02}:host", CONF_ID_FQDN, "host", 4 },
		/* 24 */ { "IPV6:#20010db8000000000000000000000001", CONF_ID_IPV6_ADDR, "2001:db8::1", 16 },
		/* a DN is kept as written (its DER form is made in ctl/ctl_creds) */
		/* 25 */ { "C=CH, O=strongSwan, CN=gw", CONF_ID_DER_ASN1_DN, "C=CH, O=strongSwan, CN=gw", 25 },
	};
	static const char *const bad[] = {
		"asn1dn:#3000", "asn1gn:x", "{9}:x", "keyid:#0", "@#zz",
	};
	char longid[400];
	struct conf_id id;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char buf[300];

		if (conf_id_parse(rows[i].in, &id, &why)) {
			print_error("row %zu: '%s' rejected: %s\n", i, rows[i].in, why);
			fail();
		}
		if (id.type != rows[i].type || id.len != rows[i].len ||
		    strcmp(conf_id_fmt(&id, buf, sizeof(buf)), rows[i].out) != 0) {
			print_error("row %zu: '%s' -> type %u len %u '%s'\n", i, rows[i].in, id.type,
			            id.len, buf);
			fail();
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (conf_id_parse(bad[i], &id, &why) == 0) {
			print_error("bad id '%s' accepted\n", bad[i]);
			fail();
		}
		assert_non_null(why);
	}
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(conf_id_parse(longid, &id, &why), -EINVAL);
	longid[CONF_ID_MAX] = '\0';
	assert_int_equal(conf_id_parse(longid, &id, &why), 0);
	assert_int_equal(id.len, CONF_ID_MAX);
}

static void test_id_match(void **state)
{
	struct conf_id gw, GW, any, wild, star, other, ip, mail;

	(void)state;
	assert_int_equal(conf_id_parse("gw.example.org", &gw, NULL), 0);
	assert_int_equal(conf_id_parse("GW.Example.ORG", &GW, NULL), 0);
	assert_int_equal(conf_id_parse("%any", &any, NULL), 0);
	assert_int_equal(conf_id_parse("*.example.org", &wild, NULL), 0);
	assert_int_equal(conf_id_parse("@*", &star, NULL), 0);
	assert_int_equal(conf_id_parse("gw.example.net", &other, NULL), 0);
	assert_int_equal(conf_id_parse("192.0.2.1", &ip, NULL), 0);
	assert_int_equal(conf_id_parse("gw@example.org", &mail, NULL), 0);
	assert_true(conf_id_equal(&gw, &GW));
	assert_false(conf_id_equal(&gw, &other));
	assert_int_equal(conf_id_match(&gw, &GW), CONF_ID_MATCH_PERFECT);
	assert_int_equal(conf_id_match(&gw, &any), CONF_ID_MATCH_ANY);
	assert_int_equal(conf_id_match(&gw, &wild), CONF_ID_MATCH_ONE_WILDCARD);
	assert_int_equal(conf_id_match(&other, &wild), CONF_ID_MATCH_NONE);
	assert_int_equal(conf_id_match(&gw, &star), CONF_ID_MATCH_ANY);
	assert_int_equal(conf_id_match(&gw, &ip), CONF_ID_MATCH_NONE);
	assert_int_equal(conf_id_match(&mail, &gw), CONF_ID_MATCH_NONE);   /* type differs */
	assert_int_equal(conf_id_match(&any, &gw), CONF_ID_MATCH_NONE);
}

static void test_ts(void **state)
{
	static const struct {
		const char *in;
		const char *out;
		const char *to;
	} rows[] = {
		/* 0 */ { "10.1.0.7/24", "10.1.0.0/24", "10.1.0.255" },
		/* 1 */ { "10.1.0.7", "10.1.0.7/32", "10.1.0.7" },
		/* 2 */ { "0.0.0.0/0", "0.0.0.0/0", "255.255.255.255" },
		/* 3 */ { "10.0.0.1-10.0.0.5", "10.0.0.1-10.0.0.5", "10.0.0.5" },
		/* 4 */ { "fd00::1/126", "fd00::/126", "fd00::3" },
		/* 5 */ { "::/0", "::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
		/* 6 */ { "dynamic[udp/500]", "dynamic[17/500]", "any" },
		/* 7 */ { "10.1.0.0/16[icmp/8]", "10.1.0.0/16[1/8]", "10.1.255.255" },
		/* 8 */ { "10.1.0.0/16[any]", "10.1.0.0/16", "10.1.255.255" },
		/* 9 */ { "10.1.0.0/16[6/any]", "10.1.0.0/16[6]", "10.1.255.255" },
		/* 10 */ { "10.1.0.0/16[/53]", "10.1.0.0/16[0/53]", "10.1.255.255" },
		/* 11 */ { "10.1.0.0/16[tcp/0x50]", "10.1.0.0/16[6/80]", "10.1.255.255" },
		/* 12 */ { "10.1.0.0/16[sctp/1-2]", "10.1.0.0/16[132/1-2]", "10.1.255.255" },
	};
	static const char *const bad[] = {
		"", "10.1.0.0/", "10.1.0.0/x", "10.1.0.0/24]", "10.1.0.0/24[tcp]x", "[tcp]",
		"10.1.0.0/24[tcp/2-1]", "10.0.0.1-fd00::1", "dyn", "10.1.0.0/24[[tcp]]",
		"10.1.0.0/24[256]",
	};
	struct conf_ts ts;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char buf[128];

		if (conf_ts_parse(rows[i].in, &ts, NULL)) {
			print_error("row %zu: '%s' rejected\n", i, rows[i].in);
			fail();
		}
		conf_ts_fmt(&ts, buf, sizeof(buf));
		if (strcmp(buf, rows[i].out) != 0) {
			print_error("row %zu: '%s' -> '%s'\n", i, rows[i].in, buf);
			fail();
		}
		assert_addr(&ts.to, rows[i].to);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;

		if (conf_ts_parse(bad[i], &ts, &why) == 0) {
			print_error("bad ts '%s' accepted\n", bad[i]);
			fail();
		}
		assert_non_null(why);
	}
}

static void test_addrs(void **state)
{
	struct conf_addr a;
	struct ip_addr x;

	(void)state;
	assert_int_equal(conf_addr_parse("10.1.0.0/16", &a), 0);
	assert_int_equal(a.kind, CONF_ADDR_PREFIX);
	assert_int_equal(ip_addr_parse("10.1.200.3", &x), 0);
	assert_true(conf_addr_contains(&a, &x));
	assert_int_equal(ip_addr_parse("10.2.0.0", &x), 0);
	assert_false(conf_addr_contains(&a, &x));
	assert_int_equal(conf_addr_parse("%any6", &a), 0);
	assert_false(conf_addr_contains(&a, &x));
	assert_int_equal(conf_addr_parse("%any", &a), 0);
	assert_true(conf_addr_contains(&a, &x));
	assert_int_equal(conf_addr_parse("10.1.255.255-10.2.0.0", &a), 0);
	assert_true(conf_addr_contains(&a, &x));
	assert_int_equal(conf_addr_parse("vpn-gw1.example.org", &a), 0);
	assert_int_equal(a.kind, CONF_ADDR_DNS);
	assert_false(conf_addr_contains(&a, &x));
	free(a.dns);
	assert_int_equal(conf_addr_parse("a b", &a), -EINVAL);
	assert_int_equal(conf_addr_parse("1.2.3", &a), -EINVAL);
	assert_int_equal(conf_addr_parse("-x", &a), -EINVAL);
	assert_int_equal(conf_addr_parse("%any5", &a), -EINVAL);
}

static void test_scalars(void **state)
{
	static const struct { const char *in; uint64_t v; } durs[] = {
		{ "0", 0 }, { "30", 30 }, { "10s", 10 }, { "30m", 1800 }, { "4h", 14400 },
		{ "1d", 86400 }, { "2D", 172800 }, { "0x10", 16 }, { "5 m", 300 },
	};
	static const char *const baddur[] = { "", "m", "1x", "1mm", "-1", " 1", "0x", "18446744073709551615d" };
	uint64_t v;
	bool b;
	uint8_t *sec;
	size_t len;
	char **items;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		assert_int_equal(conf_parse_duration(durs[i].in, &v), 0);
		assert_int_equal(v, durs[i].v);
	}
	for (size_t i = 0; i < sizeof(baddur) / sizeof(baddur[0]); i++)
		assert_int_equal(conf_parse_duration(baddur[i], &v), -EINVAL);
	assert_int_equal(conf_parse_bytes("3K", &v), 0);
	assert_int_equal(v, 3072);
	assert_int_equal(conf_parse_bytes("16g", &v), 0);
	assert_int_equal(v, 16ull << 30);
	assert_int_equal(conf_parse_bytes("1t", &v), -EINVAL);
	assert_int_equal(conf_parse_bytes("10s", &v), -EINVAL);   /* a duration unit */
	assert_int_equal(conf_parse_bytes("2 M", &v), 0);
	assert_int_equal(v, 2ull << 20);
	assert_int_equal(conf_parse_bytes("1500", &v), 0);
	assert_int_equal(v, 1500);
	assert_int_equal(conf_parse_bytes("1kk", &v), -EINVAL);
	assert_int_equal(conf_parse_bytes("17179869184g", &v), -EINVAL);   /* 2^64 */
	assert_int_equal(conf_parse_bool("Enabled", &b), 0);
	assert_true(b);
	assert_int_equal(conf_parse_bool("0", &b), 0);
	assert_false(b);
	assert_int_equal(conf_parse_bool("on", &b), -EINVAL);
	assert_int_equal(conf_parse_uint("18446744073709551615", UINT64_MAX, &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(conf_parse_uint("18446744073709551616", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(conf_parse_uint("+1", 10, &v), -EINVAL);

	assert_int_equal(conf_parse_secret("0x0102ff", &sec, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(sec, "\x01\x02\xff", 3);
	free(sec);
	assert_int_equal(conf_parse_secret("0sYWJjZA==", &sec, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(sec, "abcd", 4);
	free(sec);
	assert_int_equal(conf_parse_secret("plain text", &sec, &len), 0);
	assert_int_equal(len, 10);
	free(sec);
	assert_int_equal(conf_parse_secret("", &sec, &len), -EINVAL);
	assert_int_equal(conf_parse_secret("0x", &sec, &len), -EINVAL);
	assert_int_equal(conf_parse_secret("0s", &sec, &len), -EINVAL);
	assert_int_equal(conf_parse_secret("0sYW=Jj", &sec, &len), -EINVAL);

	assert_int_equal(conf_split_list(" a , b,c ", &items, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(items[0], "a");
	assert_string_equal(items[1], "b");
	assert_string_equal(items[2], "c");
	conf_list_free(items, n);
	assert_int_equal(conf_split_list("a,", &items, &n), -EINVAL);
	assert_int_equal(conf_split_list(" ", &items, &n), -EINVAL);
}

/* ---- secrets ---- */

static void test_secret_lookup(void **state)
{
	struct conf *c = parse_ok(
		"secrets {\n"
		"  ike-any { secret = anyone }\n"
		"  ike-gwb { id = gwb\n secret = 0x6b6579 }\n"
		"  ike-pair { id-a = gwa\n id-b = gwb\n secret = pair }\n"
		"  ike-wild { id = *.example.org\n secret = wild }\n"
		"  ike-ip { id = 192.0.2.2\n secret = ip }\n"
		"}\n");
	struct conf_id gwa, gwb, gwc, host, ip, ip2;
	const struct conf_secret *s;

	(void)state;
	assert_int_equal(c->nsecrets, 5);
	assert_int_equal(conf_id_parse("gwa", &gwa, NULL), 0);
	assert_int_equal(conf_id_parse("gwb", &gwb, NULL), 0);
	assert_int_equal(conf_id_parse("gwc", &gwc, NULL), 0);
	assert_int_equal(conf_id_parse("h.example.org", &host, NULL), 0);
	assert_int_equal(conf_id_parse("192.0.2.2", &ip, NULL), 0);
	assert_int_equal(conf_id_parse("192.0.2.9", &ip2, NULL), 0);
	/* Both ids match the pair perfectly. */
	s = conf_secret_find_ike(c, &gwa, &gwb);
	assert_string_equal(s->name, "ike-pair");
	/* Remote matches ike-gwb and ike-pair perfectly; ike-pair also
	 * matches me. */
	s = conf_secret_find_ike(c, &gwc, &gwb);
	assert_string_equal(s->name, "ike-gwb");
	assert_int_equal(s->secret_len, 3);
	assert_memory_equal(s->secret, "key", 3);
	/* The remote match counts first: the wildcard beats the pair, which
	 * matches only me. */
	s = conf_secret_find_ike(c, &gwa, &host);
	assert_string_equal(s->name, "ike-wild");
	s = conf_secret_find_ike(c, &gwa, &ip2);
	assert_string_equal(s->name, "ike-any");
	s = conf_secret_find_ike(c, &gwc, &host);
	assert_string_equal(s->name, "ike-wild");
	s = conf_secret_find_ike(c, &gwc, &ip);
	assert_string_equal(s->name, "ike-ip");
	s = conf_secret_find_ike(c, &gwc, &ip2);
	assert_string_equal(s->name, "ike-any");
	s = conf_secret_find_ike(c, NULL, NULL);
	assert_string_equal(s->name, "ike-any");
	conf_free(c);

	c = parse_ok("secrets { ike-x { id = gwb\n secret = x } }\n");
	assert_null(conf_secret_find_ike(c, &gwa, &gwc));
	assert_non_null(conf_secret_find_ike(c, &gwa, &gwb));
	conf_free(c);
}

/* ---- includes (real files in a temporary directory) ---- */

static char tmpdir[64];

static void write_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup_dir(void **state)
{
	char path[128];

	(void)state;
	strcpy(tmpdir, "/tmp/test_conf.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/conf.d", tmpdir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/empty.d", tmpdir);
	mkdir(path, 0700);
	return 0;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int load_rel(const char *rel, struct conf **c, char *err, size_t errlen)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	return conf_load(path, CONF_MODEL_ONLY, c, err, errlen);
}

static void test_includes(void **state)
{
	struct conf *c = NULL;
	char err[512], want[512];
	const struct conf_conn *cn;

	(void)state;
	write_file("swanctl.conf",
		"include conf.d/*.conf\n"
		"include empty.d/*.conf   # matches nothing: fine\n"
		"connections {\n"
		"  b {\n"
		"    include b-body.inc\n"
		"    remote_addrs = 192.0.2.9\n"
		"  }\n"
		"}\n"
		"include \"secrets.inc\"\n");
	write_file("conf.d/10-a.conf", "connections { a { local { auth = psk } remote_addrs = 192.0.2.2 } }\n");
	write_file("conf.d/20-a-more.conf",
		"connections { a { remote_addrs = 192.0.2.3\n include ../child.inc } }\n");
	write_file("child.inc", "children { net { local_ts = 10.1.0.0/24 } }\n");
	write_file("b-body.inc", "local { auth = psk }\nremote_addrs = 192.0.2.8\n");
	write_file("secrets.inc", "secrets { ike { secret = s3cret } }\n");

	assert_int_equal(load_rel("swanctl.conf", &c, err, sizeof(err)), 0);
	assert_int_equal(c->nconns, 2);
	cn = &c->conns[0];
	assert_string_equal(cn->name, "a");
	assert_addr(&cn->remote_addrs[0].from, "192.0.2.3");    /* later file overrides */
	assert_int_equal(cn->nchildren, 1);
	assert_ts(&cn->children[0].local_ts[0], "10.1.0.0/24");
	snprintf(want, sizeof(want), "%s/conf.d/10-a.conf", tmpdir);
	assert_string_equal(cn->file, want);
	cn = &c->conns[1];
	assert_string_equal(cn->name, "b");
	assert_addr(&cn->remote_addrs[0].from, "192.0.2.9");    /* after the include */
	assert_int_equal(c->nsecrets, 1);
	assert_int_equal(c->nfiles, 6);
	conf_free(c);

	/* A missing plain file is an error at the include line. */
	write_file("missing.conf", "\n  include nothere.conf\n");
	assert_int_equal(load_rel("missing.conf", &c, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s/missing.conf:2:3: include: '%s/nothere.conf' does not exist",
	         tmpdir, tmpdir);
	assert_string_equal(err, want);
	assert_null(c);

	/* Errors inside an included file name that file. */
	write_file("bad.inc", "connections {\n c { rekey_time = soon\n local { auth = psk } } }\n");
	write_file("top.conf", "include bad.inc\n");
	assert_int_equal(load_rel("top.conf", &c, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s/bad.inc:2:6: connections.c.rekey_time: invalid time 'soon' "
	         "(seconds, or a number with s, m, h or d)", tmpdir);
	assert_string_equal(err, want);

	/* An included file must close its sections. */
	write_file("open.inc", "connections {\n");
	write_file("top2.conf", "include open.inc\n}\n");
	assert_int_equal(load_rel("top2.conf", &c, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s/open.inc:1:1: section 'connections' is not closed before the end of the file", tmpdir);
	assert_string_equal(err, want);

	/* An include loop stops at the depth limit. */
	write_file("loop.conf", "include loop.conf\n");
	assert_int_equal(load_rel("loop.conf", &c, err, sizeof(err)), -EINVAL);
	assert_contains(err, "includes nested deeper than 16");

	/* A directory is not a file; a missing top file says so. */
	write_file("dir.conf", "include conf.d\n");
	assert_int_equal(load_rel("dir.conf", &c, err, sizeof(err)), -EINVAL);
	assert_contains(err, "not a regular file");
	assert_int_equal(load_rel("nope.conf", &c, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s/nope.conf: cannot read: No such file or directory", tmpdir);
	assert_string_equal(err, want);

	/* Escaped blanks in an include pattern. */
	write_file("with space.inc", "connections { s { local { auth = psk } } }\n");
	write_file("esc.conf", "include with\\ space.inc\n");
	assert_int_equal(load_rel("esc.conf", &c, err, sizeof(err)), 0);
	assert_string_equal(c->conns[0].name, "s");
	conf_free(c);
}

/* Several hundred sections and a long value still parse; absurd input is
 * refused with a clear message instead of eating memory. */
static void test_limits(void **state)
{
	size_t cap = 1 << 20, o = 0;
	char *big = malloc(cap);
	struct conf *c;
	char err[256];

	(void)state;
	assert_non_null(big);
	o += (size_t)snprintf(big + o, cap - o, "connections {\n");
	for (int i = 0; i < 300; i++)
		o += (size_t)snprintf(big + o, cap - o, " c%d { local { auth = psk } }\n", i);
	o += (size_t)snprintf(big + o, cap - o, "}\n");
	c = parse_ok(big);
	assert_int_equal(c->nconns, 300);
	conf_free(c);

	o = 0;
	for (int i = 0; i < 20000 && o < cap - 32; i++)
		o += (size_t)snprintf(big + o, cap - o, "k%d = v\n", i);
	assert_int_equal(conf_parse_buffer(big, o, "t.conf", CONF_NO_INCLUDE, &c, err, sizeof(err)), -EINVAL);
	assert_contains(err, "too many sections and settings");

	o = 0;
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(big + o, cap - o, "s%d {\n", i);
	assert_int_equal(conf_parse_buffer(big, o, "t.conf", CONF_NO_INCLUDE, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:33:1: sections nested deeper than 32");

	memcpy(big, "a = \"", 5);
	memset(big + 5, 'x', 70000);
	assert_int_equal(conf_parse_buffer(big, 70005, "t.conf", CONF_NO_INCLUDE, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:1:5: string longer than 65536 bytes");
	free(big);
}

/* The seed files of the fuzz target double as files that must load in
 * uipsec and in charon alike (tests/interop/test_conf_charon.sh loads the
 * same ones into charon); error_* files must be refused. */
static void test_seed_files(void **state)
{
	static const char *const good[] = {
		"site_to_site.conf", "every_option.conf", "references.conf", "syntax.conf",
	};
	static const char *const bad[] = {
		"error_loop.conf", "error_unclosed.conf", "error_unsupported.conf",
	};
	char path[512], err[512], dir[400];
	const char *slash = strrchr(__FILE__, '/');
	struct conf *c;

	(void)state;
	/* tests/unit/ -> tests/fuzz/corpus/fuzz_conf/ (CMake compiles with
	 * absolute paths). */
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(path, sizeof(path), "%s/../fuzz/corpus/fuzz_conf/%s", dir, good[i]);
		if (conf_load(path, CONF_MODEL_ONLY, &c, err, sizeof(err))) {
			print_error("%s\n", err);
			fail();
		}
		assert_true(c->nconns >= 1);
		conf_free(c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "%s/../fuzz/corpus/fuzz_conf/%s", dir, bad[i]);
		assert_int_equal(conf_load(path, CONF_MODEL_ONLY, &c, err, sizeof(err)), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_site_to_site),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_option),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_type_errors),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_pools),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_id_match),
		cmocka_unit_test(test_ts),
		cmocka_unit_test(test_addrs),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_secret_lookup),
		cmocka_unit_test_setup_teardown(test_includes, setup_dir, teardown_dir),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_seed_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
