/* The Security Association Database.
 *
 * Three ways to a state, all owned here:
 *   - a hash on (daddr, spi, proto) for the input path (sad_lookup, O(1));
 *   - a hash on reqid for the output path (sad_lookup_out: the newest
 *     valid state of a reqid wins, as in Linux's xfrm_state_find);
 *   - a list in insertion order (walk, flush, expiry, free).
 * Each struct sad_entry holds one struct sad_sa (its first member, so the
 * pointers handed out stay valid until the state is deleted) and its key
 * material; every path that frees an entry wipes it whole and frees the
 * crypto context (crypto_esp_free wipes the keys it holds).
 *
 * Lifetimes: packets and bytes are counted on the packet path
 * (sad_sa_count in sad.h); the packet that reaches a limit is reported
 * (sad_sa_report, which only marks a hard-expired state DEAD), and every
 * state is checked again, with the time limits, by sad_expire_tick on the
 * control loop, which is the only place that frees an expired state.
 *
 * Changed on the control loop only; see sad.h. */
#include "xfrm/sad.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto/esp_crypto.h"
#include "crypto/rand.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/mem.h"
#include "xfrm/events.h"
#include "xfrm/spd.h"

#include <pthread.h>

struct sad_entry {
	struct sad_sa sa;                 /* first member: &e->sa == (void *)e */
	uint64_t gen;                     /* insertion number: newer is larger */
	struct sad_entry *hnext;          /* (daddr, spi, proto) chain */
	struct sad_entry *rnext;          /* reqid chain */
	struct sad_entry *prev, *next;    /* insertion order */
	pthread_mutex_t lock;             /* sad_sa_lock: between data-path workers */
};

struct sad {
	struct xfrm_events *events;
	struct sad_entry **by_id, **by_reqid;
	unsigned nbuckets;                /* both tables; a power of two */
	struct sad_entry *head, *tail;
	unsigned count;
	uint64_t next_gen;
	uint64_t seed;                    /* hash seed, random per SAD */
	uint64_t (*now)(void *ctx);       /* monotonic seconds */
	uint64_t gen;                     /* sad_generation */
	void *now_ctx;
};

#define SAD_MIN_BUCKETS 64u

static uint64_t default_now(void *ctx)
{
	(void)ctx;
	return clock_mono_sec();
}

static inline uint64_t lim(uint64_t v)
{
	return v ? v : XFRM_INF;          /* 0 and XFRM_INF: no limit */
}

/* ---- hashing ------------------------------------------------------------ */

static inline uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static inline unsigned id_slot(const struct sad *sad, const struct ip_addr *daddr,
                               uint32_t spi, uint8_t proto)
{
	uint64_t w0, w1;

	memcpy(&w0, daddr->a, 8);
	memcpy(&w1, daddr->a + 8, 8);
	return (unsigned)mix64(sad->seed ^ ((uint64_t)spi << 8 | proto) ^
	                       w0 * 0x9e3779b97f4a7c15ull ^ w1 * 0xc2b2ae3d27d4eb4full) &
	       (sad->nbuckets - 1);
}

static inline unsigned reqid_slot(const struct sad *sad, uint32_t reqid)
{
	return (unsigned)mix64(sad->seed ^ reqid) & (sad->nbuckets - 1);
}

static void index_insert(struct sad *sad, struct sad_entry *e)
{
	unsigned s = id_slot(sad, &e->sa.daddr, e->sa.spi, e->sa.proto);
	unsigned r = reqid_slot(sad, e->sa.reqid);

	e->hnext = sad->by_id[s];
	sad->by_id[s] = e;
	e->rnext = sad->by_reqid[r];
	sad->by_reqid[r] = e;
}

static void reqid_remove(struct sad *sad, struct sad_entry *e)
{
	for (struct sad_entry **pp = &sad->by_reqid[reqid_slot(sad, e->sa.reqid)]; *pp;
	     pp = &(*pp)->rnext) {
		if (*pp == e) {
			*pp = e->rnext;
			return;
		}
	}
}

