/* EAP in IKE_AUTH (RFC 7296 2.16) with EAP-MSCHAPv2, both ends, behind
 * the authenticator interface (ike_authn.h). Runs on the control loop.
 *
 *   client (LOCAL)                         server (REMOTE)
 *   IDi, no AUTH, SA, TS            -->
 *                                   <--    IDr, CERT, AUTH, EAP(Request/Identity)
 *   EAP(Response/Identity)          -->       (only if remote.eap_id asks for it)
 *                                   <--    EAP(Request/MSCHAPv2 Challenge)
 *   EAP(Response/MSCHAPv2 Response) -->
 *                                   <--    EAP(Request/MSCHAPv2 Success "S=...")
 *   EAP(Response/MSCHAPv2 Success)  -->
 *                                   <--    EAP(Success)
 *   then the IKE_AUTH task: AUTH keyed by the MSK both ways.
 *
 * Every message must be the one this state expects: another EAP code or
 * type, a wrong Identifier or MS-CHAPv2-ID, a missing EAP payload fail
 * the authentication (the IKE_AUTH task answers AUTHENTICATION_FAILED and
 * ends the IKE SA); the rounds are bounded by the task
 * (IKE_AUTH_ROUNDS_MAX) and the half-open timeout. The state lives here,
 * per exchange; secrets are looked up in the IKE core's table of shared
 * secrets (ike_psks_set, IKE_SHARED_EAP) when needed, and their NT
 * hashes wiped after use. */
#include "ike/ike_authn_eap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/mschap.h"
#include "ike/ike_authn_psk.h"
#include "ike/ike_ctx.h"
#include "crypto/rand.h"
#include "ike/ike_conn.h"
#include "ike/ike_eap.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_proto.h"
#include "ike/ike_sa.h"
#include "util/mem.h"

/* what the server's Challenge and Success carry, as charon's
 * "strongSwan" and "Welcome2strongSwan" */
#define SERVER_NAME "uipsec"
#define SERVER_WELCOME "Welcome to uipsec"

enum eap_state {
	/* server */
	SRV_START = 0,          /* the first request read, nothing sent */
	SRV_IDENTITY,           /* EAP-Identity request sent */
	SRV_CHALLENGE,          /* MS-CHAPv2 Challenge sent */
	SRV_SUCCESS,            /* MS-CHAPv2 Success request sent */
	SRV_DONE,               /* EAP-Success sent */
	/* client */
	CLI_START,              /* nothing received yet */
	CLI_CHALLENGED,         /* MS-CHAPv2 Response sent */
	CLI_ACKED,              /* the server's Success checked and acknowledged */
	CLI_DONE,               /* EAP-Success received */
};

struct eap {
	struct ike_authn a;          /* first: the interface */
	struct ike_sa *sa;           /* its connection (secrets, EAP ids), its log lines */
	enum eap_state st;
	bool next;                   /* server: read a response, send the next request */
	uint8_t id;                  /* EAP Identifier: server: of its last request;
	                              * client: of the request it answers */
	uint8_t ms_id;               /* MS-CHAPv2-ID of the Challenge */
	uint8_t identity[IKE_EAP_NAME_MAX];   /* the EAP identity (server: the peer's) */
	size_t identity_len;
	bool asked;                  /* server: the peer sent it as its EAP-Identity */
	uint8_t auth_chal[CRYPTO_MSCHAP_CHAL_LEN], peer_chal[CRYPTO_MSCHAP_CHAL_LEN];
	char auth_resp[CRYPTO_MSCHAP_AUTH_RESP_LEN + 1];   /* S=...: sent, or expected */
	uint8_t msk[CRYPTO_MSCHAP_MSK_LEN];
	/* client: the response to send in the next build */
	bool pending;
	uint8_t out_type;
	uint8_t out[IKE_EAP_MSG_MAX];
	size_t outlen;
};

static struct eap *eap_of(struct ike_authn *a)
{
	return (struct eap *)a;
}

static enum ike_authn_status failed(const struct ike_authn_round *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static enum ike_authn_status failed(const struct ike_authn_round *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, r->whylen, fmt, ap);
	va_end(ap);
	return IKE_AUTHN_FAILED;
}

