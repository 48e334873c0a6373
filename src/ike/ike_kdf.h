/* IKEv2 key derivation (RFC 7296 sections 2.14, 2.15, 2.17): SKEYSEED and
 * the SK_* keys of an IKE SA, CHILD SA keying material, the PSK AUTH value.
 * Internal to src/ike/. */
#ifndef UIPSEC_IKE_IKE_KDF_H
#define UIPSEC_IKE_IKE_KDF_H

#include "ike/ike_sa.h"

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

#endif
