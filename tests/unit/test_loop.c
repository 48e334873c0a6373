/* Event loop: fd callbacks, timers, deleting registrations from callbacks,
 * the guard around batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "io/loop.h"
#include "util/clock.h"

struct fdctx {
	int calls;
	int fd_to_del;   /* delete this fd from inside the callback */
	char last;
};

static void on_fd(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct fdctx *c = arg;
	char ch;

	c->calls++;
	if (read(fd, &ch, 1) == 1)
		c->last = ch;
	if (c->fd_to_del >= 0) {
		loop_del_fd(l, c->fd_to_del);
		c->fd_to_del = -1;
	}
}

static void test_fd_events(void **state)
{
	struct loop *l = loop_new();
	struct fdctx c = { .fd_to_del = -1 };
	int p[2];

	assert_non_null(l);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_add_fd(l, p[0], EPOLLIN, on_fd, &c), 0);
	assert_int_equal(loop_add_fd(l, p[0], EPOLLIN, on_fd, &c), -EEXIST);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(c.calls, 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, 100), 1);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.last, 'x');
	assert_int_equal(loop_del_fd(l, p[0]), 0);
	assert_int_equal(loop_del_fd(l, p[0]), -ENOENT);
	assert_int_equal(write(p[1], "y", 1), 1);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(c.calls, 1);
	loop_free(l);
	close(p[0]);
	close(p[1]);
}

/* loop_set_guard: enter before each batch that has events, leave after
 * it, with every callback in between; nothing for an empty wait. */
struct guard { int depth, enters, leaves, calls_inside; };

static void g_enter(void *ctx) { struct guard *g = ctx; g->enters++; g->depth++; }
static void g_leave(void *ctx) { struct guard *g = ctx; g->leaves++; g->depth--; }
static struct guard *guard_seen;

static void on_fd_guarded(struct loop *l, int fd, uint32_t events, void *arg)
{
	on_fd(l, fd, events, arg);
	if (guard_seen->depth == 1)
		guard_seen->calls_inside++;
}

static void test_guard(void **state)
{
	struct loop *l = loop_new();
	struct fdctx a = { .fd_to_del = -1 }, b = { .fd_to_del = -1 };
	struct guard g = { 0 };
	int p[2], q[2];

	(void)state;
	guard_seen = &g;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	assert_int_equal(loop_add_fd(l, p[0], EPOLLIN, on_fd_guarded, &a), 0);
	assert_int_equal(loop_add_fd(l, q[0], EPOLLIN, on_fd_guarded, &b), 0);
	loop_set_guard(l, g_enter, g_leave, &g);
	assert_int_equal(loop_run_once(l, 0), 0);          /* nothing ready */
	assert_int_equal(g.enters, 0);
	assert_int_equal(write(p[1], "a", 1), 1);
	assert_int_equal(write(q[1], "b", 1), 1);
	assert_int_equal(loop_run_once(l, 100), 2);        /* one batch of two */
	assert_int_equal(g.enters, 1);
	assert_int_equal(g.leaves, 1);
	assert_int_equal(g.depth, 0);
	assert_int_equal(g.calls_inside, 2);
	loop_set_guard(l, NULL, NULL, NULL);
	assert_int_equal(write(p[1], "c", 1), 1);
	assert_int_equal(loop_run_once(l, 100), 1);
	assert_int_equal(g.enters, 1);                      /* removed */
	loop_free(l);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

/* Two fds ready in one batch; the first callback deletes the second: the
 * second must not be called (and nothing is used after free: ASan). */
static void test_delete_in_batch(void **state)
{
	struct loop *l = loop_new();
	struct fdctx a = { .fd_to_del = -1 }, b = { .fd_to_del = -1 };
	int p[2], q[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	assert_int_equal(loop_add_fd(l, p[0], EPOLLIN, on_fd, &a), 0);
	assert_int_equal(loop_add_fd(l, q[0], EPOLLIN, on_fd, &b), 0);
	a.fd_to_del = q[0];
	b.fd_to_del = p[0];
	assert_int_equal(write(p[1], "a", 1), 1);
	assert_int_equal(write(q[1], "b", 1), 1);
	assert_int_equal(loop_run_once(l, 100), 2);
	assert_int_equal(a.calls + b.calls, 1);
	loop_free(l);
	close(p[0]); close(p[1]); close(q[0]); close(q[1]);
}

struct tctx {
	int fired;
	int stop_after;
};

static void on_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	struct tctx *c = arg;

	if (++c->fired == c->stop_after)
		loop_stop(l);
}

static void test_timers(void **state)
{
	struct loop *l = loop_new();
	struct tctx once = { 0 }, per = { .stop_after = 3 };
	struct loop_timer *t1 = loop_timer_new(l, on_timer, &once);
	struct loop_timer *t2 = loop_timer_new(l, on_timer, &per);
	uint64_t start = clock_mono_ns(), el;

	assert_non_null(t1);
	assert_non_null(t2);
	assert_int_equal(loop_timer_arm(t1, 5, 0), 0);
	assert_int_equal(loop_timer_arm(t2, 10, 10), 0);
	assert_int_equal(loop_run(l), 0);
	el = clock_mono_ns() - start;
	assert_int_equal(per.fired, 3);
	assert_int_equal(once.fired, 1);
	assert_true(el >= 29000000ull);
	assert_true(el < 2000000000ull);
	/* disarm, free one: no more calls */
	assert_int_equal(loop_timer_arm(t2, 0, 0), 0);
	loop_timer_free(t1);
	assert_int_equal(loop_run_once(l, 30), 0);
	assert_int_equal(per.fired, 3);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_events),
		cmocka_unit_test(test_delete_in_batch),
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_guard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
