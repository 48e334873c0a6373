/* Virtual IP pools (see ike_pool.h): the addresses of a pool are its base
 * plus an offset 0..size-1. Offsets below `unused` have been handed out
 * at least once and each has a lease record (online or offline); the
 * ones at and above it were never handed out. Lease records sit in one
 * array, searched linearly: a pool serves as many leases as it has
 * clients, and a lookup happens once per IKE_AUTH. Control loop only. */
#include "ike/ike_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

struct lease {
	uint32_t off;
	bool online;
	/* online: the IKE SAs' unique ids; more than one only while the same
	 * identity asked for the address again by name (make-before-break
	 * reauthentication: the old IKE SA still holds it) */
	uint32_t owner[IKE_POOL_SHARE_MAX];
	unsigned nowners;
	uint64_t seq;                /* when it last went offline (reuse the oldest) */
	struct ike_id id;
};

struct ike_pool {
	struct ike_pool_cfg cfg;
	struct ip_addr base;         /* the first address handed out */
	uint32_t size, unused, online;
	uint64_t seq;
	struct lease *leases;
	size_t nleases, cap;
};

/* base + off, in place, over the family's bytes (big-endian). */
static void addr_add(struct ip_addr *a, uint64_t off)
{
	size_t n = ip_addr_len(a);

	for (size_t i = n; i-- > 0 && off;) {
		uint64_t v = a->a[i] + (off & 0xff);
		a->a[i] = (uint8_t)v;
		off = (off >> 8) + (v >> 8);
	}
}

/* b - a if it fits in 64 bits and b >= a, else UINT64_MAX. */
static uint64_t addr_diff(const struct ip_addr *a, const struct ip_addr *b)
{
	size_t n = ip_addr_len(a);
	uint64_t d = 0;
	int borrow = 0;
	uint8_t r[16];

	for (size_t i = n; i-- > 0;) {
		int v = (int)b->a[i] - (int)a->a[i] - borrow;
		borrow = v < 0;
		r[i] = (uint8_t)(v + (borrow ? 256 : 0));
	}
	if (borrow)
		return UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		if (i + 8 < n && r[i])
			return UINT64_MAX;
		if (i + 8 >= n)
			d = (d << 8) | r[i];
	}
	return d;
}

struct ike_pool *ike_pool_new(const struct ike_pool_cfg *cfg, char *err, size_t errlen)
{
	struct ike_pool *p;
	struct ip_addr first = cfg->from, last = cfg->to;
	uint64_t n;

	if (!cfg->from.family || cfg->from.family != cfg->to.family) {
		snprintf(err, errlen, "pool %s: addresses of one family expected", cfg->name);
		return NULL;
	}
	n = addr_diff(&first, &last);
	if (n == UINT64_MAX && memcmp(first.a, last.a, 16) > 0) {
		snprintf(err, errlen, "pool %s: the range is empty (first address above the last)",
		         cfg->name);
		return NULL;
	}
	/* a prefix written as its network: skip network and broadcast
	 * (mem_pool_create), if more than two addresses */
	if (cfg->prefix && n != UINT64_MAX && n >= 2) {
		struct ip_addr net;
		uint8_t len;
		char buf[IP_ADDR_STRLEN + 4];

		snprintf(buf, sizeof(buf), "%s/%u", ip_addr_fmt(&first, (char[IP_ADDR_STRLEN]){ 0 }),
		         cfg->prefixlen);
		if (!ip_prefix_parse(buf, &net, &len) && ip_addr_equal(&net, &first)) {
			addr_add(&first, 1);
			n--;
		}
		n--;   /* the broadcast: the last address */
	}
	if (n == UINT64_MAX || n >= IKE_POOL_SIZE_MAX) {
		log_sub(LOG_SUB_CFG, LOG_WARN, "pool %s: more than %u addresses, using the first %u",
		        cfg->name, IKE_POOL_SIZE_MAX, IKE_POOL_SIZE_MAX);
		n = IKE_POOL_SIZE_MAX - 1;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "pool %s: out of memory", cfg->name);
		return NULL;
	}
	p->cfg = *cfg;
	p->base = first;
	p->size = (uint32_t)n + 1;
	return p;
}

void ike_pool_free(struct ike_pool *p)
{
	if (!p)
		return;
	free(p->leases);
	free(p);
}

const struct ike_pool_cfg *ike_pool_cfg(const struct ike_pool *p)
{
	return &p->cfg;
}

int ike_pool_family(const struct ike_pool *p)
{
	return p->base.family;
}

static struct ip_addr addr_of(const struct ike_pool *p, uint32_t off)
{
	struct ip_addr a = p->base;

	addr_add(&a, off);
	return a;
}

/* The offset of a in the pool, or -1. */
static int64_t off_of(const struct ike_pool *p, const struct ip_addr *a)
{
	uint64_t d;

	if (!a || a->family != p->base.family)
		return -1;
	d = addr_diff(&p->base, a);
	return d < p->size ? (int64_t)d : -1;
}

static struct lease *lease_at(struct ike_pool *p, uint32_t off)
{
	for (size_t i = 0; i < p->nleases; i++)
		if (p->leases[i].off == off)
			return &p->leases[i];
	return NULL;
}

