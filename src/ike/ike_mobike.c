/* MOBIKE (RFC 4555) as a task, both roles: the original initiator of an
 * IKE SA moves it, and its CHILD SAs, to a new local address with an
 * INFORMATIONAL exchange; the responder moves them in place (same SPIs,
 * keys and counters: no rekeying) to where the authenticated request
 * came from. Who decides is the initiator alone (RFC 4555 3.1).
 *
 *   HDR, SK {N(UPDATE_SA_ADDRESSES), N(NAT_DETECTION_SOURCE_IP),
 *            N(NAT_DETECTION_DESTINATION_IP), [N(NO_NATS_ALLOWED)],
 *            [N(COOKIE2)]}  -->
 *                  <--  HDR, SK {N(NAT_DETECTION_SOURCE_IP),
 *                                N(NAT_DETECTION_DESTINATION_IP), [N(COOKIE2)]}
 *
 * Support is announced with N(MOBIKE_SUPPORTED) in IKE_AUTH (ike_auth.c
 * sets sa->mobike when both ends did, 4.1). The initiator moves its IKE SA
 * at once (the request leaves from the new address, 3.5) and its CHILD
 * SAs when the response has come back to it there; COOKIE2 in the
 * request, echoed in the response, is that return routability check
 * (3.5, 5.2). With MOBIKE the responder follows the peer only on
 * UPDATE_SA_ADDRESSES, not on every request (3.8: ike_mgr.c's NAT-T
 * following is off then). The address lists of 3.6
 * (ADDITIONAL_IP*_ADDRESS): ike_mobike_addrs_parse and _put encode and
 * check them, but no exchange sends or uses them yet: uipsec moves to the
 * address its routing picks. Runs on the control loop. */
#include "ike/ike_mobike.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto/rand.h"
#include "ike/ike_child.h"
#include "ike/ike_ctx.h"
#include "ike/ike_init.h"
#include "ike/ike_mgr.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_sa.h"
#include "ike/ike_task.h"
#include "util/mem.h"

/* RFC 4555 3.5: COOKIE2 is 8 to 64 octets; ours are 16 random ones */
#define COOKIE2_MIN 8
#define COOKIE2_MAX 64
#define COOKIE2_OURS 16

/* A warning a peer can cause at will: rate-limited per call site. */
#define sa_warn_rl(sa, ...) \
	do { \
		static struct log_ratelimit rl_; \
		if (log_ratelimit_ok(&rl_)) \
			sa_warn(sa, __VA_ARGS__); \
	} while (0)

struct mobike_task {
	struct ike_task t;           /* first: the manager's handle */
	uint8_t cookie2[COOKIE2_OURS];
	bool has_cookie2;            /* initiator: sent, so the response must echo it */
};

static struct mobike_task *mobike_of(struct ike_task *t)
{
	return (struct mobike_task *)t;
}

static const char *ep_fmt(const struct ike_endpoint *ep, char *buf)
{
	return ip_addr_fmt(&ep->addr, buf);
}

bool ike_mobike_roam(struct ike_sa *sa)
{
	struct ike_ctx *ctx = sa->ctx;
	struct ip_addr now;
	char a[IP_ADDR_STRLEN], b[IP_ADDR_STRLEN];

	if (!sa->mobike || !sa->initiator || sa->state != IKE_STATE_ESTABLISHED ||
	    !ctx->io.route_src || ctx->io.route_src(ctx->io.ctx, &sa->remote.addr, &now))
		return false;
	if (ip_addr_equal(&now, &sa->local.addr))
		return false;
	sa_info(sa, "local address %s is no longer the way to %s, the routing picks %s: moving "
	        "the IKE_SA (MOBIKE)", ip_addr_fmt(&sa->local.addr, a),
	        ip_addr_fmt(&sa->remote.addr, b), ip_addr_fmt(&now, (char[IP_ADDR_STRLEN]){ 0 }));
	/* a request in flight would wait for its retransmissions from the
	 * old address: it goes again from the new one now (3.5, as charon's
	 * task manager does on roaming) */
	if (ike_mgr_waiting(sa)) {
		sa->local.addr = now;
		for (unsigned i = 0; i < IKE_MGR_WINDOW; i++)
			if (sa->mgr.req[i].task)
				ike_mgr_retransmit(sa, &sa->mgr.req[i]);
	}
	ike_mgr_queue(sa, IKE_TASK_MOBIKE, 0);
	return true;
}

/* ---- additional addresses (RFC 4555 3.6) ---- */

