/* Acquire rate limiting: one acquire per (policy, template daddr, reqid)
 * per hold time; forget re-arms; a full table errs towards sending. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "xfrm/acquire.h"
#include "xfrm/spd.h"

static void mk(struct spd_policy *p, struct xfrm_tmpl *t, uint32_t index, uint32_t reqid,
               const char *daddr)
{
	memset(p, 0, sizeof(*p));
	memset(t, 0, sizeof(*t));
	p->index = index;
	t->reqid = reqid;
	assert_int_equal(ip_addr_parse(daddr, &t->daddr), 0);
}

static void test_hold(void **state)
{
	struct xfrm_acquire_limiter *l = xfrm_acquire_limiter_new(64, 0);
	struct spd_policy p, p2;
	struct xfrm_tmpl t, t2;

	(void)state;
	assert_non_null(l);
	mk(&p, &t, 1, 5, "192.0.2.2");
	assert_true(xfrm_acquire_should_send(l, &p, &t, 100));
	assert_false(xfrm_acquire_should_send(l, &p, &t, 100));
	assert_false(xfrm_acquire_should_send(l, &p, &t, 129));   /* default 30 s */
	assert_int_equal(xfrm_acquire_suppressed(l), 2);
	assert_true(xfrm_acquire_should_send(l, &p, &t, 130));
	assert_false(xfrm_acquire_should_send(l, &p, &t, 131));

	/* each part of the key counts */
	mk(&p2, &t2, 9, 5, "192.0.2.2");
	assert_true(xfrm_acquire_should_send(l, &p2, &t2, 131));
	mk(&p2, &t2, 1, 6, "192.0.2.2");
	assert_true(xfrm_acquire_should_send(l, &p2, &t2, 131));
	mk(&p2, &t2, 1, 5, "192.0.2.3");
	assert_true(xfrm_acquire_should_send(l, &p2, &t2, 131));
	mk(&p2, &t2, 1, 5, "2001:db8::2");
	assert_true(xfrm_acquire_should_send(l, &p2, &t2, 131));

	/* forget: by reqid and daddr, then everything */
	struct ip_addr d;
	assert_int_equal(ip_addr_parse("192.0.2.2", &d), 0);
	assert_int_equal(xfrm_acquire_forget(l, 5, &d), 2);       /* index 1 and 9 */
	assert_true(xfrm_acquire_should_send(l, &p, &t, 132));
	assert_int_equal(xfrm_acquire_forget(l, 0, NULL), 4);
	assert_true(xfrm_acquire_should_send(l, &p2, &t2, 132));
	xfrm_acquire_limiter_free(l);
	xfrm_acquire_limiter_free(NULL);
}

static void test_full_table(void **state)
{
	struct xfrm_acquire_limiter *l = xfrm_acquire_limiter_new(16, 10);
	struct spd_policy p;
	struct xfrm_tmpl t;

	(void)state;
	/* far more keys than slots: every new key is sent */
	for (uint32_t i = 1; i <= 1000; i++) {
		mk(&p, &t, i << 3 | 1, i, "192.0.2.2");
		assert_true(xfrm_acquire_should_send(l, &p, &t, 50));
	}
	/* the most recent ones are still held */
	mk(&p, &t, 1000u << 3 | 1, 1000, "192.0.2.2");
	assert_false(xfrm_acquire_should_send(l, &p, &t, 55));
	assert_true(xfrm_acquire_should_send(l, &p, &t, 60));    /* hold 10 s */
	xfrm_acquire_limiter_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hold),
		cmocka_unit_test(test_full_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
