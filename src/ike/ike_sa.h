/* IKE SAs: their states and legal transitions, creation and destruction,
 * the request window (size 1) with its retransmission buffer, the response
 * cache and the queue of tasks waiting for the window. Internal to
 * src/ike/.
 *
 * Ownership: the context owns the IKE SAs (ike_ctx.h); an IKE SA owns its
 * CHILD SAs (ike_child.h), its DH key, its keys (wiped on free), its
 * outstanding request (for retransmission) and its last response (the
 * response cache). */
#ifndef UIPSEC_IKE_IKE_SA_H
#define UIPSEC_IKE_IKE_SA_H

#include "crypto/dh.h"
#include "crypto/ike_cipher.h"
#include "crypto/prf.h"
#include "ike/ike.h"
#include "ike/ike_conn.h"
#include "ike/ike_ctx.h"
#include "ike/ike_msg.h"
#include "ike/ike_proto.h"
#include "util/log.h"

struct ike_child_sa;

enum ike_state {
	IKE_STATE_CREATED = 0,      /* allocated, nothing sent */
	IKE_STATE_INIT_SENT,        /* initiator: IKE_SA_INIT request out */
	IKE_STATE_INIT_RESPONDED,   /* responder: half-open */
	IKE_STATE_AUTH_SENT,        /* initiator: IKE_AUTH request out */
	IKE_STATE_ESTABLISHED,
	IKE_STATE_DELETING,         /* our delete is out */
	IKE_STATE_DEAD,             /* to be freed */
	IKE_STATE_MAX,
};

enum ike_task {
	TASK_NONE = 0,
	TASK_CHILD_CREATE,   /* arg: child cfg index */
	TASK_CHILD_REKEY,    /* arg: spi_in */
	TASK_CHILD_DELETE,   /* arg: spi_in */
	TASK_IKE_DELETE,
	TASK_DPD,
	TASK_IKE_REKEY,
};

#define IKE_TASKS_MAX 8

struct ike_sa {
	struct ike_sa *next;
	struct ike_ctx *ctx;
	struct ike_conn *conn;
	enum ike_state state;
	bool initiator;              /* of the IKE SA */
	uint64_t spi_i, spi_r;
	struct ike_endpoint local, remote;
	bool nat_local, nat_remote;  /* we / the peer are behind a NAT */
	bool natt;                   /* moved to port 4500 */

	/* negotiated */
	struct ike_proposal prop;
	int encr, integ, prf;
	unsigned encr_bits;
	uint16_t dh_group;
	struct crypto_dh *dh;
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	size_t ni_len, nr_len;

	/* keys (RFC 7296 2.14) */
	size_t prf_len, integ_len, enc_len;
	uint8_t sk_d[CRYPTO_PRF_MAX], sk_ai[CRYPTO_PRF_MAX], sk_ar[CRYPTO_PRF_MAX];
	uint8_t sk_ei[36], sk_er[36], sk_pi[CRYPTO_PRF_MAX], sk_pr[CRYPTO_PRF_MAX];
	bool keys_ready;

	/* IKE_SA_INIT messages, signed in IKE_AUTH */
	uint8_t *init_req, *init_resp;
	size_t init_req_len, init_resp_len;
	uint8_t cookie[64];
	size_t cookie_len;
	unsigned init_retries;       /* INVALID_KE / COOKIE restarts */

	/* our requests: window size 1 */
	uint32_t msgid_out;          /* ID of the next (or outstanding) request */
	bool req_pending;
	enum ike_task req_task;
	uint32_t req_arg;
	uint8_t *req_buf;
	size_t req_len;
	unsigned retries;
	uint64_t retx_ms;
	enum ike_task tasks[IKE_TASKS_MAX];
	uint32_t task_args[IKE_TASKS_MAX];
	unsigned ntasks;

	/* the peer's requests */
	uint32_t msgid_in;           /* next expected request */
	uint8_t *resp_buf;           /* response to request msgid_in - 1 */
	size_t resp_len;

	/* which child IKE_AUTH creates (initiator), index into conn->cfg */
	int auth_child;
	struct ike_child_sa *children;
	struct ike_id peer_id;

