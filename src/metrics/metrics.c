/* The metrics endpoint: rendering and the HTTP/1.0 server. See metrics.h.
 * Connections are non-blocking; a response is rendered whole into memory
 * (a few hundred bytes per SA) and written as the socket accepts it. */
#include "metrics/metrics.h"
#include "dp/dp.h"
#include "ike/ike.h"
#include "ike/ike_export.h"
#include "io/loop.h"
#include "util/clock.h"
#include "util/log.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------- render */

static void counter(FILE *f, const char *name, const char *help, bool om);

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* Per IKE SA and CHILD SA: the IKE core's views (ike/ike_export.h). The
 * family's lines must stay together, so each walk prints one family. */
struct ikew {
	FILE *f;
	int what;               /* 0 IKE SA info, 1 child packets, 2 child bytes */
	const char *conn;
	char spi_i[20];
};

static void ikew_sa(void *arg, const struct ike_view_sa *v)
{
	struct ikew *w = arg;

	w->conn = v->conn;
	snprintf(w->spi_i, sizeof(w->spi_i), "%016llx", (unsigned long long)v->spi_i);
	if (w->what != 0)
		return;
	fputs("uipsec_ike_sa_info{conn=\"", w->f);
	label(w->f, v->conn);
	fprintf(w->f, "\",spi_i=\"%s\",state=\"%s\",proposal=\"", w->spi_i, v->state);
	label(w->f, v->proposal);
	fprintf(w->f, "\"} 1\n");
}

static void ikew_child(void *arg, const struct ike_view_child *v)
{
	struct ikew *w = arg;

	if (w->what == 0)
		return;
	for (int dir = 0; dir < 2; dir++) {
		fprintf(w->f, "uipsec_child_sa_%s_total{conn=\"", w->what == 1 ? "packets" : "bytes");
		label(w->f, w->conn ? w->conn : "-");
		fputs("\",child=\"", w->f);
		label(w->f, v->name);
		fprintf(w->f, "\",spi_in=\"%08x\",spi_out=\"%08x\",dir=\"%s\"} %" PRIu64 "\n", v->spi_in,
		        v->spi_out, dir ? "out" : "in",
		        w->what == 1 ? (dir ? v->out_packets : v->in_packets)
		                     : (dir ? v->out_bytes : v->in_bytes));
	}
}

static void ike_per_sa(const struct metrics_src *src, FILE *f, bool om)
{
	struct ikew w = { .f = f };

	fprintf(f, "# HELP uipsec_ike_sa_info one per IKE SA: connection, SPI, state, proposal\n"
	        "# TYPE uipsec_ike_sa_info gauge\n");
	ike_view_sas(src->ike, ikew_sa, ikew_child, &w);
	counter(f, "uipsec_child_sa_packets_total", "packets per CHILD SA of each connection", om);
	w.what = 1;
	ike_view_sas(src->ike, ikew_sa, ikew_child, &w);
	counter(f, "uipsec_child_sa_bytes_total", "bytes per CHILD SA of each connection", om);
	w.what = 2;
	ike_view_sas(src->ike, ikew_sa, ikew_child, &w);
}

struct rw {
	FILE *f;
	const char *metric;
	const char *kind;
};

static void sa_labels(FILE *f, const struct sad_sa *sa)
{
	char s[IP_ADDR_STRLEN], d[IP_ADDR_STRLEN];

	fprintf(f, "spi=\"0x%08x\",src=\"%s\",dst=\"%s\",reqid=\"%u\"", sa->spi,
	        ip_addr_fmt(&sa->saddr, s), ip_addr_fmt(&sa->daddr, d), sa->reqid);
}

