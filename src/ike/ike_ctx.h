/* The IKE context as the files of src/ike/ see it: what one IKE instance
 * holds. ike.c creates and frees it (ike_ctx_new, ike_ctx_free in ike.h);
 * everything else borrows it through the SAs and connections that point
 * back at it.
 *
 * Ownership: the context owns its connections and IKE SAs (singly linked
 * lists), the cookie secret (wiped when freed) and the counters. The
 * transport and clock (io) are callbacks into the embedder; the backend
 * and the credentials are borrowed.
 *
 * Threading: one control loop; nothing here locks. */
#ifndef UIPSEC_IKE_IKE_CTX_H
#define UIPSEC_IKE_IKE_CTX_H

#include <stdint.h>

#include "ike/ike.h"
#include "ike/ike_authn.h"

struct ike_conn;
struct ike_sa;

#define IKE_INIT_SRC_SLOTS 1024
#define IKE_RECENT_PEERS 256

struct ike_ctx {
	struct ike_io io;
	struct xfrm_backend *be;         /* the data plane (NULL: none, tests) */
	struct ike_conn *conns;
	struct ike_sa *sas;
	/* the IKE SAs by SPIi (ike_sa.c; chains through ike_sa.hnext, a
	 * power-of-two size that doubles with the SAs; keyed with a random
	 * secret, as the peer picks SPIi) */
	struct ike_sa **sa_hash;
	/* and by the peer's identity (ike_sa.idnext: INITIAL_CONTACT), the
	 * same size */
	struct ike_sa **id_hash;
	unsigned sa_hash_size, nsas;
	uint64_t sa_hash_key;
	/* SAs with tasks queued or a reauthentication to finish (ike.c
	 * run_all visits only these), and how many SAs are DEAD (reap) */
	struct ike_sa *work;
	unsigned ndead;
	uint32_t next_reqid;
	uint32_t next_unique_id;     /* of IKE SAs, for log lines */
	uint32_t next_child_id;      /* of CHILD SAs (charon's child uniqueid) */
	uint8_t cookie_secret[32];
	/* the cookie's PRF keyed with cookie_secret once (crypto/prf.h): a
	 * cookie under a flood costs two hash blocks, nothing allocated */
	struct crypto_prf_key *cookie_prf;
	unsigned half_open, cookie_threshold, half_open_max;
	struct ike_retransmit_cfg retx;
	/* INVALID_IKE_SPI answers to requests for unknown IKE SAs (RFC 7296
	 * 2.21.4): a token bucket, so that they cannot be used to flood */
	double nospi_tokens;
	uint64_t nospi_ms;
	/* IKE_SA_INIT floods (ike.c, init_admit): a budget for requests from
	 * addresses we have no connection or SA with, and a count per source
	 * address and second (hashed) */
	double anon_tokens, cookie_tokens;
	bool behind;                 /* ike_ctx_set_behind */
	uint64_t anon_ms;
	/* addresses of the last peers an IKE SA was established with (a
	 * ring): known peers to the flood limits even with remote_addrs %any */
	struct ip_addr recent[IKE_RECENT_PEERS];
	unsigned recent_next;
	struct ike_init_src {
		struct ip_addr addr;
		uint64_t sec;
		unsigned n;
	} init_src[IKE_INIT_SRC_SLOTS];
	bool prefer_encap;           /* ike_ctx_set_prefer_encap */
	struct ike_stats stats;
	/* IKE fragmentation (ike_wire.c): the datagram size fragments are
	 * cut for, and the reassembly bounds (ike_ctx_set_frag_limits) */
	unsigned fragment_size;
	size_t frag_max_message, frag_mem_max;
	unsigned frag_max;
	/* authenticator constructors by class (ike_authn_register) and the
	 * public-key credentials a pubkey authenticator would use (none yet) */
	ike_authn_new_fn authn_new[IKE_AUTH_CLASS_MAX];
	const struct ike_creds *creds;
	/* pre-shared keys by owner (ike_psks_set, ike_authn_psk.c); psks_set:
	 * look keys up here rather than in the connection */
	struct ike_psk *psks[IKE_PSK_SOURCES];
	unsigned npsks[IKE_PSK_SOURCES];
	bool psks_set;
	/* virtual IP pools (ike_pools_set, ike_pool.h) */
	struct ike_pool **pools;
	unsigned npools;
};

/* The embedder's monotonic clock, in milliseconds. */
static inline uint64_t ike_now(struct ike_ctx *ctx)
{
	return ctx->io.now_ms(ctx->io.ctx);
}

#endif
