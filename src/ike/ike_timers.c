/* All IKE timer policy in one place. The exchanges report events
 * (request sent, response received, SA established, CHILD SA installed);
 * this file decides what they mean:
 *
 *   retransmit   after timeout * base^n s (n = 0, 1, ..., each less a
 *                random part of up to jitter percent and at most limit s),
 *                `tries` times, then give up and end the IKE SA: the end
 *                reason is dpd-dead if the request was a liveness check,
 *                the Delete's own reason if it was a Delete, else
 *                retransmit-giveup (what follows is ike_conn.c's:
 *                keyingtries, dpd_action). The settings are strongSwan's
 *                charon.retransmit_* (struct ike_retransmit_cfg); the
 *                defaults differ, see ike_retransmit_defaults in ike.c
 *   hint         an unauthenticated sign that the peer lost the IKE SA
 *                (INVALID_IKE_SPI in answer to our request, RFC 7296
 *                2.21.4) is never taken as proof: the request in flight is
 *                sent again after 0.25, 0.5 and 1 s instead, and only if
 *                no authenticated answer comes is the peer given up
 *   half-open    a responder's IKE SA not authenticated within 30 s dies
 *   DPD          empty INFORMATIONAL after dpd_delay s without a message
 *                from the peer; at once (at most every 2 s) when there is
 *                a sign the peer lost its state (ike_timers_probe)
 *   keepalive    behind a NAT, one 0xff byte to the peer's 4500 every 20 s
 *                (RFC 3948 2.3) keeps the NAT mapping
 *   IKE rekey    rekey_time less random(rand_time) s after the IKE SA was
 *                established (or rekeyed); times of an SA count from the
 *                middle of the exchange that made it (anchor()), where
 *                both ends agree
 *   reauth       reauth_time less random(rand_time): a new IKE SA
 *                replaces it, make-before-break (ike_conn_reauth)
 *   IKE expiry   over_time after the first of those, the IKE SA is
 *                deleted if it is still there (charon's hard lifetime)
 *   CHILD SAs    rekey at rekey_time less random(rand_time) after they
 *                were installed and are deleted at life_time, on this
 *                file's own millisecond timers (as charon's scheduler
 *                does), so that two ends with rand_time = 0 really start
 *                their rekeyings at the same moment and collide (RFC 7296
 *                2.8.1, ike_create.c). The data plane keeps the byte and
 *                packet limits (rekey_/life_bytes, _packets less rand_*:
 *                only it counts them) and, as a backstop that holds even
 *                if IKE is stuck, the hard time limit life_time; its soft
 *                and hard expire events (ike.c) rekey or delete as these
 *                timers do
 *   fragments    a message still not whole 30 s after its first fragment
 *                was kept is given up (RFC 7383 reassembly; a
 *                retransmission starts it afresh)
 */
#include "ike/ike_timers.h"

#include "crypto/rand.h"
#include "ike/ike_child.h"
#include "ike/ike_conn.h"
#include "ike/ike_ctx.h"
#include "ike/ike_mgr.h"
#include "ike/ike_sa.h"
#include "xfrm/xfrm.h"

#define IKE_HALF_OPEN_MS 30000
#define IKE_KEEPALIVE_MS 20000
#define IKE_HINT_MS 250          /* first quick retransmit after a hint, doubling */
#define IKE_HINT_TRIES 3
#define IKE_PROBE_MIN_MS 2000    /* at most one triggered liveness check per SA */
#define IKE_FRAG_TIMEOUT_MS 30000

/* A random value in [0, max] (0 if there are no random bytes). */
static uint64_t rand_upto(uint64_t max)
{
	uint64_t r;

	if (!max || crypto_rand(&r, sizeof(r)))
		return 0;
	return max == UINT64_MAX ? r : r % (max + 1);
}

static uint64_t retx_delay(const struct ike_sa *sa, unsigned n)
{
	const struct ike_retransmit_cfg *rc = &sa->ctx->retx;
	double d = rc->timeout * 1000.0;

	while (n--)
		d *= rc->base;
	if (rc->limit > 0 && d > rc->limit * 1000.0)
		d = rc->limit * 1000.0;
	if (d > 86400e3)
		d = 86400e3;
	/* charon: jitter takes up to that share off, so that many requests
	 * sent at once (a restart) do not come back in step */
	if (rc->jitter)
		d -= (double)rand_upto((uint64_t)(d * rc->jitter / 100.0));
	return d < 1 ? 1 : (uint64_t)d;
}

void ike_timers_request_sent(struct ike_sa *sa, struct ike_req *r)
{
	r->retries = 0;
	r->hinted = false;
	r->retx_ms = ike_now(sa->ctx) + retx_delay(sa, 0);
}

