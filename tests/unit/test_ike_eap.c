/* EAP-MSCHAPv2 in IKE_AUTH between two IKE instances in one process
 * (ike_pair.h): A is the road warrior (local auth = eap-mschapv2), B the
 * gateway (local auth psk here; pubkey is the interop tests'), remote
 * auth eap. The rounds as charon runs them, with and without the
 * EAP-Identity round, the MSK-keyed AUTH, a wrong password, a message
 * tampered with behind the integrity check (wrong Identifier, wrong
 * MS-CHAPv2-ID, a lying length), and a client that stops halfway
 * (bounded by the half-open timeout). The EAP payload parser's own
 * cases are at the end. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ike/ike.h"
#include "ike/ike_ctx.h"
#include "ike/ike_eap.h"
#include "ike/ike_export.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_proto.h"
#include "ike/ike_sa.h"
#include "util/bytes.h"
#include "util/mem.h"
#include "xfrm/sad.h"
#include "ike_pair.h"

static struct ike_id ids_a[2], ids_b[3];
/* [0]: the IKE PSK (B authenticates with it); then the EAP secrets */
static struct ike_psk_cfg secrets_a[2], secrets_b[3];

/* An EAP secret of the shared table for id (NULL: anyone). */
static void secret(struct ike_psk_cfg *s, struct ike_id *idbuf, const char *id, const char *pw)
{
	memset(s, 0, sizeof(*s));
	if (id) {
		assert_int_equal(ike_id_parse(id, idbuf), 0);
		s->ids = idbuf;
		s->nids = 1;
	}
	s->type = IKE_SHARED_EAP;
	s->key = (const uint8_t *)pw;
	s->len = strlen(pw);
}

/* A's local eap_id (NULL: none, its IKE identity), set before eap_up */
static const char *a_eap_id;

/* A (carol, password a_pw) against B, which knows carol's password
 * b_pw; with ask, B's remote eap_id is %any (the EAP-Identity round). */
static void eap_up(const char *a_pw, const char *b_pw, bool ask)
{
	const char *carol = a_eap_id ? a_eap_id : "carol@example.org";
	char err[256];

	peers_up("aes256gcm16-prfsha256-x25519", "aes128gcm16", "aes256gcm16-prfsha256-x25519",
	         "aes128gcm16", NULL, NULL);
	A.cfg.local_auth = IKE_AUTH_CLASS_EAP;
	B.cfg.remote_auth = IKE_AUTH_CLASS_EAP;
	A.cfg.eap_type = B.cfg.eap_type = 26;
	assert_int_equal(ike_id_parse("carol@example.org", &A.cfg.local_id), 0);
	if (a_eap_id) {
		A.cfg.has_local_eap_id = true;
		assert_int_equal(ike_id_parse(a_eap_id, &A.cfg.local_eap_id), 0);
	}
	secrets_a[0] = (struct ike_psk_cfg){ .key = A.cfg.psk, .len = A.cfg.psk_len };
	secrets_b[0] = (struct ike_psk_cfg){ .key = B.cfg.psk, .len = B.cfg.psk_len };
	secret(&secrets_a[1], &ids_a[1], carol, a_pw);
	secret(&secrets_b[1], &ids_b[1], "dave@example.org", "davepass");
	secret(&secrets_b[2], &ids_b[2], carol, b_pw);
	assert_int_equal(ike_psks_set(A.ike, IKE_PSK_FILE, secrets_a, 2), 0);
	assert_int_equal(ike_psks_set(B.ike, IKE_PSK_VICI, secrets_b, 3), 0);
	B.cfg.has_remote_eap_id = ask;
	assert_int_equal(ike_conn_add(A.ike, &A.cfg, err, sizeof(err)), 0);
	assert_int_equal(ike_conn_add(B.ike, &B.cfg, err, sizeof(err)), 0);
}

static int teardown(void **state)
{
	(void)state;
	a_eap_id = NULL;
	pair_down();
	mem_wipe(secrets_a, sizeof(secrets_a));
	mem_wipe(secrets_b, sizeof(secrets_b));
	return 0;
}

static void deliver_all(void)
{
	for (int i = 0; i < 100 && deliver(false); i++)
		;
	assert_int_equal(net_n, 0);
}