/* An identity for logs: printable ASCII, the rest as '?'. */
static const char *printable(const uint8_t *s, size_t n, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < n && i + 1 < len; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* The EAP identity an IKE identity stands for: the text of an FQDN, an
 * RFC 822 address or a key ID, else the identity as strongSwan prints
 * it. */
static void identity_of(const struct ike_id *id, uint8_t *out, size_t *len)
{
	char buf[IKE_ID_STRLEN];

	if (id->type == IKE_ID_FQDN || id->type == IKE_ID_RFC822_ADDR || id->type == IKE_ID_KEY_ID) {
		*len = id->len < IKE_EAP_NAME_MAX ? id->len : IKE_EAP_NAME_MAX;
		memcpy(out, id->data, *len);
		return;
	}
	ike_id_fmt(id, buf, sizeof(buf));
	*len = strnlen(buf, IKE_EAP_NAME_MAX);
	memcpy(out, buf, *len);
}

/* An EAP identity as an IKE identity for matching, as charon makes one
 * (identification_create_from_data: the text parsed, else a key ID). */
static void identity_to_id(const uint8_t *s, size_t n, struct ike_id *id)
{
	char buf[IKE_EAP_NAME_MAX + 1];

	memset(id, 0, sizeof(*id));
	if (n && !memchr(s, 0, n)) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		if (ike_id_parse(buf, id) == 0 && id->type)
			return;
	}
	id->type = IKE_ID_KEY_ID;
	id->len = (uint16_t)n;
	memcpy(id->data, s, n);
}

/* The NT hash of the EAP secret for the EAP identity, as charon's
 * EAP-MSCHAPv2 asks the credential manager (get_shared SHARED_EAP: the
 * server for me = its IKE identity, other = the client's EAP identity;
 * the client for me = its EAP identity, other = the server's IKE
 * identity; the best match of other wins, then of me). -ENOENT: none. */
static int secret_hash(const struct eap *e, const struct ike_authn_round *r,
                       uint8_t hash[CRYPTO_MSCHAP_HASH_LEN])
{
	const uint8_t *key;
	struct ike_id id;
	size_t len;

	identity_to_id(e->identity, e->identity_len, &id);
	if (e->a.role == IKE_AUTHN_REMOTE) {
		if (ike_authn_shared_get(e->sa->ctx, IKE_SHARED_EAP, r->local_id, &id, &key, &len))
			return -ENOENT;
	} else if (ike_authn_shared_get(e->sa->ctx, IKE_SHARED_EAP, &id, r->peer_id, &key, &len)) {
		return -ENOENT;
	}
	return crypto_mschap_nt_hash(key, len, hash);
}

/* RFC 2759 8.2: the user name in the challenge hash is without a
 * "DOMAIN\" prefix. */
static void username(const uint8_t *name, size_t n, const uint8_t **u, size_t *ulen)
{
	const uint8_t *bs = memchr(name, '\\', n);

	*u = bs ? bs + 1 : name;
	*ulen = bs ? n - (size_t)(bs + 1 - name) : n;
}

/* The EAP payload of m, parsed (validated with the message). */
static bool eap_in(const struct ike_msg *m, struct ike_eap *out)
{
	const struct ike_pld *p = ike_msg_find(m, IKE_PLD_EAP);

	return p && ike_eap_parse(p->body, p->len, out) == 0;
}

static const char *type_name(uint8_t t)
{
	switch (t) {
	case IKE_EAP_IDENTITY: return "Identity";
	case IKE_EAP_NOTIFICATION: return "Notification";
	case IKE_EAP_NAK: return "Nak";
	case IKE_EAP_MD5: return "MD5";
	case IKE_EAP_MSCHAPV2: return "MSCHAPv2";
	default: return "another type";
	}
}

/* ---- server (REMOTE) ---- */