void ike_timers_response_received(struct ike_sa *sa, struct ike_req *r)
{
	r->retries = 0;
	r->hinted = false;
}

/* t less a random part of up to rnd (both seconds; rnd is capped below t
 * so that it stays positive), in ms after base. 0 if t is 0. */
static uint64_t jittered(uint64_t base, uint32_t t, uint32_t rnd)
{
	if (!t)
		return 0;
	if (rnd >= t)
		rnd = t - 1;
	return base + (t - rand_upto(rnd)) * 1000ull;
}

/* Where two ends' lifetimes of an SA start, so that with rand_time = 0
 * they expire together: the middle of the exchange that made it. The
 * responder makes and installs it between a request and its response
 * (made ~ now), the initiator made it when it built the request and
 * installs it on the response, so the middle of its wait is about when
 * the responder installed it. An exchange that took long (retransmits)
 * starts the lifetime at its end. */
#define IKE_ANCHOR_MAX_MS 2000

static uint64_t anchor(uint64_t made, uint64_t now)
{
	if (!made || made > now || now - made > IKE_ANCHOR_MAX_MS)
		return now;
	return made + (now - made) / 2;
}

void ike_timers_established(struct ike_sa *sa)
{
	const struct ike_conn_cfg *cfg = sa->conn ? &sa->conn->cfg : NULL;
	uint64_t first = 0;

	sa->established_ms = ike_now(sa->ctx);
	sa->keepalive_ms = sa->established_ms;
	sa->dpd_ms = 0;
	sa->rekey_at_ms = sa->reauth_at_ms = sa->delete_at_ms = 0;
	if (!cfg)
		return;
	uint64_t from = anchor(sa->created_ms, sa->established_ms);
	sa->rekey_at_ms = jittered(from, cfg->rekey_time, cfg->rand_time);
	sa->reauth_at_ms = jittered(from, cfg->reauth_time, cfg->rand_time);
	first = sa->rekey_at_ms;
	if (sa->reauth_at_ms && (!first || sa->reauth_at_ms < first))
		first = sa->reauth_at_ms;
	if (first) {
		/* 0: charon's default, a tenth of the longer time (at least 1 s,
		 * so that the rekeying always gets its chance first) */
		uint64_t over = cfg->over_time;
		if (!over)
			over = (cfg->rekey_time > cfg->reauth_time ? cfg->rekey_time : cfg->reauth_time) / 10;
		sa->delete_at_ms = first + (over ? over : 1) * 1000ull;
	}
}

void ike_timers_child_lifetimes(struct ike_sa *sa, struct ike_child_sa *c,
                                struct xfrm_lifetime_cfg *lft)
{
	const struct ike_child_cfg *cc = c->neg;
	uint64_t soft;

	(void)sa;
	c->rekey_s = c->life_s = 0;
	if (cc->rekey_time || cc->life_time) {
		uint64_t life = cc->life_time ? cc->life_time : cc->rekey_time * 11ull / 10;
		if (cc->rekey_time) {
			soft = cc->rekey_time - rand_upto(cc->rand_time < cc->rekey_time ?
			                                  cc->rand_time : cc->rekey_time - 1);
			c->rekey_s = (uint32_t)soft;
		}
		/* the soft time limit is ours (ike_timers_run); the hard one
		 * stays in the data plane as well, as a backstop */
		lft->hard_add_expires_seconds = life;
		c->life_s = (uint32_t)life;
	}
	if (cc->rekey_bytes)
		lft->soft_byte_limit = cc->rekey_bytes -
			rand_upto(cc->rand_bytes < cc->rekey_bytes ? cc->rand_bytes : cc->rekey_bytes - 1);
	if (cc->life_bytes)
		lft->hard_byte_limit = cc->life_bytes;
	if (cc->rekey_packets)
		lft->soft_packet_limit = cc->rekey_packets -
			rand_upto(cc->rand_packets < cc->rekey_packets ? cc->rand_packets :
			          cc->rekey_packets - 1);
	if (cc->life_packets)
		lft->hard_packet_limit = cc->life_packets;
}

void ike_timers_child_installed(struct ike_sa *sa, struct ike_child_sa *c)
{
	uint64_t now = ike_now(sa->ctx), from = anchor(c->installed_ms, now);

	c->installed_ms = now;
	c->rekey_ms = c->rekey_s ? from + c->rekey_s * 1000ull : 0;
	c->expire_ms = c->life_s ? from + c->life_s * 1000ull : 0;
}

