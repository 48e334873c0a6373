/* crypto/esp_crypto: the algorithm table, key and ICV checks, and the
 * seal/open primitives against published vectors:
 *   RFC 4868 section 2.7.2 (HMAC-SHA-256-128/384-192/512-256),
 *   RFC 7634 Appendix A (ChaCha20-Poly1305 ESP),
 *   draft-mcgrew-gcm-test-01 section 4 (AES-GCM ESP, two with ESN; AES-GMAC),
 *   RFC 3602 section 4 cases 5 and 7 (AES-CBC ESP ciphertext).
 * Whole ESP packets (padding, modes) are checked in test_esp_vectors.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/esp_crypto.h"
#include "util/bytes.h"
#include "hexutil.h"

static struct crypto_esp *new_aead(const char *name, const char *keyhex, unsigned icv)
{
	uint8_t key[64];
	struct crypto_esp_algs a = { 0 };
	struct crypto_esp *c = NULL;
	char err[160];

	a.aead = name;
	a.aead_key = key;
	a.aead_key_len = hx(keyhex, key, sizeof(key));
	a.aead_icv_bits = icv;
	assert_int_equal(crypto_esp_new(&a, &c, err, sizeof(err)), 0);
	return c;
}

static struct crypto_esp *new_enc_auth(const char *enc, const char *ekeyhex,
                                       const char *auth, const uint8_t *akey,
                                       size_t akeylen, unsigned trunc)
{
	uint8_t ekey[64];
	struct crypto_esp_algs a = { 0 };
	struct crypto_esp *c = NULL;
	char err[160];

	a.enc = enc;
	a.enc_key = ekey;
	a.enc_key_len = hx(ekeyhex, ekey, sizeof(ekey));
	a.auth = auth;
	a.auth_key = akey;
	a.auth_key_len = akeylen;
	a.auth_trunc_bits = trunc;
	assert_int_equal(crypto_esp_new(&a, &c, err, sizeof(err)), 0);
	return c;
}

/* RFC 4868 section 2.7.2: with ecb(cipher_null) the ICV is the truncated
 * HMAC over SPI||seq||payload, so a test message split at 8 bytes gives
 * exactly the RFC's authenticator. */
static void check_hmac_vector(const char *auth, const uint8_t *key, size_t keylen,
                              const char *data, size_t datalen, unsigned trunc,
                              const char *expect_hex)
{
	uint8_t expect[64], icv[64], buf[128];
	struct crypto_esp *c = new_enc_auth("ecb(cipher_null)", "", auth, key, keylen, trunc);
	size_t n = hx(expect_hex, expect, sizeof(expect));

	assert_int_equal(n, trunc / 8);
	assert_int_equal(crypto_esp_icv_len(c), trunc / 8);
	assert_int_equal(crypto_esp_iv_len(c), 0);
	assert_true(datalen >= 8 && datalen <= sizeof(buf));
	memcpy(buf, data, datalen);
	assert_int_equal(crypto_esp_seal(c, buf, 0, 0, NULL, buf + 8, datalen - 8, icv), 0);
	assert_memory_equal(icv, expect, n);
	/* and it verifies, and a flipped data bit does not */
	assert_int_equal(crypto_esp_open(c, buf, 0, 0, NULL, buf + 8, datalen - 8, icv), 0);
	buf[datalen - 1] ^= 1;
	assert_int_equal(crypto_esp_open(c, buf, 0, 0, NULL, buf + 8, datalen - 8, icv),
	                 -EBADMSG);
	crypto_esp_free(c);
}

static void test_rfc4868_auth(void **state)
{
	uint8_t k0b[64], kjefe[64], kaa[64], k0120[32];
	uint8_t dd[50], cd[50];

	memset(k0b, 0x0b, sizeof(k0b));
	for (int i = 0; i < 64; i += 4)
		memcpy(kjefe + i, "Jefe", 4);
	memset(kaa, 0xaa, sizeof(kaa));
	for (int i = 0; i < 32; i++)
		k0120[i] = (uint8_t)(i + 1);
	memset(dd, 0xdd, sizeof(dd));
	memset(cd, 0xcd, sizeof(cd));

	/* 2.7.2.1 AUTH256-1..4 */
	check_hmac_vector("hmac(sha256)", k0b, 32, "Hi There", 8, 128,
	                  "198a607eb44bfbc69903a0f1cf2bbdc5");
	check_hmac_vector("hmac(sha256)", kjefe, 32, "what do ya want for nothing?", 28, 128,
	                  "167f928588c5cc2eef8e3093caa0e87c");
	check_hmac_vector("hmac(sha256)", kaa, 32, (const char *)dd, 50, 128,
	                  "cdcb1220d1ecccea91e53aba3092f962");
	check_hmac_vector("hmac(sha256)", k0120, 32, (const char *)cd, 50, 128,
	                  "372efcf9b40b35c2115b1346903d2ef4");
	/* full length (PRF-HMAC-SHA-256 of AUTH256-1) through auth-trunc 256 */
	check_hmac_vector("sha256", k0b, 32, "Hi There", 8, 256,
	                  "198a607eb44bfbc69903a0f1cf2bbdc5"
	                  "ba0aa3f3d9ae3c1c7a3b1696a0b68cf7");
	/* 2.7.2.2 AUTH384-1 */
	check_hmac_vector("hmac(sha384)", k0b, 48, "Hi There", 8, 192,
	                  "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973");
	/* 2.7.2.3 AUTH512-1, AUTH512-2 */
	check_hmac_vector("hmac(sha512)", k0b, 64, "Hi There", 8, 256,
	                  "637edc6e01dce7e6742a99451aae82df"
	                  "23da3e92439e590e43e761b33e910fb8");
	check_hmac_vector("hmac(sha512)", kjefe, 64, "what do ya want for nothing?", 28, 256,
	                  "cb370917ae8a7ce28cfd1d8f4705d614"
	                  "1c173b2a9362c15df235dfb251b15454");
}

