/* IKE message and payload parsing, proposals, traffic selectors and the
 * responder's handling of bad IKE_SA_INIT requests (no SAD needed: no
 * CHILD SA is created). Bad input must give an error or a counted drop,
 * never a crash or an out-of-bounds read (run under ASan). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/dh.h"
#include "crypto/ike_cipher.h"
#include "crypto/prf.h"
#include "ike/ike.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_proposal.h"
#include "ike/ike_proto.h"
#include "util/bytes.h"
#include "util/log.h"

static void test_proposal_parse(void **state)
{
	struct ike_proposals ps;
	char err[256], buf[512];

	assert_int_equal(ike_proposals_parse("aes256-sha256-modp2048", IKE_PROTO_IKE, &ps, err,
	                                     sizeof(err)), 0);
	assert_int_equal(ps.n, 1);
	/* the integrity algorithm implies the PRF, as in strongSwan */
	assert_string_equal(ike_proposal_fmt(&ps.p[0], buf, sizeof(buf)),
	                    "aes256-sha256-prfsha256-modp2048");
	assert_int_equal(ike_proposals_parse("aes128gcm16-prfsha256-x25519, "
	                                     "chacha20poly1305-prfsha256-ecp256", IKE_PROTO_IKE, &ps,
	                                     err, sizeof(err)), 0);
	assert_int_equal(ps.n, 2);
	assert_int_equal(ike_proposal_get(&ps.p[1], IKE_TRANS_ENCR, NULL), 28);
	assert_int_equal(ike_proposal_get(&ps.p[1], IKE_TRANS_DH, NULL), 19);
	/* ESP: noesn is implied, PFS group kept */
	assert_int_equal(ike_proposals_parse("aes128gcm16-modp2048", IKE_PROTO_ESP, &ps, err,
	                                     sizeof(err)), 0);
	assert_true(ike_proposal_has(&ps.p[0], IKE_TRANS_ESN, 0));
	assert_true(ike_proposal_has(&ps.p[0], IKE_TRANS_DH, 14));
	assert_string_equal(ike_proposal_fmt(&ps.p[0], buf, sizeof(buf)), "aes128gcm16-modp2048-noesn");
	assert_int_equal(ike_proposals_parse("aes256-sha256-esn-noesn", IKE_PROTO_ESP, &ps, err,
	                                     sizeof(err)), 0);

	static const char *const bad_ike[] = {
		"aes129-sha256-modp2048",           /* unknown */
		"aes256gcm16-x25519",               /* AEAD needs a PRF */
		"aes256-modp2048",                  /* no integrity */
		"aes256-sha256",                    /* no key exchange */
		"aes256-aes128gcm16-sha256-prfsha256-x25519",   /* mixed */
		"3des-sha1-modp1024",               /* known but unsupported */
		"aes256-sha256-modp2048-esn",
		"",
		"aes256--sha256",
	};
	for (size_t i = 0; i < sizeof(bad_ike) / sizeof(bad_ike[0]); i++) {
		err[0] = 0;
		assert_int_equal(ike_proposals_parse(bad_ike[i], IKE_PROTO_IKE, &ps, err, sizeof(err)),
		                 -EINVAL);
		assert_true(err[0] != 0);
	}
	assert_int_equal(ike_proposals_parse("aes128gcm16-sha256", IKE_PROTO_ESP, &ps, err,
	                                     sizeof(err)), -EINVAL);
	assert_int_equal(ike_proposals_parse("aes128gcm16-prfsha256", IKE_PROTO_ESP, &ps, err,
	                                     sizeof(err)), -EINVAL);
}