static void index_remove(struct sad *sad, struct sad_entry *e)
{
	for (struct sad_entry **pp = &sad->by_id[id_slot(sad, &e->sa.daddr, e->sa.spi,
	                                                 e->sa.proto)];
	     *pp; pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	}
	reqid_remove(sad, e);
}

/* Double both tables. On allocation failure keep the old ones (longer
 * chains, still correct). */
static void grow(struct sad *sad)
{
	unsigned n = sad->nbuckets * 2;
	struct sad_entry **a = calloc(n, sizeof(*a)), **b = calloc(n, sizeof(*b));

	if (!a || !b) {
		free(a);
		free(b);
		return;
	}
	free(sad->by_id);
	free(sad->by_reqid);
	sad->by_id = a;
	sad->by_reqid = b;
	sad->nbuckets = n;
	for (struct sad_entry *e = sad->head; e; e = e->next)
		index_insert(sad, e);
}

static struct sad_entry *find(const struct sad *sad, const struct ip_addr *daddr,
                              uint32_t spi, uint8_t proto)
{
	for (struct sad_entry *e = sad->by_id[id_slot(sad, daddr, spi, proto)]; e; e = e->hnext)
		if (e->sa.spi == spi && e->sa.proto == proto && ip_addr_equal(&e->sa.daddr, daddr))
			return e;
	return NULL;
}

/* ---- validation and the crypto context ---------------------------------- */

static bool algo_present(const struct xfrm_algo *a)
{
	return a->name[0] != '\0';
}

static int algo_check(const struct xfrm_algo *a, const char *what, char *err, size_t errlen)
{
	if (!memchr(a->name, '\0', sizeof(a->name)))
		return log_reason(err, errlen, "%s algorithm name too long", what);
	if (a->key_len > XFRM_KEY_MAX)
		return log_reason(err, errlen, "%s key too long (%u bytes, at most %d)", what,
		            a->key_len, XFRM_KEY_MAX);
	return 0;
}

static int build_crypto(const struct sad_sa *sa, struct crypto_esp **out, char *err,
                        size_t errlen)
{
	struct crypto_esp_algs algs;
	int rc;

	memset(&algs, 0, sizeof(algs));
	if ((rc = algo_check(&sa->aead, "aead", err, errlen)) ||
	    (rc = algo_check(&sa->enc, "enc", err, errlen)) ||
	    (rc = algo_check(&sa->auth, "auth", err, errlen)))
		return rc;
	if (algo_present(&sa->aead) && (algo_present(&sa->enc) || algo_present(&sa->auth)))
		return log_reason(err, errlen, "aead %s cannot be combined with enc or auth",
		            sa->aead.name);
	if (algo_present(&sa->aead)) {
		algs.aead = sa->aead.name;
		algs.aead_key = sa->aead.key;
		algs.aead_key_len = sa->aead.key_len;
		algs.aead_icv_bits = sa->aead.icv_bits;
	}
	if (algo_present(&sa->enc)) {
		algs.enc = sa->enc.name;
		algs.enc_key = sa->enc.key;
		algs.enc_key_len = sa->enc.key_len;
	}
	if (algo_present(&sa->auth)) {
		algs.auth = sa->auth.name;
		algs.auth_key = sa->auth.key;
		algs.auth_key_len = sa->auth.key_len;
		algs.auth_trunc_bits = sa->auth.icv_bits;
	}
	return crypto_esp_new(&algs, out, err, errlen);
}

/* Everything but the algorithms (checked by build_crypto). Clears err
 * first: what it holds afterwards is this call's reason. */
