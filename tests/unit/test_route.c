/* The rtnetlink requests of io/route.c (policy routing rule and routes in
 * uipsecd's own table) and the destination of io/clear.c's raw sends,
 * checked byte by byte without a socket or privileges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>

#include "io/addr_watch.h"
#include "io/clear.h"
#include "io/route.h"

/* Attribute type -> payload (first match), NULL if absent. */
static const void *attr(const struct nlmsghdr *n, size_t hdrlen, unsigned short type,
                        size_t *len)
{
	const struct rtattr *a = (const struct rtattr *)((const char *)NLMSG_DATA(n) +
	                                                 NLMSG_ALIGN(hdrlen));
	int rem = (int)n->nlmsg_len - (int)NLMSG_LENGTH(NLMSG_ALIGN(hdrlen));

	for (; RTA_OK(a, rem); a = RTA_NEXT(a, rem)) {
		if (a->rta_type == type) {
			*len = RTA_PAYLOAD(a);
			return RTA_DATA(a);
		}
	}
	assert_int_equal(rem, 0);   /* attributes fill the message exactly */
	return NULL;
}

static uint32_t attr_u32(const struct nlmsghdr *n, size_t hdrlen, unsigned short type)
{
	size_t len = 0;
	const void *d = attr(n, hdrlen, type, &len);
	uint32_t v;

	assert_non_null(d);
	assert_int_equal(len, 4);
	memcpy(&v, d, 4);
	return v;
}

