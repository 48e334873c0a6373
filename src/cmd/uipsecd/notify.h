/* The service manager's notification protocol (sd_notify(3)), written by
 * hand: one datagram of "KEY=value" lines to the AF_UNIX socket named by
 * $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace). Without
 * $NOTIFY_SOCKET every call is a no-op, so uipsecd behaves the same
 * outside systemd.
 *
 * uipsecd sends: READY=1 once the configuration is loaded and every
 * socket is open; STATUS= lines as SAs come and go; RELOADING=1 and
 * READY=1 around a SIGHUP reload; STOPPING=1 at shutdown; WATCHDOG=1
 * from the main loop's timer when $WATCHDOG_USEC asks for it. */
#ifndef UIPSECD_NOTIFY_H
#define UIPSECD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* Read and unset $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID (so
 * that programs uipsecd starts do not talk for it) and open the socket.
 * Call once, early (before dropping privileges). 0, or -errno for a
 * malformed or unusable $NOTIFY_SOCKET (then notifications are off). */
int notify_init(void);
bool notify_enabled(void);
/* Send one datagram of newline-separated assignments. 0 or -errno. */
int notify_send(const char *msg);
int notify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* READY=1 ... with STATUS=status (NULL: none) */
int notify_ready(const char *status);
/* RELOADING=1 and MONOTONIC_USEC=now, as systemd 253's notify-reload wants */
int notify_reloading(void);
/* $WATCHDOG_USEC if it was set for this process, else 0. */
uint64_t notify_watchdog_usec(void);
void notify_close(void);

#endif
