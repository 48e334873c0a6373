/* esp_output/esp_input against published ESP packets, byte for byte, with
 * the IV fixed through crypto_esp_set_test_iv():
 *   RFC 7634 Appendix A           ChaCha20-Poly1305, tunnel mode
 *   draft-mcgrew-gcm-test-01 s4   AES-GCM, 7 packets incl. three with ESN;
 *                                 their trailers carry next header 1, so
 *                                 they are transport-mode ICMP here;
 *                                 and its AES-GMAC (RFC 4543) packet
 *   RFC 3602 s4 cases 5 and 7     AES-CBC, transport and tunnel (the RFC
 *                                 has no ICV: SPI..ciphertext compared,
 *                                 ICV from hmac(sha256) checked by input) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "esp_test_sa.h"
#include "hexutil.h"

static uint8_t bufmem[PKT_DEFAULT_CAP];

/* A state with explicit algorithms and keys (hex, salt included). */
static void sa_make(struct sad_sa *sa, const char *aead, const char *keyhex,
                    const char *enc, const char *auth, const char *akeyhex,
                    uint32_t spi, int mode, bool esn, const char *src, const char *dst)
{
	uint8_t key[64], akey[64];
	struct crypto_esp_algs a = { 0 };
	char err[128];

	memset(sa, 0, sizeof(*sa));
	if (aead) {
		a.aead = aead;
		a.aead_key = key;
		a.aead_key_len = hx(keyhex, key, sizeof(key));
		a.aead_icv_bits = 128;
	} else {
		a.enc = enc;
		a.enc_key = key;
		a.enc_key_len = hx(keyhex, key, sizeof(key));
		a.auth = auth;
		a.auth_key = akey;
		a.auth_key_len = hx(akeyhex, akey, sizeof(akey));
	}
	assert_int_equal(crypto_esp_new(&a, &sa->crypto, err, sizeof(err)), 0);
	sa->spi = spi;
	sa->proto = IPPROTO_ESP_;
	sa->mode = (uint8_t)mode;
	sa->flags = esn ? SAD_FLAG_ESN : 0;
	assert_int_equal(ip_addr_parse(src, &sa->saddr), 0);
	assert_int_equal(ip_addr_parse(dst, &sa->daddr), 0);
	/* lft all zero: no limits (xfrm_lifetime_cfg_init sets XFRM_INF) */
	assert_true(replay_init(&sa->replay, 64, esn));
}

static void set_iv(struct sad_sa *sa, const char *ivhex)
{
	uint8_t iv[16];
	size_t n = hx(ivhex, iv, sizeof(iv));

	crypto_esp_set_test_iv(sa->crypto, iv, n);
}

static void set_meta(struct pkt *p, const struct sad_sa *sa)
{
	p->meta.family = sa->daddr.family;
	memcpy(p->meta.saddr, sa->saddr.a, 16);
	memcpy(p->meta.daddr, sa->daddr.a, 16);
}

