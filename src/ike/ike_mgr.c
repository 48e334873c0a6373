/* The task manager of an IKE SA (see ike_mgr.h): queue, message IDs,
 * requests in flight, response routing, request routing, response cache.
 * It knows no exchange: it calls tasks through their ops and creates them
 * through ike_task.c. Runs on the control loop. */
#include "ike/ike_mgr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_child.h"
#include "ike/ike_ctx.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_sa.h"
#include "ike/ike_timers.h"

/* A warning a peer can cause at will: rate-limited per call site. */
#define sa_warn_rl(sa, ...) \
	do { \
		static struct log_ratelimit rl_; \
		if (log_ratelimit_ok(&rl_)) \
			sa_warn(sa, __VA_ARGS__); \
	} while (0)

static void task_free(struct ike_sa *sa, struct ike_task *t)
{
	t->ops->destroy(t, sa);
}

static const char *exchange_name(uint8_t exchange)
{
	switch (exchange) {
	case IKE_SA_INIT: return "IKE_SA_INIT";
	case IKE_AUTH: return "IKE_AUTH";
	case CREATE_CHILD_SA: return "CREATE_CHILD_SA";
	case INFORMATIONAL: return "INFORMATIONAL";
	default: return "unknown exchange";
	}
}

/* The peer has proven who it is on sa: IKE_AUTH is done, or sa is the
 * successor of an authenticated IKE SA (a rekey: CREATED, with keys
 * from the old SA's SK_d). */
static bool authenticated(const struct ike_sa *sa)
{
	return sa->state == IKE_STATE_ESTABLISHED || sa->state == IKE_STATE_DELETING ||
	       (sa->state == IKE_STATE_CREATED && sa->keys_ready);
}

/* RFC 7296 1.2: before the IKE SA is authenticated, only IKE_SA_INIT and
 * IKE_AUTH may run on it (the tasks with before_auth). Anyone who did
 * IKE_SA_INIT holds the half-open SA's keys, so an INFORMATIONAL or
 * CREATE_CHILD_SA it protects proves nothing yet. t: the task that would
 * answer the request (NULL: none). */
static bool too_early(const struct ike_sa *sa, const struct ike_task *t, uint8_t exchange)
{
	if (authenticated(sa))
		return false;
	if (t)
		return !t->ops->before_auth;
	return exchange != IKE_SA_INIT && exchange != IKE_AUTH;
}

/* Open a message of sa: header, and the SK payload for everything but
 * IKE_SA_INIT (RFC 7296 3.14). The I flag names the original initiator
 * of the IKE SA, the R flag a response (3.1). */
static void msg_begin(struct ike_sa *sa, struct ike_mb *mb, uint8_t exchange, bool response,
                      uint32_t msgid)
{
	struct ike_hdr h = {
		.spi_i = sa->spi_i, .spi_r = sa->spi_r, .exchange = exchange, .msgid = msgid,
		.flags = (uint8_t)((response ? IKE_FLAG_RESPONSE : 0) |
		                   (sa->initiator ? IKE_FLAG_INITIATOR : 0)),
	};

	ike_mb_init(mb, &h);
	if (exchange != IKE_SA_INIT)
		ike_mb_sk_open(mb, sa->encr);
}

/* RFC 7296 2.15: both IKE_SA_INIT messages are signed in IKE_AUTH, as
 * they were sent. */
static int keep_octets(uint8_t **dst, size_t *dlen, const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (!p)
		return -ENOMEM;
	memcpy(p, src, len);
	free(*dst);
	*dst = p;
	*dlen = len;
	return 0;
}

static struct ike_req *free_slot(struct ike_mgr *mg)
{
	for (unsigned i = 0; i < IKE_MGR_WINDOW; i++)
		if (!mg->req[i].task)
			return &mg->req[i];
	return NULL;
}

