/* strongSwan's VICI commands (ctl/vici_swanctl.c) through a real control
 * socket: a connection loaded with load-conn (through the swanctl.conf
 * parser) and load-shared, listed by list-conns and get-conns, counters,
 * stats, and every kind of malformed or unsupported request answered with
 * success "no" and an errmsg, never a crash or a silent success; a client
 * that leaves while its initiate is pending. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ike/ike_authn_psk.h"
#include "ctl/client.h"
#include "ctl/ctl.h"
#include "ctl/ctl_creds.h"
#include "ctl/vici_swanctl.h"
#include "ike/ike_pool.h"
#include "ike/ike.h"
#include "io/loop.h"
#include "util/log.h"
#include "util/mem.h"
#include "xfrm/backend_sad.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

static char path[108];
static unsigned sent;

static void sink(void *ctx, const struct ike_endpoint *l, const struct ike_endpoint *r,
                 const uint8_t *msg, size_t len)
{
	(void)ctx; (void)l; (void)r; (void)msg; (void)len;
	sent++;
}

static uint64_t now(void *ctx)
{
	(void)ctx;
	return 1000;
}

struct h {
	struct loop *l;
	struct ctl_server *s;
	struct sad *sad;
	struct spd *spd;
	struct xfrm_backend *be;
	struct ike_ctx *ike;
	struct vici_swanctl vs;
	struct ctl_creds creds;
	int fd;
};

static struct h *H;

static void ended(void *ctx, const struct ike_end_event *ev)
{
	vici_swanctl_ike_ended(&H->vs, ev);
	(void)ctx;
}

static void child_ended(void *ctx, const struct ike_child_end_event *ev)
{
	vici_swanctl_child_ended(&H->vs, ev);
	(void)ctx;
}

static void pump(struct h *h)
{
	for (int i = 0; i < 5; i++)
		loop_run_once(h->l, 10);
}

static int setup(void **state)
{
	static struct h h;
	struct ike_io io = { .send = sink, .now_ms = now, .ike_ended = ended,
	                     .child_ended = child_ended };
	char err[256];
	int r;

	log_set_level(LOG_ERR);
	snprintf(path, sizeof(path), "/tmp/uipsec-test-vici.%d/ctl.sock", (int)getpid());
	memset(&h, 0, sizeof(h));
	H = &h;
	h.l = loop_new();
	h.s = ctl_server_new(h.l, path, &r);
	h.sad = sad_new(NULL);
	h.spd = spd_new(NULL);
	h.be = xfrm_backend_sad_new(h.sad, h.spd);
	h.ike = ike_ctx_new(&io, h.be);
	if (!h.l || !h.s || !h.ike)
		return -1;
	ctl_creds_init(&h.creds);
	h.vs = (struct vici_swanctl){ .srv = h.s, .loop = h.l, .ike = h.ike, .creds = &h.creds };
	if (vici_swanctl_register(&h.vs) < 0)
		return -1;
	h.fd = ctl_client_connect(path, err, sizeof(err));
	if (h.fd < 0)
		return -1;
	pump(&h);
	*state = &h;
	return 0;
}

static int teardown(void **state)
{
	struct h *h = *state;

	close(h->fd);
	pump(h);
	ike_ctx_free(h->ike);
	vici_swanctl_free(&h->vs);
	ctl_creds_free(&h->creds);
	ctl_server_free(h->s);
	xfrm_backend_sad_free(h->be);
	spd_free(h->spd);
	sad_free(h->sad);
	loop_free(h->l);
	return 0;
}

/* Send b, run the loop, read packets until the response; events before it
 * are counted into *nev (may be NULL). The response's success and errmsg
 * are copied out. Returns the response type. */