void ike_timers_ike_rekey_refused(struct ike_sa *sa)
{
	uint32_t t = sa->conn ? sa->conn->cfg.rekey_time : 0;

	/* RFC 7296 2.25: try again a little later (a tenth of rekey_time,
	 * at least 10 s) */
	if (t)
		sa->rekey_at_ms = ike_now(sa->ctx) + (t / 10 > 10 ? t / 10 : (t < 10 ? t : 10)) * 1000ull;
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

static void give_up(struct ike_sa *sa, struct ike_req *r, const char *how)
{
	sa_warn(sa, "giving up after %u retransmits%s: peer %s[%u] does not answer", r->retries, how,
	        ip_addr_fmt(&sa->remote.addr, (char[IP_ADDR_STRLEN]){ 0 }), sa->remote.port);
	ike_sa_end(sa, giveup_reason(r));
}

/* Retransmit or give up each request in flight that is due. False if sa
 * was given up. */
static bool retransmit(struct ike_sa *sa, uint64_t now)
{
	for (unsigned i = 0; i < IKE_MGR_WINDOW; i++) {
		struct ike_req *r = &sa->mgr.req[i];
		if (!r->task || now < r->retx_ms)
			continue;
		if (r->hinted && !r->hint_tries) {
			give_up(sa, r, " (the peer said it does not know the IKE_SA)");
			return false;
		}
		if (!r->hinted && r->retries >= sa->ctx->retx.tries) {
			give_up(sa, r, "");
			return false;
		}
		r->retries++;
		sa->ctx->stats.retransmits++;
		sa_info(sa, "retransmit %u of request %u", r->retries, r->msgid);
		ike_mgr_retransmit(sa, r);
		if (r->hinted)
			r->retx_ms = now + ((uint64_t)IKE_HINT_MS << (IKE_HINT_TRIES - r->hint_tries--));
		else
			r->retx_ms = now + retx_delay(sa, r->retries);
	}
	return true;
}

void ike_timers_hint(struct ike_sa *sa)
{
	uint64_t now = ike_now(sa->ctx);

	for (unsigned i = 0; i < IKE_MGR_WINDOW; i++) {
		struct ike_req *r = &sa->mgr.req[i];
		if (!r->task || r->hinted)
			continue;
		r->hinted = true;
		r->hint_tries = IKE_HINT_TRIES;
		if (r->retx_ms > now + IKE_HINT_MS)
			r->retx_ms = now + IKE_HINT_MS;
	}
}

bool ike_timers_probe(struct ike_sa *sa)
{
	uint64_t now = ike_now(sa->ctx);

	if (sa->state != IKE_STATE_ESTABLISHED)
		return false;
	if (sa->probe_ms && now - sa->probe_ms < IKE_PROBE_MIN_MS)
		return false;
	sa->probe_ms = now;
	/* a request in flight is a liveness check already */
	if (ike_mgr_waiting(sa))
		return true;
	sa->dpd_ms = now;
	return ike_mgr_queue(sa, IKE_TASK_DPD, 0) == 0;
}

static bool established_live(const struct ike_sa *sa)
{
	return sa->state == IKE_STATE_ESTABLISHED && !sa->rekeyed && sa->conn;
}

static bool ike_rekey_due(const struct ike_sa *sa)
{
	return established_live(sa) && sa->rekey_at_ms && !ike_mgr_has(sa, IKE_TASK_IKE_REKEY);
}

static bool reauth_due(const struct ike_sa *sa)
{
	return established_live(sa) && sa->reauth_at_ms;
}

static bool expiry_due(const struct ike_sa *sa)
{
	return established_live(sa) && sa->delete_at_ms && !ike_mgr_has(sa, IKE_TASK_IKE_DELETE) &&
	       !ike_mgr_in_flight(sa, IKE_TASK_IKE_REKEY);
}

/* The CHILD SAs' own timers run while sa is established and not
 * replaced (a rekeyed IKE SA's children have moved to its successor). */
static bool child_timers_on(const struct ike_sa *sa)
{
	return sa->state == IKE_STATE_ESTABLISHED && !sa->rekeyed;
}

/* c has a successor already (a rekeying of it finished or is installed). */
static bool child_replaced(const struct ike_sa *sa, const struct ike_child_sa *c)
{
	for (const struct ike_child_sa *x = sa->children; x; x = x->next)
		if (x != c && x->rekeyed_spi == c->spi_in)
			return true;
	return false;
}

/* Soft expiry: a rekeying (once per CHILD SA; a refused one is not tried
 * again, as after the data plane's soft expire); hard expiry: a Delete. */
static void child_timers(struct ike_sa *sa, uint64_t now)
{
	if (!child_timers_on(sa))
		return;
	for (struct ike_child_sa *c = sa->children; c; c = c->next) {
		if (c->state != CHILD_INSTALLED)
			continue;
		if (c->expire_ms && now >= c->expire_ms) {
			c->expire_ms = c->rekey_ms = 0;
			sa_info(sa, "CHILD_SA %s (SPI %08x) life_time reached: deleting it", c->cfg.name,
			        c->spi_in);
			c->delete_reason = CHILD_END_EXPIRED;
			ike_mgr_queue(sa, IKE_TASK_CHILD_DELETE, c->spi_in);
		} else if (c->rekey_ms && now >= c->rekey_ms) {
			c->rekey_ms = 0;
			if (child_replaced(sa, c))
				continue;
			sa_debug(sa, "CHILD_SA %s (SPI %08x) rekey_time reached: rekeying it",
			         c->cfg.name, c->spi_in);
			ike_mgr_queue(sa, IKE_TASK_CHILD_REKEY, c->spi_in);
		}
	}
}

static uint64_t retx_next(const struct ike_sa *sa)
{
	uint64_t next = UINT64_MAX;

	for (unsigned i = 0; i < IKE_MGR_WINDOW; i++)
		if (sa->mgr.req[i].task && sa->mgr.req[i].retx_ms < next)
			next = sa->mgr.req[i].retx_ms;
	return next;
}

static bool dpd_on(const struct ike_sa *sa)
{
	return sa->state == IKE_STATE_ESTABLISHED && sa->conn && sa->conn->cfg.dpd_delay &&
	       !ike_mgr_waiting(sa);
}

static uint64_t dpd_at(const struct ike_sa *sa)
{
	uint64_t last = sa->last_rx_ms > sa->dpd_ms ? sa->last_rx_ms : sa->dpd_ms;

	return last + sa->conn->cfg.dpd_delay * 1000ull;
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
		sa->ctx->stats.half_open_timeouts++;
		ike_sa_end(sa, IKE_END_HALF_OPEN_TIMEOUT);
		return;
	}
	if (!retransmit(sa, now))
		return;
	if (expiry_due(sa) && now >= sa->delete_at_ms) {
		sa_info(sa, "IKE_SA lifetime (over_time after rekey or reauth time) reached: deleting it");
		ike_mgr_queue(sa, IKE_TASK_IKE_DELETE, IKE_END_EXPIRED);
		return;
	}
	if (reauth_due(sa) && now >= sa->reauth_at_ms) {
		sa->reauth_at_ms = 0;   /* once; the successor gets its own */
		ike_conn_reauth(sa);
	}
	if (ike_rekey_due(sa) && now >= sa->rekey_at_ms)
		ike_mgr_queue(sa, IKE_TASK_IKE_REKEY, 0);
	child_timers(sa, now);
	if (sa->state == IKE_STATE_ESTABLISHED && sa->nat_local && sa->ctx->io.keepalive &&
	    now - sa->keepalive_ms >= IKE_KEEPALIVE_MS) {
		sa->keepalive_ms = now;
		sa->ctx->io.keepalive(sa->ctx->io.ctx, &sa->local, &sa->remote);
	}
	if (dpd_on(sa) && now >= dpd_at(sa)) {
		sa->dpd_ms = now;
		ike_mgr_queue(sa, IKE_TASK_DPD, 0);
	}
}