static int sa_packets_cb(struct sad_sa *sa, void *arg)
{
	struct rw *w = arg;
	const struct sad_sa_stats *st = &sa->stats;
	bool bytes = !strcmp(w->kind, "bytes");

	if (sa->state == SAD_STATE_DEAD)
		return 0;
	for (int dir = 0; dir < 2; dir++) {
		fprintf(w->f, "%s{", w->metric);
		sa_labels(w->f, sa);
		fprintf(w->f, ",dir=\"%s\"} %" PRIu64 "\n", dir ? "out" : "in",
		        bytes ? (dir ? st->out_bytes : st->in_bytes)
		              : (dir ? st->out_packets : st->in_packets));
	}
	return 0;
}

static int sa_errors_cb(struct sad_sa *sa, void *arg)
{
	struct rw *w = arg;
	const struct sad_sa_stats *st = &sa->stats;
	const struct { const char *k; uint64_t v; } e[] = {
		{ "replay", st->replay }, { "replay-window", st->replay_window },
		{ "integrity", st->integrity_failed }, { "bad-padding", st->bad_padding },
		{ "malformed", st->malformed }, { "expired", st->expired },
		{ "seq-overflow", st->seq_overflow },
	};

	if (sa->state == SAD_STATE_DEAD)
		return 0;
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		fprintf(w->f, "uipsec_sa_errors_total{");
		sa_labels(w->f, sa);
		fprintf(w->f, ",kind=\"%s\"} %" PRIu64 "\n", e[i].k, e[i].v);
	}
	return 0;
}

static int count_valid_cb(struct sad_sa *sa, void *arg)
{
	if (sa->state != SAD_STATE_DEAD)
		(*(unsigned *)arg)++;
	return 0;
}

static void counter(FILE *f, const char *name, const char *help, bool om)
{
	/* OpenMetrics names the family without _total */
	size_t n = strlen(name);

	if (om && n > 6 && !strcmp(name + n - 6, "_total"))
		n -= 6;
	fprintf(f, "# HELP %.*s %s\n# TYPE %.*s counter\n", (int)n, name, help, (int)n, name);
}