bool ike_mgr_waiting(const struct ike_sa *sa)
{
	for (unsigned i = 0; i < IKE_MGR_WINDOW; i++)
		if (sa->mgr.req[i].task)
			return true;
	return false;
}

bool ike_mgr_in_flight(const struct ike_sa *sa, enum ike_task_kind kind)
{
	for (unsigned i = 0; i < IKE_MGR_WINDOW; i++)
		if (sa->mgr.req[i].task && sa->mgr.req[i].task->kind == kind)
			return true;
	return false;
}

bool ike_mgr_has(const struct ike_sa *sa, enum ike_task_kind kind)
{
	for (const struct ike_task *t = sa->mgr.queue; t; t = t->next)
		if (t->kind == kind)
			return true;
	return ike_mgr_in_flight(sa, kind);
}

bool ike_mgr_queued(const struct ike_sa *sa, enum ike_task_kind kind, uint32_t arg)
{
	for (const struct ike_task *t = sa->mgr.queue; t; t = t->next)
		if (t->kind == kind && t->arg == arg)
			return true;
	for (unsigned i = 0; i < IKE_MGR_WINDOW; i++) {
		const struct ike_task *t = sa->mgr.req[i].task;
		if (t && t->kind == kind && t->arg == arg)
			return true;
	}
	return false;
}

int ike_mgr_queue(struct ike_sa *sa, enum ike_task_kind kind, uint32_t arg)
{
	struct ike_mgr *mg = &sa->mgr;
	struct ike_task *t, **tail;

	if (sa->state == IKE_STATE_DEAD)
		return -ESHUTDOWN;
	if (ike_mgr_queued(sa, kind, arg))
		return -EEXIST;
	/* a connection with many children queues one task per child (and
	 * their rekeyings): the bound grows with it */
	if (mg->nqueued >= IKE_MGR_QUEUE_MAX + (sa->conn ? 2 * sa->conn->cfg.nchildren : 0)) {
		sa_warn(sa, "%u tasks are waiting: refusing to queue %s", mg->nqueued,
		        ike_task_kind_name(kind));
		return -ENOSPC;
	}
	t = ike_task_new(sa, kind, arg);
	if (!t) {
		sa_err(sa, "cannot queue %s: out of memory", ike_task_kind_name(kind));
		return -ENOMEM;
	}
	for (tail = &mg->queue; *tail; tail = &(*tail)->next)
		;
	*tail = t;
	mg->nqueued++;
	ike_sa_want_run(sa);
	return 0;
}

/* Tasks that need an established IKE SA wait for it; IKE_SA_INIT and
 * IKE_AUTH come first and alone (RFC 7296 1.2: nothing else before the SA
 * is authenticated). Nothing new starts on an SA being deleted. */
static bool may_start(const struct ike_sa *sa, const struct ike_task *t)
{
	if (sa->state == IKE_STATE_DELETING || sa->state == IKE_STATE_DEAD)
		return false;
	if (t->ops->before_auth)
		return !ike_mgr_waiting(sa);
	return sa->state == IKE_STATE_ESTABLISHED;
}

/* Let t build a request into slot r and send it. On anything but
 * NEED_MORE the task is done and freed; false then. */
static bool send_request(struct ike_sa *sa, struct ike_req *r, struct ike_task *t)
{
	struct ike_mgr *mg = &sa->mgr;
	/* RFC 7296 2.2: IKE_SA_INIT is the first request, ID 0; a retry after
	 * COOKIE or INVALID_KE_PAYLOAD starts over with ID 0 (1.2, 2.6) */
	uint32_t msgid = t->ops->exchange == IKE_SA_INIT ? 0 : mg->msgid_out;
	enum ike_task_status st;
	struct ike_mb mb;
	const uint8_t *p;
	size_t len;

	msg_begin(sa, &mb, t->ops->exchange, false, msgid);
	st = t->ops->build(t, sa, &mb);
	if (st != IKE_TASK_NEED_MORE || sa->state == IKE_STATE_DEAD) {
		ike_mb_free(&mb);
		task_free(sa, t);
		return false;
	}
	ike_wire_free(&r->wire);
	if (ike_wire_out(sa, &mb, &r->wire) ||
	    (t->ops->exchange == IKE_SA_INIT &&
	     (p = ike_wire_data(&r->wire, &len)) && keep_octets(&sa->init_req, &sa->init_req_len, p, len))) {
		ike_wire_free(&r->wire);
		task_free(sa, t);
		ike_sa_end(sa, IKE_END_INTERNAL);
		return false;
	}
	r->task = t;
	r->msgid = msgid;
	mg->msgid_out = msgid + 1;
	ike_wire_send(sa, &r->wire);
	ike_timers_request_sent(sa, r);
	return true;
}