static int server_challenge(struct eap *e, struct ike_mb *mb)
{
	uint8_t buf[IKE_EAP_MSG_MAX];
	size_t n;

	if (crypto_rand(e->auth_chal, sizeof(e->auth_chal)) || crypto_rand(&e->ms_id, 1))
		return -EIO;
	n = ike_mschap_build_challenge(e->ms_id, e->auth_chal, SERVER_NAME, buf);
	e->id++;
	ike_eap_put(mb, IKE_EAP_REQUEST, e->id, IKE_EAP_MSCHAPV2, buf, n);
	e->st = SRV_CHALLENGE;
	return 0;
}

static enum ike_authn_status server_build(struct eap *e, const struct ike_authn_round *r,
                                          struct ike_mb *mb)
{
	const struct ike_conn_cfg *cfg = &e->sa->conn->cfg;
	uint8_t buf[IKE_EAP_MSG_MAX];
	size_t n;

	if (!e->next)
		return failed(r, "EAP: nothing to answer");   /* our bug */
	e->next = false;
	switch (e->st) {
	case SRV_START:
		if (crypto_rand(&e->id, 1))
			return failed(r, "EAP: no random numbers");
		identity_of(r->peer_id, e->identity, &e->identity_len);
		/* as charon: ask for the EAP identity if eap_id is %any or
		 * another identity than the IKE one */
		if (cfg->has_remote_eap_id &&
		    (!cfg->remote_eap_id.type || !ike_id_equal(&cfg->remote_eap_id, r->peer_id))) {
			ike_eap_put(mb, IKE_EAP_REQUEST, e->id, IKE_EAP_IDENTITY, NULL, 0);
			e->st = SRV_IDENTITY;
			return IKE_AUTHN_NEED_MORE;
		}
		/* fall through */
	case SRV_IDENTITY:
		if (server_challenge(e, mb))
			return failed(r, "EAP-MSCHAPv2: cannot build the challenge");
		return IKE_AUTHN_NEED_MORE;
	case SRV_CHALLENGE: {
		char msg[CRYPTO_MSCHAP_AUTH_RESP_LEN + sizeof(" M=" SERVER_WELCOME)];

		snprintf(msg, sizeof(msg), "%s M=%s", e->auth_resp, SERVER_WELCOME);
		n = ike_mschap_build_text(IKE_MSCHAP_SUCCESS, e->ms_id, msg, buf);
		e->id++;
		ike_eap_put(mb, IKE_EAP_REQUEST, e->id, IKE_EAP_MSCHAPV2, buf, n);
		e->st = SRV_SUCCESS;
		mem_wipe(msg, sizeof(msg));
		return IKE_AUTHN_NEED_MORE;
	}
	case SRV_SUCCESS: {
		/* as charon (AUTH_RULE_EAP_IDENTITY, get_other_eap_id): the IKE
		 * SA keeps the identity the peer authenticated as, its IKE
		 * identity when it was not asked for another */
		struct ike_id id = *r->peer_id;

		if (e->asked)
			identity_to_id(e->identity, e->identity_len, &id);
		if (ike_sa_set_peer_eap_id(e->sa, &id))
			return failed(r, "EAP: out of memory");
		e->id++;
		ike_eap_put(mb, IKE_EAP_SUCCESS, e->id, 0, NULL, 0);
		e->st = SRV_DONE;
		return IKE_AUTHN_DONE;
	}
	default:
		return IKE_AUTHN_DONE;
	}
}

/* The peer's MS-CHAPv2 Response: its name, our secret for it, its
 * NT-Response. */