static int validate(const struct sad_sa *sa, char *err, size_t errlen)
{
	bool esn = sa->flags & SAD_FLAG_ESN;

	if (err && errlen)
		err[0] = '\0';
	if (sa->proto != IPPROTO_ESP_)
		return log_reason(err, errlen, "protocol %u not supported (only esp)", sa->proto);
	/* RFC 4303 section 2.1: SPI 0 is reserved for local use, 1..255 by
	 * IANA; neither appears on the wire. */
	if (sa->spi < 256)
		return log_reason(err, errlen, "SPI 0x%x is reserved (0..255)", sa->spi);
	if (sa->daddr.family != AF_INET && sa->daddr.family != AF_INET6)
		return log_reason(err, errlen, "destination address missing");
	if (sa->saddr.family != sa->daddr.family)
		return log_reason(err, errlen, sa->saddr.family ? "source and destination address "
		            "families differ" : "source address missing");
	if (sa->mode != XFRM_MODE_TRANSPORT && sa->mode != XFRM_MODE_TUNNEL)
		return log_reason(err, errlen, "mode %u not supported (transport or tunnel)", sa->mode);
	if (sa->replay.size > REPLAY_WINDOW_MAX)
		return log_reason(err, errlen, "replay window %u too big (at most %d)", sa->replay.size,
		            REPLAY_WINDOW_MAX);
	if (!esn && (sa->replay.top > UINT32_MAX || sa->oseq > UINT32_MAX))
		return log_reason(err, errlen, "sequence number beyond 32 bits without flag esn");
	if (sa->encap.type != 0) {
		if (sa->encap.type != UDP_ENCAP_ESPINUDP_)
			return log_reason(err, errlen, "encapsulation type %u not supported (espinudp)",
			            sa->encap.type);
		if (!sa->encap.sport || !sa->encap.dport)
			return log_reason(err, errlen, "encap espinudp needs both ports");
	}
	if (sa->sel.family && !xfrm_selector_valid(&sa->sel))
		return log_reason(err, errlen, "bad selector");
	return 0;
}

/* The stored window: size and position as given, ESN from the flags. */
static bool set_replay(struct sad_sa *dst, const struct replay_window *src, bool esn)
{
	uint64_t top = src->top;

	if (!replay_init(&dst->replay, src->size, esn))
		return false;
	replay_set_top(&dst->replay, top);
	return true;
}

/* ---- events -------------------------------------------------------------- */

static void notify(struct sad *sad, enum xfrm_event_kind kind, const struct sad_sa *sa)
{
	sad->gen++;
	if (sad->events && sad->events->state)
		sad->events->state(sad->events->ctx, kind, sa);
}

static void notify_expire(struct sad *sad, const struct sad_sa *sa, bool hard)
{
	sad->gen++;   /* soft or dead: what the lookups return changes */
	if (sad->events && sad->events->expire)
		sad->events->expire(sad->events->ctx, sa, hard);
}

/* ---- public API ---------------------------------------------------------- */

struct sad *sad_new(struct xfrm_events *events)
{
	struct sad *sad = calloc(1, sizeof(*sad));

	if (!sad)
		return NULL;
	sad->nbuckets = SAD_MIN_BUCKETS;
	sad->by_id = calloc(sad->nbuckets, sizeof(*sad->by_id));
	sad->by_reqid = calloc(sad->nbuckets, sizeof(*sad->by_reqid));
	if (!sad->by_id || !sad->by_reqid) {
		free(sad->by_id);
		free(sad->by_reqid);
		free(sad);
		return NULL;
	}
	/* A random seed keeps chain lengths independent of chosen SPIs;
	 * a fixed one is only a fallback (still correct). */
	if (crypto_rand(&sad->seed, sizeof(sad->seed)) < 0)
		sad->seed = 0x6a09e667f3bcc908ull;
	sad->events = events;
	sad->now = default_now;
	return sad;
}

void sad_set_clock(struct sad *sad, uint64_t (*now)(void *ctx), void *ctx)
{
	sad->now = now ? now : default_now;
	sad->now_ctx = ctx;
}

static void entry_free(struct sad_entry *e)
{
	pthread_mutex_destroy(&e->lock);
	crypto_esp_free(e->sa.crypto);
	replay_free(&e->sa.replay);
	mem_free_wipe(e, sizeof(*e));
}