void metrics_render(const struct metrics_src *src, FILE *f, bool om)
{
	struct xfrm_stats sum = { { 0 } };
	struct dp_counters sumc;
	const struct xfrm_stats *st = &sum;
	struct rw w = { .f = f };
	unsigned nsa = 0;

	if (src->dp)
		dp_sum(src->dp, &sum, &sumc);
	sad_walk(src->sad, count_valid_cb, &nsa);
	fprintf(f, "# HELP uipsec_sas ESP states (SAs) in the SAD\n# TYPE uipsec_sas gauge\n"
	        "uipsec_sas %u\n", nsa);
	fprintf(f, "# HELP uipsec_policies policies in the SPD\n# TYPE uipsec_policies gauge\n"
	        "uipsec_policies %u\n", spd_count(src->spd));
	counter(f, "uipsec_xfrm_stat_total", "the /proc/net/xfrm_stat counters", om);
	for (int i = 0; i < XFRM_MIB_MAX; i++)
		fprintf(f, "uipsec_xfrm_stat_total{name=\"%s\"} %" PRIu64 "\n", xfrm_mib_name(i),
		        st->mib[i]);
	if (src->dp) {
		const struct dp_counters *n = &sumc;
		counter(f, "uipsec_datapath_packets_total",
		        "ESP packets decrypted to the TUN device (in) or sent (out)", om);
		fprintf(f, "uipsec_datapath_packets_total{dir=\"in\"} %" PRIu64 "\n", n->in_packets);
		fprintf(f, "uipsec_datapath_packets_total{dir=\"out\"} %" PRIu64 "\n", n->out_packets);
		counter(f, "uipsec_datapath_bytes_total", "bytes of the packets above", om);
		fprintf(f, "uipsec_datapath_bytes_total{dir=\"in\"} %" PRIu64 "\n", n->in_bytes);
		fprintf(f, "uipsec_datapath_bytes_total{dir=\"out\"} %" PRIu64 "\n", n->out_bytes);
		counter(f, "uipsec_datapath_events_total", "other data-path events", om);
		fprintf(f, "uipsec_datapath_events_total{kind=\"ike-packets\"} %" PRIu64 "\n"
		        "uipsec_datapath_events_total{kind=\"ike-dropped\"} %" PRIu64 "\n"
		        "uipsec_datapath_events_total{kind=\"ike-too-big\"} %" PRIu64 "\n"
		        "uipsec_datapath_events_total{kind=\"nat-keepalives\"} %" PRIu64 "\n"
		        "uipsec_datapath_events_total{kind=\"acquires\"} %" PRIu64 "\n"
		        "uipsec_datapath_events_total{kind=\"acquires-suppressed\"} %" PRIu64 "\n"
		        "uipsec_datapath_events_total{kind=\"bypassed\"} %" PRIu64 "\n"
		        "uipsec_datapath_events_total{kind=\"tun-ignored\"} %" PRIu64 "\n",
		        n->ike_packets, n->ike_dropped, n->ike_too_big, n->keepalives, n->acquires,
		        n->acquires_suppressed, n->bypassed, n->tun_ignored);
	}
	if (src->ike) {
		const struct ike_stats *s = ike_ctx_stats(src->ike);
		const struct { const char *k; uint64_t v; } e[] = {
			{ "rx", s->rx }, { "tx", s->tx }, { "retransmits", s->retransmits },
			{ "resent-responses", s->resent_responses },
			{ "drop-malformed", s->drop_malformed }, { "drop-no-sa", s->drop_no_sa },
			{ "drop-icv", s->drop_icv }, { "drop-unprotected", s->drop_unprotected },
			{ "drop-msgid", s->drop_msgid }, { "drop-unexpected", s->drop_unexpected },
			{ "drop-before-auth", s->drop_before_auth },
			{ "syntax-errors", s->syntax_errors },
			{ "unsupported-critical", s->unsupported_critical },
			{ "cookies-sent", s->cookies_sent }, { "cookies-bad", s->cookies_bad },
			{ "invalid-ke-sent", s->invalid_ke_sent }, { "no-proposal", s->no_proposal },
			{ "auth-failed", s->auth_failed }, { "ts-unacceptable", s->ts_unacceptable },
			{ "half-open-refused", s->half_open_refused },
			{ "half-open-timeouts", s->half_open_timeouts },
			{ "cert-malformed", s->cert_malformed }, { "cert-refused", s->cert_refused },
			{ "ike-established", s->ike_established },
			{ "child-established", s->child_established },
			{ "ike-deleted", s->ike_deleted }, { "child-deleted", s->child_deleted },
			{ "frag-tx", s->frag_tx }, { "frag-rx", s->frag_rx },
			{ "frag-msgs-tx", s->frag_msgs_tx }, { "frag-reassembled", s->frag_reassembled },
			{ "frag-drop-unkeyed", s->frag_drop_unkeyed },
			{ "frag-drop-invalid", s->frag_drop_invalid },
			{ "frag-drop-msgid", s->frag_drop_msgid }, { "frag-drop-dup", s->frag_drop_dup },
			{ "frag-drop-overlap", s->frag_drop_overlap },
			{ "frag-drop-limit", s->frag_drop_limit },
			{ "frag-incomplete", s->frag_incomplete },
		};
		fprintf(f, "# HELP uipsec_ike_sas IKE SAs\n# TYPE uipsec_ike_sas gauge\n"
		        "uipsec_ike_sas %u\n", ike_sa_count(src->ike));
		fprintf(f, "# HELP uipsec_child_sas CHILD SAs\n# TYPE uipsec_child_sas gauge\n"
		        "uipsec_child_sas %u\n", ike_child_count(src->ike));
		fprintf(f, "# HELP uipsec_ike_frag_bytes memory held by IKE fragment reassembly\n"
		        "# TYPE uipsec_ike_frag_bytes gauge\nuipsec_ike_frag_bytes %" PRIu64 "\n",
		        s->frag_bytes);
		counter(f, "uipsec_ike_events_total", "IKE messages, exchanges and failures", om);
		for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++)
			fprintf(f, "uipsec_ike_events_total{kind=\"%s\"} %" PRIu64 "\n", e[i].k, e[i].v);
		ike_per_sa(src, f, om);
	}
	counter(f, "uipsec_sa_packets_total", "packets per SA and direction", om);
	w.metric = "uipsec_sa_packets_total";
	w.kind = "packets";
	sad_walk(src->sad, sa_packets_cb, &w);
	counter(f, "uipsec_sa_bytes_total", "bytes per SA and direction", om);
	w.metric = "uipsec_sa_bytes_total";
	w.kind = "bytes";
	sad_walk(src->sad, sa_packets_cb, &w);
	counter(f, "uipsec_sa_errors_total", "errors per SA", om);
	sad_walk(src->sad, sa_errors_cb, &w);
	if (om)
		fputs("# EOF\n", f);
}

