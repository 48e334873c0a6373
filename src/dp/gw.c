/* Gateway I/O around the data path: TUN and socket callbacks on the loop,
 * the packet pool, routes, the IKE hook. See gw.h. */
#define LOG_SUBSYS LOG_SUB_NET   /* log lines: sockets, workers */
#include "dp/gw.h"
#include "io/clear.h"
#include "io/inherit.h"
#include "io/loop.h"
#include "io/route.h"
#include "io/sock.h"
#include "io/tun.h"
#include "net/gro.h"
#include "net/gso.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/mem.h"
#include "xfrm/spd.h"

#include "xfrm/sad.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#define GW_POOL_PKTS 512
#define GW_BATCH 64
/* Batches one socket wakeup reads at most: the socket is read until it is
 * empty (under an IKE_SA_INIT flood every return to epoll leaves the
 * kernel more time to fill the buffer and drop what comes next, a real
 * peer's requests with the rest), but after this many (2,048 datagrams,
 * a few milliseconds) the loop's other descriptors, its timers and the
 * data path get their turn, and the loop comes back (level-triggered). */
#define GW_SOCK_ROUNDS 32
/* The control loop's sockets (UDP 500 and 4500, IKE) are behind when
 * their receive queue is over a quarter of the buffer full (in 1/256ths,
 * sock_rx_fill), and caught up again under an eighth: gw_ike_backlog. */
#define GW_BACKLOG_ON 64
#define GW_BACKLOG_OFF 32
/* One TUN read: a virtio-net header and a super-packet of up to 64 KiB. */
#define GW_TUN_BUF (65536 + 256)
/* TUN reads per wakeup before the sockets get their turn. */
#define GW_TUN_READS 8
/* Records a worker may have waiting for the control loop (IKE messages,
 * acquires, lifetime limits reached, traces, captured packets); more are
 * dropped and counted. */
#define GW_RELAY_MAX 1024
/* The receive buffer of the UDP 500 sockets (IKE only) */
#define GW_IKE_RCVBUF (16 * 1024 * 1024)

enum { S_NAT4, S_NAT6, S_IKE4, S_IKE6, S_RAW4, S_RAW6, S_MAX };

struct pol_route {
	struct pol_route *next;
	uint32_t index;
	struct ip_addr prefix;
	uint8_t len;
};

/* What a worker on its own thread hands to the control loop. */
enum relay_kind { R_IKE, R_ACQUIRE, R_LIMIT, R_NOSTATE, R_TRACE, R_CAPTURE };
struct relay_rec {
	struct relay_rec *next;
	enum relay_kind kind;
	union {
		struct { struct ip_addr src, dst; uint16_t sport, dport; } ike;
		struct { struct spd_policy pol; struct xfrm_tmpl t; struct xfrm_flow fl; } acq;
		struct { struct ip_addr daddr; uint32_t spi; uint8_t proto; } lim;
		struct { struct ip_addr src, dst; uint32_t spi; } nostate;
		struct dp_cap_pkt cap;
	} u;
	uint32_t len;
	uint8_t data[];              /* the IKE message, captured packet or trace_pkt */
};

struct gw;

/* A data path with its own I/O: buffers, TUN queue, sockets. Without
 * workers the gateway has one, on the daemon's loop, with every socket.
 * With N workers (docs/workers.md) there are N on threads of their own
 * plus the control loop's (ctl: UDP 500 only; it heads the dp chain). */
struct gw_worker {
	struct gw *gw;
	unsigned idx;
	struct dp dp;
	struct tun tun;                /* fd -1: no TUN queue (ctl) */
	bool own_tun;                  /* an attached queue, closed by us */
	struct sock s[S_MAX];
	bool rx[S_MAX];                /* watch s[k] for input */
	struct sock_ctx { struct gw_worker *w; struct sock *s; } sctx[S_MAX];
	struct pkt_pool *pool;
	uint8_t *tun_buf;              /* GW_TUN_BUF bytes, for offload reads */
	bool tun_idle;                 /* the last TUN wakeup read at most one */
	struct net_gro gro;            /* inbound coalescing (with the vnet header) */
	struct loop *loop;             /* the daemon's or its own */

	/* threaded workers only */
	bool threaded, started;
	pthread_t thread;
	int stop_fd;                   /* eventfd: leave the loop */
	struct xfrm_events ev;         /* acquire, relayed */
	pthread_mutex_t rmu;           /* the relay queue */
	bool rmu_init;
	struct relay_rec *rhead, *rtail;
	unsigned rn;
	int relay_fd;                  /* eventfd the control loop watches */
};

struct gw {
	struct tun tun;                /* the device (its first queue) */
	unsigned nworkers;             /* 1: everything on the daemon's loop */
	struct gw_worker *w;           /* nworkers */
	struct gw_worker ctl;          /* nworkers > 1: the control loop's */
	pthread_rwlock_t lock;         /* nworkers > 1: workers read, control writes */
	bool lock_init;
	struct xfrm_events *events;    /* the daemon's, for relayed acquires */
	struct loop *loop;
	bool routes_on;
	bool rule_on[2];                /* IPv4, IPv6 rule installed */
	struct route_rule rule[2];
	struct clear_sock clear;        /* bypassed packets, in clear */
	struct route_table *routes;
	struct pol_route *pol_routes;  /* which policy installed which route */
	gw_ike_fn ike_fn;
	void *ike_ctx;
	/* the hold queues' flush (dp/hold.h), on the control loop: armed
	 * while any dp holds packets (once a second, for their timeout) and
	 * at once when a state for them arrives */
	struct loop_timer *hold_timer;
	bool hold_armed;
	/* IKE messages sent while a receive batch is handled (the cookies and
	 * refusals a flood of IKE_SA_INIT requests gets) go out together,
	 * one sendmmsg per socket, at the end of the batch (ike_tx_flush) */
	bool ike_tx_defer;
	struct pkt *ike_txq[S_MAX][GW_BATCH];
	unsigned ike_txn[S_MAX];
	/* the IKE socket being read is behind (GW_BACKLOG_ON): gw_ike_backlog */
	bool ike_backlog;
	struct io_fds *fds;            /* handed-over descriptors (gw_config), at start */
};

static void on_hold_timer(struct loop *l, struct loop_timer *t, void *arg);

/* Worker i for i < nworkers, the control loop's for i == nworkers: for
 * loops over all of them. */
static struct gw_worker *worker_at(struct gw *gw, unsigned i)
{
	return i < gw->nworkers ? &gw->w[i] : &gw->ctl;
}

/* The worker the control loop uses: for IKE sends, the head dp. */
static struct gw_worker *ctl_of(struct gw *gw)
{
	return gw->nworkers > 1 ? &gw->ctl : &gw->w[0];
}

/* ------------------------------------------------------------- dp_io */

