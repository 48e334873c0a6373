/* Diffie-Hellman groups for IKEv2 on OpenSSL 3's EVP_PKEY interfaces.
 * Each struct crypto_dh owns an EVP_PKEY with the private key; EVP frees
 * key material with cleansing. Stack copies of private scalars are wiped. */
#include "crypto/dh.h"

#include <errno.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "crypto/rand.h"
#include "util/mem.h"

struct crypto_dh {
	int group;
	EVP_PKEY *key;
};

static const char *ec_name(int group, int *nid, size_t *coord)
{
	switch (group) {
	case CRYPTO_DH_ECP256: *nid = NID_X9_62_prime256v1; *coord = 32; return "prime256v1";
	case CRYPTO_DH_ECP384: *nid = NID_secp384r1; *coord = 48; return "secp384r1";
	default: return NULL;
	}
}

static const char *modp_name(int group, size_t *plen)
{
	switch (group) {
	case CRYPTO_DH_MODP2048: *plen = 256; return "modp_2048";
	case CRYPTO_DH_MODP3072: *plen = 384; return "modp_3072";
	default: return NULL;
	}
}

int crypto_dh_supported(int group)
{
	return crypto_dh_pub_len(group) != 0;
}

size_t crypto_dh_pub_len(int group)
{
	int nid;
	size_t c;

	if (group == CRYPTO_DH_X25519)
		return 32;
	if (ec_name(group, &nid, &c))
		return 2 * c;
	if (modp_name(group, &c))
		return c;
	return 0;
}

int crypto_dh_group(const struct crypto_dh *dh)
{
	return dh->group;
}

void crypto_dh_free(struct crypto_dh *dh)
{
	if (!dh)
		return;
	EVP_PKEY_free(dh->key);
	mem_free_wipe(dh, sizeof(*dh));
}

/* EC key pair from a scalar: compute the public point, import both. */
static EVP_PKEY *ec_from_priv(int group, const uint8_t *priv, size_t len)
{
	int nid;
	size_t coord;
	const char *name = ec_name(group, &nid, &coord);
	EC_GROUP *g = NULL;
	EC_POINT *pt = NULL;
	BIGNUM *d = NULL;
	uint8_t pub[1 + 2 * 48];
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = NULL;
	EVP_PKEY *key = NULL;

	if (!name || len != coord)
		return NULL;
	g = EC_GROUP_new_by_curve_name(nid);
	d = BN_secure_new();
	pt = g ? EC_POINT_new(g) : NULL;
	if (!g || !d || !pt || !BN_bin2bn(priv, (int)len, d))
		goto out;
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0)
		goto out;
	if (!EC_POINT_mul(g, pt, d, NULL, NULL, NULL))
		goto out;
	if (EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub, 1 + 2 * coord, NULL)
	    != 1 + 2 * coord)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, name, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * coord) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!params || !pc || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &key, EVP_PKEY_KEYPAIR, params) != 1)
		key = NULL;
out:
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return key;
}

struct crypto_dh *crypto_dh_new_priv(int group, const uint8_t *priv, size_t len)
{
	struct crypto_dh *dh;
	EVP_PKEY *key = NULL;

	if (group == CRYPTO_DH_X25519) {
		if (len != 32)
			return NULL;
		key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, len);
	} else {
		key = ec_from_priv(group, priv, len);
	}
	if (!key)
		return NULL;
	dh = mem_zalloc(sizeof(*dh));
	dh->group = group;
	dh->key = key;
	return dh;
}

static EVP_PKEY *modp_keygen(const char *name)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	OSSL_PARAM params[2];
	EVP_PKEY *key = NULL;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!pc || EVP_PKEY_keygen_init(pc) != 1 || EVP_PKEY_CTX_set_params(pc, params) != 1 ||
	    EVP_PKEY_generate(pc, &key) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(pc);
	return key;
}

struct crypto_dh *crypto_dh_new(int group)
{
	uint8_t priv[48];
	struct crypto_dh *dh = NULL;
	size_t plen;
	int nid;
	const char *name;

	if (group == CRYPTO_DH_X25519) {
		if (crypto_rand(priv, 32) == 0)
			dh = crypto_dh_new_priv(group, priv, 32);
	} else if (ec_name(group, &nid, &plen)) {
		/* draw until the scalar is in [1, n-1]; for P-256/P-384 one
		 * draw almost always suffices */
		for (int i = 0; i < 64 && !dh; i++) {
			if (crypto_rand(priv, plen))
				break;
			dh = crypto_dh_new_priv(group, priv, plen);
		}
	} else if ((name = modp_name(group, &plen))) {
		EVP_PKEY *key = modp_keygen(name);
		if (key) {
			dh = mem_zalloc(sizeof(*dh));
			dh->group = group;
			dh->key = key;
		}
	}
	mem_wipe(priv, sizeof(priv));
	return dh;
}

