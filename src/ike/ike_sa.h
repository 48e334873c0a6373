/* IKE SA and CHILD SA state shared by the exchange files (ike_init.c,
 * ike_auth.c, ike_child.c, ike_info.c) and the timers. Internal to src/ike/.
 *
 * Ownership: the ctx owns connections and IKE SAs (singly linked lists);
 * an IKE SA owns its CHILD SAs, its DH key, its keys (wiped on free), its
 * outstanding request (for retransmission) and its last response (the
 * response cache). */
#ifndef UIPSEC_IKE_IKE_SA_H
#define UIPSEC_IKE_IKE_SA_H

#include "crypto/dh.h"
#include "crypto/ike_cipher.h"
#include "crypto/prf.h"
#include "ike/ike.h"
#include "ike/ike_msg.h"
#include "ike/ike_proto.h"
#include "util/log.h"

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

enum ike_child_state {
	CHILD_CREATING = 0,
	CHILD_INSTALLED,
	CHILD_DELETING,
};

struct ike_conn {
	struct ike_conn *next;
	struct ike_conn_cfg cfg;
	bool trap_installed[IKE_CONN_MAX_CHILDREN];
	/* the local address the trap policies were installed with (the
	 * routing's choice when local_addr is unset), to remove them again */
	struct ip_addr trap_local[IKE_CONN_MAX_CHILDREN];
};