static void test_proposal_select(void **state)
{
	struct ike_proposals ours, theirs;
	struct ike_proposal c;
	char err[128], buf[256];

	ike_proposals_parse("aes256gcm16-prfsha256-x25519, aes128-sha256-modp2048", IKE_PROTO_IKE,
	                    &ours, err, sizeof(err));
	ike_proposals_parse("aes128-aes256-sha1-sha256-modp1024-modp2048", IKE_PROTO_IKE, &theirs,
	                    err, sizeof(err));
	/* theirs failed to parse (sha1/modp1024 unsupported in config) */
	memset(&theirs, 0, sizeof(theirs));
	theirs.n = 1;
	theirs.p[0] = (struct ike_proposal){ .num = 1, .protocol = IKE_PROTO_IKE, .ntrans = 6,
		.trans = { { 1, 12, 256 }, { 1, 12, 128 }, { 3, 2, 0 }, { 3, 12, 0 }, { 2, 5, 0 },
		           { 4, 14, 0 } } };
	assert_true(ike_proposal_select(&ours, &theirs, false, &c));
	assert_string_equal(ike_proposal_fmt(&c, buf, sizeof(buf)), "aes128-sha256-prfsha256-modp2048");
	/* no DH in common */
	theirs.p[0].trans[5].id = 2;
	assert_false(ike_proposal_select(&ours, &theirs, false, &c));
	/* ... unless DH is ignored (IKE_AUTH's first CHILD SA) */
	ike_proposals_parse("aes128gcm16-x25519", IKE_PROTO_ESP, &ours, err, sizeof(err));
	ike_proposals_parse("aes128gcm16", IKE_PROTO_ESP, &theirs, err, sizeof(err));
	assert_false(ike_proposal_select(&ours, &theirs, false, &c));
	assert_true(ike_proposal_select(&ours, &theirs, true, &c));
	/* ESN: we insist on esn, they only offer noesn */
	ike_proposals_parse("aes128gcm16-esn", IKE_PROTO_ESP, &ours, err, sizeof(err));
	assert_false(ike_proposal_select(&ours, &theirs, true, &c));
}

/* theirs as the peer would send it: an SA payload written and parsed
 * again, so that what ike_pld_sa_parse records is what is checked. */
static void sa_wire(const struct ike_proposals *in, struct ike_proposals *out)
{
	struct ike_hdr h = { .spi_i = 1, .exchange = IKE_SA_INIT, .flags = IKE_FLAG_INITIATOR };
	struct ike_mb mb;
	struct ike_msg m;

	ike_mb_init(&mb, &h);
	ike_pld_sa_put(&mb, in, false);
	assert_int_equal(ike_mb_finish(&mb, NULL), 0);
	assert_int_equal(ike_msg_parse(mb.p, mb.len, &m), 0);
	const struct ike_pld *p = ike_msg_find(&m, IKE_PLD_SA);
	assert_non_null(p);
	assert_int_equal(ike_pld_sa_parse(p->body, p->len, out), 0);
	ike_mb_free(&mb);
}

static void add_transform(struct ike_proposal *p, uint8_t type, uint16_t id)
{
	assert_true(p->ntrans < IKE_PROP_MAX_TRANS);
	p->trans[p->ntrans++] = (struct ike_transform){ type, id, 0 };
}

/* RFC 7296 3.3.6: a proposal holding a transform type the responder does
 * not know is unacceptable as a whole; another proposal of the same SA
 * payload may still be chosen. Types 1-5 are IKEv2's own; 0 is reserved,
 * 6-12 are RFC 9370's additional key exchanges (not known here, nor to
 * strongSwan 5.9.8), the rest unassigned. A known type with an unknown
 * transform ID only makes that transform unacceptable. */
