/* The task manager of one IKE SA: the queue of tasks waiting to start,
 * message IDs, the requests in flight (handed to ike_timers.c for
 * retransmission), the routing of responses to the task that sent the
 * request and of requests to the task that answers them (ike_task.h), and
 * the response cache. Internal to src/ike/. Model: strongSwan's
 * task_manager_v2.c.
 *
 * Message IDs (RFC 7296 2.2): our requests carry msgid_out, which advances
 * with each request sent; the peer's must carry msgid_in, which advances
 * with each request answered. The window is IKE_MGR_WINDOW requests in
 * flight (1, as RFC 7296 2.3 has it without SET_WINDOW_SIZE); every
 * request has its own slot, retransmission timer and task, so a wider
 * window is a matter of the constant and of SET_WINDOW_SIZE.
 *
 * Tasks start only from ike_mgr_run(): queueing never sends, so no task
 * starts in the middle of another one's message. The manager runs its own
 * queue after each message; the front door (ike.c) runs every SA's after
 * a command, a tick or a backend event.
 *
 * Everything runs on the control loop. */
#ifndef UIPSEC_IKE_IKE_MGR_H
#define UIPSEC_IKE_IKE_MGR_H

#include <stdbool.h>
#include <stdint.h>

#include "ike/ike_task.h"
#include "ike/ike_wire.h"

struct ike_endpoint;
struct ike_mb;
struct ike_msg;
struct ike_sa;

#define IKE_MGR_WINDOW 1         /* our requests in flight */
/* tasks waiting, plus two per child config of the connection; more is
 * refused and logged */
#define IKE_MGR_QUEUE_MAX 64

/* One of our requests in flight. */
struct ike_req {
	struct ike_task *task;       /* NULL: the slot is free */
	uint32_t msgid;
	struct ike_wire wire;        /* as sent, for retransmission */
	unsigned retries;            /* ike_timers.c's */
	uint64_t retx_ms;            /* ike_timers.c's */
	/* ike_timers.c's: a hint that the peer lost the SA came back for it
	 * (INVALID_IKE_SPI): the quick schedule, hint_tries left */
	bool hinted;
	unsigned hint_tries;
};

/* Part of struct ike_sa; all zero is a valid empty manager. */
struct ike_mgr {
	uint32_t msgid_out;                 /* ID of our next request */
	struct ike_req req[IKE_MGR_WINDOW];
	struct ike_task *queue;             /* waiting to start, oldest first */
	unsigned nqueued;
	uint32_t msgid_in;                  /* ID of the next request expected */
	struct ike_wire resp;               /* our response to request msgid_in - 1 */
	struct ike_task *passive;           /* responders waiting for their next round */
	/* RFC 7383: the peer's request (msgid_in) and the response to ours
	 * being reassembled from fragments; ike_timers.c times them out */
	struct ike_reasm reasm_req, reasm_resp;
};

/* Queue a task of kind with arg (see enum ike_task_kind). Does nothing
 * (-EEXIST) if the same kind and arg is queued or in flight already.
 * -ENOSPC (logged) if the queue is full (IKE_MGR_QUEUE_MAX), -ENOMEM. Never
 * sends. */
int ike_mgr_queue(struct ike_sa *sa, enum ike_task_kind kind, uint32_t arg);
/* Start queued tasks, in order, while a slot is free and the head may
 * start (tasks that need an established IKE SA wait for it). */
void ike_mgr_run(struct ike_sa *sa);
/* Is a task of kind queued or in flight / is a request of kind in flight
 * / is any request of ours in flight. */
bool ike_mgr_has(const struct ike_sa *sa, enum ike_task_kind kind);
bool ike_mgr_in_flight(const struct ike_sa *sa, enum ike_task_kind kind);
bool ike_mgr_waiting(const struct ike_sa *sa);
/* Is a task of kind with arg queued or in flight. */
bool ike_mgr_queued(const struct ike_sa *sa, enum ike_task_kind kind, uint32_t arg);

/* A message for sa from remote to local, parsed (header checked against
 * the SA's SPIs), not yet decrypted: window and cache checks, decryption
 * (ike_wire_in), then the response to the task that sent the request, or
 * the request to the task that answers it, whose response is cached and
 * sent. An Encrypted Fragment message of the request or response
 * expected is kept (ike_wire_frag_in) until its message is whole, which
 * then goes the same way. Runs sa's queue afterwards. */
void ike_mgr_input(struct ike_sa *sa, const struct ike_endpoint *local,
                   const struct ike_endpoint *remote, struct ike_msg *m);
/* Send request r again as it was (ike_timers.c decides when). */
void ike_mgr_retransmit(struct ike_sa *sa, struct ike_req *r);

/* A request nobody waits for an answer to (a Delete sent as the SA goes
 * away, an AUTHENTICATION_FAILED notify, RFC 7296 2.21.2): begin it with
 * the next message ID, add payloads, send. Not retransmitted. */
void ike_mgr_unanswered_begin(struct ike_sa *sa, struct ike_mb *mb, uint8_t exchange);
int ike_mgr_unanswered_send(struct ike_sa *sa, struct ike_mb *mb);

/* Give up a reassembly whose message is no longer wanted (the request
 * was answered some other way, our request is no longer in flight). */
void ike_mgr_frag_prune(struct ike_sa *sa);

/* Destroy every task (queued, in flight, passive) and free the buffers
 * and reassemblies; the manager is empty afterwards. */
void ike_mgr_clear(struct ike_sa *sa);

#endif