struct ike_child_sa {
	struct ike_child_sa *next;
	struct ike_child_cfg cfg;      /* copy, so reloads don't pull it away */
	enum ike_child_state state;
	uint32_t spi_in, spi_out;      /* host order */
	uint32_t rekeyed_spi;          /* spi_in of the child this one replaces */
	struct ike_proposal prop;      /* chosen */
	struct ike_ts_list ts_local, ts_remote;
	struct ike_endpoint local, remote;   /* at install time */
	bool encap;
	uint64_t installed_ms, rekey_ms, expire_ms;
	/* CREATE_CHILD_SA in flight */
	struct crypto_dh *dh;
	uint8_t ni[IKE_NONCE_LEN];
	/* rekey collisions (RFC 7296 2.8.1): who started the exchange that
	 * created this SA, and the lower of that exchange's two nonces */
	bool by_us;
	uint16_t nmin_len;
	uint8_t nmin[IKE_NONCE_MAX];
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

struct ike_ctx {
	struct ike_io io;
	struct sad *sad;
	struct spd *spd;
	struct ike_conn *conns;
	struct ike_sa *sas;
	uint32_t next_reqid;
	uint8_t cookie_secret[32];
	unsigned half_open, cookie_threshold, half_open_max;
	struct ike_stats stats;
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

/* ike_sa.c */
/* Compare two nonces as big-endian octet strings (shorter = lower on a
 * common prefix), for rekey collisions (RFC 7296 2.8.1, 2.8.2). */
int ike_nonce_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
const char *ike_notify_name(uint16_t type);
const char *ike_state_name(enum ike_state s);
/* Change state; logs it, refuses (returns -EINVAL and logs) illegal ones. */
int ike_sa_set_state(struct ike_sa *sa, enum ike_state to);
/* Take the negotiated algorithms of p (one transform per type). */
int ike_sa_set_algs(struct ike_sa *sa, const struct ike_proposal *p);
struct ike_sa *ike_sa_new(struct ike_ctx *ctx, struct ike_conn *conn, bool initiator);
/* Remove CHILD SAs from the data plane, unlink and free (keys wiped). */
void ike_sa_destroy(struct ike_sa *sa);
struct ike_sa *ike_sa_find(struct ike_ctx *ctx, uint64_t spi_i, uint64_t spi_r);
uint64_t ike_now(struct ike_ctx *ctx);
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
struct ike_child_sa *ike_child_find_in(struct ike_sa *sa, uint32_t spi_in);
struct ike_child_sa *ike_child_find_out(struct ike_sa *sa, uint32_t spi_out);
/* Remove a child from the data plane and free it. */
void ike_child_destroy(struct ike_sa *sa, struct ike_child_sa *c);
/* Is the peer address/port acceptable for conn. */
bool ike_conn_matches(const struct ike_conn *conn, const struct ike_endpoint *local,
                      const struct ike_endpoint *remote);

/* ike_kdf.c */
int ike_kdf_ike_sa(struct ike_sa *sa, const uint8_t *gir, size_t girlen);
/* A rekeyed IKE SA (RFC 7296 2.18): SKEYSEED = prf(SK_d (old), g^ir (new)
 * | Ni | Nr) with the old SA's PRF, then the SK_* of sa as usual. */
int ike_kdf_ike_sa_rekey(struct ike_sa *sa, const struct ike_sa *old, const uint8_t *gir,
                         size_t girlen);
/* KEYMAT = prf+(SK_d, [g^ir (new)] | Ni | Nr), len bytes. */
int ike_kdf_child(const struct ike_sa *sa, const uint8_t *gir, size_t girlen,
                  const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
                  uint8_t *out, size_t len);
/* PSK AUTH (RFC 7296 2.15) for the initiator (initiator = true) or the
 * responder side, over the given ID payload body. out has prf_len bytes. */
int ike_kdf_psk_auth(const struct ike_sa *sa, bool for_initiator,
                     const uint8_t *id_body, size_t id_len, uint8_t *out);

/* ike_init.c */
int ike_init_start(struct ike_sa *sa);
void ike_init_handle_request(struct ike_ctx *ctx, const struct ike_endpoint *local,
                             const struct ike_endpoint *remote, struct ike_msg *m);
void ike_init_handle_response(struct ike_sa *sa, struct ike_msg *m);

/* ike_auth.c */
int ike_auth_start(struct ike_sa *sa);
void ike_auth_handle_request(struct ike_sa *sa, struct ike_msg *m);
void ike_auth_handle_response(struct ike_sa *sa, struct ike_msg *m);

/* ike_child.c */
/* The child's TS proposal from its config (dynamic = own address). */
void ike_child_ts_local(const struct ike_sa *sa, const struct ike_child_cfg *cfg,
                        struct ike_ts_list *out);
void ike_child_ts_remote(const struct ike_sa *sa, const struct ike_child_cfg *cfg,
                         struct ike_ts_list *out);
/* Narrow the peer's TS list against ours (RFC 7296 2.9). False if empty. */
bool ike_child_narrow(const struct ike_ts_list *theirs, const struct ike_ts_list *ours,
                      struct ike_ts_list *out);
/* Allocate an inbound SPI from the SAD. */
int ike_child_alloc_spi(struct ike_sa *sa, uint32_t *spi);
/* Derive keys and install states and policies for c; exchange_initiator
 * says whose nonce is Ni. Returns 0 or a negative errno. */
int ike_child_install(struct ike_sa *sa, struct ike_child_sa *c, bool exchange_initiator,
                      const uint8_t *gir, size_t girlen, const uint8_t *ni, size_t nilen,
                      const uint8_t *nr, size_t nrlen);
/* Find the child cfg of conn matching the peer's TS (responder). */
int ike_child_cfg_select(const struct ike_sa *sa, const struct ike_ts_list *tsi,
                         const struct ike_ts_list *tsr);
/* The peer closed a CHILD SA of cfg: apply its close_action. */
void ike_child_closed(struct ike_sa *sa, const struct ike_child_cfg *cfg);
/* Install or remove trap policies of child cfg index i of conn. */
void ike_child_trap(struct ike_ctx *ctx, struct ike_conn *conn, int i, bool install);
int ike_child_create_start(struct ike_sa *sa, int cfg_index, uint32_t rekey_spi);
void ike_child_handle_request(struct ike_sa *sa, struct ike_msg *m);
void ike_child_handle_response(struct ike_sa *sa, struct ike_msg *m);

/* ike_rekey.c: rekeying the IKE SA with CREATE_CHILD_SA (RFC 7296 1.3.2) */
int ike_rekey_start(struct ike_sa *sa);
void ike_rekey_handle_request(struct ike_sa *sa, struct ike_msg *m,
                              const struct ike_proposals *theirs);
void ike_rekey_handle_response(struct ike_sa *sa, struct ike_msg *m);

/* ike_info.c */
int ike_info_start(struct ike_sa *sa, enum ike_task task, uint32_t arg);
void ike_info_handle_request(struct ike_sa *sa, struct ike_msg *m);
void ike_info_handle_response(struct ike_sa *sa, struct ike_msg *m);
/* Answer a request without an IKE SA (IKE_SA_INIT errors, cookies). */
void ike_send_notify_plain(struct ike_ctx *ctx, const struct ike_endpoint *local,
                           const struct ike_endpoint *remote, const struct ike_hdr *req,
                           uint16_t type, const uint8_t *data, size_t dlen);

/* ike_timers.c */
void ike_timers_request_sent(struct ike_sa *sa);
void ike_timers_response_received(struct ike_sa *sa);
void ike_timers_established(struct ike_sa *sa);
void ike_timers_child_installed(struct ike_sa *sa, struct ike_child_sa *c);
void ike_timers_run(struct ike_sa *sa, uint64_t now);
uint64_t ike_timers_next(const struct ike_sa *sa);

#endif
