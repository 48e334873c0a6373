/* All IKE timer policy in one place. The exchanges report events
 * (request sent, response received, SA established, CHILD SA installed);
 * this file decides what they mean:
 *
 *   retransmit   4 s * 1.8^n after each send, n = 0..IKE_RETX_TRIES-1, then
 *                give up and end the IKE SA (strongSwan's defaults): the end
 *                reason is dpd-dead if the request was a liveness check,
 *                the Delete's own reason if it was a Delete, else
 *                retransmit-giveup
 *   half-open    a responder's IKE SA not authenticated within 30 s dies
 *   DPD          empty INFORMATIONAL after dpd_delay s without a message
 *                from the peer
 *   keepalive    behind a NAT, one 0xff byte to the peer's 4500 every 20 s
 *                (RFC 3948 2.3) keeps the NAT mapping
 *   IKE rekey    rekey_time s after the IKE SA was established (or rekeyed,
 *                or the peer refused the last attempt)
 *   rekeying     CHILD SAs rekey on the data plane's soft expire (the
 *                backend's expire event, ike.c); their states' lifetimes
 *                carry rekey_time/life_time
 *   fragments    a message still not whole 30 s after its first fragment
 *                was kept is given up (RFC 7383 reassembly; a
 *                retransmission starts it afresh)
 */
#include "ike/ike_timers.h"

#include "ike/ike_child.h"
#include "ike/ike_ctx.h"
#include "ike/ike_mgr.h"
#include "ike/ike_sa.h"

#define IKE_RETX_TIMEOUT_MS 4000.0
#define IKE_RETX_BASE 1.8
#define IKE_RETX_TRIES 5
#define IKE_HALF_OPEN_MS 30000
#define IKE_KEEPALIVE_MS 20000
#define IKE_FRAG_TIMEOUT_MS 30000

static uint64_t retx_delay(unsigned n)
{
	double d = IKE_RETX_TIMEOUT_MS;

	while (n--)
		d *= IKE_RETX_BASE;
	return (uint64_t)d;
}

void ike_timers_request_sent(struct ike_sa *sa, struct ike_req *r)
{
	r->retries = 0;
	r->retx_ms = ike_now(sa->ctx) + retx_delay(0);
}

void ike_timers_response_received(struct ike_sa *sa, struct ike_req *r)
{
	r->retries = 0;
}

void ike_timers_established(struct ike_sa *sa)
{
	sa->established_ms = ike_now(sa->ctx);
	sa->keepalive_ms = sa->established_ms;
	sa->dpd_ms = 0;
}

void ike_timers_child_installed(struct ike_sa *sa, struct ike_child_sa *c)
{
	uint64_t now = ike_now(sa->ctx);

	c->installed_ms = now;
	c->rekey_ms = c->cfg.rekey_time ? now + c->cfg.rekey_time * 1000ull : 0;
	c->expire_ms = c->cfg.rekey_time ?
		now + (c->cfg.life_time ? c->cfg.life_time : c->cfg.rekey_time * 11ull / 10) * 1000ull : 0;
}

void ike_timers_ike_rekey_refused(struct ike_sa *sa)
{
	sa->established_ms = ike_now(sa->ctx);
}

/* RFC 7296 2.4: a peer that answers none of our retransmits is gone. */
static enum ike_end_reason giveup_reason(const struct ike_req *r)
{
	if (r->task->kind == IKE_TASK_DPD)
		return IKE_END_DPD_DEAD;
	if (r->task->kind == IKE_TASK_IKE_DELETE)
		return (enum ike_end_reason)r->task->arg;
	return IKE_END_RETRANSMIT_GIVEUP;
}

/* Retransmit or give up each request in flight that is due. False if sa
 * was given up. */
static bool retransmit(struct ike_sa *sa, uint64_t now)
{
	for (unsigned i = 0; i < IKE_MGR_WINDOW; i++) {
		struct ike_req *r = &sa->mgr.req[i];
		if (!r->task || now < r->retx_ms)
			continue;
		if (r->retries >= IKE_RETX_TRIES) {
			sa_warn(sa, "giving up after %u retransmits: peer %s[%u] does not answer",
			        r->retries, ip_addr_fmt(&sa->remote.addr, (char[IP_ADDR_STRLEN]){ 0 }),
			        sa->remote.port);
			ike_sa_end(sa, giveup_reason(r));
			return false;
		}
		r->retries++;
		sa->ctx->stats.retransmits++;
		sa_info(sa, "retransmit %u of request %u", r->retries, r->msgid);
		ike_mgr_retransmit(sa, r);
		r->retx_ms = now + retx_delay(r->retries);
	}
	return true;
}