static void test_proposal_unknown_type(void **state)
{
	static const uint8_t unknown[] = { 0, 6, 7, 12, 13, 255 };
	struct ike_proposals ours, sent, theirs;
	struct ike_proposal c;
	char err[128], buf[256];

	assert_int_equal(ike_proposals_parse("aes256gcm16-prfsha256-x25519, aes128-sha256-modp2048",
	                                     IKE_PROTO_IKE, &ours, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(unknown); i++) {
		/* alone: nothing is acceptable (NO_PROPOSAL_CHOSEN) */
		ike_proposals_parse("aes256gcm16-prfsha256-x25519", IKE_PROTO_IKE, &sent, err,
		                    sizeof(err));
		add_transform(&sent.p[0], unknown[i], 1);
		sa_wire(&sent, &theirs);
		assert_true(theirs.p[0].unknown_type);
		assert_int_equal(theirs.p[0].unknown_type_id, unknown[i]);
		assert_false(ike_proposal_select(&ours, &theirs, false, &c));
		/* ... and shown in the log line of the refusal */
		snprintf(err, sizeof(err), "TYPE%u_1", unknown[i]);
		assert_non_null(strstr(ike_proposals_fmt(&theirs, buf, sizeof(buf)), err));
		/* first proposal spoilt, second good: the second is chosen */
		ike_proposals_parse("aes256gcm16-prfsha256-x25519, aes128-sha256-modp2048",
		                    IKE_PROTO_IKE, &sent, err, sizeof(err));
		add_transform(&sent.p[0], unknown[i], 0);
		sa_wire(&sent, &theirs);
		assert_true(theirs.p[0].unknown_type);
		assert_false(theirs.p[1].unknown_type);
		assert_true(ike_proposal_select(&ours, &theirs, false, &c));
		assert_int_equal(c.num, 2);
		assert_string_equal(ike_proposal_fmt(&c, buf, sizeof(buf)),
		                    "aes128-sha256-prfsha256-modp2048");
	}
	/* an unknown transform ID of a known type is one unacceptable
	 * transform among others: the proposal stays */
	ike_proposals_parse("aes256gcm16-prfsha256-x25519", IKE_PROTO_IKE, &sent, err, sizeof(err));
	add_transform(&sent.p[0], IKE_TRANS_ENCR, 1024);
	add_transform(&sent.p[0], IKE_TRANS_DH, 999);
	sa_wire(&sent, &theirs);
	assert_false(theirs.p[0].unknown_type);
	assert_true(ike_proposal_select(&ours, &theirs, false, &c));
	assert_int_equal(c.num, 1);
	/* the same rules for ESP (IKE_AUTH, CREATE_CHILD_SA) */
	ike_proposals_parse("aes128gcm16", IKE_PROTO_ESP, &ours, err, sizeof(err));
	ike_proposals_parse("aes128gcm16, aes128gcm16", IKE_PROTO_ESP, &sent, err, sizeof(err));
	sent.p[0].spi_len = sent.p[1].spi_len = 4;
	add_transform(&sent.p[0], 7, 3);
	sa_wire(&sent, &theirs);
	assert_true(ike_proposal_select(&ours, &theirs, true, &c));
	assert_int_equal(c.num, 2);
	theirs.n = 1;
	assert_false(ike_proposal_select(&ours, &theirs, true, &c));
}

static void test_ts(void **state)
{
	struct ike_ts a, b, c;
	char buf[128];

	assert_int_equal(ike_ts_parse("10.1.0.0/16", &a), 0);
	assert_int_equal(ike_ts_parse("10.1.2.0/24[tcp/80]", &b), 0);
	assert_true(ike_ts_intersect(&a, &b, &c));
	assert_string_equal(ike_ts_fmt(&c, buf, sizeof(buf)), "10.1.2.0/24[6/80]");
	assert_int_equal(ike_ts_parse("10.2.0.0/16", &b), 0);
	assert_false(ike_ts_intersect(&a, &b, &c));
	assert_int_equal(ike_ts_parse("2001:db8::/32", &b), 0);
	assert_false(ike_ts_intersect(&a, &b, &c));
	assert_int_equal(ike_ts_parse("10.1.0.0/33", &b), -EINVAL);
	assert_int_equal(ike_ts_parse("10.1.0.0/24[tcp/90-80]", &b), -EINVAL);
	assert_int_equal(ike_ts_parse("10.1.0.0/24[tcp", &b), -EINVAL);

	struct ike_id id;
	assert_int_equal(ike_id_parse("gw.example.org", &id), 0);
	assert_int_equal(id.type, IKE_ID_FQDN);
	assert_int_equal(ike_id_parse("@#0a0b", &id), 0);
	assert_int_equal(id.type, IKE_ID_KEY_ID);
	/* printed as strongSwan's %Y prints a binary key ID */
	assert_string_equal(ike_id_fmt(&id, buf, sizeof(buf)), "0a:0b");
	/* a DN as strongSwan writes it, DER on the wire, matched with wildcards */
	struct ike_id dn, pat;
	assert_int_equal(ike_id_parse("C=CH, O=strongSwan, CN=moon.strongswan.org", &dn), 0);
	assert_int_equal(dn.type, IKE_ID_DER_ASN1_DN);
	assert_int_equal(dn.data[0], 0x30);
	assert_string_equal(ike_id_fmt(&dn, buf, sizeof(buf)), "C=CH, O=strongSwan, CN=moon.strongswan.org");
	assert_int_equal(ike_id_parse("C=CH, O=strongSwan, CN=*", &pat), 0);
	assert_true(ike_id_has_wildcards(&pat));
	assert_false(ike_id_has_wildcards(&dn));
	assert_int_equal(ike_id_match(&dn, &pat), 19);
	assert_int_equal(ike_id_match(&dn, &dn), 20);
	assert_int_equal(ike_id_match(&pat, &dn), 0);
	memset(&pat, 0, sizeof(pat));
	assert_int_equal(ike_id_match(&dn, &pat), 1);   /* %any */
	/* an ID payload with a DN must hold one well-formed Name */
	uint8_t body[4 + IKE_ID_MAX];
	body[0] = IKE_ID_DER_ASN1_DN;
	body[1] = body[2] = body[3] = 0;
	memcpy(body + 4, dn.data, dn.len);
	assert_int_equal(ike_pld_id_parse(body, 4 + dn.len, &pat), 0);
	assert_true(ike_id_equal(&pat, &dn));
	assert_int_equal(ike_pld_id_parse(body, 4 + dn.len - 1, &pat), -EBADMSG);
	body[4] = 0x31;
	assert_int_equal(ike_pld_id_parse(body, 4 + dn.len, &pat), -EBADMSG);
	assert_int_equal(ike_id_parse("me@example.org", &id), 0);
	assert_int_equal(id.type, IKE_ID_RFC822_ADDR);
	assert_int_equal(ike_id_parse("2001:db8::1", &id), 0);
	assert_int_equal(id.type, IKE_ID_IPV6_ADDR);
	assert_string_equal(ike_id_fmt(&id, buf, sizeof(buf)), "2001:db8::1");
}

/* A message with every payload kind, built with our encoder. */
static size_t build_sample(uint8_t *out, size_t max)
{
	struct ike_hdr h = { .spi_i = 0x0102030405060708ull, .exchange = IKE_SA_INIT,
	                     .flags = IKE_FLAG_INITIATOR };
	struct ike_mb mb;
	struct ike_proposals ps;
	struct ike_ts_list ts = { .n = 1 };
	struct ike_id id;
	uint8_t nonce[32] = { 1 }, ke[32] = { 9 };
	uint32_t spis[2] = { 0xc0000001, 0xc0000002 };
	char err[64];

	ike_mb_init(&mb, &h);
	ike_proposals_parse("aes256-sha256-modp2048, aes128gcm16-prfsha256-x25519", IKE_PROTO_IKE,
	                    &ps, err, sizeof(err));
	ike_pld_sa_put(&mb, &ps, false);
	ike_pld_ke_put(&mb, 31, ke, 32);
	ike_pld_raw_put(&mb, IKE_PLD_NONCE, nonce, 32);
	ike_id_parse("gw.example", &id);
	ike_pld_id_put(&mb, IKE_PLD_IDI, &id);
	ike_pld_auth_put(&mb, IKE_AUTH_PSK, nonce, 32);
	ike_ts_parse("10.1.0.0/24", &ts.ts[0]);
	ike_pld_ts_put(&mb, IKE_PLD_TSI, &ts);
	ike_pld_delete_put(&mb, IKE_PROTO_ESP, spis, 2);
	ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, nonce, 20);
	assert_int_equal(ike_mb_finish(&mb, NULL), 0);
	assert_true(mb.len <= max);
	memcpy(out, mb.p, mb.len);
	size_t len = mb.len;
	ike_mb_free(&mb);
	return len;
}

