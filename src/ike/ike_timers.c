/* All IKE timer policy in one place. The exchanges report events
 * (request sent, response received, SA established, CHILD SA installed);
 * this file decides what they mean:
 *
 *   retransmit   4 s * 1.8^n after each send, n = 0..IKE_RETX_TRIES-1, then
 *                give up and delete the IKE SA (strongSwan's defaults)
 *   half-open    a responder's IKE SA not authenticated within 30 s dies
 *   DPD          empty INFORMATIONAL after dpd_delay s without a message
 *                from the peer
 *   keepalive    behind a NAT, one 0xff byte to the peer's 4500 every 20 s
 *                (RFC 3948 2.3) keeps the NAT mapping
 *   IKE rekey    rekey_time s after the IKE SA was established (or rekeyed)
 *   rekeying     CHILD SAs rekey on the SAD's soft expire (ike_expire), the
 *                SAD's lifetimes carry rekey_time/life_time
 */
#include "ike/ike_ctx.h"
#include "ike/ike_sa.h"
#include "ike/ike_timers.h"

#define IKE_RETX_TIMEOUT_MS 4000.0
#define IKE_RETX_BASE 1.8
#define IKE_RETX_TRIES 5
#define IKE_HALF_OPEN_MS 30000
#define IKE_KEEPALIVE_MS 20000

static uint64_t retx_delay(unsigned n)
{
	double d = IKE_RETX_TIMEOUT_MS;

	while (n--)
		d *= IKE_RETX_BASE;
	return (uint64_t)d;
}

void ike_timers_request_sent(struct ike_sa *sa)
{
	sa->retries = 0;
	sa->retx_ms = ike_now(sa->ctx) + retx_delay(0);
}

void ike_timers_response_received(struct ike_sa *sa)
{
	sa->req_pending = false;
	sa->retries = 0;
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

void ike_timers_run(struct ike_sa *sa, uint64_t now)
{
	if (sa->state == IKE_STATE_DEAD)
		return;
	if (sa->state == IKE_STATE_INIT_RESPONDED && now - sa->created_ms >= IKE_HALF_OPEN_MS) {
		sa_info(sa, "half-open IKE_SA timed out");
		ike_sa_set_state(sa, IKE_STATE_DEAD);
		return;
	}
	if (sa->req_pending && now >= sa->retx_ms) {
		if (sa->retries + 1 >= IKE_RETX_TRIES + 1) {
			sa_warn(sa, "giving up after %u retransmits: peer %s[%u] does not answer",
			        sa->retries, ip_addr_fmt(&sa->remote.addr, (char[IP_ADDR_STRLEN]){ 0 }),
			        sa->remote.port);
			ike_sa_set_state(sa, IKE_STATE_DEAD);
			return;
		}
		sa->retries++;
		sa->ctx->stats.retransmits++;
		sa_info(sa, "retransmit %u of request %u", sa->retries, sa->msgid_out);
		ike_sa_send_raw(sa, sa->req_buf, sa->req_len);
		sa->retx_ms = now + retx_delay(sa->retries);
	}
	if (sa->state == IKE_STATE_ESTABLISHED && !sa->rekeyed && sa->conn &&
	    sa->conn->cfg.rekey_time && !sa->rekey_dh &&
	    now - sa->established_ms >= sa->conn->cfg.rekey_time * 1000ull) {
		ike_sa_queue(sa, TASK_IKE_REKEY, 0);
	}
	if (sa->state == IKE_STATE_ESTABLISHED && sa->nat_local && sa->ctx->io.keepalive &&
	    now - sa->keepalive_ms >= IKE_KEEPALIVE_MS) {
		sa->keepalive_ms = now;
		sa->ctx->io.keepalive(sa->ctx->io.ctx, &sa->local, &sa->remote);
	}
	if (sa->state == IKE_STATE_ESTABLISHED && sa->conn && sa->conn->cfg.dpd_delay &&
	    !sa->req_pending) {
		uint64_t last = sa->last_rx_ms > sa->dpd_ms ? sa->last_rx_ms : sa->dpd_ms;
		if (now - last >= sa->conn->cfg.dpd_delay * 1000ull) {
			sa->dpd_ms = now;
			ike_sa_queue(sa, TASK_DPD, 0);
		}
	}
}

uint64_t ike_timers_next(const struct ike_sa *sa)
{
	uint64_t next = UINT64_MAX;

	if (sa->state == IKE_STATE_DEAD)
		return 0;
	if (sa->req_pending)
		next = sa->retx_ms;
	if (sa->state == IKE_STATE_INIT_RESPONDED && sa->created_ms + IKE_HALF_OPEN_MS < next)
		next = sa->created_ms + IKE_HALF_OPEN_MS;
	if (sa->state == IKE_STATE_ESTABLISHED && !sa->rekeyed && sa->conn &&
	    sa->conn->cfg.rekey_time && !sa->rekey_dh &&
	    sa->established_ms + sa->conn->cfg.rekey_time * 1000ull < next)
		next = sa->established_ms + sa->conn->cfg.rekey_time * 1000ull;
	if (sa->state == IKE_STATE_ESTABLISHED && sa->nat_local && sa->ctx->io.keepalive &&
	    sa->keepalive_ms + IKE_KEEPALIVE_MS < next)
		next = sa->keepalive_ms + IKE_KEEPALIVE_MS;
	if (sa->state == IKE_STATE_ESTABLISHED && sa->conn && sa->conn->cfg.dpd_delay &&
	    !sa->req_pending) {
		uint64_t last = sa->last_rx_ms > sa->dpd_ms ? sa->last_rx_ms : sa->dpd_ms;
		uint64_t t = last + sa->conn->cfg.dpd_delay * 1000ull;
		if (t < next)
			next = t;
	}
	return next;
}