/* ------------------------------------------------------------- server */

struct mconn {
	int fd;
	uint64_t since;        /* monotonic seconds of accept */
	size_t rlen;
	char req[METRICS_MAX_REQ + 1];
	char *out;             /* response being written */
	size_t olen, ooff;
};

struct metrics_server {
	struct loop *loop;
	int fd;
	struct metrics_src src;
	struct loop_timer *timer;
	struct mconn *c[METRICS_MAX_CONNS];
};

static void conn_close(struct metrics_server *m, unsigned i)
{
	struct mconn *c = m->c[i];

	if (!c)
		return;
	loop_del_fd(m->loop, c->fd);
	close(c->fd);
	free(c->out);
	free(c);
	m->c[i] = NULL;
}

static unsigned conn_index(struct metrics_server *m, int fd)
{
	for (unsigned i = 0; i < METRICS_MAX_CONNS; i++)
		if (m->c[i] && m->c[i]->fd == fd)
			return i;
	return METRICS_MAX_CONNS;
}

static void respond(struct metrics_server *m, struct mconn *c)
{
	char *body = NULL, *hdr = NULL;
	size_t blen = 0, hlen = 0;
	const char *status = "200 OK", *ctype = "text/plain; version=0.0.4; charset=utf-8";
	bool om = strstr(c->req, "application/openmetrics-text") != NULL;
	FILE *f;

	if (strncmp(c->req, "GET ", 4) != 0) {
		status = "400 Bad Request";
	} else if (strncmp(c->req + 4, "/metrics ", 9) != 0 && strncmp(c->req + 4, "/ ", 2) != 0 &&
	           strncmp(c->req + 4, "/metrics?", 9) != 0) {
		status = "404 Not Found";
	}
	f = open_memstream(&body, &blen);
	if (!f)
		return;
	if (!strcmp(status, "200 OK")) {
		if (om)
			ctype = "application/openmetrics-text; version=1.0.0; charset=utf-8";
		metrics_render(&m->src, f, om);
	} else {
		ctype = "text/plain; charset=utf-8";
		fprintf(f, "%s: uipsecd serves GET /metrics only\n", status);
	}
	fclose(f);
	f = open_memstream(&hdr, &hlen);
	if (!f) {
		free(body);
		return;
	}
	fprintf(f, "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	        "Connection: close\r\n\r\n", status, ctype, blen);
	fwrite(body, 1, blen, f);
	fclose(f);
	free(body);
	c->out = hdr;
	c->olen = hlen;
	c->ooff = 0;
}

static void conn_io(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct metrics_server *m = arg;
	unsigned i = conn_index(m, fd);
	struct mconn *c;
	ssize_t n;

	if (i == METRICS_MAX_CONNS)
		return;
	c = m->c[i];
	if (!c->out) {
		n = recv(fd, c->req + c->rlen, METRICS_MAX_REQ - c->rlen, 0);
		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			conn_close(m, i);
			return;
		}
		c->rlen += (size_t)n;
		c->req[c->rlen] = '\0';
		if (!strstr(c->req, "\r\n\r\n") && !strstr(c->req, "\n\n")) {
			if (c->rlen >= METRICS_MAX_REQ)
				conn_close(m, i);   /* too large: no answer */
			return;
		}
		respond(m, c);
		if (!c->out) {
			conn_close(m, i);
			return;
		}
		loop_mod_fd(m->loop, fd, EPOLLOUT);
	}
	while (c->ooff < c->olen) {
		n = send(fd, c->out + c->ooff, c->olen - c->ooff, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			break;
		}
		c->ooff += (size_t)n;
	}
	conn_close(m, i);
}

