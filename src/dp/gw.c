/* Gateway I/O around the data path: TUN and socket callbacks on the loop,
 * the packet pool, routes, the IKE hook. See gw.h. */
#include "dp/gw.h"
#include "io/clear.h"
#include "io/loop.h"
#include "io/route.h"
#include "io/sock.h"
#include "io/tun.h"
#include "net/gro.h"
#include "net/gso.h"
#include "util/log.h"
#include "util/mem.h"
#include "xfrm/spd.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>

#define GW_POOL_PKTS 512
#define GW_BATCH 64
/* One TUN read: a virtio-net header and a super-packet of up to 64 KiB. */
#define GW_TUN_BUF (65536 + 256)
/* TUN reads per wakeup before the sockets get their turn. */
#define GW_TUN_READS 8

enum { S_NAT4, S_NAT6, S_IKE4, S_IKE6, S_RAW4, S_RAW6, S_MAX };

struct pol_route {
	struct pol_route *next;
	uint32_t index;
	struct ip_addr prefix;
	uint8_t len;
};

struct gw {
	struct dp dp;
	struct tun tun;
	struct sock s[S_MAX];
	struct pkt_pool *pool;
	struct loop *loop;
	bool routes_on;
	bool rule_on[2];                /* IPv4, IPv6 rule installed */
	struct route_rule rule[2];
	struct clear_sock clear;        /* bypassed packets, in clear */
	struct route_table *routes;
	struct pol_route *pol_routes;  /* which policy installed which route */
	struct sock_ctx { struct gw *gw; struct sock *s; } sctx[S_MAX];
	gw_ike_fn ike_fn;
	void *ike_ctx;
	uint8_t *tun_buf;              /* GW_TUN_BUF bytes, for offload reads */
	struct net_gro gro;            /* inbound coalescing (with the vnet header) */
};

/* ------------------------------------------------------------- dp_io */

/* A packet or a coalesced super-packet from the GRO stage: one writev. */
static void gro_emit(void *ctx, const struct net_gro_out *o)
{
	struct gw *gw = ctx;
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
		gw->dp.cnt.gro_writes++;
		gw->dp.cnt.gro_packets += o->nsegs;
	}
	for (i = 0; i < o->npieces; i++) {
		iov[i].iov_base = (void *)o->piece[i];
		iov[i].iov_len = o->piece_len[i];
	}
	gw->dp.cnt.tun_writes++;
	if (tun_writev(&gw->tun, &vh, iov, (int)o->npieces) < 0)
		gw->dp.cnt.tun_write_errors += o->nsegs;
}

/* With the vnet header, decrypted packets wait in the GRO stage until the
 * end of the receive batch (on_sock flushes it before the buffers go back
 * to the pool); without it, each is written at once. */
static void io_to_tun(void *ctx, struct pkt *p)
{
	struct gw *gw = ctx;

	if (gw->tun.vnet_hdr) {
		net_gro_add(&gw->gro, pkt_data(p), p->len);
		return;
	}
	gw->dp.cnt.tun_writes++;
	if (tun_write(&gw->tun, pkt_data(p), p->len) < 0)
		gw->dp.cnt.tun_write_errors++;
}

static struct sock *sock_for(struct gw *gw, const struct pkt *p)
{
	if (p->meta.family == AF_INET)
		return &gw->s[p->meta.udp_encap ? S_NAT4 : S_RAW4];
	return &gw->s[p->meta.udp_encap ? S_NAT6 : S_RAW6];
}

static void io_to_net(void *ctx, struct pkt **pkts, unsigned n)
{
	struct gw *gw = ctx;
	struct pkt *batch[PKT_BATCH_MAX];
	unsigned i = 0;

	/* Send runs of packets that go out on the same socket together. */
	while (i < n) {
		struct sock *s = sock_for(gw, pkts[i]);
		unsigned m = 0;
		int r;

		while (i < n && sock_for(gw, pkts[i]) == s && m < PKT_BATCH_MAX)
			batch[m++] = pkts[i++];
		if (s->fd < 0) {
			gw->dp.cnt.send_errors += m;
			continue;
		}
		r = sock_send_batch(s, batch, m);
		if (r < (int)m)
			gw->dp.cnt.send_errors += m - (unsigned)(r < 0 ? 0 : r);
	}
}

static void io_bypass(void *ctx, struct pkt *p)
{
	struct gw *gw = ctx;

	if (clear_send(&gw->clear, pkt_data(p), p->len) < 0)
		gw->dp.cnt.send_errors++;
}