static void unlink_entry(struct sad *sad, struct sad_entry *e)
{
	sad->gen++;
	index_remove(sad, e);
	if (e->prev)
		e->prev->next = e->next;
	else
		sad->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		sad->tail = e->prev;
	sad->count--;
}

void sad_free(struct sad *sad)
{
	struct sad_entry *e, *next;

	if (!sad)
		return;
	for (e = sad->head; e; e = next) {
		next = e->next;
		entry_free(e);
	}
	free(sad->by_id);
	free(sad->by_reqid);
	free(sad);
}

int sad_add_err(struct sad *sad, const struct sad_sa *sa, struct sad_sa **out, char *err,
                size_t errlen)
{
	struct sad_entry *e;
	struct crypto_esp *c = NULL;
	uint64_t now;
	int rc;

	rc = validate(sa, err, errlen);
	if (rc < 0)
		return rc;
	if (find(sad, &sa->daddr, sa->spi, sa->proto))
		return -EEXIST;
	rc = build_crypto(sa, &c, err, errlen);
	if (rc < 0)
		return rc;
	e = calloc(1, sizeof(*e));
	if (!e) {
		crypto_esp_free(c);
		return -ENOMEM;
	}
	pthread_mutex_init(&e->lock, NULL);
	e->sa = *sa;
	e->sa.crypto = c;
	e->sa.state = SAD_STATE_VALID;
	e->sa.limit_reached = false;
	if (!set_replay(&e->sa, &sa->replay, sa->flags & SAD_FLAG_ESN)) {
		pthread_mutex_destroy(&e->lock);
		crypto_esp_free(c);
		mem_free_wipe(e, sizeof(*e));
		return -ENOMEM;
	}
	memset(&e->sa.stats, 0, sizeof(e->sa.stats));
	if (e->sa.sel.family)
		xfrm_selector_normalize(&e->sa.sel);
	now = sad->now(sad->now_ctx);
	e->sa.curlft.add_time = now;
	e->sa.curlft.add_time_wall = clock_wall_sec();
	e->sa.curlft.use_time = 0;
	e->sa.curlft.use_time_wall = 0;
	e->gen = sad->next_gen++;

	if (sad->count + 1 > sad->nbuckets)
		grow(sad);
	index_insert(sad, e);
	e->prev = sad->tail;
	if (sad->tail)
		sad->tail->next = e;
	else
		sad->head = e;
	sad->tail = e;
	sad->count++;
	if (out)
		*out = &e->sa;
	notify(sad, XFRM_EV_STATE_ADD, &e->sa);
	return 0;
}

int sad_add(struct sad *sad, const struct sad_sa *sa, struct sad_sa **out)
{
	return sad_add_err(sad, sa, out, NULL, 0);
}