/* RFC 7634 Appendix A: SPI 0x01020304, seq 5, IV 1011..17, the 84-byte
 * ICMP packet plus padding 01 02, pad length 2, next header 4. */
static void test_rfc7634_appendix_a(void **state)
{
	uint8_t pt[128], expect[128], icv[16], esph[8], iv[8];
	struct crypto_esp *c = new_aead("rfc7539esp(chacha20,poly1305)",
	                                "808182838485868788898a8b8c8d8e8f"
	                                "909192939495969798999a9b9c9d9e9f a0a1a2a3", 128);
	size_t n = hx("45000054a6f2000040 01e778c6336405c000020508005b7a"
	              "3a080000553bec10000736270809 0a0b0c0d0e0f1011121314151617"
	              "18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334"
	              "353637 01020204", pt, sizeof(pt));
	size_t m = hx("24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef"
	              "407ae5c614ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9"
	              "befe2facc638e8f3cbec163fac469b502773f6fb94e664da9165b828"
	              "29f641e0 76aaa8266b7fb0f7b11b369907e1ad43", expect, sizeof(expect));

	assert_int_equal(n, 88);
	assert_int_equal(m, 88 + 16);
	assert_int_equal(crypto_esp_iv_len(c), 8);
	assert_int_equal(crypto_esp_icv_len(c), 16);
	assert_int_equal(crypto_esp_block_len(c), 4);
	hx("0102030400000005", esph, 8);
	hx("1011121314151617", iv, 8);
	assert_int_equal(crypto_esp_seal(c, esph, 0, 0, iv, pt, n, icv), 0);
	assert_memory_equal(pt, expect, 88);
	assert_memory_equal(icv, expect + 88, 16);
	assert_int_equal(crypto_esp_open(c, esph, 0, 0, iv, pt, n, icv), 0);
	assert_int_equal(pt[0], 0x45);
	crypto_esp_free(c);
}

struct gcm_case {
	const char *key;      /* with salt */
	const char *packet;   /* SPI || seq low || IV || ciphertext || ICV */
	const char *plain;
	uint32_t seq_hi;
	int esn;
};

/* draft-mcgrew-gcm-test-01 section 4 (the salt is the first 4 bytes of
 * the published nonce; packets are SPI..ICV). */
static const struct gcm_case gcm_cases[] = {
	{ /* AES-128, 64-bit (extended) sequence number 0x8765432100000000 */
	  "4c80cdefbb5d10da906ac73c3613a634 2e443b68",
	  "00004321000000004956ed7e3b244cfe"
	  "fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34"
	  "cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce"
	  "61bc17d768fd9732459018148f6cbe722fd04796562dfdb4",
	  "45000048699a000080114db7c0a80102c0a801010a9bf15638d3010000010000"
	  "00000000045f736970045f756470037369700963796265726369747902646b00"
	  "0021000101020201", 0x87654321, 1 },
	{ /* AES-128 */
	  "feffe9928665731c6d6a8f9467308308 cafebabe",
	  "0000a5f80000000afacedbaddecaf888"
	  "deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c"
	  "3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd1"
	  "83b70d3aa8bc6ee4c309e9d85a41ad4a",
	  "4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d00100"
	  "0001000000000000037369700963796265726369747902646b00000100010001", 0, 0 },
	{ /* AES-256 */
	  "abbccddef00112233445566778899aababbccddef00112233445566778899aab 11223344",
	  "4a2cbfe3000000020102030405060708"
	  "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763"
	  "748a637985771d347f0545659f14e99def842d8eb335f4eecfdbf831824b4c49"
	  "15956c96",
	  "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000"
	  "7002400020bf0000020405b40101040201020201", 0, 0 },
	{ /* AES-192 */
	  "feffe9928665731c6d6a8f9467308308feffe9928665731c cafebabe",
	  "0000a5f80000000afacedbaddecaf888"
	  "a5b1f8066029aea40e598b8122de02420938b3ab33f828e687b8858b5bfbdbd0"
	  "315b27452144cc7795457b9652037f5318027b5b4cd7a636",
	  "45000028a4ad4000400678800a01038f0a010612802306b8cb712602dd6bb03e"
	  "501016d075680001", 0, 0 },
	{ /* AES-256, ESN 0xffffffffffffffff */
	  "6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961 7475726e",
	  "796b6963ffffffff333021696765746d"
	  "f97ab2aa356d8edce17644ac8c78e25dd24dedbb29ebf1b64a274b39b49c3a86"
	  "4cd3d78ca4ae68a32b42458fb57dbe821dcc63b9d0937ba2945f669368661a32"
	  "9fb4c053",
	  "45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364"
	  "65666768696a6b6c6d6e6f707172737401020201", 0xffffffff, 1 },
};