static int call(struct h *h, struct vici_buf *b, char *success, char *errmsg, size_t len,
                unsigned *nev)
{
	struct vici_packet pk;
	uint8_t *buf;
	size_t blen;
	int type;

	assert_int_equal(vici_end(b), 0);
	assert_int_equal(ctl_client_send(h->fd, b), 0);
	pump(h);
	for (;;) {
		assert_int_equal(ctl_client_recv(h->fd, &buf, &blen, &pk), 0);
		type = pk.type;
		if (type == VICI_EVENT) {
			if (nev)
				(*nev)++;
			mem_free_wipe(buf, blen);
			continue;
		}
		break;
	}
	success[0] = errmsg[0] = '\0';
	if (type == VICI_CMD_RESPONSE) {
		vici_get_str(pk.msg, pk.msg_len, "success", success, len);
		vici_get_str(pk.msg, pk.msg_len, "errmsg", errmsg, len);
	}
	mem_free_wipe(buf, blen);
	return type;
}

/* call() with b, the response a CMD_RESPONSE whose success is WANT (ok and
 * em are char arrays); a macro so that a failure names the test's line */
#define ASSERT_ANSWER(h, b, ok, em, want) \
	do { \
		assert_int_equal(call((h), (b), (ok), (em), sizeof(ok), NULL), VICI_CMD_RESPONSE); \
		assert_string_equal((ok), (want)); \
	} while (0)

static void reg(struct h *h, const char *event)
{
	struct vici_buf b;
	struct vici_packet pk;
	uint8_t *buf;
	size_t blen;

	vici_buf_init(&b);
	vici_begin(&b, VICI_EVENT_REGISTER, event);
	assert_int_equal(vici_end(&b), 0);
	assert_int_equal(ctl_client_send(h->fd, &b), 0);
	pump(h);
	assert_int_equal(ctl_client_recv(h->fd, &buf, &blen, &pk), 0);
	assert_int_equal(pk.type, VICI_EVENT_CONFIRM);
	mem_free_wipe(buf, blen);
	vici_buf_free(&b);
}

static void load_site(struct h *h, struct vici_buf *b, const char *extra_key)
{
	vici_begin(b, VICI_CMD_REQUEST, "load-conn");
	vici_section_start(b, "site");
	vici_list_start(b, "local_addrs");
	vici_list_item_str(b, "192.0.2.1");
	vici_list_end(b);
	vici_list_start(b, "remote_addrs");
	vici_list_item_str(b, "192.0.2.2");
	vici_list_end(b);
	vici_kv_str(b, "version", "2");
	if (extra_key)
		vici_kv_str(b, extra_key, "5m");
	vici_section_start(b, "local");
	vici_kv_str(b, "auth", "psk");
	vici_kv_str(b, "id", "gwa.example.org");
	vici_section_end(b);
	vici_section_start(b, "remote");
	vici_kv_str(b, "auth", "psk");
	vici_kv_str(b, "id", "gwb.example.org");
	vici_section_end(b);
	vici_section_start(b, "children");
	vici_section_start(b, "net");
	vici_list_start(b, "local_ts");
	vici_list_item_str(b, "10.1.0.0/24");
	vici_list_end(b);
	vici_list_start(b, "remote_ts");
	vici_list_item_str(b, "10.2.0.0/24");
	vici_list_end(b);
	vici_section_end(b);
	vici_section_end(b);
	vici_section_end(b);
}

