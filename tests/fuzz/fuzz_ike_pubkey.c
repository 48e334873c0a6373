/* libFuzzer target for public-key authentication's payload handling: the
 * CERT, CERTREQ, AUTH, ID and SIGNATURE_HASH_ALGORITHMS payloads of a peer
 * as the pubkey authenticator reads them (ike_authn_pubkey.c), on an IKE
 * SA of a connection with auth = pubkey on both ends and a trust store
 * holding one CA.
 *
 * Input: a list of payloads, each a type byte (reduced to IDi, CERT,
 * CERTREQ, AUTH or NOTIFY), a 2-byte big-endian length and the body. Those
 * ike_pld_validate accepts (as the message parser would) make up the
 * message; it is then given to the IKE_SA_INIT hook (hash algorithms,
 * CERTREQ on an initiator SA), to the LOCAL authenticator of a responder
 * (the initiator's CERTREQs) and to the REMOTE one (certificates, chain
 * validation, the AUTH signature over 64 zero octets). Must not crash, hang
 * or leak; every CERT payload it refuses is counted. Seeds:
 * tests/fuzz/corpus/fuzz_ike_pubkey (payloads of a real IKE_AUTH with an
 * RSA certificate and an intermediate, RFC 7427 AUTH, CERTREQ). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/x509.h"
#include "crypto/x509_verify.h"
#include "ike/ike.h"
#include "ike/ike_authn.h"
#include "ike/ike_authn_pubkey.h"
#include "ike/ike_conn.h"
#include "ike/ike_ctx.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_proto.h"
#include "ike/ike_sa.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The seeds' root CA, "C=CH, O=strongSwan, CN=Fuzz Root CA" (its key is
 * not kept: only the seeds' chain, made with it, can validate). */
static const char ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIB2TCCAX+gAwIBAgIUX9KrAqXHyeetmBUuPSs3GqajBe4wCgYIKoZIzj0EAwIw\n"
	"OTELMAkGA1UEBhMCQ0gxEzARBgNVBAoMCnN0cm9uZ1N3YW4xFTATBgNVBAMMDEZ1\n"
	"enogUm9vdCBDQTAgFw0yNjEyMDcwOTM1NTdaGA8yMTI2MTExMzA5MzU1N1owOTEL\n"
	"MAkGA1UEBhMCQ0gxEzARBgNVBAoMCnN0cm9uZ1N3YW4xFTATBgNVBAMMDEZ1enog\n"
	"Um9vdCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABIGt40izu2ymyBTLT29O\n"
	"fNUzO0/T3m8yAyOpXQ08byB3UcOSz+cZLs2KkUYtAZK6eA+AX0Jj7bRZSDX42gCL\n"
	"ofujYzBhMB0GA1UdDgQWBBT1RCfrg4CLoi/8sR5yRl/TAtSvQzAfBgNVHSMEGDAW\n"
	"gBT1RCfrg4CLoi/8sR5yRl/TAtSvQzAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB\n"
	"/wQEAwIBBjAKBggqhkjOPQQDAgNIADBFAiAA3pl22w1cMKqWsAxQbFIJhbrtWsEM\n"
	"SpZl2/TQ1zf1EQIhAIXc1RH+I5vywUF6RqHp9YE/UyQjb7e7l/OxRoPRfwpu\n"
	"-----END CERTIFICATE-----\n";

static struct crypto_trust *trust;

static const struct crypto_trust *f_trust(void *ctx)
{
	return trust;
}

static struct crypto_cert *f_find(void *ctx, const struct crypto_id *id, bool need_key)
{
	return NULL;
}

static bool f_local(void *ctx, const struct crypto_cert *c)
{
	return false;
}

static bool f_has_key(void *ctx, const struct crypto_pubkey *k)
{
	return false;
}

static int f_sign(void *ctx, const struct crypto_pubkey *pub, uint8_t method,
                  const struct crypto_sig_params *p, const uint8_t *o, size_t len, uint8_t *out,
                  size_t outmax)
{
	return -ENOKEY;
}

static const struct ike_creds creds = {
	.trust = f_trust, .find_cert = f_find, .is_local = f_local, .has_key = f_has_key,
	.sign = f_sign,
};

static void sink(void *ctx, const struct ike_endpoint *l, const struct ike_endpoint *r,
                 const uint8_t *m, size_t len)
{
}

