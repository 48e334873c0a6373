/* libFuzzer target for the IKEv2 message parser: the header, the payload
 * chain, every payload decoder, and the full responder dispatch (an IKE
 * core with one PSK connection, answering into the void), so that
 * truncated messages, overrunning lengths, unknown critical payloads,
 * absurd proposal/transform counts and bad KE data all run through the
 * same code as on the wire. The input is also fed, with its header made
 * into an IKE_SA_INIT response for a fresh initiator SA, to an initiator
 * (COOKIE, INVALID_KE_PAYLOAD, proposal and KE checks of the response). Seeds: messages of the two-party unit tests
 * (tests/fuzz/corpus/fuzz_ike_msg). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "ike/ike_msg.h"
#include "ike/ike_pld.h"
#include "ike/ike_proto.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t last_spi[8];
static void sink(void *ctx, const struct ike_endpoint *l, const struct ike_endpoint *r,
                 const uint8_t *m, size_t len)
{
	if (len >= 8)
		memcpy(last_spi, m, 8);
}

static uint64_t fake_ms;
static uint64_t now(void *ctx)
{
	return fake_ms;
}

static struct ike_ctx *responder(void)
{
	static struct ike_ctx *ctx;
	struct ike_io io = { .send = sink, .now_ms = now };
	struct ike_conn_cfg cfg;
	char err[128];

	if (ctx)
		return ctx;
	log_set_level(LOG_ERR);
	ctx = ike_ctx_new(&io, NULL);
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "fuzz");
	ip_addr_parse("192.0.2.2", &cfg.local_addr);
	ike_proposals_parse("aes256gcm16-prfsha256-x25519, aes128-sha256-modp2048, "
	                    "chacha20poly1305-prfsha256-ecp256", IKE_PROTO_IKE, &cfg.ike, err,
	                    sizeof(err));
	memcpy(cfg.psk, "fuzz", 4);
	cfg.psk_len = 4;
	ike_conn_add(ctx, &cfg, err, sizeof(err));
	return ctx;
}

static struct ike_ctx *initiator(void)
{
	static struct ike_ctx *ctx;
	struct ike_io io = { .send = sink, .now_ms = now };
	struct ike_conn_cfg cfg;
	char err[128];

	if (ctx)
		return ctx;
	ctx = ike_ctx_new(&io, NULL);
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "fuzz-i");
	ip_addr_parse("192.0.2.1", &cfg.local_addr);
	ip_addr_parse("192.0.2.2", &cfg.remote_addr);
	ike_proposals_parse("aes256gcm16-prfsha256-x25519-ecp256-modp2048, aes128-sha256-modp2048",
	                    IKE_PROTO_IKE, &cfg.ike, err, sizeof(err));
	memcpy(cfg.psk, "fuzz", 4);
	cfg.psk_len = 4;
	ike_conn_add(ctx, &cfg, err, sizeof(err));
	return ctx;
}

static void as_init_response(const uint8_t *data, size_t size)
{
	struct ike_ctx *ctx = initiator();
	struct ike_endpoint local = { { 0 }, 500 }, remote = { { 0 }, 500 };
	uint8_t *copy;

	if (size < 28 || size > 65535 || ike_initiate(ctx, "fuzz-i") != 0)
		return;
	copy = malloc(size);
	if (!copy)
		return;
	memcpy(copy, data, size);
	memcpy(copy, last_spi, 8);   /* our SPIi */
	copy[17] = 0x20;
	copy[18] = IKE_SA_INIT;
	copy[19] = 0x20;             /* response from the responder */
	memset(copy + 20, 0, 4);     /* message ID 0 */
	copy[24] = (uint8_t)(size >> 24);
	copy[25] = (uint8_t)(size >> 16);
	copy[26] = (uint8_t)(size >> 8);
	copy[27] = (uint8_t)size;
	ip_addr_parse("192.0.2.1", &local.addr);
	ip_addr_parse("192.0.2.2", &remote.addr);
	ike_input(ctx, &local, &remote, copy, size);
	free(copy);
	ike_terminate_ike(ctx, "fuzz-i");   /* whatever state it reached */
	fake_ms += 300000;
	ike_tick(ctx);
}

static void payloads(const struct ike_msg *m)
{
	for (unsigned i = 0; i < m->npld; i++) {
		const struct ike_pld *p = &m->pld[i];
		union {
			struct ike_proposals sa;
			struct ike_id id;
			struct ike_notify_pld n;
			struct ike_delete_pld d;
			struct ike_ts_list ts;
		} u;
		uint16_t g;
		uint8_t method;
		const uint8_t *d;
		size_t dl;
		char buf[2048];

		switch (p->type) {
		case IKE_PLD_SA:
			if (!ike_pld_sa_parse(p->body, p->len, &u.sa))
				ike_proposals_fmt(&u.sa, buf, sizeof(buf));
			break;
		case IKE_PLD_KE: ike_pld_ke_parse(p->body, p->len, &g, &d, &dl); break;
		case IKE_PLD_IDI:
		case IKE_PLD_IDR:
			if (!ike_pld_id_parse(p->body, p->len, &u.id))
				ike_id_fmt(&u.id, buf, sizeof(buf));
			break;
		case IKE_PLD_AUTH: ike_pld_auth_parse(p->body, p->len, &method, &d, &dl); break;
		case IKE_PLD_NOTIFY: ike_pld_notify_parse(p->body, p->len, &u.n); break;
		case IKE_PLD_DELETE: ike_pld_delete_parse(p->body, p->len, &u.d); break;
		case IKE_PLD_TSI:
		case IKE_PLD_TSR:
			if (!ike_pld_ts_parse(p->body, p->len, &u.ts))
				ike_ts_list_fmt(&u.ts, buf, sizeof(buf));
			break;
		default: break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_msg m;
	struct ike_endpoint local = { { 0 }, 500 }, remote = { { 0 }, 500 };
	static const uint8_t key[36];
	struct crypto_ike_keys k = { CRYPTO_ENCR_AES_GCM_16, key, 36, 0, NULL, 0 };

	if (ike_msg_parse(data, size, &m) == 0) {
		payloads(&m);
		if (m.has_sk && ike_msg_decrypt(&m, &k) == 0)
			payloads(&m);
		ike_msg_clear(&m);
	}
	ip_addr_parse("192.0.2.2", &local.addr);
	ip_addr_parse("192.0.2.1", &remote.addr);
	fake_ms += 1000;   /* half-open SAs time out: memory stays bounded */
	struct ike_ctx *ctx = responder();
	ike_input(ctx, &local, &remote, data, size);
	ike_tick(ctx);
	as_init_response(data, size);
	return 0;
}
