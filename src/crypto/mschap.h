/* MS-CHAPv2 (RFC 2759) and its MPPE keys (RFC 3079) for EAP-MSCHAPv2
 * (draft-kamath-pppext-eap-mschapv2): the NT password hash (MD4), the
 * challenge response (DES), the authenticator response and the 64-byte
 * MSK of IKEv2 (RFC 7296 2.16). MD4 and single DES are in OpenSSL 3's
 * legacy provider only: it is loaded into a library context of this
 * module's own on first use (crypto_mschap_available says whether that
 * worked and why not), so the default context keeps its algorithms.
 * Callers own every buffer; every intermediate is wiped. */
#ifndef UIPSEC_CRYPTO_MSCHAP_H
#define UIPSEC_CRYPTO_MSCHAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPTO_MSCHAP_HASH_LEN 16     /* NtPasswordHash */
#define CRYPTO_MSCHAP_CHAL_LEN 16     /* Authenticator- and Peer-Challenge */
#define CRYPTO_MSCHAP_NT_RESP_LEN 24  /* NT-Response */
#define CRYPTO_MSCHAP_AUTH_RESP_LEN 42  /* "S=" and 40 upper-case hex digits */
#define CRYPTO_MSCHAP_MSK_LEN 64

/* Can MD4 and DES be had (the legacy provider loaded)? If not, why (one
 * line, naming the provider and where OpenSSL looked) goes to why. */
bool crypto_mschap_available(char *why, size_t whylen);

/* NtPasswordHash (RFC 2759 8.3): MD4 over the password as UTF-16LE. The
 * password is taken as strongSwan takes it: each byte widened to 16 bits
 * (ASCII passwords; at most 256 bytes). 0, -EINVAL or -ENOSYS (no MD4). */
int crypto_mschap_nt_hash(const uint8_t *pw, size_t len, uint8_t out[CRYPTO_MSCHAP_HASH_LEN]);

/* GenerateNTResponse (RFC 2759 8.1) from the password hash: the user name
 * is used as given (the caller strips a "DOMAIN\" prefix, 8.2). 0 or -errno. */
int crypto_mschap_nt_response(const uint8_t nt_hash[CRYPTO_MSCHAP_HASH_LEN],
                              const uint8_t auth_chal[CRYPTO_MSCHAP_CHAL_LEN],
                              const uint8_t peer_chal[CRYPTO_MSCHAP_CHAL_LEN],
                              const uint8_t *user, size_t ulen,
                              uint8_t out[CRYPTO_MSCHAP_NT_RESP_LEN]);

/* GenerateAuthenticatorResponse (RFC 2759 8.7): "S=" and 40 hex digits,
 * NUL-terminated into out. 0 or -errno. */
int crypto_mschap_auth_response(const uint8_t nt_hash[CRYPTO_MSCHAP_HASH_LEN],
                                const uint8_t nt_resp[CRYPTO_MSCHAP_NT_RESP_LEN],
                                const uint8_t auth_chal[CRYPTO_MSCHAP_CHAL_LEN],
                                const uint8_t peer_chal[CRYPTO_MSCHAP_CHAL_LEN],
                                const uint8_t *user, size_t ulen,
                                char out[CRYPTO_MSCHAP_AUTH_RESP_LEN + 1]);

/* The MSK of EAP-MSCHAPv2 as Windows and strongSwan make it (RFC 3079
 * 3.3-3.4 with 16-byte keys): MasterReceiveKey | MasterSendKey of the
 * server | 32 zero bytes; the same on both ends. 0 or -errno. */
int crypto_mschap_msk(const uint8_t nt_hash[CRYPTO_MSCHAP_HASH_LEN],
                      const uint8_t nt_resp[CRYPTO_MSCHAP_NT_RESP_LEN],
                      uint8_t msk[CRYPTO_MSCHAP_MSK_LEN]);

#endif