/* A packet or a coalesced super-packet from the GRO stage: one writev. */
static void gro_emit(void *ctx, const struct net_gro_out *o)
{
	struct gw_worker *w = ctx;
	struct iovec iov[NET_GRO_MAX_SEGS];
	struct tun_vnet vh;
	unsigned i;

	memset(&vh, 0, sizeof(vh));
	if (o->g.type != NET_GSO_NONE) {
		vh.gso = o->g.type == NET_GSO_TCPV4 ? TUN_GSO_TCPV4 :
		         o->g.type == NET_GSO_TCPV6 ? TUN_GSO_TCPV6 : TUN_GSO_UDP_L4;
		vh.needs_csum = true;
		vh.hdr_len = o->hdr_len;
		vh.gso_size = o->g.gso_size;
		vh.csum_start = o->g.csum_start;
		vh.csum_offset = o->g.csum_offset;
		w->dp.cnt.gro_writes++;
		w->dp.cnt.gro_packets += o->nsegs;
	}
	for (i = 0; i < o->npieces; i++) {
		iov[i].iov_base = (void *)o->piece[i];
		iov[i].iov_len = o->piece_len[i];
	}
	w->dp.cnt.tun_writes++;
	if (tun_writev(&w->tun, &vh, iov, (int)o->npieces) < 0)
		w->dp.cnt.tun_write_errors += o->nsegs;
}

/* With the vnet header, decrypted packets wait in the GRO stage until the
 * end of the receive batch (on_sock flushes it before the buffers go back
 * to the pool); without it, each is written at once. */
static void io_to_tun(void *ctx, struct pkt *p)
{
	struct gw_worker *w = ctx;

	if (w->tun.fd < 0) {           /* the control loop's: UDP 500 only */
		w->dp.cnt.tun_write_errors++;
		return;
	}
	if (w->tun.vnet_hdr) {
		net_gro_add(&w->gro, pkt_data(p), p->len);
		return;
	}
	w->dp.cnt.tun_writes++;
	if (tun_write(&w->tun, pkt_data(p), p->len) < 0)
		w->dp.cnt.tun_write_errors++;
}

static struct sock *sock_for(struct gw_worker *w, const struct pkt *p)
{
	if (p->meta.family == AF_INET)
		return &w->s[p->meta.udp_encap ? S_NAT4 : S_RAW4];
	return &w->s[p->meta.udp_encap ? S_NAT6 : S_RAW6];
}

static void io_to_net(void *ctx, struct pkt **pkts, unsigned n)
{
	struct gw_worker *w = ctx;
	struct pkt *batch[PKT_BATCH_MAX];
	unsigned i = 0;

	/* Send runs of packets that go out on the same socket together. */
	while (i < n) {
		struct sock *s = sock_for(w, pkts[i]);
		unsigned m = 0;
		int r;

		while (i < n && sock_for(w, pkts[i]) == s && m < PKT_BATCH_MAX)
			batch[m++] = pkts[i++];
		if (s->fd < 0) {
			w->dp.cnt.send_errors += m;
			continue;
		}
		r = sock_send_batch(s, batch, m);
		if (r < (int)m)
			w->dp.cnt.send_errors += m - (unsigned)(r < 0 ? 0 : r);
	}
}

static void io_bypass(void *ctx, struct pkt *p)
{
	struct gw_worker *w = ctx;

	if (clear_send(&w->gw->clear, pkt_data(p), p->len) < 0)
		w->dp.cnt.send_errors++;
}

/* A worker held a packet: make sure the control loop looks at it. The
 * flag is read and written under the gateway lock (workers hold it for
 * reading inside a batch; the control loop for writing), or on the one
 * loop without workers; only the timer's arming races, harmlessly. */
static void io_held(void *ctx)
{
	struct gw_worker *w = ctx;
	struct gw *gw = w->gw;

	if (gw->hold_timer && !__atomic_exchange_n(&gw->hold_armed, true, __ATOMIC_RELAXED))
		loop_timer_arm(gw->hold_timer, 1000, 1000);
}

static void io_ike(void *ctx, struct pkt *p)
{
	struct gw_worker *w = ctx;
	struct gw *gw = w->gw;
	struct ip_addr src, dst;

	if (!gw->ike_fn)
		return;
	ip_addr_from_bytes(&src, p->meta.family, p->meta.saddr);
	ip_addr_from_bytes(&dst, p->meta.family, p->meta.daddr);
	gw->ike_fn(gw->ike_ctx, pkt_data(p), p->len, &src, p->meta.sport, &dst, p->meta.dport);
}

/* ------------------------------------------------------------- relays */

/* A worker on its own thread must not call into IKE or the control
 * socket: it queues a copy for the control loop and wakes it. Allocation
 * here is fine: none of this is on the common packet path. */
static struct relay_rec *relay_new(struct gw_worker *w, enum relay_kind kind, uint32_t len)
{
	struct relay_rec *r = malloc(sizeof(*r) + len);

	if (!r) {
		w->dp.cnt.relay_dropped++;
		return NULL;
	}
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->len = len;
	return r;
}

static void relay_post(struct gw_worker *w, struct relay_rec *r)
{
	bool wake;
	uint64_t one = 1;

	pthread_mutex_lock(&w->rmu);
	if (w->rn >= GW_RELAY_MAX) {
		pthread_mutex_unlock(&w->rmu);
		w->dp.cnt.relay_dropped++;
		mem_free_wipe(r, sizeof(*r) + r->len);
		return;
	}
	wake = w->rn == 0;
	if (w->rtail)
		w->rtail->next = r;
	else
		w->rhead = r;
	w->rtail = r;
	w->rn++;
	pthread_mutex_unlock(&w->rmu);
	if (wake && write(w->relay_fd, &one, sizeof(one)) < 0)
		(void)0;   /* the counter is already nonzero: the loop wakes anyway */
}

static void relay_ike(void *ctx, struct pkt *p)
{
	struct gw_worker *w = ctx;
	struct relay_rec *r = relay_new(w, R_IKE, p->len);

	if (!r)
		return;
	ip_addr_from_bytes(&r->u.ike.src, p->meta.family, p->meta.saddr);
	ip_addr_from_bytes(&r->u.ike.dst, p->meta.family, p->meta.daddr);
	r->u.ike.sport = p->meta.sport;
	r->u.ike.dport = p->meta.dport;
	memcpy(r->data, pkt_data(p), p->len);
	relay_post(w, r);
}

static void relay_acquire(void *ctx, const struct spd_policy *pol, const struct xfrm_tmpl *t,
                          const struct xfrm_flow *fl)
{
	struct gw_worker *w = ctx;
	struct relay_rec *r = relay_new(w, R_ACQUIRE, 0);

	if (!r)
		return;
	r->u.acq.pol = *pol;
	if (t)
		r->u.acq.t = *t;
	r->u.acq.fl = *fl;
	relay_post(w, r);
}

/* A packet made a state reach a byte or packet limit: the control loop
 * checks it (and raises the expire event) as the single-threaded data
 * path does at once. Relayed by identity: the state may be gone by then. */
