/* Virtual IP pools (src/ike/ike_pool.c): the addresses a prefix and a
 * range hand out, leases never given twice, kept for an identity that
 * comes back, reused when the pool runs dry, exhaustion, IPv6. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ike/ike_pool.h"
#include "net/addr.h"

static struct ike_pool *pool(const char *spec)
{
	struct ike_pool_cfg cfg = { .name = "p" };
	char err[256], buf[128];
	const char *dash = strchr(spec, '-');
	struct ike_pool *p;

	if (dash) {
		snprintf(buf, sizeof(buf), "%.*s", (int)(dash - spec), spec);
		assert_int_equal(ip_addr_parse(buf, &cfg.from), 0);
		assert_int_equal(ip_addr_parse(dash + 1, &cfg.to), 0);
	} else {
		const char *slash = strchr(spec, '/');
		snprintf(buf, sizeof(buf), "%.*s", (int)(slash - spec), spec);
		assert_int_equal(ip_addr_parse(buf, &cfg.from), 0);
		cfg.prefix = true;
		cfg.prefixlen = (uint8_t)atoi(slash + 1);
		/* the last address of the prefix */
		struct ip_addr net;
		uint8_t len;
		assert_int_equal(ip_prefix_parse(spec, &net, &len), 0);
		cfg.to = net;
		for (unsigned bit = len; bit < (cfg.from.family == AF_INET ? 32u : 128u); bit++)
			cfg.to.a[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	}
	p = ike_pool_new(&cfg, err, sizeof(err));
	assert_non_null(p);
	return p;
}

static struct ike_id id(const char *s)
{
	struct ike_id i;

	assert_int_equal(ike_id_parse(s, &i), 0);
	return i;
}

static const char *got(struct ike_pool *p, const char *who, uint32_t owner)
{
	static char buf[IP_ADDR_STRLEN];
	struct ike_id i = id(who);
	struct ip_addr a;
	int rc = ike_pool_acquire(p, ike_pool_family(p), &i, NULL, owner, &a);

	if (rc)
		return rc == -ENOSPC ? "ENOSPC" : "error";
	return ip_addr_fmt(&a, buf);
}

static struct ip_addr ip_of(const char *s)
{
	struct ip_addr a;

	assert_int_equal(ip_addr_parse(s, &a), 0);
	return a;
}

static void rel(struct ike_pool *p, const char *a, uint32_t owner, int want)
{
	struct ip_addr x;

	assert_int_equal(ip_addr_parse(a, &x), 0);
	assert_int_equal(ike_pool_release(p, &x, owner), want);
}

/* 10.3.0.0/24: .1 to .254, network and broadcast skipped (charon's) */
static void test_prefix_bounds(void **state)
{
	struct ike_pool *p = pool("10.3.0.0/24");

	assert_int_equal(ike_pool_size(p), 254);
	assert_string_equal(got(p, "a@x", 1), "10.3.0.1");
	ike_pool_free(p);
	/* a base that is not the network: from there, broadcast skipped */
	p = pool("10.3.0.200/24");
	assert_int_equal(ike_pool_size(p), 55);
	assert_string_equal(got(p, "a@x", 1), "10.3.0.200");
	ike_pool_free(p);
	/* /31 and /32 keep every address */
	p = pool("10.3.0.0/31");
	assert_int_equal(ike_pool_size(p), 2);
	assert_string_equal(got(p, "a@x", 1), "10.3.0.0");
	assert_string_equal(got(p, "b@x", 2), "10.3.0.1");
	assert_string_equal(got(p, "c@x", 3), "ENOSPC");
	ike_pool_free(p);
}

/* never twice, kept for the identity, reused from the oldest offline */
static void test_leases(void **state)
{
	struct ike_pool *p = pool("10.3.0.10-10.3.0.12");

	assert_int_equal(ike_pool_size(p), 3);
	assert_string_equal(got(p, "carol@x", 1), "10.3.0.10");
	assert_string_equal(got(p, "dave@x", 2), "10.3.0.11");
	/* the same identity on a second IKE SA: another address */
	assert_string_equal(got(p, "carol@x", 3), "10.3.0.12");
	assert_string_equal(got(p, "eve@x", 4), "ENOSPC");
	assert_int_equal(ike_pool_online(p), 3);
	/* release only by the owner */
	rel(p, "10.3.0.11", 1, -ENOENT);
	rel(p, "10.3.0.99", 2, -ENOENT);
	rel(p, "10.3.0.11", 2, 0);
	rel(p, "10.3.0.11", 2, -ENOENT);
	assert_int_equal(ike_pool_online(p), 2);
	assert_int_equal(ike_pool_offline(p), 1);
	/* dave comes back: his address again */
	assert_string_equal(got(p, "dave@x", 5), "10.3.0.11");
	rel(p, "10.3.0.11", 5, 0);
	rel(p, "10.3.0.10", 1, 0);
	/* eve: the pool is used up, the oldest offline lease (dave's) goes */
	assert_string_equal(got(p, "eve@x", 6), "10.3.0.11");
	/* carol's second SA still holds .12; her offline .10 is hers again */
	assert_string_equal(got(p, "carol@x", 7), "10.3.0.10");
	assert_string_equal(got(p, "dave@x", 8), "ENOSPC");
	ike_pool_free(p);
}

