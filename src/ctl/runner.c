/* The privileged helper process (runner.h): the request decoder, the one
 * spawner, the helper's loop and the daemon's end of the socket. */
#include "ctl/runner.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ------------------------------------------------------------ requests */

/* The string at buf[*off] ended by a NUL before len; *off past it. */
static const char *take_str(const uint8_t *buf, size_t len, size_t *off)
{
	const uint8_t *nul;

	if (*off >= len || !(nul = memchr(buf + *off, '\0', len - *off)))
		return NULL;
	const char *s = (const char *)buf + *off;
	*off = (size_t)(nul - buf) + 1;
	return s;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > RUNNER_NAME_MAX || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || c == '/')
			return false;
	}
	return true;
}

int runner_decode(const uint8_t *buf, size_t len, struct runner_req *req)
{
	size_t off = 1;

	memset(req, 0, sizeof(*req));
	if (!len)
		return -EINVAL;
	switch (buf[0]) {
	case RUNNER_UPDOWN:
		req->kind = RUNNER_UPDOWN;
		if (!(req->cmd = take_str(buf, len, &off)) || !req->cmd[0])
			return -EINVAL;
		while (off < len) {
			const char *e = take_str(buf, len, &off);
			if (!e || !strchr(e, '=') || e[0] == '=')
				return -EINVAL;
			if (req->nenv == RUNNER_ENV_MAX)
				return -E2BIG;
			req->env[req->nenv++] = e;
		}
		req->env[req->nenv] = NULL;
		return 0;
	case RUNNER_DNS:
		req->kind = RUNNER_DNS;
		if (!(req->name = take_str(buf, len, &off)) || !name_ok(req->name) || off >= len)
			return -EINVAL;
		if (buf[off] > RUNNER_DNS_MAX)
			return -E2BIG;
		req->ndns = buf[off++];
		if (len - off != 17u * req->ndns)
			return -EINVAL;
		for (unsigned i = 0; i < req->ndns; i++, off += 17) {
			if (buf[off] != AF_INET && buf[off] != AF_INET6)
				return -EINVAL;
			req->dns[i].family = buf[off];
			memcpy(req->dns[i].a, buf + off + 1, 16);
		}
		return 0;
	default:
		return -EINVAL;
	}
}

int runner_encode_dns(uint8_t *buf, size_t len, const char *name, const struct ip_addr *dns,
                      unsigned n)
{
	size_t nl = strlen(name) + 1, need = 1 + nl + 1 + 17u * n;

	if (!name_ok(name))
		return -EINVAL;
	if (n > RUNNER_DNS_MAX || need > len)
		return -ENOSPC;
	buf[0] = RUNNER_DNS;
	memcpy(buf + 1, name, nl);
	buf[1 + nl] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		if (dns[i].family != AF_INET && dns[i].family != AF_INET6)
			return -EINVAL;
		buf[2 + nl + 17 * i] = dns[i].family;
		memcpy(buf + 3 + nl + 17 * i, dns[i].a, 16);
	}
	return (int)need;
}

/* ------------------------------------------------------------ the spawner */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Log what the program wrote, line by line (kept: a partial line). */
static void log_lines(const char *tag, char *buf, size_t *have, bool flush)
{
	char *p = buf, *nl;

	while ((nl = memchr(p, '\n', *have - (size_t)(p - buf)))) {
		*nl = '\0';
		log_info("%s: %s", tag, p);
		p = nl + 1;
	}
	size_t rest = *have - (size_t)(p - buf);
	if (flush && rest) {
		p[rest] = '\0';
		log_info("%s: %s", tag, p);
		rest = 0;
	}
	memmove(buf, p, rest);
	*have = rest;
}