static enum ike_authn_status server_response(struct eap *e, const struct ike_authn_round *r,
                                             const struct ike_eap *in)
{
	uint8_t hash[CRYPTO_MSCHAP_HASH_LEN], want[CRYPTO_MSCHAP_NT_RESP_LEN];
	struct ike_mschap m;
	char who[IKE_EAP_NAME_MAX + 1];
	const uint8_t *u;
	size_t ulen;
	enum ike_authn_status st = IKE_AUTHN_FAILED;
	int rc;

	printable(e->identity, e->identity_len, who, sizeof(who));
	if (in->type == IKE_EAP_NAK)
		return failed(r, "EAP: '%s' refuses EAP-MSCHAPv2 (Nak)", who);
	if (in->type != IKE_EAP_MSCHAPV2 || ike_mschap_parse(in, &m) ||
	    m.op != IKE_MSCHAP_RESPONSE)
		return failed(r, "EAP-MSCHAPv2: '%s' sent %s where a Response was expected", who,
		              type_name(in->type));
	if (m.ms_id != e->ms_id)
		return failed(r, "EAP-MSCHAPv2: '%s' answered MS-CHAPv2-ID %u, we sent %u", who,
		              m.ms_id, e->ms_id);
	/* the name authenticated must be the EAP identity the secret is for */
	if (m.name_len != e->identity_len || memcmp(m.name, e->identity, m.name_len)) {
		char name[IKE_EAP_NAME_MAX + 1];

		return failed(r, "EAP-MSCHAPv2: '%s' responded as '%s'", who,
		              printable(m.name, m.name_len, name, sizeof(name)));
	}
	rc = secret_hash(e, r, hash);
	if (rc == -ENOENT)
		return failed(r, "EAP-MSCHAPv2: no EAP secret for '%s'", who);
	username(m.name, m.name_len, &u, &ulen);
	memcpy(e->peer_chal, m.chal, sizeof(e->peer_chal));
	if (rc || crypto_mschap_nt_response(hash, e->auth_chal, e->peer_chal, u, ulen, want)) {
		failed(r, "EAP-MSCHAPv2: cannot compute the NT-Response (MD4/DES)");
		goto out;
	}
	if (!mem_equal_ct(want, m.nt_resp, sizeof(want))) {
		failed(r, "EAP-MSCHAPv2: wrong password for '%s'", who);
		goto out;
	}
	if (crypto_mschap_auth_response(hash, want, e->auth_chal, e->peer_chal, u, ulen,
	                                e->auth_resp) ||
	    crypto_mschap_msk(hash, want, e->msk)) {
		failed(r, "EAP-MSCHAPv2: cannot derive the keys");
		goto out;
	}
	st = IKE_AUTHN_NEED_MORE;
out:
	mem_wipe(hash, sizeof(hash));
	mem_wipe(want, sizeof(want));
	return st;
}

static enum ike_authn_status server_process(struct eap *e, const struct ike_authn_round *r,
                                            const struct ike_msg *m)
{
	const struct ike_conn_cfg *cfg = &e->sa->conn->cfg;
	char who[IKE_EAP_NAME_MAX + 1];
	struct ike_eap in;
	struct ike_id id;
	struct ike_mschap ms;

	if (e->st == SRV_START) {
		/* RFC 7296 2.16: an initiator that wants EAP sends no AUTH */
		if (ike_msg_find(m, IKE_PLD_AUTH))
			return failed(r, "EAP: the peer authenticates with an AUTH payload, but "
			              "remote auth = eap");
		if (!r->peer_id)
			return failed(r, "EAP: no identity");
		e->next = true;
		return IKE_AUTHN_NEED_MORE;
	}
	if (!eap_in(m, &in))
		return failed(r, "EAP: no EAP payload in the peer's request");
	if (in.code != IKE_EAP_RESPONSE)
		return failed(r, "EAP: the peer sent code %u where a Response was expected", in.code);
	if (in.id != e->id)
		return failed(r, "EAP: the peer answered Identifier %u, we sent %u", in.id, e->id);
	switch (e->st) {
	case SRV_IDENTITY:
		if (in.type != IKE_EAP_IDENTITY)
			return failed(r, "EAP: the peer sent %s where its Identity was expected",
			              type_name(in.type));
		if (!in.dlen || in.dlen > IKE_EAP_NAME_MAX)
			return failed(r, "EAP: an Identity of %zu bytes", in.dlen);
		memcpy(e->identity, in.data, in.dlen);
		e->identity_len = in.dlen;
		identity_to_id(e->identity, e->identity_len, &id);
		if (cfg->remote_eap_id.type && ike_id_match(&id, &cfg->remote_eap_id) <= 0)
			return failed(r, "EAP: identity '%s' is not the remote eap_id",
			              printable(e->identity, e->identity_len, who, sizeof(who)));
		e->asked = true;
		break;
	case SRV_CHALLENGE: {
		enum ike_authn_status st = server_response(e, r, &in);

		if (st != IKE_AUTHN_NEED_MORE)
			return st;
		break;
	}
	case SRV_SUCCESS:
		if (in.type != IKE_EAP_MSCHAPV2 || ike_mschap_parse(&in, &ms) ||
		    ms.op != IKE_MSCHAP_SUCCESS)
			return failed(r, "EAP-MSCHAPv2: the peer did not accept our authenticator "
			              "response");
		break;
	default:
		return failed(r, "EAP: a request after the conversation ended");
	}
	e->next = true;
	return IKE_AUTHN_NEED_MORE;
}