static void test_rule_add(void **state)
{
	_Alignas(struct nlmsghdr) char buf[256];
	const struct nlmsghdr *n = (const struct nlmsghdr *)buf;
	const struct fib_rule_hdr *f = NLMSG_DATA(n);
	struct route_rule r = { .family = AF_INET, .prio = 220, .table = 220, .mark = 0x220 };
	size_t len = route_rule_msg(buf, sizeof(buf), true, &r);

	assert_true(len > NLMSG_LENGTH(sizeof(*f)));
	assert_int_equal(len, n->nlmsg_len);
	assert_int_equal(n->nlmsg_type, RTM_NEWRULE);
	assert_int_equal(n->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	assert_int_equal(f->family, AF_INET);
	assert_int_equal(f->action, FR_ACT_TO_TBL);
	assert_int_equal(f->flags, FIB_RULE_INVERT);   /* "not fwmark" */
	assert_int_equal(f->table, 220);
	assert_int_equal(f->dst_len, 0);
	assert_int_equal(f->src_len, 0);
	assert_int_equal(attr_u32(n, sizeof(*f), FRA_PRIORITY), 220);
	assert_int_equal(attr_u32(n, sizeof(*f), FRA_TABLE), 220);
	assert_int_equal(attr_u32(n, sizeof(*f), FRA_FWMARK), 0x220);
	assert_int_equal(attr_u32(n, sizeof(*f), FRA_FWMASK), 0xffffffffu);
}

static void test_rule_del_big_table(void **state)
{
	_Alignas(struct nlmsghdr) char buf[256];
	const struct nlmsghdr *n = (const struct nlmsghdr *)buf;
	const struct fib_rule_hdr *f = NLMSG_DATA(n);
	struct route_rule r = { .family = AF_INET6, .prio = 31000, .table = 100000, .mark = 7 };

	assert_true(route_rule_msg(buf, sizeof(buf), false, &r) > 0);
	assert_int_equal(n->nlmsg_type, RTM_DELRULE);
	assert_int_equal(n->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(f->family, AF_INET6);
	/* more than 8 bits: only in FRA_TABLE */
	assert_int_equal(f->table, RT_TABLE_UNSPEC);
	assert_int_equal(attr_u32(n, sizeof(*f), FRA_TABLE), 100000);
	assert_int_equal(attr_u32(n, sizeof(*f), FRA_PRIORITY), 31000);
	assert_int_equal(attr_u32(n, sizeof(*f), FRA_FWMARK), 7);
	/* too small a buffer: 0, never an overflow */
	assert_int_equal(route_rule_msg(buf, NLMSG_LENGTH(sizeof(*f)) + 8, true, &r), 0);
	assert_int_equal(route_rule_msg(buf, 4, true, &r), 0);
}

static void test_route_in_table(void **state)
{
	_Alignas(struct nlmsghdr) char buf[256];
	const struct nlmsghdr *n = (const struct nlmsghdr *)buf;
	const struct rtmsg *m = NLMSG_DATA(n);
	struct ip_addr p4, p6;
	size_t len;
	const uint8_t *d;

	assert_int_equal(ip_addr_parse("10.2.0.0", &p4), 0);
	assert_int_equal(ip_addr_parse("fd02::", &p6), 0);

	assert_true(route_msg(buf, sizeof(buf), true, 7, 220, &p4, 24) > 0);
	assert_int_equal(n->nlmsg_type, RTM_NEWROUTE);
	assert_int_equal(n->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	assert_int_equal(m->rtm_family, AF_INET);
	assert_int_equal(m->rtm_dst_len, 24);
	assert_int_equal(m->rtm_table, 220);
	assert_int_equal(m->rtm_scope, RT_SCOPE_LINK);
	assert_int_equal(attr_u32(n, sizeof(*m), RTA_TABLE), 220);
	assert_int_equal(attr_u32(n, sizeof(*m), RTA_OIF), 7);
	d = attr(n, sizeof(*m), RTA_DST, &len);
	assert_non_null(d);
	assert_int_equal(len, 4);
	assert_memory_equal(d, "\x0a\x02\x00\x00", 4);

	assert_true(route_msg(buf, sizeof(buf), false, 9, 70000, &p6, 64) > 0);
	assert_int_equal(n->nlmsg_type, RTM_DELROUTE);
	assert_int_equal(m->rtm_family, AF_INET6);
	assert_int_equal(m->rtm_table, RT_TABLE_UNSPEC);
	assert_int_equal(attr_u32(n, sizeof(*m), RTA_TABLE), 70000);
	d = attr(n, sizeof(*m), RTA_DST, &len);
	assert_non_null(d);
	assert_int_equal(len, 16);
	assert_memory_equal(d, p6.a, 16);

	/* the main table, as before table 220 */
	assert_true(route_msg(buf, sizeof(buf), true, 7, RT_TABLE_MAIN, &p4, 24) > 0);
	assert_int_equal(m->rtm_table, RT_TABLE_MAIN);
	assert_int_equal(route_msg(buf, 20, true, 7, 220, &p4, 24), 0);
}

static void test_clear_dest(void **state)
{
	uint8_t v4[28] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 6, 0, 0, 10, 1, 0, 2, 10, 2, 0, 2 };
	uint8_t v6[48] = { 0x60 };
	uint8_t dst[16];
	int fam = 0;

	assert_int_equal(clear_dest(v4, sizeof(v4), &fam, dst), 0);
	assert_int_equal(fam, AF_INET);
	assert_memory_equal(dst, "\x0a\x02\x00\x02", 4);

	memset(v6 + 24, 0xfd, 16);
	assert_int_equal(clear_dest(v6, sizeof(v6), &fam, dst), 0);
	assert_int_equal(fam, AF_INET6);
	assert_memory_equal(dst, v6 + 24, 16);

	/* short, bad IHL, IHL beyond the data, not IP */
	assert_int_equal(clear_dest(v4, 19, &fam, dst), -EINVAL);
	v4[0] = 0x44;
	assert_int_equal(clear_dest(v4, sizeof(v4), &fam, dst), -EINVAL);
	v4[0] = 0x48;
	assert_int_equal(clear_dest(v4, sizeof(v4), &fam, dst), -EINVAL);
	v4[0] = 0x55;
	assert_int_equal(clear_dest(v4, sizeof(v4), &fam, dst), -EINVAL);
	assert_int_equal(clear_dest(v6, 39, &fam, dst), -EINVAL);
	assert_int_equal(clear_dest(v6, 0, &fam, dst), -EINVAL);
}

/* MOBIKE's address events: address and route messages count, others
 * (links) do not, and a header whose length overruns the buffer ends
 * the walk. */
static void test_addr_watch_count(void **state)
{
	union {
		struct nlmsghdr h;
		unsigned char b[256];
	} buf;
	static const uint16_t types[] = { RTM_NEWADDR, RTM_NEWLINK, RTM_DELROUTE, RTM_DELADDR };
	size_t off = 0;

	memset(&buf, 0, sizeof(buf));
	for (unsigned i = 0; i < 4; i++) {
		struct nlmsghdr *h = (struct nlmsghdr *)(buf.b + off);
		h->nlmsg_len = NLMSG_LENGTH(8);
		h->nlmsg_type = types[i];
		off += NLMSG_ALIGN(h->nlmsg_len);
	}
	assert_int_equal(addr_watch_count(buf.b, off), 3);
	assert_int_equal(addr_watch_count(buf.b, 0), 0);
	/* the last one claims more than there is: not counted */
	((struct nlmsghdr *)(buf.b + 3 * NLMSG_ALIGN(NLMSG_LENGTH(8))))->nlmsg_len = 200;
	assert_int_equal(addr_watch_count(buf.b, off), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_add),
		cmocka_unit_test(test_rule_del_big_table),
		cmocka_unit_test(test_route_in_table),
		cmocka_unit_test(test_clear_dest),
		cmocka_unit_test(test_addr_watch_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