/* The EAP message in the queued IKE_AUTH message from p (opened with the
 * sender's keys): into e (pointing into buf). False if it has none. */
static bool queued_eap(struct peer *p, uint8_t *buf, size_t len, struct ike_eap *e)
{
	struct ike_hdr h;
	uint8_t first;
	int n = pair_open(p, &net[0], &h, &first, buf, len);
	size_t off = 0;

	assert_true(n > 0);
	for (uint8_t t = first; t != IKE_PLD_NONE && off + 4 <= (size_t)n;) {
		uint16_t plen = get_be16(buf + off + 2);

		if (t == IKE_PLD_EAP)
			return ike_eap_parse(buf + off + 4, plen - 4u, e) == 0;
		t = buf[off];
		off += plen;
	}
	return false;
}

/* IKE_AUTH rounds until the network is empty; the number of round trips,
 * and the EAP code/type B sent in each (cc[i], tt[i]). */
static unsigned auth_rounds(uint8_t *cc, uint8_t *tt, unsigned max)
{
	unsigned n = 0;
	uint8_t buf[4096];
	struct ike_eap e;

	while (net_n) {
		assert_int_equal(net[0].data[18], IKE_AUTH);
		assert_true(deliver(false));       /* request */
		if (!net_n)
			break;
		if (n < max) {
			bool has = queued_eap(&B, buf, sizeof(buf), &e);
			cc[n] = has ? e.code : 0;
			tt[n] = has ? e.type : 0;
		}
		n++;
		assert_true(deliver(false));       /* response */
	}
	return n;
}

static void established(void)
{
	assert_string_equal(ike_conn_state(A.ike, "gw"), "ESTABLISHED");
	assert_string_equal(ike_conn_state(B.ike, "gw"), "ESTABLISHED");
	assert_int_equal(ike_child_count(A.ike), 1);
	assert_int_equal(ike_child_count(B.ike), 1);
	assert_int_equal(sad_count(A.sad), 2);
	assert_int_equal(sad_count(B.sad), 2);
}

/* eap_id unset on B: carol's IKE identity is her EAP identity: Challenge,
 * Success, EAP-Success, then the AUTH payloads keyed by the MSK. */
static void test_mschapv2(void **state)
{
	uint8_t cc[8], tt[8];

	(void)state;
	eap_up("carolpass", "carolpass", false);
	assert_int_equal(ike_initiate(A.ike, "net"), 0);
	assert_true(deliver(false));
	assert_true(deliver(false));
	assert_int_equal(auth_rounds(cc, tt, 8), 4);
	assert_int_equal(cc[0], IKE_EAP_REQUEST);
	assert_int_equal(tt[0], IKE_EAP_MSCHAPV2);
	assert_int_equal(cc[1], IKE_EAP_REQUEST);   /* MS-CHAPv2 Success */
	assert_int_equal(cc[2], IKE_EAP_SUCCESS);
	assert_int_equal(cc[3], 0);                 /* AUTH(MSK), SA, TS */
	established();
	assert_int_equal(ike_ctx_stats(B.ike)->auth_failed, 0);
	/* B keeps the EAP identity: here the IKE one (charon: eap_identity
	 * from other_id), so no remote-eap-id, yet PLUTO_XAUTH_ID */
	assert_non_null(B.ike->sas->peer_eap_id);
	assert_true(ike_id_equal(B.ike->sas->peer_eap_id, &B.ike->sas->peer_id));
	assert_ptr_equal(ike_sa_peer_eap_id(B.ike->sas), B.ike->sas->peer_eap_id);
	assert_null(A.ike->sas->peer_eap_id);   /* A was the EAP client */
	assert_int_equal(ike_terminate_ike(A.ike, "gw"), 0);
	deliver_all();
}

static char up_eap[64], up_peer[64];

static void on_child_up(void *ctx, const struct ike_child_up_event *ev)
{
	(void)ctx;
	snprintf(up_eap, sizeof(up_eap), "%s", ev->remote_eap_id ? ev->remote_eap_id : "(none)");
	snprintf(up_peer, sizeof(up_peer), "%s", ev->remote_id);
}

static void view_eap(void *arg, const struct ike_view_sa *v)
{
	snprintf(arg, 64, "%s", v->remote_eap_id);
}

