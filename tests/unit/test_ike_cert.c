/* Public-key authentication between IKE instances in one process: three
 * gateways (A 192.0.2.1, B 192.0.2.2, C 192.0.2.3) on an in-memory network,
 * each with its own credential store in swanctl's layout (a temporary
 * folder: x509/, x509ca/, x509crl/, private/) behind ctl_creds, PKIs made
 * during the test with OpenSSL (pki.h). A initiates to B; C is a second,
 * well-behaved tunnel to B where a test needs one.
 *
 * Checked: each signature scheme (RSA PKCS#1, RSA-PSS, ECDSA P-256/P-384,
 * Ed25519; RSA method 1 without RFC 7427), chains with an intermediate
 * sent and accepted, send_cert and CERTREQ, identities (DN, SAN, defaults,
 * wildcards), pinned certificates, cacerts/ca_id, revocation; every
 * refusal (expired, not yet valid, unknown CA, revoked, revocation unknown,
 * identity mismatch, signature invalid, constraints) ends both IKE SAs as
 * auth-failed with the reason in the log; hostile CERT payloads (huge,
 * malformed DER, a loop, 10 and 20 deep) put into A's IKE_AUTH request are
 * refused and counted while C's tunnel stays up. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "pki.h"

#include "conf/creds.h"
#include "crypto/x509.h"
#include "ctl/ctl_creds.h"
#include "ike/ike.h"
#include "ike/ike_authn.h"
#include "ike/ike_ctx.h"
#include "ike/ike_msg.h"
#include "ike/ike_proto.h"
#include "ike/ike_sa.h"
#include "util/log.h"
#include "xfrm/backend.h"
#include "xfrm/backend_sad.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

/* ---- the network ---- */
struct pkt_q {
	struct ike_endpoint from, to;
	size_t len;
	uint8_t *data;
};
#define NET_MAX 64
static struct pkt_q net[NET_MAX];
static unsigned net_n;
static uint64_t now_ms = 1000000;

static void net_send(void *ctx, const struct ike_endpoint *local, const struct ike_endpoint *remote,
                     const uint8_t *msg, size_t len)
{
	if (net_n >= NET_MAX)
		return;
	net[net_n].from = *local;
	net[net_n].to = *remote;
	net[net_n].len = len;
	net[net_n].data = malloc(len);
	assert_non_null(net[net_n].data);
	memcpy(net[net_n].data, msg, len);
	net_n++;
}

static uint64_t clock_now(void *ctx)
{
	return now_ms;
}

struct peer {
	const char *name;
	struct ike_ctx *ike;
	struct sad *sad;
	struct spd *spd;
	struct xfrm_backend *be;
	struct ip_addr addr;
	struct ctl_creds cc;
	struct ike_creds lie;          /* wrong_key: signs with another key */
	const struct crypto_pubkey *wrong_key;
	char dir[64];                  /* its swanctl folder */
};
static struct peer A = { .name = "a" }, B = { .name = "b" }, C = { .name = "c" };
static char logpath[128];

static struct peer *peer_at(const struct ip_addr *a)
{
	if (ip_addr_equal(a, &A.addr))
		return &A;
	if (ip_addr_equal(a, &B.addr))
		return &B;
	if (ip_addr_equal(a, &C.addr))
		return &C;
	return NULL;
}

static void pkt_drop(unsigned i)
{
	free(net[i].data);
	memmove(net + i, net + i + 1, (net_n - i - 1) * sizeof(net[0]));
	net_n--;
}

static bool deliver(void)
{
	struct pkt_q p;
	struct peer *dst;

	if (!net_n)
		return false;
	p = net[0];
	memmove(net, net + 1, (net_n - 1) * sizeof(net[0]));
	net_n--;
	dst = peer_at(&p.to.addr);
	assert_non_null(dst);
	ike_input(dst->ike, &p.to, &p.from, p.data, p.len);
	free(p.data);
	return true;
}

static void deliver_all(void)
{
	for (int i = 0; i < 50 && deliver(); i++)
		;
	assert_int_equal(net_n, 0);
}

/* ---- credentials ---- */

static void mkdirs(struct peer *p)
{
	static const char *const sub[] = { "x509", "x509ca", "x509crl", "private", "pubkey" };
	char path[128];

	snprintf(p->dir, sizeof(p->dir), "/tmp/uipsec-cert-%s-XXXXXX", p->name);
	assert_non_null(mkdtemp(p->dir));
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", p->dir, sub[i]);
		assert_int_equal(mkdir(path, 0700), 0);
	}
}

