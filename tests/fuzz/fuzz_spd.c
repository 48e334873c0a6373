/* libFuzzer target: the SPD against a naive linear reference. The input is
 * a program of operations (add, update, delete by selector or index,
 * lookup) on policies drawn from a small address universe, so that
 * prefixes overlap and priorities tie; every lookup must agree with the
 * reference (smallest priority, then first added), and so must spd_get
 * and the count. A disagreement traps. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "xfrm/spd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXREF 512

struct ref {
	struct spd_policy pol;      /* normalized */
	uint64_t seq;
	uint32_t index;
	int live;
};

struct cur {
	const uint8_t *p;
	size_t n;
};

static uint8_t next(struct cur *c)
{
	if (!c->n)
		return 0;
	c->n--;
	return *c->p++;
}

static void addr(struct cur *c, struct ip_addr *a, uint8_t family)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == AF_INET) {
		a->a[0] = 10;
		a->a[2] = next(c) & 0xc3;
		a->a[3] = next(c) & 0xe3;
	} else {
		a->a[0] = 0x20;
		a->a[1] = 0x01;
		a->a[7] = next(c) & 0x3;
		a->a[15] = next(c) & 0xe3;
	}
}

static void policy(struct cur *c, struct spd_policy *p)
{
	uint8_t f = next(c), bits;

	memset(p, 0, sizeof(*p));
	p->dir = next(c) % 3;
	p->priority = next(c) % 6;
	p->action = next(c) & 1;
	p->sel.family = f % 8 == 0 ? 0 : f % 2 ? AF_INET : AF_INET6;
	if (p->sel.family) {
		bits = p->sel.family == AF_INET ? 32 : 128;
		addr(c, &p->sel.daddr, p->sel.family);
		addr(c, &p->sel.saddr, p->sel.family);
		p->sel.prefixlen_d = next(c) % (bits + 1);
		p->sel.prefixlen_s = next(c) % (bits + 1);
	}
	if (f & 0x10) {
		p->sel.proto = next(c) % 3 == 0 ? 0 : 6;
		p->sel.dport = next(c) % 4;
		p->sel.dport_mask = next(c) & 1 ? 0xffff : 0;
		p->sel.sport = next(c) % 4;
		p->sel.sport_mask = next(c) & 1 ? 0xffff : 0x0002;
	}
	xfrm_selector_normalize(&p->sel);
}

static void flow(struct cur *c, struct xfrm_flow *fl)
{
	uint8_t family = next(c) & 1 ? AF_INET : AF_INET6;

	memset(fl, 0, sizeof(*fl));
	addr(c, &fl->daddr, family);
	addr(c, &fl->saddr, family);
	fl->proto = next(c) & 1 ? 6 : 17;
	fl->sport = next(c) % 4;
	fl->dport = next(c) % 4;
}

static int find(const struct ref *r, unsigned n, const struct spd_policy *p)
{
	for (unsigned i = 0; i < n; i++)
		if (r[i].live && r[i].pol.dir == p->dir && xfrm_selector_equal(&r[i].pol.sel, &p->sel))
			return (int)i;
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ref ref[MAXREF];
	struct cur c = { data, size };
	struct spd *spd = spd_new(NULL);
	unsigned n = 0, live = 0;
	uint64_t seq = 0;

	if (!spd)
		return 0;
	while (c.n) {
		struct spd_policy p, *out = NULL;
		uint8_t op = next(&c) % 6;
		int i, rc;

		if (op <= 1) {                          /* add / update */
			policy(&c, &p);
			i = find(ref, n, &p);
			if (op == 0) {
				rc = spd_add(spd, &p, &out);
				if (i >= 0) {
					if (rc != -EEXIST)
						__builtin_trap();
					continue;
				}
			} else {
				rc = spd_update(spd, &p, &out);
			}
			if (rc)
				__builtin_trap();
			if (i >= 0) {
				if (out->index != ref[i].index)
					__builtin_trap();
				ref[i].pol.priority = p.priority;
				ref[i].pol.action = p.action;
			} else if (n < MAXREF) {
				ref[n].pol = p;
				ref[n].seq = seq++;
				ref[n].index = out->index;
				ref[n].live = 1;
				n++;
				live++;
			} else if (spd_del_index(spd, out->index)) {
				__builtin_trap();
			}
		} else if (op == 2 && n) {              /* delete */
			i = next(&c) % n;
			if (!ref[i].live)
				continue;
			rc = next(&c) & 1 ? spd_del(spd, &ref[i].pol.sel, ref[i].pol.dir)
			                  : spd_del_index(spd, ref[i].index);
			if (rc)
				__builtin_trap();
			ref[i].live = 0;
			live--;
		} else {                                /* lookup */
			struct xfrm_flow fl;
			const struct ref *best = NULL;
			const struct spd_policy *got;
			uint8_t dir = next(&c) % 3;

			flow(&c, &fl);
			for (unsigned k = 0; k < n; k++) {
				const struct ref *r = &ref[k];
				if (!r->live || r->pol.dir != dir || !xfrm_selector_match(&r->pol.sel, &fl))
					continue;
				if (!best || r->pol.priority < best->pol.priority ||
				    (r->pol.priority == best->pol.priority && r->seq < best->seq))
					best = r;
			}
			got = spd_lookup(spd, dir, &fl);
			if (!best != !got || (best && best->index != got->index))
				__builtin_trap();
			if (best && spd_get(spd, &best->pol.sel, dir) == NULL)
				__builtin_trap();
		}
		if (spd_count(spd) != live)
			__builtin_trap();
	}
	spd_free(spd);
	return 0;
}
