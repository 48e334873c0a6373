/* DNS servers to resolvconf or systemd-resolved (resolve.h). Message from
 * the daemon to the helper (SOCK_SEQPACKET, one set per message): a count
 * byte, then per server its family byte and 16 address bytes; 0 servers:
 * remove. The helper answers each with one line of text that the daemon
 * logs. */
#include "resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

#define MSG_MAX (1 + RESOLVE_SERVERS_MAX * 17)

enum tool { TOOL_RESOLVCONF, TOOL_RESOLVECTL };

struct vip_dns {
	struct ip_addr vip;
	struct ip_addr dns[RESOLVE_SERVERS_MAX];
	unsigned n;
};

struct resolve {
	struct loop *loop;
	int fd;
	pid_t pid;
	struct vip_dns v[RESOLVE_VIPS_MAX];
	unsigned nv;
	struct ip_addr sent[RESOLVE_SERVERS_MAX];
	unsigned nsent;
};

struct helper {
	enum tool tool;
	char path[256];
	char tun[IF_NAMESIZE];
	char iface[128];
};

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
	return false;
}

/* --- the helper process --- */

/* Run argv with text (or nothing) on stdin; wait at most the timeout.
 * Exit status, or -1 (not run), -2 (killed: took too long). */
static int run(char *const argv[], const char *text)
{
	int in[2];
	pid_t pid;
	int st;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(in[0], 0);
		if (null >= 0)
			dup2(null, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	/* well under PIPE_BUF: written whole without blocking */
	if (text && write(in[1], text, strlen(text)) < 0)
		(void)0;
	close(in[1]);
	for (int i = 0; i < RESOLVE_TOOL_TIMEOUT_S * 50; i++) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		if (w < 0 && errno != EINTR)
			return -1;
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -2;
}

/* Apply one set (n 0: remove); the answer line into res. */
static void apply(const struct helper *h, const struct ip_addr *dns, unsigned n, char *res,
                  size_t len)
{
	char addrs[RESOLVE_SERVERS_MAX][IP_ADDR_STRLEN], text[MSG_MAX * 4] = "";
	char *argv[RESOLVE_SERVERS_MAX + 4];
	char cmd[200];
	unsigned k = 0;
	int rc;

	for (unsigned i = 0; i < n; i++)
		ip_addr_fmt(&dns[i], addrs[i]);
	argv[k++] = (char *)h->path;
	if (h->tool == TOOL_RESOLVCONF) {
		argv[k++] = n ? "-a" : "-d";
		argv[k++] = (char *)h->iface;
		for (unsigned i = 0; i < n; i++) {
			size_t l = strlen(text);
			snprintf(text + l, sizeof(text) - l, "nameserver %s\n", addrs[i]);
		}
		snprintf(cmd, sizeof(cmd), "resolvconf %s %.100s", argv[1], h->iface);
	} else {
		argv[k++] = n ? "dns" : "revert";
		argv[k++] = (char *)h->tun;
		for (unsigned i = 0; i < n; i++)
			argv[k++] = addrs[i];
		snprintf(cmd, sizeof(cmd), "resolvectl %s %s", argv[1], h->tun);
	}
	argv[k] = NULL;
	rc = run(argv, n && h->tool == TOOL_RESOLVCONF ? text : NULL);
	if (rc == 0)
		snprintf(res, len, "I%.200s: done%s", cmd, n ? ", DNS servers " : "");
	else if (rc == -2)
		snprintf(res, len, "W%.200s: killed after %d s", cmd, RESOLVE_TOOL_TIMEOUT_S);
	else if (rc == -1)
		snprintf(res, len, "W%.200s: cannot run it: %.200s", cmd, strerror(errno));
	else
		snprintf(res, len, "W%.200s: exit status %d", cmd, rc);
	if (rc == 0 && n) {
		size_t l = strlen(res);
		for (unsigned i = 0; i < n && l < len; i++, l = strlen(res))
			snprintf(res + l, len - l, "%s%.46s", i ? " " : "", addrs[i]);
	}
}

static void helper_main(int fd, const struct helper *h)
{
	uint8_t m[MSG_MAX];
	bool added = false;
	sigset_t none;

	/* the daemon's signal mask and handlers are not the tool's */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);   /* a ^C to the terminal: the daemon tells us */
	for (;;) {
		struct ip_addr dns[RESOLVE_SERVERS_MAX];
		char res[512];
		ssize_t len = recv(fd, m, sizeof(m), 0);
		unsigned n;

		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			break;
		n = m[0];
		if (n > RESOLVE_SERVERS_MAX || (size_t)len != 1 + 17u * n)
			continue;   /* not from our daemon */
		for (unsigned i = 0; i < n; i++) {
			memset(&dns[i], 0, sizeof(dns[i]));
			dns[i].family = m[1 + 17 * i] == AF_INET6 ? AF_INET6 : AF_INET;
			memcpy(dns[i].a, &m[2 + 17 * i], 16);
		}
		apply(h, dns, n, res, sizeof(res));
		added = n > 0;
		if (send(fd, res, strlen(res), MSG_NOSIGNAL) < 0)
			(void)0;
	}
	/* the daemon went: take back what we added */
	if (added) {
		char res[512];
		apply(h, NULL, 0, res, sizeof(res));
	}
	_exit(0);
}