static void rmdirs(struct peer *p)
{
	char cmd[160];

	if (!p->dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
	assert_int_equal(system(cmd), 0);
	p->dir[0] = '\0';
}

static const struct crypto_cert *load(struct peer *p, enum creds_kind kind, const char *name,
                                      const unsigned char *data, size_t len)
{
	struct creds_report rep = { 0 };
	char path[256], err[256];
	const struct crypto_cert *c = NULL;

	snprintf(path, sizeof(path), "%s/%s/%s", p->dir, creds_kind_dir(kind), name);
	pki_write(path, data, len);
	if (kind == CREDS_X509 || kind == CREDS_X509CA) {
		c = creds_cert_for_file(p->cc.store, p->dir, kind, name, err, sizeof(err));
		if (!c)
			fprintf(stderr, "%s: %s\n", path, err);
		assert_non_null(c);
	} else {
		assert_int_equal(creds_load_file(p->cc.store, kind, path, name, NULL, 0, &rep), 0);
	}
	creds_report_free(&rep);
	return c;
}

static const struct crypto_cert *add_cert(struct peer *p, enum creds_kind kind, const char *name, X509 *x)
{
	size_t len;
	unsigned char *pem = pki_cert_pem(x, &len);
	const struct crypto_cert *c = load(p, kind, name, pem, len);

	free(pem);
	return c;
}

static void add_key(struct peer *p, const char *name, EVP_PKEY *k)
{
	size_t len;
	unsigned char *pem = pki_key(k, PKI_PKCS8_PEM, NULL, &len);

	load(p, CREDS_PRIVATE, name, pem, len);
	free(pem);
}

static void add_crl(struct peer *p, const char *name, X509_CRL *crl)
{
	size_t len;
	unsigned char *pem = pki_crl_pem(crl, &len);

	load(p, CREDS_X509CRL, name, pem, len);
	free(pem);
}

/* wrong_key: has every key, signs with another one (a peer whose
 * certificate does not belong to its private key) */
static bool lie_has_key(void *ctx, const struct crypto_pubkey *pub)
{
	return true;
}

static int lie_sign(void *ctx, const struct crypto_pubkey *pub, uint8_t method,
                    const struct crypto_sig_params *p, const uint8_t *octets, size_t len,
                    uint8_t *out, size_t outmax)
{
	struct peer *pe = ctx;

	return pe->cc.ike.sign(&pe->cc, pe->wrong_key, method, p, octets, len, out, outmax);
}

/* ---- the PKI: keys are made once, certificates per test ---- */

static EVP_PKEY *k_root, *k_im, *k_a, *k_b, *k_c, *k_other;
static EVP_PKEY *k_rsa3072, *k_p256, *k_p384, *k_ed25519;

static int group_setup(void **state)
{
	struct log_config lc = { .nsinks = 0 };
	struct log_sink_cfg *s;
	char err[256];

	k_root = pki_rsa(2048);
	k_im = pki_rsa(2048);
	k_a = pki_rsa(2048);
	k_b = pki_rsa(2048);
	k_c = pki_rsa(2048);
	k_other = pki_rsa(2048);
	k_rsa3072 = pki_rsa(3072);
	k_p256 = pki_ec("P-256");
	k_p384 = pki_ec("P-384");
	k_ed25519 = pki_ed25519();
	/* every line at info and above into a file the tests read */
	snprintf(logpath, sizeof(logpath), "/tmp/uipsec-cert-log-%d", (int)getpid());
	s = log_config_add(&lc, LOG_TARGET_FILE);
	assert_non_null(s);
	snprintf(s->path, sizeof(s->path), "%s", logpath);
	s->append = false;
	for (int i = 0; i < LOG_SUB_COUNT; i++)
		s->level[i] = 1;
	assert_int_equal(log_configure(&lc, err, sizeof(err)), 0);
	return 0;
}

static int group_teardown(void **state)
{
	EVP_PKEY *all[] = { k_root, k_im, k_a, k_b, k_c, k_other, k_rsa3072, k_p256, k_p384, k_ed25519 };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		EVP_PKEY_free(all[i]);
	unlink(logpath);
	return 0;
}

/* How many lines of the log so far contain s. */
static int log_has(const char *s)
{
	FILE *f = fopen(logpath, "r");
	char line[8192];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, s) != NULL;
	fclose(f);
	return n;
}

/* The log so far on stderr, for a failing test. */
static void log_dump(void)
{
	FILE *f = fopen(logpath, "r");
	char line[8192];

	while (f && fgets(line, sizeof(line), f))
		fputs(line, stderr);
	if (f)
		fclose(f);
}

static void log_truncate(void)
{
	assert_int_equal(truncate(logpath, 0), 0);
}

static X509 *ca_cert(const char *dn, EVP_PKEY *k, X509 *issuer, EVP_PKEY *ik)
{
	struct pki_opts o = { .subject = dn, .ca = 1, .ku = "critical,keyCertSign,cRLSign" };

	return pki_cert(k, &o, issuer, ik);
}

static X509 *ee_cert(const char *dn, const char *san, EVP_PKEY *k, X509 *issuer, EVP_PKEY *ik)
{
	struct pki_opts o = { .subject = dn, .san = san };

	return pki_cert(k, &o, issuer, ik);
}

/* ---- peers ---- */

static void peer_up(struct peer *p, const char *addr)
{
	struct ike_io io = { .send = net_send, .now_ms = clock_now, .ctx = p };

	ip_addr_parse(addr, &p->addr);
	p->sad = sad_new(NULL);
	p->spd = spd_new(NULL);
	p->be = xfrm_backend_sad_new(p->sad, p->spd);
	p->ike = ike_ctx_new(&io, p->be);
	assert_non_null(p->ike);
	ctl_creds_init(&p->cc);
	ctl_creds_set(&p->cc, creds_new());
	p->lie = p->cc.ike;
	p->lie.ctx = p;
	p->lie.has_key = lie_has_key;
	p->lie.sign = lie_sign;
	ike_ctx_set_creds(p->ike, &p->cc.ike);
	mkdirs(p);
}

static void peer_down(struct peer *p)
{
	if (!p->ike)
		return;
	ike_ctx_free(p->ike);
	xfrm_backend_sad_free(p->be);
	sad_free(p->sad);
	spd_free(p->spd);
	ctl_creds_free(&p->cc);
	rmdirs(p);
	p->ike = NULL;
	p->wrong_key = NULL;
}

static int setup(void **state)
{
	net_n = 0;
	peer_up(&A, "192.0.2.1");
	peer_up(&B, "192.0.2.2");
	log_truncate();
	return 0;
}

static int teardown(void **state)
{
	if (getenv("UIPSEC_TEST_LOG"))   /* UIPSEC_TEST_LOG=1: every test's log on stderr */
		log_dump();
	while (net_n)
		pkt_drop(0);
	peer_down(&A);
	peer_down(&B);
	peer_down(&C);
	return 0;
}

