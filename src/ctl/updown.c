/* updown scripts (updown.h): the environment charon's updown plugin sets,
 * and the requests for the helper process that runs them (runner.h). */
#include "ctl/updown.h"
#include "net/addr.h"
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IPPROTO_ICMP_ 1
#define IPPROTO_ICMPV6_ 58

/* ------------------------------------------------------------ environment */

void updown_child_set(struct updown_child *u, const struct ike_child_up_event *ev)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->conn, sizeof(u->conn), "%s", ev->conn ? ev->conn : "");
	snprintf(u->child, sizeof(u->child), "%s", ev->child ? ev->child : "");
	snprintf(u->updown, sizeof(u->updown), "%s", ev->updown ? ev->updown : "");
	u->hostaccess = ev->hostaccess;
	u->transport = ev->transport;
	u->encap = ev->encap;
	u->ike_unique_id = ev->ike_unique_id;
	u->unique_id = ev->unique_id;
	u->reqid = ev->reqid;
	u->spi_in = ev->spi_in;
	u->spi_out = ev->spi_out;
	u->local = ev->local;
	u->remote = ev->remote;
	snprintf(u->local_id, sizeof(u->local_id), "%s", ev->local_id ? ev->local_id : "");
	snprintf(u->remote_id, sizeof(u->remote_id), "%s", ev->remote_id ? ev->remote_id : "");
	snprintf(u->eap_id, sizeof(u->eap_id), "%s", ev->remote_eap_id ? ev->remote_eap_id : "");
	if (ev->ts_local)
		u->ts_local = *ev->ts_local;
	if (ev->ts_remote)
		u->ts_remote = *ev->ts_remote;
	for (unsigned i = 0; i < ev->nvip_local && i < 2; i++)
		u->vip_local[u->nvip_local++] = ev->vip_local[i];
	for (unsigned i = 0; i < ev->nvip_remote && i < 2; i++)
		u->vip_remote[u->nvip_remote++] = ev->vip_remote[i];
	for (unsigned i = 0; i < ev->ndns && i < 8; i++)
		u->dns[u->ndns++] = ev->dns[i];
}

static bool ts_is_host(const struct ike_ts *t, const struct ip_addr *me)
{
	return ip_addr_equal(&t->lo, &t->hi) && ip_addr_equal(&t->lo, me);
}

static bool ts_v6(const struct ike_ts *t)
{
	return t->lo.family == AF_INET6;
}

const char *updown_verb(const struct updown_child *u, bool up, unsigned li, char *buf)
{
	const struct ike_ts *t = li < u->ts_local.n ? &u->ts_local.ts[li] : NULL;
	bool host = t && ts_is_host(t, &u->local.addr);
	bool v6 = host ? u->local.addr.family == AF_INET6 : t && ts_v6(t);

	snprintf(buf, 16, "%s%s%s", up ? "up" : "down", host ? "-host" : "-client", v6 ? "-v6" : "");
	return buf;
}

/* The smallest subnet holding the range (charon's to_subnet: a range that
 * is no subnet is approximated by the next larger one). */
static unsigned ts_subnet(const struct ike_ts *t, struct ip_addr *net)
{
	size_t n = ip_addr_len(&t->lo);
	unsigned bits = 0;

	*net = t->lo;
	for (size_t i = 0; i < n; i++) {
		uint8_t x = t->lo.a[i] ^ t->hi.a[i];
		if (!x) {
			bits += 8;
			continue;
		}
		while (!(x & 0x80)) {
			bits++;
			x = (uint8_t)(x << 1);
		}
		break;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned keep = bits > i * 8 ? bits - (unsigned)i * 8 : 0;
		if (keep < 8)
			net->a[i] &= (uint8_t)(0xff00u >> keep);
	}
	return bits;
}

/* PLUTO_MY_PORT / PLUTO_PEER_PORT as charon's get_port writes them: ICMP
 * type (ours) and code (the peer's), a port, or a range from:to. */
static void port_str(const struct ike_ts *me, const struct ike_ts *other, bool local, char *buf,
                     size_t len)
{
	uint8_t proto = me->proto > other->proto ? me->proto : other->proto;
	const struct ike_ts *t = local ? me : other;

	if (proto == IPPROTO_ICMP_ || proto == IPPROTO_ICMPV6_) {
		uint16_t port = me->port_lo > other->port_lo ? me->port_lo : other->port_lo;
		snprintf(buf, len, "%u", local ? port >> 8 : port & 0xff);
		return;
	}
	if (t->port_lo == t->port_hi || (t->port_lo == 0 && t->port_hi == 65535))
		snprintf(buf, len, "%u", t->port_lo);
	else
		snprintf(buf, len, "%u:%u", t->port_lo, t->port_hi);
}