int ike_mobike_addrs_parse(const struct ike_msg *m, struct ike_mobike_addrs *out)
{
	struct ike_notify_pld n;
	struct ip_addr a;
	bool bad = false;

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < m->npld; i++) {
		if (m->pld[i].type != IKE_PLD_NOTIFY ||
		    ike_pld_notify_parse(m->pld[i].body, m->pld[i].len, &n))
			continue;
		switch (n.type) {
		case IKE_N_ADDITIONAL_IP4_ADDRESS:
		case IKE_N_ADDITIONAL_IP6_ADDRESS:
			out->present = true;
			if (n.dlen != (n.type == IKE_N_ADDITIONAL_IP4_ADDRESS ? 4u : 16u) ||
			    n.spi_len) {
				out->dropped++;
				continue;
			}
			ip_addr_from_bytes(&a, n.type == IKE_N_ADDITIONAL_IP4_ADDRESS ? AF_INET : AF_INET6,
			                   n.data);
			if (ip_addr_is_zero(&a)) {
				out->dropped++;
				continue;
			}
			bool dup = false;
			for (unsigned j = 0; j < out->n && !dup; j++)
				dup = ip_addr_equal(&out->addr[j], &a);
			if (dup)
				continue;
			if (out->n == IKE_MOBIKE_ADDRS_MAX) {
				out->dropped++;
				continue;
			}
			out->addr[out->n++] = a;
			break;
		case IKE_N_NO_ADDITIONAL_ADDRESSES:
			out->present = true;
			if (n.dlen || n.spi_len)
				bad = true;
			out->none = true;
			break;
		default:
			break;
		}
	}
	if (bad || (out->none && (out->n || out->dropped))) {
		out->n = 0;
		return -EINVAL;
	}
	return 0;
}

void ike_mobike_addrs_put(struct ike_mb *mb, const struct ip_addr *addrs, unsigned n,
                          const struct ip_addr *current)
{
	unsigned sent = 0;

	for (unsigned i = 0; i < n && sent < IKE_MOBIKE_ADDRS_MAX; i++) {
		if (current && ip_addr_equal(&addrs[i], current))
			continue;
		if (addrs[i].family == AF_INET)
			ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_ADDITIONAL_IP4_ADDRESS, addrs[i].a, 4);
		else if (addrs[i].family == AF_INET6)
			ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_ADDITIONAL_IP6_ADDRESS, addrs[i].a, 16);
		else
			continue;
		sent++;
	}
	if (!sent)
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_NO_ADDITIONAL_ADDRESSES, NULL, 0);
}

/* ---- initiator ---- */

static enum ike_task_status mobike_build(struct ike_task *t, struct ike_sa *sa,
                                         struct ike_mb *mb)
{
	struct mobike_task *mt = mobike_of(t);
	struct ike_ctx *ctx = sa->ctx;
	struct ip_addr now;
	char a[IP_ADDR_STRLEN], b[IP_ADDR_STRLEN];

	if (!sa->mobike || !sa->initiator)
		return IKE_TASK_DONE;
	if (ctx->io.route_src && !ctx->io.route_src(ctx->io.ctx, &sa->remote.addr, &now))
		sa->local.addr = now;
	ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_UPDATE_SA_ADDRESSES, NULL, 0);
	ike_init_natd_put(sa, mb);
	/* without random bytes no COOKIE2: the move still works, unchecked */
	mt->has_cookie2 = !crypto_rand(mt->cookie2, sizeof(mt->cookie2));
	if (mt->has_cookie2)
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_COOKIE2, mt->cookie2, sizeof(mt->cookie2));
	sa_info(sa, "sending UPDATE_SA_ADDRESSES: %s[%u] - %s[%u]", ep_fmt(&sa->local, a),
	        sa->local.port, ep_fmt(&sa->remote, b), sa->remote.port);
	return IKE_TASK_NEED_MORE;
}

static enum ike_task_status mobike_process(struct ike_task *t, struct ike_sa *sa,
                                           const struct ike_msg *m)
{
	struct mobike_task *mt = mobike_of(t);
	const struct ike_pld *p;
	struct ike_notify_pld n;
	uint16_t err = ike_msg_error_notify(m);
	unsigned moved;

	if (err) {
		sa_warn(sa, "peer answered UPDATE_SA_ADDRESSES with %s: CHILD_SAs not moved",
		        ike_notify_name(err));
		return IKE_TASK_DONE;
	}
	if (mt->has_cookie2) {
		p = ike_msg_find_notify(m, IKE_N_COOKIE2);
		if (!p || ike_pld_notify_parse(p->body, p->len, &n) || n.dlen != sizeof(mt->cookie2) ||
		    !mem_equal_ct(n.data, mt->cookie2, sizeof(mt->cookie2))) {
			sa->ctx->stats.mobike_refused++;
			sa_warn(sa, "the response to UPDATE_SA_ADDRESSES does not echo our COOKIE2 "
			        "(return routability check, RFC 4555 3.5): CHILD_SAs not moved");
			return IKE_TASK_DONE;
		}
	}
	ike_init_natd_check(sa, m);
	moved = ike_child_move_all(sa);
	sa->ctx->stats.mobike_moves++;
	sa_info(sa, "IKE_SA moved by MOBIKE, %u CHILD_SA%s with it", moved, moved == 1 ? "" : "s");
	return IKE_TASK_DONE;
}

/* ---- responder ---- */