/* A pubkey connection "name" from p to other with one child. */
static void conn_pk(struct ike_conn_cfg *c, const char *name, const struct peer *p,
                    const struct peer *other, const char *lts, const char *rts)
{
	char err[256];

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->local_addr = p->addr;
	c->remote_addr = other->addr;
	assert_int_equal(ike_proposals_parse("aes128gcm16-prfsha256-x25519", IKE_PROTO_IKE, &c->ike,
	                                     err, sizeof(err)), 0);
	c->local_auth = c->remote_auth = IKE_AUTH_CLASS_PUBKEY;
	/* the child in a ring of them: a test holds a few configs at once,
	 * and ike_conn_add copies the array */
	static struct ike_child_cfg kids[32];
	static unsigned next_kid;
	struct ike_child_cfg *ch = &kids[next_kid++ % 32];
	memset(ch, 0, sizeof(*ch));
	c->children = ch;
	c->nchildren = 1;
	snprintf(ch->name, sizeof(ch->name), "%s-net", name);
	assert_int_equal(ike_proposals_parse("aes128gcm16", IKE_PROTO_ESP, &ch->esp, err, sizeof(err)), 0);
	ch->local_ts.n = ch->remote_ts.n = 1;
	assert_int_equal(ike_ts_parse(lts, &ch->local_ts.ts[0]), 0);
	assert_int_equal(ike_ts_parse(rts, &ch->remote_ts.ts[0]), 0);
}

static void set_id(struct ike_id *id, const char *s)
{
	assert_int_equal(ike_id_parse(s, id), 0);
}

static void set_auth(struct crypto_sig_constraints *c, const char *auth)
{
	char err[256];

	assert_int_equal(crypto_sig_constraints_parse(auth, false, c, err, sizeof(err)), 0);
}

static void conn_load(struct peer *p, const struct ike_conn_cfg *c)
{
	char err[256];

	if (ike_conn_add(p->ike, c, err, sizeof(err)))
		fail_msg("%s", err);
}

static struct ike_sa *sa_of(struct peer *p, const char *conn)
{
	for (struct ike_sa *sa = p->ike->sas; sa; sa = sa->next)
		if (sa->conn && !strcmp(sa->conn->cfg.name, conn) && sa->state != IKE_STATE_DEAD)
			return sa;
	return NULL;
}

static char *list_sas(struct peer *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	ike_list_sas(p->ike, f);
	fclose(f);
	return buf;
}

static void assert_listed(struct peer *p, const char *what)
{
	char *s = list_sas(p);

	if (!strstr(s, what))
		fail_msg("'%s' not in %s's list-sas:\n%s", what, p->name, s);
	free(s);
}

/* A: the standard PKI, root -> a, root -> b; each trusts the root; A
 * sends its certificate by the default rule (ifasked), B too. */
struct pki {
	X509 *root, *a, *b;
	struct ike_conn_cfg ca, cb;
};

static void pki_free(struct pki *k)
{
	X509_free(k->root);
	X509_free(k->a);
	X509_free(k->b);
}

static void pki_std(struct pki *k, EVP_PKEY *ka, EVP_PKEY *kb)
{
	k->root = ca_cert("C=CH, O=strongSwan, CN=Root CA", k_root, NULL, NULL);
	k->a = ee_cert("C=CH, O=strongSwan, CN=a.example.org", "DNS:a.example.org", ka, k->root, k_root);
	k->b = ee_cert("C=CH, O=strongSwan, CN=b.example.org", "DNS:b.example.org,IP:192.0.2.2", kb,
	               k->root, k_root);
	add_cert(&A, CREDS_X509CA, "root.pem", k->root);
	add_cert(&B, CREDS_X509CA, "root.pem", k->root);
	conn_pk(&k->ca, "gw", &A, &B, "10.1.0.0/24", "10.2.0.0/24");
	conn_pk(&k->cb, "gw", &B, &A, "10.2.0.0/24", "10.1.0.0/24");
	k->ca.local_pk.certs[k->ca.local_pk.ncerts++] = (struct crypto_cert *)add_cert(&A, CREDS_X509, "a.pem", k->a);
	k->cb.local_pk.certs[k->cb.local_pk.ncerts++] = (struct crypto_cert *)add_cert(&B, CREDS_X509, "b.pem", k->b);
	add_key(&A, "a.key", ka);
	add_key(&B, "b.key", kb);
}

static void establish(void)
{
	assert_int_equal(ike_initiate(A.ike, "gw"), 0);
	deliver_all();
	if (strcmp(ike_conn_state(B.ike, "gw"), "ESTABLISHED"))
		log_dump();
	assert_string_equal(ike_conn_state(A.ike, "gw"), "ESTABLISHED");
	assert_string_equal(ike_conn_state(B.ike, "gw"), "ESTABLISHED");
	assert_int_equal(ike_child_count(A.ike), 1);
	assert_int_equal(ike_child_count(B.ike), 1);
	assert_int_equal(sad_count(A.sad), 2);
	assert_int_equal(sad_count(B.sad), 2);
}

/* Neither side has an IKE SA or a CHILD SA left; each ended auth-failed. */
static void assert_refused(const char *reason)
{
	assert_int_equal(ike_initiate(A.ike, "gw"), 0);
	deliver_all();
	assert_int_equal(ike_sa_count(A.ike), 0);
	assert_int_equal(ike_child_count(A.ike), 0);
	assert_int_equal(ike_child_count(B.ike), 0);
	assert_int_equal(sad_count(A.sad), 0);
	assert_int_equal(sad_count(B.sad), 0);
	assert_int_equal(ike_ctx_stats(A.ike)->ike_ended[IKE_END_AUTH_FAILED], 1);
	assert_int_equal(ike_ctx_stats(B.ike)->ike_ended[IKE_END_AUTH_FAILED], 1);
	if (!log_has(reason)) {
		log_dump();
		fail_msg("no log line with '%s'", reason);
	}
	assert_true(log_has("AUTHENTICATION_FAILED") >= 1);
}

/* ---- the schemes ---- */