int crypto_dh_public(const struct crypto_dh *dh, uint8_t *out, size_t outmax)
{
	size_t need = crypto_dh_pub_len(dh->group);
	uint8_t pt[1 + 2 * 48];
	size_t len = 0;
	BIGNUM *y = NULL;
	int rc = -EIO;

	if (outmax < need)
		return -ENOSPC;
	if (dh->group == CRYPTO_DH_X25519) {
		len = need;
		if (EVP_PKEY_get_raw_public_key(dh->key, out, &len) == 1 && len == need)
			rc = (int)need;
	} else if (dh->group == CRYPTO_DH_ECP256 || dh->group == CRYPTO_DH_ECP384) {
		/* RFC 5903 section 7: x | y, without the 0x04 prefix */
		if (EVP_PKEY_get_octet_string_param(dh->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
		                                    pt, sizeof(pt), &len) == 1 &&
		    len == need + 1 && pt[0] == 0x04) {
			memcpy(out, pt + 1, need);
			rc = (int)need;
		}
	} else {
		if (EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_PUB_KEY, &y) == 1 &&
		    BN_bn2binpad(y, out, (int)need) == (int)need)
			rc = (int)need;
		BN_free(y);
	}
	return rc;
}

/* Peer key as an EVP_PKEY in our key's group; NULL if invalid. */
static EVP_PKEY *peer_key(const struct crypto_dh *dh, const uint8_t *peer, size_t len)
{
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *pc = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *y = NULL, *p = NULL, *pm1 = NULL;
	uint8_t pt[1 + 2 * 48];
	char gname[64];
	size_t glen = 0;
	int nid;
	size_t coord;

	if (len != crypto_dh_pub_len(dh->group))
		return NULL;
	if (dh->group == CRYPTO_DH_X25519)
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, len);

	if (EVP_PKEY_get_utf8_string_param(dh->key, OSSL_PKEY_PARAM_GROUP_NAME, gname,
	                                   sizeof(gname), &glen) != 1)
		return NULL;
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, gname, 0))
		goto out;
	if (ec_name(dh->group, &nid, &coord)) {
		pt[0] = 0x04;
		memcpy(pt + 1, peer, len);
		if (!OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, len + 1))
			goto out;
		pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	} else {
		/* RFC 7296 / SP 800-56A: 1 < y < p-1 */
		y = BN_bin2bn(peer, (int)len, NULL);
		if (!y || EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_FFC_P, &p) != 1)
			goto out;
		pm1 = BN_dup(p);
		if (!pm1 || !BN_sub_word(pm1, 1))
			goto out;
		if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, pm1) >= 0)
			goto out;
		if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
			goto out;
		pc = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params || !pc || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		pk = NULL;
		goto out;
	}
	/* on-curve check for ECP (fromdata does not guarantee it) */
	EVP_PKEY_CTX_free(pc);
	pc = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	if (!pc || EVP_PKEY_public_check(pc) != 1) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
out:
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(y);
	BN_free(p);
	BN_free(pm1);
	return pk;
}

int crypto_dh_derive(const struct crypto_dh *dh, const uint8_t *peer, size_t peerlen,
                     uint8_t *secret, size_t secretmax)
{
	EVP_PKEY *pk = peer_key(dh, peer, peerlen);
	EVP_PKEY_CTX *c = NULL;
	size_t len = 0, need;
	size_t coord;
	int nid, rc = -EIO;

	if (!pk)
		return -EINVAL;
	if (dh->group == CRYPTO_DH_X25519)
		need = 32;
	else if (ec_name(dh->group, &nid, &coord))
		need = coord;   /* RFC 5903 section 7: the x coordinate */
	else
		need = crypto_dh_pub_len(dh->group);
	if (secretmax < need) {
		rc = -ENOSPC;
		goto out;
	}
	c = EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL);
	if (!c || EVP_PKEY_derive_init(c) != 1)
		goto out;
	if (dh->group == CRYPTO_DH_MODP2048 || dh->group == CRYPTO_DH_MODP3072)
		if (EVP_PKEY_CTX_set_dh_pad(c, 1) != 1)
			goto out;
	if (EVP_PKEY_derive_set_peer(c, pk) != 1) {
		rc = -EINVAL;
		goto out;
	}
	len = secretmax;
	if (EVP_PKEY_derive(c, secret, &len) != 1 || len != need) {
		/* x25519: an all-zero result (small-order point) also fails here */
		mem_wipe(secret, secretmax);
		rc = -EINVAL;
		goto out;
	}
	rc = (int)len;
out:
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(pk);
	return rc;
}