static void relay_limit(void *ctx, struct sad_sa *sa)
{
	struct gw_worker *w = ctx;
	struct relay_rec *r = relay_new(w, R_LIMIT, 0);

	if (!r)
		return;   /* counted; sad_expire_tick catches it within a second */
	r->u.lim.daddr = sa->daddr;
	r->u.lim.spi = sa->spi;
	r->u.lim.proto = sa->proto;
	relay_post(w, r);
}

static void relay_unknown_spi(void *ctx, const struct ip_addr *src, const struct ip_addr *dst,
                              uint32_t spi)
{
	struct gw_worker *w = ctx;
	struct relay_rec *r = relay_new(w, R_NOSTATE, 0);

	if (!r)
		return;
	r->u.nostate.src = *src;
	r->u.nostate.dst = *dst;
	r->u.nostate.spi = spi;
	relay_post(w, r);
}

static void relay_trace(void *ctx, const struct trace_pkt *tp)
{
	struct gw_worker *w = ctx;
	struct relay_rec *r = relay_new(w, R_TRACE, sizeof(*tp));

	if (!r)
		return;
	memcpy(r->data, tp, sizeof(*tp));
	relay_post(w, r);
}

static void relay_capture(void *ctx, const struct dp_cap_pkt *cp)
{
	struct gw_worker *w = ctx;
	struct relay_rec *r = relay_new(w, R_CAPTURE, cp->len);

	if (!r)
		return;
	r->u.cap = *cp;
	memcpy(r->data, cp->data, cp->len);
	relay_post(w, r);
}

/* On the control loop (under the write lock): deliver what the worker
 * queued, as the single-threaded data path would have directly. */
static void relay_deliver(struct gw *gw, struct relay_rec *r)
{
	struct dp *head = &gw->ctl.dp;

	switch (r->kind) {
	case R_IKE:
		if (gw->ike_fn)
			gw->ike_fn(gw->ike_ctx, r->data, r->len, &r->u.ike.src, r->u.ike.sport,
			           &r->u.ike.dst, r->u.ike.dport);
		break;
	case R_ACQUIRE:
		if (gw->events && gw->events->acquire)
			gw->events->acquire(gw->events->ctx, &r->u.acq.pol,
			                    r->u.acq.pol.ntmpl ? &r->u.acq.t : NULL, &r->u.acq.fl);
		break;
	case R_LIMIT: {
		struct sad_sa *sa = sad_lookup(head->sad, &r->u.lim.daddr, r->u.lim.spi,
		                               r->u.lim.proto);
		if (sa)
			sad_sa_check_limits(head->sad, sa);
		break;
	}
	case R_NOSTATE:
		if (gw->events && gw->events->unknown_spi)
			gw->events->unknown_spi(gw->events->ctx, &r->u.nostate.src, &r->u.nostate.dst,
			                        r->u.nostate.spi);
		break;
	case R_TRACE:
		if (head->tracing)
			head->tracer.emit(head->tracer.ctx, (const struct trace_pkt *)(void *)r->data);
		break;
	case R_CAPTURE:
		if (head->capture_points & DP_CAP_BIT(r->u.cap.point)) {
			r->u.cap.data = r->data;
			head->capturer.emit(head->capturer.ctx, &r->u.cap);
		}
		break;
	}
}

static void on_relay(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct gw_worker *w = arg;
	struct relay_rec *r, *next;
	uint64_t v;

	(void)l;
	(void)events;
	if (read(fd, &v, sizeof(v)) < 0)
		(void)0;
	pthread_mutex_lock(&w->rmu);
	r = w->rhead;
	w->rhead = w->rtail = NULL;
	w->rn = 0;
	pthread_mutex_unlock(&w->rmu);
	for (; r; r = next) {
		next = r->next;
		relay_deliver(w->gw, r);
		/* IKE messages and captured packets may hold secrets */
		mem_free_wipe(r, sizeof(*r) + r->len);
	}
}

/* ------------------------------------------------------------- loop callbacks */

/* Copy the sockets' batch and GSO counters into the data path's counters
 * (read by `uipsec stats`). A few additions per wakeup. */
static void sync_counters(struct gw_worker *w)
{
	struct dp_counters *c = &w->dp.cnt;
	int k;

	c->sock_rx_calls = c->sock_rx_packets = c->sock_tx_calls = c->sock_tx_packets = 0;
	c->sock_tx_errors = c->udp_gso_sends = c->udp_gso_packets = c->udp_gso_fallbacks = 0;
	c->udp_gro_trains = c->udp_gro_packets = c->udp_big_packets = c->udp_big_lost = 0;
	for (k = 0; k < S_MAX; k++) {
		const struct sock *s = &w->s[k];

		c->sock_rx_calls += s->rx_calls;
		c->sock_rx_packets += s->rx_pkts;
		c->sock_tx_calls += s->tx_calls;
		c->sock_tx_packets += s->tx_pkts;
		c->sock_tx_errors += s->tx_errors;
		c->udp_gso_sends += s->gso_sends;
		c->udp_gso_packets += s->gso_pkts;
		c->udp_gso_fallbacks += s->gso_fallbacks;
		c->udp_gro_trains += s->gro_trains;
		c->udp_gro_packets += s->gro_pkts;
		c->udp_big_packets += s->big_pkts;
		c->udp_big_lost += s->big_lost;
	}
}

/* Hand pk[0..n) to the output path and recycle them; returns 0 (the new
 * count), so callers write n = tun_flush(...). */
static unsigned tun_flush(struct gw_worker *w, struct pkt **pk, unsigned n)
{
	unsigned i;

	if (n)
		dp_output(&w->dp, pk, n);
	for (i = 0; i < n; i++)
		pkt_pool_put(w->pool, pk[i]);
	return 0;
}

static bool gso_from_tun(const struct tun_vnet *vh, struct net_gso *g)
{
	memset(g, 0, sizeof(*g));
	g->gso_size = vh->gso_size;
	switch (vh->gso) {
	case TUN_GSO_TCPV4: g->type = NET_GSO_TCPV4; return true;
	case TUN_GSO_TCPV6: g->type = NET_GSO_TCPV6; return true;
	case TUN_GSO_UDP_L4: g->type = NET_GSO_UDP_L4; return true;
	default: return false;
	}
}

/* One packet read with its virtio-net header from w->tun_buf: cut a
 * super-packet into pool buffers (the one copy on this path: each segment
 * needs headroom and tailroom of its own for ESP), complete a partial
 * checksum (the kernel skipped it, trusting the offload), and queue the
 * packets in pk[n..]. Returns the new n; flushes when pk is full. */
static unsigned tun_take(struct gw_worker *w, const struct tun_vnet *vh, size_t len,
                         struct pkt **pk, unsigned n)
{
	struct dp_counters *c = &w->dp.cnt;
	struct net_gso_iter it;
	struct net_gso g;
	struct pkt *p;
	long r;