static void test_rsa_pkcs1(void **state)
{
	struct pki k;

	pki_std(&k, k_a, k_b);
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	establish();
	/* both sides support RFC 7427: method 14, PKCS#1 v1.5 with SHA-256
	 * for RSA-2048 (charon.rsa_pss = no) */
	assert_listed(&A, "RSA_EMSA_PKCS1_SHA2_256");
	assert_listed(&B, "RSA_EMSA_PKCS1_SHA2_256");
	/* default ids: the certificates' subjects, as DNs */
	assert_listed(&B, "remote 'C=CH, O=strongSwan, CN=a.example.org'");
	assert_listed(&A, "remote 'C=CH, O=strongSwan, CN=b.example.org'");
	assert_listed(&A, "cert 'C=CH, O=strongSwan, CN=b.example.org'");
	/* the CERTREQs went both ways, so did the certificates (ifasked) */
	assert_true(log_has("received cert request for 'C=CH, O=strongSwan, CN=Root CA'") >= 2);
	assert_true(log_has("received end entity cert 'C=CH, O=strongSwan, CN=a.example.org'") >= 1);
	assert_true(log_has("received end entity cert 'C=CH, O=strongSwan, CN=b.example.org'") >= 1);
	pki_free(&k);
}

/* One key type on A with the local auth string, and the scheme B sees. */
static void scheme_case(EVP_PKEY *ka, const char *local_auth, const char *remote_auth_b,
                        const char *want)
{
	struct pki k;

	pki_std(&k, ka, k_b);
	if (local_auth)
		set_auth(&k.ca.local_pk.sig, local_auth);
	if (remote_auth_b)
		set_auth(&k.cb.remote_pk.sig, remote_auth_b);
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	establish();
	assert_listed(&B, want);
	pki_free(&k);
}

static void test_rsa_pss(void **state)
{
	scheme_case(k_rsa3072, "rsa/pss-sha256", "ike:rsa/pss-sha256", "RSA_EMSA_PSS_SHA2_256_SALT_32");
}

static void test_ecdsa_p256(void **state)
{
	scheme_case(k_p256, NULL, NULL, "ECDSA_WITH_SHA256_DER");
}

static void test_ecdsa_p384(void **state)
{
	scheme_case(k_p384, NULL, "ike:ecdsa-sha384", "ECDSA_WITH_SHA384_DER");
}

static void test_ed25519(void **state)
{
	scheme_case(k_ed25519, NULL, NULL, "ED25519");
}

/* Without the peer's SIGNATURE_HASH_ALGORITHMS (an implementation without
 * RFC 7427), RSA signs with method 1 and ECDSA with 9/10. */
static void test_classic_methods(void **state)
{
	struct pki k;

	pki_std(&k, k_a, k_p384);
	/* the responder's key is P-384 now */
	X509_free(k.b);
	k.b = ee_cert("C=CH, O=strongSwan, CN=b.example.org", "DNS:b.example.org", k_p384, k.root, k_root);
	rmdirs(&B);
	ctl_creds_set(&B.cc, creds_new());
	mkdirs(&B);
	add_cert(&B, CREDS_X509CA, "root.pem", k.root);
	k.cb.local_pk.certs[0] = (struct crypto_cert *)add_cert(&B, CREDS_X509, "b.pem", k.b);
	add_key(&B, "b.key", k_p384);
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	assert_int_equal(ike_initiate(A.ike, "gw"), 0);
	assert_true(deliver());                 /* IKE_SA_INIT request */
	/* B forgets A's hash list: it signs as without RFC 7427 */
	struct ike_sa *sb = sa_of(&B, "gw");
	assert_non_null(sb);
	assert_int_not_equal(sb->peer_hashes, 0);
	sb->peer_hashes = 0;
	deliver_all();
	assert_string_equal(ike_conn_state(A.ike, "gw"), "ESTABLISHED");
	assert_listed(&A, "ECDSA-384 signature");
	assert_listed(&B, "RSA_EMSA_PKCS1_SHA2_256");
	pki_free(&k);
}

/* Ed25519 cannot sign without RFC 7427: the responder says why. */
static void test_ed25519_needs_rfc7427(void **state)
{
	struct pki k;

	pki_std(&k, k_a, k_ed25519);
	X509_free(k.b);
	k.b = ee_cert("C=CH, O=strongSwan, CN=b.example.org", NULL, k_ed25519, k.root, k_root);
	rmdirs(&B);
	ctl_creds_set(&B.cc, creds_new());
	mkdirs(&B);
	add_cert(&B, CREDS_X509CA, "root.pem", k.root);
	k.cb.local_pk.certs[0] = (struct crypto_cert *)add_cert(&B, CREDS_X509, "b.pem", k.b);
	add_key(&B, "b.key", k_ed25519);
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	assert_int_equal(ike_initiate(A.ike, "gw"), 0);
	assert_true(deliver());
	sa_of(&B, "gw")->peer_hashes = 0;
	deliver_all();
	assert_int_equal(ike_sa_count(A.ike), 0);
	assert_int_equal(ike_sa_count(B.ike), 0);
	assert_true(log_has("an Ed25519 key needs RFC 7427 signatures") >= 1);
	pki_free(&k);
}

/* ---- chains, send_cert, CERTREQ ---- */

/* A's certificate is issued by an intermediate CA only A holds; B trusts
 * the root alone and builds the path from A's CERT payloads. */
static void test_intermediate(void **state)
{
	struct pki k;
	X509 *im;

	pki_std(&k, k_a, k_b);
	im = ca_cert("C=CH, O=strongSwan, CN=Intermediate CA", k_im, k.root, k_root);
	X509_free(k.a);
	k.a = ee_cert("C=CH, O=strongSwan, CN=a.example.org", "DNS:a.example.org", k_a, im, k_im);
	rmdirs(&A);
	ctl_creds_set(&A.cc, creds_new());
	mkdirs(&A);
	add_cert(&A, CREDS_X509CA, "root.pem", k.root);
	add_cert(&A, CREDS_X509CA, "im.pem", im);
	k.ca.local_pk.certs[0] = (struct crypto_cert *)add_cert(&A, CREDS_X509, "a.pem", k.a);
	add_key(&A, "a.key", k_a);
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	establish();
	assert_int_equal(log_has("sending issuer cert 'C=CH, O=strongSwan, CN=Intermediate CA'"), 1);
	assert_int_equal(log_has("received issuer cert 'C=CH, O=strongSwan, CN=Intermediate CA'"), 1);
	assert_true(log_has("a path of 3 to 'C=CH, O=strongSwan, CN=Root CA'") >= 1);
	/* the root is never sent */
	assert_int_equal(log_has("sending issuer cert 'C=CH, O=strongSwan, CN=Root CA'"), 0);
	X509_free(im);
	pki_free(&k);
}

