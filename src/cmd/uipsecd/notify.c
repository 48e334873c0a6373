/* sd_notify by hand (see notify.h): no libsystemd, because the protocol
 * is one sendto() of a text datagram and the daemon should not link a
 * library (and its dependencies) for that. The socket is opened at
 * start-up, before the privilege drop and any sandbox; every message is
 * a sendto() on it (the seccomp allow-list must keep sendto on AF_UNIX
 * datagram sockets). The state is process-global: a process has one
 * service manager. Runs on the daemon's loop. */
#include "notify.h"
#include "util/clock.h"
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int sock_fd = -1;
static struct sockaddr_un addr;
static socklen_t addrlen;
static uint64_t watchdog_usec;

static uint64_t parse_u64(const char *s)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	return errno || *end ? 0 : (uint64_t)v;
}

int notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	uint64_t wd = parse_u64(getenv("WATCHDOG_USEC"));
	uint64_t wd_pid = parse_u64(getenv("WATCHDOG_PID"));
	size_t len;
	int r = 0;

	/* WATCHDOG_PID names the process meant; a parent's watchdog is not ours */
	if (wd && (!wd_pid || wd_pid == (uint64_t)getpid()))
		watchdog_usec = wd;
	if (!path || !*path)
		goto out;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr.sun_path) || len < 2) {
		log_warn("NOTIFY_SOCKET '%s' is not a socket path or @abstract name: not notifying",
		         path);
		r = -EINVAL;
		goto out;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path, len);
	if (path[0] == '@')
		addr.sun_path[0] = '\0';   /* abstract: no terminating NUL counted */
	addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
	sock_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock_fd < 0) {
		r = -errno;
		log_warn("notify socket: %s: not notifying", strerror(errno));
	}
out:
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	if (sock_fd < 0)
		watchdog_usec = 0;   /* nobody to ping */
	return r;
}

bool notify_enabled(void)
{
	return sock_fd >= 0;
}

int notify_send(const char *msg)
{
	if (sock_fd < 0)
		return 0;
	if (sendto(sock_fd, msg, strlen(msg), MSG_NOSIGNAL, (const struct sockaddr *)&addr,
	           addrlen) < 0) {
		int r = -errno;
		log_debug("notify: %s", strerror(errno));
		return r;
	}
	return 0;
}

int notify_sendf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (sock_fd < 0)
		return 0;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return notify_send(buf);
}

int notify_ready(const char *status)
{
	if (status)
		return notify_sendf("READY=1\nSTATUS=%s", status);
	return notify_send("READY=1");
}

int notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return notify_sendf("RELOADING=1\nMONOTONIC_USEC=%llu",
	                    (unsigned long long)ts.tv_sec * 1000000ull +
	                    (unsigned long long)ts.tv_nsec / 1000u);
}

uint64_t notify_watchdog_usec(void)
{
	return watchdog_usec;
}

void notify_close(void)
{
	if (sock_fd >= 0)
		close(sock_fd);
	sock_fd = -1;
}