/* RFC 7634 Appendix A. */
static void test_rfc7634(void **state)
{
	struct sad_sa out, in;
	struct pkt p;
	uint8_t inner[128], expect[160];
	size_t ilen = hx("45000054a6f2000040 01e778c6336405c000020508005b7a"
	                 "3a080000553bec10000736270809 0a0b0c0d0e0f1011121314151617"
	                 "18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334"
	                 "353637", inner, sizeof(inner));
	size_t elen = hx("0102030400000005 1011121314151617"
	                 "24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef"
	                 "407ae5c614ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9"
	                 "befe2facc638e8f3cbec163fac469b502773f6fb94e664da9165b828"
	                 "29f641e0 76aaa8266b7fb0f7b11b369907e1ad43", expect, sizeof(expect));
	const char *key = "808182838485868788898a8b8c8d8e8f"
	                  "909192939495969798999a9b9c9d9e9f a0a1a2a3";

	sa_make(&out, "rfc7539esp(chacha20,poly1305)", key, NULL, NULL, NULL, 0x01020304,
	        XFRM_MODE_TUNNEL, false, "203.0.113.153", "203.0.113.5");
	sa_make(&in, "rfc7539esp(chacha20,poly1305)", key, NULL, NULL, NULL, 0x01020304,
	        XFRM_MODE_TUNNEL, false, "203.0.113.153", "203.0.113.5");
	out.oseq = 4;
	set_iv(&out, "1011121314151617");
	pkt_init(&p, bufmem, sizeof(bufmem), PKT_HEADROOM);
	assert_true(pkt_set(&p, inner, (uint32_t)ilen));
	assert_int_equal(esp_output(&out, &p), DROP_NONE);
	assert_int_equal(p.len, elen);
	assert_memory_equal(pkt_data(&p), expect, elen);
	assert_int_equal(p.meta.family, AF_INET);
	assert_memory_equal(p.meta.daddr, "\xcb\x00\x71\x05", 4);
	assert_int_equal(out.oseq, 5);

	/* and back, from the published bytes */
	pkt_init(&p, bufmem, sizeof(bufmem), PKT_HEADROOM);
	assert_true(pkt_set(&p, expect, (uint32_t)elen));
	set_meta(&p, &in);
	assert_int_equal(esp_input(&in, &p), DROP_NONE);
	assert_int_equal(p.len, ilen);
	assert_memory_equal(pkt_data(&p), inner, ilen);
	assert_int_equal(in.replay.top, 5);
	assert_int_equal(in.stats.in_packets, 1);
	assert_int_equal(in.curlft.bytes, ilen);
	crypto_esp_free(out.crypto);
	crypto_esp_free(in.crypto);
}

struct gcm_pkt {
	const char *key;      /* with salt */
	uint64_t seq;
	bool esn;
	const char *packet;   /* SPI..ICV */
	const char *plain;    /* payload || padding || pad length || next header */
};

/* draft-mcgrew-gcm-test-01 section 4. */
static const struct gcm_pkt gcm_pkts[] = {
	{ "4c80cdefbb5d10da906ac73c3613a634 2e443b68", 0x8765432100000000ull, true,
	  "00004321000000004956ed7e3b244cfe"
	  "fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34"
	  "cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce"
	  "61bc17d768fd9732459018148f6cbe722fd04796562dfdb4",
	  "45000048699a000080114db7c0a80102c0a801010a9bf15638d3010000010000"
	  "00000000045f736970045f756470037369700963796265726369747902646b00"
	  "0021000101020201" },
	{ "feffe9928665731c6d6a8f9467308308 cafebabe", 0x0a, false,
	  "0000a5f80000000afacedbaddecaf888"
	  "deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c"
	  "3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd1"
	  "83b70d3aa8bc6ee4c309e9d85a41ad4a",
	  "4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d00100"
	  "0001000000000000037369700963796265726369747902646b00000100010001" },
	{ "abbccddef00112233445566778899aababbccddef00112233445566778899aab 11223344",
	  0x02, false,
	  "4a2cbfe3000000020102030405060708"
	  "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763"
	  "748a637985771d347f0545659f14e99def842d8eb335f4eecfdbf831824b4c49"
	  "15956c96",
	  "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000"
	  "7002400020bf0000020405b40101040201020201" },
	{ "00000000000000000000000000000000 00000000", 0x01, false,
	  "00000000000000010000000000000000"
	  "4688daf2f973a392732909c331d56d60f694abaa414b5e7ff5fdcdfff5e9a284"
	  "456476492719ffb64de7d9dca1e1d894bc3bd57873ed4d181d19d4d5c8c18af3"
	  "f821d496eeb096e98ad2b69e4799c71d",
	  "4500003c99c500008001cb7a40679318010101010800075c0200440061626364"
	  "65666768696a6b6c6d6e6f707172737475767761626364656667686901020201" },
	{ "3de09874b388e6491988d0c3607eae1f 57690e43", 0x1010101010101010ull, true,
	  "42f67e3f101010104e280000a2fca1a3"
	  "fba2caa4853cf9f0f22cb10d86dd83b0fec75691cf1a04b00d1138ec9c357917"
	  "65acbd8701ad79845bf9fe3fba487bc91755e6662b4c8d0d1f5e22739530320a"
	  "e0d731cc978ecafaeae88f00e80d6e48",
	  "4500003c99c300008001cb7c40679318010101010800085c0200430061626364"
	  "65666768696a6b6c6d6e6f707172737475767761626364656667686901020201" },
	{ "7d773d00c144c525ac619d18c84a3f47 d9664267", 0xffffffff, false,
	  "335467aeffffffff43457e9182443bc6"
	  "437f866bcb3f699fe9b0822bac961c4504bef270",
	  "01020201" },
	{ "6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961 7475726e",
	  0xffffffffffffffffull, true,
	  "796b6963ffffffff333021696765746d"
	  "f97ab2aa356d8edce17644ac8c78e25dd24dedbb29ebf1b64a274b39b49c3a86"
	  "4cd3d78ca4ae68a32b42458fb57dbe821dcc63b9d0937ba2945f669368661a32"
	  "9fb4c053",
	  "45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364"
	  "65666768696a6b6c6d6e6f707172737401020201" },
};

