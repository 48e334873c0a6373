/* Two IKE instances in one process (see ike_pair.h): the deterministic
 * RNG, the in-memory network and clock, the peers, delivery, and sealing
 * messages as one of the peers. Test code: reaches into the IKE SA
 * (ike_sa.h) for its keys and message IDs, which nothing outside
 * src/ike/ does otherwise. */
#include "ike_pair.h"

#include <errno.h>
#include <string.h>

#include "crypto/prf.h"
#include "crypto/rand.h"
#include "ike/ike_child.h"
#include "ike/ike_ctx.h"
#include "ike/ike_pld.h"
#include "ike/ike_proto.h"
#include "ike/ike_sa.h"
#include "util/bytes.h"
#include "xfrm/backend.h"
#include "xfrm/backend_sad.h"
#include "xfrm/events.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

struct peer A, B;
struct pkt_q *net;
unsigned net_n;
uint64_t now_ms = 1000000;
bool nat_on;
struct ip_addr nat_pub;
unsigned keepalives;
unsigned route_calls;
int route_err;
struct xfrm_backend *(*pair_wrap_a)(struct xfrm_backend *below);

/* ---- deterministic RNG: SHA-256 of a counter ---- */
static uint64_t rng_counter;
static int det_rand(void *ctx, void *buf, size_t n)
{
	uint8_t *p = buf, in[8], out[32];

	while (n) {
		put_be64(in, rng_counter++);
		crypto_sha256(in, 8, out);
		size_t k = n < 32 ? n : 32;
		memcpy(p, out, k);
		p += k;
		n -= k;
	}
	return 0;
}

/* ---- the network and the clock ---- */
static void net_send(void *ctx, const struct ike_endpoint *local, const struct ike_endpoint *remote,
                     const uint8_t *msg, size_t len)
{
	PAIR_CHECK(len <= sizeof(net[0].data));
	/* IKE_CORPUS=dir: keep every message as a fuzzing seed */
	const char *dir = getenv("IKE_CORPUS");
	if (dir) {
		static unsigned seq;
		char path[512];
		snprintf(path, sizeof(path), "%s/msg-%04u", dir, seq++);
		FILE *f = fopen(path, "wb");
		if (f) {
			fwrite(msg, 1, len, f);
			fclose(f);
		}
	}
	if (net_n >= NET_MAX)
		return;
	net[net_n].from = *local;
	net[net_n].to = *remote;
	net[net_n].len = len;
	memcpy(net[net_n].data, msg, len);
	net_n++;
}

static uint64_t clock_now(void *ctx)
{
	return now_ms;
}

static void on_ike_ended(void *ctx, const struct ike_end_event *ev)
{
	struct peer *p = ctx;

	if (p->nends < ENDS_MAX)
		p->ends[p->nends++] = *ev;
}

static void on_child_ended(void *ctx, const struct ike_child_end_event *ev)
{
	struct peer *p = ctx;

	if (p->nchild_ends < ENDS_MAX)
		p->child_ends[p->nchild_ends++] = *ev;
}

static void on_vip(void *ctx, bool add, const char *conn, const struct ip_addr *vip,
                   const struct ip_addr *dns, unsigned ndns)
{
	struct peer *p = ctx;

	if (add)
		p->nvip_add++;
	else
		p->nvip_del++;
	p->vip_last = *vip;
	p->vip_ndns = ndns < 8 ? ndns : 8;
	memcpy(p->vip_dns, dns, p->vip_ndns * sizeof(*dns));
}

static void nat_keepalive(void *ctx, const struct ike_endpoint *local,
                          const struct ike_endpoint *remote)
{
	keepalives++;
}

/* A reaches B from 192.0.2.1 and B reaches A from 192.0.2.2. */
static int fake_route_src(void *ctx, const struct ip_addr *remote, struct ip_addr *local)
{
	route_calls++;
	if (route_err)
		return route_err;
	if (ip_addr_equal(remote, &B.addr))
		*local = A.addr;
	else if (ip_addr_equal(remote, &A.addr))
		*local = B.addr;
	else
		return -ENETUNREACH;
	return 0;
}

