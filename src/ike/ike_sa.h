/* IKE SAs: their states and legal transitions, creation, the one function
 * that ends an SA (and records why), destruction, lookup, and the SK keys.
 * Internal to src/ike/.
 *
 * Ownership: the context owns the IKE SAs (ike_ctx.h). An IKE SA owns its
 * CHILD SAs (ike_child.h), its keys (wiped when freed), the IKE_SA_INIT
 * messages it signs in IKE_AUTH, and its task manager (ike_mgr.h: the
 * queue, requests in flight, the response cache). Exchange state (DH keys
 * and nonces of an exchange in flight, cookies, authenticators) belongs to
 * the tasks, not here. */
#ifndef UIPSEC_IKE_IKE_SA_H
#define UIPSEC_IKE_IKE_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/ike_cipher.h"
#include "crypto/prf.h"
#include "ike/ike.h"
#include "ike/ike_conn.h"
#include "ike/ike_mgr.h"
#include "ike/ike_proto.h"
#include "util/log.h"

struct crypto_cert;
struct ike_child_sa;
struct ike_ctx;

enum ike_state {
	IKE_STATE_CREATED = 0,      /* allocated, nothing sent */
	IKE_STATE_INIT_SENT,        /* initiator: IKE_SA_INIT request out */
	IKE_STATE_INIT_RESPONDED,   /* responder: half-open */
	IKE_STATE_AUTH_SENT,        /* initiator: IKE_AUTH request out */
	IKE_STATE_ESTABLISHED,
	IKE_STATE_DELETING,         /* our delete is out */
	IKE_STATE_DEAD,             /* ended (end_reason says why), to be freed */
	IKE_STATE_MAX,
};

struct ike_sa {
	struct ike_sa *next, **pprev;    /* ctx->sas */
	struct ike_sa *hnext;            /* ctx->sa_hash, by spi_i: change spi_i through ike_sa_set_spi_i */
	struct ike_sa *work_next, **work_pprev;   /* ctx->work (NULL work_pprev: not on it) */
	struct ike_sa *idnext;           /* ctx->id_hash, by peer_id: set it through ike_sa_set_peer_id */
	uint32_t idh;                    /* peer_id's hash, as linked */
	struct ike_ctx *ctx;
	struct ike_conn *conn;       /* NULL once the connection is unloaded */
	uint32_t unique_id;          /* 1, 2, ... in creation order (charon's) */
	enum ike_state state;
	enum ike_end_reason end_reason;   /* set by ike_sa_end */
	bool initiator;              /* of the IKE SA */
	uint64_t spi_i, spi_r;
	struct ike_endpoint local, remote;
	bool nat_local, nat_remote;  /* we / the peer are behind a NAT */
	bool natt;                   /* moved to port 4500 */
	bool peer_childless;         /* the responder announced RFC 6023 childless support */
	bool frag_supported;         /* the peer announced IKE fragmentation (RFC 7383 2.3) */
	bool mobike;                 /* both ends announced MOBIKE_SUPPORTED (RFC 4555 4.1) */

	/* negotiated */
	struct ike_proposal prop;
	int encr, integ, prf;
	unsigned encr_bits;
	uint16_t dh_group;
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	size_t ni_len, nr_len;

	/* keys (RFC 7296 2.14) */
	size_t prf_len, integ_len, enc_len;
	uint8_t sk_d[CRYPTO_PRF_MAX], sk_ai[CRYPTO_PRF_MAX], sk_ar[CRYPTO_PRF_MAX];
	uint8_t sk_ei[36], sk_er[36], sk_pi[CRYPTO_PRF_MAX], sk_pr[CRYPTO_PRF_MAX];
	bool keys_ready;

	/* the IKE_SA_INIT request and response as sent (RFC 7296 2.15: both
	 * ends sign them in IKE_AUTH); kept by the manager */
	uint8_t *init_req, *init_resp;
	size_t init_req_len, init_resp_len;