static void test_gcm_draft_packets(void **state)
{
	for (size_t k = 0; k < sizeof(gcm_pkts) / sizeof(gcm_pkts[0]); k++) {
		const struct gcm_pkt *t = &gcm_pkts[k];
		uint8_t pkt[256], plain[256], ipbuf[300];
		size_t plen = hx(t->packet, pkt, sizeof(pkt));
		size_t n = hx(t->plain, plain, sizeof(plain));
		uint32_t payload = (uint32_t)(n - 2 - plain[n - 2]);
		struct sad_sa out, in;
		struct pkt p;
		uint32_t iplen;

		print_message("gcm packet %zu\n", k);
		assert_int_equal(plain[n - 1], 1);   /* next header: ICMP */
		sa_make(&out, "rfc4106(gcm(aes))", t->key, NULL, NULL, NULL, get_be32(pkt),
		        XFRM_MODE_TRANSPORT, t->esn, "192.0.2.1", "192.0.2.2");
		sa_make(&in, "rfc4106(gcm(aes))", t->key, NULL, NULL, NULL, get_be32(pkt),
		        XFRM_MODE_TRANSPORT, t->esn, "192.0.2.1", "192.0.2.2");
		out.oseq = t->seq - 1;
		crypto_esp_set_test_iv(out.crypto, pkt + 8, 8);

		/* output: an IPv4 packet (protocol 1) whose payload is the
		 * plaintext without the ESP trailer */
		iplen = test_inner_packet(ipbuf, AF_INET, payload, out.saddr.a, out.daddr.a, 0);
		memcpy(ipbuf + IP4_HDR_LEN, plain, payload);
		ipbuf[9] = IP_PROTO_ICMP;
		ipbuf[10] = ipbuf[11] = 0;
		put_be16(ipbuf + 10, ip_csum(ipbuf, IP4_HDR_LEN));
		pkt_init(&p, bufmem, sizeof(bufmem), PKT_HEADROOM);
		assert_true(pkt_set(&p, ipbuf, iplen));
		assert_int_equal(esp_output(&out, &p), DROP_NONE);
		assert_int_equal(p.len, plen);
		assert_memory_equal(pkt_data(&p), pkt, plen);
		assert_int_equal(out.oseq, t->seq);

		/* input of the published packet rebuilds the same IPv4 packet */
		if (t->esn)
			replay_set_top(&in.replay, t->seq - 1);
		pkt_init(&p, bufmem, sizeof(bufmem), PKT_HEADROOM);
		assert_true(pkt_set(&p, pkt, (uint32_t)plen));
		set_meta(&p, &in);
		assert_int_equal(esp_input(&in, &p), DROP_NONE);
		assert_int_equal(p.len, iplen);
		assert_memory_equal(pkt_data(&p), ipbuf, iplen);
		assert_int_equal(in.replay.top, t->seq);
		crypto_esp_free(out.crypto);
		crypto_esp_free(in.crypto);
	}
}

