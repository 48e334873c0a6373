/* What the IKE core shows to the visibility tools: IKE SA keys as lines of
 * Wireshark's IKEv2 decryption table (the ikev2_decryption_table UAT
 * file, Preferences > Protocols > ISAKMP), and counts for the metrics.
 *
 * One line per IKE SA with keys:
 *   SPIi,SPIr,SK_ei,SK_er,"ENCRYPTION",SK_ai,SK_ar,"INTEGRITY"
 * SPIs and keys as bare hex (UAT byte fields are not quoted; empty for
 * the integrity keys of an AEAD); AES-GCM keys
 * include their 4-byte salt; integrity "NONE [RFC4306]" for AEADs. An SA
 * whose cipher Wireshark 4.0 cannot decrypt (ChaCha20-Poly1305) is a '#'
 * comment line. The output holds keys.
 *
 * Threading: the IKE core's loop. */
#ifndef UIPSEC_IKE_IKE_EXPORT_H
#define UIPSEC_IKE_IKE_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "net/addr.h"

struct ike_proposal;
struct ike_ts_list;

struct ike_ctx;

/* Returns the number of table lines written. */
int ike_export_wireshark(struct ike_ctx *ctx, FILE *out);

/* Plain views of the IKE core's connections and SAs, for printers outside
 * the IKE layer (uipsec --json list-sas / list-conns). Strings are
 * formatted as list-sas prints them; no keys. Valid during the callback. */
struct ike_view_child {
	const char *name, *state;      /* "INSTALLED", "CREATING", "DELETING" */
	uint32_t reqid;
	const char *mode;              /* "tunnel" or "transport" */
	bool encap;                    /* ESP in UDP */
	const char *proposal;          /* "aes128gcm16-noesn" */
	uint32_t spi_in, spi_out;
	uint64_t in_bytes, in_packets, out_bytes, out_packets;
	uint64_t installed_s;          /* seconds ago */
	int64_t rekey_in_s;            /* seconds, or -1: no rekey scheduled */
	const char *local_ts, *remote_ts;
	/* for VICI's list-sas: charon's child uniqueid, the chosen transforms,
	 * each traffic selector alone, seconds until the hard expiry (-1:
	 * none) */
	uint32_t unique_id;
	const struct ike_proposal *prop;
	const struct ike_ts_list *ts_local, *ts_remote;
	int64_t expire_in_s;
};

struct ike_view_sa {
	const char *conn, *state;      /* "ESTABLISHED", ... */
	bool initiator;
	uint64_t spi_i, spi_r;
	struct ip_addr local, remote;
	uint16_t local_port, remote_port;
	bool nat_local, nat_remote;
	const char *local_id, *remote_id;
	/* the peer's EAP identity where it differs from remote_id (charon's
	 * remote-eap-id), else "" */
	const char *remote_eap_id;
	const char *proposal;          /* "" before the keys are there */
	int64_t established_s;         /* seconds ago, -1 if not established */
	/* public-key authentication, "" if none: the signature each end used
	 * ("RSA_EMSA_PKCS1_SHA2_256"), its certificate's subject and issuer */
	const char *local_sig, *local_cert, *local_cert_issuer;
	const char *remote_sig, *remote_cert, *remote_cert_issuer;
	uint32_t unique_id;            /* charon's IKE_SA uniqueid */
	const struct ike_proposal *prop;   /* chosen transforms; NULL before the keys */
	int64_t rekey_in_s;            /* seconds until the IKE SA rekeys, -1: not scheduled */
};

struct ike_view_child_cfg {
	const char *name, *mode, *start_action, *esp_proposals, *local_ts, *remote_ts;
	uint32_t reqid;
	const char *close_action;
	uint32_t rekey_time, life_time;
	const struct ike_ts_list *ts_local, *ts_remote;   /* n == 0: dynamic */
};

struct ike_view_conn {
	const char *name;
	uint32_t dpd_delay, rekey_time;
	bool any_remote;               /* remote_addrs %any */
	struct ip_addr local, remote;  /* remote unset: any */
	uint16_t local_port, remote_port;
	const char *proposals, *local_id, *remote_id;
	bool encap;
	/* "psk", "pubkey", "eap"; the subjects of local.certs, remote.certs
	 * and remote.cacerts joined by ", " ("" none) */
	const char *local_auth, *remote_auth;
	const char *local_certs, *remote_certs, *remote_cacerts;
};

/* sa for each IKE SA, then child for each of its CHILD SAs. */
void ike_view_sas(struct ike_ctx *ctx, void (*sa)(void *arg, const struct ike_view_sa *v),
                  void (*child)(void *arg, const struct ike_view_child *v), void *arg);
/* conn for each connection, then child for each of its children. */
void ike_view_conns(struct ike_ctx *ctx, void (*conn)(void *arg, const struct ike_view_conn *v),
                    void (*child)(void *arg, const struct ike_view_child_cfg *v), void *arg);

#endif