void ike_mgr_run(struct ike_sa *sa)
{
	struct ike_mgr *mg = &sa->mgr;
	struct ike_req *r;

	while (mg->queue && (r = free_slot(mg)) && may_start(sa, mg->queue)) {
		struct ike_task *t = mg->queue;
		mg->queue = t->next;
		t->next = NULL;
		mg->nqueued--;
		send_request(sa, r, t);
	}
}

void ike_mgr_retransmit(struct ike_sa *sa, struct ike_req *r)
{
	ike_wire_send(sa, &r->wire);
}

enum unprotect_result {
	UNPROTECT_OK = 0,
	UNPROTECT_DROP,      /* not protected, not verified: dropped, counted */
	UNPROTECT_SYNTAX,    /* verified and decrypted, malformed inside */
};

/* RFC 7296 3.14: everything after IKE_SA_INIT is protected; a message
 * without a valid SK payload is dropped (counted), never acted on. One
 * that verifies but is malformed inside is the peer's syntax error: the
 * caller answers or ends the SA (2.21.2, 2.21.3). */
static enum unprotect_result unprotect(struct ike_sa *sa, struct ike_msg *m)
{
	struct ike_stats *st = &sa->ctx->stats;
	const char *what = (m->hdr.flags & IKE_FLAG_RESPONSE) ? "response" : "request";
	int rc;

	if (m->hdr.exchange == IKE_SA_INIT)
		return UNPROTECT_OK;
	if (!sa->keys_ready || !m->has_sk) {
		st->drop_unprotected++;
		sa_debug(sa, "unprotected %s dropped", what);
		return UNPROTECT_DROP;
	}
	rc = ike_wire_in(sa, m);
	switch (rc) {
	case 0:
		return UNPROTECT_OK;
	case -EPROTO:
		return UNPROTECT_SYNTAX;   /* counted by the caller, which answers */
	case -EBADMSG:
		st->drop_icv++;
		sa_debug(sa, "%s %u failed the integrity check, dropped", what, m->hdr.msgid);
		return UNPROTECT_DROP;
	default:
		st->drop_malformed++;
		sa_debug(sa, "%s %u has an SK payload that cannot be decrypted (%s), dropped", what,
		         m->hdr.msgid, strerror(-rc));
		return UNPROTECT_DROP;
	}
}

/* The response to request r verified but is malformed inside: the
 * exchange cannot go on, and the peers may no longer agree on what it
 * did, so the IKE SA goes (RFC 7296 2.21.3): deleted if it was up, ended
 * if not. */
static void response_syntax_error(struct ike_sa *sa, struct ike_req *r, const struct ike_msg *m)
{
	struct ike_task *t = r->task;
	enum ike_task_kind kind = t->kind;

	sa->ctx->stats.syntax_errors++;
	sa_warn_rl(sa, "%s response %u to our %s request is malformed inside its verified SK "
	           "payload: %s the IKE_SA", exchange_name(m->hdr.exchange), m->hdr.msgid,
	           t->ops->name, sa->state == IKE_STATE_ESTABLISHED ? "deleting" : "ending");
	ike_timers_response_received(sa, r);
	r->task = NULL;
	ike_wire_free(&r->wire);
	task_free(sa, t);
	if (sa->state == IKE_STATE_ESTABLISHED && kind != IKE_TASK_IKE_DELETE)
		ike_mgr_queue(sa, IKE_TASK_IKE_DELETE, IKE_END_PROTOCOL_ERROR);
	else
		ike_sa_end(sa, IKE_END_PROTOCOL_ERROR);
}

