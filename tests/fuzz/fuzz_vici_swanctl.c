/* libFuzzer target: strongSwan's VICI commands (ctl/vici_swanctl.c) as a
 * client reaches them, through a real control socket. The input's first
 * byte picks the command, the rest is the request's message (taken as it
 * is when it is a valid element sequence, otherwise dropped): every
 * request must get one well-formed response (or CMD_UNKNOWN), never a
 * crash, hang or leak. Connections, secrets, certificates and keys loaded
 * by one input are removed before the next (load-cert and load-key data
 * go through the X.509 and key parsers into the credential store). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl/client.h"
#include "ctl/ctl.h"
#include "ctl/ctl_creds.h"
#include "ctl/vici_swanctl.h"
#include "ike/ike.h"
#include "io/loop.h"
#include "util/bytes.h"
#include "util/log.h"
#include "util/mem.h"
#include "xfrm/backend_sad.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const cmds[] = {
	"stats", "get-counters", "reset-counters", "list-sas", "list-conns", "get-conns",
	"list-policies", "initiate", "terminate", "rekey", "reload-settings", "load-conn",
	"unload-conn", "load-shared", "unload-shared", "get-shared", "clear-creds", "get-pools",
	"get-authorities", "get-keys", "list-certs", "redirect", "load-pool", "version",
	"unload-pool", "load-cert", "load-key", "unload-key",
};

static struct loop *L;
static struct ctl_server *S;
static struct ike_ctx *IKE;
static struct vici_swanctl VS;
static struct ctl_creds CREDS;   /* load-cert / load-key (clear-creds empties it) */
static char path[108];

static void sink(void *ctx, const struct ike_endpoint *l, const struct ike_endpoint *r,
                 const uint8_t *msg, size_t len)
{
	(void)ctx; (void)l; (void)r; (void)msg; (void)len;
}

static uint64_t now(void *ctx)
{
	(void)ctx;
	return 1000;
}

static void init(void)
{
	struct ike_io io = { .send = sink, .now_ms = now };
	int r;

	struct log_config quiet = { .nsinks = 0 };

	log_configure(&quiet, NULL, 0);   /* refusals are logged: not here */
	snprintf(path, sizeof(path), "/tmp/uipsec-fuzz-vici.%d/ctl.sock", (int)getpid());
	L = loop_new();
	S = ctl_server_new(L, path, &r);
	IKE = ike_ctx_new(&io, xfrm_backend_sad_new(sad_new(NULL), spd_new(NULL)));
	if (!L || !S || !IKE)
		abort();
	ctl_creds_init(&CREDS);
	VS = (struct vici_swanctl){ .srv = S, .loop = L, .ike = IKE, .creds = &CREDS };
	if (vici_swanctl_register(&VS) < 0)
		abort();
}

static void pump(void)
{
	for (int i = 0; i < 3; i++)
		loop_run_once(L, 0);
}

static void reset(void)
{
	char names[64][64];
	unsigned n = ike_conn_names(IKE, names, 64);

	for (unsigned i = 0; i < n; i++)
		ike_conn_del(IKE, names[i]);
}

/* clear-creds on a connection of its own (the input's may wait for an
 * initiate's answer) */
static void clear_creds(void)
{
	struct vici_buf b;
	struct vici_packet pk;
	uint8_t *buf;
	size_t len;
	char err[256];
	int fd = ctl_client_connect(path, err, sizeof(err));

	if (fd < 0)
		abort();
	pump();
	vici_buf_init(&b);
	vici_begin(&b, VICI_CMD_REQUEST, "clear-creds");
	if (vici_end(&b) != 0 || ctl_client_send(fd, &b) != 0)
		abort();
	pump();
	if (ctl_client_recv(fd, &buf, &len, &pk) != 0 || pk.type != VICI_CMD_RESPONSE)
		abort();
	mem_free_wipe(buf, len);
	vici_buf_free(&b);
	close(fd);
	pump();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vici_buf b, clr;
	struct vici_packet pk;
	char err[256];
	uint8_t *buf;
	size_t len;
	int fd;

	if (!L)
		init();
	if (size < 1 || size > 60000)
		return 0;
	vici_buf_init(&b);
	vici_begin(&b, VICI_CMD_REQUEST, cmds[data[0] % (sizeof(cmds) / sizeof(cmds[0]))]);
	if (vici_msg_valid(data + 1, size - 1)) {
		/* raw elements after the name: the encoder's checks are not the
		 * point here, the handlers' are */
		uint8_t *nd = realloc(b.data, b.len + size - 1);
		if (!nd)
			abort();
		b.data = nd;
		b.cap = b.len + size - 1;
		memcpy(b.data + b.len, data + 1, size - 1);
		b.len += size - 1;
	}
	if (vici_end(&b) != 0)
		abort();
	fd = ctl_client_connect(path, err, sizeof(err));
	if (fd < 0)
		abort();
	pump();
	/* register for the listing events, so that they are built too */
	static const char *const evs[] = { "list-sa", "list-conn", "list-policy", "control-log" };
	vici_buf_init(&clr);
	for (size_t i = 0; i < 4; i++) {
		vici_begin(&clr, VICI_EVENT_REGISTER, evs[i]);
		vici_end(&clr);
		ctl_client_send(fd, &clr);
	}
	if (ctl_client_send(fd, &b) != 0)
		abort();
	pump();
	/* confirms, events, then the response (initiate may defer: then
	 * nothing more comes, and closing the client must be safe) */
	for (;;) {
		struct timeval tv = { 0, 1000 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		int r = ctl_client_recv(fd, &buf, &len, &pk);
		if (r != 0)
			break;
		int t = pk.type;
		mem_free_wipe(buf, len);
		if (t == VICI_CMD_RESPONSE || t == VICI_CMD_UNKNOWN)
			break;
		if (t != VICI_EVENT && t != VICI_EVENT_CONFIRM)
			abort();
	}
	close(fd);
	pump();
	clear_creds();
	reset();
	vici_buf_free(&clr);
	vici_buf_free(&b);
	return 0;
}