static struct peer *peer_at(const struct ip_addr *a)
{
	if (nat_on && ip_addr_equal(a, &nat_pub))
		return &A;
	if (ip_addr_equal(a, &A.addr))
		return &A;
	if (ip_addr_equal(a, &B.addr))
		return &B;
	return NULL;
}

void pair_inject(const struct pkt_q *q)
{
	struct pkt_q p = *q;
	struct peer *dst = peer_at(&p.to.addr);

	/* to an address no peer has (any more: it moved, MOBIKE): lost */
	if (!dst)
		return;
	if (nat_on && ip_addr_equal(&p.from.addr, &A.addr)) {
		p.from.addr = nat_pub;
		p.from.port = (uint16_t)(p.from.port + 10000);
	} else if (nat_on && ip_addr_equal(&p.to.addr, &nat_pub)) {
		p.to.addr = A.addr;
		p.to.port = (uint16_t)(p.to.port - 10000);
	}
	ike_input(dst->ike, &p.to, &p.from, p.data, p.len);
}

bool deliver(bool drop)
{
	struct pkt_q p;

	if (!net_n)
		return false;
	p = net[0];
	memmove(net, net + 1, (net_n - 1) * sizeof(net[0]));
	net_n--;
	if (!drop)
		pair_inject(&p);
	return true;
}

void deliver_nth(unsigned i)
{
	PAIR_CHECK(i < net_n);
	struct pkt_q p = net[i];
	memmove(net + 1, net, i * sizeof(net[0]));
	net[0] = p;
	PAIR_CHECK(deliver(false));
}

unsigned pair_deliver_all(unsigned max)
{
	unsigned n = 0;

	while (n < max && deliver(false))
		n++;
	return n;
}

void tick(uint64_t ms)
{
	now_ms += ms;
	ike_tick(A.ike);
	ike_tick(B.ike);
}

void conn_cfg(struct ike_conn_cfg *c, struct ike_child_cfg *kids, const char *local,
              const char *remote, const char *lts, const char *rts, const char *ike,
              const char *esp, const char *psk)
{
	char err[256];

	memset(c, 0, sizeof(*c));
	memset(kids, 0, 8 * sizeof(*kids));
	c->children = kids;
	c->keyingtries = 1;
	snprintf(c->name, sizeof(c->name), "gw");
	PAIR_CHECK(ip_addr_parse(local, &c->local_addr) == 0);
	PAIR_CHECK(ip_addr_parse(remote, &c->remote_addr) == 0);
	PAIR_CHECK(ike_proposals_parse(ike, IKE_PROTO_IKE, &c->ike, err, sizeof(err)) == 0);
	c->psk_len = strlen(psk);
	memcpy(c->psk, psk, c->psk_len);
	c->nchildren = 1;
	struct ike_child_cfg *ch = &c->children[0];
	snprintf(ch->name, sizeof(ch->name), "net");
	PAIR_CHECK(ike_proposals_parse(esp, IKE_PROTO_ESP, &ch->esp, err, sizeof(err)) == 0);
	ch->local_ts.n = ch->remote_ts.n = 1;
	PAIR_CHECK(ike_ts_parse(lts, &ch->local_ts.ts[0]) == 0);
	PAIR_CHECK(ike_ts_parse(rts, &ch->remote_ts.ts[0]) == 0);
}

static void sad_expired(void *ctx, const struct sad_sa *sa, bool hard)
{
	struct peer *p = ctx;

	xfrm_backend_sad_expire(p->ike_be, sa, hard);
}

static uint64_t clock_sec(void *ctx)
{
	return now_ms / 1000;
}

static struct ike_io peer_io(struct peer *p)
{
	return (struct ike_io){ .ctx = p, .send = net_send, .now_ms = clock_now,
	                        .keepalive = nat_keepalive, .route_src = fake_route_src,
	                        .ike_ended = on_ike_ended, .child_ended = on_child_ended,
	                        .vip = on_vip };
}

/* p's tables, empty, on the fake clock; the SAD's expire events go to
 * IKE through the backend as in uipsecd. */