static void test_msg_roundtrip(void **state)
{
	uint8_t buf[2048];
	size_t len = build_sample(buf, sizeof(buf));
	struct ike_msg m;
	struct ike_proposals ps;
	struct ike_ts_list ts;
	struct ike_delete_pld d;

	assert_int_equal(ike_msg_parse(buf, len, &m), 0);
	assert_int_equal(m.npld, 8);
	const struct ike_pld *p = ike_msg_find(&m, IKE_PLD_SA);
	assert_int_equal(ike_pld_sa_parse(p->body, p->len, &ps), 0);
	assert_int_equal(ps.n, 2);
	assert_int_equal(ike_proposal_get(&ps.p[0], IKE_TRANS_ENCR, NULL), 12);
	p = ike_msg_find(&m, IKE_PLD_TSI);
	assert_int_equal(ike_pld_ts_parse(p->body, p->len, &ts), 0);
	assert_int_equal(ts.n, 1);
	p = ike_msg_find(&m, IKE_PLD_DELETE);
	assert_int_equal(ike_pld_delete_parse(p->body, p->len, &d), 0);
	assert_int_equal(d.nspi, 2);
	assert_int_equal(d.spi[1], 0xc0000002);
	assert_non_null(ike_msg_find_notify(&m, IKE_N_NAT_DETECTION_SOURCE_IP));
	ike_msg_clear(&m);
}

