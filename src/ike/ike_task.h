/* The task contract: every IKE exchange is a task with the same small
 * table of operations, run by the manager (ike_mgr.h). Internal to
 * src/ike/. Model: strongSwan's task.h, written in this project's style.
 *
 * A task is one exchange type seen from one end:
 *
 *   initiator   build() a request  ->  process() its response
 *               (NEED_MORE from process: build() the next request of the
 *               same exchange: IKE_SA_INIT after COOKIE or INVALID_KE,
 *               IKE_AUTH rounds of EAP, CREATE_CHILD_SA after INVALID_KE)
 *   responder   respond() to a request (NEED_MORE: the task stays and
 *               answers the next request of its exchange, as an EAP
 *               server in IKE_AUTH does)
 *
 * A task keeps its own per-exchange state (nonces, DH keys, cookies,
 * authenticators) behind its struct ike_task, not in struct ike_sa. It
 * never sends, queues a message ID or touches the retransmission buffer:
 * the manager does. It never calls another exchange file: to start
 * another exchange after this one it queues a task by kind
 * (ike_mgr_queue). When an exchange fails in a way that ends the IKE SA,
 * the task itself ends it (ike_sa_end, with the reason) and returns
 * FAILED.
 *
 * Which task answers a request, and which constructor makes a queued
 * kind, is the table in ike_task.c: the one place that knows every
 * exchange file. */
#ifndef UIPSEC_IKE_IKE_TASK_H
#define UIPSEC_IKE_IKE_TASK_H

#include <stdbool.h>
#include <stdint.h>

struct ike_mb;
struct ike_msg;
struct ike_sa;
struct ike_task;

enum ike_task_status {
	IKE_TASK_DONE = 0,    /* finished (build: nothing to send after all) */
	IKE_TASK_NEED_MORE,   /* build: send this request; process/respond: another round */
	IKE_TASK_FAILED,      /* finished without success; consequences already taken */
};

/* What can be queued. arg says what the task works on. */
enum ike_task_kind {
	IKE_TASK_NONE = 0,
	IKE_TASK_IKE_INIT,      /* IKE_SA_INIT; arg unused */
	IKE_TASK_IKE_AUTH,      /* IKE_AUTH (first CHILD SA: sa->auth_child); arg unused */
	IKE_TASK_CHILD_CREATE,  /* CREATE_CHILD_SA; arg: index of the child config */
	IKE_TASK_CHILD_REKEY,   /* CREATE_CHILD_SA + REKEY_SA; arg: inbound SPI of the CHILD SA */
	IKE_TASK_IKE_REKEY,     /* CREATE_CHILD_SA with IKE proposals; arg unused */
	IKE_TASK_CHILD_DELETE,  /* INFORMATIONAL Delete(ESP); arg: inbound SPI of the CHILD SA */
	IKE_TASK_IKE_DELETE,    /* INFORMATIONAL Delete(IKE); arg: enum ike_end_reason */
	IKE_TASK_DPD,           /* empty INFORMATIONAL: is the peer alive; arg unused */
	IKE_TASK_INFO,          /* responder only: answers any INFORMATIONAL request */
	IKE_TASK_MOBIKE,        /* INFORMATIONAL UPDATE_SA_ADDRESSES (RFC 4555); arg unused */
	IKE_TASK_KIND_MAX,
};

struct ike_task_ops {
	const char *name;         /* for logs: "CHILD_SA rekey" */
	uint8_t exchange;         /* enum ike_exchange of its messages */
	bool before_auth;         /* may start before the IKE SA is established */
	/* Initiator: write the payloads of the next request into mb, whose
	 * header (and SK payload, except for IKE_SA_INIT) the manager has
	 * opened. NEED_MORE: send it and wait for the response. DONE: there
	 * is nothing to do any more (the CHILD SA to rekey is gone); FAILED:
	 * the request cannot be built. Both discard mb. */
	enum ike_task_status (*build)(struct ike_task *t, struct ike_sa *sa, struct ike_mb *mb);
	/* Initiator: the response to the request build() wrote, decrypted.
	 * NEED_MORE: build() is called for another request of this task. */
	enum ike_task_status (*process)(struct ike_task *t, struct ike_sa *sa,
	                                const struct ike_msg *m);
	/* Responder: answer request m by writing the response's payloads into
	 * mb (opened as for build); the manager sends it whatever the status.
	 * NEED_MORE: keep the task for the next request of its exchange. NULL
	 * for initiator-only tasks. */
	enum ike_task_status (*respond)(struct ike_task *t, struct ike_sa *sa,
	                                const struct ike_msg *m, struct ike_mb *mb);
	/* Free the task and whatever it still holds (a CHILD SA it created
	 * but did not install is removed here). */
	void (*destroy)(struct ike_task *t, struct ike_sa *sa);
};

/* The part every task shares; each task type embeds it as its first
 * member and casts back in its ops. */
struct ike_task {
	const struct ike_task_ops *ops;
	enum ike_task_kind kind;
	uint32_t arg;
	struct ike_task *next;    /* the manager's lists */
};

/* A new task of kind for sa (initiator side), or NULL (no memory, or a
 * responder-only kind). */
struct ike_task *ike_task_new(struct ike_sa *sa, enum ike_task_kind kind, uint32_t arg);

/* The task that answers request m (header checked, decrypted), or NULL
 * if no task answers it here (the manager drops the request). Routing, by
 * RFC 7296: the exchange type (1.2-1.4), and within CREATE_CHILD_SA the
 * payloads (1.3): an SA payload with IKE proposals rekeys the IKE SA
 * (1.3.2), N(REKEY_SA) rekeys a CHILD SA (1.3.3), anything else creates
 * one (1.3.1). */
struct ike_task *ike_task_for_request(struct ike_sa *sa, const struct ike_msg *m);

/* "IKE_SA_INIT", "CHILD_SA delete", ... */
const char *ike_task_kind_name(enum ike_task_kind kind);

#endif