int sad_update_err(struct sad *sad, const struct sad_sa *sa, char *err, size_t errlen)
{
	struct sad_entry *e;
	struct sad_sa *cur;
	struct crypto_esp *c = NULL;
	bool esn = sa->flags & SAD_FLAG_ESN;
	bool new_algs = algo_present(&sa->aead) || algo_present(&sa->enc) ||
	                algo_present(&sa->auth);
	int rc;

	rc = validate(sa, err, errlen);
	if (rc < 0)
		return rc;
	e = find(sad, &sa->daddr, sa->spi, sa->proto);
	if (!e || e->sa.state == SAD_STATE_DEAD)
		return -ENOENT;       /* a hard-expired state stays dead */
	cur = &e->sa;
	if (esn != (bool)(cur->flags & SAD_FLAG_ESN))
		return log_reason(err, errlen, "flag esn cannot change on an existing state");
	if (new_algs) {
		rc = build_crypto(sa, &c, err, errlen);
		if (rc < 0)
			return rc;
	}
	/* A new window size: a ring of its own size, the marks kept. */
	if (sa->replay.size && !replay_resize(&cur->replay, sa->replay.size)) {
		if (new_algs)
			crypto_esp_free(c);
		return -ENOMEM;
	}

	/* Everything below succeeds. */
	reqid_remove(sad, e);
	cur->saddr = sa->saddr;
	cur->mode = sa->mode;
	cur->flags = sa->flags;
	cur->reqid = sa->reqid;
	if (new_algs) {
		crypto_esp_free(cur->crypto);
		cur->crypto = c;
		mem_wipe(&cur->aead, sizeof(cur->aead));
		mem_wipe(&cur->enc, sizeof(cur->enc));
		mem_wipe(&cur->auth, sizeof(cur->auth));
		cur->aead = sa->aead;
		cur->enc = sa->enc;
		cur->auth = sa->auth;
	}
	cur->encap = sa->encap;
	cur->sel = sa->sel;
	if (cur->sel.family)
		xfrm_selector_normalize(&cur->sel);
	/* Sequence numbers and the window stay unless given. */
	if (sa->oseq)
		cur->oseq = sa->oseq;
	if (sa->replay.top)
		replay_set_top(&cur->replay, sa->replay.top);
	cur->lft = sa->lft;
	cur->state = SAD_STATE_VALID;    /* new limits: soft may fire again */
	cur->mark = sa->mark;
	cur->mark_mask = sa->mark_mask;
	if (sa->user)
		cur->user = sa->user;
	{
		unsigned r = reqid_slot(sad, e->sa.reqid);
		e->rnext = sad->by_reqid[r];
		sad->by_reqid[r] = e;
	}
	notify(sad, XFRM_EV_STATE_UPDATE, cur);
	return 0;
}

int sad_update(struct sad *sad, const struct sad_sa *sa)
{
	return sad_update_err(sad, sa, NULL, 0);
}

static void delete_entry(struct sad *sad, struct sad_entry *e)
{
	unlink_entry(sad, e);
	e->sa.state = SAD_STATE_DEAD;
	notify(sad, XFRM_EV_STATE_DEL, &e->sa);
	entry_free(e);
}

int sad_del(struct sad *sad, const struct ip_addr *daddr, uint32_t spi, uint8_t proto)
{
	struct sad_entry *e = find(sad, daddr, spi, proto);

	if (!e)
		return -ENOENT;
	delete_entry(sad, e);
	return 0;
}

int sad_flush(struct sad *sad, uint8_t proto)
{
	struct sad_entry *e, *next;
	int n = 0;

	for (e = sad->head; e; e = next) {
		next = e->next;
		if (proto && e->sa.proto != proto)
			continue;
		unlink_entry(sad, e);
		entry_free(e);
		n++;
	}
	notify(sad, XFRM_EV_STATE_FLUSH, NULL);
	return n;
}

struct sad_sa *sad_lookup(struct sad *sad, const struct ip_addr *daddr, uint32_t spi,
                          uint8_t proto)
{
	struct sad_entry *e = find(sad, daddr, spi, proto);

	return e && e->sa.state != SAD_STATE_DEAD ? &e->sa : NULL;
}

static bool out_candidate(const struct sad_entry *e, uint32_t reqid,
                          const struct ip_addr *saddr, const struct ip_addr *daddr,
                          uint8_t mode)
{
	const struct sad_sa *sa = &e->sa;

	if (sa->state == SAD_STATE_DEAD || sa->mode != mode || sa->proto != IPPROTO_ESP_)
		return false;
	if (reqid && sa->reqid != reqid)
		return false;
	if (saddr && saddr->family && !ip_addr_equal(&sa->saddr, saddr))
		return false;
	if (daddr && daddr->family && !ip_addr_equal(&sa->daddr, daddr))
		return false;
	return true;
}

/* Linux xfrm_state_look_at: a state that is not dying beats one that is
 * (soft expired), then the newest. */
