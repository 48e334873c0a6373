/* Public-key authentication (certificates and raw public keys, RFC 7296
 * 2.15 and 3.6-3.8, RFC 7427 signatures) behind the authenticator
 * interface, and the parts of it that ride in other messages: the
 * SIGNATURE_HASH_ALGORITHMS notify and the responder's CERTREQ in
 * IKE_SA_INIT, the certificates a connection holds, the ones an IKE SA
 * was authenticated with. Internal to src/ike/. Model: strongSwan 5.9.8's
 * pubkey_authenticator.c, ike_cert_pre.c and ike_cert_post.c. */
#ifndef UIPSEC_IKE_IKE_AUTHN_PUBKEY_H
#define UIPSEC_IKE_IKE_AUTHN_PUBKEY_H

#include <stdbool.h>
#include <stdio.h>

#include "ike/ike_authn.h"

struct ike_mb;
struct ike_msg;
struct ike_sa;

/* An ike_authn_new_fn. LOCAL: CERT payloads (send_cert) and our AUTH
 * signature; REMOTE: CERTREQ (initiator, send_certreq), the peer's CERT
 * payloads, its chain validated and its AUTH verified. NULL without
 * memory or credentials. */
struct ike_authn *ike_authn_pubkey_new(const struct ike_authn_env *env, enum ike_authn_role role);

/* IKE_SA_INIT, building: the initiator's request gets
 * N(SIGNATURE_HASH_ALGORITHMS); the responder's response gets CERTREQ
 * (every CA we trust, unless send_certreq = no) and, if the peer sent its
 * hash algorithms, ours. */
void ike_authn_pubkey_init_out(struct ike_sa *sa, struct ike_mb *mb);
/* IKE_SA_INIT, receiving (the request on the responder, the response on
 * the initiator): the peer's hash algorithms, and its CERTREQs. */
void ike_authn_pubkey_init_in(struct ike_sa *sa, const struct ike_msg *m);

/* A connection being loaded (ike_conn_add, on the core's copy of cfg):
 * take references on its certificates and keys, and default the
 * identities of pubkey ends as swanctl does (local and remote id: the
 * subject of the first certificate, or the key ID of the first raw public
 * key). Release drops them again (the connection goes or is replaced). */
void ike_authn_pubkey_cfg_hold(struct ike_conn_cfg *cfg);
void ike_authn_pubkey_cfg_release(struct ike_conn_cfg *cfg);

/* An IKE SA goes: drop the certificates it remembers. A rekeyed successor
 * takes them over from old (RFC 7296 2.18 keeps the authentication). */
void ike_authn_pubkey_sa_clear(struct ike_sa *sa);
void ike_authn_pubkey_sa_inherit(struct ike_sa *sa, const struct ike_sa *old);

/* Listings. An end's authentication as swanctl --list-conns shows it:
 *   "  local public key authentication:" / "  remote pre-shared key ..."
 *   "    id: ...", "    ca_id: ...", "    certs: ...", "    cacerts: ..."
 * and, for list-sas, the line under an IKE SA's local or remote end:
 *   "    RSA_EMSA_PKCS1_SHA2_256, cert 'C=CH, CN=moon' issued by 'C=CH, CN=CA'" */
void ike_authn_pubkey_list_auth(const struct ike_conn_cfg *cfg, bool local, FILE *out);
void ike_authn_pubkey_list_sa(const struct ike_sa *sa, bool local, FILE *out);
/* The strings of those lines for JSON: the class name as swanctl's
 * auth_class_names ("public key", "pre-shared key", "EAP"), the subjects
 * of an end's certificates joined by ", " (certs or, with ca, cacerts),
 * and the signature an SA end used ("" none). Return buf. */
const char *ike_authn_pubkey_class_name(uint8_t cls);
char *ike_authn_pubkey_certs_fmt(const struct ike_pubkey_cfg *pk, bool ca, char *buf, size_t len);

#endif