static void peer_tables(struct peer *p)
{
	p->ev = (struct xfrm_events){ .ctx = p, .expire = sad_expired };
	p->sad = sad_new(&p->ev);
	p->spd = spd_new(NULL);
	PAIR_CHECK(p->sad && p->spd);
	sad_set_clock(p->sad, clock_sec, NULL);
	p->be = p->ike_be = xfrm_backend_sad_new(p->sad, p->spd);
	PAIR_CHECK(p->be);
}

void pair_restart(struct peer *p)
{
	struct ike_io io = peer_io(p);
	char err[256];

	ike_ctx_free(p->ike);
	xfrm_backend_sad_free(p->be);
	sad_free(p->sad);
	spd_free(p->spd);
	peer_tables(p);
	p->ike = ike_ctx_new(&io, p->ike_be);
	PAIR_CHECK(p->ike);
	p->nends = p->nchild_ends = 0;
	PAIR_CHECK(ike_conn_add(p->ike, &p->cfg, err, sizeof(err)) == 0);
}

void peers_up(const char *ike_a, const char *esp_a, const char *ike_b, const char *esp_b,
              const char *psk_b, const char *rts_b)
{
	struct ike_io io;
	char err[256];

	rng_counter = 0;
	now_ms = 1000000;   /* every run the same: the fuzzer replays inputs */
	crypto_rand_set_source(det_rand, NULL);
	net = calloc(NET_MAX, sizeof(*net));
	PAIR_CHECK(net);
	net_n = 0;
	ip_addr_parse("192.0.2.1", &A.addr);
	ip_addr_parse("192.0.2.2", &B.addr);
	peer_tables(&A);
	peer_tables(&B);
	if (pair_wrap_a)
		A.ike_be = pair_wrap_a(A.be);
	A.nends = A.nchild_ends = B.nends = B.nchild_ends = 0;
	A.nvip_add = A.nvip_del = B.nvip_add = B.nvip_del = 0;
	io = peer_io(&A);
	A.ike = ike_ctx_new(&io, A.ike_be);
	io = peer_io(&B);
	B.ike = ike_ctx_new(&io, B.ike_be);
	PAIR_CHECK(A.ike && B.ike);
	conn_cfg(&A.cfg, A.kids, "192.0.2.1", "192.0.2.2", "10.1.0.0/24", "10.2.0.0/24", ike_a, esp_a,
	         "s3cret");
	conn_cfg(&B.cfg, B.kids, "192.0.2.2", "192.0.2.1", "10.2.0.0/24",
	         rts_b ? rts_b : "10.1.0.0/24", ike_b, esp_b, psk_b ? psk_b : "s3cret");
	PAIR_CHECK(ike_conn_add(A.ike, &A.cfg, err, sizeof(err)) == 0);
	PAIR_CHECK(ike_conn_add(B.ike, &B.cfg, err, sizeof(err)) == 0);
}

void pair_down(void)
{
	ike_ctx_free(A.ike);
	ike_ctx_free(B.ike);
	A.ike = B.ike = NULL;
	xfrm_backend_sad_free(A.be);
	xfrm_backend_sad_free(B.be);
	A.be = B.be = A.ike_be = B.ike_be = NULL;
	sad_free(A.sad);
	sad_free(B.sad);
	A.sad = B.sad = NULL;
	spd_free(A.spd);
	spd_free(B.spd);
	A.spd = B.spd = NULL;
	free(net);
	net = NULL;
	net_n = 0;
	nat_on = false;
	keepalives = 0;
	route_calls = 0;
	route_err = 0;
	pair_wrap_a = NULL;
	crypto_rand_set_source(NULL, NULL);
}

int pair_teardown(void **state)
{
	(void)state;
	pair_down();
	return 0;
}

struct ip_addr pair_ip(const char *s)
{
	struct ip_addr a;

	PAIR_CHECK(ip_addr_parse(s, &a) == 0);
	return a;
}

bool pair_establish(void)
{
	if (ike_initiate(A.ike, "net"))
		return false;
	for (int i = 0; i < 4; i++)
		if (!deliver(false))
			return false;
	return net_n == 0 && !strcmp(ike_conn_state(A.ike, "gw"), "ESTABLISHED") &&
	       !strcmp(ike_conn_state(B.ike, "gw"), "ESTABLISHED");
}

/* ---- speaking as a peer ---- */