static void test_load_and_list(void **state)
{
	struct h *h = *state;
	struct vici_buf b;
	char ok[256], em[256];
	unsigned nev = 0;

	vici_buf_init(&b);
	/* a connection before its secret: refused, and says why */
	load_site(h, &b, NULL);
	ASSERT_ANSWER(h, &b, ok, em, "no");
	assert_non_null(strstr(em, "no pre-shared key"));

	vici_begin(&b, VICI_CMD_REQUEST, "load-shared");
	vici_kv_str(&b, "id", "ike-site");
	vici_kv_str(&b, "type", "IKE");
	vici_kv(&b, "data", "s\0cret", 6);        /* bytes, a NUL among them */
	vici_list_start(&b, "owners");
	vici_list_item_str(&b, "gwa.example.org");
	vici_list_item_str(&b, "gwb.example.org");
	vici_list_end(&b);
	ASSERT_ANSWER(h, &b, ok, em, "yes");

	load_site(h, &b, NULL);
	ASSERT_ANSWER(h, &b, ok, em, "yes");
	assert_int_equal(ike_conn_count(h->ike), 1);

	/* an option uipsec refuses: the swanctl.conf builder's own message */
	load_site(h, &b, "inactivity");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	assert_non_null(strstr(em, "connections.site.inactivity"));

	/* listed only to a client registered for the events */
	vici_begin(&b, VICI_CMD_REQUEST, "list-conns");
	assert_int_equal(call(h, &b, ok, em, sizeof(ok), &nev), VICI_CMD_RESPONSE);
	assert_int_equal(nev, 0);
	reg(h, "list-conn");
	vici_begin(&b, VICI_CMD_REQUEST, "list-conns");
	assert_int_equal(call(h, &b, ok, em, sizeof(ok), &nev), VICI_CMD_RESPONSE);
	assert_int_equal(nev, 1);

	vici_begin(&b, VICI_CMD_REQUEST, "get-shared");
	assert_int_equal(call(h, &b, ok, em, sizeof(ok), NULL), VICI_CMD_RESPONSE);
	vici_begin(&b, VICI_CMD_REQUEST, "unload-shared");
	vici_kv_str(&b, "id", "nonesuch");
	ASSERT_ANSWER(h, &b, ok, em, "no");

	/* an EAP password: in the IKE core's table, as EAP, for its owner */
	{
		struct ike_id carol, gw;
		const uint8_t *key;
		size_t len;

		assert_int_equal(ike_id_parse("carol@example.org", &carol), 0);
		assert_int_equal(ike_id_parse("gwb.example.org", &gw), 0);
		vici_begin(&b, VICI_CMD_REQUEST, "load-shared");
		vici_kv_str(&b, "id", "eap-carol");
		vici_kv_str(&b, "type", "EAP");
		vici_kv_str(&b, "data", "carolpass");
		vici_list_start(&b, "owners");
		vici_list_item_str(&b, "carol@example.org");
		vici_list_end(&b);
		ASSERT_ANSWER(h, &b, ok, em, "yes");
		assert_int_equal(ike_authn_shared_get(h->ike, IKE_SHARED_EAP, &gw, &carol, &key,
		                                      &len), 0);
		assert_int_equal(len, 9);
		assert_memory_equal(key, "carolpass", 9);
		/* the IKE PSK for gwb stays the IKE one */
		assert_int_equal(ike_authn_shared_get(h->ike, IKE_SHARED_IKE, &gw, &carol, &key,
		                                      &len), 0);
		assert_int_equal(len, 6);
		vici_begin(&b, VICI_CMD_REQUEST, "unload-shared");
		vici_kv_str(&b, "id", "eap-carol");
		ASSERT_ANSWER(h, &b, ok, em, "yes");
		assert_int_equal(ike_authn_shared_get(h->ike, IKE_SHARED_EAP, &gw, &carol, &key,
		                                      &len), -ENOENT);
	}

	vici_begin(&b, VICI_CMD_REQUEST, "unload-conn");
	vici_kv_str(&b, "name", "site");
	ASSERT_ANSWER(h, &b, ok, em, "yes");
	assert_int_equal(ike_conn_count(h->ike), 0);
	vici_begin(&b, VICI_CMD_REQUEST, "unload-conn");
	vici_kv_str(&b, "name", "site");
	ASSERT_ANSWER(h, &b, ok, em, "no");

	vici_begin(&b, VICI_CMD_REQUEST, "clear-creds");
	ASSERT_ANSWER(h, &b, ok, em, "yes");
	vici_buf_free(&b);
}