/* draft-mcgrew-gcm-test-01: the AES-GMAC (RFC 4543) packet: SPI 0x4321,
 * seq 7, IV 0, the payload in the clear followed by the 16-byte ICV. */
static void test_gmac_draft_packet(void **state)
{
	static const char *key = "4c80cdefbb5d10da906ac73c3613a634 22433c64";
	static const char *plain = "45000030da3a00008001df3bc0a80005c0a800010800c6cd"
	                           "020007006162636465666768696a6b6c6d6e6f7071727374"
	                           "01020201";
	uint8_t pt[64], expect[128], ipbuf[128];
	size_t n = hx(plain, pt, sizeof(pt));
	size_t elen = hx("0000432100000007 0000000000000000", expect, sizeof(expect));
	struct sad_sa out, in;
	struct pkt p;
	uint32_t payload = (uint32_t)(n - 4), iplen;

	memcpy(expect + elen, pt, n);
	elen += n + hx("f2a9a836e155106aa8dcd618e4099aaa", expect + elen + n, 16);
	sa_make(&out, "rfc4543(gcm(aes))", key, NULL, NULL, NULL, 0x4321,
	        XFRM_MODE_TRANSPORT, false, "192.0.2.1", "192.0.2.2");
	sa_make(&in, "rfc4543(gcm(aes))", key, NULL, NULL, NULL, 0x4321,
	        XFRM_MODE_TRANSPORT, false, "192.0.2.1", "192.0.2.2");
	out.oseq = 6;
	set_iv(&out, "0000000000000000");
	iplen = test_inner_packet(ipbuf, AF_INET, payload, out.saddr.a, out.daddr.a, 0);
	memcpy(ipbuf + IP4_HDR_LEN, pt, payload);
	ipbuf[9] = IP_PROTO_ICMP;
	ipbuf[10] = ipbuf[11] = 0;
	put_be16(ipbuf + 10, ip_csum(ipbuf, IP4_HDR_LEN));
	pkt_init(&p, bufmem, sizeof(bufmem), PKT_HEADROOM);
	assert_true(pkt_set(&p, ipbuf, iplen));
	assert_int_equal(esp_output(&out, &p), DROP_NONE);
	assert_int_equal(p.len, elen);
	assert_memory_equal(pkt_data(&p), expect, elen);

	pkt_init(&p, bufmem, sizeof(bufmem), PKT_HEADROOM);
	assert_true(pkt_set(&p, expect, (uint32_t)elen));
	set_meta(&p, &in);
	assert_int_equal(esp_input(&in, &p), DROP_NONE);
	assert_int_equal(p.len, iplen);
	assert_memory_equal(pkt_data(&p), ipbuf, iplen);
	/* again: a replay; and with a fresh window and one payload bit
	 * flipped (it is in the clear, but authenticated): auth-failed */
	pkt_init(&p, bufmem, sizeof(bufmem), PKT_HEADROOM);
	assert_true(pkt_set(&p, expect, (uint32_t)elen));
	set_meta(&p, &in);
	assert_int_equal(esp_input(&in, &p), DROP_REPLAY);
	assert_true(replay_init(&in.replay, 64, false));
	expect[30] ^= 1;
	pkt_init(&p, bufmem, sizeof(bufmem), PKT_HEADROOM);
	assert_true(pkt_set(&p, expect, (uint32_t)elen));
	set_meta(&p, &in);
	assert_int_equal(esp_input(&in, &p), DROP_AUTH_FAILED);
	crypto_esp_free(out.crypto);
	crypto_esp_free(in.crypto);
}