/* An EAP identity other than the IKE one (eap_id = carol, IKE identity
 * carol@example.org): B keeps it on its IKE SA (the identity of the
 * lease, of unique and INITIAL_CONTACT, of the identity hash), lists it
 * (list-sas "EAP: 'carol'", the view's remote_eap_id for VICI's
 * remote-eap-id) and hands it to updown (PLUTO_XAUTH_ID). */
static void test_eap_identity_kept(void **state)
{
	char *text = NULL, eap[64] = "";
	size_t tl = 0;
	struct ike_id want;
	FILE *f;

	(void)state;
	a_eap_id = "carol";
	eap_up("carolpass", "carolpass", true);
	B.ike->io.child_up = on_child_up;
	A.ike->io.child_up = NULL;
	assert_int_equal(ike_initiate(A.ike, "net"), 0);
	deliver_all();
	established();
	assert_string_equal(up_eap, "carol");          /* updown's PLUTO_XAUTH_ID */
	assert_string_equal(up_peer, "carol@example.org");
	struct ike_sa *sa = B.ike->sas;
	assert_int_equal(ike_id_parse("carol", &want), 0);
	assert_non_null(sa->peer_eap_id);
	assert_true(ike_id_equal(sa->peer_eap_id, &want));
	assert_false(ike_id_equal(&sa->peer_id, &want));
	assert_ptr_equal(ike_sa_by_peer_id(B.ike, &want, NULL), sa);   /* hashed by it */
	f = open_memstream(&text, &tl);
	assert_non_null(f);
	ike_list_sas(B.ike, f);
	fclose(f);
	assert_non_null(strstr(text, "remote 'carol@example.org' @ "));
	assert_non_null(strstr(text, " EAP: 'carol'\n"));
	free(text);
	ike_view_sas(B.ike, view_eap, NULL, eap);
	assert_string_equal(eap, "carol");
	ike_view_sas(A.ike, view_eap, NULL, eap);
	assert_string_equal(eap, "");
	assert_int_equal(ike_terminate_ike(A.ike, "gw"), 0);
	deliver_all();
}

/* remote eap_id = %any: B asks for the EAP identity first. */
static void test_identity_round(void **state)
{
	uint8_t cc[8], tt[8];

	(void)state;
	eap_up("carolpass", "carolpass", true);
	assert_int_equal(ike_initiate(A.ike, "net"), 0);
	assert_true(deliver(false));
	assert_true(deliver(false));
	assert_int_equal(auth_rounds(cc, tt, 8), 5);
	assert_int_equal(tt[0], IKE_EAP_IDENTITY);
	assert_int_equal(tt[1], IKE_EAP_MSCHAPV2);
	established();
}

/* unique = replace compares the EAP identity, as charon's
 * check_uniqueness (get_other_eap_id): carol's first device
 * (carol@example.org, EAP identity carol) is up; a second one from
 * another address and without INITIAL_CONTACT (unique = never on A)
 * dials in as second_ike with EAP identity second_eap. want: the IKE
 * SAs B has in the end (1: the first was replaced). */
static void unique_eap_case(const char *second_ike, const char *second_eap, const char *pw,
                            unsigned want)
{
	char err[256];

	a_eap_id = "carol";
	eap_up("carolpass", "carolpass", true);
	secret(&secrets_b[1], &ids_b[1], "dave", "davepass");
	assert_int_equal(ike_psks_set(B.ike, IKE_PSK_VICI, secrets_b, 3), 0);
	ike_conn_del(B.ike, "gw");
	memset(&B.cfg.remote_addr, 0, sizeof(B.cfg.remote_addr));   /* %any */
	B.cfg.unique_replace = true;
	assert_int_equal(ike_conn_add(B.ike, &B.cfg, err, sizeof(err)), 0);
	A.cfg.unique_never = true;
	pair_restart(&A);
	assert_int_equal(ike_psks_set(A.ike, IKE_PSK_FILE, secrets_a, 2), 0);
	assert_int_equal(ike_initiate(A.ike, "net"), 0);
	pair_deliver_all(64);
	assert_int_equal(ike_sa_count(B.ike), 1);
	assert_string_equal(ike_conn_state(B.ike, "gw"), "ESTABLISHED");

	assert_int_equal(ike_id_parse(second_ike, &A.cfg.local_id), 0);
	assert_int_equal(ike_id_parse(second_eap, &A.cfg.local_eap_id), 0);
	secret(&secrets_a[1], &ids_a[1], second_eap, pw);
	pair_restart(&A);                      /* the second device */
	assert_int_equal(ike_psks_set(A.ike, IKE_PSK_FILE, secrets_a, 2), 0);
	nat_on = true;
	ip_addr_parse("192.0.2.3", &nat_pub);
	assert_int_equal(ike_initiate(A.ike, "net"), 0);
	pair_deliver_all(64);
	/* the first one's Delete goes to a device that is gone: it ends when
	 * its retransmissions do */
	for (unsigned i = 0; i < 400 && ike_sa_count(B.ike) > want; i++) {
		tick(1000);
		pair_deliver_all(64);
	}
	assert_int_equal(ike_sa_count(B.ike), want);
	assert_string_equal(ike_conn_state(A.ike, "gw"), "ESTABLISHED");
	if (want == 1)
		assert_true(ip_addr_equal(&B.ike->sas->remote.addr, &nat_pub));
}