static uint64_t now(void *ctx)
{
	return 1000;
}

static struct ike_ctx *ctx;
static struct ike_conn *conn;

static void init(void)
{
	struct ike_io io = { .send = sink, .now_ms = now };
	struct ike_conn_cfg *cfg = calloc(1, sizeof(*cfg));
	struct crypto_cert *ca;
	char err[256];

	log_set_level(LOG_ERR);
	trust = crypto_trust_new();
	ca = crypto_cert_from_data((const uint8_t *)ca_pem, sizeof(ca_pem) - 1, err, sizeof(err));
	if (ca)
		crypto_trust_add_ca(trust, ca, err, sizeof(err));
	crypto_cert_free(ca);
	ctx = ike_ctx_new(&io, NULL);
	ike_ctx_set_creds(ctx, &creds);
	strcpy(cfg->name, "fuzz");
	ip_addr_parse("192.0.2.2", &cfg->local_addr);
	ike_proposals_parse("aes128gcm16-prfsha256-x25519", IKE_PROTO_IKE, &cfg->ike, err, sizeof(err));
	cfg->local_auth = cfg->remote_auth = IKE_AUTH_CLASS_PUBKEY;
	ike_conn_add(ctx, cfg, err, sizeof(err));
	free(cfg);
	conn = ike_conn_find(ctx, "fuzz");
}

static const uint8_t types[] = { IKE_PLD_IDI, IKE_PLD_CERT, IKE_PLD_CERTREQ, IKE_PLD_AUTH,
                                 IKE_PLD_NOTIFY };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t octets[64];
	struct ike_msg m;
	struct ike_id peer;
	struct ike_sa *sa;
	size_t off = 0;
	char why[1024];

	if (!ctx)
		init();
	if (!conn)
		return 0;
	memset(&m, 0, sizeof(m));
	memset(&peer, 0, sizeof(peer));
	while (off + 3 <= size && m.npld < IKE_MSG_MAX_PLDS) {
		uint8_t type = types[data[off] % sizeof(types)];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];

		off += 3;
		if (len > size - off)
			len = size - off;
		if (ike_pld_validate(type, data + off, len) == 0) {
			m.pld[m.npld++] = (struct ike_pld){ .type = type, .encrypted = true,
			                                    .body = data + off, .len = (uint16_t)len };
			if (type == IKE_PLD_IDI && !peer.type)
				ike_pld_id_parse(data + off, len, &peer);
		}
		off += len;
	}

	/* IKE_SA_INIT: hash algorithms and CERTREQ, as an initiator gets them */
	sa = ike_sa_new(ctx, conn, true);
	if (!sa)
		return 0;
	ike_authn_pubkey_init_in(sa, &m);
	ike_sa_end(sa, IKE_END_SHUTDOWN);
	ike_sa_destroy(sa);

	/* IKE_AUTH on a responder: our LOCAL one reads the CERTREQs, the
	 * REMOTE one the rest */
	sa = ike_sa_new(ctx, conn, false);
	if (!sa)
		return 0;
	sa->peer_id = peer;
	struct ike_authn_round r = {
		.n = 1, .initiator = false, .prf = 0, .local_id = &conn->cfg.local_id,
		.peer_id = &sa->peer_id, .local_octets = octets, .local_octets_len = sizeof(octets),
		.peer_octets = octets, .peer_octets_len = sizeof(octets), .why = why,
		.whylen = sizeof(why),
	};
	struct ike_authn *local = ike_authn_new(ctx, IKE_AUTH_CLASS_PUBKEY, IKE_AUTHN_LOCAL,
	                                        &conn->cfg, sa);
	struct ike_authn *remote = ike_authn_new(ctx, IKE_AUTH_CLASS_PUBKEY, IKE_AUTHN_REMOTE,
	                                         &conn->cfg, sa);
	if (local && remote) {
		why[0] = '\0';
		/* accepted only with a certificate (the seeds' chain): there are
		 * no raw keys, pinned or local certificates here */
		if (remote->ops->process(remote, &r, &m) == IKE_AUTHN_DONE && !sa->peer_cert)
			__builtin_trap();
		local->ops->process(local, &r, &m);
	}
	ike_authn_free(local);
	ike_authn_free(remote);
	ike_sa_end(sa, IKE_END_SHUTDOWN);
	ike_sa_destroy(sa);
	return 0;
}
