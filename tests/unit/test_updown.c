/* updown scripts (ctl/updown.h): the environment charon's updown plugin
 * sets, built for known CHILD SAs; the verbs; a rekeying that runs
 * nothing; and the helper running a real script with that environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/updown.h"
#include "ike/ike_proto.h"
#include "net/addr.h"

static struct ip_addr ip(const char *s)
{
	struct ip_addr a;

	assert_int_equal(ip_addr_parse(s, &a), 0);
	return a;
}

static struct ike_ts ts(const char *lo, const char *hi, uint8_t proto, uint16_t plo,
                        uint16_t phi)
{
	struct ike_ts t = { .proto = proto, .port_lo = plo, .port_hi = phi };

	t.lo = ip(lo);
	t.hi = ip(hi);
	t.type = t.lo.family == AF_INET ? IKE_TS_IPV4_ADDR_RANGE : IKE_TS_IPV6_ADDR_RANGE;
	return t;
}

/* A site-to-site CHILD SA: 10.1.0.0/24 === 10.2.0.0/16, UDP-encapsulated. */
static void net2net(struct updown_child *u)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->conn, sizeof(u->conn), "gw");
	snprintf(u->child, sizeof(u->child), "net");
	snprintf(u->updown, sizeof(u->updown), "/usr/lib/ipsec/_updown iptables");
	u->ike_unique_id = 3;
	u->unique_id = 7;
	u->reqid = 2;
	u->local = (struct ike_endpoint){ ip("192.0.2.1"), 4500 };
	u->remote = (struct ike_endpoint){ ip("198.51.100.2"), 4501 };
	snprintf(u->local_id, sizeof(u->local_id), "gw-a.example.org");
	snprintf(u->remote_id, sizeof(u->remote_id), "gw-b.example.org");
	u->ts_local.n = 1;
	u->ts_local.ts[0] = ts("10.1.0.0", "10.1.0.255", 0, 0, 65535);
	u->ts_remote.n = 1;
	u->ts_remote.ts[0] = ts("10.2.0.0", "10.2.255.255", 0, 0, 65535);
	u->encap = true;
}

/* The environment as one "A=1\nB=2\n" text. */
static char *env_text(const struct updown_child *u, bool up, unsigned li, unsigned ri)
{
	static char buf[8192], text[8192];
	int n = updown_env(u, up, li, ri, "ipsec0", "/usr/bin:/bin", buf, sizeof(buf));
	size_t t = 0;

	assert_true(n > 0);
	for (int i = 0; i < n; i++)
		text[t++] = buf[i] ? buf[i] : '\n';
	text[t] = '\0';
	return text;
}

static void test_env_net2net(void **state)
{
	struct updown_child u;

	(void)state;
	net2net(&u);
	assert_string_equal(env_text(&u, true, 0, 0),
	                    "PATH=/usr/bin:/bin\n"
	                    "PLUTO_VERSION=1.1\n"
	                    "PLUTO_VERB=up-client\n"
	                    "PLUTO_CONNECTION=net\n"
	                    "PLUTO_INTERFACE=ipsec0\n"
	                    "PLUTO_REQID=2\n"
	                    "PLUTO_PROTO=esp\n"
	                    "PLUTO_UNIQUEID=3\n"
	                    "PLUTO_ME=192.0.2.1\n"
	                    "PLUTO_MY_ID=gw-a.example.org\n"
	                    "PLUTO_MY_CLIENT=10.1.0.0/24\n"
	                    "PLUTO_MY_PORT=0\n"
	                    "PLUTO_MY_PROTOCOL=0\n"
	                    "PLUTO_PEER=198.51.100.2\n"
	                    "PLUTO_PEER_ID=gw-b.example.org\n"
	                    "PLUTO_PEER_CLIENT=10.2.0.0/16\n"
	                    "PLUTO_PEER_PORT=0\n"
	                    "PLUTO_PEER_PROTOCOL=0\n"
	                    "PLUTO_UDP_ENC=4501\n");
	assert_non_null(strstr(env_text(&u, false, 0, 0), "PLUTO_VERB=down-client\n"));
	/* out of range pairs, a buffer too small */
	char small[64];
	assert_int_equal(updown_env(&u, true, 1, 0, "ipsec0", NULL, small, sizeof(small)), -EINVAL);
	assert_int_equal(updown_env(&u, true, 0, 1, "ipsec0", NULL, small, sizeof(small)), -EINVAL);
	assert_int_equal(updown_env(&u, true, 0, 0, "ipsec0", NULL, small, sizeof(small)), -ENOSPC);
}

/* host-to-host (the TS is our own address), IPv6, ports and protocols,
 * a range that is no subnet, virtual IPs, DNS, hostaccess. */