struct envb {
	char *buf;
	size_t len, n;
	bool full;
};

__attribute__((format(printf, 2, 3)))
static void put(struct envb *e, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (e->full)
		return;
	va_start(ap, fmt);
	r = vsnprintf(e->buf + e->n, e->len - e->n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r + 1 > e->len - e->n) {
		e->full = true;
		return;
	}
	e->n += (size_t)r + 1;   /* the NUL ends the string */
}

static void put_vips(struct envb *e, const struct ip_addr *v, unsigned n, const char *who)
{
	char a[IP_ADDR_STRLEN];
	unsigned v4 = 0, v6 = 0;

	for (unsigned i = 0; i < n; i++) {
		ip_addr_fmt(&v[i], a);
		if (i == 0)   /* the legacy variable: the first one */
			put(e, "PLUTO_%s_SOURCEIP=%s", who, a);
		if (v[i].family == AF_INET)
			put(e, "PLUTO_%s_SOURCEIP4_%u=%s", who, ++v4, a);
		else if (v[i].family == AF_INET6)
			put(e, "PLUTO_%s_SOURCEIP6_%u=%s", who, ++v6, a);
	}
}

int updown_env(const struct updown_child *u, bool up, unsigned li, unsigned ri,
               const char *iface, const char *path, char *buf, size_t len)
{
	struct envb e = { .buf = buf, .len = len };
	char verb[16], a[IP_ADDR_STRLEN], port[16];
	struct ip_addr net;
	unsigned bits, v4 = 0, v6 = 0;

	if (li >= u->ts_local.n || ri >= u->ts_remote.n)
		return -EINVAL;
	const struct ike_ts *me = &u->ts_local.ts[li], *other = &u->ts_remote.ts[ri];

	if (path)
		put(&e, "PATH=%s", path);
	put(&e, "PLUTO_VERSION=1.1");
	put(&e, "PLUTO_VERB=%s", updown_verb(u, up, li, verb));
	put(&e, "PLUTO_CONNECTION=%s", u->child);   /* charon: the CHILD_SA config's name */
	put(&e, "PLUTO_INTERFACE=%s", iface && iface[0] ? iface : "unknown");
	put(&e, "PLUTO_REQID=%u", u->reqid);
	put(&e, "PLUTO_PROTO=esp");
	put(&e, "PLUTO_UNIQUEID=%u", u->ike_unique_id);
	put(&e, "PLUTO_ME=%s", ip_addr_fmt(&u->local.addr, a));
	put(&e, "PLUTO_MY_ID=%s", u->local_id);
	bits = ts_subnet(me, &net);
	put(&e, "PLUTO_MY_CLIENT=%s/%u", ip_addr_fmt(&net, a), bits);
	port_str(me, other, true, port, sizeof(port));
	put(&e, "PLUTO_MY_PORT=%s", port);
	put(&e, "PLUTO_MY_PROTOCOL=%u", me->proto);
	put(&e, "PLUTO_PEER=%s", ip_addr_fmt(&u->remote.addr, a));
	put(&e, "PLUTO_PEER_ID=%s", u->remote_id);
	bits = ts_subnet(other, &net);
	put(&e, "PLUTO_PEER_CLIENT=%s/%u", ip_addr_fmt(&net, a), bits);
	port_str(me, other, false, port, sizeof(port));
	put(&e, "PLUTO_PEER_PORT=%s", port);
	put(&e, "PLUTO_PEER_PROTOCOL=%u", other->proto);
	if (u->eap_id[0])
		put(&e, "PLUTO_XAUTH_ID=%s", u->eap_id);
	put_vips(&e, u->vip_local, u->nvip_local, "MY");
	put_vips(&e, u->vip_remote, u->nvip_remote, "PEER");
	/* PLUTO_MARK_IN/OUT, PLUTO_IF_ID_IN/OUT, PLUTO_IPCOMP: uipsec accepts
	 * only the values with which charon sets none of them */
	if (u->encap)
		put(&e, "PLUTO_UDP_ENC=%u", u->remote.port);
	for (unsigned i = 0; i < u->ndns; i++) {
		ip_addr_fmt(&u->dns[i], a);
		if (u->dns[i].family == AF_INET)
			put(&e, "PLUTO_DNS4_%u=%s", ++v4, a);
		else if (u->dns[i].family == AF_INET6)
			put(&e, "PLUTO_DNS6_%u=%s", ++v6, a);
	}
	if (u->hostaccess)
		put(&e, "PLUTO_HOST_ACCESS=1");
	return e.full ? -ENOSPC : (int)e.n;
}

