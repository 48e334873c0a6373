/* The Security Policy Database (see docs/spd.md for the design).
 *
 * Per direction and address family, policies are grouped by their pair of
 * prefix lengths (prefixlen_d, prefixlen_s); each group is a hash table of
 * cells keyed by the masked (daddr, saddr), a cell holding the policies
 * with that key. A lookup probes each group once, visiting the groups in
 * order of the best policy they may hold, and stops as soon as no
 * remaining group can beat what it found ("tuple space search", as in Open
 * vSwitch's classifier). Selectors of family 0 (any address) sit on one
 * short sorted list per direction.
 *
 * Order: the smallest priority wins, then the earliest added (seq), as in
 * Linux. Every cell's chain and the any-list are kept sorted by that order,
 * so the first full match in a chain is the best of the chain.
 *
 * Owns every struct spd_entry; the struct spd_policy handed out lives
 * inside one and stays valid until the policy is deleted or flushed.
 * Changed on the control loop only (see spd.h). */
#include "xfrm/spd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/clock.h"
#include "xfrm/events.h"

struct spd_group;
struct spd_cell;

struct spd_entry {
	struct spd_policy pol;          /* the public part; first member */
	uint64_t seq;                   /* insertion order, kept by updates */
	struct spd_group *group;        /* NULL: on the any-family list */
	struct spd_cell *cell;          /* its key in the group */
	struct spd_entry *hnext;        /* cell chain or any-list, sorted */
	struct spd_entry *inext;        /* index hash chain */
	struct spd_entry *prev, *next;  /* every policy, in insertion order */
};

/* The policies of one group whose masked addresses are the same key. */
struct spd_cell {
	uint64_t kd[2], ks[2];          /* masked daddr, saddr (loaded words) */
	uint32_t hash;
	struct spd_entry *head;         /* sorted by (priority, seq) */
};

struct spd_group {
	uint8_t family, plen_d, plen_s;
	uint64_t md[2], ms[2];          /* address masks, as loaded words */
	/* No member sorts before (bound_prio, bound_seq). Exact after a
	 * rehash; may go stale (too low, never too high) after deletes. */
	uint32_t bound_prio;
	uint64_t bound_seq;
	unsigned count;                 /* policies */
	unsigned ncells, nslots;        /* nslots: a power of two, >= 2 ncells */
	/* Linear probing over two parallel arrays: the hashes (0 = empty
	 * slot; a hash is never 0) apart from the cell pointers, so a probe
	 * that misses reads 4 bytes of a dense array and nothing else. */
	uint32_t *tags;
	struct spd_cell **cells;
};

struct spd_grouplist {
	struct spd_group **v;           /* sorted by bound */
	unsigned n, cap;
};

struct spd_dirtab {
	struct spd_grouplist fam[2];    /* AF_INET, AF_INET6 */
	struct spd_entry *any;          /* family 0 selectors, sorted */
};

struct spd {
	struct xfrm_events *events;
	struct spd_dirtab dir[XFRM_POLICY_MAX];
	struct spd_entry **idx;         /* by index */
	unsigned idx_nbuckets;
	struct spd_entry *head, *tail;
	unsigned count;
	uint64_t next_seq;
	uint32_t idx_gen;
	uint64_t gen;                   /* spd_generation */
};

#define GROUP_MIN_SLOTS 8u

/* ---- ordering ---------------------------------------------------------- */

static inline bool order_before(uint32_t pa, uint64_t sa, uint32_t pb, uint64_t sb)
{
	return pa < pb || (pa == pb && sa < sb);
}

static inline bool entry_before(const struct spd_entry *a, const struct spd_entry *b)
{
	return order_before(a->pol.priority, a->seq, b->pol.priority, b->seq);
}

/* ---- keys and hashing -------------------------------------------------- */

static inline void load_words(const uint8_t a[16], uint64_t w[2])
{
	memcpy(&w[0], a, 8);
	memcpy(&w[1], a + 8, 8);
}