static void test_gcm_draft_vectors(void **state)
{
	for (size_t i = 0; i < sizeof(gcm_cases) / sizeof(gcm_cases[0]); i++) {
		const struct gcm_case *t = &gcm_cases[i];
		uint8_t pkt[256], pt[256], buf[256], icv[16];
		size_t plen = hx(t->packet, pkt, sizeof(pkt));
		size_t n = hx(t->plain, pt, sizeof(pt));
		struct crypto_esp *c = new_aead("rfc4106(gcm(aes))", t->key, 128);

		assert_int_equal(plen, 16 + n + 16);
		memcpy(buf, pt, n);
		assert_int_equal(crypto_esp_seal(c, pkt, t->seq_hi, t->esn, pkt + 8, buf, n,
		                                 icv), 0);
		assert_memory_equal(buf, pkt + 16, n);
		assert_memory_equal(icv, pkt + 16 + n, 16);
		/* open the published packet */
		memcpy(buf, pkt + 16, n);
		assert_int_equal(crypto_esp_open(c, pkt, t->seq_hi, t->esn, pkt + 8, buf, n,
		                                 pkt + 16 + n), 0);
		assert_memory_equal(buf, pt, n);
		/* the high sequence bits are authenticated */
		memcpy(buf, pkt + 16, n);
		assert_int_equal(crypto_esp_open(c, pkt, t->seq_hi + 1, 1, pkt + 8, buf, n,
		                                 pkt + 16 + n), -EBADMSG);
		crypto_esp_free(c);
	}
}

/* GCM with the shorter ICVs is GCM with the tag truncated (RFC 4106
 * section 6): the 8 and 12-byte ICVs are prefixes of the 16-byte one. */
static void test_gcm_short_icv(void **state)
{
	const struct gcm_case *t = &gcm_cases[1];
	uint8_t pkt[256], buf[256], icv[16];
	size_t plen = hx(t->packet, pkt, sizeof(pkt)), n = plen - 32;

	for (unsigned bits = 64; bits <= 96; bits += 32) {
		struct crypto_esp *c = new_aead("rfc4106(gcm(aes))", t->key, bits);

		assert_int_equal(crypto_esp_icv_len(c), bits / 8);
		hx(t->plain, buf, sizeof(buf));
		assert_int_equal(crypto_esp_seal(c, pkt, 0, 0, pkt + 8, buf, n, icv), 0);
		assert_memory_equal(icv, pkt + 16 + n, bits / 8);
		memcpy(buf, pkt + 16, n);
		assert_int_equal(crypto_esp_open(c, pkt, 0, 0, pkt + 8, buf, n, pkt + 16 + n), 0);
		crypto_esp_free(c);
	}
}

/* AES-GCM runs through OpenSSL's GCM128 API with our own CTR key stream
 * (esp_crypto.c: gcm_run, gcm_ctr32, which makes it 128 blocks at a
 * time), not EVP's AES-GCM. It must give what a plain one-shot EVP
 * AES-GCM computes for the RFC 4106 nonce and AAD, for every key size,
 * ICV length, with and without ESN, at lengths around block boundaries and
 * the 128-block (2,048-byte) key-stream chunks; open must take the result
 * back and refuse a flipped bit in the data or the ICV. */
static void gcm_reference(const uint8_t *key, size_t klen, const uint8_t salt[4],
                          const uint8_t iv[8], const uint8_t *aad, size_t aadlen,
                          uint8_t *data, size_t len, uint8_t tag[16])
{
	const EVP_CIPHER *ci = klen == 16 ? EVP_aes_128_gcm() :
	                       klen == 24 ? EVP_aes_192_gcm() : EVP_aes_256_gcm();
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	uint8_t nonce[12];
	int outl;

	memcpy(nonce, salt, 4);
	memcpy(nonce + 4, iv, 8);
	assert_non_null(x);
	assert_int_equal(EVP_EncryptInit_ex(x, ci, NULL, key, nonce), 1);
	assert_int_equal(EVP_EncryptUpdate(x, NULL, &outl, aad, (int)aadlen), 1);
	if (len)
		assert_int_equal(EVP_EncryptUpdate(x, data, &outl, data, (int)len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(x, data + len, &outl), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, tag), 1);
	EVP_CIPHER_CTX_free(x);
}