	struct ike_mgr mgr;          /* tasks, message IDs, retransmission */

	/* which child IKE_AUTH creates (initiator), index into conn->cfg */
	int auth_child;
	struct ike_child_sa *children;
	struct ike_id peer_id;
	/* the peer's EAP identity once it authenticated with EAP to us (we
	 * were the EAP server; its IKE identity when no EAP-Identity was
	 * asked for); NULL: it did not. Owned; set and read it through
	 * ike_sa_set_peer_eap_id, ike_sa_peer_eap_id */
	struct ike_id *peer_eap_id;

	/* ike_timers.c's */
	uint64_t created_ms, established_ms, last_rx_ms, dpd_ms, keepalive_ms;
	/* when to rekey, reauthenticate, and delete it (rekey_time, reauth_time
	 * less their random part, over_time after the first); 0: never */
	uint64_t rekey_at_ms, reauth_at_ms, delete_at_ms;
	/* the last liveness check started because the peer may have lost its
	 * state (an unknown SPI, INVALID_IKE_SPI), for the rate limit */
	uint64_t probe_ms;
	/* attempts to set this IKE SA up so far (keyingtries): 1 for the first */
	uint32_t keyingtry;
	/* make-before-break reauthentication: the SPIs of the IKE SA this one
	 * replaces, deleted once this one and its CHILD SAs are up (0: none) */
	uint64_t reauth_spi_i, reauth_spi_r;

	/* public-key authentication (ike_authn_pubkey.c): the peer's
	 * SIGNATURE_HASH_ALGORITHMS (RFC 7427 4; 0: none, classic methods),
	 * whether it sent a CERTREQ (send_cert = ifasked) and the CAs named
	 * in it (SHA-1 of their SubjectPublicKeyInfo); once authenticated,
	 * the certificates of both ends (references, for listings; freed
	 * with the SA) and the signature schemes used */
	uint32_t peer_hashes;
	bool certreq_seen;
	uint8_t ncertreq_ca;
	uint8_t certreq_ca[8][20];
	struct crypto_cert *peer_cert, *local_cert;
	char peer_sig[48], local_sig[48];
	/* remote access (ike_vip.c). Gateway: the addresses leased to the
	 * peer, and from which pool; client: the addresses the gateway
	 * assigned and the DNS servers it sent */
	struct ip_addr vip_remote[2];
	char vip_pool[2][64];
	unsigned nvip_remote;
	struct ip_addr vip_local[2];
	unsigned nvip_local;
	struct ip_addr dns[8];
	unsigned ndns;

	bool rekeyed;                /* replaced by a new IKE SA */
	/* rekey collision (RFC 7296 2.8.2): the successor the peer created
	 * while our rekeying was in flight; resolved when ours completes */
	uint64_t coll_spi_i, coll_spi_r;
	bool peer_deleted;           /* the peer deleted it while we waited for that */
};

/* Logging as charon's ike_name lines: the connection and the IKE_SA's
 * unique id as context ("<s2s|1>", util/log.h), then the SPIs
 * ("<s2s|1> 0123456789abcdef_i fedcba9876543210_r: ..."). The subsystem
 * is the calling file's (LOG_SUBSYS: ike, chd in ike_child.c). */
