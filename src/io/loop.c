/* Event loop: epoll, timerfd timers and a signalfd.
 *
 * Each registration (fd, timer, signals) is a struct handler that epoll
 * returns in data.ptr. Deleting a handler only marks it dead: the batch of
 * events being dispatched may still point at it, so dead handlers are freed
 * after the batch. Runs on whichever thread calls loop_run(). */
#include "io/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

enum handler_kind { H_FD, H_TIMER, H_SIGNAL };

struct handler {
	struct handler *next;
	enum handler_kind kind;
	bool dead;
	int fd;
	union {
		struct { loop_fd_fn fn; } fd;
		struct { loop_timer_fn fn; struct loop_timer *t; } timer;
		struct { loop_signal_fn fn; } sig;
	} u;
	void *arg;
};

struct loop_timer {
	struct loop *loop;
	struct handler *h;
};

struct loop {
	int epfd;
	bool stop;
	void (*enter)(void *), (*leave)(void *);   /* loop_set_guard */
	void *guard_ctx;
	struct handler *handlers;  /* every live and dead handler */
	unsigned ndead;
};

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

static void handler_close(struct handler *h)
{
	/* Only descriptors the loop created are closed here. */
	if (h->kind != H_FD && h->fd >= 0)
		close(h->fd);
	if (h->kind == H_TIMER)
		free(h->u.timer.t);
}

void loop_free(struct loop *l)
{
	struct handler *h, *n;

	if (!l)
		return;
	for (h = l->handlers; h; h = n) {
		n = h->next;
		handler_close(h);
		free(h);
	}
	close(l->epfd);
	free(l);
}

static struct handler *handler_add(struct loop *l, enum handler_kind kind, int fd,
                                   uint32_t events, void *arg)
{
	struct epoll_event ev = { .events = events };
	struct handler *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->kind = kind;
	h->fd = fd;
	h->arg = arg;
	ev.data.ptr = h;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;
		free(h);
		errno = e;
		return NULL;
	}
	h->next = l->handlers;
	l->handlers = h;
	return h;
}

static void handler_kill(struct loop *l, struct handler *h)
{
	if (h->dead)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, h->fd, NULL);
	h->dead = true;
	l->ndead++;
}

static void reap(struct loop *l)
{
	struct handler **pp = &l->handlers, *h;

	while (l->ndead && (h = *pp)) {
		if (h->dead) {
			*pp = h->next;
			handler_close(h);
			free(h);
			l->ndead--;
		} else {
			pp = &h->next;
		}
	}
}

static struct handler *find_fd(struct loop *l, int fd)
{
	struct handler *h;

	for (h = l->handlers; h; h = h->next)
		if (!h->dead && h->kind == H_FD && h->fd == fd)
			return h;
	return NULL;
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg)
{
	struct handler *h;

	if (find_fd(l, fd))
		return -EEXIST;
	h = handler_add(l, H_FD, fd, events, arg);
	if (!h)
		return -errno;
	h->u.fd.fn = fn;
	return 0;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t events)
{
	struct handler *h = find_fd(l, fd);
	struct epoll_event ev = { .events = events };

	if (!h)
		return -ENOENT;
	ev.data.ptr = h;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	return 0;
}

int loop_del_fd(struct loop *l, int fd)
{
	struct handler *h = find_fd(l, fd);

	if (!h)
		return -ENOENT;
	handler_kill(l, h);
	return 0;
}

struct loop_timer *loop_timer_new(struct loop *l, loop_timer_fn fn, void *arg)
{
	struct loop_timer *t = calloc(1, sizeof(*t));
	int fd;

	if (!t)
		return NULL;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0) {
		free(t);
		return NULL;
	}
	t->loop = l;
	t->h = handler_add(l, H_TIMER, fd, EPOLLIN, arg);
	if (!t->h) {
		close(fd);
		free(t);
		return NULL;
	}
	t->h->u.timer.fn = fn;
	t->h->u.timer.t = t;
	return t;
}

int loop_timer_arm(struct loop_timer *t, uint64_t first_ms, uint64_t interval_ms)
{
	struct itimerspec its = {
		.it_value = { (time_t)(first_ms / 1000), (long)(first_ms % 1000) * 1000000 },
		.it_interval = { (time_t)(interval_ms / 1000), (long)(interval_ms % 1000) * 1000000 },
	};

	if (timerfd_settime(t->h->fd, 0, &its, NULL) < 0)
		return -errno;
	return 0;
}

void loop_timer_free(struct loop_timer *t)
{
	/* The handler owns t and frees it (and closes the timerfd) when reaped. */
	if (t)
		handler_kill(t->loop, t->h);
}

int loop_signals(struct loop *l, loop_signal_fn fn, void *arg)
{
	sigset_t set;
	struct handler *h;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	h = handler_add(l, H_SIGNAL, fd, EPOLLIN, arg);
	if (!h) {
		int e = errno;
		close(fd);
		return -e;
	}
	h->u.sig.fn = fn;
	return 0;
}

static void dispatch(struct loop *l, struct handler *h, uint32_t events)
{
	if (h->dead)
		return;
	switch (h->kind) {
	case H_FD:
		h->u.fd.fn(l, h->fd, events, h->arg);
		break;
	case H_TIMER: {
		uint64_t n;
		if (read(h->fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
			h->u.timer.fn(l, h->u.timer.t, h->arg);
		break;
	}
	case H_SIGNAL: {
		struct signalfd_siginfo si;
		while (read(h->fd, &si, sizeof(si)) == (ssize_t)sizeof(si) && !h->dead) {
			struct loop_sig ls = { .signo = (int)si.ssi_signo, .code = si.ssi_code,
			                       .pid = si.ssi_pid, .uid = si.ssi_uid };
			h->u.sig.fn(l, &ls, h->arg);
		}
		break;
	}
	}
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[64];
	int n, i;

	n = epoll_wait(l->epfd, evs, 64, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n && l->enter)
		l->enter(l->guard_ctx);
	for (i = 0; i < n; i++)
		dispatch(l, evs[i].data.ptr, evs[i].events);
	reap(l);
	if (n && l->leave)
		l->leave(l->guard_ctx);
	return n;
}

int loop_run(struct loop *l)
{
	int r;

	l->stop = false;
	while (!l->stop) {
		r = loop_run_once(l, -1);
		if (r < 0)
			return r;
	}
	return 0;
}

void loop_set_guard(struct loop *l, void (*enter)(void *ctx), void (*leave)(void *ctx),
                    void *ctx)
{
	l->enter = enter;
	l->leave = leave;
	l->guard_ctx = ctx;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
