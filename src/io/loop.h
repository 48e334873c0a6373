/* The event loop: one epoll instance per thread, with file descriptor
 * callbacks, timers (one timerfd each) and signals (one signalfd).
 *
 * Ownership: the loop owns its handler records, never the file descriptors
 * registered with it (the caller closes them after loop_del_fd()).
 * Callbacks run on the thread that calls loop_run(). A callback may add or
 * delete any registration, including its own; deleted records are freed
 * after the current batch of events. */
#ifndef UIPSEC_IO_LOOP_H
#define UIPSEC_IO_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_timer;

/* events: EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP as reported by epoll. */
typedef void (*loop_fd_fn)(struct loop *l, int fd, uint32_t events, void *arg);
typedef void (*loop_timer_fn)(struct loop *l, struct loop_timer *t, void *arg);
/* A signal and who sent it (signalfd_siginfo: ssi_code SI_USER, SI_KERNEL,
 * ...; ssi_pid and ssi_uid of the sender), so that a daemon can ignore
 * senders it does not trust. */
struct loop_sig {
	int signo;
	int32_t code;
	uint32_t pid, uid;
};
typedef void (*loop_signal_fn)(struct loop *l, const struct loop_sig *sig, void *arg);

/* NULL on failure (errno set). */
struct loop *loop_new(void);
/* Frees every timer and handler record; closes the timerfds and signalfd
 * it created itself, not the caller's descriptors. */
void loop_free(struct loop *l);

/* Watch fd for events (EPOLLIN, EPOLLOUT). 0 or -errno. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg);
/* Change the events watched on fd. 0 or -ENOENT/-errno. */
int loop_mod_fd(struct loop *l, int fd, uint32_t events);
/* Stop watching fd. 0 or -ENOENT. */
int loop_del_fd(struct loop *l, int fd);

/* A timer that calls fn when it fires. Not armed yet. NULL on failure. */
struct loop_timer *loop_timer_new(struct loop *l, loop_timer_fn fn, void *arg);
/* First expiry after first_ms milliseconds, then every interval_ms (0 =
 * one-shot). first_ms 0 disarms. 0 or -errno. */
int loop_timer_arm(struct loop_timer *t, uint64_t first_ms, uint64_t interval_ms);
void loop_timer_free(struct loop_timer *t);

/* Block SIGTERM, SIGINT and SIGHUP (and ignore SIGPIPE) for this thread and
 * deliver them through fn. Call before starting other threads. 0 or -errno. */
int loop_signals(struct loop *l, loop_signal_fn fn, void *arg);

/* Call enter(ctx) before dispatching each batch of events and leave(ctx)
 * after it (NULL: none). The gateway's workers use it to take a lock
 * around everything the loop's callbacks do (dp/gw.c). */
void loop_set_guard(struct loop *l, void (*enter)(void *ctx), void (*leave)(void *ctx),
                    void *ctx);

/* Dispatch events until loop_stop(). Returns 0, or -errno if epoll fails. */
int loop_run(struct loop *l);
/* Make loop_run() return after the current batch of events. */
void loop_stop(struct loop *l);
/* Wait at most timeout_ms (-1 forever) and dispatch one batch. Returns the
 * number of events dispatched or -errno. For tests and embedding. */
int loop_run_once(struct loop *l, int timeout_ms);

#endif
