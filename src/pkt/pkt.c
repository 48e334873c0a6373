/* Packet buffer allocation and fixed pools. Pools belong to one worker. */
#include "pkt/pkt.h"

#include <stdlib.h>
#include <string.h>

struct pkt *pkt_alloc(uint32_t cap)
{
	struct pkt *p;

	if (cap < PKT_HEADROOM + PKT_TAILROOM)
		cap = PKT_HEADROOM + PKT_TAILROOM;
	p = malloc(sizeof(*p) + cap);
	if (!p)
		return NULL;
	memset(p, 0, sizeof(*p));
	pkt_init(p, (uint8_t *)(p + 1), cap, PKT_HEADROOM);
	return p;
}

void pkt_free(struct pkt *p)
{
	free(p);
}

void pkt_init(struct pkt *p, uint8_t *buf, uint32_t cap, uint32_t headroom)
{
	p->buf = buf;
	p->cap = cap;
	p->off = headroom <= cap ? headroom : cap;
	p->len = 0;
	memset(&p->meta, 0, sizeof(p->meta));
}

bool pkt_set(struct pkt *p, const void *data, uint32_t len)
{
	uint8_t *dst;

	p->len = 0;
	dst = pkt_put(p, len);
	if (!dst)
		return false;
	memcpy(dst, data, len);
	return true;
}

struct pkt_pool {
	uint32_t count;
	uint32_t free_n;
	struct pkt **free_list;
	uint8_t *mem;
	struct pkt *hdrs;
};

struct pkt_pool *pkt_pool_new(uint32_t count, uint32_t cap)
{
	struct pkt_pool *pool = calloc(1, sizeof(*pool));

	if (!pool)
		return NULL;
	pool->count = count;
	pool->free_list = calloc(count, sizeof(*pool->free_list));
	pool->hdrs = calloc(count, sizeof(*pool->hdrs));
	pool->mem = malloc((size_t)count * cap);
	if (!pool->free_list || !pool->hdrs || !pool->mem) {
		pkt_pool_free(pool);
		return NULL;
	}
	for (uint32_t i = 0; i < count; i++) {
		pkt_init(&pool->hdrs[i], pool->mem + (size_t)i * cap, cap, PKT_HEADROOM);
		pool->free_list[i] = &pool->hdrs[i];
	}
	pool->free_n = count;
	return pool;
}

void pkt_pool_free(struct pkt_pool *pool)
{
	if (!pool)
		return;
	free(pool->free_list);
	free(pool->hdrs);
	free(pool->mem);
	free(pool);
}

struct pkt *pkt_pool_get(struct pkt_pool *pool)
{
	struct pkt *p;

	if (!pool->free_n)
		return NULL;
	p = pool->free_list[--pool->free_n];
	pkt_reset(p);
	memset(&p->meta, 0, sizeof(p->meta));
	return p;
}

void pkt_pool_put(struct pkt_pool *pool, struct pkt *p)
{
	if (p)
		pool->free_list[pool->free_n++] = p;
}