static void load_pool(struct vici_buf *b, const char *name, const char *addrs)
{
	vici_begin(b, VICI_CMD_REQUEST, "load-pool");
	vici_section_start(b, name);
	vici_kv_str(b, "addrs", addrs);
	vici_list_start(b, "dns");
	vici_list_item_str(b, "10.2.0.53");
	vici_list_end(b);
	vici_section_end(b);
}

static char *pools_text(struct h *h)
{
	static char out[1024];
	FILE *f = fmemopen(out, sizeof(out), "w");

	assert_non_null(f);
	ike_list_pools(h->ike, f);
	fclose(f);
	return out;
}

/* load-pool / unload-pool: the VICI source of the IKE core's pools, beside
 * (and never over) swanctl.conf's. */
static void test_pools(void **state)
{
	struct h *h = *state;
	struct vici_buf b;
	char ok[256], em[256], err[256];
	struct ike_pool_cfg fc = { .name = "f" };

	vici_buf_init(&b);
	load_pool(&b, "rw", "10.3.0.0/24");
	ASSERT_ANSWER(h, &b, ok, em, "yes");
	assert_non_null(strstr(pools_text(h), "rw               10.3.0.0/24              0 / 0 / 254"));
	/* a bad address: the swanctl.conf builder's message */
	load_pool(&b, "bad", "10.3.0.300/24");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	assert_non_null(strstr(em, "pools.bad.addrs"));
	/* replaced by name */
	load_pool(&b, "rw", "10.4.0.1-10.4.0.9");
	ASSERT_ANSWER(h, &b, ok, em, "yes");
	assert_non_null(strstr(pools_text(h), "10.4.0.1-10.4.0.9"));
	assert_null(strstr(pools_text(h), "10.3.0.0/24"));
	/* a pool of swanctl.conf: kept by load-pool, its name not taken */
	assert_int_equal(ip_addr_parse("10.5.0.1", &fc.from), 0);
	assert_int_equal(ip_addr_parse("10.5.0.2", &fc.to), 0);
	assert_int_equal(ike_pools_set(h->ike, IKE_POOL_FILE, &fc, 1, err, sizeof(err)), 0);
	assert_non_null(strstr(pools_text(h), "10.4.0.1-10.4.0.9"));
	load_pool(&b, "f", "10.6.0.0/24");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	assert_non_null(strstr(em, "loaded from swanctl.conf"));
	vici_begin(&b, VICI_CMD_REQUEST, "unload-pool");
	vici_kv_str(&b, "name", "f");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	assert_non_null(strstr(em, "comes from uipsecd's swanctl.conf"));
	vici_begin(&b, VICI_CMD_REQUEST, "unload-pool");
	vici_kv_str(&b, "name", "nonesuch");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	vici_begin(&b, VICI_CMD_REQUEST, "unload-pool");
	vici_kv_str(&b, "name", "rw");
	ASSERT_ANSWER(h, &b, ok, em, "yes");
	assert_null(strstr(pools_text(h), "rw "));
	assert_non_null(strstr(pools_text(h), "10.5.0.1-10.5.0.2"));
	/* a section-less request, a key outside a pool */
	vici_begin(&b, VICI_CMD_REQUEST, "load-pool");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	vici_begin(&b, VICI_CMD_REQUEST, "load-pool");
	vici_kv_str(&b, "addrs", "10.3.0.0/24");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	vici_begin(&b, VICI_CMD_REQUEST, "get-pools");
	vici_kv_str(&b, "leases", "yes");
	assert_int_equal(call(h, &b, ok, em, sizeof(ok), NULL), VICI_CMD_RESPONSE);
	vici_buf_free(&b);
}

/* Requests that cannot be done: each answered with success no and an
 * errmsg that says what is wrong. */