#define sa_log(sa, level, fmt, ...) \
	log_write(LOG_SUBSYS, level, \
	          &(struct log_ctx){ (sa)->conn ? (sa)->conn->cfg.name : NULL, (sa)->unique_id }, \
	          "%016llx_i %016llx_r: " fmt, (unsigned long long)(sa)->spi_i, \
	          (unsigned long long)(sa)->spi_r, ##__VA_ARGS__)
#define sa_err(sa, ...)   sa_log(sa, LOG_ERR, __VA_ARGS__)
#define sa_warn(sa, ...)  sa_log(sa, LOG_WARN, __VA_ARGS__)
#define sa_info(sa, ...)  sa_log(sa, LOG_INFO, __VA_ARGS__)
#define sa_debug(sa, ...) \
	do { if (log_enabled(LOG_SUBSYS, LOG_DEBUG)) sa_log(sa, LOG_DEBUG, __VA_ARGS__); } while (0)

/* A new IKE SA of conn (our own SPI drawn), linked into ctx; NULL if out
 * of memory or random bytes. */
struct ike_sa *ike_sa_new(struct ike_ctx *ctx, struct ike_conn *conn, bool initiator);
/* Change state; logs it, refuses (returns -EINVAL and logs) illegal ones.
 * DEAD is reached through ike_sa_end only. */
int ike_sa_set_state(struct ike_sa *sa, enum ike_state to);
const char *ike_state_name(enum ike_state s);
/* End sa: record reason, count it, log it at info, tell io->ike_ended,
 * and make sa DEAD (it is freed, with its CHILD SAs, when the front door
 * reaps). The first reason wins: ending a dead SA again does nothing. */
void ike_sa_end(struct ike_sa *sa, enum ike_end_reason reason);
/* Free a DEAD (or never used) SA: its tasks, its CHILD SAs (removed from
 * the data plane, CHILD_END_IKE_ENDED), keys wiped; unlinked from ctx. */
void ike_sa_destroy(struct ike_sa *sa);
/* The live SA with these SPIs, or NULL. */
struct ike_sa *ike_sa_find(struct ike_ctx *ctx, uint64_t spi_i, uint64_t spi_r);
/* The SAs (any state) with SPIi spi_i: the first (after NULL) or the one
 * after after; NULL at the end. */
struct ike_sa *ike_sa_by_spi_i(struct ike_ctx *ctx, uint64_t spi_i, struct ike_sa *after);
/* Set sa's SPIi (the peer's, for a responder), keeping the hash right. */
void ike_sa_set_spi_i(struct ike_sa *sa, uint64_t spi_i);
/* Set sa's peer identity, keeping the identity hash right. */
void ike_sa_set_peer_id(struct ike_sa *sa, const struct ike_id *id);
/* The identity the peer is known by for leases, uniqueness,
 * INITIAL_CONTACT and the identity hash (charon's get_other_eap_id): its
 * EAP identity if it authenticated with EAP to us, else its IKE
 * identity. */
const struct ike_id *ike_sa_peer_eap_id(const struct ike_sa *sa);
/* Record that the peer authenticated with EAP as id (a copy), keeping the
 * identity hash right. 0 or -ENOMEM (then nothing changes). */
int ike_sa_set_peer_eap_id(struct ike_sa *sa, const struct ike_id *id);
/* The SAs (any state) whose peer identity (ike_sa_peer_eap_id) may equal id (its hash bucket;
 * compare with ike_id_equal): the first (after NULL) or the one after
 * after; NULL at the end. */
struct ike_sa *ike_sa_by_peer_id(struct ike_ctx *ctx, const struct ike_id *id, struct ike_sa *after);
/* sa has work for ike.c's run_all (tasks queued, a reauthentication to
 * finish): put it on ctx->work if it is not there. */
void ike_sa_want_run(struct ike_sa *sa);
/* Take sa off ctx->work (nothing if it is not on it). */
void ike_sa_work_done(struct ike_sa *sa);
/* Take the negotiated algorithms of p (one transform per type). */
int ike_sa_set_algs(struct ike_sa *sa, const struct ike_proposal *p);
/* Our outbound / the peer's keys for the SK payload. */
void ike_sa_keys_out(const struct ike_sa *sa, struct crypto_ike_keys *k);
void ike_sa_keys_in(const struct ike_sa *sa, struct crypto_ike_keys *k);
/* Compare two nonces as big-endian octet strings (shorter = lower on a
 * common prefix), for rekey collisions (RFC 7296 2.8.1, 2.8.2). */
int ike_nonce_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

#endif