/* ---- client (LOCAL) ---- */

static void respond(struct eap *e, uint8_t type, const uint8_t *data, size_t n)
{
	e->out_type = type;
	memcpy(e->out, data, n);
	e->outlen = n;
	e->pending = true;
}

static enum ike_authn_status client_build(struct eap *e, const struct ike_authn_round *r,
                                          struct ike_mb *mb)
{
	(void)r;
	if (e->st == CLI_DONE)
		return IKE_AUTHN_DONE;
	/* the first request: no AUTH, that asks for EAP (RFC 7296 2.16) */
	if (e->pending) {
		ike_eap_put(mb, IKE_EAP_RESPONSE, e->id, e->out_type, e->out, e->outlen);
		mem_wipe(e->out, sizeof(e->out));
		e->pending = false;
	}
	return IKE_AUTHN_NEED_MORE;
}

/* The server's Challenge: our Response, and what its Success must say. */
static enum ike_authn_status client_challenge(struct eap *e, const struct ike_authn_round *r,
                                              const struct ike_mschap *m)
{
	uint8_t hash[CRYPTO_MSCHAP_HASH_LEN], resp[CRYPTO_MSCHAP_NT_RESP_LEN];
	uint8_t buf[IKE_EAP_MSG_MAX];
	char who[IKE_EAP_NAME_MAX + 1];
	enum ike_authn_status st = IKE_AUTHN_FAILED;
	const uint8_t *u;
	size_t ulen, n;
	int rc;

	printable(e->identity, e->identity_len, who, sizeof(who));
	rc = secret_hash(e, r, hash);
	if (rc == -ENOENT)
		return failed(r, "EAP-MSCHAPv2: no EAP secret for our EAP identity '%s'", who);
	memcpy(e->auth_chal, m->chal, sizeof(e->auth_chal));
	username(e->identity, e->identity_len, &u, &ulen);
	if (rc || crypto_rand(e->peer_chal, sizeof(e->peer_chal)) ||
	    crypto_mschap_nt_response(hash, e->auth_chal, e->peer_chal, u, ulen, resp) ||
	    crypto_mschap_auth_response(hash, resp, e->auth_chal, e->peer_chal, u, ulen,
	                                e->auth_resp) ||
	    crypto_mschap_msk(hash, resp, e->msk)) {
		failed(r, "EAP-MSCHAPv2: cannot compute our response (MD4/DES)");
		goto out;
	}
	n = ike_mschap_build_response(m->ms_id, e->peer_chal, resp, e->identity, e->identity_len,
	                              buf);
	respond(e, IKE_EAP_MSCHAPV2, buf, n);
	e->st = CLI_CHALLENGED;
	st = IKE_AUTHN_NEED_MORE;
out:
	mem_wipe(hash, sizeof(hash));
	mem_wipe(resp, sizeof(resp));
	mem_wipe(buf, sizeof(buf));
	return st;
}

/* The server's Success request: "S=<40 hex digits>" must be what its
 * knowing our password gives (RFC 2759 8.8), compared in constant time. */