/* ------------------------------------------------------------ the daemon side */

static struct updown_child *kept_find(struct updown *ud, uint32_t spi_in)
{
	for (size_t i = 0; i < ud->nkept; i++)
		if (ud->kept[i].spi_in == spi_in)
			return &ud->kept[i];
	return NULL;
}

static struct updown_child *kept_add(struct updown *ud)
{
	if (ud->nkept == ud->capkept) {
		size_t nc = ud->capkept ? ud->capkept * 2 : 8;
		struct updown_child *n = realloc(ud->kept, nc * sizeof(*n));
		if (!n)
			return NULL;
		ud->kept = n;
		ud->capkept = nc;
	}
	return &ud->kept[ud->nkept++];
}

static void kept_del(struct updown *ud, struct updown_child *u)
{
	*u = ud->kept[--ud->nkept];
}

/* Send the requests for every pair of traffic selectors of u. */
static void run(struct updown *ud, const struct updown_child *u, bool up)
{
	static char msg[UPDOWN_MSG_MAX];   /* 'U', the command, NUL, the environment */
	const char *path = getenv("PATH");
	char verb[16];

	for (unsigned li = 0; li < u->ts_local.n; li++)
		for (unsigned ri = 0; ri < u->ts_remote.n; ri++) {
			size_t cl = 1 + strlen(u->updown) + 1;
			int n, e = 0;

			/* charon's policies pair selectors of one family */
			if (u->ts_local.ts[li].lo.family != u->ts_remote.ts[ri].lo.family)
				continue;

			if (!ud->run || ud->run->fd < 0) {
				log_warn("%s: updown script not run (no helper process)", u->child);
				ud->dropped++;
				continue;
			}
			msg[0] = RUNNER_UPDOWN;
			memcpy(msg + 1, u->updown, cl - 1);
			n = updown_env(u, up, li, ri, ud->iface, path ? path : "/usr/sbin:/usr/bin:/sbin:/bin",
			               msg + cl, sizeof(msg) - cl);
			if (n < 0 || (e = runner_send(ud->run, msg, cl + (size_t)n)) < 0) {
				log_warn("%s: updown %s not run: %s", u->child, updown_verb(u, up, li, verb),
				         n < 0 ? "environment too large" : strerror(-e));
				ud->dropped++;
				continue;
			}
			ud->runs++;
			log_debug("%s: updown %s: %s", u->child, updown_verb(u, up, li, verb), u->updown);
		}
}

void updown_child_up(struct updown *ud, const struct ike_child_up_event *ev)
{
	struct updown_child *u;

	if (ev->rekeyed_spi) {
		/* a rekeying: no "up"; the successor is "down" later in its place
		 * (and the predecessor ends without one) */
		struct updown_child *old = kept_find(ud, ev->rekeyed_spi);
		if (!old)
			return;
		struct updown_child copy = *old;
		if (!(u = kept_add(ud))) {
			log_warn("%s: out of memory: no updown down for the rekeyed CHILD SA", ev->child);
			return;
		}
		*u = copy;
		u->spi_in = ev->spi_in;
		u->spi_out = ev->spi_out;
		u->unique_id = ev->unique_id;
		return;
	}
	if (!ev->updown || !ev->updown[0])
		return;
	if (!(u = kept_add(ud))) {
		log_warn("%s: out of memory: updown script not run", ev->child);
		return;
	}
	updown_child_set(u, ev);
	run(ud, u, true);
}

void updown_child_ended(struct updown *ud, const struct ike_child_end_event *ev)
{
	struct updown_child *u;

	if (!ev->installed || !(u = kept_find(ud, ev->spi_in)))
		return;
	if (ev->reason != CHILD_END_REKEYED && ev->reason != CHILD_END_REKEY_COLLISION)
		run(ud, u, false);
	kept_del(ud, u);
}

void updown_free(struct updown *ud)
{
	free(ud->kept);
	ud->kept = NULL;
	ud->nkept = ud->capkept = 0;
}