	if (vh->gso == TUN_GSO_NONE) {
		if (vh->needs_csum) {
			if (!net_csum_complete(w->tun_buf, len, vh->csum_start, vh->csum_offset)) {
				c->gso_errors++;
				return n;
			}
			c->csum_completed++;
		}
		if (n == PKT_BATCH_MAX)
			n = tun_flush(w, pk, n);
		p = pkt_pool_get(w->pool);
		if (!p) {
			c->pool_empty++;
			return n;
		}
		if (!pkt_set(p, w->tun_buf, (uint32_t)len)) {
			pkt_pool_put(w->pool, p);
			c->gso_errors++;
			return n;
		}
		pk[n++] = p;
		return n;
	}
	if (!gso_from_tun(vh, &g) || !net_gso_init(&it, w->tun_buf, len, &g)) {
		log_debug_rl("tun: cannot segment a super-packet (gso %d size %u len %zu)",
		             (int)vh->gso, vh->gso_size, len);
		c->gso_errors++;
		return n;
	}
	c->tun_gso_reads++;
	for (;;) {
		if (n == PKT_BATCH_MAX)
			n = tun_flush(w, pk, n);
		p = pkt_pool_get(w->pool);
		if (!p) {
			c->pool_empty++;
			break;
		}
		r = net_gso_next(&it, pkt_data(p), p->cap - p->off - PKT_TAILROOM);
		if (r <= 0) {
			pkt_pool_put(w->pool, p);
			if (r < 0)
				c->gso_errors++;
			break;
		}
		p->len = (uint32_t)r;
		pk[n++] = p;
		c->gso_segments++;
	}
	return n;
}

static void on_tun(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct gw_worker *w = arg;
	struct pkt *pk[PKT_BATCH_MAX];
	unsigned n = 0, reads, supers;
	struct tun_vnet vh;
	ssize_t got;

	(void)l;
	(void)fd;
	(void)events;
	/* Up to GW_BATCH packets per wakeup, of which at most GW_TUN_READS
	 * super-packets (each up to ~45 segments). */
	for (reads = 0, supers = 0; reads < GW_BATCH && supers < GW_TUN_READS; reads++) {
		if (w->tun.vnet_hdr) {
			got = tun_read_vnet(&w->tun, &vh, w->tun_buf, GW_TUN_BUF);
			if (got <= 0)
				break;
			w->dp.cnt.tun_reads++;
			if (vh.gso != TUN_GSO_NONE)
				supers++;
			n = tun_take(w, &vh, (size_t)got, pk, n);
		} else {
			/* No vnet header: one packet per read, straight into a buffer. */
			if (n == PKT_BATCH_MAX)
				n = tun_flush(w, pk, n);
			struct pkt *p = pkt_pool_get(w->pool);
			if (!p) {
				w->dp.cnt.pool_empty++;
				break;
			}
			got = tun_read(&w->tun, pkt_data(p), p->cap - p->off - PKT_TAILROOM);
			if (got <= 0) {
				pkt_pool_put(w->pool, p);
				break;
			}
			w->dp.cnt.tun_reads++;
			p->len = (uint32_t)got;
			pk[n++] = p;
		}
		/* An idle link (a ping): send the first packet now, not after
		 * the read that ends in EAGAIN. */
		if (reads == 0 && w->tun_idle)
			n = tun_flush(w, pk, n);
	}
	w->tun_idle = reads <= 1;
	tun_flush(w, pk, n);
	sync_counters(w);
}

static void ike_tx_flush(struct gw *gw)
{
	struct gw_worker *c = ctl_of(gw);

	for (int k = 0; k < S_MAX; k++) {
		unsigned n = gw->ike_txn[k];
		if (!n)
			continue;
		if (sock_send_each(&c->s[k], gw->ike_txq[k], n) < (int)n)
			log_debug_rl("cannot send every IKE message of a batch");
		for (unsigned i = 0; i < n; i++)
			pkt_free(gw->ike_txq[k][i]);
		gw->ike_txn[k] = 0;
	}
}

static void on_sock(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct sock_ctx *sc = arg;
	struct gw_worker *w = sc->w;
	struct pkt *pk[GW_BATCH], *big;
	unsigned n, i;
	int r, rounds;

	(void)l;
	(void)fd;
	(void)events;
	/* Until the socket is empty, at most GW_SOCK_ROUNDS batches (the
	 * segments of a GRO train already taken are always handed out). */
	for (rounds = 0; rounds < GW_SOCK_ROUNDS || sock_rx_pending(sc->s); rounds++) {
		for (n = 0; n < GW_BATCH; n++) {
			pk[n] = pkt_pool_get(w->pool);
			if (!pk[n])
				break;
		}
		r = n ? sock_recv_batch(sc->s, pk, n) : 0;
		if (r > 0) {
			bool defer = w == ctl_of(w->gw);
			if (defer) {
				/* what is still queued behind this batch */
				int fill = sock_rx_fill(sc->s);
				if (fill >= GW_BACKLOG_ON)
					w->gw->ike_backlog = true;
				else if (fill >= 0 && fill < GW_BACKLOG_OFF)
					w->gw->ike_backlog = false;
			}
			w->gw->ike_tx_defer = defer;
			dp_input(&w->dp, pk, (unsigned)r);
			net_gro_flush(&w->gro);
			if (defer) {
				w->gw->ike_tx_defer = false;
				ike_tx_flush(w->gw);
			}
		}
		/* a datagram too large for a pool buffer (an IKE message over
		 * 2 KiB), in the socket's own buffer (gw_open, io/sock.h) */
		big = sock_recv_big(sc->s);
		if (big) {
			dp_input(&w->dp, &big, 1);
			net_gro_flush(&w->gro);
		}
		for (i = 0; i < n; i++)
			pkt_pool_put(w->pool, pk[i]);
		if (r < (int)GW_BATCH && !sock_rx_pending(sc->s))
			break;
	}
	sync_counters(w);
}

static void on_stop(struct loop *l, int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	loop_stop(l);
}

/* The lock around every batch of a loop: workers read, the control loop
 * writes (writers preferred, so that a stream of data batches cannot
 * starve IKE and the control socket). */
static void lock_read(void *ctx) { pthread_rwlock_rdlock(&((struct gw *)ctx)->lock); }
static void lock_write(void *ctx) { pthread_rwlock_wrlock(&((struct gw *)ctx)->lock); }
static void lock_drop(void *ctx) { pthread_rwlock_unlock(&((struct gw *)ctx)->lock); }

static void *worker_main(void *arg)
{
	struct gw_worker *w = arg;
	int r = loop_run(w->loop);

	if (r < 0)
		log_err("worker %u: event loop failed: %s", w->idx, strerror(-r));
	return NULL;
}

/* ------------------------------------------------------------- set-up */

static const char *sock_name(int k)
{
	static const char *const names[S_MAX] = {
		"UDP 4500 IPv4", "UDP 4500 IPv6", "UDP 500 IPv4", "UDP 500 IPv6",
		"raw ESP IPv4", "raw ESP IPv6",
	};
	return names[k];
}

/* SO_MARK on every descriptor some worker owns (borrowed ones are the
 * owner's). 0 or -errno, logged. */
