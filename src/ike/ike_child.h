/* CHILD SAs: their state, traffic selectors (RFC 7296 2.9), keying (2.17)
 * and installation into the data plane and removal, the one function that
 * ends a CHILD SA (and records why), and trap policies. The exchanges that
 * negotiate CHILD SAs are tasks (ike_auth.c for the first one,
 * ike_create.c for the others). Internal to src/ike/.
 *
 * This file is the only one that changes the data plane, through the
 * backend interface (xfrm/backend.h) the context holds, as charon does
 * through its kernel interface.
 *
 * Ownership: an IKE SA owns its CHILD SAs (a singly linked list). */
#ifndef UIPSEC_IKE_IKE_CHILD_H
#define UIPSEC_IKE_IKE_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ike.h"
#include "ike/ike_proto.h"

struct ike_conn;
struct ike_ctx;
struct ike_sa;

enum ike_child_state {
	CHILD_CREATING = 0,            /* negotiated, not installed: nothing in the data plane */
	CHILD_INSTALLED,
	CHILD_DELETING,                /* our Delete is out */
};

/* What a CHILD SA keeps of its config for all its life (a reload may
 * change or remove the config meanwhile). */
struct ike_child_kept {
	char name[64];
	uint32_t reqid;
	uint8_t mode;                  /* as negotiated */
	uint8_t start_action, close_action, dpd_action;
};

struct ike_child_sa {
	struct ike_child_sa *next;
	struct ike_child_kept cfg;
	/* the whole config (proposals, selectors, lifetimes) while it is
	 * negotiated, copied; freed once it is installed, which keeps an
	 * installed CHILD SA small (NULL then) */
	struct ike_child_cfg *neg;
	enum ike_child_state state;
	uint32_t unique_id;            /* 1, 2, ... in creation order (charon's) */
	uint32_t spi_in, spi_out;      /* host order */
	uint32_t rekeyed_spi;          /* spi_in of the child this one replaces */
	struct ike_proposal prop;      /* chosen */
	struct ike_ts_list ts_local, ts_remote;
	struct ike_endpoint local, remote;   /* at install time */
	bool encap;
	uint64_t installed_ms, rekey_ms, expire_ms;
	/* soft time limit (ike_timers.c's, exact to the ms) and hard one
	 * (also the data plane's backstop) after install, s (0: none) */
	uint32_t rekey_s, life_s;
	/* why our Delete for it is out (CHILD_END_NONE: terminated here) */
	enum ike_child_end_reason delete_reason;
	/* rekey collisions (RFC 7296 2.8.1): who started the exchange that
	 * created this SA, and the lower of that exchange's two nonces */
	bool by_us;
	uint16_t nmin_len;
	uint8_t nmin[IKE_NONCE_MAX];
};

/* A new CHILD SA of cfg (copied) in state CREATING, linked into sa. NULL
 * if out of memory. */
struct ike_child_sa *ike_child_new(struct ike_sa *sa, const struct ike_child_cfg *cfg);
struct ike_child_sa *ike_child_find_in(struct ike_sa *sa, uint32_t spi_in);
struct ike_child_sa *ike_child_find_out(struct ike_sa *sa, uint32_t spi_out);
/* End c: remove it from the data plane if installed (its policies only
 * when no other CHILD SA of its reqid and no trap needs them), count and
 * log it with reason, tell io->child_ended, unlink and free it. */
void ike_child_end(struct ike_sa *sa, struct ike_child_sa *c, enum ike_child_end_reason reason);

/* The child's TS proposal from its config (dynamic = own address). */
void ike_child_ts_local(const struct ike_sa *sa, const struct ike_child_cfg *cfg,
                        struct ike_ts_list *out);
void ike_child_ts_remote(const struct ike_sa *sa, const struct ike_child_cfg *cfg,
                         struct ike_ts_list *out);
/* Narrow the peer's TS list against ours (RFC 7296 2.9). False if empty. */
bool ike_child_narrow(const struct ike_ts_list *theirs, const struct ike_ts_list *ours,
                      struct ike_ts_list *out);
/* The index of the child config of sa's connection that matches the
 * peer's TS (responder), or -1. */
int ike_child_cfg_select(const struct ike_sa *sa, const struct ike_ts_list *tsi,
                         const struct ike_ts_list *tsr);
/* The index of the child config named name in sa's connection, or -1. */
int ike_child_cfg_index(const struct ike_sa *sa, const char *name);

/* An unused inbound SPI from the data plane. 0 or a negative errno. */
int ike_child_alloc_spi(struct ike_sa *sa, uint32_t *spi);
/* Derive keys (RFC 7296 2.17) and install c's states and policies;
 * exchange_initiator says whose nonce is Ni. c becomes INSTALLED. Returns
 * 0 or a negative errno (c is then still CREATING, nothing installed). */
int ike_child_install(struct ike_sa *sa, struct ike_child_sa *c, bool exchange_initiator,
                      const uint8_t *gir, size_t girlen, const uint8_t *ni, size_t nilen,
                      const uint8_t *nr, size_t nrlen);
/* Move the installed tunnel-mode CHILD SAs of sa to sa->local and
 * sa->remote as they are now, in place (xfrm update: same SPIs, keys,
 * sequence numbers and counters), with UDP encapsulation if sa uses port
 * 4500 or a NAT was detected, and their policies' templates with them:
 * MOBIKE (RFC 4555) and NAT mapping changes (RFC 7296 2.23). Transport
 * mode SAs are not moved (logged). Returns how many moved. */
unsigned ike_child_move_all(struct ike_sa *sa);
/* Install or remove the trap policies of child config i of conn. */
void ike_child_trap(struct ike_ctx *ctx, struct ike_conn *conn, int i, bool install);

#endif