/* An intermediate received in CERT is never a trust anchor: B trusts
 * another root, A sends its whole chain including a self-signed root of
 * its own: B refuses with unknown CA. */
static void test_im_not_anchor(void **state)
{
	struct pki k;
	X509 *other;

	pki_std(&k, k_a, k_b);
	other = ca_cert("C=CH, O=Other, CN=Other Root", k_other, NULL, NULL);
	rmdirs(&B);
	ctl_creds_set(&B.cc, creds_new());
	mkdirs(&B);
	add_cert(&B, CREDS_X509CA, "other.pem", other);
	k.cb.local_pk.certs[0] = (struct crypto_cert *)add_cert(&B, CREDS_X509, "b.pem", k.b);
	add_key(&B, "b.key", k_b);
	k.ca.send_cert = IKE_SEND_CERT_ALWAYS;
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	assert_refused("unknown CA");
	assert_true(ike_ctx_stats(B.ike)->cert_refused >= 1);
	X509_free(other);
	pki_free(&k);
}

/* send_cert = never: B has no certificate for A and says so; with A's
 * certificate loaded in B's x509/ (as strongSwan allows) it works. */
static void test_send_cert_never(void **state)
{
	struct pki k;

	pki_std(&k, k_a, k_b);
	k.ca.send_cert = IKE_SEND_CERT_NEVER;
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	assert_refused("it sent no CERT payload and none with identity");
	pki_free(&k);
}

static void test_send_cert_never_local(void **state)
{
	struct pki k;

	pki_std(&k, k_a, k_b);
	k.ca.send_cert = IKE_SEND_CERT_NEVER;
	add_cert(&B, CREDS_X509, "a.pem", k.a);
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	establish();
	assert_int_equal(log_has("received end entity cert 'C=CH, O=strongSwan, CN=a.example.org'"), 0);
	pki_free(&k);
}

/* send_certreq = no on both sides: ifasked sends nothing, so the
 * certificates must be known locally; always sends them anyway. */
static void test_no_certreq(void **state)
{
	struct pki k;

	pki_std(&k, k_a, k_b);
	k.ca.no_certreq = k.cb.no_certreq = true;
	k.ca.send_cert = k.cb.send_cert = IKE_SEND_CERT_ALWAYS;
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	establish();
	assert_int_equal(log_has("received cert request"), 0);
	assert_true(log_has("received end entity cert") >= 2);
	pki_free(&k);
}

/* ---- identities ---- */

/* local id given as a subjectAltName, no local.certs: the certificate is
 * found by identity; B's remote id is a pattern. */
static void test_id_san_and_pattern(void **state)
{
	struct pki k;

	pki_std(&k, k_a, k_b);
	k.ca.local_pk.ncerts = 0;
	set_id(&k.ca.local_id, "a.example.org");
	set_id(&k.cb.remote_id, "*.example.org");
	set_id(&k.ca.remote_id, "C=CH, O=strongSwan, CN=*");
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	establish();
	assert_listed(&B, "remote 'a.example.org'");
	pki_free(&k);
}

static void test_id_mismatch(void **state)
{
	struct pki k;

	pki_std(&k, k_a, k_b);
	set_id(&k.ca.local_id, "c.example.org");   /* not in A's certificate */
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	assert_refused("identity mismatch: 'c.example.org' is neither the subject nor a subjectAltName");
	pki_free(&k);
}

/* remote id names someone else: the responder finds no connection. */
static void test_remote_id_mismatch(void **state)
{
	struct pki k;

	pki_std(&k, k_a, k_b);
	set_id(&k.cb.remote_id, "C=CH, O=strongSwan, CN=z.example.org");
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	assert_refused("no connection accepts peer identity 'C=CH, O=strongSwan, CN=a.example.org'");
	pki_free(&k);
}

/* remote.certs pins the peer's certificate: another certificate of the
 * same CA for the same identity is refused. */
static void test_pinned(void **state)
{
	struct pki k;
	X509 *pin;

	pki_std(&k, k_a, k_b);
	pin = ee_cert("C=CH, O=strongSwan, CN=a.example.org", "DNS:a.example.org", k_other, k.root, k_root);
	k.cb.remote_pk.certs[k.cb.remote_pk.ncerts++] =
		(struct crypto_cert *)add_cert(&B, CREDS_X509, "a-pinned.pem", pin);
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	assert_refused("signature invalid");
	X509_free(pin);
	pki_free(&k);
}

static void test_pinned_ok(void **state)
{
	struct pki k;

	pki_std(&k, k_a, k_b);
	k.cb.remote_pk.certs[k.cb.remote_pk.ncerts++] =
		(struct crypto_cert *)add_cert(&B, CREDS_X509, "a.pem", k.a);
	k.ca.send_cert = IKE_SEND_CERT_NEVER;
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	establish();
	pki_free(&k);
}

/* ---- refusals ---- */

static void test_expired(void **state)
{
	struct pki k;
	struct pki_opts o = { .subject = "C=CH, O=strongSwan, CN=a.example.org",
	                      .not_before = -10 * 86400, .not_after = -86400 };

	pki_std(&k, k_a, k_b);
	X509 *old = pki_cert(k_a, &o, k.root, k_root);
	rmdirs(&A);
	ctl_creds_set(&A.cc, creds_new());
	mkdirs(&A);
	add_cert(&A, CREDS_X509CA, "root.pem", k.root);
	k.ca.local_pk.certs[0] = (struct crypto_cert *)add_cert(&A, CREDS_X509, "a.pem", old);
	add_key(&A, "a.key", k_a);
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	assert_refused("not trusted: expired");
	assert_int_equal(ike_ctx_stats(B.ike)->cert_refused, 1);
	X509_free(old);
	pki_free(&k);
}