/* RFC 3602 section 4 case 5 (transport) and case 7 (tunnel). */
static void check_cbc(const char *key, uint32_t spi, uint64_t seq, int mode,
                      const char *src, const char *dst, const char *iv,
                      const char *packet, const char *esp_prefix)
{
	static const char *akey = "000102030405060708090a0b0c0d0e0f"
	                          "101112131415161718191a1b1c1d1e1f";
	uint8_t ip[200], expect[200], saved[300];
	size_t iplen = hx(packet, ip, sizeof(ip));
	size_t elen = hx(esp_prefix, expect, sizeof(expect));
	struct sad_sa out, in;
	struct pkt p;
	uint32_t esplen;

	sa_make(&out, NULL, key, "cbc(aes)", "hmac(sha256)", akey, spi, mode, false, src, dst);
	sa_make(&in, NULL, key, "cbc(aes)", "hmac(sha256)", akey, spi, mode, false, src, dst);
	out.oseq = seq - 1;
	set_iv(&out, iv);
	pkt_init(&p, bufmem, sizeof(bufmem), PKT_HEADROOM);
	assert_true(pkt_set(&p, ip, (uint32_t)iplen));
	assert_int_equal(esp_output(&out, &p), DROP_NONE);
	assert_int_equal(p.len, elen + 16);
	assert_memory_equal(pkt_data(&p), expect, elen);
	esplen = p.len;
	memcpy(saved, pkt_data(&p), esplen);

	set_meta(&p, &in);
	assert_int_equal(esp_input(&in, &p), DROP_NONE);
	if (mode == XFRM_MODE_TUNNEL) {
		assert_int_equal(p.len, iplen);
		assert_memory_equal(pkt_data(&p), ip, iplen);
	} else {
		/* same payload and protocol; the header is rebuilt */
		assert_int_equal(p.len, iplen);
		assert_int_equal(pkt_data(&p)[9], ip[9]);
		assert_memory_equal(pkt_data(&p) + 12, ip + 12, 8);
		assert_memory_equal(pkt_data(&p) + 20, ip + 20, iplen - 20);
		assert_int_equal(ip_csum(pkt_data(&p), 20), 0);
	}
	/* a second time it is a replay */
	pkt_init(&p, bufmem, sizeof(bufmem), PKT_HEADROOM);
	assert_true(pkt_set(&p, saved, esplen));
	set_meta(&p, &in);
	assert_int_equal(esp_input(&in, &p), DROP_REPLAY);
	crypto_esp_free(out.crypto);
	crypto_esp_free(in.crypto);
}

static void test_rfc3602(void **state)
{
	check_cbc("90d382b410eeba7ad938c46cec1a82bf", 0x4321, 1, XFRM_MODE_TRANSPORT,
	          "192.168.123.3", "192.168.123.100", "e96e8c08ab465763fd098d45dd3ff893",
	          "4500005408f200004001f9fec0a87b03c0a87b64"
	          "08000ebda70a00008e9c083db95b070008090a0b0c0d0e0f1011121314151617"
	          "18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637",
	          "0000432100000001 e96e8c08ab465763fd098d45dd3ff893"
	          "f663c25d325c18c6a9453e194e120849a4870b66cc6b9965330013b4898dc856"
	          "a4699e523a55db080b59ec3a8e4b7e52775b07d1db34ed9c538ab50c551b874a"
	          "a269add047ad2d5913ac19b7cfbad4a6");
	check_cbc("0123456789abcdef0123456789abcdef", 0x8765, 2, XFRM_MODE_TUNNEL,
	          "192.168.123.3", "192.168.123.200", "f4e765244f6407adf13dc1380f673f37",
	          "450000540904000040 01f988c0a87b03c0a87bc808009f76a90a0100b49c083d"
	          "02a2040008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
	          "2425262728292a2b2c2d2e2f3031323334353637",
	          "0000876500000002 f4e765244f6407adf13dc1380f673f37"
	          "773b5241a4c449225e4f3ce5ed611b0c237ca96cf74a93013c1b0ea1a0cf70f8"
	          "e4ecaec78ac53aad7a0f022b859243c647752e94a859352b8a4d4d2decd136e5"
	          "c177f132ad3fbfb2201ac9904c74ee0a109e0ca1e4dfe9d5a100b842f1c22f0d");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7634),
		cmocka_unit_test(test_gcm_draft_packets),
		cmocka_unit_test(test_rfc3602),
		cmocka_unit_test(test_gmac_draft_packet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