static void test_malformed_and_refused(void **state)
{
	struct h *h = *state;
	struct vici_buf b;
	char ok[256], em[256];
	static const char *const refused[] = {
		"redirect", "install", "uninstall", "load-token",
		"flush-certs", "load-authority", "unload-authority", "get-algorithms",
	};

	vici_buf_init(&b);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		vici_begin(&b, VICI_CMD_REQUEST, refused[i]);
		ASSERT_ANSWER(h, &b, ok, em, "no");
		assert_non_null(strstr(em, "not supported"));
	}
	/* credentials: a type uipsec lacks, a key id that is not one */
	vici_begin(&b, VICI_CMD_REQUEST, "load-cert");
	vici_kv_str(&b, "type", "X509_AC");
	vici_kv_str(&b, "data", "x");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	assert_non_null(strstr(em, "not supported"));
	vici_begin(&b, VICI_CMD_REQUEST, "load-key");
	vici_kv_str(&b, "type", "bliss");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	assert_non_null(strstr(em, "not supported"));
	vici_begin(&b, VICI_CMD_REQUEST, "unload-key");
	vici_kv_str(&b, "id", "zz");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	assert_non_null(strstr(em, "hex key id"));
	/* no data, data that is no certificate or key */
	vici_begin(&b, VICI_CMD_REQUEST, "load-cert");
	vici_kv_str(&b, "type", "X509");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	assert_non_null(strstr(em, "load-cert: no data"));
	vici_begin(&b, VICI_CMD_REQUEST, "load-cert");
	vici_kv_str(&b, "type", "X509");
	vici_kv_str(&b, "data", "-----BEGIN CERTIFICATE-----\nnot base64\n");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	vici_begin(&b, VICI_CMD_REQUEST, "load-key");
	vici_kv_str(&b, "type", "rsa");
	vici_kv_str(&b, "data", "garbage");
	ASSERT_ANSWER(h, &b, ok, em, "no");

	/* load-conn: no section, two sections, a key outside, bad names, a
	 * NUL in a value, a comma in a list item */
	vici_begin(&b, VICI_CMD_REQUEST, "load-conn");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	vici_begin(&b, VICI_CMD_REQUEST, "load-conn");
	vici_section_start(&b, "a");
	vici_section_end(&b);
	vici_section_start(&b, "b");
	vici_section_end(&b);
	ASSERT_ANSWER(h, &b, ok, em, "no");
	assert_non_null(strstr(em, "one connection"));
	vici_begin(&b, VICI_CMD_REQUEST, "load-conn");
	vici_kv_str(&b, "version", "2");
	vici_section_start(&b, "a");
	vici_section_end(&b);
	ASSERT_ANSWER(h, &b, ok, em, "no");
	static const char *const badnames[] = { "a{", "a b", "a=b", "a\"", "a.b", "" };
	for (size_t i = 0; i < sizeof(badnames) / sizeof(badnames[0]); i++) {
		vici_begin(&b, VICI_CMD_REQUEST, "load-conn");
		vici_section_start(&b, "c");
		vici_kv_str(&b, badnames[i], "x");
		vici_section_end(&b);
		ASSERT_ANSWER(h, &b, ok, em, "no");
		assert_non_null(strstr(em, "invalid option name"));
	}
	vici_begin(&b, VICI_CMD_REQUEST, "load-conn");
	vici_section_start(&b, "c");
	vici_kv(&b, "remote_addrs", "1.2.3.4\0x", 9);
	vici_section_end(&b);
	ASSERT_ANSWER(h, &b, ok, em, "no");
	assert_non_null(strstr(em, "NUL"));
	vici_begin(&b, VICI_CMD_REQUEST, "load-conn");
	vici_section_start(&b, "c");
	vici_list_start(&b, "remote_addrs");
	vici_list_item_str(&b, "1.2.3.4,5.6.7.8");
	vici_list_end(&b);
	vici_section_end(&b);
	ASSERT_ANSWER(h, &b, ok, em, "no");
	/* a value that would close the section if it were not quoted */
	vici_begin(&b, VICI_CMD_REQUEST, "load-conn");
	vici_section_start(&b, "c");
	vici_kv_str(&b, "remote_addrs", "\" }\nconnections { x {");
	vici_section_end(&b);
	ASSERT_ANSWER(h, &b, ok, em, "no");
	assert_int_equal(ike_conn_count(h->ike), 0);

	/* load-shared: no type, an unsupported type, no data, a bad owner */
	vici_begin(&b, VICI_CMD_REQUEST, "load-shared");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	vici_begin(&b, VICI_CMD_REQUEST, "load-shared");
	vici_kv_str(&b, "type", "XAUTH");
	vici_kv_str(&b, "data", "x");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	assert_non_null(strstr(em, "XAUTH secrets are not supported"));
	vici_begin(&b, VICI_CMD_REQUEST, "load-shared");
	vici_kv_str(&b, "type", "IKE");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	assert_non_null(strstr(em, "no data"));

	/* initiate/terminate/rekey of nothing, or without a name */
	static const char *const ctl[] = { "initiate", "terminate", "rekey" };
	for (size_t i = 0; i < 3; i++) {
		vici_begin(&b, VICI_CMD_REQUEST, ctl[i]);
		ASSERT_ANSWER(h, &b, ok, em, "no");
		vici_begin(&b, VICI_CMD_REQUEST, ctl[i]);
		vici_kv_str(&b, "child", "nonesuch");
		ASSERT_ANSWER(h, &b, ok, em, "no");
		assert_non_null(strstr(em, "nonesuch"));
	}

	/* per-connection counters: refused; global ones answered */
	vici_begin(&b, VICI_CMD_REQUEST, "get-counters");
	vici_kv_str(&b, "name", "site");
	ASSERT_ANSWER(h, &b, ok, em, "no");
	vici_begin(&b, VICI_CMD_REQUEST, "get-counters");
	ASSERT_ANSWER(h, &b, ok, em, "yes");
	vici_begin(&b, VICI_CMD_REQUEST, "reload-settings");
	assert_int_equal(call(h, &b, ok, em, sizeof(ok), NULL), VICI_CMD_RESPONSE);
	assert_string_equal(ok, "no");   /* no settings hook in this test */
	vici_begin(&b, VICI_CMD_REQUEST, "stats");
	assert_int_equal(call(h, &b, ok, em, sizeof(ok), NULL), VICI_CMD_RESPONSE);
	vici_buf_free(&b);
}