static void test_not_yet_valid(void **state)
{
	struct pki k;
	struct pki_opts o = { .subject = "C=CH, O=strongSwan, CN=b.example.org",
	                      .not_before = 86400, .not_after = 10 * 86400 };

	/* the responder's certificate this time: the initiator refuses it
	 * and tells it in an INFORMATIONAL */
	pki_std(&k, k_a, k_b);
	X509 *young = pki_cert(k_b, &o, k.root, k_root);
	rmdirs(&B);
	ctl_creds_set(&B.cc, creds_new());
	mkdirs(&B);
	add_cert(&B, CREDS_X509CA, "root.pem", k.root);
	k.cb.local_pk.certs[0] = (struct crypto_cert *)add_cert(&B, CREDS_X509, "b.pem", young);
	add_key(&B, "b.key", k_b);
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	assert_refused("not trusted: not yet valid");
	assert_true(log_has("responder 'C=CH, O=strongSwan, CN=b.example.org' failed") >= 1);
	X509_free(young);
	pki_free(&k);
}

static void test_wrong_ca(void **state)
{
	struct pki k;
	X509 *other = ca_cert("C=CH, O=Other, CN=Other Root", k_other, NULL, NULL);

	pki_std(&k, k_a, k_b);
	rmdirs(&B);
	ctl_creds_set(&B.cc, creds_new());
	mkdirs(&B);
	add_cert(&B, CREDS_X509CA, "other.pem", other);
	k.cb.local_pk.certs[0] = (struct crypto_cert *)add_cert(&B, CREDS_X509, "b.pem", k.b);
	add_key(&B, "b.key", k_b);
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	/* B asked for Other Root, A sends its certificate anyway (ifasked) */
	assert_refused("not trusted: unknown CA");
	X509_free(other);
	pki_free(&k);
}

static void test_revoked(void **state)
{
	struct pki k;

	pki_std(&k, k_a, k_b);
	struct pki_revoked rv = { ASN1_INTEGER_get(X509_get0_serialNumber(k.a)), 1 };
	X509_CRL *crl = pki_crl(k.root, k_root, &rv, 1, 0, 0);
	add_crl(&B, "root.crl", crl);
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	assert_refused("not trusted: revoked");
	X509_CRL_free(crl);
	pki_free(&k);
}

static void test_revocation_strict(void **state)
{
	struct pki k;

	/* no CRL: relaxed accepts, strict refuses */
	pki_std(&k, k_a, k_b);
	k.cb.remote_pk.revocation = CRYPTO_REVOCATION_STRICT;
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	assert_refused("not trusted: revocation status unknown");
	pki_free(&k);
}

static void test_revocation_strict_good(void **state)
{
	struct pki k;

	pki_std(&k, k_a, k_b);
	X509_CRL *crl = pki_crl(k.root, k_root, NULL, 0, 0, 0);
	add_crl(&B, "root.crl", crl);
	k.cb.remote_pk.revocation = CRYPTO_REVOCATION_STRICT;
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	establish();
	X509_CRL_free(crl);
	pki_free(&k);
}

/* A's certificate is fine, its signature is made with another key. */
static void test_wrong_key(void **state)
{
	struct pki k;
	X509 *dummy;

	pki_std(&k, k_a, k_b);
	dummy = ee_cert("C=CH, O=strongSwan, CN=dummy", NULL, k_other, k.root, k_root);
	add_cert(&A, CREDS_X509, "dummy.pem", dummy);
	add_key(&A, "other.key", k_other);
	A.wrong_key = crypto_cert_pubkey(creds_cert_at(A.cc.store, creds_cert_count(A.cc.store) - 1,
	                                               NULL, NULL));
	ike_ctx_set_creds(A.ike, &A.lie);
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	assert_refused("signature invalid: its AUTH (digital signature) does not verify with the key of "
	               "'C=CH, O=strongSwan, CN=a.example.org'");
	X509_free(dummy);
	pki_free(&k);
}

/* No private key for our certificate: we cannot authenticate. */
static void test_no_private_key(void **state)
{
	struct pki k;

	pki_std(&k, k_a, k_b);
	rmdirs(&A);
	ctl_creds_set(&A.cc, creds_new());
	mkdirs(&A);
	add_cert(&A, CREDS_X509CA, "root.pem", k.root);
	k.ca.local_pk.certs[0] = (struct crypto_cert *)add_cert(&A, CREDS_X509, "a.pem", k.a);
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	assert_int_equal(ike_initiate(A.ike, "gw"), 0);
	deliver_all();
	assert_int_equal(ike_sa_count(A.ike), 0);
	assert_true(log_has("no private key found for 'C=CH, O=strongSwan, CN=a.example.org'") >= 1);
	pki_free(&k);
}

/* B insists on RSASSA-PSS for the AUTH; A signs PKCS#1 v1.5 (its
 * default, charon.rsa_pss = no). */
static void test_constraint(void **state)
{
	struct pki k;

	pki_std(&k, k_a, k_b);
	set_auth(&k.cb.remote_pk.sig, "ike:rsa/pss-sha256");
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	assert_refused("constraint check failed: it signed with RSA_EMSA_PKCS1_SHA2_256");
	pki_free(&k);
}

/* Without ike:, rsa/pss-sha256 constrains the certificates' signatures
 * too (as in strongSwan): our test CA signs PKCS#1 v1.5. */
static void test_constraint_chain(void **state)
{
	struct pki k;

	pki_std(&k, k_a, k_b);
	set_auth(&k.ca.local_pk.sig, "rsa/pss-sha256");
	set_auth(&k.cb.remote_pk.sig, "rsa/pss-sha256");
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	assert_refused("is signed with RSA_EMSA_PKCS1_SHA2_256, not an allowed signature scheme");
	pki_free(&k);
}