static int mark_socks(struct gw *gw, uint32_t mark)
{
	unsigned i;
	int k, r;

	for (i = 0; i <= gw->nworkers; i++) {
		struct gw_worker *w = worker_at(gw, i);

		for (k = 0; k < S_MAX; k++) {
			if (w->s[k].fd < 0 || w->s[k].borrowed)
				continue;
			r = io_set_mark(w->s[k].fd, mark);
			if (r < 0) {
				log_err("cannot mark the %s socket (SO_MARK): %s", sock_name(k),
				        strerror(-r));
				return r;
			}
		}
	}
	return 0;
}

/* Our routing table and the rule that leads to it; marks on our sockets
 * so that they skip it; the clear path for bypass policies. */
static int routes_open(struct gw *gw, const struct gw_config *cfg)
{
	uint32_t table = cfg->route_table ? cfg->route_table : ROUTE_DEFAULT_TABLE;
	uint32_t prio = cfg->rule_prio ? cfg->rule_prio : ROUTE_DEFAULT_PRIO;
	uint32_t mark = cfg->fwmark ? cfg->fwmark : ROUTE_DEFAULT_MARK;
	unsigned i;
	int k, r;

	r = mark_socks(gw, mark);
	if (r < 0)
		return r;
	r = clear_open(&gw->clear, mark);
	if (r < 0) {
		log_err("cannot open the raw socket for bypassed packets: %s", strerror(-r));
		return r;
	}
	for (i = 0; i < gw->nworkers; i++)
		gw->w[i].dp.io.bypass = io_bypass;
	gw->routes = route_table_new_in(gw->tun.ifindex, table);
	if (!gw->routes)
		return -ENOMEM;
	for (k = 0; k < 2; k++) {
		gw->rule[k] = (struct route_rule){ .family = k ? AF_INET6 : AF_INET, .prio = prio,
		                                   .table = table, .mark = mark };
		r = route_rule_install(&gw->rule[k]);
		if (r < 0 && k == 0) {
			log_err("cannot add the routing rule for table %u: %s", table, strerror(-r));
			return r;
		}
		gw->rule_on[k] = r == 0;   /* IPv6 rule: only where IPv6 is */
	}
	return 0;
}

static void worker_init_fds(struct gw_worker *w, struct gw *gw, unsigned idx)
{
	int k;

	w->gw = gw;
	w->idx = idx;
	w->tun.fd = -1;
	w->stop_fd = w->relay_fd = -1;
	for (k = 0; k < S_MAX; k++) {
		w->s[k].fd = -1;
		w->sctx[k].w = w;
		w->sctx[k].s = &w->s[k];
	}
}

/* Buffers and the data path of one worker. */
static int worker_setup(struct gw_worker *w, struct sad *sad, struct spd *spd,
                        struct xfrm_events *events, bool threaded, unsigned pool_pkts)
{
	struct dp_io io = { .ctx = w, .to_tun = io_to_tun, .to_net = io_to_net,
	                    .held = w->gw->hold_timer ? io_held : NULL,
	                    .ike = threaded ? relay_ike : io_ike,
	                    .limit = threaded ? relay_limit : NULL };

	w->threaded = threaded;
	if (threaded) {
		w->ev = (struct xfrm_events){ .ctx = w, .acquire = relay_acquire,
		                              .unknown_spi = relay_unknown_spi };
		events = &w->ev;
		if (pthread_mutex_init(&w->rmu, NULL) != 0)
			return -ENOMEM;
		w->rmu_init = true;
		w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		w->relay_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (w->stop_fd < 0 || w->relay_fd < 0)
			return -errno;
	}
	if (dp_init(&w->dp, sad, spd, events, &io) < 0)
		return -ENOMEM;
	if (threaded) {
		w->dp.relay_tracer = (struct dp_tracer){ .ctx = w, .emit = relay_trace };
		w->dp.relay_capturer = (struct dp_capturer){ .ctx = w, .emit = relay_capture };
		w->dp.sa_locking = true;
	}
	net_gro_init(&w->gro, gro_emit, w);
	w->pool = pkt_pool_new(pool_pkts, PKT_DEFAULT_CAP);
	if (!w->pool)
		return -ENOMEM;
	if (w->tun.fd >= 0) {
		w->tun_buf = malloc(GW_TUN_BUF);
		if (!w->tun_buf)
			return -ENOMEM;
	}
	/* UDP datagrams are coalesced only where the TUN device takes USO */
	w->gro.udp = w->tun.uso;
	return 0;
}

static void worker_free(struct gw_worker *w)
{
	struct relay_rec *r, *next;
	int k;

	if (!w->gw)
		return;
	for (k = 0; k < S_MAX; k++)
		sock_close(&w->s[k]);
	if (w->own_tun)
		tun_close(&w->tun);
	for (r = w->rhead; r; r = next) {
		next = r->next;
		mem_free_wipe(r, sizeof(*r) + r->len);
	}
	w->rhead = w->rtail = NULL;
	if (w->rmu_init)
		pthread_mutex_destroy(&w->rmu);
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	if (w->relay_fd >= 0)
		close(w->relay_fd);
	dp_fini(&w->dp);
	pkt_pool_free(w->pool);
	free(w->tun_buf);
}

/* A UDP socket: the one handed over for kind k (io/inherit.h), else a new
 * one. */
static int get_udp(struct gw *gw, struct sock *s, enum io_fd_kind k, int family, uint16_t port,
                   bool reuseport)
{
	int r;

	if (gw->fds && gw->fds->fd[k] >= 0) {
		r = sock_udp_adopt(s, gw->fds->fd[k], family, port, io_fd_name(k));
		if (r == 0)
			gw->fds->fd[k] = -1;
		return r;
	}
	return (reuseport ? sock_udp_open_reuseport : sock_udp_open)(s, family, port);
}

/* A raw ESP socket, handed over or new. With descriptors handed over
 * (rootless), one we may not open (no CAP_NET_RAW) is left out: ESP then
 * travels in UDP only, which the peer must agree to (encap = yes). */
static int get_raw(struct gw *gw, struct sock *s, enum io_fd_kind k, int family)
{
	int r;

	if (gw->fds && gw->fds->fd[k] >= 0) {
		r = sock_raw_esp_adopt(s, gw->fds->fd[k], family, io_fd_name(k));
		if (r == 0)
			gw->fds->fd[k] = -1;
		return r;
	}
	r = sock_raw_esp_open(s, family);
	if (r < 0 && gw->fds && gw->fds->any && (r == -EPERM || r == -EACCES)) {
		if (family == AF_INET)
			log_warn("no raw ESP socket (none handed over, no CAP_NET_RAW): ESP only in "
			         "UDP 4500; set encap = yes on both peers");
		s->fd = -1;
		return 0;
	}
	return r;
}

/* Open the public sockets. One worker: all of them, on it. Several: the
 * control loop's worker gets UDP 500 and sends on worker 0's UDP 4500
 * sockets; every worker gets a UDP 4500 socket of an SO_REUSEPORT group;
 * worker 0 receives raw ESP (a raw socket sees every ESP packet, so
 * there is one), the others send on its descriptor. */