static void test_gcm_vs_evp(void **state)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 60, 64, 255, 1000, 1019, 1020, 1023,
	                               1024, 1025, 1036, 1420, 2047, 2048, 2049, 4000, 4096,
	                               9000 };
	static const size_t klens[] = { 16, 24, 32 };
	static uint8_t data[9100], ref[9100], work[9100];
	uint8_t key[36], esph[8] = { 0x00, 0x00, 0x10, 0x01, 0x00, 0x00, 0x00, 0x07 };
	uint8_t iv[8], icv[16], rtag[16], aad[12];
	struct crypto_esp_algs a = { 0 };
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 5);
	for (size_t k = 0; k < 3; k++) {
		for (unsigned icvbits = 64; icvbits <= 128; icvbits += 32) {
			for (int esn = 0; esn <= 1; esn++) {
				struct crypto_esp *c = NULL;

				a.aead = "rfc4106(gcm(aes))";
				a.aead_key = key;
				a.aead_key_len = klens[k] + 4;
				a.aead_icv_bits = icvbits;
				assert_int_equal(crypto_esp_new(&a, &c, err, sizeof(err)), 0);
				for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
					size_t n = lens[l], aadlen = esn ? 12 : 8;
					uint64_t seq = 7 + l;

					put_be32(esph + 4, (uint32_t)seq);
					assert_int_equal(crypto_esp_iv_next(c, seq, iv), 0);
					memcpy(aad, esph, 4);
					if (esn) {
						put_be32(aad + 4, 0x01020304);
						memcpy(aad + 8, esph + 4, 4);
					} else {
						memcpy(aad + 4, esph + 4, 4);
					}
					memcpy(ref, data, n);
					gcm_reference(key, klens[k], key + klens[k], iv, aad, aadlen, ref,
					              n, rtag);
					memcpy(work, data, n);
					assert_int_equal(crypto_esp_seal(c, esph, 0x01020304, esn, iv, work,
					                                 n, icv), 0);
					assert_memory_equal(work, ref, n);
					assert_memory_equal(icv, rtag, icvbits / 8);
					assert_int_equal(crypto_esp_open(c, esph, 0x01020304, esn, iv, work,
					                                 n, icv), 0);
					assert_memory_equal(work, data, n);
					/* a flipped bit in the data, then in the ICV */
					memcpy(work, ref, n);
					if (n) {
						work[n / 2] ^= 0x20;
						assert_int_equal(crypto_esp_open(c, esph, 0x01020304, esn, iv,
						                                 work, n, icv), -EBADMSG);
					}
					memcpy(work, ref, n);
					icv[icvbits / 8 - 1] ^= 1;
					assert_int_equal(crypto_esp_open(c, esph, 0x01020304, esn, iv, work,
					                                 n, icv), -EBADMSG);
				}
				crypto_esp_free(c);
			}
		}
	}
}

/* RFC 3602 section 4, cases 5 (transport) and 7 (tunnel): the ciphertext
 * byte for byte. The RFC's packets carry no ICV; ours (HMAC-SHA-256-128)
 * is checked against OpenSSL's one-shot HMAC over SPI||seq||IV||ciphertext. */
static void check_cbc_case(const char *key, const char *esph_iv, const char *plain,
                           const char *cipher)
{
	uint8_t akey[32], hdr[24], pt[160], ct[160], icv[16], full[64];
	uint8_t macin[200];
	unsigned int fl = 0;
	struct crypto_esp *c;
	size_t n, m;

	memset(akey, 0x42, sizeof(akey));
	c = new_enc_auth("cbc(aes)", key, "hmac(sha256)", akey, 32, 128);
	assert_int_equal(crypto_esp_iv_len(c), 16);
	assert_int_equal(crypto_esp_block_len(c), 16);
	hx(esph_iv, hdr, sizeof(hdr));
	n = hx(plain, pt, sizeof(pt));
	m = hx(cipher, ct, sizeof(ct));
	assert_int_equal(n, m);
	assert_int_equal(crypto_esp_seal(c, hdr, 0, 0, hdr + 8, pt, n, icv), 0);
	assert_memory_equal(pt, ct, n);
	memcpy(macin, hdr, 24);
	memcpy(macin + 24, ct, n);
	assert_non_null(HMAC(EVP_sha256(), akey, 32, macin, 24 + n, full, &fl));
	assert_memory_equal(icv, full, 16);
	assert_int_equal(crypto_esp_open(c, hdr, 0, 0, hdr + 8, pt, n, icv), 0);
	hx(plain, ct, sizeof(ct));
	assert_memory_equal(pt, ct, n);
	/* not a whole number of blocks */
	assert_int_equal(crypto_esp_seal(c, hdr, 0, 0, hdr + 8, pt, n - 4, icv), -EINVAL);
	crypto_esp_free(c);
}

static void test_rfc3602_cbc(void **state)
{
	check_cbc_case("90d382b410eeba7ad938c46cec1a82bf",
	               "0000432100000001 e96e8c08ab465763fd098d45dd3ff893",
	               "08000ebda70a00008e9c083db95b070008090a0b0c0d0e0f1011121314151617"
	               "18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"
	               "0102030405060708090a0b0c0d0e0e01",
	               "f663c25d325c18c6a9453e194e120849a4870b66cc6b9965330013b4898dc856"
	               "a4699e523a55db080b59ec3a8e4b7e52775b07d1db34ed9c538ab50c551b874a"
	               "a269add047ad2d5913ac19b7cfbad4a6");
	check_cbc_case("0123456789abcdef0123456789abcdef",
	               "0000876500000002 f4e765244f6407adf13dc1380f673f37",
	               "450000540904000040 01f988c0a87b03c0a87bc808009f76a90a0100b49c083d"
	               "02a2040008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
	               "2425262728292a2b2c2d2e2f3031323334353637 0102030405060708090a0a04",
	               "773b5241a4c449225e4f3ce5ed611b0c237ca96cf74a93013c1b0ea1a0cf70f8"
	               "e4ecaec78ac53aad7a0f022b859243c647752e94a859352b8a4d4d2decd136e5"
	               "c177f132ad3fbfb2201ac9904c74ee0a109e0ca1e4dfe9d5a100b842f1c22f0d");
}