static void test_unique_by_eap_identity(void **state)
{
	(void)state;
	/* another IKE identity, the same EAP identity: the same client */
	unique_eap_case("carol-phone@example.org", "carol", "carolpass", 1);
	pair_down();
	a_eap_id = NULL;
	/* the same IKE identity, another EAP identity: another client */
	unique_eap_case("carol@example.org", "dave", "davepass", 2);
}

/* A wrong password: B refuses with AUTHENTICATION_FAILED, counted; both
 * IKE SAs end, nothing is installed. */
static void test_wrong_password(void **state)
{
	(void)state;
	eap_up("carolpasx", "carolpass", false);
	assert_int_equal(ike_initiate(A.ike, "net"), 0);
	deliver_all();
	assert_int_equal(ike_sa_count(A.ike) + ike_sa_count(B.ike), 0);
	assert_int_equal(ike_ctx_stats(B.ike)->auth_failed, 1);
	assert_int_equal(sad_count(A.sad) + sad_count(B.sad), 0);
	assert_int_equal(A.ends[0].reason, IKE_END_AUTH_FAILED);
	assert_int_equal(B.ends[0].reason, IKE_END_AUTH_FAILED);
}

/* No EAP secret for carol on B: refused the same way. */
static void test_no_secret(void **state)
{
	(void)state;
	eap_up("carolpass", "carolpass", false);
	/* dave only */
	assert_int_equal(ike_psks_set(B.ike, IKE_PSK_VICI, secrets_b, 2), 0);
	assert_int_equal(ike_initiate(A.ike, "net"), 0);
	deliver_all();
	assert_int_equal(ike_sa_count(A.ike) + ike_sa_count(B.ike), 0);
	assert_int_equal(ike_ctx_stats(B.ike)->auth_failed, 1);
}

/* What A sends in its second IKE_AUTH request (the MS-CHAPv2 Response)
 * changed behind the integrity check by edit: B must refuse it. */
static void tampered(void (*edit)(uint8_t *eap, size_t *len))
{
	uint8_t chain[4096], first;
	struct ike_hdr h;
	int n;

	eap_up("carolpass", "carolpass", false);
	assert_int_equal(ike_initiate(A.ike, "net"), 0);
	for (int i = 0; i < 4; i++)
		assert_true(deliver(false));   /* IKE_SA_INIT, the first IKE_AUTH */
	assert_int_equal(net_n, 1);
	n = pair_open(&A, &net[0], &h, &first, chain, sizeof(chain));
	assert_true(n > 0);
	assert_int_equal(first, IKE_PLD_EAP);
	size_t plen = get_be16(chain + 2) - 4u;
	edit(chain + 4, &plen);
	put_be16(chain + 2, (uint16_t)(plen + 4));
	assert_int_equal(pair_seal(&A, &h, first, chain, plen + 4, &net[0]), 0);
	deliver_all();
	assert_int_equal(ike_sa_count(A.ike) + ike_sa_count(B.ike), 0);
	assert_int_equal(sad_count(A.sad) + sad_count(B.sad), 0);
}

static void wrong_identifier(uint8_t *eap, size_t *len)
{
	(void)len;
	eap[1]++;
}