static int open_socks(struct gw *gw, uint16_t nat, uint16_t ike)
{
	bool multi = gw->nworkers > 1;
	struct gw_worker *c = ctl_of(gw), *w0 = &gw->w[0];
	bool v6 = true;
	unsigned i;
	int k, r;

	/* IPv4 sockets are required; IPv6 ones only if the host has IPv6. */
	r = get_udp(gw, &c->s[k = S_IKE4], IO_FD_IKE4, AF_INET, ike, false);
	for (i = 0; r == 0 && i < gw->nworkers; i++)
		r = get_udp(gw, &gw->w[i].s[k = S_NAT4], IO_FD_NAT4, AF_INET, nat, multi);
	if (r == 0)
		r = get_raw(gw, &w0->s[k = S_RAW4], IO_FD_ESP4, AF_INET);
	if (r < 0) {
		/* k is the socket that failed */
		log_err("cannot open %s socket: %s%s", sock_name(k), strerror(-r),
		        r == -EADDRINUSE ? " (another IKE daemon or uipsecd running?)" : "");
		return r;
	}
	if (get_udp(gw, &c->s[S_IKE6], IO_FD_IKE6, AF_INET6, ike, false) < 0)
		v6 = false;
	/* UDP 500 carries IKE only, and it is where a flood of IKE_SA_INIT
	 * requests lands: room for a few hundred milliseconds of one while
	 * the loop is busy or descheduled, so that real peers' requests are
	 * not dropped by the kernel with the flood's */
	sock_set_rcvbuf(&c->s[S_IKE4], GW_IKE_RCVBUF);
	sock_set_rcvbuf(&c->s[S_IKE6], GW_IKE_RCVBUF);
	for (i = 0; v6 && i < gw->nworkers; i++)
		if (get_udp(gw, &gw->w[i].s[S_NAT6], IO_FD_NAT6, AF_INET6, nat, multi) < 0)
			v6 = false;
	if (v6 && get_raw(gw, &w0->s[S_RAW6], IO_FD_ESP6, AF_INET6) < 0)
		v6 = false;
	if (!v6) {
		log_warn("IPv6 sockets unavailable: IPv6 outer addresses will not work");
		sock_close(&c->s[S_IKE6]);
		for (i = 0; i < gw->nworkers; i++)
			sock_close(&gw->w[i].s[S_NAT6]);
		sock_close(&w0->s[S_RAW6]);
	}
	for (i = 0; i < gw->nworkers; i++) {
		struct gw_worker *w = &gw->w[i];

		w->rx[S_NAT4] = w->rx[S_NAT6] = true;
		if (i == 0) {
			w->rx[S_RAW4] = w->rx[S_RAW6] = true;
			w->rx[S_IKE4] = w->rx[S_IKE6] = !multi;
		} else {
			sock_borrow(&w->s[S_RAW4], &w0->s[S_RAW4]);
			sock_borrow(&w->s[S_RAW6], &w0->s[S_RAW6]);
		}
	}
	if (multi) {
		c->rx[S_IKE4] = c->rx[S_IKE6] = true;
		sock_borrow(&c->s[S_NAT4], &w0->s[S_NAT4]);
		sock_borrow(&c->s[S_NAT6], &w0->s[S_NAT6]);
	}
	return 0;
}

/* IKE messages larger than a pool buffer (2 KiB: certificates, big KE
 * payloads, long proposal lists) arrive whole: every datagram on UDP 500,
 * those behind the non-ESP marker on UDP 4500 (ESP keeps the pool's
 * limit). Each receiving UDP socket gets a buffer of its own for them. */