/* ESN for HMAC: seq_hi goes after the ciphertext (RFC 4303 2.2.1). */
static void test_hmac_esn(void **state)
{
	uint8_t akey[32], hdr[8] = { 0, 0, 1, 0, 0, 0, 0, 7 }, data[16] = { 1, 2 };
	uint8_t icv[16], full[64], macin[64];
	unsigned int fl;
	struct crypto_esp *c;

	memset(akey, 7, sizeof(akey));
	c = new_enc_auth("cipher_null", "", "hmac(sha256)", akey, 32, 0);
	assert_int_equal(crypto_esp_icv_len(c), 16);
	assert_int_equal(crypto_esp_seal(c, hdr, 0x01020304, 1, NULL, data, 16, icv), 0);
	memcpy(macin, hdr, 8);
	memcpy(macin + 8, data, 16);
	memcpy(macin + 24, "\x01\x02\x03\x04", 4);
	assert_non_null(HMAC(EVP_sha256(), akey, 32, macin, 28, full, &fl));
	assert_memory_equal(icv, full, 16);
	assert_int_equal(crypto_esp_open(c, hdr, 0x01020304, 1, NULL, data, 16, icv), 0);
	assert_int_equal(crypto_esp_open(c, hdr, 0x01020305, 1, NULL, data, 16, icv), -EBADMSG);
	assert_int_equal(crypto_esp_open(c, hdr, 0, 0, NULL, data, 16, icv), -EBADMSG);
	crypto_esp_free(c);
}

/* GMAC (RFC 4543): payload authenticated, left in the clear. */
static void test_gmac(void **state)
{
	struct crypto_esp *c = new_aead("rfc4543(gcm(aes))",
	                                "000102030405060708090a0b0c0d0e0f 01020304", 0);
	uint8_t hdr[8] = { 0, 0, 2, 0, 0, 0, 0, 1 }, iv[8] = { 0 };
	uint8_t data[20], copy[20], icv[16];

	for (int i = 0; i < 20; i++)
		data[i] = (uint8_t)i;
	memcpy(copy, data, 20);
	assert_int_equal(crypto_esp_icv_len(c), 16);
	assert_int_equal(crypto_esp_iv_next(c, 1, iv), 0);
	assert_int_equal(crypto_esp_seal(c, hdr, 0, 0, iv, data, 20, icv), 0);
	assert_memory_equal(data, copy, 20);
	assert_int_equal(crypto_esp_open(c, hdr, 0, 0, iv, data, 20, icv), 0);
	data[19] ^= 0x80;
	assert_int_equal(crypto_esp_open(c, hdr, 0, 0, iv, data, 20, icv), -EBADMSG);
	data[19] ^= 0x80;
	iv[7] ^= 1;   /* the IV is authenticated too */
	assert_int_equal(crypto_esp_open(c, hdr, 0, 0, iv, data, 20, icv), -EBADMSG);
	crypto_esp_free(c);
}

/* draft-mcgrew-gcm-test-01, the AES-GMAC case: AAD = SPI || seq || IV ||
 * plaintext (RFC 4543 section 3.3), nothing encrypted. */
static void test_gmac_draft_vector(void **state)
{
	struct crypto_esp *c = new_aead("rfc4543(gcm(aes))",
	                                "4c80cdefbb5d10da906ac73c3613a634 22433c64", 128);
	uint8_t hdr[8], iv[8] = { 0 }, pt[64], copy[64], icv[16], expect[16];
	size_t n = hx("45000030da3a00008001df3bc0a80005c0a800010800c6cd"
	              "020007006162636465666768696a6b6c6d6e6f7071727374 01020201",
	              pt, sizeof(pt));

	hx("0000432100000007", hdr, 8);
	hx("f2a9a836e155106aa8dcd618e4099aaa", expect, 16);
	memcpy(copy, pt, n);
	assert_int_equal(crypto_esp_seal(c, hdr, 0, 0, iv, pt, n, icv), 0);
	assert_memory_equal(pt, copy, n);
	assert_memory_equal(icv, expect, 16);
	crypto_esp_free(c);
}

static void test_iv_generation(void **state)
{
	uint8_t akey[32] = { 1 }, a[16], b[16], fixed[16];
	struct crypto_esp *g = new_aead("rfc4106(gcm(aes))",
	                                "000102030405060708090a0b0c0d0e0f 01020304", 128);
	struct crypto_esp *c = new_enc_auth("aes", "000102030405060708090a0b0c0d0e0f",
	                                    "sha1", akey, 20, 0);

	assert_int_equal(crypto_esp_icv_len(c), 12);
	/* counter AEAD: the sequence number XOR a per-context mask, so
	 * consecutive numbers give IVs that differ in exactly the bits the
	 * numbers differ in; a second context with the same key gets other
	 * IVs (same key in both directions must not mean same nonces) */
	{
		struct crypto_esp *g2 = new_aead("rfc4106(gcm(aes))",
		                                 "000102030405060708090a0b0c0d0e0f 01020304", 128);
		uint8_t x[8], y[8];

		assert_int_equal(crypto_esp_iv_next(g, 6, a), 0);
		assert_int_equal(crypto_esp_iv_next(g, 7, b), 0);
		assert_int_equal(get_be64(a) ^ get_be64(b), 1);
		assert_int_equal(crypto_esp_iv_next(g, 6, x), 0);
		assert_memory_equal(a, x, 8);
		assert_int_equal(crypto_esp_iv_next(g2, 6, y), 0);
		assert_memory_not_equal(x, y, 8);
		crypto_esp_free(g2);
	}
	/* CBC: unpredictable, different per sequence number */
	assert_int_equal(crypto_esp_iv_next(c, 1, a), 0);
	assert_int_equal(crypto_esp_iv_next(c, 2, b), 0);
	assert_memory_not_equal(a, b, 16);
	memset(b, 0, 16);
	b[7] = 1;
	assert_memory_not_equal(a, b, 16);
	/* test hook */
	memset(fixed, 0x5a, 16);
	crypto_esp_set_test_iv(c, fixed, 16);
	assert_int_equal(crypto_esp_iv_next(c, 9, a), 0);
	assert_memory_equal(a, fixed, 16);
	crypto_esp_set_test_iv(c, NULL, 0);
	assert_int_equal(crypto_esp_iv_next(c, 9, a), 0);
	assert_memory_not_equal(a, fixed, 16);
	crypto_esp_free(g);
	crypto_esp_free(c);
}