static void on_response(struct ike_sa *sa, struct ike_msg *m)
{
	struct ike_stats *st = &sa->ctx->stats;
	struct ike_req *r = NULL;
	enum ike_task_status status;
	struct ike_task *t;

	for (unsigned i = 0; i < IKE_MGR_WINDOW; i++)
		if (sa->mgr.req[i].task && sa->mgr.req[i].msgid == m->hdr.msgid)
			r = &sa->mgr.req[i];
	if (!r) {
		st->drop_msgid++;
		return;
	}
	/* a response of another exchange than the request is not its answer */
	if (m->hdr.exchange != r->task->ops->exchange) {
		st->drop_unexpected++;
		return;
	}
	/* RFC 7296 2.21.4: the peer says it does not know this IKE SA (it
	 * restarted?). Unprotected, so only a hint: check quickly whether an
	 * authenticated answer still comes, never end anything on it. */
	if (m->hdr.exchange != IKE_SA_INIT && !m->has_sk &&
	    ike_msg_find_notify(m, IKE_N_INVALID_IKE_SPI)) {
		st->invalid_ike_spi_rx++;
		if (!r->hinted)
			sa_info(sa, "peer answered request %u with INVALID_IKE_SPI (unauthenticated): "
			        "it may have lost the IKE_SA, checking quickly", m->hdr.msgid);
		ike_timers_hint(sa);
		return;
	}
	switch (unprotect(sa, m)) {
	case UNPROTECT_OK:
		break;
	case UNPROTECT_SYNTAX:
		sa->last_rx_ms = ike_now(sa->ctx);
		response_syntax_error(sa, r, m);
		return;
	default:
		return;
	}
	sa->last_rx_ms = ike_now(sa->ctx);
	ike_timers_response_received(sa, r);
	if (m->hdr.exchange == IKE_SA_INIT &&
	    keep_octets(&sa->init_resp, &sa->init_resp_len, m->raw, m->rawlen)) {
		ike_sa_end(sa, IKE_END_INTERNAL);
		return;
	}
	t = r->task;
	r->task = NULL;
	ike_wire_free(&r->wire);
	status = t->ops->process(t, sa, m);
	if (status == IKE_TASK_NEED_MORE && sa->state != IKE_STATE_DEAD) {
		send_request(sa, r, t);   /* the next round, in the same slot */
		return;
	}
	task_free(sa, t);
}

/* NAT-T (RFC 7296 2.23): follow the peer to the address and port its
 * authenticated requests come from; a peer behind a NAT whose mapping
 * changed takes its CHILD SAs with it (in place). Not with MOBIKE (RFC
 * 4555 3.8): then only UPDATE_SA_ADDRESSES moves an SA. */
static void follow_peer(struct ike_sa *sa, const struct ike_endpoint *local,
                        const struct ike_endpoint *remote)
{
	if (ip_addr_equal(&sa->remote.addr, &remote->addr) && sa->remote.port == remote->port &&
	    sa->local.port == local->port)
		return;
	sa_debug(sa, "peer now at %s[%u]", ip_addr_fmt(&remote->addr, (char[IP_ADDR_STRLEN]){ 0 }),
	         remote->port);
	sa->remote = *remote;
	sa->local = *local;
	sa->natt = local->port == IKE_NATT_PORT;
	if (sa->nat_remote && sa->natt && sa->state == IKE_STATE_ESTABLISHED)
		ike_child_move_all(sa);
}