static int enable_big(struct gw *gw)
{
	unsigned i;
	int k, r;

	for (i = 0; i <= gw->nworkers; i++) {
		struct gw_worker *w = worker_at(gw, i);

		for (k = S_NAT4; k <= S_IKE6; k++) {
			if (w->s[k].fd < 0 || w->s[k].borrowed)
				continue;
			r = sock_udp_enable_big(&w->s[k], k <= S_NAT6 ? SOCK_BIG_MARKED : SOCK_BIG_ALL);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int gw_open(struct gw **out, const struct gw_config *cfg, struct sad *sad,
            struct spd *spd, struct xfrm_events *events)
{
	struct gw *gw = calloc(1, sizeof(*gw));
	uint16_t nat = cfg->nat_port ? cfg->nat_port : 4500;
	uint16_t ike = cfg->ike_port ? cfg->ike_port : 500;
	unsigned n = cfg->workers ? cfg->workers : 1, i;
	bool multi = n > 1;
	int k, r;

	*out = NULL;
	if (!gw)
		return -ENOMEM;
	if (n > GW_MAX_WORKERS) {
		log_err("%u workers: at most %u", n, GW_MAX_WORKERS);
		free(gw);
		return -EINVAL;
	}
	gw->tun.fd = -1;
	gw->clear.fd4 = gw->clear.fd6 = -1;
	gw->events = events;
	gw->fds = cfg->fds;
	if (gw->fds && gw->fds->any && n > 1) {
		log_err("--workers %u with handed-over descriptors: not supported (one TUN queue "
		        "and one UDP 4500 socket are handed over)", n);
		free(gw);
		return -EINVAL;
	}
	gw->nworkers = n;
	gw->w = calloc(n, sizeof(*gw->w));
	if (!gw->w) {
		free(gw);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		worker_init_fds(&gw->w[i], gw, i);
	worker_init_fds(&gw->ctl, gw, n);   /* used only with workers */
	if (multi) {
		pthread_rwlockattr_t a;

		pthread_rwlockattr_init(&a);
		pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		r = pthread_rwlock_init(&gw->lock, &a);
		pthread_rwlockattr_destroy(&a);
		if (r != 0) {
			r = -r;
			goto fail;
		}
		gw->lock_init = true;
	}

	if (cfg->loop && !(gw->hold_timer = loop_timer_new(cfg->loop, on_hold_timer, gw))) {
		r = -ENOMEM;
		goto fail;
	}
	if (gw->fds && gw->fds->fd[IO_FD_TUN] >= 0) {
		r = tun_adopt(&gw->tun, gw->fds->fd[IO_FD_TUN], cfg->mtu);
		if (r == 0)
			gw->fds->fd[IO_FD_TUN] = -1;
	} else {
		r = tun_open_mq(&gw->tun, cfg->tun_name ? cfg->tun_name : GW_DEFAULT_TUN,
		                cfg->mtu ? cfg->mtu : GW_DEFAULT_MTU, !cfg->no_tun_offload, multi);
	}
	if (r < 0)
		goto fail;
	gw->w[0].tun = gw->tun;
	for (i = 1; i < n; i++) {
		r = tun_attach_queue(&gw->tun, &gw->w[i].tun);
		if (r < 0)
			goto fail;
		gw->w[i].own_tun = true;
	}
	r = open_socks(gw, nat, ike);
	if (r < 0)
		goto fail;
	if (cfg->no_udp_gso) {
		for (i = 0; i <= n; i++)
			for (k = 0; k < S_MAX; k++)
				worker_at(gw, i)->s[k].gso = false;
	} else {
		/* UDP GRO on the ESP-in-UDP sockets: the peer's trains arrive whole */
		for (i = 0; i < n; i++)
			for (k = S_NAT4; k <= S_NAT6; k++)
				if (gw->w[i].s[k].fd >= 0 && sock_udp_enable_gro(&gw->w[i].s[k]) < 0)
					log_warn("%s: no UDP GRO; one datagram per receive", sock_name(k));
	}
	r = enable_big(gw);
	if (r < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		r = worker_setup(&gw->w[i], sad, spd, events, multi, GW_POOL_PKTS);
		if (r < 0)
			goto fail;
		gw->w[i].dp.ike_max = cfg->ike_max ? cfg->ike_max : DP_IKE_MAX_DEFAULT;
	}
	if (multi) {
		/* the control loop's: UDP 500 in, IKE out; heads the dp chain */
		r = worker_setup(&gw->ctl, sad, spd, events, false, 2 * GW_BATCH);
		if (r < 0)
			goto fail;
		gw->ctl.dp.ike_max = cfg->ike_max ? cfg->ike_max : DP_IKE_MAX_DEFAULT;
		gw->ctl.dp.next = &gw->w[0].dp;
		for (i = 0; i + 1 < n; i++)
			gw->w[i].dp.next = &gw->w[i + 1].dp;
	}
	dp_refresh_local(gw_dp(gw));
	gw->routes_on = cfg->routes;
	if (gw->routes_on) {
		r = routes_open(gw, cfg);
		if (r < 0)
			goto fail;
	}
	gw->fds = NULL;                 /* the caller's; only needed while opening */
	*out = gw;
	return 0;
fail:
	gw_close(gw);
	return r;
}

/* Watch w's TUN queue and receiving sockets on loop. */
static int worker_watch(struct gw_worker *w, struct loop *loop)
{
	int k, r;

	w->loop = loop;
	if (w->tun.fd >= 0 && (r = loop_add_fd(loop, w->tun.fd, EPOLLIN, on_tun, w)) < 0)
		return r;
	for (k = 0; k < S_MAX; k++) {
		if (w->s[k].fd < 0 || !w->rx[k])
			continue;
		r = loop_add_fd(loop, w->s[k].fd, EPOLLIN, on_sock, &w->sctx[k]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The control loop flushes every dp's hold queue (its workers are outside
 * their batches: this runs under the write lock). */
static void on_hold_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	struct gw *gw = arg;
	uint64_t now = clock_mono_ns() / 1000000;
	bool any = false;

	(void)l;
	for (unsigned i = 0; i <= gw->nworkers; i++) {
		struct gw_worker *w = worker_at(gw, i);
		if (i == gw->nworkers && gw->nworkers == 1)
			break;   /* no separate control-loop dp */
		dp_hold_flush(&w->dp, now);
		any |= w->dp.hold.n > 0;
	}
	if (!any) {
		gw->hold_armed = false;
		loop_timer_arm(t, 0, 0);
	} else {
		loop_timer_arm(t, 1000, 1000);
	}
}

void gw_state_event(struct gw *gw, enum xfrm_event_kind kind, const struct sad_sa *sa)
{
	struct dp *head = gw_dp(gw);
	bool ready = false;

	dp_state_event(head, kind, sa);
	for (struct dp *d = head; d; d = d->next)
		ready |= d->hold.ready;
	/* not from here: we are inside the SAD's event; right after it */
	if (ready && gw->hold_timer) {
		gw->hold_armed = true;
		loop_timer_arm(gw->hold_timer, 1, 1000);
	}
}

int gw_attach(struct gw *gw, struct loop *loop)
{
	unsigned i;
	int r;

	gw->loop = loop;
	if (gw->nworkers == 1)
		return worker_watch(&gw->w[0], loop);

	r = worker_watch(&gw->ctl, loop);
	if (r < 0)
		return r;
	for (i = 0; i < gw->nworkers; i++) {
		struct gw_worker *w = &gw->w[i];

		r = loop_add_fd(loop, w->relay_fd, EPOLLIN, on_relay, w);
		if (r < 0)
			return r;
		w->loop = loop_new();
		if (!w->loop)
			return -ENOMEM;
		loop_set_guard(w->loop, lock_read, lock_drop, gw);
		r = worker_watch(w, w->loop);
		if (r == 0)
			r = loop_add_fd(w->loop, w->stop_fd, EPOLLIN, on_stop, w);
		if (r < 0)
			return r;
	}
	/* From here on the daemon's loop changes the SAD and SPD only while
	 * no worker is inside a batch. */
	loop_set_guard(loop, lock_write, lock_drop, gw);
	for (i = 0; i < gw->nworkers; i++) {
		r = pthread_create(&gw->w[i].thread, NULL, worker_main, &gw->w[i]);
		if (r != 0) {
			log_err("cannot start worker %u: %s", i, strerror(r));
			return -r;
		}
		gw->w[i].started = true;
	}
	log_info("%u data-path workers, TUN %s multi-queue", gw->nworkers, gw->tun.name);
	return 0;
}

void gw_stop(struct gw *gw)
{
	uint64_t one = 1;
	unsigned i;

	if (!gw || gw->nworkers == 1)
		return;
	for (i = 0; i < gw->nworkers; i++) {
		struct gw_worker *w = &gw->w[i];

		if (!w->started)
			continue;
		if (write(w->stop_fd, &one, sizeof(one)) < 0)
			log_warn("worker %u: cannot signal stop: %s", i, strerror(errno));
		pthread_join(w->thread, NULL);
		w->started = false;
	}
	if (gw->loop)
		loop_set_guard(gw->loop, NULL, NULL, NULL);
}

static void worker_unwatch(struct gw_worker *w)
{
	int k;

	if (!w->loop)
		return;
	if (w->tun.fd >= 0)
		loop_del_fd(w->loop, w->tun.fd);
	for (k = 0; k < S_MAX; k++)
		if (w->s[k].fd >= 0 && w->rx[k])
			loop_del_fd(w->loop, w->s[k].fd);
	w->loop = NULL;
}

void gw_close(struct gw *gw)
{
	struct pol_route *pr, *n;
	unsigned i;
	int k;

	if (!gw)
		return;
	gw_stop(gw);
	for (i = 0; gw->w && i < gw->nworkers; i++) {
		struct gw_worker *w = &gw->w[i];

		if (w->threaded && w->loop) {
			loop_free(w->loop);   /* its own: nothing to unregister */
			w->loop = NULL;
		}
		worker_unwatch(w);
		if (w->relay_fd >= 0 && gw->loop)
			loop_del_fd(gw->loop, w->relay_fd);
	}
	worker_unwatch(&gw->ctl);
	if (gw->hold_timer)
		loop_timer_free(gw->hold_timer);
	for (pr = gw->pol_routes; pr; pr = n) {
		n = pr->next;
		free(pr);
	}
	route_table_free(gw->routes);   /* removes every route we added */
	for (k = 0; k < 2; k++)
		if (gw->rule_on[k])
			route_rule_remove(&gw->rule[k]);
	clear_close(&gw->clear);
	/* borrowers first: the control loop's and workers 1.. borrow from 0 */
	worker_free(&gw->ctl);
	for (i = gw->w ? gw->nworkers : 0; i-- > 0;)
		worker_free(&gw->w[i]);
	tun_close(&gw->tun);            /* the kernel removes the device */
	if (gw->lock_init)
		pthread_rwlock_destroy(&gw->lock);
	free(gw->w);
	free(gw);
}

struct dp *gw_dp(struct gw *gw) { return &ctl_of(gw)->dp; }
const char *gw_tun_name(const struct gw *gw) { return gw->tun.name; }
uint32_t gw_tun_mtu(const struct gw *gw) { return gw->tun.mtu; }
unsigned gw_route_count(const struct gw *gw) { return gw->routes ? route_table_count(gw->routes) : 0; }
unsigned gw_workers(const struct gw *gw) { return gw->nworkers; }

/* ------------------------------------------------------------- routes */

/* The route entry policy index installed, unlinked (NULL: none). */
static struct pol_route *route_take(struct gw *gw, uint32_t index)
{
	struct pol_route **pp, *pr;

	for (pp = &gw->pol_routes; (pr = *pp); pp = &pr->next)
		if (pr->index == index) {
			*pp = pr->next;
			return pr;
		}
	return NULL;
}

static void route_drop(struct gw *gw, struct pol_route *pr)
{
	if (!pr)
		return;
	route_table_del(gw->routes, &pr->prefix, pr->len);
	free(pr);
}

static void route_forget(struct gw *gw, uint32_t index)
{
	route_drop(gw, route_take(gw, index));
}

/* A route for an outbound protect policy's destination prefix, in our
 * table. A prefix holding the tunnel endpoint is fine: the ESP and IKE
 * packets carry our mark and take the main table. A default route is left
 * to the administrator (it would also pull in the gateway's own traffic to
 * its local networks). */
static void route_learn(struct gw *gw, const struct spd_policy *pol)
{
	const struct xfrm_selector *sel = &pol->sel;
	struct pol_route *pr;
	if (pol->dir != XFRM_POLICY_OUT || pol->action != XFRM_POLICY_ALLOW || pol->ntmpl == 0)
		return;
	if (sel->daddr.family != AF_INET && sel->daddr.family != AF_INET6)
		return;
	if (sel->prefixlen_d == 0) {
		log_warn("route: policy index %u covers every destination; not routing it via %s",
		         pol->index, gw->tun.name);
		return;
	}
	if (route_table_add(gw->routes, &sel->daddr, sel->prefixlen_d) < 0)
		return;
	pr = calloc(1, sizeof(*pr));
	if (!pr) {
		route_table_del(gw->routes, &sel->daddr, sel->prefixlen_d);
		return;
	}
	pr->index = pol->index;
	pr->prefix = sel->daddr;
	pr->len = sel->prefixlen_d;
	pr->next = gw->pol_routes;
	gw->pol_routes = pr;
}

void gw_policy_event(struct gw *gw, enum xfrm_event_kind kind, const struct spd_policy *pol)
{
	if (!gw->routes_on)
		return;
	switch (kind) {
	case XFRM_EV_POLICY_ADD:
		route_learn(gw, pol);
		break;
	case XFRM_EV_POLICY_UPDATE: {
		/* learn before forgetting: routes are counted per prefix, so
		 * an unchanged prefix stays in the table throughout (a packet
		 * in between would otherwise get "net unreachable", at every
		 * CHILD SA rekey) */
		struct pol_route *old = route_take(gw, pol->index);
		route_learn(gw, pol);
		route_drop(gw, old);
		break;
	}
	case XFRM_EV_POLICY_DEL:
		route_forget(gw, pol->index);
		break;
	case XFRM_EV_POLICY_FLUSH:
		while (gw->pol_routes)
			route_forget(gw, gw->pol_routes->index);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------- IKE */

bool gw_ike_backlog(const struct gw *gw)
{
	return gw->ike_backlog;
}

void gw_set_ike_handler(struct gw *gw, gw_ike_fn fn, void *ctx)
{
	gw->ike_fn = fn;
	gw->ike_ctx = ctx;
}

/* Send msg from src:sport to dst:dport; marker: prefix the non-ESP marker. */
static int send_ctl(struct gw *gw, const struct ip_addr *src, uint16_t sport,
                    const struct ip_addr *dst, uint16_t dport, const void *msg, size_t len,
                    bool marker)
{
	struct gw_worker *c = ctl_of(gw);
	bool nat = sport == c->s[S_NAT4].port;
	int k = dst->family == AF_INET ? (nat ? S_NAT4 : S_IKE4) : (nat ? S_NAT6 : S_IKE6);
	uint32_t hdr = nat && marker ? 4 : 0;
	struct pkt *p;
	uint8_t *d;
	int r;

	if (c->s[k].fd < 0)
		return -EAFNOSUPPORT;
	if (len + hdr > PKT_MAX_DATA)
		return -EMSGSIZE;
	p = pkt_alloc((uint32_t)(PKT_HEADROOM + len + hdr + PKT_TAILROOM));
	if (!p)
		return -ENOMEM;
	d = pkt_put(p, (uint32_t)(len + hdr));
	memset(d, 0, hdr);             /* RFC 3948 non-ESP marker */
	memcpy(d + hdr, msg, len);
	memset(&p->meta, 0, sizeof(p->meta));
	p->meta.family = dst->family;
	p->meta.dport = dport;
	memcpy(p->meta.daddr, dst->a, 16);
	if (src && src->family == dst->family)
		memcpy(p->meta.saddr, src->a, 16);
	if (gw->ike_tx_defer) {
		gw->ike_txq[k][gw->ike_txn[k]++] = p;
		if (gw->ike_txn[k] == GW_BATCH)
			ike_tx_flush(gw);
		return 0;
	}
	r = sock_send_batch(&c->s[k], &p, 1) == 1 ? 0 : -EIO;
	pkt_free(p);
	return r;
}

int gw_ike_send(struct gw *gw, const struct ip_addr *src, uint16_t sport,
                const struct ip_addr *dst, uint16_t dport, const void *msg, size_t len)
{
	return send_ctl(gw, src, sport, dst, dport, msg, len, true);
}

int gw_nat_keepalive(struct gw *gw, const struct ip_addr *src, const struct ip_addr *dst,
                     uint16_t dport)
{
	static const uint8_t ka = 0xff;   /* RFC 3948 section 2.3 */

	return send_ctl(gw, src, ctl_of(gw)->s[S_NAT4].port, dst, dport, &ka, 1, false);
}