static void io_ike(void *ctx, struct pkt *p)
{
	struct gw *gw = ctx;
	struct ip_addr src, dst;

	if (!gw->ike_fn)
		return;
	ip_addr_from_bytes(&src, p->meta.family, p->meta.saddr);
	ip_addr_from_bytes(&dst, p->meta.family, p->meta.daddr);
	gw->ike_fn(gw->ike_ctx, pkt_data(p), p->len, &src, p->meta.sport, &dst, p->meta.dport);
}

/* ------------------------------------------------------------- loop callbacks */

/* Copy the sockets' batch and GSO counters into the data path's counters
 * (read by `uipsec stats`). A few additions per wakeup. */
static void sync_counters(struct gw *gw)
{
	struct dp_counters *c = &gw->dp.cnt;
	int k;

	c->sock_rx_calls = c->sock_rx_packets = c->sock_tx_calls = c->sock_tx_packets = 0;
	c->sock_tx_errors = c->udp_gso_sends = c->udp_gso_packets = c->udp_gso_fallbacks = 0;
	c->udp_gro_trains = c->udp_gro_packets = 0;
	for (k = 0; k < S_MAX; k++) {
		const struct sock *s = &gw->s[k];

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
	}
}

/* Hand pk[0..n) to the output path and recycle them; returns 0 (the new
 * count), so callers write n = tun_flush(...). */