static void mask_words(unsigned plen, uint64_t w[2])
{
	uint8_t m[16] = { 0 };

	for (unsigned i = 0; i < plen && i < 128; i++)
		m[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	load_words(m, w);
}

static inline uint32_t key_hash(uint64_t d0, uint64_t d1, uint64_t s0, uint64_t s1)
{
	uint64_t h = d0 * 0x9e3779b97f4a7c15ull + d1 * 0xc2b2ae3d27d4eb4full +
	             s0 * 0x165667b19e3779f9ull + s1 * 0x27d4eb2f165667c5ull;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h + ((uint32_t)h == 0);   /* never 0: that marks empty */
}

static inline uint32_t group_hash(const struct spd_group *g, const uint64_t d[2],
                                  const uint64_t s[2])
{
	return key_hash(d[0] & g->md[0], d[1] & g->md[1], s[0] & g->ms[0], s[1] & g->ms[1]);
}

static inline bool cell_is(const struct spd_cell *c, const struct spd_group *g,
                           const uint64_t d[2], const uint64_t s[2])
{
	return c->kd[0] == (d[0] & g->md[0]) && c->kd[1] == (d[1] & g->md[1]) &&
	       c->ks[0] == (s[0] & g->ms[0]) && c->ks[1] == (s[1] & g->ms[1]);
}

/* The cell for these (unmasked) addresses, or NULL; *pos is its slot, or
 * the empty slot where it would go. */
static struct spd_cell *cell_find(const struct spd_group *g, const uint64_t d[2],
                                  const uint64_t s[2], uint32_t h, unsigned *pos)
{
	unsigned mask = g->nslots - 1;

	for (unsigned i = h & mask;; i = (i + 1) & mask) {
		uint32_t tag = g->tags[i];
		if (!tag || (tag == h && cell_is(g->cells[i], g, d, s))) {
			if (pos)
				*pos = i;
			return tag ? g->cells[i] : NULL;
		}
	}
}

static inline unsigned idx_slot(const struct spd *spd, uint32_t index)
{
	return (unsigned)(((uint64_t)index * 0x9e3779b97f4a7c15ull) >> 32) &
	       (spd->idx_nbuckets - 1);
}

static int fam_slot(uint8_t family)
{
	return family == AF_INET ? 0 : family == AF_INET6 ? 1 : -1;
}

/* ---- sorted chains ----------------------------------------------------- */

static void chain_insert(struct spd_entry **head, struct spd_entry *e)
{
	struct spd_entry **pp = head;

	while (*pp && !entry_before(e, *pp))
		pp = &(*pp)->hnext;
	e->hnext = *pp;
	*pp = e;
}

static void chain_remove(struct spd_entry **head, struct spd_entry *e)
{
	for (struct spd_entry **pp = head; *pp; pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			e->hnext = NULL;
			return;
		}
	}
}

/* ---- groups ------------------------------------------------------------ */

static void grouplist_sort(struct spd_grouplist *gl)
{
	/* Insertion sort: the list is small and nearly sorted. */
	for (unsigned i = 1; i < gl->n; i++) {
		struct spd_group *g = gl->v[i];
		unsigned j = i;
		while (j > 0 && order_before(g->bound_prio, g->bound_seq,
		                             gl->v[j - 1]->bound_prio, gl->v[j - 1]->bound_seq)) {
			gl->v[j] = gl->v[j - 1];
			j--;
		}
		gl->v[j] = g;
	}
}

static struct spd_group *group_find(const struct spd_grouplist *gl, uint8_t plen_d,
                                    uint8_t plen_s)
{
	for (unsigned i = 0; i < gl->n; i++)
		if (gl->v[i]->plen_d == plen_d && gl->v[i]->plen_s == plen_s)
			return gl->v[i];
	return NULL;
}

static struct spd_group *group_new(struct spd_grouplist *gl, uint8_t family,
                                   uint8_t plen_d, uint8_t plen_s)
{
	struct spd_group *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->tags = calloc(GROUP_MIN_SLOTS, sizeof(*g->tags));
	g->cells = calloc(GROUP_MIN_SLOTS, sizeof(*g->cells));
	if (!g->tags || !g->cells)
		goto fail;
	if (gl->n == gl->cap) {
		unsigned cap = gl->cap ? gl->cap * 2 : 8;
		struct spd_group **v = realloc(gl->v, cap * sizeof(*v));
		if (!v)
			goto fail;
		gl->v = v;
		gl->cap = cap;
	}
	g->family = family;
	g->plen_d = plen_d;
	g->plen_s = plen_s;
	mask_words(plen_d, g->md);
	mask_words(plen_s, g->ms);
	g->nslots = GROUP_MIN_SLOTS;
	g->bound_prio = UINT32_MAX;
	g->bound_seq = UINT64_MAX;
	gl->v[gl->n++] = g;
	return g;
fail:
	free(g->tags);
	free(g->cells);
	free(g);
	return NULL;
}

