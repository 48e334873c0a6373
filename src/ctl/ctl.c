/* Control socket server: accepts connections, frames VICI packets, runs
 * commands, fans out events. Runs on the control loop. See ctl.h. */
#include "ctl/ctl.h"
#include "io/loop.h"
#include "util/bytes.h"
#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_MAX_CMDS 80
#define CTL_MAX_EVENTS 32   /* struct ctl_conn's events is a 32-bit mask */

struct ctl_conn {
	struct ctl_conn *next;
	struct ctl_server *srv;
	int fd;
	uint8_t *rx;            /* 4-byte length + packet being received */
	size_t rx_len, rx_cap;
	uint8_t *tx;            /* queued bytes not yet written */
	size_t tx_off, tx_len, tx_cap;
	uint32_t events;        /* bit i: registered for event i */
	bool closing;
	bool deferred;           /* a command answers later: nothing read meanwhile */
	bool handler_deferred;   /* set by ctl_conn_defer inside the handler */
	void *data;
	void (*data_free)(void *);
};

struct ctl_server {
	struct loop *loop;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;              /* of the socket file we bound: unlinked at the */
	ino_t ino;              /* end only if it is still that one */
	unsigned nconns;
	struct ctl_conn *conns;
	struct { char name[64]; ctl_cmd_fn fn; void *ctx; } cmds[CTL_MAX_CMDS];
	unsigned ncmds;
	struct { char name[64]; ctl_event_fn fn; void *ctx; unsigned listeners; }
		evs[CTL_MAX_EVENTS];
	unsigned nevs;
	uint64_t events_dropped;
	void (*close_fn)(void *ctx, struct ctl_conn *c);
	void *close_ctx;
};

static void conn_close(struct ctl_conn *c);

/* ------------------------------------------------------------- output */

static int tx_append(struct ctl_conn *c, const uint8_t *d, size_t n, bool droppable)
{
	size_t pending = c->tx_len - c->tx_off;

	if (pending + n > CTL_TX_MAX) {
		if (droppable) {
			c->srv->events_dropped++;
			return -ENOBUFS;
		}
		c->closing = true;
		return -ENOBUFS;
	}
	if (c->tx_off && c->tx_off == c->tx_len)
		c->tx_off = c->tx_len = 0;
	if (c->tx_len + n > c->tx_cap) {
		/* compact first, then grow */
		if (c->tx_off) {
			memmove(c->tx, c->tx + c->tx_off, pending);
			c->tx_len = pending;
			c->tx_off = 0;
		}
		/* responses may carry keys (xfrm state, keys --wireshark): the
		 * old copy is wiped */
		if (mem_grow_wipe((void **)&c->tx, &c->tx_cap, c->tx_len, c->tx_len + n, 4096)) {
			c->closing = true;
			return -ENOMEM;
		}
	}
	memcpy(c->tx + c->tx_len, d, n);
	c->tx_len += n;
	return 0;
}

static void conn_flush(struct ctl_conn *c)
{
	while (c->tx_off < c->tx_len) {
		ssize_t n = send(c->fd, c->tx + c->tx_off, c->tx_len - c->tx_off,
		                 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			c->closing = true;
			return;
		}
		c->tx_off += (size_t)n;
	}
	/* no EPOLLIN while an answer is deferred (nothing is read then); a
	 * client that closes still shows as EPOLLHUP */
	loop_mod_fd(c->srv->loop, c->fd, (c->deferred ? 0 : EPOLLIN) |
	                                 (c->tx_off < c->tx_len ? EPOLLOUT : 0));
}

static void send_simple(struct ctl_conn *c, enum vici_packet_type type)
{
	uint8_t b[5] = { 0, 0, 0, 1, (uint8_t)type };

	tx_append(c, b, sizeof(b), false);
}

/* ------------------------------------------------------------- requests */

