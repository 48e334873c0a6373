/* The backend interface between a key manager (IKE) and an IPsec data
 * plane: the verbs charon's kernel_ipsec interface sends to Linux XFRM
 * (XFRM_MSG_ALLOCSPI, NEWSA, UPDSA, DELSA, GETSA, NEWPOLICY, UPDPOLICY,
 * DELPOLICY) and the events it listens for (ACQUIRE, EXPIRE, and an
 * unknown inbound SPI, which Linux only counts as XfrmInNoStates).
 *
 * IKE installs and removes what it negotiates only through this table and
 * never sees how a data plane keeps its states: the userspace SAD and SPD
 * are one implementation (xfrm/backend_sad.h); a netlink XFRM backend,
 * for machines whose kernel does have ESP, would be another, and tests
 * put a recording one in between.
 *
 * Requests describe an SA or a policy as ip xfrm does: addresses, SPI,
 * algorithms by their Linux crypto API names, keys, encapsulation,
 * lifetimes. The caller owns a request; keys in it are the caller's to
 * wipe (xfrm_sa_req_wipe), and no backend keeps a pointer to it.
 *
 * Threading: the control loop. */
#ifndef UIPSEC_XFRM_BACKEND_H
#define UIPSEC_XFRM_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "net/addr.h"
#include "xfrm/xfrm.h"

/* An SA's identity, as (daddr, spi, proto) names a state in XFRM. */
struct xfrm_sa_id {
	struct ip_addr daddr;
	uint32_t spi;                  /* host order */
	uint8_t proto;                 /* IPPROTO_ESP_ */
};

/* Add an SA (XFRM_MSG_NEWSA). */
struct xfrm_sa_req {
	struct ip_addr saddr, daddr;
	uint32_t spi;                  /* host order */
	uint8_t proto;                 /* IPPROTO_ESP_ */
	uint8_t mode;                  /* enum xfrm_mode */
	uint32_t reqid;                /* ties it to its policies' templates */
	bool esn;                      /* 64-bit sequence numbers (RFC 4303 2.2.1) */
	uint32_t replay_window;        /* packets; 0: no replay protection */
	/* algorithms as ip xfrm names them ("rfc4106(gcm(aes))", "cbc(aes)",
	 * "hmac(sha256)"), each with its key (AEAD keys end with their salt)
	 * and ICV length; an empty name is an absent algorithm */
	struct xfrm_algo aead, enc, auth;
	struct xfrm_encap encap;       /* UDP encapsulation (RFC 3948); type 0: none */
	struct xfrm_lifetime_cfg lft;  /* 0 or XFRM_INF: no limit */
	struct xfrm_selector sel;      /* the state's own selector; family 0: none */
};

/* Move an SA in place, keeping keys, sequence numbers and counters
 * (XFRM_MSG_UPDSA as charon's update_sa uses it): MOBIKE (RFC 4555) and
 * a NAT mapping that changed (RFC 7296 2.23). */
struct xfrm_sa_update {
	struct xfrm_sa_id id;          /* as it is now */
	struct ip_addr saddr, daddr;   /* where it is now (a new daddr is a new id) */
	struct xfrm_encap encap;       /* its encapsulation now (type 0: none) */
};

/* What XFRM_MSG_GETSA reports of an SA's use. */
struct xfrm_sa_counters {
	uint64_t bytes, packets;
	uint64_t use_time;             /* monotonic seconds of its first use, 0: unused */
};

/* Add or replace a policy (XFRM_MSG_NEWPOLICY / UPDPOLICY). */
struct xfrm_policy_req {
	struct xfrm_selector sel;
	uint8_t dir;                   /* enum xfrm_dir */
	uint8_t action;                /* enum xfrm_action */
	uint32_t priority;             /* the smallest wins */
	bool has_tmpl;                 /* protect with the template (IPsec), else none */
	struct {
		struct ip_addr saddr, daddr;   /* tunnel endpoints (tunnel mode) */
		uint8_t proto;             /* IPPROTO_ESP_ */
		uint8_t mode;              /* enum xfrm_mode */
		uint32_t reqid;
	} tmpl;
};