/* Finish, cache as the response to the request just taken, send. */
static void send_response(struct ike_sa *sa, struct ike_mb *mb, bool init,
                          const struct ike_msg *req)
{
	struct ike_mgr *mg = &sa->mgr;
	const uint8_t *p;
	size_t len;

	ike_wire_free(&mg->resp);
	if (ike_wire_out(sa, mb, &mg->resp))
		return;
	if (init && (p = ike_wire_data(&mg->resp, &len)) &&
	    keep_octets(&sa->init_resp, &sa->init_resp_len, p, len)) {
		ike_sa_end(sa, IKE_END_INTERNAL);
		return;
	}
	/* RFC 7296 2.11: back where the request came from */
	ike_wire_send_to(sa, &mg->resp, req->local, req->remote);
}

static struct ike_task *take_passive(struct ike_mgr *mg, uint8_t exchange)
{
	for (struct ike_task **pp = &mg->passive; *pp; pp = &(*pp)->next)
		if ((*pp)->ops->exchange == exchange) {
			struct ike_task *t = *pp;
			*pp = t->next;
			t->next = NULL;
			return t;
		}
	return NULL;
}

/* A request that verified but is malformed inside (RFC 7296 2.21.2,
 * 3.10.1): answered with INVALID_SYNTAX alone, in a protected response
 * (cached like any other). Before the peer is authenticated only IKE_AUTH
 * is answered, and the IKE SA then fails; after, the IKE SA stays
 * (2.21.3: every request with errors gets a response). */
static void request_syntax_error(struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_mgr *mg = &sa->mgr;
	struct ike_mb mb;

	if (too_early(sa, NULL, m->hdr.exchange)) {
		sa->ctx->stats.drop_before_auth++;
		return;
	}
	sa->ctx->stats.syntax_errors++;
	sa->last_rx_ms = ike_now(sa->ctx);
	sa_warn_rl(sa, "%s request %u is malformed inside its verified SK payload (a payload's "
	           "lengths or contents): INVALID_SYNTAX%s", exchange_name(m->hdr.exchange),
	           m->hdr.msgid, authenticated(sa) ? "" : ", the IKE_SA fails");
	mg->msgid_in++;
	msg_begin(sa, &mb, m->hdr.exchange, true, m->hdr.msgid);
	ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
	send_response(sa, &mb, false, m);
	if (!authenticated(sa))
		ike_sa_end(sa, IKE_END_PROTOCOL_ERROR);   /* and an EAP round waiting with it */
}

