/* Packet buffers with headroom and tailroom, so that ESP encapsulation
 * (outer IP, UDP, ESP header, IV in front; padding and ICV behind) and
 * decapsulation happen in place.
 *
 *   buf                data            data+len              buf+cap
 *    |<-- headroom -->|<---- packet ---->|<---- tailroom ---->|
 *
 * Ownership: one owner at a time. The I/O layer allocates (usually from a
 * pool) and frees; transforms borrow a buffer and return a verdict. */
#ifndef UIPSEC_PKT_PKT_H
#define UIPSEC_PKT_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room reserved in front: outer IPv6 (40) + UDP (8) + ESP (8) + IV (16),
 * rounded up, plus space for a virtio-net header. */
#define PKT_HEADROOM 128
/* Room behind: ESP padding (up to 255) + trailer (2) + ICV (up to 32). */
#define PKT_TAILROOM 320
/* Largest packet we carry (a GSO super-packet is segmented before ESP). */
#define PKT_MAX_DATA 65535
#define PKT_DEFAULT_CAP (PKT_HEADROOM + 2048 + PKT_TAILROOM)

/* Where a packet came from / goes to; filled by io and dp, read by trace. */
struct pkt_meta {
	uint32_t ifindex;     /* receiving or sending interface, 0 if none */
	uint16_t sport;       /* outer UDP ports when UDP-encapsulated, host order */
	uint16_t dport;
	uint8_t  udp_encap;   /* 1 if the ESP packet arrived/leaves in UDP */
	uint8_t  family;      /* AF_INET/AF_INET6 of the outer header, if known */
	uint8_t  saddr[16];   /* outer addresses (v4 in the first 4 bytes) */
	uint8_t  daddr[16];
};

struct pkt {
	uint8_t *buf;         /* start of the buffer */
	uint32_t cap;         /* size of buf */
	uint32_t off;         /* offset of the first packet byte in buf */
	uint32_t len;         /* packet length */
	struct pkt_meta meta;
};

/* Allocate a packet with capacity cap (>= PKT_HEADROOM + PKT_TAILROOM) and
 * PKT_HEADROOM bytes of headroom. NULL on allocation failure. */
struct pkt *pkt_alloc(uint32_t cap);
void pkt_free(struct pkt *p);

/* Make p an empty packet over a caller-owned buffer (no allocation). */
void pkt_init(struct pkt *p, uint8_t *buf, uint32_t cap, uint32_t headroom);

/* Reset to empty with the default headroom. */
static inline void pkt_reset(struct pkt *p)
{
	p->off = PKT_HEADROOM < p->cap ? PKT_HEADROOM : 0;
	p->len = 0;
}

static inline uint8_t *pkt_data(const struct pkt *p) { return p->buf + p->off; }
static inline uint32_t pkt_headroom(const struct pkt *p) { return p->off; }
static inline uint32_t pkt_tailroom(const struct pkt *p) { return p->cap - p->off - p->len; }

/* Prepend n bytes; returns the new start or NULL if headroom is short. */
static inline uint8_t *pkt_push(struct pkt *p, uint32_t n)
{
	if (n > p->off)
		return NULL;
	p->off -= n;
	p->len += n;
	return pkt_data(p);
}

/* Remove n bytes from the front; returns the new start or NULL if short. */
static inline uint8_t *pkt_pull(struct pkt *p, uint32_t n)
{
	if (n > p->len)
		return NULL;
	p->off += n;
	p->len -= n;
	return pkt_data(p);
}

/* Append n bytes; returns a pointer to them or NULL if tailroom is short. */
static inline uint8_t *pkt_put(struct pkt *p, uint32_t n)
{
	uint8_t *tail;

	if (n > pkt_tailroom(p))
		return NULL;
	tail = pkt_data(p) + p->len;
	p->len += n;
	return tail;
}

/* Remove n bytes from the end; false if the packet is shorter. */
static inline bool pkt_trim(struct pkt *p, uint32_t n)
{
	if (n > p->len)
		return false;
	p->len -= n;
	return true;
}

/* Copy len bytes into an empty packet (after the headroom); false if too big. */
bool pkt_set(struct pkt *p, const void *data, uint32_t len);

/* A batch of packets handed between stages; the batch does not own them. */
#define PKT_BATCH_MAX 64
struct pkt_batch {
	uint32_t n;
	struct pkt *p[PKT_BATCH_MAX];
};

/* A fixed pool of equal-size packet buffers, allocated once. Not thread
 * safe: one pool per worker. */
struct pkt_pool;
struct pkt_pool *pkt_pool_new(uint32_t count, uint32_t cap);
void pkt_pool_free(struct pkt_pool *pool);
/* NULL when the pool is empty (the caller counts a drop). */
struct pkt *pkt_pool_get(struct pkt_pool *pool);
void pkt_pool_put(struct pkt_pool *pool, struct pkt *p);

#endif