/* RFC 4555 3.5: the request's NAT detection notifies, checked: both
 * present, 20 octets each (SHA-1); and its COOKIE2 (8 to 64 octets), if
 * any. False if malformed. */
static bool request_ok(const struct ike_msg *m, const struct ike_notify_pld **cookie2,
                       struct ike_notify_pld *c2)
{
	bool src = false, dst = false;
	struct ike_notify_pld n;

	*cookie2 = NULL;
	for (unsigned i = 0; i < m->npld; i++) {
		if (m->pld[i].type != IKE_PLD_NOTIFY ||
		    ike_pld_notify_parse(m->pld[i].body, m->pld[i].len, &n))
			continue;
		switch (n.type) {
		case IKE_N_NAT_DETECTION_SOURCE_IP:
			if (n.dlen != 20)
				return false;
			src = true;
			break;
		case IKE_N_NAT_DETECTION_DESTINATION_IP:
			if (n.dlen != 20 || dst)
				return false;
			dst = true;
			break;
		case IKE_N_COOKIE2:
			if (n.dlen < COOKIE2_MIN || n.dlen > COOKIE2_MAX || *cookie2)
				return false;
			*c2 = n;
			*cookie2 = c2;
			break;
		default:
			break;
		}
	}
	return src && dst;
}

static enum ike_task_status refuse(struct ike_sa *sa, const char *why)
{
	sa->ctx->stats.mobike_refused++;
	sa_warn_rl(sa, "UPDATE_SA_ADDRESSES refused: %s", why);
	return IKE_TASK_DONE;
}

static enum ike_task_status mobike_respond(struct ike_task *t, struct ike_sa *sa,
                                           const struct ike_msg *m, struct ike_mb *mb)
{
	const struct ike_notify_pld *cookie2;
	struct ike_notify_pld c2;
	struct ike_endpoint old_remote = sa->remote, old_local = sa->local;
	bool old_natt = sa->natt, old_nat_l = sa->nat_local, old_nat_r = sa->nat_remote;
	char a[IP_ADDR_STRLEN], b[IP_ADDR_STRLEN];
	unsigned moved;

	/* answered with an empty INFORMATIONAL, as an unknown status notify:
	 * nothing moves */
	if (!sa->mobike)
		return refuse(sa, "MOBIKE was not negotiated on this IKE_SA (mobike = no here or "
		              "at the peer)");
	if (sa->initiator)
		return refuse(sa, "only the original initiator may move the IKE_SA (RFC 4555 3.1)");
	if (!m->local || !m->remote)
		return refuse(sa, "no addresses to move to");
	if (!request_ok(m, &cookie2, &c2)) {
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		return refuse(sa, "its NAT_DETECTION notifies are missing or not 20 octets, or its "
		              "COOKIE2 is not 8 to 64 octets: INVALID_SYNTAX");
	}
	sa->remote = *m->remote;
	sa->local = *m->local;
	sa->natt = sa->local.port == IKE_NATT_PORT;
	ike_init_natd_check(sa, m);
	if (ike_msg_find_notify(m, IKE_N_NO_NATS_ALLOWED) && (sa->nat_local || sa->nat_remote)) {
		/* RFC 4555 3.9: the peer wants no NAT on the way, and there is one */
		sa->remote = old_remote;
		sa->local = old_local;
		sa->natt = old_natt;
		sa->nat_local = old_nat_l;
		sa->nat_remote = old_nat_r;
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_UNEXPECTED_NAT_DETECTED, NULL, 0);
		return refuse(sa, "NO_NATS_ALLOWED, but there is a NAT: UNEXPECTED_NAT_DETECTED");
	}
	ike_init_natd_put(sa, mb);
	if (cookie2)
		ike_pld_notify_put(mb, 0, NULL, 0, IKE_N_COOKIE2, cookie2->data, cookie2->dlen);
	moved = ike_child_move_all(sa);
	sa->ctx->stats.mobike_moves++;
	sa_info(sa, "peer moved from %s[%u] to %s[%u] (UPDATE_SA_ADDRESSES), %u CHILD_SA%s with it",
	        ep_fmt(&old_remote, a), old_remote.port, ep_fmt(&sa->remote, b), sa->remote.port,
	        moved, moved == 1 ? "" : "s");
	return IKE_TASK_DONE;
}

static void mobike_destroy(struct ike_task *t, struct ike_sa *sa)
{
	mem_free_wipe(t, sizeof(struct mobike_task));
}

static const struct ike_task_ops mobike_ops = {
	.name = "MOBIKE", .exchange = INFORMATIONAL,
	.build = mobike_build, .process = mobike_process, .respond = mobike_respond,
	.destroy = mobike_destroy,
};

struct ike_task *ike_mobike_task_new(struct ike_sa *sa, uint32_t arg)
{
	struct mobike_task *mt = calloc(1, sizeof(*mt));

	if (!mt)
		return NULL;
	mt->t.ops = &mobike_ops;
	return &mt->t;
}