static void test_msg_truncated(void **state)
{
	uint8_t buf[2048], cut[2048];
	size_t len = build_sample(buf, sizeof(buf));
	struct ike_msg m;

	/* every truncation, with the header length fixed up or not */
	for (size_t n = 0; n < len; n++) {
		memcpy(cut, buf, n);
		assert_int_not_equal(ike_msg_parse(cut, n, &m), 0);
		if (n >= IKE_HDR_LEN) {
			put_be32(cut + 24, (uint32_t)n);
			assert_int_not_equal(ike_msg_parse(cut, n, &m), 0);
		}
	}
	/* every payload length made one byte too long / absurdly long */
	size_t off = IKE_HDR_LEN;
	while (off < len) {
		uint16_t pl = get_be16(buf + off + 2);
		memcpy(cut, buf, len);
		put_be16(cut + off + 2, (uint16_t)(pl + 1));
		assert_int_not_equal(ike_msg_parse(cut, len, &m), 0);
		put_be16(cut + off + 2, 0xffff);
		assert_int_not_equal(ike_msg_parse(cut, len, &m), 0);
		put_be16(cut + off + 2, 3);
		assert_int_not_equal(ike_msg_parse(cut, len, &m), 0);
		off += pl;
	}
	/* a wrong major version */
	memcpy(cut, buf, len);
	cut[17] = 0x30;
	assert_int_equal(ike_msg_parse(cut, len, &m), -EPROTONOSUPPORT);
}

static void test_msg_critical(void **state)
{
	uint8_t buf[2048];
	size_t len = build_sample(buf, sizeof(buf));
	struct ike_msg m;

	/* append an unknown payload type 200, non-critical: skipped */
	uint8_t ext[2100];
	memcpy(ext, buf, len);
	size_t off = IKE_HDR_LEN, last = 0;
	while (off < len) {
		last = off;
		off += get_be16(buf + off + 2);
	}
	ext[last] = 200;
	uint8_t unk[8] = { 0, 0, 0, 8, 1, 2, 3, 4 };
	memcpy(ext + len, unk, 8);
	put_be32(ext + 24, (uint32_t)len + 8);
	assert_int_equal(ike_msg_parse(ext, len + 8, &m), 0);
	assert_int_equal(m.unsupported_critical, 0);
	ext[len + 1] = 0x80;   /* critical */
	assert_int_equal(ike_msg_parse(ext, len + 8, &m), 0);
	assert_int_equal(m.unsupported_critical, 200);
}

/* 255 proposals of 255 transforms each (the SA payload can hold that
 * within 64 KiB only for few; build the largest that fits). */
static void test_absurd_sa(void **state)
{
	uint8_t *b = calloc(1, 65535);
	size_t off = 0;
	struct ike_proposals ps;

	/* 200 proposals with 30 transforms each: 200 * (8 + 30*8) = 49600 */
	for (int p = 0; p < 200; p++) {
		size_t ps_off = off;
		b[off] = p == 199 ? 0 : 2;
		b[off + 4] = (uint8_t)(p + 1);
		b[off + 5] = IKE_PROTO_IKE;
		b[off + 7] = 30;
		off += 8;
		for (int t = 0; t < 30; t++) {
			b[off] = t == 29 ? 0 : 3;
			put_be16(b + off + 2, 8);
			b[off + 4] = (uint8_t)(1 + t % 4);
			put_be16(b + off + 6, (uint16_t)(t + 1));
			off += 8;
		}
		put_be16(b + ps_off + 2, (uint16_t)(off - ps_off));
	}
	assert_int_equal(ike_pld_validate(IKE_PLD_SA, b, off), 0);
	assert_int_equal(ike_pld_sa_parse(b, off, &ps), 0);
	assert_int_equal(ps.n, IKE_PROPS_MAX);
	assert_int_equal(ps.p[0].ntrans, IKE_PROP_MAX_TRANS);
	assert_false(ps.p[0].unknown_type);
	/* an unknown type as the 30th transform, past what is stored, still
	 * spoils its proposal (RFC 7296 3.3.6) */
	b[8 + 29 * 8 + 4] = 250;
	assert_int_equal(ike_pld_sa_parse(b, off, &ps), 0);
	assert_true(ps.p[0].unknown_type);
	assert_false(ps.p[1].unknown_type);
	/* a transform count that disagrees with the content */
	b[7] = 31;
	assert_int_equal(ike_pld_sa_parse(b, off, &ps), -EBADMSG);
	free(b);
}

/* The responder against bad IKE_SA_INIT requests. */
static uint8_t last_sent[4096];
static size_t last_len;
static void sink(void *ctx, const struct ike_endpoint *l, const struct ike_endpoint *r,
                 const uint8_t *m, size_t len)
{
	memcpy(last_sent, m, len < sizeof(last_sent) ? len : sizeof(last_sent));
	last_len = len;
}
static uint64_t ms;
static uint64_t now(void *ctx)
{
	return ms;
}