static bool ike_rekey_due(const struct ike_sa *sa)
{
	return sa->state == IKE_STATE_ESTABLISHED && !sa->rekeyed && sa->conn &&
	       sa->conn->cfg.rekey_time && !ike_mgr_has(sa, IKE_TASK_IKE_REKEY);
}

static uint64_t retx_next(const struct ike_sa *sa)
{
	uint64_t next = UINT64_MAX;

	for (unsigned i = 0; i < IKE_MGR_WINDOW; i++)
		if (sa->mgr.req[i].task && sa->mgr.req[i].retx_ms < next)
			next = sa->mgr.req[i].retx_ms;
	return next;
}

static void frag_timeout(struct ike_sa *sa, uint64_t now)
{
	struct ike_reasm *ras[2] = { &sa->mgr.reasm_req, &sa->mgr.reasm_resp };

	for (unsigned i = 0; i < 2; i++) {
		struct ike_reasm *ra = ras[i];
		if (ike_reasm_busy(ra) && now - ra->since_ms >= IKE_FRAG_TIMEOUT_MS) {
			sa_debug(sa, "fragmented message %u not complete after %u s (%u of %u "
			         "fragments): given up", ra->msgid, IKE_FRAG_TIMEOUT_MS / 1000, ra->have,
			         ra->total);
			ike_reasm_discard(sa->ctx, ra);
		}
	}
}

void ike_timers_run(struct ike_sa *sa, uint64_t now)
{
	if (sa->state == IKE_STATE_DEAD)
		return;
	frag_timeout(sa, now);
	if (sa->state == IKE_STATE_INIT_RESPONDED && now - sa->created_ms >= IKE_HALF_OPEN_MS) {
		sa_info(sa, "half-open IKE_SA timed out");
		ike_sa_end(sa, IKE_END_HALF_OPEN_TIMEOUT);
		return;
	}
	if (!retransmit(sa, now))
		return;
	if (ike_rekey_due(sa) && now - sa->established_ms >= sa->conn->cfg.rekey_time * 1000ull)
		ike_mgr_queue(sa, IKE_TASK_IKE_REKEY, 0);
	if (sa->state == IKE_STATE_ESTABLISHED && sa->nat_local && sa->ctx->io.keepalive &&
	    now - sa->keepalive_ms >= IKE_KEEPALIVE_MS) {
		sa->keepalive_ms = now;
		sa->ctx->io.keepalive(sa->ctx->io.ctx, &sa->local, &sa->remote);
	}
	if (sa->state == IKE_STATE_ESTABLISHED && sa->conn && sa->conn->cfg.dpd_delay &&
	    !ike_mgr_waiting(sa)) {
		uint64_t last = sa->last_rx_ms > sa->dpd_ms ? sa->last_rx_ms : sa->dpd_ms;
		if (now - last >= sa->conn->cfg.dpd_delay * 1000ull) {
			sa->dpd_ms = now;
			ike_mgr_queue(sa, IKE_TASK_DPD, 0);
		}
	}
}

uint64_t ike_timers_next(const struct ike_sa *sa)
{
	uint64_t next = UINT64_MAX;

	if (sa->state == IKE_STATE_DEAD)
		return 0;
	next = retx_next(sa);
	const struct ike_reasm *ras[2] = { &sa->mgr.reasm_req, &sa->mgr.reasm_resp };
	for (unsigned i = 0; i < 2; i++) {
		const struct ike_reasm *ra = ras[i];
		if (ike_reasm_busy(ra) && ra->since_ms + IKE_FRAG_TIMEOUT_MS < next)
			next = ra->since_ms + IKE_FRAG_TIMEOUT_MS;
	}
	if (sa->state == IKE_STATE_INIT_RESPONDED && sa->created_ms + IKE_HALF_OPEN_MS < next)
		next = sa->created_ms + IKE_HALF_OPEN_MS;
	if (ike_rekey_due(sa) && sa->established_ms + sa->conn->cfg.rekey_time * 1000ull < next)
		next = sa->established_ms + sa->conn->cfg.rekey_time * 1000ull;
	if (sa->state == IKE_STATE_ESTABLISHED && sa->nat_local && sa->ctx->io.keepalive &&
	    sa->keepalive_ms + IKE_KEEPALIVE_MS < next)
		next = sa->keepalive_ms + IKE_KEEPALIVE_MS;
	if (sa->state == IKE_STATE_ESTABLISHED && sa->conn && sa->conn->cfg.dpd_delay &&
	    !ike_mgr_waiting(sa)) {
		uint64_t last = sa->last_rx_ms > sa->dpd_ms ? sa->last_rx_ms : sa->dpd_ms;
		uint64_t t = last + sa->conn->cfg.dpd_delay * 1000ull;
		if (t < next)
			next = t;
	}
	return next;
}
