/* The hold queue of packets waiting for their SA (see hold.h). Runs on
 * the data-path loop (dp_hold_add) and on the control loop while that
 * path is outside a batch (the rest). */
#include "dp/hold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp/dp.h"
#include "pkt/pkt.h"
#include "util/mem.h"

struct dp_held {
	struct dp_held *next;
	uint32_t index, reqid;
	uint64_t since_ms;
	bool go;                       /* its state arrived */
	struct pkt *p;
};

int dp_hold_add(struct dp *dp, uint32_t index, uint32_t reqid, const struct pkt *p,
                uint64_t now_ms)
{
	struct dp_hold *h = &dp->hold;
	struct dp_held *e;
	unsigned same = 0;

	if (h->n >= DP_HOLD_MAX)
		return -ENOSPC;
	for (e = h->head; e; e = e->next)
		same += e->index == index;
	if (same >= DP_HOLD_PER_POLICY)
		return -ENOSPC;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->p = pkt_alloc(PKT_HEADROOM + p->len + PKT_TAILROOM);
	if (!e->p) {
		free(e);
		return -ENOMEM;
	}
	memcpy(pkt_put(e->p, p->len), pkt_data(p), p->len);
	e->p->meta = p->meta;
	e->index = index;
	e->reqid = reqid;
	e->since_ms = now_ms;
	if (h->tail)
		h->tail->next = e;
	else
		h->head = e;
	h->tail = e;
	h->n++;
	dp->cnt.hold_queued++;
	return 0;
}

void dp_hold_ready(struct dp *dp, uint32_t reqid)
{
	for (struct dp_held *e = dp->hold.head; e; e = e->next)
		if (!reqid || e->reqid == reqid) {
			e->go = true;
			dp->hold.ready = true;
		}
}

static void held_free(struct dp_held *e)
{
	/* inner packets: the user's traffic, wiped like any buffer we free */
	mem_wipe(pkt_data(e->p), e->p->len);
	pkt_free(e->p);
	free(e);
}

void dp_hold_flush(struct dp *dp, uint64_t now_ms)
{
	struct dp_hold *h = &dp->hold;
	struct dp_held *go = NULL, **gt = &go, **pp = &h->head, *e;

	h->ready = false;
	/* take out what may go and what is too old, keeping the order */
	h->tail = NULL;
	while ((e = *pp)) {
		if (e->go || now_ms - e->since_ms >= DP_HOLD_MS) {
			*pp = e->next;
			e->next = NULL;
			h->n--;
			if (e->go) {
				*gt = e;
				gt = &e->next;
			} else {
				dp->cnt.hold_dropped++;
				held_free(e);
			}
			continue;
		}
		h->tail = e;
		pp = &e->next;
	}
	while (go) {
		struct pkt *batch[PKT_BATCH_MAX];
		struct dp_held *es[PKT_BATCH_MAX];
		unsigned n = 0;

		while (go && n < PKT_BATCH_MAX) {
			es[n] = go;
			batch[n++] = go->p;
			go = go->next;
		}
		/* through the whole output path again: the policy and the
		 * state decide, as for any packet */
		dp->cnt.hold_sent += n;
		dp_output(dp, batch, n);
		for (unsigned i = 0; i < n; i++)
			held_free(es[i]);
	}
}

void dp_hold_clear(struct dp *dp)
{
	struct dp_held *e = dp->hold.head, *next;

	for (; e; e = next) {
		next = e->next;
		dp->cnt.hold_dropped++;
		held_free(e);
	}
	memset(&dp->hold, 0, sizeof(dp->hold));
}