static bool out_better(const struct sad_entry *a, const struct sad_entry *b)
{
	bool a_dying = a->sa.state != SAD_STATE_VALID, b_dying = b->sa.state != SAD_STATE_VALID;

	if (a_dying != b_dying)
		return !a_dying;
	return a->gen > b->gen;
}

struct sad_sa *sad_lookup_out(struct sad *sad, uint32_t reqid, const struct ip_addr *saddr,
                              const struct ip_addr *daddr, uint8_t mode)
{
	struct sad_entry *best = NULL, *e;

	if (reqid) {
		for (e = sad->by_reqid[reqid_slot(sad, reqid)]; e; e = e->rnext)
			if (out_candidate(e, reqid, saddr, daddr, mode) && (!best || out_better(e, best)))
				best = e;
	} else {
		for (e = sad->head; e; e = e->next)
			if (out_candidate(e, 0, saddr, daddr, mode) && (!best || out_better(e, best)))
				best = e;
	}
	return best ? &best->sa : NULL;
}

struct sad_sa *sad_lookup_out_flow(struct sad *sad, const struct xfrm_tmpl *t,
                                   const struct xfrm_flow *fl)
{
	const struct ip_addr *saddr = t->saddr.family ? &t->saddr : NULL;
	const struct ip_addr *daddr = t->daddr.family ? &t->daddr : NULL;
	struct sad_entry *best = NULL, *e;

	/* Linux xfrm_tmpl_resolve_one: a transport-mode template without
	 * addresses means the packet's own. */
	if (t->mode == XFRM_MODE_TRANSPORT) {
		if (!saddr)
			saddr = &fl->saddr;
		if (!daddr)
			daddr = &fl->daddr;
	}
	e = t->reqid ? sad->by_reqid[reqid_slot(sad, t->reqid)] : sad->head;
	for (; e; e = t->reqid ? e->rnext : e->next) {
		if (!out_candidate(e, t->reqid, saddr, daddr, t->mode))
			continue;
		if (t->spi && e->sa.spi != t->spi)
			continue;
		/* xfrm_state_look_at: a state's own selector must admit the flow */
		if (e->sa.sel.family && !xfrm_selector_match(&e->sa.sel, fl))
			continue;
		if (!best || out_better(e, best))
			best = e;
	}
	return best ? &best->sa : NULL;
}

int sad_walk(struct sad *sad, int (*fn)(struct sad_sa *sa, void *arg), void *arg)
{
	struct sad_entry *e, *next;
	int rc;

	for (e = sad->head; e; e = next) {
		next = e->next;
		rc = fn(&e->sa, arg);
		if (rc)
			return rc;
	}
	return 0;
}

uint64_t sad_generation(const struct sad *sad)
{
	return sad->gen;
}

unsigned sad_count(const struct sad *sad)
{
	return sad->count;
}

void sad_sa_lock(struct sad_sa *sa)
{
	pthread_mutex_lock(&((struct sad_entry *)(void *)sa)->lock);
}

void sad_sa_unlock(struct sad_sa *sa)
{
	pthread_mutex_unlock(&((struct sad_entry *)(void *)sa)->lock);
}

/* ---- lifetimes ----------------------------------------------------------- */

/* Byte and packet limits against the current counters: soft once, hard
 * marks the state DEAD (freed by the next sad_expire_tick). Returns false
 * if the state is dead. */
bool sad_sa_check_limits(struct sad *sad, struct sad_sa *sa)
{
	const struct xfrm_lifetime_cfg *l = &sa->lft;
	const struct xfrm_lifetime_cur *c = &sa->curlft;

	if (sa->state == SAD_STATE_DEAD)
		return false;
	if (sad_sa_hard_reached(sa)) {
		sa->state = SAD_STATE_DEAD;
		notify_expire(sad, sa, true);
		return false;
	}
	if (sa->state == SAD_STATE_VALID &&
	    (c->bytes >= lim(l->soft_byte_limit) || c->packets >= lim(l->soft_packet_limit))) {
		sa->state = SAD_STATE_EXPIRED_SOFT;
		notify_expire(sad, sa, false);
	}
	return true;
}