struct bad_case {
	const char *aead, *enc, *auth;
	size_t aead_len, enc_len, auth_len;
	unsigned icv, trunc;
	const char *err;
};

static void test_bad_algorithms(void **state)
{
	static const struct bad_case cases[] = {
		{ "gcm(aes)", NULL, NULL, 20, 0, 0, 128, 0,
		  "unknown aead algorithm 'gcm(aes)'" },
		{ "rfc4106(gcm(aes))", NULL, NULL, 16, 0, 0, 128, 0,
		  "key for rfc4106(gcm(aes)) must be 20, 28 or 36 bytes (with salt), got 16" },
		{ "rfc4106(gcm(aes))", NULL, NULL, 20, 0, 0, 32, 0,
		  "ICV of rfc4106(gcm(aes)) must be 64, 96 or 128 bits, got 32" },
		{ "rfc4543(gcm(aes))", NULL, NULL, 20, 0, 0, 64, 0,
		  "ICV of rfc4543(gcm(aes)) must be 128 bits, got 64" },
		{ "rfc7539esp(chacha20,poly1305)", NULL, NULL, 32, 0, 0, 128, 0,
		  "key for rfc7539esp(chacha20,poly1305) must be 36 bytes (with salt), got 32" },
		{ "rfc7539esp(chacha20,poly1305)", NULL, NULL, 36, 0, 0, 96, 0,
		  "ICV of rfc7539esp(chacha20,poly1305) must be 128 bits, got 96" },
		{ "rfc4106(gcm(aes))", "cbc(aes)", NULL, 20, 16, 0, 128, 0,
		  "aead rfc4106(gcm(aes)) cannot be combined with enc or auth" },
		{ NULL, "cbc(aes)", NULL, 0, 16, 0, 0, 0,
		  "enc cbc(aes) needs an auth algorithm" },
		{ NULL, "cbc(aes)", "hmac(md5)", 0, 16, 16, 0, 0,
		  "unknown auth algorithm 'hmac(md5)'" },
		{ NULL, "cbc(aes)", "hmac(sha256)", 0, 20, 32, 0, 0,
		  "key for cbc(aes) must be 16, 24 or 32 bytes, got 20" },
		{ NULL, "cbc(des)", "hmac(sha256)", 0, 8, 32, 0, 0,
		  "unknown enc algorithm 'cbc(des)'" },
		{ NULL, "cbc(aes)", "hmac(sha256)", 0, 16, 32, 0, 264,
		  "truncation of hmac(sha256) must be a multiple of 8 in 96..256 bits, got 264" },
		{ NULL, "cbc(aes)", "hmac(sha1)", 0, 16, 20, 0, 100,
		  "truncation of hmac(sha1) must be a multiple of 8 in 96..160 bits, got 100" },
		{ NULL, "cbc(aes)", "hmac(sha256)", 0, 16, 0, 0, 0,
		  "no key for hmac(sha256)" },
		{ NULL, "ecb(cipher_null)", "hmac(sha256)", 0, 4, 32, 0, 0,
		  "ecb(cipher_null) takes no key, got 4 bytes" },
		{ NULL, NULL, "hmac(sha256)", 0, 0, 32, 0, 0,
		  "auth hmac(sha256) without enc: use enc ecb(cipher_null) for "
		  "authentication only" },
		{ NULL, NULL, NULL, 0, 0, 0, 0, 0,
		  "no algorithm (need aead, or enc and auth)" },
	};
	uint8_t key[64] = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *t = &cases[i];
		struct crypto_esp_algs a = {
			.aead = t->aead, .aead_key = key, .aead_key_len = t->aead_len,
			.aead_icv_bits = t->icv,
			.enc = t->enc, .enc_key = key, .enc_key_len = t->enc_len,
			.auth = t->auth, .auth_key = key, .auth_key_len = t->auth_len,
			.auth_trunc_bits = t->trunc,
		};
		struct crypto_esp *c = (struct crypto_esp *)&a;
		char err[200];

		assert_int_equal(crypto_esp_new(&a, &c, err, sizeof(err)), -EINVAL);
		assert_null(c);
		assert_string_equal(err, t->err);
		/* err may be NULL */
		assert_int_equal(crypto_esp_new(&a, &c, NULL, 0), -EINVAL);
	}
	crypto_esp_free(NULL);
}

/* Every accepted name and key size. */
static const struct { const char *aead, *enc, *auth; size_t klen; unsigned bits; } t[] = {
		{ "rfc4106(gcm(aes))", NULL, NULL, 20, 64 },
		{ "rfc4106(gcm(aes))", NULL, NULL, 28, 96 },
		{ "rfc4106(gcm(aes))", NULL, NULL, 36, 128 },
		{ "rfc4543(gcm(aes))", NULL, NULL, 28, 128 },
		{ "rfc4543(gcm(aes))", NULL, NULL, 36, 128 },
		{ "rfc7539esp(chacha20,poly1305)", NULL, NULL, 36, 128 },
		{ NULL, "cbc(aes)", "hmac(sha1)", 16, 96 },
		{ NULL, "cbc(aes)", "hmac(sha256)", 24, 128 },
		{ NULL, "cbc(aes)", "hmac(sha384)", 32, 192 },
		{ NULL, "aes", "sha512", 32, 256 },
		{ NULL, "ecb(cipher_null)", "hmac(sha512)", 0, 256 },
};
#define NT (sizeof(t) / sizeof(t[0]))

