/* IKEv2 key derivation (RFC 7296 sections 2.14, 2.15, 2.17): SKEYSEED and
 * the seven SK_* keys, CHILD SA keying material, and the octets an AUTH
 * payload covers. Stack copies of secrets are wiped at the common exit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_kdf.h"
#include "ike/ike_sa.h"
#include "util/bytes.h"
#include "util/mem.h"

/* SKEYSEED computed by the caller; {SK_*} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
static int sk_keys(struct ike_sa *sa, const uint8_t *skeyseed, size_t sklen)
{
	uint8_t nn[2 * IKE_NONCE_MAX + 16];
	uint8_t *km = NULL;
	size_t p = crypto_prf_len(sa->prf), a = sa->integ_len, e = sa->enc_len;
	size_t total = 3 * p + 2 * a + 2 * e, n;
	int rc;

	sa->prf_len = p;
	memcpy(nn, sa->ni, sa->ni_len);
	memcpy(nn + sa->ni_len, sa->nr, sa->nr_len);
	n = sa->ni_len + sa->nr_len;
	/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
	 *     = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
	put_be64(nn + n, sa->spi_i);
	put_be64(nn + n + 8, sa->spi_r);
	km = malloc(total);
	if (!km) {
		rc = -ENOMEM;
		goto out;
	}
	rc = crypto_prf_plus(sa->prf, skeyseed, sklen, nn, n + 16, km, total);
	if (rc)
		goto out;
	uint8_t *q = km;
	memcpy(sa->sk_d, q, p); q += p;
	memcpy(sa->sk_ai, q, a); q += a;
	memcpy(sa->sk_ar, q, a); q += a;
	memcpy(sa->sk_ei, q, e); q += e;
	memcpy(sa->sk_er, q, e); q += e;
	memcpy(sa->sk_pi, q, p); q += p;
	memcpy(sa->sk_pr, q, p);
	sa->keys_ready = true;
out:
	mem_free_wipe(km, total);
	mem_wipe(nn, sizeof(nn));
	return rc;
}

int ike_kdf_ike_sa(struct ike_sa *sa, const uint8_t *gir, size_t girlen)
{
	uint8_t nn[2 * IKE_NONCE_MAX];
	uint8_t skeyseed[CRYPTO_PRF_MAX];
	int rc;

	/* SKEYSEED = prf(Ni | Nr, g^ir) */
	memcpy(nn, sa->ni, sa->ni_len);
	memcpy(nn + sa->ni_len, sa->nr, sa->nr_len);
	rc = crypto_prf(sa->prf, nn, sa->ni_len + sa->nr_len, gir, girlen, skeyseed);
	if (!rc)
		rc = sk_keys(sa, skeyseed, crypto_prf_len(sa->prf));
	mem_wipe(skeyseed, sizeof(skeyseed));
	mem_wipe(nn, sizeof(nn));
	return rc;
}

int ike_kdf_ike_sa_rekey(struct ike_sa *sa, const struct ike_sa *old, const uint8_t *gir,
                         size_t girlen)
{
	size_t slen = girlen + sa->ni_len + sa->nr_len;
	uint8_t *seed = malloc(slen);
	uint8_t skeyseed[CRYPTO_PRF_MAX];
	int rc;

	if (!seed)
		return -ENOMEM;
	memcpy(seed, gir, girlen);
	memcpy(seed + girlen, sa->ni, sa->ni_len);
	memcpy(seed + girlen + sa->ni_len, sa->nr, sa->nr_len);
	rc = crypto_prf(old->prf, old->sk_d, old->prf_len, seed, slen, skeyseed);
	if (!rc)
		rc = sk_keys(sa, skeyseed, crypto_prf_len(old->prf));
	mem_wipe(skeyseed, sizeof(skeyseed));
	mem_free_wipe(seed, slen);
	return rc;
}

int ike_kdf_child(const struct ike_sa *sa, const uint8_t *gir, size_t girlen,
                  const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
                  uint8_t *out, size_t len)
{
	size_t slen = girlen + nilen + nrlen;
	uint8_t *seed = malloc(slen ? slen : 1);
	int rc;

	if (!seed)
		return -ENOMEM;
	if (girlen)
		memcpy(seed, gir, girlen);
	memcpy(seed + girlen, ni, nilen);
	memcpy(seed + girlen + nilen, nr, nrlen);
	rc = crypto_prf_plus(sa->prf, sa->sk_d, sa->prf_len, seed, slen, out, len);
	mem_free_wipe(seed, slen);
	return rc;
}

/* RFC 7296 2.15:
 * InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
 * ResponderSignedOctets = RealMessage2 | NonceIData | MACedIDForR
 * MACedIDForX = prf(SK_px, IDx') */
int ike_kdf_auth_octets(const struct ike_sa *sa, bool for_initiator, const uint8_t *id_body,
                        size_t id_len, uint8_t **out, size_t *outlen)
{
	const uint8_t *msg = for_initiator ? sa->init_req : sa->init_resp;
	size_t msglen = for_initiator ? sa->init_req_len : sa->init_resp_len;
	const uint8_t *nonce = for_initiator ? sa->nr : sa->ni;
	size_t nlen = for_initiator ? sa->nr_len : sa->ni_len;
	size_t olen = msglen + nlen + sa->prf_len;
	uint8_t *octets;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (!msg || !sa->keys_ready)
		return -EINVAL;
	octets = malloc(olen);
	if (!octets)
		return -ENOMEM;
	memcpy(octets, msg, msglen);
	memcpy(octets + msglen, nonce, nlen);
	rc = crypto_prf(sa->prf, for_initiator ? sa->sk_pi : sa->sk_pr, sa->prf_len, id_body, id_len,
	                octets + msglen + nlen);
	if (rc) {
		free(octets);
		return rc;
	}
	*out = octets;
	*outlen = olen;
	return 0;
}