static enum ike_authn_status client_success(struct eap *e, const struct ike_authn_round *r,
                                            const struct ike_mschap *m)
{
	char got[CRYPTO_MSCHAP_AUTH_RESP_LEN];
	uint8_t op = IKE_MSCHAP_SUCCESS;
	bool ok;

	if (m->msg_len < CRYPTO_MSCHAP_AUTH_RESP_LEN)
		return failed(r, "EAP-MSCHAPv2: the server's Success has no authenticator response");
	for (size_t i = 0; i < sizeof(got); i++) {
		char c = (char)m->msg[i];
		got[i] = c >= 'a' && c <= 'f' ? (char)(c - 'a' + 'A') : c;
	}
	ok = mem_equal_ct(got, e->auth_resp, sizeof(got));
	mem_wipe(got, sizeof(got));
	if (!ok)
		return failed(r, "EAP-MSCHAPv2: the server's authenticator response is wrong (it "
		              "does not know our password)");
	respond(e, IKE_EAP_MSCHAPV2, &op, 1);
	e->st = CLI_ACKED;
	return IKE_AUTHN_NEED_MORE;
}

/* "E=691 R=0 C=... V=3 M=..." (RFC 2759 6): the error code for the log. */
static enum ike_authn_status client_failure(const struct ike_authn_round *r,
                                            const struct ike_mschap *m)
{
	unsigned code = 0;
	size_t i = 2;

	if (m->msg_len > 2 && m->msg[0] == 'E' && m->msg[1] == '=')
		for (; i < m->msg_len && i < 12 && m->msg[i] >= '0' && m->msg[i] <= '9'; i++)
			code = code * 10 + (unsigned)(m->msg[i] - '0');
	return failed(r, "EAP-MSCHAPv2: the server refused our password (E=%u%s)", code,
	              code == 691 ? ", authentication failure" : "");
}

static enum ike_authn_status client_process(struct eap *e, const struct ike_authn_round *r,
                                            const struct ike_msg *m)
{
	struct ike_eap in;
	struct ike_mschap ms;
	uint8_t nak = IKE_EAP_MSCHAPV2;
	int rc;

	if (!eap_in(m, &in))
		return failed(r, e->st == CLI_START ?
		              "EAP: the responder sent no EAP request (does it authenticate us "
		              "with EAP? check its remote auth)" : "EAP: no EAP payload");
	if (!e->identity_len)
		identity_of(r->local_id, e->identity, &e->identity_len);   /* our IKE address */
	switch (in.code) {
	case IKE_EAP_SUCCESS:
		if (e->st != CLI_ACKED)
			return failed(r, "EAP: EAP-Success before EAP-MSCHAPv2 finished");
		e->st = CLI_DONE;
		return IKE_AUTHN_DONE;
	case IKE_EAP_FAILURE:
		return failed(r, "EAP: the server sent EAP-Failure");
	case IKE_EAP_REQUEST:
		break;
	default:
		return failed(r, "EAP: the server sent a Response");
	}
	e->id = in.id;
	switch (in.type) {
	case IKE_EAP_IDENTITY:
		if (e->st != CLI_START)
			return failed(r, "EAP: an Identity request in the middle of EAP-MSCHAPv2");
		respond(e, IKE_EAP_IDENTITY, e->identity, e->identity_len);
		return IKE_AUTHN_NEED_MORE;
	case IKE_EAP_NOTIFICATION:
		respond(e, IKE_EAP_NOTIFICATION, NULL, 0);   /* RFC 3748 5.2 */
		return IKE_AUTHN_NEED_MORE;
	case IKE_EAP_MSCHAPV2:
		break;
	default:
		if (e->st != CLI_START)
			return failed(r, "EAP: a %s request in the middle of EAP-MSCHAPv2",
			              type_name(in.type));
		/* RFC 3748 5.3.1: we do MSCHAPv2 only */
		respond(e, IKE_EAP_NAK, &nak, 1);
		return IKE_AUTHN_NEED_MORE;
	}
	rc = ike_mschap_parse(&in, &ms);
	if (rc == -EOPNOTSUPP)
		return failed(r, "EAP-MSCHAPv2: the server asks for a password change, which "
		              "uipsec does not do");
	if (rc)
		return failed(r, "EAP-MSCHAPv2: a malformed request");
	switch (ms.op) {
	case IKE_MSCHAP_CHALLENGE:
		if (e->st != CLI_START)
			return failed(r, "EAP-MSCHAPv2: a second Challenge");
		return client_challenge(e, r, &ms);
	case IKE_MSCHAP_SUCCESS:
		if (e->st != CLI_CHALLENGED)
			return failed(r, "EAP-MSCHAPv2: Success before our Response");
		/* its MS-CHAPv2-ID is not checked: servers differ (the draft
		 * repeats the Challenge's, charon counts on) */
		return client_success(e, r, &ms);
	case IKE_MSCHAP_FAILURE:
		return client_failure(r, &ms);
	default:
		return failed(r, "EAP-MSCHAPv2: OpCode %u from the server", ms.op);
	}
}