/* initiate answers later: a client that goes away meanwhile is forgotten
 * (no answer to a freed connection), the next client is served. */
static void test_pending_initiate_client_leaves(void **state)
{
	struct h *h = *state;
	struct vici_buf b;
	char ok[256], em[256], err[256];
	uint8_t c;

	vici_buf_init(&b);
	vici_begin(&b, VICI_CMD_REQUEST, "load-shared");
	vici_kv_str(&b, "type", "IKE");
	vici_kv_str(&b, "data", "secret");
	assert_int_equal(call(h, &b, ok, em, sizeof(ok), NULL), VICI_CMD_RESPONSE);
	load_site(h, &b, NULL);
	ASSERT_ANSWER(h, &b, ok, em, "yes");

	sent = 0;
	vici_begin(&b, VICI_CMD_REQUEST, "initiate");
	vici_kv_str(&b, "child", "net");
	assert_int_equal(vici_end(&b), 0);
	assert_int_equal(ctl_client_send(h->fd, &b), 0);
	pump(h);
	assert_true(sent > 0);                        /* IKE_SA_INIT went out */
	assert_int_equal(recv(h->fd, &c, 1, MSG_DONTWAIT), -1);   /* no answer yet */
	assert_int_equal(errno, EAGAIN);
	close(h->fd);
	pump(h);
	h->fd = ctl_client_connect(path, err, sizeof(err));
	assert_true(h->fd >= 0);
	pump(h);
	vici_begin(&b, VICI_CMD_REQUEST, "terminate");
	vici_kv_str(&b, "ike", "site");
	vici_kv_str(&b, "timeout", "-1");
	ASSERT_ANSWER(h, &b, ok, em, "yes");
	vici_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_and_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_and_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pools, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_initiate_client_leaves, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
