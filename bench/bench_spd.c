/* SPD lookup rate with 10, 1,000 and 100,000 IPv4 policies (random /24-ish
 * and /32 destination selectors, a mix of source prefixes, priorities with
 * ties), beside a naive linear scan for the two smaller sizes. Flows are
 * half aimed at installed selectors, half random. Each measurement runs
 * about 0.3 s of CPU time. Output: one line per case, lookups per second
 * of CPU time (this thread's, so that other load on a shared machine
 * counts less). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <time.h>
#include "xfrm/spd.h"

#define NFLOWS 65536
#define RUN_NS 300000000ull

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs >> 16);
}

static void v4(struct ip_addr *a, uint32_t x)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->a[0] = (uint8_t)(x >> 24);
	a->a[1] = (uint8_t)(x >> 16);
	a->a[2] = (uint8_t)(x >> 8);
	a->a[3] = (uint8_t)x;
}

static void make_policy(struct spd_policy *p)
{
	static const uint8_t dlen[] = { 24, 24, 24, 22, 23, 32, 32, 32 };
	static const uint8_t slen[] = { 0, 16, 24, 24, 32 };
	uint32_t d = 0x0a000000u | (rnd() & 0x00ffffffu);
	uint32_t s = 0xac100000u | (rnd() & 0x000fffffu);

	memset(p, 0, sizeof(*p));
	p->dir = XFRM_POLICY_OUT;
	p->priority = 1000 + rnd() % 64;
	p->sel.family = AF_INET;
	v4(&p->sel.daddr, d);
	v4(&p->sel.saddr, s);
	p->sel.prefixlen_d = dlen[rnd() % 8];
	p->sel.prefixlen_s = slen[rnd() % 5];
	if (rnd() % 8 == 0) {
		p->sel.proto = 6;
		p->sel.dport = 443;
		p->sel.dport_mask = 0xffff;
	}
	p->action = XFRM_POLICY_ALLOW;
	xfrm_selector_normalize(&p->sel);
}

/* The reference: first best by (priority, order added). */
static const struct spd_policy *naive(const struct spd_policy *v, unsigned n,
                                      const struct xfrm_flow *fl)
{
	const struct spd_policy *best = NULL;

	for (unsigned i = 0; i < n; i++)
		if (xfrm_selector_match(&v[i].sel, fl) &&
		    (!best || v[i].priority < best->priority))
			best = &v[i];
	return best;
}

static volatile uintptr_t sink;

/* CPU time of this thread: the machine is shared, and wall time would
 * count other processes' time slices against us. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double run_spd(struct spd *spd, const struct xfrm_flow *fl)
{
	uint64_t t0 = cpu_ns(), t, n = 0;

	do {
		for (unsigned i = 0; i < NFLOWS; i++)
			sink += (uintptr_t)spd_lookup(spd, XFRM_POLICY_OUT, &fl[i]);
		n += NFLOWS;
		t = cpu_ns() - t0;
	} while (t < RUN_NS);
	return (double)n * 1e9 / (double)t;
}

static double run_naive(const struct spd_policy *v, unsigned np, const struct xfrm_flow *fl)
{
	uint64_t t0 = cpu_ns(), t, n = 0;

	do {
		for (unsigned i = 0; i < NFLOWS; i++) {
			sink += (uintptr_t)naive(v, np, &fl[i]);
			n++;
			if ((i & 255) == 255 && cpu_ns() - t0 > RUN_NS)
				break;
		}
		t = cpu_ns() - t0;
	} while (t < RUN_NS);
	return (double)n * 1e9 / (double)t;
}

int main(void)
{
	static const unsigned sizes[] = { 10, 1000, 100000 };
	struct xfrm_flow *fl = calloc(NFLOWS, sizeof(*fl));

	if (!fl)
		return 1;
	printf("%-10s %8s %14s %14s %8s\n", "policies", "matched", "spd lookups/s",
	       "linear/s", "speedup");
	for (unsigned k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		unsigned n = sizes[k], added = 0, matched = 0;
		struct spd *spd = spd_new(NULL);
		struct spd_policy *v = calloc(n, sizeof(*v));

		if (!spd || !v)
			return 1;
		while (added < n) {
			make_policy(&v[added]);
			if (spd_add(spd, &v[added], NULL) == 0)
				added++;
		}
		for (unsigned i = 0; i < NFLOWS; i++) {
			const struct spd_policy *p = &v[rnd() % n];
			uint32_t d = 0x0a000000u | (rnd() & 0x00ffffffu);
			uint32_t s = 0xac100000u | (rnd() & 0x000fffffu);

			v4(&fl[i].daddr, d);
			v4(&fl[i].saddr, s);
			if (i % 2) {
				/* aimed: inside p's selector */
				fl[i].daddr = p->sel.daddr;
				fl[i].saddr = p->sel.saddr;
				if (p->sel.prefixlen_d < 32)
					fl[i].daddr.a[3] |= (uint8_t)(rnd() & 0x3);
				if (p->sel.prefixlen_s <= 24)
					fl[i].saddr.a[3] |= (uint8_t)rnd();
			}
			fl[i].proto = rnd() % 2 ? 6 : 17;
			fl[i].sport = (uint16_t)(1024 + rnd() % 60000);
			fl[i].dport = rnd() % 4 ? 443 : 53;
		}
		/* both must agree before either is timed */
		for (unsigned i = 0; i < (n > 1000 ? 500u : NFLOWS); i++) {
			const struct spd_policy *a = spd_lookup(spd, XFRM_POLICY_OUT, &fl[i]);
			const struct spd_policy *b = naive(v, n, &fl[i]);
			if (!a != !b || (a && !xfrm_selector_equal(&a->sel, &b->sel))) {
				fprintf(stderr, "bench_spd: spd_lookup and the linear scan disagree\n");
				return 1;
			}
			matched += a != NULL;
		}
		double r = run_spd(spd, fl);
		if (n <= 1000) {
			double l = run_naive(v, n, fl);
			printf("%-10u %7.0f%% %14.0f %14.0f %7.1fx\n", n,
			       100.0 * matched / NFLOWS, r, l, r / l);
		} else {
			printf("%-10u %7.0f%% %14.0f %14s %8s\n", n, 100.0 * matched / 500, r,
			       "-", "-");
		}
		spd_free(spd);
		free(v);
	}
	free(fl);
	return 0;
}
