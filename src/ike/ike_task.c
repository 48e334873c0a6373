/* The table of tasks: which exchange file builds each kind, and which
 * task answers a request. The only file that knows every exchange; the
 * manager creates tasks through it, the exchange files only queue kinds.
 * Adding an exchange is adding a file with its ops and one line here.
 * Runs on the control loop. */
#include "ike/ike_task.h"

#include <stddef.h>

#include "ike/ike_auth.h"
#include "ike/ike_create.h"
#include "ike/ike_info.h"
#include "ike/ike_init.h"
#include "ike/ike_mobike.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_proto.h"
#include "ike/ike_rekey.h"
#include "ike/ike_sa.h"

typedef struct ike_task *(*task_new_fn)(struct ike_sa *sa, uint32_t arg);

static const struct {
	const char *name;
	task_new_fn initiator;   /* NULL: responder only */
	task_new_fn responder;   /* NULL: initiator only */
} kinds[IKE_TASK_KIND_MAX] = {
	[IKE_TASK_IKE_INIT] = { "IKE_SA_INIT", ike_init_task_new, ike_init_task_new },
	[IKE_TASK_IKE_AUTH] = { "IKE_AUTH", ike_auth_task_new, ike_auth_task_new },
	[IKE_TASK_CHILD_CREATE] = { "CHILD_SA create", ike_create_task_new, ike_create_task_new },
	[IKE_TASK_CHILD_REKEY] = { "CHILD_SA rekey", ike_create_rekey_task_new,
	                           ike_create_rekey_task_new },
	[IKE_TASK_IKE_REKEY] = { "IKE_SA rekey", ike_rekey_task_new, ike_rekey_task_new },
	[IKE_TASK_CHILD_DELETE] = { "CHILD_SA delete", ike_info_child_delete_new, NULL },
	[IKE_TASK_IKE_DELETE] = { "IKE_SA delete", ike_info_ike_delete_new, NULL },
	[IKE_TASK_DPD] = { "liveness check", ike_info_dpd_new, NULL },
	[IKE_TASK_INFO] = { "INFORMATIONAL", NULL, ike_info_responder_new },
	[IKE_TASK_MOBIKE] = { "MOBIKE", ike_mobike_task_new, ike_mobike_task_new },
};

const char *ike_task_kind_name(enum ike_task_kind kind)
{
	return (unsigned)kind < IKE_TASK_KIND_MAX && kinds[kind].name ? kinds[kind].name : "?";
}

static struct ike_task *make(struct ike_sa *sa, task_new_fn fn, enum ike_task_kind kind,
                             uint32_t arg)
{
	struct ike_task *t = fn ? fn(sa, arg) : NULL;

	if (t) {
		t->kind = kind;
		t->arg = arg;
		t->next = NULL;
	}
	return t;
}

struct ike_task *ike_task_new(struct ike_sa *sa, enum ike_task_kind kind, uint32_t arg)
{
	if ((unsigned)kind >= IKE_TASK_KIND_MAX)
		return NULL;
	return make(sa, kinds[kind].initiator, kind, arg);
}

/* RFC 7296 1.3: what a CREATE_CHILD_SA request is about. Malformed ones go
 * to CHILD_SA creation, which answers INVALID_SYNTAX. */
static enum ike_task_kind create_child_sa_kind(const struct ike_msg *m)
{
	const struct ike_pld *p = ike_msg_find(m, IKE_PLD_SA);
	struct ike_proposals theirs;

	if (p && !ike_pld_sa_parse(p->body, p->len, &theirs) && theirs.n &&
	    theirs.p[0].protocol == IKE_PROTO_IKE)
		return IKE_TASK_IKE_REKEY;       /* 1.3.2 */
	if (ike_msg_find_notify(m, IKE_N_REKEY_SA))
		return IKE_TASK_CHILD_REKEY;     /* 1.3.3 */
	return IKE_TASK_CHILD_CREATE;        /* 1.3.1 */
}

struct ike_task *ike_task_for_request(struct ike_sa *sa, const struct ike_msg *m)
{
	enum ike_task_kind kind;

	switch (m->hdr.exchange) {
	case IKE_SA_INIT:
		/* only the request that created this half-open SA (ike_init_accept) */
		if (sa->initiator || sa->state != IKE_STATE_CREATED)
			return NULL;
		kind = IKE_TASK_IKE_INIT;
		break;
	case IKE_AUTH:
		/* later rounds go to the task waiting for them (the manager's
		 * passive list); a first one only to a half-open SA */
		if (sa->initiator || sa->state != IKE_STATE_INIT_RESPONDED)
			return NULL;
		kind = IKE_TASK_IKE_AUTH;
		break;
	case CREATE_CHILD_SA:
		kind = create_child_sa_kind(m);
		break;
	case INFORMATIONAL:
		kind = ike_msg_find_notify(m, IKE_N_UPDATE_SA_ADDRESSES) ? IKE_TASK_MOBIKE :
		                                                          IKE_TASK_INFO;
		break;
	default:
		return NULL;
	}
	return make(sa, kinds[kind].responder, kind, 0);
}