static int event_find(const struct ctl_server *s, const char *name)
{
	unsigned i;

	for (i = 0; i < s->nevs; i++)
		if (strcmp(s->evs[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void event_listeners_changed(struct ctl_server *s, int i, int delta)
{
	s->evs[i].listeners = (unsigned)((int)s->evs[i].listeners + delta);
	if (s->evs[i].fn)
		s->evs[i].fn(s->evs[i].ctx, s->evs[i].name, s->evs[i].listeners);
}

static void handle_packet(struct ctl_conn *c, const uint8_t *data, size_t len)
{
	struct ctl_server *s = c->srv;
	struct vici_packet pk;
	struct vici_buf resp;
	unsigned i;
	int ev, r;

	if (vici_packet_parse(data, len, &pk) < 0) {
		log_warn("ctl: malformed VICI packet (%zu bytes) from client; closing it", len);
		c->closing = true;
		return;
	}
	switch (pk.type) {
	case VICI_CMD_REQUEST:
		for (i = 0; i < s->ncmds; i++)
			if (strcmp(s->cmds[i].name, pk.name) == 0)
				break;
		if (i == s->ncmds) {
			send_simple(c, VICI_CMD_UNKNOWN);
			return;
		}
		vici_buf_init(&resp);
		vici_begin(&resp, VICI_CMD_RESPONSE, NULL);
		c->handler_deferred = false;
		s->cmds[i].fn(s->cmds[i].ctx, c, &pk, &resp);
		if (c->handler_deferred) {
			/* the handler answers later (ctl_conn_respond) */
			c->handler_deferred = false;
			c->deferred = true;
			vici_buf_free(&resp);
			break;
		}
		r = vici_end(&resp);
		if (r < 0) {
			/* answer something well-formed rather than nothing */
			vici_begin(&resp, VICI_CMD_RESPONSE, NULL);
			vici_kv_str(&resp, "success", "no");
			vici_kv_fmt(&resp, "errmsg", "response could not be encoded: %s",
			            strerror(-r));
			vici_end(&resp);
		}
		tx_append(c, resp.data, resp.len, false);
		vici_buf_free(&resp);
		break;
	case VICI_EVENT_REGISTER:
	case VICI_EVENT_UNREGISTER:
		ev = event_find(s, pk.name);
		if (ev < 0) {
			send_simple(c, VICI_EVENT_UNKNOWN);
			return;
		}
		if (pk.type == VICI_EVENT_REGISTER && !(c->events & (1u << ev))) {
			c->events |= 1u << ev;
			event_listeners_changed(s, ev, +1);
		} else if (pk.type == VICI_EVENT_UNREGISTER && (c->events & (1u << ev))) {
			c->events &= ~(1u << ev);
			event_listeners_changed(s, ev, -1);
		}
		send_simple(c, VICI_EVENT_CONFIRM);
		break;
	default:
		/* responses and events are ours to send, not the client's */
		log_warn("ctl: client sent VICI packet type %u; closing it", pk.type);
		c->closing = true;
	}
}

/* ------------------------------------------------------------- connections */

static void on_conn(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct ctl_conn *c = arg;

	if (events & EPOLLOUT)
		conn_flush(c);
	if (c->deferred && (events & (EPOLLHUP | EPOLLERR)))
		c->closing = true;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		/* read what is there, one packet at a time */
		for (int guard = 0; guard < 64 && !c->closing && !c->deferred; guard++) {
			size_t want;
			ssize_t n;

			if (c->rx_len < 4) {
				want = 4 - c->rx_len;
			} else {
				long plen = vici_frame_len(c->rx);
				if (plen < 0) {
					log_warn("ctl: client announced a packet of %u bytes (max %u); closing it",
					         get_be32(c->rx), VICI_MAX_PACKET);
					c->closing = true;
					break;
				}
				want = 4 + (size_t)plen - c->rx_len;
				if (c->rx_cap < 4 + (size_t)plen) {
					uint8_t *nr = malloc(4 + (size_t)plen);
					if (!nr) {
						c->closing = true;
						break;
					}
					memcpy(nr, c->rx, c->rx_len);
					mem_free_wipe(c->rx, c->rx_cap);
					c->rx = nr;
					c->rx_cap = 4 + (size_t)plen;
				}
			}
			n = recv(c->fd, c->rx + c->rx_len, want, MSG_DONTWAIT);
			if (n == 0) {
				c->closing = true;
				break;
			}
			if (n < 0) {
				if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
					c->closing = true;
				break;
			}
			c->rx_len += (size_t)n;
			if (c->rx_len >= 4 && c->rx_len == 4 + (size_t)get_be32(c->rx)) {
				handle_packet(c, c->rx + 4, c->rx_len - 4);
				mem_wipe(c->rx, c->rx_len);   /* requests may carry keys */
				c->rx_len = 0;
			}
		}
		if (!c->closing)
			conn_flush(c);
	}
	if (c->closing)
		conn_close(c);
}

static void conn_close(struct ctl_conn *c)
{
	struct ctl_server *s = c->srv;
	struct ctl_conn **pp;
	unsigned i;

	/* best effort: let the client see the last answer */
	if (c->tx_off < c->tx_len)
		(void)send(c->fd, c->tx + c->tx_off, c->tx_len - c->tx_off,
		           MSG_DONTWAIT | MSG_NOSIGNAL);
	for (pp = &s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	s->nconns--;
	if (s->close_fn)
		s->close_fn(s->close_ctx, c);
	for (i = 0; i < s->nevs; i++)
		if (c->events & (1u << i))
			event_listeners_changed(s, (int)i, -1);
	if (c->data_free)
		c->data_free(c->data);
	loop_del_fd(s->loop, c->fd);
	close(c->fd);
	if (c->rx)
		mem_free_wipe(c->rx, c->rx_cap);
	mem_free_wipe(c->tx, c->tx_cap);   /* responses may carry keys */
	free(c);
}

static void on_accept(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct ctl_server *s = arg;
	struct ctl_conn *c;
	int cfd;

	for (;;) {
		cfd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		if (s->nconns >= CTL_MAX_CONNS) {
			log_warn("ctl: too many control connections (%u); refusing one", s->nconns);
			close(cfd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		c->srv = s;
		c->fd = cfd;
		c->rx = malloc(4);
		c->rx_cap = c->rx ? 4 : 0;
		if (!c->rx || loop_add_fd(s->loop, cfd, EPOLLIN, on_conn, c) < 0) {
			free(c->rx);
			free(c);
			close(cfd);
			continue;
		}
		c->next = s->conns;
		s->conns = c;
		s->nconns++;
	}
}

/* ------------------------------------------------------------- server */

/* Make path free for our socket (issue 15 item 3). Nothing there: fine.
 * A socket nobody answers on (connect: ECONNREFUSED) is a dead daemon's:
 * removed. A socket a daemon answers on, anything that is not a socket
 * (a regular file, a symbolic link, a directory: never delete what we did
 * not make), or a socket whose state connect() cannot tell: refused with
 * a message. 0 or -errno. */
static int path_claim(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, e;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		e = errno;
		log_err("control socket %s: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_err("control socket %s: something that is not a socket is there; not replacing it "
		        "(remove it or choose another --control PATH)", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	e = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 ? 0 : errno;
	close(fd);
	switch (e) {
	case 0:
	case EAGAIN:            /* a listener whose backlog is full: alive */
		log_err("another uipsecd is already running on control socket %s", path);
		return -EADDRINUSE;
	case ECONNREFUSED:      /* a socket file without a listener */
		if (unlink(path) < 0 && errno != ENOENT) {
			e = errno;
			log_err("cannot remove stale control socket %s: %s", path, strerror(e));
			return -e;
		}
		log_info("ctl: removed stale control socket %s", path);
		return 0;
	case ENOENT:            /* gone meanwhile */
		return 0;
	default:
		log_err("control socket %s: cannot tell whether a daemon uses it (%s); not replacing it",
		        path, strerror(e));
		return -e;
	}
}

struct ctl_server *ctl_server_new(struct loop *loop, const char *path, int *err)
{
	struct ctl_server *s = NULL;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(sun.sun_path)];
	struct stat st;
	mode_t old;
	int r;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_err("control socket path too long: %s", path);
		r = -ENAMETOOLONG;
		goto fail;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0700) < 0 && errno != EEXIST) {
		r = -errno;
		log_err("cannot create directory for control socket %s: %s", path, strerror(errno));
		goto fail;
	}
	r = path_claim(path, &sun);
	if (r < 0)
		goto fail;
	s = calloc(1, sizeof(*s));
	if (!s) {
		r = -ENOMEM;
		goto fail;
	}
	s->loop = loop;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		r = -errno;
		goto fail;
	}
	old = umask(0177);              /* the socket is created 0600 */
	r = bind(s->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r < 0) {
		r = -errno;
		log_err("cannot bind control socket %s: %s", path, strerror(errno));
		close(s->fd);
		s->fd = -1;
		goto fail;
	}
	chmod(path, 0600);
	if (lstat(path, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	if (listen(s->fd, 16) < 0 || loop_add_fd(loop, s->fd, EPOLLIN, on_accept, s) < 0) {
		r = -errno;
		unlink(path);
		close(s->fd);
		s->fd = -1;
		goto fail;
	}
	return s;
fail:
	free(s);
	if (err)
		*err = r;
	return NULL;
}

void ctl_server_free(struct ctl_server *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_close(s->conns);
	if (s->fd >= 0) {
		loop_del_fd(s->loop, s->fd);
		close(s->fd);
		/* only the socket we bound (not what someone put there
		 * since); may fail after dropping privileges, then the next
		 * start finds it stale and replaces it */
		struct stat st;
		if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == s->dev &&
		    st.st_ino == s->ino)
			unlink(s->path);
	}
	free(s);
}

int ctl_server_add_cmd(struct ctl_server *s, const char *name, ctl_cmd_fn fn, void *ctx)
{
	if (s->ncmds >= CTL_MAX_CMDS || strlen(name) >= sizeof(s->cmds[0].name))
		return -ENOSPC;
	snprintf(s->cmds[s->ncmds].name, sizeof(s->cmds[0].name), "%s", name);
	s->cmds[s->ncmds].fn = fn;
	s->cmds[s->ncmds].ctx = ctx;
	s->ncmds++;
	return 0;
}

int ctl_server_add_event(struct ctl_server *s, const char *name, ctl_event_fn fn, void *ctx)
{
	if (s->nevs >= CTL_MAX_EVENTS || strlen(name) >= sizeof(s->evs[0].name))
		return -ENOSPC;
	snprintf(s->evs[s->nevs].name, sizeof(s->evs[0].name), "%s", name);
	s->evs[s->nevs].fn = fn;
	s->evs[s->nevs].ctx = ctx;
	s->evs[s->nevs].listeners = 0;
	s->nevs++;
	return 0;
}

unsigned ctl_server_emit(struct ctl_server *s, const char *name, const struct vici_buf *ev,
                         bool (*filter)(struct ctl_conn *c, void *arg), void *arg)
{
	struct ctl_conn *c, *n;
	int i = event_find(s, name);
	unsigned sent = 0;

	if (i < 0 || ev->err || ev->len == 0)
		return 0;
	for (c = s->conns; c; c = n) {
		n = c->next;
		if (!(c->events & (1u << i)) || c->closing)
			continue;
		if (filter && !filter(c, arg))
			continue;
		if (tx_append(c, ev->data, ev->len, true) == 0) {
			sent++;
			conn_flush(c);
		}
	}
	/* A connection that failed here is closed from its own callback
	 * (epoll reports the error): we may be inside another connection's
	 * callback, or its own, right now. */
	return sent;
}

unsigned ctl_server_listeners(const struct ctl_server *s, const char *name)
{
	int i = event_find(s, name);

	return i < 0 ? 0 : s->evs[i].listeners;
}

uint64_t ctl_server_events_dropped(const struct ctl_server *s)
{
	return s->events_dropped;
}

bool ctl_conn_registered(const struct ctl_conn *c, const char *name)
{
	int i = event_find(c->srv, name);

	return i >= 0 && (c->events & (1u << i));
}

int ctl_conn_send(struct ctl_conn *c, const struct vici_buf *b)
{
	size_t pending = c->tx_len - c->tx_off;

	if (b->err || b->len == 0)
		return -EINVAL;
	if (pending + b->len > CTL_TX_MAX)
		return -ENOBUFS;
	return tx_append(c, b->data, b->len, false);
}

void ctl_conn_set_data(struct ctl_conn *c, void *data, void (*free_fn)(void *))
{
	if (c->data_free)
		c->data_free(c->data);
	c->data = data;
	c->data_free = free_fn;
}

void *ctl_conn_get_data(const struct ctl_conn *c)
{
	return c->data;
}

void ctl_conn_defer(struct ctl_conn *c)
{
	c->handler_deferred = true;
}

int ctl_conn_respond(struct ctl_conn *c, struct vici_buf *resp)
{
	int r = vici_end(resp);

	if (r < 0) {
		vici_begin(resp, VICI_CMD_RESPONSE, NULL);
		vici_kv_str(resp, "success", "no");
		vici_kv_fmt(resp, "errmsg", "response could not be encoded: %s", strerror(-r));
		r = vici_end(resp);
		if (r < 0)
			return r;
	}
	c->deferred = false;
	r = tx_append(c, resp->data, resp->len, false);
	conn_flush(c);
	/* a request that waited in the socket meanwhile: epoll reports it
	 * again (level-triggered) now that reading resumes */
	return r;
}

bool ctl_conn_is_deferred(const struct ctl_conn *c)
{
	return c->deferred;
}

void ctl_server_set_close_hook(struct ctl_server *s, void (*fn)(void *ctx, struct ctl_conn *c),
                               void *ctx)
{
	s->close_fn = fn;
	s->close_ctx = ctx;
}