static void earliest(uint64_t *next, uint64_t t)
{
	if (t && t < *next)
		*next = t;
}

uint64_t ike_timers_next(const struct ike_sa *sa)
{
	uint64_t next = UINT64_MAX;

	if (sa->state == IKE_STATE_DEAD)
		return 0;
	next = retx_next(sa);
	for (unsigned i = 0; i < 2; i++) {
		const struct ike_reasm *ra = i ? &sa->mgr.reasm_resp : &sa->mgr.reasm_req;
		if (ike_reasm_busy(ra))
			earliest(&next, ra->since_ms + IKE_FRAG_TIMEOUT_MS);
	}
	if (sa->state == IKE_STATE_INIT_RESPONDED)
		earliest(&next, sa->created_ms + IKE_HALF_OPEN_MS);
	if (ike_rekey_due(sa))
		earliest(&next, sa->rekey_at_ms);
	if (reauth_due(sa))
		earliest(&next, sa->reauth_at_ms);
	if (expiry_due(sa))
		earliest(&next, sa->delete_at_ms);
	if (sa->state == IKE_STATE_ESTABLISHED && sa->nat_local && sa->ctx->io.keepalive)
		earliest(&next, sa->keepalive_ms + IKE_KEEPALIVE_MS);
	if (dpd_on(sa))
		earliest(&next, dpd_at(sa));
	if (child_timers_on(sa))
		for (const struct ike_child_sa *c = sa->children; c; c = c->next)
			if (c->state == CHILD_INSTALLED) {
				earliest(&next, c->rekey_ms);
				earliest(&next, c->expire_ms);
			}
	return next;
}