static void group_free(struct spd_group *g)
{
	for (unsigned i = 0; i < g->nslots; i++)
		free(g->cells[i]);
	free(g->tags);
	free(g->cells);
	free(g);
}

/* Take an empty group out of its list and free it. */
static void group_drop(struct spd_grouplist *gl, struct spd_group *g)
{
	for (unsigned i = 0; i < gl->n; i++) {
		if (gl->v[i] == g) {
			memmove(&gl->v[i], &gl->v[i + 1], (gl->n - i - 1) * sizeof(gl->v[0]));
			gl->n--;
			break;
		}
	}
	group_free(g);
}

/* Move every cell into a table of n slots and make the bound exact. On
 * allocation failure the group keeps its old table: still correct, if the
 * table still has an empty slot (grow is asked for at half full). */
static int group_rehash(struct spd_group *g, unsigned n)
{
	uint32_t *nt = calloc(n, sizeof(*nt));
	struct spd_cell **nc = calloc(n, sizeof(*nc));

	if (!nt || !nc) {
		free(nt);
		free(nc);
		return -ENOMEM;
	}
	g->bound_prio = UINT32_MAX;
	g->bound_seq = UINT64_MAX;
	for (unsigned i = 0; i < g->nslots; i++) {
		struct spd_cell *c = g->cells[i];
		unsigned j;

		if (!g->tags[i])
			continue;
		for (j = c->hash & (n - 1); nt[j]; j = (j + 1) & (n - 1))
			;
		nt[j] = c->hash;
		nc[j] = c;
		/* The head of each sorted cell chain is its best. */
		if (order_before(c->head->pol.priority, c->head->seq, g->bound_prio,
		                 g->bound_seq)) {
			g->bound_prio = c->head->pol.priority;
			g->bound_seq = c->head->seq;
		}
	}
	free(g->tags);
	free(g->cells);
	g->tags = nt;
	g->cells = nc;
	g->nslots = n;
	return 0;
}

/* Linear probing deletion without tombstones: shift back every following
 * entry of the run that may no longer be reachable from its home slot. */