static uint16_t sent_notify(void)
{
	struct ike_msg m;
	uint16_t t = 0;

	if (!last_len || ike_msg_parse(last_sent, last_len, &m))
		return 0;
	for (unsigned i = 0; i < m.npld; i++)
		if (m.pld[i].type == IKE_PLD_NOTIFY)
			t = get_be16(m.pld[i].body + 2);
	return t;
}

static const char *init_props = "aes256gcm16-prfsha256-x25519-ecp256-modp2048";

static size_t init_req(uint8_t *out, uint16_t group, const uint8_t *ke, size_t kelen, bool critical_unknown)
{
	struct ike_hdr h = { .spi_i = 0x1111, .exchange = IKE_SA_INIT, .flags = IKE_FLAG_INITIATOR };
	struct ike_mb mb;
	struct ike_proposals ps;
	uint8_t nonce[32] = { 7 };
	char err[64];

	ike_mb_init(&mb, &h);
	ike_proposals_parse(init_props, IKE_PROTO_IKE, &ps, err, sizeof(err));
	ike_pld_sa_put(&mb, &ps, false);
	ike_pld_ke_put(&mb, group, ke, kelen);
	ike_pld_raw_put(&mb, IKE_PLD_NONCE, nonce, 32);
	if (critical_unknown) {
		size_t o = ike_mb_open(&mb, 222, true);
		ike_mb_close(&mb, o);
	}
	ike_mb_finish(&mb, NULL);
	memcpy(out, mb.p, mb.len);
	size_t len = mb.len;
	ike_mb_free(&mb);
	return len;
}

static void test_responder_bad_ke(void **state)
{
	struct ike_io io = { .send = sink, .now_ms = now };
	struct ike_ctx *ctx = ike_ctx_new(&io, NULL);
	struct ike_conn_cfg cfg;
	struct ike_endpoint l = { { 0 }, 500 }, r = { { 0 }, 500 };
	uint8_t msg[2048], ke[512];
	char err[128];
	size_t len;

	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "c");
	ip_addr_parse("192.0.2.2", &cfg.local_addr);
	ip_addr_parse("192.0.2.2", &l.addr);
	ip_addr_parse("192.0.2.1", &r.addr);
	ike_proposals_parse("aes256gcm16-prfsha256-ecp256", IKE_PROTO_IKE, &cfg.ike, err, sizeof(err));
	cfg.psk_len = 1;
	assert_int_equal(ike_conn_add(ctx, &cfg, err, sizeof(err)), 0);

	/* KE of the wrong length for ecp256 */
	memset(ke, 0x42, sizeof(ke));
	len = init_req(msg, 19, ke, 63, false);
	ike_input(ctx, &l, &r, msg, len);
	assert_int_equal(sent_notify(), IKE_N_INVALID_SYNTAX);
	assert_int_equal(ike_sa_count(ctx), 0);
	/* 64 bytes but not on the curve */
	len = init_req(msg, 19, ke, 64, false);
	ike_input(ctx, &l, &r, msg, len);
	assert_int_equal(sent_notify(), IKE_N_INVALID_SYNTAX);
	assert_int_equal(ike_sa_count(ctx), 0);
	/* the wrong group: INVALID_KE_PAYLOAD naming 19 */
	len = init_req(msg, 31, ke, 32, false);
	ike_input(ctx, &l, &r, msg, len);
	assert_int_equal(sent_notify(), IKE_N_INVALID_KE_PAYLOAD);
	assert_int_equal(ike_ctx_stats(ctx)->invalid_ke_sent, 1);
	/* an unknown critical payload */
	struct crypto_dh *dh = crypto_dh_new(19);
	int n = crypto_dh_public(dh, ke, sizeof(ke));
	len = init_req(msg, 19, ke, (size_t)n, true);
	ike_input(ctx, &l, &r, msg, len);
	assert_int_equal(sent_notify(), IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	assert_int_equal(ike_ctx_stats(ctx)->unsupported_critical, 1);
	/* and a good one is answered and keeps a half-open SA */
	last_len = 0;
	len = init_req(msg, 19, ke, (size_t)n, false);
	ike_input(ctx, &l, &r, msg, len);
	assert_int_equal(ike_sa_count(ctx), 1);
	/* its last notify: no NAT_DETECTION ones, as the request had none
	 * (a peer without NAT-T; charon answers so too) */
	assert_int_equal(sent_notify(), IKE_N_CHILDLESS_IKEV2_SUPPORTED);
	/* which times out after 30 s */
	ms += 30000;
	ike_tick(ctx);
	assert_int_equal(ike_sa_count(ctx), 0);
	/* garbage is counted */
	uint64_t bad = ike_ctx_stats(ctx)->drop_malformed;
	ike_input(ctx, &l, &r, msg, 27);
	assert_int_equal(ike_ctx_stats(ctx)->drop_malformed, bad + 1);
	crypto_dh_free(dh);

	/* two connections for the same addresses: the one whose proposals
	 * match the peer's is chosen, not just the first */
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "c2");
	ike_proposals_parse("chacha20poly1305-prfsha256-x25519", IKE_PROTO_IKE, &cfg.ike, err,
	                    sizeof(err));
	cfg.psk_len = 1;
	assert_int_equal(ike_conn_add(ctx, &cfg, err, sizeof(err)), 0);
	init_props = "chacha20poly1305-prfsha256-x25519";
	dh = crypto_dh_new(31);
	n = crypto_dh_public(dh, ke, sizeof(ke));
	last_len = 0;
	len = init_req(msg, 31, ke, (size_t)n, false);
	ike_input(ctx, &l, &r, msg, len);
	assert_int_equal(ike_sa_count(ctx), 1);
	assert_string_equal(ike_conn_state(ctx, "c2"), "INIT_RESPONDED");
	crypto_dh_free(dh);
	/* c2 is now first in the list; an ecp256 offer still goes to c */
	init_props = "aes256gcm16-prfsha256-ecp256";
	dh = crypto_dh_new(19);
	n = crypto_dh_public(dh, ke, sizeof(ke));
	len = init_req(msg, 19, ke, (size_t)n, false);
	put_be64(msg, 0x2222);   /* another initiator SPI */
	ike_input(ctx, &l, &r, msg, len);
	assert_int_equal(ike_sa_count(ctx), 2);
	assert_string_equal(ike_conn_state(ctx, "c"), "INIT_RESPONDED");
	init_props = "aes256gcm16-prfsha256-x25519-ecp256-modp2048";
	crypto_dh_free(dh);
	ike_ctx_free(ctx);
}