static void on_request(struct ike_sa *sa, const struct ike_endpoint *local,
                       const struct ike_endpoint *remote, struct ike_msg *m)
{
	struct ike_mgr *mg = &sa->mgr;
	struct ike_stats *st = &sa->ctx->stats;
	bool init = m->hdr.exchange == IKE_SA_INIT;
	enum ike_task_status status;
	struct ike_task *t;
	struct ike_mb mb;
	bool passive;

	if (mg->resp.n && m->hdr.msgid + 1 == mg->msgid_in) {
		/* RFC 7296 2.1: a retransmitted request gets the same response */
		st->resent_responses++;
		sa_debug(sa, "retransmitted request %u, resending response", m->hdr.msgid);
		ike_wire_send_to(sa, &mg->resp, m->local, m->remote);
		return;
	}
	if (m->hdr.msgid != mg->msgid_in) {
		st->drop_msgid++;
		return;
	}
	switch (unprotect(sa, m)) {
	case UNPROTECT_OK:
		break;
	case UNPROTECT_SYNTAX:
		request_syntax_error(sa, m);
		return;
	default:
		return;
	}
	t = take_passive(mg, m->hdr.exchange);
	passive = t != NULL;
	if (!t)
		t = ike_task_for_request(sa, m);
	if (too_early(sa, t, m->hdr.exchange)) {
		/* dropped unanswered: the message ID stays for IKE_AUTH */
		st->drop_before_auth++;
		sa_warn_rl(sa, "%s request %u in state %s dropped: only IKE_AUTH may follow "
		           "IKE_SA_INIT before the peer is authenticated (RFC 7296 1.2)",
		           exchange_name(m->hdr.exchange), m->hdr.msgid, ike_state_name(sa->state));
		if (t)
			task_free(sa, t);
		return;
	}
	sa->last_rx_ms = ike_now(sa->ctx);
	if (!init && !sa->mobike)
		follow_peer(sa, local, remote);
	if (m->unsupported_critical) {
		/* RFC 7296 2.5: refuse the whole message, naming the payload */
		uint8_t type = m->unsupported_critical;
		if (passive) {
			t->next = mg->passive;   /* still waiting for its next round */
			mg->passive = t;
		} else if (t) {
			task_free(sa, t);
		}
		st->unsupported_critical++;
		mg->msgid_in++;
		msg_begin(sa, &mb, m->hdr.exchange, true, m->hdr.msgid);
		ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, &type, 1);
		send_response(sa, &mb, init, m);
		return;
	}
	if (!t) {
		st->drop_unexpected++;
		return;
	}
	mg->msgid_in++;
	if (init && keep_octets(&sa->init_req, &sa->init_req_len, m->raw, m->rawlen)) {
		task_free(sa, t);
		ike_sa_end(sa, IKE_END_INTERNAL);
		return;
	}
	msg_begin(sa, &mb, m->hdr.exchange, true, m->hdr.msgid);
	status = t->ops->respond(t, sa, m, &mb);
	send_response(sa, &mb, init, m);
	if (status == IKE_TASK_NEED_MORE && sa->state != IKE_STATE_DEAD) {
		t->next = mg->passive;
		mg->passive = t;
		return;
	}
	task_free(sa, t);
}

static struct ike_req *slot_for(struct ike_sa *sa, uint32_t msgid)
{
	for (unsigned i = 0; i < IKE_MGR_WINDOW; i++)
		if (sa->mgr.req[i].task && sa->mgr.req[i].msgid == msgid)
			return &sa->mgr.req[i];
	return NULL;
}

/* RFC 7383: an Encrypted Fragment message. Only fragments of the message
 * expected next are kept: of the request with msgid_in, or of the
 * response to a request of ours in flight. A fragment of the request we
 * answered last has the response resent if it is fragment 1 and its ICV
 * verifies (2.6.1); the others are dropped. True when a message is whole
 * in *whole. */
static bool on_fragment(struct ike_sa *sa, struct ike_msg *m, struct ike_msg *whole)
{
	struct ike_mgr *mg = &sa->mgr;
	struct ike_stats *st = &sa->ctx->stats;
	bool response = m->hdr.flags & IKE_FLAG_RESPONSE;
	struct ike_req *r;

	st->frag_rx++;
	/* RFC 7383 2.5: fragments exist only inside SK, never in IKE_SA_INIT */
	if (!sa->keys_ready || m->hdr.exchange == IKE_SA_INIT) {
		st->frag_drop_unkeyed++;
		sa_debug(sa, "fragment of %s %u before the IKE_SA has keys dropped",
		         response ? "response" : "request", m->hdr.msgid);
		return false;
	}
	if (response) {
		r = slot_for(sa, m->hdr.msgid);
		if (!r) {
			st->frag_drop_msgid++;
			return false;
		}
		/* a response of another exchange than the request is not its answer */
		if (m->hdr.exchange != r->task->ops->exchange) {
			st->drop_unexpected++;
			return false;
		}
		return ike_wire_frag_in(sa, &mg->reasm_resp, m, whole) == 1;
	}
	/* RFC 7296 1.2, as on_request: before the peer is authenticated only
	 * IKE_AUTH is acted on; the fragments of anything else are not kept
	 * (whoever did IKE_SA_INIT could otherwise hold reassembly memory
	 * with messages that are dropped once whole) */
	if (too_early(sa, NULL, m->hdr.exchange)) {
		st->drop_before_auth++;
		sa_warn_rl(sa, "fragment %u of %u of %s request %u in state %s dropped: only IKE_AUTH "
		           "may follow IKE_SA_INIT before the peer is authenticated (RFC 7296 1.2)",
		           m->frag_num, m->frag_total, exchange_name(m->hdr.exchange), m->hdr.msgid,
		           ike_state_name(sa->state));
		return false;
	}
	if (mg->resp.n && m->hdr.msgid + 1 == mg->msgid_in) {
		if (ike_wire_frag_first_ok(sa, m)) {
			st->resent_responses++;
			sa_debug(sa, "retransmitted request %u (fragment 1 of %u), resending response",
			         m->hdr.msgid, m->frag_total);
			ike_wire_send_to(sa, &mg->resp, m->local, m->remote);
		} else {
			st->frag_drop_msgid++;
		}
		return false;
	}
	if (m->hdr.msgid != mg->msgid_in) {
		st->frag_drop_msgid++;
		return false;
	}
	return ike_wire_frag_in(sa, &mg->reasm_req, m, whole) == 1;
}