static void on_accept(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct metrics_server *m = arg;
	int cfd;
	unsigned i;

	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	for (i = 0; i < METRICS_MAX_CONNS && m->c[i]; i++)
		;
	if (i == METRICS_MAX_CONNS) {
		close(cfd);   /* bounded: busy */
		return;
	}
	m->c[i] = calloc(1, sizeof(*m->c[i]));
	if (!m->c[i]) {
		close(cfd);
		return;
	}
	m->c[i]->fd = cfd;
	m->c[i]->since = clock_mono_sec();
	if (loop_add_fd(m->loop, cfd, EPOLLIN, conn_io, m) < 0) {
		close(cfd);
		free(m->c[i]);
		m->c[i] = NULL;
	}
}

static void on_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	struct metrics_server *m = arg;
	uint64_t now = clock_mono_sec();

	for (unsigned i = 0; i < METRICS_MAX_CONNS; i++)
		if (m->c[i] && now - m->c[i]->since >= METRICS_TIMEOUT_S)
			conn_close(m, i);
}

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sl, char *err,
                      size_t errlen)
{
	char host[64];
	const char *colon, *h = s;
	size_t hl;
	char *end;
	unsigned long port;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			goto bad;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			goto bad;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port == 0 || port > 65535)
		goto bad;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*sl = sizeof(*a);
		if ((ntohl(a->sin_addr.s_addr) >> 24) != 127)
			goto not_lo;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*a);
		if (!IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
			goto not_lo;
		return 0;
	}
bad:
	snprintf(err, errlen, "--metrics wants ADDR:PORT on loopback (127.0.0.1:9101 or "
	         "[::1]:9101), not '%s'", s);
	return -EINVAL;
not_lo:
	snprintf(err, errlen, "--metrics %s: only loopback addresses (127.0.0.0/8, ::1) are "
	         "allowed; use a reverse proxy to publish the metrics", s);
	return -EINVAL;
}

struct metrics_server *metrics_server_new(struct loop *loop, const char *addr,
                                          const struct metrics_src *src,
                                          char *err, size_t errlen)
{
	struct metrics_server *m;
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1;

	if (parse_addr(addr, &ss, &sl, err, errlen) < 0)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->loop = loop;
	m->src = *src;
	m->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->fd < 0)
		goto fail_errno;
	setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(m->fd, (struct sockaddr *)&ss, sl) < 0 || listen(m->fd, 8) < 0)
		goto fail_errno;
	if (loop_add_fd(loop, m->fd, EPOLLIN, on_accept, m) < 0)
		goto fail_errno;
	m->timer = loop_timer_new(loop, on_timer, m);
	if (!m->timer || loop_timer_arm(m->timer, 1000, 1000) < 0)
		goto fail_errno;
	return m;
fail_errno:
	snprintf(err, errlen, "--metrics %s: %s", addr, strerror(errno));
	metrics_server_free(m);
	return NULL;
}

void metrics_server_free(struct metrics_server *m)
{
	if (!m)
		return;
	for (unsigned i = 0; i < METRICS_MAX_CONNS; i++)
		conn_close(m, i);
	if (m->timer)
		loop_timer_free(m->timer);
	if (m->fd >= 0) {
		loop_del_fd(m->loop, m->fd);
		close(m->fd);
	}
	free(m);
}