/* The Encrypted Fragment payload (RFC 7383 2.5): a message cut into
 * fragments of at most 200 bytes, each parsed and opened on its own, gives
 * back the inner payloads; the first fragment names the first of them,
 * the others none; Fragment Number and Total Fragments are covered by the
 * ICV; a reassembled message parses like a decrypted one. */
static void skf_roundtrip(int encr, unsigned bits, int integ)
{
	uint8_t ek[36], ak[64], data[500], *inner, *buf;
	struct crypto_ike_keys k = { encr, ek, crypto_encr_key_len(encr, bits), integ, ak,
	                             crypto_integ_key_len(integ) };
	struct ike_hdr h = { .spi_i = 0x1122334455667788ull, .spi_r = 0x99aabbccddeeff00ull,
	                     .exchange = IKE_AUTH, .flags = IKE_FLAG_INITIATOR, .msgid = 1 };
	size_t ivlen = crypto_encr_iv_len(encr), innerlen, got = 0, blen;
	struct ike_msg m, whole;
	struct ike_mb mb;

	memset(ek, 0x11, sizeof(ek));
	memset(ak, 0x22, sizeof(ak));
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	ike_mb_init(&mb, &h);
	ike_mb_sk_open(&mb, encr);
	ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
	ike_pld_notify_put(&mb, 0, NULL, 0, IKE_N_COOKIE, data, sizeof(data));
	innerlen = mb.len - (IKE_HDR_LEN + 4 + ivlen);
	inner = malloc(innerlen);
	memcpy(inner, mb.p + IKE_HDR_LEN + 4 + ivlen, innerlen);

	size_t content = ike_frag_content_max(&k, 200);
	assert_true(content > 0 && content < 200);
	unsigned n = ike_mb_frag_count(&mb, &k, content);
	assert_int_equal(n, (innerlen + content - 1) / content);
	assert_true(ike_mb_sealed_len(&mb, &k) > 200);
	uint8_t *all = malloc(innerlen);
	for (unsigned i = 1; i <= n; i++) {
		const uint8_t *c;
		uint8_t first;
		size_t clen;

		assert_int_equal(ike_mb_frag_build(&mb, &k, content, (uint16_t)i, (uint16_t)n, &buf,
		                                   &blen), 0);
		assert_true(blen <= 200);
		assert_int_equal(ike_msg_parse(buf, blen, &m), 0);
		assert_true(m.has_skf);
		assert_false(m.has_sk);
		assert_int_equal(m.npld, 1);
		assert_int_equal(m.frag_num, i);
		assert_int_equal(m.frag_total, n);
		assert_int_equal(ike_msg_frag_open(&m, &k, &first, &c, &clen), 0);
		assert_int_equal(first, i == 1 ? IKE_PLD_NOTIFY : IKE_PLD_NONE);
		assert_true(got + clen <= innerlen);
		memcpy(all + got, c, clen);
		got += clen;
		ike_msg_clear(&m);
		/* the fragment numbers are integrity-protected */
		buf[33] ^= 1;
		assert_int_equal(ike_msg_parse(buf, blen, &m), 0);
		assert_int_equal(ike_msg_frag_open(&m, &k, &first, &c, &clen), -EBADMSG);
		ike_msg_clear(&m);
		free(buf);
	}
	assert_int_equal(got, innerlen);
	assert_memory_equal(all, inner, innerlen);
	/* out of range */
	assert_int_equal(ike_mb_frag_build(&mb, &k, content, 0, (uint16_t)n, &buf, &blen), -EINVAL);
	assert_int_equal(ike_mb_frag_build(&mb, &k, content, (uint16_t)(n + 1), (uint16_t)n, &buf,
	                                   &blen), -EINVAL);
	/* put back together: parsed as the SK contents it was */
	ike_msg_set_reassembled(&whole, &h, IKE_PLD_NOTIFY, all, innerlen);
	assert_int_equal(ike_msg_decrypt(&whole, NULL), 0);
	assert_int_equal(whole.npld, 2);
	assert_non_null(ike_msg_find_notify(&whole, IKE_N_INITIAL_CONTACT));
	const struct ike_pld *p = ike_msg_find_notify(&whole, IKE_N_COOKIE);
	assert_non_null(p);
	assert_int_equal(p->len, 4 + sizeof(data));   /* the notify body after its header */
	ike_msg_clear(&whole);
	ike_mb_free(&mb);
	free(inner);
}