static unsigned tun_flush(struct gw *gw, struct pkt **pk, unsigned n)
{
	unsigned i;

	if (n)
		dp_output(&gw->dp, pk, n);
	for (i = 0; i < n; i++)
		pkt_pool_put(gw->pool, pk[i]);
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

/* One packet read with its virtio-net header from gw->tun_buf: cut a
 * super-packet into pool buffers (the one copy on this path: each segment
 * needs headroom and tailroom of its own for ESP), complete a partial
 * checksum (the kernel skipped it, trusting the offload), and queue the
 * packets in pk[n..]. Returns the new n; flushes when pk is full. */
static unsigned tun_take(struct gw *gw, const struct tun_vnet *vh, size_t len,
                         struct pkt **pk, unsigned n)
{
	struct dp_counters *c = &gw->dp.cnt;
	struct net_gso_iter it;
	struct net_gso g;
	struct pkt *p;
	long r;

	if (vh->gso == TUN_GSO_NONE) {
		if (vh->needs_csum) {
			if (!net_csum_complete(gw->tun_buf, len, vh->csum_start, vh->csum_offset)) {
				c->gso_errors++;
				return n;
			}
			c->csum_completed++;
		}
		if (n == PKT_BATCH_MAX)
			n = tun_flush(gw, pk, n);
		p = pkt_pool_get(gw->pool);
		if (!p) {
			c->pool_empty++;
			return n;
		}
		if (!pkt_set(p, gw->tun_buf, (uint32_t)len)) {
			pkt_pool_put(gw->pool, p);
			c->gso_errors++;
			return n;
		}
		pk[n++] = p;
		return n;
	}
	if (!gso_from_tun(vh, &g) || !net_gso_init(&it, gw->tun_buf, len, &g)) {
		log_debug_rl("tun: cannot segment a super-packet (gso %d size %u len %zu)",
		             (int)vh->gso, vh->gso_size, len);
		c->gso_errors++;
		return n;
	}
	c->tun_gso_reads++;
	for (;;) {
		if (n == PKT_BATCH_MAX)
			n = tun_flush(gw, pk, n);
		p = pkt_pool_get(gw->pool);
		if (!p) {
			c->pool_empty++;
			break;
		}
		r = net_gso_next(&it, pkt_data(p), p->cap - p->off - PKT_TAILROOM);
		if (r <= 0) {
			pkt_pool_put(gw->pool, p);
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
	struct gw *gw = arg;
	struct pkt *pk[PKT_BATCH_MAX];
	unsigned n = 0, reads;
	struct tun_vnet vh;
	ssize_t got;

	(void)l;
	(void)fd;
	(void)events;
	for (reads = 0; reads < (gw->tun.vnet_hdr ? GW_TUN_READS : GW_BATCH); reads++) {
		if (gw->tun.vnet_hdr) {
			got = tun_read_vnet(&gw->tun, &vh, gw->tun_buf, GW_TUN_BUF);
			if (got <= 0)
				break;
			gw->dp.cnt.tun_reads++;
			n = tun_take(gw, &vh, (size_t)got, pk, n);
			continue;
		}
		/* No vnet header: one packet per read, straight into a buffer. */
		if (n == PKT_BATCH_MAX)
			n = tun_flush(gw, pk, n);
		struct pkt *p = pkt_pool_get(gw->pool);
		if (!p) {
			gw->dp.cnt.pool_empty++;
			break;
		}
		got = tun_read(&gw->tun, pkt_data(p), p->cap - p->off - PKT_TAILROOM);
		if (got <= 0) {
			pkt_pool_put(gw->pool, p);
			break;
		}
		gw->dp.cnt.tun_reads++;
		p->len = (uint32_t)got;
		pk[n++] = p;
	}
	tun_flush(gw, pk, n);
	sync_counters(gw);
}

static void on_sock(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct sock_ctx *sc = arg;
	struct gw *gw = sc->gw;
	struct pkt *pk[GW_BATCH];
	unsigned n, i;
	int r, rounds;

	/* A few batches per wakeup, then give the other descriptors a turn. */
	for (rounds = 0; rounds < 4 || sock_rx_pending(sc->s); rounds++) {
		for (n = 0; n < GW_BATCH; n++) {
			pk[n] = pkt_pool_get(gw->pool);
			if (!pk[n])
				break;
		}
		r = n ? sock_recv_batch(sc->s, pk, n) : 0;
		if (r > 0) {
			dp_input(&gw->dp, pk, (unsigned)r);
			net_gro_flush(&gw->gro);
		}
		for (i = 0; i < n; i++)
			pkt_pool_put(gw->pool, pk[i]);
		if (r < (int)GW_BATCH && !sock_rx_pending(sc->s))
			break;
	}
	sync_counters(gw);
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

/* Our routing table and the rule that leads to it; marks on our sockets
 * so that they skip it; the clear path for bypass policies. */
static int routes_open(struct gw *gw, const struct gw_config *cfg)
{
	uint32_t table = cfg->route_table ? cfg->route_table : ROUTE_DEFAULT_TABLE;
	uint32_t prio = cfg->rule_prio ? cfg->rule_prio : ROUTE_DEFAULT_PRIO;
	uint32_t mark = cfg->fwmark ? cfg->fwmark : ROUTE_DEFAULT_MARK;
	int k, r;

	for (k = 0; k < S_MAX; k++) {
		if (gw->s[k].fd >= 0 && (r = io_set_mark(gw->s[k].fd, mark)) < 0) {
			log_err("cannot mark the %s socket (SO_MARK): %s", sock_name(k), strerror(-r));
			return r;
		}
	}
	r = clear_open(&gw->clear, mark);
	if (r < 0) {
		log_err("cannot open the raw socket for bypassed packets: %s", strerror(-r));
		return r;
	}
	gw->dp.io.bypass = io_bypass;
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

int gw_open(struct gw **out, const struct gw_config *cfg, struct sad *sad,
            struct spd *spd, struct xfrm_events *events)
{
	struct gw *gw = calloc(1, sizeof(*gw));
	struct dp_io io;
	uint16_t nat = cfg->nat_port ? cfg->nat_port : 4500;
	uint16_t ike = cfg->ike_port ? cfg->ike_port : 500;
	int k, r;

	*out = NULL;
	if (!gw)
		return -ENOMEM;
	gw->tun.fd = -1;
	gw->clear.fd4 = gw->clear.fd6 = -1;
	for (k = 0; k < S_MAX; k++) {
		gw->s[k].fd = -1;
		gw->sctx[k].gw = gw;
		gw->sctx[k].s = &gw->s[k];
	}
	io = (struct dp_io){ .ctx = gw, .to_tun = io_to_tun, .to_net = io_to_net, .ike = io_ike };
	if (dp_init(&gw->dp, sad, spd, events, &io) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	dp_refresh_local(&gw->dp);
	net_gro_init(&gw->gro, gro_emit, gw);

	gw->pool = pkt_pool_new(GW_POOL_PKTS, PKT_DEFAULT_CAP);
	if (!gw->pool) {
		r = -ENOMEM;
		goto fail;
	}
	gw->tun_buf = malloc(GW_TUN_BUF);
	if (!gw->tun_buf) {
		r = -ENOMEM;
		goto fail;
	}
	r = (cfg->no_tun_offload ? tun_open : tun_open_offload)(
		&gw->tun, cfg->tun_name ? cfg->tun_name : GW_DEFAULT_TUN,
		cfg->mtu ? cfg->mtu : GW_DEFAULT_MTU);
	if (r < 0)
		goto fail;
	/* UDP datagrams are coalesced only where the TUN device takes USO */
	gw->gro.udp = gw->tun.uso;
	/* IPv4 sockets are required; IPv6 ones only if the host has IPv6. */
	r = sock_udp_open(&gw->s[k = S_NAT4], AF_INET, nat);
	if (r == 0)
		r = sock_udp_open(&gw->s[k = S_IKE4], AF_INET, ike);
	if (r == 0)
		r = sock_raw_esp_open(&gw->s[k = S_RAW4], AF_INET);
	if (r < 0) {
		/* k is the socket that failed (not the first closed slot: the
		 * IPv6 ones in between are opened later) */
		log_err("cannot open %s socket: %s%s", sock_name(k), strerror(-r),
		        r == -EADDRINUSE ? " (another IKE daemon or uipsecd running?)" : "");
		goto fail;
	}
	if (sock_udp_open(&gw->s[S_NAT6], AF_INET6, nat) < 0 ||
	    sock_udp_open(&gw->s[S_IKE6], AF_INET6, ike) < 0 ||
	    sock_raw_esp_open(&gw->s[S_RAW6], AF_INET6) < 0)
		log_warn("IPv6 sockets unavailable: IPv6 outer addresses will not work");
	if (cfg->no_udp_gso) {
		for (k = 0; k < S_MAX; k++)
			gw->s[k].gso = false;
	} else {
		/* UDP GRO on the ESP-in-UDP sockets: the peer's trains arrive whole */
		for (k = S_NAT4; k <= S_NAT6; k++)
			if (gw->s[k].fd >= 0 && sock_udp_enable_gro(&gw->s[k]) < 0)
				log_warn("%s: no UDP GRO; one datagram per receive", sock_name(k));
	}
	gw->routes_on = cfg->routes;
	if (gw->routes_on) {
		r = routes_open(gw, cfg);
		if (r < 0)
			goto fail;
	}
	*out = gw;
	return 0;
fail:
	gw_close(gw);
	return r;
}

int gw_attach(struct gw *gw, struct loop *loop)
{
	int k, r;

	gw->loop = loop;
	r = loop_add_fd(loop, gw->tun.fd, EPOLLIN, on_tun, gw);
	if (r < 0)
		return r;
	for (k = 0; k < S_MAX; k++) {
		if (gw->s[k].fd < 0)
			continue;
		r = loop_add_fd(loop, gw->s[k].fd, EPOLLIN, on_sock, &gw->sctx[k]);
		if (r < 0)
			return r;
	}
	return 0;
}

void gw_close(struct gw *gw)
{
	struct pol_route *pr, *n;
	int k;

	if (!gw)
		return;
	if (gw->loop) {
		if (gw->tun.fd >= 0)
			loop_del_fd(gw->loop, gw->tun.fd);
		for (k = 0; k < S_MAX; k++)
			if (gw->s[k].fd >= 0)
				loop_del_fd(gw->loop, gw->s[k].fd);
	}
	for (pr = gw->pol_routes; pr; pr = n) {
		n = pr->next;
		free(pr);
	}
	route_table_free(gw->routes);   /* removes every route we added */
	for (k = 0; k < 2; k++)
		if (gw->rule_on[k])
			route_rule_remove(&gw->rule[k]);
	clear_close(&gw->clear);
	for (k = 0; k < S_MAX; k++)
		sock_close(&gw->s[k]);
	tun_close(&gw->tun);            /* the kernel removes the device */
	dp_fini(&gw->dp);
	pkt_pool_free(gw->pool);
	free(gw->tun_buf);
	free(gw);
}

struct dp *gw_dp(struct gw *gw) { return &gw->dp; }
const char *gw_tun_name(const struct gw *gw) { return gw->tun.name; }
uint32_t gw_tun_mtu(const struct gw *gw) { return gw->tun.mtu; }
unsigned gw_route_count(const struct gw *gw) { return gw->routes ? route_table_count(gw->routes) : 0; }

/* ------------------------------------------------------------- routes */

static void route_forget(struct gw *gw, uint32_t index)
{
	struct pol_route **pp, *pr;

	for (pp = &gw->pol_routes; (pr = *pp); pp = &pr->next) {
		if (pr->index == index) {
			*pp = pr->next;
			route_table_del(gw->routes, &pr->prefix, pr->len);
			free(pr);
			return;
		}
	}
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
	case XFRM_EV_POLICY_UPDATE:
		route_forget(gw, pol->index);
		route_learn(gw, pol);
		break;
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
	bool nat = sport == gw->s[S_NAT4].port;
	int k = dst->family == AF_INET ? (nat ? S_NAT4 : S_IKE4) : (nat ? S_NAT6 : S_IKE6);
	uint32_t hdr = nat && marker ? 4 : 0;
	struct pkt *p;
	uint8_t *d;
	int r;

	if (gw->s[k].fd < 0)
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
	r = sock_send_batch(&gw->s[k], &p, 1) == 1 ? 0 : -EIO;
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

	return send_ctl(gw, src, gw->s[S_NAT4].port, dst, dport, &ka, 1, false);
}