/* A context for t[i] keyed with test_key() (encryption key at 0, HMAC key
 * at 32). */
static const uint8_t *test_key(void)
{
	static uint8_t key[64];

	for (int i = 0; i < 64; i++)
		key[i] = (uint8_t)(i * 7);
	return key;
}

static struct crypto_esp *new_t(size_t i)
{
	const uint8_t *key = test_key();
	struct crypto_esp_algs a = { 0 };
	struct crypto_esp *c = NULL;

	if (t[i].aead) {
		a.aead = t[i].aead; a.aead_key = key; a.aead_key_len = t[i].klen;
		a.aead_icv_bits = t[i].bits;
	} else {
		a.enc = t[i].enc; a.enc_key = key; a.enc_key_len = t[i].klen;
		a.auth = t[i].auth; a.auth_key = key + 32; a.auth_key_len = 32;
		a.auth_trunc_bits = t[i].bits;
	}
	assert_int_equal(crypto_esp_new(&a, &c, NULL, 0), 0);
	return c;
}

/* Every accepted name and key size builds, and round-trips a buffer. */
static void test_all_algorithms_roundtrip(void **state)
{
	uint8_t data[64], orig[64], icv[32], iv[16];
	uint8_t hdr[8] = { 0xc0, 0, 0, 1, 0, 0, 0, 9 };

	for (size_t i = 0; i < NT; i++) {
		struct crypto_esp *c = new_t(i);

		assert_int_equal(crypto_esp_icv_len(c), t[i].bits / 8);
		assert_true(crypto_esp_name(c)[0] != '\0');
		for (int j = 0; j < 64; j++)
			orig[j] = data[j] = (uint8_t)(j ^ 0x55);
		assert_int_equal(crypto_esp_iv_next(c, 9, iv), 0);
		assert_int_equal(crypto_esp_seal(c, hdr, 0, 0, iv, data, 64, icv), 0);
		assert_int_equal(crypto_esp_open(c, hdr, 0, 0, iv, data, 64, icv), 0);
		assert_memory_equal(data, orig, 64);
		/* flip one ICV bit */
		icv[crypto_esp_icv_len(c) - 1] ^= 1;
		assert_int_equal(crypto_esp_open(c, hdr, 0, 0, iv, data, 64, icv), -EBADMSG);
		crypto_esp_free(c);
	}
}

/* CBC-HMAC reference for one packet, straight from OpenSSL: AES-CBC with
 * the IV, then HMAC over SPI||seq||IV||ciphertext[||seq_hi]. */
static void cbc_reference(size_t i, const uint8_t hdr[8], uint32_t seq_hi, int esn,
                          const uint8_t iv[16], uint8_t *data, size_t len,
                          uint8_t *icv)
{
	static const char *const md[] = { "SHA1", "SHA2-256", "SHA2-384", "SHA2-512" };
	const uint8_t *key = test_key();
	uint8_t macin[600], full[64];
	size_t n = 0, m;
	int outl;

	if (strcmp(t[i].enc, "ecb(cipher_null)")) {
		EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
		const EVP_CIPHER *ci = t[i].klen == 16 ? EVP_aes_128_cbc() :
		                       t[i].klen == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();

		assert_non_null(x);
		assert_int_equal(EVP_EncryptInit_ex(x, ci, NULL, key, iv), 1);
		assert_int_equal(EVP_CIPHER_CTX_set_padding(x, 0), 1);
		assert_int_equal(EVP_EncryptUpdate(x, data, &outl, data, (int)len), 1);
		assert_int_equal(outl, (int)len);
		EVP_CIPHER_CTX_free(x);
	}
	memcpy(macin, hdr, 8);
	n = 8;
	if (strcmp(t[i].enc, "ecb(cipher_null)")) {
		memcpy(macin + n, iv, 16);
		n += 16;
	}
	memcpy(macin + n, data, len);
	n += len;
	if (esn) {
		put_be32(macin + n, seq_hi);
		n += 4;
	}
	m = strstr(t[i].auth, "sha1") ? 0 : strstr(t[i].auth, "256") ? 1 :
	    strstr(t[i].auth, "384") ? 2 : 3;
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, md[m], NULL, key + 32, 32,
	                          macin, n, full, sizeof(full), NULL));
	memcpy(icv, full, t[i].bits / 8);
}

/* One context for many packets (as the data path uses it) gives, packet by
 * packet, what a fresh context gives, and for CBC what OpenSSL's plain
 * AES-CBC and HMAC give: the per-packet state that seal and open keep in
 * their OpenSSL contexts (nonce, tag, CBC chaining) carries nothing from
 * one packet into the next. Lengths, sequence numbers and ESN vary; every
 * fifth packet is first opened with a flipped ICV bit (on a copy). */