static void wrong_ms_id(uint8_t *eap, size_t *len)
{
	(void)len;
	eap[6]++;
}

static void lying_ms_length(uint8_t *eap, size_t *len)
{
	(void)len;
	eap[8]++;
}

static void lying_eap_length(uint8_t *eap, size_t *len)
{
	(void)len;
	put_be16(eap + 2, (uint16_t)(get_be16(eap + 2) + 1));
}

static void success_too_early(uint8_t *eap, size_t *len)
{
	/* a Response with MS-CHAPv2 Success where the Response belongs */
	eap[5] = IKE_MSCHAP_SUCCESS;
	put_be16(eap + 2, 6);
	*len = 6;
}

static void test_tampered(void **state)
{
	void (*edits[])(uint8_t *, size_t *) = { wrong_identifier, wrong_ms_id, lying_ms_length,
	                                         lying_eap_length, success_too_early };

	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		tampered(edits[i]);
		assert_true(ike_ctx_stats(B.ike)->auth_failed + ike_ctx_stats(B.ike)->syntax_errors >= 1);
		teardown(state);
	}
}

/* A client that stops after the first IKE_AUTH round: B's half-open SA
 * (and its EAP state) goes with the IKE_AUTH timeout. */
static void test_half_finished(void **state)
{
	(void)state;
	eap_up("carolpass", "carolpass", false);
	assert_int_equal(ike_initiate(A.ike, "net"), 0);
	for (int i = 0; i < 4; i++)
		assert_true(deliver(false));
	assert_true(deliver(true));        /* A's second request is lost, and A gives up */
	assert_int_equal(ike_sa_count(B.ike), 1);
	for (int i = 0; i < 120; i++) {
		while (net_n)
			deliver(true);
		tick(1000);
	}
	assert_int_equal(ike_sa_count(B.ike), 0);
}

/* A flood of half-finished EAP exchanges: 200 clients (A, restarted
 * after each: a new client every time) each get as far as B's first EAP
 * request and abandon it. Such an SA is half-open until it is
 * authenticated (as charon counts it until established), so B demands
 * cookies past its threshold and holds at most its half-open maximum;
 * every one goes with the half-open timeout, counted; then a real client
 * still gets in. */
static void test_eap_flood(void **state)
{
	const unsigned clients = 200, max = 50;
	unsigned got_eap = 0;

	(void)state;
	eap_up("carolpass", "carolpass", false);
	ike_ctx_set_cookie_threshold(B.ike, 10, max);
	for (unsigned c = 0; c < clients; c++) {
		assert_int_equal(ike_initiate(A.ike, "net"), 0);
		for (int i = 0; i < 16 && net_n; i++) {
			uint32_t msgid = get_be32(net[0].data + 20);
			bool from_b = ip_addr_equal(&net[0].from.addr, &B.addr);

			if (net[0].data[18] == IKE_AUTH && from_b)
				got_eap++;
			/* A's second IKE_AUTH (its MS-CHAPv2 Response) never comes */
			deliver(net[0].data[18] == IKE_AUTH && !from_b && msgid >= 2);
		}
		assert_int_equal(net_n, 0);
		assert_true(ike_sa_count(B.ike) <= max);
		pair_restart(&A);              /* the client is gone */
		assert_int_equal(ike_psks_set(A.ike, IKE_PSK_FILE, secrets_a, 2), 0);
	}
	assert_int_equal(got_eap, max);    /* each admitted client got its EAP request */
	assert_int_equal(ike_sa_count(B.ike), max);
	assert_int_equal(B.ike->half_open, max);
	assert_true(ike_ctx_stats(B.ike)->cookies_sent >= max - 10);
	assert_int_equal(ike_ctx_stats(B.ike)->half_open_refused, clients - max);
	assert_int_equal(ike_ctx_stats(B.ike)->half_open_timeouts, 0);
	for (int i = 0; i < 31; i++) {
		tick(1000);
		while (net_n)
			deliver(true);
	}
	assert_int_equal(ike_sa_count(B.ike), 0);
	assert_int_equal(B.ike->half_open, 0);
	assert_int_equal(ike_ctx_stats(B.ike)->half_open_timeouts, max);
	for (unsigned i = 0; i < B.nends; i++)
		assert_int_equal(B.ends[i].reason, IKE_END_HALF_OPEN_TIMEOUT);
	/* the gateway is free again: a client that finishes gets in */
	assert_int_equal(ike_initiate(A.ike, "net"), 0);
	deliver_all();
	established();
}