static struct lease *lease_add(struct ike_pool *p, uint32_t off)
{
	if (p->nleases == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct lease *l = realloc(p->leases, cap * sizeof(*l));
		if (!l)
			return NULL;
		p->leases = l;
		p->cap = cap;
	}
	memset(&p->leases[p->nleases], 0, sizeof(p->leases[0]));
	p->leases[p->nleases].off = off;
	return &p->leases[p->nleases++];
}

static void take(struct ike_pool *p, struct lease *l, const struct ike_id *id, uint32_t owner)
{
	if (!l->online)
		p->online++;
	l->online = true;
	l->owner[l->nowners++] = owner;
	l->id = *id;
}

/* The index of owner among l's, or -1. */
static int owner_idx(const struct lease *l, uint32_t owner)
{
	for (unsigned i = 0; i < l->nowners; i++)
		if (l->owner[i] == owner)
			return (int)i;
	return -1;
}

int ike_pool_acquire(struct ike_pool *p, int family, const struct ike_id *id,
                     const struct ip_addr *requested, uint32_t owner, struct ip_addr *out)
{
	struct lease *l, *oldest = NULL;
	int64_t want;

	if (family != p->base.family)
		return -EAFNOSUPPORT;
	/* the identity's own lease, the requested one first: offline, or
	 * online and asked for by name (a reauthentication) */
	want = off_of(p, requested);
	if (want >= 0 && (l = lease_at(p, (uint32_t)want)) && ike_id_equal(&l->id, id) &&
	    l->nowners < IKE_POOL_SHARE_MAX && owner_idx(l, owner) < 0)
		goto found;
	for (size_t i = 0; i < p->nleases; i++) {
		l = &p->leases[i];
		if (!l->online && ike_id_equal(&l->id, id))
			goto found;
	}
	/* an address never handed out */
	if (p->unused < p->size) {
		if (!(l = lease_add(p, p->unused)))
			return -ENOMEM;
		p->unused++;
		goto found;
	}
	/* the oldest offline lease of someone else */
	for (size_t i = 0; i < p->nleases; i++)
		if (!p->leases[i].online && (!oldest || p->leases[i].seq < oldest->seq))
			oldest = &p->leases[i];
	if (!oldest)
		return -ENOSPC;
	l = oldest;
found:
	take(p, l, id, owner);
	*out = addr_of(p, l->off);
	return 0;
}

int ike_pool_release(struct ike_pool *p, const struct ip_addr *a, uint32_t owner)
{
	int64_t off = off_of(p, a);
	struct lease *l = off >= 0 ? lease_at(p, (uint32_t)off) : NULL;
	int k;

	if (!l || !l->online || (k = owner_idx(l, owner)) < 0)
		return -ENOENT;
	l->owner[k] = l->owner[--l->nowners];
	if (l->nowners)
		return 0;   /* its other IKE SA keeps it online */
	l->online = false;
	l->seq = ++p->seq;
	p->online--;
	return 0;
}

int ike_pool_reown(struct ike_pool *p, const struct ip_addr *a, uint32_t owner,
                   uint32_t new_owner)
{
	int64_t off = off_of(p, a);
	struct lease *l = off >= 0 ? lease_at(p, (uint32_t)off) : NULL;
	int k;

	if (!l || !l->online || (k = owner_idx(l, owner)) < 0)
		return -ENOENT;
	l->owner[k] = new_owner;
	return 0;
}

uint32_t ike_pool_size(const struct ike_pool *p)
{
	return p->size;
}

uint32_t ike_pool_online(const struct ike_pool *p)
{
	return p->online;
}

uint32_t ike_pool_offline(const struct ike_pool *p)
{
	return (uint32_t)p->nleases - p->online;
}

void ike_pool_list(const struct ike_pool *p, FILE *out)
{
	char a[IP_ADDR_STRLEN], b[IP_ADDR_STRLEN], range[2 * IP_ADDR_STRLEN + 8];
	char id[IKE_ID_MAX * 2 + 8];

	if (p->cfg.prefix)
		snprintf(range, sizeof(range), "%s/%u", ip_addr_fmt(&p->cfg.from, a), p->cfg.prefixlen);
	else
		snprintf(range, sizeof(range), "%s-%s", ip_addr_fmt(&p->cfg.from, a),
		         ip_addr_fmt(&p->cfg.to, b));
	fprintf(out, "%-16s %-24s %u / %u / %u\n", p->cfg.name, range, p->online,
	        ike_pool_offline(p), p->size);
	for (size_t i = 0; i < p->nleases; i++) {
		const struct lease *l = &p->leases[i];
		struct ip_addr x = addr_of(p, l->off);
		fprintf(out, "  %-22s %-8s '%s'\n", ip_addr_fmt(&x, a), l->online ? "online" : "offline",
		        ike_id_fmt(&l->id, id, sizeof(id)));
	}
}

struct ip_addr ike_pool_base(const struct ike_pool *p)
{
	return p->base;
}

void ike_pool_leases(const struct ike_pool *p,
                     void (*fn)(void *arg, const struct ip_addr *a, bool online, const char *id),
                     void *arg)
{
	char id[IKE_ID_MAX * 2 + 8];

	for (size_t i = 0; i < p->nleases; i++) {
		struct ip_addr x = addr_of(p, p->leases[i].off);
		fn(arg, &x, p->leases[i].online, ike_id_fmt(&p->leases[i].id, id, sizeof(id)));
	}
}
