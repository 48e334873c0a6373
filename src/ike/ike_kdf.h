/* IKEv2 key derivation (RFC 7296 sections 2.14, 2.15, 2.17): SKEYSEED and
 * the SK_* keys of an IKE SA, CHILD SA keying material, the octets AUTH
 * covers. Internal to src/ike/. */
#ifndef UIPSEC_IKE_IKE_KDF_H
#define UIPSEC_IKE_IKE_KDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ike_sa;

/* A new IKE SA's keys (RFC 7296 2.14): SKEYSEED = prf(Ni | Nr, g^ir), then
 * {SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi, SK_pr} = prf+(SKEYSEED, Ni | Nr
 * | SPIi | SPIr). */
int ike_kdf_ike_sa(struct ike_sa *sa, const uint8_t *gir, size_t girlen);
/* A rekeyed IKE SA (RFC 7296 2.18): SKEYSEED = prf(SK_d (old), g^ir (new)
 * | Ni | Nr) with the old SA's PRF, then the SK_* of sa as usual. */
int ike_kdf_ike_sa_rekey(struct ike_sa *sa, const struct ike_sa *old, const uint8_t *gir,
                         size_t girlen);
/* KEYMAT = prf+(SK_d, [g^ir (new)] | Ni | Nr), len bytes. */
int ike_kdf_child(const struct ike_sa *sa, const uint8_t *gir, size_t girlen,
                  const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
                  uint8_t *out, size_t len);
/* The octets the AUTH payload of the initiator (for_initiator) or of the
 * responder covers (RFC 7296 2.15), over that end's ID payload body:
 * its IKE_SA_INIT message, the other end's nonce, prf(SK_px, ID'). *out
 * is allocated (the caller frees it). 0 or a negative errno. */
int ike_kdf_auth_octets(const struct ike_sa *sa, bool for_initiator, const uint8_t *id_body,
                        size_t id_len, uint8_t **out, size_t *outlen);

#endif