/* ---- EAP-only authentication (RFC 5998), as charon 5.9.8 ---- */

/* Whether the queued message from p has a payload of type t (a notify:
 * of type ntype). */
static bool queued_has(struct peer *p, uint8_t t, uint16_t ntype)
{
	uint8_t buf[4096], first;
	struct ike_hdr h;
	int n = pair_open(p, &net[0], &h, &first, buf, sizeof(buf));
	size_t off = 0;

	assert_true(n > 0);
	for (uint8_t pt = first; pt != IKE_PLD_NONE && off + 4 <= (size_t)n;) {
		uint16_t plen = get_be16(buf + off + 2);

		if (pt == t && (t != IKE_PLD_NOTIFY || get_be16(buf + off + 6) == ntype))
			return true;
		pt = buf[off];
		off += plen;
	}
	return false;
}

/* The EAP client announces EAP-only support in its first IKE_AUTH; the
 * gateway (EAP-MSCHAPv2, not a mutual method) answers with its own AUTH
 * all the same, and the exchange completes. A PSK client sends nothing. */
static void test_eap_only_notify(void **state)
{
	(void)state;
	eap_up("carolpass", "carolpass", false);
	assert_int_equal(ike_initiate(A.ike, "net"), 0);
	assert_true(deliver(false));
	assert_true(deliver(false));
	assert_true(queued_has(&A, IKE_PLD_NOTIFY, IKE_N_EAP_ONLY_AUTHENTICATION));
	assert_true(deliver(false));
	assert_true(queued_has(&B, IKE_PLD_AUTH, 0));
	assert_true(queued_has(&B, IKE_PLD_EAP, 0));
	deliver_all();
	established();
	teardown(state);

	peers_up("aes256gcm16-prfsha256-x25519", "aes128gcm16", "aes256gcm16-prfsha256-x25519",
	         "aes128gcm16", NULL, NULL);
	assert_int_equal(ike_initiate(A.ike, "net"), 0);
	assert_true(deliver(false));
	assert_true(deliver(false));
	assert_false(queued_has(&A, IKE_PLD_NOTIFY, IKE_N_EAP_ONLY_AUTHENTICATION));
	deliver_all();
	assert_string_equal(ike_conn_state(A.ike, "gw"), "ESTABLISHED");
}

/* A gateway that goes EAP-only (its first response has IDr and EAP but
 * no AUTH; made here behind the integrity check): EAP-MSCHAPv2 is not
 * mutual, so the client refuses it as charon does ("do not allow
 * non-mutual EAP-only authentication"), counted, and tells the gateway. */
static void eap_only_refused(bool ask)
{
	uint8_t chain[4096], out[4096], first, prev_t, t;
	struct ike_hdr h;
	size_t off = 0, o = 0, prev = SIZE_MAX;
	int n;

	eap_up("carolpass", "carolpass", ask);
	assert_int_equal(ike_initiate(A.ike, "net"), 0);
	for (int i = 0; i < 3; i++)
		assert_true(deliver(false));   /* IKE_SA_INIT, the first IKE_AUTH request */
	assert_int_equal(net_n, 1);
	n = pair_open(&B, &net[0], &h, &first, chain, sizeof(chain));
	assert_true(n > 0);
	/* copy the chain without its AUTH payload */
	prev_t = first;
	for (t = first; t != IKE_PLD_NONE && off + 4 <= (size_t)n;) {
		uint16_t plen = get_be16(chain + off + 2);
		uint8_t next = chain[off];

		if (t == IKE_PLD_AUTH) {
			if (prev == SIZE_MAX)
				prev_t = next;
			else
				out[prev] = next;
		} else {
			memcpy(out + o, chain + off, plen);
			prev = o;
			o += plen;
		}
		t = next;
		off += plen;
	}
	assert_true(o < (size_t)n);        /* an AUTH was there */
	assert_int_equal(pair_seal(&B, &h, prev_t, out, o, &net[0]), 0);
	assert_true(deliver(false));       /* to A */
	assert_int_equal(ike_sa_count(A.ike), 0);
	assert_int_equal(A.ends[0].reason, IKE_END_AUTH_FAILED);
	assert_int_equal(ike_ctx_stats(A.ike)->auth_failed, 1);
	assert_int_equal(sad_count(A.sad), 0);
	assert_int_equal(net_n, 1);        /* INFORMATIONAL, AUTHENTICATION_FAILED */
	assert_int_equal(net[0].data[18], INFORMATIONAL);
}

