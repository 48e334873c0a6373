/* CHILD SAs: their state, traffic selectors, installation into the data
 * plane and removal, trap policies, and (for now) the CREATE_CHILD_SA
 * exchange. Internal to src/ike/.
 *
 * Ownership: an IKE SA owns its CHILD SAs (a singly linked list); a CHILD
 * SA owns its DH key while CREATE_CHILD_SA is in flight. */
#ifndef UIPSEC_IKE_IKE_CHILD_H
#define UIPSEC_IKE_IKE_CHILD_H

#include "crypto/dh.h"
#include "ike/ike_sa.h"

enum ike_child_state {
	CHILD_CREATING = 0,
	CHILD_INSTALLED,
	CHILD_DELETING,
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

struct ike_child_sa *ike_child_find_in(struct ike_sa *sa, uint32_t spi_in);
struct ike_child_sa *ike_child_find_out(struct ike_sa *sa, uint32_t spi_out);
/* Remove a child from the data plane and free it. */
void ike_child_destroy(struct ike_sa *sa, struct ike_child_sa *c);
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

#endif