static void test_same_context_many_packets(void **state)
{
	for (size_t i = 0; i < NT; i++) {
		struct crypto_esp *s = new_t(i), *o = new_t(i);
		unsigned blk = crypto_esp_block_len(s), icvlen = crypto_esp_icv_len(s);

		for (uint32_t p = 0; p < 24; p++) {
			uint8_t hdr[8] = { 0xc0, 0, 0, 1 }, iv[16] = { 0 };
			uint8_t plain[400], data[400], ref[400], bad[400];
			uint8_t icv[32], ricv[32], bicv[32];
			size_t len = 16 * (1 + (p * 5) % 24) + (blk == 4 ? (p % 4) * 4 : 0);
			uint32_t seq_hi = p * 0x01010101u;
			int esn = p % 3 == 1;

			put_be32(hdr + 4, p + 1);
			for (size_t j = 0; j < len; j++)
				plain[j] = (uint8_t)(j * 13 + p);
			memcpy(data, plain, len);
			memcpy(ref, plain, len);
			assert_int_equal(crypto_esp_iv_next(s, p + 1, iv), 0);
			assert_int_equal(crypto_esp_seal(s, hdr, seq_hi, esn, iv, data, len, icv), 0);
			if (t[i].aead) {
				struct crypto_esp *f = new_t(i);

				assert_int_equal(crypto_esp_seal(f, hdr, seq_hi, esn, iv, ref,
				                                 len, ricv), 0);
				crypto_esp_free(f);
			} else {
				cbc_reference(i, hdr, seq_hi, esn, iv, ref, len, ricv);
			}
			assert_memory_equal(data, ref, len);
			assert_memory_equal(icv, ricv, icvlen);
			if (p % 5 == 0) {
				memcpy(bad, data, len);
				memcpy(bicv, icv, icvlen);
				bicv[p % icvlen] ^= 0x10;
				assert_int_equal(crypto_esp_open(o, hdr, seq_hi, esn, iv, bad, len,
				                                 bicv), -EBADMSG);
			}
			assert_int_equal(crypto_esp_open(o, hdr, seq_hi, esn, iv, data, len, icv), 0);
			assert_memory_equal(data, plain, len);
		}
		crypto_esp_free(s);
		crypto_esp_free(o);
	}
}

/* seal with c, check against a fresh context (same keys), open with o */
static void seal_check_open(size_t i, struct crypto_esp *c, struct crypto_esp *o,
                            uint32_t seq)
{
	struct crypto_esp *f = new_t(i);
	uint8_t hdr[8] = { 0xc0, 0, 0, 1 }, iv[16], data[96], ref[96], plain[96];
	uint8_t icv[32], ricv[32];
	unsigned icvlen = crypto_esp_icv_len(c);

	put_be32(hdr + 4, seq);
	for (int j = 0; j < 96; j++)
		plain[j] = data[j] = ref[j] = (uint8_t)(j + seq);
	assert_int_equal(crypto_esp_iv_next(c, seq, iv), 0);
	assert_int_equal(crypto_esp_seal(c, hdr, 0, 0, iv, data, 96, icv), 0);
	assert_int_equal(crypto_esp_seal(f, hdr, 0, 0, iv, ref, 96, ricv), 0);
	assert_memory_equal(data, ref, 96);
	assert_memory_equal(icv, ricv, icvlen);
	assert_int_equal(crypto_esp_open(o, hdr, 0, 0, iv, data, 96, icv), 0);
	assert_memory_equal(data, plain, 96);
	crypto_esp_free(f);
}

/* crypto_esp_dup: same keys and IVs as the original, usable across (seal
 * with one, open with the other), and independent of it once made. */
static void test_dup(void **state)
{
	for (size_t i = 0; i < NT; i++) {
		struct crypto_esp *c = new_t(i), *d = NULL;
		uint8_t a[16], b[16];

		seal_check_open(i, c, c, 1);     /* the original in mid-stream */
		seal_check_open(i, c, c, 2);
		assert_int_equal(crypto_esp_dup(c, &d), 0);
		assert_non_null(d);
		assert_ptr_not_equal(c, d);
		assert_string_equal(crypto_esp_name(c), crypto_esp_name(d));
		assert_int_equal(crypto_esp_icv_len(c), crypto_esp_icv_len(d));
		assert_int_equal(crypto_esp_iv_len(c), crypto_esp_iv_len(d));
		assert_int_equal(crypto_esp_iv_next(c, 77, a), 0);
		assert_int_equal(crypto_esp_iv_next(d, 77, b), 0);
		assert_memory_equal(a, b, crypto_esp_iv_len(c));
		seal_check_open(i, c, d, 3);
		seal_check_open(i, d, c, 4);
		seal_check_open(i, d, d, 5);
		crypto_esp_free(c);                /* d lives on alone */
		seal_check_open(i, d, d, 6);
		crypto_esp_free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4868_auth),
		cmocka_unit_test(test_rfc7634_appendix_a),
		cmocka_unit_test(test_gcm_draft_vectors),
		cmocka_unit_test(test_gcm_short_icv),
		cmocka_unit_test(test_gcm_vs_evp),
		cmocka_unit_test(test_rfc3602_cbc),
		cmocka_unit_test(test_hmac_esn),
		cmocka_unit_test(test_gmac),
		cmocka_unit_test(test_gmac_draft_vector),
		cmocka_unit_test(test_iv_generation),
		cmocka_unit_test(test_bad_algorithms),
		cmocka_unit_test(test_all_algorithms_roundtrip),
		cmocka_unit_test(test_same_context_many_packets),
		cmocka_unit_test(test_dup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