static void test_eap_only_refused(void **state)
{
	eap_only_refused(false);           /* the first EAP request is the Challenge */
	teardown(state);
	eap_only_refused(true);            /* EAP-Identity first: refused all the same */
}

/* ---- the parser ---- */

static void test_parse(void **state)
{
	struct ike_eap e;
	struct ike_mschap m;
	uint8_t ok[] = { 1, 7, 0, 10, 26, 1, 9, 0, 5, 16 };   /* a truncated Challenge */
	uint8_t succ[] = { 3, 1, 0, 4 };
	uint8_t succ_long[] = { 3, 1, 0, 5, 0 };
	uint8_t short_req[] = { 1, 1, 0, 4 };
	uint8_t bad_code[] = { 9, 1, 0, 5, 1 };
	uint8_t ack[] = { 2, 1, 0, 6, 26, 3 };
	uint8_t chal[5 + 4 + 1 + 16 + 3];

	(void)state;
	assert_int_equal(ike_eap_parse(ok, sizeof(ok), &e), 0);
	assert_int_equal(e.type, 26);
	assert_int_equal(ike_mschap_parse(&e, &m), -EBADMSG);
	assert_int_equal(ike_eap_parse(ok, sizeof(ok) - 1, &e), -EBADMSG);   /* Length lies */
	assert_int_equal(ike_eap_parse(succ, sizeof(succ), &e), 0);
	assert_int_equal(ike_eap_parse(succ_long, sizeof(succ_long), &e), -EBADMSG);
	assert_int_equal(ike_eap_parse(short_req, sizeof(short_req), &e), -EBADMSG);
	assert_int_equal(ike_eap_parse(bad_code, sizeof(bad_code), &e), -EBADMSG);
	assert_int_equal(ike_eap_parse(ok, 3, &e), -EBADMSG);
	assert_int_equal(ike_eap_parse(ack, sizeof(ack), &e), 0);
	assert_int_equal(ike_mschap_parse(&e, &m), 0);
	assert_int_equal(m.op, IKE_MSCHAP_SUCCESS);
	/* a whole Challenge round trip */
	uint8_t c16[16] = { 1, 2, 3 };
	size_t n = ike_mschap_build_challenge(5, c16, "gw!", chal + 5);
	assert_int_equal(n, sizeof(chal) - 5);
	chal[0] = 1;
	chal[1] = 2;
	put_be16(chal + 2, (uint16_t)sizeof(chal));
	chal[4] = 26;
	assert_int_equal(ike_eap_parse(chal, sizeof(chal), &e), 0);
	assert_int_equal(ike_mschap_parse(&e, &m), 0);
	assert_int_equal(m.op, IKE_MSCHAP_CHALLENGE);
	assert_int_equal(m.ms_id, 5);
	assert_memory_equal(m.chal, c16, 16);
	assert_int_equal(m.name_len, 3);
	/* a Challenge from the client's side is refused */
	chal[0] = 2;
	assert_int_equal(ike_eap_parse(chal, sizeof(chal), &e), 0);
	assert_int_equal(ike_mschap_parse(&e, &m), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_mschapv2, teardown),
		cmocka_unit_test_teardown(test_identity_round, teardown),
		cmocka_unit_test_teardown(test_eap_identity_kept, teardown),
		cmocka_unit_test_teardown(test_unique_by_eap_identity, teardown),
		cmocka_unit_test_teardown(test_wrong_password, teardown),
		cmocka_unit_test_teardown(test_no_secret, teardown),
		cmocka_unit_test_teardown(test_tampered, teardown),
		cmocka_unit_test_teardown(test_half_finished, teardown),
		cmocka_unit_test_teardown(test_eap_flood, teardown),
		cmocka_unit_test_teardown(test_eap_only_notify, teardown),
		cmocka_unit_test_teardown(test_eap_only_refused, teardown),
		cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
