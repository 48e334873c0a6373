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
#include "io/route_get.h"

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
	/* a last message of 37 bytes in a 37-byte read: its 4-byte padding
	 * is past the end, and the walk must stop there rather than let the
	 * remaining length wrap around and read beyond (the fuzzer's find;
	 * ASan builds catch the over-read, all builds the count of 2) */
	memset(&buf, 0, sizeof(buf));
	buf.h.nlmsg_len = 37;
	buf.h.nlmsg_type = RTM_NEWADDR;
	((struct nlmsghdr *)(buf.b + 40))->nlmsg_len = 16;
	((struct nlmsghdr *)(buf.b + 40))->nlmsg_type = RTM_NEWROUTE;
	assert_int_equal(addr_watch_count(buf.b, 37), 1);
}

/* Builds one netlink message of type t with a fixed header of hdrlen
 * bytes (zero) in buf; attributes follow with nl_put. */
union nlbuf {
	struct nlmsghdr h;
	unsigned char b[512];
};

static void nl_start(union nlbuf *m, uint16_t t, size_t hdrlen)
{
	memset(m, 0, sizeof(*m));
	m->h.nlmsg_len = NLMSG_LENGTH(hdrlen);
	m->h.nlmsg_type = t;
}

static void nl_put(union nlbuf *m, unsigned short type, const void *d, size_t len)
{
	struct rtattr *a = (struct rtattr *)(m->b + NLMSG_ALIGN(m->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), d, len);
	m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static void nl_error(union nlbuf *m, int err)
{
	struct nlmsgerr e;

	nl_start(m, NLMSG_ERROR, sizeof(e));
	memset(&e, 0, sizeof(e));
	e.error = err;
	memcpy(NLMSG_DATA(&m->h), &e, sizeof(e));
}

/* The ACK of route/rule/address requests: 0, the kernel's -errno, and
 * a positive or out-of-range error number (malformed) is -EPROTO, not
 * a success nl_talk's callers would take (the fuzzer found it passed
 * through as a positive return). */
static void test_route_ack_parse(void **state)
{
	union nlbuf m;

	(void)state;
	nl_error(&m, 0);
	assert_int_equal(route_ack_parse(m.b, m.h.nlmsg_len), 0);
	nl_error(&m, -EEXIST);
	assert_int_equal(route_ack_parse(m.b, m.h.nlmsg_len), -EEXIST);
	nl_error(&m, 61);
	assert_int_equal(route_ack_parse(m.b, m.h.nlmsg_len), -EPROTO);
	nl_error(&m, -100000);
	assert_int_equal(route_ack_parse(m.b, m.h.nlmsg_len), -EPROTO);
	/* truncated: the error header is cut */
	nl_error(&m, -EEXIST);
	assert_int_equal(route_ack_parse(m.b, NLMSG_LENGTH(2)), -EPROTO);
	assert_int_equal(route_ack_parse(m.b, 0), -EPROTO);
	/* an unaligned last message must end the walk, not wrap the length
	 * and read an ACK past what was received */
	nl_start(&m, RTM_NEWROUTE, 5);
	assert_int_equal(m.h.nlmsg_len, 21);
	((struct nlmsghdr *)(m.b + 24))->nlmsg_len = NLMSG_LENGTH(sizeof(struct nlmsgerr));
	((struct nlmsghdr *)(m.b + 24))->nlmsg_type = NLMSG_ERROR;
	assert_int_equal(route_ack_parse(m.b, 21), -EPROTO);
}

/* route_get's answer: gateway, prefsrc and OIF index from RTA_*, an
 * attribute of the wrong size ignored, one overrunning the message ends
 * the walk, the kernel's error passed on and a malformed error refused. */
static void test_route_answer_parse(void **state)
{
	union nlbuf m;
	struct route_answer a;
	struct rtmsg rm = { .rtm_family = AF_INET, .rtm_type = RTN_UNICAST };
	const uint8_t gw[4] = { 10, 0, 0, 254 }, src[4] = { 10, 0, 0, 1 };
	int oif = 7, idx;

	(void)state;
	nl_start(&m, RTM_NEWROUTE, sizeof(rm));
	memcpy(NLMSG_DATA(&m.h), &rm, sizeof(rm));
	nl_put(&m, RTA_OIF, &oif, sizeof(oif));
	nl_put(&m, RTA_GATEWAY, gw, 4);
	nl_put(&m, RTA_PREFSRC, src, 3);      /* wrong size: ignored */
	assert_int_equal(route_answer_parse(m.b, m.h.nlmsg_len, AF_INET, &a, &idx), 0);
	assert_int_equal(idx, 7);
	assert_int_equal(a.type, RTN_UNICAST);
	assert_true(a.has_gateway);
	assert_int_equal(a.gateway.family, AF_INET);
	assert_memory_equal(a.gateway.a, gw, 4);
	assert_false(a.has_prefsrc);
	assert_string_equal(a.oif, "");
	/* an IPv6 question: the 4-byte gateway does not fit */
	assert_int_equal(route_answer_parse(m.b, m.h.nlmsg_len, AF_INET6, &a, &idx), 0);
	assert_false(a.has_gateway);
	/* the message cut inside the gateway attribute: the walk stops */
	assert_int_equal(route_answer_parse(m.b, m.h.nlmsg_len, AF_INET, &a, &idx), 0);
	m.h.nlmsg_len = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(rm))) + RTA_SPACE(sizeof(int)) + 6;
	assert_int_equal(route_answer_parse(m.b, m.h.nlmsg_len, AF_INET, &a, &idx), 0);
	assert_int_equal(idx, 7);
	assert_false(a.has_gateway);
	/* a header longer than what was received */
	assert_int_equal(route_answer_parse(m.b, m.h.nlmsg_len - 4, AF_INET, &a, &idx), -EBADMSG);
	/* too short for a struct rtmsg */
	nl_start(&m, RTM_NEWROUTE, 4);
	assert_int_equal(route_answer_parse(m.b, m.h.nlmsg_len, AF_INET, &a, &idx), -EBADMSG);
	nl_error(&m, -ENETUNREACH);
	assert_int_equal(route_answer_parse(m.b, m.h.nlmsg_len, AF_INET, &a, &idx), -ENETUNREACH);
	nl_error(&m, 0x3d000000);           /* the fuzzer's input: positive */
	assert_int_equal(route_answer_parse(m.b, m.h.nlmsg_len, AF_INET, &a, &idx), -EBADMSG);
	nl_error(&m, 0);                    /* an ACK is no route */
	assert_int_equal(route_answer_parse(m.b, m.h.nlmsg_len, AF_INET, &a, &idx), -EBADMSG);
}