/* The key manager's side: what the data plane reports. */
struct xfrm_backend_events {
	void *ctx;
	/* Outbound traffic matched a policy whose template (reqid) has no SA;
	 * sel is the packet's flow (addresses as /32 or /128, its protocol
	 * and ports), as Linux's acquire carries it. */
	void (*acquire)(void *ctx, uint32_t reqid, const struct xfrm_selector *sel);
	/* A soft (rekey now) or hard (it is gone) lifetime of id was reached. */
	void (*expire)(void *ctx, const struct xfrm_sa_id *id, bool hard);
	/* Optional: ESP arrived from src to dst with an SPI no SA has (what
	 * Linux counts as XfrmInNoStates), rate-limited by the data plane:
	 * the peer may keep an SA we lost. */
	void (*unknown_spi)(void *ctx, const struct ip_addr *src, const struct ip_addr *dst,
	                    uint32_t spi);
};

/* An implementation. Every operation returns 0 or a negative errno. */
struct xfrm_backend_ops {
	const char *name;
	/* An SPI in [lo, hi] unused for daddr (not reserved: add_sa may still
	 * say -EEXIST if it was taken meanwhile). */
	int (*alloc_spi)(void *impl, const struct ip_addr *daddr, uint8_t proto, uint32_t lo,
	                 uint32_t hi, uint32_t *spi);
	int (*add_sa)(void *impl, const struct xfrm_sa_req *req);        /* -EEXIST, -EINVAL */
	int (*update_sa)(void *impl, const struct xfrm_sa_update *upd);  /* -ENOENT */
	int (*del_sa)(void *impl, const struct xfrm_sa_id *id);          /* -ENOENT */
	int (*query_sa)(void *impl, const struct xfrm_sa_id *id, struct xfrm_sa_counters *out);
	int (*add_policy)(void *impl, const struct xfrm_policy_req *req);      /* -EEXIST */
	int (*update_policy)(void *impl, const struct xfrm_policy_req *req);   /* add or replace */
	int (*del_policy)(void *impl, const struct xfrm_selector *sel, uint8_t dir);  /* -ENOENT */
};

struct xfrm_backend {
	const struct xfrm_backend_ops *ops;
	void *impl;                    /* the implementation's state */
	struct xfrm_backend_events events;   /* the listener's (xfrm_backend_listen) */
};

/* The operations, on be (NULL: -ENODEV, no data plane). */
int xfrm_backend_alloc_spi(struct xfrm_backend *be, const struct ip_addr *daddr, uint8_t proto,
                           uint32_t lo, uint32_t hi, uint32_t *spi);
int xfrm_backend_add_sa(struct xfrm_backend *be, const struct xfrm_sa_req *req);
int xfrm_backend_update_sa(struct xfrm_backend *be, const struct xfrm_sa_update *upd);
int xfrm_backend_del_sa(struct xfrm_backend *be, const struct xfrm_sa_id *id);
int xfrm_backend_query_sa(struct xfrm_backend *be, const struct xfrm_sa_id *id,
                          struct xfrm_sa_counters *out);
int xfrm_backend_add_policy(struct xfrm_backend *be, const struct xfrm_policy_req *req);
int xfrm_backend_update_policy(struct xfrm_backend *be, const struct xfrm_policy_req *req);
int xfrm_backend_del_policy(struct xfrm_backend *be, const struct xfrm_selector *sel,
                            uint8_t dir);

/* The key manager listens to be's events (ev copied; NULL: stops). One
 * listener per backend. */
void xfrm_backend_listen(struct xfrm_backend *be, const struct xfrm_backend_events *ev);
/* An implementation reports an event to the listener (none: dropped). */
void xfrm_backend_acquired(struct xfrm_backend *be, uint32_t reqid,
                           const struct xfrm_selector *sel);
void xfrm_backend_expired(struct xfrm_backend *be, const struct xfrm_sa_id *id, bool hard);
void xfrm_backend_unknown_spi(struct xfrm_backend *be, const struct ip_addr *src,
                              const struct ip_addr *dst, uint32_t spi);

/* Wipe the keys of req (and the rest of it). */
void xfrm_sa_req_wipe(struct xfrm_sa_req *req);

#endif