void ike_mgr_frag_prune(struct ike_sa *sa)
{
	struct ike_mgr *mg = &sa->mgr;

	if (ike_reasm_busy(&mg->reasm_req) && mg->reasm_req.msgid != mg->msgid_in)
		ike_reasm_discard(sa->ctx, &mg->reasm_req);
	if (ike_reasm_busy(&mg->reasm_resp) && !slot_for(sa, mg->reasm_resp.msgid))
		ike_reasm_discard(sa->ctx, &mg->reasm_resp);
}

void ike_mgr_input(struct ike_sa *sa, const struct ike_endpoint *local,
                   const struct ike_endpoint *remote, struct ike_msg *m)
{
	struct ike_msg whole;
	bool reassembled = false;

	m->local = local;
	m->remote = remote;
	if (m->has_skf) {
		if (!on_fragment(sa, m, &whole))
			goto out;
		m = &whole;
		m->local = local;
		m->remote = remote;
		reassembled = true;
	}
	if (m->hdr.flags & IKE_FLAG_RESPONSE)
		on_response(sa, m);
	else
		on_request(sa, local, remote, m);
	if (reassembled)
		ike_msg_clear(&whole);
out:
	ike_mgr_frag_prune(sa);
	if (sa->state != IKE_STATE_DEAD)
		ike_mgr_run(sa);
}

void ike_mgr_unanswered_begin(struct ike_sa *sa, struct ike_mb *mb, uint8_t exchange)
{
	/* its own ID: past any request in flight, which the peer may still
	 * answer (a reused ID would be taken for a retransmission) */
	msg_begin(sa, mb, exchange, false, sa->mgr.msgid_out++);
}

int ike_mgr_unanswered_send(struct ike_sa *sa, struct ike_mb *mb)
{
	struct ike_wire w;
	int rc = ike_wire_out(sa, mb, &w);

	if (rc)
		return rc;
	ike_wire_send(sa, &w);
	ike_wire_free(&w);
	return 0;
}

static void free_list(struct ike_sa *sa, struct ike_task **list)
{
	while (*list) {
		struct ike_task *t = *list;
		*list = t->next;
		task_free(sa, t);
	}
}

void ike_mgr_clear(struct ike_sa *sa)
{
	struct ike_mgr *mg = &sa->mgr;

	free_list(sa, &mg->queue);
	mg->nqueued = 0;
	free_list(sa, &mg->passive);
	for (unsigned i = 0; i < IKE_MGR_WINDOW; i++) {
		if (mg->req[i].task)
			task_free(sa, mg->req[i].task);
		mg->req[i].task = NULL;
		ike_wire_free(&mg->req[i].wire);
	}
	ike_wire_free(&mg->resp);
	ike_reasm_discard(sa->ctx, &mg->reasm_req);
	ike_reasm_discard(sa->ctx, &mg->reasm_resp);
}