/* Wait for pid until deadline; then SIGTERM its group, and SIGKILL. */
static int reap(const struct runner_spawn *s, pid_t pid, uint64_t deadline)
{
	int st = 0;
	bool termed = false;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		uint64_t now = mono_ms();
		if (now >= deadline) {
			if (termed) {
				log_warn("%s still runs %us after SIGTERM: killed", s->what, s->kill_s);
				kill(-pid, SIGKILL);
				while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
					;
				return st;
			}
			log_warn("%s still runs after %us: terminated", s->what, s->timeout_s);
			kill(-pid, SIGTERM);
			termed = true;
			deadline = now + s->kill_s * 1000u;
		}
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

int runner_spawn(const struct runner_spawn *s)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int out[2], in[2] = { -1, -1 }, r;
	pid_t pid;
	char buf[1024];
	size_t have = 0, inlen = s->in ? strlen(s->in) : 0, inoff = 0;

	if (pipe2(out, O_CLOEXEC) < 0) {
		log_err("%s: cannot make a pipe: %s", s->what, strerror(errno));
		return -1;
	}
	if (s->in && pipe2(in, O_CLOEXEC) < 0) {
		log_err("%s: cannot make a pipe: %s", s->what, strerror(errno));
		close(out[0]);
		close(out[1]);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	if (s->in)
		posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, out[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	/* nothing of uipsecd's (handed-over descriptors, loggers) reaches it */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setpgroup(&at, 0);   /* its own group: a timeout stops all of it */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	                         POSIX_SPAWN_SETPGROUP);
	r = posix_spawn(&pid, s->path, &fa, &at, s->argv, s->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(out[1]);
	if (s->in) {
		close(in[0]);
		fcntl(in[1], F_SETFL, O_NONBLOCK);
	}
	if (r) {
		log_err("%s: cannot run %s: %s", s->what, s->path, strerror(r));
		close(out[0]);
		if (s->in)
			close(in[1]);
		return -1;
	}
	if (s->in && !inlen) {
		close(in[1]);
		in[1] = -1;
	}
	uint64_t deadline = mono_ms() + s->timeout_s * 1000u;
	for (;;) {
		uint64_t now = mono_ms();
		if (now >= deadline)
			break;
		struct pollfd pf[2] = { { .fd = out[0], .events = POLLIN },
			                { .fd = in[1], .events = POLLOUT } };
		int n = poll(pf, in[1] >= 0 ? 2 : 1, (int)(deadline - now));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (in[1] >= 0 && pf[1].revents) {
			ssize_t w = write(in[1], s->in + inoff, inlen - inoff);
			if (w > 0)
				inoff += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || inoff == inlen) {
				close(in[1]);   /* all written, or it does not read: its EOF */
				in[1] = -1;
			}
		}
		if (!pf[0].revents)
			continue;
		ssize_t got = read(out[0], buf + have, sizeof(buf) - 1 - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;   /* EOF: it (and what it started) closed its output */
		have += (size_t)got;
		if (have == sizeof(buf) - 1) {   /* a long line: log what is there */
			buf[have] = '\0';
			log_info("%s: %s", s->tag, buf);
			have = 0;
		}
		log_lines(s->tag, buf, &have, false);
	}
	log_lines(s->tag, buf, &have, true);
	close(out[0]);
	if (in[1] >= 0)
		close(in[1]);
	int st = reap(s, pid, deadline);
	if (st < 0)
		log_err("%s: cannot wait for it: %s", s->what, strerror(errno));
	else if (WIFEXITED(st) && WEXITSTATUS(st))
		log_warn("%s exited with status %d", s->what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		log_warn("%s killed by signal %d", s->what, WTERMSIG(st));
	return st;
}

/* ------------------------------------------------------------ the helper */

struct helper {
	enum runner_tool tool;
	const char *path;
	char added[RUNNER_NAME_MAX + 1];   /* servers set for this name; "": none */
};

static void run_updown(const struct runner_req *q)
{
	char what[300];
	char *argv[] = { "/bin/sh", "-c", (char *)q->cmd, NULL };

	snprintf(what, sizeof(what), "updown script '%.250s'", q->cmd);
	runner_spawn(&(struct runner_spawn){ .path = "/bin/sh", .argv = argv,
	                                     .envp = (char *const *)q->env, .tag = "updown",
	                                     .what = what, .timeout_s = RUNNER_UPDOWN_TIMEOUT_S,
	                                     .kill_s = RUNNER_KILL_S });
}

/* resolvconf -a NAME with "nameserver X" lines on stdin, -d NAME; or
 * resolvectl dns NAME X..., revert NAME. */
static void run_dns(struct helper *h, const char *name, const struct ip_addr *dns, unsigned n)
{
	char addrs[RUNNER_DNS_MAX][IP_ADDR_STRLEN], text[RUNNER_DNS_MAX * (IP_ADDR_STRLEN + 12) + 1];
	char *argv[RUNNER_DNS_MAX + 4], what[200], list[RUNNER_DNS_MAX * IP_ADDR_STRLEN + 1] = "";
	unsigned k = 0;
	size_t tl = 0;

	if (h->tool == RUNNER_TOOL_NONE) {
		log_warn("resolve: no resolvconf or resolvectl: DNS servers not %s", n ? "set" : "removed");
		return;
	}
	text[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		ip_addr_fmt(&dns[i], addrs[i]);
		tl += (size_t)snprintf(text + tl, sizeof(text) - tl, "nameserver %s\n", addrs[i]);
		size_t ll = strlen(list);
		snprintf(list + ll, sizeof(list) - ll, "%s%s", i ? " " : "", addrs[i]);
	}
	argv[k++] = (char *)h->path;
	if (h->tool == RUNNER_TOOL_RESOLVCONF) {
		argv[k++] = n ? "-a" : "-d";
		argv[k++] = (char *)name;
		snprintf(what, sizeof(what), "resolve: resolvconf %s %s", argv[1], name);
	} else {
		argv[k++] = n ? "dns" : "revert";
		argv[k++] = (char *)name;
		for (unsigned i = 0; i < n; i++)
			argv[k++] = addrs[i];
		snprintf(what, sizeof(what), "resolve: resolvectl %s %s", argv[1], name);
	}
	argv[k] = NULL;
	int st = runner_spawn(&(struct runner_spawn){
		.path = h->path, .argv = argv, .envp = environ,
		.in = n && h->tool == RUNNER_TOOL_RESOLVCONF ? text : NULL, .tag = "resolve",
		.what = what, .timeout_s = RUNNER_DNS_TIMEOUT_S, .kill_s = RUNNER_KILL_S });
	if (st >= 0 && WIFEXITED(st) && !WEXITSTATUS(st))
		log_info("%s: done%s%s", what, n ? ", DNS servers " : "", list);
	if (n)
		snprintf(h->added, sizeof(h->added), "%s", name);
	else
		h->added[0] = '\0';
}

static void helper_main(int fd, struct helper *h)
{
	static uint8_t msg[RUNNER_MSG_MAX];
	static struct runner_req q;
	sigset_t none;

	prctl(PR_SET_NAME, "uipsecd-runner", 0, 0, 0);
	/* the daemon's signal handlers and mask are not ours; it ends when
	 * the daemon closes its end, after what was queued: the signals that
	 * stop the daemon (a terminal's ^C reaches the whole group) must not
	 * stop the "down" scripts of its shutdown or the DNS clean-up */
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (;;) {
		ssize_t n = recv(fd, msg, sizeof(msg), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		int r = runner_decode(msg, (size_t)n, &q);
		if (r < 0) {
			log_warn("runner: request of %zd bytes refused: %s", n, strerror(-r));
			continue;
		}
		if (q.kind == RUNNER_UPDOWN)
			run_updown(&q);
		else
			run_dns(h, q.name, q.dns, q.ndns);
	}
	/* the daemon went (stopped or died): take back what we added */
	if (h->added[0]) {
		char name[sizeof(h->added)];
		snprintf(name, sizeof(name), "%s", h->added);
		run_dns(h, name, NULL, 0);
	}
	_exit(0);
}

/* ------------------------------------------------------------ the daemon side */

/* name in a directory of $PATH (or the default path), executable. */
static bool find_tool(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path && *path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	for (char *save = NULL, *dir = strtok_r(buf, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		if ((size_t)snprintf(out, len, "%s/%s", dir, name) < len && access(out, X_OK) == 0)
			return true;
	}
	out[0] = '\0';
	return false;
}

int runner_start(struct runner *r, const int *close_fds, size_t nclose)
{
	struct helper h = { 0 };
	int sv[2];
	pid_t pid;

	r->fd = -1;
	r->pid = 0;
	if (find_tool("resolvconf", r->tool_path, sizeof(r->tool_path)))
		r->tool = RUNNER_TOOL_RESOLVCONF;
	else if (find_tool("resolvectl", r->tool_path, sizeof(r->tool_path)))
		r->tool = RUNNER_TOOL_RESOLVECTL;
	else
		r->tool = RUNNER_TOOL_NONE;
	h.tool = r->tool;
	h.path = r->tool_path;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* room for the requests of many CHILD SAs at once (a gateway's restart) */
	int sz = 1 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	if (pid == 0) {
		close(sv[0]);
		for (size_t i = 0; i < nclose; i++)
			if (close_fds[i] >= 0 && close_fds[i] != sv[1])
				close(close_fds[i]);
		helper_main(sv[1], &h);
	}
	close(sv[1]);
	r->fd = sv[0];
	r->pid = pid;
	return 0;
}

int runner_send(struct runner *r, const void *msg, size_t len)
{
	if (!r || r->fd < 0)
		return -ENOTCONN;
	if (len > RUNNER_MSG_MAX)
		return -EMSGSIZE;
	if (send(r->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return 0;
}

void runner_stop(struct runner *r, unsigned wait_ms)
{
	char c;

	if (r->fd < 0)
		return;
	/* our end closed for writing: the helper sees the end after what is
	 * queued, runs it and exits, which closes its end */
	shutdown(r->fd, SHUT_WR);
	fcntl(r->fd, F_SETFL, O_NONBLOCK);
	for (unsigned t = 0; t < wait_ms; t += 20) {
		ssize_t n = read(r->fd, &c, 1);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
	close(r->fd);
	r->fd = -1;
}