/* RTM_GETLINK's answer: IFLA_IFNAME copied and terminated, a name longer
 * than the buffer skipped, none at all -ENOENT, other types -EBADMSG. */
static void test_route_link_name_parse(void **state)
{
	union nlbuf m;
	struct ifinfomsg im = { .ifi_index = 2 };
	char name[IF_NAMESIZE];
	const char longname[] = "abcdefghijklmnopqrstuvwxyz";

	(void)state;
	nl_start(&m, RTM_NEWLINK, sizeof(im));
	memcpy(NLMSG_DATA(&m.h), &im, sizeof(im));
	assert_int_equal(route_link_name_parse(m.b, m.h.nlmsg_len, name, sizeof(name)), -ENOENT);
	nl_put(&m, IFLA_IFNAME, longname, sizeof(longname));
	assert_int_equal(route_link_name_parse(m.b, m.h.nlmsg_len, name, sizeof(name)), -ENOENT);
	nl_put(&m, IFLA_IFNAME, "eth0", 4);     /* unterminated: cut to fit */
	assert_int_equal(route_link_name_parse(m.b, m.h.nlmsg_len, name, sizeof(name)), 0);
	assert_string_equal(name, "eth");
	nl_put(&m, IFLA_IFNAME, "eth1", 5);
	m.h.nlmsg_type = RTM_NEWADDR;
	assert_int_equal(route_link_name_parse(m.b, m.h.nlmsg_len, name, sizeof(name)), -EBADMSG);
	assert_int_equal(route_link_name_parse(m.b, 8, name, sizeof(name)), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_add),
		cmocka_unit_test(test_rule_del_big_table),
		cmocka_unit_test(test_route_in_table),
		cmocka_unit_test(test_clear_dest),
		cmocka_unit_test(test_addr_watch_count),
		cmocka_unit_test(test_route_ack_parse),
		cmocka_unit_test(test_route_answer_parse),
		cmocka_unit_test(test_route_link_name_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