	uint64_t created_ms, established_ms, last_rx_ms, dpd_ms, keepalive_ms;

	/* IKE SA rekeying in flight (we started it) */
	struct crypto_dh *rekey_dh;
	uint64_t rekey_spi;
	uint8_t rekey_ni[IKE_NONCE_LEN];
	bool rekeyed;                /* replaced by a new IKE SA */
	/* rekey collision (RFC 7296 2.8.2): the successor the peer created
	 * while our rekeying was in flight; resolved when ours completes */
	uint64_t coll_spi_i, coll_spi_r;
	bool peer_deleted;           /* the peer deleted it while we waited for that */
};

/* Logging with the SPIs as prefix ("ike 0123456789abcdef_i fedcba..._r: ..."). */
#define sa_log(sa, level, fmt, ...) \
	log_msg(level, "ike %016llx_i %016llx_r [%s]: " fmt, \
	        (unsigned long long)(sa)->spi_i, (unsigned long long)(sa)->spi_r, \
	        (sa)->conn ? (sa)->conn->cfg.name : "-", ##__VA_ARGS__)
#define sa_err(sa, ...)   sa_log(sa, LOG_ERR, __VA_ARGS__)
#define sa_warn(sa, ...)  sa_log(sa, LOG_WARN, __VA_ARGS__)
#define sa_info(sa, ...)  sa_log(sa, LOG_INFO, __VA_ARGS__)
#define sa_debug(sa, ...) \
	do { if (log_get_level() >= LOG_DEBUG) sa_log(sa, LOG_DEBUG, __VA_ARGS__); } while (0)

/* Compare two nonces as big-endian octet strings (shorter = lower on a
 * common prefix), for rekey collisions (RFC 7296 2.8.1, 2.8.2). */
int ike_nonce_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
const char *ike_state_name(enum ike_state s);
/* Change state; logs it, refuses (returns -EINVAL and logs) illegal ones. */
int ike_sa_set_state(struct ike_sa *sa, enum ike_state to);
/* Take the negotiated algorithms of p (one transform per type). */
int ike_sa_set_algs(struct ike_sa *sa, const struct ike_proposal *p);
struct ike_sa *ike_sa_new(struct ike_ctx *ctx, struct ike_conn *conn, bool initiator);
/* Remove CHILD SAs from the data plane, unlink and free (keys wiped). */
void ike_sa_destroy(struct ike_sa *sa);
struct ike_sa *ike_sa_find(struct ike_ctx *ctx, uint64_t spi_i, uint64_t spi_r);
void ike_sa_send_raw(struct ike_sa *sa, const uint8_t *buf, size_t len);
/* Our outbound / the peer's keys for the SK payload. */
void ike_sa_keys_out(const struct ike_sa *sa, struct crypto_ike_keys *k);
void ike_sa_keys_in(const struct ike_sa *sa, struct crypto_ike_keys *k);
/* Start a request message of exchange (header filled, SK opened if
 * encrypted). */
void ike_sa_req_begin(struct ike_sa *sa, struct ike_mb *mb, uint8_t exchange, bool encrypted);
/* Finish, keep for retransmission, send. Takes mb's buffer. */
int ike_sa_req_send(struct ike_sa *sa, struct ike_mb *mb, enum ike_task task, uint32_t arg);
/* Start a response to request m (same exchange and message ID). */
void ike_sa_resp_begin(struct ike_sa *sa, struct ike_mb *mb, const struct ike_msg *m,
                       bool encrypted);
/* Finish, cache as the response to the current request, send. */
int ike_sa_resp_send(struct ike_sa *sa, struct ike_mb *mb);
/* Answer request m with one notify of type (an error, with data) in an
 * encrypted response: begin, the notify, send. */
int ike_sa_resp_notify(struct ike_sa *sa, const struct ike_msg *m, uint16_t type,
                       const uint8_t *data, size_t dlen);
/* Queue a task; runs when no request is outstanding. */
void ike_sa_queue(struct ike_sa *sa, enum ike_task task, uint32_t arg);
/* Start the next queued task if the window is free. */
void ike_sa_run_tasks(struct ike_sa *sa);

#endif