static void test_env_variants(void **state)
{
	struct updown_child u;
	char verb[16];
	const char *e;

	(void)state;
	net2net(&u);
	u.ts_local.ts[0] = ts("192.0.2.1", "192.0.2.1", 6, 80, 80);
	u.ts_remote.ts[0] = ts("198.51.100.2", "198.51.100.2", 6, 1024, 2047);
	u.encap = false;
	u.hostaccess = true;
	e = env_text(&u, true, 0, 0);
	assert_non_null(strstr(e, "PLUTO_VERB=up-host\n"));
	assert_non_null(strstr(e, "PLUTO_MY_CLIENT=192.0.2.1/32\nPLUTO_MY_PORT=80\n"
	                          "PLUTO_MY_PROTOCOL=6\n"));
	assert_non_null(strstr(e, "PLUTO_PEER_CLIENT=198.51.100.2/32\nPLUTO_PEER_PORT=1024:2047\n"
	                          "PLUTO_PEER_PROTOCOL=6\n"));
	assert_null(strstr(e, "PLUTO_UDP_ENC"));
	assert_non_null(strstr(e, "PLUTO_HOST_ACCESS=1\n"));

	/* ICMP: our "port" is the type, the peer's the code */
	u.ts_local.ts[0] = ts("10.1.0.0", "10.1.0.255", 1, 8 << 8, 8 << 8 | 0xff);
	u.ts_remote.ts[0] = ts("10.2.0.0", "10.2.0.255", 1, 8 << 8, 8 << 8 | 0xff);
	e = env_text(&u, true, 0, 0);
	assert_non_null(strstr(e, "PLUTO_MY_PORT=8\n"));
	assert_non_null(strstr(e, "PLUTO_PEER_PORT=0\n"));

	/* a range: the next larger subnet */
	u.ts_local.ts[0] = ts("10.1.0.5", "10.1.0.20", 0, 0, 65535);
	assert_non_null(strstr(env_text(&u, true, 0, 0), "PLUTO_MY_CLIENT=10.1.0.0/27\n"));

	/* IPv6, a client with a virtual IP and DNS servers */
	u.local = (struct ike_endpoint){ ip("2001:db8::1"), 500 };
	u.remote = (struct ike_endpoint){ ip("2001:db8::2"), 500 };
	u.ts_local.ts[0] = ts("2001:db8:1::", "2001:db8:1:ffff:ffff:ffff:ffff:ffff", 0, 0, 65535);
	u.ts_remote.ts[0] = ts("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0, 65535);
	u.vip_local[0] = ip("10.3.0.1");
	u.vip_local[1] = ip("2001:db8:3::1");
	u.nvip_local = 2;
	u.vip_remote[0] = ip("10.3.0.9");
	u.nvip_remote = 1;
	u.dns[0] = ip("10.3.0.53");
	u.dns[1] = ip("2001:db8:3::53");
	u.dns[2] = ip("10.3.0.54");
	u.ndns = 3;
	snprintf(u.eap_id, sizeof(u.eap_id), "carol@example.org");
	e = env_text(&u, false, 0, 0);
	assert_non_null(strstr(e, "PLUTO_VERB=down-client-v6\n"));
	assert_non_null(strstr(e, "PLUTO_ME=2001:db8::1\n"));
	assert_non_null(strstr(e, "PLUTO_MY_CLIENT=2001:db8:1::/48\n"));
	assert_non_null(strstr(e, "PLUTO_PEER_CLIENT=::/0\n"));
	assert_non_null(strstr(e, "PLUTO_XAUTH_ID=carol@example.org\n"));
	assert_non_null(strstr(e, "PLUTO_MY_SOURCEIP=10.3.0.1\nPLUTO_MY_SOURCEIP4_1=10.3.0.1\n"
	                          "PLUTO_MY_SOURCEIP6_1=2001:db8:3::1\n"));
	assert_non_null(strstr(e, "PLUTO_PEER_SOURCEIP=10.3.0.9\nPLUTO_PEER_SOURCEIP4_1=10.3.0.9\n"));
	assert_non_null(strstr(e, "PLUTO_DNS4_1=10.3.0.53\nPLUTO_DNS6_1=2001:db8:3::53\n"
	                          "PLUTO_DNS4_2=10.3.0.54\n"));
	/* host-to-host over IPv6 */
	u.ts_local.ts[0] = ts("2001:db8::1", "2001:db8::1", 0, 0, 65535);
	assert_string_equal(updown_verb(&u, true, 0, verb), "up-host-v6");
}

/* The helper runs the script with the environment, once per pair of
 * traffic selectors, in order; a rekeying runs nothing, and the down
 * comes with the successor's SPI; a rekeyed predecessor ends silently. */
static void test_helper_runs(void **state)
{
	char dir[] = "/tmp/test_updown.XXXXXX", out[600], cmd[800], line[256];
	struct runner run;
	struct updown ud = { .run = &run };
	struct ike_ts_list l, r;
	struct ip_addr dns = ip("10.3.0.53");

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/log", dir);
	snprintf(cmd, sizeof(cmd), "echo \"$PLUTO_VERB $PLUTO_MY_CLIENT $PLUTO_PEER_CLIENT "
	         "$PLUTO_DNS4_1 $PLUTO_CONNECTION ${PLUTO_HOST_ACCESS:-0}\" >> %s; echo to-the-log",
	         out);
	assert_int_equal(runner_start(&run, NULL, 0), 0);
	snprintf(ud.iface, sizeof(ud.iface), "ipsec0");
	l.n = 1;
	l.ts[0] = ts("10.1.0.0", "10.1.0.255", 0, 0, 65535);
	r.n = 2;
	r.ts[0] = ts("10.2.0.0", "10.2.0.255", 0, 0, 65535);
	r.ts[1] = ts("10.4.0.0", "10.4.255.255", 0, 0, 65535);
	struct ike_child_up_event ev = {
		.conn = "gw", .child = "net", .updown = cmd, .hostaccess = true,
		.ike_unique_id = 1, .unique_id = 1, .reqid = 1, .spi_in = 0x1111, .spi_out = 0x2222,
		.local = { ip("192.0.2.1"), 500 }, .remote = { ip("192.0.2.2"), 500 },
		.local_id = "a", .remote_id = "b", .ts_local = &l, .ts_remote = &r,
		.dns = &dns, .ndns = 1,
	};
	updown_child_up(&ud, &ev);
	/* the rekeying: no script; the old one ends without one */
	struct ike_child_up_event rk = ev;
	rk.spi_in = 0x3333;
	rk.rekeyed_spi = 0x1111;
	rk.updown = "exit 1";      /* never run: the kept command is */
	updown_child_up(&ud, &rk);
	struct ike_child_end_event end = { .conn = "gw", .child = "net", .spi_in = 0x1111,
	                                   .installed = true, .reason = CHILD_END_REKEYED };
	updown_child_ended(&ud, &end);
	/* a CHILD SA without updown: nothing */
	struct ike_child_up_event none = ev;
	none.updown = "";
	none.spi_in = 0x5555;
	updown_child_up(&ud, &none);
	end.spi_in = 0x5555;
	end.reason = CHILD_END_DELETED_BY_PEER;
	updown_child_ended(&ud, &end);
	/* the successor goes down */
	end.spi_in = 0x3333;
	updown_child_ended(&ud, &end);
	assert_int_equal(ud.nkept, 0);
	assert_int_equal(ud.runs, 4);
	updown_free(&ud);
	runner_stop(&run, 10000);

	FILE *f = fopen(out, "r");
	assert_non_null(f);
	const char *want[] = {
		"up-client 10.1.0.0/24 10.2.0.0/24 10.3.0.53 net 1\n",
		"up-client 10.1.0.0/24 10.4.0.0/16 10.3.0.53 net 1\n",
		"down-client 10.1.0.0/24 10.2.0.0/24 10.3.0.53 net 1\n",
		"down-client 10.1.0.0/24 10.4.0.0/16 10.3.0.53 net 1\n",
	};
	for (size_t i = 0; i < 4; i++) {
		assert_non_null(fgets(line, sizeof(line), f));
		assert_string_equal(line, want[i]);
	}
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(out);
	rmdir(dir);
}

/* A script that does not end is stopped at the timeout (here: one that
 * ends by itself quickly; the timeout path is the netns test's). A
 * missing helper drops and counts. */
static void test_no_helper(void **state)
{
	struct runner run = { .fd = -1 };
	struct updown ud = { .run = &run };
	struct ike_ts_list l = { .n = 1 };
	struct ike_child_up_event ev = { .conn = "gw", .child = "net", .updown = "true",
	                                 .spi_in = 1, .ts_local = &l, .ts_remote = &l };

	(void)state;
	l.ts[0] = ts("10.1.0.0", "10.1.0.255", 0, 0, 65535);
	updown_child_up(&ud, &ev);
	assert_int_equal(ud.runs, 0);
	assert_int_equal(ud.dropped, 1);
	ud.run = NULL;   /* none at all: the same */
	updown_child_ended(&ud, &(struct ike_child_end_event){ .spi_in = 1, .installed = true });
	assert_int_equal(ud.dropped, 2);
	updown_free(&ud);
	runner_stop(&run, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_net2net),
		cmocka_unit_test(test_env_variants),
		cmocka_unit_test(test_helper_runs),
		cmocka_unit_test(test_no_helper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