/* the requested address only if it is the identity's own lease */
static void test_requested(void **state)
{
	struct ike_pool *p = pool("10.3.0.0/29");
	struct ike_id c = id("carol@x"), d = id("dave@x");
	struct ip_addr want, a;

	assert_int_equal(ip_addr_parse("10.3.0.5", &want), 0);
	assert_int_equal(ike_pool_acquire(p, AF_INET, &c, &want, 1, &a), 0);
	assert_true(ip_addr_equal(&a, &(struct ip_addr){ AF_INET, { 10, 3, 0, 1 } }));
	/* outside the pool: ignored */
	assert_int_equal(ip_addr_parse("192.0.2.9", &want), 0);
	assert_int_equal(ike_pool_acquire(p, AF_INET, &d, &want, 2, &a), 0);
	assert_true(ip_addr_equal(&a, &(struct ip_addr){ AF_INET, { 10, 3, 0, 2 } }));
	/* the wrong family */
	assert_int_equal(ike_pool_acquire(p, AF_INET6, &d, NULL, 3, &a), -EAFNOSUPPORT);
	ike_pool_free(p);
}

/* the identity asking for its online address by name (a reauthentication)
 * shares it; released by both, it goes offline; nobody else can */
static void test_shared(void **state)
{
	struct ike_pool *p = pool("10.3.0.1-10.3.0.2");
	struct ike_id c = id("carol@x"), d = id("dave@x");
	struct ip_addr want = ip_of("10.3.0.1"), a;

	assert_string_equal(got(p, "carol@x", 1), "10.3.0.1");
	assert_int_equal(ike_pool_acquire(p, AF_INET, &d, &want, 2, &a), 0);
	assert_true(ip_addr_equal(&a, &(struct ip_addr){ AF_INET, { 10, 3, 0, 2 } }));
	assert_int_equal(ike_pool_acquire(p, AF_INET, &c, &want, 3, &a), 0);
	assert_true(ip_addr_equal(&a, &want));
	assert_int_equal(ike_pool_online(p), 2);
	/* the same SA twice: not shared with itself */
	assert_int_equal(ike_pool_acquire(p, AF_INET, &c, &want, 3, &a), -ENOSPC);
	rel(p, "10.3.0.1", 1, 0);
	assert_int_equal(ike_pool_online(p), 2);   /* SA 3 still has it */
	rel(p, "10.3.0.1", 1, -ENOENT);
	rel(p, "10.3.0.1", 3, 0);
	assert_int_equal(ike_pool_online(p), 1);
	assert_int_equal(ike_pool_offline(p), 1);
	ike_pool_free(p);
}

static void test_ipv6(void **state)
{
	struct ike_pool *p = pool("fd00:3::/120");
	char buf[1024];
	FILE *f;

	assert_int_equal(ike_pool_size(p), 254);
	assert_string_equal(got(p, "a@x", 1), "fd00:3::1");
	assert_string_equal(got(p, "b@x", 2), "fd00:3::2");
	rel(p, "fd00:3::1", 1, 0);
	f = fmemopen(buf, sizeof(buf), "w");
	ike_pool_list(p, f);
	fclose(f);
	assert_non_null(strstr(buf, "fd00:3::/120"));
	assert_non_null(strstr(buf, "1 / 1 / 254"));
	assert_non_null(strstr(buf, "fd00:3::1"));
	assert_non_null(strstr(buf, "offline  'a@x'"));
	ike_pool_free(p);
	/* a huge prefix is cut to IKE_POOL_SIZE_MAX */
	p = pool("fd00::/64");
	assert_int_equal(ike_pool_size(p), IKE_POOL_SIZE_MAX);
	ike_pool_free(p);
}

static void test_bad(void **state)
{
	struct ike_pool_cfg cfg = { .name = "bad" };
	char err[256];

	assert_int_equal(ip_addr_parse("10.0.0.9", &cfg.from), 0);
	assert_int_equal(ip_addr_parse("10.0.0.1", &cfg.to), 0);
	assert_null(ike_pool_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "empty"));
	assert_int_equal(ip_addr_parse("fd00::1", &cfg.to), 0);
	assert_null(ike_pool_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "family"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_bounds),
		cmocka_unit_test(test_leases),
		cmocka_unit_test(test_requested),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