/* remote.cacerts / remote.ca_id: the chain must hold that CA. */
static void test_cacerts(void **state)
{
	struct pki k;
	X509 *other = ca_cert("C=CH, O=Other, CN=Other Root", k_other, NULL, NULL);

	pki_std(&k, k_a, k_b);
	k.cb.remote_pk.cacerts[k.cb.remote_pk.ncacerts++] =
		(struct crypto_cert *)add_cert(&B, CREDS_X509CA, "other.pem", other);
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	assert_refused("not trusted: CA mismatch");
	X509_free(other);
	pki_free(&k);
}

static void test_ca_id(void **state)
{
	struct pki k;

	pki_std(&k, k_a, k_b);
	set_id(&k.cb.remote_pk.ca_id, "C=CH, O=strongSwan, CN=Root CA");
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	establish();
	pki_free(&k);
}

/* ---- hostile CERT payloads ---- */

/* Replace the CERT payloads of the IKE_AUTH request waiting in the
 * network (A to B) by n others: decrypt it as B would, rebuild it with the
 * same header and payloads, reseal it with A's keys. The AUTH signature
 * does not cover CERT payloads, so it stays valid. */
static void rewrite_certs(const uint8_t *const *certs, const size_t *lens, unsigned n)
{
	struct ike_msg m;
	struct ike_mb mb;
	struct crypto_ike_keys kin;
	struct ike_sa *sb;
	bool put = false;

	assert_true(net_n >= 1);
	assert_int_equal(ike_msg_parse(net[0].data, net[0].len, &m), 0);
	assert_int_equal(m.hdr.exchange, IKE_AUTH);
	sb = ike_sa_find(B.ike, m.hdr.spi_i, m.hdr.spi_r);
	assert_non_null(sb);
	ike_sa_keys_in(sb, &kin);
	assert_int_equal(ike_msg_decrypt(&m, &kin), 0);
	ike_mb_init(&mb, &m.hdr);
	ike_mb_sk_open(&mb, sb->encr);
	for (unsigned i = 0; i < m.npld; i++) {
		const struct ike_pld *p = &m.pld[i];
		if (!p->encrypted || p->type == IKE_PLD_CERT)
			continue;
		if (p->type == IKE_PLD_AUTH && !put) {
			for (unsigned k = 0; k < n; k++)
				ike_pld_cert_put(&mb, IKE_CERT_X509_SIGNATURE, certs[k], lens[k]);
			put = true;
		}
		size_t off = ike_mb_open(&mb, p->type, p->critical);
		ike_mb_put(&mb, p->body, p->len);
		ike_mb_close(&mb, off);
	}
	assert_int_equal(ike_mb_finish(&mb, &kin), 0);
	free(net[0].data);
	net[0].data = malloc(mb.len);
	memcpy(net[0].data, mb.p, mb.len);
	net[0].len = mb.len;
	ike_mb_free(&mb);
	ike_msg_clear(&m);
}

/* C: a tunnel to B that must survive whatever A does. */
static void c_tunnel_up(struct pki *k)
{
	struct ike_conn_cfg cc, bc;
	X509 *c = ee_cert("C=CH, O=strongSwan, CN=c.example.org", NULL, k_c, k->root, k_root);

	peer_up(&C, "192.0.2.3");
	add_cert(&C, CREDS_X509CA, "root.pem", k->root);
	conn_pk(&cc, "gwc", &C, &B, "10.3.0.0/24", "10.2.0.0/24");
	cc.local_pk.certs[cc.local_pk.ncerts++] = (struct crypto_cert *)add_cert(&C, CREDS_X509, "c.pem", c);
	add_key(&C, "c.key", k_c);
	conn_pk(&bc, "gwc", &B, &C, "10.2.0.0/24", "10.3.0.0/24");
	bc.local_pk = k->cb.local_pk;
	conn_load(&C, &cc);
	conn_load(&B, &bc);
	assert_int_equal(ike_initiate(C.ike, "gwc"), 0);
	deliver_all();
	assert_string_equal(ike_conn_state(C.ike, "gwc"), "ESTABLISHED");
	assert_string_equal(ike_conn_state(B.ike, "gwc"), "ESTABLISHED");
	X509_free(c);
}

/* A's IKE_AUTH request with these CERT payloads is refused by B; C's
 * tunnel is untouched; a clean attempt afterwards works. */
static void hostile_case(struct pki *k, const uint8_t *const *certs, const size_t *lens,
                         unsigned n, const char *reason)
{
	const struct ike_stats *sb = ike_ctx_stats(B.ike);
	uint64_t bad = sb->cert_malformed + sb->cert_refused;

	assert_int_equal(ike_initiate(A.ike, "gw"), 0);
	assert_true(deliver());                 /* IKE_SA_INIT request */
	assert_true(deliver());                 /* response */
	rewrite_certs(certs, lens, n);
	deliver_all();
	assert_string_equal(ike_conn_state(A.ike, "gw"), "NONE");
	assert_string_equal(ike_conn_state(B.ike, "gw"), "NONE");
	assert_true(sb->cert_malformed + sb->cert_refused > bad);
	if (!log_has(reason)) {
		log_dump();
		fail_msg("no log line with '%s'", reason);
	}
	/* the other tunnel is still there, its CHILD SA too */
	assert_string_equal(ike_conn_state(B.ike, "gwc"), "ESTABLISHED");
	assert_int_equal(ike_child_count(B.ike), 1);
	assert_int_equal(sad_count(B.sad), 2);
}