void sad_sa_report(struct sad *sad, struct sad_sa *sa)
{
	sa->limit_reached = false;
	sad_sa_check_limits(sad, sa);
}

bool sad_sa_account(struct sad *sad, struct sad_sa *sa, uint32_t len, int dir)
{
	if (sad_sa_hard_reached(sa)) {
		sa->stats.expired++;
		sad_sa_check_limits(sad, sa);   /* reached (limits lowered): now dead */
		return false;
	}
	if (!sa->curlft.use_time)
		sad_sa_first_use(sa, sad->now(sad->now_ctx));
	/* This packet was within the limits (counters before it were
	 * below hard): it passes even if it is the one that reaches them. */
	sad_sa_count(sa, len, dir);
	if (sa->limit_reached)
		sad_sa_report(sad, sa);
	return true;
}

static bool time_reached(uint64_t now, uint64_t since, uint64_t limit)
{
	limit = lim(limit);
	return limit != XFRM_INF && now >= since && now - since >= limit;
}

int sad_expire_tick(struct sad *sad, uint64_t now)
{
	struct sad_entry *e, *next;
	int removed = 0;

	for (e = sad->head; e; e = next) {
		struct sad_sa *sa = &e->sa;
		const struct xfrm_lifetime_cfg *l = &sa->lft;
		bool used = sa->curlft.use_time != 0;

		next = e->next;
		if (sa->state != SAD_STATE_DEAD) {
			bool hard = time_reached(now, sa->curlft.add_time, l->hard_add_expires_seconds) ||
			            (used && time_reached(now, sa->curlft.use_time,
			                                  l->hard_use_expires_seconds));
			if (hard) {
				sa->state = SAD_STATE_DEAD;
				notify_expire(sad, sa, true);
			} else if (sad_sa_check_limits(sad, sa) && sa->state == SAD_STATE_VALID &&
			           (time_reached(now, sa->curlft.add_time,
			                         l->soft_add_expires_seconds) ||
			            (used && time_reached(now, sa->curlft.use_time,
			                                  l->soft_use_expires_seconds)))) {
				sa->state = SAD_STATE_EXPIRED_SOFT;
				notify_expire(sad, sa, false);
			}
		}
		if (sa->state == SAD_STATE_DEAD) {
			/* The key manager heard the hard expire; like Linux,
			 * no separate delete event. */
			unlink_entry(sad, e);
			entry_free(e);
			removed++;
		}
	}
	return removed;
}

/* ---- SPI allocation ------------------------------------------------------ */

int sad_alloc_spi(struct sad *sad, const struct ip_addr *daddr, uint32_t lo, uint32_t hi,
                  uint32_t *spi)
{
	uint64_t range;
	uint32_t r;

	if (lo < 256)
		lo = 256;                 /* RFC 4303 section 2.1: reserved */
	if (lo > hi)
		return -EINVAL;
	range = (uint64_t)hi - lo + 1;
	/* Random tries first (unpredictable SPIs), then, for small ranges
	 * that may be nearly full, a scan from a random start. */
	for (int i = 0; i < 32; i++) {
		if (crypto_rand(&r, sizeof(r)) < 0)
			return -EIO;
		uint32_t cand = lo + (uint32_t)(r % range);
		if (!find(sad, daddr, cand, IPPROTO_ESP_)) {
			*spi = cand;
			return 0;
		}
	}
	if (range <= 1u << 20) {
		if (crypto_rand(&r, sizeof(r)) < 0)
			return -EIO;
		for (uint64_t i = 0; i < range; i++) {
			uint32_t cand = lo + (uint32_t)((r + i) % range);
			if (!find(sad, daddr, cand, IPPROTO_ESP_)) {
				*spi = cand;
				return 0;
			}
		}
	}
	return -EAGAIN;
}