static void slot_delete(struct spd_group *g, unsigned i)
{
	unsigned mask = g->nslots - 1, j = i;

	for (;;) {
		unsigned k;

		j = (j + 1) & mask;
		if (!g->tags[j])
			break;
		k = g->tags[j] & mask;
		/* Stays if its home k lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		g->tags[i] = g->tags[j];
		g->cells[i] = g->cells[j];
		i = j;
	}
	g->tags[i] = 0;
	g->cells[i] = NULL;
}

/* ---- placing an entry in the lookup structures ------------------------- */

static int place(struct spd *spd, struct spd_entry *e)
{
	struct spd_dirtab *t = &spd->dir[e->pol.dir];
	const struct xfrm_selector *sel = &e->pol.sel;
	int fs = fam_slot(sel->family);
	struct spd_grouplist *gl;
	struct spd_group *g;
	struct spd_cell *c;
	uint64_t d[2], s[2];
	uint32_t h;
	unsigned pos;

	if (fs < 0) {
		e->group = NULL;
		chain_insert(&t->any, e);
		return 0;
	}
	gl = &t->fam[fs];
	g = group_find(gl, sel->prefixlen_d, sel->prefixlen_s);
	if (!g) {
		g = group_new(gl, sel->family, sel->prefixlen_d, sel->prefixlen_s);
		if (!g)
			return -ENOMEM;
	}

	load_words(sel->daddr.a, d);
	load_words(sel->saddr.a, s);
	h = group_hash(g, d, s);
	c = cell_find(g, d, s, h, &pos);
	if (!c) {
		/* Keep the table at most half full, so probes stay short and
		 * there is always an empty slot to end them. */
		if ((g->ncells + 1) * 2 > g->nslots) {
			if (group_rehash(g, g->nslots * 2) < 0)
				goto nomem;
			cell_find(g, d, s, h, &pos);
		}
		c = calloc(1, sizeof(*c));
		if (!c)
			goto nomem;
		c->kd[0] = d[0] & g->md[0];
		c->kd[1] = d[1] & g->md[1];
		c->ks[0] = s[0] & g->ms[0];
		c->ks[1] = s[1] & g->ms[1];
		c->hash = h;
		g->tags[pos] = h;
		g->cells[pos] = c;
		g->ncells++;
	}
	e->group = g;
	e->cell = c;
	chain_insert(&c->head, e);
	g->count++;
	if (order_before(e->pol.priority, e->seq, g->bound_prio, g->bound_seq)) {
		g->bound_prio = e->pol.priority;
		g->bound_seq = e->seq;
	}
	grouplist_sort(gl);
	return 0;
nomem:
	if (g->count == 0)
		group_drop(gl, g);
	return -ENOMEM;
}

static void unplace(struct spd *spd, struct spd_entry *e)
{
	struct spd_dirtab *t = &spd->dir[e->pol.dir];
	struct spd_group *g = e->group;
	struct spd_grouplist *gl;

	if (!g) {
		chain_remove(&t->any, e);
		return;
	}
	chain_remove(&e->cell->head, e);
	if (!e->cell->head) {
		unsigned mask = g->nslots - 1, i;

		for (i = e->cell->hash & mask; g->cells[i] != e->cell; i = (i + 1) & mask)
			;
		slot_delete(g, i);
		free(e->cell);
		g->ncells--;
	}
	e->cell = NULL;
	e->group = NULL;
	g->count--;
	gl = &t->fam[fam_slot(g->family)];
	if (g->count == 0) {
		group_drop(gl, g);
		return;
	}
	if (g->nslots > GROUP_MIN_SLOTS && g->ncells * 8 < g->nslots) {
		group_rehash(g, g->nslots / 2);
		grouplist_sort(gl);
	}
}

/* ---- the index table --------------------------------------------------- */

static struct spd_entry *idx_find(const struct spd *spd, uint32_t index)
{
	if (!spd->idx_nbuckets)
		return NULL;
	for (struct spd_entry *e = spd->idx[idx_slot(spd, index)]; e; e = e->inext)
		if (e->pol.index == index)
			return e;
	return NULL;
}

static int idx_insert(struct spd *spd, struct spd_entry *e)
{
	if (spd->count + 1 > spd->idx_nbuckets) {
		unsigned n = spd->idx_nbuckets ? spd->idx_nbuckets * 2 : 64;
		struct spd_entry **nb = calloc(n, sizeof(*nb));
		struct spd_entry **old = spd->idx;
		unsigned oldn = spd->idx_nbuckets;

		if (!nb)
			return -ENOMEM;
		spd->idx = nb;
		spd->idx_nbuckets = n;
		for (unsigned i = 0; i < oldn; i++) {
			struct spd_entry *x = old[i], *next;
			for (; x; x = next) {
				unsigned s = idx_slot(spd, x->pol.index);
				next = x->inext;
				x->inext = nb[s];
				nb[s] = x;
			}
		}
		free(old);
	}
	unsigned s = idx_slot(spd, e->pol.index);
	e->inext = spd->idx[s];
	spd->idx[s] = e;
	return 0;
}

static void idx_remove(struct spd *spd, struct spd_entry *e)
{
	for (struct spd_entry **pp = &spd->idx[idx_slot(spd, e->pol.index)]; *pp;
	     pp = &(*pp)->inext) {
		if (*pp == e) {
			*pp = e->inext;
			return;
		}
	}
}

/* Linux's xfrm_gen_index: (generation << 3) | dir, never 0, never taken. */
static uint32_t idx_generate(struct spd *spd, uint8_t dir)
{
	for (;;) {
		uint32_t idx = spd->idx_gen | dir;
		spd->idx_gen += 8;
		if (idx == 0)
			idx = 8;
		if (!idx_find(spd, idx))
			return idx;
	}
}

/* ---- finding by selector ----------------------------------------------- */

/* The policy with selector sel (normalized) and dir; if mark is non-NULL
 * also with that mark and mask. */
static struct spd_entry *find_sel(struct spd *spd, const struct xfrm_selector *sel,
                                  uint8_t dir, const uint32_t *mark)
{
	struct spd_dirtab *t = &spd->dir[dir];
	int fs = fam_slot(sel->family);
	struct spd_entry *e;

	if (fs < 0) {
		e = t->any;
	} else {
		struct spd_group *g = group_find(&t->fam[fs], sel->prefixlen_d, sel->prefixlen_s);
		struct spd_cell *c;
		uint64_t d[2], s[2];

		if (!g)
			return NULL;
		load_words(sel->daddr.a, d);
		load_words(sel->saddr.a, s);
		c = cell_find(g, d, s, group_hash(g, d, s), NULL);
		if (!c)
			return NULL;
		e = c->head;
	}
	for (; e; e = e->hnext) {
		if (!xfrm_selector_equal(&e->pol.sel, sel))
			continue;
		if (mark && (e->pol.mark != mark[0] || e->pol.mark_mask != mark[1]))
			continue;
		return e;
	}
	return NULL;
}

/* ---- validation -------------------------------------------------------- */

static bool tmpl_valid(const struct xfrm_tmpl *t)
{
	if (t->proto != 0 && t->proto != IPPROTO_ESP_)
		return false;          /* only ESP is implemented (no AH, IPComp) */
	if (t->mode != XFRM_MODE_TRANSPORT && t->mode != XFRM_MODE_TUNNEL)
		return false;
	if (t->saddr.family && t->saddr.family != AF_INET && t->saddr.family != AF_INET6)
		return false;
	if (t->daddr.family && t->daddr.family != AF_INET && t->daddr.family != AF_INET6)
		return false;
	if (t->saddr.family && t->daddr.family && t->saddr.family != t->daddr.family)
		return false;
	return true;
}

static bool policy_valid(const struct spd_policy *pol)
{
	if (pol->dir >= XFRM_POLICY_MAX)
		return false;
	if (pol->action != XFRM_POLICY_ALLOW && pol->action != XFRM_POLICY_BLOCK)
		return false;
	if (pol->ntmpl > SPD_MAX_TMPL)
		return false;
	if (!xfrm_selector_valid(&pol->sel))
		return false;
	for (uint32_t i = 0; i < pol->ntmpl; i++)
		if (!tmpl_valid(&pol->tmpl[i]))
			return false;
	/* Linux: an index given by the user must carry the direction. */
	if (pol->index && (pol->index & 7) != pol->dir)
		return false;
	return true;
}

/* ---- public API -------------------------------------------------------- */

struct spd *spd_new(struct xfrm_events *events)
{
	struct spd *spd = calloc(1, sizeof(*spd));

	if (spd)
		spd->events = events;
	return spd;
}

static void free_tables(struct spd *spd)
{
	for (int d = 0; d < XFRM_POLICY_MAX; d++) {
		for (int f = 0; f < 2; f++) {
			struct spd_grouplist *gl = &spd->dir[d].fam[f];
			for (unsigned i = 0; i < gl->n; i++)
				group_free(gl->v[i]);
			free(gl->v);
			memset(gl, 0, sizeof(*gl));
		}
		spd->dir[d].any = NULL;
	}
}

void spd_free(struct spd *spd)
{
	struct spd_entry *e, *next;

	if (!spd)
		return;
	for (e = spd->head; e; e = next) {
		next = e->next;
		free(e);
	}
	free_tables(spd);
	free(spd->idx);
	free(spd);
}

static void notify(struct spd *spd, enum xfrm_event_kind kind, const struct spd_policy *pol)
{
	spd->gen++;
	if (spd->events && spd->events->policy)
		spd->events->policy(spd->events->ctx, kind, pol);
}

static void unlink_entry(struct spd *spd, struct spd_entry *e)
{
	spd->gen++;
	unplace(spd, e);
	idx_remove(spd, e);
	if (e->prev)
		e->prev->next = e->next;
	else
		spd->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		spd->tail = e->prev;
	spd->count--;
}

static int insert_new(struct spd *spd, const struct spd_policy *pol, struct spd_policy **out)
{
	struct spd_entry *e = calloc(1, sizeof(*e));
	int rc;

	if (!e)
		return -ENOMEM;
	e->pol = *pol;
	xfrm_selector_normalize(&e->pol.sel);
	e->pol.hits = 0;
	e->pol.use_time_wall = 0;
	e->pol.add_time_wall = clock_wall_sec();
	if (!e->pol.index || idx_find(spd, e->pol.index))
		e->pol.index = idx_generate(spd, e->pol.dir);
	e->seq = spd->next_seq++;
	rc = idx_insert(spd, e);
	if (rc < 0)
		goto fail;
	rc = place(spd, e);
	if (rc < 0) {
		idx_remove(spd, e);
		goto fail;
	}
	e->prev = spd->tail;
	if (spd->tail)
		spd->tail->next = e;
	else
		spd->head = e;
	spd->tail = e;
	spd->count++;
	if (out)
		*out = &e->pol;
	notify(spd, XFRM_EV_POLICY_ADD, &e->pol);
	return 0;
fail:
	free(e);
	return rc;
}

int spd_add(struct spd *spd, const struct spd_policy *pol, struct spd_policy **out)
{
	struct xfrm_selector sel;
	uint32_t mark[2] = { pol->mark, pol->mark_mask };

	if (!policy_valid(pol))
		return -EINVAL;
	sel = pol->sel;
	xfrm_selector_normalize(&sel);
	if (find_sel(spd, &sel, pol->dir, mark))
		return -EEXIST;
	return insert_new(spd, pol, out);
}

int spd_update(struct spd *spd, const struct spd_policy *pol, struct spd_policy **out)
{
	struct xfrm_selector sel;
	uint32_t mark[2] = { pol->mark, pol->mark_mask };
	struct spd_entry *e;
	struct spd_policy keep;
	int rc;

	if (!policy_valid(pol))
		return -EINVAL;
	sel = pol->sel;
	xfrm_selector_normalize(&sel);
	e = find_sel(spd, &sel, pol->dir, mark);
	if (!e)
		return insert_new(spd, pol, out);

	/* Replace in place: the policy keeps its index, its place among
	 * equal priorities (seq), its add time and hit count. */
	keep = e->pol;
	unplace(spd, e);
	e->pol = *pol;
	e->pol.sel = sel;
	e->pol.index = keep.index;
	e->pol.add_time_wall = keep.add_time_wall;
	e->pol.use_time_wall = keep.use_time_wall;
	e->pol.hits = keep.hits;
	rc = place(spd, e);
	if (rc < 0) {
		/* Could not allocate a new group: put the old one back, which
		 * needs no allocation only if its group still exists; else
		 * remove the policy altogether rather than leave it unfindable. */
		e->pol = keep;
		if (place(spd, e) < 0) {
			idx_remove(spd, e);
			if (e->prev) e->prev->next = e->next; else spd->head = e->next;
			if (e->next) e->next->prev = e->prev; else spd->tail = e->prev;
			spd->count--;
			notify(spd, XFRM_EV_POLICY_DEL, &e->pol);
			free(e);
		}
		return rc;
	}
	if (out)
		*out = &e->pol;
	notify(spd, XFRM_EV_POLICY_UPDATE, &e->pol);
	return 0;
}

static void delete_entry(struct spd *spd, struct spd_entry *e)
{
	unlink_entry(spd, e);
	notify(spd, XFRM_EV_POLICY_DEL, &e->pol);
	free(e);
}

int spd_del(struct spd *spd, const struct xfrm_selector *sel, uint8_t dir)
{
	struct xfrm_selector s = *sel;
	struct spd_entry *e;

	if (dir >= XFRM_POLICY_MAX || !xfrm_selector_valid(sel))
		return -ENOENT;
	xfrm_selector_normalize(&s);
	e = find_sel(spd, &s, dir, NULL);
	if (!e)
		return -ENOENT;
	delete_entry(spd, e);
	return 0;
}

int spd_del_index(struct spd *spd, uint32_t index)
{
	struct spd_entry *e = idx_find(spd, index);

	if (!e)
		return -ENOENT;
	delete_entry(spd, e);
	return 0;
}

struct spd_policy *spd_get(struct spd *spd, const struct xfrm_selector *sel, uint8_t dir)
{
	struct xfrm_selector s = *sel;
	struct spd_entry *e;

	if (dir >= XFRM_POLICY_MAX || !xfrm_selector_valid(sel))
		return NULL;
	xfrm_selector_normalize(&s);
	e = find_sel(spd, &s, dir, NULL);
	return e ? &e->pol : NULL;
}

struct spd_policy *spd_get_index(struct spd *spd, uint32_t index)
{
	struct spd_entry *e = idx_find(spd, index);

	return e ? &e->pol : NULL;
}

int spd_flush(struct spd *spd, int dir)
{
	struct spd_entry *e, *next;
	int n = 0;

	if (dir < 0 || dir > XFRM_POLICY_MAX)
		return 0;
	if (dir == XFRM_POLICY_MAX) {
		/* Everything: drop the tables wholesale instead of one by one. */
		for (e = spd->head; e; e = next) {
			next = e->next;
			free(e);
			n++;
		}
		free_tables(spd);
		if (spd->idx)   /* allocated with the first policy */
			memset(spd->idx, 0, spd->idx_nbuckets * sizeof(*spd->idx));
		spd->head = spd->tail = NULL;
		spd->count = 0;
	} else {
		for (e = spd->head; e; e = next) {
			next = e->next;
			if (e->pol.dir != dir)
				continue;
			unlink_entry(spd, e);
			free(e);
			n++;
		}
	}
	notify(spd, XFRM_EV_POLICY_FLUSH, NULL);
	return n;
}

static inline struct spd_policy *find_best(struct spd *spd, uint8_t dir,
                                           const struct xfrm_flow *fl)
{
	const struct spd_dirtab *t;
	struct spd_entry *best = NULL, *e;
	int fs;

	if (dir >= XFRM_POLICY_MAX)
		return NULL;
	t = &spd->dir[dir];
	fs = fam_slot(fl->daddr.family);
	if (fs >= 0 && fl->saddr.family == fl->daddr.family) {
		const struct spd_grouplist *gl = &t->fam[fs];
		uint64_t d[2], s[2];

		load_words(fl->daddr.a, d);
		load_words(fl->saddr.a, s);
		for (unsigned i = 0; i < gl->n; i++) {
			const struct spd_group *g = gl->v[i];
			const struct spd_cell *c;

			/* Groups come in bound order: once one cannot beat
			 * best, none of the rest can. */
			if (best && !order_before(g->bound_prio, g->bound_seq,
			                          best->pol.priority, best->seq))
				break;
			c = cell_find(g, d, s, group_hash(g, d, s), NULL);
			if (!c)
				continue;
			/* The addresses match (they are the cell's key): only
			 * protocol and ports are left to check. */
			for (e = c->head; e; e = e->hnext) {
				const struct xfrm_selector *sel = &e->pol.sel;

				if (best && !entry_before(e, best))
					break;
				if ((!sel->proto || sel->proto == fl->proto) &&
				    !((fl->dport ^ sel->dport) & sel->dport_mask) &&
				    !((fl->sport ^ sel->sport) & sel->sport_mask)) {
					best = e;
					break;
				}
			}
		}
	}
	for (e = t->any; e; e = e->hnext) {
		if (best && !entry_before(e, best))
			break;
		if (xfrm_selector_match(&e->pol.sel, fl)) {
			best = e;
			break;
		}
	}
	return best ? &best->pol : NULL;
}

struct spd_policy *spd_lookup(struct spd *spd, uint8_t dir, const struct xfrm_flow *fl)
{
	struct spd_policy *pol = find_best(spd, dir, fl);

	if (pol)
		spd_policy_hit(pol);
	return pol;
}

struct spd_policy *spd_find(struct spd *spd, uint8_t dir, const struct xfrm_flow *fl)
{
	return find_best(spd, dir, fl);
}

uint64_t spd_generation(const struct spd *spd)
{
	return spd->gen;
}

void spd_policy_hit(struct spd_policy *pol)
{
	/* Workers may look up concurrently: relaxed atomics make the race
	 * defined; an increment may be lost, which a hit counter can bear
	 * better than a locked instruction per packet. */
	__atomic_store_n(&pol->hits, __atomic_load_n(&pol->hits, __ATOMIC_RELAXED) + 1,
	                 __ATOMIC_RELAXED);
}

static int cmp_entries(const void *a, const void *b)
{
	const struct spd_entry *x = *(const struct spd_entry *const *)a;
	const struct spd_entry *y = *(const struct spd_entry *const *)b;

	return entry_before(x, y) ? -1 : entry_before(y, x) ? 1 : 0;
}

int spd_walk(struct spd *spd, int (*fn)(struct spd_policy *pol, void *arg), void *arg)
{
	struct spd_entry **v, *e;
	unsigned n = 0;
	int rc = 0;

	if (!spd->count)
		return 0;
	v = malloc(spd->count * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (e = spd->head; e; e = e->next)
		v[n++] = e;
	qsort(v, n, sizeof(*v), cmp_entries);
	for (unsigned i = 0; i < n; i++) {
		rc = fn(&v[i]->pol, arg);
		if (rc)
			break;
	}
	free(v);
	return rc;
}

unsigned spd_count(const struct spd *spd)
{
	return spd->count;
}