static void test_hostile_certs(void **state)
{
	struct pki k;
	size_t alen, n;
	uint8_t *ader;

	pki_std(&k, k_a, k_b);
	/* whole messages: the rewrite works on one IKE_AUTH datagram, not on
	 * RFC 7383 fragments */
	k.ca.fragmentation = k.cb.fragmentation = IKE_FRAG_NO;
	k.ca.send_cert = IKE_SEND_CERT_ALWAYS;
	conn_load(&A, &k.ca);
	conn_load(&B, &k.cb);
	c_tunnel_up(&k);
	ader = pki_cert_der(k.a, &alen);

	/* malformed DER: the certificate cut short */
	{
		const uint8_t *c[] = { ader };
		size_t l[] = { alen - 7 };
		hostile_case(&k, c, l, 1, "CERT payload 1 is not a certificate we accept");
	}
	/* garbage after a good certificate */
	{
		uint8_t *g = malloc(alen + 3);
		memcpy(g, ader, alen);
		memset(g + alen, 0, 3);
		const uint8_t *c[] = { g };
		size_t l[] = { alen + 3 };
		hostile_case(&k, c, l, 1, "CERT payload 1 is not a certificate we accept");
		free(g);
	}
	/* huge: 40,000 bytes */
	{
		uint8_t *h = calloc(1, 40000);
		const uint8_t *c[] = { ader, h };
		size_t l[] = { alen, 40000 };
		hostile_case(&k, c, l, 2, "CERT payload 2 holds 40000 bytes, more than the 32768 accepted");
		free(h);
	}
	/* a loop: X issued by Y, Y issued by X, A's certificate by X */
	{
		EVP_PKEY *kx = k_im, *ky = k_other;
		struct pki_opts ox = { .subject = "C=CH, O=Loop, CN=X", .ca = 1 };
		struct pki_opts oy = { .subject = "C=CH, O=Loop, CN=Y", .ca = 1 };
		X509 *y0 = pki_cert(ky, &oy, NULL, NULL);            /* self-signed Y, to issue X */
		X509 *x = pki_cert(kx, &ox, y0, ky);
		X509 *y = pki_cert(ky, &oy, x, kx);                  /* Y issued by X */
		X509 *ee = ee_cert("C=CH, O=strongSwan, CN=a.example.org", NULL, k_a, x, kx);
		size_t l[3];
		uint8_t *d0 = pki_cert_der(ee, &l[0]), *d1 = pki_cert_der(x, &l[1]), *d2 = pki_cert_der(y, &l[2]);
		const uint8_t *c[] = { d0, d1, d2 };
		hostile_case(&k, c, l, 3, "not trusted: unknown CA");
		free(d0);
		free(d1);
		free(d2);
		X509_free(y0);
		X509_free(x);
		X509_free(y);
		X509_free(ee);
	}
	/* 10 deep (9 intermediates, more than strongSwan's 7) and 20 deep */
	for (int depth = 10; depth <= 20; depth += 10) {
		X509 *chain[20];
		EVP_PKEY *ck = k_im;
		uint8_t *der[20];
		size_t l[20];
		char dn[64];
		chain[0] = k.root;
		for (int i = 1; i < depth; i++) {
			snprintf(dn, sizeof(dn), "C=CH, O=Deep, CN=CA %d", i);
			chain[i] = ca_cert(dn, ck, chain[i - 1], i == 1 ? k_root : ck);
		}
		X509 *ee = ee_cert("C=CH, O=strongSwan, CN=a.example.org", NULL, k_a, chain[depth - 1], ck);
		der[0] = pki_cert_der(ee, &l[0]);
		for (int i = 1; i < depth; i++)
			der[i] = pki_cert_der(chain[depth - i], &l[i]);
		hostile_case(&k, (const uint8_t *const *)der, l, (unsigned)depth,
		             depth == 10 ? "not trusted: path too long" : "more than 16 CERT payloads");
		for (int i = 0; i < depth; i++)
			free(der[i]);
		for (int i = 1; i < depth; i++)
			X509_free(chain[i]);
		X509_free(ee);
	}
	/* and after all that, A's real certificate still works */
	assert_int_equal(ike_initiate(A.ike, "gw"), 0);
	deliver_all();
	assert_string_equal(ike_conn_state(A.ike, "gw"), "ESTABLISHED");
	assert_string_equal(ike_conn_state(B.ike, "gw"), "ESTABLISHED");
	n = ike_ctx_stats(B.ike)->cert_malformed;
	assert_true(n >= 4);
	free(ader);
	pki_free(&k);
}

/* ---- payload codecs ---- */

static void test_codecs(void **state)
{
	uint8_t body[64], enc;
	const uint8_t *d;
	size_t dl;

	memset(body, 0xab, sizeof(body));
	body[0] = IKE_CERT_X509_SIGNATURE;
	assert_int_equal(ike_pld_cert_parse(body, 1, &enc, &d, &dl), 0);
	assert_int_equal(dl, 0);
	assert_int_equal(ike_pld_cert_parse(body, 0, &enc, &d, &dl), -EBADMSG);
	assert_int_equal(ike_pld_validate(IKE_PLD_CERT, body, 0), -EBADMSG);
	/* CERTREQ: whole SHA-1 hashes only */
	assert_int_equal(ike_pld_certreq_parse(body, 41, &enc, &d, &dl), 0);
	assert_int_equal(dl, 40);
	assert_int_equal(ike_pld_certreq_parse(body, 1, &enc, &d, &dl), -EBADMSG);
	assert_int_equal(ike_pld_certreq_parse(body, 25, &enc, &d, &dl), -EBADMSG);
	assert_int_equal(ike_pld_validate(IKE_PLD_CERTREQ, body, 30), -EBADMSG);
	/* another encoding: opaque */
	body[0] = IKE_CERT_HASH_URL;
	assert_int_equal(ike_pld_certreq_parse(body, 3, &enc, &d, &dl), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codecs),
		cmocka_unit_test_setup_teardown(test_rsa_pkcs1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rsa_pss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecdsa_p256, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecdsa_p384, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ed25519, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classic_methods, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ed25519_needs_rfc7427, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intermediate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_im_not_anchor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_cert_never, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_cert_never_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_certreq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id_san_and_pattern, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_id_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pinned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pinned_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_yet_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revocation_strict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revocation_strict_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_private_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_constraint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_constraint_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cacerts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_certs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
