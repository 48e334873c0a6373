/* Virtual IP address pools (swanctl.conf pools { NAME { addrs = ... } }),
 * as charon's mem_pool does them: a pool hands out addresses of one
 * family from a prefix or an inclusive range, each at most once at a
 * time (an "online" lease, owned by one IKE SA), and keeps a released
 * address for the identity that had it ("offline") so that a client that
 * reconnects gets the same address back. When every address has been
 * handed out, the oldest offline lease of another identity is reused;
 * when all are online the pool is exhausted (-ENOSPC: the caller answers
 * INTERNAL_ADDRESS_FAILURE).
 *
 * A prefix pool of more than two addresses skips its network address (if
 * the prefix is written as the network) and its broadcast address, as
 * charon does: 10.3.0.0/24 hands out 10.3.0.1 to 10.3.0.254. A pool holds
 * at most IKE_POOL_SIZE_MAX addresses (a larger prefix is cut to that).
 *
 * The attributes the pool carries (DNS and NBNS servers, subnets for
 * INTERNAL_IP4/6_SUBNET) go into the CFG_REPLY with each address.
 *
 * Ownership: the caller owns the pool (ike_ctx keeps the loaded ones);
 * leases are plain records. Control loop only. Internal to src/ike/,
 * plus the configuration seam in ike.h. */
#ifndef UIPSEC_IKE_IKE_POOL_H
#define UIPSEC_IKE_IKE_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ike/ike_pld.h"
#include "net/addr.h"

#define IKE_POOL_SIZE_MAX (1u << 24)   /* addresses in one pool */
#define IKE_POOL_ATTR_MAX 8            /* DNS, NBNS servers and subnets, each */
#define IKE_POOL_SHARE_MAX 4           /* IKE SAs of one identity holding one lease */

struct ike_prefix {
	struct ip_addr addr;
	uint8_t len;
};

struct ike_pool_cfg {
	char name[64];
	uint8_t source;                    /* enum ike_pool_source (ike.h) */
	struct ip_addr from, to;           /* the addresses as written: a prefix's network
	                                    * (or base) and last address, or a range */
	bool prefix;                       /* written as a prefix (from/prefixlen) */
	uint8_t prefixlen;
	struct ip_addr dns[IKE_POOL_ATTR_MAX];
	unsigned ndns;
	struct ip_addr nbns[IKE_POOL_ATTR_MAX];
	unsigned nnbns;
	struct ike_prefix subnets[IKE_POOL_ATTR_MAX];   /* split_include / subnet */
	unsigned nsubnets;
};

struct ike_pool;

/* A new pool from cfg (copied). NULL with a reason in err if the range
 * is empty or mixes families, or out of memory. */
struct ike_pool *ike_pool_new(const struct ike_pool_cfg *cfg, char *err, size_t errlen);
void ike_pool_free(struct ike_pool *p);
const struct ike_pool_cfg *ike_pool_cfg(const struct ike_pool *p);
int ike_pool_family(const struct ike_pool *p);

/* A lease for identity id, owned by the IKE SA with unique id owner:
 * requested, if it is the identity's own lease, offline or online (an
 * online one is then shared with the identity's other IKE SA, at most
 * IKE_POOL_SHARE_MAX: make-before-break reauthentication, as charon
 * reassigns an online lease its owner asks for); else the identity's
 * offline lease if it has one; else the next address never handed out;
 * else the oldest offline lease of another identity. A requested address
 * that is not the identity's own lease is not given (a client asking for
 * an address outside the pool, or someone else's, gets another), so no
 * address is ever online for two identities. 0 with the address in
 * *out, -ENOSPC if every address is online, -EAFNOSUPPORT if the pool is
 * of another family than family (AF_INET, AF_INET6). */
int ike_pool_acquire(struct ike_pool *p, int family, const struct ike_id *id,
                     const struct ip_addr *requested, uint32_t owner, struct ip_addr *out);
/* Release the online lease of a held by owner: a goes offline, kept for
 * its identity, once no other IKE SA holds it. 0, or -ENOENT if a is not
 * online for owner. */
int ike_pool_release(struct ike_pool *p, const struct ip_addr *a, uint32_t owner);

/* The online lease of a passes from IKE SA owner to new_owner (an IKE
 * SA rekeyed: its successor keeps the address). 0 or -ENOENT. */
int ike_pool_reown(struct ike_pool *p, const struct ip_addr *a, uint32_t owner,
                   uint32_t new_owner);

/* Addresses in the pool, online and offline leases. */
uint32_t ike_pool_size(const struct ike_pool *p);
uint32_t ike_pool_online(const struct ike_pool *p);
uint32_t ike_pool_offline(const struct ike_pool *p);

/* The pool and its leases, for `uipsec list-pools`:
 *   rw-pool          10.3.0.0/24      2 / 1 / 254
 *     10.3.0.1      online   'carol@example.org'
 *     10.3.0.2      offline  'dave@example.org' */
void ike_pool_list(const struct ike_pool *p, FILE *out);
/* The first address handed out; each lease (address, online, identity). */
struct ip_addr ike_pool_base(const struct ike_pool *p);
void ike_pool_leases(const struct ike_pool *p,
                     void (*fn)(void *arg, const struct ip_addr *a, bool online, const char *id),
                     void *arg);

#endif