struct ike_sa *pair_sa(struct peer *p, const struct ike_hdr *h)
{
	if (h)
		return ike_sa_find(p->ike, h->spi_i, h->spi_r);
	for (struct ike_sa *sa = p->ike->sas; sa; sa = sa->next)
		if (sa->state != IKE_STATE_DEAD)
			return sa;
	return NULL;
}

uint32_t pair_take_msgid(struct ike_sa *sa)
{
	return sa->mgr.msgid_out++;
}

bool pair_sa_spis(const struct ike_sa *sa, uint64_t *spi_i, uint64_t *spi_r)
{
	*spi_i = sa->spi_i;
	*spi_r = sa->spi_r;
	return sa->spi_r != 0;
}

uint32_t pair_expected_msgid(const struct ike_sa *sa)
{
	return sa->mgr.msgid_in;
}

bool pair_in_flight(const struct ike_sa *sa, uint32_t *msgid)
{
	for (unsigned i = 0; i < IKE_MGR_WINDOW; i++)
		if (sa->mgr.req[i].task) {
			*msgid = sa->mgr.req[i].msgid;
			return true;
		}
	return false;
}

struct nth_arg {
	unsigned i;
	struct sad_sa *found;
};

static int nth_state(struct sad_sa *st, void *arg)
{
	struct nth_arg *na = arg;

	if (st->state == SAD_STATE_DEAD || na->i--)
		return 0;
	na->found = st;
	return 1;
}

bool pair_expire(struct peer *p, unsigned i, bool hard)
{
	struct nth_arg na = { i, NULL };

	sad_walk(p->sad, nth_state, &na);
	if (!na.found)
		return false;
	xfrm_backend_sad_expire(p->ike_be, na.found, hard);
	return true;
}

/* The keys of sa for a message with header h: the sender's outbound
 * ones if p sent it (the I flag names the original initiator), else
 * p's inbound ones. */
static void keys_for(const struct ike_sa *sa, const struct ike_hdr *h, struct crypto_ike_keys *k)
{
	if (!!(h->flags & IKE_FLAG_INITIATOR) == sa->initiator)
		ike_sa_keys_out(sa, k);
	else
		ike_sa_keys_in(sa, k);
}

int pair_open(struct peer *p, const struct pkt_q *q, struct ike_hdr *h, uint8_t *first,
              uint8_t *chain, size_t cap)
{
	struct crypto_ike_keys k;
	struct ike_msg m;
	struct ike_sa *sa;
	int rc = -1;

	if (ike_msg_parse(q->data, q->len, &m) || !m.has_sk)
		goto out;
	*h = m.hdr;
	sa = pair_sa(p, h);
	if (!sa || !sa->keys_ready)
		goto out;
	keys_for(sa, h, &k);
	if (ike_msg_decrypt(&m, &k))
		goto out;
	const struct ike_pld *sk = ike_msg_find(&m, IKE_PLD_SK);
	size_t sk_off = (size_t)(sk->body - m.raw);
	size_t ivlen = crypto_encr_iv_len(k.encr);
	size_t ptlen = sk->len - ivlen - crypto_ike_icv_len(k.encr, k.integ);
	const uint8_t *pt = m.plain + sk_off + ivlen;
	size_t len = ptlen - pt[ptlen - 1] - 1;
	if (len > cap)
		goto out;
	*first = sk->body[-IKE_PLD_HDR_LEN];
	memcpy(chain, pt, len);
	rc = (int)len;
out:
	ike_msg_clear(&m);
	return rc;
}

int pair_seal(struct peer *sender, const struct ike_hdr *h, uint8_t first, const uint8_t *chain,
              size_t len, struct pkt_q *q)
{
	struct crypto_ike_keys k;
	struct ike_sa *sa = pair_sa(sender, h);
	struct ike_mb mb;
	int rc = -1;

	if (!sa || !sa->keys_ready)
		return -1;
	ike_mb_init(&mb, h);
	ike_mb_sk_open(&mb, sa->encr);
	if (mb.oom)
		goto out;
	mb.p[mb.sk_off] = first;   /* the SK header names the first inner payload */
	ike_mb_put(&mb, chain, len);
	ike_sa_keys_out(sa, &k);
	if (ike_mb_finish(&mb, &k) || mb.len > sizeof(q->data))
		goto out;
	if (!q->len) {
		q->from = sa->local;
		q->to = sa->remote;
	}
	memcpy(q->data, mb.p, mb.len);
	q->len = mb.len;
	rc = 0;
out:
	ike_mb_free(&mb);
	return rc;
}