/* ---- the interface ---- */

static enum ike_authn_status eap_build(struct ike_authn *a, const struct ike_authn_round *r,
                                       struct ike_mb *mb)
{
	struct eap *e = eap_of(a);

	return a->role == IKE_AUTHN_REMOTE ? server_build(e, r, mb) : client_build(e, r, mb);
}

static enum ike_authn_status eap_process(struct ike_authn *a, const struct ike_authn_round *r,
                                         const struct ike_msg *m)
{
	struct eap *e = eap_of(a);

	return a->role == IKE_AUTHN_REMOTE ? server_process(e, r, m) : client_process(e, r, m);
}

static int eap_msk(const struct ike_authn *a, const uint8_t **msk, size_t *len)
{
	const struct eap *e = (const struct eap *)a;

	if (e->st != SRV_DONE && e->st != CLI_DONE)
		return -ENOENT;
	*msk = e->msk;
	*len = sizeof(e->msk);
	return 0;
}

static void eap_destroy(struct ike_authn *a)
{
	mem_free_wipe(eap_of(a), sizeof(struct eap));
}

static const struct ike_authn_ops eap_ops = {
	.name = "eap-mschapv2",
	.msk_auth = true,
	.build = eap_build,
	.process = eap_process,
	.msk = eap_msk,
	.destroy = eap_destroy,
};

struct ike_authn *ike_authn_eap_new(const struct ike_authn_env *env, enum ike_authn_role role)
{
	struct eap *e;

	if (!env->sa || !env->cfg)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->a.ops = &eap_ops;
	e->a.role = role;
	e->sa = env->sa;
	if (role == IKE_AUTHN_LOCAL) {
		e->st = CLI_START;
		/* our EAP identity: local.eap_id, else our IKE identity */
		if (env->cfg->has_local_eap_id && env->cfg->local_eap_id.type)
			identity_of(&env->cfg->local_eap_id, e->identity, &e->identity_len);
		else if (env->cfg->local_id.type)
			identity_of(&env->cfg->local_id, e->identity, &e->identity_len);
	}
	return &e->a;
}

int ike_authn_eap_check(const struct ike_conn_cfg *cfg, char *err, size_t errlen)
{
	char why[256];

	if (cfg->eap_type && cfg->eap_type != IKE_EAP_MSCHAPV2) {
		snprintf(err, errlen, "connection '%s': EAP type %u (uipsec has EAP-MSCHAPv2)",
		         cfg->name, cfg->eap_type);
		return -EINVAL;
	}
	if (!crypto_mschap_available(why, sizeof(why))) {
		snprintf(err, errlen, "connection '%s': EAP-MSCHAPv2 needs MD4 and DES: %s", cfg->name,
		         why);
		return -EINVAL;
	}
	if (cfg->local_auth == IKE_AUTH_CLASS_EAP && cfg->remote_auth == IKE_AUTH_CLASS_EAP) {
		/* charon: local auth = eap on a gateway is EAP-only (RFC 5998),
		 * which its clients allow only with a mutual method; EAP-MSCHAPv2
		 * is not one */
		snprintf(err, errlen, "connection '%s': EAP on both ends (one end is the EAP server: "
		         "its auth is pubkey or psk; EAP-only authentication, RFC 5998, needs a "
		         "mutual EAP method, and EAP-MSCHAPv2 is not one)", cfg->name);
		return -EINVAL;
	}
	return 0;
}