static void test_skf(void **state)
{
	uint8_t msg[64];

	skf_roundtrip(CRYPTO_ENCR_AES_CBC, 128, CRYPTO_INTEG_HMAC_SHA2_256_128);
	skf_roundtrip(CRYPTO_ENCR_AES_GCM_16, 256, CRYPTO_INTEG_NONE);
	skf_roundtrip(CRYPTO_ENCR_CHACHA20_POLY1305, 256, CRYPTO_INTEG_NONE);

	/* an SKF must be the last payload, hold its two numbers, and never
	 * appear inside SK */
	struct ike_msg m;
	memset(msg, 0, sizeof(msg));
	msg[17] = IKE_VERSION;
	msg[18] = IKE_AUTH;
	msg[16] = IKE_PLD_SKF;
	put_be16(msg + 30, 4 + 3);               /* 3 bytes: no room for the numbers */
	put_be32(msg + 24, 28 + 7);
	assert_int_equal(ike_msg_parse(msg, 28 + 7, &m), -EBADMSG);
	put_be16(msg + 30, 12);
	put_be32(msg + 24, 28 + 12 + 8);         /* something after it */
	assert_int_equal(ike_msg_parse(msg, 28 + 20, &m), -EBADMSG);
	put_be32(msg + 24, 28 + 12);
	put_be16(msg + 32, 2);
	put_be16(msg + 34, 9);
	assert_int_equal(ike_msg_parse(msg, 28 + 12, &m), 0);
	assert_true(m.has_skf);
	assert_int_equal(m.frag_num, 2);
	assert_int_equal(m.frag_total, 9);
	/* too short to hold an IV and ICV: nothing is verified */
	struct crypto_ike_keys k = { CRYPTO_ENCR_AES_GCM_16, msg, 20, 0, NULL, 0 };
	const uint8_t *c;
	uint8_t first;
	size_t clen;
	assert_int_equal(ike_msg_frag_open(&m, &k, &first, &c, &clen), -EINVAL);
	ike_msg_clear(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proposal_parse),
		cmocka_unit_test(test_proposal_select),
		cmocka_unit_test(test_proposal_unknown_type),
		cmocka_unit_test(test_ts),
		cmocka_unit_test(test_msg_roundtrip),
		cmocka_unit_test(test_msg_truncated),
		cmocka_unit_test(test_msg_critical),
		cmocka_unit_test(test_absurd_sa),
		cmocka_unit_test(test_responder_bad_ke),
		cmocka_unit_test(test_skf),
	};
	log_set_level(LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