int pair_frag_open(struct peer *p, const struct pkt_q *q, struct ike_hdr *h, uint8_t *first,
                   uint16_t *num, uint16_t *total, uint8_t *content, size_t cap)
{
	struct crypto_ike_keys k;
	const uint8_t *c;
	struct ike_msg m;
	struct ike_sa *sa;
	size_t len;
	int rc = -1;

	if (ike_msg_parse(q->data, q->len, &m) || !m.has_skf)
		goto out;
	*h = m.hdr;
	sa = pair_sa(p, h);
	if (!sa || !sa->keys_ready)
		goto out;
	keys_for(sa, h, &k);
	if (ike_msg_frag_open(&m, &k, first, &c, &len) || len > cap)
		goto out;
	*num = m.frag_num;
	*total = m.frag_total;
	memcpy(content, c, len);
	rc = (int)len;
out:
	ike_msg_clear(&m);
	return rc;
}

int pair_frag_seal(struct peer *sender, const struct ike_hdr *h, uint8_t first, uint16_t num,
                   uint16_t total, const uint8_t *content, size_t len, struct pkt_q *q)
{
	struct crypto_ike_keys k;
	struct ike_sa *sa = pair_sa(sender, h);
	uint8_t *buf = NULL;
	struct ike_mb mb;
	size_t blen;
	int rc = -1;

	if (!sa || !sa->keys_ready)
		return -1;
	ike_mb_init(&mb, h);   /* the header's bytes */
	if (mb.oom)
		goto out;
	ike_sa_keys_out(sa, &k);
	if (ike_msg_frag_seal(mb.p, first, num, total, content, len, &k, &buf, &blen) ||
	    blen > sizeof(q->data))
		goto out;
	if (!q->len) {
		q->from = sa->local;
		q->to = sa->remote;
	}
	memcpy(q->data, buf, blen);
	q->len = blen;
	rc = 0;
out:
	free(buf);
	ike_mb_free(&mb);
	return rc;
}

/* ---- invariants ---- */

struct find_arg {
	struct peer *p;
	unsigned owned;
	const char *why;
};

/* Is st one of the two states of an installed CHILD SA of p? */
static int owned(struct sad_sa *st, void *arg)
{
	struct find_arg *fa = arg;

	if (st->state == SAD_STATE_DEAD)
		return 0;
	for (struct ike_sa *sa = fa->p->ike->sas; sa; sa = sa->next)
		for (struct ike_child_sa *c = sa->children; c; c = c->next) {
			if (c->state == CHILD_CREATING)
				continue;
			if ((st->spi == c->spi_in && ip_addr_equal(&st->daddr, &c->local.addr)) ||
			    (st->spi == c->spi_out && ip_addr_equal(&st->daddr, &c->remote.addr))) {
				fa->owned++;
				return 0;
			}
		}
	fa->why = "a state in the SAD that no CHILD SA owns";
	return 1;
}

const char *pair_consistent(struct peer *p)
{
	struct find_arg fa = { .p = p };
	unsigned states = 0;

	for (struct ike_sa *sa = p->ike->sas; sa; sa = sa->next) {
		if ((unsigned)sa->state >= IKE_STATE_MAX)
			return "an IKE SA in no known state";
		for (struct ike_child_sa *c = sa->children; c; c = c->next) {
			if (c->state == CHILD_CREATING)
				continue;
			if (!sad_lookup(p->sad, &c->local.addr, c->spi_in, IPPROTO_ESP_))
				return "an installed CHILD SA without its inbound state";
			if (!sad_lookup(p->sad, &c->remote.addr, c->spi_out, IPPROTO_ESP_))
				return "an installed CHILD SA without its outbound state";
			states += 2;
		}
	}
	if (sad_walk(p->sad, owned, &fa))
		return fa.why;
	return fa.owned == states ? NULL : "the SAD and the CHILD SAs disagree on the count";
}