/* --- the daemon's side --- */

static void on_answer(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct resolve *r = arg;
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	if (n > 0) {
		buf[n] = 0;
		if (buf[0] == 'I')
			log_info("resolve: %s", buf + 1);
		else
			log_warn("resolve: %s", buf + 1);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	(void)events;
	log_warn("resolve: the helper process is gone; DNS servers are only logged from now on");
	loop_del_fd(l, fd);
	close(fd);
	r->fd = -1;
}

struct resolve *resolve_start(struct loop *l, bool enable, const char *tun, const char *iface)
{
	struct helper h = { 0 };
	struct resolve *r;
	int sv[2];
	pid_t pid;

	if (!enable) {
		log_info("resolve: off (uipsecd.resolve.enable = no): DNS servers are only logged");
		return NULL;
	}
	if (find_tool("resolvconf", h.path, sizeof(h.path)))
		h.tool = TOOL_RESOLVCONF;
	else if (find_tool("resolvectl", h.path, sizeof(h.path)))
		h.tool = TOOL_RESOLVECTL;
	else {
		log_info("resolve: neither resolvconf nor resolvectl found: DNS servers are only logged");
		return NULL;
	}
	snprintf(h.tun, sizeof(h.tun), "%s", tun);
	if (iface && *iface)
		snprintf(h.iface, sizeof(h.iface), "%s", iface);
	else
		snprintf(h.iface, sizeof(h.iface), "%s.uipsec", tun);
	r = calloc(1, sizeof(*r));
	if (!r || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warn("resolve: cannot make the helper's socket: %s", strerror(errno));
		free(r);
		return NULL;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		log_warn("resolve: cannot fork the helper: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		free(r);
		return NULL;
	}
	if (pid == 0) {
		/* nothing of the daemon's but the standard descriptors */
		if (dup2(sv[1], 3) < 0)
			_exit(1);
		close_range(4, ~0u, 0);
		helper_main(3, &h);
	}
	close(sv[1]);
	r->loop = l;
	r->fd = sv[0];
	r->pid = pid;
	if (fcntl(r->fd, F_SETFL, O_NONBLOCK) < 0 || loop_add_fd(l, r->fd, EPOLLIN, on_answer, r) < 0)
		log_warn("resolve: cannot watch the helper's answers");
	log_info("resolve: DNS servers go to %s (%s, helper pid %d)", h.path,
	         h.tool == TOOL_RESOLVCONF ? h.iface : h.tun, (int)pid);
	return r;
}

static void send_union(struct resolve *r)
{
	struct ip_addr u[RESOLVE_SERVERS_MAX];
	uint8_t m[MSG_MAX];
	unsigned nu = 0;

	for (unsigned i = 0; i < r->nv; i++)
		for (unsigned k = 0; k < r->v[i].n && nu < RESOLVE_SERVERS_MAX; k++) {
			bool dup = false;
			for (unsigned j = 0; j < nu; j++)
				dup |= ip_addr_equal(&u[j], &r->v[i].dns[k]);
			if (!dup)
				u[nu++] = r->v[i].dns[k];
		}
	if (nu == r->nsent) {
		bool same = true;
		for (unsigned j = 0; j < nu; j++)
			same &= ip_addr_equal(&u[j], &r->sent[j]);
		if (same)
			return;
	}
	m[0] = (uint8_t)nu;
	for (unsigned j = 0; j < nu; j++) {
		m[1 + 17 * j] = u[j].family;
		memcpy(&m[2 + 17 * j], u[j].a, 16);
	}
	if (r->fd < 0 || write(r->fd, m, 1 + 17 * nu) < 0) {
		log_warn("resolve: cannot reach the helper (%s): DNS servers not %s",
		         r->fd < 0 ? "gone" : strerror(errno), nu ? "set" : "removed");
		return;
	}
	memcpy(r->sent, u, sizeof(u[0]) * nu);
	r->nsent = nu;
}

void resolve_set(struct resolve *r, const struct ip_addr *vip, const struct ip_addr *dns,
                 unsigned n)
{
	unsigned i;

	if (!r)
		return;
	for (i = 0; i < r->nv && !ip_addr_equal(&r->v[i].vip, vip); i++)
		;
	if (!n) {
		if (i == r->nv)
			return;
		r->v[i] = r->v[--r->nv];
	} else {
		if (i == r->nv) {
			if (r->nv == RESOLVE_VIPS_MAX) {
				log_warn("resolve: more than %d virtual IPs with DNS servers: those of the "
				         "newest not set", RESOLVE_VIPS_MAX);
				return;
			}
			r->nv++;
		}
		r->v[i].vip = *vip;
		r->v[i].n = n < RESOLVE_SERVERS_MAX ? n : RESOLVE_SERVERS_MAX;
		memcpy(r->v[i].dns, dns, sizeof(dns[0]) * r->v[i].n);
	}
	send_union(r);
}

void resolve_free(struct resolve *r)
{
	if (!r)
		return;
	if (r->fd >= 0) {
		loop_del_fd(r->loop, r->fd);
		close(r->fd);
	}
	free(r);
}
